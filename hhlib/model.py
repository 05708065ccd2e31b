"""Hodgkin-Huxley membrane physics: parameters, gate rates, currents, steady states.

Conventions
-----------
* Voltages are in mV **relative to rest** (rest = 0 mV here, -65 mV absolute), as in
  Hodgkin & Huxley (1952) and in the seed project.
* Time in ms, rates in 1/ms, conductance densities in mS/cm², capacitance in µF/cm²,
  current densities in µA/cm², currents in µA, areas in cm².

This module is pure physics: it knows no time loop and no integrator. The simulator
(:mod:`hhlib.simulate`) owns time stepping.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from .validation import check_real

__all__ = [
    "HHParameters",
    "HH1952",
    "SEED_MODEL",
    "temperature_factor",
    "alpha_m",
    "beta_m",
    "alpha_h",
    "beta_h",
    "alpha_n",
    "beta_n",
    "gate_rates",
    "steady_state",
    "ionic_current",
    "ionic_equilibrium",
    "initial_state",
]


@dataclass(frozen=True)
class HHParameters:
    """Parameters of a single-compartment Hodgkin-Huxley membrane with current noise.

    Immutable; make variants with :func:`dataclasses.replace`.

    Examples
    --------
    >>> import dataclasses, hhlib
    >>> warm = dataclasses.replace(hhlib.HH1952, rate_factor=3.0)
    >>> warm.g_na
    120.0
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
    noise_dt_ref_ms: float = 0.0025  # reference step dt0 at which the noise equals Rattay's/the seed's, ms
    v_rest_abs_mV: float = -65.0  # absolute resting potential, mV (only used for plotting/reporting)
    name: str = "custom"  # label used in plots and reports

    def __post_init__(self):
        for f in fields(self):
            if f.name == "name":
                if not isinstance(self.name, str):
                    raise TypeError(f"name must be a str, got {type(self.name).__name__}")
                continue
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
                raise TypeError(f"{f.name} must be a real number, got {type(value).__name__}")
            if not math.isfinite(value):
                raise ValueError(f"{f.name} must be finite, got {value!r}")
        for name in ("g_na", "g_k", "g_l", "knoise"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        for name in ("c_m", "rate_factor", "noise_dt_ref_ms"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.g_na + self.g_k + self.g_l <= 0:
            raise ValueError("g_na, g_k and g_l are all 0 mS/cm²: a membrane without any conductance has no "
                             "resting potential and cannot be integrated; give at least one of them a value > 0")

    @property
    def max_reversal_mV(self) -> float:
        """Highest reversal potential of the model's currents, mV above rest (an upper bound of ``E_ion``)."""
        return max(self.e_na, self.e_k, self.e_l)

    @property
    def has_noise(self) -> bool:
        """True if the model carries current noise (``knoise > 0``)."""
        return self.knoise > 0.0


def temperature_factor(temperature_celsius: float, q10: float = 3.0, reference_celsius: float = 6.3) -> float:
    """Rate factor ``k = q10 ** ((T - T_ref) / 10)`` (dimensionless).

    Examples
    --------
    >>> round(temperature_factor(6.3), 6)
    1.0
    >>> round(temperature_factor(28.9), 1)  # the seed's k = 12 is about 29 °C
    12.0
    """
    t = check_real("temperature_celsius", temperature_celsius, low=-273.15, unit="°C")
    q10 = check_real("q10", q10, low=0.0, low_open=True)
    t_ref = check_real("reference_celsius", reference_celsius, low=-273.15, unit="°C")
    log_k = (t - t_ref) / 10.0 * math.log(q10)
    k = math.exp(log_k) if abs(log_k) < 700.0 else (math.inf if log_k > 0 else 0.0)
    if not 0.0 < k < math.inf:
        raise ValueError(f"temperature_factor = q10 ** ((T - T_ref)/10) = {k!r} for q10 = {q10!r}, "
                         f"T = {t!r} °C, T_ref = {t_ref!r} °C: not a usable rate factor (must be finite and > 0)")
    return float(k)


#: Hodgkin & Huxley (1952): squid giant axon at 6.3 °C, no noise.
HH1952 = HHParameters(name="HH1952")

#: The seed project's node (Rattay, Lutter & Felix 2001 style): conductances x10, rates x12
#: (about 29 °C), current noise knoise = 5e-5 µA/mS^0.5 at dt0 = 2.5 µs.
SEED_MODEL = HHParameters(
    g_na=1200.0, g_k=360.0, g_l=3.0, rate_factor=12.0, knoise=5e-5, name="SEED_MODEL"
)


def _x_over_expm1(x):
    """``x / (exp(x) - 1)`` with the removable singularity at 0 filled by its limit 1."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-6
    safe = np.where(small, 1.0, x)
    with np.errstate(over="ignore"):
        regular = safe / np.expm1(safe)
    return np.where(small, 1.0 - 0.5 * x, regular)


def alpha_m(v_mV, k: float = 1.0):
    """Na activation opening rate, 1/ms: ``k * 0.1 (25 - V) / (exp((25 - V)/10) - 1)``; 1·k at V = 25."""
    return k * _x_over_expm1((25.0 - np.asarray(v_mV, dtype=float)) / 10.0)


def beta_m(v_mV, k: float = 1.0):
    """Na activation closing rate, 1/ms: ``k * 4 exp(-V/18)``."""
    return k * 4.0 * np.exp(-np.asarray(v_mV, dtype=float) / 18.0)


def alpha_h(v_mV, k: float = 1.0):
    """Na inactivation recovery rate, 1/ms: ``k * 0.07 exp(-V/20)``."""
    return k * 0.07 * np.exp(-np.asarray(v_mV, dtype=float) / 20.0)


def beta_h(v_mV, k: float = 1.0):
    """Na inactivation rate, 1/ms: ``k / (exp((30 - V)/10) + 1)``."""
    return k / (np.exp((30.0 - np.asarray(v_mV, dtype=float)) / 10.0) + 1.0)


def alpha_n(v_mV, k: float = 1.0):
    """K activation opening rate, 1/ms: ``k * 0.01 (10 - V) / (exp((10 - V)/10) - 1)``; 0.1·k at V = 10."""
    return k * 0.1 * _x_over_expm1((10.0 - np.asarray(v_mV, dtype=float)) / 10.0)


def beta_n(v_mV, k: float = 1.0):
    """K activation closing rate, 1/ms: ``k * 0.125 exp(-V/80)``."""
    return k * 0.125 * np.exp(-np.asarray(v_mV, dtype=float) / 80.0)


def gate_rates(v_mV, params: HHParameters):
    """All six rates at ``v_mV`` for ``params`` (temperature factor applied), 1/ms.

    Returns
    -------
    tuple of arrays
        ``(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n)``, each shaped like ``v_mV``.
    """
    k = params.rate_factor
    return (
        alpha_m(v_mV, k), beta_m(v_mV, k),
        alpha_h(v_mV, k), beta_h(v_mV, k),
        alpha_n(v_mV, k), beta_n(v_mV, k),
    )


def steady_state(v_mV, params: HHParameters):
    """Steady-state gates ``(m_inf, h_inf, n_inf)`` at ``v_mV`` (dimensionless, in [0, 1])."""
    am, bm, ah, bh, an, bn = gate_rates(v_mV, params)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


def ionic_current(v_mV, m, h, n, params: HHParameters):
    """Total ionic current density, µA/cm² (positive = outward):
    ``gNa m³h (V - ENa) + gK n⁴ (V - EK) + gL (V - EL)``."""
    v = np.asarray(v_mV, dtype=float)
    return (
        params.g_na * m**3 * h * (v - params.e_na)
        + params.g_k * n**4 * (v - params.e_k)
        + params.g_l * (v - params.e_l)
    )


def ionic_equilibrium(m, h, n, params: HHParameters):
    """Membrane ionic equilibrium (chord) potential ``E_ion = Σ g_i E_i / Σ g_i``, mV relative to rest.

    The potential towards which the ionic currents alone, with the gates frozen, drive the membrane
    (``I_ion = g_tot (V - E_ion)``); it depends on the gates only. The spike rule (:mod:`hhlib.spikes`) uses it.

    Examples
    --------
    >>> import hhlib
    >>> _, m0, h0, n0 = initial_state(hhlib.HH1952)
    >>> abs(float(ionic_equilibrium(m0, h0, n0, hhlib.HH1952))) < 0.1    # rest is an equilibrium
    True
    """
    g_na = params.g_na * np.asarray(m, dtype=float) ** 3 * h
    g_k = params.g_k * np.asarray(n, dtype=float) ** 4
    return (g_na * params.e_na + g_k * params.e_k + params.g_l * params.e_l) / (g_na + g_k + params.g_l)


def initial_state(params: HHParameters):
    """Resting initial condition: ``(V, m, h, n)`` with V = 0 mV and gates at steady state there."""
    m0, h0, n0 = steady_state(0.0, params)
    return 0.0, float(m0), float(h0), float(n0)
