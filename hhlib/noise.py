"""Noise models: what makes repeated trials differ.

- :class:`CurrentNoise`: the phenomenological current noise of Rattay, Lutter & Felix (2001), the
  predecessor project's noise: each step adds a current ``N(0,1) * knoise * sqrt(g A) * sqrt(dt_ref/dt)``
  (µA), ``g`` the maximal conductance density of one of the model's currents (sodium by default),
  ``A`` the area. The ``sqrt(dt_ref/dt)`` factor makes it white noise of fixed intensity (equal to the
  original at ``dt = dt_ref``), so results converge as dt shrinks.

A model carries a default noise (``model.noise``); :func:`hhlib.simulate` takes ``noise=True`` (the
model's own), ``noise=False`` (deterministic) or a noise object.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .validation import check_real

__all__ = ["CurrentNoise"]


@dataclass(frozen=True)
class CurrentNoise:
    """Rattay-style current noise (white, fixed intensity).

    Attributes
    ----------
    knoise : float
        Noise coefficient, µA/mS^0.5 (>= 0; 0 = no noise). The predecessor's node: 5e-5.
    dt_ref_ms : float
        Step at which one step's noise current equals ``N(0,1) knoise sqrt(g A)``, ms.
    scale_current : str
        Name of the model current whose maximal conductance density ``g`` (mS/cm²) scales the noise.

    Examples
    --------
    >>> import hhlib
    >>> noise = CurrentNoise(5e-5)
    >>> round(float(noise.sigma_v_mV(hhlib.SEED_MODEL, dt_ms=0.0025, area_cm2=1e-9)), 4)   # mV per step
    0.1369
    """

    knoise: float
    dt_ref_ms: float = 0.0025
    scale_current: str = "na"

    def __post_init__(self):
        object.__setattr__(self, "knoise", check_real("knoise", self.knoise, low=0.0, unit="µA/mS^0.5"))
        object.__setattr__(self, "dt_ref_ms", check_real("dt_ref_ms", self.dt_ref_ms, low=0.0, low_open=True,
                                                         unit="ms"))
        if not isinstance(self.scale_current, str):
            raise TypeError(f"scale_current must be the name of a current, got {self.scale_current!r}")

    @property
    def active(self) -> bool:
        return self.knoise > 0

    def scale_conductance(self, model) -> float:
        """The maximal conductance density that scales the noise, mS/cm²."""
        for c in model.currents:
            if c.name == self.scale_current:
                return float(c.g_max)
        raise ValueError(f"CurrentNoise scales with current {self.scale_current!r}, which model {model.name!r} does "
                         f"not have (its currents: {[c.name for c in model.currents]})")

    def sigma_v_mV(self, model, dt_ms, area_cm2):
        """Voltage noise added per step per N(0,1), mV: ``knoise sqrt(g A) sqrt(dt_ref/dt) dt / (A c)``.

        ``area_cm2`` may be an array (one value per lane).
        """
        g = self.scale_conductance(model)
        return self.knoise * np.sqrt(g * self.dt_ref_ms * dt_ms / np.asarray(area_cm2, dtype=float)) / model.c_m

    def __repr__(self):
        return (f"CurrentNoise(knoise={self.knoise!r}, dt_ref_ms={self.dt_ref_ms!r}, "
                f"scale_current={self.scale_current!r})")
