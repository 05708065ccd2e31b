"""Spike detection on recorded traces and deterministic thresholds."""
from __future__ import annotations

import numpy as np
from .model import HHParameters, ionic_current
from .stimulus import Pulse

__all__ = ["count_spikes", "count_spikes_in_result", "crossing_times", "threshold_current"]


def count_spikes(v_mV, threshold_mV: float = 60.0, *, inward=None, axis: int = -1):
    """Count spikes in traces: upward crossings of ``threshold_mV``, re-armed below it.

    Parameters
    ----------
    v_mV : array_like
        Membrane potential traces (mV relative to rest), time along ``axis``.
    threshold_mV : float
        Spike detection level, mV above rest (60 as in the seed).
    inward : array_like of bool, optional
        Same shape as ``v_mV``: True where the net ionic current is inward (regenerative).
        If given, a crossing counts only once the membrane is regenerative while above the
        threshold (so passive charging by a stimulus is not a spike), exactly as the online
        counter of :func:`hhlib.simulate` does.
    axis : int
        Time axis.

    Returns
    -------
    ndarray of int
        Counts, with ``axis`` removed.

    Examples
    --------
    >>> count_spikes([0, 70, 20, 65, 80, 59, 61], 60.0)
    3
    """
    v = np.moveaxis(np.asarray(v_mV, dtype=float), axis, -1)
    above = v >= threshold_mV
    ok = above if inward is None else above & np.moveaxis(np.asarray(inward, dtype=bool), axis, -1)
    armed = np.ones(v.shape[:-1], dtype=bool)
    counts = np.zeros(v.shape[:-1], dtype=np.int64)
    for i in range(v.shape[-1]):
        new = armed & ok[..., i]
        counts += new
        armed = (armed & ~new) | ~above[..., i]
    return counts if counts.ndim else int(counts)


def count_spikes_in_result(result, model: HHParameters, threshold_mV: float = 60.0):
    """Count spikes in the traces of a ``record=True`` :class:`~hhlib.SimulationResult`.

    Uses the same regenerative criterion as the online counter; agrees with
    ``result.spike_counts`` exactly.
    """
    if result.v_mV is None:
        raise ValueError("result has no traces: simulate with record=True")
    i_ion = ionic_current(result.v_mV, result.m, result.h, result.n, model)
    return count_spikes(result.v_mV, threshold_mV, inward=i_ion < 0)


def crossing_times(t_ms, v_mV, threshold_mV: float = 60.0):
    """Times (ms) of the upward crossings of ``threshold_mV`` in one trace, linearly interpolated.

    Examples
    --------
    >>> crossing_times([0.0, 1.0, 2.0, 3.0], [0.0, 50.0, 70.0, 0.0]).tolist()
    [1.5]
    """
    t = np.asarray(t_ms, dtype=float)
    v = np.asarray(v_mV, dtype=float)
    if t.ndim != 1 or v.shape != t.shape:
        raise ValueError(f"t_ms and v_mV must be 1-D of equal length, got {t.shape} and {v.shape}")
    i = np.flatnonzero((v[:-1] < threshold_mV) & (v[1:] >= threshold_mV))
    return t[i] + (t[i + 1] - t[i]) * (threshold_mV - v[i]) / (v[i + 1] - v[i])


def threshold_current(model: HHParameters, area_cm2, *, duration_ms: float = 0.1, delay_ms: float = 0.1,
                      dt_ms: float = 0.0025, t_end_ms: float = 2.0, rtol: float = 1e-4, n_probe: int = 8,
                      engine: str = "auto"):
    """Deterministic (noise-free) threshold amplitude of a rectangular pulse, µA.

    The smallest amplitude that produces a spike before ``t_end_ms``, found by vectorised
    n-section (``n_probe`` amplitudes per iteration, all areas at once) to a bracket of
    relative width ``rtol``; the bracket midpoint is returned.

    Parameters
    ----------
    model : HHParameters
    area_cm2 : float or array_like
        Membrane area(s), cm².
    duration_ms, delay_ms, dt_ms, t_end_ms : float
        Pulse and simulation timing, ms.
    rtol : float
        Relative bracket width at convergence.
    engine : {"auto", "numba", "numpy"}
        Simulation engine (see :func:`hhlib.simulate`).

    Returns
    -------
    float or ndarray
        Threshold current, µA, shaped like ``area_cm2``.

    Examples
    --------
    >>> import hhlib
    >>> i_th = threshold_current(hhlib.SEED_MODEL, 1e-9)
    >>> round(i_th * 1e8, 2)  # µA, i.e. 7.01e-8 µA = 70 µA/cm² for 0.1 ms
    7.01
    """
    from .simulate import _check_area, simulate

    area = _check_area(area_cm2)
    if not 0 < rtol < 1:
        raise ValueError(f"rtol must be in (0, 1), got {rtol!r}")
    flat = area.ravel()
    lo = np.zeros_like(flat)
    hi = 20.0 * model.c_m * flat / duration_ms  # charges the membrane ~20 mV passively
    opts = dict(dt_ms=dt_ms, t_end_ms=t_end_ms, noise=False, engine=engine)

    def fires(amps, areas):
        res = simulate(model, Pulse(amps, delay_ms, duration_ms), areas, 1, **opts)
        return res.spike_counts[..., 0] >= 1

    for _ in range(40):
        f = fires(hi, flat)
        if f.all():
            break
        lo = np.where(f, lo, hi)
        hi = np.where(f, hi, 2.0 * hi)
    else:
        raise ValueError("no spike even at 2^40 times the passive estimate: the model cannot fire")
    frac = np.arange(1, n_probe + 1) / (n_probe + 1)
    while np.any(hi - lo > rtol * hi):
        amps = lo[:, None] + (hi - lo)[:, None] * frac
        f = fires(amps, flat[:, None])
        first = np.where(f.any(axis=1), f.argmax(axis=1), n_probe)
        rows = np.arange(flat.size)
        new_lo = np.where(first > 0, amps[rows, np.maximum(first - 1, 0)], lo)
        new_hi = np.where(first < n_probe, amps[rows, np.minimum(first, n_probe - 1)], hi)
        lo, hi = new_lo, new_hi
    out = 0.5 * (lo + hi)
    return float(out[0]) if area.ndim == 0 else out.reshape(area.shape)
