"""Measured firing data: loading and validation.

A data file is a UTF-8 CSV (a leading byte-order mark is allowed) with the columns ``x``
(normalised stimulus, dimensionless, finite and > 0), ``n_fired`` and ``n_trials`` (whole numbers
below 2**53, ``0 <= n_fired <= n_trials``, ``n_trials >= 1``), one row per stimulus level, at least
3 rows, no repeated ``x``. Columns may come in any order; other columns are ignored, but no column
name may appear twice. Blank lines are skipped. Lines starting with ``#`` are rejected: they are
reserved for ``# key: value`` protocol lines, which this version cannot interpret yet, and ignoring
them could silently change the meaning of the data. The shipped ``hhlib/datasets/experimental.csv``
(package data, installed with hhlib) holds the predecessor project's measurements (1000 trials per level).

The columns are parsed by a table (``COLUMN_SPECS``): each entry names a column, says whether it is
required and gives the function that turns one cell's text into a value; cross-column checks
(``n_fired <= n_trials``) run on the parsed row. Adding a column is adding an entry.
"""
from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib.resources import as_file, files
from pathlib import Path

import numpy as np

from .validation import check_instance, count_array, real_array

__all__ = ["FiringData", "load_data", "DEFAULT_DATA_PATH"]

#: The shipped measurements: package data ``hhlib/datasets/experimental.csv``, found through
#: :mod:`importlib.resources` (so also in an installed wheel). A :class:`pathlib.Path` whenever hhlib
#: is installed as files (pip, a checkout); another ``Traversable`` if it is imported from a zip
#: archive, which :func:`load_data` then reads through a temporary file (:func:`importlib.resources.as_file`).
DEFAULT_DATA_PATH = files("hhlib") / "datasets" / "experimental.csv"

#: Counts must be whole numbers strictly below this (every such integer is exact as a float).
MAX_COUNT = 2**53

#: The longest line accepted, in characters (a data line is a few dozen characters).
MAX_LINE_CHARS = 1 << 20


@dataclass(frozen=True, eq=False)
class FiringData:
    """Firing counts at normalised stimulus levels.

    The constructor validates its arguments with the same rules as :func:`load_data` and copies
    them, so a ``FiringData`` is always valid.

    Attributes
    ----------
    x : ndarray of float, shape (n,)
        Normalised stimulus (dimensionless; the amplitude is ``I_ref (1 + delta_v) x``): finite,
        > 0, no value repeated.
    n_fired, n_trials : ndarray of int64, shape (n,)
        Trials that fired and trials run at each level: whole numbers below 2**53,
        ``0 <= n_fired <= n_trials`` and ``n_trials >= 1``.
    source : str
        Where the data came from (file path or description).

    Raises
    ------
    ValueError, TypeError
        Naming the argument (``x``, ``n_fired``, ``n_trials`` or ``source``) and the rule broken.

    Examples
    --------
    >>> d = FiringData([0.9, 1.0, 1.1], [10, 50, 90], [100, 100, 100])
    >>> d.firing_probability.tolist()
    [0.1, 0.5, 0.9]
    >>> FiringData([0.9, 1.0, 1.1], [10, 2.5, 90], [100, 100, 100])
    Traceback (most recent call last):
    ...
    ValueError: n_fired must be whole numbers below 2**53, got [2.5]
    """

    x: np.ndarray
    n_fired: np.ndarray
    n_trials: np.ndarray
    source: str = "array"

    def __post_init__(self):
        check_instance("source", self.source, str)
        x = real_array("x", self.x, "dimensionless", positive=True)
        k = count_array("n_fired", self.n_fired)
        n = count_array("n_trials", self.n_trials, minimum=1)
        if x.ndim != 1:
            raise ValueError(f"x must be 1-D, got shape {x.shape}")
        if k.shape != x.shape or n.shape != x.shape:
            raise ValueError(f"x, n_fired and n_trials must be 1-D of equal length, got shapes "
                             f"{x.shape}, {k.shape}, {n.shape}")
        if x.size < 3:
            raise ValueError(f"need at least 3 stimulus levels (x), got {x.size}")
        if np.any(k > n):
            i = int(np.argmax(k > n))
            raise ValueError(f"n_fired must satisfy n_fired <= n_trials, got n_fired[{i}] = {k[i]} "
                             f"> n_trials[{i}] = {n[i]}")
        values, counts = np.unique(x, return_counts=True)
        if np.any(counts > 1):
            raise ValueError(f"x values must not repeat, got x = {float(values[counts > 1][0])!r} "
                             f"{int(counts[counts > 1][0])} times")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "n_fired", k)
        object.__setattr__(self, "n_trials", n)

    @property
    def firing_probability(self) -> np.ndarray:
        """Measured firing probability of every level, ``n_fired / n_trials`` (dimensionless)."""
        return self.n_fired / self.n_trials

    @property
    def fraction(self) -> np.ndarray:
        """Old name of :attr:`firing_probability`."""
        import warnings
        warnings.warn("FiringData.fraction is now FiringData.firing_probability", DeprecationWarning, stacklevel=2)
        return self.firing_probability

    def __len__(self):
        return self.x.size


# ---------------------------------------------------------------------------------------------
# cell parsers: text -> value, or ValueError with the message that follows "column 'c': "

def _parse_real(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None


def _parse_stimulus(text: str) -> float:
    """A normalised stimulus: a finite float > 0 (dimensionless)."""
    value = _parse_real(text)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be finite and > 0, got {text!r}")
    return value


def _count_parser(minimum: int | None) -> Callable[[str], int]:
    """Parser of a count: a whole number below 2**53 and >= ``minimum`` (if not None), checked
    exactly (``'3.0'`` and ``'1e3'`` are whole, ``'3.0000000000000001'`` is not)."""

    def parse(text: str) -> int:
        whole = f"must be an integer (a whole number below 2**53), got {text!r}"
        try:
            value = Decimal(text)
        except InvalidOperation:                       # not a number, or an exponent beyond Decimal's
            _parse_real(text)
            raise ValueError(whole) from None
        if not value.is_finite() or value != value.to_integral_value() or abs(value) >= MAX_COUNT:
            raise ValueError(whole)
        if minimum is not None and value < minimum:
            raise ValueError(f"must be >= {minimum}, got {int(value)}")
        return int(value)

    return parse


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a data file: its header name, whether it must be present and its cell parser
    (text -> value; raises ValueError with a message naming the rule)."""

    name: str
    parse: Callable[[str], object]
    required: bool = True


#: The columns :func:`load_data` reads, in the order their cells are checked.
COLUMN_SPECS = (
    ColumnSpec("x", _parse_stimulus),
    ColumnSpec("n_fired", _count_parser(None)),     # 0 <= n_fired <= n_trials is a row check
    ColumnSpec("n_trials", _count_parser(1)),
)
COLUMNS = tuple(spec.name for spec in COLUMN_SPECS)


def _check_fired_within_trials(values: dict):
    if not 0 <= values["n_fired"] <= values["n_trials"]:
        return "n_fired", f"must be between 0 and n_trials = {values['n_trials']}, got {values['n_fired']}"
    return None


#: Checks of a parsed row (dict column -> value): each returns None or (column, message).
ROW_CHECKS = (_check_fired_within_trials,)


# ---------------------------------------------------------------------------------------------
# reading

class _FileError(ValueError):
    """A problem at a place in the file; load_data turns it into a ValueError naming the file."""

    def __init__(self, row, column, message):
        super().__init__(message)
        self.row, self.column, self.message = row, column, message


_NOT_TEXT = re.compile("[\udc80-\udcff\x00]")      # undecodable bytes (surrogateescape) and NUL
_COMMENT = "lines starting with '#' are not supported: remove comment and '# key: value' lines"


def _check_text(cell: str, row: int, column):
    bad = _NOT_TEXT.search(cell)
    if bad is None:
        return
    ch = bad.group()
    if ch == "\x00":
        raise _FileError(row, column, "contains a NUL byte; is it a binary file? Expected UTF-8 CSV text")
    raise _FileError(row, column, f"not UTF-8 text (byte 0x{ord(ch) - 0xDC00:02x}); save the file as UTF-8")


def _lines(f):
    """The file's lines (line ends kept, for csv), none longer than MAX_LINE_CHARS."""
    while line := f.readline(MAX_LINE_CHARS + 1):
        if len(line) > MAX_LINE_CHARS:
            raise _FileError(None, None, f"line longer than {MAX_LINE_CHARS} characters")
        yield line


def _records(f):
    """``(row, cells)`` per non-blank CSV record (row 1 = the first line); csv errors become _FileError."""
    reader = csv.reader(_lines(f))
    row = 0
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except _FileError as err:
            raise _FileError(row, None, err.message) from None
        except csv.Error as err:
            raise _FileError(row, None, f"not valid CSV: {err}") from None
        if any(cell.strip() for cell in cells):        # blank lines are skipped
            yield row, cells


def _parse_header(row: int, cells: list[str]) -> list[str]:
    names = [h.strip() for h in cells]
    for j, name in enumerate(names):
        _check_text(name, row, None)
        if name and names.index(name) != j:
            raise _FileError(row, name, f"duplicate column name (fields {names.index(name) + 1} and {j + 1})")
    if names[0].startswith("#"):
        raise _FileError(row, None, _COMMENT + " (the header must come first)")
    missing = [s.name for s in COLUMN_SPECS if s.required and s.name not in names]
    if missing:
        raise _FileError(row, missing[0], f"missing column; the header must name {', '.join(COLUMNS)} "
                                          f"(got {','.join(names)})")
    return names


def _parse_row(row: int, cells: list[str], names: list[str]) -> dict:
    for j, cell in enumerate(cells):
        _check_text(cell, row, (names[j] or None) if j < len(names) else None)
    if cells[0].lstrip().startswith("#"):
        raise _FileError(row, None, _COMMENT)
    if len(cells) != len(names):
        raise _FileError(row, None, f"expected {len(names)} fields, got {len(cells)}")
    values = {}
    for spec in COLUMN_SPECS:
        if spec.name not in names:
            continue
        text = cells[names.index(spec.name)].strip()
        try:
            values[spec.name] = spec.parse(text)
        except ValueError as err:
            raise _FileError(row, spec.name, str(err)) from None
    for check in ROW_CHECKS:
        problem = check(values)
        if problem:
            raise _FileError(row, *problem)
    return values


def _read_rows(f) -> list[dict]:
    """The validated data rows of an open text file, one dict (column -> value) per row."""
    records = _records(f)
    first = next(records, None)
    if first is None:
        raise _FileError(1, None, f"empty file; expected a header '{','.join(COLUMNS)}'")
    names = _parse_header(*first)
    rows, seen, last = [], {}, first[0]
    for row, cells in records:
        last = row
        values = _parse_row(row, cells, names)
        if values["x"] in seen:
            text = cells[names.index("x")].strip()
            raise _FileError(row, "x", f"duplicate x = {text} (also on row {seen[values['x']]})")
        seen[values["x"]] = row
        rows.append(values)
    if len(rows) < 3:
        raise _FileError(last, None, f"need at least 3 data rows, got {len(rows)}")
    return rows


def _resolve(path) -> Path:
    """The data file's path; TypeError, ValueError or FileNotFoundError naming it if unusable."""
    check_instance("path", path, (str, os.PathLike), "str or path-like")
    if not isinstance(os.fspath(path), str):
        raise TypeError(f"path must be a str or a str path-like, got {os.fspath(path)!r}")
    if os.fspath(path) == "":
        raise ValueError("path must name a data file, got an empty string")
    path = Path(path)
    try:
        exists, regular = path.exists(), path.is_file()
    except (OSError, ValueError) as err:                 # name too long, ...
        raise ValueError(f"{path}: cannot access the data file: {err}") from None
    if not exists:
        raise FileNotFoundError(f"data file not found: {path}")
    if not regular:
        raise ValueError(f"{path}: not a regular file (a directory?); expected a CSV data file")
    return path


def load_data(path=None) -> FiringData:
    """Load and validate a firing-data CSV (default: the shipped ``hhlib/datasets/experimental.csv``).

    The file is read line by line and validated as it is read, so a bad file fails at its first
    problem without being read in full.

    Parameters
    ----------
    path : str or path-like, optional
        The CSV file: UTF-8 (a leading byte-order mark is fine), a header naming ``x``,
        ``n_fired`` and ``n_trials`` (any order, other columns ignored, no name twice), then one
        row per stimulus level; see the module docstring for the rules.

    Returns
    -------
    FiringData
        With ``source`` = the path.

    Raises
    ------
    ValueError
        ``"{path}, row {row}, column '{column}': {message}"`` (row 1 = the header; the column is
        left out where the problem is the whole row) for the first problem: not UTF-8 text, not
        valid CSV, a field or line too long, a missing or repeated column name, a '#' line, a
        wrong number of fields, a cell that is not a number or out of range, a repeated ``x``,
        fewer than 3 data rows. Also for a path that is empty or not a regular file.
    FileNotFoundError
        If the file does not exist.
    TypeError
        If ``path`` is not a str or path-like.

    Examples
    --------
    >>> d = load_data()
    >>> len(d), int(d.n_fired[5]), int(d.n_trials[5])
    (11, 500, 1000)
    """
    if path is None:                                    # package data: a real file, unless hhlib is zipped
        with as_file(DEFAULT_DATA_PATH) as default:
            return _load(_resolve(default))
    return _load(_resolve(path))


def _load(path: Path) -> FiringData:
    """:func:`load_data` of a checked ``path`` (its errors name the path)."""
    try:
        with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
            rows = _read_rows(f)
    except _FileError as err:
        where = f"{path}" + (f", row {err.row}" if err.row else "") + (f", column '{err.column}'" if err.column else "")
        raise ValueError(f"{where}: {err.message}") from None
    except FileNotFoundError:                           # removed since _resolve looked
        raise FileNotFoundError(f"data file not found: {path}") from None
    except OSError as err:                              # permission denied, I/O error, ...
        raise ValueError(f"{path}: cannot read the file: {err.strerror or err}") from None
    return FiringData(np.array([r["x"] for r in rows]), np.array([r["n_fired"] for r in rows]),
                      np.array([r["n_trials"] for r in rows]), source=str(path))
