"""The slider explorer (hhlib.viz.explorer), driven without a kernel: numbers change as physics says."""
import numpy as np
import pytest

import hhlib


@pytest.fixture(scope="module")
def floor(shipped_fit):
    """A point on the valley floor: the fit's optimum on the shipped data, at the sliders' 0.01 resolution."""
    return round(shipped_fit.delta_v, 2), round(shipped_fit.delta_area, 2)


@pytest.fixture(scope="module")
def explorer(floor):
    return hhlib.explore(center=floor, n_trials=1000)


def test_explore_and_explorer_are_the_viz_explorers():
    from hhlib.viz import explorer as module
    assert hhlib.explore is module.explore and hhlib.Explorer is module.Explorer
    assert {"explore", "Explorer"} <= set(dir(hhlib))
    with pytest.raises(AttributeError, match="no attribute 'plots'"):
        _ = hhlib.plots


def test_sliders_span_the_predecessors_box_and_runs_are_selectable(explorer):
    for s in (explorer.delta_v, explorer.delta_area):
        assert (s.min, s.max) == (-0.9, 9.0)
    assert set(explorer.n_trials.options) >= {10, 100, 1000}
    assert explorer.last["p_data"].shape == (11,) and explorer.last["p_curve"].shape == explorer.x_curve.shape


def test_raising_delta_v_at_fixed_area_raises_the_firing_probability(explorer, floor):
    explorer.delta_v.value, explorer.delta_area.value = floor
    before = explorer.last
    explorer.delta_v.value = 2.3
    after = explorer.last
    assert after["delta_v"] == 2.3
    assert np.all(after["p_data"] >= before["p_data"]) and after["p_data"].mean() > before["p_data"].mean() + 0.1
    assert after["x50"] < before["x50"]
    assert explorer.text() != explorer.text(before)


def test_x50_and_rs_are_reported_also_off_the_plotted_range(explorer):
    explorer.delta_v.value, explorer.delta_area.value = 0.0, 0.0       # the predecessor's start: curve is 1 everywhere
    at_origin = explorer.last
    assert np.all(at_origin["p_curve"] > 0.9)                          # the 50 % point is far to the left
    assert "left of the plotted" in explorer.text() and "nan" not in explorer.text()
    assert 0.6 < at_origin["x50"] < explorer.x_curve[0] and 0.12 < at_origin["rs"] < 0.22   # RS ~0.17 at 0.1 µm²
    explorer.delta_v.value = 9.0                                         # 10x the stimulus scale: x50 / 10
    assert explorer.last["x50"] == pytest.approx(at_origin["x50"] / 10, rel=1e-12)
    assert explorer.last["rs"] == at_origin["rs"]                        # RS does not depend on delta_v
    explorer.delta_v.value = -0.9
    assert "right of the plotted" in explorer.text()
    assert explorer.last["x50"] == pytest.approx(at_origin["x50"] * 10, rel=1e-12)


def test_raising_both_along_the_valley_keeps_x50_and_narrows_the_curve(explorer, floor):
    ratio = (1 + floor[0]) / (1 + floor[1])
    curves = []
    for da in (1.0, 8.0):
        explorer.delta_area.value = da
        explorer.delta_v.value = round(ratio * (1 + da) - 1, 2)
        r = explorer.last
        k = np.round(r["p_curve"] * r["n_trials"]).astype(int)
        use = (k > 0) & (k < r["n_trials"])
        curves.append(hhlib.probit_fit(explorer.x_curve[use], k[use], r["n_trials"]))
    small, large = curves
    assert large.x50 == pytest.approx(small.x50, rel=0.02)
    assert large.rs < 0.6 * small.rs                       # RS ∝ A^-1/2: 9/2 = 4.5x the area


def test_the_printed_line_depends_on_every_control(explorer, floor):
    (explorer.delta_v.value, explorer.delta_area.value), explorer.n_trials.value = floor, 1000
    base = explorer.text()
    explorer.n_trials.value = 100
    assert explorer.text() != base and "trials = 100" in explorer.text()
    explorer.n_trials.value = 1000
    explorer.delta_area.value = floor[1] + 0.25
    assert explorer.text() != base and f"delta_area = {floor[1] + 0.25:.2f}" in explorer.text()
    explorer.delta_area.value = floor[1]
    assert explorer.text() == base                          # common random numbers: same noise again


def test_loss_numbers_match_the_library(explorer, floor):
    r = explorer.compute(*floor, 1000)
    data = hhlib.load_data()
    x_all = np.concatenate([data.x, explorer.x_curve])
    p = hhlib.predict(*floor, x_all, n_trials=1000, seed=0)[: data.x.size]
    assert r["mse"] == pytest.approx(hhlib.mse_loss(p, data))
    assert r["deviance"] == pytest.approx(hhlib.deviance_loss(p, data, n_model_trials=1000))
    assert r["deviance"] < 40 and r["mse"] < 1e-3


def test_center_on_a_fit_result_and_figure_axes():
    class Result:
        delta_v, delta_area = 1.9, 3.2
    ex = hhlib.explore(center=Result(), n_trials=100)
    assert (ex.delta_v.value, ex.delta_area.value) == (1.9, 3.2)
    fig = ex.figure()
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None
