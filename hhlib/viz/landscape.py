"""Figures of the loss landscapes (notebooks 03 and 04): surfaces, optimiser paths, slices, the valley zoom.

Drawing only: the arrays come from :mod:`hhlib.studies.landscape` (or anything with the same keys).
Every function takes ``ax=None`` (new axes then), returns the axes and never calls ``plt.show()``.
Parameters delta_v, delta_area and the losses are dimensionless.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import FixedLocator, NullLocator

from .style import new_axes

__all__ = ["plot_surface", "plot_path", "plot_slice", "plot_valley", "plot_repeats", "LOSS_LABELS", "COORDS"]

#: Colour-bar / axis labels of the two losses.
LOSS_LABELS = {"mse": "MSE of firing fractions (dimensionless)", "deviance": "binomial deviance (dimensionless)"}
#: Coordinates of the parameter plane: deltas (axes spaced as log(1 + delta)) or u, w = log(1 + delta).
COORDS = ("delta", "uw")
#: Size of a new surface figure and of a new slice / histogram figure, inches.
SURFACE_SIZE, SLICE_SIZE = (6.0, 4.6), (6.0, 3.6)
_DELTA_TICKS = (-0.9, -0.5, 0.0, 1.0, 3.0, 9.0)
_UW_LABELS = ("u = log(1 + delta_v) (dimensionless)", "w = log(1 + delta_area) (dimensionless)")


def _new(ax, size=SURFACE_SIZE):
    return new_axes(ax, size, layout="constrained")


def _check_coords(coords):
    if coords not in COORDS:
        raise ValueError(f"coords must be 'delta' or 'uw', got {coords!r}")
    return coords


def _forward(d):
    return np.log1p(np.maximum(d, -1 + 1e-9))     # clipped: matplotlib probes points outside the domain


def _log1p_axes(ax, which="xy"):
    """Axes in delta coordinates, spaced as log(1 + delta)."""
    fun = (_forward, np.expm1)
    for a, setter in (("x", ax.set_xscale), ("y", ax.set_yscale)):
        if a in which:
            setter("function", functions=fun)
            axis = ax.xaxis if a == "x" else ax.yaxis
            axis.set_major_locator(FixedLocator(_DELTA_TICKS))
            axis.set_minor_locator(NullLocator())


def _edges(g):
    """Cell edges around grid values ``g`` (midpoints in log(1 + delta), extended at the ends)."""
    u = np.log1p(g)
    mid = 0.5 * (u[1:] + u[:-1])
    return np.expm1(np.r_[u[0] - (mid[0] - u[0]), mid, u[-1] + (u[-1] - mid[-1])])


def plot_surface(surface, loss="deviance", ax=None, *, coords="delta", optimum=None, valley=True, vmin=None,
                 vmax=None, cmap="viridis", title=None):
    """Draw a loss surface with a logarithmic colour scale and a colour bar.

    Parameters
    ----------
    surface : dict
        ``delta_v`` (n_v,), ``delta_area`` (n_a,) and the loss array (n_a, n_v), e.g. a result of
        ``cached(hhlib.studies.landscape.surface_crn)``.
    loss : str or ndarray
        Key of the loss in ``surface`` (``"mse"`` or ``"deviance"``) or an (n_a, n_v) array.
    ax : matplotlib Axes, optional
        Default: a new figure.
    coords : {"delta", "uw"}
        ``"delta"``: axes show delta_v, delta_area, spaced as log(1 + delta) (matplotlib function
        scale; data coordinates are the deltas). ``"uw"``: axes are ``u = log(1 + delta_v)`` and
        ``w = log(1 + delta_area)``. Pass the same ``coords`` to :func:`plot_path` on these axes.
    optimum : (delta_v, delta_area), optional
        Marked with a star; with ``valley=True`` the line ``(1 + delta_v)/(1 + delta_area) = const``
        through it is drawn.
    vmin, vmax : float, optional
        Colour range (default: smallest positive value and the maximum).
    cmap, title : str

    Returns
    -------
    matplotlib Axes (its figure holds the colour bar)
    """
    _check_coords(coords)
    ax = _new(ax)
    key = loss if isinstance(loss, str) else None
    z = np.asarray(surface[loss] if key else loss, dtype=float)
    dv, da = np.asarray(surface["delta_v"]), np.asarray(surface["delta_area"])
    ex, ey = _edges(dv), _edges(da)
    if coords == "uw":
        ex, ey = np.log1p(ex), np.log1p(ey)
    pos = z[z > 0]
    norm = LogNorm(vmin=vmin if vmin is not None else pos.min(), vmax=vmax if vmax is not None else z.max())
    mesh = ax.pcolormesh(ex, ey, np.where(z > 0, z, norm.vmin), norm=norm, cmap=cmap, shading="flat")
    ax.figure.colorbar(mesh, ax=ax, label=LOSS_LABELS.get(key, "loss (dimensionless)"))
    if coords == "delta":
        _log1p_axes(ax)
        ax.set_xlabel("delta_v (dimensionless; axis spaced as log(1 + delta_v))")
        ax.set_ylabel("delta_area (dimensionless; log(1 + delta_area))")
    else:
        ax.set_xlabel(_UW_LABELS[0])
        ax.set_ylabel(_UW_LABELS[1])
    ax.set_xlim(ex[0], ex[-1])
    ax.set_ylim(ey[0], ey[-1])
    if optimum is not None:
        _mark_optimum(ax, optimum, coords, valley, (dv, da))
    if title:
        ax.set_title(title, fontsize="medium")
    return ax


def _mark_optimum(ax, optimum, coords, valley, grid):
    u0, w0 = math.log1p(optimum[0]), math.log1p(optimum[1])
    if valley:
        w = np.linspace(*np.log1p([grid[1].min(), grid[1].max()]), 200)
        u = w + (u0 - w0)
        keep = (u >= math.log1p(grid[0].min())) & (u <= math.log1p(grid[0].max()))
        xy = (u[keep], w[keep]) if coords == "uw" else (np.expm1(u[keep]), np.expm1(w[keep]))
        ax.plot(*xy, "--", color="c", lw=1, alpha=0.7,
                label=f"valley (1+dv)/(1+da) = {math.exp(u0 - w0):.3g}")
    xy = (u0, w0) if coords == "uw" else optimum
    ax.plot(*xy, "*", color="r", mec="k", ms=15, label=f"hhlib fit ({optimum[0]:.3g}, {optimum[1]:.3g})")
    ax.legend(loc="lower right", fontsize="x-small", framealpha=0.8)


def plot_path(history, ax=None, *, coords="delta", label="optimiser path", color="m", marker="o"):
    """Draw an optimiser's evaluations, in order, e.g. on a surface drawn by :func:`plot_surface`.

    Parameters
    ----------
    history : list of dict or FitResult
        Rows with ``delta_v`` and ``delta_area`` (``FitResult.history``, any method), or a FitResult.
    ax : matplotlib Axes, optional
        Usually the axes returned by :func:`plot_surface` (default: a new figure).
    coords : {"delta", "uw"}
        The coordinates of the axes: the ``coords`` given to :func:`plot_surface` for them.
    label : str
        Legend label of the path; the first and last evaluation get "start" / "end" markers.
    color, marker : str

    Returns
    -------
    matplotlib Axes
    """
    _check_coords(coords)
    history = getattr(history, "history", history)
    ax = _new(ax)
    dv = np.array([h["delta_v"] for h in history], dtype=float)
    da = np.array([h["delta_area"] for h in history], dtype=float)
    x, y = (np.log1p(dv), np.log1p(da)) if coords == "uw" else (dv, da)
    ax.plot(x, y, "-", color=color, lw=1, marker=marker, ms=4, mec="k", mew=0.5,
            label=f"{label} ({len(dv)} evaluations)")
    ax.plot(x[0], y[0], "s", mfc="none", mec=color, ms=11, mew=2, label=f"{label}: start")
    ax.plot(x[-1], y[-1], "X", color=color, mec="k", ms=11, label=f"{label}: end")
    if coords == "delta" and ax.get_xscale() != "function":
        ax.set_xlabel("delta_v (dimensionless)")
        ax.set_ylabel("delta_area (dimensionless)")
    elif coords == "uw" and not ax.get_xlabel():
        ax.set_xlabel(_UW_LABELS[0])
        ax.set_ylabel(_UW_LABELS[1])
    ax.legend(loc="lower right", fontsize="x-small", framealpha=0.8)
    return ax


def plot_valley(vs: dict, loss: str = "deviance", ax=None, *, title=None):
    """The valley zoom: loss over (s - s*, w - w*), log colour scale, grid minimum marked.

    Parameters
    ----------
    vs : dict
        A result of :func:`hhlib.studies.landscape.valley`: ``s_offset`` (n_s,), ``w_offset`` (n_w,) and
        ``vs[loss]`` (n_w, n_s).
    loss : str
        ``"mse"`` or ``"deviance"``.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _new(ax)
    b, a = np.asarray(vs["s_offset"]), np.asarray(vs["w_offset"])
    z = np.asarray(vs[loss], dtype=float)
    mesh = ax.pcolormesh(b, a, z, norm=LogNorm(vmin=z[z > 0].min(), vmax=z.max()), shading="nearest")
    ax.figure.colorbar(mesh, ax=ax, label=LOSS_LABELS[loss])
    i, j = np.unravel_index(np.argmin(z), z.shape)
    ax.plot(b[j], a[i], "o", mfc="none", mec="r", ms=12, mew=2, label=f"grid minimum ({z[i, j]:.4g})")
    ax.plot(0, 0, "*", color="r", mec="k", ms=15, label="centre (hhlib fit)")
    ax.set_xlabel("s - s*, s = log[(1 + delta_v)/(1 + delta_area)] (dimensionless): across the valley")
    ax.set_ylabel("w - w*, w = log(1 + delta_area) (dimensionless): along")
    ax.legend(loc="upper right", fontsize="x-small", framealpha=0.8)
    if title:
        ax.set_title(title, fontsize="medium")
    return ax


def plot_slice(s: dict, loss: str = "mse", ax=None):
    """One 1-D slice: the CRN loss as a line, the fresh-noise loss as points, plateau points ticked (log y).

    Parameters
    ----------
    s : dict
        One slice, as :func:`hhlib.studies.landscape.slice_of` returns it: ``name``, ``t``,
        ``delta_area``, ``{loss}_crn``, ``{loss}_fresh`` (n,), ``plateau`` (bool, (n,)), ``n_trials`` and
        ``fresh_n_trials`` (trials per level).
    loss : str
        ``"mse"`` or ``"deviance"``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _new(ax, SLICE_SIZE)
    t, name, flat = s["t"], str(s["name"]), np.asarray(s["plateau"], dtype=bool)
    ax.plot(t, s[f"{loss}_crn"], "-", color="C0", label=f"{int(s['n_trials'])} trials per level, common random numbers")
    ax.plot(t, s[f"{loss}_fresh"], ".", color="C3", ms=4,
            label=f"{int(s['fresh_n_trials'])} trials per level, fresh noise at every point")
    ax.plot(t[flat], s[f"{loss}_crn"][flat], "|", color="k", ms=8, label="plateau (all 0 or all 1)")
    ax.set_yscale("log")
    ax.set_ylabel(LOSS_LABELS[loss])
    if name.startswith("dv_"):
        _log1p_axes(ax, "x")
        ax.set_xlim(t.min(), t.max())
        area = s["delta_area"][0]
        ax.set_xlabel(f"delta_v (dimensionless; spaced as log(1 + delta_v)), delta_area = {area:.3g}")
    else:
        ax.set_xlabel(f"t (dimensionless, log units) {'along' if name == 'along' else 'across'} the valley")
    ax.legend(fontsize="x-small")
    return ax


def plot_repeats(rep: dict, loss: str = "mse", n_trials: int = 10, ax=None, *, labels=None):
    """Histograms of the repeated ``n_trials``-trial losses at each point.

    Parameters
    ----------
    rep : dict
        A result of :func:`hhlib.studies.landscape.repeats`: ``points`` (n_pt, 2) and ``{loss}_{n_trials}``
        (n_pt, n_repeats).
    loss : str
        ``"mse"`` or ``"deviance"``.
    n_trials : int
        Trials per level of the evaluations to show.
    ax : matplotlib Axes, optional
    labels : list of str, optional
        One legend name per point (default: its coordinates).

    Returns
    -------
    matplotlib Axes
    """
    ax = _new(ax, SLICE_SIZE)
    z = np.asarray(rep[f"{loss}_{n_trials}"])
    bins = np.linspace(z.min(), z.max(), 40)
    for k, (pt, row) in enumerate(zip(rep["points"], z, strict=True)):
        name = labels[k] if labels else f"({pt[0]:.3g}, {pt[1]:.3g})"
        ax.hist(row, bins=bins, alpha=0.6, color=f"C{k}", label=f"{name}: {row.size} repeats")
    ax.set_xlabel(f"{LOSS_LABELS[loss]}, {n_trials} trials per level")
    ax.set_ylabel("count of evaluations")
    ax.legend(fontsize="x-small")
    return ax
