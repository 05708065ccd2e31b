"""Fitting delta_v and delta_area to measured firing counts: a fit that converges, with intervals.

Method (``method="profile"``, the default)
------------------------------------------
Coordinates: ``w = log(1 + delta_area)`` (log area) and ``s = log(1 + delta_v) - w`` (log current
density, the direction along which the noise-free model cannot tell the parameters apart).

1. **Common random numbers, per-trial thresholds.** For an area, every simulated trial's own
   threshold is found once (:func:`hhlib.thresholds.trial_thresholds`, one fixed noise
   realisation for the whole fit). The fraction of trials that fire at any stimulus is then the
   empirical CDF of those thresholds: the prediction at *every* ``s`` for that area costs no new
   simulation, and the loss is a deterministic, continuous function of the parameters.
2. **Inner problem, exact.** For a given ``w`` the binomial deviance is minimised over ``s`` by a
   dense scan plus Brent's method on that CDF: the profile deviance ``D(w) = min_s D(s, w)``.
3. **Global stage** (:func:`_global_stage`). ``D(w)`` on a grid spanning the predecessor's box
   ``1 + delta_area in [0.1, 10]`` (13 areas, 2000 trials each), extended if the best point is on the edge
   (no gradients anywhere). A parabola through the best grid point and its neighbours centres the next stage.
4. **Final stage, more trials** (:func:`_final_stage`). ``D(w)`` at five areas around the optimum with
   ``n_trials`` trials (default 20x the data's trials per level); a parabola through them gives ``w*`` (the
   window is moved or resized until it brackets the minimum over a few standard errors), one more
   evaluation there gives ``s*``.
5. **Uncertainty (profile likelihood, quadratic)** (:func:`_uncertainty`). ``var(w) = 2 / D''(w)`` from that
   parabola, ``var(s | w) = 2 / ∂²D/∂s²`` at the optimum, and the slope of the valley floor ``ds*/dw`` give
   the covariance of ``(s, w)``. One threshold sample of ``R`` trials serves every stimulus level,
   so its Monte Carlo error competes with all ``N`` trials of the data: the covariance is
   inflated by ``1 + N/R`` (conservative). 95 % intervals map back to delta_v, delta_area.
6. **Validation.** The reported deviance and p-value come from a fresh, independent prediction at the
   optimum (``validation_n_trials`` = 20 000 trials per level by default, other random streams); the fit
   counts as converged only if that deviance agrees with its own (:func:`_validation_accepts`).

``method="predecessor"`` reproduces the predecessor project's attempt for comparison: L-BFGS-B with
finite-difference gradients on the MSE of fractions from 10 fresh-noise trials per level, start (0, 0),
box [-0.9, 9]², at most 61 evaluations.
"""
from __future__ import annotations

import itertools
import math
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from scipy import interpolate, optimize

from .data import FiringData, load_data
from .engines import NormalCache, choose_engine
from .normalised import (
    DEFAULT_SETUP,
    NormalisedSetup,
    check_deltas,
    check_stimulus_range,
    deviance_loss,
    mse_loss,
    predict,
    setup_for_data,
    simulate_responses,
    stimulus_range,
    trials_that_may_fire,
)
from .runspec import ENGINES, PRECISIONS
from .seeds import SeedRecord, as_seed_sequence, child, record_of
from .stats import _deviance_terms, chi2_ppf, chi2_sf, latency_stats, norm_ppf, separation
from .thresholds import threshold_current, trial_thresholds
from .validation import check_bool, check_choice, check_instance, check_int, renamed

__all__ = ["FitResult", "fit", "BOX", "METHODS", "POOR_FIT_P"]

#: The predecessor's search box for delta_v and delta_area.
BOX = (-0.9, 9.0)
Z95 = float(norm_ppf(0.975))
#: Fewest and most simulated trials per level that ``n_trials`` and ``validation_n_trials`` accept.
MIN_TRIALS, MAX_TRIALS = 200, 10_000_000
#: Fit methods ("seed" is the old name of "predecessor").
METHODS = ("profile", "predecessor")
#: Goodness of fit: a validated p-value below this says "the model does not describe these data"
#: (:attr:`FitResult.goodness_of_fit`; 1 in 1000 consistent fits is flagged by chance, per part).
POOR_FIT_P = 1e-3


@dataclass(frozen=True, eq=False, repr=False)
class FitResult:
    """Outcome of :func:`fit`.

    Attributes
    ----------
    delta_v, delta_area : float
        Best-fit relative changes of stimulus scale and area.
    delta_v_ci, delta_area_ci : tuple of float
        95 % confidence intervals (profile likelihood, quadratic, Monte Carlo error included);
        NaN for ``method="predecessor"``.
    deviance, p_value : float
        Binomial deviance of the data against a fresh ``validation_n_trials``-trial prediction at the
        optimum, and its chi-square p-value with ``dof`` degrees of freedom (the counts only).
    dof : int
        Data points minus 2.
    n_evaluations : int
        Parameter points whose loss was computed from simulations (history rows).
    n_trials_simulated : int
        All simulated trials, validation included.
    seconds : float
        Wall time.
    converged : bool
        ``profile``: optimum bracketed, interior and at a positive-curvature minimum, *and* the fresh
        validation prediction's deviance consistent with the fit's own given the Monte Carlo error
        (else ``message`` says which check failed).
        ``predecessor``: the optimiser's own success flag *and* a validated deviance within the
        chi-square 95 % acceptance region. Always False when the fit is not ``identifiable``.
        It is about the optimiser: whether the model describes the data is :attr:`goodness_of_fit`.
    identifiable : bool
        False when the data cannot fix the parameters: data separated between two levels (firing jumps
        from 0 % to 100 %, as :func:`hhlib.probit_fit` detects), so that the likelihood keeps rising as the
        relative noise shrinks (area -> infinity), or a profile deviance that does not rise on both sides of
        the optimum. ``message`` then says why; the estimates are where the search stopped, the intervals
        and ``covariance_uw`` are NaN (no confidence region).
    n_trials, validation_n_trials : int
        Simulated trials per level of the final stage and of the validation.
    history : list of dict
        One row per evaluation: ``stage, delta_v, delta_area, loss, n_trials`` (loss = deviance for
        ``profile``, MSE for ``predecessor``), in order.
    covariance_uw : ndarray, shape (2, 2)
        Covariance of ``(u, w) = (log(1 + delta_v), log(1 + delta_area))``.
    seed : SeedRecord
        Reproduces the fit (pass it as ``seed``).
    uses_latency : bool
        Whether the loss had the latency term (joint fit).
    latency_chi2, latency_dof : float, int
        The latency term of the fresh validation prediction and its number of levels (NaN, 0 without latency):
        about chi-square with ``latency_dof`` degrees of freedom if the model's latencies fit.
    fit_latency_chi2 : float
        The latency term at the optimum in the fit's own simulations (NaN without latency).

    ``repr()`` is one line (estimates, intervals, verdict, goodness of fit); :meth:`summary` is the command
    line's report; :meth:`to_dict` its JSON (strict: NaN and infinities become null).
    """

    delta_v: float
    delta_area: float
    delta_v_ci: tuple
    delta_area_ci: tuple
    deviance: float
    p_value: float
    dof: int
    n_evaluations: int
    n_trials_simulated: int
    seconds: float
    converged: bool
    method: str
    n_trials: int
    validation_n_trials: int
    validation_prediction: np.ndarray
    history: list
    covariance_uw: np.ndarray
    seed: SeedRecord
    message: str = ""
    fit_deviance: float = float("nan")
    profile_w: np.ndarray = field(default_factory=lambda: np.empty(0))
    profile_deviance: np.ndarray = field(default_factory=lambda: np.empty(0))
    data: FiringData | None = None
    setup: NormalisedSetup = DEFAULT_SETUP
    uses_latency: bool = False
    latency_chi2: float = float("nan")
    latency_dof: int = 0
    fit_latency_chi2: float = float("nan")
    identifiable: bool = True

    @property
    def verdict(self) -> str:
        """``"converged"``, ``"not converged"`` or ``"not identifiable"`` (``message`` says why)."""
        if not self.identifiable:
            return "not identifiable"
        return "converged" if self.converged else "not converged"

    @property
    def latency_p_value(self) -> float:
        """Chi-square p-value of :attr:`latency_chi2` on :attr:`latency_dof` levels (NaN without latency)."""
        return float(chi2_sf(self.latency_chi2, self.latency_dof)) if self.latency_dof else math.nan

    @property
    def poor_fit(self) -> bool:
        """True if a validated p-value (counts, or latency of a joint fit) is below :data:`POOR_FIT_P` = 0.001."""
        return any(p < POOR_FIT_P for _, p in self._p_values() if not math.isnan(p))

    def _p_values(self):
        return [("counts", self.p_value)] + ([("latency", self.latency_p_value)] if self.latency_dof else [])

    @property
    def goodness_of_fit(self) -> str:
        """Does the model describe the data? From the fresh validation prediction's p-values, each part on its own
        (the counts' deviance, :attr:`p_value`; for a joint fit also the latency term, :attr:`latency_p_value`):
        ``"poor fit (counts p = 4.7e-11 < 0.001): the model does not describe these data"`` if any is below
        :data:`POOR_FIT_P` = 0.001, else ``"consistent (counts p = 0.79)"``. Independent of :attr:`converged`
        (which is about the optimiser)."""
        parts = self._p_values()
        if self.poor_fit:
            bad = [f"{name} p = {p:.2g} < {POOR_FIT_P:g}" for name, p in parts if p < POOR_FIT_P]
            return f"poor fit ({'; '.join(bad)}): the model does not describe these data"
        if any(math.isnan(p) for _, p in parts):
            return "not assessed (no p-value)"
        return "consistent (" + "; ".join(f"{name} p = {p:.2g}" for name, p in parts) + ")"

    @property
    def stimulus_scale_uA(self) -> float:
        """``I_ref (1 + delta_v)``: membrane current (µA) per unit of the data's stimulus ``x`` (for physical-unit
        data, whose ``I_ref`` is 1 µA, the dimensionless factor from the stated current to the membrane's)."""
        return self.setup.i_ref_uA * (1.0 + self.delta_v)

    @property
    def stimulus_scale_uA_ci(self) -> tuple:
        """95 % confidence interval of :attr:`stimulus_scale_uA`."""
        return tuple(self.setup.i_ref_uA * (1.0 + v) for v in self.delta_v_ci)

    @property
    def area_cm2(self) -> float:
        """The fitted membrane area ``A_ref (1 + delta_area)``, cm²."""
        return self.setup.a_ref_cm2 * (1.0 + self.delta_area)

    @property
    def area_cm2_ci(self) -> tuple:
        """95 % confidence interval of :attr:`area_cm2`, cm²."""
        return tuple(self.setup.a_ref_cm2 * (1.0 + v) for v in self.delta_area_ci)

    @property
    def estimate(self) -> dict:
        """``{"delta_v": ..., "delta_area": ...}``: the estimates by name (as a named-parameter fit gives them)."""
        return {"delta_v": self.delta_v, "delta_area": self.delta_area}

    @property
    def interval(self) -> dict:
        """The 95 % intervals by name (as :attr:`estimate`)."""
        return {"delta_v": tuple(self.delta_v_ci), "delta_area": tuple(self.delta_area_ci)}

    @property
    def u(self) -> float:
        return math.log1p(self.delta_v)

    @property
    def w(self) -> float:
        return math.log1p(self.delta_area)

    @property
    def seed_entropy(self):
        return self.seed.entropy

    @property
    def runs(self) -> int:
        """Old name of :attr:`n_trials`."""
        warnings.warn("FitResult.runs is now FitResult.n_trials", DeprecationWarning, stacklevel=2)
        return self.n_trials

    @property
    def validation_runs(self) -> int:
        """Old name of :attr:`validation_n_trials`."""
        warnings.warn("FitResult.validation_runs is now FitResult.validation_n_trials", DeprecationWarning,
                      stacklevel=2)
        return self.validation_n_trials

    @property
    def interior(self) -> bool:
        """True if the optimum lies strictly inside the predecessor's box."""
        return all(BOX[0] < d < BOX[1] for d in (self.delta_v, self.delta_area))

    def contains(self, delta_v, delta_area, level: float = 0.95) -> bool:
        """True if ``(delta_v, delta_area)`` lies in the joint confidence region (ellipse in u, w)."""
        self._check_region()
        d = np.array([math.log1p(delta_v) - self.u, math.log1p(delta_area) - self.w])
        return bool(d @ np.linalg.solve(self.covariance_uw, d) <= chi2_ppf(level, 2))

    def confidence_region(self, level: float = 0.95, n_points: int = 200):
        """Boundary of the joint confidence region as ``(delta_v, delta_area)`` arrays of length ``n_points``."""
        self._check_region()
        r = math.sqrt(chi2_ppf(level, 2))
        vals, vecs = np.linalg.eigh(self.covariance_uw)
        t = np.linspace(0, 2 * np.pi, n_points)
        circle = np.stack([np.cos(t), np.sin(t)])
        uw = np.array([[self.u], [self.w]]) + vecs @ (r * np.sqrt(np.maximum(vals, 0))[:, None] * circle)
        return np.expm1(uw[0]), np.expm1(uw[1])

    def _check_region(self):
        if not np.all(np.isfinite(self.covariance_uw)):
            why = f"the fit is {self.verdict}" + (f" ({self.message})" if self.message else "")
            raise ValueError(f"this FitResult has no confidence region: {why}")

    def to_dict(self) -> dict:
        """The JSON summary printed by ``python -m hhlib optimise --json``: strict JSON, every number that is not
        finite (NaN: not available; an infinite deviance: the model excludes the data) is None (null)."""
        def f(v):
            return float(v) if v is not None and math.isfinite(v) else None
        return dict(delta_v=f(self.delta_v), delta_area=f(self.delta_area),
                    delta_v_ci=[f(v) for v in self.delta_v_ci], delta_area_ci=[f(v) for v in self.delta_area_ci],
                    deviance=f(self.deviance), p_value=f(self.p_value), n_evaluations=int(self.n_evaluations),
                    seconds=float(self.seconds), converged=bool(self.converged), method=self.method,
                    message=self.message, dof=int(self.dof), n_trials=int(self.n_trials),
                    validation_n_trials=int(self.validation_n_trials), n_trials_simulated=int(self.n_trials_simulated),
                    uses_latency=bool(self.uses_latency), latency_chi2=f(self.latency_chi2),
                    latency_dof=int(self.latency_dof), stimulus_scale_uA=f(self.stimulus_scale_uA),
                    stimulus_scale_uA_ci=[f(v) for v in self.stimulus_scale_uA_ci],
                    area_cm2=f(self.area_cm2), area_cm2_ci=[f(v) for v in self.area_cm2_ci],
                    identifiable=bool(self.identifiable), verdict=self.verdict, latency_p_value=f(self.latency_p_value),
                    goodness_of_fit=self.goodness_of_fit, poor_fit=bool(self.poor_fit), poor_fit_p=POOR_FIT_P)

    @property
    def _physical(self) -> bool:
        return self.data is not None and self.data.stimulus_unit == "uA" and self.method == "profile"

    def _estimate_lines(self):
        """The estimates with their intervals: delta_v and delta_area, or for physical-unit data what they mean."""
        if self.method != "profile":
            return [f"  delta_v    = {self.delta_v:.6g}", f"  delta_area = {self.delta_area:.6g}"]
        if not self.identifiable:
            return [f"  delta_v    = {self.delta_v:.4g}, delta_area = {self.delta_area:.4g}: where the search stopped, "
                    "not estimates (no confidence interval)"]
        if not self._physical:
            (v0, v1), (a0, a1) = self.delta_v_ci, self.delta_area_ci
            return [f"  delta_v    = {self.delta_v:.4f}   95% CI [{v0:.4f}, {v1:.4f}]",
                    f"  delta_area = {self.delta_area:.4f}   95% CI [{a0:.4f}, {a1:.4f}]"]
        (k0, k1), (a0, a1) = self.stimulus_scale_uA_ci, self.area_cm2_ci
        return ["  physical units (the data's stimulus in µA):",
                f"  stimulus scale = {self.stimulus_scale_uA:.4g}   95% CI [{k0:.4g}, {k1:.4g}]   membrane current per "
                f"stated stimulus current (1 + delta_v)",
                f"  area           = {self.area_cm2:.4g} cm²   95% CI [{a0:.4g}, {a1:.4g}]   "
                f"(1 + delta_area = {1 + self.delta_area:.4g} times {self.setup.a_ref_cm2:g} cm²)"]

    def summary(self, timing: bool = True) -> str:
        """Human-readable report, what ``python -m hhlib optimise`` prints (``timing=False`` leaves out the wall
        time, for reproducible output). A converged fit that fails the goodness-of-fit test
        (:attr:`goodness_of_fit`, p < :data:`POOR_FIT_P`) says so in a line of its own."""
        head = {"converged": "converged", "not converged": "NOT converged",
                "not identifiable": "NOT identifiable"}[self.verdict]
        lines = [f"method {self.method}: {head}" + (f" ({self.message})" if self.message else "")]
        lines += self._estimate_lines()
        if self.uses_latency:
            lines += [f"  latency chi-square {self.latency_chi2:.2f} over {self.latency_dof} levels (fresh prediction)"
                      + (f", p = {self.latency_p_value:.3g}" if self.latency_dof else "")]
        lines += [f"  deviance {self.deviance:.2f} on {self.dof} dof (fresh {self.validation_n_trials}-trial "
                  f"prediction), p = {self.p_value:.3g}"]
        if self.converged and self.poor_fit:
            lines += [f"  goodness of fit: {self.goodness_of_fit}"]
        lines += [f"  {self.n_evaluations} evaluations, {self.n_trials_simulated:,} simulated trials"
                  + (f", {self.seconds:.1f} s" if timing else "")]
        return "\n".join(lines)

    def __repr__(self) -> str:
        """One line: verdict, estimates with 95 % intervals, deviance and goodness of fit."""
        def est(name, v, ci, fmt):
            interval = f"[{ci[0]:{fmt}}, {ci[1]:{fmt}}]" if all(map(math.isfinite, ci)) else "(no interval)"
            return f"{name} = {v:{fmt}} {interval}"
        if self._physical:
            pars = [est("stimulus_scale_uA", self.stimulus_scale_uA, self.stimulus_scale_uA_ci, ".4g"),
                    est("area_cm2", self.area_cm2, self.area_cm2_ci, ".4g")]
        else:
            pars = [est("delta_v", self.delta_v, self.delta_v_ci, ".4g"),
                    est("delta_area", self.delta_area, self.delta_area_ci, ".4g")]
        return (f"FitResult({self.method}, {self.verdict}: {', '.join(pars)}; deviance {self.deviance:.3g} on "
                f"{self.dof} dof, {self.goodness_of_fit})")


# ----------------------------------------------------------------------------- profile method
#: Threshold samples shared between fits with the same setup and seed (multi-start n_trials, notebooks):
#: key (setup, entropy, spawn_key, w, n_trials) -> sorted log normalised thresholds. Bounded (LRU).
_THRESHOLD_CACHE: OrderedDict[tuple, np.ndarray] = OrderedDict()
_THRESHOLD_CACHE_SIZE = 96


class _Profile:
    """Deviance of the data as a function of (s, w), from per-trial thresholds under CRN."""

    def __init__(self, data: FiringData, setup: NormalisedSetup, root: np.random.SeedSequence, progress, sim):
        self.data, self.setup, self.root, self.progress, self.sim = data, setup, root, progress, sim
        self.log_x = np.log(data.x)
        # the GPU engine draws other (statistically equal) noise than the CPU engines, which agree exactly
        family = ("cuda", sim["precision"]) if choose_engine(sim["engine"], False) == "cuda" else "cpu"
        self.key = (setup, str(root.entropy), tuple(root.spawn_key), family)
        self.history = []
        self.info = {"simulated_trials": 0}
        self.trials = {}            # (w, n_trials) -> (every trial's threshold in units of the noise-free one)
        self.scale = {}             # w -> the noise-free threshold there (µA)
        self.normals = NormalCache()  # the trials' noise, drawn once for every area

    def thresholds(self, ws, n_trials):
        """Sorted log normalised thresholds ``log(I*/(I_ref e^w))`` for every w, shape (len(ws), n_trials)."""
        ws = np.atleast_1d(np.asarray(ws, dtype=float))
        todo = list(dict.fromkeys(float(w) for w in ws if self.key + (float(w), n_trials) not in _THRESHOLD_CACHE))
        if todo and self.progress:
            self.progress(f"thresholds of {n_trials} trials at {len(todo)} area(s)")
        while todo:
            w, near = self._next_area(todo, n_trials)
            todo.remove(w)
            thr = self._trial_thresholds(w, n_trials, near)
            with np.errstate(divide="ignore"):
                _THRESHOLD_CACHE[self.key + (w, n_trials)] = np.sort(np.log(thr / (self.setup.i_ref_uA * math.exp(w))))
        out = []
        for w in ws:
            k = self.key + (float(w), n_trials)
            _THRESHOLD_CACHE.move_to_end(k)
            out.append(_THRESHOLD_CACHE[k])
        while len(_THRESHOLD_CACHE) > _THRESHOLD_CACHE_SIZE:
            _THRESHOLD_CACHE.popitem(last=False)
        return np.array(out)

    def _next_area(self, todo, n_trials):
        """The area to compute next and the nearest one whose trials are known (None): the one nearest to a known
        area first (its thresholds guide the search), else the middle one."""
        known = [w for (w, n) in self.trials if n == n_trials]
        if not known:
            return sorted(todo)[len(todo) // 2], None
        _, w, near = min((abs(w - k), w, k) for w in todo for k in known)
        return w, near

    def _trial_thresholds(self, w, n_trials, near):
        """Every trial's threshold at log-area w (µA), guided by the same trials' thresholds at the known area
        ``near`` (else the nearest known area of another sample size: trial j is the same trial in every sample),
        moved by the noise's relative spread, which scales as area^-1/2. The guesses only make it faster."""
        area, opts = self.setup.area_cm2(math.expm1(w)), self._threshold_options()
        i_det = threshold_current(self.setup.model, area, **{k: opts[k] for k in ("stimulus", "vary", "dt_ms",
                                                                                  "t_end_ms")}, **self.sim)
        known = [(abs(w - k), k, n) for (k, n) in self.trials] if near is None else [(0.0, near, n_trials)]
        guess = None
        if known:
            _, near, n_near = min(known)
            z = self.trials[(near, n_near)][:n_trials]
            guess = np.full(n_trials, np.nan)
            guess[:z.size] = (1.0 + (z - 1.0) * math.exp(-(w - near) / 2)) * i_det
        thr = trial_thresholds(self.setup.model, area, n_trials, seed=self.root, info=self.info, guess=guess,
                               normals=self.normals, deterministic_uA=i_det, **opts, **self.sim)
        self.trials[(w, n_trials)] = thr / i_det
        self.scale[w] = i_det
        return thr

    def _threshold_options(self):
        return dict(stimulus=self.setup.stimulus, vary=self.setup.vary, dt_ms=self.setup.dt_ms,
                    t_end_ms=self.setup.t_end_ms, noise=self.setup.noise)

    def probabilities(self, lz, s):
        """Firing probability at the data's x for log-density offset s (continuous CDF of lz)."""
        n = lz.size
        lo = np.count_nonzero(lz == -np.inf)
        finite = lz[np.isfinite(lz)]
        if finite.size == 0:       # every trial fires without a stimulus or none can fire: flat in s
            return np.full(self.log_x.shape, lo / n)
        ranks = (lo + np.arange(1, finite.size + 1)) / n
        return np.interp(self.log_x + s, finite, ranks, left=lo / n, right=(lo + finite.size) / n)

    def binomial(self, lz, s):
        """The binomial deviance of the counts at log-density offset s."""
        return deviance_loss(self.probabilities(lz, s), self.data)

    def binomial_scan(self, lz, grid):
        """:meth:`binomial` at every s of ``grid`` in one vectorised pass (the same numbers, element for element:
        the same interpolation and deviance terms, each row summed as :meth:`binomial` sums them)."""
        n = lz.size
        lo = np.count_nonzero(lz == -np.inf)
        finite = lz[np.isfinite(lz)]
        ranks = (lo + np.arange(1, finite.size + 1)) / n
        p = np.interp(self.log_x[None, :] + grid[:, None], finite, ranks, left=lo / n, right=(lo + finite.size) / n)
        return np.array([float(np.sum(row)) for row in _deviance_terms(self.data.n_fired, self.data.n_trials, p)])

    def scan(self, lz, grid, w=None):
        """The loss at every s of ``grid`` (as :meth:`deviance`; ``lz`` has finite entries)."""
        return self.binomial_scan(lz, grid)

    def deviance(self, lz, s, w=None):
        """The loss at (s, w): the binomial deviance (w, the log-area of ``lz``, is used by the joint loss)."""
        return self.binomial(lz, s)

    def best_s(self, lz, w=None):
        """Minimise the loss over s for one threshold sample (of log-area w): dense scan, then Brent."""
        finite = lz[np.isfinite(lz)]
        if finite.size == 0:       # the loss does not depend on s: no stimulus scale to find at this area
            return 0.0, self.deviance(lz, 0.0, w), False
        lo = finite[0] - self.log_x.max() - 0.05
        hi = finite[-1] - self.log_x.min() + 0.05
        grid = np.linspace(lo, hi, 600)
        dev = self.scan(lz, grid, w)
        i = int(np.argmin(dev))
        a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
        # the deviance is +inf where the model's probability excludes the data (a level at 0 % or 100 %):
        # Brent's parabolic step then gives NaN and it falls back to golden section; no need to warn
        with np.errstate(invalid="ignore"):
            res = optimize.minimize_scalar(lambda s: self.deviance(lz, s, w), bounds=(a, b), method="bounded",
                                           options=dict(xatol=1e-7))
        s_best, d_best = (res.x, res.fun) if res.fun <= dev[i] else (grid[i], dev[i])
        interior = 0 < i < grid.size - 1
        return float(s_best), float(d_best), interior

    def evaluate(self, w, n_trials, stage):
        lz = self.thresholds([w], n_trials)[0]
        s, d, interior = self.best_s(lz, w)
        self.record(stage, s, w, d, n_trials)
        return d, s, interior

    def evaluate_many(self, ws, n_trials, stage):
        lzs = self.thresholds(ws, n_trials)
        out = []
        for w, lz in zip(ws, lzs, strict=True):
            s, d, interior = self.best_s(lz, w)
            self.record(stage, s, w, d, n_trials)
            out.append((d, s, interior))
        return out

    def record(self, stage, s, w, d, n_trials):
        self.history.append(dict(stage=stage, delta_v=float(np.expm1(s + w)), delta_area=float(np.expm1(w)),
                                 loss=float(d), n_trials=int(n_trials)))


#: Simulated trials per area of the joint fit's latency tables (:class:`_JointProfile`), and their stimuli.
LATENCY_TRIALS = 2000
LATENCY_GRID_POINTS = 40
#: Fewest simulated spikes for a model latency to count (its mean and variance must be meaningful).
MIN_MODEL_SPIKES = 10


class _JointProfile(_Profile):
    """The joint loss: the binomial deviance plus, for the mean latency, ``-2 log`` of a normal likelihood.

    For every level where the data have a jitter (``n_fired >= 2``) the term is ``(L - M)^2 / SE^2`` with the
    measured mean latency ``L``, the model's ``M`` and ``SE^2 = J^2/k + V/K``: the standard error of the measured
    mean (jitter ``J`` over ``k`` spikes) plus the Monte Carlo error of the simulated one (variance ``V`` over
    ``K`` spikes). The model's latency comes from the same noise as the thresholds (stream 0 of the fit's root,
    the first :data:`LATENCY_TRIALS` trials), simulated once per area on a grid of
    :data:`LATENCY_GRID_POINTS` stimuli and interpolated (cubic spline in log amplitude), so the loss stays a
    deterministic, smooth function of ``(s, w)``. Levels where the model fires fewer than
    :data:`MIN_MODEL_SPIKES` times carry no latency term (the deviance already rules them out).
    """

    def __init__(self, data, setup, root, progress, sim, n_latency_trials=LATENCY_TRIALS):
        super().__init__(data, setup, root, progress, sim)
        self.n_latency_trials = n_latency_trials
        self.use = data.n_fired >= 2
        self.latency = data.latency_ms[self.use]
        self.se2_data = data.jitter_ms[self.use] ** 2 / data.n_fired[self.use]
        self.tables = {}

    def table(self, w, lz):
        """Interpolants ``z -> (mean, variance, spikes)`` of the model's latency at log-area w (built once)."""
        key = float(w)
        if key not in self.tables:
            finite = lz[np.isfinite(lz)]
            if finite.size < LATENCY_GRID_POINTS:     # (almost) every trial fires on its own: no latency curve
                self.tables[key] = (np.empty(0), None, np.empty(0), np.empty(0))
                return self.tables[key]
            lo = finite[min(max(2, int(0.002 * lz.size)), finite.size - 1)]
            z = np.linspace(lo, finite[-1] + np.ptp(self.log_x) + 0.05, LATENCY_GRID_POINTS)
            st, simulated = _model_latency(self.setup, w, z, self.n_latency_trials, self.root, self.sim, self._known(w))
            self.info["simulated_trials"] += simulated
            ok = st.n_fired >= MIN_MODEL_SPIKES
            spline = interpolate.CubicSpline(z[ok], st.latency_ms[ok]) if ok.sum() >= 4 else None
            self.tables[key] = (z[ok], spline, st.jitter_ms[ok] ** 2, st.n_fired[ok].astype(float))
        return self.tables[key]

    def _known(self, w):
        """``(every trial's threshold, µA; the noise-free one)`` at log-area w from the largest sample searched
        there (trial j is the same trial in every sample), or None."""
        sizes = [n for (k, n) in self.trials if k == w]
        if not sizes:
            return None
        return self.trials[(w, max(sizes))] * self.scale[w], self.scale[w]

    def latency_chi2(self, lz, s, w):
        """The latency term at (s, w) and the number of levels that contributed."""
        z, spline, var, n = self.table(w, lz)
        if spline is None:
            return 0.0, 0
        zi = self.log_x[self.use] + s
        inside = (zi >= z[0]) & (zi <= z[-1])
        model = spline(zi[inside])
        se2 = self.se2_data[inside] + np.interp(zi[inside], z, var) / np.interp(zi[inside], z, n)
        return float(np.sum((self.latency[inside] - model) ** 2 / se2)), int(inside.sum())

    def deviance(self, lz, s, w=None):
        return self.binomial(lz, s) + self.latency_chi2(lz, s, w)[0]

    def scan(self, lz, grid, w=None):
        return self.binomial_scan(lz, grid) + np.array([self.latency_chi2(lz, s, w)[0] for s in grid])


def _model_latency(setup, w, z, n_trials, root, sim, known=None):
    """Latency statistics of the first ``n_trials`` trials of stream 0 at log-area ``w`` and normalised log
    amplitudes ``z`` (amplitude ``I_ref e^(w + z)``: the stimuli of the thresholds' CDF); ``known``: the trials'
    thresholds and the noise-free one there, to skip the trials they show cannot fire (the same result). Returns
    ``(statistics, trials simulated)``."""
    amp = setup.i_ref_uA * np.exp(w + np.asarray(z))
    active = None if known is None else trials_that_may_fire(setup, amp, known[0], known[1], n_trials)
    _, first = simulate_responses(setup, amp, setup.area_cm2(math.expm1(w)), n_trials, seed=root,
                                  stream_ids=np.zeros(amp.size, dtype=int), **sim, active=active)
    return latency_stats(first, setup.response_onset_ms), amp.size * n_trials if active is None else int(active.sum())


def _vertex(ws, ds, fallback):
    """Vertex of the parabola through three points (or ``fallback`` if it is not a minimum inside them)."""
    if len(ws) < 3:
        return float(fallback)
    c2, c1, _ = np.polyfit(ws, ds, 2)
    if c2 <= 0:
        return float(fallback)
    return float(np.clip(-c1 / (2 * c2), min(ws), max(ws)))


def _validation_accepts(d_fit, d_val, data, r_fit, r_val) -> bool:
    """Is the fresh prediction's deviance consistent with the fit's own, given the Monte Carlo error of both?

    Predicting p from R trials adds about ``sum(n_i)/R`` to the deviance on average, with a spread of about
    ``sqrt(4 max(n_i) D / R)`` (the linear term of its expansion around the exact p); the fit's in-sample
    deviance is biased low by the same amount for its own R. Accept up to the mean plus 4 spreads (+1).
    """
    if not (math.isfinite(d_fit) and math.isfinite(d_val)):
        return False
    n = data.n_trials.astype(float)
    inv = 1.0 / r_fit + 1.0 / r_val
    mean = n.sum() * inv
    spread = math.sqrt(4.0 * n.max() * max(d_fit, len(data)) * inv + 2.0 * float(np.sum(n**2)) * inv**2)
    return d_val <= d_fit + mean + 4.0 * spread + 1.0


@dataclass
class _Outcome:
    """What a method returns to :func:`fit` (before the validation)."""

    delta_v: float
    delta_area: float
    delta_v_ci: tuple
    delta_area_ci: tuple
    converged: bool
    notes: list
    history: list
    covariance_uw: np.ndarray
    n_trials: int
    n_simulated: int
    fit_deviance: float = math.nan
    profile_w: np.ndarray = field(default_factory=lambda: np.empty(0))
    profile_deviance: np.ndarray = field(default_factory=lambda: np.empty(0))
    fit_latency_chi2: float = math.nan
    unidentified: str = ""          # why the data cannot fix the parameters ("" if they can)


@dataclass
class _FinalStage:
    """The final stage's parabola: ``w*``, its standard error, the five areas and their (deviance, s)."""

    w_star: float
    sigma_w: float
    ws: np.ndarray
    deviance: np.ndarray
    s_best: np.ndarray
    ok: bool


@dataclass
class _Uncertainty:
    cov_uw: np.ndarray
    delta_v_ci: tuple
    delta_area_ci: tuple
    ok: bool


def _final_n_trials(n_trials, name, data):
    """Trials per level of the final stage (default 20x the data's largest); warn if fewer than the data's."""
    n_data = int(data.n_trials.max())
    r_final = 20 * n_data if n_trials is None else check_int(name, n_trials, minimum=MIN_TRIALS, maximum=MAX_TRIALS)
    if r_final < n_data:
        warnings.warn(f"{name} = {r_final} simulated trials per level is fewer than the data's {n_data}: the fit's "
                      f"Monte Carlo error exceeds the data's own sampling error (use {name} >= 10x the data's)",
                      RuntimeWarning, stacklevel=4)
    return r_final


def _start_area(prof, start, r_coarse):
    """Log-area of the start (evaluated and recorded first), or 0 without one."""
    if start is None:
        return 0.0
    dv0, da0 = (float(v) for v in check_deltas(*start))
    w0 = math.log1p(da0)
    lz0 = prof.thresholds([w0], r_coarse)[0]
    prof.record("start", math.log1p(dv0) - w0, w0, prof.deviance(lz0, math.log1p(dv0) - w0, w0), r_coarse)
    return w0


def _global_stage(prof, w0, has_start, r_coarse):
    """Profile deviance on a 13-area grid over the box (plus the start's area), extended at the edges.

    Returns ``(centre, ok)``: the vertex of the parabola through the best grid point and its neighbours.
    """
    grid = list(np.linspace(math.log1p(BOX[0]), math.log1p(BOX[1]), 13))
    step = grid[1] - grid[0]
    results = {w: v[0] for w, v in zip(grid, prof.evaluate_many(grid, r_coarse, "global"), strict=True)}
    if has_start and not any(abs(w0 - g) < 1e-9 for g in grid):
        results[w0] = prof.evaluate(w0, r_coarse, "global")[0]
    ok = False
    for _ in range(12):
        ws = sorted(results)
        best = min(ws, key=results.get)
        if best == ws[0]:
            results[ws[0] - step] = prof.evaluate(ws[0] - step, r_coarse, "global")[0]
        elif best == ws[-1]:
            results[ws[-1] + step] = prof.evaluate(ws[-1] + step, r_coarse, "global")[0]
        else:
            ok = True
            break
    ws = sorted(results)
    k = ws.index(best)
    near = ws[max(k - 1, 0):k + 2]
    return _vertex(near, [results[w] for w in near], best), ok


def _local_stage(prof, w0, r_coarse):
    """Brent's method on the profile deviance from the start's area (coarse trials), no global grid."""
    res = optimize.minimize_scalar(lambda w: prof.evaluate(w, r_coarse, "local")[0], bracket=(w0, w0 + 0.3),
                                   method="brent", options=dict(xtol=0.01))
    return float(res.x)


def _final_stage(prof, centre, r_final) -> _FinalStage:
    """A parabola through five areas around ``centre`` with ``r_final`` trials, moved or resized until it
    brackets the minimum over a few standard errors."""
    delta = 0.1
    for _ in range(5):
        ws = centre + delta * np.arange(-2, 3)
        vals = prof.evaluate_many(ws, r_final, "refine")
        dev, s_best = np.array([v[0] for v in vals]), np.array([v[1] for v in vals])
        c2, c1, _ = np.polyfit(ws - centre, dev, 2)
        if c2 <= 0:
            centre = float(ws[np.argmin(dev)])
            continue
        w_star, sigma_w = centre - c1 / (2 * c2), 1.0 / math.sqrt(c2)
        if abs(w_star - centre) > 2 * delta:
            centre = centre + float(np.clip(w_star - centre, -3 * delta, 3 * delta))
        elif not delta / 5 <= sigma_w <= 1.5 * delta:
            delta, centre = float(np.clip(sigma_w, 0.01, 0.5)), float(w_star)   # span a few standard errors
        else:
            return _FinalStage(float(w_star), sigma_w, ws, dev, s_best, True)
    return _FinalStage(float(ws[np.argmin(dev)]), math.nan, ws, dev, s_best, False)


def _plateau(final) -> str:
    """Why the final window's profile deviance shows no maximum of the likelihood (a plateau at its minimum that
    reaches the window's edge: the deviance does not rise on that side), or ``""``."""
    d = final.deviance
    at_min = d <= d.min() + 1e-9 * max(1.0, abs(d.min()))
    if at_min.sum() < 2 or not (at_min[0] or at_min[-1]):
        return ""
    edge = final.ws[0] if at_min[0] else final.ws[-1]
    return (f"the profile deviance does not rise on both sides of its minimum (it stays at {d.min():.4g} up to "
            f"delta_area = {math.expm1(edge):.4g}, the edge of the final window): the likelihood has no maximum")


def _uncertainty(prof, final, s_star, d_star, data, r_final) -> _Uncertainty:
    """Covariance of (u, w) from the profile: var(w) from the parabola, var(s | w) from the curvature in s at
    w*, the slope of the valley floor s*(w); inflated by 1 + N/R for the threshold sample's Monte Carlo error
    (one sample serves every level, so it competes with all N data trials: conservative)."""
    lz_star = prof.thresholds([final.w_star], r_final)[0]
    h = 1e-3
    w_star = final.w_star
    d_ss = (prof.deviance(lz_star, s_star + h, w_star) - 2 * d_star + prof.deviance(lz_star, s_star - h, w_star)) / h**2
    beta = np.polyfit(np.r_[final.ws, final.w_star], np.r_[final.s_best, s_star], 1)[0]
    mc = 1.0 + float(data.n_trials.sum()) / r_final
    var_w = final.sigma_w**2
    var_s_given_w = 2.0 / d_ss if d_ss > 0 else math.nan
    cov_sw = mc * np.array([[var_s_given_w + beta**2 * var_w, beta * var_w], [beta * var_w, var_w]])
    jac = np.array([[1.0, 1.0], [0.0, 1.0]])                 # (u, w) = (s + w, w)
    cov_uw = jac @ cov_sw @ jac.T
    u_star, w_star = s_star + final.w_star, final.w_star
    with np.errstate(invalid="ignore"):
        su, sw = np.sqrt(cov_uw[0, 0]), np.sqrt(cov_uw[1, 1])
    return _Uncertainty(cov_uw, (math.expm1(u_star - Z95 * su), math.expm1(u_star + Z95 * su)),
                        (math.expm1(w_star - Z95 * sw), math.expm1(w_star + Z95 * sw)),
                        bool(np.all(np.isfinite(cov_sw))))


def _fit_profile(data, setup, n_trials, n_trials_name, root, start, global_search, progress, sim,
                 latency_trials=None) -> _Outcome:
    if latency_trials is None:
        prof = _Profile(data, setup, child(root, 0), progress, sim)
    else:
        prof = _JointProfile(data, setup, child(root, 0), progress, sim, latency_trials)
    r_final = _final_n_trials(n_trials, n_trials_name, data)
    r_coarse = min(2000, r_final)
    notes, unidentified = [], ""
    w0 = _start_area(prof, start, r_coarse)
    if global_search:
        centre, ok = _global_stage(prof, w0, start is not None, r_coarse)
        if not ok:
            notes.append("no interior minimum of the profile deviance found")
            unidentified = (f"the profile deviance still falls at the edge of the areas searched (delta_area = "
                            f"{math.expm1(centre):.4g}): no maximum of the likelihood there (if the data are not "
                            "separated, a setup whose reference area a_ref_cm2 is nearer theirs may find one)")
    else:
        centre, ok = _local_stage(prof, w0, r_coarse), True
    final = _final_stage(prof, centre, r_final)
    if not final.ok:
        notes.append("final-stage parabola did not bracket a minimum")
    elif not unidentified:
        unidentified = _plateau(final)
    d_star, s_star, s_interior = prof.evaluate(final.w_star, r_final, "final")
    if not s_interior:
        notes.append("best stimulus scale at the edge of its search range")
    unc = _uncertainty(prof, final, s_star, d_star, data, r_final)
    if not unc.ok:
        notes.append("uncertainty unavailable (non-positive curvature)")
    order = np.argsort(np.r_[final.ws, final.w_star])
    d_binomial = d_star if latency_trials is None else prof.binomial(prof.thresholds([final.w_star], r_final)[0],
                                                                     s_star)
    return _Outcome(math.expm1(s_star + final.w_star), math.expm1(final.w_star), unc.delta_v_ci, unc.delta_area_ci,
                    ok and final.ok and s_interior and unc.ok, notes, prof.history, unc.cov_uw, r_final,
                    prof.info["simulated_trials"], d_binomial, np.r_[final.ws, final.w_star][order],
                    np.r_[final.deviance, d_star][order], d_star - d_binomial, unidentified)


# ----------------------------------------------------------------------------- the predecessor's method
def _fit_predecessor(data, setup, root, start, sim, n_trials=10, max_evaluations=61) -> _Outcome:
    """The predecessor's L-BFGS-B with finite-difference gradients on a fresh-noise 10-trial MSE."""
    history = []
    counter = itertools.count()

    def loss(theta):
        p = predict(theta[0], theta[1], data.x, n_trials=n_trials, setup=setup, seed=child(root, 2, next(counter)),
                    **sim)
        m = mse_loss(p, data)
        history.append(dict(stage="predecessor", delta_v=float(theta[0]), delta_area=float(theta[1]), loss=m,
                            n_trials=n_trials))
        return m

    x0 = np.array([0.0, 0.0] if start is None else [float(v) for v in check_deltas(*start)])
    res = optimize.minimize(loss, x0, method="L-BFGS-B", bounds=[BOX, BOX],
                            options=dict(maxfun=max_evaluations, maxiter=max_evaluations))
    return _Outcome(float(res.x[0]), float(res.x[1]), (math.nan, math.nan), (math.nan, math.nan), bool(res.success),
                    [f"L-BFGS-B: {res.message}"], history, np.full((2, 2), np.nan), n_trials,
                    len(history) * n_trials * data.x.size)


# ----------------------------------------------------------------------------- entry point
def _check_fit_args(data, method, setup, global_search, progress, start):
    data = load_data() if data is None else data
    check_instance("data", data, FiringData, "FiringData (see hhlib.load_data)")
    if method == "seed":
        warnings.warn('fit(method="seed") is now method="predecessor"', DeprecationWarning, stacklevel=3)
        method = "predecessor"
    check_choice("method", method, METHODS)
    check_instance("setup", setup, NormalisedSetup)
    check_bool("global_search", global_search)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable with one text argument, got {type(progress).__name__}")
    if start is not None:
        if np.ndim(start) != 1 or len(start) != 2:
            raise ValueError(f"start must be a pair (delta_v, delta_area), got {start!r}")
        check_deltas(*start)
    return data, method


def fit(data: FiringData | None = None, *, n_trials: int | None = None, seed=0, start=None, method: str = "profile",
        setup: NormalisedSetup = DEFAULT_SETUP, global_search: bool = True, validation_n_trials: int | None = None,
        progress=None, runs: int | None = None, validation_runs: int | None = None, use_latency: bool | None = None,
        latency_trials: int = LATENCY_TRIALS, engine: str = "auto", precision: str = "float64", free=None,
        n_spread: int | None = None):
    """Fit ``delta_v`` and ``delta_area`` to firing counts (and latencies) by maximum likelihood.

    Counts: binomial likelihood (the deviance). Data with ``latency_ms`` and ``jitter_ms`` add, for the mean
    latency of every level with at least two spikes, a normal likelihood with standard error
    ``sqrt(jitter^2 / n_fired + V_model / K_model)`` (the data's standard error of the mean plus the Monte Carlo
    error of the simulated mean; :class:`_JointProfile`): the loss is ``deviance + sum((L - M)^2 / SE^2)``,
    i.e. ``-2 log L`` up to a constant. The model's latencies come from the same simulated trials as its
    firing probabilities (common random numbers).

    Physical-unit data (``amplitude_uA`` / ``_nA`` / ``_mA`` columns) are fitted with a 1 µA reference current,
    so ``1 + delta_v`` is the factor from the stated current to the membrane current, and the reference area
    of their protocol (``area_cm2``, else the setup's): :attr:`FitResult.stimulus_scale_uA` and
    :attr:`FitResult.area_cm2` give the fit in µA and cm² (``summary()`` reports those, with their intervals: for
    stated currents far above the membrane's, e.g. in mA, ``1 + delta_v`` is tiny and ``delta_v`` is close to -1).
    The protocol's stimulus is used (:func:`hhlib.normalised.setup_for_data`: any pulse, biphasic or anodic, a
    train, or one part of a pair, ``vary``, the others fixed; the per-trial thresholds then vary that part, and
    latencies count from its onset). The data's stimulus values
    must lie within :func:`hhlib.normalised.stimulus_range` (a factor 1e12 either way of the membrane's own
    current scale), so that ``1 + delta_v`` can be represented.

    Three verdicts, each in ``summary()``, ``repr()`` and ``to_dict()``:

    - ``converged`` (the optimiser: a bracketed minimum, validated by a fresh prediction);
    - ``identifiable``: False for data separated between two levels (no level between 0 % and 100 %, or only
      one: :func:`hhlib.probit_fit` refuses them) or a profile deviance that does not rise on both sides of the
      optimum: the likelihood keeps rising as the noise shrinks, so no estimate or interval exists; the result
      then has ``converged = False``, NaN intervals and the reason in ``message``;
    - ``goodness_of_fit``: ``"poor fit (...): the model does not describe these data"`` when the fresh
      prediction's p-value (the counts' deviance; for a joint fit also the latency term, each on its own) is
      below :data:`POOR_FIT_P` = 0.001, else ``"consistent (...)"``.

    Parameters
    ----------
    data : FiringData, optional
        Default: the shipped measurements (:func:`hhlib.load_data`).
    n_trials : int, optional
        Trials per level in the final stage (default 20x the data's largest trials per level; 200 to 1e7;
        fewer than the data's own trials per level gives a warning).
    seed : None, int, SeedSequence, Generator or SeedRecord
        Root of all random numbers (fit and validation use independent streams of it).
    start : (delta_v, delta_area), optional
        Starting point: evaluated first and recorded in the history; the global stage makes the
        result independent of it. With ``global_search=False`` the search starts from its area.
    method : {"profile", "predecessor"}
        ``"profile"``: the converging method described in the module docstring; ``"predecessor"``: the
        predecessor project's L-BFGS-B on a 10-trial MSE, for comparison.
    setup : NormalisedSetup
        Reference amplitude/area, model, protocol and noise (``setup.noise``: e.g.
        ``dataclasses.replace(hhlib.DEFAULT_SETUP, noise=hhlib.ChannelNoise(600, 180))`` fits with channel
        noise, the area then setting the channel counts).
    global_search : bool
        Run the global grid stage (``profile`` only).
    validation_n_trials : int
        Trials per level of the fresh prediction that gives the reported deviance and p-value (200 to 1e7;
        default 20 000).
    progress : callable, optional
        Called with a short text at each stage.
    runs, validation_runs : int, optional
        Old names of ``n_trials`` and ``validation_n_trials`` (deprecated).
    use_latency : bool, optional
        Add the latency term (``profile`` only). Default: when the data have ``latency_ms`` (they then need
        ``jitter_ms`` too, for the standard errors).
    latency_trials : int
        Simulated trials per area of the model's latency tables (200 to 1e6; default :data:`LATENCY_TRIALS`).
    engine : {"auto", "numba", "numpy", "cuda"}
        Simulation engine (see :func:`hhlib.simulate`); ``"cuda"`` runs every simulation on the GPU.
    precision : {"float64", "float32"}
        Arithmetic of the GPU engine (``"float32"`` with ``engine="cuda"`` only).
    free : dict or list of str, optional
        The parameters to fit, by name, with their bounds: ``{"delta_v": (-0.9, 9.0), "knoise": (1e-6, 1e-3),
        "latency_offset_ms": (-1, 1), "rate_factor": None, ...}`` (None: default bounds; a list: names with
        default bounds). Names: :mod:`hhlib.fitting.params` (the deltas, ``knoise`` or the channel densities
        ``na_per_um2``/``k_per_um2``, ``latency_offset_ms``, any numeric model field such as ``rate_factor``,
        ``g_max.<current>`` of a ``Membrane`` model). Default: ``delta_v`` and ``delta_area`` in :data:`BOX`, by the
        exact two-parameter path above (identical results). Any other ``free``, or ``data`` given as a list of
        ``FiringData`` (several protocols, one joint likelihood), runs :func:`hhlib.fitting.fit_named` and returns a
        :class:`hhlib.fitting.NamedFitResult` (``estimate[name]``, ``interval[name]``, ``determined[name]``,
        per-data-set deviances); ``start`` is then a dict name -> value, ``n_trials`` defaults to 10x the data's
        largest trials per level and ``method`` must be ``"profile"``.
    n_spread : int, optional
        Named-parameter fits: refits in that many other noise realisations (0 to 20; default
        :data:`NAMED_SPREAD` = 0), whose spread (the measured Monte Carlo error of the estimates) widens every
        interval (:mod:`hhlib.fitting.named`); each refit is a local search (no intervals), roughly 10-20 % of
        the fit's time. Given with the default ``free``, it takes the named-parameter path too.

    Returns
    -------
    FitResult or NamedFitResult
        :class:`FitResult` for the default ``free`` and one data set (it also has ``estimate`` and ``interval``
        by name).

    Raises
    ------
    ValueError
        Bad arguments (naming them, with the allowed range; ``latency_trials`` is checked whether or not the data
        have latencies); data from which the firing curve cannot be located (no trial fired, every trial fired,
        firing that falls with the stimulus); stimulus values outside :func:`hhlib.normalised.stimulus_range`
        (naming them and the range); for a joint fit, a ``jitter_ms`` of 0 where two or more trials fired.
    TypeError
        Arguments of the wrong type.

    Examples
    --------
    About 10-20 s on two cores (``tests/test_fit.py`` runs it)::

        import hhlib
        r = hhlib.fit(seed=0)
        print(r.summary())         # delta_v = 1.96 [1.69, 2.26], delta_area = 3.25 [2.86, 3.69], ...
    """
    if _named(data, free, n_spread):
        return _fit_named(data, free, n_trials, seed, start, method, setup, validation_n_trials, progress, use_latency,
                          latency_trials, engine, precision, n_spread)
    t0 = time.perf_counter()
    data, method = _check_fit_args(data, method, setup, global_search, progress, start)
    setup = setup_for_data(data, setup)
    latency_trials = check_int("latency_trials", latency_trials, minimum=200, maximum=1_000_000)
    latency_trials = _latency_trials(data, method, use_latency, latency_trials)
    separated = _check_data(data, setup)
    n_trials, n_name = renamed("runs", runs, "n_trials", n_trials)
    if n_trials is not None:
        check_int(n_name, n_trials, minimum=MIN_TRIALS, maximum=MAX_TRIALS)
    n_val, val_name = renamed("validation_runs", validation_runs, "validation_n_trials", validation_n_trials, 20000)
    n_val = check_int(val_name, n_val, minimum=MIN_TRIALS, maximum=MAX_TRIALS)
    root = as_seed_sequence(seed)
    sim = dict(engine=check_choice("engine", engine, ENGINES), precision=check_choice("precision", precision,
                                                                                      PRECISIONS))
    if method == "profile":
        out = _fit_profile(data, setup, n_trials, n_name, root, start, global_search, progress, sim, latency_trials)
    else:
        out = _fit_predecessor(data, setup, root, start, sim)
    _check_representable(out, data, setup)
    out.unidentified = separated or out.unidentified
    if progress:
        progress(f"validating with a fresh {n_val}-trial prediction")
    return _result(out, data, setup, method, root, sim, n_val, latency_trials, t0)


def _named(data, free, n_spread=None) -> bool:
    """Does this call take the named-parameter path (a ``free`` other than today's two in their box, a list of
    data sets, or an ``n_spread``)?"""
    if isinstance(data, (list, tuple)) or n_spread is not None:
        return True
    if free is None:
        return False
    from .fitting.params import DEFAULT_FREE
    if isinstance(free, dict) and set(free) == set(DEFAULT_FREE) and all(
            free[k] is None or tuple(free[k]) == DEFAULT_FREE[k] for k in free):
        return False
    return not (isinstance(free, (list, tuple)) and sorted(free) == sorted(DEFAULT_FREE))


def _fit_named(data, free, n_trials, seed, start, method, setup, n_val, progress, use_latency, latency_trials,
               engine, precision, n_spread):
    """The named-parameter path of :func:`fit` (:func:`hhlib.fitting.fit_named`), its arguments checked here."""
    from .fitting import fit_named
    if method != "profile":
        raise ValueError(f"free parameters other than delta_v and delta_area, or several data sets, need "
                         f"method='profile', got method={method!r}")
    check_instance("setup", setup, NormalisedSetup)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable with one text argument, got {type(progress).__name__}")
    if start is not None and not isinstance(start, dict):
        raise TypeError(f"start must be a dict name -> value with free parameters, got {start!r}")
    if n_trials is not None:
        check_int("n_trials", n_trials, minimum=MIN_TRIALS, maximum=MAX_TRIALS)
    n_val = check_int("validation_n_trials", 20000 if n_val is None else n_val, minimum=MIN_TRIALS,
                      maximum=MAX_TRIALS)
    latency_trials = check_int("latency_trials", latency_trials, minimum=200, maximum=1_000_000)
    if use_latency is not None:
        check_bool("use_latency", use_latency)
    n_spread = check_int("n_spread", NAMED_SPREAD if n_spread is None else n_spread, minimum=0, maximum=20)
    sim = dict(engine=check_choice("engine", engine, ENGINES), precision=check_choice("precision", precision,
                                                                                      PRECISIONS))
    return fit_named(data, free if free is not None else dict(DEFAULT_FREE_NAMED), setup=setup, n_trials=n_trials,
                     seed_root=as_seed_sequence(seed), start=start, validation_n_trials=n_val, progress=progress,
                     use_latency=use_latency, latency_trials=latency_trials, sim=sim, n_spread=n_spread)


DEFAULT_FREE_NAMED = {"delta_v": BOX, "delta_area": BOX}
#: Refits in other noise realisations that widen a named-parameter fit's intervals by default: none. With the
#: ``1 + N/R`` allowance alone the intervals covered the truth in every seed of the synthetic recoveries
#: (``benchmarks/recovery_named.py``: 10 of 10 with three and with four parameters); three refits widened them by
#: 2-30 % there.
NAMED_SPREAD = 0


def _result(out, data, setup, method, root, sim, n_val, latency_trials, t0) -> FitResult:
    """The FitResult of an outcome: validated by a fresh ``n_val``-trial prediction (deviance, p-values)."""
    if latency_trials is None:
        p_val = predict(out.delta_v, out.delta_area, data.x, n_trials=n_val, setup=setup, seed=child(root, 1), **sim)
        lat_chi2, lat_dof = math.nan, 0
    else:
        pred = predict(out.delta_v, out.delta_area, data.x, n_trials=n_val, setup=setup, seed=child(root, 1),
                       return_latency=True, **sim)
        p_val = pred.firing_probability
        lat_chi2, lat_dof = _latency_chi2(pred, data)
    dev = deviance_loss(p_val, data)
    dof = len(data) - 2
    identifiable = not out.unidentified
    converged = identifiable and out.converged and _validated(method, out, dev, dof, data, n_val,
                                                              lambda: _spontaneous(out, setup, root, sim))
    cis, cov = (out.delta_v_ci, out.delta_area_ci), out.covariance_uw
    if not identifiable:                 # a likelihood without a maximum: no interval, no confidence region
        cis, cov = ((math.nan, math.nan), (math.nan, math.nan)), np.full((2, 2), np.nan)
    return FitResult(
        delta_v=out.delta_v, delta_area=out.delta_area, delta_v_ci=cis[0], delta_area_ci=cis[1],
        deviance=dev, p_value=float(chi2_sf(dev, dof)), dof=dof, n_evaluations=len(out.history),
        n_trials_simulated=out.n_simulated + n_val * len(data), seconds=time.perf_counter() - t0,
        converged=converged, method=method, n_trials=out.n_trials, validation_n_trials=n_val,
        validation_prediction=p_val, history=out.history, covariance_uw=cov, seed=record_of(root),
        message="; ".join([out.unidentified] * (not identifiable) + out.notes), fit_deviance=out.fit_deviance,
        profile_w=out.profile_w, profile_deviance=out.profile_deviance, data=data, setup=setup,
        uses_latency=latency_trials is not None, latency_chi2=lat_chi2, latency_dof=lat_dof,
        fit_latency_chi2=out.fit_latency_chi2, identifiable=identifiable)


def _check_data(data, setup) -> str:
    """ValueError for data that cannot locate the firing curve (no trial fired, every trial fired, firing that
    falls with the stimulus) or whose stimulus lies outside :func:`hhlib.normalised.stimulus_range`; for data
    separated between two levels (0 % below, 100 % above: :func:`hhlib.probit_fit` refuses them too) the reason
    why they cannot fix the parameters, else ``""``."""
    k, n, x = data.n_fired, data.n_trials, data.x
    reason = separation(x, k, n)
    if reason and (np.all(k == 0) or np.all(k == n) or x[k > 0].max() <= x[k < n].min()):
        hint = ("it lies above every stimulus tested" if np.all(k == 0) else
                "it lies below every stimulus tested" if np.all(k == n) else
                "the model's firing probability rises with the stimulus")
        raise ValueError(f"cannot fit the data ({data.source}): {reason}; the firing curve cannot be located from "
                         f"them ({hint})")
    check_stimulus_range(data, setup)
    if not reason:
        return ""
    return (f"the data are separated: {reason}; for this model the likelihood keeps rising as the noise shrinks "
            "relative to the threshold (delta_area -> infinity), so delta_v and delta_area have no estimate")


def _check_representable(out, data, setup):
    """ValueError naming the data's stimulus values if the fit ended where ``1 + delta`` underflows or overflows."""
    if all(math.isfinite(v) and v > -1 for v in (out.delta_v, out.delta_area)):
        return
    lo, hi = stimulus_range(setup)
    raise ValueError(f"the fit reached delta_v = {out.delta_v!r}, delta_area = {out.delta_area!r}, where 1 + delta "
                     f"cannot be represented: the data's stimulus values (x from {data.x.min():.4g} to "
                     f"{data.x.max():.4g}) lie too far from the membrane's current scale ({data.source}); "
                     f"x in [{lo:.3g}, {hi:.3g}] (hhlib.normalised.stimulus_range) is the most that can be fitted")


def _latency_trials(data, method, use_latency, latency_trials):
    """Trials per area of the latency tables, or None for a fit of the counts alone."""
    if use_latency is None:
        use_latency = data.has_latency
    if not check_bool("use_latency", use_latency):
        return None
    if not data.has_latency:
        raise ValueError("use_latency=True needs data with a latency_ms column (and jitter_ms)")
    if data.jitter_ms is None:
        raise ValueError(f"the data ({data.source}) have latency_ms but no jitter_ms: the joint fit needs the "
                         "jitter for the standard error of each mean latency (or pass use_latency=False)")
    if method != "profile":
        raise ValueError(f"the latency term needs method='profile', got method={method!r} (or pass use_latency=False)")
    used = np.flatnonzero(data.n_fired >= 2)
    se2 = data.jitter_ms[used] ** 2 / data.n_fired[used]
    if np.any(~(se2 > 0)):
        i = int(used[np.argmax(~(se2 > 0))])
        raise ValueError(f"jitter_ms[{i}] = {float(data.jitter_ms[i])!r} ms where {int(data.n_fired[i])} trials fired "
                         f"({data.source}): the joint fit needs a standard error jitter_ms / sqrt(n_fired) > 0 for "
                         "every mean latency (a jitter of 0 says that noisy trials all fired at the same instant); "
                         "correct jitter_ms, or pass use_latency=False to fit the counts alone")
    return latency_trials


def _latency_chi2(pred, data):
    """The latency term of a fresh prediction (same standard errors as the fit's) and its number of levels."""
    use = (data.n_fired >= 2) & (pred.n_fired >= MIN_MODEL_SPIKES)
    se2 = data.jitter_ms[use] ** 2 / data.n_fired[use] + pred.jitter_ms[use] ** 2 / pred.n_fired[use]
    return float(np.sum((data.latency_ms[use] - pred.latency_ms[use]) ** 2 / se2)), int(use.sum())


#: Fraction of trials firing without a stimulus above which a failed validation is blamed on it.
SPONTANEOUS_LIMIT = 0.02


def _spontaneous(out, setup, root, sim, n_trials=2000) -> float:
    """Fraction of trials that fire with (practically) no stimulus at the fit's optimum."""
    p = predict(out.delta_v, out.delta_area, [1e-12], n_trials=n_trials, setup=setup, seed=child(root, 3), **sim)
    return float(p[0])


def _validated(method, out, dev, dof, data, n_val, spontaneous) -> bool:
    """Does the fresh validation accept the fit? Adds the reason to ``out.notes`` when it does not.

    ``spontaneous()`` gives the model's firing without a stimulus at the optimum (asked only on failure): when
    it is large, a trial's firing is not monotone in the amplitude (a weak pulse can suppress a spike the
    noise would have fired later), so per-trial thresholds misstate the firing curve and more trials cannot help.
    """
    if method == "predecessor":
        return bool(dev <= chi2_ppf(0.95, dof))
    if _validation_accepts(out.fit_deviance, dev, data, out.n_trials, n_val):
        return True
    why = f"the fresh prediction's deviance {dev:.4g} is not consistent with the fit's own {out.fit_deviance:.4g}"
    p0 = spontaneous()
    if p0 > SPONTANEOUS_LIMIT:
        out.notes.append(f"{why}: the model fires without a stimulus in {p0:.0%} of trials there, so a trial's "
                         "firing is not monotone in the amplitude and per-trial thresholds misstate the firing "
                         "curve; the profile fit is unreliable with such a firing floor (compare "
                         "hhlib.probit_fit(..., floor=True))")
    else:
        out.notes.append(f"{why} (Monte Carlo error of {out.n_trials} trials per level): use more n_trials")
    return False
