"""The parts a stimulus is made of: pulses, biphasic pulses, pulse trains, sampled waveforms, ramps.

Every part is an amplitude (µA, a number or an array that broadcasts against the area and the other parts'
amplitudes) times a unit shape in time. On the simulator's grid of step ``dt`` the current is constant over
each step, ``I(t_n -> t_n+1) = amplitude_uA * w[n]``, where ``w[n]`` is the shape's mean over the step
(exact for the piecewise-constant parts: each edge must be a whole number of steps, a ValueError naming the
field otherwise; edges are never moved). Sign convention: positive current depolarises the membrane (it flows
into the cell); for an electrode at the node that is the *cathodic* phase.

A part's shape is a list of segments ``(t_start, t_stop, value_start, value_stop)`` in ms (linear from
``value_start`` to ``value_stop``; constant where they are equal): :meth:`Part.segments_ms`. The
``solve_ivp`` reference integrates those exactly; the grid waveform is their mean over each step.
Parts add up: ``a + b`` is a :class:`~hhlib.stimulus.Stimulus` whose parts keep their own amplitudes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..validation import check_bool, check_int, check_real, real_array
from .base import Part
from .grid import grid_steps

__all__ = ["Part", "Pulse", "BiphasicPulse", "PulseTrain", "Waveform", "Ramp", "check_ends_by"]


def _amplitude(value, name="amplitude_uA"):
    return real_array(name, value, "µA")


def _time(name, value, *, allow_inf=False, positive=True):
    return check_real(name, value, low=0.0, low_open=positive, unit="ms", allow_inf=allow_inf)


def _fmt(a):
    a = np.asarray(a)
    return repr(float(a)) if a.ndim == 0 else f"array(shape={a.shape})"


@dataclass(frozen=True, eq=False)
class Pulse(Part):
    """Rectangular (monophasic) current pulse.

    Parameters
    ----------
    amplitude_uA : float or array_like
        Current in µA (positive depolarises: cathodic; negative: anodic).
    delay_ms : float
        Onset, ms (default 0.1).
    duration_ms : float
        Duration, ms (default 0.1); ``inf`` for a current step (on until the end of the run). A finite pulse
        must end by the end of the run: simulations refuse one that would be cut short (:func:`check_ends_by`).

    Examples
    --------
    >>> p = Pulse(2e-7, delay_ms=0.2)
    >>> p.onset_ms, p.end_ms
    (0.2, 0.30000000000000004)
    """

    amplitude_uA: object
    delay_ms: float = 0.1
    duration_ms: float = 0.1
    _grid_fields = ("delay_ms", "duration_ms")

    def __post_init__(self):
        object.__setattr__(self, "amplitude_uA", _amplitude(self.amplitude_uA))
        object.__setattr__(self, "delay_ms", _time("delay_ms", self.delay_ms, positive=False))
        object.__setattr__(self, "duration_ms", _time("duration_ms", self.duration_ms, allow_inf=True))

    @property
    def shortest_phase_ms(self) -> float:
        """Shortest constant-current segment, ms."""
        return self.duration_ms

    @property
    def width_ms(self) -> float:
        """Duration of the pulse, ms."""
        return self.duration_ms

    def with_amplitude(self, amplitude_uA) -> Pulse:
        """The same pulse with another amplitude (µA)."""
        return Pulse(amplitude_uA, self.delay_ms, self.duration_ms)

    def at(self, delay_ms: float) -> Pulse:
        """The same pulse starting at ``delay_ms``."""
        return Pulse(self.amplitude_uA, delay_ms, self.duration_ms)

    def segments_ms(self):
        return [(self.delay_ms, self.delay_ms + self.duration_ms, 1.0, 1.0)]

    def __repr__(self):
        return f"Pulse({_fmt(self.amplitude_uA)}, delay_ms={self.delay_ms!r}, duration_ms={self.duration_ms!r})"


@dataclass(frozen=True, eq=False)
class BiphasicPulse(Part):
    """Charge-balanced biphasic pulse: two rectangular phases of opposite sign, an optional gap between them.

    Parameters
    ----------
    amplitude_uA : float or array_like
        Magnitude of the first phase, µA.
    phase_duration_ms : float
        Duration of the first phase, ms (cochlear implants: typically 0.025-0.1 ms).
    gap_ms : float
        Inter-phase gap, ms (default 0).
    delay_ms : float
        Onset of the first phase, ms (default 0.1).
    cathodic_first : bool
        If True (default) the first phase depolarises (cathodic for an electrode at the node); otherwise the
        anodic (hyperpolarising) phase comes first.
    second_phase_ms : float, optional
        Duration of the second phase, ms (default: ``phase_duration_ms``, symmetric). An asymmetric pulse keeps
        the charge balanced: the second phase's amplitude is ``amplitude_uA * phase_duration_ms /
        second_phase_ms`` (e.g. a long, weak second phase: a "pseudo-monophasic" pulse).

    Examples
    --------
    >>> b = BiphasicPulse(1.0, phase_duration_ms=0.05, gap_ms=0.025, delay_ms=0.025)
    >>> b.unit_waveform(dt_ms=0.025, n_steps=8).astype(int).tolist()
    [0, 1, 1, 0, -1, -1, 0, 0]
    >>> BiphasicPulse(1.0, 0.05, delay_ms=0.0, second_phase_ms=0.1).unit_waveform(0.025, 7).tolist()
    [1.0, 1.0, -0.5, -0.5, -0.5, -0.5, 0.0]
    """

    amplitude_uA: object
    phase_duration_ms: float = 0.1
    gap_ms: float = 0.0
    delay_ms: float = 0.1
    cathodic_first: bool = True
    second_phase_ms: float | None = None
    _grid_fields = ("delay_ms", "phase_duration_ms", "gap_ms", "second_phase_ms")

    def __post_init__(self):
        object.__setattr__(self, "amplitude_uA", _amplitude(self.amplitude_uA))
        object.__setattr__(self, "phase_duration_ms", _time("phase_duration_ms", self.phase_duration_ms))
        object.__setattr__(self, "gap_ms", _time("gap_ms", self.gap_ms, positive=False))
        object.__setattr__(self, "delay_ms", _time("delay_ms", self.delay_ms, positive=False))
        object.__setattr__(self, "cathodic_first", check_bool("cathodic_first", self.cathodic_first))
        second = self.phase_duration_ms if self.second_phase_ms is None else self.second_phase_ms
        object.__setattr__(self, "second_phase_ms", _time("second_phase_ms", second))

    @property
    def shortest_phase_ms(self) -> float:
        phases = (self.phase_duration_ms, self.second_phase_ms) + ((self.gap_ms,) if self.gap_ms > 0 else ())
        return min(phases)

    @property
    def width_ms(self) -> float:
        """From the onset of the first phase to the end of the second, ms."""
        return self.phase_duration_ms + self.gap_ms + self.second_phase_ms

    def with_amplitude(self, amplitude_uA) -> BiphasicPulse:
        return BiphasicPulse(amplitude_uA, self.phase_duration_ms, self.gap_ms, self.delay_ms, self.cathodic_first,
                             self.second_phase_ms)

    def at(self, delay_ms: float) -> BiphasicPulse:
        """The same pulse starting at ``delay_ms``."""
        return BiphasicPulse(self.amplitude_uA, self.phase_duration_ms, self.gap_ms, delay_ms, self.cathodic_first,
                             self.second_phase_ms)

    def segments_ms(self):
        first = 1.0 if self.cathodic_first else -1.0
        second = -first * self.phase_duration_ms / self.second_phase_ms
        t1 = self.delay_ms + self.phase_duration_ms
        t2 = t1 + self.gap_ms
        return [(self.delay_ms, t1, first, first), (t2, t2 + self.second_phase_ms, second, second)]

    def __repr__(self):
        extra = "" if self.second_phase_ms == self.phase_duration_ms else f", second_phase_ms={self.second_phase_ms!r}"
        return (f"BiphasicPulse({_fmt(self.amplitude_uA)}, phase_duration_ms={self.phase_duration_ms!r}, "
                f"gap_ms={self.gap_ms!r}, delay_ms={self.delay_ms!r}, cathodic_first={self.cathodic_first}{extra})")


@dataclass(frozen=True, eq=False)
class PulseTrain(Part):
    """A train of ``n_pulses`` copies of ``pulse``, one every ``1000 / rate_pps`` ms from the pulse's own onset.

    Parameters
    ----------
    pulse : Pulse or BiphasicPulse
        The first pulse; its amplitude is the train's (:attr:`amplitude_uA`) and its delay the train's onset.
    rate_pps : float
        Pulses per second (cochlear implants: 250-5000). The period ``1000 / rate_pps`` ms must be a whole number
        of time steps and longer than the pulse (pulses of a train never overlap).
    n_pulses : int
        Number of pulses (>= 1).
    modulation : array_like, shape (n_pulses,), optional
        Factor multiplying each pulse's amplitude (amplitude-modulated trains), default all 1.

    Examples
    --------
    >>> t = PulseTrain(Pulse(1.0, delay_ms=0.0, duration_ms=0.05), rate_pps=5000, n_pulses=3)
    >>> t.pulse_onsets_ms().round(6).tolist(), t.end_ms
    ([0.0, 0.2, 0.4], 0.45)
    >>> t.unit_waveform(dt_ms=0.05, n_steps=10).astype(int).tolist()
    [1, 0, 0, 0, 1, 0, 0, 0, 1, 0]
    """

    pulse: object
    rate_pps: float
    n_pulses: int
    modulation: object = None

    def __post_init__(self):
        if not isinstance(self.pulse, (Pulse, BiphasicPulse)):
            raise TypeError(f"PulseTrain pulse must be a Pulse or BiphasicPulse, got {type(self.pulse).__name__}")
        if math.isinf(self.pulse.width_ms):
            raise ValueError("PulseTrain pulse must have a finite duration_ms (a current step cannot repeat)")
        object.__setattr__(self, "rate_pps", check_real("rate_pps", self.rate_pps, low=0.0, low_open=True,
                                                         unit="pulses/s"))
        object.__setattr__(self, "n_pulses", check_int("n_pulses", self.n_pulses, minimum=1))
        if self.pulse.width_ms >= self.period_ms:
            raise ValueError(f"the pulses of a train overlap: pulse width {self.pulse.width_ms:g} ms >= period "
                             f"1000 / rate_pps = {self.period_ms:.6g} ms (rate_pps = {self.rate_pps:g}); use a lower "
                             "rate_pps or a shorter pulse")
        mod = np.ones(self.n_pulses) if self.modulation is None else real_array("modulation", self.modulation)
        if mod.shape != (self.n_pulses,):
            raise ValueError(f"modulation must have one factor per pulse, shape ({self.n_pulses},), got {mod.shape}")
        object.__setattr__(self, "modulation", mod)

    @property
    def amplitude_uA(self) -> np.ndarray:
        """The train's amplitude (its pulse's), µA."""
        return self.pulse.amplitude_uA

    @property
    def period_ms(self) -> float:
        """Time from one pulse's onset to the next, ms."""
        return 1000.0 / self.rate_pps

    @property
    def shortest_phase_ms(self) -> float:
        return self.pulse.shortest_phase_ms

    @property
    def width_ms(self) -> float:
        return self.pulse_onsets_ms()[-1] - self.onset_ms + self.pulse.width_ms

    def check_grid(self, dt_ms: float) -> None:
        self.pulse.check_grid(dt_ms)
        try:
            grid_steps("period", self.period_ms, dt_ms)
        except ValueError:
            raise ValueError(f"rate_pps = {self.rate_pps:g} gives a period 1000 / rate_pps = {self.period_ms:.6g} ms, "
                             f"not a whole number of time steps dt_ms = {dt_ms!r} ms: pulses would fall off the grid "
                             "(hhlib never moves them); choose a rate whose period dt_ms divides, or a dt_ms that "
                             "divides the period") from None

    def pulse_onsets_ms(self) -> np.ndarray:
        return self.pulse.onset_ms + self.period_ms * np.arange(self.n_pulses)

    def with_amplitude(self, amplitude_uA) -> PulseTrain:
        return PulseTrain(self.pulse.with_amplitude(amplitude_uA), self.rate_pps, self.n_pulses, self.modulation)

    def segments_ms(self):
        base = self.pulse.segments_ms()
        out = []
        for k, onset in enumerate(self.pulse_onsets_ms()):
            shift, f = onset - self.pulse.onset_ms, self.modulation[k]
            out += [(t0 + shift, t1 + shift, f * v0, f * v1) for t0, t1, v0, v1 in base]
        return out

    def _fill(self, w, dt_ms):
        one = np.zeros(round(self.pulse.width_ms / dt_ms))
        for t0, t1, v, _ in self.pulse.segments_ms():
            one[round((t0 - self.pulse.onset_ms) / dt_ms):round((t1 - self.pulse.onset_ms) / dt_ms)] = v
        start, period = round(self.onset_ms / dt_ms), round(self.period_ms / dt_ms)
        for k, f in enumerate(self.modulation):
            s = start + k * period
            if s >= w.size:
                break
            seg = one[:w.size - s]
            w[s:s + seg.size] += f * seg

    def __repr__(self):
        mod = "" if np.all(self.modulation == 1.0) else f", modulation={self.modulation.tolist()!r}"
        return f"PulseTrain({self.pulse!r}, rate_pps={self.rate_pps!r}, n_pulses={self.n_pulses}{mod})"


@dataclass(frozen=True, eq=False)
class Waveform(Part):
    """A sampled current waveform: ``amplitude_uA * samples[k]`` over ``[delay + k dt, delay + (k+1) dt)``.

    Parameters
    ----------
    samples : array_like, shape (n,)
        The waveform's values (dimensionless shape, or µA with ``amplitude_uA = 1``); finite, not empty.
    dt_ms : float
        Time per sample, ms; it must be a whole number of the simulation's time steps (each sample then
        covers that many steps exactly).
    amplitude_uA : float or array_like
        Scale, µA (default 1).
    delay_ms : float
        Onset, ms (default 0).

    Examples
    --------
    >>> Waveform([0.5, -1.0], dt_ms=0.05, delay_ms=0.025).unit_waveform(0.025, 6).tolist()
    [0.0, 0.5, 0.5, -1.0, -1.0, 0.0]
    """

    samples: object
    dt_ms: float
    amplitude_uA: object = 1.0
    delay_ms: float = 0.0

    def __post_init__(self):
        s = real_array("samples", self.samples)
        if s.ndim != 1:
            raise ValueError(f"samples must be one-dimensional, got shape {s.shape}")
        object.__setattr__(self, "samples", s)
        object.__setattr__(self, "dt_ms", _time("dt_ms", self.dt_ms))
        object.__setattr__(self, "amplitude_uA", _amplitude(self.amplitude_uA))
        object.__setattr__(self, "delay_ms", _time("delay_ms", self.delay_ms, positive=False))

    @property
    def shortest_phase_ms(self) -> float:
        return self.dt_ms

    def check_grid(self, dt_ms: float) -> None:
        grid_steps("delay_ms", self.delay_ms, dt_ms)
        try:
            grid_steps("dt_ms", self.dt_ms, dt_ms)
        except ValueError:
            raise ValueError(f"Waveform dt_ms = {self.dt_ms!r} ms is not a whole number of the simulation's time "
                             f"steps dt_ms = {dt_ms!r} ms: each sample must cover whole steps; resample the "
                             "waveform or choose a simulation dt_ms that divides it") from None

    def with_amplitude(self, amplitude_uA) -> Waveform:
        return Waveform(self.samples, self.dt_ms, amplitude_uA, self.delay_ms)

    def segments_ms(self):
        t = self.delay_ms + self.dt_ms * np.arange(self.samples.size + 1)
        return [(t[k], t[k + 1], v, v) for k, v in enumerate(self.samples.tolist())]

    def _fill(self, w, dt_ms):
        start, r = round(self.delay_ms / dt_ms), round(self.dt_ms / dt_ms)
        values = np.repeat(self.samples, r)[:max(w.size - start, 0)]
        w[start:start + values.size] += values

    def __repr__(self):
        return (f"Waveform({self.samples.tolist()!r}, dt_ms={self.dt_ms!r}, amplitude_uA={_fmt(self.amplitude_uA)}, "
                f"delay_ms={self.delay_ms!r})")


@dataclass(frozen=True, eq=False)
class Ramp(Part):
    """A linear ramp of current from 0 at ``delay_ms`` to ``amplitude_uA`` at ``delay_ms + duration_ms``, then off.

    Slow depolarisation (accommodation). On the grid each step carries the ramp's mean over the step.

    Examples
    --------
    >>> Ramp(1.0, duration_ms=0.1, delay_ms=0.0).unit_waveform(0.025, 5).tolist()
    [0.125, 0.375, 0.625, 0.875, 0.0]
    """

    amplitude_uA: object
    duration_ms: float = 1.0
    delay_ms: float = 0.1
    _grid_fields = ("delay_ms", "duration_ms")

    def __post_init__(self):
        object.__setattr__(self, "amplitude_uA", _amplitude(self.amplitude_uA))
        object.__setattr__(self, "duration_ms", _time("duration_ms", self.duration_ms))
        object.__setattr__(self, "delay_ms", _time("delay_ms", self.delay_ms, positive=False))

    @property
    def shortest_phase_ms(self) -> float:
        return self.duration_ms

    def with_amplitude(self, amplitude_uA) -> Ramp:
        return Ramp(amplitude_uA, self.duration_ms, self.delay_ms)

    def segments_ms(self):
        return [(self.delay_ms, self.delay_ms + self.duration_ms, 0.0, 1.0)]

    def __repr__(self):
        return f"Ramp({_fmt(self.amplitude_uA)}, duration_ms={self.duration_ms!r}, delay_ms={self.delay_ms!r})"


def check_ends_by(stimulus, dt_ms: float, n_steps: int) -> None:
    """Refuse a part with a finite segment that ends after step ``n_steps`` (the end of the run), or that starts
    at or after it (a current step that would never flow).

    Raises a ValueError naming ``t_end_ms`` (``= n_steps * dt_ms``) and the part's end (or start): a pulse cut
    short by the end of the run is a different stimulus (a shorter pulse; a biphasic pulse loses its balance; a
    train loses pulses), and a part that never flows is not the stimulus asked for.

    Examples
    --------
    >>> check_ends_by(BiphasicPulse(1.0, phase_duration_ms=0.1), 0.0025, 100)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: BiphasicPulse(...) ends at 0.3 ms, after the end of the run t_end_ms = 0.25 ms: ...
    """
    for part in stimulus.parts:
        if round(part.onset_ms / dt_ms) >= n_steps:
            raise ValueError(f"{part!r} starts at {part.onset_ms:g} ms, at or after the end of the run t_end_ms = "
                             f"{n_steps * dt_ms:g} ms: it would never flow; use t_end_ms > {part.onset_ms:g}")
        end = part.end_ms
        if math.isfinite(end) and round(end / dt_ms) > n_steps:
            hint = " (or duration_ms=inf for a current step)" if isinstance(part, Pulse) else ""
            raise ValueError(f"{part!r} ends at {end:g} ms, after the end of the run t_end_ms = {n_steps * dt_ms:g} "
                             f"ms: it would be cut short, which is a different stimulus; use t_end_ms >= "
                             f"{end:g}{hint}")
