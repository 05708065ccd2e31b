"""CRRSS: the rabbit node of Ranvier of Chiu, Ritchie, Rogart, Stagg & Sweeney (1979) / Sweeney, Mortimer &
Durand (1987): sodium (m² h, ohmic) and leak only, no potassium current, at 37 °C.

Sources: Chiu, S. Y., Ritchie, J. M., Rogart, R. B. & Stagg, D. (1979). A quantitative description of membrane
currents in rabbit myelinated nerve. J. Physiol. 292, 149-166; Sweeney, J. D., Mortimer, J. T. & Durand, D.
(1987). Modeling of mammalian myelinated nerve for functional neuromuscular stimulation. Proc. 9th Annu. Conf.
IEEE EMBS, 1577-1578 (its rate constants and conductances, with the corrections of Basser & Roth 1991, Med.
Biol. Eng. Comput. 29, 261-268). The equations and constants were read from PySONIC (``PySONIC/neurons/
sweeney.py``, T. Lemaire, ``SweeneyNode``, which cites both); hhlib's code is its own. The papers' equation
numbers could not be checked here, so none are quoted.

The membrane (V in mV relative to the resting potential E_r = -80 mV; ``Vm = V - 80`` absolute)::

    C dV/dt = I_stim - I_Na - I_L,                      C = 2.5 µF/cm²
    I_Na = g_Na m² h (V - V_Na)                         g_Na = 1445 mS/cm², V_Na = 115.64 mV (35.64 mV absolute)
    I_L  = g_L (V - V_L)                                g_L  = 128 mS/cm²

Rates (1/ms, ``Vm`` absolute, mV)::

    alpha_m = (126 + 0.363 Vm) / (1 + exp(-(Vm + 49) / 5.3))     beta_m = alpha_m / exp((Vm + 56.2) / 4.17)
    beta_h  = 15.6 / (1 + exp(-(Vm + 56) / 10))                  alpha_h = beta_h / exp((Vm + 74.5) / 5)

``alpha_m`` is linear in ``Vm`` and turns negative below Vm = -347 mV (V = -267 mV), far outside any
physiological range: the published form is kept (hhlib's rate checks report it should a run go there).

Temperature. The rates are those of the rabbit node at 37 °C, ``rate_factor = 1``; the paper states no
temperature factor for other temperatures (Sweeney et al. 1987 and Rattay's comparisons use the model at
37 °C only). For a cooler node set ``rate_factor`` (one factor for both gates) with :func:`dataclasses.replace`.
No current is of the GHK form, so ``temperature_celsius`` (37) enters nothing.

Rest. The leak reversal is not copied (PySONIC: -80.01 mV absolute) but computed (:func:`leak_reversal_mV`):
the value that makes V = 0 with both gates at their steady state an exact fixed point, -0.0107 mV (-80.0107 mV
absolute, the published -80.01 mV to its precision).

Channel noise. The sources give no channel numbers and there is no potassium current:
``ChannelNoise(na_per_um2=NA_PER_UM2_20PS, k_per_um2=None)`` makes the sodium current stochastic with 20 pS
channels (``10 g_Na / 20 pS`` = 722.5 channels per µm²; :meth:`hhlib.ChannelNoise.for_model` needs a ``"k"``
current and refuses this model).

Sources disagree on the sodium reversal: 115 mV above rest in Rattay's tables, 35.64 mV absolute (115.64 mV)
in PySONIC (after Basser & Roth 1991). hhlib takes 115.64 mV; 115 mV (leak rebalanced) lowers the peak of an
action potential at 1.5x threshold by 0.5 mV and raises the 0.1 ms threshold by 0.15 % (measured).

Step. hhlib's default ``dt_ms = 0.0025`` gives the 0.1 ms threshold within 0.1 % of its ``solve_ivp``
reference (``tests/core/test_node_models.py``): the recommended step is the default. Test area: 30 µm² (3e-7
cm²), a node of about 10 µm diameter and 1 µm length.
"""
from __future__ import annotations

import numpy as np

from ..model.description import Current, Gate, Membrane
from .fh1964 import leak_reversal_mV

__all__ = ["CRRSS", "CRRSS_GATES", "NA_PER_UM2_20PS", "alpha_m", "beta_m", "alpha_h", "beta_h"]


def alpha_m(v):
    """Na activation opening rate, 1/ms: ``(126 + 0.363 Vm) / (1 + exp(-(Vm + 49)/5.3))``, ``Vm = V - 80``."""
    vm = v - 80.0
    return (126.0 + 0.363 * vm) / (1.0 + np.exp(-(vm + 49.0) / 5.3))


def beta_m(v):
    """Na activation closing rate, 1/ms: ``alpha_m / exp((Vm + 56.2)/4.17)`` (one division, no overflow of the
    quotient of two exponentials)."""
    vm = v - 80.0
    return (126.0 + 0.363 * vm) / (np.exp((vm + 56.2) / 4.17) + np.exp((vm + 56.2) / 4.17 - (vm + 49.0) / 5.3))


def beta_h(v):
    """Na inactivation rate, 1/ms: ``15.6 / (1 + exp(-(Vm + 56)/10))``."""
    vm = v - 80.0
    return 15.6 / (1.0 + np.exp(-(vm + 56.0) / 10.0))


def alpha_h(v):
    """Na inactivation recovery rate, 1/ms: ``beta_h / exp((Vm + 74.5)/5)``."""
    vm = v - 80.0
    return 15.6 / (np.exp((vm + 74.5) / 5.0) + np.exp((vm + 74.5) / 5.0 - (vm + 56.0) / 10.0))


#: The two gates of CRRSS.
CRRSS_GATES = (Gate("m", alpha_m, beta_m), Gate("h", alpha_h, beta_h))

#: Absolute resting potential, mV.
V_REST_ABS_MV = -80.0
#: Sodium reversal, mV relative to rest (35.64 mV absolute).
E_NA = 35.64 - V_REST_ABS_MV
#: Na channel density for 20 pS channels, per µm² (``10 g_Na / 20``).
NA_PER_UM2_20PS = 10.0 * 1445.0 / 20.0


def _membrane(e_leak: float) -> Membrane:
    return Membrane(gates=CRRSS_GATES, currents=(Current("na", 1445.0, E_NA, (("m", 2), ("h", 1))),
                                                 Current("leak", 128.0, e_leak)),
                    c_m=2.5, rate_factor=1.0, noise=None, v_rest_abs_mV=V_REST_ABS_MV, name="CRRSS",
                    temperature_celsius=37.0)


#: CRRSS (module docstring): Na (m² h, ohmic) and leak, C = 2.5 µF/cm², rest -80 mV, 37 °C, rate factor 1.
CRRSS = _membrane(leak_reversal_mV(_membrane(0.0)))
