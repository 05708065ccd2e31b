"""Fits for notebook 04, as cacheable arrays: local searches from several starts and recovery runs.

Each builder runs :func:`hhlib.fit` and stores what the notebook plots (estimates, intervals,
deviances and evaluation paths) in plain arrays, so ``python -m hhlib cache`` can rebuild them.
"""
from __future__ import annotations

import numpy as np

from .cache import register
from .data import FiringData, load_data
from .fit import fit
from .normalised import predict

__all__ = ["local_fits", "recovery_fits", "synthetic_data", "fit_arrays", "paths_of"]

_STAGES = ("start", "global", "local", "refine", "final", "seed")


def fit_arrays(r) -> dict:
    """The numbers of a FitResult as arrays (history padded into columns)."""
    h = r.history
    return dict(estimate=np.array([r.delta_v, r.delta_area]),
                ci=np.array([r.delta_v_ci, r.delta_area_ci]),
                deviance=np.array(r.deviance), p_value=np.array(r.p_value), converged=np.array(r.converged),
                path=np.array([[row["delta_v"], row["delta_area"], row["loss"]] for row in h]),
                stage=np.array([_STAGES.index(row["stage"]) for row in h]))


def paths_of(arrays: dict, i: int) -> list:
    """History rows of fit ``i`` of a multi-fit result (for :func:`hhlib.landscape.plot_path`)."""
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


@register("optimisation_local_fits", starts=((-0.9, -0.9), (9.0, 9.0), (0.0, 0.0), (9.0, -0.9)), runs=10000, seed=0)
def local_fits(starts, runs, seed, progress=None):
    """Fits without the global stage (Brent's method from each start's area), one per start."""
    results = []
    for i, s in enumerate(starts):
        results.append(fit_arrays(fit(start=s, global_search=False, runs=runs, seed=seed)))
        if progress:
            progress(i + 1, len(starts))
    return dict(_stack(results), starts=np.array(starts))


def synthetic_data(delta_v, delta_area, *, seed, x=None, n_trials=1000) -> FiringData:
    """Counts simulated by hhlib at known parameters (``n_trials`` per level, its own seed)."""
    x = load_data().x if x is None else np.asarray(x, dtype=float)
    p = predict(delta_v, delta_area, x, runs=n_trials, seed=seed)
    return FiringData(x, np.round(p * n_trials).astype(int), np.full(x.size, n_trials),
                      source=f"synthetic: delta_v={delta_v}, delta_area={delta_area}, seed={seed}")


@register("optimisation_recovery", truths=((0.76, 1.5), (1.96, 3.25), (3.9, 6.0)), data_seed=987, seed=0)
def recovery_fits(truths, data_seed, seed, progress=None):
    """Fit synthetic data simulated at known parameters (data noise seed differs from the fit's)."""
    results = []
    for i, (dv, da) in enumerate(truths):
        results.append(fit_arrays(fit(synthetic_data(dv, da, seed=data_seed + i), seed=seed)))
        if progress:
            progress(i + 1, len(truths))
    return dict(_stack(results), truths=np.array(truths))
