"""Counter-based random numbers for the GPU engine: Philox4x32-10 and the Box-Muller transform.

Philox4x32-10 (Salmon, Moraes, Dror & Shaw 2011, "Parallel random numbers: as easy as 1, 2, 3"; the
generator of cuRAND, JAX and Random123) maps a 128-bit counter and a 64-bit key to 128 random bits with
ten rounds of multiply-xor; every output is independent of every other counter, so each GPU thread computes
its own numbers from ``(key, counter)`` alone and the results cannot depend on the launch configuration.

hhlib's assignment (:mod:`hhlib.engines.cuda_engine`): key = two 32-bit words of the root seed's state
(``SeedSequence.generate_state(2, uint32)``: entropy and spawn key); counter = ``(step // 4, trial, stream
id low word, stream id high word)``; the four output words give the standard normals of steps ``4q ...
4q + 3`` by two Box-Muller transforms (uniforms ``(u + 1/2) / 2^32``, so |z| <= 6.8: the tails beyond
6.8 sigma, probability 1e-11, are cut). Channel noise numbers its draws differently (one row of Philox
blocks per step, :mod:`._cuda_channels`).

:func:`philox4x32_10` is written once for three uses: numba compiles it as a CUDA device function (the
words travel in uint64 integers and are masked to 32 bits, so no product overflows), numba's CUDA simulator
runs it on numpy scalars, and the tests run it on numpy arrays (:func:`normals`, the reference of the
kernel's numbers).
"""
from __future__ import annotations

import numpy as np

__all__ = ["philox4x32_10", "normals", "key_of", "MASK32"]

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)


def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Philox4x32 with 10 rounds: four 32-bit counter words and two key words -> four random 32-bit words.

    Every argument and result is an unsigned 64-bit integer (scalar or array) holding a 32-bit word.

    Examples
    --------
    >>> z = np.uint64(0)
    >>> [f"{int(w):08x}" for w in philox4x32_10(z, z, z, z, z, z)]     # Random123's known-answer vector
    ['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']
    """
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        c0, c1, c2, c3 = (p1 >> _SHIFT) ^ c1 ^ k0, p1 & MASK32, (p0 >> _SHIFT) ^ c3 ^ k1, p0 & MASK32
        k0 = (k0 + _W0) & MASK32
        k1 = (k1 + _W1) & MASK32
    return c0, c1, c2, c3


def key_of(root: np.random.SeedSequence) -> tuple:
    """The Philox key of a root seed: two 32-bit words (uint64) from its entropy and spawn key."""
    words = root.generate_state(2, np.uint32)
    return np.uint64(words[0]), np.uint64(words[1])


def _box_muller(u, v):
    a = (u.astype(float) + 0.5) * 2.0**-32
    t = 2.0 * np.pi * ((v.astype(float) + 0.5) * 2.0**-32 - 0.5)
    r = np.sqrt(-2.0 * np.log(a))
    return r * np.cos(t), r * np.sin(t)


def normals(root: np.random.SeedSequence, stream_id: int, trials, n_steps: int) -> np.ndarray:
    """The standard normals the GPU engine draws, float64, shape ``(len(trials), n_steps)`` (reference).

    Examples
    --------
    >>> z = normals(np.random.SeedSequence(0), 3, np.arange(2000), 8)
    >>> z.shape, abs(float(z.mean())) < 0.05, abs(float(z.std()) - 1) < 0.05
    ((2000, 8), True, True)
    """
    k0, k1 = key_of(root)
    trials = np.asarray(trials, dtype=np.uint64)[:, None]
    q = np.arange(-(-n_steps // 4), dtype=np.uint64)[None, :]
    lo, hi = np.uint64(stream_id) & MASK32, np.uint64(stream_id) >> _SHIFT
    w = philox4x32_10(q + 0 * trials, trials + 0 * q, lo + 0 * q * trials, hi + 0 * q * trials, k0, k1)
    z0, z1 = _box_muller(w[0], w[1])
    z2, z3 = _box_muller(w[2], w[3])
    return np.stack([z0, z1, z2, z3], axis=-1).reshape(trials.shape[0], -1)[:, :n_steps]
