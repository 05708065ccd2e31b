"""First-spike latency and jitter: against traces, against scipy's intervals, and the physics (latency falls
with amplitude above threshold)."""
import dataclasses
import warnings

import numpy as np
import pytest
from scipy import stats

import hhlib
from conftest import SEED_AREA_CM2
from hhlib import Pulse, simulate
from hhlib.stats import latency_ci, latency_stats
from hhlib.thresholds import threshold_current

QUIET_SEED = dataclasses.replace(hhlib.SEED_MODEL, knoise=0.0)


def _first_crossing_from_traces(t, v, m, h, n, model, level=hhlib.spikes.DEFAULT_LEVEL_MV):
    """Independent first-spike time of one trace: the first step in which V and the chord potential
    E_ion = sum g E / sum g (written out here from the HH conductances) have both reached the level, timed
    at the later of the two linearly interpolated upward crossings. NaN if never."""
    g_na, g_k = model.g_na * m**3 * h, model.g_k * n**4
    e = (g_na * model.e_na + g_k * model.e_k + model.g_l * model.e_l) / (g_na + g_k + model.g_l)
    both = (v >= level) & (e >= level)
    if not both[1:].any():
        return np.nan
    i = 1 + int(np.argmax(both[1:]))
    fv = (level - v[i - 1]) / (v[i] - v[i - 1]) if v[i - 1] < level else 0.0
    fe = (level - e[i - 1]) / (e[i] - e[i - 1]) if e[i - 1] < level else 0.0
    return t[i - 1] + max(fv, fe, 0.0) * (t[i] - t[i - 1])


def test_latency_and_jitter_match_an_independent_computation_from_recorded_traces():
    model = hhlib.SEED_MODEL
    amps = 7e-8 * np.array([0.93, 1.0, 1.5])         # µA: below, at and above the threshold at 1e-9 cm²
    stim = Pulse(amps, delay_ms=0.15)
    res = simulate(model, stim, SEED_AREA_CM2, 40, seed=3, engine="numpy", record=True)
    assert res.stimulus_onset_ms == 0.15
    first = np.array([[_first_crossing_from_traces(res.t_ms, res.v_mV[c, j], res.m[c, j], res.h[c, j], res.n[c, j],
                                                   model) for j in range(40)] for c in range(3)])
    np.testing.assert_array_equal(np.isnan(first), np.isnan(res.first_spike_ms))
    np.testing.assert_allclose(res.first_spike_ms, first, rtol=0, atol=1e-12, equal_nan=True)
    n_fired = (~np.isnan(first)).sum(axis=1)
    assert n_fired[0] < n_fired[1] < n_fired[2] == 40 and n_fired[0] >= 2
    for c in range(3):
        lat = first[c][~np.isnan(first[c])] - 0.15
        assert res.latency_ms[c] == pytest.approx(lat.mean(), abs=1e-12)
        assert res.jitter_ms[c] == pytest.approx(lat.std(ddof=1), abs=1e-12)
    # the compiled engine reports the same latencies for the same seed (to 1 ns: its arithmetic rounds differently)
    fast = simulate(model, stim, SEED_AREA_CM2, 40, seed=3, engine="numba")
    np.testing.assert_allclose(fast.latency_ms, res.latency_ms, rtol=0, atol=1e-6)
    np.testing.assert_allclose(fast.jitter_ms, res.jitter_ms, rtol=0, atol=1e-6)


def test_latency_is_nan_without_spikes_and_jitter_needs_two_without_warnings():
    t = np.array([[np.nan, np.nan, np.nan], [0.5, np.nan, np.nan], [0.4, 0.6, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = latency_stats(t, onset_ms=0.1)
        lo, hi, jlo, jhi = latency_ci(t, onset_ms=0.1)
        res = simulate(hhlib.SEED_MODEL, Pulse(np.array([0.0, 2e-7])), SEED_AREA_CM2, 5, seed=0)
        lat, jit = res.latency_ms, res.jitter_ms
    np.testing.assert_array_equal(s.n_fired, [0, 1, 2])
    np.testing.assert_allclose(s.latency_ms, [np.nan, 0.4, 0.4], equal_nan=True)
    np.testing.assert_allclose(s.jitter_ms, [np.nan, np.nan, np.sqrt(0.02)], equal_nan=True)
    assert np.isnan(lo[:2]).all() and np.isnan(jhi[:2]).all() and np.isfinite([lo[2], hi[2], jlo[2], jhi[2]]).all()
    assert np.isnan(lat[0]) and np.isnan(jit[0]) and 0 < lat[1] < 1.0 and jit[1] > 0
    assert latency_stats(t, 0.1, ddof=0).jitter_ms[1] == 0.0


def test_latency_stats_reject_bad_input():
    with pytest.raises(ValueError, match="onset_ms"):
        latency_stats([[0.3, 0.4]], onset_ms=np.nan)
    with pytest.raises(ValueError, match="first_spike_ms"):
        latency_stats([[0.3, np.inf]], onset_ms=0.1)
    with pytest.raises(TypeError, match="first_spike_ms"):
        latency_stats([["a"]], onset_ms=0.1)
    with pytest.raises(ValueError, match="level"):
        latency_ci([[0.3, 0.4]], 0.1, level=1.0)
    with pytest.raises(ValueError, match="seed"):
        latency_ci([[0.3, 0.4]], 0.1, method="bootstrap")
    with pytest.raises(ValueError, match="stimulus onset"):
        _ = hhlib.SimulationResult(np.ones((1, 2), int), np.ones((1, 2)), 0.0025, 2.0).latency_ms


def test_normal_intervals_are_student_t_and_chi_square_and_cover_at_their_level():
    rng = np.random.default_rng(5)
    t = 0.1 + rng.normal(0.4, 0.03, size=(4000, 12))        # 4000 conditions of 12 normal latencies
    lo, hi, jlo, jhi = latency_ci(t, onset_ms=0.1, level=0.9)
    x = t[0] - 0.1
    ref = stats.t.interval(0.9, 11, loc=x.mean(), scale=stats.sem(x))
    assert (lo[0], hi[0]) == pytest.approx(ref, abs=1e-12)
    sd = x.std(ddof=1)
    assert jlo[0] == pytest.approx(sd * np.sqrt(11 / stats.chi2.ppf(0.95, 11)), rel=1e-12)
    assert jhi[0] == pytest.approx(sd * np.sqrt(11 / stats.chi2.ppf(0.05, 11)), rel=1e-12)
    # coverage: 90 % +- 3 binomial standard errors (sd 0.47 % for 4000 conditions)
    cover_mean = np.mean((lo < 0.4) & (hi > 0.4))
    cover_sd = np.mean((jlo < 0.03) & (jhi > 0.03))
    assert abs(cover_mean - 0.9) < 0.015 and abs(cover_sd - 0.9) < 0.015


def test_bootstrap_interval_is_seeded_and_agrees_with_the_normal_one_for_normal_latencies():
    t = 0.1 + np.random.default_rng(2).normal(0.4, 0.03, size=(2, 400))
    t[1, 300:] = np.nan
    a = latency_ci(t, 0.1, method="bootstrap", seed=7, n_boot=1000)
    b = latency_ci(t, 0.1, method="bootstrap", seed=7, n_boot=1000)
    normal = latency_ci(t, 0.1)
    for x, y, z in zip(a, b, normal, strict=True):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_allclose(x, z, rtol=0, atol=0.0015)     # ms: within 15 % of the interval's half-width


def test_latency_falls_monotonically_with_amplitude_above_threshold_without_noise():
    i_th = threshold_current(QUIET_SEED, SEED_AREA_CM2)
    amps = i_th * np.array([1.001, 1.01, 1.03, 1.1, 1.3, 1.7, 2.5, 4.0])
    res = simulate(QUIET_SEED, Pulse(amps), SEED_AREA_CM2, 1, noise=False)
    lat = res.latency_ms
    assert np.all(res.n_fired == 1) and np.all(np.isnan(res.jitter_ms))
    assert np.all(np.diff(lat) < 0)
    # near threshold the latency grows without bound (logarithmically): it is much longer there
    assert lat[0] > lat[-1] + 0.3
    below = simulate(QUIET_SEED, Pulse(0.999 * i_th), SEED_AREA_CM2, 1, noise=False)
    assert below.n_fired[()] == 0 and np.isnan(below.latency_ms[()])


def test_mean_latency_and_jitter_fall_with_amplitude_with_noise():
    i_th = threshold_current(hhlib.SEED_MODEL, SEED_AREA_CM2)
    amps = i_th * np.array([1.0, 1.1, 1.25, 1.5, 2.0])
    res = simulate(hhlib.SEED_MODEL, Pulse(amps), SEED_AREA_CM2, 2000, seed=11, stop_after=1)
    lo, hi, jlo, jhi = res.latency_ci(0.99)
    print("latency (ms):", res.latency_ms.round(4), "jitter (ms):", res.jitter_ms.round(4))
    assert np.all(hi[1:] < lo[:-1])            # strictly separated 99 % intervals: a monotone fall
    # the jitter is nearly flat between 1.0 and 1.1 x threshold (0.071 vs 0.070 ms), then falls clearly
    assert np.all(jhi[2:] < jlo[1:-1]) and res.jitter_ms[0] > res.jitter_ms[-1] * 5
