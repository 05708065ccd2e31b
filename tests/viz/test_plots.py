"""Plot helpers: take ax=None, return the axes, label them, never show."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import hhlib  # noqa: E402
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
    out = plots.plot_prediction(data.x, data.fraction, 1000, ax2, data=data)
    assert out is ax2 and ax2.get_legend() is not None
    band = ax2.collections[0].get_paths()[0].vertices[:, 1]
    lo, hi = hhlib.binomial_ci(data.n_fired, 1000)
    assert band.min() == pytest.approx(lo.min(), abs=1e-9) and band.max() == pytest.approx(hi.max(), abs=1e-9)


def test_trace_axes_have_units():
    ax = plots.plot_trace(np.arange(3) * 0.1, [0.0, 50.0, 0.0])
    assert "ms" in ax.get_xlabel() and "mV" in ax.get_ylabel()


def test_fit_plots_from_a_fit_result():
    r = hhlib.fit(method="seed", validation_runs=500)
    for helper in (plots.plot_residuals,):
        ax = helper(r)
        assert ax.get_xlabel() and ax.get_ylabel()
    data = r.data
    p = np.clip(r.validation_prediction, 1e-9, 1 - 1e-9)
    resid = (data.n_fired - data.n_trials * p) / np.sqrt(data.n_trials * p * (1 - p))
    np.testing.assert_allclose(plots.plot_residuals(r).lines[-1].get_ydata(), resid)
