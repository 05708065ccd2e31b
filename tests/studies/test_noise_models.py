"""hhlib.studies.noise_models: channel-noise physics in small runs, and what the shipped caches say."""
import numpy as np
import pytest

import hhlib
from hhlib.studies import cache, noise_models


def test_channel_setup_is_the_librarys_channel_noise_setup():
    for method in ("markov", "diffusion"):
        s = noise_models.channel_setup(method)
        assert s == hhlib.channel_noise_setup(method)
        assert s.noise == hhlib.ChannelNoise(600.0, 180.0, method=method)
        # the same current density at every (delta_v, delta_area) as the predecessor's setup
        d = hhlib.DEFAULT_SETUP
        assert s.i_ref_uA / s.a_ref_cm2 == pytest.approx(d.i_ref_uA / d.a_ref_cm2, rel=1e-12)


def test_quantile_summary_describes_the_curve_above_the_spontaneous_floor():
    rng = np.random.default_rng(0)
    above = 2.0 * (1 + 0.1 * rng.standard_normal(4000))               # x50 = 2 µA, RS = 0.1 above the floor
    thr = np.concatenate([np.zeros(6000), above])
    x50, rs, p0, se = noise_models.quantile_summary(np.stack([thr, np.tile(above, 3)[:thr.size]]), np.array([2.0, 1.0]))
    assert p0.tolist() == [0.6, 0.0]
    np.testing.assert_allclose(x50, [1.0, 2.0], atol=4 * 0.1 * np.sqrt(np.pi / 2) / np.sqrt(4000) * 2)
    np.testing.assert_allclose(rs, 0.1, rtol=0.05)
    np.testing.assert_allclose(se, np.sqrt(np.pi / 2) * rs * x50 / np.sqrt([4000, 10000]))
    x50, rs, p0, se = noise_models.quantile_summary(np.r_[np.zeros(90), np.ones(19)], 1.0)   # 19 left: no curve
    assert np.isnan(x50) and np.isnan(rs) and p0 == pytest.approx(90 / 109)


@pytest.mark.slow
def test_small_scaling_run_obeys_the_channel_physics():
    s = noise_models.noise_scaling(n_na=(4000, 16000, 64000), n_trials=150, markov_n_na=(64000,), markov_trials=60,
                                   spont_n_na=(250, 16000), spont_trials=200, seed=2)
    assert s["zero_fraction"][0] > 0.05 and s["zero_fraction"][-1] == 0       # small membranes fire on their own
    assert s["rs"][2] < 0.7 * s["rs"][1]                                      # 4x the channels: RS / 2
    # standard error of a median of n thresholds with relative spread RS: sqrt(pi / 2) * RS / sqrt(n)
    se_d, se_m = (np.sqrt(np.pi / 2) * s[k][-1] / np.sqrt(n) for k, n in (("rs", 150), ("markov_rs", 60)))
    assert s["x50"][2] == pytest.approx(1.0, abs=4 * se_d)                    # -> the deterministic threshold
    assert s["markov_x50"][0] == pytest.approx(s["x50"][2], abs=4 * np.hypot(se_d, se_m))   # the methods agree
    assert s["spont_markov"][0] > 0.7 and s["spont_markov"][1] < 0.05
    assert s["spont_diffusion"][0] == pytest.approx(s["spont_markov"][0], abs=0.1)


def _shipped(builder):
    path = cache.cache_path(builder.cache_name, builder.cache_defaults)
    assert path.is_file(), f"missing cache {path.name}: run python -m hhlib.studies"
    return cache.cached(builder, progress=False)


def test_shipped_scaling_cache_shows_rs_falling_as_inverse_sqrt_n():
    s = _shipped(noise_models.noise_scaling)
    lo, hi = s["slope_ci"]
    assert float(s["slope"]) == pytest.approx(-0.5, abs=0.05) and lo < -0.5 < hi
    quiet = s["zero_fraction"] < 0.01
    assert s["n_na"][quiet].max() / s["n_na"][quiet].min() >= 16                  # over at least a 16x range
    assert np.all(np.diff(s["spont_markov"]) <= 0.02)                             # fewer channels, more firing
    big = s["n_na"] >= 16000
    assert np.all(np.abs(s["x50"][big] - 1) < 0.02)
    # above the spontaneous floor the diffusion approximation matches the Markov chain where p0 < 0.3 ...
    j = np.searchsorted(s["n_na"], s["markov_n_na"])
    assert np.array_equal(s["n_na"][j], s["markov_n_na"])
    z = (s["x50"][j] - s["markov_x50"]) / np.hypot(s["x50_se"][j], s["markov_x50_se"])
    ok = s["markov_zero_fraction"] < 0.3
    assert ok.sum() >= 3 and np.all(np.abs(z[ok]) < 3), z
    assert np.all(np.abs(s["rs"][j][ok] / s["markov_rs"][ok] - 1) < 0.1)
    assert np.all(np.abs(s["zero_fraction"][j] - s["markov_zero_fraction"]) < 0.03)   # ... and so do the floors


def test_shipped_dt_cache_converges_within_sampling_error():
    d = _shipped(noise_models.noise_dt)
    for method in ("markov", "diffusion"):
        p = d[f"p_{method}"]
        se = np.sqrt(np.maximum(p[-1] * (1 - p[-1]), 0.01) / noise_models.noise_dt.cache_defaults["n_trials"])
        i25 = int(np.flatnonzero(np.isclose(d["dts_ms"], 0.0025))[0])
        assert np.all(np.abs(p[i25] - p[-1]) < 4 * np.sqrt(2) * se), method   # the default 2.5 µs step


def test_shipped_fit_cache_both_noise_models_fit_the_data():
    f = _shipped(noise_models.noise_fits)
    assert bool(f["current_converged"]) and bool(f["channel_converged"])
    assert float(f["current_p_value"]) > 0.05 and float(f["channel_p_value"]) > 0.05
    # channel noise needs about a thousand times the current-noise fit's area
    assert f["channel_area_cm2"][0] > 100 * f["current_area_cm2"][0]
    lo, hi = f["channel_area_cm2"][1:]
    assert lo < f["channel_area_cm2"][0] < hi
    np.testing.assert_array_equal(f["channel_counts"][0], np.rint(600 * f["channel_area_cm2"] * 1e8))
    assert float(f["markov_p_value"]) > 0.01                                     # the Markov chain agrees
    assert f["curve_p"].shape == (3, f["curve_x"].size)


def test_fit_table_prints_each_fit_with_its_interval_and_the_implied_channels():
    fits = {"current_estimate": (1.9, 3.2), "current_ci": ((1.7, 2.2), (2.9, 3.7)),
            "current_area_cm2": np.array([2.5e-8, 1.8e-8, 4.0e-8]), "current_deviance": 5.44,
            "current_p_value": 0.79, "channel_estimate": (0.98, 1.83), "channel_ci": ((0.6, 1.44), (1.28, 2.5)),
            "channel_area_cm2": np.array([2.82e-6, 2.28e-6, 3.5e-6]), "channel_deviance": 7.47,
            "channel_p_value": 0.59, "channel_counts": np.array([[169473, 136800, 210000], [50842, 41040, 63000]])}
    lines = noise_models.fit_table(fits).splitlines()
    assert len(lines) == 4 and "deviance" in lines[0]
    cur = lines[1].split()
    assert cur[:4] == ["current", "noise", "1.900", "[1.700,"] and cur[-2:] == ["5.44", "0.79"]
    assert "282 [228, 350]" in lines[2] and lines[2].split()[-2:] == ["7.47", "0.59"]
    assert lines[3] == ("channel noise implies 169,473 Na channels [136,800, 210,000] "
                        "and 50,842 K channels [41,040, 63,000]")


def test_noise_fits_reports_progress_as_the_cache_calls_it_and_converts_areas(monkeypatch):
    """The builder's plumbing, with the two fits and the predictions replaced by fakes (the real ones take minutes)."""
    from types import SimpleNamespace
    calls = []

    def fake_fit(data=None, **kw):
        assert "progress" not in kw                         # hhlib.fit's progress takes messages, not (done, total)
        calls.append(kw.get("setup"))
        return SimpleNamespace(delta_v=1.0, delta_area=1.0, delta_v_ci=(0.5, 1.5), delta_area_ci=(0.5, 2.0),
                               deviance=5.0, p_value=0.8, converged=True, n_evaluations=12)

    monkeypatch.setattr(noise_models, "fit", fake_fit)
    monkeypatch.setattr(noise_models, "predict", lambda dv, da, x, **kw: np.full(np.shape(x), 0.5))
    seen = []
    out = noise_models.noise_fits(progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert calls[0] is None and calls[1] == noise_models.channel_setup("diffusion")
    # delta_area 1 on the 100 µm² reference: 200 µm², i.e. 120 000 Na and 36 000 K channels
    np.testing.assert_allclose(out["channel_area_cm2"] * 1e8, [200.0, 150.0, 300.0])
    assert out["channel_counts"][:, 0].tolist() == [120000, 36000]
    assert out["curve_p"].shape == (3, 33)
