"""The slider explorer: stimulus scale, area and trials; firing curve, latency and jitter over the data.

``hhlib.explore()`` in a notebook shows

- two **logarithmic** sliders, ``1 + delta-v`` (stimulus scale) and ``1 + delta-area`` (area), each from
  0.1 to 10 (the predecessor's box -0.9 <= delta <= 9): a slider step is the same *relative* change
  everywhere, as the problem's geometry asks (the good region is a narrow valley
  ``(1 + delta_v)/(1 + delta_area) ~ const``, a straight line in log-log);
- a **mode**: ``free`` (both sliders), ``along the valley`` (moving the area slider moves the stimulus scale
  so that the model's x50 stays where it was: only the noise, hence the slope, changes) or ``across the
  valley`` (the area slider moves the point perpendicular to the valley, ``(1 + dv)(1 + da)`` fixed);
- a **noise model**: the model's own current noise, or channel-number noise (:class:`hhlib.ChannelNoise`,
  diffusion or Markov chain) with the reference area and current scaled by 1000, since channel noise needs
  membranes of tens to hundreds of µm² (the readout then gives the area in µm² and the Na channel count);
- a trials selector; the model's firing curve with its binomial band over the data (the legend outside
  the axes, so it never hides the data or the curve), a marker at the model's x50, also when that lies off
  the plotted range; a second panel with the first-spike latency (mean, from stimulus onset) and jitter
  (standard deviation) of the trials that fired, against x;
- a readout with MSE, deviance, x50 and RS (from per-trial thresholds, wherever they lie): :meth:`Explorer.text`
  broken into lines of at most :data:`READOUT_WIDTH` characters, only after a clause (``", "`` or ``": "``), so
  no number is split (JupyterLab wraps a too long output line anywhere, also inside a number).

The controls keep their shape in a narrow notebook: the mode buttons are as wide as their labels and never
shrink or wrap, and the row of controls wraps between whole widgets.

All predictions of one explorer share one noise realisation (common random numbers), so moving a slider
changes the curve only through the physics.
"""
from __future__ import annotations

import contextlib
import dataclasses
import re
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from hhlib.data import FiringData, load_data
from hhlib.fit import BOX
from hhlib.noise import UM2_PER_CM2, ChannelNoise
from hhlib.normalised import (
    DEFAULT_SETUP,
    NormalisedSetup,
    channel_noise_setup,
    check_deltas,
    deviance_loss,
    mse_loss,
    simulate_responses,
)
from hhlib.stats import SIGMA_QUANTILES, latency_stats
from hhlib.thresholds import trial_thresholds
from hhlib.validation import check_choice, check_instance, check_int, renamed

from .plots import plot_prediction

__all__ = ["Explorer", "explore", "noise_options", "MODES", "NOISES", "READOUT_WIDTH"]

#: Slider modes: name shown -> key.
MODES = (("free", "free"), ("along the valley", "along"), ("across the valley", "across"))
#: Noise models: name shown -> key. "current" is the setup's own noise; the channel-noise entries use
#: :func:`hhlib.normalised.channel_noise_setup` (reference area and current x1000: 100 µm², 1e-4 µA).
NOISES = (("current noise (the model's own)", "current"), ("channel noise, diffusion", "diffusion"),
          ("channel noise, Markov chain (slow)", "markov"))
#: Characters per line of the printed readout (:meth:`Explorer.readout`). JupyterLab breaks an output line that
#: is wider than the output anywhere (CSS ``word-break: break-all``), also inside a number; lines this short fit.
READOUT_WIDTH = 72


def _log_slider(value, description):
    """A slider over ``1 + delta`` from 1 + BOX[0] to 1 + BOX[1], logarithmic (base 10)."""
    lo, hi = np.log10(1.0 + BOX[0]), np.log10(1.0 + BOX[1])
    return widgets.FloatLogSlider(value=float(np.clip(value, 10 ** lo, 10 ** hi)), base=10, min=lo, max=hi,
                                  step=0.002, description=description, continuous_update=False,
                                  readout_format=".3f", style={"description_width": "initial"},
                                  layout=widgets.Layout(width="440px"))


def noise_options(setup: NormalisedSetup) -> tuple:
    """The noise dropdown's ``(label, key)`` pairs for a setup: :data:`NOISES`, the first one named after the
    setup's own noise (``"current noise (the model's own)"``, or e.g. ``"channel noise, diffusion (the setup's)"``
    for a model without noise of its own)."""
    own = setup.noise
    if isinstance(own, ChannelNoise):
        label = f"channel noise, {own.method} (the setup's)"
    elif own is False:
        label = "no noise (the setup's)"
    else:
        label = NOISES[0][0]
    return ((label, "current"),) + NOISES[1:]


class Explorer:
    """Interactive model-vs-data view; build with :func:`explore`.

    Attributes
    ----------
    scale, area : ipywidgets.FloatLogSlider
        ``1 + delta_v`` and ``1 + delta_area`` (dimensionless, 0.1 to 10, logarithmic).
    mode : ipywidgets.ToggleButtons
        ``"free"``, ``"along"`` (the area slider keeps the model's x50) or ``"across"`` (it keeps
        ``(1 + delta_v)(1 + delta_area)``); in the last two the scale slider follows and is disabled.
    noise : ipywidgets.Dropdown
        ``"current"`` (the setup's own noise: the model's current noise, or the channel noise of a setup from
        :meth:`hhlib.NormalisedSetup.for_model` for a model without noise of its own), ``"diffusion"`` or
        ``"markov"`` (see :data:`NOISES` and :func:`noise_options`); changes :attr:`setup`.
    n_trials : ipywidgets.Dropdown
    output : ipywidgets.Output
        Where the figure and the numbers are drawn.
    last : dict
        Numbers of the last redraw: ``delta_v, delta_area, n_trials, mse, deviance, p_data`` (model
        probabilities at the data's x), ``p_curve``, ``latency_ms`` and ``jitter_ms`` (on the curve's x, NaN
        where fewer trials fired than needed), ``x50`` and ``rs`` (the model's 50 % point and relative spread,
        from per-trial thresholds, wherever they lie), ``seconds``.
    widget : ipywidgets.VBox
    """

    def __init__(self, data: FiringData | None = None, *, delta_v: float = 0.0, delta_area: float = 0.0,
                 n_trials: int | None = None, n_trials_options=(10, 100, 1000, 10000), seed: int = 0,
                 setup: NormalisedSetup = DEFAULT_SETUP, n_curve: int = 31, mode: str = "free",
                 noise: str = "current", runs: int | None = None):
        self.data = load_data() if data is None else check_instance("data", data, FiringData)
        n_trials, name = renamed("runs", runs, "n_trials", n_trials, 1000)
        n_trials = check_int(name, n_trials, minimum=1)
        n_trials_options = [check_int("n_trials_options", r, minimum=1) for r in n_trials_options]
        check_int("n_curve", n_curve, minimum=2)
        self.base_setup = check_instance("setup", setup, NormalisedSetup)
        self.setup = self.base_setup
        self.seed = seed
        lo, hi = float(self.data.x.min()), float(self.data.x.max())
        pad = 0.25 * (hi - lo)
        self.x_curve = np.linspace(lo - pad, hi + pad, n_curve)
        dv, da = (float(v) for v in check_deltas(delta_v, delta_area))
        self.scale = _log_slider(1.0 + dv, "1 + delta-v (stimulus scale)")
        self.area = _log_slider(1.0 + da, "1 + delta-area (area)")
        # buttons as wide as their labels (the default fixed width cuts "across the valley"), and the group never
        # shrinks (it would wrap its buttons onto two lines): the row of controls wraps instead
        self.mode = widgets.ToggleButtons(options=MODES, value=check_choice("mode", mode, [k for _, k in MODES]),
                                          description="sliders move",
                                          style={"description_width": "initial", "button_width": "auto"},
                                          layout=widgets.Layout(flex="0 0 auto", width="auto"))
        self.n_trials = widgets.Dropdown(options=sorted(set(n_trials_options) | {n_trials}), value=n_trials,
                                         description="trials", layout=widgets.Layout(width="200px"))
        self.noise = widgets.Dropdown(options=noise_options(self.base_setup),
                                      value=check_choice("noise", noise, [k for _, k in NOISES]),
                                      description="noise", layout=widgets.Layout(width="360px"))
        self.setup = self.setup_for(self.noise.value)
        self.output = widgets.Output()
        self.last: dict = {}
        self._thresholds: dict = {}
        self._quiet = False
        self._anchor = None
        self.note = ""
        self.scale.observe(lambda change: self._redraw(), names="value")
        self.area.observe(lambda change: self._area_moved(), names="value")
        self.n_trials.observe(lambda change: self._redraw(), names="value")
        self.noise.observe(lambda change: self._noise_changed(), names="value")
        self.mode.observe(lambda change: self._mode_changed(), names="value")
        self.widget = widgets.VBox([widgets.HBox([self.scale, self.area]),
                                    widgets.HBox([self.mode, self.n_trials, self.noise],
                                                 layout=widgets.Layout(flex_flow="row wrap")), self.output])
        self._mode_changed(redraw=False)
        self.update()

    # ------------------------------------------------------------------ the point shown
    @property
    def delta_v(self) -> float:
        """Current relative stimulus scale change (``scale - 1``)."""
        return float(self.scale.value) - 1.0

    @property
    def delta_area(self) -> float:
        """Current relative area change (``area - 1``)."""
        return float(self.area.value) - 1.0

    def set_point(self, delta_v: float, delta_area: float):
        """Move both sliders at once (one redraw); in a valley mode the new point becomes its anchor."""
        dv, da = (float(v) for v in check_deltas(delta_v, delta_area))
        with self._hold():
            self.scale.value, self.area.value = 1.0 + dv, 1.0 + da
        self._anchor, self.note = None, ""
        self._mode_changed(redraw=False)
        self.update()

    @contextlib.contextmanager
    def _hold(self):
        quiet, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = quiet

    def _redraw(self):
        if not self._quiet:
            self.note = ""
            self.update()

    def setup_for(self, noise: str) -> NormalisedSetup:
        """The normalised setup of a noise model key (see :data:`NOISES`)."""
        if noise == "current":
            return self.base_setup
        own = self.base_setup.noise
        if isinstance(own, ChannelNoise):                      # keep its densities and areas, change the method
            return dataclasses.replace(self.base_setup, noise=dataclasses.replace(own, method=noise))
        return channel_noise_setup(noise, self.base_setup)

    def _noise_changed(self):
        self.setup = self.setup_for(self.noise.value)
        self.note = ""
        self._mode_changed(redraw=False)                       # a valley mode re-anchors under the new noise
        self.update()

    def _mode_changed(self, redraw: bool = True):
        """Store what the valley modes keep: the current x50 (along) or ``(1 + dv)(1 + da)`` (across)."""
        mode = self.mode.value
        self.scale.disabled = mode != "free"
        if mode == "along":
            self._anchor = self.threshold_summary(self.delta_v, self.delta_area, int(self.n_trials.value))[0]
        elif mode == "across":
            self._anchor = float(self.scale.value) * float(self.area.value)
        else:
            self._anchor = None
        if redraw:
            self.update()

    def _area_moved(self):
        if self._quiet:
            return
        self.note = ""
        if self.mode.value != "free" and self._anchor is not None:
            target = self.valley_scale(self.delta_area, self.mode.value, self._anchor)
            with self._hold():
                self.scale.value = target                      # the slider clamps it to its range
            if not np.isclose(self.scale.value, target, rtol=1e-9):
                self.note = (f" [1 + delta-v would have to be {target:.3g}, beyond the slider's "
                             f"{self.scale.base ** self.scale.min:g}-{self.scale.base ** self.scale.max:g}: "
                             "the valley is not followed here]")
        self.update()

    def valley_scale(self, delta_area: float, mode: str, anchor: float) -> float:
        """``1 + delta_v`` that keeps the anchor at this area: x50 (``"along"``) or the product (``"across"``).

        Along the valley the model's per-trial thresholds at the new area give its median threshold ``T``
        (µA), and ``1 + delta_v = T / (I_ref x50)`` puts the median at the anchored x50 exactly.
        """
        if mode == "across":
            return anchor / (1.0 + delta_area)
        n = int(self.n_trials.value)
        q50 = np.quantile(self._sorted_thresholds(delta_area, n), 0.5)
        if not 0 < q50 < np.inf or not 0 < anchor < np.inf:
            return float(self.scale.value)                    # nothing to keep: leave the scale where it is
        return float(q50 / (self.setup.i_ref_uA * anchor))

    # ------------------------------------------------------------------ computation
    def _curve_result(self, dv, da, x, n_trials):
        """The simulation behind the curve, :func:`hhlib.predict`'s: ``(fired, response_ms)`` of every trial
        (:func:`hhlib.normalised.simulate_responses`), shape ``x.shape + (n_trials,)``."""
        s = self.setup
        amp = s.amplitude_uA(np.float64(dv), x)
        return simulate_responses(s, amp, s.area_cm2(da), n_trials, seed=self.seed, stream_ids=np.arange(x.size))

    def compute(self, delta_v=None, delta_area=None, n_trials=None) -> dict:
        """Predict at the curve's and the data's stimulus levels (one batch) and score the data.

        Arguments default to the controls' values; passing them leaves the controls untouched. The
        probabilities equal ``hhlib.predict(delta_v, delta_area, x, n_trials=n_trials, seed=seed)``.
        """
        t0 = time.perf_counter()
        dv = self.delta_v if delta_v is None else float(delta_v)
        da = self.delta_area if delta_area is None else float(delta_area)
        dv, da = (float(v) for v in check_deltas(dv, da))
        n_trials = int(self.n_trials.value if n_trials is None else n_trials)
        x_all = np.concatenate([self.data.x, self.x_curve])
        fired, response_ms = self._curve_result(dv, da, x_all, n_trials)
        p = fired.mean(axis=-1)
        lat = latency_stats(response_ms[self.data.x.size:], self.setup.response_onset_ms)
        latency, jitter = lat.latency_ms, lat.jitter_ms
        p_data, p_curve = p[: self.data.x.size], p[self.data.x.size:]
        x50, rs = self.threshold_summary(dv, da, n_trials)
        return dict(delta_v=dv, delta_area=da, n_trials=n_trials, p_data=p_data, p_curve=p_curve, x50=x50, rs=rs,
                    latency_ms=latency, jitter_ms=jitter, mse=mse_loss(p_data, self.data),
                    deviance=deviance_loss(p_data, self.data, n_model_trials=n_trials),
                    seconds=time.perf_counter() - t0)

    def _sorted_thresholds(self, delta_area: float, n_trials: int) -> np.ndarray:
        """Per-trial thresholds (µA) at this area, sorted; computed once per (area, trials)."""
        s = self.setup
        key = (s, float(delta_area), int(n_trials))
        if key not in self._thresholds:
            self._thresholds[key] = np.sort(trial_thresholds(
                s.model, s.area_cm2(delta_area), n_trials, seed=self.seed, stimulus=s.stimulus, vary=s.vary,
                dt_ms=s.dt_ms, t_end_ms=s.t_end_ms, noise=s.noise))
        return self._thresholds[key]

    def threshold_summary(self, delta_v: float, delta_area: float, n_trials: int):
        """The model's x50 and relative spread RS, wherever they are (also off the plotted range).

        From ``n_trials`` per-trial thresholds at the area (:func:`hhlib.thresholds.trial_thresholds`, computed
        once per area and cached): x50 is their median over ``I_ref (1 + delta_v)``, RS half the 15.9-84.1 %
        quantile range over the median. x50 is 0 if most trials fire without a stimulus, inf if most do not
        fire within the search range.
        """
        q16, q50, q84 = np.quantile(self._sorted_thresholds(delta_area, n_trials), SIGMA_QUANTILES)
        x50 = float(q50 / (self.setup.i_ref_uA * (1.0 + delta_v)))
        rs = float((q84 - q16) / (2.0 * q50)) if 0 < q50 < np.inf else float("nan")
        return x50, rs

    # ------------------------------------------------------------------ text and figure
    def x50_text(self, r: dict) -> str:
        """Where the model's x50 lies, in words when it is off the plotted range."""
        x50, lo, hi = r["x50"], self.x_curve[0], self.x_curve[-1]
        if x50 == 0:
            return "x50 = 0 (most trials fire without any stimulus)"
        if not np.isfinite(x50):
            return "x50 beyond the threshold search (most trials do not fire)"
        where = "" if lo <= x50 <= hi else f" ({'left' if x50 < lo else 'right'} of the plotted {lo:.2f}-{hi:.2f})"
        return f"x50 = {x50:.3f}{where}, RS = {r['rs']:.3f}"

    def membrane_text(self, delta_area: float) -> str:
        """The noise model and, for channel noise, the area (µm²) and its Na channel count."""
        noise = self.setup.noise
        if not isinstance(noise, ChannelNoise):
            return "current noise" if noise is not False else "no noise"
        area = float(self.setup.area_cm2(delta_area))
        n_na = noise.channel_counts(self.setup.model, area).get("na")
        return (f"channel noise ({noise.method}), area {area * UM2_PER_CM2:.4g} µm²"
                + (f" = {n_na:,} Na channels" if n_na is not None else ""))

    def text(self, r: dict | None = None) -> str:
        """The printed summary line: depends on every control."""
        r = self.last if r is None else r
        return (f"delta_v = {r['delta_v']:.3f}, delta_area = {r['delta_area']:.3f}, trials = {r['n_trials']}, "
                f"{self.membrane_text(r['delta_area'])}: "
                f"MSE = {r['mse']:.5f}, deviance = {r['deviance']:.1f} ({self.data.x.size} points), "
                + self.x50_text(r) + (self.note if r is self.last else ""))

    def readout(self, r: dict | None = None, width: int = READOUT_WIDTH) -> str:
        """:meth:`text` in lines of at most ``width`` characters (a longer clause keeps a line of its own), broken
        only after ``", "`` or ``": "``: never inside a number or a ``name = value``. What :meth:`update` prints;
        joining its lines with spaces gives :meth:`text` back."""
        lines: list[str] = []
        for clause in re.split(r"(?<=[,:]) ", self.text(r)):
            if lines and len(lines[-1]) + 1 + len(clause) <= width:
                lines[-1] += " " + clause
            else:
                lines.append(clause)
        return "\n".join(lines)

    def _mark_x50(self, ax, r):
        """A dashed line at the model's x50, or an arrow at the edge pointing to where it lies."""
        x50, lo, hi = r["x50"], self.x_curve[0], self.x_curve[-1]
        if lo <= x50 <= hi:
            ax.axvline(x50, color="C0", ls="--", lw=1, label=f"model x50 = {x50:.3f}")
            return
        edge, sign = (lo, -1) if x50 < lo else (hi, 1)
        text = "x50 = 0" if x50 == 0 else (f"x50 = {x50:.3g}" if np.isfinite(x50) else "x50 off the search")
        ax.annotate(text, xy=(edge, 0.5), xytext=(edge - sign * 0.12 * (hi - lo), 0.5), color="C0",
                    ha="center", va="center", fontsize="small",
                    arrowprops=dict(arrowstyle="->", color="C0"))

    def figure(self, r: dict | None = None):
        """Firing curve over the data (left) and latency/jitter of the fired trials (right); the figure."""
        r = self.last if r is None else r
        fig, (ax, ax_lat) = plt.subplots(1, 2, figsize=(10.5, 4), width_ratios=(1.45, 1), layout="constrained")
        plot_prediction(self.x_curve, r["p_curve"], r["n_trials"], ax, data=self.data)
        ax.plot(self.data.x, r["p_data"], "s", color="C0", ms=4, label="model at the data's x")
        self._mark_x50(ax, r)
        ax.set_title(f"delta_v = {r['delta_v']:.3f}, delta_area = {r['delta_area']:.3f}")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize="small", frameon=False)
        ax_lat.plot(self.x_curve, r["latency_ms"], "-", color="C1", label="latency (mean)")
        ax_lat.plot(self.x_curve, r["jitter_ms"], "--", color="C2", label="jitter (SD)")
        ax_lat.set_xlabel("normalised stimulus x")
        ax_lat.set_ylabel("ms from stimulus onset")
        ax_lat.set_title("first spike of the trials that fired")
        ax_lat.set_ylim(bottom=0)
        ax_lat.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize="small", frameon=False)
        return fig

    def update(self):
        """Recompute and redraw (called whenever a control changes)."""
        self.last = self.compute()
        with self.output:
            self.output.clear_output(wait=True)
            fig = self.figure()
            display(fig)
            plt.close(fig)
            print(self.readout())

    def _ipython_display_(self):
        display(self.widget)


def explore(data: FiringData | None = None, *, center=None, **kwargs) -> Explorer:
    """Build the slider explorer (display it by leaving it last in a notebook cell).

    Parameters
    ----------
    data : FiringData, optional
        Default: the shipped data.
    center : FitResult or (delta_v, delta_area), optional
        Initial point (e.g. a fit's optimum), clipped to the sliders' box.
    **kwargs
        ``delta_v``, ``delta_area``, ``n_trials``, ``n_trials_options``, ``seed``, ``setup``, ``n_curve``,
        ``mode`` (``"free"``, ``"along"``, ``"across"``), ``noise`` (``"current"``, ``"diffusion"``,
        ``"markov"``).

    Examples
    --------
    In a notebook cell (``tests/viz/test_explorer.py`` drives it without a kernel)::

        ex = hhlib.explore(center=hhlib.fit(), n_trials=1000)
        ex                             # shows the sliders, the figure and the numbers
        ex.mode.value = "along"        # the area slider now keeps the model's x50
        ex.area.value = 8.0            # redraws; the numbers are in ex.last
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
