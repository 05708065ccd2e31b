"""A stimulus: one or more parts that add up, each keeping its own amplitude.

``conditioner + probe``, ``masker + probe``, ``pre_pulse + pulse``: ``a + b`` is a :class:`Stimulus` with
``parts == (a, b)``. The current is the sum of the parts' currents; each part's ``amplitude_uA`` (a number or
an array) broadcasts against the others' and the area, so ``Pulse(c) + Pulse(p_array, delay_ms=1.1)`` is one
condition per probe amplitude. Every hhlib function that simulates takes a part or a :class:`Stimulus`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import check_int
from .parts import Part, Pulse

__all__ = ["Stimulus", "as_stimulus", "STIMULUS_TYPES"]


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


#: What a function that simulates accepts as its stimulus.
STIMULUS_TYPES = (Part, Stimulus)


def as_stimulus(stimulus, name: str = "stimulus") -> Stimulus:
    """A stimulus object as a :class:`Stimulus`; numbers or arrays of µA mean ``Pulse(amplitude)`` (0.1 ms at 0.1 ms).

    Examples
    --------
    >>> as_stimulus(2e-7).parts
    (Pulse(2e-07, delay_ms=0.1, duration_ms=0.1),)
    """
    if isinstance(stimulus, STIMULUS_TYPES):
        return Stimulus.of(stimulus)
    if isinstance(stimulus, (str, bytes, dict)) or stimulus is None:
        raise TypeError(f"{name} must be a stimulus (hhlib.Pulse, BiphasicPulse, PulseTrain, Waveform, Ramp or a sum "
                        f"of them) or amplitudes in µA, got {stimulus!r}")
    try:
        return Stimulus((Pulse(stimulus),))
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name}: {exc}") from None
