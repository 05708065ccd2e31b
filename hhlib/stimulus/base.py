"""The two things every stimulus is: a :class:`Part` (an amplitude times a shape in time) and a :class:`Stimulus`
(parts that add up, ``a + b``). The parts themselves are in :mod:`hhlib.stimulus.parts`; this module imports
none of them, so parts and sums import in one direction only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..validation import check_int, real_array
from .grid import grid_steps

__all__ = ["Part", "Stimulus"]


class Part:
    """What every stimulus part provides (mixed into frozen dataclasses with an ``amplitude_uA`` field)."""

    #: Names of the fields that hold times on the grid, checked by :meth:`check_grid` (subclasses).
    _grid_fields: tuple = ()

    @property
    def onset_ms(self) -> float:
        """When current first flows, ms from the start of the run."""
        return float(self.segments_ms()[0][0])

    @property
    def end_ms(self) -> float:
        """When the part's last segment ends, ms (``inf`` for a current step)."""
        return float(self.segments_ms()[-1][1])

    def pulse_onsets_ms(self) -> np.ndarray:
        """Onset of every pulse of the part, ms (one for a single pulse; every pulse of a train)."""
        return np.array([self.onset_ms])

    @property
    def parts(self) -> tuple:
        """A part is a stimulus of one part."""
        return (self,)

    def check_grid(self, dt_ms: float) -> None:
        """ValueError naming the field whose time is not a whole number of steps of ``dt_ms``."""
        for name in self._grid_fields:
            value = getattr(self, name)
            if not math.isinf(value):
                grid_steps(name, value, dt_ms)

    def unit_waveform(self, dt_ms: float, n_steps: int) -> np.ndarray:
        """The shape of unit amplitude on the grid, its mean over every step, shape ``(n_steps,)``.

        Examples
        --------
        >>> from hhlib import Pulse
        >>> Pulse(1e-7).unit_waveform(dt_ms=0.025, n_steps=12).astype(int).tolist()
        [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]
        """
        self.check_grid(dt_ms)
        w = np.zeros(n_steps)
        self._fill(w, dt_ms)
        return w

    def _fill(self, w, dt_ms):
        n_steps = w.size
        for t0, t1, v0, v1 in self.segments_ms():
            s0 = min(round(t0 / dt_ms), n_steps)
            s1 = n_steps if math.isinf(t1) else min(round(t1 / dt_ms), n_steps)
            if v0 == v1:
                w[s0:s1] += v0
            elif s1 > s0:
                k = np.arange(s0, s1) + 0.5 - t0 / dt_ms           # step midpoints, in steps from t0
                w[s0:s1] += v0 + (v1 - v0) * k / ((t1 - t0) / dt_ms)

    def shape_at(self, t_ms: float) -> float:
        """Unit shape at time ``t_ms`` (ms), exactly (segments are half-open, ``[t_start, t_stop)``)."""
        total = 0.0
        for t0, t1, v0, v1 in self.segments_ms():
            if t0 <= t_ms < t1:
                total += v0 if v0 == v1 else v0 + (v1 - v0) * (t_ms - t0) / (t1 - t0)
        return total

    def breakpoints_ms(self) -> np.ndarray:
        """Every time at which the shape jumps or bends, ms, sorted (finite ones)."""
        pts = {t for seg in self.segments_ms() for t in seg[:2] if math.isfinite(t)}
        return np.array(sorted(pts))

    def __add__(self, other):
        return Stimulus((self,)) + other

    def __radd__(self, other):
        return Stimulus.of(other) + self

    def __mul__(self, factor):
        return self.with_amplitude(self.amplitude_uA * real_array("factor", factor))

    __rmul__ = __mul__



@dataclass(frozen=True, eq=False)
class Stimulus:
    """Parts that add up (see the module docstring); build it with ``+`` or ``Stimulus(parts)``.

    Attributes
    ----------
    parts : tuple of Part
        In the order given; ``vary=k`` of the threshold searches names ``parts[k]``.

    Examples
    --------
    >>> import hhlib
    >>> pair = hhlib.Pulse(1.5e-7) + hhlib.Pulse([5e-8, 1e-7], delay_ms=1.1)
    >>> len(pair.parts), pair.cond_shape, pair.onset_ms
    (2, (2,), 0.1)
    """

    parts: tuple

    def __post_init__(self):
        parts = tuple(self.parts) if isinstance(self.parts, (list, tuple)) else None
        if not parts:
            raise ValueError("a Stimulus needs at least one part (a Pulse, BiphasicPulse, PulseTrain, Waveform or "
                             f"Ramp), got {self.parts!r}")
        for i, p in enumerate(parts):
            if not isinstance(p, Part):
                raise TypeError(f"Stimulus parts[{i}] must be a stimulus part (Pulse, BiphasicPulse, PulseTrain, "
                                f"Waveform, Ramp), got {type(p).__name__}")
        object.__setattr__(self, "parts", parts)
        _ = self.cond_shape                               # the amplitudes must broadcast

    @classmethod
    def of(cls, stimulus) -> Stimulus:
        """``stimulus`` as a :class:`Stimulus` (a part becomes a stimulus of one part)."""
        return stimulus if isinstance(stimulus, Stimulus) else cls(stimulus.parts if isinstance(stimulus, Part)
                                                                   else (stimulus,))

    def __add__(self, other) -> Stimulus:
        if not isinstance(other, (Part, Stimulus)):
            return NotImplemented
        return Stimulus(self.parts + other.parts)

    def __radd__(self, other) -> Stimulus:
        if other == 0:                                    # sum([a, b, c]) starts from 0
            return self
        return NotImplemented

    @property
    def amplitudes_uA(self) -> tuple:
        """Every part's amplitude array, µA."""
        return tuple(p.amplitude_uA for p in self.parts)

    @property
    def cond_shape(self) -> tuple:
        """Broadcast shape of the parts' amplitudes."""
        try:
            return np.broadcast_shapes(*(a.shape for a in self.amplitudes_uA))
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in self.amplitudes_uA)
            raise ValueError(f"the parts' amplitude_uA arrays must broadcast against each other, got shapes "
                             f"{shapes}") from None

    @property
    def onset_ms(self) -> float:
        """Earliest onset of any part, ms (first-spike latencies are measured from it)."""
        return min(p.onset_ms for p in self.parts)

    @property
    def end_ms(self) -> float:
        """Latest end of any part, ms (``inf`` with a current step)."""
        return max(p.end_ms for p in self.parts)

    @property
    def shortest_phase_ms(self) -> float:
        return min(p.shortest_phase_ms for p in self.parts)

    def pulse_onsets_ms(self) -> np.ndarray:
        """Onsets of every pulse of every part, ms, sorted."""
        return np.sort(np.concatenate([p.pulse_onsets_ms() for p in self.parts]))

    def check_grid(self, dt_ms: float) -> None:
        for p in self.parts:
            p.check_grid(dt_ms)

    def unit_waveforms(self, dt_ms: float, n_steps: int) -> np.ndarray:
        """Every part's unit waveform on the grid, shape ``(n_parts, n_steps)``."""
        return np.stack([p.unit_waveform(dt_ms, n_steps) for p in self.parts])

    def breakpoints_ms(self) -> np.ndarray:
        return np.unique(np.concatenate([p.breakpoints_ms() for p in self.parts]))

    def current_uA(self, t_ms: float, amplitudes=None) -> float:
        """Total current at time ``t_ms`` for scalar amplitudes (default: the parts' own), µA."""
        amps = self.amplitudes_uA if amplitudes is None else amplitudes
        return float(sum(float(a) * p.shape_at(t_ms) for a, p in zip(amps, self.parts, strict=True)))

    def with_amplitudes(self, amplitudes) -> Stimulus:
        """The same parts with these amplitudes (one per part, µA)."""
        amps = tuple(amplitudes)
        if len(amps) != len(self.parts):
            raise ValueError(f"amplitudes must give one amplitude per part ({len(self.parts)}), got {len(amps)}")
        return Stimulus(tuple(p.with_amplitude(a) for p, a in zip(self.parts, amps, strict=True)))

    def with_part(self, k: int, part) -> Stimulus:
        """The stimulus with ``parts[k]`` replaced."""
        k = self.check_vary(k)
        return Stimulus(self.parts[:k] + (part,) + self.parts[k + 1:])

    def check_vary(self, vary, name: str = "vary"):
        """``vary`` as a part index in ``range(len(parts))`` (negative counts from the end), or None."""
        if vary is None:
            return None
        n = len(self.parts)
        k = check_int(name, vary, minimum=-n, maximum=n - 1)
        return k % n

    def __repr__(self):
        return " + ".join(repr(p) for p in self.parts)

    def __len__(self):
        return len(self.parts)
