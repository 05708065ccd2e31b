"""How the firing-probability curve depends on delta_v and delta_area (notebook 02).

Two facts organise everything here. For a fixed area the curve is the distribution of per-trial
threshold currents, so changing ``delta_v`` only rescales the stimulus axis: the 50 % point
``x50`` moves as ``1/(1 + delta_v)`` and the relative spread ``RS`` does not change. Changing
``delta_area`` moves ``x50`` in proportion to the area (threshold current is proportional to
area) and narrows the curve, ``RS ∝ A^-1/2``, because the noise current grows only like
``sqrt(A)``. The maps below are computed from per-trial thresholds at each area
(:func:`hhlib.thresholds.trial_thresholds`), so every ``delta_v`` comes for free.

Computations and cached builders only; the figures are drawn by :mod:`hhlib.viz.sensitivity`.
"""
from __future__ import annotations

import numpy as np

from hhlib import DEFAULT_SETUP, predict, probit_fit
from hhlib.stats import SIGMA_QUANTILES
from hhlib.thresholds import trial_thresholds

from .cache import register
from .optimisation import fit_optimum

__all__ = ["firing_families", "threshold_maps", "latency_curves", "at_probability"]



@register("sensitivity_families", delta_v=(1.5, 1.75, 1.96, 2.25, 2.5), delta_area=(0.5, 1.5, 3.25, 6.0, 9.0),
          fixed_delta_v=None, fixed_delta_area=None, x=(0.6, 1.4, 41), n_trials=2000, seed=0)
def firing_families(delta_v, delta_area, fixed_delta_v=None, fixed_delta_area=None, x=(0.6, 1.4, 41), n_trials=2000,
                    seed=0, progress=None):
    """Firing probability vs x for a family of delta_v (area fixed) and a family of delta_area
    along the valley (the ratio (1 + delta_v)/(1 + delta_area) of the fixed point kept).

    Parameters
    ----------
    delta_v, delta_area : sequence of float
        The two families (dimensionless).
    fixed_delta_v, fixed_delta_area : float, optional
        The fixed point (dimensionless): its delta_area holds for the delta_v family, its drive ratio
        for the delta_area family. ``None``: that coordinate of the fit's optimum rounded to 2 decimals
        (:func:`hhlib.studies.optimisation.fit_optimum`, computed by the builder).
    x : (float, float, int)
        Stimulus levels ``numpy.linspace(*x)`` (normalised, dimensionless).
    n_trials : int
        Trials per level (common random numbers: one noise realisation for every curve).
    seed : int
        Random seed.
    progress : callable, optional

    Returns
    -------
    dict
        ``x`` (n_x,), ``p_dv`` (n_dv, n_x), ``p_da`` (n_da, n_x) firing probabilities, ``delta_v``,
        ``delta_area``, ``valley_delta_v`` (the delta_v that keeps the ratio at each delta_area),
        ``fixed_delta_v``, ``fixed_delta_area``; all dimensionless.
    """
    if fixed_delta_v is None or fixed_delta_area is None:
        opt = fit_optimum(decimals=2)
        fixed_delta_v = opt[0] if fixed_delta_v is None else fixed_delta_v
        fixed_delta_area = opt[1] if fixed_delta_area is None else fixed_delta_area
    xs = np.linspace(*x[:2], int(x[2]))
    dv = np.asarray(delta_v, dtype=float)
    da = np.asarray(delta_area, dtype=float)
    ratio = (1 + fixed_delta_v) / (1 + fixed_delta_area)
    valley_dv = ratio * (1 + da) - 1
    p_dv = predict(dv, fixed_delta_area, xs, n_trials=n_trials, seed=seed)
    if progress:
        progress(1, 2)
    p_da = predict(valley_dv, da, xs, n_trials=n_trials, seed=seed)
    if progress:
        progress(2, 2)
    return dict(x=xs, p_dv=p_dv, p_da=p_da, delta_v=dv, delta_area=da, valley_delta_v=valley_dv,
                fixed_delta_v=np.array(fixed_delta_v), fixed_delta_area=np.array(fixed_delta_area))


@register("sensitivity_maps", n_grid=25, n_trials=2000, seed=0)
def threshold_maps(n_grid, n_trials, seed, progress=None):
    """x50 and relative spread RS over the predecessor's box, from per-trial thresholds.

    The grid is uniform in ``log(1 + delta)`` over ``[log 0.1, log 10]`` for both parameters. At each
    area the firing curve (empirical CDF of the thresholds) is fitted with an integrated Gaussian
    (:func:`hhlib.probit_fit`, the same estimator as for the data); x50 then scales as
    ``1/(1 + delta_v)`` and RS does not depend on delta_v.

    Parameters
    ----------
    n_grid : int
        Grid points per parameter.
    n_trials : int
        Trials (per-trial thresholds) per area.
    seed : int
        Random seed.
    progress : callable, optional

    Returns
    -------
    dict with ``delta_v`` (n,), ``delta_area`` (n,), ``x50`` (n_area, n_v) and ``rs`` (n_area, n_v)
    (dimensionless, probit fits), ``q`` (n_area, 3): the 15.9, 50 and 84.1 % quantiles of the
    threshold current density in µA/cm² at each area, ``fires_unstimulated`` (n_area,): fraction of trials that fire
    without any stimulus.
    """
    g = np.expm1(np.linspace(np.log(0.1), np.log(10.0), int(n_grid)))
    area = DEFAULT_SETUP.area_cm2(g)
    q = np.empty((g.size, 3))
    spont = np.empty(g.size)
    j50, rs_area = np.empty(g.size), np.empty(g.size)
    for i, a in enumerate(area):
        thr = trial_thresholds(DEFAULT_SETUP.model, a, n_trials, seed=seed)
        j = thr / a                                                  # threshold current densities, µA/cm²
        q[i] = np.quantile(j, SIGMA_QUANTILES)
        spont[i] = np.mean(thr == 0.0)
        levels = q[i, 1] * np.linspace(0.3, 1.7, 57)
        k = np.searchsorted(np.sort(j), levels, side="right")
        use = (k > 0) & (k < n_trials)
        fit = probit_fit(levels[use], k[use], n_trials)
        j50[i], rs_area[i] = fit.x50, fit.rs
        if progress:
            progress(i + 1, g.size)
    # fires at x when J_ref (1 + dv)/(1 + da) x >= threshold density: x50 = J50 (1 + da) / (J_ref (1 + dv))
    j_ref = DEFAULT_SETUP.i_ref_uA / DEFAULT_SETUP.a_ref_cm2
    x50 = (j50 * (1 + g) / j_ref)[:, None] / (1 + g)[None, :]
    rs = np.repeat(rs_area[:, None], g.size, axis=1)
    return dict(delta_v=g, delta_area=g, x50=x50, rs=rs, q=q, fires_unstimulated=spont)


@register("sensitivity_latency", delta_area=(1.5, 3.25, 9.0), fixed_delta_v=None, fixed_delta_area=None,
          x=(0.8, 1.6, 33), n_trials=4000, seed=0, min_fired=20)
def latency_curves(delta_area, fixed_delta_v=None, fixed_delta_area=None, x=(0.8, 1.6, 33), n_trials=4000, seed=0,
                   min_fired=20, progress=None):
    """Firing probability, first-spike latency and jitter vs x for the fitted model and, along the valley, for
    other areas (the ratio ``(1 + delta_v)/(1 + delta_area)`` of the fitted point kept, so x50 barely moves).

    Parameters
    ----------
    delta_area : sequence of float
        Areas along the valley (dimensionless); include the fitted one to show the fitted model.
    fixed_delta_v, fixed_delta_area : float, optional
        The point whose drive ratio the valley keeps (dimensionless); ``None``: the fit's optimum rounded to
        2 decimals (:func:`hhlib.studies.optimisation.fit_optimum`).
    x : (float, float, int)
        Stimulus levels ``numpy.linspace(*x)`` (normalised, dimensionless).
    n_trials : int
        Trials per level (common random numbers: one noise realisation for every curve).
    seed : int
    min_fired : int
        Fewest spikes for a latency and jitter to be reported (NaN below: too noisy to draw).
    progress : callable, optional

    Returns
    -------
    dict
        ``x`` (n_x,), ``delta_area`` and ``delta_v`` (n_a,), ``p`` (n_a, n_x) firing probability,
        ``latency_ms`` and ``jitter_ms`` (n_a, n_x), ms from the pulse onset (NaN where fewer than ``min_fired``
        trials fired),
        ``n_fired`` (n_a, n_x), ``fixed_delta_v``, ``fixed_delta_area``.
    """
    if fixed_delta_v is None or fixed_delta_area is None:
        opt = fit_optimum(decimals=2)
        fixed_delta_v = opt[0] if fixed_delta_v is None else fixed_delta_v
        fixed_delta_area = opt[1] if fixed_delta_area is None else fixed_delta_area
    xs = np.linspace(*x[:2], int(x[2]))
    da = np.asarray(delta_area, dtype=float)
    dv = (1 + fixed_delta_v) / (1 + fixed_delta_area) * (1 + da) - 1
    pred = predict(dv, da, xs, n_trials=n_trials, seed=seed, return_latency=True)
    if progress:
        progress(1, 1)
    few = pred.n_fired < max(int(min_fired), 2)
    return dict(x=xs, delta_area=da, delta_v=dv, p=pred.firing_probability,
                latency_ms=np.where(few, np.nan, pred.latency_ms), jitter_ms=np.where(few, np.nan, pred.jitter_ms),
                n_fired=pred.n_fired, fixed_delta_v=np.array(fixed_delta_v),
                fixed_delta_area=np.array(fixed_delta_area))


def at_probability(p, values, level):
    """``values`` interpolated at firing probability ``level`` along a curve that rises with x (dimensionless
    ``p``; NaN where the curve does not reach it). The first crossing is used."""
    p, values = np.asarray(p, dtype=float), np.asarray(values, dtype=float)
    i = int(np.argmax(p >= level))
    if p[i] < level or i == 0:
        return float("nan")
    t = (level - p[i - 1]) / (p[i] - p[i - 1])
    return float(values[i - 1] + t * (values[i] - values[i - 1]))
