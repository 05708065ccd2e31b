"""Converged reference solutions with :func:`scipy.integrate.solve_ivp`.

Independent of hhlib's exponential-Euler simulator: an adaptive high-order integrator
(DOP853, ``rtol = atol = 1e-10`` by default) on the same equations, with the stimulus (any hhlib stimulus
object: its exact, continuous-time shape, ramps included) integrated segment by segment between its
breakpoints (no step straddles a discontinuity) and spikes located exactly by event detection, with the spike
rule of :mod:`hhlib.spikes` (V and the ionic equilibrium potential both at the level; re-armed below half of
it). Non-ohmic (GHK) currents enter with their exact current-voltage relation.
Used by the tests and by
notebook 01 to prove the simulator right; far too slow for Monte Carlo.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from .model import MembraneModel
from .spikes import DEFAULT_LEVEL_MV, REARM_FRACTION, check_level
from .stimulus import as_stimulus

__all__ = ["ReferenceSolution", "solve_reference", "reference_threshold"]


@dataclass(frozen=True)
class ReferenceSolution:
    """Dense reference trajectory.

    Attributes
    ----------
    t_ms : ndarray, shape (n,)
    v_mV : ndarray, shape (n,)
        Membrane potential, mV relative to rest, at ``t_ms``.
    gates : dict of ndarray
        Every gate by name at ``t_ms`` (``m``, ``h``, ``n`` are also attributes for Hodgkin-Huxley).
    spike_times_ms : ndarray
        Spike times by the rule of :mod:`hhlib.spikes`, ms (exact, from event location).
    """

    t_ms: np.ndarray
    v_mV: np.ndarray
    gates: dict
    spike_times_ms: np.ndarray

    def __getattr__(self, name):
        gates = self.__dict__.get("gates") or {}
        if name in gates:
            return gates[name]
        raise AttributeError(name)

    @property
    def peak_mV(self) -> float:
        return float(self.v_mV.max())

    @property
    def peak_time_ms(self) -> float:
        return float(self.t_ms[np.argmax(self.v_mV)])


def _rhs(params: MembraneModel, i_density):
    """``dy/dt`` for ``y = (V, x_1, ..., x_k)``: the membrane equation and every gate's kinetics
    (``i_density(t)``: the stimulus, µA/cm²)."""
    def f(t, y):
        v, gates = y[0], y[1:]
        dv = (i_density(t) - params.ionic_current(v, gates)) / params.c_m
        return [dv] + [a * (1 - x) - b * x for (a, b), x in zip(params.rates(v), gates, strict=True)]
    return f


def solve_reference(params: MembraneModel, stimulus, area_cm2: float, *, t_end_ms: float = 2.0,
                    rtol: float = 1e-10, atol: float = 1e-10, spike_threshold_mV: float = DEFAULT_LEVEL_MV,
                    samples_per_ms: int = 2000, max_step_ms: float = 0.01) -> ReferenceSolution:
    """Integrate the deterministic model (no noise) with solve_ivp to high accuracy.

    Parameters
    ----------
    params : MembraneModel
    stimulus : stimulus object
        Any part or sum of parts, with scalar amplitudes (µA); its breakpoints are taken at their exact times.
    area_cm2 : float
        Membrane area, cm².
    t_end_ms : float
        End of the simulation, ms.
    rtol, atol : float
        Tolerances of DOP853.
    samples_per_ms : int
        Density of the returned samples (dense output), per ms.
    max_step_ms : float
        Largest solver step, ms. Spikes are found where the rule's event functions change sign between solver
        steps, so a crossing that only grazes the level (a peak of V or of the ionic equilibrium potential just
        above it, shorter than a step) can be missed: thresholds set by such a grazing crossing (e.g. a probe in
        the refractory period) need a smaller step (0.001 ms moves them by up to 1e-3 relative).

    Returns
    -------
    ReferenceSolution

    Examples
    --------
    >>> import hhlib
    >>> ref = solve_reference(hhlib.HH1952, hhlib.Pulse(0.0), 1e-4, t_end_ms=1.0)
    >>> bool(abs(ref.v_mV).max() < 1e-2)
    True
    """
    stim = as_stimulus(stimulus)
    amps = [np.asarray(a, dtype=float) for a in stim.amplitudes_uA]
    if any(a.ndim != 0 for a in amps):
        raise ValueError("solve_reference needs scalar amplitudes (amplitude_uA of every part)")
    amps = [float(a) for a in amps]
    edges = sorted({0.0, float(t_end_ms)} | {float(t) for t in stim.breakpoints_ms() if 0.0 < t < t_end_ms})
    y = np.array(params.initial_state(), dtype=float)
    level = check_level(spike_threshold_mV, params)
    events = _rule_events(params, level)
    ts, ys, found = [], [], []
    for t0, t1 in zip(edges[:-1], edges[1:], strict=True):
        const = None if _is_linear(stim, t0, t1, amps) else stim.current_uA(0.5 * (t0 + t1), amps) / area_cm2

        def i_density(t, const=const):
            return const if const is not None else stim.current_uA(t, amps) / area_cm2
        n_samples = max(2, int(math.ceil((t1 - t0) * samples_per_ms)) + 1)
        sol = solve_ivp(_rhs(params, i_density), (t0, t1), y, method="DOP853", rtol=rtol, atol=atol,
                        t_eval=np.linspace(t0, t1, n_samples), events=events, max_step=max_step_ms)
        if sol.status < 0:
            raise RuntimeError(f"solve_ivp failed: {sol.message}")
        ts.append(sol.t if not ts else sol.t[1:])
        ys.append(sol.y if not ys else sol.y[:, 1:])
        found += [(t, kind, yy) for kind in range(4)
                  for t, yy in zip(sol.t_events[kind], sol.y_events[kind], strict=True)]
        y = sol.y[:, -1]
    t = np.concatenate(ts)
    yy = np.concatenate(ys, axis=1)
    gates = dict(zip(params.gate_names, yy[1:], strict=True))
    return ReferenceSolution(t, yy[0], gates, _apply_rule(found, params, level))


def _is_linear(stim, t0, t1, amps) -> bool:
    """True if the current changes within ``(t0, t1)`` (a ramp): it is then evaluated at every ``t``."""
    a, b, c = (stim.current_uA(t, amps) for t in (t0 + 0.25 * (t1 - t0), 0.5 * (t0 + t1), t0 + 0.75 * (t1 - t0)))
    return not (a == b == c)


def _rule_events(params, level):
    """Event functions: V and E_ion reaching the level upwards, and falling below the re-arm level."""
    def e_ion(y):
        return params.ionic_equilibrium(y[1:], y[0])

    def v_up(t, y):
        return y[0] - level

    def e_up(t, y):
        return e_ion(y) - level

    def v_down(t, y):
        return y[0] - REARM_FRACTION * level

    def e_down(t, y):
        return e_ion(y) - REARM_FRACTION * level
    for f, direction in ((v_up, 1.0), (e_up, 1.0), (v_down, -1.0), (e_down, -1.0)):
        f.direction = direction
    return [v_up, e_up, v_down, e_down]


def _apply_rule(found, params, level):
    """Spike times (ms) from the located events, by the detector's state machine (exact event times)."""
    armed, spikes, slack = True, [], 1e-9 * level
    for t, kind, y in sorted(found, key=lambda item: item[0]):
        v, e = float(y[0]), float(params.ionic_equilibrium(y[1:], y[0]))
        if kind < 2 and armed and v >= level - slack and e >= level - slack:
            spikes.append(t)
            armed = False
        elif kind >= 2 and not armed and v <= REARM_FRACTION * level + slack and e <= REARM_FRACTION * level + slack:
            armed = True
    return np.array(spikes)


def reference_threshold(params: MembraneModel, area_cm2: float, *, stimulus=None, vary=None, t_end_ms: float = 2.0,
                        rtol_threshold: float = 1e-5, bracket=None, **solver_options) -> float:
    """Deterministic threshold by bisection on :func:`solve_reference`: the factor on the varied amplitude(s).

    The definitions of :func:`hhlib.threshold_current`: the default stimulus is ``Pulse(1.0)`` (0.1 ms at 0.1
    ms), so the result is the threshold current in µA; ``vary=k`` scales part ``k`` only, the others fixed, and a
    trial then "fires" when it has more spikes than the fixed parts evoke alone (without ``vary``: any spike
    before ``t_end_ms``). Raises ValueError if the model does not fire at
    :data:`hhlib.thresholds.MAX_BRACKET_FACTOR` times the factor that charges the membrane by 20 mV. The search
    is :func:`hhlib.thresholds.bisect`, the one the simulator's thresholds use. ``bracket=(lo, hi)`` (optional)
    starts the bisection there once it is checked (no spike at ``lo``, a spike at ``hi``), else the search
    brackets the threshold itself: a guess saves solver runs, it never decides the answer.
    """
    from .thresholds import DEFAULT_STIMULUS, MAX_BRACKET_FACTOR, bisect, expand_bracket
    stim = as_stimulus(DEFAULT_STIMULUS if stimulus is None else stimulus)
    vary = stim.check_vary(vary)
    rows = range(len(stim.parts)) if vary is None else [vary]

    def count(factor):
        amps = [a * factor if k in rows else a for k, a in enumerate(stim.amplitudes_uA)]
        return solve_reference(params, stim.with_amplitudes(amps), area_cm2, t_end_ms=t_end_ms, samples_per_ms=10,
                               **solver_options).spike_times_ms.size

    base = 0 if vary is None else count(0.0)

    def fires(factors):
        factors = np.asarray(factors, dtype=float)
        return np.array([count(float(f)) > base for f in factors.ravel()]).reshape(factors.shape)

    if bracket is not None and not fires(np.array([bracket[0]]))[0] and fires(np.array([bracket[1]]))[0]:
        lo, hi = np.array([float(bracket[0])]), np.array([float(bracket[1])])
    else:
        charge = sum(abs(float(stim.amplitudes_uA[k])) * _unit_charge_ms(stim.parts[k], t_end_ms) for k in rows)
        passive = np.array([20.0 * params.c_m * area_cm2 / charge])   # charges the membrane ~20 mV passively
        lo, hi, found = expand_bracket(fires, np.zeros(1), passive, MAX_BRACKET_FACTOR * passive)
        if not found[0]:
            raise ValueError(f"model {params.name!r} does not fire even at a factor {hi[0]:.3g}: it cannot fire")
    lo, hi = bisect(fires, lo, hi, rtol_threshold * hi)
    return float(0.5 * (lo[0] + hi[0]))


def _unit_charge_ms(part, t_end_ms) -> float:
    """``∫ |shape| dt`` of a part up to ``t_end_ms`` (ms at unit amplitude)."""
    total = 0.0
    for t0, t1, v0, v1 in part.segments_ms():
        t1 = min(t1, t_end_ms)
        if t1 > t0:
            total += 0.5 * (abs(v0) + abs(v1)) * (t1 - t0)
    return total
