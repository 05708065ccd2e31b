"""A stimulus as text, and back: the form its ``repr`` prints, read safely (no ``eval``).

Data files (``# stimulus: ...`` header lines) and the command line (``--stimulus``) describe protocols this
way, e.g. ``Pulse(1.5e-7) + Pulse(1.0, delay_ms=1.1)`` or
``PulseTrain(BiphasicPulse(1.0, 0.025, gap_ms=0.01), rate_pps=1000, n_pulses=400)``. Only the stimulus classes,
numbers (with a sign), ``True``/``False``, ``inf``, lists of numbers, keyword arguments and ``+`` are allowed.
"""
from __future__ import annotations

import ast
import math

from .compound import Stimulus
from .parts import BiphasicPulse, Part, Pulse, PulseTrain, Ramp, Waveform

__all__ = ["parse_stimulus", "STIMULUS_CLASSES"]

#: The names a stimulus text may call.
STIMULUS_CLASSES = {c.__name__: c for c in (Pulse, BiphasicPulse, PulseTrain, Waveform, Ramp)}


class _RefusedError(ValueError):
    pass


def _value(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, bool)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _value(node.operand)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _RefusedError("a sign applies to numbers only")
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Name) and node.id in ("inf", "True", "False"):
        return {"inf": math.inf, "True": True, "False": False}[node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_value(e) for e in node.elts]
    if isinstance(node, ast.Call):
        return _call(node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _value(node.left), _value(node.right)
        if not (isinstance(left, (Part, Stimulus)) and isinstance(right, (Part, Stimulus))):
            raise _RefusedError(f"{ast.unparse(node)!r}: + adds stimulus parts only")
        return left + right
    raise _RefusedError(f"{ast.unparse(node)!r} is not allowed")


def _call(node):
    name = node.func.id if isinstance(node.func, ast.Name) else None
    if name not in STIMULUS_CLASSES:
        raise _RefusedError(f"{ast.unparse(node.func)!r} is not a stimulus ({', '.join(STIMULUS_CLASSES)})")
    args = [_value(a) for a in node.args]
    kwargs = {k.arg: _value(k.value) for k in node.keywords if k.arg is not None}
    if len(kwargs) != len(node.keywords):
        raise _RefusedError("**arguments are not allowed")
    try:
        return STIMULUS_CLASSES[name](*args, **kwargs)
    except TypeError as exc:
        raise _RefusedError(f"{name}: {exc}") from None


def parse_stimulus(text: str, name: str = "stimulus") -> Stimulus:
    """The :class:`~hhlib.stimulus.Stimulus` that ``text`` describes (the form ``repr`` prints).

    Raises a ValueError naming ``name`` and what is wrong.

    Examples
    --------
    >>> s = parse_stimulus("Pulse(1.5e-7) + Pulse(1.0, delay_ms=1.1)")
    >>> [type(p).__name__ for p in s.parts], s.parts[1].delay_ms
    (['Pulse', 'Pulse'], 1.1)
    >>> parse_stimulus(repr(s)).parts[0].amplitude_uA.item()
    1.5e-07
    >>> parse_stimulus("__import__")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: stimulus '__import__': '__import__' is not allowed
    >>> parse_stimulus("print(1)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: stimulus 'print(1)': 'print' is not a stimulus (Pulse, ...)
    """
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
        result = _value(tree.body)
    except SyntaxError as exc:
        raise ValueError(f"{name} {text!r} is not a stimulus description: {exc.msg}") from None
    except (_RefusedError, ValueError) as exc:
        raise ValueError(f"{name} {text!r}: {exc}") from None
    if isinstance(result, (int, float, list)):
        raise ValueError(f"{name} {text!r}: describe the stimulus with its classes, e.g. 'Pulse(1.0, delay_ms=0.1)'")
    return Stimulus.of(result)
