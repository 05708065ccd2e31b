"""Loss landscapes (hhlib.studies.landscape, notebook 03): numbers behind the answers to the predecessor's questions.

Small grids and few runs here; the notebook's full-size surfaces come from data/cache. The fit's
optimum and intervals come from the ``shipped_fit`` fixture (``hhlib.fit()`` on the shipped data),
geometry checks use a synthetic centre.
"""
import math

import numpy as np
import pytest

import hhlib
from hhlib.studies import cache
from hhlib.studies import landscape as L

#: A centre for geometry checks (any point inside the box will do).
CENTRE = (1.5, 2.5)


@pytest.fixture(scope="module")
def opt(shipped_fit):
    """The fit's optimum (delta_v, delta_area) and its 95 % intervals."""
    r = shipped_fit
    return dict(dv=r.delta_v, da=r.delta_area, dv_ci=r.delta_v_ci, da_ci=r.delta_area_ci)


def _shipped(name):
    builder, defaults = cache._REGISTRY[name]
    if not cache.cache_path(name, defaults).is_file():
        pytest.skip("cache not built (python -m hhlib.studies)")
    return cache.cached(builder, progress=False)


@pytest.fixture(scope="module")
def small_crn():
    return L.surface_crn(n=9, runs=60, seed=3)


def test_grid_is_uniform_in_log_and_includes_the_box_edges_and_zero():
    g = L.grid_axis(41)
    assert g[0] == pytest.approx(-0.9) and g[-1] == pytest.approx(9.0)
    assert np.allclose(np.diff(np.log1p(g)), math.log(100) / 40)
    assert g[20] == pytest.approx(0.0, abs=1e-15)


def test_builders_are_registered_for_python_m_hhlib_studies():
    for name in ("landscape_surface_fresh", "landscape_surface_crn", "landscape_slices", "landscape_repeats",
                 "landscape_valley"):
        builder, defaults = cache._REGISTRY[name]
        assert builder.__module__ == "hhlib.studies.landscape" and defaults
    assert "hhlib.studies.landscape" in cache.BUILDER_MODULES


def test_centred_builders_default_to_the_fit_optimum_computed_by_the_builder(monkeypatch):
    # the cache key holds None, not numbers: no optimum is written into the code
    for name, key in (("landscape_slices", "centre"), ("landscape_valley", "centre"), ("landscape_repeats", "points")):
        assert cache._REGISTRY[name][1][key] is None
    calls = []
    monkeypatch.setattr(L, "fit_optimum", lambda: calls.append(1) or CENTRE)
    vz = L.valley(n_w=3, n_s=3, runs=20, seed=0)
    assert vz["centre"].tolist() == list(CENTRE) and calls
    rep = L.repeats(runs=(10,), n_repeats=(2,), seed=0)
    assert rep["points"].tolist() == [[0.0, 0.0], list(CENTRE)]


def test_crn_surface_is_hhlib_predict_with_one_seed_and_repeats_exactly(small_crn):
    g = small_crn["delta_v"]
    p = hhlib.predict(g[None, :], g[:, None], runs=60, seed=3)
    assert np.array_equal(small_crn["p"], p)
    again = L.surface_crn(n=9, runs=60, seed=3)
    for key in ("p", "mse", "deviance"):
        assert np.array_equal(again[key], small_crn[key])
    data = hhlib.load_data()
    assert small_crn["mse"][4, 6] == hhlib.mse_loss(p[4, 6], data)
    assert small_crn["deviance"][2, 3] == hhlib.deviance_loss(p[2, 3], data, n_model_trials=60)


def test_fresh_noise_is_reproducible_independent_of_chunking_and_differs_between_points(monkeypatch, opt):
    a = L.surface_fresh(n=5, runs=10, seed=1)
    monkeypatch.setattr(L, "_MAX_TRIALS_PER_CALL", 300)           # many more, smaller chunks
    b = L.surface_fresh(n=5, runs=10, seed=1)
    assert np.array_equal(a["p"], b["p"])
    # the same parameters at 200 points: every point its own noise, so the fractions differ
    p = L.fractions(np.full(200, opt["dv"]), opt["da"], runs=10, seed=1, fresh=True)
    assert len({row.tobytes() for row in p}) > 150
    q = L.fractions(np.full(200, opt["dv"]), opt["da"], runs=10, seed=1)  # CRN: all identical
    assert len({row.tobytes() for row in q}) == 1


def test_plateaus_are_exactly_flat_under_crn(small_crn):
    flat = L.plateau_mask(small_crn["p"])
    assert 0.3 < flat.mean() < 0.95                                # most of the box
    all0, all1 = L.plateau_levels()
    values = np.unique(small_crn["mse"][flat])
    assert set(values) <= {all0, all1}                             # exactly two values: zero gradient
    assert not np.isin(small_crn["mse"][~flat], [all0, all1]).all()


def test_the_predecessors_finite_difference_step_gives_exactly_zero_under_crn_and_noise_without():
    rep = L.repeats(points=((0.0, 0.0),), runs=(10, 200), n_repeats=(60, 2), seed=2)
    assert np.ptp(rep["fd_mse"]) == 0.0                           # (0,0), +1e-8 in dv, +1e-8 in da: same loss
    noise_gradient = rep["mse_10"].std(ddof=1) / rep["fd_step"]
    assert noise_gradient > 1e5                                    # what a fresh-noise difference / 1e-8 gives


def test_predecessor_method_first_gradient_is_sampling_noise_over_1e_minus_8():
    res = hhlib.fit(method="seed")
    g = L.predecessor_first_gradients(res.history)
    assert np.all(np.abs(g) > 1e5)
    assert not res.converged


@pytest.fixture(scope="module")
def valley(opt):
    """CRN losses (1000 runs) along and across the valley through the fit's optimum."""
    u0, w0 = math.log1p(opt["dv"]), math.log1p(opt["da"])
    t_along = np.linspace(-0.2, 0.2, 9)
    t_across = np.linspace(-0.02, 0.02, 9)
    dv = np.expm1(np.r_[u0 + t_along, u0 + t_across])
    da = np.expm1(np.r_[w0 + t_along, w0 - t_across])
    mse, dev = L.losses(L.fractions(dv, da, runs=1000, seed=0), 1000)
    return dict(t_along=t_along, t_across=t_across, mse_along=mse[:9], mse_across=mse[9:], dev_along=dev[:9],
                dev_across=dev[9:], centre=(opt["dv"], opt["da"]))


def test_crn_minimum_is_at_the_fit_optimum(valley, opt):
    # across: at the valley floor to within one step (0.005 log units, ~ the fit's s error)
    assert abs(valley["t_across"][np.argmin(valley["dev_across"])]) <= 0.005
    # along: within the fit's 95 % interval of log area
    w_best = math.log1p(opt["da"]) + valley["t_along"][np.argmin(valley["dev_along"])]
    assert math.log1p(opt["da_ci"][0]) <= w_best <= math.log1p(opt["da_ci"][1])
    assert valley["dev_along"].min() < 3 * 9                       # a good fit: ~ chi-square(9)


def test_deviance_varies_far_less_along_the_valley_than_across_it(valley):
    along = np.ptp(valley["dev_along"])                            # over +-0.2 log units
    across = np.ptp(valley["dev_across"])                          # over +-0.02: ten times shorter
    assert across > 20 * along


def test_ten_run_noise_is_as_large_as_the_losss_differences_across_the_grid(valley):
    rep = L.repeats(points=(valley["centre"],), runs=(10,), n_repeats=(80,), seed=4)
    std = rep["mse_10"].std(ddof=1)
    spacing = math.log(100) / 40                                   # one step of the notebook's 41-point grid
    near = np.abs(valley["t_along"]) <= spacing
    assert std > 5 * np.ptp(valley["mse_along"][near])            # noise >> signal along the valley
    # across the valley: the spread of one point's 10-run MSE exceeds the change over 0.01 log units
    k = np.searchsorted(valley["t_across"], [0.0, 0.01])
    assert np.ptp(rep["mse_10"]) > abs(np.diff(valley["mse_across"][k])[0])
    assert np.ptp(rep["mse_10"]) > np.ptp(valley["mse_along"])


def test_shipped_ten_run_spread_exceeds_typical_neighbour_differences_of_the_grid():
    crn, rep = _shipped("landscape_surface_crn"), _shipped("landscape_repeats")
    ns = L.noise_and_signal(rep, crn, "mse", runs=10)
    assert np.all(np.ptp(ns["range"], axis=1) > ns["neighbour_diff"])
    assert np.all(ns["std"] > 0.2 * ns["neighbour_diff"])


def test_slices_share_points_with_the_surface_and_with_each_other():
    sl = L.slices(n=5, runs=30, fresh_runs=10, seed=0, centre=CENTRE, across_halfwidth=0.2, zoom_halfwidth=0.01)
    surf = L.surface_crn(n=5, runs=30, seed=0)
    a0 = L.slice_of(sl, "dv_at_a0")
    assert np.array_equal(a0["p_crn"], surf["p"][2])               # delta_area = 0 is the middle row
    assert np.all(a0["delta_area"] == 0.0)
    across, zoom = L.slice_of(sl, "across"), L.slice_of(sl, "across_zoom")
    assert np.array_equal(across["p_crn"][2], zoom["p_crn"][2])    # both contain the centre
    ratio = (1 + L.slice_of(sl, "along")["delta_v"]) / (1 + L.slice_of(sl, "along")["delta_area"])
    assert np.allclose(ratio, (1 + CENTRE[0]) / (1 + CENTRE[1]))
    along, across_range = L.valley_variation(sl)
    assert along >= 0 and across_range >= 0
    s = L.slice_of(sl, "dv_at_opt")
    assert s["name"] == "dv_at_opt" and (s["runs"], s["fresh_runs"]) == (30, 10)
    assert np.all(s["delta_area"] == CENTRE[1]) and np.array_equal(s["plateau"], L.plateau_mask(s["p_crn"]))
    with pytest.raises(ValueError, match="dv_at_a0"):
        L.slice_of(sl, "diagonal")


def test_shipped_crn_surface_minimum_lies_in_the_valley_next_to_the_fit_optimum(opt):
    surf = _shipped("landscape_surface_crn")
    h = math.log(100) / (surf["delta_v"].size - 1)
    u, w = (math.log1p(v) for v in L.grid_minimum(surf, "deviance")[:2])
    s_star = math.log1p(opt["dv"]) - math.log1p(opt["da"])
    assert abs((u - w) - s_star) <= h / 2                          # the grid diagonal nearest the valley floor
    assert abs(w - math.log1p(opt["da"])) <= 2 * h                 # and near the optimum along it


def test_shipped_valley_zoom_minimum_is_inside_the_fit_intervals(opt):
    vz = _shipped("landscape_valley")
    i, j = np.unravel_index(np.argmin(vz["deviance"]), vz["deviance"].shape)
    assert opt["dv_ci"][0] <= vz["delta_v"][i, j] <= opt["dv_ci"][1]
    assert opt["da_ci"][0] <= vz["delta_area"][i, j] <= opt["da_ci"][1]
    assert vz["deviance"][i, j] < 3 * 9


def test_notebook_03_is_executed_without_errors_and_small():
    import nbformat
    path = cache.CACHE_DIR.parents[1] / "notebooks" / "03_loss_landscape.ipynb"
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert path.stat().st_size < 2e6
    for f in cache.CACHE_DIR.glob("landscape_*.npz"):
        assert f.stat().st_size < 2e6


def test_shipped_centred_caches_are_centred_on_the_fit_optimum(opt):
    # the builders' centre (fit_optimum(): the fit rounded to 3 decimals) is the fit's optimum
    for name in ("landscape_slices", "landscape_valley"):
        assert np.allclose(_shipped(name)["centre"], (opt["dv"], opt["da"]), atol=5e-4), name
    assert np.allclose(_shipped("landscape_repeats")["points"][1], (opt["dv"], opt["da"]), atol=5e-4)
