"""The spike rule, defined once: what counts as an action potential, and when it happened.

The rule
--------
A trial fires when **both** the membrane potential ``V`` and the membrane's own ionic equilibrium
potential ``E_ion = Σ g_i E_i / Σ g_i`` (the instantaneous chord potential, the value towards which the
ionic currents alone drive ``V``: mV relative to rest, from the gates, see
:func:`hhlib.model.ionic_equilibrium`) have reached the detection level (``level_mV``, +60 mV above rest
by default, the predecessor's level). The detector then disarms; it re-arms once both ``V`` and ``E_ion`` are
back below half the level (the action potential has ended).

Why this rule
-------------
- ``E_ion >= level`` says that the channels themselves, not the stimulus, hold the membrane above the
  level: the regenerative (sodium) conductance dominates. A passively charged membrane keeps ``E_ion``
  at the mix of its resting reversal potentials, so passive charging never counts, at any amplitude, and
  a sodium-blocked (``g_na = 0``) membrane never fires (``E_ion <= max(E_K, E_L)``).
- A pulse strong enough to drive ``V`` above ``E_Na`` still opens the sodium channels (``m`` is fast,
  ``h`` and ``n`` slow), so ``E_ion`` climbs towards ``E_Na`` and the spike counts: the firing probability
  rises monotonically up to any amplitude. (The earlier rule, "crossing during net inward current",
  missed those: net current is outward above ``E_Na``.)
- ``E_ion`` depends on the gates only, which low-pass filter the voltage noise; with the re-arm level at
  half the detection level, noise riding on one action potential cannot make it count twice.
- For every physiological stimulus the spike is detected on the upstroke, where ``E_ion > V``: the rule
  then coincides with the plain upward crossing of the level by ``V`` (same count, same time).

Timing: the spike time is the moment the later of the two conditions was met, by linear interpolation
within the step (the upward crossing of ``V`` through the level, as experimenters define latency).
"""
from __future__ import annotations

import numpy as np

from .validation import check_real

__all__ = ["DEFAULT_LEVEL_MV", "REARM_FRACTION", "check_level", "can_fire", "spike_event", "spike_events",
           "count_spikes", "spike_times", "count_spikes_in_result", "crossing_times"]

#: Default detection level, mV above rest (the predecessor's +60 mV).
DEFAULT_LEVEL_MV = 60.0
#: The detector re-arms once V and E_ion are both below this fraction of the level.
REARM_FRACTION = 0.5


def check_level(level_mV, model=None, name: str = "spike_threshold_mV") -> float:
    """Validate a detection level: a finite number of mV above rest (> 0) and, for a model that can fire,
    below its highest reversal potential (a level above it could never be reached by ``E_ion``).

    A model that cannot fire at any level -- a passive membrane, no current of which has gates, or one
    without a gated current reversing above rest (e.g. only a leak, or potassium and a leak) -- takes any
    level: its ``E_ion`` stays at or below its reversal potentials and nothing regenerative can hold it at
    the level, so the spike rule gives 0 spikes, the right answer.
    """
    level = check_real(name, level_mV, low=0.0, low_open=True, unit="mV above rest")
    if model is not None and can_fire(model):
        top = model.max_reversal_mV
        if level >= top:
            raise ValueError(f"{name} must be below the model's highest reversal potential ({top:g} mV above rest): "
                             f"E_ion can never reach {level:g} mV, so no spike could ever be detected")
    return level


def can_fire(model) -> bool:
    """True if the model has a gated current whose reversal potential lies above rest (a regenerative,
    depolarising current such as sodium), without which no action potential is possible."""
    return any(c.gates and e > 0 for c, e in zip(model.currents, model.reversals(), strict=True))


def spike_event(armed, v_old, v_new, e_old, e_new, level):
    """One step of the detector for one trial (scalars; compiled as is by the numba engine).

    Returns
    -------
    (fired, frac, armed) : (bool, float, bool)
        Whether a spike is detected in this step, its time within the step as a fraction in [0, 1], and the
        detector's state after the step.
    """
    fired = False
    frac = 0.0
    if armed and v_new >= level and e_new >= level:
        fired = True
        armed = False
        fv = (level - v_old) / (v_new - v_old) if v_old < level else 0.0
        fe = (level - e_old) / (e_new - e_old) if e_old < level else 0.0
        frac = min(max(fv, fe, 0.0), 1.0)
    rearm = REARM_FRACTION * level
    if not armed and v_new < rearm and e_new < rearm:
        armed = True
    return fired, frac, armed


def spike_events(armed, v_old, v_new, e_old, e_new, level):
    """Vectorised :func:`spike_event` (arrays of one shape; ``armed`` is updated in place).

    Returns
    -------
    fired : ndarray of bool
    frac : ndarray of float
        Time of the detection within the step, fraction in [0, 1] (meaningful where ``fired``).
    """
    fired = armed & (v_new >= level) & (e_new >= level)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        fv = np.where(v_old < level, (level - v_old) / (v_new - v_old), 0.0)
        fe = np.where(e_old < level, (level - e_old) / (e_new - e_old), 0.0)
    frac = np.clip(np.maximum(fv, fe), 0.0, 1.0)
    armed &= ~fired
    rearm = REARM_FRACTION * level
    armed |= (v_new < rearm) & (e_new < rearm)
    return fired, frac


def _detect(v, e, level):
    """Run the detector along the last axis: (counts, times in steps as float, NaN-padded list per trace)."""
    armed = np.ones(v.shape[:-1], dtype=bool)
    counts = np.zeros(v.shape[:-1], dtype=np.int64)
    times = []
    for i in range(1, v.shape[-1]):
        fired, frac = spike_events(armed, v[..., i - 1], v[..., i], e[..., i - 1], e[..., i], level)
        counts += fired
        if fired.any():
            times.append((i, fired, frac))
    return counts, times


def count_spikes(v_mV, level_mV: float = DEFAULT_LEVEL_MV, *, equilibrium_mV=None, axis: int = -1):
    """Count spikes in recorded traces with the spike rule of this module.

    Parameters
    ----------
    v_mV : array_like
        Membrane potential traces, mV relative to rest, time along ``axis`` (the first sample is the state
        before the first step). Every sample must be finite: a NaN or inf is refused (ValueError naming
        ``v_mV`` and its index), never counted as "no spike".
    level_mV : float
        Detection level, mV above rest.
    equilibrium_mV : array_like, optional
        ``E_ion`` at the same samples (:func:`hhlib.model.ionic_equilibrium`). Without it the rule reduces
        to upward crossings of the level by ``V`` with the same re-arming (the predecessor's criterion, which also
        counts passive charging).
    axis : int
        Time axis.

    Returns
    -------
    int or ndarray of int
        Counts, with ``axis`` removed.

    Examples
    --------
    >>> count_spikes([0, 70, 20, 65, 80, 59, 61])     # re-armed below 30 mV only once
    2
    >>> count_spikes([0, 70, 80, 0], equilibrium_mV=[0, 5, 100, 0])   # counted once E_ion is up too
    1
    """
    level = check_real("level_mV", level_mV, low=0.0, low_open=True, unit="mV above rest")
    v = _trace("v_mV", v_mV)
    e = v if equilibrium_mV is None else _trace("equilibrium_mV", equilibrium_mV)
    if e.shape != v.shape:
        raise ValueError(f"equilibrium_mV must have the shape of v_mV {v.shape}, got {e.shape}")
    if v.ndim == 0:
        raise ValueError("v_mV must be a trace (at least 1-D, time along axis), got a scalar")
    v, e = np.moveaxis(v, axis, -1), np.moveaxis(e, axis, -1)
    counts, _ = _detect(v, e, level)
    return counts if counts.ndim else int(counts)


def spike_times(t_ms, v_mV, level_mV: float = DEFAULT_LEVEL_MV, *, equilibrium_mV=None) -> np.ndarray:
    """Times (ms) of every spike in one trace, by the rule of this module, linearly interpolated.

    ``t_ms`` must be finite and strictly increasing, ``v_mV`` (and ``equilibrium_mV``) finite, all 1-D of
    one length (a ValueError naming the array otherwise).

    Examples
    --------
    >>> spike_times([0.0, 1.0, 2.0, 3.0], [0.0, 50.0, 70.0, 0.0]).tolist()
    [1.5]
    """
    t, v = _trace("t_ms", t_ms), _trace("v_mV", v_mV)
    if t.ndim != 1 or v.shape != t.shape:
        raise ValueError(f"t_ms and v_mV must be 1-D of equal length, got {t.shape} and {v.shape}")
    _check_increasing(t)
    e = v if equilibrium_mV is None else _trace("equilibrium_mV", equilibrium_mV)
    if e.shape != v.shape:
        raise ValueError(f"equilibrium_mV must have the shape of v_mV {v.shape}, got {e.shape}")
    level = check_real("level_mV", level_mV, low=0.0, low_open=True, unit="mV above rest")
    _, events = _detect(v, e, level)
    return np.array([t[i - 1] + frac * (t[i] - t[i - 1]) for i, _, frac in events])


def _trace(name, values) -> np.ndarray:
    """``values`` as a float array of finite numbers, else an error naming ``name`` and the first bad sample."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be real numbers (an array), got {values!r:.80}") from exc
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0]) if arr.ndim else ()
        raise ValueError(f"{name} must be finite: got {float(arr[where])!r} at index {where}; a trace with NaN or inf "
                         "has no defined spike count (the simulation diverged there, or samples are missing)")
    return arr


def _check_increasing(t):
    steps = np.diff(t)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0))
        raise ValueError(f"t_ms must be strictly increasing, got t_ms[{i}] = {float(t[i])!r} followed by "
                         f"t_ms[{i + 1}] = {float(t[i + 1])!r}")


def count_spikes_in_result(result, model, level_mV: float = DEFAULT_LEVEL_MV):
    """Count spikes in the traces of a ``record=True`` :class:`~hhlib.SimulationResult`.

    Applies the same rule as the engines' online counters to the recorded ``V`` and ``E_ion``; agrees
    with ``result.spike_counts`` exactly.
    """
    if result.v_mV is None:
        raise ValueError("result has no traces: simulate with record=True")
    gates = [result.gate_traces[name] for name in model.gate_names]
    opened = getattr(result, "open_fractions", None) or {}
    # the engines linearise V-dependent (GHK) conductances at the V before each step: sample i uses V[i - 1]
    v_lin = np.concatenate([result.v_mV[..., :1], result.v_mV[..., :-1]], axis=-1)
    gs = [c.g_max * np.asarray(c.factor(v_lin, *prm) if c.factor is not None else 1.0) * opened[c.name]
          if c.name in opened else g
          for c, g, prm in zip(model.currents, model.conductances(gates, v_lin), model.current_params(), strict=True)]
    e = sum(g * rev for g, rev in zip(gs, model.reversals(), strict=True)) / sum(gs)
    return count_spikes(result.v_mV, level_mV, equilibrium_mV=e)


def crossing_times(t_ms, v_mV, threshold_mV: float = DEFAULT_LEVEL_MV):
    """Times (ms) of every upward crossing of ``threshold_mV`` by ``V`` in one trace, linearly interpolated.

    A plain level-crossing detector without the spike rule (no re-arming hysteresis, passive charging
    included): for comparison with other simulators' spike monitors. ``t_ms`` must be strictly increasing
    and both arrays finite.

    Examples
    --------
    >>> crossing_times([0.0, 1.0, 2.0, 3.0], [0.0, 50.0, 70.0, 0.0]).tolist()
    [1.5]
    """
    t, v = _trace("t_ms", t_ms), _trace("v_mV", v_mV)
    if t.ndim != 1 or v.shape != t.shape:
        raise ValueError(f"t_ms and v_mV must be 1-D of equal length, got {t.shape} and {v.shape}")
    _check_increasing(t)
    i = np.flatnonzero((v[:-1] < threshold_mV) & (v[1:] >= threshold_mV))
    return t[i] + (t[i + 1] - t[i]) * (threshold_mV - v[i]) / (v[i + 1] - v[i])
