"""Fits for notebook 04, as cacheable arrays: local searches from several starts, recovery runs, curves.

Each builder runs :func:`hhlib.fit` and stores what the notebook plots (estimates, intervals,
deviances and evaluation paths) in plain arrays, so ``python -m hhlib.studies`` can rebuild them.
:func:`fit_optimum` is the fit's optimum on the shipped data, which the other studies centre on;
:func:`fit_curve` and :func:`profile_parabola` compute the curves :mod:`hhlib.viz.plots` draws.
Parameters delta_v, delta_area are dimensionless.
"""
from __future__ import annotations

import functools

import numpy as np

from hhlib import FiringData, fit, load_data, predict

from .cache import register

__all__ = ["local_fits", "recovery_fits", "synthetic_data", "fit_arrays", "paths_of", "fit_optimum", "fit_curve",
           "profile_parabola"]

# evaluation stages of FitResult.history, stored as their index
_STAGES = ("start", "global", "local", "refine", "final", "predecessor")
_STAGE_INDEX = {s: i for i, s in enumerate(_STAGES)}


def fit_optimum(seed: int = 0, decimals: int = 3) -> tuple[float, float]:
    """The optimum of ``hhlib.fit(seed=seed)`` on the shipped data, rounded: the studies' default centre.

    The fit runs once per process and seed (about 10-20 s); its optimum is remembered.

    Parameters
    ----------
    seed : int
        Random seed of the fit.
    decimals : int
        Decimal places kept (3 by default, far below the fit's 95 % intervals of about ±0.3): the
        centred studies, and so their caches, do not change when the fit's last digits do.

    Returns
    -------
    (delta_v, delta_area) : tuple of float
        Relative stimulus scale and relative area change (dimensionless).
    """
    dv, da = _fit_optimum(int(seed))
    return round(dv, int(decimals)), round(da, int(decimals))


@functools.cache
def _fit_optimum(seed: int) -> tuple[float, float]:
    r = fit(seed=seed)
    return float(r.delta_v), float(r.delta_area)


def fit_arrays(r) -> dict:
    """The numbers of a FitResult as arrays (history padded into columns).

    Parameters
    ----------
    r : FitResult

    Returns
    -------
    dict
        ``estimate`` (2,), ``ci`` (2, 2), ``deviance``, ``p_value``, ``converged``, ``path`` (n_eval, 3)
        with columns delta_v, delta_area, loss (all dimensionless), ``stage`` (n_eval,) stage indices.
    """
    h = r.history
    return dict(estimate=np.array([r.delta_v, r.delta_area]),
                ci=np.array([r.delta_v_ci, r.delta_area_ci]),
                deviance=np.array(r.deviance), p_value=np.array(r.p_value), converged=np.array(r.converged),
                path=np.array([[row["delta_v"], row["delta_area"], row["loss"]] for row in h]),
                stage=np.array([_STAGE_INDEX[row["stage"]] for row in h]))


def paths_of(arrays: dict, i: int) -> list:
    """History rows of fit ``i`` of a multi-fit result (for :func:`hhlib.viz.landscape.plot_path`).

    Parameters
    ----------
    arrays : dict
        A result of :func:`local_fits` or :func:`recovery_fits`.
    i : int
        Which fit.

    Returns
    -------
    list of dict
        ``delta_v``, ``delta_area`` and ``loss`` (dimensionless) of each evaluation, in order.
    """
    n = int(arrays["n_path"][i])
    return [dict(delta_v=float(a), delta_area=float(b), loss=float(c)) for a, b, c in arrays["path"][i, :n]]


def _stack(results: list) -> dict:
    n = max(len(r["path"]) for r in results)
    path = np.full((len(results), n, 3), np.nan)
    for i, r in enumerate(results):
        path[i, :len(r["path"])] = r["path"]
    out = {k: np.array([r[k] for r in results]) for k in ("estimate", "ci", "deviance", "p_value", "converged")}
    out.update(path=path, n_path=np.array([len(r["path"]) for r in results]))
    return out


@register("optimisation_local_fits", starts=((-0.9, -0.9), (9.0, 9.0), (0.0, 0.0), (9.0, -0.9)), n_trials=10000, seed=0)
def local_fits(starts, n_trials, seed, progress=None):
    """Fits without the global stage (Brent's method from each start's area), one per start.

    Parameters
    ----------
    starts : sequence of (float, float)
        Starting points (delta_v, delta_area), dimensionless.
    n_trials : int
        Trials per level in the fits' final stage.
    seed : int
        Random seed of every fit.
    progress : callable, optional

    Returns
    -------
    dict
        :func:`fit_arrays` of every fit stacked (``estimate`` (n, 2), ``ci`` (n, 2, 2), ``path``
        (n, n_max, 3) padded with NaN, ``n_path`` (n,), ...) and ``starts`` (n, 2).
    """
    results = []
    for i, s in enumerate(starts):
        results.append(fit_arrays(fit(start=s, global_search=False, n_trials=n_trials, seed=seed)))
        if progress:
            progress(i + 1, len(starts))
    return dict(_stack(results), starts=np.array(starts))


def synthetic_data(delta_v, delta_area, *, seed, x=None, n_trials=1000) -> FiringData:
    """Counts simulated by hhlib at known parameters (``n_trials`` per level, its own seed).

    Parameters
    ----------
    delta_v, delta_area : float
        The true parameters (dimensionless).
    seed : int
        Random seed of the simulated data.
    x : array_like, optional
        Normalised stimulus levels (dimensionless; default: the shipped data's).
    n_trials : int
        Trials per level.

    Returns
    -------
    FiringData
    """
    x = load_data().x if x is None else np.asarray(x, dtype=float)
    p = predict(delta_v, delta_area, x, n_trials=n_trials, seed=seed)
    return FiringData(x, np.round(p * n_trials).astype(int), np.full(x.size, n_trials),
                      source=f"synthetic: delta_v={delta_v}, delta_area={delta_area}, seed={seed}")


@register("optimisation_recovery", truths=((0.76, 1.5), (1.96, 3.25), (3.9, 6.0)), data_seed=987, seed=0)
def recovery_fits(truths, data_seed, seed, progress=None):
    """Fit synthetic data simulated at known parameters (data noise seed differs from the fit's).

    Parameters
    ----------
    truths : sequence of (float, float)
        True (delta_v, delta_area) of each data set (dimensionless); spread along the valley.
    data_seed : int
        Random seed of the first data set (``data_seed + i`` for the i-th).
    seed : int
        Random seed of the fits.
    progress : callable, optional

    Returns
    -------
    dict
        :func:`fit_arrays` of every fit stacked (as :func:`local_fits`) and ``truths`` (n, 2).
    """
    results = []
    for i, (dv, da) in enumerate(truths):
        results.append(fit_arrays(fit(synthetic_data(dv, da, seed=data_seed + i), seed=seed)))
        if progress:
            progress(i + 1, len(truths))
    return dict(_stack(results), truths=np.array(truths))


def fit_curve(result, *, n_trials: int = 5000, n_points: int = 31, seed: int = 1) -> dict:
    """The fitted model's firing-probability curve, for :func:`hhlib.viz.plots.plot_fit`.

    Parameters
    ----------
    result : FitResult
        Supplies the estimate, the data (the curve spans its stimulus range plus 25 % on each side)
        and the normalised setup.
    n_trials : int
        Trials per stimulus level of the prediction.
    n_points : int
        Stimulus levels on the curve.
    seed : int
        Random seed of the prediction (independent of the fit's).

    Returns
    -------
    dict
        ``x`` (n_points,) normalised stimulus levels, ``p`` (n_points,) firing probabilities (both
        dimensionless), ``n_trials``.
    """
    lo, hi = float(result.data.x.min()), float(result.data.x.max())
    x = np.linspace(lo - 0.25 * (hi - lo), hi + 0.25 * (hi - lo), int(n_points))
    p = predict(result.delta_v, result.delta_area, x, n_trials=n_trials, seed=seed, setup=result.setup)
    return dict(x=x, p=p, n_trials=int(n_trials))


def profile_parabola(result, n_points: int = 100):
    """The parabola through the fit's final-stage profile deviance, for :func:`hhlib.viz.plots.plot_profile`.

    Least squares in ``w = log(1 + delta_area)``, as the fit's final stage does.

    Parameters
    ----------
    result : FitResult
        Supplies ``profile_w`` and ``profile_deviance``.
    n_points : int
        Points on the curve, spanning the profile's range of w.

    Returns
    -------
    (delta_area, deviance) : tuple of ndarray, shape (n_points,)
        Both dimensionless.
    """
    w = np.linspace(result.profile_w.min(), result.profile_w.max(), int(n_points))
    c = np.polyfit(result.profile_w, result.profile_deviance, 2)
    return np.expm1(w), np.polyval(c, w)
