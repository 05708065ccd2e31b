"""hhlib.viz.node_models: notebook 06's figures draw what they are given (one line per model, the published data
as points), on given axes, labelled with units, never shown."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from hhlib import published  # noqa: E402
from hhlib.studies import node_models as nm  # noqa: E402
from hhlib.viz import node_models as V  # noqa: E402


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plot helpers must not call plt.show()"))
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def results():
    r = nm.batteries()
    return {k: r[k] for k in ("SEED_MODEL", "FH1964", "NEGM_BRUCE2014")}


def _labels(ax):
    return [line.get_label() for line in ax.get_lines()]


def test_action_potentials_one_line_per_model_on_the_given_axes(results):
    traces = {"t_ms": np.linspace(0, 1, 5), "A": np.zeros(5), "B": np.arange(5.0)}
    _, ax = plt.subplots()
    assert V.plot_action_potentials(traces, ax) is ax
    assert _labels(ax) == ["A", "B"] and "(mV)" in ax.get_ylabel() and "(ms)" in ax.get_xlabel()
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), np.arange(5.0))


def test_strength_duration_is_normalised_to_rheobase_with_chronaxie_dots(results):
    ax = V.plot_strength_duration(results)
    seed = results["SEED_MODEL"]
    curve = ax.get_lines()[0]
    sd = seed.curve("strength_duration")
    np.testing.assert_allclose(curve.get_ydata(), sd["threshold_uA"] / seed.value("rheobase_uA"))
    dot = ax.get_lines()[1]
    assert dot.get_xdata()[0] == seed.value("chronaxie_ms") and dot.get_ydata()[0] == 2.0
    assert ax.get_xscale() == "log" and "(ms)" in ax.get_xlabel()


def test_recovery_and_facilitation_in_decibels_with_dynes_points(results):
    dynes = published.dynes1996()
    ax = V.plot_recovery(results, dynes)
    seed = results["SEED_MODEL"].curve("recovery")
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), 20 * np.log10(seed["ratio"]))
    assert sum("Dynes" in lab for lab in _labels(ax)) == 1
    ax2 = V.plot_facilitation(results, dynes)
    data = next(line for line in ax2.get_lines() if "Dynes" in line.get_label())
    assert len(data.get_xdata()) == int(np.sum((dynes["figure"] == "3.3") & np.isclose(dynes["masker_dB"], -0.9)))
    assert "(dB" in ax2.get_ylabel()


def test_latency_efficiency_two_panels_with_miller(results):
    axes = V.plot_latency_efficiency(results, published.miller1999())
    assert len(axes) == 2
    assert _labels(axes[0])[-1] == "Miller 1999, cat" and len(axes[0].get_lines()) == len(results) + 1
    lat = results["FH1964"].curve("latency")
    np.testing.assert_allclose(axes[1].get_lines()[1].get_ydata(), lat["jitter_ms"])
