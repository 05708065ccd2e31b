"""Data shipped with hhlib (package data, installed with the wheel), loaded by name from anywhere.

- ``experimental``: the seed project's firing counts (``x,n_fired,n_trials``, 1000 trials per level), read by
  :func:`hhlib.load_data` when no path is given;
- ``synthetic_latency_uA``: SYNTHETIC single-fibre data in physical units (µA, cm²) with latency, jitter and
  a protocol header, simulated at known parameters (``delta_v = -0.5``, ``delta_area = 2``) by the seeded
  script ``data/examples/make_synthetic.py`` of the source checkout.

``hhlib.load_data("synthetic_latency_uA")`` (or ``python -m hhlib optimise --data synthetic_latency_uA``)
reads one: a name without a folder or a suffix names a dataset here, unless a file of exactly that name
exists in the current folder (the file wins).

Examples
--------
>>> names()
('experimental', 'synthetic_latency_uA')
>>> resource("synthetic_latency_uA").name
'synthetic_latency_uA.csv'
"""
from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

__all__ = ["names", "resource"]

_SUFFIX = ".csv"


def names() -> tuple[str, ...]:
    """The names of the shipped datasets, sorted (file names of ``hhlib/datasets/*.csv`` without ``.csv``)."""
    return tuple(sorted(f.name[: -len(_SUFFIX)] for f in files(__name__).iterdir()
                        if f.name.endswith(_SUFFIX) and f.is_file()))


def resource(name: str) -> Traversable:
    """The file of the shipped dataset ``name`` (a :class:`pathlib.Path` when hhlib is installed as files).

    Raises
    ------
    TypeError
        If ``name`` is not a str.
    ValueError
        If no dataset has that name (the message lists :func:`names`).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if name not in names():
        raise ValueError(f"no shipped dataset named {name!r}; the shipped datasets are {', '.join(names())}")
    return files(__name__) / f"{name}{_SUFFIX}"
