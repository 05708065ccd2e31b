"""hhlib.viz.model_check: notebook 01's figures are labelled with units, drawn on given axes, never shown."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import hhlib  # noqa: E402
from hhlib.studies import model_check as mc  # noqa: E402
from hhlib.viz import model_check as V  # noqa: E402

SEED_AREA_CM2 = 1e-9          # cm², SEED_MODEL's reference area


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plot helpers must not call plt.show()"))
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def ap():
    return mc.ap_check(hhlib.SEED_MODEL, SEED_AREA_CM2, 1.5)


def _assert_labelled(ax, xlabel=True):
    """Axis labels with units in parentheses, and a legend; ``xlabel=False`` for the upper axes of a stack."""
    assert "(" in ax.get_ylabel()
    if xlabel:
        assert "(" in ax.get_xlabel()
    assert ax.get_legend() is not None


def _assert_stack_labelled(axes):
    assert len(axes) == 2 and axes[0].get_shared_x_axes().joined(axes[0], axes[1])
    _assert_labelled(axes[0], xlabel=False)
    _assert_labelled(axes[1])


def test_plot_helpers_return_labelled_axes(ap):
    axes = V.plot_ap_and_gates(ap)
    _assert_stack_labelled(axes)
    assert [ln.get_label() for ln in axes[1].get_lines()] == ["m", "h", "n"]
    _assert_stack_labelled(V.plot_reference_overlay(ap))
    ax = V.plot_threshold_convergence([2.5, 1.25], [2.4e-4, 6e-5], order=2.0)
    _assert_labelled(ax)
    assert "observed order 2.00" in ax.get_lines()[1].get_label()
    assert "observed order" not in V.plot_threshold_convergence([2.5, 1.25], [2.4e-4, 6e-5]).get_lines()[1].get_label()
    _assert_labelled(V.plot_resting_noise_vs_dt([2.5, 1.25, 0.625], [0.97, 0.68, 0.46], [0.97, 0.98, 0.97]))
    res = mc.noisy_run(hhlib.SEED_MODEL, SEED_AREA_CM2, 1.0, 4, seed=1)
    ax = V.plot_noisy_traces(res, title="t")
    _assert_labelled(ax)
    assert len(ax.get_lines()) == 4 + 2                                   # 4 trials + 2 legend proxies
    tr = mc.predecessor_simulation(hhlib.SEED_MODEL, 1e-7, SEED_AREA_CM2, noise=False)
    axes = V.plot_frozen_gates(tr, ap.result)
    assert axes[0].get_legend() is not None and "(" in axes[0].get_ylabel()
    assert axes[1].get_ylabel() == "Na activation m" and "(" in axes[1].get_xlabel()
    _assert_labelled(V.plot_pulse_steps(mc.pulse_steps()))


def test_pulse_steps_draws_the_steps_it_is_given():
    steps = dict(t_ms=np.arange(5) * 0.1, predecessor_on=np.array([0.0, 1, 1, 0]), hhlib_on=np.array([0.0, 1, 0, 0]))
    ax = V.plot_pulse_steps(steps, t_lim_ms=(0.0, 0.4))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["predecessor: 2 steps", "hhlib: 1 steps"]


def test_plot_helpers_draw_on_given_axes(ap):
    fig, axes = plt.subplots(2, 2)
    assert V.plot_ap_and_gates(ap, axes[:, 0]) is not None
    assert V.plot_pulse_steps(mc.pulse_steps(), ax=axes[0, 1]) is axes[0, 1]
    assert len(fig.axes) == 4
