"""hhlib.viz.miller_fit: notebook 08's figures draw the cached fit they are given, on given axes, never shown."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from hhlib.studies import miller_fit as mf  # noqa: E402
from hhlib.viz import miller_fit as V  # noqa: E402


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plot helpers must not call plt.show()"))
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted():
    return mf.data(), mf.result(progress=False)


def test_curves_draw_data_and_model_with_its_offset(fitted):
    d, res = fitted
    _, axes = plt.subplots(1, 2)
    assert V.plot_curves(d, res, axes) is axes
    lat = axes[0].get_lines()
    np.testing.assert_array_equal(lat[0].get_ydata(), d["latency_ms"])
    np.testing.assert_allclose(lat[1].get_ydata(), res["model_latency_ms"] + res["offset_check_ms"], rtol=1e-12)
    np.testing.assert_array_equal(axes[1].get_lines()[1].get_ydata(), res["model_jitter_ms"])
    assert "0.276" in axes[0].get_legend().get_texts()[1].get_text()


def test_residuals_profiles_and_surface(fitted):
    d, res = fitted
    ax = V.plot_residuals(d, res)
    np.testing.assert_allclose(ax.get_lines()[2].get_ydata(), d["jitter_ms"] - res["model_jitter_ms"], rtol=1e-12)
    axes = V.plot_profiles(res)
    assert len(axes) == 2 and axes[0].get_lines()[1].get_ydata()[0] == pytest.approx(3.841, abs=1e-3)
    ax = V.plot_loss_surface(res)
    star = ax.get_lines()[-1]
    assert star.get_xdata()[0] == pytest.approx(float(res["r"])) and star.get_ydata()[0] == pytest.approx(
        float(res["w"]))


def test_the_monte_carlo_spread_is_drawn(fitted):
    _, res = fitted
    axes = V.plot_profiles(res)
    dotted = [ln.get_xdata()[0] for ln in axes[1].get_lines() if ln.get_linestyle() == ":"]
    np.testing.assert_allclose(dotted, res["r_interval_mc"], rtol=1e-12)
    ax = V.plot_loss_surface(res)
    crosses = [ln for ln in ax.get_lines() if ln.get_marker() == "x"][0]
    np.testing.assert_array_equal(crosses.get_xdata(), res["spread_r"][1:])
    np.testing.assert_array_equal(crosses.get_ydata(), res["spread_w"][1:])
