"""Fit any named parameters to one or several data sets: :func:`fit_named` (what :func:`hhlib.fit` runs for a
``free`` other than today's two, or a list of data sets).

Method
------
1. The loss is the joint ``-2 log L`` of :class:`~hhlib.fitting.objective.Objective` (binomial deviance of the
   counts plus the latency chi-square, summed over the data sets), under common random numbers: per-trial
   thresholds at every point of the simulated parameters, the stimulus scale and the latency offset profiled out
   exactly.
2. Search (:func:`~hhlib.fitting.search.global_search`): a scrambled Sobol set over the box of the simulated
   parameters (8 points for one, ``4 * 2^k`` for k) plus the start, then bounded Nelder-Mead (one parameter:
   bounded Brent) from the best.
3. Curvature: a finite-difference Hessian in the search coordinates, its steps chosen so that the loss rises by
   about the interval's rise (a Monte Carlo loss is rough on small scales; :func:`~hhlib.fitting.search.hessian`);
   an eigen-direction along which half the box raises the loss by less than the interval's rise (or a non-positive
   curvature) is a candidate flat direction. The Hessian of a Monte Carlo loss can be noisy, so the profiles decide:
   a flat direction is reported (its parameters named as trading off) only where a parameter in it has no closed
   profile interval.
4. 95 % profile-likelihood intervals for every parameter: each end predicted from the curvature, the profile
   evaluated there with the others re-optimised (moving out or in until the rise is within half to twice the target,
   so that the loss's roughness cannot pass for the rise), and the end placed where the signed root of the rise
   reaches ``sqrt(3.84 m)``. ``m = 1 + N/R`` (the largest data set's trials ``N`` over the simulated trials ``R``)
   accounts for the Monte Carlo error of the one threshold sample, as the two-parameter path does (conservative). An
   interval that reaches a bound before the profile has risen marks the parameter *not determined by the data*
   (``determined[name] = False``, no interval), and the fit is not called converged.
5. Monte Carlo spread (``n_spread`` > 0; default 0): the local search again, from the optimum, in ``n_spread`` other
   noise realisations (other threshold samples); each interval is widened by the variance of the estimates across
   the realisations (:func:`hhlib.stats.widened_interval`: the two variances add), on top of the ``1 + N/R``
   allowance (conservative: with a few refits the variance itself is uncertain). It measures what the allowance
   assumes; in the synthetic recoveries of ``benchmarks/recovery_named.py`` three refits widened the intervals by
   2-30 %, which covered the truth without them. ``profile_interval`` keeps the unwidened intervals.
6. Validation: a fresh ``validation_n_trials`` prediction per data set at the optimum gives each set's deviance,
   latency chi-square and p-values (on its own levels), and the joint ones (on all levels minus the free
   parameters).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..normalised import check_stimulus_range, deviance_loss, predict, setup_for_data
from ..seeds import SeedRecord, child, record_of
from ..stats import chi2_sf, widened_interval
from .objective import DataSet, Objective
from .params import apply_values, base_value, parse_free
from .search import Z2_95, Curvature, FullLoss, flat_directions, global_search, hessian, interval, minimise_sim

__all__ = ["NamedFitResult", "fit_named"]


@dataclass(frozen=True, eq=False, repr=False)
class NamedFitResult:
    """Outcome of a named-parameter fit (:func:`hhlib.fit` with ``free``, or with a list of data sets).

    Attributes
    ----------
    estimate : dict
        Name -> best-fit value (its own unit: the deltas dimensionless, ``knoise`` µA/mS^0.5, densities per µm²,
        ``latency_offset_ms`` ms, a model field in the model's unit).
    interval : dict
        Name -> 95 % interval ``(low, high)``: the profile-likelihood interval, widened by the Monte Carlo spread of
        the estimate where ``n_spread`` > 0; ``(nan, nan)`` where not determined.
    profile_interval : dict
        Name -> the profile-likelihood interval alone (the fit's own noise realisation).
    spread : dict
        Name -> the estimates in the ``n_spread + 1`` noise realisations (the fit's own first); one value when
        ``n_spread`` = 0.
    determined : dict
        Name -> False where the data do not determine the parameter (flat profile within the bounds or a flat
        direction of the curvature), else True.
    bounds, scale : dict
        Name -> the bounds searched, and ``"log1p"``, ``"log"`` or ``"linear"``.
    deviance, p_value, dof : float, float, int
        Joint binomial deviance of all data sets (fresh prediction), its p-value on ``dof`` = all levels minus the
        free parameters.
    latency_chi2, latency_dof : float, int
        Joint latency term of the fresh prediction and its levels (NaN, 0 without latency data).
    per_set : list of dict
        Per data set: ``source``, ``levels``, ``deviance``, ``p_value`` (on its own levels), ``latency_chi2``,
        ``latency_dof``, ``latency_p_value``.
    fit_loss : float
        The fit's own loss at the optimum (common random numbers).
    converged : bool
        Optimiser succeeded, every parameter determined and inside its bounds, and each fresh prediction's
        deviance consistent with the fit's own.
    message : str
        Why not converged or not determined.
    covariance : ndarray
        ``2 H^+`` in the search coordinates (order of ``estimate``; the determined directions only).
    n_evaluations, n_trials, validation_n_trials, n_trials_simulated : int
    seconds : float
    seed : SeedRecord
    history : list of dict
    """

    estimate: dict
    interval: dict
    determined: dict
    bounds: dict
    scale: dict
    deviance: float
    p_value: float
    dof: int
    latency_chi2: float
    latency_dof: int
    per_set: list
    fit_loss: float
    converged: bool
    message: str
    covariance: np.ndarray
    n_evaluations: int
    n_trials: int
    validation_n_trials: int
    n_trials_simulated: int
    seconds: float
    seed: SeedRecord
    history: list = field(default_factory=list)
    profile_interval: dict = field(default_factory=dict)
    spread: dict = field(default_factory=dict)

    @property
    def n_spread(self) -> int:
        """Refits in other noise realisations that widened the intervals (0: none)."""
        return len(next(iter(self.spread.values()))) - 1 if self.spread else 0

    @property
    def identifiable(self) -> bool:
        return all(self.determined.values())

    @property
    def verdict(self) -> str:
        """``"converged"``, ``"not converged"`` or ``"not determined"`` (some parameter; ``message`` says which)."""
        if not self.identifiable:
            return "not determined"
        return "converged" if self.converged else "not converged"

    @property
    def latency_p_value(self) -> float:
        return float(chi2_sf(self.latency_chi2, self.latency_dof)) if self.latency_dof else math.nan

    def summary(self, timing: bool = True) -> str:
        """The command line's report: verdict, every parameter with its interval, each data set's fit."""
        head = {"converged": "converged", "not converged": "NOT converged", "not determined": "NOT determined"}
        lines = [f"named-parameter fit: {head[self.verdict]}" + (f" ({self.message})" if self.message else "")]
        for name, v in self.estimate.items():
            lo, hi = self.interval[name]
            ci = f"95% CI [{lo:.4g}, {hi:.4g}]" if self.determined[name] else "not determined by the data"
            lines.append(f"  {name:<18} = {v:<11.5g} {ci}   ({self.scale[name]} scale, bounds "
                         f"[{self.bounds[name][0]:g}, {self.bounds[name][1]:g}])")
        for s in self.per_set:
            lat = (f"; latency chi-square {s['latency_chi2']:.2f} over {s['latency_dof']} levels, p = "
                   f"{s['latency_p_value']:.3g}" if s["latency_dof"] else "")
            lines.append(f"  {s['source']}: deviance {s['deviance']:.2f} over {s['levels']} levels, p = "
                         f"{s['p_value']:.3g}{lat}")
        if self.n_spread:
            lines.append(f"  intervals widened by the spread of the estimates in {self.n_spread} other noise "
                         "realisations (Monte Carlo error)")
        lines.append(f"  joint deviance {self.deviance:.2f} on {self.dof} dof (fresh {self.validation_n_trials}-"
                     f"trial prediction), p = {self.p_value:.3g}")
        lines.append(f"  {self.n_evaluations} evaluations, {self.n_trials_simulated:,} simulated trials"
                     + (f", {self.seconds:.1f} s" if timing else ""))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Strict-JSON summary (NaN and infinities become None)."""
        def f(v):
            return float(v) if v is not None and math.isfinite(v) else None
        sets = [{k: (f(v) if isinstance(v, float) else v) for k, v in s.items()} for s in self.per_set]
        return dict(estimate={k: f(v) for k, v in self.estimate.items()},
                    interval={k: [f(a), f(b)] for k, (a, b) in self.interval.items()},
                    profile_interval={k: [f(a), f(b)] for k, (a, b) in self.profile_interval.items()},
                    spread={k: [f(v) for v in vs] for k, vs in self.spread.items()}, n_spread=self.n_spread,
                    determined=dict(self.determined), bounds={k: list(b) for k, b in self.bounds.items()},
                    scale=dict(self.scale), deviance=f(self.deviance), p_value=f(self.p_value), dof=int(self.dof),
                    latency_chi2=f(self.latency_chi2), latency_dof=int(self.latency_dof),
                    latency_p_value=f(self.latency_p_value), per_set=sets, fit_loss=f(self.fit_loss),
                    converged=bool(self.converged), verdict=self.verdict, message=self.message,
                    n_evaluations=int(self.n_evaluations), n_trials=int(self.n_trials),
                    validation_n_trials=int(self.validation_n_trials),
                    n_trials_simulated=int(self.n_trials_simulated), seconds=float(self.seconds))

    def __repr__(self) -> str:
        pars = ", ".join(f"{k} = {v:.4g}" + (f" [{self.interval[k][0]:.4g}, {self.interval[k][1]:.4g}]"
                                              if self.determined[k] else " (not determined)")
                         for k, v in self.estimate.items())
        return f"NamedFitResult({self.verdict}: {pars}; deviance {self.deviance:.3g} on {self.dof} dof)"


# ----------------------------------------------------------------------------- checks
def _data_sets(data, setup, use_latency):
    """The :class:`DataSet` list (ValueError naming the data set whose protocol the setup cannot run)."""
    from ..data import FiringData
    items = list(data) if isinstance(data, (list, tuple)) else [data]
    if not items:
        raise ValueError("data must hold at least one FiringData")
    sets = []
    for k, d in enumerate(items):
        if not isinstance(d, FiringData):
            raise TypeError(f"data[{k}] must be a FiringData (see hhlib.load_data), got {type(d).__name__}")
        try:
            s = setup_for_data(d, setup)
            check_stimulus_range(d, s)
            _ = s.stimulus_at(1.0)
        except ValueError as exc:
            raise ValueError(f"data set {k} ({d.source}): the model cannot run its protocol: {exc}") from None
        lat = d.has_latency and d.jitter_ms is not None if use_latency is None else bool(use_latency)
        if lat and not (d.has_latency and d.jitter_ms is not None):
            raise ValueError(f"use_latency=True but data set {k} ({d.source}) has no latency_ms and jitter_ms")
        sets.append(DataSet(d, s, k, lat))
    return sets


def _check_start(start, params, sets) -> dict:
    """Start values by name (default: the setup's value, or the middle of the search range if outside)."""
    start = {} if start is None else dict(start)
    names = {p.name for p in params}
    for name in start:
        if name not in names:
            raise ValueError(f"start names {name!r}, which is not free (free: {', '.join(sorted(names))})")
    out = {}
    for p in params:
        if p.name in start:
            v = float(start[p.name])
            if not p.low <= v <= p.high:
                raise ValueError(f"start[{p.name!r}] = {v!r} lies outside its bounds [{p.low:g}, {p.high:g}]")
            out[p.name] = v
        else:
            v = base_value(sets[0].setup, p.name, p.kind)
            out[p.name] = v if p.low <= v <= p.high else float(p.from_search(np.mean(p.search_bounds)))
    return out


def _check_latency_param(params, sets):
    if any(p.kind == "latency" for p in params) and not any(ds.use_latency for ds in sets):
        raise ValueError("free['latency_offset_ms']: no data set has latency data (latency_ms and jitter_ms "
                         "columns, use_latency not False), so the data cannot inform a latency offset")


# ----------------------------------------------------------------------------- the fit
def _validate(obj, theta, fl, root, n_val, sim):
    """Per data set: the fresh prediction's deviance and latency term at the optimum (with the fitted offset)."""
    values = {p.name: float(p.from_search(t)) for p, t in zip(obj.params, theta, strict=True)}
    dv = values.get("delta_v", obj.fixed.get("delta_v", 0.0))
    c = values.get("latency_offset_ms", obj.fixed.get("latency_offset_ms", 0.0))
    out = []
    for ds in obj.sets:
        setup, _ = apply_values(ds.setup, {k: v for k, v in {**obj.fixed, **values}.items()
                                           if k not in ("delta_v", "latency_offset_ms")})
        da = values.get("delta_area", obj.fixed.get("delta_area", 0.0))
        pred = predict(dv, da, ds.data.x, n_trials=n_val, setup=setup, seed=child(root, 1, ds.index),
                       return_latency=True, **sim)
        dev = deviance_loss(pred.firing_probability, ds.data)
        chi, k = _latency_term(ds, pred, c) if ds.use_latency else (math.nan, 0)
        out.append(dict(source=ds.data.source, levels=len(ds.data), deviance=float(dev),
                        p_value=float(chi2_sf(dev, len(ds.data))), latency_chi2=chi, latency_dof=k,
                        latency_p_value=float(chi2_sf(chi, k)) if k else math.nan))
    return out


def _latency_term(ds, pred, c):
    use = (ds.data.n_fired >= 2) & (pred.n_fired >= 10)
    d = ds.data
    se2 = d.jitter_ms[use] ** 2 / d.n_fired[use] + pred.jitter_ms[use] ** 2 / pred.n_fired[use]
    return float(np.sum((d.latency_ms[use] - pred.latency_ms[use] - c) ** 2 / se2)), int(use.sum())


def _intervals(fl, obj, theta, d_hat, target, notes):
    """Curvature, flat directions and the profile intervals (search scale; NaN where not closed) of every
    parameter. A direction the curvature calls flat (a finite-difference Hessian of a Monte Carlo loss can be
    noisy) is reported only where the profile of a parameter in it does not rise by ``target`` within the bounds
    either."""
    H, _ = hessian(fl, theta, obj.params, rise=target)
    flat_idx, dirs, cov = flat_directions(H, obj.params, target)
    names = [p.name for p in obj.params]
    ivals, determined, curv = {}, {}, Curvature(H, cov)
    for i, p in enumerate(obj.params):
        (a, b), closed = interval(fl, obj, theta, d_hat, curv, i, target, notes)
        determined[p.name] = closed
        ivals[p.name] = (float(a), float(b)) if closed else (math.nan, math.nan)
        if not closed and i not in flat_idx:
            notes.append(f"{p.name}: the profile does not rise by {target:.3g} within the bounds: not determined by "
                         "the data")
    for vec in dirs:
        involved = [names[i] for i in np.flatnonzero(np.abs(vec) > 0.2)]
        if not all(determined[n] for n in involved):
            notes.append(f"the data do not determine {' and '.join(involved)} separately (a flat direction of the "
                         "likelihood: they trade off within the bounds)")
    return ivals, determined, cov


def fit_named(data, free, *, setup, n_trials=None, seed_root, start=None, validation_n_trials=20000, progress=None,
              use_latency=None, latency_trials=1000, sim=None, n_spread=0) -> NamedFitResult:
    """Fit the parameters named in ``free`` to ``data`` (one FiringData or a list); see the module docstring and
    :func:`hhlib.fit` (which checks the common arguments and calls this)."""
    t0 = time.perf_counter()
    sets = _data_sets(data, setup, use_latency)
    params = parse_free(free, sets[0].setup)
    _check_latency_param(params, sets)
    start = _check_start(start, params, sets)
    n_data = max(int(ds.data.n_trials.max()) for ds in sets)
    r = 10 * n_data if n_trials is None else int(n_trials)
    obj = Objective(sets, params, {}, child(seed_root, 0), r, latency_trials, sim or {}, progress)
    if progress:
        progress(f"searching {len(obj.sim_params)} simulated parameter(s) with {r} trials per point")
    z0 = [float(p.to_search(start[p.name])) for p in obj.sim_params]
    z, d_hat, ok = global_search(obj, z0, int(seed_root.generate_state(1)[0]))
    fl = FullLoss(obj)
    theta = fl.full(z)
    d_hat = fl(theta, "optimum")
    notes = [] if ok else ["the local search did not meet its tolerance"]
    target = Z2_95 * (1.0 + max(float(ds.data.n_trials.sum()) for ds in sets) / r)
    if progress:
        progress("profile-likelihood intervals")
    ivals, determined, cov = _intervals(fl, obj, theta, d_hat, target, notes)
    rows, n_spread_sim = _spread(obj, fl, seed_root, z, theta, cov, n_spread, progress)
    spread = Spread(rows, ivals, n_spread_sim)
    return _result(obj, fl, theta, d_hat, spread, determined, cov, ok, notes, seed_root, validation_n_trials, sim,
                   r, t0)


def _spread(obj, fl, root, z_hat, theta, cov, n_spread, progress):
    """The local search again, from the optimum, in ``n_spread`` other noise realisations (streams ``(2, k)`` of
    the fit's root): the full estimates (search scale, one row per realisation, the fit's own first) and the trials
    those refits simulated."""
    rows, simulated = [np.asarray(theta, dtype=float)], 0
    width = np.array([np.ptp(p.search_bounds) for p in obj.sim_params])
    var = np.diag(cov)[fl.i_sim] if fl.i_sim else np.empty(0)
    step = np.where(var > 0, np.sqrt(np.clip(var, (1e-3 * width) ** 2, (0.25 * width) ** 2)), 0.1 * width)
    for k in range(n_spread):
        if progress:
            progress(f"refit {k + 1} of {n_spread} in another noise realisation (Monte Carlo spread)")
        other = Objective(obj.sets, obj.params, obj.fixed, child(root, 2, k), obj.n_trials, obj.latency_trials,
                          obj.sim)
        z, _, _ = minimise_sim(other, z_hat, step=step)
        rows.append(FullLoss(other).full(z))
        simulated += other.simulated["simulated_trials"]
    return np.array(rows), simulated


class Spread:
    """The estimates in every noise realisation (search scale, rows) and the intervals widened by their
    variance: ``widened[name]`` and ``profile[name]`` (search scale, NaN where not determined)."""

    def __init__(self, rows, profile, simulated):
        self.rows, self.profile, self.simulated = rows, profile, simulated
        var = rows.var(axis=0, ddof=1) if len(rows) > 1 else np.zeros(rows.shape[1])
        self.widened = {name: tuple(float(e) for e in widened_interval(rows[0, i], ab, var[i]))
                        for i, (name, ab) in enumerate(profile.items())}


def _natural(params, ivals):
    return {p.name: tuple(float(p.from_search(e)) for e in ivals[p.name]) for p in params}


def _result(obj, fl, theta, d_hat, spread, determined, cov, ok, notes, root, n_val, sim, r, t0):
    per_set = _validate(obj, theta, fl, root, n_val, sim or {})
    est = {p.name: float(p.from_search(t)) for p, t in zip(obj.params, theta, strict=True)}
    ivals = _natural(obj.params, spread.widened)
    at_bound = [p.name for p, t in zip(obj.params, theta, strict=True)
                if min(abs(t - b) for b in p.search_bounds) < 1e-3 * np.ptp(p.search_bounds)]
    if at_bound:
        notes.append(f"at a bound: {', '.join(at_bound)}")
    from ..fit import _validation_accepts
    fits = [obj.parts(obj.points(theta[fl.i_sim]), _u_of(fl, obj, theta), _c_of(fl, theta))[2]]
    accepted = all(_validation_accepts(f[0], s["deviance"], ds.data, r, n_val)
                   for f, s, ds in zip(fits[0], per_set, obj.sets, strict=True))
    if not accepted:
        notes.append("a fresh prediction's deviance is not consistent with the fit's own: use more n_trials")
    dev = float(sum(s["deviance"] for s in per_set))
    levels = sum(s["levels"] for s in per_set)
    dof = levels - len(obj.params)
    lat_k = sum(s["latency_dof"] for s in per_set)
    lat = float(sum(s["latency_chi2"] for s in per_set if s["latency_dof"])) if lat_k else math.nan
    reached = not any("did not reach the minimum" in n for n in notes)
    converged = ok and reached and all(determined.values()) and not at_bound and accepted
    n_sim = obj.simulated["simulated_trials"] + spread.simulated + n_val * levels
    return NamedFitResult(est, ivals, determined, {p.name: (p.low, p.high) for p in obj.params},
                          {p.name: p.scale for p in obj.params}, dev, float(chi2_sf(dev, max(dof, 1))), dof,
                          lat, lat_k, per_set, float(d_hat), converged, "; ".join(notes), cov, len(obj.history), r,
                          n_val, n_sim, time.perf_counter() - t0, record_of(root), obj.history,
                          _natural(obj.params, spread.profile),
                          {p.name: np.array([float(p.from_search(v)) for v in spread.rows[:, i]])
                           for i, p in enumerate(obj.params)})


def _u_of(fl, obj, theta):
    return theta[fl.i_u] if fl.i_u is not None else None


def _c_of(fl, theta):
    return theta[fl.i_c] if fl.i_c is not None else None
