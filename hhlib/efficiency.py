"""Observables at equal firing efficiency: first-spike latency and jitter where the model fires in a given fraction
of its trials.

Experiments such as Miller et al. (1999, Fig. 5) plot latency and jitter against the firing efficiency (FE), not
against the current: to compare a model with them, the model's stimulus level must be the one at which *its*
firing efficiency equals the data's. :func:`at_efficiency` finds those levels exactly for one noise realisation:
every trial's own threshold (:func:`hhlib.thresholds.trial_thresholds`, random stream 0) is found once, the FE
curve of these trials is the empirical CDF of their thresholds, so the level of efficiency ``p`` is the ``p``
quantile of the thresholds (linear interpolation between neighbouring trials); the same trials (stream 0, common
random numbers) are then simulated at those levels, and their latency and jitter measured
(:func:`hhlib.stats.latency_stats`). The fraction that fired there (``realised``) equals ``p`` to within the
bisection tolerance, which the result reports rather than assumes.

A stimulus scale drops out: thresholds scale with it, and so do the quantile levels, so the membrane sees the same
currents (``tests/core/test_miller_fit.py`` checks it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import MembraneModel
from .simulate import simulate
from .stats import latency_stats
from .stimulus import Pulse, as_stimulus
from .thresholds import trial_thresholds
from .validation import check_instance, check_int, check_real, real_array

__all__ = ["EfficiencyCurve", "at_efficiency"]


@dataclass(frozen=True)
class EfficiencyCurve:
    """Latency and jitter of a model at given firing efficiencies (arrays of shape ``(n,)``).

    Attributes
    ----------
    efficiency : ndarray
        The requested firing efficiencies (fractions in (0, 1)).
    realised : ndarray
        Fraction of the ``n_trials`` trials that fired at each level (equals ``efficiency`` to within the
        threshold search's tolerance).
    amplitude_uA : ndarray
        Stimulus factor of each level (µA for a stimulus of unit amplitude).
    latency_ms, jitter_ms : ndarray
        Mean first-spike latency from the stimulus onset, ms, and its standard deviation (ddof 1), ms.
    n_fired : ndarray of int
        Trials that responded at each level.
    n_trials : int
    relative_spread : float
        Spread of the trial thresholds, half the 16-84 % interval over the median (the probit RS).
    """

    efficiency: np.ndarray
    realised: np.ndarray
    amplitude_uA: np.ndarray
    latency_ms: np.ndarray
    jitter_ms: np.ndarray
    n_fired: np.ndarray
    n_trials: int
    relative_spread: float


def _levels(thr: np.ndarray, eff: np.ndarray) -> np.ndarray:
    """The ``eff`` quantiles of the trial thresholds ``thr``; ValueError where a quantile is 0 or infinite."""
    s = np.sort(thr)
    spont, fires = float(np.mean(s == 0.0)), float(np.mean(np.isfinite(s)))
    bad = (eff <= spont) | (eff >= fires)
    if bad.any():
        raise ValueError(f"efficiency {eff[bad].tolist()} is out of reach of this model: {100 * spont:.3g} % of its "
                         f"trials fire without stimulus and {100 * fires:.3g} % fire at all (up to 32 x threshold); "
                         f"choose efficiencies in ({spont:.4g}, {fires:.4g}) or more trials")
    pos = eff * s.size - 0.5                       # Hazen plotting positions: trial k sits at FE (k + 0.5) / n
    k = np.clip(np.floor(pos).astype(int), 0, s.size - 2)
    frac = np.clip(pos - k, 0.0, 1.0)
    return s[k] + frac * (s[k + 1] - s[k])


def at_efficiency(model: MembraneModel, area_cm2: float, efficiency, n_trials: int, *, stimulus=None, seed=None,
                  noise=True, dt_ms: float = 0.0025, t_end_ms: float = 2.0, rtol: float = 1e-3,
                  engine: str = "auto") -> EfficiencyCurve:
    """Latency and jitter of ``model`` at the stimulus levels where it fires in ``efficiency`` of its trials.

    Parameters
    ----------
    model : MembraneModel
    area_cm2 : float
        Membrane area, cm².
    efficiency : array_like, shape (n,)
        Firing efficiencies (fractions, strictly between 0 and 1).
    n_trials : int
        Trials (>= 10) whose thresholds define the FE curve and which are simulated at the levels.
    stimulus : stimulus object, optional
        Of unit amplitude, all parts scaled together (default ``Pulse(1.0)``: 0.1 ms at 0.1 ms); latencies
        count from its onset.
    seed : None, int, SeedSequence, Generator or SeedRecord
        The noise realisation (stream 0 of it): the same seed gives common random numbers across parameters.
    noise : bool or noise object
        As in :func:`hhlib.simulate`.
    dt_ms, t_end_ms : float
        Time step and simulated time, ms.
    rtol : float
        Relative tolerance of the threshold search (:func:`hhlib.thresholds.trial_thresholds`).
    engine : {"auto", "numba", "numpy", "cuda"}

    Returns
    -------
    EfficiencyCurve

    Raises
    ------
    ValueError
        For efficiencies outside (0, 1) or out of the model's reach (trials that fire spontaneously or never).

    Examples
    --------
    >>> import hhlib
    >>> c = at_efficiency(hhlib.SEED_MODEL, 1e-9, [0.2, 0.8], 400, seed=0)
    >>> bool(abs(c.realised - [0.2, 0.8]).max() < 0.02), bool(c.latency_ms[0] > c.latency_ms[1])
    (True, True)
    """
    check_instance("model", model, MembraneModel, "membrane model")
    area = check_real("area_cm2", area_cm2, low=0.0, low_open=True, unit="cm²")
    eff = real_array("efficiency", efficiency, "fraction")
    if eff.ndim != 1 or eff.size == 0 or np.any((eff <= 0) | (eff >= 1)):
        raise ValueError(f"efficiency must be a non-empty 1-D array of fractions in (0, 1), got {eff.tolist()}")
    n_trials = check_int("n_trials", n_trials, minimum=10)
    stim = as_stimulus(Pulse(1.0) if stimulus is None else stimulus)
    opts = dict(dt_ms=dt_ms, t_end_ms=t_end_ms, engine=engine)
    thr = trial_thresholds(model, area, n_trials, stimulus=stim, seed=seed, noise=noise, rtol=rtol, **opts)
    amps = _levels(thr, eff)
    run = stim.with_amplitudes([a * amps for a in stim.amplitudes_uA])
    res = simulate(model, run, area, n_trials, seed=seed, noise=noise, stream_ids=np.zeros(amps.size, dtype=int),
                   stop_after=1, max_spikes=1, **opts)
    st = latency_stats(res.first_spike_ms, stim.onset_ms)
    q16, q50, q84 = np.quantile(thr, [0.16, 0.5, 0.84])
    return EfficiencyCurve(eff, res.fired.mean(axis=-1), amps, st.latency_ms, st.jitter_ms, st.n_fired, n_trials,
                           float(0.5 * (q84 - q16) / q50))
