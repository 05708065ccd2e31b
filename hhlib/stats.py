"""Binomial statistics of firing: confidence intervals and the integrated-Gaussian (probit) curve."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

__all__ = ["binomial_ci", "ProbitFit", "probit_curve", "probit_fit", "binomial_deviance"]


def _check_counts(n_fired, n_trials):
    k = np.asarray(n_fired, dtype=float)
    n = np.asarray(n_trials, dtype=float)
    if np.any(~np.isfinite(k)) or np.any(~np.isfinite(n)):
        raise ValueError("n_fired and n_trials must be finite")
    if np.any(n < 1):
        raise ValueError("n_trials must be >= 1")
    if np.any((k < 0) | (k > n)):
        raise ValueError("n_fired must satisfy 0 <= n_fired <= n_trials")
    return k, n


def binomial_ci(n_fired, n_trials, level: float = 0.95):
    """Wilson score interval for a binomial proportion, vectorised.

    Agrees with ``scipy.stats.binomtest(k, n).proportion_ci(level, method="wilson")``.

    Parameters
    ----------
    n_fired : array_like of int
        Successes (0 <= n_fired <= n_trials).
    n_trials : array_like of int
        Trials (>= 1); broadcasts against ``n_fired``.
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    (low, high) : tuple of ndarray
        Bounds on the probability, shape ``broadcast(n_fired, n_trials)``.

    Examples
    --------
    >>> low, high = binomial_ci(500, 1000)
    >>> round(float(low), 4), round(float(high), 4)
    (0.4691, 0.5309)
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    k, n = _check_counts(n_fired, n_trials)
    z = stats.norm.ppf(0.5 + level / 2)
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # exact end points at k = 0 and k = n (the closed form is off there by rounding only)
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


def binomial_deviance(n_fired, n_trials, p_model, *, eps: float = 1e-12):
    """Binomial deviance ``2 Σ [k ln(k/np) + (n-k) ln((n-k)/(n(1-p)))]`` (dimensionless).

    Zero for a perfect fit; about chi-square with (points - parameters) degrees of freedom
    at the optimum. ``p_model`` is clipped to ``[eps, 1-eps]`` only to keep the log finite.
    """
    k, n = _check_counts(n_fired, n_trials)
    p = np.clip(np.asarray(p_model, dtype=float), eps, 1 - eps)
    return float(2.0 * np.sum(special.xlogy(k, k / (n * p)) + special.xlogy(n - k, (n - k) / (n * (1 - p)))))


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
    k, n = _check_counts(n_fired, n_trials)
    k, n = np.broadcast_arrays(k, n)

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
