"""Search, curvature and profile-likelihood intervals of a named-parameter fit (:mod:`hhlib.fitting.named`).

Coordinates: every free parameter on its search scale (:class:`hhlib.fitting.params.FreeParameter`). The
simulated ones are searched by a Sobol start set and Nelder-Mead (bounded; robust to the small steps that
bisected thresholds leave in a common-random-number loss; one simulated parameter: bounded Brent); the stimulus
scale and the latency offset are profiled out exactly at every point (:class:`~hhlib.fitting.objective.Objective`).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from ..stats import chi2_ppf

Z2_95 = float(chi2_ppf(0.95, 1))          # 3.84: the profile rise that ends a 95 % interval


class FullLoss:
    """The loss as a function of the full vector of search coordinates (every free parameter fixed), cached."""

    def __init__(self, obj):
        self.obj, self.params, self.cache = obj, obj.params, {}
        self.i_sim = [k for k, p in enumerate(obj.params) if p.kind not in ("scale", "latency")]
        self.i_u = next((k for k, p in enumerate(obj.params) if p.kind == "scale"), None)
        self.i_c = next((k for k, p in enumerate(obj.params) if p.kind == "latency"), None)

    def __call__(self, theta, stage="curvature"):
        key = tuple(round(float(v), 12) for v in theta)
        if key not in self.cache:
            u = None if self.i_u is None else theta[self.i_u]
            c = None if self.i_c is None else theta[self.i_c]
            self.cache[key] = self.obj.loss([theta[k] for k in self.i_sim], u, c, stage)
        return self.cache[key]

    def full(self, z_sim):
        """The full vector at ``z_sim`` with ``u`` and ``c`` at their profile optimum."""
        u, c = self.obj.profiled(z_sim)
        theta = np.empty(len(self.params))
        theta[self.i_sim] = z_sim
        if self.i_u is not None:
            theta[self.i_u] = u
        if self.i_c is not None:
            theta[self.i_c] = c
        return theta


def _bounds(params):
    return [p.search_bounds for p in params]


def minimise_sim(obj, z0, fixed=None, step=None, maxfev=None, u=None, c=None, stage="search"):
    """Minimise the profiled loss over the simulated parameters from ``z0`` (``fixed``: {index: value} of those
    held); returns ``(z, loss, ok)``. One free coordinate: bounded Brent; more: bounded Nelder-Mead."""
    fixed = fixed or {}
    free = [k for k in range(len(z0)) if k not in fixed]
    z0 = np.array(z0, dtype=float)
    bounds = _bounds(obj.sim_params)

    def f(zf):
        z = z0.copy()
        z[free] = zf
        return obj.loss(z, u, c, stage)
    if not free:
        return z0, f(np.empty(0)), True
    step = np.array([0.1 * (bounds[k][1] - bounds[k][0]) for k in free]) if step is None else np.asarray(step)[free]
    if len(free) == 1:
        return _brent_1d(f, z0, free[0], bounds[free[0]], step[0], maxfev or 40)
    simplex = np.vstack([z0[free]] + [z0[free] + np.eye(len(free))[j] * step[j] for j in range(len(free))])
    simplex = np.clip(simplex, [bounds[k][0] for k in free], [bounds[k][1] for k in free])
    with np.errstate(invalid="ignore"):      # an infinite loss (data the model excludes) in the simplex: inf - inf
        r = optimize.minimize(f, z0[free], method="Nelder-Mead", bounds=[bounds[k] for k in free],
                              options=dict(initial_simplex=simplex, xatol=1e-3, fatol=1e-3,
                                           maxfev=maxfev or 120 * len(free)))
    z0[free] = r.x
    return z0, float(r.fun), bool(r.success)


def _brent_1d(f, z0, k, bounds, step, maxiter):
    """Brent's method from ``z0[k]`` with a downhill-expanding bracket of initial width ``step`` (it follows a
    valley of the loss however far), the value clipped to ``bounds``; bounded Brent near ``z0`` if that fails."""
    def g(v):
        return f([min(max(v, bounds[0]), bounds[1])])
    try:
        with np.errstate(invalid="ignore", over="ignore"):
            r = optimize.minimize_scalar(g, bracket=(z0[k], z0[k] + step), method="brent",
                                         options=dict(xtol=1e-4, maxiter=maxiter))
        x, fun, ok = float(np.clip(r.x, *bounds)), float(r.fun), bool(r.success)
    except (ValueError, RuntimeError):
        lo, hi = max(bounds[0], z0[k] - 6 * step), min(bounds[1], z0[k] + 6 * step)
        r = optimize.minimize_scalar(lambda v: f([v]), bounds=(lo, hi), method="bounded",
                                     options=dict(xatol=0.02 * step, maxiter=maxiter))
        x, fun, ok = float(r.x), float(r.fun), bool(r.success)
    z0[k] = x
    return z0, fun, ok


def global_search(obj, z_start, seed_int):
    """The optimum of the profiled loss: a Sobol set over the simulated parameters' box plus the start, then a
    local search from the best (:func:`minimise_sim`). Returns ``(z, loss, ok)``."""
    k = len(obj.sim_params)
    if k == 0:
        return np.empty(0), obj.loss(np.empty(0), stage="search"), True
    bounds = np.array(_bounds(obj.sim_params))
    n = 8 if k == 1 else 4 * 2 ** k
    from scipy.stats import qmc  # here: scipy.stats costs 0.3 s to import, and only this needs it
    pts = qmc.Sobol(k, scramble=True, seed=seed_int).random(n) if k > 1 else (np.arange(n)[:, None] + 0.5) / n
    cand = [np.asarray(z_start, dtype=float)] + list(bounds[:, 0] + pts * (bounds[:, 1] - bounds[:, 0]))
    losses = [obj.loss(z, stage="global") for z in cand]
    best = cand[int(np.argmin(losses))]
    step = (bounds[:, 1] - bounds[:, 0]) / (2 * n if k == 1 else 8)
    z, d, ok = minimise_sim(obj, best, step=step)
    return z, d, ok


def hessian(loss, theta, params, rise):
    """Finite-difference Hessian of ``loss`` at ``theta`` (search scale), and the steps of its final pass.

    A Monte Carlo loss is rough on small scales, so every second difference uses steps that raise the loss by
    about ``rise`` (three rounds per direction, within [0.002, 0.25] of the search range): steps whose rise is
    comparable to the roughness give a curvature of noise (far too large, and intervals far too narrow), so
    ``rise`` should be the interval's own rise (:func:`hhlib.fitting.named.fit_named` passes it). Two passes:
    along the axes, then along the eigen-directions of that first estimate (ranges scaled to 1). A likelihood
    with a long valley (e.g. ``delta_v`` and ``delta_area``, which the data fix mostly as a ratio) has curvatures
    thousands of times apart; along the axes the small one is the difference of large, rough numbers, along the
    valley it is measured with a step of its own size."""
    theta = np.asarray(theta, dtype=float)
    width = np.array([b[1] - b[0] for b in _bounds(params)])
    d0 = loss(theta)
    axes = np.diag(width)                      # directions, one per column; a step is in units of the range
    h = _steps(loss, theta, d0, axes, np.minimum(0.02, 0.1 / width), rise)
    first = _second_differences(loss, theta, d0, axes, h)
    _, vecs = np.linalg.eigh(first)
    valley = axes @ vecs
    h = _steps(loss, theta, d0, valley, np.full(len(theta), 0.02), rise)
    inv = np.linalg.inv(valley)
    return inv.T @ _second_differences(loss, theta, d0, valley, h) @ inv, h


def _steps(loss, theta, d0, dirs, h, rise):
    """Steps along the columns of ``dirs`` that raise ``loss`` by about ``rise`` on average over both sides."""
    for _ in range(3):
        mean_rise = np.array([(loss(theta + h[k] * dirs[:, k]) + loss(theta - h[k] * dirs[:, k])) / 2 - d0
                              for k in range(len(h))])
        new = np.where(mean_rise > 0, h * np.sqrt(rise / np.where(mean_rise > 0, mean_rise, 1.0)), 0.25)
        h = np.clip(new, 0.002, 0.25)
    return h


def _second_differences(loss, theta, d0, dirs, h):
    """The Hessian of ``a -> loss(theta + dirs @ a)`` at 0 by central differences with steps ``h``."""
    n = len(h)

    def at(*moves):
        return loss(theta + sum(s * dirs[:, k] for k, s in moves))
    H = np.diag([(at((k, h[k])) - 2 * d0 + at((k, -h[k]))) / h[k] ** 2 for k in range(n)])
    for i in range(n):
        for j in range(i + 1, n):
            H[i, j] = H[j, i] = (at((i, h[i]), (j, h[j])) - at((i, h[i]), (j, -h[j])) - at((i, -h[i]), (j, h[j]))
                                 + at((i, -h[i]), (j, -h[j]))) / (4 * h[i] * h[j])
    return H


def flat_directions(H, params, target):
    """Indices of the parameters in a direction the data do not determine, and the directions: an eigenvector of
    the Hessian (scaled by the search ranges) along which half the range raises the loss by less than
    ``target``, or with a non-positive curvature. Also the covariance ``2 H^+`` on the determined directions."""
    width = np.array([b[1] - b[0] for b in _bounds(params)])
    h_scaled = H * np.outer(width, width)
    vals, vecs = np.linalg.eigh(h_scaled)
    flat = (vals <= 0) | (0.5 * vals * 0.25 < target)
    involved = sorted({int(i) for j in np.flatnonzero(flat) for i in np.flatnonzero(np.abs(vecs[:, j]) > 0.2)})
    keep = ~flat
    inv = (vecs[:, keep] / vals[keep]) @ vecs[:, keep].T if keep.any() else np.zeros_like(h_scaled)
    cov = 2.0 * inv * np.outer(width, width)
    return involved, [vecs[:, j] for j in np.flatnonzero(flat)], cov


class Curvature:
    """The curvature at the optimum: the Hessian ``hess`` (search scale) and the covariance ``cov`` = ``2 H^+`` on
    its determined directions (:func:`flat_directions`)."""

    def __init__(self, hess, cov):
        self.hess, self.cov = np.asarray(hess, dtype=float), np.asarray(cov, dtype=float)

    def conditional(self, i):
        """With parameter ``i`` moved by 1 (search scale), how far the others' optimum moves (``slope``, 1 at
        ``i``) and their conditional variances (0 at ``i``): from the Hessian of the others alone, so that a
        direction that is flat for all parameters together (e.g. ``delta_v``, ``delta_area`` and ``knoise``) but
        determined once ``i`` is held is followed."""
        n = len(self.hess)
        others = [k for k in range(n) if k != i]
        slope, var = np.zeros(n), np.zeros(n)
        slope[i] = 1.0
        if others:
            vals, vecs = np.linalg.eigh(self.hess[np.ix_(others, others)])
            pos = vals > 1e-12 * max(float(np.abs(vals).max()), 1e-300)
            inv = (vecs[:, pos] / vals[pos]) @ vecs[:, pos].T
            slope[others] = -inv @ self.hess[others, i]
            var[others] = 2.0 * np.diag(inv)
        return slope, var


def profile_at(fl, obj, theta_hat, curv, i, v):
    """The profile loss with parameter ``i`` held at ``v`` (search scale), the others re-optimised from their
    conditional optimum under the curvature ``curv`` (:class:`Curvature`); returns ``(loss, theta)``."""
    slope, var = curv.conditional(i)
    bounds = np.array(_bounds(fl.params))
    width = bounds[:, 1] - bounds[:, 0]
    theta = np.clip(np.asarray(theta_hat, dtype=float) + slope * (v - theta_hat[i]), bounds[:, 0], bounds[:, 1])
    theta[i] = v
    u = v if i == fl.i_u else None
    c = v if i == fl.i_c else None
    z = theta[fl.i_sim]
    fixed = {fl.i_sim.index(i): v} if i in fl.i_sim else {}
    sd = np.sqrt(np.clip(var, (1e-3 * width) ** 2, (0.25 * width) ** 2))[fl.i_sim] if fl.i_sim else np.empty(0)
    z, d, _ = minimise_sim(obj, z, fixed=fixed, step=sd, maxfev=25 + 25 * max(len(fl.i_sim) - 1 - bool(fixed), 0),
                           u=u, c=c, stage="profile")
    return d, z


#: A profile rise within [ACCEPT[0], ACCEPT[1]] x the target places an interval's end by the signed-root rule. Not
#: wider: a Monte Carlo loss is rough (about +-2 at 1000 simulated trials per point in a four-parameter fit of
#: 3200 data trials), and a rise of a quarter of the target could be that roughness alone (an end at a quarter
#: of its distance: intervals that missed the truth in 3 of 10 synthetic recoveries).
ACCEPT = (0.5, 2.0)
#: Profile evaluations per interval end.
END_EVALUATIONS = 8
#: A profile point below the optimum's loss by more than this fraction of the interval's rise (at least 0.5) means
#: the search did not reach the minimum (the fit is then not converged). Less is the loss's roughness: the search
#: ends in one of its dips, and another dip elsewhere on the valley floor may lie a little lower. The intervals,
#: measured from the optimum's loss, are then slightly wider than from the lowest point (conservative).
LOWER_TOLERANCE = 0.1


def _end(fl, obj, theta_hat, d_hat, curv, i, v0, bound, target, notes):
    """One end of the interval of parameter ``i``: the profile at ``v0`` (others re-optimised); too small a rise
    (below :data:`ACCEPT` of the target) moves further out (x2.5, up to the bound), too large a one back in; the end
    is placed where the signed root of the rise reaches ``sqrt(target)``. Once a too-small and a too-large rise are
    known, the next point stays between them (bisection where the sqrt rule would leave that bracket) and the end is
    placed inside it. An infinite loss (the simulated trials cannot produce the data's counts there: a Monte Carlo
    limit, not evidence) only bounds the search, bisecting back towards the last finite point; if no finite rise
    reaches the target the end is not closed. Returns ``(end, closed)``."""
    t0, v = theta_hat[i], v0
    small = big = wall = None       # (v, rise) too far in, too far out (finite); the nearest infinite-loss point
    for _ in range(END_EVALUATIONS):
        rise = profile_at(fl, obj, theta_hat, curv, i, v)[0] - d_hat
        if rise < -max(0.5, LOWER_TOLERANCE * target):
            notes.append(f"the profile of {fl.params[i].name} found a loss {-rise:.3g} below the optimum's: the "
                         "search did not reach the minimum")
        if ACCEPT[0] * target <= rise <= ACCEPT[1] * target:
            break
        if rise < ACCEPT[0] * target:
            if v == bound:
                return bound, False
            small = (v, rise)
            v = float(np.clip(t0 + 2.5 * (v - t0), min(bound, t0), max(bound, t0)))
        elif math.isfinite(rise):
            big = (v, rise)
            v = t0 + (v - t0) * math.sqrt(target / rise)
        else:
            wall = (v, rise)
        outer = big if wall is None or (big is not None and abs(big[0] - t0) < abs(wall[0] - t0)) else wall
        if outer is not None:
            inner = t0 if small is None else small[0]
            if not (min(inner, outer[0]) < v < max(inner, outer[0])):
                v = 0.5 * (inner + outer[0])
    else:
        if big is None:
            return bound, False
        return _in_bracket(t0, small, big, target), True
    end = t0 + (v - t0) * math.sqrt(target / rise)
    return float(np.clip(end, min(bound, t0), max(bound, t0))), True


def _in_bracket(t0, small, big, target):
    """The end between the last too-small rise (None: the optimum ``t0``, rise 0) and the too-large one: where the
    signed root of the rise, linear between them, reaches ``sqrt(target)``."""
    (a, ra), (b, rb) = (t0, 0.0) if small is None else small, big
    sa, sb = math.sqrt(max(ra, 0.0)), math.sqrt(rb)
    return a + (b - a) * (math.sqrt(target) - sa) / (sb - sa)


def interval(fl, obj, theta_hat, d_hat, curv, i, target, notes):
    """The 95 % profile interval of parameter ``i`` (search scale) and whether it closes inside the bounds on
    both sides: each end is predicted from the covariance of ``curv`` (:class:`Curvature`) and placed by
    :func:`_end` from profile evaluations (a quadratic profile's signed root is linear in the parameter)."""
    lo, hi = fl.params[i].search_bounds
    cov = curv.cov
    sd = math.sqrt(cov[i, i]) if cov[i, i] > 0 else 0.1 * (hi - lo)
    ends = [_end(fl, obj, theta_hat, d_hat, curv, i, float(np.clip(theta_hat[i] + sign * math.sqrt(target) * sd,
                                                                    lo, hi)), bound, target, notes)
            for sign, bound in ((-1, lo), (1, hi))]
    return (ends[0][0], ends[1][0]), ends[0][1] and ends[1][1]
