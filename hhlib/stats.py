"""Statistics of firing: binomial confidence intervals, the deviance, the integrated-Gaussian
(probit) curve, and first-spike latency and jitter (:func:`latency_stats`, :func:`latency_ci`).

Counts (``n_fired``, ``n_trials``) are whole numbers below 2**53 with ``0 <= n_fired <= n_trials``
and ``n_trials >= 1``; probabilities lie in [0, 1]; every quantity here is dimensionless except the
stimulus ``x`` and ``x50``, which share whatever unit ``x`` is given in. Bad arguments raise
:class:`ValueError` or :class:`TypeError` naming the argument.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from .seeds import as_seed_sequence, stream
from .validation import check_bool, check_choice, check_int, check_real, count_array, probability_array, real_array

__all__ = ["binomial_ci", "ProbitFit", "probit_curve", "probit_fit", "binomial_deviance", "LatencyStats",
           "latency_stats", "latency_ci", "responses", "separation", "LATENCY_DDOF", "chi2_sf", "chi2_ppf",
           "norm_ppf", "t_ppf", "widened_interval"]


# The distribution functions the core needs, from the special functions scipy.stats itself evaluates them with
# (scipy.stats.chi2.sf is special.chdtrc, chi2.ppf 2 gammaincinv(df/2, q), norm.ppf ndtri, t.ppf stdtrit; equal
# to the last bit, tests/core/test_stats.py): importing scipy.stats would add about 0.3 s to every `import hhlib`
# and command-line run. Arguments outside the domain give NaN, as in scipy.stats.
def chi2_sf(x, df):
    """Survival function of chi-square with ``df`` degrees of freedom (``scipy.stats.chi2.sf(x, df)``)."""
    return _in_domain(special.chdtrc(df, x), np.asarray(df) > 0)


def chi2_ppf(q, df):
    """Quantile of chi-square with ``df`` degrees of freedom (``scipy.stats.chi2.ppf(q, df)``)."""
    q, df = np.asarray(q, dtype=float), np.asarray(df, dtype=float)
    return _in_domain(2 * special.gammaincinv(df / 2, q), (df > 0) & (q >= 0) & (q <= 1))


def norm_ppf(q):
    """Quantile of the standard normal distribution (``scipy.stats.norm.ppf(q)``)."""
    return special.ndtri(q)


def t_ppf(q, df):
    """Quantile of Student's t with ``df`` degrees of freedom (``scipy.stats.t.ppf(q, df)``)."""
    q = np.asarray(q, dtype=float)
    value = np.where(q == 0.0, -np.inf, np.where(q == 1.0, np.inf, special.stdtrit(df, q)))
    return _in_domain(value, (np.asarray(df) > 0) & (q >= 0) & (q <= 1))


def widened_interval(estimate: float, interval, between_var: float, level: float = 0.95) -> np.ndarray:
    """A ``level`` interval widened by the Monte Carlo variance ``between_var`` of its estimate.

    Each end moves out to ``sqrt(half_width² + z² between_var)`` from the estimate (``z`` the normal quantile of
    ``level``, 1.96 for 95 %): the interval's half-width on each side is ``z`` times the within-realisation SD, and
    the two variances add. A NaN end stays NaN.

    Examples
    --------
    >>> widened_interval(0.0, [-1.96, 1.96], 1.0).round(3)
    array([-2.772,  2.772])
    """
    lo, hi = np.asarray(interval, dtype=float)
    add = float(norm_ppf(0.5 + level / 2)) ** 2 * float(between_var)
    return np.array([estimate - np.sqrt((estimate - lo) ** 2 + add), estimate + np.sqrt((hi - estimate) ** 2 + add)])


def _in_domain(value, ok):
    value = np.where(ok, value, np.nan)
    return value[()] if value.ndim == 0 else value


def _broadcast(names, *arrays):
    try:
        return np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(f"{name} {a.shape}" for name, a in zip(names, arrays, strict=True))
        raise ValueError(f"{', '.join(names[:-1])} and {names[-1]} must have broadcastable shapes, "
                         f"got {shapes}") from None


def _counts(n_fired, n_trials):
    """Validated ``(k, n)`` as int64 arrays of the broadcast shape."""
    k = count_array("n_fired", n_fired)
    n = count_array("n_trials", n_trials, minimum=1)
    k, n = _broadcast(("n_fired", "n_trials"), k, n)
    if np.any(k > n):
        i = np.unravel_index(np.argmax(k > n), k.shape)
        raise ValueError(f"n_fired must be <= n_trials, got n_fired = {k[i]} > n_trials = {n[i]}")
    return k, n


def binomial_ci(n_fired, n_trials, level: float = 0.95):
    """Wilson score interval for a binomial proportion, vectorised.

    Agrees with ``scipy.stats.binomtest(k, n).proportion_ci(level, method="wilson")``. The bounds
    are computed from the product and complement forms of the Wilson roots, so they are accurate
    near 0 and 1, and always satisfy ``0 <= low <= n_fired / n_trials <= high <= 1``.

    Parameters
    ----------
    n_fired : array_like of int
        Successes: whole numbers, ``0 <= n_fired <= n_trials``.
    n_trials : array_like of int
        Trials: whole numbers >= 1 (below 2**53); broadcasts against ``n_fired``.
    level : float
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    (low, high) : tuple of ndarray
        Bounds on the probability (dimensionless), shape ``broadcast(n_fired, n_trials)``.

    Raises
    ------
    ValueError, TypeError
        Naming ``n_fired``, ``n_trials`` or ``level``.

    Examples
    --------
    >>> low, high = binomial_ci(500, 1000)
    >>> round(float(low), 4), round(float(high), 4)
    (0.4691, 0.5309)
    >>> binomial_ci(2.5, 10)
    Traceback (most recent call last):
    ...
    ValueError: n_fired must be whole numbers below 2**53, got [2.5]
    """
    level = check_real("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    k, n = _counts(n_fired, n_trials)
    k, n = k.astype(float), n.astype(float)
    z = -special.ndtri((1.0 - level) / 2)            # 1 - level is exact for level >= 0.5
    p, q = k / n, (n - k) / n
    denom = 1 + z**2 / n
    half = z * np.sqrt(p * q / n + z**2 / (4 * n**2)) / denom
    upper_root = (p + z**2 / (2 * n)) / denom + half           # no cancellation: a sum of positives
    upper_root_c = (q + z**2 / (2 * n)) / denom + half         # 1 - (lower root), likewise
    with np.errstate(divide="ignore", invalid="ignore"):
        # the roots' product is p**2 / denom (and (1-p)**2 / denom for the complements)
        low = np.where(k == 0, 0.0, p**2 / (denom * upper_root))
        high = np.where(k == n, 1.0, 1.0 - q**2 / (denom * upper_root_c))
    # mathematically low <= p <= high; these only absorb a last-bit rounding
    return np.clip(np.minimum(low, p), 0.0, 1.0), np.clip(np.maximum(high, p), 0.0, 1.0)


#: Phi(-1), Phi(0), Phi(1): the quantiles of a threshold sample that give x50 (the median) and RS (half the
#: 15.9-84.1 % range over the median) of the integrated-Gaussian curve :func:`probit_curve`.
SIGMA_QUANTILES = (0.15865525393145707, 0.5, 0.8413447460685429)

_SERIES = np.array([(-1.0) ** j / ((j + 2) * (j + 1)) for j in range(14)])[::-1]


def _half_deviance(p, d, q):
    """``p g(d/p)`` with ``g(t) = (1+t) log1p(t) - t >= 0``, where ``q = p + d`` (one half of KL).

    A power series for small ``|t|`` keeps it accurate (and > 0 for ``d != 0``) next to a perfect
    fit, where the closed form cancels.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = d / p
        small = np.abs(t) < 0.05
        ts = np.where(small, t, 0.0)
        series = p * ts * ts * np.polyval(_SERIES, ts)
        log_ratio = np.where(t > 1, np.log(q) - np.log(p), np.log1p(t))   # ln(q/p); t may overflow
        closed = np.where(q > 0, q * log_ratio, 0.0) - d
    return np.where(small, series, closed)


def _deviance_terms(k, n, p):
    """Per-point deviance ``2 n KL(k/n || p)`` (>= 0; 0 iff p == k/n; +inf where p excludes the data)."""
    k, n = k.astype(float), n.astype(float)
    d = k / n - p
    lower = n * _half_deviance(p, d, k / n)
    upper = n * _half_deviance(1.0 - p, -d, (n - k) / n)
    lower = np.where(p > 0, lower, np.where(k > 0, np.inf, 0.0))
    upper = np.where(p < 1, upper, np.where(k < n, np.inf, 0.0))
    return 2.0 * (lower + upper)


def binomial_deviance(n_fired, n_trials, p_model) -> float:
    """Binomial deviance ``2 Σ [k ln(k/(n p)) + (n-k) ln((n-k)/(n (1-p)))]`` (dimensionless).

    Twice the log-likelihood ratio of the saturated model (``p = k/n``) to ``p_model``: zero exactly
    where ``p_model == n_fired / n_trials`` at every point, positive otherwise, and about chi-square
    with (points - fitted parameters) degrees of freedom at a fit's optimum.

    A model probability of exactly 0 at a level where some trial fired (or exactly 1 where some
    trial did not) makes the observed data impossible: the deviance is then ``+inf``, which is the
    exact answer, not an overflow. Where the data agree (``k = 0`` at ``p = 0``, ``k = n`` at
    ``p = 1``) the point contributes 0. Monte Carlo estimates of ``p`` from ``R`` runs hit 0 or 1
    when the true value is below about ``1/R``; a caller that wants a finite loss there must
    regularise ``p`` itself (e.g. ``(k_sim + 0.5) / (R + 1)``), knowingly.

    Parameters
    ----------
    n_fired, n_trials : array_like of int
        Counts, ``0 <= n_fired <= n_trials``, ``n_trials >= 1``.
    p_model : array_like of float
        Model firing probabilities in [0, 1] (NaN is rejected).

    All three broadcast against each other.

    Returns
    -------
    float
        The deviance, >= 0, possibly ``inf``.

    Raises
    ------
    ValueError, TypeError
        Naming ``n_fired``, ``n_trials`` or ``p_model``: out of range, not whole numbers, NaN,
        or shapes that do not broadcast.

    Examples
    --------
    >>> binomial_deviance([5, 50], [10, 100], [0.5, 0.5])
    0.0
    >>> round(binomial_deviance(5, 10, 0.3), 4)
    1.7435
    >>> binomial_deviance(1, 10, 0.0)
    inf
    >>> binomial_deviance(5, 10, 2.0)
    Traceback (most recent call last):
    ...
    ValueError: p_model must be probabilities in [0, 1], got 2.0
    """
    k, n = _counts(n_fired, n_trials)
    p = probability_array("p_model", p_model)
    k, n, p = _broadcast(("n_fired", "n_trials", "p_model"), k, n, p)
    return float(np.sum(_deviance_terms(k, n, p)))


def probit_curve(x, x50, rs, p0=0.0):
    """Integrated-Gaussian firing-efficiency curve ``p0 + (1 - p0) Phi((x/x50 - 1)/RS)`` (Verveen 1960).

    Parameters
    ----------
    x : array_like of float
        Stimulus (finite; any unit, the same as ``x50``).
    x50 : float
        Stimulus of 50 % stimulus-driven firing (> 0, unit of ``x``).
    rs : float
        Relative spread ``sigma / x50`` (> 0, dimensionless).
    p0 : float
        Firing floor: probability of firing without a stimulus, in [0, 1) (default 0).

    Returns
    -------
    ndarray of float (a float for scalar ``x``)
        Firing probabilities, shape of ``x``.

    Examples
    --------
    >>> float(probit_curve(1.0, 1.0, 0.05)), round(float(probit_curve(1.0, 1.0, 0.05, p0=0.2)), 12)
    (0.5, 0.6)
    """
    x = real_array("x", x)
    x50 = check_real("x50", x50, low=0.0, low_open=True)
    rs = check_real("rs", rs, low=0.0, low_open=True)
    p0 = check_real("p0", p0, low=0.0, high=1.0, high_open=True)
    p = special.ndtr((x / x50 - 1.0) / rs)
    return p if p0 == 0 else p0 + (1 - p0) * p


@dataclass(frozen=True)
class ProbitFit:
    """Maximum-likelihood integrated-Gaussian fit (see :func:`probit_fit`).

    Attributes
    ----------
    x50 : float
        Stimulus at 50 % stimulus-driven firing (same unit as ``x``); > 0.
    rs : float
        Relative spread ``sigma / x50`` (dimensionless); > 0.
    deviance : float
        Binomial deviance at the optimum (dimensionless, >= 0).
    dof : int
        Points minus fitted parameters (2, or 3 with a floor).
    p0 : float
        Fitted firing floor in [0, 1); 0.0 when no floor was fitted.
    converged : bool
        Whether the optimiser met its tolerance; if not, ``message`` says why.
    message : str
        Empty when converged.
    """

    x50: float
    rs: float
    deviance: float
    dof: int
    p0: float = 0.0
    converged: bool = True
    message: str = ""

    @property
    def p_value(self) -> float:
        """Chi-square goodness of fit of the deviance on ``dof`` degrees of freedom (NaN if dof = 0)."""
        return float(chi2_sf(self.deviance, self.dof)) if self.dof > 0 else float("nan")


# --- probit fitting --------------------------------------------------------------------------
# The curve is Phi(eta) with eta = a + b x (b = 1/(x50 RS), a = -1/RS), fitted in eta = A + B xs
# with the standardised stimulus xs = (x - m)/s; the parameters are theta = (A, B) or (A, B, p0).

def _probit_inputs(x, n_fired, n_trials, floor):
    x = real_array("x", x, "stimulus unit", positive=True)
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D, got shape {x.shape}")
    k, n = _counts(n_fired, n_trials)
    if k.shape not in ((), x.shape) or n.shape not in ((), x.shape):
        raise ValueError(f"n_fired and n_trials must have one value per x (length {x.size}), "
                         f"got shapes {k.shape} and {n.shape}")
    k, n = np.broadcast_to(k, x.shape), np.broadcast_to(n, x.shape)
    values, counts = np.unique(x, return_counts=True)
    if np.any(counts > 1):
        raise ValueError(f"x values must be distinct, got x = {float(values[counts > 1][0])!r} more than once")
    need = 3 if floor else 2
    if x.size < need:
        raise ValueError(f"need at least {need} stimulus levels (x) for {need} parameters, got {x.size}")
    order = np.argsort(x)
    return x[order], k[order].astype(float), n[order].astype(float)


def separation(x, k, n):
    """Why no finite (x50, RS) maximises the likelihood when the data are (quasi-)separated, or None.

    ``x``, ``k``, ``n``: stimulus levels in increasing order, trials that fired and trials per level
    (the shared check of :func:`probit_fit` and :func:`hhlib.fit`).
    """
    fired, failed = x[k > 0], x[k < n]
    if fired.size == 0:
        return "no trial fired at any level (all n_fired = 0)"
    if failed.size == 0:
        return "every trial fired at every level (n_fired = n_trials everywhere)"
    a, b = failed.max(), fired.min()
    if a < b:
        return (f"no level between 0 % and 100 %: firing jumps from 0 % at x = {a:g} to 100 % at x = {b:g}, "
                f"so x50 lies between them and RS is not identifiable (the likelihood grows as RS -> 0)")
    if a == b:
        return (f"only x = {a:g} lies between 0 % and 100 % (no firing below it, always firing above): "
                f"RS is not identifiable (the likelihood grows as RS -> 0)")
    if fired.max() <= failed.min():
        return (f"firing does not rise with x: every level that fired (x <= {fired.max():g}) lies at or "
                f"below every level that failed (x >= {failed.min():g})")
    return None


def _log_probs(eta, p0):
    """log P, log(1 - P), log phi(eta) and log Phi(-eta) for P = p0 + (1 - p0) Phi(eta)."""
    lp, lq = special.log_ndtr(eta), special.log_ndtr(-eta)
    log_phi = -0.5 * eta**2 - 0.5 * np.log(2 * np.pi)
    if p0 > 0:
        lp = np.logaddexp(np.log(p0), np.log1p(-p0) + lp)
    return lp, np.log1p(-p0) + lq, log_phi, lq


def _loglik(theta, xs, k, n):
    p0 = theta[2] if theta.size == 3 else 0.0
    lp, l1mp, _, _ = _log_probs(theta[0] + theta[1] * xs, p0)
    return float(np.sum(np.where(k > 0, k * lp, 0.0) + np.where(n > k, (n - k) * l1mp, 0.0)))


def _score_and_information(theta, xs, k, n):
    """Gradient of the log-likelihood and the expected (Fisher) information, from logs (no 0/0;
    exponents capped at 300 so that the information stays finite far from any sensible fit)."""
    p0 = theta[2] if theta.size == 3 else 0.0
    lp, l1mp, log_phi, lq = _log_probs(theta[0] + theta[1] * xs, p0)
    log_dp = np.log1p(-p0) + log_phi                                 # ln dP/deta
    d_eta = np.exp(log_dp - lp) * k - np.exp(log_phi - lq) * (n - k)
    grad = [np.sum(d_eta), np.sum(d_eta * xs)]
    log_root = 0.5 * (np.log(n) - lp - l1mp)                         # ln sqrt(n / (P (1 - P)))
    v = [np.exp(np.minimum(log_root + log_dp, 300.0))]
    v.append(v[0] * xs)
    if theta.size == 3:
        grad.append(np.sum(np.where(k > 0, np.exp(np.minimum(lq - lp, 300.0)) * k, 0.0)) - np.sum(n - k) / (1 - p0))
        v.append(np.exp(np.minimum(log_root + lq, 300.0)))
    v = np.array(v)
    return np.array(grad), v @ v.T


_P0_MAX = 1.0 - 1e-12
# |A|, |B| beyond this put every level at |eta| > 1e5 or make the curve rise within 1e-6 of the
# spread of x: no finite fit is there, the likelihood only keeps growing towards a step
_THETA_MAX = 1e6
_RUNAWAY = "runaway"


def _curvature(theta, xs, k, n, info):
    """Minus the Hessian of the log-likelihood (central differences of the exact gradient) where it
    is positive definite, for Newton's quadratic convergence; else the Fisher information."""
    h = 1e-6 * (1.0 + np.abs(theta))
    if theta.size == 3 and not h[2] < theta[2] < 1.0 - h[2]:
        return info                                                  # p0 at its bound
    cols = []
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h[j]
        cols.append((_score_and_information(theta - e, xs, k, n)[0]
                     - _score_and_information(theta + e, xs, k, n)[0]) / (2 * h[j]))
    hess = np.array(cols)
    hess = 0.5 * (hess + hess.T)
    try:
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return info
    return hess if np.all(np.isfinite(hess)) else info


def _direction(theta, grad, curvature):
    """Ascent step; p0 (if fitted) is held where it rests on a bound the step points past."""
    step = np.linalg.solve(curvature, grad)
    if theta.size == 3 and ((theta[2] <= 0 and step[2] < 0) or (theta[2] >= _P0_MAX and step[2] > 0)):
        step = np.append(np.linalg.solve(curvature[:2, :2], grad[:2]), 0.0)
    return step


def _maximise(theta, xs, k, n, max_iter=200):
    """Maximise the log-likelihood from ``theta`` by Newton steps (Fisher scoring where the Hessian
    is not negative definite) with step halving; p0, if present, is kept in [0, 1).

    Returns ``(theta, loglik, converged, message)``.
    """
    ll = _loglik(theta, xs, k, n)
    for _ in range(max_iter):
        grad, info = _score_and_information(theta, xs, k, n)
        try:
            step = _direction(theta, grad, _curvature(theta, xs, k, n, info))
        except np.linalg.LinAlgError:
            return theta, ll, False, "singular information matrix"
        decrement = float(grad @ step)
        if not np.isfinite(decrement):
            return theta, ll, False, "the log-likelihood is not finite near the fit"
        if decrement < 1e-14 * max(1.0, abs(ll)):         # the next step: < 1e-7 sqrt|ll| standard errors
            return theta, ll, True, ""
        t = 1.0
        if theta.size == 3 and step[2] != 0:                # stop at the bound of p0
            t = min(t, ((_P0_MAX if step[2] > 0 else 0.0) - theta[2]) / step[2])
        for _ in range(60):
            trial = theta + t * step
            if theta.size == 3:
                trial[2] = min(max(trial[2], 0.0), _P0_MAX)
            ll_trial = _loglik(trial, xs, k, n)
            if ll_trial > ll:
                break
            t /= 2
        else:
            ok = decrement < 1e-8 * max(1.0, abs(ll))                # at the rounding floor
            return theta, ll, ok, "" if ok else "no step improves the likelihood"
        theta, ll = trial, ll_trial
        if np.max(np.abs(theta[:2])) > _THETA_MAX:
            return theta, ll, False, _RUNAWAY
    return theta, ll, False, f"no convergence in {max_iter} iterations"


def _start(xs, k, n, p0):
    """Weighted least squares on probit-transformed fractions above the floor ``p0``."""
    floor = 0.0 if p0 is None else p0
    f = np.clip(((k + 0.5) / (n + 1) - floor) / (1 - floor), 0.5 / (n + 1), 1 - 0.5 / (n + 1))
    w = np.sqrt(n)
    coef = np.linalg.lstsq(np.c_[w, w * xs], w * special.ndtri(f), rcond=None)[0]
    return np.array([coef[0], coef[1]] + ([p0] if p0 is not None else []))


def _binomial_loglik(k, n, p):
    return float(np.sum(special.xlogy(k, p) + special.xlog1py(n - k, -p)))


def _pooled(k, n):
    return _binomial_loglik(k, n, k.sum() / n.sum()) if k.size else 0.0


def _step_loglik(k, n):
    """The largest log-likelihood of the floored model on its boundary RS -> 0: a step from a pooled
    floor to 100 %, either between two levels or at one level (which then takes any value)."""
    best = -np.inf
    for j in range(k.size + 1):
        if np.any(k[j:] < n[j:]):
            continue                                      # a level above the step failed
        best = max(best, _pooled(k[:j], n[:j]))           # step between levels j - 1 and j
        if j > 0:                                         # step at level j - 1
            p0 = k[:j - 1].sum() / n[:j - 1].sum() if j > 1 else 0.0
            pj = min(max(k[j - 1] / n[j - 1], p0), 1.0)
            best = max(best, _pooled(k[:j - 1], n[:j - 1]) + _binomial_loglik(k[j - 1], n[j - 1], pj))
    return best


def _fit_theta(xs, k, n, floor):
    """The best of a few maximisations from different starts: (theta, loglik, converged, message)."""
    starts = [_start(xs, k, n, None)] if not floor else [
        _start(xs, k, n, p0) for p0 in (0.0, 0.5 * np.min(k / n), 0.9 * np.min(k / n))]
    best = None
    for theta in starts:
        res = _maximise(theta, xs, k, n)
        if best is None or res[1] > best[1]:
            best = res
    return best


def _fit_deviance(eta, p0, k, n):
    """Deviance of the fitted curve from log-probabilities (exact where P rounds to 0 or 1)."""
    lp, l1mp, _, _ = _log_probs(eta, p0)
    terms = (special.xlogy(k, k / n) - np.where(k > 0, k * lp, 0.0)
             + special.xlogy(n - k, (n - k) / n) - np.where(n > k, (n - k) * l1mp, 0.0))
    return float(2.0 * np.sum(np.maximum(terms, 0.0)))       # each point's term is >= 0 exactly


def probit_fit(x, n_fired, n_trials, *, floor: bool = False) -> ProbitFit:
    """Fit ``P(x) = p0 + (1 - p0) Phi((x/x50 - 1)/RS)`` to binomial counts by maximum likelihood.

    Without a floor (``p0 = 0``) the log-likelihood is concave in ``(-1/RS, 1/(x50 RS))``, so the
    fit is exact (Newton's method to convergence) and the checks below are exact: the maximum is
    finite unless the data are separated, and it is a valid curve unless it decreases or puts
    50 % at ``x <= 0``. With ``floor=True`` the floor ``p0`` in [0, 1) is fitted as a third
    parameter (several starts; the step and flat boundaries are compared explicitly).

    Parameters
    ----------
    x : array_like of float, shape (m,)
        Stimulus levels: finite, > 0, distinct (any order; any unit, which ``x50`` shares).
    n_fired, n_trials : array_like of int, shape (m,) or scalar
        Counts at each level, ``0 <= n_fired <= n_trials``, ``n_trials >= 1``.
    floor : bool, keyword-only
        Also fit the firing floor ``p0`` (needs >= 3 levels). Default False: ``p0 = 0``.

    Returns
    -------
    ProbitFit
        ``x50``, ``rs``, ``p0`` finite; ``dof = m - 2`` (``m - 3`` with a floor). ``converged`` is
        False (with a ``message``) if the optimiser stopped short of its tolerance.

    Raises
    ------
    ValueError
        Bad arguments (naming them), or data from which no finite (x50, RS) can be fitted, saying
        why: no firing at all, firing everywhere, a step with no level between 0 % and 100 %
        (RS -> 0), firing that does not rise with x, or data that extrapolate to >= 50 %
        stimulus-driven firing at x <= 0 (x50 -> 0, RS -> inf).
    TypeError
        Non-numeric arguments, or ``floor`` not a bool.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0.8, 1.2, 9)
    >>> k = np.round(1000 * probit_curve(x, 1.0, 0.05)).astype(int)
    >>> f = probit_fit(x, k, 1000)
    >>> round(f.x50, 3), round(f.rs, 3), f.dof
    (1.0, 0.05, 7)
    >>> probit_fit([1, 2, 3], [0, 0, 10], 10)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: cannot fit: no level between 0 % and 100 %: firing jumps from 0 % at x = 2 to 100 % at x = 3, ...
    """
    floor = check_bool("floor", floor)
    x, k, n = _probit_inputs(x, n_fired, n_trials, floor)
    problem = separation(x, k, n)
    if problem:
        raise ValueError(f"cannot fit: {problem}")
    m, s = x.mean(), x.std()
    xs = (x - m) / s
    theta, ll, converged, message = _fit_theta(xs, k, n, floor)
    _check_interior(theta, ll, message, m, s, k, n, floor)
    p0 = float(theta[2]) if floor else 0.0
    x50, rs = float(m - theta[0] * s / theta[1]), float(1.0 / (theta[1] * m / s - theta[0]))
    dev = _fit_deviance(theta[0] + theta[1] * xs, p0, k, n)
    return ProbitFit(x50, rs, dev, int(x.size - (3 if floor else 2)), p0, bool(converged), message)


def _check_interior(theta, ll, message, m, s, k, n, floor):
    """ValueError unless ``theta`` is a finite, rising curve with x50 > 0 and RS > 0 that beats the
    boundaries of the parameter space (a flat curve; for the floored model also a step)."""
    tol = 1e-9 * max(1.0, abs(ll))                               # far above rounding, far below any signal
    if not np.all(np.isfinite(theta)) or not np.isfinite(ll):
        raise ValueError("cannot fit: the optimiser did not reach a finite optimum")
    if theta[1] <= 0 or _pooled(k, n) >= ll - tol:
        raise ValueError("cannot fit: the firing fraction does not rise with x (the best curve is flat or falling)")
    if floor and _step_loglik(k, n) >= ll - tol:
        raise ValueError("cannot fit: a step from the floor to 100 % between two levels fits as well as any "
                         "curve, so RS is not identifiable (the likelihood grows as RS -> 0)")
    if message == _RUNAWAY:
        raise ValueError("cannot fit: the likelihood keeps growing as the curve steepens towards a step "
                         "(RS -> 0 relative to the spacing of x), so RS is not identifiable")
    if theta[0] - theta[1] * m / s >= 0:                         # eta at x = 0
        raise ValueError("cannot fit: the data extrapolate to >= 50 % stimulus-driven firing at x = 0, which "
                         "Phi((x/x50 - 1)/RS) with x50 > 0 cannot express (x50 -> 0, RS -> inf)")


# --- first-spike latency and jitter ----------------------------------------------------------------

#: Delta degrees of freedom of the jitter (the sample standard deviation, ``n - 1`` in the denominator:
#: the usual experimental convention, unbiased for the variance).
LATENCY_DDOF = 1


@dataclass(frozen=True)
class LatencyStats:
    """Latency and jitter of the first spike per condition (see :func:`latency_stats`).

    Attributes
    ----------
    latency_ms : ndarray of float, shape ``cond_shape``
        Mean first-spike latency over the responding trials, ms from the stimulus onset; NaN where none
        responded.
    jitter_ms : ndarray of float, shape ``cond_shape``
        Sample standard deviation (``ddof = 1``) of those latencies, ms; NaN where fewer than 2 responded.
    n_fired : ndarray of int, shape ``cond_shape``
        Responding trials: those whose first spike came at or after the stimulus onset (the trials that
        contribute a latency).
    n_spontaneous : ndarray of int, shape ``cond_shape``
        Trials whose first spike came before the onset (spontaneous firing): they contribute no latency.
    """

    latency_ms: np.ndarray
    jitter_ms: np.ndarray
    n_fired: np.ndarray
    n_spontaneous: np.ndarray | None = None


def _first_spike_array(first_spike_ms):
    t = np.asarray(first_spike_ms)
    if t.dtype == bool or not (np.issubdtype(t.dtype, np.integer) or np.issubdtype(t.dtype, np.floating)):
        raise TypeError(f"first_spike_ms must be real numbers (ms, NaN where no spike), got dtype {t.dtype}")
    if t.ndim == 0 or t.shape[-1] == 0:
        raise ValueError(f"first_spike_ms must have trials along its last axis, got shape {t.shape}")
    t = t.astype(float)
    if np.any(np.isinf(t)):
        raise ValueError("first_spike_ms must be finite where a trial fired and NaN where it did not, got inf")
    return t


def responses(first_spike_ms, onset_ms: float):
    """Which trials responded to the stimulus and which fired spontaneously, by their first spike.

    A trial *responded* when its first spike came at or after the stimulus onset (``first_spike_ms >=
    onset_ms``); it fired *spontaneously* when its first spike came before the onset. A trial without a
    spike (NaN) is neither. Latency and jitter are computed over the responding trials only: a spontaneous
    trial's first spike is not a response, and its later spikes are not followed (their times are unknown).

    Returns
    -------
    (responded, spontaneous) : tuple of ndarray of bool, shape of ``first_spike_ms``

    Examples
    --------
    >>> r, s = responses([0.05, 0.3, float("nan")], onset_ms=0.1)
    >>> r.tolist(), s.tolist()
    ([False, True, False], [True, False, False])
    """
    t = _first_spike_array(first_spike_ms)
    onset = check_real("onset_ms", onset_ms, unit="ms")
    fired = ~np.isnan(t)
    with np.errstate(invalid="ignore"):
        before = fired & (t < onset)
    return fired & ~before, before


def latency_stats(first_spike_ms, onset_ms: float, *, ddof: int = LATENCY_DDOF) -> LatencyStats:
    """Mean first-spike latency and jitter over the trials that responded, per condition.

    The one place where latency and jitter are computed (:class:`hhlib.SimulationResult`, :func:`hhlib.predict`,
    :func:`hhlib.sweep` and the fit use it). Conditions with no response give NaN without a RuntimeWarning.

    Definition: a trial *responds* when its first spike comes at or after the stimulus onset; its latency
    is ``first_spike_ms - onset_ms`` (>= 0). A trial whose first spike comes before the onset fired
    spontaneously (:func:`responses`): it is counted in ``n_spontaneous`` and contributes no latency (never a
    negative one). Trials without a spike (NaN) contribute nothing.

    Parameters
    ----------
    first_spike_ms : array_like of float, shape ``cond_shape + (n_trials,)``
        First-spike time of every trial, ms from the start of the run; NaN where the trial did not fire.
    onset_ms : float
        Stimulus onset, ms from the start of the run.
    ddof : int
        Delta degrees of freedom of the jitter (default 1: the sample standard deviation; 0 gives the
        maximum-likelihood one). The jitter is NaN where ``n_fired <= ddof``.

    Returns
    -------
    LatencyStats
        ``latency_ms``, ``jitter_ms`` (ms), ``n_fired`` (responding trials) and ``n_spontaneous``, each of shape
        ``cond_shape``.

    Examples
    --------
    >>> s = latency_stats([[0.4, 0.6, float("nan")], [float("nan")] * 3, [0.05, 0.5, 0.7]], onset_ms=0.1)
    >>> s.latency_ms.round(6).tolist(), s.jitter_ms.round(6).tolist(), s.n_fired.tolist(), s.n_spontaneous.tolist()
    ([0.4, nan, 0.5], [0.141421, nan, 0.141421], [2, 0, 2], [0, 0, 1])
    """
    t = _first_spike_array(first_spike_ms)
    responded, spontaneous = responses(t, onset_ms)
    onset = float(onset_ms)
    ddof = check_int("ddof", ddof, minimum=0)
    n = responded.sum(axis=-1)
    lat = np.where(responded, t - onset, 0.0)
    mean = np.divide(lat.sum(axis=-1), n, out=np.full(n.shape, np.nan), where=n > 0)
    dev2 = np.where(responded, (lat - mean[..., None]) ** 2, 0.0).sum(axis=-1)
    var = np.divide(dev2, n - ddof, out=np.full(n.shape, np.nan), where=n > ddof)
    return LatencyStats(mean, np.sqrt(var), n.astype(np.int64), spontaneous.sum(axis=-1).astype(np.int64))


def latency_ci(first_spike_ms, onset_ms: float, level: float = 0.95, *, method: str = "normal",
               n_boot: int = 2000, seed=None):
    """Confidence intervals for the latency (mean) and the jitter (standard deviation), per condition.

    Parameters
    ----------
    first_spike_ms, onset_ms
        As in :func:`latency_stats` (trials whose first spike precedes the onset are left out).
    level : float
        Confidence level in (0, 1).
    method : {"normal", "bootstrap"}
        ``"normal"``: Student-t interval for the mean and chi-square interval for the standard deviation
        (exact for normally distributed latencies; near threshold latencies are skewed, so the jitter's
        interval is then approximate). ``"bootstrap"``: percentile bootstrap over the trials that fired,
        ``n_boot`` resamples drawn from ``seed`` (required: randomness is explicit).
    n_boot : int
        Bootstrap resamples (``method="bootstrap"``).
    seed : int, SeedSequence or Generator
        Root of the bootstrap's random numbers (condition ``c`` of the flattened shape uses its own stream).

    Returns
    -------
    (latency_low, latency_high, jitter_low, jitter_high) : tuple of ndarray, shape ``cond_shape``
        ms; NaN where fewer than 2 trials responded.

    Examples
    --------
    >>> import numpy as np
    >>> t = 0.1 + np.random.default_rng(0).normal(0.3, 0.02, size=(1, 400))
    >>> lo, hi, jlo, jhi = latency_ci(t, onset_ms=0.1)
    >>> bool(lo[0] < 0.3 < hi[0]) and bool(jlo[0] < 0.02 < jhi[0])
    True
    """
    t = _first_spike_array(first_spike_ms)
    level = check_real("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    method = check_choice("method", method, ("normal", "bootstrap"))
    s = latency_stats(t, onset_ms)
    if method == "normal":
        return _normal_latency_ci(s, level)
    if seed is None:
        raise ValueError("latency_ci(method='bootstrap') needs an explicit seed (int, SeedSequence or Generator)")
    n_boot = check_int("n_boot", n_boot, minimum=100, maximum=1_000_000)
    root = as_seed_sequence(seed)
    flat = t.reshape(-1, t.shape[-1])
    out = np.full((4, flat.shape[0]), np.nan)
    alpha = (1.0 - level) / 2
    for c, row in enumerate(flat):
        lat = row[responses(row, onset_ms)[0]] - float(onset_ms)       # responding trials only
        if lat.size < 2:
            continue
        idx = stream(root, c, 0).integers(0, lat.size, size=(n_boot, lat.size))
        sample = lat[idx]
        means, sds = sample.mean(axis=1), sample.std(axis=1, ddof=LATENCY_DDOF)
        out[:, c] = np.r_[np.quantile(means, [alpha, 1 - alpha]), np.quantile(sds, [alpha, 1 - alpha])]
    return tuple(o.reshape(s.n_fired.shape) for o in out)


def _normal_latency_ci(s: LatencyStats, level: float):
    n = s.n_fired.astype(float)
    ok = n >= 2
    dof = np.where(ok, n - 1, 1.0)
    alpha = (1.0 - level) / 2
    half = np.where(ok, t_ppf(1 - alpha, dof) * s.jitter_ms / np.sqrt(np.where(ok, n, 1.0)), np.nan)
    j_lo = s.jitter_ms * np.sqrt(dof / chi2_ppf(1 - alpha, dof))
    j_hi = s.jitter_ms * np.sqrt(dof / chi2_ppf(alpha, dof))
    return s.latency_ms - half, s.latency_ms + half, np.where(ok, j_lo, np.nan), np.where(ok, j_hi, np.nan)
