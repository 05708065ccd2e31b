"""The fit's fast paths give the numbers of the slow ones: cached normals, skipped lanes, guided threshold searches,
the vectorised scan over the stimulus scale, and the fit that uses them all."""
import importlib
import math

import numpy as np
import pytest

import hhlib
from hhlib import thresholds as th
from hhlib.engines import NormalCache, common, execute
from hhlib.engines.runspec import build_run_spec
from hhlib.normalised import DEFAULT_SETUP as SETUP
from hhlib.normalised import simulate_responses, trials_that_may_fire
from hhlib.seeds import as_seed_sequence, child, stream
from hhlib.simulate import simulate_some

fit_module = importlib.import_module("hhlib.fit")      # the module (hhlib.fit is the function)
ROOT = child(as_seed_sequence(0), 0)
W = (1.40, 1.45)


def thresholds(ws, n_trials, **kwargs):
    return th.trial_thresholds(SETUP.model, SETUP.area_cm2(np.expm1(np.asarray(ws))), n_trials, seed=ROOT,
                               stimulus=SETUP.stimulus, noise=SETUP.noise, **kwargs)


@pytest.fixture(scope="module")
def reference():
    """Thresholds of 600 trials at two nearby areas by the full search, and its simulated trials."""
    info = {}
    return thresholds(W, 600, info=info), info["simulated_trials"]


def no_cache(monkeypatch):
    init = common.NormalCache.__init__
    monkeypatch.setattr(common.NormalCache, "__init__", lambda self, limit_bytes=0: init(self, 0))


def test_cached_normals_give_the_same_thresholds(reference, monkeypatch):
    no_cache(monkeypatch)                                  # every run draws its normals again, as before
    np.testing.assert_array_equal(thresholds(W, 600), reference[0])


def test_normal_cache_keeps_a_block_once_and_refuses_beyond_its_limit():
    cache, calls = NormalCache(limit_bytes=8 * 6), []
    first = cache.get("a", (2, 3), lambda: calls.append(1) or np.ones((2, 3)))
    assert cache.get("a", (2, 3), lambda: calls.append(1) or np.zeros((2, 3))) is first and calls == [1]
    assert cache.get("b", (1, 1), lambda: np.ones((1, 1))) is None and cache.nbytes == 48


def test_an_execution_with_cached_normals_equals_one_without():
    spec = build_run_spec(SETUP.model, SETUP.stimulus, 4e-9, 700, seed=3, max_spikes=1, stop_after=1)
    scale = np.full((1, 700), 7.2e-8 * 4)
    cache = NormalCache()
    plain = execute(spec, lane_scale=scale)
    for _ in range(2):                                     # drawn into the cache, then read back
        cached = execute(spec, lane_scale=scale, normals=cache)
        np.testing.assert_array_equal(cached.counts, plain.counts)
        np.testing.assert_array_equal(cached.times, plain.times)
    assert cache.nbytes == 3 * spec.waveforms.shape[1] * 256 * 8 and plain.counts.sum() > 0


def test_a_skipped_lane_is_not_simulated_and_the_others_are_unchanged():
    spec = build_run_spec(SETUP.model, SETUP.stimulus, 4e-9, 300, seed=3, max_spikes=1, stop_after=1)
    scale = np.full((1, 300), 1.2e-6)                      # everyone fires (4x the threshold)
    stop = np.where(np.arange(300) % 3 == 0, -1, 1)[None]
    full, part = execute(spec, lane_scale=scale), execute(spec, lane_scale=scale, lane_stop=stop)
    assert full.counts.min() == 1 and np.all(part.counts[stop < 0] == 0)
    np.testing.assert_array_equal(part.times[stop > 0], full.times[stop > 0])


def guess_from(thr, w_from, w_to):
    i_det = th.threshold_current(SETUP.model, SETUP.area_cm2(np.expm1(np.array([w_from, w_to]))),
                                 stimulus=SETUP.stimulus)
    return (1 + (thr / i_det[0] - 1) * math.exp(-(w_to - w_from) / 2)) * i_det[1]


def test_a_guided_search_gives_the_full_search_thresholds_with_fewer_simulations(reference):
    ref, simulated_full = reference
    info = {}
    guided = thresholds([W[1]], 600, info=info, guess=guess_from(ref[0], *W))[0]
    np.testing.assert_array_equal(guided, ref[1])
    assert info["simulated_trials"] < 0.3 * simulated_full / 2        # the full search: ~14 runs per trial


@pytest.mark.parametrize("kind", ["far", "nan", "mixed"])
def test_bad_guesses_cost_time_not_results(reference, kind):
    ref = reference[0][1]
    rng = np.random.default_rng(1)
    guess = {"far": ref * rng.choice([0.3, 0.9, 1.1, 5.0], ref.size), "nan": np.full(ref.size, np.nan),
             "mixed": np.where(rng.random(ref.size) < 0.5, np.inf, ref * 1.003)}[kind]
    np.testing.assert_array_equal(thresholds([W[1]], 600, guess=guess)[0], ref)


def test_the_search_restricted_to_some_lanes_equals_the_full_search_there(reference):
    spec = build_run_spec(SETUP.model, SETUP.stimulus, SETUP.area_cm2(math.expm1(W[0])), 600, seed=ROOT,
                          noise=SETUP.noise, max_spikes=1, stop_after=1)
    i_det = th.threshold_current(SETUP.model, SETUP.area_cm2(math.expm1(W[0])), stimulus=SETUP.stimulus)
    lanes = (np.arange(600) % 4 == 1)[None]
    out = th._per_trial(th._Fires(spec), np.full((1, 600), i_det), 1e-3, 32.0, None, lanes=lanes)
    np.testing.assert_array_equal(out[lanes], reference[0][0][lanes[0]])
    assert np.isnan(out[~lanes]).all()


@pytest.mark.parametrize("guess,exc,match", [
    ("fast", TypeError, "guess must be real numbers"),
    (np.ones(7), ValueError, r"guess must broadcast to the result's shape \(5,\) \(areas x trials\), got shape \(7,\)"),
])
def test_bad_guess_argument(guess, exc, match):
    with pytest.raises(exc, match=match):
        th.trial_thresholds(hhlib.SEED_MODEL, 1e-9, 5, seed=0, guess=guess)


def test_the_vectorised_scan_equals_the_deviance_at_every_point(reference):
    data = hhlib.load_data()
    prof = fit_module._Profile(data, SETUP, ROOT, None, dict(engine="auto", precision="float64"))
    lz = np.sort(np.log(reference[0][0] / (SETUP.i_ref_uA * math.exp(W[0]))))
    grid = np.linspace(lz[0] - 1.0, lz[-1] + 0.5, 600)
    np.testing.assert_array_equal(prof.scan(lz, grid), [prof.deviance(lz, s) for s in grid])


def test_a_fit_with_guided_searches_equals_one_without(monkeypatch):
    kwargs = dict(n_trials=600, validation_n_trials=600, seed=4)
    fit_module._THRESHOLD_CACHE.clear()
    guided = hhlib.fit(**kwargs)
    fit_module._THRESHOLD_CACHE.clear()
    monkeypatch.setattr(fit_module, "trial_thresholds", lambda *a, guess=None, **k: th.trial_thresholds(*a, **k))
    plain = hhlib.fit(**kwargs)
    fit_module._THRESHOLD_CACHE.clear()
    for key in ("delta_v", "delta_area", "delta_v_ci", "delta_area_ci", "deviance", "p_value", "fit_deviance"):
        assert getattr(guided, key) == getattr(plain, key), key
    assert [h["loss"] for h in guided.history] == [h["loss"] for h in plain.history]
    assert guided.n_trials_simulated < 0.6 * plain.n_trials_simulated


def test_skipping_settled_lanes_leaves_the_full_search_unchanged(reference):
    spec = build_run_spec(SETUP.model, SETUP.stimulus, SETUP.area_cm2(math.expm1(W[0])), 600, seed=ROOT,
                          noise=SETUP.noise, max_spikes=1, stop_after=1)
    i_det = th.threshold_current(SETUP.model, SETUP.area_cm2(math.expm1(W[0])), stimulus=SETUP.stimulus)
    fires = th._Fires(spec)
    every_lane = lambda factors, active=None: fires(factors)            # noqa: E731 - simulates every lane, as before
    out = th._per_trial(every_lane, np.full((1, 600), i_det), 1e-3, 32.0, None)
    np.testing.assert_array_equal(out[0], reference[0][0])


def test_trials_without_a_guess_are_searched_from_the_others_with_the_same_result(reference):
    ref = reference[0]
    guess = np.full(600, np.nan)
    guess[:150] = guess_from(ref[0], *W)[:150]             # a quarter guessed: the rest start from their median
    info = {}
    np.testing.assert_array_equal(thresholds([W[1]], 600, guess=guess, info=info)[0], ref[1])
    assert info["simulated_trials"] < 0.85 * reference[1] / 2


def test_binned_normals_are_the_streams_own_normals_summed_over_runs_of_steps():
    spec = build_run_spec(SETUP.model, SETUP.stimulus, 4e-9, 300, seed=ROOT, max_spikes=1, stop_after=1)
    cache = NormalCache()
    assert cache.binned(spec, 0, 7) is None                       # nothing drawn yet: nothing to bin
    execute(spec, lane_scale=np.full((1, 300), 3e-7), normals=cache)
    got = cache.binned(spec, 0, 7)
    # independently: block b's generator (hhlib.seeds.stream) draws n_steps x 256 normals, step-major
    normals = np.concatenate([stream(spec.root, 0, b).standard_normal((spec.n_steps, 256)) for b in range(2)],
                             axis=1)[:, :300]
    want = np.stack([part.sum(axis=0) for part in np.array_split(normals, 7, axis=0)], axis=1)
    assert got.shape == (300, 7)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.fixture(scope="module")
def wide_reference():
    """1500 trials at W[1] by the full search, 500 of them also at W[0] (their guesses)."""
    info = {}
    return thresholds([W[1]], 1500, info=info)[0], thresholds([W[0]], 500)[0], info["simulated_trials"]


def test_trials_without_a_guess_are_predicted_from_their_own_noise(wide_reference, monkeypatch):
    """A trial's threshold is nearly a linear function of its noise: regressed on the 500 found ones, the other
    1000 trials are searched from their predictions, with the full search's result and fewer runs than from
    the median."""
    ref, near, _ = wide_reference
    guess = np.full(1500, np.nan)
    guess[:500] = guess_from(near, *W)
    found = np.full(1500, np.nan)
    found[:500] = ref[:500]
    fires = th._Fires(build_run_spec(SETUP.model, SETUP.stimulus, SETUP.area_cm2(np.expm1(W[1])), 1500, seed=ROOT,
                                     noise=SETUP.noise, max_spikes=1, stop_after=1))
    fires(np.zeros((1, 1500)))                                    # draws (and keeps) every trial's normals
    predicted, sd = th._noise_prediction(fires, 0, found, ~np.isnan(found))
    assert sd < 0.15 * np.std(ref[:500])                          # most of the spread is explained
    assert np.std(predicted[500:] - ref[500:]) < 1.3 * sd         # and as well for the trials it did not see
    runs = {}
    for predict in (True, False):
        if not predict:
            monkeypatch.setattr(th, "_noise_prediction", lambda *a: None)
        info = {}
        np.testing.assert_array_equal(thresholds([W[1]], 1500, guess=guess, info=info)[0], ref)
        runs[predict] = info["simulated_trials"]
    assert runs[True] < 0.8 * runs[False], runs         # 8 798 against 11 895 (1 500 zero-stimulus runs in both)


def test_a_known_noise_free_threshold_gives_the_same_thresholds(reference):
    i_det = th.threshold_current(SETUP.model, SETUP.area_cm2(np.expm1(np.asarray(W))), stimulus=SETUP.stimulus)
    info = {}
    np.testing.assert_array_equal(thresholds(W, 600, deterministic_uA=i_det, info=info), reference[0])
    assert info["simulated_trials"] == reference[1]           # the noise-free search is all it skips


@pytest.mark.parametrize("value,match", [(-1e-7, "deterministic_uA must be > 0"), (np.nan, "deterministic_uA"),
                                         ([1e-7, 2e-7, 3e-7], "deterministic_uA must broadcast")])
def test_bad_known_noise_free_threshold(value, match):
    with pytest.raises(ValueError, match=match):
        thresholds(W, 10, deterministic_uA=value)


def test_simulating_some_trials_gives_those_trials_of_the_full_run():
    amps = np.array([6.6e-8, 7.0e-8, 7.6e-8])
    full = hhlib.simulate(SETUP.model, hhlib.Pulse(amps), 1e-9, 500, seed=2, stop_after=1, max_spikes=1)
    active = np.random.default_rng(0).random((3, 500)) < 0.4
    some = simulate_some(active, SETUP.model, hhlib.Pulse(amps), 1e-9, 500, seed=2, stop_after=1, max_spikes=1)
    np.testing.assert_array_equal(some.spike_counts, np.where(active, full.spike_counts, 0))
    np.testing.assert_array_equal(some.spike_times_ms[active], full.spike_times_ms[active])
    assert np.isnan(some.spike_times_ms[~active]).all() and full.spike_counts[~active].sum() > 0
    with pytest.raises(ValueError, match="active must broadcast"):
        simulate_some(np.ones(7, bool), SETUP.model, hhlib.Pulse(amps), 1e-9, 500, seed=2)
    with pytest.raises(ValueError, match="record=True"):
        simulate_some(active, SETUP.model, hhlib.Pulse(amps), 1e-9, 500, seed=2, record=True, engine="numpy")


def test_trials_their_thresholds_rule_out_do_not_fire(reference):
    """Every trial that surely_silent skips stays silent in the full simulation at that amplitude (its firing is
    monotone), and the latencies with the skips are those without."""
    thr = reference[0][0]
    area = SETUP.area_cm2(math.expm1(W[0]))
    i_det = th.threshold_current(SETUP.model, area, stimulus=SETUP.stimulus)
    amp = np.quantile(thr, [0.05, 0.3, 0.5, 0.7, 0.95])
    active = trials_that_may_fire(SETUP, amp, thr, i_det, 600)
    fired, first = simulate_responses(SETUP, amp, area, 600, seed=ROOT, stream_ids=np.zeros(5, int))
    fired_some, first_some = simulate_responses(SETUP, amp, area, 600, seed=ROOT, stream_ids=np.zeros(5, int),
                                                active=active)
    assert not fired[~active].any() and (~active).sum() > 1000          # about half the trial-levels skipped
    np.testing.assert_array_equal(fired_some, fired)
    np.testing.assert_array_equal(first_some, first)


def test_a_latency_fit_with_skipped_silent_trials_equals_one_without(monkeypatch):
    data = hhlib.load_data("synthetic_latency_uA")
    kwargs = dict(n_trials=600, validation_n_trials=600, latency_trials=300, seed=1)
    fit_module._THRESHOLD_CACHE.clear()
    fast = hhlib.fit(data, **kwargs)
    fit_module._THRESHOLD_CACHE.clear()
    monkeypatch.setattr(fit_module, "trials_that_may_fire", lambda *a: None)
    plain = hhlib.fit(data, **kwargs)
    fit_module._THRESHOLD_CACHE.clear()
    assert fast.uses_latency and fast.latency_chi2 == plain.latency_chi2
    for key in ("delta_v", "delta_area", "delta_v_ci", "delta_area_ci", "deviance", "p_value", "fit_deviance"):
        assert getattr(fast, key) == getattr(plain, key), key
    assert [h["loss"] for h in fast.history] == [h["loss"] for h in plain.history]
    assert fast.n_trials_simulated < 0.9 * plain.n_trials_simulated
