"""Negm & Bruce (2014): a stochastic auditory-nerve node of Ranvier with sodium, fast potassium, low-threshold
potassium (KLT) and hyperpolarisation-activated cation (HCN) currents, at 37 °C.

Source: Negm, M. H. & Bruce, I. C. (2014). The effects of HCN and KLT ion channels on adaptation and
refractoriness in a stochastic auditory nerve model. IEEE Trans. Biomed. Eng. 61, 2749-2759 (after Negm & Bruce
2008, and Imennov & Rubinstein 2009 for the node's channel numbers and single-channel conductances). The
equations and constants were read from the public Brian2 port of the node (Bachmaier et al. 2019, repository
``Ribach/ANF_models_Brian2``, ``models/Negm_2014_node_model.py`` and ``models/Negm_2014.py``) and checked
against the NEURON channel configuration of the ``cochlea`` package (``spiral_ganglion``: the same channel
numbers, single-channel conductances and reversals, "Ref: Negm and Bruce (2008) Table I"), and the KLT and HCN
kinetics against Rothman & Manis (2003, J. Neurophysiol. 89, 3097-3113; ``klt.mod``/``ih.mod`` of
``cnmodel``). hhlib's code is its own. The paper's equation numbers could not be checked here, so none are quoted.

The node (V in mV relative to the resting potential E_r = -78 mV)::

    C dV/dt = I_stim - I_Na - I_K - I_KLT - I_HCN - I_L
    I_Na  = N_Na  g_Na  m³ h  (V - E_Na)  / A      N_Na  = 1000, g_Na  = 25.69 pS, E_Na  = +66 mV absolute
    I_K   = N_K   g_K   n⁴    (V - E_K)   / A      N_K   = 166,  g_K   = 50 pS,    E_K   = -88 mV absolute
    I_KLT = N_KLT g_KLT w⁴ z  (V - E_K)   / A      N_KLT = 166,  g_KLT = 13 pS
    I_HCN = N_HCN g_HCN r     (V - E_HCN) / A      N_HCN = 100,  g_HCN = 13 pS,    E_HCN = -43 mV absolute
    I_L   = (V - E_L) / (R_m A)                    R_m = 1953.49 MΩ
    A = π x 1 µm x 1.5 µm = 4.712 µm² (the node of the Brian2 port), C = 0.1 pF / A = 2.122 µF/cm²

so g_Na = 545.2, g_K = 176.1, g_KLT = 45.8, g_HCN = 27.6 and g_L = 10.86 mS/cm².

Rates, sodium and fast potassium (1/ms, V relative to rest; Schwarz-Eikhof-type kinetics at 37 °C)::

    alpha_m = 1.875 (V - 25.41) / (1 - exp((25.41 - V)/6.06))
    beta_m  = 3.973 (21.001 - V) / (1 - exp((V - 21.001)/9.41))
    alpha_h = 0.549 (-27.74 - V) / (1 - exp((V + 27.74)/9.06))  beta_h = 22.57 / (1 + exp((56 - V)/12.5))
    alpha_n = 0.129 (V - 35) / (1 - exp((35 - V)/10))           beta_n = 0.3236 (35 - V) / (1 - exp((V - 35)/10))

KLT (w⁴ z: activation w, inactivation z) and HCN (r), Rothman & Manis (2003) at 22 °C taken to 37 °C with
Q10 = 3 (KLT, factor 3^1.5 = 5.196) and 3.3 (HCN, 3.3^1.5 = 5.995), as functions of ``u = V - 63.6`` (the
Rothman-Manis voltage; the Brian2 port's constants, e.g. ``13/5 - V/6 = -(u + 48)/6``, are these exactly)::

    w_inf = (1 + exp(-(u + 48)/6))^(-1/4)     tau_w = (100 / (6 exp((u + 60)/6) + 16 exp(-(u + 60)/45)) + 1.5) / 5.196
    z_inf = 0.5 / (1 + exp((u + 71)/10)) + 0.5    tau_z = (1000 / (exp((u + 60)/20) + exp(-(u + 60)/8)) + 50) / 5.196
    r_inf = 1 / (1 + exp((u + 76)/7))         tau_r = (1e5 / (237 exp((u + 60)/12) + 17 exp(-(u + 60)/14)) + 25) / 5.995

and ``alpha = x_inf / tau``, ``beta = (1 - x_inf) / tau`` (ms). At rest w = 0.513, z = 0.662, r = 0.145: KLT and
HCN conduct at rest, and their slow gates (at rest tau_z = 90 ms, tau_r = 89 ms) give the accommodation and
spike-rate adaptation the paper studies.

Temperature. 37 °C, every rate as given (``rate_factor = 1``); the Brian2 port rounds the HCN factor to 6
(0.09 % faster; not taken). No current is of the GHK form; ``temperature_celsius`` (37) enters nothing.

Where the sources disagree:

* alpha_m's slope: the Brian2 port writes 6.6 mV, but its own resting value m = 0.00775 is m_inf with 6.06 mV
  (Schwarz & Eikhof's value; with 6.6 mV m_inf(0) = 0.0110). hhlib takes 6.06 mV. The fast K rates centred at
  35 mV (both alpha_n and beta_n; Schwarz-Eikhof has beta_n centred at 10 mV) are the port's, consistent with
  its resting n = 0.0119.
* Capacitance: 0.1 pF per node in the Brian2 port (taken); the ``cochlea`` package's configuration scales
  conductances with 0.0714 pF. 0.0714 pF (1.515 µF/cm²) lowers the 0.1 ms threshold by 20 % (measured) and
  shortens the membrane time constant by 29 %.

Rest. The leak reversal is computed (:func:`leak_reversal_mV`): V = 0 with every gate at steady state is an
exact fixed point: E_L = -11.0 mV relative to rest (-89.0 mV absolute; the port computes E_L the same way,
from its rounded resting gates).

Channel noise. The model is stochastic in the paper (channel numbers above, per node). :data:`CHANNEL_NOISE`
is ``hhlib.ChannelNoise`` with those numbers as densities over the node's area :data:`NODE_AREA_CM2`
(212.2 Na, 35.2 K, 35.2 KLT and 21.2 HCN channels per µm²): ``simulate(NEGM_BRUCE2014, ..., NODE_AREA_CM2,
noise=CHANNEL_NOISE)`` has 1000, 166, 166 and 100 channels. The model itself carries no default noise.

Step. hhlib's default ``dt_ms = 0.0025`` gives the 0.1 ms threshold within 0.1 % of its ``solve_ivp``
reference (``tests/core/test_node_models.py``): the recommended step is the default. Test area: the node,
4.712 µm².
"""
from __future__ import annotations

import math

import numpy as np

from ..model.description import Current, Gate, Membrane, linoid
from ..noise import ChannelNoise
from .fh1964 import leak_reversal_mV

__all__ = ["NEGM_BRUCE2014", "NEGM_BRUCE2014_GATES", "NODE_AREA_CM2", "CHANNEL_NOISE", "CHANNELS_PER_NODE"]


def alpha_m(v):
    """Na activation opening rate, 1/ms: ``1.875 (V - 25.41) / (1 - exp((25.41 - V)/6.06))``."""
    return 1.875 * 6.06 * linoid((25.41 - v) / 6.06)


def beta_m(v):
    """Na activation closing rate, 1/ms: ``3.973 (21.001 - V) / (1 - exp((V - 21.001)/9.41))``."""
    return 3.973 * 9.41 * linoid((v - 21.001) / 9.41)


def alpha_h(v):
    """Na inactivation recovery rate, 1/ms: ``0.549 (-27.74 - V) / (1 - exp((V + 27.74)/9.06))``."""
    return 0.549 * 9.06 * linoid((v + 27.74) / 9.06)


def beta_h(v):
    """Na inactivation rate, 1/ms: ``22.57 / (1 + exp((56 - V)/12.5))``."""
    return 22.57 / (np.exp((56.0 - v) / 12.5) + 1.0)


def alpha_n(v):
    """K activation opening rate, 1/ms: ``0.129 (V - 35) / (1 - exp((35 - V)/10))``."""
    return 1.29 * linoid((35.0 - v) / 10.0)


def beta_n(v):
    """K activation closing rate, 1/ms: ``0.3236 (35 - V) / (1 - exp((V - 35)/10))``."""
    return 3.236 * linoid((v - 35.0) / 10.0)


def alpha_w(v):
    """KLT activation opening rate ``w_inf / tau_w``, 1/ms (module docstring; ``u = V - 63.6``)."""
    u = v - 63.6
    tau = (100.0 / (6.0 * np.exp((u + 60.0) / 6.0) + 16.0 * np.exp(-(u + 60.0) / 45.0)) + 1.5) / 3.0 ** 1.5
    return np.exp(-0.25 * np.log1p(np.exp(-(u + 48.0) / 6.0))) / tau


def beta_w(v):
    """KLT activation closing rate ``(1 - w_inf) / tau_w``, 1/ms (``1 - w_inf = -expm1(-log1p(x) / 4)``, no
    cancellation where w_inf is near 1)."""
    u = v - 63.6
    tau = (100.0 / (6.0 * np.exp((u + 60.0) / 6.0) + 16.0 * np.exp(-(u + 60.0) / 45.0)) + 1.5) / 3.0 ** 1.5
    return -np.expm1(-0.25 * np.log1p(np.exp(-(u + 48.0) / 6.0))) / tau


def alpha_z(v):
    """KLT inactivation recovery rate ``z_inf / tau_z``, 1/ms."""
    u = v - 63.6
    tau = (1000.0 / (np.exp((u + 60.0) / 20.0) + np.exp(-(u + 60.0) / 8.0)) + 50.0) / 3.0 ** 1.5
    return (0.5 / (1.0 + np.exp((u + 71.0) / 10.0)) + 0.5) / tau


def beta_z(v):
    """KLT inactivation rate ``(1 - z_inf) / tau_z``, 1/ms (``1 - z_inf = 0.5 / (1 + exp(-(u + 71)/10))``)."""
    u = v - 63.6
    tau = (1000.0 / (np.exp((u + 60.0) / 20.0) + np.exp(-(u + 60.0) / 8.0)) + 50.0) / 3.0 ** 1.5
    return 0.5 / (1.0 + np.exp(-(u + 71.0) / 10.0)) / tau


def alpha_r(v):
    """HCN activation opening rate ``r_inf / tau_r``, 1/ms (opens on hyperpolarisation)."""
    u = v - 63.6
    tau = (1e5 / (237.0 * np.exp((u + 60.0) / 12.0) + 17.0 * np.exp(-(u + 60.0) / 14.0)) + 25.0) / 3.3 ** 1.5
    return 1.0 / (1.0 + np.exp((u + 76.0) / 7.0)) / tau


def beta_r(v):
    """HCN activation closing rate ``(1 - r_inf) / tau_r``, 1/ms."""
    u = v - 63.6
    tau = (1e5 / (237.0 * np.exp((u + 60.0) / 12.0) + 17.0 * np.exp(-(u + 60.0) / 14.0)) + 25.0) / 3.3 ** 1.5
    return 1.0 / (1.0 + np.exp(-(u + 76.0) / 7.0)) / tau


#: The six gates: m, h (Na), n (K), w, z (KLT), r (HCN).
NEGM_BRUCE2014_GATES = (Gate("m", alpha_m, beta_m), Gate("h", alpha_h, beta_h), Gate("n", alpha_n, beta_n),
                        Gate("w", alpha_w, beta_w), Gate("z", alpha_z, beta_z), Gate("r", alpha_r, beta_r))

#: Absolute resting potential, mV.
V_REST_ABS_MV = -78.0
#: The node's membrane area, cm²: π x 1 µm x 1.5 µm (4.712 µm²).
NODE_AREA_CM2 = math.pi * 1.0 * 1.5 * 1e-8
#: Channels per node and single-channel conductances (pS), per current.
CHANNELS_PER_NODE = {"na": 1000, "k": 166, "klt": 166, "hcn": 100}
SINGLE_CHANNEL_PS = {"na": 25.69, "k": 50.0, "klt": 13.0, "hcn": 13.0}
#: Node capacitance, pF, and leak resistance, MΩ.
NODE_CAPACITANCE_PF = 0.1
NODE_LEAK_MOHM = 1953.49

_AREA_UM2 = NODE_AREA_CM2 * 1e8


def _g(name: str) -> float:
    """Conductance density of a current, mS/cm²: N gamma / A (1 pS/µm² = 0.1 mS/cm²)."""
    return 0.1 * CHANNELS_PER_NODE[name] * SINGLE_CHANNEL_PS[name] / _AREA_UM2


def _membrane(e_leak: float) -> Membrane:
    rel = -V_REST_ABS_MV
    currents = (Current("na", _g("na"), 66.0 + rel, (("m", 3), ("h", 1))), Current("k", _g("k"), -88.0 + rel,
                                                                                   (("n", 4),)),
                Current("klt", _g("klt"), -88.0 + rel, (("w", 4), ("z", 1))),
                Current("hcn", _g("hcn"), -43.0 + rel, (("r", 1),)),
                Current("leak", 0.1 * 1e6 / NODE_LEAK_MOHM / _AREA_UM2, e_leak))
    return Membrane(gates=NEGM_BRUCE2014_GATES, currents=currents, c_m=NODE_CAPACITANCE_PF * 1e-6 / NODE_AREA_CM2,
                    rate_factor=1.0, noise=None, v_rest_abs_mV=V_REST_ABS_MV, name="NEGM_BRUCE2014",
                    temperature_celsius=37.0)


#: Negm & Bruce (2014) auditory-nerve node (module docstring): Na (m³h), K (n⁴), KLT (w⁴z), HCN (r), leak;
#: C = 2.122 µF/cm², rest -78 mV, 37 °C, rate factor 1, no default noise (see :data:`CHANNEL_NOISE`).
NEGM_BRUCE2014 = _membrane(leak_reversal_mV(_membrane(0.0)))

#: The paper's channel numbers as densities over :data:`NODE_AREA_CM2` (Markov chain; every gated current).
CHANNEL_NOISE = ChannelNoise(CHANNELS_PER_NODE["na"] / _AREA_UM2, CHANNELS_PER_NODE["k"] / _AREA_UM2,
                             other_per_um2=(("klt", CHANNELS_PER_NODE["klt"] / _AREA_UM2),
                                            ("hcn", CHANNELS_PER_NODE["hcn"] / _AREA_UM2)))
