"""The slider explorer: delta-v, delta-area and the number of trials, model curve over the data.

``hhlib.explore()`` in a notebook shows two sliders over the predecessor's box (-0.9 to 9), a trials
selector, the model's firing-probability curve with its binomial band over the data (with
binomial error bars) and the MSE and deviance of the model at the data's stimulus levels. All
predictions of one explorer share one noise realisation (common random numbers), so moving a
slider changes the curve only through the physics.
"""
from __future__ import annotations

import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from hhlib.data import FiringData, load_data
from hhlib.fit import BOX
from hhlib.normalised import DEFAULT_SETUP, NormalisedSetup, check_deltas, deviance_loss, mse_loss, predict
from hhlib.thresholds import trial_thresholds
from hhlib.validation import check_instance, check_int, renamed

from .plots import plot_prediction

__all__ = ["Explorer", "explore"]


class Explorer:
    """Interactive model-vs-data view; build with :func:`explore`.

    Attributes
    ----------
    delta_v, delta_area : ipywidgets.FloatSlider
    n_trials : ipywidgets.Dropdown
    output : ipywidgets.Output
        Where the figure and the numbers are drawn.
    last : dict
        Numbers of the last redraw: ``delta_v, delta_area, n_trials, mse, deviance, p_data`` (model
        probabilities at the data's x), ``x50`` and ``rs`` (the model's 50 % point and relative spread, from
        per-trial thresholds, wherever they lie), ``seconds``.
    widget : ipywidgets.VBox
    """

    def __init__(self, data: FiringData | None = None, *, delta_v: float = 0.0, delta_area: float = 0.0,
                 n_trials: int | None = None, n_trials_options=(10, 100, 1000, 10000), seed: int = 0,
                 setup: NormalisedSetup = DEFAULT_SETUP, n_curve: int = 31, runs: int | None = None):
        self.data = load_data() if data is None else check_instance("data", data, FiringData)
        n_trials, name = renamed("runs", runs, "n_trials", n_trials, 1000)
        n_trials = check_int(name, n_trials, minimum=1)
        n_trials_options = [check_int("n_trials_options", r, minimum=1) for r in n_trials_options]
        check_int("n_curve", n_curve, minimum=2)
        self.setup = check_instance("setup", setup, NormalisedSetup)
        self.seed = seed
        lo, hi = float(self.data.x.min()), float(self.data.x.max())
        pad = 0.25 * (hi - lo)
        self.x_curve = np.linspace(lo - pad, hi + pad, n_curve)
        opts = dict(min=BOX[0], max=BOX[1], step=0.01, continuous_update=False, readout_format=".2f",
                    style={"description_width": "initial"}, layout=widgets.Layout(width="420px"))
        self.delta_v = widgets.FloatSlider(value=delta_v, description="delta-v", **opts)
        self.delta_area = widgets.FloatSlider(value=delta_area, description="delta-area", **opts)
        options = sorted(set(n_trials_options) | {n_trials})
        self.n_trials = widgets.Dropdown(options=options, value=n_trials, description="trials")
        self.output = widgets.Output()
        self.last: dict = {}
        self._thresholds: dict = {}
        for w in (self.delta_v, self.delta_area, self.n_trials):
            w.observe(lambda change: self.update(), names="value")
        self.widget = widgets.VBox([widgets.HBox([self.delta_v, self.delta_area]), self.n_trials, self.output])
        self.update()

    def compute(self, delta_v=None, delta_area=None, n_trials=None) -> dict:
        """Predict at the curve's and the data's stimulus levels (one batch) and score the data.

        Arguments default to the controls' values; passing them leaves the controls untouched.
        """
        t0 = time.perf_counter()
        dv = float(self.delta_v.value if delta_v is None else delta_v)
        da = float(self.delta_area.value if delta_area is None else delta_area)
        n_trials = int(self.n_trials.value if n_trials is None else n_trials)
        x_all = np.concatenate([self.data.x, self.x_curve])
        p = predict(dv, da, x_all, n_trials=n_trials, seed=self.seed, setup=self.setup)
        p_data, p_curve = p[: self.data.x.size], p[self.data.x.size:]
        x50, rs = self.threshold_summary(dv, da, n_trials)
        return dict(delta_v=dv, delta_area=da, n_trials=n_trials, p_data=p_data, p_curve=p_curve, x50=x50, rs=rs,
                    mse=mse_loss(p_data, self.data), deviance=deviance_loss(p_data, self.data, n_model_trials=n_trials),
                    seconds=time.perf_counter() - t0)

    def threshold_summary(self, delta_v: float, delta_area: float, n_trials: int):
        """The model's x50 and relative spread RS, wherever they are (also off the plotted range).

        From ``n_trials`` per-trial thresholds at the area (:func:`hhlib.thresholds.trial_thresholds`, computed
        once per area and cached): x50 is their median over ``I_ref (1 + delta_v)``, RS half the 15.9-84.1 %
        quantile range over the median. x50 is 0 if most trials fire without a stimulus, inf if most do not
        fire within the search range.
        """
        key = (float(delta_area), int(n_trials))
        if key not in self._thresholds:
            s = self.setup
            self._thresholds[key] = np.sort(trial_thresholds(
                s.model, s.area_cm2(delta_area), n_trials, seed=self.seed, delay_ms=s.delay_ms,
                duration_ms=s.duration_ms, dt_ms=s.dt_ms, t_end_ms=s.t_end_ms))
        q16, q50, q84 = np.quantile(self._thresholds[key], [0.15865525, 0.5, 0.84134475])
        x50 = float(q50 / (self.setup.i_ref_uA * (1.0 + delta_v)))
        rs = float((q84 - q16) / (2.0 * q50)) if 0 < q50 < np.inf else float("nan")
        return x50, rs

    def x50_text(self, r: dict) -> str:
        """Where the model's x50 lies, in words when it is off the plotted range."""
        x50, lo, hi = r["x50"], self.x_curve[0], self.x_curve[-1]
        if x50 == 0:
            return "x50 = 0 (most trials fire without any stimulus)"
        if not np.isfinite(x50):
            return "x50 beyond the threshold search (most trials do not fire)"
        where = "" if lo <= x50 <= hi else f" ({'left' if x50 < lo else 'right'} of the plotted {lo:.2f}-{hi:.2f})"
        return f"x50 = {x50:.3f}{where}, RS = {r['rs']:.3f}"

    def text(self, r: dict | None = None) -> str:
        """The printed summary line: depends on every control."""
        r = self.last if r is None else r
        return (f"delta_v = {r['delta_v']:.2f}, delta_area = {r['delta_area']:.2f}, trials = {r['n_trials']}: "
                f"MSE = {r['mse']:.5f}, deviance = {r['deviance']:.1f} ({self.data.x.size} points), "
                + self.x50_text(r))

    def figure(self, r: dict | None = None):
        """The model curve with its binomial band over the data; returns the figure (not shown)."""
        r = self.last if r is None else r
        fig, ax = plt.subplots(figsize=(6.4, 4))
        plot_prediction(self.x_curve, r["p_curve"], r["n_trials"], ax, data=self.data)
        ax.plot(self.data.x, r["p_data"], "s", color="C0", ms=4, label="model at the data's x")
        ax.set_title(f"delta_v = {r['delta_v']:.2f}, delta_area = {r['delta_area']:.2f}")
        ax.legend(loc="upper left", fontsize="small")
        return fig

    def update(self):
        """Recompute and redraw (called whenever a control changes)."""
        self.last = self.compute()
        with self.output:
            self.output.clear_output(wait=True)
            fig = self.figure()
            display(fig)
            plt.close(fig)
            print(self.text())

    def _ipython_display_(self):
        display(self.widget)


def explore(data: FiringData | None = None, *, center=None, **kwargs) -> Explorer:
    """Build the slider explorer (display it by leaving it last in a notebook cell).

    Parameters
    ----------
    data : FiringData, optional
        Default: the shipped data.
    center : FitResult or (delta_v, delta_area), optional
        Initial slider values (e.g. a fit's optimum).
    **kwargs
        ``delta_v``, ``delta_area``, ``n_trials``, ``n_trials_options``, ``seed``, ``setup``, ``n_curve``.

    Examples
    --------
    In a notebook cell (``tests/viz/test_explorer.py`` drives it without a kernel)::

        ex = hhlib.explore(center=hhlib.fit(), n_trials=1000)
        ex                             # shows the sliders, the figure and the numbers
        ex.delta_v.value = 2.5         # redraws; the numbers are in ex.last
    """
    if center is not None:
        if hasattr(center, "delta_v") and hasattr(center, "delta_area"):
            dv, da = center.delta_v, center.delta_area
        elif isinstance(center, (tuple, list, np.ndarray)) and len(center) == 2:
            dv, da = center
        else:
            raise TypeError(f"center must be a FitResult or a pair (delta_v, delta_area), got {center!r}")
        dv, da = (float(v) for v in check_deltas(dv, da))
        kwargs.update(delta_v=float(np.clip(dv, *BOX)), delta_area=float(np.clip(da, *BOX)))
    return Explorer(data, **kwargs)
