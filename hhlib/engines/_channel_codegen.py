"""Source of the unrolled channel steps of the compiled channel-noise kernel, one function per gated current.

:mod:`hhlib.engines.numba_channels` holds the generic loops (any scheme, read from integer tables); this
module writes the same loops out for one current's gates, so that the channel states are scalars, every
index is a constant and the per-step quantities shared by the states (the gate's transition probabilities
``q``, their pair products, the conditional probabilities of the sequential binomial split) are computed
once per lane and step. The arithmetic is written in the *same order* as the generic loops (and the
numpy reference), operation for operation, so the results are bit-identical: same random numbers, same
counts. Generated functions (``c`` the current's index in the model):

- ``_diffusion_c{c}(x, o, A.., B.., inv_n, rand, r)``: the state fractions ``x[o:o + n_states]`` over one
  step, normals from ``rand[r:]``; returns the open fraction.
- ``_markov_c{c}(x, o, A.., B.., rand, r)``: the channel counts; returns the open count.
"""
from __future__ import annotations

import math

__all__ = ["channel_functions", "draws"]


def _q_lines(gp, a, b, p):
    """Lines computing ``q{gp}_{k}_{j}`` (:func:`hhlib.engines.numba_channels.gate_q`, same operations)."""
    lines = [f"st{gp} = {a} + {b}", f"sf{gp} = 1.0 - st{gp}", f"af{gp} = 1.0 - {a}"]
    for k in range(p + 1):
        coef = ["1.0"]
        for m in range(p):
            f1, f0 = (f"st{gp}", f"sf{gp}") if m < k else (a, f"af{gp}")
            names = [f"c{gp}_{k}_{m}_{j}" for j in range(m + 2)]
            lines.append(f"{names[m + 1]} = {coef[m]} * {f1}")
            lines += [f"{names[j]} = {coef[j]} * {f0} + {coef[j - 1]} * {f1}" for j in range(m, 0, -1)]
            lines.append(f"{names[0]} = {coef[0]} * {f0}")
            coef = names
        lines += [f"q{gp}_{k}_{j} = {coef[j]}" for j in range(p + 1)]
    return lines


def _slices(n_states, p, st):
    """State indices of every slice of a gate's stage: ``[base + k * st for k in 0..p]``."""
    return [[hi + lo + k * st for k in range(p + 1)] for hi in range(0, n_states, st * (p + 1)) for lo in range(st)]


def _diffusion_stage(gp, p, st, n_states, r0):
    """Lines of one gate's diffusion stage (exact mean, pair noise); returns (lines, draws used)."""
    lines = [f"qq{gp}_{k}_{i}_{j} = q{gp}_{k}_{i} * q{gp}_{k}_{j}"
             for k in range(p + 1) for i in range(p + 1) for j in range(i + 1, p + 1)]
    r = r0
    for idx in _slices(n_states, p, st):
        for kp in range(p + 1):
            lines.append(f"n{idx[kp]} = " + " + ".join(f"s{idx[k]} * q{gp}_{k}_{kp}" for k in range(p + 1)))
        for i in range(p + 1):
            for j in range(i + 1, p + 1):
                w = " + ".join(f"s{idx[k]} * qq{gp}_{k}_{i}_{j}" for k in range(p + 1))
                lines += [f"w = {w}", f"z = math.sqrt(max(w, 0.0) * inv_n) * rand[r + {r}]",
                          f"n{idx[i]} = n{idx[i]} + z", f"n{idx[j]} = n{idx[j]} - z"]
                r += 1
    lines += [f"s{s} = n{s}" for s in range(n_states)]
    return lines, r


def _dest(k, pos):
    """Destination of the ``pos``-th split of a state with ``k`` open particles (stay first, then 0 ... p)."""
    return k if pos == 0 else (pos - 1 if pos <= k else pos)


def _markov_stage(gp, p, st, n_states, r0):
    """Lines of one gate's Markov stage (sequential binomial split of every state); (lines, draws used)."""
    lines = []
    for k in range(p + 1):                       # tail masses and conditional probabilities, as the loops
        acc = "0.0"
        for pos in range(p, 0, -1):
            lines.append(f"t{gp}_{k}_{pos} = {acc} + q{gp}_{k}_{_dest(k, pos)}")
            acc = f"t{gp}_{k}_{pos}"
        lines.append(f"t{gp}_{k}_0 = {acc} + q{gp}_{k}_{k}")
        lines += [f"pr{gp}_{k}_{pos} = q{gp}_{k}_{_dest(k, pos)} / t{gp}_{k}_{pos} if t{gp}_{k}_{pos} > 0.0 else 0.0"
                  for pos in range(p)]
    lines += [f"n{s} = 0" for s in range(n_states)]
    for idx in _slices(n_states, p, st):
        for k, s in enumerate(idx):
            lines.append(f"rem = s{s}")
            for pos in range(p):
                lines += ["if rem > 0:",
                          f"    d = _binomial_draw(rand[r + {r0 + s * p + pos}], rem, pr{gp}_{k}_{pos})",
                          f"    n{idx[_dest(k, pos)]} += d", "    rem -= d"]
            lines.append(f"n{idx[_dest(k, p)]} += rem")
    lines += [f"s{s} = n{s}" for s in range(n_states)]
    return lines, r0 + n_states * p


def draws(gates, method):
    """Random numbers one step of a current with ``gates = ((gate, power), ...)`` consumes."""
    n_states = math.prod(p + 1 for _, p in gates)
    per = (lambda p: n_states * p) if method == "markov" else (lambda p: n_states // (p + 1) * (p * (p + 1) // 2))
    return sum(per(p) for _, p in gates)


def _function(c, gates, gate_index, method, cache, decorator=None):
    """Source of ``_{method}_c{c}`` (``decorator``: its decorator line, default numba's ``njit``)."""
    powers = [p for _, p in gates]
    strides = [math.prod(q + 1 for q in powers[:i]) for i in range(len(powers))]
    n_states = math.prod(p + 1 for p in powers)
    gi = [gate_index[g] for g, _ in gates]
    ab = ", ".join(f"A{i}, B{i}" for i in gi)
    markov = method == "markov"
    head = f"def _{method}_c{c}(x, o, {ab}, {'' if markov else 'inv_n, '}rand, r):"
    conv = "int(x[o + {s}])" if markov else "x[o + {s}]"
    body = [f"s{s} = {conv.format(s=s)}" for s in range(n_states)]
    r = 0
    for gp, (p, st) in enumerate(zip(powers, strides, strict=True)):
        body += _q_lines(gp, f"A{gi[gp]}", f"B{gi[gp]}", p)
        lines, r = (_markov_stage if markov else _diffusion_stage)(gp, p, st, n_states, r)
        body += lines
    body += [f"x[o + {s}] = s{s}" for s in range(n_states)] + [f"return s{n_states - 1}"]
    decorator = decorator or f"@numba.njit(cache={cache}, nogil=True, error_model=\"numpy\")"
    return f"\n\n{decorator}\n{head}\n" + "\n".join("    " + line for line in body) + "\n"


def channel_functions(model, cache: bool, decorator: str | None = None) -> str:
    """Source of the unrolled step functions (both methods) of every gated current of ``model``;
    ``decorator`` replaces the ``@numba.njit(...)`` line (the GPU engine's device functions)."""
    index = {g.name: i for i, g in enumerate(model.gates)}
    return "".join(_function(c, cur.gates, index, method, cache, decorator)
                   for c, cur in enumerate(model.currents) if cur.gates for method in ("diffusion", "markov"))


def channel_dispatch(model, indent: int, state: str = "chan[j]", rand: str = "rand[j]") -> str:
    """Kernel lines stepping every stochastic current of a lane (``stoch[c] >= 0``) in model order, filling
    ``fopen`` with its open fraction; ``r`` counts the lane's random numbers used so far. ``state`` and
    ``rand`` name the lane's channel states and random numbers."""
    index = {g.name: i for i, g in enumerate(model.gates)}
    out = []
    for c, cur in enumerate(model.currents):
        if not cur.gates:
            continue
        ab = ", ".join(f"A{index[g]}, B{index[g]}" for g, _ in cur.gates)
        out += [f"if stoch[{c}] >= 0:",
                f"    sl = stoch[{c}]",
                "    if markov:",
                f"        fopen[sl] = _markov_c{c}({state}, cdesc[sl, 1], {ab}, {rand}, r) * inv_n[sl]",
                f"        r += {draws(cur.gates, 'markov')}",
                "    else:",
                f"        fopen[sl] = _diffusion_c{c}({state}, cdesc[sl, 1], {ab}, inv_n[sl], {rand}, r)",
                f"        r += {draws(cur.gates, 'diffusion')}"]
    return "\n".join(" " * indent + line for line in out) or " " * indent + "pass"
