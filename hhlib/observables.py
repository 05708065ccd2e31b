"""Spike-train observables, derived from the spike times every engine records (one place for all of them).

The engines record every trial's spike count and the times of its first ``max_spikes`` spikes
(:attr:`hhlib.SimulationResult.spike_times_ms`, ms from the start of the run, NaN-padded, trials on the last but
one axis). Everything else is computed here from those times and the stimulus's pulse onsets:

- :func:`pulse_index`: which pulse each spike follows (the last pulse whose onset is at or before it);
- :func:`pulse_responses`: per trial and pulse, the spikes that pulse evoked (firing efficiency per pulse is
  their mean over trials) and :func:`pulse_latencies` (first spike after each pulse, from its onset);
- :func:`window_counts`: spikes per trial in ``[t0, t1)``; :func:`rate_hz`: their mean rate;
- :func:`psth`: the post-stimulus time histogram (spikes per second per trial, in bins);
- :func:`interspike_intervals`: intervals between consecutive spikes of each trial;
- :func:`vector_strength`: phase locking to a period (Goldberg & Brown 1969).

A measure that needs spikes beyond the recorded ones (a trial that *overflowed* ``max_spikes``) raises a
ValueError saying so, never a silently wrong number. Memory is O(trials x max_spikes).
"""
from __future__ import annotations

import numpy as np

from .validation import check_real

__all__ = ["pulse_index", "pulse_responses", "pulse_latencies", "firing_efficiency", "window_counts", "rate_hz",
           "psth", "interspike_intervals", "vector_strength", "check_complete"]


def check_complete(result, t_end_ms: float | None = None, what: str = "this measure") -> None:
    """ValueError if a trial overflowed ``max_spikes`` before ``t_end_ms`` (default: the end of the run)."""
    over = result.overflow
    if not over.any():
        return
    last = result.spike_times_ms[..., -1]
    if t_end_ms is not None and np.all(last[over] >= t_end_ms):
        return                                   # every unrecorded spike comes after the window
    raise ValueError(f"{what} needs every spike, but {int(over.sum())} trial(s) had more than max_spikes = "
                     f"{result.spike_times_ms.shape[-1]} spikes (their counts are exact, their later spike times "
                     "were not recorded): simulate again with a larger max_spikes")


def pulse_index(spike_times_ms, pulse_onsets_ms) -> np.ndarray:
    """Index of the pulse each spike follows (the last onset at or before it; -1 before the first; -2 for NaN).

    Examples
    --------
    >>> pulse_index([0.05, 0.3, 1.25, float("nan")], [0.1, 1.1]).tolist()
    [-1, 0, 1, -2]
    """
    t = np.asarray(spike_times_ms, dtype=float)
    onsets = np.asarray(pulse_onsets_ms, dtype=float)
    idx = np.searchsorted(onsets, np.where(np.isnan(t), -np.inf, t), side="right") - 1
    return np.where(np.isnan(t), -2, idx)


def pulse_responses(result) -> np.ndarray:
    """Spikes evoked by every pulse in every trial (those between its onset and the next pulse's), int,
    shape ``cond_shape + (n_trials, n_pulses)``."""
    onsets = result.pulse_onsets_ms
    check_complete(result, what="pulse_responses")
    idx = pulse_index(result.spike_times_ms, onsets)
    out = np.zeros(result.spike_counts.shape + (onsets.size,), dtype=np.int64)
    for k in range(onsets.size):
        out[..., k] = (idx == k).sum(axis=-1)
    return out


def firing_efficiency(result) -> np.ndarray:
    """Fraction of trials in which each pulse evoked at least one spike, shape ``cond_shape + (n_pulses,)``."""
    check_complete(result, what="firing_efficiency")
    return (pulse_responses(result) > 0).mean(axis=-2)


def pulse_latencies(result) -> np.ndarray:
    """Latency of the first spike after each pulse, ms from that pulse's onset (NaN where the pulse evoked none),
    shape ``cond_shape + (n_trials, n_pulses)``."""
    onsets = result.pulse_onsets_ms
    check_complete(result, what="pulse_latencies")
    t = result.spike_times_ms
    idx = pulse_index(t, onsets)
    out = np.full(result.spike_counts.shape + (onsets.size,), np.nan)
    for k in range(onsets.size):
        first = np.where(idx == k, t, np.inf).min(axis=-1)
        out[..., k] = np.where(np.isfinite(first), first - onsets[k], np.nan)
    return out


def window_counts(result, t0_ms: float, t1_ms: float) -> np.ndarray:
    """Spikes of every trial in ``[t0_ms, t1_ms)``, int, shape ``cond_shape + (n_trials,)``.

    Examples
    --------
    >>> import hhlib
    >>> r = hhlib.simulate(hhlib.HH1952, hhlib.Pulse(10e-3, duration_ms=float("inf")), 1e-3, 1, noise=False,
    ...                    t_end_ms=50.0, dt_ms=0.01, max_spikes=16)
    >>> int(window_counts(r, 0.0, 50.0)[0]) == int(r.spike_counts[0]) >= 3
    True
    """
    t0 = check_real("t0_ms", t0_ms, unit="ms", allow_inf=True)
    t1 = check_real("t1_ms", t1_ms, unit="ms", allow_inf=True)
    if not t1 > t0:
        raise ValueError(f"t1_ms must be later than t0_ms, got [{t0}, {t1})")
    check_complete(result, t1, what="window_counts")
    t = result.spike_times_ms
    with np.errstate(invalid="ignore"):
        return ((t >= t0) & (t < t1)).sum(axis=-1)


def rate_hz(result, t0_ms: float, t1_ms: float) -> np.ndarray:
    """Mean firing rate in ``[t0_ms, t1_ms)``, spikes per second per trial, shape ``cond_shape``."""
    return window_counts(result, t0_ms, t1_ms).mean(axis=-1) * 1000.0 / (t1_ms - t0_ms)


def psth(result, bin_ms: float, t0_ms: float = 0.0, t1_ms: float | None = None):
    """Post-stimulus time histogram: ``(edges_ms, rate)``, rate in spikes per second per trial of shape
    ``cond_shape + (n_bins,)``; bins of ``bin_ms`` from ``t0_ms`` to ``t1_ms`` (default: the end of the run)."""
    bin_ms = check_real("bin_ms", bin_ms, low=0.0, low_open=True, unit="ms")
    t1 = result.t_end_ms if t1_ms is None else check_real("t1_ms", t1_ms, unit="ms")
    edges = np.arange(t0_ms, t1 + 0.5 * bin_ms, bin_ms)
    if edges.size < 2:
        raise ValueError(f"psth needs at least one bin of bin_ms = {bin_ms} ms in [{t0_ms}, {t1}] ms")
    check_complete(result, edges[-1], what="psth")
    t = result.spike_times_ms
    n_trials = t.shape[-2]
    flat = t.reshape(t.shape[:-2] + (-1,))
    counts = np.stack([np.histogram(row[np.isfinite(row)], edges)[0]
                       for row in flat.reshape(-1, flat.shape[-1])]).reshape(t.shape[:-2] + (edges.size - 1,))
    return edges, counts * 1000.0 / (n_trials * np.diff(edges))


def interspike_intervals(result) -> np.ndarray:
    """Intervals between consecutive spikes of each trial, ms, NaN-padded, shape ``cond_shape + (n_trials,
    max_spikes - 1)``."""
    check_complete(result, what="interspike_intervals")
    return np.diff(result.spike_times_ms, axis=-1)


def vector_strength(result, period_ms: float | None = None) -> np.ndarray:
    """Phase locking of all spikes to a period (default: the stimulus's pulse period), in [0, 1]: ``|mean
    exp(2 pi i t / T)|`` over the spikes of all trials (Goldberg & Brown 1969); NaN where no spike.
    Spikes before the first pulse are left out. Shape ``cond_shape``."""
    if period_ms is None:
        onsets = result.pulse_onsets_ms
        if onsets.size < 2:
            raise ValueError("vector_strength needs period_ms for a stimulus with fewer than two pulses")
        period_ms = float(np.median(np.diff(onsets)))
    period = check_real("period_ms", period_ms, low=0.0, low_open=True, unit="ms")
    check_complete(result, what="vector_strength")
    t = result.spike_times_ms
    t = t.reshape(t.shape[:-2] + (-1,))
    use = np.isfinite(t) & (t >= result.pulse_onsets_ms[0])
    phase = np.exp(2j * np.pi * np.where(use, t - result.pulse_onsets_ms[0], 0.0) / period)
    n = use.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.abs(np.where(use, phase, 0).sum(axis=-1)) / n, np.nan)
