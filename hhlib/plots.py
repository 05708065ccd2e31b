"""Plot helpers. Each takes ``ax=None`` (a new figure if None), returns the axes, never shows."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .stats import binomial_ci

__all__ = ["plot_data", "plot_prediction", "plot_trace"]


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def plot_data(data, ax=None, *, label="data", color="k", level=0.95):
    """Measured firing fractions with Wilson binomial error bars (``level`` confidence)."""
    ax = _axes(ax)
    low, high = binomial_ci(data.n_fired, data.n_trials, level)
    p = data.fraction
    ax.errorbar(data.x, p, yerr=[p - low, high - p], fmt="o", color=color, capsize=3, label=label, zorder=3)
    ax.set_xlabel("normalised stimulus x")
    ax.set_ylabel("firing probability")
    ax.set_ylim(-0.02, 1.02)
    return ax


def plot_prediction(x, p_model, runs, ax=None, *, data=None, label="model", color="C0", level=0.95):
    """Model firing probabilities with the Wilson band of a ``runs``-trial estimate, optionally over data."""
    ax = _axes(ax)
    x = np.asarray(x, dtype=float)
    p = np.asarray(p_model, dtype=float)
    low, high = binomial_ci(np.round(p * runs), runs, level)
    order = np.argsort(x)
    ax.plot(x[order], p[order], "-", color=color, label=f"{label} ({runs} trials per level)")
    ax.fill_between(x[order], low[order], high[order], color=color, alpha=0.25, lw=0,
                    label=f"{int(level * 100)} % binomial band")
    if data is not None:
        plot_data(data, ax)
    ax.set_xlabel("normalised stimulus x")
    ax.set_ylabel("firing probability")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_trace(t_ms, v_mV, ax=None, *, label=None, **kw):
    """Membrane potential (mV relative to rest) against time (ms)."""
    ax = _axes(ax)
    ax.plot(t_ms, v_mV, label=label, **kw)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("V (mV re rest)")
    return ax
