"""Loss landscapes of the seed's fit: why L-BFGS-B on a 10-trial MSE never converged (notebook 03).

Coordinates. Both parameters live on the seed's box ``[-0.9, 9]``; grids are uniform in
``u = log(1 + delta_v)`` and ``w = log(1 + delta_area)`` (both from ``log 0.1`` to ``log 10``, box
edges included; with an odd number of points ``delta = 0`` is a grid point). Without noise the
model depends only on ``u - w``, so the loss has a valley along ``u - w = const``.

Two Monte Carlo settings are compared:

- ``fresh``: every parameter point gets its own, independent noise (the seed's setting: a new
  random draw at every evaluation), here with unique random streams per point and level;
- ``crn``: common random numbers, one seed for every parameter point, exactly
  ``hhlib.predict(delta_v, delta_area, x, runs=runs, seed=seed)``.

Registered caches (``hhlib.cache.cached(builder, **params)``; ``python -m hhlib cache``):

- ``landscape_surface_fresh`` - :func:`surface_fresh`, 41 x 41 grid, 10 runs, fresh noise;
- ``landscape_surface_crn`` - :func:`surface_crn`, 41 x 41 grid, 1000 runs, CRN;
- ``landscape_slices`` - :func:`slices`, five 1-D slices, both settings;
- ``landscape_valley`` - :func:`valley`, a 17 x 21 CRN grid aligned with the valley (a zoom);
- ``landscape_repeats`` - :func:`repeats`, repeated evaluations at fixed points.

Every surface dict holds ``delta_v`` (n_v,), ``delta_area`` (n_a,), ``p`` (n_a, n_v, n_x) firing
fractions, ``mse`` and ``deviance`` (n_a, n_v): rows are areas, columns stimulus scales.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import FixedLocator, NullLocator

from .cache import register
from .data import load_data
from .fit import BOX
from .normalised import DEFAULT_SETUP, check_deltas, deviance_loss, mse_loss, predict
from .simulate import simulate
from .stimulus import Pulse

__all__ = ["grid_axis", "fractions", "losses", "surface_fresh", "surface_crn", "slices", "valley", "repeats",
           "slice_of", "plot_surface", "plot_path", "plot_slice", "plot_valley", "plot_repeats", "to_uw",
           "plateau_mask", "grid_minimum",
           "valley_variation", "noise_and_signal", "seed_first_gradients", "grid_index",
           "plateau_levels", "slice_slope", "LOSS_LABELS", "OPTIMUM", "SLICE_NAMES"]

#: The hhlib fit's optimum on the shipped data (README, seed 0), rounded: the slices' default centre.
OPTIMUM = (1.963, 3.255)
#: Colour-bar / axis labels of the two losses.
LOSS_LABELS = {"mse": "MSE of firing fractions (dimensionless)", "deviance": "binomial deviance (dimensionless)"}
#: Names of the 1-D slices of :func:`slices`.
SLICE_NAMES = ("dv_at_a0", "dv_at_opt", "along", "across", "across_zoom")
# random-stream roles of the fresh-noise builders (CRN always uses ``seed`` itself, like hhlib.predict)
_ROLE = {"surface": 1, "dv_at_a0": 2, "dv_at_opt": 3, "along": 4, "across": 5, "across_zoom": 7, "repeats": 6}
_MAX_TRIALS_PER_CALL = 400_000


def grid_axis(n: int = 41, box=BOX) -> np.ndarray:
    """``n`` values of delta uniform in ``log(1 + delta)`` from ``box[0]`` to ``box[1]`` (both included)."""
    return np.expm1(np.linspace(math.log1p(box[0]), math.log1p(box[1]), int(n)))


def to_uw(delta_v, delta_area):
    """``(u, w) = (log(1 + delta_v), log(1 + delta_area))``."""
    return np.log1p(np.asarray(delta_v, dtype=float)), np.log1p(np.asarray(delta_area, dtype=float))


# ----------------------------------------------------------------------------- simulation
def _fresh_root(seed, role: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(int(seed), spawn_key=(int(role),))


def _simulate_fresh(dv, da, x, runs, root, first_index, setup):
    """Fractions for flat points ``dv, da`` (P,) with streams ``(first_index + point) * n_x + level``."""
    amp = setup.amplitude_uA(dv[:, None], x)
    area = setup.area_cm2(da)[:, None]
    ids = (first_index + np.arange(dv.size))[:, None] * x.size + np.arange(x.size)
    res = simulate(setup.model, Pulse(amp, setup.delay_ms, setup.duration_ms), area, runs, seed=root,
                   stream_ids=ids, **setup.sim_options)
    return res.firing_probability


def fractions(delta_v, delta_area, x=None, *, runs: int = 1000, seed=0, fresh: bool = False, role: int = 0,
              setup=DEFAULT_SETUP, progress=None) -> np.ndarray:
    """Firing fractions at every parameter point, simulated in chunks of points.

    Parameters
    ----------
    delta_v, delta_area : array_like
        Broadcast together to the parameter shape ``S``.
    x : array_like, optional
        Normalised stimulus levels (default: the shipped data's).
    runs : int
        Trials per point and level.
    seed : int
    fresh : bool
        False: common random numbers, identical to ``hhlib.predict(delta_v, delta_area, x, runs=runs,
        seed=seed)``. True: every point gets its own independent noise (random streams
        ``point * n_x + level`` of ``SeedSequence(seed, spawn_key=(role,))``), like a new seed per point.
    role : int
        Separates the fresh-noise streams of different uses of the same seed.
    progress : callable, optional
        ``progress(done_points, total_points)`` after each chunk.

    Returns
    -------
    ndarray, shape ``S + (n_x,)``
    """
    dv, da = check_deltas(delta_v, delta_area)
    x = load_data().x if x is None else np.asarray(x, dtype=float)
    shape = np.broadcast_shapes(dv.shape, da.shape)
    dv, da = (np.broadcast_to(a, shape).ravel() for a in (dv, da))
    out = np.empty((dv.size, x.size))
    step = max(1, min(_MAX_TRIALS_PER_CALL // (runs * x.size), -(-dv.size // 10)))
    root = _fresh_root(seed, role) if fresh else None
    for start in range(0, dv.size, step):
        sl = slice(start, min(start + step, dv.size))
        if fresh:
            out[sl] = _simulate_fresh(dv[sl], da[sl], x, runs, root, start, setup)
        else:
            out[sl] = predict(dv[sl], da[sl], x, runs=runs, seed=seed, setup=setup)
        if progress:
            progress(sl.stop, dv.size)
    return out.reshape(shape + (x.size,))


def losses(p, runs, data=None):
    """MSE and binomial deviance of the data for every row of ``runs``-trial predictions ``p`` (shape ``S + (n_x,)``).

    Uses :func:`hhlib.mse_loss` and :func:`hhlib.deviance_loss`; the deviance scores the smoothed Monte Carlo
    estimate ``(k + 1/2)/(runs + 1)``, so a level where no simulated trial (or every one) fired gives a large
    but finite deviance. Returns ``(mse, deviance)``, each shape ``S``.
    """
    data = load_data() if data is None else data
    p = np.asarray(p, dtype=float)
    flat = p.reshape(-1, p.shape[-1])
    mse = np.array([mse_loss(row, data) for row in flat]).reshape(p.shape[:-1])
    dev = np.array([deviance_loss(row, data, n_model_trials=runs) for row in flat]).reshape(p.shape[:-1])
    return mse, dev


# ----------------------------------------------------------------------------- builders
def _surface(n, runs, seed, fresh, progress):
    g = grid_axis(n)
    p = fractions(g[None, :], g[:, None], runs=runs, seed=seed, fresh=fresh, role=_ROLE["surface"],
                  progress=progress)
    mse, dev = losses(p, runs)
    return dict(delta_v=g, delta_area=g, p=p, mse=mse, deviance=dev, runs=np.array(runs), fresh=np.array(fresh))


@register("landscape_surface_fresh", n=41, runs=10, seed=0)
def surface_fresh(n=41, runs=10, seed=0, progress=None):
    """MSE and deviance on an ``n x n`` grid, ``runs`` trials per level, fresh noise at every point.

    Returns
    -------
    dict: ``delta_v`` (n,), ``delta_area`` (n,), ``p`` (n, n, n_x), ``mse``, ``deviance`` (n, n) with
    rows = delta_area, columns = delta_v; ``runs``, ``fresh``.
    """
    return _surface(n, runs, seed, True, progress)


@register("landscape_surface_crn", n=41, runs=1000, seed=0)
def surface_crn(n=41, runs=1000, seed=0, progress=None):
    """As :func:`surface_fresh`, but under common random numbers (``hhlib.predict(..., seed=seed)``)."""
    return _surface(n, runs, seed, False, progress)


def _slice_points(name, n, centre, across_halfwidth, zoom_halfwidth):
    """(t, delta_v, delta_area) of one slice; t is delta_v for the dv slices, else the offset in log units."""
    u_lo, u_hi = math.log1p(BOX[0]), math.log1p(BOX[1])
    uc, wc = math.log1p(centre[0]), math.log1p(centre[1])
    if name in ("dv_at_a0", "dv_at_opt"):
        dv = grid_axis(n)
        return dv, dv, np.full(n, 0.0 if name == "dv_at_a0" else centre[1])
    if name == "along":                                   # (u, w) = (uc + t, wc + t), inside the box
        t = np.linspace(max(u_lo - uc, u_lo - wc), min(u_hi - uc, u_hi - wc), n)
        return t, np.expm1(uc + t), np.expm1(wc + t)
    half = across_halfwidth if name == "across" else zoom_halfwidth
    t = np.linspace(-half, half, n)                       # across: (uc + t, wc - t)
    return t, np.expm1(uc + t), np.expm1(wc - t)


@register("landscape_slices", n=81, runs=1000, fresh_runs=10, seed=0, centre=OPTIMUM, across_halfwidth=0.4,
          zoom_halfwidth=0.02)
def slices(n=81, runs=1000, fresh_runs=10, seed=0, centre=OPTIMUM, across_halfwidth=0.4, zoom_halfwidth=0.02,
           progress=None):
    """1-D slices of the losses, ``runs`` trials under CRN and ``fresh_runs`` trials with fresh noise.

    Slices (see :data:`SLICE_NAMES`): ``dv_at_a0`` (delta_v over the box at delta_area = 0, the seed's
    start), ``dv_at_opt`` (delta_v over the box at the optimum's delta_area), ``along`` the valley
    (``u = u* + t, w = w* + t`` over the box) and ``across`` it (``u = u* + t, w = w* - t``,
    ``|t| <= across_halfwidth``; ``across_zoom`` the same for ``|t| <= zoom_halfwidth``), through
    ``centre = (delta_v*, delta_area*)``. With an odd ``n`` the centre is a point of both across slices.

    Returns
    -------
    flat dict: ``runs``, ``fresh_runs``, ``centre`` and, for every slice ``name``, ``{name}_t``,
    ``{name}_delta_v``, ``{name}_delta_area`` (n,),
    ``{name}_p_crn``, ``{name}_p_fresh`` (n, n_x), ``{name}_{mse,deviance}_{crn,fresh}`` (n,);
    read one slice with :func:`slice_of`.
    """
    out = dict(runs=np.array(runs), fresh_runs=np.array(fresh_runs), centre=np.asarray(centre, dtype=float))
    for k, name in enumerate(SLICE_NAMES):
        t, dv, da = _slice_points(name, n, centre, across_halfwidth, zoom_halfwidth)
        p_crn = fractions(dv, da, runs=runs, seed=seed)
        p_fresh = fractions(dv, da, runs=fresh_runs, seed=seed, fresh=True, role=_ROLE[name])
        out.update({f"{name}_t": t, f"{name}_delta_v": dv, f"{name}_delta_area": da,
                    f"{name}_p_crn": p_crn, f"{name}_p_fresh": p_fresh})
        for tag, p in (("crn", p_crn), ("fresh", p_fresh)):
            out[f"{name}_mse_{tag}"], out[f"{name}_deviance_{tag}"] = losses(p, runs if tag == "crn" else fresh_runs)
        if progress:
            progress(k + 1, len(SLICE_NAMES))
    return out


def slice_of(sl: dict, name: str) -> dict:
    """The arrays of one slice of :func:`slices` without the ``{name}_`` prefix."""
    pre = f"{name}_"
    return {k[len(pre):]: v for k, v in sl.items() if k.startswith(pre)}


@register("landscape_valley", n_w=17, n_s=21, w_halfwidth=0.4, s_halfwidth=0.01, runs=1000, seed=0, centre=OPTIMUM)
def valley(n_w=17, n_s=21, w_halfwidth=0.4, s_halfwidth=0.01, runs=1000, seed=0, centre=OPTIMUM, progress=None):
    """CRN losses on a grid aligned with the valley, around ``centre``: a zoom the box grid cannot resolve.

    Rows: log area ``w = w* + a`` (``|a| <= w_halfwidth``, along the valley); columns: log current
    density ``s = u - w = s* + b`` (``|b| <= s_halfwidth``, across it), ``u = log(1 + delta_v)``.

    Returns
    -------
    dict: ``w_offset`` (n_w,), ``s_offset`` (n_s,), ``delta_v``, ``delta_area``, ``mse``, ``deviance``
    (n_w, n_s), ``p`` (n_w, n_s, n_x), ``centre`` (2,), ``runs``.
    """
    uc, wc = math.log1p(centre[0]), math.log1p(centre[1])
    a = np.linspace(-w_halfwidth, w_halfwidth, int(n_w))
    b = np.linspace(-s_halfwidth, s_halfwidth, int(n_s))
    w = wc + a[:, None] + 0 * b
    dv, da = np.expm1(w + (uc - wc) + b[None, :]), np.expm1(w)
    p = fractions(dv, da, runs=runs, seed=seed, progress=progress)
    mse, dev = losses(p, runs)
    return dict(w_offset=a, s_offset=b, delta_v=dv, delta_area=da, p=p, mse=mse, deviance=dev,
                centre=np.asarray(centre, dtype=float), runs=np.array(runs))


@register("landscape_repeats", points=((0.0, 0.0), OPTIMUM), runs=(10, 1000), n_repeats=(400, 40), seed=0,
          fd_step=1e-8)
def repeats(points=((0.0, 0.0), OPTIMUM), runs=(10, 1000), n_repeats=(400, 40), seed=0, fd_step=1e-8, progress=None):
    """Repeated fresh-noise evaluations of the losses at fixed points, and the seed's first gradient step.

    For every point and every ``runs[j]``, ``n_repeats[j]`` independent evaluations. Also, under CRN
    with ``runs[-1]`` trials (seed ``seed``), the losses at ``point``, ``point + (fd_step, 0)`` and
    ``point + (0, fd_step)``: the finite-difference step of L-BFGS-B's default gradient.

    Returns
    -------
    dict: ``points`` (n_pt, 2), ``runs`` (n_r,), ``n_repeats`` (n_r,), ``mse_{R}``, ``deviance_{R}``
    (n_pt, n_repeats) for every R in runs, ``fd_mse``, ``fd_deviance`` (n_pt, 3) and ``fd_step``.
    """
    pts = np.asarray(points, dtype=float)
    out = dict(points=pts, runs=np.asarray(runs), n_repeats=np.asarray(n_repeats), fd_step=np.array(fd_step))
    for j, (r, m) in enumerate(zip(runs, n_repeats)):
        p = fractions(np.repeat(pts[:, :1], m, 1), np.repeat(pts[:, 1:], m, 1), runs=r, seed=seed, fresh=True,
                      role=_ROLE["repeats"] * 1000 + j)
        out[f"mse_{r}"], out[f"deviance_{r}"] = losses(p, r)
        if progress:
            progress(j + 1, len(runs) + 1)
    fd = pts[:, None, :] + np.array([[0, 0], [fd_step, 0], [0, fd_step]])[None]
    out["fd_mse"], out["fd_deviance"] = losses(fractions(fd[..., 0], fd[..., 1], runs=runs[-1], seed=seed), runs[-1])
    if progress:
        progress(len(runs) + 1, len(runs) + 1)
    return out


# ----------------------------------------------------------------------------- numbers
def plateau_mask(p) -> np.ndarray:
    """True where every predicted fraction is 0 or every one is 1 (the loss is flat there)."""
    p = np.asarray(p)
    return np.all(p == 0, axis=-1) | np.all(p == 1, axis=-1)


def grid_minimum(surface: dict, loss: str = "deviance"):
    """``(delta_v, delta_area, value)`` at the smallest ``surface[loss]`` on the grid."""
    z = np.asarray(surface[loss])
    i, j = np.unravel_index(np.argmin(z), z.shape)
    return float(surface["delta_v"][j]), float(surface["delta_area"][i]), float(z[i, j])


def valley_variation(sl: dict, loss: str = "deviance", along_halfwidth: float = 0.2, tag: str = "crn"):
    """How much a loss changes along the valley and across it, near the optimum.

    Returns ``(range_along, range_across)``: max - min of the loss on the ``along`` slice within
    ``along_halfwidth`` log units of its minimum, and on the whole ``across_zoom`` slice (its
    ``zoom_halfwidth``, by default 10x shorter).
    """
    a = slice_of(sl, "along")
    z = a[f"{loss}_{tag}"]
    keep = np.abs(a["t"] - a["t"][np.argmin(z)]) <= along_halfwidth
    return float(np.ptp(z[keep])), float(np.ptp(slice_of(sl, "across_zoom")[f"{loss}_{tag}"]))


def noise_and_signal(rep: dict, surface: dict, loss: str = "mse", runs: int = 10):
    """Monte Carlo spread of a ``runs``-trial loss vs its systematic differences between grid neighbours.

    Returns dict: ``std`` (n_pt,) and ``range`` (n_pt, 2) of the repeated losses at each point of
    ``rep``, and ``neighbour_diff``: the median absolute difference of ``surface[loss]`` between
    neighbouring grid points (both directions) where that surface is not on a plateau.
    """
    z = np.asarray(rep[f"{loss}_{runs}"])
    s = np.asarray(surface[loss])
    flat = ~plateau_mask(surface["p"])
    dx = np.abs(np.diff(s, axis=1))[flat[:, 1:] | flat[:, :-1]]
    dy = np.abs(np.diff(s, axis=0))[flat[1:, :] | flat[:-1, :]]
    return dict(std=z.std(axis=1, ddof=1), range=np.stack([z.min(axis=1), z.max(axis=1)], axis=1),
                neighbour_diff=float(np.median(np.r_[dx, dy])))


def grid_index(surface: dict, delta_v: float, delta_area: float):
    """``(row, column)`` of the grid point nearest ``(delta_v, delta_area)`` in log(1 + delta)."""
    i = int(np.argmin(np.abs(np.log1p(surface["delta_area"]) - math.log1p(delta_area))))
    j = int(np.argmin(np.abs(np.log1p(surface["delta_v"]) - math.log1p(delta_v))))
    return i, j


def plateau_levels(data=None):
    """The two exact plateau values of the MSE: every prediction 0, and every prediction 1."""
    data = load_data() if data is None else data
    return mse_loss(np.zeros(len(data)), data), mse_loss(np.ones(len(data)), data)


def slice_slope(sl: dict, name: str = "dv_at_a0", loss: str = "mse", at: float = 0.0, tag: str = "crn") -> float:
    """Central difference ``dL/dt`` of a slice's loss at the point nearest ``t = at`` (its two neighbours)."""
    s = slice_of(sl, name)
    k = int(np.clip(np.argmin(np.abs(s["t"] - at)), 1, s["t"].size - 2))
    z = s[f"{loss}_{tag}"]
    return float((z[k + 1] - z[k - 1]) / (s["t"][k + 1] - s["t"][k - 1]))


def seed_first_gradients(history, step: float = 1e-8) -> np.ndarray:
    """The first finite-difference gradient of the seed's L-BFGS-B: ``(L1 - L0, L2 - L0) / step``."""
    loss = [h["loss"] for h in history[:3]]
    return np.array([loss[1] - loss[0], loss[2] - loss[0]]) / step


# ----------------------------------------------------------------------------- plots
_DELTA_TICKS = (-0.9, -0.5, 0.0, 1.0, 3.0, 9.0)


def _axes(ax, size=(6, 4.6)):
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


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
        ``hhlib.cache.cached(surface_crn)``.
    loss : str or ndarray
        Key of the loss in ``surface`` (``"mse"`` or ``"deviance"``) or an (n_a, n_v) array.
    ax : matplotlib Axes, optional
        Default: a new figure.
    coords : {"delta", "uw"}
        ``"delta"``: axes show delta_v, delta_area, spaced as log(1 + delta) (matplotlib function
        scale; data coordinates are the deltas). ``"uw"``: axes are ``u = log(1 + delta_v)`` and
        ``w = log(1 + delta_area)``. :func:`plot_path` draws in whichever the axes use.
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
    ax = _axes(ax)
    key = loss if isinstance(loss, str) else None
    z = np.asarray(surface[loss] if key else loss, dtype=float)
    dv, da = np.asarray(surface["delta_v"]), np.asarray(surface["delta_area"])
    ex, ey = _edges(dv), _edges(da)
    if coords == "uw":
        ex, ey = np.log1p(ex), np.log1p(ey)
    elif coords != "delta":
        raise ValueError(f"coords must be 'delta' or 'uw', got {coords!r}")
    pos = z[z > 0]
    norm = LogNorm(vmin=vmin if vmin is not None else pos.min(), vmax=vmax if vmax is not None else z.max())
    mesh = ax.pcolormesh(ex, ey, np.where(z > 0, z, norm.vmin), norm=norm, cmap=cmap, shading="flat")
    ax.figure.colorbar(mesh, ax=ax, label=LOSS_LABELS.get(key, "loss (dimensionless)"))
    ax._hhlib_coords = coords
    if coords == "delta":
        _log1p_axes(ax)
        ax.set_xlabel("delta_v (dimensionless; axis spaced as log(1 + delta_v))")
        ax.set_ylabel("delta_area (dimensionless; log(1 + delta_area))")
    else:
        ax.set_xlabel("u = log(1 + delta_v) (dimensionless)")
        ax.set_ylabel("w = log(1 + delta_area) (dimensionless)")
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


def plot_path(history, ax=None, *, label="optimiser path", coords=None, color="m", marker="o"):
    """Draw an optimiser's evaluations, in order, on a surface drawn by :func:`plot_surface`.

    Parameters
    ----------
    history : list of dict or FitResult
        Rows with ``delta_v`` and ``delta_area`` (``FitResult.history``, any method), or a FitResult.
    ax : matplotlib Axes, optional
        Usually the axes returned by :func:`plot_surface` (default: a new figure).
    label : str
        Legend label of the path; the first and last evaluation get "start" / "end" markers.
    coords : {"delta", "uw"}, optional
        Default: that of the axes (set by :func:`plot_surface`), else "delta".
    color, marker : str

    Returns
    -------
    matplotlib Axes
    """
    history = getattr(history, "history", history)
    ax = _axes(ax)
    coords = coords or getattr(ax, "_hhlib_coords", "delta")
    dv = np.array([h["delta_v"] for h in history], dtype=float)
    da = np.array([h["delta_area"] for h in history], dtype=float)
    x, y = to_uw(dv, da) if coords == "uw" else (dv, da)
    ax.plot(x, y, "-", color=color, lw=1, marker=marker, ms=4, mec="k", mew=0.5,
            label=f"{label} ({len(dv)} evaluations)")
    ax.plot(x[0], y[0], "s", mfc="none", mec=color, ms=11, mew=2, label=f"{label}: start")
    ax.plot(x[-1], y[-1], "X", color=color, mec="k", ms=11, label=f"{label}: end")
    if coords == "delta" and ax.get_xscale() != "function":
        ax.set_xlabel("delta_v (dimensionless)")
        ax.set_ylabel("delta_area (dimensionless)")
    elif coords == "uw" and not ax.get_xlabel():
        ax.set_xlabel("u = log(1 + delta_v) (dimensionless)")
        ax.set_ylabel("w = log(1 + delta_area) (dimensionless)")
    ax.legend(loc="lower right", fontsize="x-small", framealpha=0.8)
    return ax


def plot_valley(vs: dict, loss: str = "deviance", ax=None, *, title=None):
    """The valley zoom of :func:`valley`: loss over (s - s*, w - w*), log colour scale, grid minimum marked."""
    ax = _axes(ax)
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


def plot_slice(sl: dict, name: str, loss: str = "mse", ax=None):
    """One 1-D slice of :func:`slices`: the CRN loss as a line, the fresh-noise loss as points (log y)."""
    ax = _axes(ax, (6, 3.6))
    s = slice_of(sl, name)
    t = s["t"]
    ax.plot(t, s[f"{loss}_crn"], "-", color="C0", label=f"{int(sl['runs'])} runs, common random numbers")
    ax.plot(t, s[f"{loss}_fresh"], ".", color="C3", ms=4,
            label=f"{int(sl['fresh_runs'])} runs, fresh noise at every point")
    flat = plateau_mask(s["p_crn"])
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


def plot_repeats(rep: dict, loss: str = "mse", runs: int = 10, ax=None, *, labels=None):
    """Histograms of the repeated ``runs``-trial losses at each point of :func:`repeats`."""
    ax = _axes(ax, (6, 3.6))
    z = np.asarray(rep[f"{loss}_{runs}"])
    bins = np.linspace(z.min(), z.max(), 40)
    for k, (pt, row) in enumerate(zip(rep["points"], z)):
        name = labels[k] if labels else f"({pt[0]:.3g}, {pt[1]:.3g})"
        ax.hist(row, bins=bins, alpha=0.6, color=f"C{k}", label=f"{name}: {row.size} repeats")
    ax.set_xlabel(f"{LOSS_LABELS[loss]}, {runs} runs per level")
    ax.set_ylabel("count of evaluations")
    ax.legend(fontsize="x-small")
    return ax
