"""hhlib: noisy Hodgkin-Huxley neurons, firing probabilities, and fits that converge."""
from .model import HH1952, SEED_MODEL, HHParameters, temperature_factor
from .stimulus import BiphasicPulse, Pulse
from .simulate import SimulationResult, firing_probability, simulate

__version__ = "0.1.0"
