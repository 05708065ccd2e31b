"""Argument checks, one place for all of hhlib: every check takes the parameter's name.

Each function returns the value converted to its canonical type (``int``, ``float``, ``bool`` or a
float array) or raises :class:`TypeError` (wrong kind of value) / :class:`ValueError` (right kind,
outside the allowed range), with a message that names the parameter, the allowed range and the unit.

Examples
--------
>>> check_int("n_trials", 10, minimum=1)
10
>>> check_real("dt_ms", 0.0, low=0.0, low_open=True, unit="ms")
Traceback (most recent call last):
...
ValueError: dt_ms must be > 0 ms, got 0.0
"""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["check_int", "check_real", "check_bool", "check_choice", "check_instance", "real_array",
           "probability_array", "count_array", "renamed"]


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _range_text(low, high, low_open, high_open, unit):
    u = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}{u}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}{u}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}{u}"
    return f"finite{u}"


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int in ``[minimum, maximum]``; bools, floats and strings are rejected.

    >>> check_int("max_spikes", 0, minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: max_spikes must be an integer >= 1, got 0
    """
    want = "an integer" + (f" >= {minimum}" if minimum is not None else "") + (
        f" and <= {maximum}" if maximum is not None else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {want}, got {value!r} ({type(value).__name__})")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {want}, got {value}")
    return value


def check_real(name: str, value, *, low: float | None = None, high: float | None = None, low_open: bool = False,
               high_open: bool = False, unit: str = "", allow_inf: bool = False) -> float:
    """``value`` as a finite float within the given bounds (``*_open``: the bound itself is excluded).

    >>> check_real("rtol", 2.0, low=0.0, high=1.0, low_open=True, high_open=True)
    Traceback (most recent call last):
    ...
    ValueError: rtol must be in (0, 1), got 2.0
    """
    allowed = _range_text(low, high, low_open, high_open, unit)
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number {allowed}, got {value!r} ({type(value).__name__})")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be {'a number' if allow_inf else 'finite'} {allowed}, got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return value


def check_bool(name: str, value) -> bool:
    """``value`` as a bool (Python or numpy bool only; 0/1 and strings are rejected)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def check_choice(name: str, value, choices) -> str:
    """``value`` if it is one of ``choices`` (strings), else a ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")
    return value


def check_instance(name: str, value, cls, what: str | None = None):
    """``value`` if it is an instance of ``cls``, else a TypeError naming ``name``."""
    if not isinstance(value, cls):
        what = what or (cls.__name__ if isinstance(cls, type) else " or ".join(c.__name__ for c in cls))
        raise TypeError(f"{name} must be a {what}, got {type(value).__name__}")
    return value


def real_array(name: str, value, unit: str = "", *, positive: bool = False, nonnegative: bool = False,
               max_abs: float | None = None) -> np.ndarray:
    """``value`` as a float array of finite real numbers (optionally > 0, >= 0 or bounded in magnitude).

    >>> real_array("area_cm2", [1e-9, 0.0], "cm²", positive=True)
    Traceback (most recent call last):
    ...
    ValueError: area_cm2 must be > 0 cm², got min 0.0
    """
    u = f" ({unit})" if unit else ""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be real numbers{u}, got {value!r}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:       # ragged nested sequences
        raise TypeError(f"{name} must be real numbers{u} (an array), got {value!r}") from exc
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"{name} must be real numbers{u}, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf), got " + np.array2string(arr, threshold=8))
    unit_s = f" {unit}" if unit else ""
    if positive and np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0{unit_s}, got min {float(arr.min())!r}")
    if nonnegative and np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0{unit_s}, got min {float(arr.min())!r}")
    if max_abs is not None and np.any(np.abs(arr) > max_abs):
        worst = float(arr.flat[np.argmax(np.abs(arr))])
        raise ValueError(f"{name} must lie within ±{max_abs:g}{unit_s}, got {worst!r}")
    return arr


def probability_array(name: str, value) -> np.ndarray:
    """``value`` as a float array of probabilities in [0, 1] (no NaN)."""
    arr = real_array(name, value, "probability")
    if np.any((arr < 0) | (arr > 1)):
        bad = arr[(arr < 0) | (arr > 1)]
        raise ValueError(f"{name} must be probabilities in [0, 1], got {float(bad.flat[0])!r}")
    return arr


def count_array(name: str, value, *, minimum: int = 0) -> np.ndarray:
    """``value`` as an int64 array of whole numbers >= ``minimum`` (floats must be integral, < 2**53)."""
    arr = real_array(name, value, "count")
    if np.any(arr != np.round(arr)) or np.any(np.abs(arr) >= 2.0**53):
        raise ValueError(f"{name} must be whole numbers below 2**53, got "
                         + np.array2string(arr[(arr != np.round(arr)) | (np.abs(arr) >= 2.0**53)], threshold=4))
    if np.any(arr < minimum):
        raise ValueError(f"{name} must be >= {minimum}, got {arr.min():g}")
    return arr.astype(np.int64)


def renamed(old_name: str, old_value, new_name: str, new_value, default=None):
    """Resolve a renamed keyword: the old one still works (with a DeprecationWarning), not both at once.

    ``old_value``/``new_value`` are what the caller passed (``None`` = not passed). Returns ``(value, name)``:
    the value to use and the name the caller used (for error messages).
    """
    import warnings

    if old_value is None:
        return (default if new_value is None else new_value), new_name
    if new_value is not None:
        raise TypeError(f"give {new_name} only ({old_name} is its old name), not both")
    warnings.warn(f"{old_name} is now called {new_name}", DeprecationWarning, stacklevel=3)
    return old_value, old_name
