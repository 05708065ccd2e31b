"""Computations of notebook 01 ("model check"); its figures are drawn by :mod:`hhlib.viz.model_check`.

The notebook proves the simulator right: action potentials and gates of :data:`hhlib.HH1952` and
:data:`hhlib.SEED_MODEL`, agreement with the converged ``solve_ivp`` reference, second-order
convergence of the threshold in dt, noise that shrinks with area, and, side by side, the predecessor
script's defects reproduced by :func:`predecessor_simulation` (a deliberately wrong integrator kept
only to show what hhlib fixed).

Conventions as in the rest of hhlib: V in mV relative to rest, time in ms (µs where the name says
so), currents in µA, areas in cm².
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hhlib import HHParameters, Pulse, SimulationResult, simulate, threshold_current
from hhlib.model import gate_rates, initial_state, ionic_current
from hhlib.reference import reference_threshold, solve_reference
from hhlib.stimulus import grid_steps

__all__ = [
    "APCheck", "ap_check", "interpolated_peak", "threshold_convergence", "observed_order", "noisy_run",
    "resting_std", "hhlib_resting_std", "PredecessorTraces", "predecessor_pulse_mask", "predecessor_simulation",
    "predecessor_threshold_current", "resting_noise_vs_dt", "pulse_steps", "PULSE_DELAY_MS", "PULSE_DURATION_MS",
    "PULSE",
]

#: The notebook's (and the predecessor's) pulse: 0.1 ms long, starting at 0.1 ms.
PULSE_DELAY_MS = 0.1
PULSE_DURATION_MS = 0.1
#: That pulse at unit amplitude (µA).
PULSE = Pulse(1.0, PULSE_DELAY_MS, PULSE_DURATION_MS)


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
    reference : hhlib.reference.ReferenceSolution
        ``solve_reference`` (DOP853, rtol = atol = 1e-10) of the same pulse.
    """

    model: HHParameters
    area_cm2: float
    threshold_uA: float
    amplitude_uA: float
    result: SimulationResult
    reference: object

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
    pulse = PULSE.with_amplitude(factor * i_th)
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
        Random seed.
    t_end_ms : float
        Simulated time, ms.

    Returns
    -------
    SimulationResult
        With traces, ``v_mV`` of shape ``(n_trials, n_steps + 1)``.
    """
    amp = factor * threshold_current(model, area_cm2)
    return simulate(model, PULSE.with_amplitude(amp), area_cm2, n_trials, seed=seed,
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
        Random seed.
    t_end_ms, t_skip_ms : float
        Simulated time and the initial transient left out, ms.

    Returns
    -------
    float
    """
    res = simulate(model, Pulse(0.0), area_cm2, n_trials, dt_ms=dt_ms, t_end_ms=t_end_ms, seed=seed, record=True)
    return resting_std(res.t_ms, res.v_mV, t_skip_ms)


# ----------------------------------------------------------------------------- the predecessor's defects
@dataclass(frozen=True)
class PredecessorTraces:
    """Output of :func:`predecessor_simulation`.

    Attributes
    ----------
    t_ms : ndarray, shape (n_steps + 1,)
    v_mV, m, h, n : ndarray, shape (n_trials, n_steps + 1)
        Membrane potential (mV relative to rest) and gates.
    stimulus_on : ndarray of bool, shape (n_steps,)
        True for the steps during which the predecessor applied the pulse.
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
        """The predecessor's spike criterion, ``max(V) > 60 mV`` anywhere, per trial (bool)."""
        return self.v_mV.max(axis=-1) > 60.0


def predecessor_pulse_mask(n_steps: int, dt_ms: float, pulse: Pulse = PULSE) -> np.ndarray:
    """The predecessor's stimulus condition ``delay/dt <= i <= (delay + duration)/dt`` for steps i = 0..n_steps-1.

    Inclusive at both ends, so a 0.1 ms pulse at dt = 2.5 µs lasts 41 steps (0.1025 ms). ``pulse`` (a
    :class:`hhlib.Pulse`, default :data:`PULSE`) gives the onset ``delay`` and the ``duration``.

    Examples
    --------
    >>> int(predecessor_pulse_mask(800, 0.0025).sum())
    41
    """
    if not isinstance(pulse, Pulse):
        raise TypeError(f"pulse must be a hhlib.Pulse (the predecessor knew rectangular pulses only), got "
                        f"{type(pulse).__name__}")
    i = np.arange(n_steps)
    return (pulse.onset_ms / dt_ms <= i) & (i <= (pulse.onset_ms + pulse.width_ms) / dt_ms)


def predecessor_simulation(model: HHParameters, amplitude_uA, area_cm2: float, n_trials: int = 1, *,
                          rng: np.random.Generator | None = None, noise: bool = True, dt_ms: float = 0.0025,
                          t_end_ms: float = 2.0, pulse: Pulse = PULSE) -> PredecessorTraces:
    """The predecessor script's integrator, DELIBERATELY WRONG: reproduces its defects; never use it for science.

    Kept only so notebook 01 can show what hhlib fixed (docs/predecessor_bugs.md). Per step i, from the
    state at step i (vectorised over trials):

    * V by forward Euler: ``V += dt (I_stim/A - I_ion + I_noise/A) / c`` with the old gates;
    * the gates by backward Euler, ``x = (x + dt α) / (1 + dt (α + β))``, but only in the ``else:``
      of the stimulus ``if`` (predecessor bug 1): during the pulse they are not integrated, and since the
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
        Add the predecessor's noise current.
    dt_ms, t_end_ms : float
        Time step and simulated time, ms.
    pulse : hhlib.Pulse
        Its onset and nominal duration (default :data:`PULSE`, 0.1 ms at 0.1 ms); its own amplitude is not used
        (``amplitude_uA`` is).

    Returns
    -------
    SeedTraces
    """
    n_steps = grid_steps("t_end_ms", t_end_ms, dt_ms)
    on = predecessor_pulse_mask(n_steps, dt_ms, pulse)
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
        if not on[i]:                                                           # predecessor bug 1: gates only here
            am, bm, ah, bh, an, bn = gate_rates(v[:, i], model)
            for x, a, b in ((m, am, bm), (h, ah, bh), (n, an, bn)):
                x[:, i + 1] = (x[:, i] + dt_ms * a) / (1.0 + dt_ms * (a + b))
    return PredecessorTraces(np.arange(n_steps + 1) * dt_ms, v, m, h, n, on, dt_ms)


def predecessor_threshold_current(model: HHParameters, area_cm2: float, *, dt_ms: float = 0.0025,
                                  rtol: float = 1e-5, n_probe: int = 64) -> float:
    """Noise-free threshold (µA) of :func:`predecessor_simulation` with its ``max(V) > 60 mV`` criterion.

    Vectorised n-section: ``n_probe`` amplitudes (one per trial) per iteration, down to a bracket of
    relative width ``rtol``. Starts from ``[0, 20 c A / 0.1 ms]``, which must bracket the threshold.
    """
    lo, hi = 0.0, 20.0 * model.c_m * area_cm2 / PULSE_DURATION_MS
    while hi - lo > rtol * hi:
        amps = np.linspace(lo, hi, n_probe + 2)[1:-1]
        fired = predecessor_simulation(model, amps, area_cm2, n_probe, noise=False, dt_ms=dt_ms).fired
        k = int(np.argmax(fired)) if fired.any() else n_probe
        lo, hi = (amps[k - 1] if k > 0 else lo), (amps[k] if k < n_probe else hi)
    return 0.5 * (lo + hi)


def resting_noise_vs_dt(model: HHParameters, area_cm2: float, dts_us=(2.5, 1.25, 0.625), n_trials: int = 400, *,
                        seed: int = 3, t_end_ms: float = 1.5, t_skip_ms: float = 0.5) -> dict:
    """Resting-V std of the predecessor's integrator and of hhlib at several time steps (no stimulus).

    Parameters
    ----------
    model : HHParameters
    area_cm2 : float
        Membrane area, cm².
    dts_us : sequence of float
        Time steps, µs.
    n_trials : int
    seed : int
        Random seed of hhlib and of ``numpy.random.default_rng(seed)`` for the predecessor's integrator.
    t_end_ms, t_skip_ms : float
        Simulated time and initial transient left out, ms.

    Returns
    -------
    dict
        ``dt_us`` (µs), ``predecessor_std_mV`` and ``hhlib_std_mV`` (mV), one per dt.
    """
    dts = np.asarray(dts_us, dtype=float)
    pred_std, hh_std = [], []
    for dt in 1e-3 * dts:
        tr = predecessor_simulation(model, 0.0, area_cm2, n_trials, rng=np.random.default_rng(seed), dt_ms=dt,
                                   t_end_ms=t_end_ms)
        pred_std.append(resting_std(tr.t_ms, tr.v_mV, t_skip_ms))
        hh_std.append(hhlib_resting_std(model, area_cm2, dt, n_trials, seed=seed, t_end_ms=t_end_ms,
                                        t_skip_ms=t_skip_ms))
    return dict(dt_us=dts, predecessor_std_mV=np.array(pred_std), hhlib_std_mV=np.array(hh_std))


def pulse_steps(dt_ms: float = 0.0025, t_end_ms: float = 0.27) -> dict:
    """Which time steps carry current: the predecessor's inclusive condition and hhlib's ``Pulse``.

    Parameters
    ----------
    dt_ms : float
        Time step, ms.
    t_end_ms : float
        Time covered, ms (a whole number of steps).

    Returns
    -------
    dict
        ``t_ms`` (n_steps + 1,): step boundaries, ms; ``predecessor_on`` and ``hhlib_on`` (n_steps,):
        1.0 on the steps with current, else 0.0 (a 0.1 ms pulse at 0.1 ms).
    """
    n_steps = grid_steps("t_end_ms", t_end_ms, dt_ms)
    return dict(t_ms=np.arange(n_steps + 1) * dt_ms,
                predecessor_on=predecessor_pulse_mask(n_steps, dt_ms).astype(float),
                hhlib_on=PULSE.unit_waveform(dt_ms, n_steps))
