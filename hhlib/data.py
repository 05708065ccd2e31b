"""Measured firing data: loading, validation and writing.

A data file is a UTF-8 CSV (a leading byte-order mark is allowed): optional ``# key: value`` protocol lines,
then a header, then one row per stimulus level (at least 3 rows, no stimulus repeated). Blank lines are
skipped; columns may come in any order; other columns are ignored, but no column name may appear twice.

Columns
-------
- the stimulus, exactly one of: ``x`` (normalised stimulus, dimensionless: the amplitude is
  ``I_ref (1 + delta_v) x``), or an amplitude with its unit, ``amplitude_uA``, ``amplitude_nA`` or
  ``amplitude_mA`` (converted to µA on loading); finite and > 0 (the sign of the current is the protocol's
  ``polarity``);
- ``n_fired`` and ``n_trials``: whole numbers below 2**53, ``0 <= n_fired <= n_trials``, ``n_trials >= 1``;
- optional ``latency_ms``: mean first-spike latency from the stimulus onset over the trials that fired, ms,
  finite and >= 0; empty (or ``nan``) exactly where ``n_fired = 0``;
- optional ``jitter_ms`` (needs ``latency_ms``): standard deviation of that latency (``ddof = 1``), ms,
  finite and > 0; empty (or ``nan``) exactly where ``n_fired < 2`` (a standard deviation needs two spikes; one
  of exactly 0 over two or more spikes would claim identical latencies and give the mean latency a standard
  error of 0, which the joint fit divides by).

Numbers are written with the ASCII digits 0-9, ``.`` as the decimal point, an optional sign and exponent
(``12``, ``-0.5``, ``.5``, ``1e-3``, ``2.5E+2``; counts too: ``1e3`` is 1000); ``nan``, ``inf`` and
``infinity`` are read but refused wherever a finite value is needed. Python's other number forms are refused,
naming file, row and column: ``_`` separators (``1_0``), other scripts' digits (``٣``), decimal commas.
The file is comma-separated; a semicolon- or tab-separated file, decimal commas and column names in the wrong
case are recognised and named in the error, with the header the file must have.

Protocol lines (before the header, one key per line; :data:`PROTOCOL_KEYS`): ``stimulus`` (the stimulus of unit
amplitude in the text form of :func:`hhlib.stimulus.parse_stimulus`, e.g. ``Pulse(1.0, 0.1, 0.05)`` (amplitude,
onset, duration), ``BiphasicPulse(1.0, phase_duration_ms=0.05, gap_ms=0.01)``, a train or a pair
``Pulse(1.5e-07) + Pulse(1.0, 1.1)``), ``vary`` (the index of the part whose amplitude the stimulus
column gives, the others fixed at their stated amplitude in µA; default: all parts scaled together),
``area_cm2`` (reference membrane area, cm², > 0) and ``note`` (free text, may repeat: e.g. where the data came
from). Older files describe a single pulse with the keys ``delay_ms`` (onset, ms, >= 0), ``duration_ms`` (pulse
or phase duration, ms, > 0), ``waveform`` (``monophasic`` or ``biphasic``), ``polarity`` (``cathodic``: the
(first) phase depolarises; or ``anodic``) and ``gap_ms`` (inter-phase gap of a biphasic pulse, ms, >= 0);
:func:`stimulus_from_keys` turns them into the same stimulus (unstated ones: a monophasic cathodic 0.1 ms pulse
at 0.1 ms), and :func:`save_data` writes it back as a ``stimulus`` line. A file gives either ``stimulus`` or
those keys. An unknown key, a key given twice, a bad value or a ``#`` line after the header is an error.
:func:`load_data` takes ``stimulus``, ``vary`` and ``area_cm2`` as arguments too; a file and an argument that
disagree are an error.

The shipped ``hhlib/datasets/experimental.csv`` (package data, installed with hhlib) holds the predecessor
project's measurements (1000 trials per level, normalised ``x``, no protocol lines: the seed's 0.1 ms
monophasic pulse at 0.1 ms). Every file of ``hhlib/datasets`` loads by its name from anywhere:
``load_data("synthetic_latency_uA")`` (:func:`hhlib.datasets.names` lists them); a file of that name in the
current folder wins.

The columns are parsed by a table (``COLUMN_SPECS``): each entry names a column, says whether it is
required and gives the function that turns one cell's text into a value; cross-column checks
(``n_fired <= n_trials``, latency present exactly where trials fired) run on the parsed row
(``ROW_CHECKS``). Protocol values are parsed by ``PROTOCOL_SPECS`` the same way. Adding a column or a key is
adding an entry.
"""
from __future__ import annotations

import contextlib
import csv
import itertools
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib.resources import as_file, files
from pathlib import Path

import numpy as np

from . import datasets
from .stimulus import STIMULUS_TYPES, BiphasicPulse, Pulse, Stimulus, as_stimulus, parse_stimulus
from .validation import check_choice, check_instance, check_int, check_real, count_array, real_array

__all__ = ["FiringData", "Protocol", "load_data", "save_data", "DEFAULT_DATA_PATH", "STIMULUS_UNITS",
           "PROTOCOL_KEYS", "PULSE_KEYS", "stimulus_from_keys", "unit_stimulus"]

#: The shipped measurements: package data ``hhlib/datasets/experimental.csv``, found through
#: :mod:`importlib.resources` (so also in an installed wheel). A :class:`pathlib.Path` whenever hhlib
#: is installed as files (pip, a checkout); another ``Traversable`` if it is imported from a zip
#: archive, which :func:`load_data` then reads through a temporary file (:func:`importlib.resources.as_file`).
DEFAULT_DATA_PATH = files("hhlib") / "datasets" / "experimental.csv"

#: Counts must be whole numbers strictly below this (every such integer is exact as a float).
MAX_COUNT = 2**53

#: The longest line accepted, in characters (a data line is a few dozen characters).
MAX_LINE_CHARS = 1 << 20

#: Stimulus columns and their factor to µA (None: the normalised, dimensionless ``x``).
STIMULUS_UNITS = {"x": None, "amplitude_uA": 1.0, "amplitude_nA": 1e-3, "amplitude_mA": 1e3}
WAVEFORMS = ("monophasic", "biphasic")
POLARITIES = ("cathodic", "anodic")


def unit_stimulus(stimulus, name: str = "stimulus") -> Stimulus:
    """``stimulus`` (an object or its text form) as a :class:`~hhlib.stimulus.Stimulus` whose parts' amplitudes are
    numbers: the shape that a data file's stimulus column (or a normalised setup's amplitude) scales.

    Raises a ValueError (TypeError) naming ``name``: text that is not a stimulus, an amplitude that is an array.

    Examples
    --------
    >>> unit_stimulus("Pulse(1.0, 0.2)").onset_ms
    0.2
    """
    if not isinstance(stimulus, (str, *STIMULUS_TYPES)):
        raise TypeError(f"{name} must be a stimulus (hhlib.Pulse, BiphasicPulse, PulseTrain, Waveform, Ramp or a sum "
                        f"of them, of unit amplitude) or its text, e.g. 'Pulse(1.0)', got {stimulus!r}")
    stim = parse_stimulus(stimulus, name) if isinstance(stimulus, str) else as_stimulus(stimulus, name)
    for k, a in enumerate(stim.amplitudes_uA):
        if a.ndim:
            raise ValueError(f"{name} is a shape of unit amplitude that the stimulus values scale: its parts' "
                             f"amplitude_uA must be numbers, got shape {a.shape} for parts[{k}] ({stim.parts[k]!r})")
    return stim


def stimulus_from_keys(keys: dict) -> Stimulus:
    """The stimulus (of unit amplitude) that the older header keys :data:`PULSE_KEYS` describe: the one place that
    reads them.

    ``waveform`` monophasic (default) gives ``Pulse(1.0)``, biphasic a charge-balanced :class:`BiphasicPulse`
    with ``gap_ms`` (default 0) between its phases of ``duration_ms`` each; ``polarity`` anodic makes the (first)
    phase hyperpolarising (a monophasic pulse of amplitude -1). Unstated: onset 0.1 ms, duration 0.1 ms, cathodic.

    Examples
    --------
    >>> stimulus_from_keys({"delay_ms": 0.2, "polarity": "anodic"})
    Pulse(-1.0, delay_ms=0.2, duration_ms=0.1)
    >>> stimulus_from_keys({"waveform": "biphasic", "duration_ms": 0.05, "gap_ms": 0.01})
    BiphasicPulse(1.0, phase_duration_ms=0.05, gap_ms=0.01, delay_ms=0.1, cathodic_first=True)
    """
    unknown = set(keys) - set(PULSE_KEYS)
    if unknown:
        raise ValueError(f"unknown pulse key(s) {', '.join(sorted(unknown))}; the keys are {', '.join(PULSE_KEYS)}")
    checked = {k: _PROTOCOL_CHECKS[k](k, v) for k, v in keys.items()}
    waveform, cathodic = checked.get("waveform", "monophasic"), checked.get("polarity", "cathodic") == "cathodic"
    onset, width = checked.get("delay_ms", 0.1), checked.get("duration_ms", 0.1)
    if waveform == "biphasic":
        return Stimulus.of(BiphasicPulse(1.0, width, checked.get("gap_ms", 0.0), onset, cathodic_first=cathodic))
    if "gap_ms" in checked:
        raise ValueError(f"gap_ms applies to biphasic pulses only, but waveform is {checked.get('waveform')!r}")
    return Stimulus.of(Pulse(1.0 if cathodic else -1.0, onset, width))


@dataclass(frozen=True, eq=False)
class Protocol:
    """The stimulation protocol stated with the data (None: not stated).

    Attributes
    ----------
    stimulus : hhlib.stimulus.Stimulus or None
        The stimulus as a shape of unit amplitude (its parts' amplitudes are numbers): the data's stimulus values
        scale it (all parts, or part ``vary``). Latencies are measured from its onset (with ``vary``: from the
        onset of that part). Text is read with :func:`hhlib.stimulus.parse_stimulus`.
    vary : int or None
        The part whose amplitude the stimulus values give (e.g. 1: the probe of a conditioner + probe pair), the
        others fixed at their own amplitudes (µA); None: all parts scaled together. Needs ``stimulus``.
    area_cm2 : float or None
        Reference membrane area, cm² (> 0): the fit's ``A_ref`` for these data.
    notes : tuple of str
        Free-text ``note`` lines (e.g. "synthetic, made by ...").

    Two protocols are equal when they state the same (stimuli compared by their text form).

    Examples
    --------
    >>> p = Protocol(stimulus="BiphasicPulse(1.0, 0.05) + Pulse(1.0, 0.5)", vary=1)
    >>> list(p.stated()), p.stimulus.parts[1].onset_ms
    (['stimulus', 'vary'], 0.5)
    >>> Protocol(vary=1)
    Traceback (most recent call last):
    ...
    ValueError: vary needs a stimulus (vary names one of its parts), got vary = 1 and no stimulus
    """

    stimulus: object = None
    vary: int | None = None
    area_cm2: float | None = None
    notes: tuple = ()

    def __post_init__(self):
        if self.stimulus is not None:
            object.__setattr__(self, "stimulus", unit_stimulus(self.stimulus))
        if self.vary is not None:
            if self.stimulus is None:
                raise ValueError(f"vary needs a stimulus (vary names one of its parts), got vary = {self.vary!r} and "
                                 "no stimulus")
            object.__setattr__(self, "vary", self.stimulus.check_vary(self.vary))
        if self.area_cm2 is not None:
            object.__setattr__(self, "area_cm2", _PROTOCOL_CHECKS["area_cm2"]("area_cm2", self.area_cm2))
        if not isinstance(self.notes, tuple) or not all(isinstance(n, str) for n in self.notes):
            raise TypeError(f"notes must be a tuple of str, got {self.notes!r}")

    def stated(self) -> dict:
        """The stated keys (notes left out) and their values: ``stimulus``, ``vary``, ``area_cm2``."""
        return {k: getattr(self, k) for k in _STATED if getattr(self, k) is not None}

    def _key(self) -> tuple:
        return (None if self.stimulus is None else repr(self.stimulus), self.vary, self.area_cm2, self.notes)

    def __eq__(self, other):
        return self._key() == other._key() if isinstance(other, Protocol) else NotImplemented

    def __hash__(self):
        return hash(self._key())

    def merged(self, given: dict, where: str = "the protocol") -> Protocol:
        """This protocol with the keys ``given`` to :func:`load_data` added; ValueError if one is stated
        differently here, or if the union is inconsistent (e.g. ``vary`` out of the stimulus's parts)."""
        values = self.stated()
        for key, value in given.items():
            value = _PROTOCOL_CHECKS[key](key, value)
            if key in values and repr(values[key]) != repr(value):
                raise ValueError(f"{where}: '{key}' is {values[key]!r} in the file but {value!r} was passed "
                                 f"to load_data ({key}={value!r}); remove one of them")
            values[key] = value
        try:
            return Protocol(**values, notes=self.notes)
        except ValueError as err:
            raise ValueError(f"{where}: protocol: {err}") from None


def _check_time(name, value):
    return check_real(name, value, low=0.0, low_open=name == "duration_ms", unit="ms")


_PROTOCOL_CHECKS = {
    "delay_ms": _check_time,
    "duration_ms": _check_time,
    "waveform": lambda name, v: check_choice(name, v, WAVEFORMS),
    "polarity": lambda name, v: check_choice(name, v, POLARITIES),
    "gap_ms": _check_time,
    "stimulus": lambda name, v: unit_stimulus(v, name),
    "vary": lambda name, v: check_int(name, v, minimum=0),
    "area_cm2": lambda name, v: check_real(name, v, low=0.0, low_open=True, unit="cm²"),
}
#: The older header keys that describe a single pulse (:func:`stimulus_from_keys`).
PULSE_KEYS = ("delay_ms", "duration_ms", "waveform", "polarity", "gap_ms")
#: What a :class:`Protocol` states (and :func:`load_data` takes as arguments).
_STATED = ("stimulus", "vary", "area_cm2")
#: The keys of ``# key: value`` lines.
PROTOCOL_KEYS = PULSE_KEYS + _STATED + ("note",)


@dataclass(frozen=True, eq=False)
class FiringData:
    """Firing counts (and optionally first-spike latency and jitter) at stimulus levels.

    The constructor validates its arguments with the same rules as :func:`load_data` and copies
    them, so a ``FiringData`` is always valid.

    Attributes
    ----------
    x : ndarray of float, shape (n,)
        The stimulus, in :attr:`stimulus_unit`: normalised (dimensionless; the amplitude is
        ``I_ref (1 + delta_v) x``) or an amplitude in µA: finite, > 0, no value repeated.
    n_fired, n_trials : ndarray of int64, shape (n,)
        Trials that fired and trials run at each level: whole numbers below 2**53,
        ``0 <= n_fired <= n_trials`` and ``n_trials >= 1``.
    source : str
        Where the data came from (file path or description).
    latency_ms : ndarray of float, shape (n,), or None
        Mean first-spike latency from the stimulus onset over the trials that fired, ms: finite and >= 0
        where ``n_fired >= 1``, NaN exactly where ``n_fired = 0``. None when the data have none.
    jitter_ms : ndarray of float, shape (n,), or None
        Standard deviation (``ddof = 1``) of that latency, ms: finite and > 0 where ``n_fired >= 2`` (0 would
        claim identical latencies), NaN exactly where ``n_fired < 2``. None when absent; needs ``latency_ms``.
    stimulus_unit : {"normalised", "uA"}
        Unit of ``x`` (files in nA or mA are converted to µA on loading).
    protocol : Protocol
        The stimulation protocol stated with the data (default: nothing stated).

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
    latency_ms: np.ndarray | None = None
    jitter_ms: np.ndarray | None = None
    stimulus_unit: str = "normalised"
    protocol: Protocol = Protocol()

    def __post_init__(self):
        check_instance("source", self.source, str)
        check_choice("stimulus_unit", self.stimulus_unit, ("normalised", "uA"))
        check_instance("protocol", self.protocol, Protocol)
        x = real_array("x", self.x, "dimensionless" if self.stimulus_unit == "normalised" else "µA", positive=True)
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
        self._set_latency()

    def _set_latency(self):
        """Validate and copy ``latency_ms`` and ``jitter_ms``: NaN exactly where no (two) trial(s) fired."""
        if self.jitter_ms is not None and self.latency_ms is None:
            raise ValueError("jitter_ms needs latency_ms (the jitter is the spread around the mean latency)")
        for name, fewest in (("latency_ms", 1), ("jitter_ms", 2)):
            value = getattr(self, name)
            if value is None:
                continue
            arr = np.array(value, dtype=float)
            if arr.shape != self.x.shape:
                raise ValueError(f"{name} must have one value per level, shape {self.x.shape}, got {arr.shape}")
            expected = self.n_fired >= fewest
            finite = np.isfinite(arr)
            low = np.where(finite, arr, 1.0)
            bad = (finite != expected) | ((low <= 0) if name == "jitter_ms" else (low < 0))
            if np.any(bad):
                i = int(np.argmax(bad))
                rule = _latency_rule(name, fewest, int(self.n_fired[i]), float(arr[i]))
                raise ValueError(f"{name}[{i}] = {float(arr[i])!r}: {rule}")
            object.__setattr__(self, name, arr)

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

    @property
    def has_latency(self) -> bool:
        """True when the data carry latency (``latency_ms`` is not None)."""
        return self.latency_ms is not None


def _latency_rule(name: str, fewest: int, n_fired: int, value: float = math.nan) -> str:
    """Why a latency/jitter ``value`` is out of place (for messages)."""
    if n_fired >= fewest and name == "jitter_ms":
        zero = (": a jitter of exactly 0 would claim identical latencies on every trial that fired and give the "
                "mean latency a standard error of 0") if value == 0 else ""
        return f"must be finite and > 0 ms where n_fired >= 2 (n_fired = {n_fired}){zero}"
    if n_fired >= fewest:
        return f"must be finite and >= 0 ms where n_fired >= {fewest} (n_fired = {n_fired})"
    what = "no trial fired" if fewest == 1 else f"{n_fired} trial(s) fired (a standard deviation needs 2)"
    return f"must be empty (NaN) where n_fired < {fewest}: {what}, so there is no {name[:-3]}"


# ---------------------------------------------------------------------------------------------
# cell parsers: text -> value, or ValueError with the message that follows "column 'c': "

#: A number as a data file may write it (Python's float() also takes '1_0', other scripts' digits, ...).
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:nan|inf|infinity)",
                     re.IGNORECASE | re.ASCII)


def _number_hint(text: str) -> str:
    """Why ``text`` is not a number of a data file, where that is recognisable (for messages)."""
    if "_" in text and _NUMBER.fullmatch(text.replace("_", "")):
        return "; write numbers without '_' separators (1000, not 1_000)"
    other = next((ch for ch in text if ch.isdigit() and not "0" <= ch <= "9"), None)
    if other is not None:
        return f"; only the ASCII digits 0-9 are numbers here, not {other!r} (U+{ord(other):04X})"
    if "," in text and _NUMBER.fullmatch(text.replace(",", ".", 1)):
        return "; decimal commas? write '.' as the decimal point (0.9, not 0,9)"
    if any(ch.isspace() for ch in text):
        return "; no spaces inside a number"
    return ""


def _parse_real(text: str) -> float:
    """A number written as :data:`_NUMBER` says (nan and inf included); ValueError naming the text otherwise."""
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"not a number: {text!r}{_number_hint(text)}")
    return float(text)


def _parse_stimulus(text: str) -> float:
    """A normalised stimulus: a finite float > 0 (dimensionless)."""
    value = _parse_real(text)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be finite and > 0, got {text!r}")
    return value


def _amplitude_parser(factor: float | None) -> Callable[[str], float]:
    """Parser of a stimulus cell: finite and > 0, times ``factor`` (to µA; None: normalised, unchanged)."""

    def parse(text: str) -> float:
        value = _parse_stimulus(text)
        return value if factor is None or factor == 1.0 else value * factor

    return parse


def _parse_optional_ms(text: str) -> float:
    """A latency or jitter cell: empty or ``nan`` (no value, NaN) or a finite number of ms >= 0."""
    if text == "" or text.lower() == "nan":
        return math.nan
    value = _parse_real(text)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"must be a finite number of ms >= 0 (or empty where no trial fired), got {text!r}")
    return value


def _count_parser(minimum: int | None) -> Callable[[str], int]:
    """Parser of a count: a whole number below 2**53 and >= ``minimum`` (if not None), checked
    exactly (``'3.0'`` and ``'1e3'`` are whole, ``'3.0000000000000001'`` is not)."""

    def parse(text: str) -> int:
        whole = f"must be an integer (a whole number below 2**53), got {text!r}"
        _parse_real(text)                              # the number syntax of a data file
        try:
            value = Decimal(text)
        except InvalidOperation:                       # an exponent beyond Decimal's
            raise ValueError(whole) from None
        if not value.is_finite() or value != value.to_integral_value() or abs(value) >= MAX_COUNT:
            raise ValueError(whole)
        if minimum is not None and value < minimum:
            raise ValueError(f"must be >= {minimum}, got {int(value)}")
        return int(value)

    return parse


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a data file: its header name, whether it must be present, its cell parser
    (text -> value; raises ValueError with a message naming the rule) and the key of its value in a
    parsed row (default: its name; every stimulus column gives ``"x"``)."""

    name: str
    parse: Callable[[str], object]
    required: bool = True
    key: str | None = None

    @property
    def row_key(self) -> str:
        return self.key or self.name


#: The columns :func:`load_data` reads, in the order their cells are checked. Exactly one stimulus column
#: (:data:`STIMULUS_UNITS`) must be present.
COLUMN_SPECS = tuple(ColumnSpec(name, _amplitude_parser(f), required=False, key="x")
                     for name, f in STIMULUS_UNITS.items()) + (
    ColumnSpec("n_fired", _count_parser(None)),     # 0 <= n_fired <= n_trials is a row check
    ColumnSpec("n_trials", _count_parser(1)),
    ColumnSpec("latency_ms", _parse_optional_ms, required=False),     # present exactly where n_fired >= 1
    ColumnSpec("jitter_ms", _parse_optional_ms, required=False),      # present exactly where n_fired >= 2
)
COLUMNS = ("x", "n_fired", "n_trials")            # the minimal header


def _check_fired_within_trials(values: dict):
    if not 0 <= values["n_fired"] <= values["n_trials"]:
        return "n_fired", f"must be between 0 and n_trials = {values['n_trials']}, got {values['n_fired']}"
    return None


def _check_latency_where_fired(values: dict):
    for name, fewest in (("latency_ms", 1), ("jitter_ms", 2)):
        if name in values and math.isnan(values[name]) == (values["n_fired"] >= fewest):
            return name, _latency_rule(name, fewest, values["n_fired"])
    if values.get("jitter_ms") == 0.0:                 # n_fired >= 2 here: a spread of 0 is no measurement
        return "jitter_ms", _latency_rule("jitter_ms", 2, values["n_fired"], 0.0)
    return None


#: Checks of a parsed row (dict column -> value): each returns None or (column, message).
ROW_CHECKS = (_check_fired_within_trials, _check_latency_where_fired)


def _parse_choice(choices):
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {text!r}")
        return text
    return parse


def _real_parser(low_open: bool, unit: str):
    def parse(text: str) -> float:
        value = _parse_real(text)
        if not math.isfinite(value) or value < 0 or (low_open and value == 0):
            raise ValueError(f"must be a finite number {'>' if low_open else '>='} 0 {unit}, got {text!r}")
        return value
    return parse


def _parse_index(text: str) -> int:
    """A part index: a whole number >= 0 written with ASCII digits."""
    if not re.fullmatch(r"\+?[0-9]+", text, re.ASCII):
        raise ValueError(f"must be a whole number >= 0 (the index of a part of the stimulus), got {text!r}")
    return int(text)


#: Parsers of the ``# key: value`` protocol lines (text -> value, ValueError naming the rule).
PROTOCOL_SPECS = {
    "delay_ms": _real_parser(False, "ms"),
    "duration_ms": _real_parser(True, "ms"),
    "waveform": _parse_choice(WAVEFORMS),
    "polarity": _parse_choice(POLARITIES),
    "gap_ms": _real_parser(False, "ms"),
    "stimulus": lambda text: unit_stimulus(text),
    "vary": _parse_index,
    "area_cm2": _real_parser(True, "cm²"),
    "note": str,
}


# ---------------------------------------------------------------------------------------------
# reading

class _FileError(ValueError):
    """A problem at a place in the file; load_data turns it into a ValueError naming the file."""

    def __init__(self, row, column, message):
        super().__init__(message)
        self.row, self.column, self.message = row, column, message


_NOT_TEXT = re.compile("[\udc80-\udcff\x00]")      # undecodable bytes (surrogateescape) and NUL
_COMMENT = ("lines starting with '#' are only allowed before the header, as '# key: value' protocol lines "
            f"(keys: {', '.join(PROTOCOL_KEYS)})")


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


def _records(lines, row: int = 0):
    """``(row, cells)`` per non-blank CSV record of ``lines`` (an open file or an iterator of lines; its first
    line is row ``row + 1``); csv errors become _FileError."""
    reader = csv.reader(_lines(lines) if hasattr(lines, "readline") else lines)
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


#: What a header must be (for messages).
HEADER_RULE = (f"the header must name {', '.join(COLUMNS)} (or, instead of x, one of "
               f"{', '.join(list(STIMULUS_UNITS)[1:])}), optionally latency_ms and jitter_ms, in any order, "
               "separated by commas: e.g. 'x,n_fired,n_trials' or 'amplitude_uA,n_fired,n_trials,latency_ms,jitter_ms'")
#: Every column name the reader knows, by its lower-case form.
_KNOWN_LOWER = {name.lower(): name for name in (*STIMULUS_UNITS, *(s.name for s in COLUMN_SPECS))}
_SEPARATORS = ((";", "semicolon"), ("\t", "tab"))


def _header_hint(names: list[str]) -> str:
    """What a header that lacks a required column looks like, where that is recognisable ("" otherwise):
    another separator than the comma (semicolon, tab) or column names in the wrong case."""
    for sep, word in _SEPARATORS:
        if any(sep in name for name in names):
            return (f"the file looks {word}-separated, but hhlib reads comma-separated files, with '.' as the "
                    "decimal point (0.9, not 0,9)")
    wrong = [f"{name!r} -> {_KNOWN_LOWER[name.lower()]!r}" for name in names
             if name not in _KNOWN_LOWER.values() and name.lower() in _KNOWN_LOWER]
    if wrong:
        return f"header names are case-sensitive: {', '.join(wrong)}"
    return ""


def _parse_header(row: int, cells: list[str]) -> list[str]:
    names = [h.strip() for h in cells]
    for j, name in enumerate(names):
        _check_text(name, row, None)
        if name and names.index(name) != j:
            raise _FileError(row, name, f"duplicate column name (fields {names.index(name) + 1} and {j + 1})")
    stimulus = [name for name in names if name in STIMULUS_UNITS]
    if len(stimulus) > 1:
        raise _FileError(row, stimulus[1], f"more than one stimulus column ({', '.join(stimulus)}): give exactly "
                                           f"one of {', '.join(STIMULUS_UNITS)}")
    missing = [s.name for s in COLUMN_SPECS if s.required and s.name not in names]
    if not stimulus:
        missing.insert(0, "x")
    if missing:
        hint = _header_hint(names)
        raise _FileError(row, None if hint.startswith("the file looks") else missing[0],
                         f"missing column{': ' + hint if hint else ''}; {HEADER_RULE}; got {','.join(names)!r}")
    if "jitter_ms" in names and "latency_ms" not in names:
        raise _FileError(row, "jitter_ms", "jitter_ms needs a latency_ms column (the jitter is the spread around "
                                           "the mean latency)")
    return names


def _parse_protocol_line(row: int, line: str, seen: dict) -> tuple:
    """``(key, value)`` of a ``# key: value`` line (``seen``: key -> row of the keys already given)."""
    _check_text(line, row, None)
    body = line.strip()[1:]
    key, sep, text = body.partition(":")
    key, text = key.strip(), text.strip()
    if not sep or not key:
        raise _FileError(row, None, f"expected a '# key: value' protocol line, got {line.strip()!r} ({_COMMENT})")
    if key not in PROTOCOL_SPECS:
        raise _FileError(row, None, f"unknown protocol key {key!r}; the keys are {', '.join(PROTOCOL_KEYS)}")
    if key in seen and key != "note":
        raise _FileError(row, None, f"protocol key {key!r} given twice (rows {seen[key]} and {row})")
    if not text:
        raise _FileError(row, None, f"protocol key {key!r} has no value")
    try:
        value = PROTOCOL_SPECS[key](text)
    except ValueError as err:
        raise _FileError(row, None, f"protocol key {key!r}: {err}") from None
    seen[key] = row
    return key, value


def _protocol_of(values: dict, notes: list, row: int, seen: dict) -> Protocol:
    """The protocol of the header lines; the older pulse keys become its stimulus (:func:`stimulus_from_keys`)."""
    pulse = {k: values.pop(k) for k in PULSE_KEYS if k in values}
    if pulse and "stimulus" in values:
        later = max(seen[k] for k in (*pulse, "stimulus"))
        raise _FileError(later, None, f"the stimulus is given twice: a 'stimulus' line (row {seen['stimulus']}) and "
                                      f"the pulse keys {', '.join(pulse)}; give one of them")
    try:
        if pulse:
            values["stimulus"] = stimulus_from_keys(pulse)
        return Protocol(**values, notes=tuple(notes))
    except ValueError as err:
        raise _FileError(row, None, f"protocol: {err}") from None


def _parse_row(row: int, cells: list[str], names: list[str]) -> dict:
    for j, cell in enumerate(cells):
        _check_text(cell, row, (names[j] or None) if j < len(names) else None)
    if cells[0].lstrip().startswith("#"):
        raise _FileError(row, None, _COMMENT)
    if len(cells) != len(names):
        extra = any(cell.strip() for cell in cells[len(names):])
        raise _FileError(row, None, f"expected {len(names)} fields, got {len(cells)}" + (
            "; decimal commas? write '.' as the decimal point (0.9, not 0,9), or quote a field that holds a comma"
            if extra else ""))
    values = {}
    for spec in COLUMN_SPECS:
        if spec.name not in names:
            continue
        text = cells[names.index(spec.name)].strip()
        try:
            values[spec.row_key] = spec.parse(text)
        except ValueError as err:
            raise _FileError(row, spec.name, str(err)) from None
    for check in ROW_CHECKS:
        problem = check(values)
        if problem:
            raise _FileError(row, *problem)
    return values


def _read_protocol(f):
    """The ``# key: value`` lines before the header: ``(protocol, row of the first line after them, that line)``.

    The protocol lines are read as plain text (a protocol value may contain commas); the first other
    non-blank line is handed back for the CSV reader.
    """
    values, notes, seen, row = {}, [], {}, 0
    lines = _lines(f)
    while True:
        row += 1
        try:
            line = next(lines)
        except StopIteration:
            return _protocol_of(values, notes, row - 1, seen), row, ""
        except _FileError as err:
            raise _FileError(row, None, err.message) from None
        if not line.strip():
            continue
        if not line.lstrip().startswith("#"):
            return _protocol_of(values, notes, row, seen), row, line
        key, value = _parse_protocol_line(row, line, seen)
        if key == "note":
            notes.append(value)
        else:
            values[key] = value


def _read_rows(f) -> tuple[Protocol, list[str], list[dict]]:
    """The protocol, header and validated data rows of an open text file, one dict (column -> value) per row."""
    protocol, first_row, first_line = _read_protocol(f)
    records = _records(itertools.chain([first_line], _lines(f)), first_row - 1)
    first = next(records, None)
    if first is None:
        raise _FileError(first_row if protocol.stated() or protocol.notes else 1, None,
                         f"empty file; expected a header '{','.join(COLUMNS)}'")
    names = _parse_header(*first)
    stimulus = next(name for name in names if name in STIMULUS_UNITS)
    rows, seen, last = [], {}, first[0]
    for row, cells in records:
        last = row
        values = _parse_row(row, cells, names)
        if values["x"] in seen:
            text = cells[names.index(stimulus)].strip()
            raise _FileError(row, stimulus, f"duplicate {stimulus} = {text} (also on row {seen[values['x']]})")
        seen[values["x"]] = row
        rows.append(values)
    if len(rows) < 3:
        raise _FileError(last, None, f"need at least 3 data rows, got {len(rows)}")
    return protocol, names, rows


def _shipped(path):
    """The shipped dataset that ``path`` names (a name of :func:`hhlib.datasets.names`, and no file of that name
    in the current folder), else None."""
    text = os.fspath(path)
    if text not in datasets.names():
        return None
    try:
        if Path(text).is_file():                         # a file of that name in the current folder wins
            return None
    except OSError:
        pass
    return datasets.resource(text)


def _dataset_hint(text: str) -> str:
    """For a data file not found: the shipped dataset the user may have meant (for messages)."""
    if any(sep and sep in text for sep in ("/", os.sep, os.altsep)):
        return ""
    stem = Path(text).stem
    if stem != text and stem in datasets.names():
        return f"; the shipped dataset of that name loads without the suffix: {stem!r}"
    if stem == text:
        return f"; nor is {text!r} a shipped dataset (hhlib.datasets.names(): {', '.join(datasets.names())})"
    return ""


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
        raise FileNotFoundError(f"data file not found: {path}{_dataset_hint(os.fspath(path))}")
    if not regular:
        raise ValueError(f"{path}: not a regular file (a directory?); expected a CSV data file")
    return path


def load_data(path=None, *, stimulus=None, vary=None, area_cm2=None) -> FiringData:
    """Load and validate a firing-data CSV (default: the shipped ``hhlib/datasets/experimental.csv``).

    The file is read line by line and validated as it is read, so a bad file fails at its first
    problem without being read in full.

    Parameters
    ----------
    path : str or path-like, optional
        The CSV file: UTF-8 (a leading byte-order mark is fine), optional ``# key: value`` protocol lines, a
        header naming a stimulus column (``x``, ``amplitude_uA``, ``amplitude_nA`` or ``amplitude_mA``),
        ``n_fired`` and ``n_trials``, optionally ``latency_ms`` and ``jitter_ms`` (any order, other columns
        ignored, no name twice), then one row per stimulus level; see the module docstring for the rules.
        Or the name of a shipped dataset (:func:`hhlib.datasets.names`, e.g. ``"synthetic_latency_uA"``),
        which works from any folder; a file of exactly that name in the current folder wins.
    stimulus, vary, area_cm2 : optional
        The protocol, for files that do not state it (:class:`Protocol`; ``stimulus`` an object or its text). A
        value the file also states must agree with it.

    Returns
    -------
    FiringData
        With ``source`` = the path; amplitudes converted to µA (``stimulus_unit = "uA"``).

    Raises
    ------
    ValueError
        ``"{path}, row {row}, column '{column}': {message}"`` (row 1 = the first line; the column is
        left out where the problem is the whole row) for the first problem: not UTF-8 text, not
        valid CSV, a field or line too long, a missing or repeated column name, no or two stimulus columns, a
        bad, unknown or repeated protocol key, a '#' line after the header, a wrong number of fields, a cell
        that is not a number or out of range, a latency or jitter where no trial fired (or none where trials
        fired), a repeated stimulus, fewer than 3 data rows; a protocol argument the file contradicts. Also
        for a path that is empty or not a regular file.
    FileNotFoundError
        If the file does not exist (a name without a folder lists the shipped datasets).
    TypeError
        If ``path`` is not a str or path-like, or a protocol argument has the wrong type.

    Examples
    --------
    >>> d = load_data()
    >>> len(d), int(d.n_fired[5]), int(d.n_trials[5]), d.latency_ms, d.stimulus_unit
    (11, 500, 1000, None, 'normalised')
    >>> s = load_data("synthetic_latency_uA")
    >>> len(s), s.stimulus_unit, s.protocol.area_cm2, s.has_latency
    (9, 'uA', 1e-09, True)
    """
    given = dict(stimulus=stimulus, vary=vary, area_cm2=area_cm2)
    given = {key: value for key, value in given.items() if value is not None}
    for key, value in given.items():                   # bad arguments fail before the file is read
        _PROTOCOL_CHECKS[key](key, value)
    if path is None:
        shipped = DEFAULT_DATA_PATH
    else:
        check_instance("path", path, (str, os.PathLike), "str or path-like")
        shipped = _shipped(path) if isinstance(os.fspath(path), str) else None
    if shipped is not None:                             # package data: a real file, unless hhlib is zipped
        with as_file(shipped) as real:
            return _load(_resolve(real), given)
    return _load(_resolve(path), given)


def _load(path: Path, given: dict) -> FiringData:
    """:func:`load_data` of a checked ``path`` (its errors name the path)."""
    try:
        with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
            protocol, names, rows = _read_rows(f)
    except _FileError as err:
        where = f"{path}" + (f", row {err.row}" if err.row else "") + (f", column '{err.column}'" if err.column else "")
        raise ValueError(f"{where}: {err.message}") from None
    except FileNotFoundError:                           # removed since _resolve looked
        raise FileNotFoundError(f"data file not found: {path}") from None
    except OSError as err:                              # permission denied, I/O error, ...
        raise ValueError(f"{path}: cannot read the file: {err.strerror or err}") from None
    protocol = protocol.merged(given, str(path))
    unit = "normalised" if "x" in names else "uA"
    optional = {name: np.array([r[name] for r in rows]) for name in ("latency_ms", "jitter_ms") if name in names}
    return FiringData(np.array([r["x"] for r in rows]), np.array([r["n_fired"] for r in rows]),
                      np.array([r["n_trials"] for r in rows]), source=str(path), stimulus_unit=unit,
                      protocol=protocol, **optional)


def _number(v: float) -> str:
    """Shortest text that reads back as exactly ``v`` (empty for NaN)."""
    return "" if math.isnan(v) else repr(float(v))


def save_data(data: FiringData, path) -> Path:
    """Write ``data`` as a CSV that :func:`load_data` reads back exactly (same values, protocol and notes).

    The stimulus column is ``x`` for normalised data and ``amplitude_uA`` otherwise; ``latency_ms`` and
    ``jitter_ms`` are written when present (empty where no value); the protocol as ``# key: value`` lines (the
    stimulus in its text form, ``# stimulus: ...``, also when the file read stated it with the older pulse keys).
    The file is written to a temporary name next to ``path`` and then renamed, so it is never half-written.

    Parameters
    ----------
    data : FiringData
    path : str or path-like
        The file to write (its folder must exist).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        If ``data`` is not a FiringData or ``path`` not a str or path-like.
    OSError
        If the file cannot be written (the subclass the system reports: PermissionError, FileNotFoundError for a
        missing folder, NotADirectoryError, ...); the message names ``path`` and why.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = FiringData([0.9, 1.0, 1.1], [0, 5, 9], [10, 10, 10], latency_ms=[float("nan"), 0.4, 0.3],
    ...                protocol=Protocol(stimulus="Pulse(1.0, 0.2)", notes=("synthetic",)))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     back = load_data(save_data(d, pathlib.Path(tmp) / "d.csv"))
    >>> back.latency_ms.tolist()[1:], back.protocol == d.protocol, back.protocol.notes
    ([0.4, 0.3], True, ('synthetic',))
    """
    check_instance("data", data, FiringData)
    check_instance("path", path, (str, os.PathLike), "str or path-like")
    path = Path(path)
    lines = [f"# note: {note}" for note in data.protocol.notes]
    for note in data.protocol.notes:
        if "\n" in note or "\r" in note:
            raise ValueError(f"a protocol note must be one line, got {note!r}")
    lines += [f"# {key}: {value!r}" for key, value in data.protocol.stated().items()]
    columns = {"x" if data.stimulus_unit == "normalised" else "amplitude_uA": data.x,
               "n_fired": data.n_fired, "n_trials": data.n_trials}
    for name in ("latency_ms", "jitter_ms"):
        if getattr(data, name) is not None:
            columns[name] = getattr(data, name)
    lines.append(",".join(columns))
    for i in range(len(data)):
        lines.append(",".join(str(int(v[i])) if v.dtype.kind == "i" else _number(v[i]) for v in columns.values()))
    _write_atomic(path, "\n".join(lines) + "\n")
    return path


def _write_atomic(path: Path, text: str):
    """Write ``text`` to ``path`` through a hidden temporary file next to it and :func:`os.replace`; an OSError
    names ``path`` (never the temporary file) and why."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
    except OSError as err:
        raise _write_error(path, err) from None


def _write_error(path: Path, err: OSError) -> OSError:
    """The OSError (same class as ``err``) that :func:`save_data` raises for ``path``: what is wrong, in words."""
    folder = path.parent
    try:
        if path.is_dir():
            why = "it is a folder; give a file name"
        elif not folder.exists():
            why = f"its folder {folder} does not exist (save_data creates no folders)"
        elif not folder.is_dir():
            why = f"{folder} is not a folder"
        else:
            why = err.strerror or str(err)
    except OSError:
        why = err.strerror or str(err)
    out = type(err)(f"cannot write the data file {path}: {why}")
    out.errno = err.errno
    return out
