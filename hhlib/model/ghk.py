"""Goldman-Hodgkin-Katz (constant-field) currents: :class:`GHKCurrent` and its chord conductance :func:`ghk_factor`.

The current of an ion of charge ``z`` through a membrane of permeability ``P`` (Goldman 1943; Hodgkin & Katz
1949; as used for the node of Ranvier by Frankenhaeuser & Huxley 1964), at the absolute membrane potential
``E = v_rest_abs_mV + V``::

    I = P z F u (c_in - c_out exp(-u)) / (1 - exp(-u)),      u = z F E / (R T)

With ``P`` in cm/s, concentrations in mM (= 1e-6 mol/cm³) and ``F`` in C/mol this is exactly µA/cm²
(cm/s x C/mol x 1e-6 mol/cm³ = 1e-6 A/cm²). It reverses at the Nernst potential
``E_X = (R T / z F) ln(c_out / c_in)``.

How it enters the step: like every current, as a conductance and a reversal at the present V. The conductance
is the **chord** conductance ``I(V) / (V - E_X)`` (its reversal the fixed Nernst potential), which the engines
freeze over a step exactly like an ohmic conductance; the ``solve_ivp`` reference uses the exact current.
Chord or slope (``dI/dV`` at the present V, with the moving reversal ``V - I / (dI/dV)``)? Measured on
:data:`hhlib.models.FH1964` (area 1e-6 cm², threshold of a pulse against the ``solve_ivp`` reference
:func:`hhlib.reference.reference_threshold`, 0.8676190 nA for 0.1 ms; ``benchmarks/ghk_linearisation.py``),
the error of hhlib's exponential-Euler step with each linearisation:

=====================  ==========  ===========  ===========
pulse                  dt (µs)     chord        slope
=====================  ==========  ===========  ===========
0.1 ms                 2.5         -0.0097 %    -0.0116 %
0.1 ms                 1.25        -0.0020 %    -0.0029 %
0.02 ms                2.5         -0.106 %     -0.113 %
1 ms                   2.5         -0.0003 %    +0.0008 %
=====================  ==========  ===========  ===========

The chord is more accurate in every case (both are second order in dt: the gates, not the curvature of the
GHK current, dominate the error). It also needs no derivative and no reversal per step (the engines keep a
fixed reversal per current), and keeps the spike rule exact:
``I_ion = g_tot (V - E_ion)`` with ``E_ion = sum g E / sum g`` of the chord conductances and fixed Nernst
potentials. hhlib uses the chord.

:func:`ghk_factor` is the chord conductance per unit permeability, written with :func:`linoid` (no 0/0 at
``E = 0`` nor at ``V = E_X``, where the current's formula has removable singularities) and without underflow
for any V (see its notes).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..validation import check_int, check_real
from .description import IonicCurrent, _gate_pairs, linoid

__all__ = ["GHKCurrent", "ghk_factor", "ghk_current_density", "thermal_voltage_mV", "nernst_potential_mV",
           "FARADAY", "GAS_CONSTANT", "ZERO_CELSIUS_K"]

#: Faraday constant, C/mol (CODATA 2018, exact).
FARADAY = 96485.33212
#: Molar gas constant, J/(mol K) (CODATA 2018, exact).
GAS_CONSTANT = 8.314462618
#: 0 °C in kelvin.
ZERO_CELSIUS_K = 273.15


def thermal_voltage_mV(temperature_celsius: float) -> float:
    """``R T / F`` in mV at ``temperature_celsius`` (°C): 25.26 mV at 20 °C.

    Examples
    --------
    >>> round(thermal_voltage_mV(20.0), 4)
    25.2617
    """
    t = check_real("temperature_celsius", temperature_celsius, low=-ZERO_CELSIUS_K, low_open=True, unit="°C")
    return 1e3 * GAS_CONSTANT * (t + ZERO_CELSIUS_K) / FARADAY


def nernst_potential_mV(z: int, c_in_mM: float, c_out_mM: float, temperature_celsius: float) -> float:
    """Nernst potential ``(R T / z F) ln(c_out / c_in)``, absolute mV.

    Examples
    --------
    >>> round(nernst_potential_mV(1, 13.74, 114.5, 22.03), 3)    # Na+ of Frankenhaeuser & Huxley (1964)
    53.932
    """
    return thermal_voltage_mV(temperature_celsius) / z * math.log(c_out_mM / c_in_mM)


def ghk_factor(v_mV, k_per_mV, v_rest_abs_mV, u_nernst, scale):
    """Chord conductance of a GHK current per unit permeability, mS/cm² per (cm/s): ``I(V) / (P (V - E_X))``.

    Parameters
    ----------
    v_mV : float or ndarray
        Membrane potential, mV relative to rest.
    k_per_mV : float
        ``z F / (R T)``, 1/mV.
    v_rest_abs_mV : float
        Absolute resting potential, mV.
    u_nernst : float
        ``ln(c_out / c_in)`` (= ``k E_X``, the Nernst potential in units of ``R T / z F``).
    scale : float
        ``z F c_in k``, mS/cm² per (cm/s) (positive: ``z k = z² F / R T``).

    Notes
    -----
    With ``u = k E`` (``E`` absolute) and ``w = u - u_nernst = k (V - E_X)``, and ``c_out = c_in exp(u_nernst)``,
    the chord conductance is ``I / (P (V - E_X)) = scale * L(-u) / L(-w)`` with ``L`` = :func:`linoid`
    (``L(-x) = x / (1 - exp(-x))``): both removable singularities (``E = 0``, ``V = E_X``) are ``L(0) = 1``.
    For large negative ``u`` or ``w``, ``L(-x)`` underflows like ``|x| exp(x)``; the identity
    ``L(-x) = exp(min(x, 0)) L(-|x|)`` moves the exponentials into one bounded factor
    ``exp(min(u, 0) - min(w, 0))`` (between ``min(1, c_out/c_in)`` and ``max(1, c_out/c_in)``), so the result is
    finite for every V and accurate to about ``1e-16 |u|`` relative (2e-14 at |V| = 5 V). ``min(x, 0)`` is
    written ``(x - abs(x)) / 2`` (exact). Only arithmetic,
    ``abs``, ``np.exp`` and :func:`linoid`: numba compiles it for the CPU and GPU kernels.
    """
    u = k_per_mV * (v_mV + v_rest_abs_mV)
    w = u - u_nernst
    return scale * np.exp(0.5 * (u - abs(u)) - 0.5 * (w - abs(w))) * linoid(-abs(u)) / linoid(-abs(w))


def ghk_current_density(v_mV, permeability, z, c_in_mM, c_out_mM, temperature_celsius, v_rest_abs_mV):
    """The GHK current density of a permeability ``P`` (cm/s) at V (mV relative to rest), µA/cm² (outward > 0).

    ``P (V - E_X) * ghk_factor(V, ...)``: the exact current-voltage relation (module docstring).

    Examples
    --------
    >>> round(float(ghk_current_density(0.0, 8e-3, 1, 13.74, 114.5, 22.03, -70.0)), 1)   # FH1964's Na, all open
    -257804.4
    """
    params = _params(z, c_in_mM, c_out_mM, temperature_celsius, v_rest_abs_mV)
    e_rel = params[2] / params[0] - v_rest_abs_mV
    v = np.asarray(v_mV, dtype=float)
    return permeability * (v - e_rel) * ghk_factor(v, *params)


def _params(z, c_in_mM, c_out_mM, temperature_celsius, v_rest_abs_mV) -> tuple:
    """``(k_per_mV, v_rest_abs_mV, u_nernst, scale)`` of :func:`ghk_factor`."""
    k = z / thermal_voltage_mV(temperature_celsius)
    return (k, float(v_rest_abs_mV), math.log(c_out_mM / c_in_mM), z * FARADAY * c_in_mM * k)


@dataclass(frozen=True)
class GHKCurrent(IonicCurrent):
    """A Goldman-Hodgkin-Katz current ``P prod(x_i ** p_i) z F u (c_in - c_out e^-u) / (1 - e^-u)`` (µA/cm²).

    ``u = z F (v_rest_abs_mV + V) / (R T)`` with the model's ``v_rest_abs_mV`` and ``temperature_celsius``
    (:class:`hhlib.model.Membrane` fields). In the engines it is its chord conductance at the present V with
    the Nernst potential as reversal (module docstring: why chord).

    Attributes
    ----------
    name : str
    permeability : float
        Maximal permeability ``P``, cm/s (>= 0); also :attr:`g_max`, the current's scale for the engines (the
        conductance is ``g_max * prod(x ** p) * factor(V)``, ``factor`` in mS/cm² per cm/s).
    z : int
        Charge of the ion (e.g. 1 for Na+ and K+, 2 for Ca2+, -1 for Cl-).
    c_in_mM, c_out_mM : float
        Inside and outside concentrations, mM (> 0: the Nernst potential needs both).
    gates : tuple of (str, int)
        ``(gate name, exponent)`` pairs, e.g. ``(("m", 2), ("h", 1))``.

    Examples
    --------
    >>> import hhlib.models
    >>> na = hhlib.models.FH1964.currents[0]
    >>> na.name, na.permeability, na.g_max, round(na.reversal_mV(hhlib.models.FH1964), 3)
    ('na', 0.008, 0.008, 123.932)
    """

    name: str
    permeability: float
    z: int
    c_in_mM: float
    c_out_mM: float
    gates: tuple = ()

    factor = staticmethod(ghk_factor)

    @property
    def g_max(self) -> float:
        """The permeability, cm/s: what the engines multiply by the gates and :func:`ghk_factor`."""
        return self.permeability

    def factor_params(self, model) -> tuple:
        """``(k_per_mV, v_rest_abs_mV, u_nernst, scale)`` of :func:`ghk_factor` in ``model``."""
        return _params(self.z, self.c_in_mM, self.c_out_mM, _temperature(self, model), model.v_rest_abs_mV)

    def reversal_mV(self, model) -> float:
        """The Nernst potential, mV relative to rest."""
        return nernst_potential_mV(self.z, self.c_in_mM, self.c_out_mM, _temperature(self, model)) - \
            model.v_rest_abs_mV

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"GHKCurrent name must be a non-empty str (noise densities and traces find currents by "
                            f"name), got {self.name!r}")
        what = f"GHKCurrent {self.name!r}"
        object.__setattr__(self, "permeability", check_real(f"{what} permeability", self.permeability, low=0.0,
                                                            unit="cm/s"))
        z = check_int(f"{what} z", self.z, minimum=-3, maximum=3)
        if z == 0:
            raise ValueError(f"{what} z must be the ion's charge, a nonzero integer in [-3, 3], got 0")
        object.__setattr__(self, "z", z)
        for field in ("c_in_mM", "c_out_mM"):
            object.__setattr__(self, field, check_real(f"{what} {field}", getattr(self, field), low=0.0,
                                                       low_open=True, unit="mM"))
        object.__setattr__(self, "gates", _gate_pairs(self.name, self.gates, kind="GHKCurrent"))


def _temperature(current, model) -> float:
    t = getattr(model, "temperature_celsius", None)
    if t is None:
        raise ValueError(f"GHK current {current.name!r} needs the model's temperature_celsius (°C, for RT/F), "
                         f"but model {getattr(model, 'name', '?')!r} has temperature_celsius = None: give "
                         "Membrane(..., temperature_celsius=...)")
    return t
