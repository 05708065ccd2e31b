"""hhlib.viz.landscape: surfaces, paths, slices, the valley zoom and repeats are drawn, labelled, never shown."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from hhlib.studies import landscape as L  # noqa: E402
from hhlib.viz import landscape as V  # noqa: E402

CENTRE = (1.5, 2.5)           # a synthetic centre: drawing does not need the fit
HISTORY = [dict(delta_v=0.0, delta_area=0.0), dict(delta_v=1.0, delta_area=2.0), dict(delta_v=2.0, delta_area=3.0)]


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plot helpers must not call plt.show()"))
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def small_crn():
    return L.surface_crn(n=9, runs=60, seed=3)


def _labelled(ax):
    return bool(ax.get_xlabel()) and bool(ax.get_ylabel())


@pytest.mark.parametrize("coords", V.COORDS)
def test_surface_and_path_in_either_coordinates(small_crn, coords):
    ax = V.plot_surface(small_crn, "mse", coords=coords, optimum=CENTRE)
    assert _labelled(ax) and len(ax.figure.axes) == 2           # the colour bar
    assert "MSE" in ax.figure.axes[1].get_ylabel()
    assert not hasattr(ax, "_hhlib_coords")                      # no state stored on the axes
    assert V.plot_path(HISTORY, ax, coords=coords, label="test path") is ax
    line = [ln for ln in ax.get_lines() if ln.get_label().startswith("test path (")][0]
    x = np.asarray(line.get_xdata())
    assert np.allclose(x, [0, 1, 2] if coords == "delta" else np.log1p([0, 1, 2]))
    assert ax.get_legend() is not None and _labelled(ax)


def test_unknown_coordinates_are_refused(small_crn):
    with pytest.raises(ValueError, match="coords"):
        V.plot_surface(small_crn, "mse", coords="polar")
    with pytest.raises(ValueError, match="coords"):
        V.plot_path(HISTORY, coords="polar")


def test_path_on_its_own_axes_and_from_a_fit_result():
    class Result:
        history = HISTORY
    assert _labelled(V.plot_path(HISTORY))
    ax = V.plot_path(Result(), coords="uw")
    assert np.allclose(ax.get_lines()[0].get_xdata(), np.log1p([0, 1, 2])) and _labelled(ax)


def test_slices_valley_and_repeats():
    sl = L.slices(n=5, runs=20, fresh_runs=5, seed=0, centre=CENTRE)
    for name in L.SLICE_NAMES:
        s = L.slice_of(sl, name)
        ax = V.plot_slice(s, "deviance")
        assert _labelled(ax) and ax.get_legend() is not None
        ticks = [ln for ln in ax.get_lines() if ln.get_label().startswith("plateau")][0]
        assert len(ticks.get_xdata()) == int(s["plateau"].sum())
    vz = L.valley(n_w=3, n_s=5, runs=20, seed=0, centre=CENTRE)
    ax = V.plot_valley(vz, "mse", title="zoom")
    assert _labelled(ax) and len(ax.figure.axes) == 2 and ax.get_title() == "zoom"
    rep = L.repeats(points=((0.0, 0.0),), runs=(10,), n_repeats=(20,), seed=0)
    ax = V.plot_repeats(rep, labels=["origin"])
    assert _labelled(ax) and "origin: 20 repeats" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_helpers_draw_on_given_axes(small_crn):
    fig, axes = plt.subplots(1, 2)
    assert V.plot_surface(small_crn, "deviance", axes[0]) is axes[0]
    rep = L.repeats(points=((0.0, 0.0),), runs=(10,), n_repeats=(5,), seed=0)
    assert V.plot_repeats(rep, ax=axes[1]) is axes[1]
