"""Computations and figures of notebook 01 ("model check").

The notebook proves the simulator right: action potentials and gates of :data:`hhlib.HH1952` and
:data:`hhlib.SEED_MODEL`, agreement with the converged ``solve_ivp`` reference, second-order
convergence of the threshold in dt, noise that shrinks with area, and, side by side, the seed
script's defects reproduced by :func:`seed_buggy_simulation` (a deliberately wrong integrator kept
only to show what hhlib fixed).

Conventions as in the rest of hhlib: V in mV relative to rest, time in ms (µs where the name says
so), currents in µA, areas in cm². Plot helpers take ``ax=None`` (or ``axes=None``), return the
axes and never call ``plt.show()``.
"""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from .model import HHParameters, gate_rates, initial_state, ionic_current
from .reference import ReferenceSolution, reference_threshold, solve_reference
from .simulate import SimulationResult, simulate
from .thresholds import threshold_current
from .stimulus import Pulse, grid_steps

__all__ = [
    "FIG_DPI", "APCheck", "ap_check", "interpolated_peak", "plot_ap_and_gates", "plot_reference_overlay",
    "threshold_convergence", "observed_order", "plot_threshold_convergence", "noisy_run", "resting_std",
    "hhlib_resting_std", "plot_noisy_traces", "SeedTraces", "seed_pulse_mask", "seed_buggy_simulation",
    "seed_threshold_current", "resting_noise_vs_dt", "plot_resting_noise_vs_dt", "plot_frozen_gates",
    "plot_pulse_steps",
]

#: Resolution of the notebook's figures, dots per inch (keeps the notebook small).
FIG_DPI = 90
#: The seed's pulse: 0.1 ms long, starting at 0.1 ms.
PULSE_DELAY_MS = 0.1
PULSE_DURATION_MS = 0.1


def _axes(ax, nrows=1, ncols=1, figsize=(6.4, 4.0), **kw):
    """``ax`` if given, else new axes on a new figure at :data:`FIG_DPI`."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(nrows, ncols, figsize=figsize, dpi=FIG_DPI, **kw)
    return ax


def _dt_ticks(ax, dt_us):
    """Label a log x axis at the time steps used, without minor tick labels."""
    ax.set_xticks(dt_us, [f"{d:g}" for d in dt_us])
    ax.set_xticks([], minor=True)


def _shade_pulse(ax, delay_ms=PULSE_DELAY_MS, duration_ms=PULSE_DURATION_MS, label="pulse"):
    ax.axvspan(delay_ms, delay_ms + duration_ms, color="0.85", zorder=0, label=label)


# ----------------------------------------------------------------------------- deterministic APs
@dataclass(frozen=True)
class APCheck:
    """A noise-free action potential of hhlib next to the converged reference.

    Attributes
    ----------
    model : HHParameters
    area_cm2 : float
        Membrane area, cm².
    threshold_uA, amplitude_uA : float
        hhlib's deterministic threshold and the pulse amplitude used, µA.
    result : SimulationResult
        ``hhlib.simulate(..., noise=False, record=True)``; traces of shape ``(1, n_steps + 1)``.
    reference : ReferenceSolution
        ``solve_reference`` (DOP853, rtol = atol = 1e-10) of the same pulse.
    """

    model: HHParameters
    area_cm2: float
    threshold_uA: float
    amplitude_uA: float
    result: SimulationResult
    reference: ReferenceSolution

    @property
    def peaks(self):
        """``(hhlib_peak_mV, hhlib_peak_time_ms, reference_peak_mV, reference_peak_time_ms)``."""
        r = self.reference
        return (*interpolated_peak(self.result.t_ms, self.result.v_mV[0]), *interpolated_peak(r.t_ms, r.v_mV))

    @property
    def peak_error_mV(self) -> float:
        """hhlib's AP peak minus the reference's, mV."""
        p = self.peaks
        return p[0] - p[2]

    @property
    def peak_time_error_us(self) -> float:
        """hhlib's AP peak time minus the reference's, µs."""
        p = self.peaks
        return 1e3 * (p[1] - p[3])


def ap_check(model: HHParameters, area_cm2: float, factor: float = 1.5, *, t_end_ms: float = 2.0,
             dt_ms: float = 0.0025) -> APCheck:
    """Noise-free response to a 0.1 ms pulse of ``factor`` x threshold, by hhlib and by the reference.

    Parameters
    ----------
    model : HHParameters
    area_cm2 : float
        Membrane area, cm².
    factor : float
        Pulse amplitude in units of hhlib's threshold current (dimensionless).
    t_end_ms, dt_ms : float
        Simulated time and hhlib's step, ms (also used for the threshold search).

    Returns
    -------
    APCheck
    """
    i_th = threshold_current(model, area_cm2, dt_ms=dt_ms, t_end_ms=t_end_ms)
    pulse = Pulse(factor * i_th, PULSE_DELAY_MS, PULSE_DURATION_MS)
    res = simulate(model, pulse, area_cm2, 1, dt_ms=dt_ms, t_end_ms=t_end_ms, noise=False, record=True)
    ref = solve_reference(model, pulse, area_cm2, t_end_ms=t_end_ms, samples_per_ms=round(2.0 / dt_ms))
    return APCheck(model, float(area_cm2), i_th, factor * i_th, res, ref)


def interpolated_peak(t_ms, v_mV):
    """Maximum of a sampled trace, refined by the parabola through the largest sample and its neighbours.

    Parameters
    ----------
    t_ms : array_like, shape (n,)
        Uniformly spaced sample times, ms.
    v_mV : array_like, shape (n,)
        Membrane potential, mV.

    Returns
    -------
    (peak_mV, peak_time_ms) : tuple of float

    Examples
    --------
    >>> t = np.arange(0.0, 1.0, 0.1)
    >>> v, tp = interpolated_peak(t, 5.0 - (t - 0.42) ** 2)
    >>> round(v, 9), round(tp, 9)
    (5.0, 0.42)
    """
    t, v = np.asarray(t_ms, dtype=float), np.asarray(v_mV, dtype=float)
    i = int(np.clip(np.argmax(v), 1, v.size - 2))
    y0, y1, y2 = v[i - 1:i + 2]
    curv = y0 - 2.0 * y1 + y2
    s = 0.0 if curv == 0 else 0.5 * (y0 - y2) / curv      # offset of the vertex, in samples
    return float(y1 - 0.25 * (y0 - y2) * s), float(t[i] + s * (t[i + 1] - t[i]))


def plot_ap_and_gates(check: APCheck, axes=None):
    """V (top) and the gates m, h, n (bottom) against time for one :class:`APCheck` (hhlib's traces).

    Parameters
    ----------
    check : APCheck
    axes : pair of matplotlib Axes, optional
        Top and bottom axes; a new 2 x 1 figure if None.

    Returns
    -------
    ndarray of Axes, shape (2,)
    """
    axes = _axes(axes, 2, 1, figsize=(5.0, 5.0), sharex=True)
    r = check.result
    _shade_pulse(axes[0])
    axes[0].plot(r.t_ms, r.v_mV[0], color="k", label="V")
    axes[0].set_ylabel("V (mV re rest)")
    axes[0].set_title(f"{check.model.name}, {check.area_cm2:.0e} cm², "
                      f"{check.amplitude_uA / check.threshold_uA:.2g} x threshold", fontsize="medium")
    _shade_pulse(axes[1])
    for name, color in (("m", "C3"), ("h", "C0"), ("n", "C2")):
        axes[1].plot(r.t_ms, getattr(r, name)[0], color=color, label=name)
    axes[1].set_xlabel("time (ms)")
    axes[1].set_ylabel("gate (open fraction)")
    for ax in axes:
        ax.legend(loc="upper right", fontsize="small")
    return axes


def plot_reference_overlay(check: APCheck, axes=None):
    """hhlib's V over the reference's (top) and their difference (bottom), against time.

    Parameters
    ----------
    check : APCheck
    axes : pair of matplotlib Axes, optional
        A new 2 x 1 figure if None.

    Returns
    -------
    ndarray of Axes, shape (2,)
    """
    axes = _axes(axes, 2, 1, figsize=(5.0, 5.0), sharex=True, height_ratios=(2, 1))
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


# ----------------------------------------------------------------------------- threshold convergence
def threshold_convergence(model: HHParameters, area_cm2: float, dts_us=(2.5, 1.25, 0.625, 0.25), *,
                          rtol: float = 1e-6, reference_rtol: float = 1e-7) -> dict:
    """Relative error of hhlib's threshold current against the solve_ivp reference, for several steps.

    Parameters
    ----------
    model : HHParameters
    area_cm2 : float
        Membrane area, cm².
    dts_us : sequence of float
        Time steps, µs.
    rtol : float
        Bracket width of hhlib's threshold search (relative; well below the errors measured).
    reference_rtol : float
        Bracket width of the reference bisection (relative).

    Returns
    -------
    dict
        ``dt_us`` (µs), ``threshold_uA`` (hhlib, µA), ``reference_uA`` (µA, scalar) and
        ``rel_error`` = threshold / reference - 1 (dimensionless).
    """
    dts = np.asarray(dts_us, dtype=float)
    ref = reference_threshold(model, area_cm2, rtol_threshold=reference_rtol)
    thr = np.array([threshold_current(model, area_cm2, dt_ms=1e-3 * dt, rtol=rtol) for dt in dts])
    return dict(dt_us=dts, threshold_uA=thr, reference_uA=ref, rel_error=thr / ref - 1.0)


def observed_order(dt, error) -> float:
    """Least-squares slope of ``log|error|`` against ``log dt``: the observed order of convergence.

    Examples
    --------
    >>> round(observed_order([1.0, 0.5, 0.25], [3.0, 0.75, 0.1875]), 6)
    2.0
    """
    return float(np.polyfit(np.log(np.asarray(dt, float)), np.log(np.abs(np.asarray(error, float))), 1)[0])


def plot_threshold_convergence(dt_us, rel_error, ax=None):
    """Log-log plot of the threshold's relative error against dt, with a slope-2 guide.

    Parameters
    ----------
    dt_us : array_like
        Time steps, µs.
    rel_error : array_like
        Relative threshold errors (dimensionless); their absolute values are plotted.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax, figsize=(5.0, 4.0))
    dt, err = np.asarray(dt_us, float), np.abs(np.asarray(rel_error, float))
    guide = err[0] * (dt / dt[0]) ** 2
    ax.loglog(dt, guide, "-", color="0.75", lw=6, label="slope 2 (second order)")
    ax.loglog(dt, err, "o-", color="C3", label=f"hhlib (observed order {observed_order(dt, err):.2f})")
    _dt_ticks(ax, dt)
    ax.set_xlabel("time step dt (µs)")
    ax.set_ylabel("|threshold error| (relative)")
    ax.legend(loc="upper left", fontsize="small")
    return ax


# ----------------------------------------------------------------------------- noise and area
def noisy_run(model: HHParameters, area_cm2: float, factor: float = 1.0, n_trials: int = 10, *, seed: int = 0,
              t_end_ms: float = 2.0) -> SimulationResult:
    """``n_trials`` noisy recorded trials with a 0.1 ms pulse of ``factor`` x the deterministic threshold.

    Parameters
    ----------
    model : HHParameters
    area_cm2 : float
        Membrane area, cm².
    factor : float
        Amplitude in units of the noise-free threshold current (dimensionless).
    n_trials : int
    seed : int
    t_end_ms : float
        Simulated time, ms.

    Returns
    -------
    SimulationResult
        With traces, ``v_mV`` of shape ``(n_trials, n_steps + 1)``.
    """
    amp = factor * threshold_current(model, area_cm2)
    return simulate(model, Pulse(amp, PULSE_DELAY_MS, PULSE_DURATION_MS), area_cm2, n_trials, seed=seed,
                    t_end_ms=t_end_ms, record=True)


def resting_std(t_ms, v_mV, t_skip_ms: float = 0.5) -> float:
    """Standard deviation of V (mV) over all trials and all samples at ``t >= t_skip_ms``.

    Examples
    --------
    >>> resting_std([0.0, 1.0, 2.0], [[9.0, 1.0, -1.0], [9.0, -1.0, 1.0]], t_skip_ms=1.0)
    1.0
    """
    keep = np.asarray(t_ms) >= t_skip_ms
    return float(np.asarray(v_mV)[..., keep].std())


def hhlib_resting_std(model: HHParameters, area_cm2: float, dt_ms: float = 0.0025, n_trials: int = 400, *,
                      seed: int = 3, t_end_ms: float = 1.5, t_skip_ms: float = 0.5) -> float:
    """Resting-V standard deviation of hhlib without stimulus, mV (samples after ``t_skip_ms``).

    Parameters
    ----------
    model : HHParameters
    area_cm2 : float
        Membrane area, cm².
    dt_ms : float
        Time step, ms.
    n_trials : int
    seed : int
    t_end_ms, t_skip_ms : float
        Simulated time and the initial transient left out, ms.

    Returns
    -------
    float
    """
    res = simulate(model, Pulse(0.0), area_cm2, n_trials, dt_ms=dt_ms, t_end_ms=t_end_ms, seed=seed, record=True)
    return resting_std(res.t_ms, res.v_mV, t_skip_ms)


def plot_noisy_traces(res: SimulationResult, ax=None, *, title=None):
    """Every recorded trial's V against time; trials that fired in red, the others in grey.

    Parameters
    ----------
    res : SimulationResult
        Recorded with scalar amplitude and area (``v_mV`` of shape ``(n_trials, n_steps + 1)``).
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    _shade_pulse(ax)
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


# ----------------------------------------------------------------------------- the seed's defects
@dataclass(frozen=True)
class SeedTraces:
    """Output of :func:`seed_buggy_simulation`.

    Attributes
    ----------
    t_ms : ndarray, shape (n_steps + 1,)
    v_mV, m, h, n : ndarray, shape (n_trials, n_steps + 1)
        Membrane potential (mV relative to rest) and gates.
    stimulus_on : ndarray of bool, shape (n_steps,)
        True for the steps during which the seed applied the pulse.
    dt_ms : float
    """

    t_ms: np.ndarray
    v_mV: np.ndarray
    m: np.ndarray
    h: np.ndarray
    n: np.ndarray
    stimulus_on: np.ndarray
    dt_ms: float

    @property
    def fired(self) -> np.ndarray:
        """The seed's spike criterion, ``max(V) > 60 mV`` anywhere, per trial (bool)."""
        return self.v_mV.max(axis=-1) > 60.0


def seed_pulse_mask(n_steps: int, dt_ms: float, delay_ms: float = PULSE_DELAY_MS,
                    duration_ms: float = PULSE_DURATION_MS) -> np.ndarray:
    """The seed's stimulus condition ``delay/dt <= i <= (delay + duration)/dt`` for steps i = 0..n_steps-1.

    Inclusive at both ends, so a 0.1 ms pulse at dt = 2.5 µs lasts 41 steps (0.1025 ms).

    Examples
    --------
    >>> int(seed_pulse_mask(800, 0.0025).sum())
    41
    """
    i = np.arange(n_steps)
    return (delay_ms / dt_ms <= i) & (i <= (delay_ms + duration_ms) / dt_ms)


def seed_buggy_simulation(model: HHParameters, amplitude_uA, area_cm2: float, n_trials: int = 1, *,
                          rng: np.random.Generator | None = None, noise: bool = True, dt_ms: float = 0.0025,
                          t_end_ms: float = 2.0, delay_ms: float = PULSE_DELAY_MS,
                          duration_ms: float = PULSE_DURATION_MS) -> SeedTraces:
    """The seed script's integrator, DELIBERATELY WRONG: reproduces its defects; never use it for science.

    Kept only so notebook 01 can show what hhlib fixed (docs/seed_bugs.md). Per step i, from the
    state at step i (vectorised over trials):

    * V by forward Euler: ``V += dt (I_stim/A - I_ion + I_noise/A) / c`` with the old gates;
    * the gates by backward Euler, ``x = (x + dt α) / (1 + dt (α + β))``, but only in the ``else:``
      of the stimulus ``if`` (seed bug 1): during the pulse they are not integrated, and since the
      gate arrays are pre-filled with the resting values they sit *at rest* for the whole pulse;
    * the pulse is on while ``delay/dt <= i <= (delay + duration)/dt`` (bug 4: 41 steps at 2.5 µs);
    * ``I_noise = N(0,1) knoise sqrt(gNa A)`` µA every step, whatever dt (bug 2: the V variance
      per unit time is proportional to dt).

    Not reproduced: the 0/0 of the rate functions (hhlib's guarded rates are used) and the global
    random state (the normals come from ``rng``).

    Parameters
    ----------
    model : HHParameters
    amplitude_uA : float or array_like, shape (n_trials,)
        Pulse amplitude, µA (one per trial if an array).
    area_cm2 : float
        Membrane area, cm².
    n_trials : int
    rng : numpy.random.Generator
        Source of the noise; required if ``noise`` and the model has ``knoise > 0``.
    noise : bool
        Add the seed's noise current.
    dt_ms, t_end_ms, delay_ms, duration_ms : float
        Time step, simulated time, pulse onset and nominal duration, ms.

    Returns
    -------
    SeedTraces
    """
    n_steps = grid_steps("t_end_ms", t_end_ms, dt_ms)
    on = seed_pulse_mask(n_steps, dt_ms, delay_ms, duration_ms)
    amp = np.broadcast_to(np.asarray(amplitude_uA, dtype=float), (n_trials,))
    v = np.zeros((n_trials, n_steps + 1))
    m, h, n = (np.full((n_trials, n_steps + 1), x0) for x0 in initial_state(model)[1:])  # pre-filled at rest
    use_noise = noise and model.has_noise
    if use_noise and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator when noise is on, got {type(rng).__name__}")
    sigma_uA = model.knoise * np.sqrt(model.g_na * area_cm2)                    # µA per N(0,1), any dt
    for i in range(n_steps):
        i_in = (amp if on[i] else 0.0) + (sigma_uA * rng.standard_normal(n_trials) if use_noise else 0.0)
        i_ion = ionic_current(v[:, i], m[:, i], h[:, i], n[:, i], model)             # µA/cm², old gates
        v[:, i + 1] = v[:, i] + dt_ms * (i_in / area_cm2 - i_ion) / model.c_m      # forward Euler
        if not on[i]:                                                           # seed bug 1: gates only here
            am, bm, ah, bh, an, bn = gate_rates(v[:, i], model)
            for x, a, b in ((m, am, bm), (h, ah, bh), (n, an, bn)):
                x[:, i + 1] = (x[:, i] + dt_ms * a) / (1.0 + dt_ms * (a + b))
    return SeedTraces(np.arange(n_steps + 1) * dt_ms, v, m, h, n, on, dt_ms)


def seed_threshold_current(model: HHParameters, area_cm2: float, *, dt_ms: float = 0.0025, rtol: float = 1e-5,
                           n_probe: int = 64) -> float:
    """Noise-free threshold (µA) of :func:`seed_buggy_simulation` with the seed's ``max(V) > 60 mV`` criterion.

    Vectorised n-section: ``n_probe`` amplitudes (one per trial) per iteration, down to a bracket of
    relative width ``rtol``. Starts from ``[0, 20 c A / 0.1 ms]``, which must bracket the threshold.
    """
    lo, hi = 0.0, 20.0 * model.c_m * area_cm2 / PULSE_DURATION_MS
    while hi - lo > rtol * hi:
        amps = np.linspace(lo, hi, n_probe + 2)[1:-1]
        fired = seed_buggy_simulation(model, amps, area_cm2, n_probe, noise=False, dt_ms=dt_ms).fired
        k = int(np.argmax(fired)) if fired.any() else n_probe
        lo, hi = (amps[k - 1] if k > 0 else lo), (amps[k] if k < n_probe else hi)
    return 0.5 * (lo + hi)


def resting_noise_vs_dt(model: HHParameters, area_cm2: float, dts_us=(2.5, 1.25, 0.625), n_trials: int = 400, *,
                        seed: int = 3, t_end_ms: float = 1.5, t_skip_ms: float = 0.5) -> dict:
    """Resting-V std of the seed's integrator and of hhlib at several time steps (no stimulus).

    Parameters
    ----------
    model : HHParameters
    area_cm2 : float
        Membrane area, cm².
    dts_us : sequence of float
        Time steps, µs.
    n_trials : int
    seed : int
        Seeds hhlib and ``numpy.random.default_rng(seed)`` for the seed's integrator.
    t_end_ms, t_skip_ms : float
        Simulated time and initial transient left out, ms.

    Returns
    -------
    dict
        ``dt_us`` (µs), ``seed_std_mV`` and ``hhlib_std_mV`` (mV), one per dt.
    """
    dts = np.asarray(dts_us, dtype=float)
    seed_std, hh_std = [], []
    for dt in 1e-3 * dts:
        tr = seed_buggy_simulation(model, 0.0, area_cm2, n_trials, rng=np.random.default_rng(seed), dt_ms=dt,
                                   t_end_ms=t_end_ms)
        seed_std.append(resting_std(tr.t_ms, tr.v_mV, t_skip_ms))
        hh_std.append(hhlib_resting_std(model, area_cm2, dt, n_trials, seed=seed, t_end_ms=t_end_ms,
                                        t_skip_ms=t_skip_ms))
    return dict(dt_us=dts, seed_std_mV=np.array(seed_std), hhlib_std_mV=np.array(hh_std))


def plot_resting_noise_vs_dt(dt_us, seed_std_mV, hhlib_std_mV, ax=None):
    """Resting-V std against dt: the seed's falls like sqrt(dt), hhlib's stays put.

    Parameters
    ----------
    dt_us : array_like
        Time steps, µs.
    seed_std_mV, hhlib_std_mV : array_like
        Resting-V standard deviations, mV.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax, figsize=(5.0, 4.0))
    dt, s_seed = np.asarray(dt_us, float), np.asarray(seed_std_mV, float)
    ax.plot(dt, s_seed, "s-", color="C1", label="seed integrator (noise per step)")
    ax.plot(dt, s_seed[0] * np.sqrt(dt / dt[0]), ":", color="C1", alpha=0.6, label="∝ sqrt(dt)")
    ax.plot(dt, hhlib_std_mV, "o-", color="C0", label="hhlib (white noise, fixed intensity)")
    ax.set_xscale("log")
    _dt_ticks(ax, dt)
    ax.set_ylim(0.0, 1.2 * max(s_seed.max(), np.max(hhlib_std_mV)))
    ax.set_xlabel("time step dt (µs)")
    ax.set_ylabel("resting V std (mV)")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_frozen_gates(seed: SeedTraces, res: SimulationResult, axes=None, *, t_lim_ms=(0.05, 0.6)):
    """V (top) and Na activation m (bottom) around the pulse: seed integrator vs hhlib, same amplitude.

    Parameters
    ----------
    seed : SeedTraces
        One noise-free trial of :func:`seed_buggy_simulation`.
    res : SimulationResult
        hhlib, ``noise=False, record=True``, same pulse.
    axes : pair of matplotlib Axes, optional
    t_lim_ms : (float, float)
        Time window shown, ms.

    Returns
    -------
    ndarray of Axes, shape (2,)
    """
    axes = _axes(axes, 2, 1, figsize=(6.4, 5.0), sharex=True)
    for ax, name, unit in ((axes[0], "v_mV", "V (mV re rest)"), (axes[1], "m", "Na activation m")):
        _shade_pulse(ax, label="nominal pulse (0.1 ms)")
        ax.plot(seed.t_ms, getattr(seed, name)[0], color="C1", label="seed integrator (gates frozen)")
        ax.plot(res.t_ms, getattr(res, name)[0], color="C0", label="hhlib")
        ax.set_ylabel(unit)
    axes[1].set_xlim(*t_lim_ms)
    axes[1].set_xlabel("time (ms)")
    axes[0].legend(loc="upper right", fontsize="small")
    return axes


def plot_pulse_steps(dt_ms: float = 0.0025, ax=None, *, t_lim_ms=(0.08, 0.22)):
    """Stimulus on/off per time step: the seed's inclusive condition vs hhlib's ``round(duration/dt)`` steps.

    Parameters
    ----------
    dt_ms : float
        Time step, ms.
    ax : matplotlib Axes, optional
    t_lim_ms : (float, float)
        Time window shown, ms.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax, figsize=(6.4, 3.2))
    n_steps = int(round((t_lim_ms[1] + 0.05) / dt_ms))
    t = np.arange(n_steps + 1) * dt_ms
    seed_on = seed_pulse_mask(n_steps, dt_ms).astype(float)
    hh_on = Pulse(1.0, PULSE_DELAY_MS, PULSE_DURATION_MS).unit_waveform(dt_ms, n_steps)
    ax.stairs(seed_on * 1.0, t, color="C1", lw=2, label=f"seed: {int(seed_on.sum())} steps")
    ax.stairs(hh_on * 0.9, t, color="C0", lw=2, label=f"hhlib: {int(hh_on.sum())} steps")
    ax.set_xlim(*t_lim_ms)
    ax.set_ylim(-0.05, 1.25)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("stimulus on (0/1; hhlib x0.9)")
    ax.legend(loc="upper right", fontsize="small")
    return ax
