"""Named membrane models, each with its source: ``hhlib.models.<NAME>``.

- :data:`HH1952` - Hodgkin & Huxley (1952), squid giant axon at 6.3 °C (also ``hhlib.HH1952``).
- :data:`SEED_MODEL` - the predecessor project's auditory-nerve node (Rattay, Lutter & Felix 2001 style: HH
  kinetics, conductances x10, rates x12, current noise; also ``hhlib.SEED_MODEL``).
- :data:`FH1964` - Frankenhaeuser & Huxley (1964), *Xenopus* node of Ranvier with Goldman-Hodgkin-Katz sodium,
  potassium and non-specific currents (:mod:`hhlib.models.fh1964`).
- :data:`CRRSS` - Chiu, Ritchie, Rogart, Stagg & Sweeney (1979) / Sweeney, Mortimer & Durand (1987), rabbit node
  at 37 °C: sodium (m² h) and leak, no potassium current (:mod:`hhlib.models.crrss`).
- :data:`SE1987` - Schwarz & Eikhof (1987), rat node at 37 °C: GHK sodium and potassium, leak
  (:mod:`hhlib.models.se1987`).
- :data:`SRB1995` - Schwarz, Reid & Bostock (1995), human node taken to 37 °C: GHK sodium, fast and slow
  potassium, leak (:mod:`hhlib.models.srb1995`).
- :data:`NEGM_BRUCE2014` - Negm & Bruce (2014), auditory-nerve node at 37 °C: sodium, fast potassium,
  low-threshold potassium (KLT) and HCN currents; its channel numbers as ``hhlib.models.negm_bruce2014.
  CHANNEL_NOISE`` (:mod:`hhlib.models.negm_bruce2014`).

Every model is an ordinary description (:mod:`hhlib.model`): make variants with :func:`dataclasses.replace`.

Examples
--------
>>> import hhlib, hhlib.models
>>> hhlib.models.SEED_MODEL is hhlib.SEED_MODEL
True
>>> [c.name for c in hhlib.models.FH1964.currents]
['na', 'k', 'p', 'leak']
>>> [c.name for c in hhlib.models.NEGM_BRUCE2014.currents]
['na', 'k', 'klt', 'hcn', 'leak']
"""
from __future__ import annotations

from ..model.hh import HH1952, SEED_MODEL
from .crrss import CRRSS
from .fh1964 import FH1964
from .negm_bruce2014 import NEGM_BRUCE2014
from .se1987 import SE1987
from .srb1995 import SRB1995

__all__ = ["HH1952", "SEED_MODEL", "FH1964", "CRRSS", "SE1987", "SRB1995", "NEGM_BRUCE2014"]
