"""hhlib.studies.sensitivity: the scaling laws the maps and families must obey, and cache round trips."""
import numpy as np
import pytest

from conftest import CROSS_CPU_RTOL
from hhlib.studies import cache, sensitivity


@pytest.fixture(scope="module")
def small_maps():
    return sensitivity.threshold_maps(n_grid=7, n_trials=800, seed=1)


def test_x50_scales_as_inverse_stimulus_scale_and_rs_depends_on_area_only(small_maps):
    m = small_maps
    dv = m["delta_v"]
    ratio = m["x50"][:, 1:] / m["x50"][:, :-1]
    np.testing.assert_allclose(ratio, np.broadcast_to((1 + dv[:-1]) / (1 + dv[1:]), ratio.shape), rtol=1e-12)
    assert np.all(m["rs"] == m["rs"][:, :1])


def test_relative_spread_falls_as_inverse_sqrt_area(small_maps):
    m = small_maps
    quiet = m["fires_unstimulated"] == 0
    assert quiet.sum() >= 3
    slope = np.polyfit(np.log1p(m["delta_area"][quiet]), np.log(m["rs"][quiet, 0]), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.06)
    # tiny areas: the noise alone fires some trials
    assert m["fires_unstimulated"][0] > 0.1


def test_families_shift_with_delta_v_and_sharpen_along_the_valley():
    fam = sensitivity.firing_families(delta_v=(1.5, 2.5), delta_area=(1.0, 8.0), fixed_delta_v=1.9,
                                      fixed_delta_area=3.2, x=(0.6, 1.4, 21), n_trials=600, seed=0)
    assert np.all(fam["p_dv"][1] >= fam["p_dv"][0])               # CRN: more stimulus, more firing
    assert np.all(np.diff(fam["p_dv"], axis=1) >= -0.02)
    small, large = fam["p_da"]
    low_side = (small > 0.05) & (small < 0.4)
    high_side = (small > 0.6) & (small < 0.95)
    assert low_side.any() and high_side.any()
    assert np.all(large[low_side] < small[low_side]) and np.all(large[high_side] > small[high_side])  # steeper


def test_families_fixed_point_defaults_to_the_fit_optimum(monkeypatch):
    assert sensitivity.firing_families.cache_defaults["fixed_delta_v"] is None
    asked = []
    monkeypatch.setattr(sensitivity, "fit_optimum", lambda decimals: asked.append(decimals) or (1.9, 3.2))
    fam = sensitivity.firing_families(delta_v=(1.9,), delta_area=(3.2,), x=(0.9, 1.1, 3), n_trials=50, seed=0)
    assert asked == [2] and (float(fam["fixed_delta_v"]), float(fam["fixed_delta_area"])) == (1.9, 3.2)
    assert float(fam["valley_delta_v"][0]) == pytest.approx(1.9)     # the fixed point lies on its own valley
    fam = sensitivity.firing_families(delta_v=(1.9,), delta_area=(3.2,), fixed_delta_area=2.0, x=(0.9, 1.1, 3),
                                      n_trials=50, seed=0)
    assert (float(fam["fixed_delta_v"]), float(fam["fixed_delta_area"])) == (1.9, 2.0)


def test_latency_along_the_valley_obeys_the_noise_scaling():
    lc = sensitivity.latency_curves(delta_area=(1.5, 9.0), fixed_delta_v=1.96, fixed_delta_area=3.25,
                                    x=(0.8, 1.6, 17), n_trials=1000, seed=0)
    p, lat, jit = lc["p"], lc["latency_ms"], lc["jitter_ms"]
    assert lat.shape == jit.shape == p.shape == (2, 17)
    np.testing.assert_allclose((1 + lc["delta_v"]) / (1 + lc["delta_area"]), 2.96 / 4.25, rtol=1e-12)
    above = p > 0.5                                               # above threshold the latency falls with x
    assert all(np.all(np.diff(lat[i][above[i]]) < 0) for i in range(2))
    # far above threshold (p = 1) the spread of the spike time is noise-driven: jitter ∝ noise/drive ∝ A^-1/2
    # at fixed current density, so the ratio between the areas is sqrt(10/2.5) = 2
    top = 14                                                      # x = 1.5
    assert lc["x"][top] == pytest.approx(1.5) and np.all(p[:, top] == 1.0)
    assert jit[0, top] / jit[1, top] == pytest.approx(2.0, rel=0.12)
    # ... and the mean latency approaches the noise-free one, equal for both (same current density)
    assert abs(lat[0, top] - lat[1, top]) < 0.005
    # at equal firing probability, less noise (the larger area) means a longer latency (closer to threshold)
    assert sensitivity.at_probability(p[1], lat[1], 0.5) > sensitivity.at_probability(p[0], lat[0], 0.5) + 0.02
    assert np.isnan(lat[lc["n_fired"] < 20]).all()


def test_at_probability_interpolates_along_the_curve():
    p = np.array([0.0, 0.2, 0.6, 1.0])
    v = np.array([np.nan, 0.5, 0.3, 0.1])
    assert sensitivity.at_probability(p, v, 0.4) == pytest.approx(0.4)
    assert sensitivity.at_probability(p, v, 0.6) == pytest.approx(0.3)
    assert np.isnan(sensitivity.at_probability(p * 0.5, v, 0.9))
    assert np.isnan(sensitivity.at_probability(p + 0.1, v, 0.05))


def test_cached_round_trip_and_parameter_keys(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path)
    calls = []

    @cache.register("test_square", n=3)
    def square(n, progress=None):
        calls.append(n)
        return {"y": np.arange(n) ** 2}

    a = cache.cached(square, progress=False)
    b = cache.cached(square, progress=False)
    c = cache.cached(square, n=4, progress=False)
    np.testing.assert_array_equal(a["y"], b["y"])
    assert calls == [3, 4] and c["y"].tolist() == [0, 1, 4, 9]
    assert len(list(tmp_path.glob("test_square-*.npz"))) == 2
    cache._REGISTRY.pop("test_square")


@pytest.mark.slow
def test_shipped_sensitivity_caches_are_current(shipped_fit, monkeypatch):
    # the committed npz files must be what the builders compute now (centred on the session's shipped fit,
    # which is hhlib.fit(seed=0): the builders' default centre, without fitting a second time)
    from hhlib.studies import optimisation
    monkeypatch.setattr(optimisation, "_fit_optimum",
                        lambda seed: (shipped_fit.delta_v, shipped_fit.delta_area) if seed == 0 else None)
    for builder in (sensitivity.threshold_maps, sensitivity.firing_families, sensitivity.latency_curves):
        path = cache.cache_path(builder.cache_name, builder.cache_defaults)
        assert path.is_file(), f"missing cache {path.name}: run python -m hhlib.studies"
        stored = cache.cached(builder, progress=False)
        fresh = builder(**builder.cache_defaults)
        for k, v in fresh.items():
            np.testing.assert_allclose(stored[k], v, rtol=CROSS_CPU_RTOL, atol=0, err_msg=k)   # built on another CPU


def test_rebuild_all_recomputes_every_registered_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(cache, "BUILDER_MODULES", ())
    monkeypatch.setattr(cache, "_REGISTRY", {})
    calls = []

    @cache.register("test_a", n=2)
    def a(n, progress=None):
        calls.append("a")
        return {"y": np.ones(n)}

    cache.cached(a, progress=False)
    done = cache.rebuild_all(progress=False)
    assert [name for name, _ in done] == ["test_a"] and calls == ["a", "a"]


def test_every_builder_module_imports_and_registers():
    import importlib
    for mod in cache.BUILDER_MODULES:
        importlib.import_module(mod)
    names = set(cache._REGISTRY)
    assert {"sensitivity_maps", "sensitivity_families", "optimisation_local_fits", "optimisation_recovery",
            "landscape_surface_crn", "landscape_surface_fresh"} <= names
    for name, (_, defaults) in cache._REGISTRY.items():
        if name.startswith("test_"):
            continue
        assert cache.cache_path(name, defaults).is_file(), f"{name}: cache not committed (python -m hhlib.studies)"
