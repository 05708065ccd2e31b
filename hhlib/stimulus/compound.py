"""Anything given as a stimulus, as a :class:`~hhlib.stimulus.base.Stimulus` (:func:`as_stimulus`).

A stimulus is one or more parts that add up, each keeping its own amplitude (:mod:`hhlib.stimulus.base`):
``conditioner + probe``, ``masker + probe``, ``pre_pulse + pulse``: ``a + b`` is a :class:`Stimulus` with
``parts == (a, b)``. The current is the sum of the parts' currents; each part's ``amplitude_uA`` (a number or
an array) broadcasts against the others' and the area, so ``Pulse(c) + Pulse(p_array, delay_ms=1.1)`` is one
condition per probe amplitude. Every hhlib function that simulates takes a part or a :class:`Stimulus`.
"""
from __future__ import annotations

from .base import Part, Stimulus
from .parts import Pulse

__all__ = ["Stimulus", "as_stimulus", "STIMULUS_TYPES"]


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
