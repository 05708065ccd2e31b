"""Stimulus waveforms: rectangular monophasic pulses and charge-balanced biphasic pulses.

A stimulus is an amplitude (µA, scalar or array, broadcast against the area) times a unit
waveform sampled on the simulator's time grid: ``I(t_n → t_n+1) = amplitude_uA * w[n]``, the
current being constant over each step. Sign convention: positive current depolarises the
membrane (it flows into the cell); for an electrode near the node this is the *cathodic*
phase.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .validation import check_bool, check_real, real_array

__all__ = ["Pulse", "BiphasicPulse", "grid_steps", "check_ends_by", "GRID_TOLERANCE"]

#: Relative tolerance for a time to count as a whole number of steps (absorbs binary rounding only).
GRID_TOLERANCE = 1e-9


def grid_steps(name: str, t_ms: float, dt_ms: float) -> int:
    """Number of steps of ``dt_ms`` in ``t_ms``, which must be a whole number (never silently rounded).

    Examples
    --------
    >>> grid_steps("delay_ms", 0.1, 0.0025)
    40
    >>> grid_steps("duration_ms", 0.1, 0.07)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: duration_ms = 0.1 ms is not a whole number of time steps dt_ms = 0.07 ms (1.429 steps); ...
    """
    n = t_ms / dt_ms
    k = round(n)
    if abs(n - k) > GRID_TOLERANCE * max(1.0, abs(n)):
        raise ValueError(f"{name} = {t_ms!r} ms is not a whole number of time steps dt_ms = {dt_ms!r} ms "
                         f"({n:.4g} steps); hhlib never moves a stimulus edge or the end of a run: "
                         "choose a dt_ms that divides it")
    return int(k)


def _check_amplitude(amplitude_uA):
    return real_array("amplitude_uA", amplitude_uA, "µA")


def _check_time(name, value, *, allow_inf=False, strictly_positive=True):
    return check_real(name, value, low=0.0, low_open=strictly_positive, unit="ms", allow_inf=allow_inf)


@dataclass(frozen=True, eq=False)
class Pulse:
    """Rectangular (monophasic) current pulse, the predecessor's protocol.

    On the grid of step ``dt`` the pulse starts at step ``delay/dt`` and lasts exactly ``duration/dt``
    steps; both must be whole numbers (a ValueError otherwise: edges are never moved). ``duration_ms=inf``
    is a current step (on until the end of the run). A finite pulse must end by the end of the run
    (``delay_ms + duration_ms <= t_end_ms``): :func:`hhlib.simulate` and the threshold searches refuse one
    that would be cut short (a ValueError naming ``t_end_ms`` and the pulse's end, :func:`check_ends_by`),
    never shorten it silently.

    Parameters
    ----------
    amplitude_uA : float or array_like
        Current in µA (positive depolarises). Arrays broadcast against ``area_cm2`` in
        :func:`hhlib.simulate`.
    delay_ms : float
        Onset, ms (default 0.1).
    duration_ms : float
        Duration, ms (default 0.1); ``inf`` for a step.

    Examples
    --------
    >>> p = Pulse(1e-7)
    >>> w = p.unit_waveform(dt_ms=0.025, n_steps=12)
    >>> w.astype(int).tolist()
    [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]
    """

    amplitude_uA: object
    delay_ms: float = 0.1
    duration_ms: float = 0.1

    def __post_init__(self):
        object.__setattr__(self, "amplitude_uA", _check_amplitude(self.amplitude_uA))
        object.__setattr__(self, "delay_ms", _check_time("delay_ms", self.delay_ms, strictly_positive=False))
        object.__setattr__(self, "duration_ms", _check_time("duration_ms", self.duration_ms, allow_inf=True))

    @property
    def onset_ms(self) -> float:
        """Time at which current first flows, ms."""
        return self.delay_ms

    @property
    def shortest_phase_ms(self) -> float:
        """Shortest constant-current segment, ms (the time step must not exceed it)."""
        return self.duration_ms

    def with_amplitude(self, amplitude_uA) -> Pulse:
        """The same waveform with another amplitude (µA)."""
        return Pulse(amplitude_uA, self.delay_ms, self.duration_ms)

    def edge_steps(self, dt_ms: float) -> list:
        """``[(first step, step after the last or None for a step current, unit value)]`` on the grid of
        ``dt_ms``; a ValueError naming the field if an edge is not a whole number of steps."""
        start = grid_steps("delay_ms", self.delay_ms, dt_ms)
        stop = None if math.isinf(self.duration_ms) else start + grid_steps("duration_ms", self.duration_ms, dt_ms)
        return [(start, stop, 1.0)]

    def unit_waveform(self, dt_ms: float, n_steps: int) -> np.ndarray:
        """Waveform of unit amplitude, one value per step, shape ``(n_steps,)`` (its first ``n_steps`` steps;
        simulations refuse a finite pulse that ends later, :func:`check_ends_by`)."""
        return _waveform(self, dt_ms, n_steps)

    def segments_ms(self):
        """Piecewise-constant description ``[(t_start, t_stop, unit_value), ...]`` in ms (exact times)."""
        return [(self.delay_ms, self.delay_ms + self.duration_ms, 1.0)]

    def __repr__(self):
        return (f"Pulse(amplitude_uA={_fmt(self.amplitude_uA)}, delay_ms={self.delay_ms}, "
                f"duration_ms={self.duration_ms})")


@dataclass(frozen=True, eq=False)
class BiphasicPulse:
    """Charge-balanced biphasic pulse: two rectangular phases of equal duration and opposite sign.

    Parameters
    ----------
    amplitude_uA : float or array_like
        Magnitude of each phase, µA.
    phase_duration_ms : float
        Duration of each phase, ms (cochlear implants: typically 0.025-0.1 ms).
    gap_ms : float
        Inter-phase gap, ms (default 0).
    delay_ms : float
        Onset of the first phase, ms (default 0.1).
    cathodic_first : bool
        If True (default) the first phase depolarises (positive current in this model's sign
        convention, i.e. cathodic for an electrode at the node); otherwise the anodic
        (hyperpolarising) phase comes first.

    Examples
    --------
    >>> b = BiphasicPulse(1.0, phase_duration_ms=0.05, gap_ms=0.025, delay_ms=0.025)
    >>> b.unit_waveform(dt_ms=0.025, n_steps=8).astype(int).tolist()
    [0, 1, 1, 0, -1, -1, 0, 0]
    """

    amplitude_uA: object
    phase_duration_ms: float = 0.1
    gap_ms: float = 0.0
    delay_ms: float = 0.1
    cathodic_first: bool = True

    def __post_init__(self):
        object.__setattr__(self, "amplitude_uA", _check_amplitude(self.amplitude_uA))
        object.__setattr__(self, "phase_duration_ms", _check_time("phase_duration_ms", self.phase_duration_ms))
        object.__setattr__(self, "gap_ms", _check_time("gap_ms", self.gap_ms, strictly_positive=False))
        object.__setattr__(self, "delay_ms", _check_time("delay_ms", self.delay_ms, strictly_positive=False))
        object.__setattr__(self, "cathodic_first", check_bool("cathodic_first", self.cathodic_first))

    @property
    def onset_ms(self) -> float:
        return self.delay_ms

    @property
    def shortest_phase_ms(self) -> float:
        return self.phase_duration_ms if self.gap_ms == 0 else min(self.phase_duration_ms, self.gap_ms)

    def with_amplitude(self, amplitude_uA) -> BiphasicPulse:
        return BiphasicPulse(amplitude_uA, self.phase_duration_ms, self.gap_ms, self.delay_ms, self.cathodic_first)

    def edge_steps(self, dt_ms: float) -> list:
        """``[(first step, step after the last, unit value)]`` of both phases on the grid of ``dt_ms``; a
        ValueError naming the field if an edge is not a whole number of steps."""
        first = 1.0 if self.cathodic_first else -1.0
        start = grid_steps("delay_ms", self.delay_ms, dt_ms)
        n_phase = grid_steps("phase_duration_ms", self.phase_duration_ms, dt_ms)
        second = start + n_phase + grid_steps("gap_ms", self.gap_ms, dt_ms)
        return [(start, start + n_phase, first), (second, second + n_phase, -first)]

    def unit_waveform(self, dt_ms: float, n_steps: int) -> np.ndarray:
        """Waveform of unit amplitude, shape ``(n_steps,)``: +1 cathodic phase, -1 anodic phase.

        Both phases have exactly ``phase_duration/dt`` steps (a whole number, else ValueError), so the
        charge balances exactly on the grid. Simulations refuse a pulse whose second phase would end after
        ``t_end_ms`` (:func:`check_ends_by`: a pulse cut short is a different, unbalanced pulse).
        """
        return _waveform(self, dt_ms, n_steps)

    def segments_ms(self):
        first = 1.0 if self.cathodic_first else -1.0
        t1 = self.delay_ms + self.phase_duration_ms
        t2 = t1 + self.gap_ms
        return [(self.delay_ms, t1, first), (t2, t2 + self.phase_duration_ms, -first)]

    def __repr__(self):
        return (f"BiphasicPulse(amplitude_uA={_fmt(self.amplitude_uA)}, phase_duration_ms={self.phase_duration_ms}, "
                f"gap_ms={self.gap_ms}, delay_ms={self.delay_ms}, cathodic_first={self.cathodic_first})")


def _waveform(stimulus, dt_ms: float, n_steps: int) -> np.ndarray:
    """Unit waveform from ``stimulus.edge_steps``, its first ``n_steps`` steps."""
    w = np.zeros(n_steps)
    for start, stop, value in stimulus.edge_steps(dt_ms):
        w[min(start, n_steps):n_steps if stop is None else min(stop, n_steps)] = value
    return w


def check_ends_by(stimulus, dt_ms: float, n_steps: int) -> None:
    """Refuse a stimulus with a finite segment that ends after step ``n_steps`` (the end of the run).

    Raises a ValueError naming ``t_end_ms`` (``= n_steps * dt_ms``) and the stimulus's end: a pulse cut short
    by the end of the run is a different stimulus (a shorter pulse; a biphasic pulse loses its balance).

    Examples
    --------
    >>> check_ends_by(BiphasicPulse(1.0, phase_duration_ms=0.1), 0.0025, 100)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: BiphasicPulse: its second phase ends at 0.3 ms (...), after the end of the run t_end_ms = 0.25 ms: ...
    """
    pulse = isinstance(stimulus, Pulse)
    what = ("the pulse ends at {end:g} ms (delay_ms + duration_ms)" if pulse else
            "its second phase ends at {end:g} ms (delay_ms + 2 phase_duration_ms + gap_ms)")
    for _, stop, _ in stimulus.edge_steps(dt_ms):
        if stop is not None and stop > n_steps:
            end = stop * dt_ms
            raise ValueError(f"{type(stimulus).__name__}: {what.format(end=end)}, after the end of the run "
                             f"t_end_ms = {n_steps * dt_ms:g} ms: it would be cut short, which is a different "
                             f"stimulus; use t_end_ms >= {end:g}"
                             + (" (or duration_ms=inf for a current step)" if pulse else ""))


def _fmt(a):
    a = np.asarray(a)
    return f"{float(a):.6g}" if a.ndim == 0 else f"array(shape={a.shape})"
