"""Measured firing data: loading and validation.

A data file is a CSV with the columns ``x`` (normalised stimulus, > 0), ``n_fired`` and
``n_trials`` (integers, ``0 <= n_fired <= n_trials``, ``n_trials >= 1``), one row per stimulus
level, at least 3 rows, no repeated ``x``. The shipped ``data/experimental.csv`` holds the
seed project's measurements (1000 trials per level).
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["FiringData", "load_data", "DEFAULT_DATA_PATH"]

#: The shipped measurements (repository ``data/experimental.csv``).
DEFAULT_DATA_PATH = Path(__file__).resolve().parents[1] / "data" / "experimental.csv"

COLUMNS = ("x", "n_fired", "n_trials")


@dataclass(frozen=True, eq=False)
class FiringData:
    """Firing counts at normalised stimulus levels.

    Attributes
    ----------
    x : ndarray, shape (n,)
        Normalised stimulus (dimensionless; the amplitude is ``I_ref (1 + delta_v) x``).
    n_fired, n_trials : ndarray of int, shape (n,)
    source : str
        Where the data came from (file path or description).
    """

    x: np.ndarray
    n_fired: np.ndarray
    n_trials: np.ndarray
    source: str = "array"

    def __post_init__(self):
        x = np.asarray(self.x, dtype=float)
        k = np.asarray(self.n_fired)
        n = np.asarray(self.n_trials)
        if x.ndim != 1 or k.shape != x.shape or n.shape != x.shape:
            raise ValueError(f"x, n_fired and n_trials must be 1-D of equal length, got {x.shape}, {k.shape}, {n.shape}")
        for name, arr in (("n_fired", k), ("n_trials", n)):
            if not np.all(np.isfinite(arr.astype(float))) or np.any(arr != np.round(arr)):
                raise ValueError(f"{name} must be integers")
        k, n = k.astype(np.int64), n.astype(np.int64)
        if x.size < 3:
            raise ValueError(f"need at least 3 stimulus levels, got {x.size}")
        if not np.all(np.isfinite(x)) or np.any(x <= 0):
            raise ValueError("x must be finite and > 0")
        if np.any(n < 1):
            raise ValueError("n_trials must be >= 1")
        if np.any((k < 0) | (k > n)):
            raise ValueError("n_fired must satisfy 0 <= n_fired <= n_trials")
        if np.unique(x).size != x.size:
            raise ValueError("x values must not repeat")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "n_fired", k)
        object.__setattr__(self, "n_trials", n)

    @property
    def fraction(self) -> np.ndarray:
        """Measured firing fractions ``n_fired / n_trials``."""
        return self.n_fired / self.n_trials

    def __len__(self):
        return self.x.size


def _fail(path, row, column, message):
    where = f"{path}, row {row}" + (f", column '{column}'" if column else "")
    raise ValueError(f"{where}: {message}")


def load_data(path=None) -> FiringData:
    """Load and validate a firing-data CSV (default: the shipped ``data/experimental.csv``).

    Raises
    ------
    ValueError
        Naming the file, the row (1 = header) and the column of the first problem.
    FileNotFoundError
        If the file does not exist.

    Examples
    --------
    >>> d = load_data()
    >>> len(d), int(d.n_fired[5]), int(d.n_trials[5])
    (11, 500, 1000)
    """
    path = Path(DEFAULT_DATA_PATH if path is None else path)
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        _fail(path, 1, None, "empty file; expected a header 'x,n_fired,n_trials'")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        _fail(path, 1, missing[0], f"missing column; the header must name {', '.join(COLUMNS)} (got {','.join(header)})")
    col = {c: header.index(c) for c in COLUMNS}
    xs, ks, ns, seen = [], [], [], {}
    for i, raw in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue                                   # blank line
        if len(raw) != len(header):
            _fail(path, i, None, f"expected {len(header)} fields, got {len(raw)}")
        cells = {c: raw[col[c]].strip() for c in COLUMNS}
        try:
            x = float(cells["x"])
        except ValueError:
            _fail(path, i, "x", f"not a number: {cells['x']!r}")
        if not math.isfinite(x) or x <= 0:
            _fail(path, i, "x", f"must be finite and > 0, got {cells['x']!r}")
        ints = {}
        for c in ("n_fired", "n_trials"):
            try:
                val = float(cells[c])
            except ValueError:
                _fail(path, i, c, f"not a number: {cells[c]!r}")
            if not math.isfinite(val) or val != int(val):
                _fail(path, i, c, f"must be an integer, got {cells[c]!r}")
            ints[c] = int(val)
        if ints["n_trials"] < 1:
            _fail(path, i, "n_trials", f"must be >= 1, got {ints['n_trials']}")
        if not 0 <= ints["n_fired"] <= ints["n_trials"]:
            _fail(path, i, "n_fired", f"must be between 0 and n_trials = {ints['n_trials']}, got {ints['n_fired']}")
        if x in seen:
            _fail(path, i, "x", f"duplicate x = {cells['x']} (also on row {seen[x]})")
        seen[x] = i
        xs.append(x)
        ks.append(ints["n_fired"])
        ns.append(ints["n_trials"])
    if len(xs) < 3:
        _fail(path, len(rows), None, f"need at least 3 data rows, got {len(xs)}")
    return FiringData(np.array(xs), np.array(ks), np.array(ns), source=str(path))
