"""Figures of notebook 06: the node models side by side (action potentials, strength-duration, recovery,
facilitation, latency and jitter against firing efficiency), with the published cat data where they exist.

Every function takes what it draws (batteries as ``{name: hhlib.BatteryResult}``, traces, published data as
returned by :mod:`hhlib.published`), ``ax=None`` or ``axes=None`` (new axes then), draws only, and returns the
axes. Units: ms, mV relative to rest, thresholds as ratios or dB re the single-pulse threshold.
"""
from __future__ import annotations

import numpy as np

from .style import new_axes

__all__ = ["plot_action_potentials", "plot_strength_duration", "plot_recovery", "plot_facilitation",
           "plot_latency_efficiency"]


def _label(name: str, result) -> str:
    return f"{name} ({result.area_cm2 * 1e8:.3g} µm²)"


def plot_action_potentials(traces: dict, ax=None):
    """Each model's noise-free membrane potential (mV re rest) against time (ms); ``traces`` as returned by
    :func:`hhlib.studies.node_models.action_potentials`."""
    ax = new_axes(ax)
    t = traces["t_ms"]
    for name, v in traces.items():
        if name != "t_ms":
            ax.plot(t, v, lw=1.2, label=name)
    ax.set(xlabel="time (ms)", ylabel="V - V_rest (mV)", title="action potentials at 1.5x threshold (0.1 ms pulse)")
    ax.legend(fontsize=7, loc="upper right")
    return ax


def plot_strength_duration(results: dict, ax=None):
    """Threshold over rheobase against pulse width (log-log), chronaxie marked (where the curve crosses 2)."""
    ax = new_axes(ax)
    for name, r in results.items():
        sd = r.curve("strength_duration")
        line, = ax.loglog(sd["width_ms"], sd["threshold_uA"] / r.value("rheobase_uA"), "-", lw=1.2,
                          label=_label(name, r))
        ax.plot(r.value("chronaxie_ms"), 2.0, "o", color=line.get_color(), ms=4)
    ax.axhline(2.0, color="0.6", lw=0.8, ls=":")
    ax.set(xlabel="pulse width (ms)", ylabel="threshold / rheobase", title="strength-duration (dots: chronaxie)")
    ax.legend(fontsize=7)
    return ax


def plot_recovery(results: dict, dynes: dict | None = None, ax=None):
    """Probe threshold after a 1.5x conditioner, in dB re the single-pulse threshold, against the interval (ms,
    onset to onset); ARP marked; Dynes (1996) Fig. 3.7 (suprathreshold maskers) as grey points if given."""
    ax = new_axes(ax)
    for name, r in results.items():
        rec = r.curve("recovery")
        line, = ax.semilogx(rec["interval_ms"], 20 * np.log10(rec["ratio"]), "-", lw=1.2, label=name)
        ax.axvline(r.value("absolute_refractory_ms"), color=line.get_color(), lw=0.6, ls=":")
    if dynes is not None:
        sel = dynes["figure"] == "3.7"
        ax.plot(dynes["interval_ms"][sel], dynes["probe_dB"][sel], "s", color="0.4", ms=3, mfc="none",
                label="Dynes 1996, cat (maskers -1.1 to +2.8 dB)")
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set(xlabel="interval, onset to onset (ms)", ylabel="probe threshold (dB re single pulse)",
           title="recovery after a 1.5x conditioner (dotted: ARP)")
    ax.set_ylim(-6, 30)
    ax.legend(fontsize=7)
    return ax


def plot_facilitation(results: dict, dynes: dict | None = None, ax=None):
    """Probe threshold after a 0.9x (-0.9 dB) conditioner, dB re the single-pulse threshold, against the interval
    (ms); Dynes (1996) Fig. 3.3 with its -0.9 dB masker as points if given."""
    ax = new_axes(ax)
    for name, r in results.items():
        fac = r.curve("facilitation")
        ax.plot(fac["interval_ms"], 20 * np.log10(fac["ratio"]), "-", lw=1.2, label=name)
    if dynes is not None:
        sel = (dynes["figure"] == "3.3") & np.isclose(dynes["masker_dB"], -0.9)
        ax.plot(dynes["interval_ms"][sel], dynes["probe_dB"][sel], "ks", ms=3, label="Dynes 1996, cat (-0.9 dB)")
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set(xlabel="interval, onset to onset (ms)", ylabel="probe threshold (dB re single pulse)",
           title="facilitation after a 0.9x conditioner")
    ax.legend(fontsize=7)
    return ax


def plot_latency_efficiency(results: dict, miller: dict | None = None, axes=None):
    """Mean first-spike latency and jitter (ms) against firing efficiency, with Miller et al. (1999) Fig. 5.

    ``axes``: two axes (latency, jitter), or None for a new 1x2 figure.
    """
    axes = new_axes(axes, figsize=(11, 3.8), ncols=2, layout="constrained")
    for name, r in results.items():
        if "latency" not in r.curves:
            continue
        lat = r.curve("latency")
        line, = axes[0].plot(lat["firing_efficiency"], lat["latency_ms"], "o-", ms=3, lw=1, label=name)
        axes[1].plot(lat["firing_efficiency"], lat["jitter_ms"], "o-", ms=3, lw=1, color=line.get_color())
    if miller is not None:
        axes[0].plot(miller["firing_efficiency"], miller["latency_ms"], "ks--", ms=4, label="Miller 1999, cat")
        axes[1].plot(miller["jitter_efficiency"], miller["jitter_ms"], "ks--", ms=4)
    axes[0].set(xlabel="firing efficiency", ylabel="mean latency (ms)", yscale="log",
                title="latency (cat: conduction included)")
    axes[1].set(xlabel="firing efficiency", ylabel="jitter (ms)", yscale="log", title="jitter")
    axes[0].legend(fontsize=7)
    return axes
