"""The spike rule (hhlib.spikes): right at every stimulus strength, never fooled by passive charging or noise."""
import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hhlib
from hhlib import Pulse, simulate
from hhlib.model import ionic_equilibrium
from hhlib.spikes import spike_event, spike_events, spike_times

SEED_AREA, HH_AREA = 1e-9, 1e-4
CASES = [(hhlib.SEED_MODEL, SEED_AREA, 2.0), (hhlib.HH1952, HH_AREA, 10.0)]
#: amplitude factors from 0 to 1000 x the deterministic threshold (dense near 1)
FACTORS = np.r_[0.0, np.linspace(0.5, 1.5, 40), np.geomspace(1.6, 1000.0, 40)]   # 1.0 itself excluded


# ------------------------------------------------------------------ the rule itself
def test_count_spikes_on_traces():
    v = np.array([0, 70, 80, 20, 65, 59, 61, 61, 100, 0])
    assert hhlib.count_spikes(v, 60.0) == 2                  # re-armed below 30 mV once, not at 59
    assert hhlib.count_spikes(v, 90.0) == 1
    assert hhlib.count_spikes(np.zeros(10)) == 0
    e = np.array([0, 10, 10, 10, 10, 10, 10, 10, 70, 0])     # E_ion only reaches the level at the end
    assert hhlib.count_spikes(v, equilibrium_mV=e) == 1
    np.testing.assert_array_equal(hhlib.count_spikes(np.stack([v, 0 * v]), axis=-1), [2, 0])
    np.testing.assert_array_equal(hhlib.count_spikes(np.stack([v, 0 * v]).T, axis=0), [2, 0])


def test_spike_time_is_the_later_condition_interpolated():
    t = np.arange(5.0)
    # V crosses 60 between samples 1 and 2 (at 1.5); E_ion crosses between 2 and 3 (at 2.25)
    v = np.array([0.0, 50.0, 70.0, 80.0, 0.0])
    e = np.array([0.0, 10.0, 40.0, 120.0, 0.0])
    np.testing.assert_allclose(spike_times(t, v, equilibrium_mV=e), [2.25])
    np.testing.assert_allclose(spike_times(t, v, equilibrium_mV=v + 100), [1.5])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(-200, 300), st.floats(-20, 115)), min_size=2, max_size=40),
       st.floats(1.0, 100.0))
def test_scalar_and_vector_detectors_agree(samples, level):
    v, e = (np.array(x) for x in zip(*samples, strict=True))
    armed_s, armed_v = True, np.ones(1, dtype=bool)
    for i in range(1, v.size):
        fired_s, frac_s, armed_s = spike_event(armed_s, v[i - 1], v[i], e[i - 1], e[i], level)
        fired_v, frac_v = spike_events(armed_v, v[i - 1:i], v[i:i + 1], e[i - 1:i], e[i:i + 1], level)
        assert fired_s == fired_v[0] and armed_s == armed_v[0]
        if fired_s:
            assert frac_s == pytest.approx(frac_v[0], abs=1e-12) and 0.0 <= frac_s <= 1.0


# ------------------------------------------------------------------ physics of the rule
@pytest.mark.parametrize("model,area,t_end", CASES, ids=["SEED", "HH1952"])
def test_deterministic_firing_is_a_step_up_to_1000x_threshold(model, area, t_end):
    i_th = hhlib.threshold_current(model, area, t_end_ms=t_end)
    for engine in ("numba", "numpy"):
        r = simulate(model, Pulse(FACTORS * i_th), area, 1, noise=False, t_end_ms=t_end, engine=engine)
        fired = r.fired[:, 0]
        assert fired.tolist() == (FACTORS > 1.0).tolist(), engine      # 0 below threshold, 1 from it to 1000x
        assert np.all(r.spike_counts[FACTORS > 1.0, 0] == 1)           # one pulse, one action potential


@pytest.mark.parametrize("model,area,t_end,knoise", [(hhlib.SEED_MODEL, SEED_AREA, 2.0, 5e-5),
                                                     (hhlib.HH1952, 1e-8, 10.0, 2.5e-4)], ids=["SEED", "HH1952"])
def test_noisy_firing_probability_is_non_decreasing_up_to_1000x(model, area, t_end, knoise):
    noisy = dataclasses.replace(model, knoise=knoise)
    i_th = hhlib.threshold_current(model, area, t_end_ms=t_end)
    n = 400
    # the same noise at every amplitude (one stream for all conditions): common random numbers
    r = simulate(noisy, Pulse(FACTORS * i_th), area, n, seed=3, t_end_ms=t_end, stop_after=1,
                 stream_ids=np.zeros(FACTORS.size, dtype=int))
    p = r.firing_probability
    assert np.all(np.diff(p) >= -3 * np.sqrt(0.25 / n))            # non-decreasing within sampling error
    assert p[FACTORS >= 2.0].min() == 1.0                             # certain from 2x to 1000x
    assert 0.1 < p[np.argmin(abs(FACTORS - 1.0))] < 0.9


@pytest.mark.parametrize("model,area,t_end", CASES, ids=["SEED", "HH1952"])
def test_sodium_blocked_membrane_never_fires(model, area, t_end):
    ttx = dataclasses.replace(model, g_na=0.0, knoise=max(model.knoise, 5e-5))
    i_th = hhlib.threshold_current(model, area, t_end_ms=t_end)
    amps = np.r_[-100.0, -10.0, FACTORS[1:], 1e4] * i_th
    for engine in ("numba", "numpy"):
        r = simulate(ttx, Pulse(amps), area, 20, seed=0, t_end_ms=t_end, engine=engine)
        assert r.spike_counts.sum() == 0, engine
    long = simulate(ttx, Pulse(1e3 * i_th, duration_ms=1.0), area, 5, seed=1, t_end_ms=t_end, record=True)
    assert long.v_mV.max() > 200.0 and long.spike_counts.sum() == 0      # far above +60 mV, passively
    bi = simulate(ttx, hhlib.BiphasicPulse(1e3 * i_th, 0.1), area, 5, seed=2, t_end_ms=t_end)
    assert bi.spike_counts.sum() == 0
    with pytest.raises(ValueError, match="cannot fire"):
        hhlib.threshold_current(ttx, area, t_end_ms=t_end)


@pytest.mark.slow
@pytest.mark.parametrize("noise_factor", [20, 40])
def test_noise_cannot_count_one_action_potential_twice(noise_factor):
    # the seed's action potential lasts 0.16 ms from detection to re-arming (noise-free, 1.5 x threshold);
    # under noise 20-40 x the seed's (V fluctuates by tens of mV) no two detections fall within one
    loud = dataclasses.replace(hhlib.SEED_MODEL, knoise=noise_factor * hhlib.SEED_MODEL.knoise)
    r = simulate(loud, Pulse(7e-8), SEED_AREA, 300, seed=1, record=True)
    e = ionic_equilibrium(r.m, r.h, r.n, loud)
    isi = [np.diff(spike_times(r.t_ms, v, equilibrium_mV=ej)) for v, ej in zip(r.v_mV, e, strict=True)]
    isi = np.concatenate([d for d in isi if d.size])
    assert isi.size > 20 and isi.min() > 0.16
    np.testing.assert_array_equal(hhlib.spikes.count_spikes_in_result(r, loud), r.spike_counts)
    assert r.spike_counts.max() <= 2.0 / 0.16


def test_the_rule_is_the_plain_crossing_for_physiological_stimuli():
    # at the seed's noise and 0.8-3 x threshold, the first detection is the upward crossing of +60 mV by V
    r = simulate(hhlib.SEED_MODEL, Pulse(7e-8 * np.array([0.8, 1.0, 1.2, 3.0])), SEED_AREA, 100, seed=5,
                 record=True)
    for c in range(4):
        for j in range(100):
            crossings = hhlib.crossing_times(r.t_ms, r.v_mV[c, j])
            if r.fired[c, j]:
                assert r.first_spike_ms[c, j] == pytest.approx(crossings[0], abs=1e-12)
            else:
                assert crossings.size == 0
    assert 0 < r.fired.sum() < r.fired.size


@pytest.mark.parametrize("factor", [1.5, 15.0, 1000.0])
def test_engines_trace_counter_and_reference_agree_at_any_strength(factor):
    from hhlib.reference import solve_reference
    model, area = hhlib.HH1952, HH_AREA
    amp = factor * hhlib.threshold_current(model, area, t_end_ms=10.0)
    a = simulate(model, Pulse(amp), area, 1, noise=False, t_end_ms=10.0, engine="numba")
    b = simulate(model, Pulse(amp), area, 1, noise=False, t_end_ms=10.0, engine="numpy", record=True)
    ref = solve_reference(model, Pulse(amp), area, t_end_ms=10.0)
    assert a.spike_counts[0] == b.spike_counts[0] == hhlib.spikes.count_spikes_in_result(b, model)[0] == 1
    assert ref.spike_times_ms.size == 1
    assert a.first_spike_ms[0] == pytest.approx(ref.spike_times_ms[0], abs=2 * a.dt_ms)


def test_count_spikes_in_result_needs_traces():
    res = simulate(hhlib.SEED_MODEL, Pulse(7e-8), SEED_AREA, 2, seed=0, engine="numpy")
    with pytest.raises(ValueError, match="record=True"):
        hhlib.spikes.count_spikes_in_result(res, hhlib.SEED_MODEL)


@pytest.mark.parametrize("bad,exc", [(0.0, ValueError), (-5.0, ValueError), (np.nan, ValueError),
                                     (True, TypeError), ("60", TypeError), (None, TypeError), (115.0, ValueError)])
def test_the_level_is_checked_by_name(bad, exc):
    with pytest.raises(exc, match="spike_threshold_mV"):
        simulate(hhlib.SEED_MODEL, Pulse(7e-8), SEED_AREA, 2, spike_threshold_mV=bad)


def test_a_lower_level_is_used_everywhere():
    # thresholds found with level 20 mV equal those where the engines detect with level 20 mV
    i20 = hhlib.threshold_current(hhlib.SEED_MODEL, SEED_AREA, spike_threshold_mV=20.0, rtol=1e-6)
    r = simulate(hhlib.SEED_MODEL, Pulse(i20 * np.array([0.999, 1.001])), SEED_AREA, 1, noise=False,
                 spike_threshold_mV=20.0)
    assert r.fired[:, 0].tolist() == [False, True]
    thr = hhlib.thresholds.trial_thresholds(hhlib.SEED_MODEL, SEED_AREA, 50, seed=0, spike_threshold_mV=20.0)
    thr60 = hhlib.thresholds.trial_thresholds(hhlib.SEED_MODEL, SEED_AREA, 50, seed=0)
    assert np.all(thr <= thr60 * (1 + 2e-3))                  # a lower level is reached no later
