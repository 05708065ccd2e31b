"""Figures of notebook 07: pulse-train phenomena on the node models, and PHAST side by side.

Each function draws the arrays of one :mod:`hhlib.studies.pulse_trains` or :mod:`hhlib.studies.phast_compare`
builder (passed in), takes ``ax=None`` (new axes then), draws only and returns the axes. Units: ms, spikes/s,
ratios to each model's noise-free single-pulse threshold.
"""
from __future__ import annotations

import numpy as np

from .style import new_axes

__all__ = ["plot_probe_probability", "plot_facilitation_ratios", "plot_accommodation", "plot_adaptation",
           "plot_train_rates", "plot_isi_histogram", "plot_am_response", "plot_phast_trains"]


def _names(arrays: dict, suffix: str) -> list:
    return [k[: -len(suffix)] for k in arrays if k.endswith(suffix)]


def _rate_ticks(ax, rates):
    """Ticks at the pulse rates themselves on a log axis (no minor ticks)."""
    ax.set_xticks(rates, [f"{r:g}" for r in rates])
    ax.minorticks_off()


def plot_probe_probability(rec: dict, ax=None):
    """Fraction of trials whose probe fired after the conditioner fired, against the interval (ms), with 95 %
    Wilson intervals (:func:`hhlib.studies.pulse_trains.recovery_curves`)."""
    ax = new_axes(ax)
    t = rec["intervals_ms"]
    for name in _names(rec, "_p"):
        p = rec[f"{name}_p"]
        ax.errorbar(t, p, yerr=[p - rec[f"{name}_low"], rec[f"{name}_high"] - p], fmt="o-", ms=3, lw=1,
                    capsize=2, label=name)
    ax.set(xlabel="interval, onset to onset (ms)", ylabel="P(probe fires | conditioner fired)", xscale="log",
           title="recovery: a 1.2x probe after a 1.5x conditioner")
    ax.legend(fontsize=7)
    return ax


def plot_facilitation_ratios(fac: dict, ax=None):
    """Probe threshold after a 0.9x conditioner (x single-pulse threshold) against the interval (ms), with Dynes
    (1996) fig. 3.3 (subthreshold maskers, grey shades by masker level)."""
    ax = new_axes(ax)
    for name in _names(fac, "_ratio"):
        if name != "dynes":
            ax.plot(fac["intervals_ms"], fac[f"{name}_ratio"], "-", lw=1.2, label=name)
    for db in np.unique(fac["dynes_masker_dB"]):
        sel = fac["dynes_masker_dB"] == db
        shade = str(0.15 + 0.5 * (1 - (db - fac["dynes_masker_dB"].min()) / np.ptp(fac["dynes_masker_dB"])))
        ax.plot(fac["dynes_interval_ms"][sel], fac["dynes_ratio"][sel], "s", color=shade, ms=3,
                label=f"Dynes 1996, masker {db:g} dB")
    ax.axhline(1.0, color="0.6", lw=0.8)
    ax.set(xlabel="interval, onset to onset (ms)", ylabel="probe threshold / single-pulse threshold",
           title="facilitation after a subthreshold conditioner", xlim=(0, 1.2))
    ax.legend(fontsize=6, ncol=2)
    return ax


def plot_accommodation(acc: dict, fraction_index: int = -1, duration_index: int = -1, ax=None):
    """Threshold ratio of a 0.1 ms pulse after a subthreshold step and after a ramp (one fraction of rheobase,
    one duration), one pair of bars per model (:func:`hhlib.studies.pulse_trains.accommodation`)."""
    ax = new_axes(ax)
    names = _names(acc, "_step")
    x = np.arange(len(names))
    for k, kind in enumerate(("step", "ramp")):
        vals = [acc[f"{n}_{kind}"][fraction_index, duration_index] for n in names]
        ax.bar(x + (k - 0.5) * 0.38, vals, width=0.38, label=kind)
    ax.axhline(1.0, color="0.3", lw=0.8)
    ax.set_xticks(x, names, rotation=35, ha="right", fontsize=7)
    f, d = acc["fractions"][fraction_index], acc["durations_ms"][duration_index]
    ax.set(ylabel="threshold after / threshold alone",
           title=f"accommodation: {d:g} ms at {f:g} x rheobase, then a 0.1 ms pulse", ylim=(0.7, 1.45))
    ax.legend(fontsize=7)
    return ax


def plot_adaptation(ad: dict, level_index: int = -1, rate_pps: float | None = None, ax=None):
    """Onset and sustained rate (spikes/s, 95 % t intervals) of each model over a train at one level
    (:func:`hhlib.studies.pulse_trains.adaptation`; ``rate_pps``, its pulse rate, only labels the title)."""
    ax = new_axes(ax)
    names = _names(ad, "_onset_hz")
    x = np.arange(len(names))
    for k, part in enumerate(("onset", "sustained")):
        m = np.array([ad[f"{n}_{part}_hz"][level_index] for n in names])      # (mean, low, high) per model
        ax.bar(x + (k - 0.5) * 0.38, m[:, 0], width=0.38, yerr=[m[:, 0] - m[:, 1], m[:, 2] - m[:, 0]], capsize=2,
               label=part)
    ax.set_xticks(x, names, rotation=35, ha="right", fontsize=7)
    rate = "" if rate_pps is None else f", {rate_pps:g} pulses/s"
    ax.set(ylabel="rate (spikes/s)", title=f"adaptation at {ad['levels'][level_index]:g} x threshold{rate}")
    ax.legend(fontsize=7)
    return ax


def plot_train_rates(tr: dict, name: str, ax=None):
    """Sustained rate (spikes/s) against pulse rate, one line per level (x threshold), for model ``name``
    (:func:`hhlib.studies.pulse_trains.train_responses`)."""
    ax = new_axes(ax)
    for j, level in enumerate(tr["levels"]):
        ax.plot(tr["rates_pps"], tr[f"{name}_sustained_hz"][:, j], "o-", ms=3, lw=1, label=f"{level:g} x")
    ax.set(xlabel="pulse rate (pulses/s)", ylabel="sustained rate (spikes/s)", xscale="log",
           title=f"{name}: sustained rate over the train")
    _rate_ticks(ax, tr["rates_pps"])
    ax.legend(fontsize=7, title="level", title_fontsize=7)
    return ax


def plot_isi_histogram(tr: dict, name: str, level_index: int = 2, ax=None):
    """Fraction of inter-spike intervals at 1..9 pulse periods (and beyond), one line per pulse rate."""
    ax = new_axes(ax)
    k = np.arange(1, tr[f"{name}_isi_hist"].shape[-1] + 1)
    for i, rate in enumerate(tr["rates_pps"]):
        ax.plot(k, tr[f"{name}_isi_hist"][i, level_index], "o-", ms=3, lw=1, label=f"{rate:g} pulses/s")
    ax.set(xlabel="inter-spike interval (pulse periods; last: beyond)", ylabel="fraction of intervals",
           title=f"{name} at {tr['levels'][level_index]:g} x threshold")
    ax.legend(fontsize=7)
    return ax


def plot_am_response(am: dict, ax=None):
    """Spike rate (spikes/s, 95 % t interval) per phase of the modulation, with the envelope on a second axis."""
    ax = new_axes(ax)
    edges = am["phase_edges"]
    mid = 0.5 * (edges[1:] + edges[:-1])
    ax.errorbar(mid, am["rate_hz"], yerr=[am["rate_hz"] - am["rate_low"], am["rate_high"] - am["rate_hz"]],
                fmt="o-", ms=3, capsize=2, label="spike rate")
    env = ax.twinx()
    env.plot(mid, am["envelope"], "k--", lw=1)
    env.set_ylabel("envelope (x level)")
    ax.set(xlabel="modulation phase (cycles)", ylabel="rate (spikes/s)", title="amplitude-modulated train")
    return ax


def plot_phast_trains(pc: dict, sides=("PHAST", "SEED_MODEL", "NEGM_BRUCE2014"), ax=None):
    """Sustained rate (spikes/s) against pulse rate at the same level for PHAST and hhlib models
    (:func:`hhlib.studies.phast_compare.phast_comparison`)."""
    ax = new_axes(ax)
    rates = pc["rates_pps"]
    for side in sides:
        ax.plot(rates, [float(pc[f"{side}.train{int(r)}_sustained_rate"]) for r in rates], "o-", ms=4, lw=1.2,
                label=side)
    ax.set(xlabel="pulse rate (pulses/s)", ylabel="sustained rate (spikes/s)", xscale="log",
           title="trains at 1.1 x x50: PHAST and biophysical nodes")
    _rate_ticks(ax, rates)
    ax.legend(fontsize=7)
    return ax
