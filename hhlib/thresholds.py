"""Per-trial threshold currents under common random numbers.

With its noise realisation held fixed, a trial fires after a rectangular pulse exactly when the
amplitude reaches that trial's own threshold. Finding every trial's threshold once (vectorised
bisection, all trials at once, the same random streams at every probe) turns the fraction of
trials that fire at *any* amplitude into the empirical CDF of those thresholds: the Monte Carlo
firing probability becomes a cheap, monotone, continuous-in-amplitude function. This is what
lets :func:`hhlib.fit` search the parameters without re-simulating at every step.
"""
from __future__ import annotations

import numpy as np

from .model import HHParameters
from .simulate import (_check_area, _check_n_trials, _check_positive_finite, _load_numba_engine, _run_engines,
                       make_seed_sequence, DEFAULT_CHUNK_LANES)
from .spikes import threshold_current
from .stimulus import Pulse, steps_of

__all__ = ["trial_thresholds", "fraction_fired"]


def trial_thresholds(model: HHParameters, area_cm2, n_trials: int, *, seed=None, stream_id: int = 0,
                     delay_ms: float = 0.1, duration_ms: float = 0.1, dt_ms: float = 0.0025, t_end_ms: float = 2.0,
                     rtol: float = 1e-3, max_factor: float = 32.0, engine: str = "auto",
                     info: dict | None = None) -> np.ndarray:
    """Threshold amplitude (µA) of every noisy trial, for a rectangular pulse.

    Trial ``j`` uses the noise of trial ``j`` of random stream ``stream_id`` (the numbers
    :func:`hhlib.simulate` uses for a condition with that stream id), at every area: the areas
    share one noise realisation (scaled by ``sqrt(A)``), so thresholds vary smoothly with area.

    Parameters
    ----------
    model : HHParameters
    area_cm2 : float or array_like, shape (n_area,)
        Membrane area(s), cm².
    n_trials : int
    seed : None, int, SeedSequence or Generator
    stream_id : int
        Random stream (condition index) whose trials are used.
    delay_ms, duration_ms, dt_ms, t_end_ms : float
        Pulse and simulation timing, ms.
    rtol : float
        Bisection stops when every bracket is narrower than ``rtol`` times the deterministic
        threshold; the bracket midpoint is returned. The default 1e-3 is ~1 % of the threshold
        spread at the seed's areas: it blurs the firing curve by a negligible 1e-5 of its variance.
    max_factor : float
        Upper end of the search, in units of the deterministic threshold; trials that do not fire
        there get ``inf``. A trial that fires without any stimulus gets a threshold near 0.
    engine : {"auto", "numba", "numpy"}
    info : dict, optional
        If given, ``info["simulated_trials"]`` is increased by the trials simulated (all probes).

    Returns
    -------
    ndarray, shape ``area.shape + (n_trials,)``
        Threshold currents, µA.

    Examples
    --------
    >>> import numpy as np, hhlib
    >>> thr = trial_thresholds(hhlib.SEED_MODEL, 1e-9, 500, seed=0)
    >>> bool(np.all(np.diff(np.sort(thr)) >= 0)) and thr.shape == (500,)
    True
    >>> p = fraction_fired(thr, 7e-8)       # fraction of these trials that fire at 7e-8 µA
    >>> 0.3 < float(p) < 0.7
    True
    """
    area = _check_area(area_cm2)
    n_trials = _check_n_trials(n_trials)
    dt = _check_positive_finite("dt_ms", dt_ms, "ms")
    t_end = _check_positive_finite("t_end_ms", t_end_ms, "ms")
    if not 0 < rtol < 0.1:
        raise ValueError(f"rtol must be in (0, 0.1), got {rtol!r}")
    stim = Pulse(0.0, delay_ms, duration_ms)
    if dt > duration_ms:
        raise ValueError(f"dt_ms = {dt} is larger than the pulse duration ({duration_ms} ms)")
    if t_end <= delay_ms:
        raise ValueError(f"t_end_ms = {t_end} must be later than the pulse onset ({delay_ms} ms)")
    flat = area.ravel()
    i_det = threshold_current(model, flat, duration_ms=duration_ms, delay_ms=delay_ms, dt_ms=dt, t_end_ms=t_end,
                              engine=engine)
    i_det = np.atleast_1d(i_det)
    root = make_seed_sequence(seed) if model.has_noise else None
    compiled = _load_numba_engine() if engine in ("auto", "numba") else None
    waveform = stim.unit_waveform(dt, steps_of(t_end, dt))
    ids = np.full(flat.size, int(stream_id))

    def fires(amp_lanes):
        if info is not None:
            info["simulated_trials"] = info.get("simulated_trials", 0) + amp_lanes.size
        counts, _, _ = _run_engines(model, waveform, np.zeros(flat.size), flat, ids, n_trials, dt, root, 60.0,
                                    compiled, None, DEFAULT_CHUNK_LANES, lane_amp=amp_lanes, stop_after=1)
        return counts >= 1

    scale = i_det[:, None] * np.ones(n_trials)
    # bracket: most trials lie within [0.5, 2] x the deterministic threshold; widen where needed
    lo, hi = 0.5 * scale, 2.0 * scale
    f_lo = fires(lo)
    f_hi = fires(hi)
    hi = np.where(f_lo, lo, hi)
    lo = np.where(f_lo, 0.0, lo)
    never = ~f_hi & ~f_lo
    while np.any(never) and np.max(hi[never] / scale[never]) < max_factor:
        grow = never
        lo = np.where(grow, hi, lo)
        hi = np.where(grow, np.minimum(4.0 * hi, max_factor * scale), hi)
        never = never & ~fires(hi)
    tol = rtol * scale
    while np.any((hi - lo > tol) & ~never):
        mid = 0.5 * (lo + hi)
        f = fires(mid)
        hi = np.where(f, mid, hi)
        lo = np.where(f, lo, mid)
    out = np.where(never, np.inf, 0.5 * (lo + hi))
    return out.reshape(area.shape + (n_trials,))


def fraction_fired(thresholds_uA, amplitude_uA, *, smooth: bool = False):
    """Fraction of trials whose threshold is at most ``amplitude_uA`` (the empirical CDF).

    Parameters
    ----------
    thresholds_uA : array_like, shape (..., n_trials)
        Per-trial thresholds from :func:`trial_thresholds`.
    amplitude_uA : array_like
        Amplitudes, µA; broadcast against ``thresholds_uA[..., 0]``.
    smooth : bool
        Interpolate linearly between consecutive order statistics (a continuous, piecewise-linear
        CDF; differs from the step CDF by at most ``1/n_trials``), for optimisers.

    Returns
    -------
    ndarray
        Fractions in [0, 1].
    """
    thr = np.sort(np.asarray(thresholds_uA, dtype=float), axis=-1)
    amp = np.asarray(amplitude_uA, dtype=float)
    n = thr.shape[-1]
    if thr.ndim == 1:
        if not smooth:
            return np.searchsorted(thr, amp, side="right") / n
        finite = thr[np.isfinite(thr)]
        ranks = np.arange(1, finite.size + 1) / n
        return np.interp(amp, finite, ranks, left=0.0, right=finite.size / n)
    shape = np.broadcast_shapes(thr.shape[:-1], amp.shape)
    thr_b = np.broadcast_to(thr, shape + (n,)).reshape(-1, n)
    amp_b = np.broadcast_to(amp, shape).ravel()
    return np.array([fraction_fired(t, a, smooth=smooth) for t, a in zip(thr_b, amp_b)]).reshape(shape)
