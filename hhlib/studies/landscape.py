"""Loss landscapes of the predecessor's fit: why L-BFGS-B on a 10-trial MSE never converged (notebook 03).

Computations and cached builders only; the figures are drawn by :mod:`hhlib.viz.landscape`.

Coordinates. Both parameters live on the predecessor's box ``[-0.9, 9]``; grids are uniform in
``u = log(1 + delta_v)`` and ``w = log(1 + delta_area)`` (both from ``log 0.1`` to ``log 10``, box
edges included; with an odd number of points ``delta = 0`` is a grid point). Without noise the
model depends only on ``u - w``, so the loss has a valley along ``u - w = const``.

Two Monte Carlo settings are compared:

- ``fresh``: every parameter point gets its own, independent noise (the predecessor's setting: a new
  random draw at every evaluation), here with unique random streams per point and level;
- ``crn``: common random numbers, one seed for every parameter point, exactly
  ``hhlib.predict(delta_v, delta_area, x, n_trials=n_trials, seed=seed)``.

Registered caches (``hhlib.studies.cache.cached(builder, **params)``; ``python -m hhlib.studies``):

- ``landscape_surface_fresh`` - :func:`surface_fresh`, 41 x 41 grid, 10 trials per level, fresh noise;
- ``landscape_surface_crn`` - :func:`surface_crn`, 41 x 41 grid, 1000 trials per level, CRN;
- ``landscape_slices`` - :func:`slices`, five 1-D slices, both settings;
- ``landscape_valley`` - :func:`valley`, a 17 x 21 CRN grid aligned with the valley (a zoom);
- ``landscape_repeats`` - :func:`repeats`, repeated evaluations at fixed points.

The slices, the valley zoom and the repeats are centred on the fit's optimum: their default
``centre=None`` (``points=None``) means :func:`hhlib.studies.optimisation.fit_optimum` (the optimum of
``hhlib.fit(seed=0)`` on the shipped data, rounded to 3 decimals), computed by the builder itself, so the
cache key holds ``None`` and ``python -m hhlib.studies`` can rebuild them.

Every surface dict holds ``delta_v`` (n_v,), ``delta_area`` (n_a,), ``p`` (n_a, n_v, n_x) firing
fractions, ``mse`` and ``deviance`` (n_a, n_v): rows are areas, columns stimulus scales.
"""
from __future__ import annotations

import math

import numpy as np

from hhlib import DEFAULT_SETUP, deviance_loss, load_data, mse_loss, predict
from hhlib.fit import BOX
from hhlib.normalised import check_deltas, simulate_responses

from .cache import register
from .optimisation import fit_optimum

__all__ = ["grid_axis", "fractions", "losses", "surface_fresh", "surface_crn", "slices", "valley", "repeats",
           "slice_of", "to_uw", "plateau_mask", "grid_minimum",
           "valley_variation", "noise_and_signal", "predecessor_first_gradients", "grid_index",
           "plateau_levels", "slice_slope", "SLICE_NAMES"]

#: Names of the 1-D slices of :func:`slices`.
SLICE_NAMES = ("dv_at_a0", "dv_at_opt", "along", "across", "across_zoom")
# random-stream roles of the fresh-noise builders (CRN always uses ``seed`` itself, like hhlib.predict)
_ROLE = {"surface": 1, "dv_at_a0": 2, "dv_at_opt": 3, "along": 4, "across": 5, "across_zoom": 7, "repeats": 6}
_MAX_TRIALS_PER_CALL = 400_000


def grid_axis(n: int = 41, box=BOX) -> np.ndarray:
    """``n`` values of delta uniform in ``log(1 + delta)`` from ``box[0]`` to ``box[1]`` (both included).

    Parameters
    ----------
    n : int
        Number of values.
    box : (float, float)
        Smallest and largest delta (dimensionless, > -1); default the predecessor's box ``(-0.9, 9)``.

    Returns
    -------
    ndarray, shape (n,)
    """
    return np.expm1(np.linspace(math.log1p(box[0]), math.log1p(box[1]), int(n)))


def to_uw(delta_v, delta_area):
    """Log coordinates ``(u, w) = (log(1 + delta_v), log(1 + delta_area))`` (all dimensionless).

    Parameters
    ----------
    delta_v, delta_area : array_like

    Returns
    -------
    (u, w) : tuple of ndarray
    """
    return np.log1p(np.asarray(delta_v, dtype=float)), np.log1p(np.asarray(delta_area, dtype=float))


# ----------------------------------------------------------------------------- simulation
def _fresh_root(seed, role: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(int(seed), spawn_key=(int(role),))


def _simulate_fresh(dv, da, x, n_trials, root, first_index, setup):
    """Fractions for flat points ``dv, da`` (P,) with streams ``(first_index + point) * n_x + level``."""
    amp = setup.amplitude_uA(dv[:, None], x)
    area = setup.area_cm2(da)[:, None]
    ids = (first_index + np.arange(dv.size))[:, None] * x.size + np.arange(x.size)
    fired, _ = simulate_responses(setup, amp, area, n_trials, seed=root, stream_ids=ids)
    return fired.mean(axis=-1)


def fractions(delta_v, delta_area, x=None, *, n_trials: int = 1000, seed=0, fresh: bool = False, role: int = 0,
              setup=DEFAULT_SETUP, progress=None) -> np.ndarray:
    """Firing fractions at every parameter point, simulated in chunks of points.

    Parameters
    ----------
    delta_v, delta_area : array_like
        Relative stimulus scale and area change (dimensionless), broadcast together to the parameter
        shape ``S``.
    x : array_like, optional
        Normalised stimulus levels (dimensionless; default: the shipped data's).
    n_trials : int
        Trials per point and level.
    seed : int
        Random seed.
    fresh : bool
        False: common random numbers, identical to ``hhlib.predict(delta_v, delta_area, x, n_trials=n_trials,
        seed=seed)``. True: every point gets its own independent noise (random streams
        ``point * n_x + level`` of ``SeedSequence(seed, spawn_key=(role,))``), like a new seed per point.
    role : int
        Separates the fresh-noise streams of different uses of the same seed.
    setup : NormalisedSetup
        Reference amplitude and area, pulse and model (default :data:`hhlib.DEFAULT_SETUP`).
    progress : callable, optional
        ``progress(done_points, total_points)`` after each chunk.

    Returns
    -------
    ndarray, shape ``S + (n_x,)``
        Firing fractions (dimensionless).
    """
    dv, da = check_deltas(delta_v, delta_area)
    x = load_data().x if x is None else np.asarray(x, dtype=float)
    shape = np.broadcast_shapes(dv.shape, da.shape)
    dv, da = (np.broadcast_to(a, shape).ravel() for a in (dv, da))
    out = np.empty((dv.size, x.size))
    step = max(1, min(_MAX_TRIALS_PER_CALL // (n_trials * x.size), -(-dv.size // 10)))
    root = _fresh_root(seed, role) if fresh else None
    for start in range(0, dv.size, step):
        sl = slice(start, min(start + step, dv.size))
        if fresh:
            out[sl] = _simulate_fresh(dv[sl], da[sl], x, n_trials, root, start, setup)
        else:
            out[sl] = predict(dv[sl], da[sl], x, n_trials=n_trials, seed=seed, setup=setup)
        if progress:
            progress(sl.stop, dv.size)
    return out.reshape(shape + (x.size,))


def losses(p, n_trials, data=None):
    """MSE and binomial deviance of the data for every row of ``n_trials``-trial predictions ``p``.

    Uses :func:`hhlib.mse_loss` and :func:`hhlib.deviance_loss`; the deviance scores the smoothed Monte Carlo
    estimate ``(k + 1/2)/(n_trials + 1)``, so a level where no simulated trial (or every one) fired gives a large
    but finite deviance.

    Parameters
    ----------
    p : array_like, shape ``S + (n_x,)``
        Firing fractions at the data's stimulus levels (dimensionless).
    n_trials : int
        Trials per level behind ``p``.
    data : FiringData, optional
        Default: the shipped data.

    Returns
    -------
    (mse, deviance) : tuple of ndarray, each shape ``S``
        Both dimensionless.
    """
    data = load_data() if data is None else data
    p = np.asarray(p, dtype=float)
    flat = p.reshape(-1, p.shape[-1])
    mse = np.array([mse_loss(row, data) for row in flat]).reshape(p.shape[:-1])
    dev = np.array([deviance_loss(row, data, n_model_trials=n_trials) for row in flat]).reshape(p.shape[:-1])
    return mse, dev


# ----------------------------------------------------------------------------- builders
def _surface(n, n_trials, seed, fresh, progress):
    g = grid_axis(n)
    p = fractions(g[None, :], g[:, None], n_trials=n_trials, seed=seed, fresh=fresh, role=_ROLE["surface"],
                  progress=progress)
    mse, dev = losses(p, n_trials)
    return dict(delta_v=g, delta_area=g, p=p, mse=mse, deviance=dev, n_trials=np.array(n_trials), fresh=np.array(fresh))


@register("landscape_surface_fresh", n=41, n_trials=10, seed=0)
def surface_fresh(n=41, n_trials=10, seed=0, progress=None):
    """MSE and deviance on an ``n x n`` grid, ``n_trials`` trials per level, fresh noise at every point.

    Parameters
    ----------
    n : int
        Grid points per axis (:func:`grid_axis`).
    n_trials : int
        Trials per point and stimulus level.
    seed : int
        Random seed.
    progress : callable, optional

    Returns
    -------
    dict
        ``delta_v`` (n,), ``delta_area`` (n,), ``p`` (n, n, n_x) firing fractions, ``mse``, ``deviance``
        (n, n) with rows = delta_area, columns = delta_v (all dimensionless); ``n_trials``, ``fresh``.
    """
    return _surface(n, n_trials, seed, True, progress)


@register("landscape_surface_crn", n=41, n_trials=1000, seed=0)
def surface_crn(n=41, n_trials=1000, seed=0, progress=None):
    """As :func:`surface_fresh`, but under common random numbers (``hhlib.predict(..., seed=seed)``).

    Parameters
    ----------
    n : int
        Grid points per axis (:func:`grid_axis`).
    n_trials : int
        Trials per point and stimulus level.
    seed : int
        Random seed (one noise realisation for every point).
    progress : callable, optional

    Returns
    -------
    dict
        As :func:`surface_fresh`.
    """
    return _surface(n, n_trials, seed, False, progress)


def _centre(centre) -> tuple[float, float]:
    """``centre`` as a pair of floats; ``None``: the fit's optimum (``fit_optimum()``)."""
    if centre is None:
        return fit_optimum()
    dv, da = (float(v) for v in centre)
    return dv, da


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


@register("landscape_slices", n=81, n_trials=1000, fresh_n_trials=10, seed=0, centre=None, across_halfwidth=0.4,
          zoom_halfwidth=0.02)
def slices(n=81, n_trials=1000, fresh_n_trials=10, seed=0, centre=None, across_halfwidth=0.4, zoom_halfwidth=0.02,
           progress=None):
    """1-D slices of the losses, ``n_trials`` trials under CRN and ``fresh_n_trials`` trials with fresh noise.

    Slices (see :data:`SLICE_NAMES`): ``dv_at_a0`` (delta_v over the box at delta_area = 0, the
    predecessor's start), ``dv_at_opt`` (delta_v over the box at the centre's delta_area), ``along`` the
    valley (``u = u* + t, w = w* + t`` over the box) and ``across`` it (``u = u* + t, w = w* - t``,
    ``|t| <= across_halfwidth``; ``across_zoom`` the same for ``|t| <= zoom_halfwidth``), through
    ``centre = (delta_v*, delta_area*)``. With an odd ``n`` the centre is a point of both across slices.

    Parameters
    ----------
    n : int
        Points per slice.
    n_trials, fresh_n_trials : int
        Trials per point and stimulus level, under CRN and with fresh noise.
    seed : int
        Random seed.
    centre : (float, float), optional
        ``(delta_v*, delta_area*)`` (dimensionless); default :func:`~hhlib.studies.optimisation.fit_optimum`.
    across_halfwidth, zoom_halfwidth : float
        Half-lengths of the across slices, log units (dimensionless).
    progress : callable, optional
        ``progress(done, total)`` after each slice.

    Returns
    -------
    dict
        Flat: ``n_trials``, ``fresh_n_trials``, ``centre`` and, for every slice ``name``, ``{name}_t``,
        ``{name}_delta_v``, ``{name}_delta_area`` (n,), ``{name}_p_crn``, ``{name}_p_fresh`` (n, n_x),
        ``{name}_{mse,deviance}_{crn,fresh}`` (n,); read one slice with :func:`slice_of`.
    """
    centre = _centre(centre)
    out = dict(n_trials=np.array(n_trials), fresh_n_trials=np.array(fresh_n_trials),
               centre=np.asarray(centre, dtype=float))
    for k, name in enumerate(SLICE_NAMES):
        t, dv, da = _slice_points(name, n, centre, across_halfwidth, zoom_halfwidth)
        p_crn = fractions(dv, da, n_trials=n_trials, seed=seed)
        p_fresh = fractions(dv, da, n_trials=fresh_n_trials, seed=seed, fresh=True, role=_ROLE[name])
        out.update({f"{name}_t": t, f"{name}_delta_v": dv, f"{name}_delta_area": da,
                    f"{name}_p_crn": p_crn, f"{name}_p_fresh": p_fresh})
        for tag, p in (("crn", p_crn), ("fresh", p_fresh)):
            trials = n_trials if tag == "crn" else fresh_n_trials
            out[f"{name}_mse_{tag}"], out[f"{name}_deviance_{tag}"] = losses(p, trials)
        if progress:
            progress(k + 1, len(SLICE_NAMES))
    return out


def slice_of(sl: dict, name: str) -> dict:
    """One slice of :func:`slices`, ready to draw (:func:`hhlib.viz.landscape.plot_slice`).

    Parameters
    ----------
    sl : dict
        A result of :func:`slices`.
    name : str
        One of :data:`SLICE_NAMES`.

    Returns
    -------
    dict
        The slice's arrays without the ``{name}_`` prefix (``t``, ``delta_v``, ``delta_area``,
        ``p_crn``, ``p_fresh``, ``mse_crn``, ...), plus ``name``, ``n_trials`` and ``fresh_n_trials`` (trials per
        level) and ``plateau`` (bool, (n,): :func:`plateau_mask` of ``p_crn``).
    """
    if name not in SLICE_NAMES:
        raise ValueError(f"name must be one of {', '.join(SLICE_NAMES)}; got {name!r}")
    pre = f"{name}_"
    out = {k[len(pre):]: v for k, v in sl.items() if k.startswith(pre)}
    out.update(name=name, n_trials=int(sl["n_trials"]), fresh_n_trials=int(sl["fresh_n_trials"]),
               plateau=plateau_mask(out["p_crn"]))
    return out


@register("landscape_valley", n_w=17, n_s=21, w_halfwidth=0.4, s_halfwidth=0.01, n_trials=1000, seed=0, centre=None)
def valley(n_w=17, n_s=21, w_halfwidth=0.4, s_halfwidth=0.01, n_trials=1000, seed=0, centre=None, progress=None):
    """CRN losses on a grid aligned with the valley, around ``centre``: a zoom the box grid cannot resolve.

    Rows: log area ``w = w* + a`` (``|a| <= w_halfwidth``, along the valley); columns: log current
    density ``s = u - w = s* + b`` (``|b| <= s_halfwidth``, across it), ``u = log(1 + delta_v)``.

    Parameters
    ----------
    n_w, n_s : int
        Grid points along and across the valley.
    w_halfwidth, s_halfwidth : float
        Half-widths of the grid in log units (dimensionless).
    n_trials : int
        Trials per point and stimulus level.
    seed : int
        Random seed (common random numbers).
    centre : (float, float), optional
        ``(delta_v*, delta_area*)`` (dimensionless); default :func:`~hhlib.studies.optimisation.fit_optimum`.
    progress : callable, optional

    Returns
    -------
    dict
        ``w_offset`` (n_w,), ``s_offset`` (n_s,), ``delta_v``, ``delta_area``, ``mse``, ``deviance``
        (n_w, n_s), ``p`` (n_w, n_s, n_x), ``centre`` (2,), ``n_trials``.
    """
    centre = _centre(centre)
    uc, wc = math.log1p(centre[0]), math.log1p(centre[1])
    a = np.linspace(-w_halfwidth, w_halfwidth, int(n_w))
    b = np.linspace(-s_halfwidth, s_halfwidth, int(n_s))
    w = wc + a[:, None] + 0 * b
    dv, da = np.expm1(w + (uc - wc) + b[None, :]), np.expm1(w)
    p = fractions(dv, da, n_trials=n_trials, seed=seed, progress=progress)
    mse, dev = losses(p, n_trials)
    return dict(w_offset=a, s_offset=b, delta_v=dv, delta_area=da, p=p, mse=mse, deviance=dev,
                centre=np.asarray(centre, dtype=float), n_trials=np.array(n_trials))


@register("landscape_repeats", points=None, n_trials=(10, 1000), n_repeats=(400, 40), seed=0, fd_step=1e-8)
def repeats(points=None, n_trials=(10, 1000), n_repeats=(400, 40), seed=0, fd_step=1e-8, progress=None):
    """Repeated fresh-noise evaluations of the losses at fixed points, and the predecessor's first gradient step.

    For every point and every ``n_trials[j]``, ``n_repeats[j]`` independent evaluations. Also, under CRN
    with ``n_trials[-1]`` trials (seed ``seed``), the losses at ``point``, ``point + (fd_step, 0)`` and
    ``point + (0, fd_step)``: the finite-difference step of L-BFGS-B's default gradient.

    Parameters
    ----------
    points : sequence of (float, float), optional
        ``(delta_v, delta_area)`` points (dimensionless); default ``((0, 0), fit_optimum())``: the
        predecessor's start and the fit's optimum.
    n_trials, n_repeats : sequence of int
        Trials per level of each setting, and how many evaluations of it at each point.
    seed : int
        Random seed.
    fd_step : float
        Finite-difference step in delta (dimensionless).
    progress : callable, optional

    Returns
    -------
    dict
        ``points`` (n_pt, 2), ``n_trials`` (n_r,), ``n_repeats`` (n_r,), ``mse_{R}``, ``deviance_{R}``
        (n_pt, n_repeats) for every R in n_trials, ``fd_mse``, ``fd_deviance`` (n_pt, 3) and ``fd_step``.
    """
    pts = np.asarray(((0.0, 0.0), fit_optimum()) if points is None else points, dtype=float)
    out = dict(points=pts, n_trials=np.asarray(n_trials), n_repeats=np.asarray(n_repeats), fd_step=np.array(fd_step))
    for j, (r, m) in enumerate(zip(n_trials, n_repeats, strict=True)):
        p = fractions(np.repeat(pts[:, :1], m, 1), np.repeat(pts[:, 1:], m, 1), n_trials=r, seed=seed, fresh=True,
                      role=_ROLE["repeats"] * 1000 + j)
        out[f"mse_{r}"], out[f"deviance_{r}"] = losses(p, r)
        if progress:
            progress(j + 1, len(n_trials) + 1)
    fd = pts[:, None, :] + np.array([[0, 0], [fd_step, 0], [0, fd_step]])[None]
    p_fd = fractions(fd[..., 0], fd[..., 1], n_trials=n_trials[-1], seed=seed)
    out["fd_mse"], out["fd_deviance"] = losses(p_fd, n_trials[-1])
    if progress:
        progress(len(n_trials) + 1, len(n_trials) + 1)
    return out


# ----------------------------------------------------------------------------- numbers
def plateau_mask(p) -> np.ndarray:
    """True where every predicted fraction is 0 or every one is 1 (the loss is flat there).

    Parameters
    ----------
    p : array_like, shape ``S + (n_x,)``
        Firing fractions (dimensionless), the last axis over stimulus levels.

    Returns
    -------
    ndarray of bool, shape ``S``
    """
    p = np.asarray(p)
    return np.all(p == 0, axis=-1) | np.all(p == 1, axis=-1)


def grid_minimum(surface: dict, loss: str = "deviance"):
    """The grid point with the smallest loss.

    Parameters
    ----------
    surface : dict
        ``delta_v`` (n_v,), ``delta_area`` (n_a,) and ``surface[loss]`` (n_a, n_v).
    loss : str
        ``"mse"`` or ``"deviance"``.

    Returns
    -------
    (delta_v, delta_area, value) : tuple of float
        All dimensionless.
    """
    z = np.asarray(surface[loss])
    i, j = np.unravel_index(np.argmin(z), z.shape)
    return float(surface["delta_v"][j]), float(surface["delta_area"][i]), float(z[i, j])


def valley_variation(sl: dict, loss: str = "deviance", along_halfwidth: float = 0.2, tag: str = "crn"):
    """How much a loss changes along the valley and across it, near the optimum.

    Parameters
    ----------
    sl : dict
        A result of :func:`slices`.
    loss : str
        ``"mse"`` or ``"deviance"``.
    along_halfwidth : float
        Half-length (log units, dimensionless) of the part of the ``along`` slice used, around its minimum.
    tag : str
        ``"crn"`` or ``"fresh"``.

    Returns
    -------
    (range_along, range_across) : tuple of float
        max - min of the loss on the ``along`` slice within ``along_halfwidth`` of its minimum, and on
        the whole ``across_zoom`` slice (its ``zoom_halfwidth``, by default 10x shorter).
    """
    a = slice_of(sl, "along")
    z = a[f"{loss}_{tag}"]
    keep = np.abs(a["t"] - a["t"][np.argmin(z)]) <= along_halfwidth
    return float(np.ptp(z[keep])), float(np.ptp(slice_of(sl, "across_zoom")[f"{loss}_{tag}"]))


def noise_and_signal(rep: dict, surface: dict, loss: str = "mse", n_trials: int = 10):
    """Monte Carlo spread of a ``n_trials``-trial loss vs its systematic differences between grid neighbours.

    Parameters
    ----------
    rep : dict
        A result of :func:`repeats` holding ``{loss}_{n_trials}``.
    surface : dict
        A result of :func:`surface_crn` (or :func:`surface_fresh`).
    loss : str
        ``"mse"`` or ``"deviance"``.
    n_trials : int
        Trials per level of the repeated evaluations to use.

    Returns
    -------
    dict
        ``std`` (n_pt,) and ``range`` (n_pt, 2) of the repeated losses at each point of ``rep``, and
        ``neighbour_diff``: the median absolute difference of ``surface[loss]`` between neighbouring
        grid points (both directions) where that surface is not on a plateau. All dimensionless.
    """
    z = np.asarray(rep[f"{loss}_{n_trials}"])
    s = np.asarray(surface[loss])
    flat = ~plateau_mask(surface["p"])
    dx = np.abs(np.diff(s, axis=1))[flat[:, 1:] | flat[:, :-1]]
    dy = np.abs(np.diff(s, axis=0))[flat[1:, :] | flat[:-1, :]]
    return dict(std=z.std(axis=1, ddof=1), range=np.stack([z.min(axis=1), z.max(axis=1)], axis=1),
                neighbour_diff=float(np.median(np.r_[dx, dy])))


def grid_index(surface: dict, delta_v: float, delta_area: float):
    """``(row, column)`` of the grid point nearest ``(delta_v, delta_area)`` (dimensionless) in log(1 + delta)."""
    i = int(np.argmin(np.abs(np.log1p(surface["delta_area"]) - math.log1p(delta_area))))
    j = int(np.argmin(np.abs(np.log1p(surface["delta_v"]) - math.log1p(delta_v))))
    return i, j


def plateau_levels(data=None):
    """The two exact plateau values of the MSE (dimensionless): every prediction 0, and every prediction 1.

    Parameters
    ----------
    data : FiringData, optional
        Default: the shipped data.

    Returns
    -------
    (mse_all_0, mse_all_1) : tuple of float
    """
    data = load_data() if data is None else data
    return mse_loss(np.zeros(len(data)), data), mse_loss(np.ones(len(data)), data)


def slice_slope(sl: dict, name: str = "dv_at_a0", loss: str = "mse", at: float = 0.0, tag: str = "crn") -> float:
    """Central difference ``dL/dt`` of a slice's loss at the point nearest ``t = at`` (its two neighbours).

    Parameters
    ----------
    sl : dict
        A result of :func:`slices`.
    name : str
        One of :data:`SLICE_NAMES`.
    loss, tag : str
        ``"mse"`` or ``"deviance"``; ``"crn"`` or ``"fresh"``.
    at : float
        Slice coordinate t (delta_v for the dv slices, else log units; dimensionless).

    Returns
    -------
    float
        Loss change per unit t (dimensionless).
    """
    s = slice_of(sl, name)
    k = int(np.clip(np.argmin(np.abs(s["t"] - at)), 1, s["t"].size - 2))
    z = s[f"{loss}_{tag}"]
    return float((z[k + 1] - z[k - 1]) / (s["t"][k + 1] - s["t"][k - 1]))


def predecessor_first_gradients(history, step: float = 1e-8) -> np.ndarray:
    """The first finite-difference gradient of the predecessor's L-BFGS-B: ``(L1 - L0, L2 - L0) / step``.

    Parameters
    ----------
    history : list of dict
        ``FitResult.history`` of ``hhlib.fit(method="predecessor")``; its first three rows hold ``loss``.
    step : float
        The finite-difference step in delta (dimensionless; scipy's default 1e-8).

    Returns
    -------
    ndarray, shape (2,)
        Loss change per unit delta_v and per unit delta_area (dimensionless).
    """
    loss = [h["loss"] for h in history[:3]]
    return np.array([loss[1] - loss[0], loss[2] - loss[0]]) / step
