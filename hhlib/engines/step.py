"""The membrane step, generated once from the model: the functions every compiled kernel (CPU and GPU) calls.

How it is built (the choice, after reading Brian2 and jaxley): like Brian2, one generator writes the model's
statements (gate coefficients, currents, the voltage update, the spike rule) as code, and thin per-target
templates put loops, random draws and output writes around them; like jaxley, a current only *states* its
conductance and reversal and the solver linearises it (a non-ohmic current, e.g. GHK, contributes its chord
conductance at the present V), so the exponential-Euler voltage step stays unconditionally stable for any
current. What hhlib keeps: rates and conductance factors are plain Python functions of V, imported by name
into the generated module and compiled there for the target (numba on the CPU, numba-cuda on the GPU),
so the same function also runs in the numpy reference and the ``solve_ivp`` reference.

The text :func:`step_source` returns defines, decorated with ``@STEP`` (the target's device-function decorator,
defined by the template's header together with ``F``, ``ZERO``, ``ONE``, ``spike_event``):

- ``membrane_step(vj, x_0, ..., i_dens, table, consts, g_max, e_rev, cpar[, channel arguments])`` ->
  ``(vn, en, y_0, ...)``: one step of one trial: gate coefficients from the 0.01 mV tables (exact rates from the
  model's functions outside them), the channel states (channel noise), the gates, the currents, V relaxed
  exactly for frozen conductances with the stimulus density ``i_dens`` (µA/cm²), and the ionic equilibrium
  potential ``en`` (without the current noise, which the template adds with its own random numbers);
- ``initial_equilibrium(vj, x_0, ..., g_max, e_rev, cpar, stoch, fopen)`` (channel noise): ``E_ion`` at the start;
- ``stimulus_density(dens, waveforms, j, step)``: the sum over the stimulus parts, µA/cm²;
- ``spike_check(vj, vn, e, en, armed, level, v_limit)`` -> ``(status, frac, armed)``: -1 the state left the
  finite range, 1 a spike (the rule of :mod:`hhlib.spikes`, at fraction ``frac`` of the step), 0 neither.

The CPU template embeds ``membrane_step``'s statements (:func:`step_statements`, the same generated text) in its
lane loop rather than calling it; the GPU template calls it (NVVM inlines device functions).

``consts`` = ``(dt, v_min, 1 / table step, -dt / c_m, rate factor, last table index (-1: no table), level,
v_limit, V at rest)`` (an array, or a tuple of the same numbers: the step only indexes it with constants).
Every operation is in the order of the numpy reference engine, so both round alike.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._channel_codegen import channel_dispatch
from .diagnosis import V_LIMIT_MV

__all__ = ["step_source", "step_statements", "step_parameters", "function_imports", "model_functions",
           "structure_key", "power", "gate_tables",
           "step_constants", "current_arrays", "CONSTS", "TABLE_V_MIN_MV", "TABLE_V_MAX_MV", "TABLE_STEP_MV"]

#: Layout of the ``consts`` array of every kernel.
CONSTS = ("dt", "v_min", "inv_step", "decay_scale", "k", "top", "level", "v_limit", "v0")


def power(x: str, p: int) -> str:
    """``x ** p`` as products, in the order the numpy engine multiplies (x⁴ as (x²)²)."""
    if p == 4:
        return f"({x} * {x}) * ({x} * {x})"
    return " * ".join([x] * p)


def model_functions(model) -> list:
    """``(name, function)`` of every plain Python function the step calls: rates ``alpha_i``/``beta_i`` of gate
    ``i`` and the conductance factor ``factor_c`` of every non-ohmic current ``c``."""
    fns = [(f"{which}_{i}", getattr(g, which)) for i, g in enumerate(model.gates) for which in ("alpha", "beta")]
    return fns + [(f"factor_{c}", cur.factor) for c, cur in enumerate(model.currents) if cur.factor is not None]


def function_imports(model, wrap: str) -> str:
    """Lines importing every model function by name and compiling it with ``wrap`` (e.g. ``numba.njit``)."""
    return "\n".join(f"from {fn.__module__} import {fn.__qualname__} as _{name}\n{name} = {wrap}(_{name})"
                     for name, fn in model_functions(model))


def structure_key(model) -> str:
    """What the generated step depends on: gates and their rate functions, currents' gates, exponents and forms."""
    def name(fn):
        return getattr(fn, "__qualname__", "?")
    gates = ",".join(f"{g.name}:{name(g.alpha)}/{name(g.beta)}" for g in model.gates)
    currents = ";".join(f"{c.name}[{','.join(f'{g}^{p}' for g, p in c.gates)}]"
                        + ("" if c.factor is None else f"*{name(c.factor)}") for c in model.currents)
    return f"gates({gates}) currents({currents})"


def _lines(lines, indent):
    return "\n".join(" " * indent + line for line in lines) if lines else " " * indent + "pass"


def _coefficients(model, indent: int) -> str:
    """Gate coefficients ``A_i, B_i`` (``x_new = A + B x``): table interpolation, exact outside the table."""
    n = len(model.gates)
    table = ["i = int(pos)", "f = pos - F(i)"]
    for i in range(n):
        table += [f"A{i} = table[i, {2 * i}] + f * (table[i + 1, {2 * i}] - table[i, {2 * i}])",
                  f"B{i} = table[i, {2 * i + 1}] + f * (table[i + 1, {2 * i + 1}] - table[i, {2 * i + 1}])"]
    exact = []
    for i in range(n):
        exact += [f"a = F(consts[4] * alpha_{i}(vj))", f"b = F(consts[4] * beta_{i}(vj))",
                  "d = math.exp(-consts[0] * (a + b))", f"A{i} = a / (a + b) * (ONE - d)", f"B{i} = d"]
    pad = " " * indent
    return (f"{pad}pos = (vj - consts[1]) * consts[2]\n{pad}if pos >= ZERO and pos < consts[5]:\n"
            f"{_lines(table, indent + 4)}\n{pad}else:\n{_lines(exact, indent + 4)}")


def _currents(model, indent: int, channels: bool) -> str:
    """``gc<c> = ...`` of every current (chord conductance, mS/cm²), then ``g`` and ``num = sum g E``."""
    index = {g.name: i for i, g in enumerate(model.gates)}
    lines = []
    for c, cur in enumerate(model.currents):
        factor = "" if cur.factor is None else " * " + _factor_call(model, c)
        gated = " * ".join([power(f"y{index[g]}", p) for g, p in cur.gates] + [f"g_max[{c}]"]) + factor
        if channels and cur.gates:
            lines += [f"if stoch[{c}] >= 0:", f"    gc{c} = g_max[{c}] * fopen[stoch[{c}]]{factor}",
                      "else:", f"    gc{c} = {gated}"]
        else:
            lines.append(f"gc{c} = {gated}")
    n = len(model.currents)
    lines += ["g = " + " + ".join(f"gc{c}" for c in range(n)),
              "num = " + " + ".join(f"gc{c} * e_rev[{c}]" for c in range(n))]
    return _lines(lines, indent)


def _factor_call(model, c) -> str:
    """``factor_c(vj, cpar[c, 0], ...)``: the current's conductance factor at the present V, its parameters from
    the ``cpar`` array (row ``c``, :meth:`hhlib.model.MembraneModel.current_params`)."""
    n_params = len(model.current_params()[c])
    return f"factor_{c}(vj" + "".join(f", cpar[{c}, {k}]" for k in range(n_params)) + ")"


def step_statements(model, variant: str = "current", indent: int = 0) -> str:
    """The body of ``membrane_step`` as statements at ``indent``: its inputs are the names of ``membrane_step``'s
    parameters, its outputs ``vn``, the new gates ``y0, y1, ...``, ``num`` and ``g`` (the ionic equilibrium
    potential is ``num / g``; the CPU kernel divides after adding the noise, measured 3-5 % faster than before
    it) and, with channel noise, the channel states updated in place. ``membrane_step`` is these statements
    with a return; the CPU template embeds them in its lane loop (numba's IR inlining of the function,
    ``inline="always"``, ran 20 % slower than the same statements written in the loop, measured on SEED_MODEL)."""
    n = len(model.gates)
    body = [_coefficients(model, indent)]
    if variant == "channels":
        body.append(" " * indent + "r = 0\n" + channel_dispatch(model, indent, state="chan", rand="rand"))
    body.append(_lines([f"y{i} = A{i} + B{i} * x_{i}" for i in range(n)], indent))
    body.append(_currents(model, indent, variant == "channels"))
    body.append(_lines(["vinf = (num + i_dens) / g", "vn = vinf + (vj - vinf) * math.exp(consts[3] * g)"],
                       indent))
    return "\n".join(body)


def step_parameters(model, variant: str = "current") -> str:
    """The parameter list of ``membrane_step`` (the names :func:`step_statements` reads)."""
    xs = "".join(f"x_{i}, " for i in range(len(model.gates)))
    extra = ", markov, stoch, cdesc, chan, rand, inv_n, fopen" if variant == "channels" else ""
    return f"vj, {xs}i_dens, table, consts, g_max, e_rev, cpar{extra}"


def _membrane_step(model, variant: str) -> str:
    ys = "".join(f", y{i}" for i in range(len(model.gates)))
    return (f"@STEP\ndef membrane_step({step_parameters(model, variant)}):\n" + step_statements(model, variant, 4)
            + f"\n    return vn, num / g{ys}\n")


def _initial_equilibrium(model) -> str:
    n = len(model.gates)
    xs = "".join(f"x_{i}, " for i in range(n))
    head = f"@STEP\ndef initial_equilibrium(vj, {xs}g_max, e_rev, cpar, stoch, fopen):\n"
    body = _lines([f"y{i} = x_{i}" for i in range(n)], 4) + "\n" + _currents(model, 4, True)
    return head + body + "\n    return num / g\n"


_SHARED = '''
@STEP
def stimulus_density(dens, waveforms, j, step):
    total = ZERO
    for p in range(waveforms.shape[0]):
        total += dens[p, j] * waveforms[p, step]
    return total


@STEP
def spike_check(vj, vn, e, en, armed, level, v_limit):
    if not (abs(vn) <= v_limit and math.isfinite(en)):
        return -1, ZERO, armed
    fired, frac, armed = spike_event(armed, vj, vn, e, en, level)
    return (1 if fired else 0), frac, armed
'''


def step_source(model, variant: str = "current") -> str:
    """Source of the step functions for ``model`` (see the module docstring); ``variant``: ``"current"`` (current
    noise or none) or ``"channels"`` (channel noise: also the channel states' exact steps)."""
    channels = variant == "channels"
    parts = [_SHARED, "\n\n" + _membrane_step(model, variant)]
    if channels:
        parts.append("\n\n" + _initial_equilibrium(model))
    return "".join(parts)


# ----------------------------------------------------------------------------- the step's data
#: Rate tables: the V grid (mV relative to rest) on which the gate coefficients are tabulated.
TABLE_V_MIN_MV = -200.0
TABLE_V_MAX_MV = 300.0
TABLE_STEP_MV = 0.01


@lru_cache(maxsize=32)
def gate_tables(model, dt_ms: float) -> np.ndarray:
    """Exponential-Euler coefficients ``(A_1, B_1, A_2, B_2, ...)`` of every gate on the V grid, shape (n, 2 k)."""
    n = int(round((TABLE_V_MAX_MV - TABLE_V_MIN_MV) / TABLE_STEP_MV)) + 1
    v = TABLE_V_MIN_MV + TABLE_STEP_MV * np.arange(n)
    pairs = model.rates(v)
    out = np.empty((n, 2 * len(pairs)))
    for j, (a, b) in enumerate(pairs):
        decay = np.exp(-dt_ms * (a + b))
        out[:, 2 * j] = a / (a + b) * (1.0 - decay)
        out[:, 2 * j + 1] = decay
    out.setflags(write=False)
    return out


def step_constants(spec, use_table: bool = True) -> np.ndarray:
    """The ``consts`` array of a run (layout :data:`CONSTS`), float64."""
    model = spec.model
    top = gate_tables(model, spec.dt).shape[0] - 1 if use_table else -1
    return np.array([spec.dt, TABLE_V_MIN_MV, 1.0 / TABLE_STEP_MV, -spec.dt / model.c_m, model.rate_factor,
                     float(top), spec.level, V_LIMIT_MV, model.initial_state()[0]])


def current_arrays(model):
    """``(g_max, e_rev, cpar)``: every current's maximal value, reversal (mV rel. rest) and factor parameters
    (rows padded with 0), float64 arrays."""
    params = model.current_params()
    cpar = np.zeros((len(params), max([len(p) for p in params] + [1])))
    for c, p in enumerate(params):
        cpar[c, :len(p)] = p
    return (np.array([c.g_max for c in model.currents], dtype=float), np.array(model.reversals(), dtype=float), cpar)
