"""Free parameters of a fit, by name: what each name changes, its bounds and its search scale.

Names
-----
``delta_v``
    Relative change of the stimulus scale (``I = I_ref (1 + delta_v) x``); profiled out exactly (the firing
    fraction at every stimulus is the empirical CDF of per-trial thresholds). Searched as ``log(1 + delta_v)``.
``delta_area``
    Relative change of the membrane area (``A = A_ref (1 + delta_area)``). Searched as ``log(1 + delta_area)``.
``knoise``
    The :class:`hhlib.CurrentNoise` intensity, µA/mS^0.5 (setups with current noise).
``na_per_um2``, ``k_per_um2``
    The :class:`hhlib.ChannelNoise` densities, channels per µm² (setups with channel noise).
``latency_offset_ms``
    A constant added to the model's latencies, ms (conduction from the excitation site to the electrode); needs
    latency data. Linear scale; profiled out exactly (the latency term is quadratic in it).
any numeric field of the model, by its name
    e.g. ``rate_factor``, ``c_m``, and for :data:`hhlib.SEED_MODEL` ``g_na``, ``g_k``, ``g_l``.
``g_max.<current>``
    The maximal conductance (mS/cm²) of a named :class:`hhlib.model.Current` of a model whose ``currents`` are
    its own field (``hhlib.Membrane`` models, e.g. ``hhlib.models.CRRSS``: ``g_max.na``).

Scale: the deltas are searched as ``log(1 + delta)``; any other parameter as ``log(value)`` when both bounds are
positive, else linearly (``latency_offset_ms``, a lower bound of 0, a reversal potential).
"""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

import numpy as np

from ..engines.runspec import resolve_noise
from ..model.description import Current
from ..noise import ChannelNoise, CurrentNoise

__all__ = ["FreeParameter", "DEFAULT_FREE", "valid_names", "parse_free", "apply_values", "base_value"]

#: Today's two parameters and their box (the exact fast path of :func:`hhlib.fit`).
DEFAULT_FREE = {"delta_v": (-0.9, 9.0), "delta_area": (-0.9, 9.0)}
DENSITIES = ("na_per_um2", "k_per_um2")
#: Model fields that describe the model's own noise (freed as ``knoise`` where the setup has current noise).
NOISE_FIELDS = ("knoise", "noise_dt_ref_ms")
#: Default bounds of a parameter without stated ones: the base value times [1/10, 10] (linear: +-2 ms).
DEFAULT_FACTOR = 10.0
DEFAULT_LATENCY_BOUNDS = (-2.0, 2.0)


@dataclass(frozen=True)
class FreeParameter:
    """One free parameter: ``name``, ``kind`` (``"scale"``, ``"area"``, ``"noise"``, ``"density"``,
    ``"latency"``, ``"model"`` or ``"current"``), bounds ``low < high`` (its own unit) and the search scale
    (``"log1p"`` for the deltas, ``"log"`` or ``"linear"``)."""

    name: str
    kind: str
    low: float
    high: float
    scale: str

    def to_search(self, value):
        """The value on the search scale."""
        v = np.asarray(value, dtype=float)
        return {"log1p": np.log1p, "log": np.log}.get(self.scale, lambda a: a)(v)

    def from_search(self, z):
        """The value of a point on the search scale."""
        z = np.asarray(z, dtype=float)
        return {"log1p": np.expm1, "log": np.exp}.get(self.scale, lambda a: a)(z)

    @property
    def search_bounds(self) -> tuple:
        return float(self.to_search(self.low)), float(self.to_search(self.high))


def _model_fields(model) -> list:
    if not dataclasses.is_dataclass(model):
        return []
    return [f.name for f in dataclasses.fields(model)
            if isinstance(getattr(model, f.name), numbers.Real) and not isinstance(getattr(model, f.name), bool)]


def _currents(model) -> list:
    if not dataclasses.is_dataclass(model) or "currents" not in {f.name for f in dataclasses.fields(model)}:
        return []
    return [c.name for c in model.currents if isinstance(c, Current)]


def _noise(setup):
    return resolve_noise(setup.noise, setup.model)


def valid_names(setup) -> dict:
    """Name -> kind of every parameter that ``setup`` can free (:mod:`hhlib.fitting.params`)."""
    names = {"delta_v": "scale", "delta_area": "area", "latency_offset_ms": "latency"}
    noise = _noise(setup)
    if isinstance(noise, CurrentNoise):
        names["knoise"] = "noise"
    if isinstance(noise, ChannelNoise):
        names.update({d: "density" for d in DENSITIES if getattr(noise, d) is not None})
    for f in _model_fields(setup.model):
        if f not in NOISE_FIELDS:          # the noise is named "knoise" only where the setup has current noise
            names.setdefault(f, "model")
    names.update({f"g_max.{c}": "current" for c in _currents(setup.model)})
    return names


def base_value(setup, name: str, kind: str) -> float:
    """The value of a parameter in ``setup`` (the deltas and the latency offset: 0)."""
    if kind in ("scale", "area", "latency"):
        return 0.0
    if kind == "noise":
        return float(_noise(setup).knoise)
    if kind == "density":
        return float(getattr(_noise(setup), name))
    if kind == "current":
        return float(next(c.g_max for c in setup.model.currents if c.name == name.split(".", 1)[1]))
    return float(getattr(setup.model, name))


def _default_bounds(name, kind, base):
    if kind in ("scale", "area"):
        return DEFAULT_FREE[name]
    if kind == "latency":
        return DEFAULT_LATENCY_BOUNDS
    if base > 0:
        return base / DEFAULT_FACTOR, base * DEFAULT_FACTOR
    if base == 0:
        raise ValueError(f"free[{name!r}]: its value is 0 in this setup, so it has no default bounds; give them, "
                         f"e.g. free={{{name!r}: (low, high)}}")
    return base - abs(base), base + abs(base)


def _check_bounds(name, kind, bounds, base) -> FreeParameter:
    if bounds is None:
        bounds = _default_bounds(name, kind, base)
    if np.ndim(bounds) != 1 or len(bounds) != 2:
        raise ValueError(f"free[{name!r}] must be a pair (low, high), got {bounds!r}")
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise TypeError(f"free[{name!r}] must be a pair of numbers (low, high), got {bounds!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"free[{name!r}] bounds must be finite, got ({lo!r}, {hi!r})")
    if not lo < hi:
        raise ValueError(f"free[{name!r}] bounds are reversed or empty: low = {lo!r} must be < high = {hi!r}")
    if kind in ("scale", "area") and lo <= -1:
        raise ValueError(f"free[{name!r}] low = {lo!r} must be > -1 (1 + {name} must be positive)")
    if kind in ("noise", "density") and lo < 0 or kind == "density" and lo == 0:
        raise ValueError(f"free[{name!r}] low = {lo!r} must be {'> 0' if kind == 'density' else '>= 0'}")
    scale = "log1p" if kind in ("scale", "area") else "log" if lo > 0 and kind != "latency" else "linear"
    return FreeParameter(name, kind, lo, hi, scale)


def parse_free(free, setup) -> list:
    """Check ``free`` (a mapping name -> (low, high) or None for the default bounds, or a list of names)
    against ``setup``; return the :class:`FreeParameter` list (in the order given).

    Raises
    ------
    ValueError
        An unknown name (listing the valid ones), bounds that are reversed, empty, not finite or outside the
        parameter's domain, an empty ``free``.
    TypeError
        ``free`` of the wrong type.
    """
    if isinstance(free, str):
        free = [free]
    if isinstance(free, (list, tuple)):
        free = {name: None for name in free}
    if not isinstance(free, dict):
        raise TypeError(f"free must be a dict name -> (low, high) or a list of names, got {type(free).__name__}")
    if not free:
        raise ValueError("free must name at least one parameter")
    names = valid_names(setup)
    out = []
    for name, bounds in free.items():
        if name not in names:
            raise ValueError(f"free: unknown parameter {name!r}; valid names for this setup: {', '.join(names)}")
        out.append(_check_bounds(name, names[name], bounds, base_value(setup, name, names[name])))
    return out


def apply_values(setup, values: dict):
    """``(setup', area_cm2)``: ``setup`` with the named values (not ``delta_v`` or ``latency_offset_ms``, which
    act on the stimulus and the latencies) put in, and the membrane area (cm²) of its ``delta_area``."""
    model, noise, changes = setup.model, _noise(setup), {}
    for name, v in values.items():
        kind = valid_names(setup)[name]
        if kind == "model":
            changes[name] = float(v)
        elif kind == "current":
            cur = name.split(".", 1)[1]
            model = dataclasses.replace(model, currents=tuple(dataclasses.replace(c, g_max=float(v)) if c.name == cur
                                                              else c for c in model.currents))
        elif kind == "noise":
            noise = dataclasses.replace(noise, knoise=float(v))
        elif kind == "density":
            noise = dataclasses.replace(noise, **{name: float(v)})
    if changes:
        model = dataclasses.replace(model, **changes)
    new = setup if model is setup.model and noise is _noise(setup) else dataclasses.replace(
        setup, model=model, noise=noise if noise is not None else False)
    return new, float(setup.area_cm2(values.get("delta_area", 0.0)))
