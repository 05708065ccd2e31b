"""The model description: gates, currents (of any form), capacitance, temperature, noise.

A model is a frozen dataclass that states its gating particles (:class:`Gate`: opening and closing rates as
functions of V), its ionic currents (:class:`Current`, ohmic: maximal conductance, gate exponents, reversal
potential; :class:`hhlib.model.GHKCurrent`, Goldman-Hodgkin-Katz: permeability, charge, concentrations), its
capacitance, a temperature factor multiplying every rate, its temperature (for RT/F) and its noise.
Everything else -- the engines, the ``solve_ivp`` reference, the threshold finders, the spike rule -- consumes
this description through :class:`MembraneModel`'s methods; no engine names a specific gate or current.

Conventions
-----------
* Voltages are in mV **relative to rest** (``v_rest_abs_mV`` gives the absolute resting potential; a GHK
  current sees the absolute ``v_rest_abs_mV + V``).
* Time in ms, rates in 1/ms, conductance densities in mS/cm², permeabilities in cm/s, concentrations in mM,
  capacitance in µF/cm², current densities in µA/cm², currents in µA, areas in cm².

Rate functions (and the conductance factors of non-ohmic currents) are plain Python functions of V written
with numpy functions (``np.exp``, ...) and :func:`linoid` for the removable singularity of
``x / (exp(x) - 1)``: the same function then runs on numpy arrays (numpy engine, rate tables, reference) and is
compiled by numba for the CPU and GPU kernels. This module knows no time loop and no integrator.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..validation import check_int, check_real

__all__ = [
    "Gate", "IonicCurrent", "Current", "MembraneModel", "Membrane", "linoid", "temperature_factor",
    "gate_rates", "steady_state", "ionic_current", "ionic_equilibrium", "initial_state",
]


# ----------------------------------------------------------------------------- rate building blocks
def linoid(x):
    """``x / (exp(x) - 1)``, with its removable singularity at 0 filled by the limit (1 - x/2 for |x| < 1e-6).

    Works on numpy arrays and scalars; inside numba-compiled code the engine supplies a scalar version.

    Examples
    --------
    >>> float(linoid(0.0)), round(float(linoid(1.0)), 6)
    (1.0, 0.581977)
    """
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-6
    safe = np.where(small, 1.0, x)
    with np.errstate(over="ignore"):
        regular = safe / np.expm1(safe)
    return np.where(small, 1.0 - 0.5 * x, regular)


def linoid_scalar(x):
    """:func:`linoid` of one number (the same formula and branch), written with :mod:`math`: what the compiled
    engines (numba on the CPU and the GPU) use in place of :func:`linoid`."""
    if abs(x) < 1e-6:
        return 1.0 - 0.5 * x
    return x / math.expm1(x)


def temperature_factor(temperature_celsius: float, q10: float = 3.0, reference_celsius: float = 6.3) -> float:
    """Rate factor ``k = q10 ** ((T - T_ref) / 10)`` (dimensionless).

    Examples
    --------
    >>> round(temperature_factor(6.3), 6)
    1.0
    >>> round(temperature_factor(28.9), 1)  # the predecessor's k = 12 is about 29 °C
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


# ----------------------------------------------------------------------------- the description
@dataclass(frozen=True)
class Gate:
    """A gating particle ``x`` with ``dx/dt = k [alpha(V) (1 - x) - beta(V) x]``, k the model's rate factor.

    Attributes
    ----------
    name : str
        Its name, used by :class:`Current` (e.g. ``"m"``).
    alpha, beta : callable
        Opening and closing rates at the reference temperature, 1/ms, as functions of V (mV relative to
        rest); numpy functions and :func:`linoid` only, so that numba can compile them.
    """

    name: str
    alpha: Callable
    beta: Callable

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"Gate name must be an identifier, got {self.name!r}")
        for which in ("alpha", "beta"):
            if not callable(getattr(self, which)):
                raise TypeError(f"Gate {self.name!r}: {which} must be a function of V (mV), got "
                                f"{type(getattr(self, which)).__name__}")


class IonicCurrent:
    """What every ionic current states (the base of :class:`Current` and :class:`hhlib.model.GHKCurrent`).

    A current contributes, at the present V, a conductance ``g_max * prod(x_i ** p_i) * factor(V, *params)``
    (mS/cm²) and a reversal potential (mV relative to rest): ``I = g (V - E)``. For an ohmic current ``factor``
    is None (1); a current of another form sets it to a plain module-level function ``factor(v_mV, *params)``,
    its *chord* conductance per unit of ``g_max`` at V (numpy functions and :func:`linoid` only, so that numba
    compiles it for the CPU and GPU kernels), with ``params`` from :meth:`factor_params`. The engines then
    linearise every current the same way (the exponential-Euler voltage step stays unconditionally stable), the
    reference integrates ``g(V) (V - E)`` exactly, and the spike rule's ``E_ion = sum g_i E_i / sum g_i`` holds
    for any current.
    """

    #: The conductance factor function (None: ohmic).
    factor = None

    def reversal_mV(self, model) -> float:
        """Reversal potential in ``model``, mV relative to rest."""
        raise NotImplementedError

    def factor_params(self, model) -> tuple:
        """Parameters of :attr:`factor` in ``model`` (none for an ohmic current)."""
        return ()


@dataclass(frozen=True)
class Current(IonicCurrent):
    """An ohmic ionic current ``g_max * prod(x_i ** p_i) * (V - e_rev)`` (a leak when it has no gates).

    Attributes
    ----------
    name : str
    g_max : float
        Maximal conductance density, mS/cm² (>= 0).
    e_rev : float
        Reversal potential, mV relative to rest.
    gates : tuple of (str, int)
        ``(gate name, exponent)`` pairs, e.g. ``(("m", 3), ("h", 1))``; empty for an ungated current.
    """

    name: str
    g_max: float
    e_rev: float
    gates: tuple = ()

    def reversal_mV(self, model) -> float:
        """Reversal potential in ``model``, mV relative to rest (``e_rev``)."""
        return self.e_rev

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"Current name must be a non-empty str (noise densities and traces find currents by "
                            f"name), got {self.name!r}")
        check_real(f"Current {self.name!r} g_max", self.g_max, low=0.0, unit="mS/cm²")
        check_real(f"Current {self.name!r} e_rev", self.e_rev, unit="mV")
        object.__setattr__(self, "gates", _gate_pairs(self.name, self.gates))


def _gate_pairs(current: str, gates, kind: str = "Current") -> tuple:
    """``gates`` of current ``current`` (a ``kind``) as a tuple of ``(gate name, integer exponent >= 1)``, each
    gate once."""
    what = f"{kind} {current!r} gates"
    if isinstance(gates, (str, bytes)) or not isinstance(gates, (tuple, list)):
        raise TypeError(f"{what} must be a tuple of (gate name, exponent) pairs, e.g. (('m', 3), ('h', 1)), "
                        f"got {gates!r}")
    if len(gates) == 2 and isinstance(gates[0], str) and not isinstance(gates[1], (tuple, list)):
        raise TypeError(f"{what} must be a tuple of (gate name, exponent) pairs, got the bare pair {tuple(gates)!r}: "
                        f"write gates=({tuple(gates)!r},)")
    pairs = []
    for i, pair in enumerate(gates):
        if isinstance(pair, (str, bytes)) or not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"{what}[{i}] must be a (gate name, exponent) pair, e.g. ('m', 3), got {pair!r} "
                            f"(for one gate write gates=(({pair!r}, ...),), a tuple of pairs)")
        name, p = pair
        if not isinstance(name, str):
            raise TypeError(f"{what}[{i}] gate name must be a str, got {name!r}")
        pairs.append((name, check_int(f"{what}[{i}] exponent (of gate {name!r})", p, minimum=1)))
    names = [g for g, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError(f"{what} name a gate twice ({names}): give each gate once, with its total exponent")
    return tuple(pairs)


class MembraneModel:
    """What every membrane model provides (mixed into frozen dataclasses).

    Subclasses define the attributes ``gates`` (tuple of :class:`Gate`), ``currents`` (tuple of
    :class:`IonicCurrent`: :class:`Current`, :class:`hhlib.model.GHKCurrent`), ``c_m`` (µF/cm²), ``rate_factor``
    (dimensionless), ``noise`` (a noise object or None), ``v_rest_abs_mV`` (absolute resting potential, mV),
    ``temperature_celsius`` (°C, for RT/F of GHK currents; None where no current needs it) and ``name``. The
    methods below derive the physics from them.
    """

    #: Temperature, °C, for RT/F of GHK currents (None: not stated; a model with a GHK current must state it).
    temperature_celsius = None

    @property
    def gate_names(self) -> tuple:
        return tuple(g.name for g in self.gates)

    @property
    def max_reversal_mV(self) -> float:
        """Highest reversal potential of the model's currents, mV above rest (an upper bound of ``E_ion``)."""
        return max(self.reversals())

    def reversals(self) -> tuple:
        """Reversal potential of every current, mV relative to rest (a GHK current: its Nernst potential)."""
        return tuple(float(c.reversal_mV(self)) for c in self.currents)

    def current_params(self) -> tuple:
        """Parameters of every current's conductance factor (``()`` for an ohmic current), in current order."""
        return tuple(tuple(float(x) for x in c.factor_params(self)) for c in self.currents)

    def maximal_conductance(self, name: str) -> float:
        """The conductance density of current ``name`` with all its gates open, at rest (V = 0), mS/cm².

        ``g_max`` for an ohmic current; for a non-ohmic one its chord conductance at rest per unit of ``g_max``
        times ``g_max`` (a GHK current: permeability x :func:`hhlib.model.ghk_factor` at rest). The scale of the
        current noise (:class:`hhlib.CurrentNoise`) and of channel densities (:meth:`hhlib.ChannelNoise.for_model`).
        """
        names = [c.name for c in self.currents]
        if name not in names:
            raise ValueError(f"model {self.name!r} has no current named {name!r} (its currents: {names})")
        i = names.index(name)
        c = self.currents[i]
        if c.factor is None:
            return float(c.g_max)
        return float(c.g_max * c.factor(np.float64(0.0), *self.current_params()[i]))

    @property
    def has_noise(self) -> bool:
        """True if the model carries noise by default."""
        return self.noise is not None and self.noise.active

    def rates(self, v_mV):
        """``(alpha, beta)`` of every gate at ``v_mV`` with the rate factor applied, 1/ms: a list of pairs."""
        v = np.asarray(v_mV, dtype=float)
        return [(self.rate_factor * g.alpha(v), self.rate_factor * g.beta(v)) for g in self.gates]

    def steady_state(self, v_mV) -> tuple:
        """Steady-state value of every gate at ``v_mV`` (dimensionless, in [0, 1])."""
        return tuple(a / (a + b) for a, b in self.rates(v_mV))

    def conductances(self, gate_values, v_mV=0.0) -> list:
        """Chord conductance density of every current at V (``v_mV``, relevant for non-ohmic currents only),
        mS/cm², for gate values in the order of ``gates``."""
        index = {g.name: i for i, g in enumerate(self.gates)}
        params = self.current_params()
        out = []
        for i, c in enumerate(self.currents):
            g = c.g_max
            for name, p in c.gates:
                g = g * np.asarray(gate_values[index[name]], dtype=float) ** p
            if c.factor is not None:
                g = g * c.factor(np.asarray(v_mV, dtype=float), *params[i])
            out.append(g)
        return out

    def ionic_current(self, v_mV, gate_values):
        """Total ionic current density, µA/cm² (positive = outward): ``sum_i g_i(V) (V - E_i)``."""
        v = np.asarray(v_mV, dtype=float)
        return sum(g * (v - e) for g, e in zip(self.conductances(gate_values, v), self.reversals(), strict=True))

    def ionic_equilibrium(self, gate_values, v_mV=0.0):
        """Ionic equilibrium (chord) potential ``E_ion = sum_i g_i E_i / sum_i g_i``, mV relative to rest.

        Where the ionic currents alone, gates frozen and conductances linearised at V (``v_mV``; ohmic currents
        do not depend on it), drive the membrane (``I_ion = g_tot (V - E_ion)``). The spike rule
        (:mod:`hhlib.spikes`) uses it.
        """
        gs = self.conductances(gate_values, v_mV)
        return sum(g * e for g, e in zip(gs, self.reversals(), strict=True)) / sum(gs)

    def initial_state(self) -> tuple:
        """Resting initial condition ``(V, x_1, ..., x_k)``: V = 0 mV, every gate at steady state there."""
        return (0.0,) + tuple(float(x) for x in self.steady_state(0.0))

    def _check_description(self):
        names = [g.name for g in self.gates]
        if len(set(names)) != len(names):
            raise ValueError(f"gate names must be unique, got {names}")
        if not self.currents:
            raise ValueError("a membrane needs at least one current")
        currents = [c.name for c in self.currents]
        if len(set(currents)) != len(currents):
            raise ValueError(f"current names must be unique (noise densities and traces find currents by name), "
                             f"got {currents}")
        for c in self.currents:
            for g, _ in c.gates:
                if g not in names:
                    raise ValueError(f"current {c.name!r} uses gate {g!r}, which the model does not define ({names})")
        if sum(c.g_max for c in self.currents) <= 0:
            raise ValueError("all maximal conductances (and permeabilities) are 0 (for HHParameters: g_na, g_k and g_l "
                             "are all 0): "
                             "a membrane without any conductance has no resting potential and cannot be integrated; "
                             "give at least one current a conductance > 0")
        check_real("c_m", self.c_m, low=0.0, low_open=True, unit="µF/cm²")
        check_real("rate_factor", self.rate_factor, low=0.0, low_open=True)
        check_real("v_rest_abs_mV", self.v_rest_abs_mV, unit="mV")
        if self.temperature_celsius is not None:
            check_real("temperature_celsius", self.temperature_celsius, low=-273.15, low_open=True, unit="°C")
        self.current_params(), self.reversals()         # a GHK current without a temperature: error naming it
        if self.noise is not None and not hasattr(self.noise, "active"):
            raise TypeError(f"noise must be a noise object (e.g. hhlib.CurrentNoise) or None, got {self.noise!r}")
        bad = self.rate_problems(0.0)
        if bad:
            raise ValueError(f"gate {bad[0][0]!r} at rest (V = 0 mV): {bad[0][2]}; its steady state alpha / (alpha + "
                             "beta) and relaxation rate are undefined, so the model cannot start from rest")

    def rate_problems(self, v_mV) -> list:
        """Where the gates' rates cannot be integrated: ``[(gate name, V in mV, what is wrong), ...]``.

        A gate needs finite rates ``alpha, beta >= 0`` with ``alpha + beta > 0`` (the engines relax it towards
        ``alpha / (alpha + beta)`` at rate ``alpha + beta``). ``v_mV`` is a voltage or an array of voltages
        (mV relative to rest); the first bad voltage of each gate is reported. Empty if all is well.
        """
        v = np.atleast_1d(np.asarray(v_mV, dtype=float))
        out = []
        with np.errstate(all="ignore"):
            for g in self.gates:
                a = np.broadcast_to(np.asarray(g.alpha(v), dtype=float), v.shape)
                b = np.broadcast_to(np.asarray(g.beta(v), dtype=float), v.shape)
                for bad, what in ((~np.isfinite(a) | ~np.isfinite(b), "alpha or beta is not finite"),
                                  ((a < 0) | (b < 0), "alpha or beta is negative"), (a + b == 0, "alpha + beta = 0")):
                    if bad.any():
                        i = int(np.argmax(bad))
                        out.append((g.name, float(v[i]), f"{what} (alpha = {a[i]:.3g}, beta = {b[i]:.3g} /ms)"))
                        break
        return out


@dataclass(frozen=True)
class Membrane(MembraneModel):
    """A single-compartment membrane given by its gates and currents.

    Examples
    --------
    A sodium current with two activation particles (m² h) and an extra ohmic current, HH kinetics:

    >>> import hhlib
    >>> from hhlib.model import Gate, Current, Membrane, HH1952
    >>> m, h, n = HH1952.gates
    >>> mine = Membrane(gates=(m, h, n), currents=(
    ...     Current("na", 120.0, 115.0, (("m", 2), ("h", 1))), Current("k", 36.0, -12.0, (("n", 4),)),
    ...     Current("leak", 0.3, 10.6), Current("extra", 0.1, -5.0)), name="m2h")
    >>> [round(x, 4) for x in mine.initial_state()[1:]]
    [0.0529, 0.5961, 0.3177]

    Currents of the Goldman-Hodgkin-Katz form (:class:`hhlib.model.GHKCurrent`) need the temperature and use the
    absolute resting potential; :data:`hhlib.models.FH1964` is such a model.
    """

    gates: tuple
    currents: tuple
    c_m: float = 1.0  # membrane capacitance, µF/cm²
    rate_factor: float = 1.0  # temperature factor k multiplying every gate rate (dimensionless)
    noise: object = None  # default noise (e.g. hhlib.CurrentNoise), or None
    v_rest_abs_mV: float = -65.0  # absolute resting potential, mV (GHK currents see v_rest_abs_mV + V)
    name: str = "custom"  # label used in plots and reports
    temperature_celsius: float | None = None  # °C, for RT/F of GHK currents (required by them), or None

    def __post_init__(self):
        object.__setattr__(self, "gates", tuple(self.gates))
        object.__setattr__(self, "currents", tuple(self.currents))
        for g in self.gates:
            if not isinstance(g, Gate):
                raise TypeError(f"gates must be hhlib.model.Gate objects, got {type(g).__name__}")
        for c in self.currents:
            if not isinstance(c, IonicCurrent):
                raise TypeError(f"currents must be hhlib.model.Current or hhlib.model.GHKCurrent objects, got "
                                f"{type(c).__name__}")
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a str, got {type(self.name).__name__}")
        self._check_description()


# ----------------------------------------------------------------------------- functions of a model
def gate_rates(v_mV, params: MembraneModel):
    """All rates at ``v_mV`` (rate factor applied), 1/ms: ``(alpha_1, beta_1, alpha_2, beta_2, ...)`` in gate
    order; for a Hodgkin-Huxley model ``(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n)``."""
    return tuple(r for pair in params.rates(v_mV) for r in pair)


def steady_state(v_mV, params: MembraneModel):
    """Steady-state gates at ``v_mV``, in gate order (``(m_inf, h_inf, n_inf)`` for Hodgkin-Huxley)."""
    return params.steady_state(v_mV)


def ionic_current(v_mV, *gates_and_params):
    """Total ionic current density, µA/cm² (positive = outward): ``ionic_current(v, m, h, n, params)``."""
    *gates, params = gates_and_params
    return params.ionic_current(v_mV, gates)


def ionic_equilibrium(*gates_and_params):
    """Ionic equilibrium (chord) potential, mV relative to rest: ``ionic_equilibrium(m, h, n, params)``.

    Examples
    --------
    >>> import hhlib
    >>> _, m0, h0, n0 = initial_state(hhlib.HH1952)
    >>> abs(float(ionic_equilibrium(m0, h0, n0, hhlib.HH1952))) < 0.1    # rest is an equilibrium
    True
    """
    *gates, params = gates_and_params
    return params.ionic_equilibrium(gates)


def initial_state(params: MembraneModel):
    """Resting initial condition ``(V, x_1, ..., x_k)`` (``(V, m, h, n)`` for Hodgkin-Huxley), V = 0 mV."""
    return params.initial_state()
