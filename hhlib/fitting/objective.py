"""The common-random-number likelihood of named parameters over one or several data sets.

At a point of the *simulated* parameters (everything but ``delta_v`` and ``latency_offset_ms``) every data set's
per-trial thresholds are found once (:func:`hhlib.thresholds.trial_thresholds`, one fixed noise realisation for
the whole fit, stream 0 of the fit's root): the firing fraction at any stimulus is their empirical CDF, so the
stimulus scale ``u = log(1 + delta_v)`` costs no new simulation. Data with latencies get a latency table per
point (the first ``latency_trials`` trials of the same stream on a grid of stimuli, cubic spline in log
amplitude), and the latency term ``sum((L - M - c)^2 / SE^2)`` (``SE^2`` = the data's ``jitter^2 / n_fired`` plus
the model's Monte Carlo variance of its mean) is quadratic in the offset ``c``: it is profiled out exactly (the
weighted mean of ``L - M``, clipped to its bounds). The loss is ``-2 log L`` up to a constant: the binomial
deviance of the counts plus the latency chi-square, summed over the data sets.
"""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
from scipy import interpolate, optimize

from ..engines import NormalCache
from ..normalised import deviance_loss, simulate_responses, trials_that_may_fire
from ..stats import _deviance_terms, latency_stats
from ..thresholds import threshold_current, trial_thresholds
from .params import apply_values

#: Stimuli of a latency table, and the fewest simulated spikes for a model latency to count.
LATENCY_GRID_POINTS = 24
MIN_MODEL_SPIKES = 10
#: Threshold samples kept (LRU) per objective.
CACHE_SIZE = 400


class DataSet:
    """One data set of a joint fit: the data, its setup (protocol) and what the loss needs of them."""

    def __init__(self, data, setup, index: int, use_latency: bool):
        self.data, self.setup, self.index = data, setup, index
        self.label = f"data set {index} ({data.source})"
        self.log_x = np.log(data.x)
        self.use_latency = use_latency
        if use_latency:
            self.use = data.n_fired >= 2
            self.latency = data.latency_ms[self.use]
            self.se2 = data.jitter_ms[self.use] ** 2 / data.n_fired[self.use]


def cdf(lz, log_amp):
    """Fraction of trials whose sorted log threshold ``lz`` lies at or below ``log_amp`` (continuous)."""
    n = lz.size
    lo = np.count_nonzero(lz == -np.inf)
    finite = lz[np.isfinite(lz)]
    if finite.size == 0:
        return np.full(np.shape(log_amp), lo / n)
    ranks = (lo + np.arange(1, finite.size + 1)) / n
    return np.interp(log_amp, finite, ranks, left=lo / n, right=(lo + finite.size) / n)


class _Point:
    """One data set at one point of the simulated parameters: sorted log thresholds and the latency table."""

    def __init__(self, lz, setup, area, thresholds_uA=None, deterministic_uA=math.nan):
        self.lz, self.setup, self.area, self.table = lz, setup, area, None
        self.thresholds_uA, self.deterministic_uA = thresholds_uA, deterministic_uA    # per trial, unsorted


class Objective:
    """``loss(z_sim, u, c)``: the joint ``-2 log L`` at search coordinates ``z_sim`` of the simulated parameters,
    stimulus scale ``u`` and latency offset ``c`` (either profiled out when None)."""

    def __init__(self, sets, params, fixed, root, n_trials, latency_trials, sim, progress=None):
        self.sets, self.root, self.n_trials, self.latency_trials, self.sim = sets, root, n_trials, latency_trials, sim
        self.params, self.fixed, self.progress = params, fixed, progress
        self.sim_params = [p for p in params if p.kind not in ("scale", "latency")]
        self.scale = next((p for p in params if p.kind == "scale"), None)
        self.offset = next((p for p in params if p.kind == "latency"), None)
        self.cache: OrderedDict = OrderedDict()
        self.history, self.simulated = [], {"simulated_trials": 0}
        self.normals = NormalCache()          # the trials' current-noise normals, drawn once for the whole fit
        self.known: OrderedDict = OrderedDict()  # (data set, z_sim) -> thresholds / noise-free threshold (guides)

    # -- simulations
    def points(self, z_sim):
        """The :class:`_Point` of every data set at ``z_sim`` (simulated once, then cached)."""
        key = tuple(round(float(v), 12) for v in z_sim)
        if key not in self.cache:
            values = dict(self.fixed)
            values.update({p.name: float(p.from_search(z)) for p, z in zip(self.sim_params, key, strict=True)})
            values = {k: v for k, v in values.items() if k not in ("delta_v", "latency_offset_ms")}
            self.cache[key] = [self._thresholds(ds, values, key) for ds in self.sets]
            while len(self.cache) > CACHE_SIZE:
                self.cache.popitem(last=False)
        self.cache.move_to_end(key)
        return self.cache[key]

    def _thresholds(self, ds, values, key):
        setup, area = apply_values(ds.setup, values)
        opts = dict(stimulus=setup.stimulus, vary=setup.vary, dt_ms=setup.dt_ms, t_end_ms=setup.t_end_ms)
        i_det = threshold_current(setup.model, area, **opts, **self.sim)
        thr = trial_thresholds(setup.model, area, self.n_trials, seed=self.root, noise=setup.noise,
                               info=self.simulated, guess=self._guess(ds, key, i_det), normals=self.normals,
                               deterministic_uA=i_det, **opts, **self.sim)
        if np.isfinite(i_det) and i_det > 0:
            self.known[(ds.index, key)] = thr / i_det
            while len(self.known) > CACHE_SIZE:
                self.known.popitem(last=False)
        with np.errstate(divide="ignore"):
            lz = np.sort(np.log(thr / setup.i_ref_uA))
        return _Point(lz, setup, area, thr, i_det)

    def _guess(self, ds, key, i_det):
        """Predicted thresholds (µA) of this data set's trials at ``key``: their thresholds relative to the noise-free
        one at the nearest point already simulated, times the noise-free threshold here (None: no such point). A
        guess only makes the search faster: :func:`hhlib.thresholds.trial_thresholds` ends in the same bisection
        cell whatever it is given."""
        near = [(sum((a - b) ** 2 for a, b in zip(k, key, strict=True)), k) for (i, k) in self.known if i == ds.index]
        if not near or not (np.isfinite(i_det) and i_det > 0):
            return None
        guess = self.known[(ds.index, min(near)[1])] * i_det
        return np.where(np.isfinite(guess) & (guess > 0), guess, np.nan)

    def _table(self, ds, pt):
        """``(z, spline, variance, spikes)`` of the model's latency at ``pt`` (built once)."""
        if pt.table is None:
            finite = pt.lz[np.isfinite(pt.lz)]
            if finite.size < LATENCY_GRID_POINTS:
                pt.table = (np.empty(0), None, np.empty(0), np.empty(0))
                return pt.table
            lo = finite[min(max(2, int(0.002 * pt.lz.size)), finite.size - 1)]
            z = np.linspace(lo, finite[-1] + 0.05, LATENCY_GRID_POINTS)
            amp = pt.setup.i_ref_uA * np.exp(z)
            active = trials_that_may_fire(pt.setup, amp, pt.thresholds_uA, pt.deterministic_uA, self.latency_trials)
            _, first = simulate_responses(pt.setup, amp, pt.area, self.latency_trials, seed=self.root,
                                          stream_ids=np.zeros(z.size, dtype=int), active=active, **self.sim)
            self.simulated["simulated_trials"] += z.size * self.latency_trials if active is None else int(active.sum())
            st = latency_stats(first, pt.setup.response_onset_ms)
            ok = st.n_fired >= MIN_MODEL_SPIKES
            spline = interpolate.CubicSpline(z[ok], st.latency_ms[ok]) if ok.sum() >= 4 else None
            pt.table = (z[ok], spline, st.jitter_ms[ok] ** 2, st.n_fired[ok].astype(float))
        return pt.table

    # -- the loss
    def residuals(self, ds, pt, u):
        """Latency residuals ``L - M`` and their ``SE^2`` at the levels the model's table covers."""
        z, spline, var, n = self._table(ds, pt)
        if spline is None:
            return np.empty(0), np.empty(0)
        zi = ds.log_x[ds.use] + u
        inside = (zi >= z[0]) & (zi <= z[-1])
        se2 = ds.se2[inside] + np.interp(zi[inside], z, var) / np.interp(zi[inside], z, n)
        return ds.latency[inside] - spline(zi[inside]), se2

    def parts(self, pts, u, c=None):
        """``(total, c, [(deviance, latency chi2, latency levels) per set])`` at ``u``; ``c`` None: profiled."""
        devs = [deviance_loss(cdf(pt.lz, ds.log_x + u), ds.data) for ds, pt in zip(self.sets, pts, strict=True)]
        res = [self.residuals(ds, pt, u) if ds.use_latency else (np.empty(0), np.empty(0))
               for ds, pt in zip(self.sets, pts, strict=True)]
        if c is None:
            c = self.best_offset(res)
        lat = [(float(np.sum((r - c) ** 2 / s2)), int(r.size)) for r, s2 in res]
        total = float(sum(devs) + sum(chi for chi, _ in lat))
        return total, c, [(d, chi, k) for d, (chi, k) in zip(devs, lat, strict=True)]

    def totals(self, pts, us, c=None):
        """The joint loss at every stimulus scale of ``us`` (k,), the latency offset ``c`` (ms) fixed or (None)
        profiled out at each: :meth:`parts`'s total for a whole grid at once (the same arithmetic, vectorised
        over ``us``)."""
        us = np.asarray(us, dtype=float)[:, None]
        total = np.zeros(us.shape[0])
        num, den, res = np.zeros_like(total), np.zeros_like(total), []
        for ds, pt in zip(self.sets, pts, strict=True):
            p = cdf(pt.lz, ds.log_x[None, :] + us)
            total += _deviance_terms(ds.data.n_fired[None, :], ds.data.n_trials[None, :], p).sum(axis=1)
            z, spline, var, n = self._table(ds, pt) if ds.use_latency else (None, None, None, None)
            if spline is None:
                continue
            zi = ds.log_x[ds.use][None, :] + us
            inside = (zi >= z[0]) & (zi <= z[-1])
            zc = np.clip(zi, z[0], z[-1])
            r = np.where(inside, ds.latency[None, :] - spline(zc), 0.0)
            w = np.where(inside, 1.0 / (ds.se2[None, :] + np.interp(zc, z, var) / np.interp(zc, z, n)), 0.0)
            res.append((r, w))
            num, den = num + (w * r).sum(axis=1), den + w.sum(axis=1)
        if not res:
            return total
        if c is not None:
            c = np.full_like(total, float(c))
        elif self.offset is None:
            c = np.full_like(total, float(self.fixed.get("latency_offset_ms", 0.0)))
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                c = np.where(den > 0, num / den, 0.5 * (self.offset.low + self.offset.high))
            c = np.clip(c, self.offset.low, self.offset.high)
        return total + sum(((r - c[:, None]) ** 2 * w).sum(axis=1) for r, w in res)

    def best_offset(self, res) -> float:
        """The latency offset minimising the latency term (exact: a weighted mean, clipped to its bounds)."""
        if self.offset is None:
            return float(self.fixed.get("latency_offset_ms", 0.0))
        w = np.concatenate([1.0 / s2 for _, s2 in res])
        if w.size == 0:
            return 0.5 * (self.offset.low + self.offset.high)
        r = np.concatenate([r for r, _ in res])
        return float(np.clip(np.sum(w * r) / np.sum(w), self.offset.low, self.offset.high))

    def best_u(self, pts, c=None):
        """``(u, loss)`` minimising over the stimulus scale (dense scan, then Brent), or at the fixed one."""
        if self.scale is None:
            u = math.log1p(self.fixed.get("delta_v", 0.0))
            return u, self.parts(pts, u, c)[0]
        lo, hi = self.scale.search_bounds
        finite = [pt.lz[np.isfinite(pt.lz)] for pt in pts]
        if all(f.size for f in finite):
            lo = max(lo, min(f[0] - ds.log_x.max() for f, ds in zip(finite, self.sets, strict=True)) - 0.05)
            hi = min(hi, max(f[-1] - ds.log_x.min() for f, ds in zip(finite, self.sets, strict=True)) + 0.05)
        grid = np.linspace(lo, hi, 400) if lo < hi else np.array(self.scale.search_bounds)
        dev = self.totals(pts, grid, c)
        i = int(np.argmin(dev))
        a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
        with np.errstate(invalid="ignore"):
            res = optimize.minimize_scalar(lambda u: self.parts(pts, u, c)[0], bounds=(a, b), method="bounded",
                                           options=dict(xatol=1e-7))
        return (float(res.x), float(res.fun)) if res.fun <= dev[i] else (float(grid[i]), float(dev[i]))

    def loss(self, z_sim, u=None, c=None, stage="search"):
        """The joint loss at ``z_sim`` with ``u`` and ``c`` fixed or (None) profiled out; recorded."""
        pts = self.points(z_sim)
        if u is None:
            u, _ = self.best_u(pts, c)
        total, c_used, _ = self.parts(pts, u, c)
        self.history.append(dict(stage=stage, z=[float(v) for v in z_sim], u=float(u), c=float(c_used),
                                 loss=float(total)))
        return total

    def profiled(self, z_sim):
        """``(u, c)`` at the profile optimum for ``z_sim``."""
        pts = self.points(z_sim)
        u, _ = self.best_u(pts)
        return u, self.parts(pts, u)[1]
