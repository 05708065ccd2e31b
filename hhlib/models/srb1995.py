"""Schwarz, Reid & Bostock (1995): the human node of Ranvier, with a Goldman-Hodgkin-Katz sodium current, fast
and slow potassium currents and a leak; taken to 37 °C.

Source: Schwarz, J. R., Reid, G. & Bostock, H. (1995). Action potentials and membrane currents in the human node
of Ranvier. Pflügers Arch. 430, 283-292 (rates at 20 °C with Q10s). The equations and constants were read from a
public NEURON mechanism (``srb.mod``, "SRB channel", nodal area 50 µm², rates relative to rest at 20 °C with the
Q10s) and the rates checked against a second public implementation (the Lua channel library ``chlib``: "Swarz,
Reid, Bostock", the same eight rates in absolute voltage at 20 °C with the same Q10s). hhlib's code is its own.
The paper's equation numbers could not be checked here, so none are quoted.

The membrane (V in mV relative to the resting potential E_r = -84 mV; absolute E = V - 84 mV)::

    C dV/dt = I_stim - I_Na - I_Kf - I_Ks - I_L,        C = 2.8 µF/cm² (1.4 pF / 50 µm²)
    I_Na = P_Na m³ h GHK(E; [Na]i, [Na]o)               P_Na = 7.04e-3 cm/s, [Na]o = 154, [Na]i = 35 mM
    I_Kf = g_Kf n⁴ (V - V_K)                            g_Kf = 30 mS/cm², V_K = -84 mV absolute (V = 0)
    I_Ks = g_Ks s  (V - V_K)                            g_Ks = 60 mS/cm²
    I_L  = g_L (V - V_L)                                g_L  = 60 mS/cm²

Rates at 20 °C (1/ms, V relative to rest; ``Vm = V - 84`` absolute in brackets), each multiplied here by its
Q10 factor to 37 °C, ``Q10 ** 1.7``: 2.2 (m: x3.82), 2.9 (h: x6.12), 3.0 (n, s: x6.47)::

    alpha_m = 1.86 (V - 65.6) / (1 - exp((65.6 - V)/10.3))        [Vm + 18.4]
    beta_m  = 0.086 (61.3 - V) / (1 - exp((V - 61.3)/9.16))       [Vm + 22.7]
    alpha_h = 0.0336 (-27 - V) / (1 - exp((V + 27)/11))           [Vm + 111]
    beta_h  = 2.3 / (1 + exp((55.2 - V)/13.4))                    [Vm + 28.8]
    alpha_n = 0.00798 (V + 9.2) / (1 - exp((-9.2 - V)/1.1))       [Vm + 93.2]
    beta_n  = 0.0142 (8 - V) / (1 - exp((V - 8)/10.5))            [Vm + 76]
    alpha_s = 0.00122 (V - 71.5) / (1 - exp((71.5 - V)/23.6))     [Vm + 12.5]
    beta_s  = 0.000739 (3.9 - V) / (1 - exp((V - 3.9)/21.8))      [Vm + 80.1]

Temperature. 37 °C (body temperature, as the model is used in human and auditory-nerve fibre models): each gate's
rates carry its own Q10 factor (hhlib has one ``rate_factor`` for all gates, so the factors are in the rate
functions and ``rate_factor = 1``), and T = 310.15 K in the GHK term. At 20 °C (``srb.mod``'s default; the
paper's measurements) every rate is 3.8-6.5 times slower: rebuild with the 20 °C rates (divide by the factors)
and ``temperature_celsius = 20``; a single ``rate_factor`` cannot express the three different Q10s.

Where the sources disagree: [Na]i is 35 mM in ``srb.mod`` (taken: E_Na = +39.6 mV absolute at 37 °C); models
derived from this node (e.g. the human auditory-nerve model of Smit et al.) use a [Na]o/[Na]i ratio of 7.21
(E_Na = +52.8 mV absolute), which raises the sodium driving force but lowers the 0.1 ms threshold by only
0.3 % (leak rebalanced; measured). The leak reversal
is the rest, -84 mV, in ``srb.mod``; hhlib computes it (:func:`leak_reversal_mV`) so that rest is an exact fixed
point: it then absorbs the resting sodium current, V_L = -0.22 mV relative to rest (-84.22 mV absolute).

Channel noise. No channel numbers are published with the model. ``hhlib.ChannelNoise(na_per_um2, k_per_um2,
other_per_um2=(("ks", ...),))`` with densities from a single-channel conductance: ``ChannelNoise.for_model(
SRB1995, gamma_pS=20)`` gives Na (from the GHK chord conductance at rest with all gates open, 2753 mS/cm²:
1376 per µm²) and fast K (``10 x 30 / 20`` = 15 per µm²); the slow K current stays deterministic unless named.

Step. hhlib's default ``dt_ms = 0.0025`` gives the 0.1 ms threshold within 0.1 % of its ``solve_ivp``
reference (``tests/core/test_node_models.py``): the recommended step is the default. Test area: 50 µm²
(5e-7 cm², the nodal area ``srb.mod`` assumes).
"""
from __future__ import annotations

import numpy as np

from ..model.description import Current, Gate, Membrane, linoid
from ..model.ghk import GHKCurrent
from .fh1964 import leak_reversal_mV

__all__ = ["SRB1995", "SRB1995_GATES", "Q10_FACTORS"]

#: Q10 factors from 20 to 37 °C, ``Q10 ** 1.7``, per gate (built into the rate functions as literals).
Q10_FACTORS = {"m": 2.2 ** 1.7, "h": 2.9 ** 1.7, "n": 3.0 ** 1.7, "s": 3.0 ** 1.7}


def alpha_m(v):
    """Na activation opening rate at 37 °C, 1/ms: ``2.2^1.7 x 1.86 (V - 65.6) / (1 - exp((65.6 - V)/10.3))``."""
    return 2.2 ** 1.7 * 1.86 * 10.3 * linoid((65.6 - v) / 10.3)


def beta_m(v):
    """Na activation closing rate at 37 °C, 1/ms: ``2.2^1.7 x 0.086 (61.3 - V) / (1 - exp((V - 61.3)/9.16))``."""
    return 2.2 ** 1.7 * 0.086 * 9.16 * linoid((v - 61.3) / 9.16)


def alpha_h(v):
    """Na inactivation recovery rate at 37 °C, 1/ms: ``2.9^1.7 x 0.0336 (-27 - V) / (1 - exp((V + 27)/11))``."""
    return 2.9 ** 1.7 * 0.0336 * 11.0 * linoid((v + 27.0) / 11.0)


def beta_h(v):
    """Na inactivation rate at 37 °C, 1/ms: ``2.9^1.7 x 2.3 / (1 + exp((55.2 - V)/13.4))``."""
    return 2.9 ** 1.7 * 2.3 / (np.exp((55.2 - v) / 13.4) + 1.0)


def alpha_n(v):
    """Fast K activation opening rate at 37 °C, 1/ms: ``3^1.7 x 0.00798 (V + 9.2) / (1 - exp((-9.2 - V)/1.1))``."""
    return 3.0 ** 1.7 * 0.00798 * 1.1 * linoid((-9.2 - v) / 1.1)


def beta_n(v):
    """Fast K activation closing rate at 37 °C, 1/ms: ``3^1.7 x 0.0142 (8 - V) / (1 - exp((V - 8)/10.5))``."""
    return 3.0 ** 1.7 * 0.0142 * 10.5 * linoid((v - 8.0) / 10.5)


def alpha_s(v):
    """Slow K activation opening rate at 37 °C, 1/ms: ``3^1.7 x 0.00122 (V - 71.5) / (1 - exp((71.5 - V)/23.6))``."""
    return 3.0 ** 1.7 * 0.00122 * 23.6 * linoid((71.5 - v) / 23.6)


def beta_s(v):
    """Slow K activation closing rate at 37 °C, 1/ms: ``3^1.7 x 0.000739 (3.9 - V) / (1 - exp((V - 3.9)/21.8))``."""
    return 3.0 ** 1.7 * 0.000739 * 21.8 * linoid((v - 3.9) / 21.8)


#: The four gates of Schwarz, Reid & Bostock (1995), at 37 °C.
SRB1995_GATES = (Gate("m", alpha_m, beta_m), Gate("h", alpha_h, beta_h), Gate("n", alpha_n, beta_n),
                 Gate("s", alpha_s, beta_s))

#: Absolute resting potential, mV.
V_REST_ABS_MV = -84.0


def _membrane(e_leak: float) -> Membrane:
    currents = (GHKCurrent("na", 7.04e-3, 1, 35.0, 154.0, (("m", 3), ("h", 1))), Current("k", 30.0, 0.0, (("n", 4),)),
                Current("ks", 60.0, 0.0, (("s", 1),)), Current("leak", 60.0, e_leak))
    return Membrane(gates=SRB1995_GATES, currents=currents, c_m=2.8, rate_factor=1.0, noise=None,
                    v_rest_abs_mV=V_REST_ABS_MV, name="SRB1995", temperature_celsius=37.0)


#: Schwarz, Reid & Bostock (1995), human node at 37 °C (module docstring): GHK Na (m³h), fast K (n⁴), slow K
#: (s), leak; C = 2.8 µF/cm², rest -84 mV, per-gate Q10s in the rates, rate factor 1, no noise.
SRB1995 = _membrane(leak_reversal_mV(_membrane(0.0)))
