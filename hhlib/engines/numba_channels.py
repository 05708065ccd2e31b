"""Compiled channel-noise steps for the numba engine: the loops of :mod:`hhlib.channels`, one lane at a time.

The generated channel kernel (:mod:`hhlib.engines._codegen`) calls these for every lane and step. They draw
nothing themselves: the kernel fills a buffer with every lane's uniforms (``markov``) or normals
(``diffusion``) first, lane-major like the numpy engine, so both engines consume the same numbers in the
same order. The schemes are described by two integer tables (built by :func:`describe`):

- ``cdesc[c] = (current index, state offset, n_states, first gate row, n_gates)`` per stochastic current;
- ``gdesc[g] = (gate index, power, stride)`` per gate of those currents.

Binomials are drawn by exact inversion of the CDF from one uniform (:func:`binomial_inverse`): sequential
search from 0 (``n p < 100``) or from ``n p - 9.5 sqrt(n p)`` (the mass below is < 3e-20, under the
resolution of a double uniform), after the complement ``p -> 1 - p`` for ``p > 1/2``, so the cost is
``O(min(n p, sqrt(n p)))`` and the result the same as :func:`hhlib.channels.binomial_inverse` up to the
rounding of the CDF.
"""
from __future__ import annotations

import math

import numba
import numpy as np

from .. import channels as ch

__all__ = ["describe", "binomial_inverse", "gate_q", "channel_init", "channel_step", "draw_block", "MAX_POWER"]

#: Largest gate exponent of a stochastic current (size of the scratch matrices).
MAX_POWER = 8
#: Below this mean the binomial search starts at 0.
_MU_SEARCH_FROM_ZERO = 100.0


def describe(spec):
    """``(cdesc, gdesc, init_p, n_chan, n_init, n_step, n_total)`` for the stochastic currents of ``spec``.

    ``init_p`` holds, per state, the conditional probabilities of the sequential multinomial draw of the
    initial states from the stationary distribution at rest; ``n_chan`` the channels per current and
    condition (float64, shape (n_currents, n_cond)).
    """
    plan, model = spec.channels, spec.model
    cdesc = np.zeros((len(plan), 5), dtype=np.int64)
    gdesc, init_p = [], []
    off = 0
    for c, cur in enumerate(plan):
        if max(cur.powers) > MAX_POWER:
            raise ValueError(f"the compiled engine supports gate exponents up to {MAX_POWER} in stochastic currents; "
                             f"use engine='numpy' for current {cur.name!r}")
        cdesc[c] = (cur.index, off, cur.n_states, len(gdesc), len(cur.gates))
        gdesc += [(g, p, st) for g, p, st in zip(cur.gates, cur.powers, cur.strides, strict=True)]
        init_p.append(ch._sequential_probabilities(ch.stationary_distribution(model, cur, 0.0)))
        off += cur.n_states
    return (cdesc, np.array(gdesc, dtype=np.int64).reshape(-1, 3), np.concatenate(init_p),
            spec.channel_n.astype(float), ch.draws_initial(plan), ch.draws_per_step(plan, spec.noise.method), off)


@numba.njit(cache=True, nogil=True)
def _search(u, n, p):
    """Smallest k with P(Bin(n, p) <= k) >= u, for 0 < p <= 1/2 and n >= 1."""
    mu = n * p
    if n <= 32:                                  # (1 - p)^n by multiplication
        k = 0
        pmf = 1.0 - p
        base = pmf
        for _ in range(n - 1):
            pmf *= base
    elif mu < _MU_SEARCH_FROM_ZERO:
        k = 0
        pmf = math.exp(n * math.log1p(-p))
    else:
        k = int(mu - 9.5 * math.sqrt(mu))
        pmf = math.exp(math.lgamma(n + 1.0) - math.lgamma(k + 1.0) - math.lgamma(n - k + 1.0)
                       + k * math.log(p) + (n - k) * math.log1p(-p))
    cdf = pmf
    ratio = p / (1.0 - p)
    while cdf < u and k < n:
        pmf *= (n - k) * ratio / (k + 1.0)
        k += 1
        cdf += pmf
        if pmf == 0.0 and k > mu:                # u within rounding of 1: the CDF cannot grow any more
            break
    return k


@numba.njit(cache=True, nogil=True)
def binomial_inverse(u, n, p):
    """``F^-1(u)`` of ``Bin(n, p)`` (see the module docstring); ``n`` an integer >= 0."""
    if n <= 0 or p <= 0.0 or u <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if n == 1:
        return 0 if u <= 1.0 - p else 1
    if p > 0.5:
        return n - _search(1.0 - u, n, 1.0 - p)
    return _search(u, n, p)


@numba.njit(cache=True, nogil=True)
def gate_q(p, a, b, q):
    """Fill ``q[:p+1, :p+1]`` with the gate's one-step transition probabilities (as
    :func:`hhlib.channels.gate_transition`)."""
    stay = a + b
    for k in range(p + 1):
        for j in range(p + 1):
            q[k, j] = 0.0
        q[k, 0] = 1.0
        length = 1
        for m in range(p):
            f1 = stay if m < k else a
            f0 = 1.0 - f1
            q[k, length] = q[k, length - 1] * f1
            for j in range(length - 1, 0, -1):
                q[k, j] = q[k, j] * f0 + q[k, j - 1] * f1
            q[k, 0] = q[k, 0] * f0
            length += 1


@numba.njit(cache=True, nogil=True)
def _markov_current(state, off, ns, gdesc, g0, ng, ab, rand, r, q, tail, new):
    for gpos in range(g0, g0 + ng):
        gi, p, st = gdesc[gpos, 0], gdesc[gpos, 1], gdesc[gpos, 2]
        gate_q(p, ab[2 * gi], ab[2 * gi + 1], q)
        for k in range(p + 1):                   # tail[k, pos]: mass of the destinations from pos on, stay first
            acc = 0.0
            for pos in range(p, 0, -1):
                acc += q[k, pos - 1 if pos <= k else pos]
                tail[k, pos] = acc
            tail[k, 0] = acc + q[k, k]
        for s in range(ns):
            new[s] = 0.0
        for hi in range(0, ns, st * (p + 1)):
            for lo in range(st):
                base = hi + lo
                for k in range(p + 1):
                    s = base + k * st
                    rem = int(state[off + s])
                    u0 = r + s * p
                    for pos in range(p):
                        if rem > 0:
                            dest = k if pos == 0 else (pos - 1 if pos <= k else pos)
                            t = tail[k, pos]
                            prob = q[k, dest] / t if t > 0.0 else 0.0
                            x = binomial_inverse(rand[u0 + pos], rem, prob)
                            new[base + dest * st] += x
                            rem -= x
                    new[base + (p - 1 if p <= k else p) * st] += rem
        r += ns * p
        for s in range(ns):
            state[off + s] = new[s]
    return r


@numba.njit(cache=True, nogil=True)
def _diffusion_current(state, off, ns, gdesc, g0, ng, ab, inv_n, rand, r, q, new):
    for gpos in range(g0, g0 + ng):
        gi, p, st = gdesc[gpos, 0], gdesc[gpos, 1], gdesc[gpos, 2]
        gate_q(p, ab[2 * gi], ab[2 * gi + 1], q)
        for hi in range(0, ns, st * (p + 1)):
            for lo in range(st):
                base = off + hi + lo
                nb = hi + lo
                for kp in range(p + 1):
                    acc = state[base] * q[0, kp]
                    for k in range(1, p + 1):
                        acc = acc + state[base + k * st] * q[k, kp]
                    new[nb + kp * st] = acc
                for i in range(p + 1):
                    for j in range(i + 1, p + 1):
                        w = state[base] * (q[0, i] * q[0, j])
                        for k in range(1, p + 1):
                            w = w + state[base + k * st] * (q[k, i] * q[k, j])
                        z = math.sqrt(max(w, 0.0) * inv_n) * rand[r]
                        r += 1
                        new[nb + i * st] += z
                        new[nb + j * st] -= z
        for s in range(ns):
            state[off + s] = new[s]
    return r


@numba.njit(cache=True, nogil=True)
def channel_step(markov, state, cdesc, gdesc, ab, n_chan, rand, q, tail, new, fopen):
    """Advance one lane's channel states over a step (gate coefficients ``ab = (A_1, B_1, ...)``), fill
    ``fopen`` with every stochastic current's open fraction."""
    r = 0
    for c in range(cdesc.shape[0]):
        off, ns, g0, ng = cdesc[c, 1], cdesc[c, 2], cdesc[c, 3], cdesc[c, 4]
        if markov:
            r = _markov_current(state, off, ns, gdesc, g0, ng, ab, rand, r, q, tail, new)
            fopen[c] = state[off + ns - 1] * (1.0 / n_chan[c])
        else:
            r = _diffusion_current(state, off, ns, gdesc, g0, ng, ab, 1.0 / n_chan[c], rand, r, q, new)
            fopen[c] = state[off + ns - 1]


@numba.njit(cache=True, nogil=True)
def channel_init(markov, state, cdesc, init_p, n_chan, rand, fopen):
    """One lane's initial channel states from the stationary distribution at rest (multinomial counts, or
    fractions with the multinomial's mean and covariance); fill ``fopen``."""
    r = 0
    for c in range(cdesc.shape[0]):
        off, ns = cdesc[c, 1], cdesc[c, 2]
        if markov:
            rem = int(n_chan[c])
            for s in range(ns - 1):
                x = binomial_inverse(rand[r], rem, init_p[off + s])
                r += 1
                state[off + s] = x
                rem -= x
            state[off + ns - 1] = rem
            fopen[c] = state[off + ns - 1] * (1.0 / n_chan[c])
        else:
            rem = 1.0
            for s in range(ns - 1):
                cp = init_p[off + s]
                x = rem * cp + math.sqrt(max(rem, 0.0) * (cp * (1.0 - cp)) * (1.0 / n_chan[c])) * rand[r]
                r += 1
                state[off + s] = x
                rem = rem - x
            state[off + ns - 1] = rem
            fopen[c] = rem


@numba.njit(cache=True, nogil=True)
def draw_block(gen, markov, buf, rows, cols):
    """``buf[:rows, :cols]``: uniforms (markov) or standard normals, lane-major (the numpy engine's order)."""
    for j in range(rows):
        for r in range(cols):
            buf[j, r] = gen.random() if markov else gen.standard_normal()
