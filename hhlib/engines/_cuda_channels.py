"""Channel-number noise on the GPU: the CPU engine's channel code as CUDA device functions, fed by Philox.

The steps themselves are not rewritten. The unrolled per-scheme step functions that
:mod:`hhlib.engines._channel_codegen` writes for the CPU kernel are written into the GPU kernel's module
too, decorated with :func:`~hhlib.engines.cuda_support.device` instead of ``numba.njit``
(:mod:`hhlib.engines.cuda_kernels`), and the helpers they
and the kernel call (the binomial draws and the draw of the initial states from
:mod:`hhlib.engines.numba_channels`) are recompiled here as device functions by :func:`_device`, with
their calls to each other bound to the device versions. So the GPU runs the same exact frozen-V scheme,
the same sequential binomial draws (markov: inversion, or BTRS rejection fed by a SplitMix64 seeded with the
draw's uniform) and the same exact-covariance Gaussian step (diffusion),
one thread per trial, its channel states in a per-thread local array.

Only the random numbers differ (:func:`fill_draws`): Philox4x32-10 (:mod:`._philox`) keyed by the seed,
with counter ``(row * per_row + j, trial, stream id low word, stream id high word)``: row 0 holds the
draws of the initial states, row ``step + 1`` those of ``step``, ``j`` counts the 4-word blocks of a row,
so every number is fixed by ``(seed, stream id, trial, step, draw index)`` and never by the launch
configuration. ``markov`` takes uniforms with 53 random bits (two words, numpy's ``random()``
construction: ``(a >> 5, b >> 6) -> (a 2^26 + b) / 2^53``), ``diffusion`` standard normals (Box-Muller on
two words, as for current noise). Channel noise runs in float64 only.
"""
from __future__ import annotations

import math
import types

import numpy as np

from . import numba_channels as _nc
from ._philox import philox4x32_10
from .cuda_support import device

__all__ = ["device", "binomial_inverse", "binomial_draw", "channel_init", "fill_draws", "draws_per_row", "uniform53",
           "normal_pair"]

_U5 = np.uint64(5)
_U6 = np.uint64(6)
_2_26 = 67108864.0
_INV_2_53 = 1.1102230246251565e-16
_INV_2_32 = 2.3283064365386963e-10


def _device(fn, **bound):
    """``fn``'s Python code as a device function, its global names in ``bound`` rebound (device callees)."""
    py = getattr(fn, "py_func", fn)
    scope = dict(py.__globals__)
    scope.update(bound)
    clone = types.FunctionType(py.__code__, scope, py.__name__, py.__defaults__, py.__closure__)
    clone.__qualname__ = py.__qualname__
    return device(clone)


_search = _device(_nc._search)
#: ``F^-1(u)`` of ``Bin(n, p)`` (:func:`hhlib.engines.numba_channels.binomial_inverse`).
binomial_inverse = _device(_nc.binomial_inverse, _search=_search)
#: One trial's initial channel states at rest (:func:`hhlib.engines.numba_channels.channel_init`).
channel_init = _device(_nc.channel_init, binomial_inverse=binomial_inverse)
_btrs = _device(_nc._btrs, _splitmix_uniform=device(_nc._splitmix_uniform.py_func),
                _stirling_tail=_device(_nc._stirling_tail))
#: A ``Bin(n, p)`` draw from one uniform (:func:`hhlib.engines.numba_channels.binomial_draw`).
binomial_draw = _device(_nc.binomial_draw, binomial_inverse=binomial_inverse, _btrs=_btrs)
_philox = device(philox4x32_10)


@device
def uniform53(a, b):
    """A uniform in [0, 1) with 53 random bits from two random 32-bit words (numpy's construction)."""
    return (float(a >> _U5) * _2_26 + float(b >> _U6)) * _INV_2_53


@device
def normal_pair(u, v):
    """Two standard normals (float64) from two random 32-bit words (Box-Muller, as the current-noise kernel)."""
    r = math.sqrt(-2.0 * math.log((float(u) + 0.5) * _INV_2_32))
    t = 6.283185307179586 * ((float(v) + 0.5) * _INV_2_32 - 0.5)
    return r * math.cos(t), r * math.sin(t)


def draws_per_row(markov: bool, n_draws: int) -> int:
    """Philox blocks (4 words) per row of ``n_draws`` numbers: 2 uniforms or 4 normals per block."""
    return -(-n_draws // (2 if markov else 4))


@device
def fill_draws(markov, rand, n, row, per_row, trial, s_lo, s_hi, key0, key1):
    """``rand[:n]``: the uniforms (markov) or normals of row ``row`` (0: initial states, ``step + 1``: a step)."""
    base = np.uint64(row) * np.uint64(per_row)
    step = 2 if markov else 4
    for j in range(0, n, step):
        w0, w1, w2, w3 = _philox(base + np.uint64(j // step), trial, s_lo, s_hi, key0, key1)
        if markov:
            rand[j] = uniform53(w0, w1)
            if j + 1 < n:
                rand[j + 1] = uniform53(w2, w3)
        else:
            z0, z1 = normal_pair(w0, w1)
            z2, z3 = normal_pair(w2, w3)
            rand[j] = z0
            if j + 1 < n:
                rand[j + 1] = z1
            if j + 2 < n:
                rand[j + 2] = z2
            if j + 3 < n:
                rand[j + 3] = z3
