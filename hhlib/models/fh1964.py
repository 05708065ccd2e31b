"""Frankenhaeuser & Huxley (1964): the node of Ranvier of *Xenopus laevis*, with Goldman-Hodgkin-Katz currents.

Source: Frankenhaeuser, B. & Huxley, A. F. (1964). The action potential in the myelinated nerve fibre of
*Xenopus laevis* as computed on the basis of voltage clamp data. J. Physiol. 171, 302-315 (rate constants
from Frankenhaeuser 1960-1963). The equations and constants were read from two public implementations of
the paper, which agree on every value used here: ModelDB 3507 (``fh.mod``, M. Hines, NEURON; the version with
``celsius = 20``) and PySONIC (``PySONIC/neurons/fh.py``, T. Lemaire, ``FrankenhaeuserHuxleyNode``). hhlib's
code is its own (the rates rewritten with :func:`hhlib.model.linoid`). The equation numbers of the paper could
not be checked here, so none are quoted.

The membrane (V in mV relative to the resting potential E_r = -70 mV; absolute E = V - 70 mV)::

    C dV/dt = I_stim - I_Na - I_K - I_P - I_L,          C = 2 µF/cm²
    I_Na = P_Na m² h  GHK(E; [Na]i, [Na]o)              P_Na = 8e-3 cm/s
    I_K  = P_K  n²    GHK(E; [K]i,  [K]o)               P_K  = 1.2e-3 cm/s
    I_P  = P_P  p²    GHK(E; [Na]i, [Na]o)              P_P  = 0.54e-3 cm/s (non-specific, carried by Na+)
    I_L  = g_L (V - V_L)                                g_L  = 30.3 mS/cm²
    GHK(E; ci, co) = E F²/(R T) (ci - co exp(-E F/R T)) / (1 - exp(-E F/R T))
    [Na]o = 114.5, [Na]i = 13.74, [K]o = 2.5, [K]i = 120 mM

Rates (1/ms, V in mV relative to rest)::

    alpha_m = 0.36 (V - 22) / (1 - exp((22 - V)/3))       beta_m = 0.4 (13 - V) / (1 - exp((V - 13)/20))
    alpha_h = 0.1 (-10 - V) / (1 - exp((V + 10)/6))       beta_h = 4.5 / (1 + exp((45 - V)/10))
    alpha_n = 0.02 (V - 35) / (1 - exp((35 - V)/10))      beta_n = 0.05 (10 - V) / (1 - exp((V - 10)/10))
    alpha_p = 0.006 (V - 40) / (1 - exp((40 - V)/10))     beta_p = 0.09 (-25 - V) / (1 - exp((V + 25)/20))

Temperature. The paper's computations used T = 295.18 K (22.03 °C) in the GHK terms; ModelDB's ``fh.mod`` and
PySONIC evaluate them at 20 °C (293.15 K). hhlib takes 295.18 K: it is the temperature at which the paper's
leak reversal V_L = 0.026 mV makes rest a fixed point (the leak reversal that balances the resting GHK
currents is 0.0261 mV at 295.18 K, 0.0251 mV at 293.15 K; checked in ``tests/core/test_models.py``). At
293.15 K the Nernst potentials move by -0.7 % (E_Na 123.56 instead of 123.93 mV above rest) and the 0.1 ms
threshold by a fraction of a percent. The rates are the published ones, for the experiments' temperature
(about 20 °C): ``rate_factor = 1``. For another temperature set ``rate_factor`` (one factor for all gates in
hhlib; ``fh.mod`` uses Q10 = 2.2 for m, 2.9 for h and 3 for n and p, relative to 20 °C) and
``temperature_celsius`` (RT/F) with :func:`dataclasses.replace`; a new temperature moves the resting GHK
currents, so rebalance the leak with :func:`leak_reversal_mV` to keep V = 0 a fixed point.

Rest. The leak reversal is not copied but computed (:func:`leak_reversal_mV`): the value that makes V = 0
with every gate at its steady state an exact fixed point (``I_ion(0) = 0``, to rounding: about 1e-16
µA/cm²); it is V_L = 0.026 mV of the paper to the paper's precision.

Channel noise. FH1964 gives no channel numbers. ``hhlib.ChannelNoise.for_model(FH1964, gamma_pS=...)`` derives
densities from a single-channel conductance, each GHK current's conductance taken as its chord conductance at
rest with all gates open (``model.maximal_conductance``: 2080 mS/cm² for Na, so 1040 Na channels per µm² at
20 pS, the order of the Na channel density of a node of Ranvier).
"""
from __future__ import annotations

import numpy as np

from ..model.description import Current, Gate, Membrane, linoid
from ..model.ghk import GHKCurrent

__all__ = ["FH1964", "FH1964_GATES", "leak_reversal_mV",
           "alpha_m", "beta_m", "alpha_h", "beta_h", "alpha_n", "beta_n", "alpha_p", "beta_p"]


def alpha_m(v):
    """Na activation opening rate, 1/ms: ``0.36 (V - 22) / (1 - exp((22 - V)/3))``; 1.08 at V = 22 mV."""
    return 1.08 * linoid((22.0 - v) / 3.0)


def beta_m(v):
    """Na activation closing rate, 1/ms: ``0.4 (13 - V) / (1 - exp((V - 13)/20))``; 8 at V = 13 mV."""
    return 8.0 * linoid((v - 13.0) / 20.0)


def alpha_h(v):
    """Na inactivation recovery rate, 1/ms: ``0.1 (-10 - V) / (1 - exp((V + 10)/6))``; 0.6 at V = -10 mV."""
    return 0.6 * linoid((v + 10.0) / 6.0)


def beta_h(v):
    """Na inactivation rate, 1/ms: ``4.5 / (1 + exp((45 - V)/10))``."""
    return 4.5 / (np.exp((45.0 - v) / 10.0) + 1.0)


def alpha_n(v):
    """K activation opening rate, 1/ms: ``0.02 (V - 35) / (1 - exp((35 - V)/10))``; 0.2 at V = 35 mV."""
    return 0.2 * linoid((35.0 - v) / 10.0)


def beta_n(v):
    """K activation closing rate, 1/ms: ``0.05 (10 - V) / (1 - exp((V - 10)/10))``; 0.5 at V = 10 mV."""
    return 0.5 * linoid((v - 10.0) / 10.0)


def alpha_p(v):
    """Non-specific activation opening rate, 1/ms: ``0.006 (V - 40) / (1 - exp((40 - V)/10))``; 0.06 at 40 mV."""
    return 0.06 * linoid((40.0 - v) / 10.0)


def beta_p(v):
    """Non-specific activation closing rate, 1/ms: ``0.09 (-25 - V) / (1 - exp((V + 25)/20))``; 1.8 at -25 mV."""
    return 1.8 * linoid((v + 25.0) / 20.0)


#: The four gates of Frankenhaeuser & Huxley (1964).
FH1964_GATES = (Gate("m", alpha_m, beta_m), Gate("h", alpha_h, beta_h), Gate("n", alpha_n, beta_n),
                Gate("p", alpha_p, beta_p))

#: Leak conductance, mS/cm².
G_LEAK = 30.3
#: Absolute resting potential, mV.
V_REST_ABS_MV = -70.0
#: The temperature of the paper's GHK terms, °C (295.18 K).
TEMPERATURE_CELSIUS = 295.18 - 273.15


def _ghk_currents() -> tuple:
    return (GHKCurrent("na", 8e-3, 1, 13.74, 114.5, (("m", 2), ("h", 1))),
            GHKCurrent("k", 1.2e-3, 1, 120.0, 2.5, (("n", 2),)),
            GHKCurrent("p", 0.54e-3, 1, 13.74, 114.5, (("p", 2),)))


def _membrane(e_leak: float) -> Membrane:
    return Membrane(gates=FH1964_GATES, currents=_ghk_currents() + (Current("leak", G_LEAK, e_leak),), c_m=2.0,
                    rate_factor=1.0, noise=None, v_rest_abs_mV=V_REST_ABS_MV, name="FH1964",
                    temperature_celsius=TEMPERATURE_CELSIUS)


def leak_reversal_mV(model: Membrane) -> float:
    """The leak reversal (mV relative to rest) that makes rest a fixed point of ``model``: the sum of the other
    currents at V = 0 (gates at steady state) divided by the leak conductance."""
    gates = model.steady_state(0.0)
    others = sum(float(g * (0.0 - e)) for g, e, c in zip(model.conductances(gates, 0.0), model.reversals(),
                                                         model.currents, strict=True) if c.name != "leak")
    return others / model.maximal_conductance("leak")


#: Frankenhaeuser & Huxley (1964), *Xenopus* node (module docstring): GHK Na (m²h), K (n²) and non-specific (p²)
#: currents and a leak; C = 2 µF/cm², rest -70 mV, T = 295.18 K, published rates (rate_factor 1), no noise.
FH1964 = _membrane(leak_reversal_mV(_membrane(0.0)))
