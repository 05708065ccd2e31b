"""Compiled channel-noise helpers for the numba engine: initial states, binomial draws, random numbers.

The generated channel kernel (:mod:`hhlib.engines._codegen`) advances each stochastic current with a step
function unrolled for its scheme (:mod:`hhlib.engines._channel_codegen`), which calls
:func:`binomial_draw`; the initial states (once per block) use the table-driven :func:`channel_init`.
Nothing draws inside a lane's step: the kernel fills a buffer with every lane's uniforms (``markov``) or
normals (``diffusion``) first (:func:`fill_block`), lane-major like the numpy engine, so both engines
consume the same numbers in the same order. :func:`fill_block` runs numpy's SFC64 generator and its
uniform and ziggurat-normal algorithms inline on the stream's state (the same numbers as
``Generator.random`` / ``standard_normal``, bit for bit, without a call through the generator per number).
The stochastic currents are described by ``cdesc[c] = (current index, state offset, n_states)``
(:func:`describe`).

:func:`binomial_inverse` inverts the binomial CDF exactly from one uniform: ``0`` at once if
``u <= 1 - n p`` (``<= (1 - p)^n``), else a sequential search from 0 (``n p < 100``) or from
``n p - 9.5 sqrt(n p)`` (the mass below is < 3e-20, under the resolution of a double uniform), after the
complement ``p -> 1 - p`` for ``p > 1/2``: cost ``O(min(n p, sqrt(n p)))``, the result the same as
:func:`hhlib.channels.binomial_inverse` up to the rounding of the CDF. The initial states use it.

The channel step draws with :func:`binomial_draw`, also one uniform ``u`` from the lane's stream per draw,
whose cost does not grow with ``n``: inversion where the smaller tail's mean ``n min(p, 1 - p)`` is below
``MU_REJECTION`` (12), else Hörmann's transformed rejection BTRS (1993; exact: a squeeze, then the exact
pmf ratio in Stirling form as TensorFlow's ``btrs``, series truncation < 3e-11 in the log), on
``min(p, 1 - p)`` and complemented. BTRS's first pair is ``(u, w_1)``, every rejection takes the next pair
``(w_2i, w_2i+1)``, where ``w_i`` are SplitMix64's uniforms (53 bits) from the state ``u 2^53``: a draw's
extra numbers are a fixed function of its own uniform, so the stream contract is unchanged (every lane
consumes the same number of uniforms per step, in the same order, whatever it draws), and the draws are
those of :func:`hhlib.channels.binomial_draw` (the same arithmetic; the squeeze's is bit-identical).
"""
from __future__ import annotations

import math

import numba
import numpy as np
from numba.np.random import _constants as _zig  # numpy's ziggurat tables, as numba's Generator uses them

from .. import channels as ch

__all__ = ["describe", "binomial_inverse", "binomial_draw", "MU_REJECTION", "channel_init", "fill_block",
           "standard_normal", "sfc64_state", "MAX_POWER"]

#: Largest gate exponent of a stochastic current (the unrolled step grows as (p + 1)^2 per gate).
MAX_POWER = 8
#: Below this mean the binomial search starts at 0.
_MU_SEARCH_FROM_ZERO = 100.0
#: From this mean of the smaller tail on, the channel step draws by rejection (:func:`binomial_draw`).
MU_REJECTION = ch.MU_REJECTION


def describe(spec):
    """``(cdesc, init_p, n_chan, n_init, n_step, n_total)`` for the stochastic currents of ``spec``.

    ``cdesc[c] = (current index, state offset, n_states)``; ``init_p`` holds, per state, the conditional
    probabilities of the sequential multinomial draw of the initial states from the stationary
    distribution at rest; ``n_chan`` the channels per current and condition (float64, shape
    (n_currents, n_cond)).
    """
    plan, model = spec.channels, spec.model
    cdesc = np.zeros((len(plan), 3), dtype=np.int64)
    init_p = []
    off = 0
    for c, cur in enumerate(plan):
        if max(cur.powers) > MAX_POWER:
            raise ValueError(f"the compiled engine supports gate exponents up to {MAX_POWER} in stochastic currents; "
                             f"use engine='numpy' for current {cur.name!r}")
        cdesc[c] = (cur.index, off, cur.n_states)
        init_p.append(ch._sequential_probabilities(ch.stationary_distribution(model, cur, 0.0)))
        off += cur.n_states
    return (cdesc, np.concatenate(init_p), spec.channel_n.astype(float), ch.draws_initial(plan),
            ch.draws_per_step(plan, spec.noise.method), off)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _search(u, n, p):
    """Smallest k with P(Bin(n, p) <= k) >= u, for 0 < p <= 1/2 and n >= 1."""
    mu = n * p
    if u <= 1.0 - mu:                            # F(0) = (1 - p)^n >= 1 - n p (Bernoulli's inequality)
        return 0
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
        grown = cdf + pmf
        if grown == cdf and k > mu:              # u within rounding of 1: past the mode the CDF cannot grow
            break                                # any more (the tail beyond is below its rounding)
        cdf = grown
    return k


@numba.njit(cache=True, nogil=True, error_model="numpy")
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


_GOLDEN, _MIX1, _MIX2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_U27, _U30, _U31 = np.uint64(27), np.uint64(30), np.uint64(31)
_2_53 = 9007199254740992.0
_HALF_LOG_2PI = 0.9189385332046728


@numba.njit(cache=True, nogil=True, inline="always")
def _splitmix_uniform(s):
    """SplitMix64 (Steele et al. 2014) on the state ``s``: ``(uniform in [0, 1) with 53 bits, next state)``."""
    s = s + _GOLDEN
    z = (s ^ (s >> _U30)) * _MIX1
    z = (z ^ (z >> _U27)) * _MIX2
    z = z ^ (z >> _U31)
    return np.float64(np.int64(z >> _U11)) * _TO_UNIT, s


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _stirling_tail(k):
    """``log(k!) - (k + 1/2) log(k + 1) + (k + 1) - log(2 pi) / 2`` for an integer-valued ``k >= 0`` (float):
    lgamma below 10, else the Stirling series to ``(k + 1)^-5`` (truncation < 3e-11)."""
    if k < 10.0:
        return math.lgamma(k + 1.0) - (k + 0.5) * math.log(k + 1.0) + (k + 1.0) - _HALF_LOG_2PI
    kp1sq = (k + 1.0) * (k + 1.0)
    return (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / 1260.0 / kp1sq) / kp1sq) / (k + 1.0)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _btrs(u, n, p):
    """``Bin(n, p)`` by Hörmann's transformed rejection BTRS (1993) for ``n p >= 10``, ``p <= 1/2``; its uniforms
    from SplitMix64 seeded with the 53 bits of ``u`` (see the module docstring)."""
    s = np.uint64(np.int64(u * _2_53))
    nf = float(n)
    spq = math.sqrt(nf * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = nf * p + 0.5
    v_r = 0.92 - 4.2 / b
    x = u
    while True:
        v, s = _splitmix_uniform(s)
        x = x - 0.5
        us = 0.5 - abs(x)
        t = (2.0 * a / us + b) * x + c           # us = 0: t = -inf
        if t < 0.0 or t >= nf + 1.0:             # k = floor(t) outside 0 ... n
            x, s = _splitmix_uniform(s)
            continue
        if us >= 0.07 and v <= v_r:
            return int(t)
        k = float(int(t))
        r = p / (1.0 - p)
        m = math.floor((nf + 1.0) * p)
        lv = math.log(v * ((2.83 + 5.1 / b) * spq) / (a / (us * us) + b))
        bound = ((m + 0.5) * math.log((m + 1.0) / (r * (nf - m + 1.0)))
                 + (nf + 1.0) * math.log1p((k - m) / (nf - k + 1.0))
                 + (k + 0.5) * math.log(r * (nf - k + 1.0) / (k + 1.0)) + _stirling_tail(m) + _stirling_tail(nf - m)
                 - _stirling_tail(k) - _stirling_tail(nf - k))
        if lv <= bound:
            return int(k)
        x, s = _splitmix_uniform(s)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def binomial_draw(u, n, p):
    """A ``Bin(n, p)`` draw from one uniform ``u``: :func:`binomial_inverse` below the mean ``MU_REJECTION`` (of
    ``min(p, 1 - p)``), :func:`_btrs` above (see the module docstring); ``n`` an integer >= 0."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        if n * (1.0 - p) < MU_REJECTION:
            return binomial_inverse(u, n, p)
        return n - _btrs(u, n, 1.0 - p)
    if n * p < MU_REJECTION:
        return binomial_inverse(u, n, p)
    return _btrs(u, n, p)


@numba.njit(cache=True, nogil=True, error_model="numpy")
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


_U1, _U3, _U8, _U11 = np.uint64(1), np.uint64(3), np.uint64(8), np.uint64(11)
_U24, _U40, _BYTE, _MANTISSA = np.uint64(24), np.uint64(40), np.uint64(0xFF), np.uint64(0x000FFFFFFFFFFFFF)
_TO_UNIT = 1.0 / 9007199254740992.0
_KI, _WI, _FI = _zig.ki_double, _zig.wi_double, _zig.fi_double
_ZIG_R, _ZIG_INV_R = _zig.ziggurat_nor_r, _zig.ziggurat_nor_inv_r


@numba.njit(cache=True, nogil=True, inline="always")
def _sfc64(a, b, c, w):
    """numpy's SFC64 step on the state ``(a, b, c, w)``: ``(output, a, b, c, w)``."""
    out = a + b + w
    return out, b ^ (b >> _U11), c + (c << _U3), ((c << _U24) | (c >> _U40)) + out, w + _U1


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _normal_tail(a, b, c, w, rabs, idx, x):
    """The ziggurat's rare branches (numpy's ``random_standard_normal``): ``(x or NaN to retry, state)``."""
    if idx == 0:
        while True:
            t, a, b, c, w = _sfc64(a, b, c, w)
            xx = -_ZIG_INV_R * np.log1p(-(np.float64(np.int64(t >> _U11)) * _TO_UNIT))
            t, a, b, c, w = _sfc64(a, b, c, w)
            yy = -np.log1p(-(np.float64(np.int64(t >> _U11)) * _TO_UNIT))
            if yy + yy > xx * xx:
                return (-(_ZIG_R + xx) if (rabs >> _U8) & _U1 else _ZIG_R + xx), a, b, c, w
    t, a, b, c, w = _sfc64(a, b, c, w)
    if (_FI[idx - 1] - _FI[idx]) * (np.float64(np.int64(t >> _U11)) * _TO_UNIT) + _FI[idx] < np.exp(-0.5 * x * x):
        return x, a, b, c, w
    return np.nan, a, b, c, w


@numba.njit(cache=True, nogil=True, inline="always")
def standard_normal(a, b, c, w):
    """One standard normal from the SFC64 state ``(a, b, c, w)`` (numpy's ziggurat): ``(x, a, b, c, w)``."""
    while True:
        t, a, b, c, w = _sfc64(a, b, c, w)
        idx = t & _BYTE
        t >>= _U8
        rabs = (t >> _U1) & _MANTISSA
        x = np.float64(np.int64(rabs)) * _WI[idx]
        if t & _U1:
            x = -x
        if rabs < _KI[idx]:
            return x, a, b, c, w
        x, a, b, c, w = _normal_tail(a, b, c, w, rabs, idx, x)
        if x == x:
            return x, a, b, c, w


@numba.njit(cache=True, nogil=True, error_model="numpy")
def fill_block(rng, markov, buf, rows, cols):
    """``buf[:rows, :cols]``: uniforms (markov) or standard normals, lane-major (the numpy engine's order),
    from the SFC64 state ``rng`` (uint64[4], updated): the numbers of ``Generator(SFC64).random`` and
    ``.standard_normal`` (numpy's algorithms: 53-bit uniforms, 256-level ziggurat), bit for bit. Integers
    below 2^53 are converted to float through int64 (exact, and cheaper than from uint64)."""
    a, b, c, w = rng[0], rng[1], rng[2], rng[3]
    for j in range(rows):
        for r in range(cols):
            if markov:
                t, a, b, c, w = _sfc64(a, b, c, w)
                buf[j, r] = np.float64(np.int64(t >> _U11)) * _TO_UNIT
                continue
            x, a, b, c, w = standard_normal(a, b, c, w)
            buf[j, r] = x
    rng[0], rng[1], rng[2], rng[3] = a, b, c, w


def sfc64_state(gen) -> np.ndarray:
    """The state ``(a, b, c, counter)`` of a ``Generator(SFC64)`` as uint64[4] (a copy), for :func:`fill_block`."""
    state = gen.bit_generator.state
    if state["bit_generator"] != "SFC64":
        raise TypeError(f"the channel kernel draws from SFC64 streams, got {state['bit_generator']}")
    return np.array(state["state"]["state"], dtype=np.uint64)
