"""Figures of notebook 08: Miller et al. (1999) Fig. 5 and the single-node fit at equal firing efficiency.

Each function draws what it is given: ``d`` the data (:func:`hhlib.published.miller1999`) and ``res`` the fit's
arrays (:func:`hhlib.studies.miller_fit.miller_fit`); ``ax=None`` makes new axes; the axes are returned.
"""
from __future__ import annotations

import numpy as np

from .style import new_axes

__all__ = ["plot_curves", "plot_residuals", "plot_profiles", "plot_loss_surface"]

CHI2_95 = 3.841458820694124


def plot_curves(d: dict, res: dict, axes=None):
    """Latency (model + fitted offset) and jitter against firing efficiency (%): data dots, model line."""
    axes = new_axes(axes, figsize=(10.0, 3.8), ncols=2)
    fe, je = 100 * d["firing_efficiency"], 100 * d["jitter_efficiency"]
    ax = axes[0]
    ax.plot(fe, d["latency_ms"], "ko", ms=4, label="Miller et al. 1999 (cathodic)")
    ax.plot(fe, res["model_latency_ms"] + res["offset_check_ms"], "C0-",
            label=f"model + offset {float(res['offset_check_ms']):.3f} ms")
    ax.plot(fe, res["model_latency_ms"], "C0:", label="model, from the pulse onset")
    ax.set(xlabel="firing efficiency (%)", ylabel="mean latency (ms)", title="latency")
    ax.legend(fontsize=7)
    ax = axes[1]
    ax.plot(je, d["jitter_ms"], "ko", ms=4, label="Miller et al. 1999 (cathodic)")
    ax.plot(je, res["model_jitter_ms"], "C1-", label="model")
    ax.set(xlabel="firing efficiency (%)", ylabel="jitter, SD of latency (ms)", title="jitter")
    ax.legend(fontsize=7)
    return axes


def plot_residuals(d: dict, res: dict, ax=None):
    """Data minus model (latency after the offset; jitter), ms, against firing efficiency (%)."""
    ax = new_axes(ax)
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.plot(100 * d["firing_efficiency"], d["latency_ms"] - res["model_latency_ms"] - res["offset_check_ms"], "C0o-",
            ms=4, label=f"latency (SD {float(res['sd_latency_ms']):.4f} ms)")
    ax.plot(100 * d["jitter_efficiency"], d["jitter_ms"] - res["model_jitter_ms"], "C1s-", ms=4,
            label=f"jitter (SD {float(res['sd_jitter_ms']):.4f} ms)")
    ax.set(xlabel="firing efficiency (%)", ylabel="data - model (ms)", title="residuals at the optimum")
    ax.legend(fontsize=7)
    return ax


def plot_profiles(res: dict, axes=None):
    """Profile ``D - D_min`` of log area and log rate factor, the 3.84 line and the 95 % interval ends (dotted:
    widened by the Monte Carlo spread, where the fit has one)."""
    axes = new_axes(axes, figsize=(10.0, 3.2), ncols=2)
    for ax, key, label in zip(axes, ("w", "r"), ("w = log(area / 1e-9 cm²)", "r = log(rate_factor / 12)"),
                              strict=True):
        ax.plot(res[f"{key}_fine"], res[f"profile_{key}"], "k-")
        ax.axhline(CHI2_95, color="C3", lw=0.8, ls="--")
        for end in np.asarray(res[f"{key}_interval"]):
            if np.isfinite(end):
                ax.axvline(end, color="C3", lw=0.8)
        for end in np.asarray(res.get(f"{key}_interval_mc", [])):      # widened by the Monte Carlo spread
            if np.isfinite(end):
                ax.axvline(end, color="C3", lw=0.8, ls=":")
        ax.axvline(float(res[key]), color="C0", lw=0.8)
        ax.set(xlabel=label, ylabel="profile D - D_min", ylim=(-0.5, 4 * CHI2_95))
    return axes


def plot_loss_surface(res: dict, ax=None):
    """Contours of ``D - min D`` over the fine grid (w, r), the simulated grid points, the optimum (star) and, where
    the fit has them, the optima of the other noise realisations (crosses)."""
    ax = new_axes(ax, figsize=(5.0, 4.0))
    D = res["D_fine"] - float(res["D_min"])
    cs = ax.contourf(res["r_fine"], res["w_fine"], D, levels=[0, 4, 10, 20, 40, 80, 160, 320], cmap="viridis_r")
    ax.figure.colorbar(cs, ax=ax, label="D - min D")
    r, w = np.meshgrid(res["r_grid"], res["w_grid"])
    ax.plot(r.ravel(), w.ravel(), "k.", ms=2)
    if "spread_w" in res:                   # the optima of the fit in the other noise realisations
        ax.plot(res["spread_r"][1:], res["spread_w"][1:], "wx", ms=7, mew=1.5, label="other noise realisations")
        ax.legend(fontsize=7, loc="lower left")
    ax.plot(float(res["r"]), float(res["w"]), "r*", ms=10)
    ax.set(xlabel="r = log(rate_factor / 12)", ylabel="w = log(area / 1e-9 cm²)", title="loss over the grid")
    return ax
