"""Named membrane models, each with its source: ``hhlib.models.<NAME>``.

- :data:`HH1952` - Hodgkin & Huxley (1952), squid giant axon at 6.3 °C (also ``hhlib.HH1952``).
- :data:`SEED_MODEL` - the predecessor project's auditory-nerve node (Rattay, Lutter & Felix 2001 style: HH
  kinetics, conductances x10, rates x12, current noise; also ``hhlib.SEED_MODEL``).
- :data:`FH1964` - Frankenhaeuser & Huxley (1964), *Xenopus* node of Ranvier with Goldman-Hodgkin-Katz sodium,
  potassium and non-specific currents (:mod:`hhlib.models.fh1964`).

Every model is an ordinary description (:mod:`hhlib.model`): make variants with :func:`dataclasses.replace`.

Examples
--------
>>> import hhlib, hhlib.models
>>> hhlib.models.SEED_MODEL is hhlib.SEED_MODEL
True
>>> [c.name for c in hhlib.models.FH1964.currents]
['na', 'k', 'p', 'leak']
"""
from __future__ import annotations

from ..model.hh import HH1952, SEED_MODEL
from .fh1964 import FH1964

__all__ = ["HH1952", "SEED_MODEL", "FH1964"]
