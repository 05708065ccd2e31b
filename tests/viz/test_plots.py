"""hhlib.viz.plots: take ax=None, return the axes, label them, draw only what they are given, never show."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import hhlib  # noqa: E402
from hhlib.studies import optimisation  # noqa: E402
from hhlib.viz import plots  # noqa: E402


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    def fail(*a, **k):
        raise AssertionError("plot helpers must not call plt.show()")
    monkeypatch.setattr(plt, "show", fail)
    yield
    plt.close("all")


def test_data_and_prediction_with_binomial_bands():
    data = hhlib.load_data()
    ax = plots.plot_data(data)
    assert ax.get_xlabel() and ax.get_ylabel()
    errbars = ax.containers[0]
    assert len(errbars.lines[2][0].get_segments()) == len(data)       # one error bar per level
    _, ax2 = plt.subplots()
    out = plots.plot_prediction(data.x, data.firing_probability, 1000, ax2, data=data)
    assert out is ax2 and ax2.get_legend() is not None
    band = ax2.collections[0].get_paths()[0].vertices[:, 1]
    lo, hi = hhlib.binomial_ci(data.n_fired, 1000)
    assert band.min() == pytest.approx(lo.min(), abs=1e-9) and band.max() == pytest.approx(hi.max(), abs=1e-9)


def test_trace_axes_have_units():
    ax = plots.plot_trace(np.arange(3) * 0.1, [0.0, 50.0, 0.0])
    assert "ms" in ax.get_xlabel() and "mV" in ax.get_ylabel()


def test_fit_plots_from_a_fit_result():
    r = hhlib.fit(method="predecessor", validation_n_trials=500)
    for helper in (plots.plot_residuals,):
        ax = helper(r)
        assert ax.get_xlabel() and ax.get_ylabel()
    data = r.data
    p = np.clip(r.validation_prediction, 1e-9, 1 - 1e-9)
    resid = (data.n_fired - data.n_trials * p) / np.sqrt(data.n_trials * p * (1 - p))
    np.testing.assert_allclose(plots.plot_residuals(r).lines[-1].get_ydata(), resid)


def test_plot_fit_draws_the_curve_it_is_given_and_simulates_nothing(shipped_fit, monkeypatch):
    curve = optimisation.fit_curve(shipped_fit, n_trials=300, n_points=7, seed=2)
    assert curve["x"].shape == curve["p"].shape == (7,) and curve["n_trials"] == 300
    lo, hi = shipped_fit.data.x.min(), shipped_fit.data.x.max()
    assert curve["x"][0] == pytest.approx(lo - 0.25 * (hi - lo))
    assert curve["x"][-1] == pytest.approx(hi + 0.25 * (hi - lo))
    np.testing.assert_array_equal(curve["p"], hhlib.predict(shipped_fit.delta_v, shipped_fit.delta_area, curve["x"],
                                                            n_trials=300, seed=2))

    def refuse(*a, **k):
        raise AssertionError("a plot helper simulated")
    monkeypatch.setattr(hhlib, "predict", refuse)
    monkeypatch.setattr(hhlib, "simulate", refuse)
    ax = plots.plot_fit(shipped_fit, curve)
    model = [ln for ln in ax.get_lines() if ln.get_label().startswith("fitted model")][0]
    np.testing.assert_array_equal(model.get_ydata(), curve["p"])
    assert "300 trials" in model.get_label() and ax.get_title().startswith("delta_v = ")


def test_profile_and_confidence_region(shipped_fit):
    ax = plots.plot_profile(shipped_fit)
    assert [ln.get_label() for ln in ax.get_lines()][0].startswith("profile")
    assert "parabola" not in [ln.get_label() for ln in ax.get_lines()]
    da, dev = optimisation.profile_parabola(shipped_fit, n_points=50)
    ax = plots.plot_profile(shipped_fit, parabola=(da, dev))
    line = [ln for ln in ax.get_lines() if ln.get_label() == "parabola"][0]
    np.testing.assert_array_equal(line.get_ydata(), dev)
    assert dev.min() == pytest.approx(shipped_fit.fit_deviance, abs=1.0)      # the parabola's floor is the fit's
    for coords in ("delta", "ratio"):
        ax = plots.plot_confidence_region(shipped_fit, coords=coords)
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None


def test_helpers_draw_on_given_axes():
    data = hhlib.load_data()
    fig, axes = plt.subplots(1, 2)
    assert plots.plot_data(data, axes[0]) is axes[0]
    assert plots.plot_trace([0.0, 0.1], [0.0, 1.0], axes[1]) is axes[1]
    assert len(fig.axes) == 2
