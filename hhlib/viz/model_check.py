"""Figures of notebook 01 ("model check"); the numbers come from :mod:`hhlib.studies.model_check`.

Drawing only. Conventions: V in mV relative to rest, time in ms (µs where the name says so). Every
function takes ``ax=None`` (or ``axes=None``: a new figure at :data:`~hhlib.viz.style.FIG_DPI`),
returns the axes and never calls ``plt.show()``.
"""
from __future__ import annotations

import numpy as np

from .style import FIG_DPI, new_axes

__all__ = ["plot_ap_and_gates", "plot_reference_overlay", "plot_threshold_convergence", "plot_noisy_traces",
           "plot_resting_noise_vs_dt", "plot_frozen_gates", "plot_pulse_steps", "PULSE_MS"]

#: The shaded pulse, (onset, duration) in ms: the notebook's 0.1 ms pulse at 0.1 ms.
PULSE_MS = (0.1, 0.1)
_SIZE, _SMALL, _STACK = (6.4, 4.0), (5.0, 4.0), (5.0, 5.0)


def _dt_ticks(ax, dt_us):
    """Label a log x axis at the time steps used, without minor tick labels."""
    ax.set_xticks(dt_us, [f"{d:g}" for d in dt_us])
    ax.set_xticks([], minor=True)


def _shade_pulse(ax, pulse_ms=PULSE_MS, label="pulse"):
    ax.axvspan(pulse_ms[0], pulse_ms[0] + pulse_ms[1], color="0.85", zorder=0, label=label)


def plot_ap_and_gates(check, axes=None, *, pulse_ms=PULSE_MS):
    """V (top) and the gates m, h, n (bottom) against time for one AP check (hhlib's traces).

    Parameters
    ----------
    check : hhlib.studies.model_check.APCheck
        Its ``result`` holds recorded traces (``t_ms`` in ms, ``v_mV`` in mV re rest, ``m, h, n``).
    axes : pair of matplotlib Axes, optional
        Top and bottom axes; a new 2 x 1 figure if None.
    pulse_ms : (float, float)
        Onset and duration of the shaded pulse, ms.

    Returns
    -------
    ndarray of Axes, shape (2,)
    """
    axes = new_axes(axes, _STACK, nrows=2, dpi=FIG_DPI, sharex=True)
    r = check.result
    _shade_pulse(axes[0], pulse_ms)
    axes[0].plot(r.t_ms, r.v_mV[0], color="k", label="V")
    axes[0].set_ylabel("V (mV re rest)")
    axes[0].set_title(f"{check.model.name}, {check.area_cm2:.0e} cm², "
                      f"{check.amplitude_uA / check.threshold_uA:.2g} x threshold", fontsize="medium")
    _shade_pulse(axes[1], pulse_ms)
    for name, color in (("m", "C3"), ("h", "C0"), ("n", "C2")):
        axes[1].plot(r.t_ms, getattr(r, name)[0], color=color, label=name)
    axes[1].set_xlabel("time (ms)")
    axes[1].set_ylabel("gate (open fraction)")
    for ax in axes:
        ax.legend(loc="upper right", fontsize="small")
    return axes


def plot_reference_overlay(check, axes=None):
    """hhlib's V over the reference's (top) and their difference (bottom), against time.

    Parameters
    ----------
    check : hhlib.studies.model_check.APCheck
        Its ``result`` (hhlib, recorded) and ``reference`` (``t_ms`` in ms, ``v_mV`` in mV re rest).
    axes : pair of matplotlib Axes, optional
        A new 2 x 1 figure if None.

    Returns
    -------
    ndarray of Axes, shape (2,)
    """
    axes = new_axes(axes, _STACK, nrows=2, dpi=FIG_DPI, sharex=True, height_ratios=(2, 1))
    r, ref = check.result, check.reference
    axes[0].plot(ref.t_ms, ref.v_mV, color="0.6", lw=4, label="solve_ivp reference (DOP853)")
    axes[0].plot(r.t_ms, r.v_mV[0], color="C3", lw=1.2, label=f"hhlib, dt = {1e3 * r.dt_ms:.3g} µs")
    axes[0].set_ylabel("V (mV re rest)")
    axes[0].set_title(check.model.name, fontsize="medium")
    axes[0].legend(loc="upper right", fontsize="small")
    axes[1].plot(r.t_ms, r.v_mV[0] - np.interp(r.t_ms, ref.t_ms, ref.v_mV), color="C3", label="hhlib - reference")
    axes[1].axhline(0.0, color="0.6", lw=0.8)
    axes[1].set_xlabel("time (ms)")
    axes[1].set_ylabel("ΔV (mV)")
    axes[1].legend(loc="upper right", fontsize="small")
    return axes


def plot_threshold_convergence(dt_us, rel_error, ax=None, *, order=None):
    """Log-log plot of the threshold's relative error against dt, with a slope-2 guide.

    Parameters
    ----------
    dt_us : array_like
        Time steps, µs.
    rel_error : array_like
        Relative threshold errors (dimensionless); their absolute values are plotted.
    ax : matplotlib Axes, optional
    order : float, optional
        The observed order of convergence (:func:`hhlib.studies.model_check.observed_order`), shown in
        the legend if given.

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax, _SMALL, dpi=FIG_DPI)
    dt, err = np.asarray(dt_us, float), np.abs(np.asarray(rel_error, float))
    guide = err[0] * (dt / dt[0]) ** 2
    ax.loglog(dt, guide, "-", color="0.75", lw=6, label="slope 2 (second order)")
    label = "hhlib" + (f" (observed order {order:.2f})" if order is not None else "")
    ax.loglog(dt, err, "o-", color="C3", label=label)
    _dt_ticks(ax, dt)
    ax.set_xlabel("time step dt (µs)")
    ax.set_ylabel("|threshold error| (relative)")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_noisy_traces(res, ax=None, *, title=None, pulse_ms=PULSE_MS):
    """Every recorded trial's V against time; trials that fired in red, the others in grey.

    Parameters
    ----------
    res : SimulationResult
        Recorded with scalar amplitude and area (``v_mV`` in mV re rest, shape ``(n_trials, n_steps + 1)``).
    ax : matplotlib Axes, optional
    title : str, optional
    pulse_ms : (float, float)
        Onset and duration of the shaded pulse, ms.

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax, _SIZE, dpi=FIG_DPI)
    _shade_pulse(ax, pulse_ms)
    for k, fired in enumerate(res.fired):
        ax.plot(res.t_ms, res.v_mV[k], color="C3" if fired else "0.45", lw=0.8, alpha=0.8)
    ax.plot([], [], color="C3", label=f"fired ({int(res.fired.sum())})")
    ax.plot([], [], color="0.45", label=f"did not fire ({int((~res.fired).sum())})")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("V (mV re rest)")
    ax.legend(loc="upper right", fontsize="small")
    if title:
        ax.set_title(title, fontsize="medium")
    return ax


def plot_resting_noise_vs_dt(dt_us, predecessor_std_mV, hhlib_std_mV, ax=None):
    """Resting-V std against dt: the predecessor's falls like sqrt(dt), hhlib's stays put.

    Parameters
    ----------
    dt_us : array_like
        Time steps, µs.
    predecessor_std_mV, hhlib_std_mV : array_like
        Resting-V standard deviations, mV.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax, _SMALL, dpi=FIG_DPI)
    dt, s_pred = np.asarray(dt_us, float), np.asarray(predecessor_std_mV, float)
    ax.plot(dt, s_pred, "s-", color="C1", label="predecessor's integrator (noise per step)")
    ax.plot(dt, s_pred[0] * np.sqrt(dt / dt[0]), ":", color="C1", alpha=0.6, label="∝ sqrt(dt)")
    ax.plot(dt, hhlib_std_mV, "o-", color="C0", label="hhlib (white noise, fixed intensity)")
    ax.set_xscale("log")
    _dt_ticks(ax, dt)
    ax.set_ylim(0.0, 1.2 * max(s_pred.max(), np.max(hhlib_std_mV)))
    ax.set_xlabel("time step dt (µs)")
    ax.set_ylabel("resting V std (mV)")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_frozen_gates(predecessor, res, axes=None, *, t_lim_ms=(0.05, 0.6), pulse_ms=PULSE_MS):
    """V (top) and Na activation m (bottom) around the pulse: the predecessor's integrator vs hhlib.

    Parameters
    ----------
    predecessor : hhlib.studies.model_check.PredecessorTraces
        One noise-free trial of the predecessor's integrator (``t_ms`` in ms, ``v_mV`` in mV re rest, ``m``).
    res : SimulationResult
        hhlib, ``noise=False, record=True``, same pulse.
    axes : pair of matplotlib Axes, optional
    t_lim_ms : (float, float)
        Time window shown, ms.
    pulse_ms : (float, float)
        Onset and nominal duration of the shaded pulse, ms.

    Returns
    -------
    ndarray of Axes, shape (2,)
    """
    axes = new_axes(axes, (6.4, 5.0), nrows=2, dpi=FIG_DPI, sharex=True)
    for ax, name, unit in ((axes[0], "v_mV", "V (mV re rest)"), (axes[1], "m", "Na activation m")):
        _shade_pulse(ax, pulse_ms, label=f"nominal pulse ({pulse_ms[1]:g} ms)")
        ax.plot(predecessor.t_ms, getattr(predecessor, name)[0], color="C1",
                label="predecessor's integrator (gates frozen)")
        ax.plot(res.t_ms, getattr(res, name)[0], color="C0", label="hhlib")
        ax.set_ylabel(unit)
    axes[1].set_xlim(*t_lim_ms)
    axes[1].set_xlabel("time (ms)")
    axes[0].legend(loc="upper right", fontsize="small")
    return axes


def plot_pulse_steps(steps: dict, ax=None, *, t_lim_ms=(0.08, 0.22)):
    """Stimulus on/off per time step: the predecessor's inclusive condition vs hhlib's ``round(duration/dt)``.

    Parameters
    ----------
    steps : dict
        :func:`hhlib.studies.model_check.pulse_steps`: ``t_ms`` (n_steps + 1,) step boundaries in ms,
        ``predecessor_on`` and ``hhlib_on`` (n_steps,), 1 where current flows.
    ax : matplotlib Axes, optional
    t_lim_ms : (float, float)
        Time window shown, ms.

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax, (6.4, 3.2), dpi=FIG_DPI)
    t, pred_on, hh_on = (np.asarray(steps[k], float) for k in ("t_ms", "predecessor_on", "hhlib_on"))
    ax.stairs(pred_on, t, color="C1", lw=2, label=f"predecessor: {int(pred_on.sum())} steps")
    ax.stairs(hh_on * 0.9, t, color="C0", lw=2, label=f"hhlib: {int(hh_on.sum())} steps")
    ax.set_xlim(*t_lim_ms)
    ax.set_ylim(-0.05, 1.25)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("stimulus on (0/1; hhlib x0.9)")
    ax.legend(loc="upper right", fontsize="small")
    return ax
