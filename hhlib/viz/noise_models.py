"""Figures of notebook 05: current noise against channel-number noise.

Every function takes ``ax=None`` (new axes if None), draws only the arrays it is given (computed by
:mod:`hhlib.studies.noise_models` or :func:`hhlib.simulate`), returns the axes and never shows.
Units: time ms, V mV relative to rest, areas µm² where named, x and probabilities dimensionless.
"""
from __future__ import annotations

import numpy as np

from .plots import plot_data
from .style import new_axes

__all__ = ["plot_noise_traces", "plot_rs_vs_n", "plot_spontaneous", "plot_dt_study", "plot_noise_fit_curves"]

_METHOD_STYLE = {"markov": dict(color="C3", marker="o"), "diffusion": dict(color="C2", marker="s")}


def plot_noise_traces(t_ms, v_mV, ax=None, *, label="", color="C0"):
    """Membrane potential of a few trials (rows of ``v_mV``, shape (n_trials, n_t)) against time (ms)."""
    ax = new_axes(ax)
    v = np.atleast_2d(v_mV)
    for i, row in enumerate(v):
        ax.plot(t_ms, row, color=color, lw=0.8, alpha=0.8, label=label if i == 0 else None)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("V (mV above rest)")
    return ax


def plot_rs_vs_n(scaling: dict, ax=None):
    """Relative spread RS against the number of Na channels (log-log) with the ``N^-1/2`` line.

    ``scaling`` is :func:`hhlib.studies.noise_models.noise_scaling`'s result.
    """
    ax = new_axes(ax)
    for method, key in (("diffusion", ""), ("markov", "markov_")):
        ax.loglog(scaling[f"{key}n_na"], scaling[f"{key}rs"], ls="", label=f"channel noise, {method}",
                  **_METHOD_STYLE[method])
    n = scaling["n_na"].astype(float)
    use = scaling["zero_fraction"] < 0.01
    anchor = np.exp(np.mean(np.log(scaling["rs"][use]) + 0.5 * np.log(n[use])))
    ax.loglog(n, anchor * n ** -0.5, "k--", lw=1, label="N$^{-1/2}$")
    ax.set_xlabel("Na channels N$_{Na}$")
    ax.set_ylabel("relative spread RS")
    ax.legend(fontsize="small")
    return ax


def plot_spontaneous(scaling: dict, ax=None):
    """Fraction of trials that fire with no stimulus (within 2 ms) against the number of Na channels."""
    ax = new_axes(ax)
    for method in ("markov", "diffusion"):
        ax.semilogx(scaling["spont_n_na"], scaling[f"spont_{method}"], label=method, **_METHOD_STYLE[method])
    ax.set_xlabel("Na channels N$_{Na}$")
    ax.set_ylabel("spontaneous firing probability")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize="small")
    return ax


def plot_dt_study(dt_study: dict, ax=None):
    """Firing probability against the time step (µs), one line per method and stimulus factor."""
    ax = new_axes(ax)
    dt_us = dt_study["dts_ms"] * 1000
    for method in ("markov", "diffusion"):
        p = dt_study[f"p_{method}"]
        for j, f in enumerate(dt_study["factors"]):
            ax.semilogx(dt_us, p[:, j], ls="-" if method == "markov" else "--",
                        label=f"{method}, {f:g} x threshold", **_METHOD_STYLE[method])
    ax.set_xlabel("time step dt (µs)")
    ax.set_ylabel("firing probability")
    ax.legend(fontsize="x-small", ncol=2)
    return ax


def plot_noise_fit_curves(fits: dict, data, ax=None):
    """Firing curves of the current-noise fit, the channel-noise fit and the Markov chain, over the data."""
    ax = new_axes(ax)
    labels = ("current noise fit", "channel noise fit (diffusion)", "Markov chain at that point")
    for p, label, style in zip(fits["curve_p"], labels, ("-", "-", ":"), strict=True):
        ax.plot(fits["curve_x"], p, style, label=label)
    plot_data(data, ax)
    ax.set_xlabel("normalised stimulus x")
    ax.set_ylabel("firing probability")
    ax.legend(fontsize="small", loc="upper left")
    return ax
