"""hhlib.viz.sensitivity: families and maps are drawn from the arrays they are given, labelled, never shown."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import hhlib  # noqa: E402
from hhlib.viz import sensitivity as V  # noqa: E402


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plot helpers must not call plt.show()"))
    yield
    plt.close("all")


def test_family_draws_one_labelled_curve_per_value_over_the_data():
    x = np.linspace(0.6, 1.4, 5)
    p = np.array([np.clip(x - 0.5, 0, 1), np.clip(x - 0.4, 0, 1)])
    ax = V.plot_family(x, p, (1.5, 2.5), "delta_v", data=hhlib.load_data(), n_trials=100)
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert labels[:2] == ["delta_v = 1.50", "delta_v = 2.50"]
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), p[1])
    assert "100 trials" in ax.get_ylabel() and ax.get_xlabel() and ax.get_legend() is not None


def test_map_with_colour_bar_and_contour():
    g = np.expm1(np.linspace(np.log(0.1), np.log(10.0), 5))
    maps = dict(delta_v=g, delta_area=g, x50=np.outer(1 + g, 1 / (1 + g)))
    fig, ax = plt.subplots()
    assert V.plot_map(maps, "x50", ax, log=True, label="x50 (dimensionless)", data_value=1.0) is ax
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "x50 (dimensionless)"
    assert ax.get_xscale() == "log" and ax.get_xlabel() and ax.get_ylabel()


def test_latency_curves_and_latency_vs_probability_draw_what_they_are_given():
    x = np.linspace(0.8, 1.6, 5)
    lat = np.array([[np.nan, 0.40, 0.33, 0.25, 0.20], [0.45, 0.41, 0.34, 0.26, 0.21]])
    ax = V.plot_latency_curves(x, lat, (1.5, 9.0), "delta_area")
    assert [ln.get_label() for ln in ax.get_lines()] == ["delta_area = 1.50", "delta_area = 9.00"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), lat[0])
    assert "ms" in ax.get_ylabel() and ax.get_xlabel() == "normalised stimulus x"
    p = np.array([[0.0, 0.2, 0.6, 0.9, 1.0], [0.1, 0.3, 0.7, 0.95, 1.0]])
    jit = lat / 5
    left, right = V.plot_latency_vs_probability(p, lat, jit, (1.5, 9.0), "delta_area")
    np.testing.assert_array_equal(left.get_lines()[1].get_xdata(), p[1])
    np.testing.assert_array_equal(right.get_lines()[1].get_ydata(), jit[1])
    assert left.get_xlim() == (0, 1) and "jitter" in right.get_ylabel() and "latency" in left.get_ylabel()
