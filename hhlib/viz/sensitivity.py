"""Figures of notebook 02 (sensitivity): families of firing curves and maps over the parameter box.

Drawing only; the arrays come from :mod:`hhlib.studies.sensitivity`. Every function takes ``ax=None``
(new axes then), returns the axes and never calls ``plt.show()``. Stimulus x, probabilities and the
parameters are dimensionless.
"""
from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.colors import LogNorm

from .plots import plot_data
from .style import new_axes

__all__ = ["plot_family", "plot_map", "plot_latency_curves", "plot_latency_vs_probability"]


def plot_family(x, p, values, name, ax=None, *, data=None, n_trials=None):
    """Curves ``p[i]`` against ``x``, labelled ``name = values[i]``, optionally over the data.

    Parameters
    ----------
    x : array_like, shape (n_x,)
        Normalised stimulus levels.
    p : array_like, shape (n_curves, n_x)
        Firing probabilities.
    values : sequence of float
        The parameter value of each curve.
    name : str
        The parameter's name (legend).
    ax : matplotlib Axes, optional
    data : FiringData, optional
        Drawn with :func:`hhlib.viz.plots.plot_data`.
    n_trials : int, optional
        Trials per level behind ``p`` (shown in the y label).

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax)
    colors = mpl.colormaps["viridis"](np.linspace(0.1, 0.9, len(values)))
    for pi, v, c in zip(p, values, colors, strict=True):
        ax.plot(x, pi, color=c, label=f"{name} = {v:.2f}")
    if data is not None:
        plot_data(data, ax)
    ax.set_xlabel("normalised stimulus x")
    ax.set_ylabel("firing probability" + (f" ({n_trials} trials per level)" if n_trials else ""))
    ax.legend(fontsize="small", loc="lower right")
    return ax


def plot_map(maps, key, ax=None, *, log=False, label=None, data_value=None):
    """Colour map of ``maps[key]`` over (delta_v, delta_area) with log-spaced axes.

    Parameters
    ----------
    maps : dict
        ``delta_v`` (n_v,), ``delta_area`` (n_a,) and ``maps[key]`` (n_a, n_v), e.g.
        :func:`hhlib.studies.sensitivity.threshold_maps`.
    key : str
        The quantity to draw (e.g. ``"x50"`` or ``"rs"``).
    ax : matplotlib Axes, optional
    log : bool
        Logarithmic colour scale.
    label : str, optional
        Colour-bar label (default ``key``).
    data_value : float, optional
        Draw the contour at this value (e.g. the data's x50 or RS).

    Returns
    -------
    matplotlib Axes (its figure holds the colour bar)
    """
    ax = new_axes(ax, (5.5, 4.5))
    dv, da, z = 1 + maps["delta_v"], 1 + maps["delta_area"], maps[key]
    mesh = ax.pcolormesh(dv, da, z, shading="nearest", norm=LogNorm() if log else None, cmap="viridis")
    ax.figure.colorbar(mesh, ax=ax, label=label or key)
    if data_value is not None:
        cs = ax.contour(dv, da, z, levels=[data_value], colors="w", linewidths=1.5)
        ax.clabel(cs, fmt=lambda v: f"data {v:.3g}", fontsize="small")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("1 + delta_v (stimulus scale)")
    ax.set_ylabel("1 + delta_area (area scale)")
    return ax


def _colors(n):
    return mpl.colormaps["viridis"](np.linspace(0.1, 0.9, n))


def plot_latency_curves(x, y, values, name, ax=None, *, ylabel="latency (ms from pulse onset)"):
    """Latency (or jitter) ``y[i]`` against the stimulus ``x`` for each curve ``name = values[i]``.

    Parameters
    ----------
    x : array_like, shape (n_x,)
        Normalised stimulus levels.
    y : array_like, shape (n_curves, n_x)
        Mean latency or jitter, ms (NaN where too few trials fired: not drawn).
    values : sequence of float
        The parameter value of each curve (legend).
    name : str
    ax : matplotlib Axes, optional
    ylabel : str

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax)
    for yi, v, c in zip(y, values, _colors(len(values)), strict=True):
        ax.plot(x, yi, color=c, label=f"{name} = {v:.2f}")
    ax.set_xlabel("normalised stimulus x")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small", loc="upper right")
    return ax


def plot_latency_vs_probability(p, latency, jitter, values, name, ax=None):
    """Latency (solid) and jitter (dashed, right axis) against the firing probability, as single-fibre papers
    plot them (Miller et al. 1999).

    Parameters
    ----------
    p : array_like, shape (n_curves, n_x)
        Firing probabilities (dimensionless).
    latency, jitter : array_like, shape (n_curves, n_x)
        Mean latency and its standard deviation, ms.
    values : sequence of float
    name : str
    ax : matplotlib Axes, optional

    Returns
    -------
    ndarray of 2 Axes
        The latency's axes and the jitter's twin (right) axes.
    """
    ax = new_axes(ax)
    right = ax.twinx()
    for pi, li, ji, v, c in zip(p, latency, jitter, values, _colors(len(values)), strict=True):
        ax.plot(pi, li, color=c, label=f"{name} = {v:.2f}")
        right.plot(pi, ji, color=c, ls="--")
    ax.set_xlabel("firing probability")
    ax.set_ylabel("latency (ms, solid)")
    right.set_ylabel("jitter (ms, dashed)")
    ax.set_xlim(0, 1)
    ax.legend(fontsize="small", loc="lower left")        # the curves fall towards p = 1: that corner stays free
    return np.array([ax, right], dtype=object)
