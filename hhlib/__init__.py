"""hhlib: noisy Hodgkin-Huxley neurons, firing probabilities, and fits that converge.

Main entry points
-----------------
- :data:`HH1952`, :data:`SEED_MODEL`, :class:`HHParameters`, :class:`Membrane` (:class:`Gate`,
  :class:`Current`) - membrane models, described once (model.py); :class:`CurrentNoise` and
  :class:`ChannelNoise` (noise.py; channel schemes in channels.py)
- :class:`Pulse`, :class:`BiphasicPulse`, :class:`PulseTrain`, :class:`Waveform`, :class:`Ramp` and their sums
  (:class:`Stimulus`: ``conditioner + probe``) - stimuli (stimulus/); spike-train measures (observables.py)
- :func:`simulate`, :func:`firing_probability` - the stochastic simulator (simulate.py)
- :func:`count_spikes`, :func:`spike_times` - the spike rule (spikes.py); :func:`threshold_current` (thresholds.py)
- :func:`binomial_ci`, :func:`probit_fit` - binomial statistics (stats.py)
- :func:`sweep` - firing probabilities over grids, on any executor (sweep.py)
- :func:`load_data`, :func:`save_data`, :func:`predict`, :func:`fit` - data (physical units, latency, protocol),
  the normalised model, the fit (data.py, normalised.py, fit.py)
- :func:`battery`, :class:`BatteryResult`, :func:`battery_table` - the single-fibre battery of a model (threshold,
  strength-duration, refractoriness, facilitation, biphasic ratio, x50/RS, latency/jitter, spontaneous rate) next
  to published data (battery.py, published.py)
- :func:`explore`, :class:`Explorer` - the slider explorer (hhlib/viz/explorer.py), loaded on first use

Layers (docs/architecture.md): this package is the core (numpy, scipy, numba only); :mod:`hhlib.viz` draws
(matplotlib, ipywidgets) and :mod:`hhlib.studies` holds the notebooks' computations and caches.
``import hhlib`` loads neither; ``hhlib.explore`` and ``hhlib.Explorer`` import :mod:`hhlib.viz.explorer`
when first used.
"""
import sys as _sys

if _sys.argv[:1] == ["-m"]:          # `python -m hhlib ...` is starting: Ctrl-C now exits 130 with one line
    from ._startup import quiet_interrupt as _quiet_interrupt
    _quiet_interrupt()

from . import model, models, observables, published, seeds, spikes, stats, thresholds
from .battery import BatteryResult, battery, battery_table
from .data import FiringData, Protocol, load_data, save_data
from .fit import FitResult, fit
from .model import HH1952, SEED_MODEL, Current, Gate, HHParameters, Membrane, temperature_factor
from .noise import ChannelNoise, CurrentNoise
from .normalised import (
    DEFAULT_SETUP,
    NormalisedSetup,
    Prediction,
    channel_noise_setup,
    deviance_loss,
    mse_loss,
    predict,
)
from .seeds import SeedRecord
from .simulate import NonFiniteError, SimulationResult, firing_probability, simulate
from .spikes import count_spikes, crossing_times, spike_times
from .stats import binomial_ci, binomial_deviance, probit_curve, probit_fit
from .stimulus import BiphasicPulse, Pulse, PulseTrain, Ramp, Stimulus, Waveform, parse_stimulus
from .sweep import SweepResult, sweep
from .thresholds import threshold_current

__version__ = "0.1.0"

__all__ = [
    "HH1952", "SEED_MODEL", "HHParameters", "Membrane", "Gate", "Current", "CurrentNoise", "ChannelNoise", "SeedRecord",
    "temperature_factor",
    "Pulse", "BiphasicPulse", "PulseTrain", "Waveform", "Ramp", "Stimulus", "parse_stimulus",
    "simulate", "SimulationResult", "NonFiniteError", "firing_probability",
    "threshold_current", "count_spikes", "crossing_times", "spike_times",
    "binomial_ci", "binomial_deviance", "probit_curve", "probit_fit",
    "sweep", "SweepResult",
    "load_data", "save_data", "FiringData", "Protocol", "predict", "Prediction",
    "NormalisedSetup", "DEFAULT_SETUP", "channel_noise_setup", "mse_loss", "deviance_loss",
    "fit", "FitResult",
    "battery", "BatteryResult", "battery_table", "published",
    "explore", "Explorer",
    "model", "models", "observables", "seeds", "spikes", "stats", "thresholds",
]

_LAZY_VIZ = ("explore", "Explorer")


def __getattr__(name):
    """``hhlib.explore`` and ``hhlib.Explorer``: imported from :mod:`hhlib.viz.explorer` on first use.

    The only place where the core refers to :mod:`hhlib.viz`; it keeps ``import hhlib`` free of
    matplotlib, ipywidgets and IPython.
    """
    if name in _LAZY_VIZ:
        from .viz import explorer
        return getattr(explorer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_VIZ))
