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
from hhlib.seeds import as_seed_sequence, child

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
