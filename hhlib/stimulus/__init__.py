"""Stimuli: pulses, biphasic pulses, pulse trains, sampled waveforms and ramps, and their sums.

- :mod:`.parts` - the parts (:class:`Pulse`, :class:`BiphasicPulse`, :class:`PulseTrain`, :class:`Waveform`,
  :class:`Ramp`), each an amplitude (µA) times a shape in time, exact on the time grid;
- :mod:`.base` - :class:`Part` (what every part provides) and :class:`Stimulus`, parts that add up
  (``conditioner + probe``);
- :mod:`.compound` - :func:`as_stimulus`: anything given as a stimulus (numbers mean ``Pulse(amplitude)``);
- :mod:`.text` - the text form of a stimulus (data-file headers, the command line): :func:`parse_stimulus`;
- :mod:`.grid` - :func:`grid_steps`: times are whole numbers of steps, never moved.

Every function of hhlib that simulates takes a stimulus object; nothing above this package passes pulse
timings as loose numbers.
"""
from .base import Part, Stimulus
from .compound import STIMULUS_TYPES, as_stimulus
from .grid import GRID_TOLERANCE, grid_steps
from .parts import BiphasicPulse, Pulse, PulseTrain, Ramp, Waveform, check_ends_by
from .text import parse_stimulus

__all__ = ["Part", "Pulse", "BiphasicPulse", "PulseTrain", "Waveform", "Ramp", "Stimulus", "as_stimulus",
           "parse_stimulus", "grid_steps", "check_ends_by", "GRID_TOLERANCE", "STIMULUS_TYPES"]
