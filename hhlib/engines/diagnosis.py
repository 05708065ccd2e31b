"""Why a run diverged: the model's rate functions, a stimulus too strong for them, or the area or noise.

:func:`hhlib.engines.execute` raises :class:`~hhlib.engines.NonFiniteError` with :func:`diagnosis`'s sentence.
"""
from __future__ import annotations

import numpy as np

__all__ = ["diagnosis", "PHYSIOLOGICAL_V_MV", "V_LIMIT_MV"]

#: A trial whose |V| exceeds this (mV, i.e. 1 kV) has left any meaningful range: reported like NaN.
V_LIMIT_MV = 1e6

#: Voltages (mV relative to rest) where a model's rates must be usable: a failure there is the model's.
PHYSIOLOGICAL_V_MV = np.linspace(-500.0, 500.0, 10001)


def diagnosis(spec, current, area):
    """Why a run diverged: the model's rate functions, a stimulus too strong for them, or (else) area or noise.

    ``current``: the diverged trial's stimulus current per step, µA, shape ``(n_steps,)``; ``area``: cm².
    """
    model = spec.model
    try:
        problems = model.rate_problems(PHYSIOLOGICAL_V_MV)
    except Exception:                         # rate functions that take scalars only: no diagnosis
        problems = []
    if problems:
        g, v, what = problems[0]
        return (f"the model's gate {g!r} cannot be integrated at V = {v:g} mV ({what}; the engines relax a gate "
                "towards alpha / (alpha + beta) at rate alpha + beta): a problem of the model's rate functions, "
                "not of the stimulus, area or noise")
    up, down = _excursions_mV(spec, current, area)
    amp = float(np.abs(current).max())
    v_lo, v_hi, reason = _usable_range_mV(model)
    if up > v_hi or down > -v_lo:
        return (f"the stimulus is too strong for this model: amplitude_uA up to {amp:.6g} µA on area_cm2 = "
                f"{area:.6g} cm² moves V by up to about {max(up, down):.3g} mV in one phase (its charge / c_m), "
                f"beyond the range [{v_lo:.6g}, {v_hi:.6g}] mV where the model can be integrated ({reason}): "
                "reduce amplitude_uA (or enlarge area_cm2)")
    return "the model cannot be integrated there (the area or the noise is far outside the physiological range)"


def _excursions_mV(spec, current, area):
    """Largest depolarisation and hyperpolarisation (mV, >= 0) one constant-sign phase of the stimulus alone
    could cause: ``|charge of the phase| / (area x c_m)``."""
    if not current.any():
        return 0.0, 0.0
    starts = np.r_[0, np.flatnonzero(np.diff(np.sign(current))) + 1]
    charge = np.add.reduceat(current, starts) * spec.dt             # µA ms per phase
    with np.errstate(over="ignore", invalid="ignore"):
        scale = 1.0 / (area * spec.model.c_m)
    return float(charge.max(initial=0.0)) * scale, float(-charge.min(initial=0.0)) * scale


def _usable_range_mV(model):
    """``(v_lo, v_hi, reason)``: the voltages (mV) within :data:`V_LIMIT_MV` where every rate is usable."""
    mags = np.geomspace(1.0, V_LIMIT_MV, 3001)
    bounds, reasons = [], []
    for sign in (-1.0, 1.0):
        try:
            problems = model.rate_problems(sign * mags)
        except Exception:
            problems = []
        edge = min((abs(v) for _, v, _ in problems), default=None)
        bounds.append(sign * (V_LIMIT_MV if edge is None else edge))
        if edge is not None:
            g, v, what = min(problems, key=lambda p: abs(p[1]))
            reasons.append(f"gate {g!r}: {what} at V = {v:.6g} mV")
    reasons.append(f"|V| <= {V_LIMIT_MV:g} mV")
    return bounds[0], bounds[1], "; ".join(reasons)
