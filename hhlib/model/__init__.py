"""Membrane models, described once: gates, currents (ohmic or Goldman-Hodgkin-Katz), capacitance, noise.

A model is a frozen dataclass that states its gating particles (:class:`Gate`: opening and closing
rates as functions of V), its ionic currents (:class:`Current`: maximal conductance, gate exponents,
reversal potential; :class:`GHKCurrent`: permeability, ion charge, concentrations), its capacitance, a
temperature factor multiplying every rate, its temperature and its noise. Everything else -- the numpy and
compiled engines, the ``solve_ivp`` reference, the threshold finders, the spike rule -- consumes this
description; no engine names a specific gate.

- :class:`Membrane`: any model, given as gates and currents (see its example).
- :class:`HHParameters`: the Hodgkin-Huxley (1952) membrane with current noise, by its familiar
  parameters (``g_na``, ``knoise``, ...); :data:`HH1952` and :data:`SEED_MODEL` are instances. Make
  variants with :func:`dataclasses.replace`, e.g. ``replace(SEED_MODEL, g_na=0.0)`` (TTX).
- Named, sourced models: :mod:`hhlib.models` (``hhlib.models.FH1964``, ...).

Parts: :mod:`hhlib.model.description` (gates, currents, :class:`MembraneModel`, :class:`Membrane`),
:mod:`hhlib.model.ghk` (GHK currents), :mod:`hhlib.model.hh` (the Hodgkin-Huxley membrane).

Conventions
-----------
* Voltages are in mV **relative to rest** (rest = 0 mV here; ``v_rest_abs_mV`` absolute, -65 mV for
  Hodgkin-Huxley), as in Hodgkin & Huxley (1952) and in the predecessor project.
* Time in ms, rates in 1/ms, conductance densities in mS/cm², permeabilities in cm/s, concentrations in mM,
  capacitance in µF/cm², current densities in µA/cm², currents in µA, areas in cm².
"""
from __future__ import annotations

from .description import (
    Current,
    Gate,
    IonicCurrent,
    Membrane,
    MembraneModel,
    gate_rates,
    initial_state,
    ionic_current,
    ionic_equilibrium,
    linoid,
    steady_state,
    temperature_factor,
)
from .ghk import GHKCurrent, ghk_current_density, ghk_factor, nernst_potential_mV, thermal_voltage_mV
from .hh import HH1952, HH_GATES, SEED_MODEL, HHParameters, alpha_h, alpha_m, alpha_n, beta_h, beta_m, beta_n

__all__ = [
    "Gate", "IonicCurrent", "Current", "GHKCurrent", "MembraneModel", "Membrane", "HHParameters", "HH1952",
    "SEED_MODEL", "HH_GATES", "linoid", "temperature_factor", "ghk_factor", "ghk_current_density",
    "nernst_potential_mV", "thermal_voltage_mV",
    "alpha_m", "beta_m", "alpha_h", "beta_h", "alpha_n", "beta_n",
    "gate_rates", "steady_state", "ionic_current", "ionic_equilibrium", "initial_state",
]
