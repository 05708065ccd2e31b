"""Published single-fibre data shipped with hhlib (package data in ``hhlib/datasets/published/``), with citations.

- :func:`single_fibre_ranges`: the ranges of single-fibre measures (relative spread, latency, jitter, chronaxie,
  refractory periods) that :func:`hhlib.battery_table` shows next to the models, each with its source;
- :func:`miller1999`: latency and jitter against firing efficiency (Miller et al. 1999, Fig. 5; cat auditory
  nerve, monophasic pulses), digitised by S. N. Joshi (2015, neurongeek/ANF-model);
- :func:`dynes1996`: probe thresholds after a masker (Dynes 1996, Figs. 3.3 and 3.7; cat), same digitisation.

Every file keeps its citation in its ``#`` header lines (:func:`citation`). The numbers live in the files only,
never in the code that computes with them.

Examples
--------
>>> r = single_fibre_ranges()["rs"]
>>> (r.low, r.high, r.typical, r.source)
(0.02, 0.15, 0.053, 'Miller et al. 2001 (cat)')
>>> m = miller1999("cathodic")
>>> round(float(m["latency_ms"][0]), 3), m["firing_efficiency"].shape
(0.79, (14,))
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib.resources import files

import numpy as np

from .validation import check_choice

__all__ = ["PublishedRange", "single_fibre_ranges", "miller1999", "dynes1996", "citation", "at_efficiency"]

_FILES = {"ranges": "single_fibre_ranges.csv", "miller1999": "miller1999_fig5_latency_jitter.csv",
          "dynes1996": "dynes1996_two_pulse_thresholds.csv"}


@dataclass(frozen=True)
class PublishedRange:
    """A published single-fibre measure: ``low``-``high`` and/or a ``typical`` value (None where not quoted).

    Attributes
    ----------
    entry : str
        The :func:`hhlib.battery` entry it compares with (``"rs"``, ``"latency_ms"``, ...).
    low, high, typical : float or None
        In ``unit``.
    unit : str
        ``"ms"`` or ``""`` (dimensionless).
    source : str
        Citation (the file header has the full references).
    """

    entry: str
    low: float | None
    high: float | None
    typical: float | None
    unit: str
    source: str

    def text(self) -> str:
        """``"0.02-0.15 (typ. 0.053)"``: the range and/or typical value, as printed in tables."""
        parts = []
        if self.low is not None and self.high is not None:
            parts.append(f"{self.low:g}-{self.high:g}")
        if self.typical is not None:
            parts.append(f"typ. {self.typical:g}" if parts else f"~{self.typical:g}")
        return " ".join(parts[:1] + [f"({p})" for p in parts[1:]])


def _rows(key: str):
    """Header comment lines and the data rows (dicts) of shipped file ``key``."""
    text = (files("hhlib.datasets") / "published" / _FILES[key]).read_text(encoding="utf-8")
    lines = text.splitlines()
    comments = [ln[1:].strip() for ln in lines if ln.startswith("#")]
    data = [ln for ln in lines if ln and not ln.startswith("#")]
    return comments, list(csv.DictReader(data))


def citation(name: str) -> str:
    """The header (citation, provenance) of shipped file ``name``: ``"ranges"``, ``"miller1999"`` or ``"dynes1996"``."""
    check_choice("name", name, tuple(_FILES))
    return " ".join(_rows(name)[0])


def _number(text: str):
    return float(text) if text.strip() else None


def single_fibre_ranges() -> dict:
    """The published ranges, ``{entry: PublishedRange}`` (file ``single_fibre_ranges.csv``)."""
    return {r["entry"]: PublishedRange(r["entry"], _number(r["low"]), _number(r["high"]), _number(r["typical"]),
                                       r["unit"], r["source"]) for r in _rows("ranges")[1]}


def miller1999(polarity: str = "cathodic") -> dict:
    """Miller et al. (1999) Fig. 5: mean latency and jitter (ms) against firing efficiency (fraction, 0-1).

    Returns
    -------
    dict
        ``firing_efficiency`` (n,), ``latency_ms`` (n,), and ``jitter_efficiency`` (m,), ``jitter_ms`` (m,):
        the two curves were digitised at their own efficiencies. Latency is measured at the recording
        electrode (conduction included).
    """
    check_choice("polarity", polarity, ("cathodic", "anodic"))
    rows = [r for r in _rows("miller1999")[1] if r["polarity"] == polarity]

    def column(quantity):
        sel = [r for r in rows if r["quantity"] == quantity]
        return (np.array([float(r["firing_efficiency_percent"]) for r in sel]) / 100.0,
                np.array([float(r["value_ms"]) for r in sel]))

    eff, lat = column("mean_latency")
    jeff, jit = column("jitter")
    return dict(firing_efficiency=eff, latency_ms=lat, jitter_efficiency=jeff, jitter_ms=jit)


def at_efficiency(efficiency, values, level: float = 0.5) -> float:
    """``values`` interpolated linearly at firing efficiency ``level`` (fraction); NaN outside the data."""
    order = np.argsort(efficiency)
    return float(np.interp(level, np.asarray(efficiency)[order], np.asarray(values)[order], left=np.nan,
                           right=np.nan))


def dynes1996() -> dict:
    """Dynes (1996) two-pulse thresholds: ``figure`` (str array: "3.3" subthreshold masker, "3.7" suprathreshold),
    ``masker_dB`` (re its single-pulse threshold), ``interval_ms`` (onset to onset) and ``probe_dB`` (probe
    threshold re the single-pulse threshold; ratio ``10 ** (dB / 20)``)."""
    rows = _rows("dynes1996")[1]
    return dict(figure=np.array([r["figure"] for r in rows]),
                masker_dB=np.array([float(r["masker_dB_re_threshold"]) for r in rows]),
                interval_ms=np.array([float(r["interval_us"]) for r in rows]) / 1000.0,
                probe_dB=np.array([float(r["probe_threshold_dB_re_single"]) for r in rows]))
