"""The node models side by side (notebook 06): their single-fibre batteries, action potentials, and the
published cat auditory-nerve data, as cacheable arrays.

- :data:`LINEUP`: each shipped model (:mod:`hhlib.models`) at a stated membrane area with a stated noise
  (:class:`NodeCase`). The mammalian and amphibian nodes (FH1964, CRRSS, SE1987, SRB1995) sit at 10 µm² (a node
  of Ranvier about 2 µm across and 1.5 µm long), with channel noise from their conductances at 20 pS per channel
  (:meth:`hhlib.ChannelNoise.for_model`; CRRSS has no potassium current, so only its sodium channels are
  stochastic), diffusion method (it matches the Markov chain from a few thousand Na channels on, notebook 05;
  these nodes have 4 800-13 800). NEGM_BRUCE2014 sits at its own node (4.71 µm²) with its published channel
  numbers (1000 Na, 166 K, 166 KLT, 100 HCN; Markov chain); SEED_MODEL at the predecessor's 0.1 µm² with its
  current noise (as notebooks 01-05); HH1952 (squid axon, 6.3 °C) on a 100 µm² patch (6000 Na channels at
  20 pS).
- :func:`node_batteries` (cached): :func:`hhlib.battery` of every case, stored as the JSON of
  :meth:`hhlib.BatteryResult.to_dict`; :func:`batteries` reads them back as results.
- :func:`action_potentials`: noise-free voltage traces at 1.5x each model's threshold (cheap, not cached).
- :func:`published_comparison`: every model's entries against the published ranges, and a ranking.

Computations only; :mod:`hhlib.viz.node_models` draws. Units: areas cm², currents µA, times ms, voltages mV
relative to rest.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from hhlib import ChannelNoise, Pulse, battery, simulate
from hhlib.battery import BatteryResult
from hhlib.model import MembraneModel
from hhlib.models import CRRSS, FH1964, HH1952, NEGM_BRUCE2014, SE1987, SEED_MODEL, SRB1995, crrss, negm_bruce2014
from hhlib.published import single_fibre_ranges

from .cache import cached, register

__all__ = ["NodeCase", "LINEUP", "case", "node_batteries", "batteries", "action_potentials",
           "published_comparison", "comparison_table", "compact_table", "COMPACT_COLUMNS", "MATCH_TOLERANCE",
           "SCORED_ENTRIES"]

NODE_AREA_CM2 = 1e-7          # 10 µm²


@dataclass(frozen=True)
class NodeCase:
    """One model of the comparison: ``name`` (the model's), the model, its membrane area (cm²), its noise and
    why that area and noise (one line)."""

    name: str
    model: MembraneModel
    area_cm2: float
    noise: object
    why: str


def _lineup() -> tuple:
    diffusion = dict(method="diffusion")
    node = "10 µm² node, channel noise at 20 pS (diffusion)"
    return (
        NodeCase("SEED_MODEL", SEED_MODEL, 1e-9, True, "the predecessor's 0.1 µm² with its current noise"),
        NodeCase("HH1952", HH1952, 1e-6, ChannelNoise.for_model(HH1952, **diffusion),
                 "100 µm² squid patch, 6000 Na channels at 20 pS (diffusion)"),
        NodeCase("FH1964", FH1964, NODE_AREA_CM2, ChannelNoise.for_model(FH1964, **diffusion), node),
        NodeCase("CRRSS", CRRSS, NODE_AREA_CM2, ChannelNoise(crrss.NA_PER_UM2_20PS, None, **diffusion),
                 node + "; Na only (no K current)"),
        NodeCase("SE1987", SE1987, NODE_AREA_CM2, ChannelNoise.for_model(SE1987, **diffusion), node),
        NodeCase("SRB1995", SRB1995, NODE_AREA_CM2, ChannelNoise.for_model(SRB1995, **diffusion), node),
        NodeCase("NEGM_BRUCE2014", NEGM_BRUCE2014, negm_bruce2014.NODE_AREA_CM2, negm_bruce2014.CHANNEL_NOISE,
                 "its 4.71 µm² node with its 1000 Na, 166 K, 166 KLT, 100 HCN channels (Markov)"),
    )


#: The models compared, in order (see the module docstring for the choice of areas and noise).
LINEUP = _lineup()


def case(name: str) -> NodeCase:
    """The :data:`LINEUP` entry of model ``name``."""
    for c in LINEUP:
        if c.name == name:
            return c
    raise ValueError(f"model name {name!r} is not in the lineup; choose from {[c.name for c in LINEUP]}")


@register("node_batteries", models=tuple(c.name for c in LINEUP), n_trials=1000, seed=0)
def node_batteries(models, n_trials, seed, progress=None) -> dict:
    """:func:`hhlib.battery` of each named :data:`LINEUP` case (same ``n_trials`` and ``seed`` for every model).

    Returns
    -------
    dict
        ``{name: 0-d str array}``: the JSON of each :meth:`hhlib.BatteryResult.to_dict`.
    """
    out = {}
    for i, name in enumerate(models):
        c = case(name)
        r = battery(c.model, c.area_cm2, noise=c.noise, n_trials=n_trials, seed=seed)
        out[name] = np.array(json.dumps(r.to_dict()))          # entries in the battery's order
        if progress:
            progress(i + 1, len(models))
    return out


def batteries(**params) -> dict:
    """``{name: BatteryResult}`` of :func:`node_batteries` (cached; ``params`` as its parameters)."""
    arrays = cached(node_batteries, **params)
    return {name: BatteryResult.from_dict(json.loads(str(arrays[name])))
            for name in params.get("models", node_batteries.cache_defaults["models"])}


def action_potentials(results: dict, factor: float = 1.5, t_end_ms: float = 6.0, dt_ms: float = 0.0025) -> dict:
    """Noise-free membrane potential of each model after a 0.1 ms pulse at ``factor`` x its threshold.

    Parameters
    ----------
    results : dict
        ``{name: BatteryResult}`` (their ``threshold_uA``).
    factor : float
        Pulse amplitude over the threshold.
    t_end_ms, dt_ms : float
        Simulated time and step, ms.

    Returns
    -------
    dict
        ``{"t_ms": (n_steps + 1,), name: (n_steps + 1,) mV relative to rest, ...}``.
    """
    out = {}
    for name, r in results.items():
        c = case(name)
        res = simulate(c.model, Pulse(factor * r.value("threshold_uA")), c.area_cm2, 1, dt_ms=dt_ms,
                       t_end_ms=t_end_ms, noise=False, record=True)
        out["t_ms"] = np.asarray(res.t_ms)
        out[name] = np.asarray(res.v_mV).reshape(-1)
    return out


#: Entries scored against the published values (latency is shown, not scored: the recorded latencies include
#: the conduction from the excitation site to the electrode, which a single node does not have).
SCORED_ENTRIES = ("rs", "jitter_ms", "chronaxie_ms", "absolute_refractory_ms", "relative_refractory_ms")
#: Where only a typical value is published, an entry matches within this relative distance of it.
MATCH_TOLERANCE = 0.25


def _reference(rng) -> float:
    """The published value an entry is compared with: the typical value, else the range's geometric middle."""
    return rng.typical if rng.typical is not None else math.sqrt(rng.low * rng.high)


def _matches(value: float, rng) -> bool:
    if rng.low is not None and rng.high is not None:
        return rng.low <= value <= rng.high
    return abs(value / rng.typical - 1.0) <= MATCH_TOLERANCE


def published_comparison(results: dict) -> list:
    """Every model against the published cat auditory-nerve values (:func:`hhlib.published.single_fibre_ranges`).

    An entry *matches* when it lies inside the published range, or within :data:`MATCH_TOLERANCE` (25 %) of the
    published value where only a typical value is quoted; its *distance* is ``|log10(model / published)|``
    (published: the typical value, else the geometric middle of the range). Scored: :data:`SCORED_ENTRIES`.

    Parameters
    ----------
    results : dict
        ``{name: BatteryResult}``.

    Returns
    -------
    list of dict
        One per model, best first (smallest mean distance, then most matches): ``name``, ``matches`` (int),
        ``scored`` (entries that could be scored), ``mean_distance`` (decades), ``ratios`` (``{entry: model /
        published}``) and ``matched`` (``{entry: bool}``).
    """
    ranges = single_fibre_ranges()
    rows = []
    for name, r in results.items():
        ratios, matched = {}, {}
        for entry in SCORED_ENTRIES:
            if entry in r.entries and np.isfinite(r.value(entry)):
                ratios[entry] = r.value(entry) / _reference(ranges[entry])
                matched[entry] = _matches(r.value(entry), ranges[entry])
        dist = [abs(math.log10(v)) for v in ratios.values()]
        rows.append(dict(name=name, matches=sum(matched.values()), scored=len(ratios),
                         mean_distance=float(np.mean(dist)) if dist else math.nan, ratios=ratios, matched=matched))
    return sorted(rows, key=lambda row: (row["mean_distance"], -row["matches"]))


def comparison_table(rows: list) -> str:
    """:func:`published_comparison` as text: model, matches, mean distance and each ratio to the published value
    (``*`` marks a match)."""
    head = f"{'model':<16}{'matches':>8}{'mean |log10|':>13}  " + "  ".join(f"{e:>22}" for e in SCORED_ENTRIES)
    lines = [head]
    for row in rows:
        cells = [f"{row['ratios'][e]:.3g}x{'*' if row['matched'][e] else ' '}" if e in row["ratios"] else "-"
                 for e in SCORED_ENTRIES]
        lines.append(f"{row['name']:<16}{row['matches']:>5}/{row['scored']:<2}{row['mean_distance']:>13.2f}  "
                     + "  ".join(f"{c:>22}" for c in cells))
    return "\n".join(lines)


#: Columns of :func:`compact_table`: (entry, heading, scale to the shown unit); the threshold is shown as a current
#: density (µA/cm², over the case's area).
COMPACT_COLUMNS = (("threshold_uA", "thr uA/cm2", None), ("chronaxie_ms", "chron ms", 1.0),
                   ("absolute_refractory_ms", "ARP ms", 1.0), ("relative_refractory_ms", "RRP ms", 1.0),
                   ("supernormal_min_ratio", "min rec", 1.0), ("facilitation_ratio", "facil", 1.0),
                   ("biphasic_ratio", "biph", 1.0), ("biphasic_ratio_gap", "biph+gap", 1.0),
                   ("rs", "RS", 1.0), ("latency_ms", "lat ms", 1.0), ("jitter_ms", "jit ms", 1.0),
                   ("spontaneous_rate_hz", "spont Hz", 1.0))


def compact_table(results: dict) -> str:
    """One row per model, one column per :data:`COMPACT_COLUMNS` entry (3 significant digits; the threshold as
    µA/cm²; intervals in the full :func:`hhlib.battery_table`); "-" where an entry was not measured."""
    lines = [f"{'model':<16}{'area µm²':>9}" + "".join(f"{h:>11}" for _, h, _ in COMPACT_COLUMNS)]
    for name, r in results.items():
        cells = [f"{r.value(e) * (1.0 / r.area_cm2 if k is None else k):.3g}" if e in r.entries else "-"
                 for e, _, k in COMPACT_COLUMNS]
        lines.append(f"{name:<16}{r.area_cm2 * 1e8:>9.3g}" + "".join(f"{c:>11}" for c in cells))
    return "\n".join(lines)
