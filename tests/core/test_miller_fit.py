"""Observables at equal firing efficiency (hhlib.efficiency) and the Miller 1999 fit (hhlib.studies.miller_fit):
the FE matching, the stimulus scale dropping out, the exact offset profile, a synthetic recovery, bad input."""
import numpy as np
import pytest

import hhlib
from hhlib.efficiency import at_efficiency
from hhlib.studies import miller_fit as mf
from hhlib.thresholds import trial_thresholds

STIM = mf.STIMULUS


def test_levels_fire_at_the_requested_efficiency():
    eff = np.array([0.05, 0.3, 0.5, 0.8, 0.95])
    c = at_efficiency(hhlib.SEED_MODEL, 1e-9, eff, 800, stimulus=STIM, seed=3, t_end_ms=1.5)
    # the same trials simulated at the FE quantiles of their own thresholds fire in that fraction
    assert np.abs(c.realised - eff).max() <= 3 / 800
    assert np.all(np.diff(c.amplitude_uA) > 0) and np.all(np.diff(c.latency_ms) < 0)
    np.testing.assert_array_equal(c.n_fired, np.round(c.realised * 800).astype(int))
    # the levels are the quantiles of the thresholds: an independent threshold search agrees
    thr = np.sort(trial_thresholds(hhlib.SEED_MODEL, 1e-9, 800, stimulus=STIM, seed=3, t_end_ms=1.5))
    np.testing.assert_allclose(c.amplitude_uA[2], 0.5 * (thr[399] + thr[400]), rtol=1e-12)


def test_stimulus_scale_drops_out_at_equal_efficiency():
    eff = [0.1, 0.5, 0.9]
    a = mf.model_curve(0.0, 0.0, eff, 300, seed=2)
    b = mf.model_curve(0.0, 0.0, eff, 300, seed=2, stimulus=hhlib.Pulse(2.5, delay_ms=0.1, duration_ms=0.04))
    np.testing.assert_allclose(b.amplitude_uA * 2.5, a.amplitude_uA, rtol=1e-9)
    np.testing.assert_allclose(b.latency_ms, a.latency_ms, rtol=1e-9)
    np.testing.assert_allclose(b.jitter_ms, a.jitter_ms, rtol=1e-9)


def test_offset_is_profiled_exactly():
    d = mf.data()
    rng = np.random.default_rng(0)
    lat, jit = d["latency_ms"] - 0.3 + rng.normal(0, 0.01, 14), d["jitter_ms"] * 0.9
    p = mf.loss_parts(lat, jit, d)
    assert p["offset_ms"] == pytest.approx(np.mean(d["latency_ms"] - lat), rel=1e-12)
    # no other offset has a smaller latency residual sum of squares
    rss = [np.sum((d["latency_ms"] - lat - c) ** 2) for c in p["offset_ms"] + np.array([-1e-4, 0, 1e-4])]
    assert rss[1] < rss[0] and rss[1] < rss[2]
    assert p["D"] == pytest.approx(14 * np.log(p["sd_latency_ms"] ** 2) + 14 * np.log(p["sd_jitter_ms"] ** 2))
    assert p["sd_jitter_ms"] == pytest.approx(np.sqrt(np.mean((0.1 * d["jitter_ms"]) ** 2)), rel=1e-12)


def test_profile_fit_of_a_known_quadratic():
    w, r = np.linspace(-1, 1, 801), np.linspace(-2.5, 0.5, 801)
    W, R = np.meshgrid(w, r, indexing="ij")
    D = ((W - 0.2) / 0.25) ** 2 + ((R + 1.1) / 0.5) ** 2          # profile half-width: 1.96 sd
    pf = mf.profile_fit(w, r, D)
    assert pf["w"] == pytest.approx(0.2, abs=3e-3) and pf["r"] == pytest.approx(-1.1, abs=4e-3)
    np.testing.assert_allclose(pf["w_interval"], [0.2 - 1.96 * 0.25, 0.2 + 1.96 * 0.25], atol=3e-3)
    np.testing.assert_allclose(pf["r_interval"], [-1.1 - 1.96 * 0.5, -1.1 + 1.96 * 0.5], atol=4e-3)
    assert pf["w_determined"] and pf["r_determined"] and not pf["at_bound"]
    flat = mf.profile_fit(w, r, ((R + 1.1) / 0.5) ** 2 + 0.001 * W)     # w barely changes the loss
    assert not flat["w_determined"] and flat["r_determined"] and flat["at_bound"]


def test_offset_profile_is_exact():
    surf = dict(D=np.array([[2.0 * np.log(0.01) + 3.0]]), offset_ms=np.array([[0.3]]), var_latency=np.array([[0.01]]))
    prof = mf.offset_profile(surf, 2, [0.3, 0.4])
    np.testing.assert_allclose(prof, [0.0, 2 * np.log(0.02 / 0.01)], rtol=1e-12)


def test_synthetic_recovery():
    truth = dict(w=0.5, r=-0.5, offset_ms=0.3)
    d = mf.synthetic(truth["w"], truth["r"], truth["offset_ms"], 3000, seed=11)
    res = mf.fit(d, np.linspace(-0.5, 1.5, 5), np.linspace(-1.0, 0.0, 5), 500, seed=0, check_trials=100,
                 n_repeats=2)
    assert res["r_interval"][0] < truth["r"] < res["r_interval"][1]
    assert res["offset_interval"][0] < truth["offset_ms"] < res["offset_interval"][1]
    assert abs(float(res["r"]) - truth["r"]) < 0.1
    # the noise (log area) is not determined by these curves: its profile stays below 3.84 up to the grid's end
    lo, hi = res["w_interval"]
    assert lo < truth["w"] and np.isnan(hi) and not res["w_determined"]


def test_widened_intervals_add_the_monte_carlo_variance():
    from hhlib.fit import Z95
    z = Z95
    assert z == pytest.approx(np.sqrt(mf.CHI2_95), rel=1e-15)
    np.testing.assert_allclose(mf.widened(0.0, [-z, 2 * z], 1.0), [-np.sqrt(2) * z, np.sqrt(5) * z], rtol=1e-15)
    np.testing.assert_array_equal(mf.widened(0.3, [0.1, 0.4], 0.0), [0.1, 0.4])
    w = mf.widened(0.3, [np.nan, 0.4], 0.01)
    assert np.isnan(w[0]) and w[1] == pytest.approx(0.3 + np.sqrt(0.01 + z * z * 0.01), rel=1e-14)


def test_spread_repeats_the_whole_fit_in_other_realisations():
    """``n_spread``: the fit's own results are unchanged, each other estimate is the fit of its own realisation
    (the seeds of the D repeats), and the intervals are widened by the estimates' variance."""
    d = mf.synthetic(0.5, -0.5, 0.3, 1500, seed=11)
    grid = (np.linspace(-0.5, 1.5, 4), np.linspace(-1.0, 0.0, 4))
    seen = []
    res = mf.fit(d, *grid, 200, seed=0, check_trials=100, n_repeats=2, n_spread=2,
                 progress=lambda i, n: seen.append((i, n)))
    plain = mf.fit(d, *grid, 200, seed=0, check_trials=100, n_repeats=2)
    for key in ("w", "r", "offset_ms", "w_interval", "r_interval", "offset_interval", "D_fine", "D_repeats"):
        np.testing.assert_array_equal(res[key], plain[key])
    other = mf._fit_once(mf._check_data(d), *grid, 200, 1001)
    assert res["spread_w"][2] == other["pf"]["w"] and res["spread_r"][2] == other["pf"]["r"]
    assert res["spread_offset_ms"][2] == other["offset_ms"]
    assert res["spread_w"][0] == res["w"] and res["spread_offset_ms"][0] == res["offset_ms"]
    var = np.var(res["spread_offset_ms"], ddof=1)
    np.testing.assert_array_equal(res["offset_interval_mc"], mf.widened(res["offset_ms"], res["offset_interval"], var))
    lo, hi = res["offset_interval_mc"]
    assert lo <= res["offset_interval"][0] and hi >= res["offset_interval"][1]
    assert seen[-1] == (48, 48) and [i for i, _ in seen] == list(range(1, 49))
    assert any("with the Monte Carlo spread" in line for line in mf.summary_lines(res))
    with pytest.raises(ValueError, match="n_spread"):
        mf.fit(d, *grid, 200, n_spread=-1)


def test_bad_input():
    with pytest.raises(ValueError, match="efficiency must be a non-empty 1-D array of fractions in \\(0, 1\\)"):
        at_efficiency(hhlib.SEED_MODEL, 1e-9, [0.5, 1.0], 100)
    with pytest.raises(ValueError, match="n_trials"):
        at_efficiency(hhlib.SEED_MODEL, 1e-9, [0.5], 5)
    with pytest.raises(ValueError, match="area_cm2"):
        at_efficiency(hhlib.SEED_MODEL, -1e-9, [0.5], 100)
    with pytest.raises(ValueError, match=r"efficiency \[0\.01\] is out of reach of this model: .* fire without"):
        mf.model_curve(-3.0, 0.0, [0.01, 0.9], 200)      # 0.05 µm²: the noise alone fires many trials
    d = mf.data()
    with pytest.raises(ValueError, match=r"data\['firing_efficiency'\] and data\['latency_ms'\] must be 1-D"):
        mf.loss_parts(d["latency_ms"], d["jitter_ms"], dict(d, latency_ms=d["latency_ms"][:5]))
    with pytest.raises(TypeError, match="data must be a dict with keys"):
        mf.loss_parts(d["latency_ms"], d["jitter_ms"], [1, 2])
    with pytest.raises(ValueError, match="w_grid must be a 1-D increasing grid of at least 4 values"):
        mf.surface(d, {}, [0, 1, 2], [0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"D must have shape \(4, 4\)"):
        mf.profile_fit([0, 1, 2, 3], [0, 1, 2, 3], np.zeros((3, 4)))
