"""Random seeds, one place: what a ``seed`` may be, child streams by spawn key, and what reproduces a run.

Every random result of hhlib takes ``seed`` (:data:`SeedLike`): None (fresh entropy from the OS, reported
in the result), a non-negative int, a :class:`numpy.random.SeedSequence` (its entropy *and* spawn key
are used, so two children of one parent give different streams), or a :class:`numpy.random.Generator`
(one 128-bit draw from it). Nothing global is ever touched.

Streams are children of the root by spawn key: :func:`child` appends keys, :func:`stream` gives the
generator of ``(condition, block)``. A result stores a :class:`SeedRecord` (entropy and spawn key), which
:func:`as_seed_sequence` accepts back: passing it as ``seed`` reproduces the run exactly.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .validation import check_int

__all__ = ["SeedLike", "SeedRecord", "as_seed_sequence", "child", "stream", "record_of"]


@dataclass(frozen=True)
class SeedRecord:
    """What reproduces a run: the root's entropy and spawn key (pass it back as ``seed``).

    Attributes
    ----------
    entropy : int
        The root's entropy, a whole number >= 0 (numpy's SeedSequence entropy; 128 bits when drawn from the OS).
    spawn_key : tuple of int
        Its spawn key, whole numbers >= 0 (stored as a tuple of ints).

    Examples
    --------
    >>> SeedRecord(5, [0, 3])
    SeedRecord(entropy=5, spawn_key=(0, 3))
    >>> SeedRecord(-5)
    Traceback (most recent call last):
    ...
    ValueError: SeedRecord entropy must be an integer >= 0, got -5
    """

    entropy: int
    spawn_key: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "entropy", check_int("SeedRecord entropy", self.entropy, minimum=0))
        key = self.spawn_key
        if isinstance(key, (str, bytes)) or not isinstance(key, (tuple, list, np.ndarray)):
            raise TypeError(f"SeedRecord spawn_key must be a tuple of integers >= 0, got {key!r}")
        key = tuple(check_int(f"SeedRecord spawn_key[{i}]", k, minimum=0) for i, k in enumerate(key))
        object.__setattr__(self, "spawn_key", key)

    def seed_sequence(self) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.entropy, spawn_key=tuple(self.spawn_key))


#: What a ``seed`` argument may be.
SeedLike = None | int | np.integer | np.random.SeedSequence | np.random.Generator | SeedRecord


def as_seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """The root :class:`numpy.random.SeedSequence` of ``seed`` (a copy: spawning from it never changes ``seed``).

    Examples
    --------
    >>> a, b = np.random.SeedSequence(123).spawn(2)
    >>> as_seed_sequence(a).spawn_key, as_seed_sequence(b).spawn_key
    ((0,), (1,))
    >>> as_seed_sequence(7).entropy
    7
    """
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, SeedRecord):
        return seed.seed_sequence()
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=tuple(seed.spawn_key))
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(0, 2**63)) << 64 | int(seed.integers(0, 2**63)))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError("seed must be None, an int >= 0, a numpy SeedSequence or Generator (or a result's "
                        f"SeedRecord), got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.random.SeedSequence(int(seed))


def child(root: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """The child of ``root`` with ``key`` appended to its spawn key (independent of every other child)."""
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + tuple(int(k) for k in key))


def stream(root: np.random.SeedSequence, condition: int, block: int) -> np.random.Generator:
    """The generator of trial block ``block`` of condition (stream id) ``condition``: SFC64 of the child."""
    return np.random.Generator(np.random.SFC64(child(root, condition, block)))


def record_of(root: np.random.SeedSequence | None) -> SeedRecord | None:
    """The :class:`SeedRecord` that reproduces a run seeded with ``root`` (None for a noise-free run)."""
    return None if root is None else SeedRecord(int(root.entropy), tuple(int(k) for k in root.spawn_key))
