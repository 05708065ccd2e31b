"""Binomial statistics of firing: confidence intervals, the deviance and the integrated-Gaussian
(probit) curve.

Counts (``n_fired``, ``n_trials``) are whole numbers below 2**53 with ``0 <= n_fired <= n_trials``
and ``n_trials >= 1``; probabilities lie in [0, 1]; every quantity here is dimensionless except the
stimulus ``x`` and ``x50``, which share whatever unit ``x`` is given in. Bad arguments raise
:class:`ValueError` or :class:`TypeError` naming the argument.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from .validation import check_real, count_array, probability_array

__all__ = ["binomial_ci", "ProbitFit", "probit_curve", "probit_fit", "binomial_deviance"]


def _broadcast(names, *arrays):
    try:
        return np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(f"{name} {a.shape}" for name, a in zip(names, arrays))
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


def probit_curve(x, x50, rs):
    """Integrated-Gaussian firing-efficiency curve ``Phi((x/x50 - 1)/RS)`` (Verveen 1960)."""
    return special.ndtr((np.asarray(x, dtype=float) / x50 - 1.0) / rs)


@dataclass(frozen=True)
class ProbitFit:
    """Maximum-likelihood integrated-Gaussian fit.

    Attributes
    ----------
    x50 : float
        Stimulus at 50 % firing (same unit as ``x``).
    rs : float
        Relative spread ``sigma / x50`` (dimensionless).
    deviance : float
        Binomial deviance at the optimum.
    dof : int
        Points minus 2.
    """

    x50: float
    rs: float
    deviance: float
    dof: int

    @property
    def p_value(self) -> float:
        return float(stats.chi2.sf(self.deviance, self.dof)) if self.dof > 0 else float("nan")


def probit_fit(x, n_fired, n_trials) -> ProbitFit:
    """Fit ``P(x) = Phi((x/x50 - 1)/RS)`` to binomial counts by maximum likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0.8, 1.2, 9)
    >>> k = np.round(1000 * probit_curve(x, 1.0, 0.05)).astype(int)
    >>> f = probit_fit(x, k, 1000)
    >>> round(f.x50, 3), round(f.rs, 3)
    (1.0, 0.05)
    """
    x = np.asarray(x, dtype=float)
    k, n = _counts(n_fired, n_trials)

    def nll(theta):
        p = np.clip(probit_curve(x, np.exp(theta[0]), np.exp(theta[1])), 1e-300, 1 - 1e-16)
        return -np.sum(special.xlogy(k, p) + special.xlogy(n - k, 1 - p))

    frac = k / n
    # start: x50 from the point nearest 50 %, several RS; an explicit simplex so that a start at
    # log x50 = 0 is not explored with Nelder-Mead's tiny default step for zero coordinates
    x0 = np.log(x[np.argmin(np.abs(frac - 0.5))])
    best = None
    for rs0 in (0.02, 0.1, 0.3):
        start = np.array([x0, np.log(rs0)])
        simplex = np.array([start, start + [0.05, 0.0], start + [0.0, 0.5]])
        res = optimize.minimize(nll, start, method="Nelder-Mead",
                                options=dict(xatol=1e-10, fatol=1e-12, maxiter=4000, initial_simplex=simplex))
        if best is None or res.fun < best.fun:
            best = res
    x50, rs = float(np.exp(best.x[0])), float(np.exp(best.x[1]))
    dev = binomial_deviance(k, n, probit_curve(x, x50, rs))
    return ProbitFit(x50, rs, dev, int(x.size - 2))
