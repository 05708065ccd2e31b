"""The Hodgkin-Huxley (1952) membrane by its familiar parameters, and the two named instances.

- :class:`HHParameters`: the Hodgkin-Huxley membrane with current noise, by ``g_na``, ``knoise``, ...;
  make variants with :func:`dataclasses.replace`, e.g. ``replace(SEED_MODEL, g_na=0.0)`` (TTX).
- :data:`HH1952` (squid axon, 6.3 °C) and :data:`SEED_MODEL` (the predecessor's node); also
  ``hhlib.models.HH1952`` and ``hhlib.models.SEED_MODEL``.

Voltages in mV relative to rest (-65 mV absolute), as in Hodgkin & Huxley (1952).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np

from ..noise import CurrentNoise
from .description import Current, Gate, MembraneModel, linoid

__all__ = ["HHParameters", "HH_GATES", "HH1952", "SEED_MODEL",
           "alpha_m", "beta_m", "alpha_h", "beta_h", "alpha_n", "beta_n"]


def _hh_alpha_m(v):
    return linoid((25.0 - v) / 10.0)


def _hh_beta_m(v):
    return 4.0 * np.exp(-v / 18.0)


def _hh_alpha_h(v):
    return 0.07 * np.exp(-v / 20.0)


def _hh_beta_h(v):
    return 1.0 / (np.exp((30.0 - v) / 10.0) + 1.0)


def _hh_alpha_n(v):
    return 0.1 * linoid((10.0 - v) / 10.0)


def _hh_beta_n(v):
    return 0.125 * np.exp(-v / 80.0)


def alpha_m(v_mV, k: float = 1.0):
    """Na activation opening rate, 1/ms: ``k * 0.1 (25 - V) / (exp((25 - V)/10) - 1)``; 1·k at V = 25."""
    return k * _hh_alpha_m(np.asarray(v_mV, dtype=float))


def beta_m(v_mV, k: float = 1.0):
    """Na activation closing rate, 1/ms: ``k * 4 exp(-V/18)``."""
    return k * _hh_beta_m(np.asarray(v_mV, dtype=float))


def alpha_h(v_mV, k: float = 1.0):
    """Na inactivation recovery rate, 1/ms: ``k * 0.07 exp(-V/20)``."""
    return k * _hh_alpha_h(np.asarray(v_mV, dtype=float))


def beta_h(v_mV, k: float = 1.0):
    """Na inactivation rate, 1/ms: ``k / (exp((30 - V)/10) + 1)``."""
    return k * _hh_beta_h(np.asarray(v_mV, dtype=float))


def alpha_n(v_mV, k: float = 1.0):
    """K activation opening rate, 1/ms: ``k * 0.01 (10 - V) / (exp((10 - V)/10) - 1)``; 0.1·k at V = 10."""
    return k * _hh_alpha_n(np.asarray(v_mV, dtype=float))


def beta_n(v_mV, k: float = 1.0):
    """K activation closing rate, 1/ms: ``k * 0.125 exp(-V/80)``."""
    return k * _hh_beta_n(np.asarray(v_mV, dtype=float))


#: The Hodgkin-Huxley (1952) gates, shared by every HHParameters model.
HH_GATES = (Gate("m", _hh_alpha_m, _hh_beta_m), Gate("h", _hh_alpha_h, _hh_beta_h), Gate("n", _hh_alpha_n, _hh_beta_n))


@dataclass(frozen=True)
class HHParameters(MembraneModel):
    """A single-compartment Hodgkin-Huxley membrane with current noise, by its parameters.

    Immutable; make variants with :func:`dataclasses.replace`. Its :attr:`gates` and :attr:`currents`
    (the description the engines consume) follow from the fields.

    Examples
    --------
    >>> import dataclasses, hhlib
    >>> warm = dataclasses.replace(hhlib.HH1952, rate_factor=3.0)
    >>> warm.g_na, [c.name for c in warm.currents]
    (120.0, ['na', 'k', 'leak'])
    """

    g_na: float = 120.0  # maximal Na conductance density, mS/cm²
    g_k: float = 36.0  # maximal K conductance density, mS/cm²
    g_l: float = 0.3  # leak conductance density, mS/cm²
    e_na: float = 115.0  # Na reversal potential, mV relative to rest
    e_k: float = -12.0  # K reversal potential, mV relative to rest
    e_l: float = 10.6  # leak reversal potential, mV relative to rest
    c_m: float = 1.0  # membrane capacitance, µF/cm²
    rate_factor: float = 1.0  # temperature factor k multiplying every gate rate (dimensionless)
    knoise: float = 0.0  # current-noise coefficient, µA/mS^0.5 (Rattay et al. 2001); 0 = no noise
    noise_dt_ref_ms: float = 0.0025  # reference step dt0 at which the noise equals Rattay's/the predecessor's, ms
    v_rest_abs_mV: float = -65.0  # absolute resting potential, mV (only used for plotting/reporting)
    name: str = "custom"  # label used in plots and reports

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "name":
                if not isinstance(value, str):
                    raise TypeError(f"name must be a str, got {type(value).__name__}")
            elif isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
                raise TypeError(f"{f.name} must be a real number, got {type(value).__name__}")
            elif not math.isfinite(value):
                raise ValueError(f"{f.name} must be finite, got {value!r}")
        for name in ("g_na", "g_k", "g_l", "knoise"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        for name in ("c_m", "rate_factor", "noise_dt_ref_ms"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        self._check_description()

    gates = HH_GATES

    @cached_property
    def currents(self) -> tuple:
        """Na (m³h), K (n⁴) and leak currents from the fields."""
        return (Current("na", self.g_na, self.e_na, (("m", 3), ("h", 1))),
                Current("k", self.g_k, self.e_k, (("n", 4),)),
                Current("leak", self.g_l, self.e_l))

    @cached_property
    def noise(self):
        """Current noise (:class:`hhlib.CurrentNoise`) scaled by the Na conductance, or None if ``knoise == 0``."""
        if self.knoise == 0:
            return None
        return CurrentNoise(self.knoise, dt_ref_ms=self.noise_dt_ref_ms, scale_current="na")


#: Hodgkin & Huxley (1952): squid giant axon at 6.3 °C, no noise.
HH1952 = HHParameters(name="HH1952")

#: The predecessor project's node (Rattay, Lutter & Felix 2001 style): conductances x10, rates x12
#: (about 29 °C), current noise knoise = 5e-5 µA/mS^0.5 at dt0 = 2.5 µs.
SEED_MODEL = HHParameters(g_na=1200.0, g_k=360.0, g_l=3.0, rate_factor=12.0, knoise=5e-5, name="SEED_MODEL")


