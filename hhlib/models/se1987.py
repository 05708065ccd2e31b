"""Schwarz & Eikhof (1987): the rat node of Ranvier at 37 °C, with Goldman-Hodgkin-Katz sodium and potassium
currents and a leak.

Source: Schwarz, J. R. & Eikhof, G. (1987). Na currents and action potentials in rat myelinated nerve fibres at
20 and 37 °C. Pflügers Arch. 409, 569-577; as tabulated for 37 °C by Rattay & Aberham (1993), Modeling axon
membranes for functional electrical stimulation, IEEE Trans. Biomed. Eng. 40, 1201-1209. The equations and
constants were read from a public NEURON mechanism (``se.mod``, "Schwarz and Eikhof model on rat nodes", which
states the 37 °C values and Q10s) and checked against a second public implementation of the rates (the Lua
channel library ``chlib``, "SE-model ... cited from Rattay and Aberham, 1993"; the same 37 °C rates, and the
20 °C rates times the Q10s in ``na_schwarz1987.mod``/``k_schwarz1987.mod`` of the ``cochlea`` package). hhlib's
code is its own. The papers' equation numbers could not be checked here, so none are quoted.

The membrane (V in mV relative to the resting potential E_r = -78 mV; absolute E = V - 78 mV)::

    C dV/dt = I_stim - I_Na - I_K - I_L,               C = 2.8 µF/cm²
    I_Na = P_Na m³ h GHK(E; [Na]i, [Na]o)              P_Na = 3.28e-3 cm/s, [Na]o = 154, [Na]i = 8.71 mM
    I_K  = P_K  n²   GHK(E; [K]i,  [K]o)               P_K  = 1.34e-4 cm/s, [K]o = 5.9,  [K]i = 155 mM
    I_L  = g_L (V - V_L)                               g_L  = 86 mS/cm²

Rates at 37 °C (1/ms, V relative to rest)::

    alpha_m = 1.87 (V - 25.41) / (1 - exp((25.41 - V)/6.06))   beta_m = 3.97 (21 - V) / (1 - exp((V - 21)/9.41))
    alpha_h = 0.55 (-27.74 - V) / (1 - exp((V + 27.74)/9.06))  beta_h = 22.6 / (1 + exp((56 - V)/12.5))
    alpha_n = 0.13 (V - 35) / (1 - exp((35 - V)/10))           beta_n = 0.32 (10 - V) / (1 - exp((V - 10)/10))

Temperature. 37 °C (310.15 K) in the GHK terms and for the rates: ``rate_factor = 1``. The rates are the 20 °C
rates of Schwarz & Eikhof scaled with Q10 = 2.2 (m), 2.9 (h) and 3.0 (n) to 37 °C; hhlib has one factor for all
gates, so another temperature is ``rate_factor`` (an average Q10) plus ``temperature_celsius`` (RT/F), with the
leak rebalanced by :func:`leak_reversal_mV`.

Sources disagree on the potassium current. ``se.mod`` (followed here) gives it the GHK form with a
permeability; the model has also been written with an ohmic potassium current ``g_K n² (V - V_K)``. The GHK
potassium current has a chord conductance of 10.5 mS/cm² at rest with all gates open and a Nernst potential of
-87.4 mV absolute (-9.36 mV relative to rest); at rest n² = 7.4e-4, so the form of the K current does not move
the 0.1 ms threshold, only the repolarisation. The capacitance, 2.8 µF/cm², is Rattay & Aberham's value for
this model as quoted in later comparisons (``se.mod`` does not state one; not checked in the paper here);
2.0 µF/cm² (Frankenhaeuser-Huxley's) would lower the 0.1 ms threshold by 9 % (measured).

Rest. The leak reversal is computed (:func:`leak_reversal_mV`) so that V = 0 with every gate at its steady
state is an exact fixed point: V_L = +0.00025 mV relative to rest, i.e. ``se.mod``'s V_L = rest = -78 mV to
its precision.

Channel noise. No channel numbers are published with the model. ``hhlib.ChannelNoise.for_model(SE1987,
gamma_pS=...)`` derives densities from a single-channel conductance and each GHK current's chord conductance at
rest with all gates open (:meth:`hhlib.model.MembraneModel.maximal_conductance`): 968.5 mS/cm² for Na and
10.5 mS/cm² for K, so 484.3 Na and 5.27 K channels per µm² at 20 pS (the default;
``tests/core/test_node_models.py`` checks RS ~ N^-1/2 with them).

Step. hhlib's default ``dt_ms = 0.0025`` gives the 0.1 ms threshold within 0.1 % of its ``solve_ivp``
reference (``tests/core/test_node_models.py``): the recommended step is the default. Test area: 50 µm²
(5e-7 cm², the nodal area ``se.mod`` assumes).
"""
from __future__ import annotations

import numpy as np

from ..model.description import Current, Gate, Membrane, linoid
from ..model.ghk import GHKCurrent
from .fh1964 import leak_reversal_mV

__all__ = ["SE1987", "SE1987_GATES", "alpha_m", "beta_m", "alpha_h", "beta_h", "alpha_n", "beta_n"]


def alpha_m(v):
    """Na activation opening rate, 1/ms: ``1.87 (V - 25.41) / (1 - exp((25.41 - V)/6.06))``."""
    return 1.87 * 6.06 * linoid((25.41 - v) / 6.06)


def beta_m(v):
    """Na activation closing rate, 1/ms: ``3.97 (21 - V) / (1 - exp((V - 21)/9.41))``."""
    return 3.97 * 9.41 * linoid((v - 21.0) / 9.41)


def alpha_h(v):
    """Na inactivation recovery rate, 1/ms: ``0.55 (-27.74 - V) / (1 - exp((V + 27.74)/9.06))``."""
    return 0.55 * 9.06 * linoid((v + 27.74) / 9.06)


def beta_h(v):
    """Na inactivation rate, 1/ms: ``22.6 / (1 + exp((56 - V)/12.5))``."""
    return 22.6 / (np.exp((56.0 - v) / 12.5) + 1.0)


def alpha_n(v):
    """K activation opening rate, 1/ms: ``0.13 (V - 35) / (1 - exp((35 - V)/10))``."""
    return 1.3 * linoid((35.0 - v) / 10.0)


def beta_n(v):
    """K activation closing rate, 1/ms: ``0.32 (10 - V) / (1 - exp((V - 10)/10))``."""
    return 3.2 * linoid((v - 10.0) / 10.0)


#: The three gates of Schwarz & Eikhof (1987).
SE1987_GATES = (Gate("m", alpha_m, beta_m), Gate("h", alpha_h, beta_h), Gate("n", alpha_n, beta_n))

#: Leak conductance, mS/cm².
G_LEAK = 86.0
#: Absolute resting potential, mV.
V_REST_ABS_MV = -78.0


def _membrane(e_leak: float) -> Membrane:
    currents = (GHKCurrent("na", 3.28e-3, 1, 8.71, 154.0, (("m", 3), ("h", 1))),
                GHKCurrent("k", 1.34e-4, 1, 155.0, 5.9, (("n", 2),)), Current("leak", G_LEAK, e_leak))
    return Membrane(gates=SE1987_GATES, currents=currents, c_m=2.8, rate_factor=1.0, noise=None,
                    v_rest_abs_mV=V_REST_ABS_MV, name="SE1987", temperature_celsius=37.0)


#: Schwarz & Eikhof (1987), rat node (module docstring): GHK Na (m³h) and K (n²), leak; C = 2.8 µF/cm², rest
#: -78 mV, 37 °C, rate factor 1, no noise.
SE1987 = _membrane(leak_reversal_mV(_membrane(0.0)))
