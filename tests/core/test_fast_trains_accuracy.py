"""Stricter checks of the multi-rate path (``simulate(..., multirate=True)``) on a neurogram's spread of levels
(issue 19, section 3): zero noise is the deterministic model, noise-free spikes are the fixed grid's, noisy firing
agrees with the fixed grid in every pulse window (each within 4 binomial sd, and the windows together by their
mean squared z-score), in spike counts and in interspike intervals, and a seed gives the same spikes whatever
the threads or the grouping of the conditions."""
import numpy as np
import pytest

import hhlib
from hhlib import CurrentNoise, Pulse, PulseTrain
from hhlib.engines import Multirate, execute
from hhlib.engines.runspec import build_run_spec

SEED = hhlib.SEED_MODEL
AREA = 1e-9
PULSE = Pulse(1.0, duration_ms=0.05)
#: A neurogram's spread of levels, x the noise-free single-pulse threshold (not 1.00 itself: there a spike appears
#: or not when the fine grid's own dt is halved; see test_fast_trains.LEVELS).
SPREAD = np.array([0.8, 0.85, 0.95, 1.05, 1.15, 1.25, 1.35, 1.5])
TIME_TOL_MS = 1e-3


@pytest.fixture(scope="module")
def i_th():
    return hhlib.threshold_current(SEED, AREA, stimulus=PULSE)


def _run(stim, t_end, n, multirate=None, **kw):
    spec = build_run_spec(SEED, stim, AREA, n, t_end_ms=t_end, multirate=multirate, max_spikes=kw.pop("cap", 80),
                          **kw)
    return execute(spec)


def _train(i_th, levels, n_pulses, rate=1000):
    return PulseTrain(PULSE.with_amplitude(levels * i_th), rate_pps=rate, n_pulses=n_pulses)


def test_zero_noise_is_the_deterministic_model(i_th):
    """CurrentNoise(0) is the noise-free run; a vanishing noise (1e-9 of the default: every number drawn, fine
    and coarse increments of ~1e-10 mV) gives its spikes to 1e-6 ms; and both give the fixed grid's spikes within
    TIME_TOL_MS."""
    train = _train(i_th, SPREAD, 30)
    zero = _run(train, 31.0, 3, Multirate(), noise=CurrentNoise(0.0), seed=4)
    free = _run(train, 31.0, 3, Multirate(), noise=False)
    tiny = _run(train, 31.0, 3, Multirate(), noise=CurrentNoise(5e-14), seed=4)
    np.testing.assert_array_equal(tiny.counts, free.counts)
    np.testing.assert_allclose(tiny.times, free.times, rtol=0.0, atol=1e-6)
    assert not np.array_equal(tiny.times, free.times, equal_nan=True)           # the noisy kernel did run
    fine = _run(train, 31.0, 1, noise=False)
    assert fine.counts.sum() >= 60 and fine.counts[0, 0] == 0 < fine.counts[-1, 0]    # below and above threshold
    np.testing.assert_array_equal(zero.counts, free.counts)
    np.testing.assert_allclose(zero.times, free.times, rtol=1e-9, atol=0.0)
    np.testing.assert_array_equal(zero.counts, np.repeat(fine.counts, 3, axis=1))
    both = ~np.isnan(fine.times[:, 0])
    assert np.abs(zero.times[:, 2][both] - fine.times[:, 0][both]).max() < TIME_TOL_MS


def test_noise_free_spread_same_spikes(i_th):
    """Every level of the spread over 60 pulses: the same spike count, every spike within TIME_TOL_MS."""
    train = _train(i_th, SPREAD, 60)
    fine = _run(train, 61.0, 1, noise=False)
    fast = _run(train, 61.0, 1, Multirate(), noise=False)
    np.testing.assert_array_equal(fast.counts, fine.counts)
    both = ~np.isnan(fine.times)
    np.testing.assert_array_equal(~np.isnan(fast.times), both)
    assert np.abs(fast.times[both] - fine.times[both]).max() < TIME_TOL_MS
    assert fine.counts[0, 0] < fine.counts[-1, 0] and np.all(fast.coarse_steps > 0)


def _windows(out, onsets, period):
    idx = np.floor((out.times - onsets[0]) / period)
    return np.stack([np.any(idx == w, axis=-1).mean(axis=-1) for w in range(onsets.size)], axis=-1)


def _isis(times):
    d = np.diff(times, axis=-1)
    return d[np.isfinite(d)]


@pytest.fixture(scope="module")
def noisy_pair(i_th):
    """The fixed grid and the multi-rate path on 6 levels x 512 trials x 25 pulses at 1000 pulses/s."""
    levels = np.array([0.8, 0.95, 1.05, 1.15, 1.3, 1.5])
    train = _train(i_th, levels, 25)
    n = 512
    return train, n, _run(train, 26.0, n, seed=21), _run(train, 26.0, n, Multirate(), seed=22)


def test_noisy_spread_every_window_within_binomial_error(noisy_pair):
    train, n, fine, fast = noisy_pair
    onsets = train.pulse_onsets_ms()
    p_fine, p_fast = _windows(fine, onsets, 1.0), _windows(fast, onsets, 1.0)
    p = 0.5 * (p_fine + p_fast)
    sd = np.sqrt(2.0 * np.maximum(p * (1.0 - p), 1.0 / n) / n)
    z = (p_fast - p_fine) / sd
    assert p_fine[0].mean() < 0.2 and p_fine[-1].mean() > 0.4                # rare firing to locked firing
    assert np.all(np.abs(z) < 4.0), np.abs(z).max()
    informative = (p > 0.02) & (p < 0.98)
    assert informative.sum() >= 60
    # 150 windows together: a mean z^2 of 1 is agreement; 1.6 is about 4 sd above it (z^2 of independent
    # windows has sd sqrt(2 / m)), so a bias of a third of one sd in every window would fail.
    assert np.mean(z[informative] ** 2) < 1.6, np.mean(z[informative] ** 2)


def test_noisy_spread_counts_and_intervals(noisy_pair):
    _, n, fine, fast = noisy_pair
    sd = np.sqrt((fine.counts.var(axis=1) + fast.counts.var(axis=1)) / n)
    assert np.all(np.abs(fast.counts.mean(axis=1) - fine.counts.mean(axis=1)) < 4.0 * sd + 1e-12)
    for c in range(2, fine.counts.shape[0]):                                  # levels with intervals to compare
        a, b = _isis(fine.times[c]), _isis(fast.times[c])
        assert a.size > 1000 and b.size > 1000
        se = np.sqrt(a.var() / a.size + b.var() / b.size)
        assert abs(a.mean() - b.mean()) < 4.0 * se, (c, a.mean(), b.mean(), se)
        assert abs(np.quantile(a, 0.1) - np.quantile(b, 0.1)) < 0.1              # the refractory edge, ms


def test_same_seed_same_spikes_any_threads_or_grouping(i_th):
    """32 levels x 20 fibres (a neurogram's layout): 1 or 2 threads, and every level run on its own with its
    stream id, give the same spikes."""
    levels = np.linspace(0.8, 1.5, 32)
    train = _train(i_th, levels, 8)
    kw = dict(seed=9, t_end_ms=9.0, multirate=True, max_spikes=12)
    one = hhlib.simulate(SEED, train, AREA, 20, n_threads=1, **kw)
    two = hhlib.simulate(SEED, train, AREA, 20, n_threads=2, **kw)
    np.testing.assert_array_equal(one.spike_counts, two.spike_counts)
    np.testing.assert_allclose(one.spike_times_ms, two.spike_times_ms, rtol=1e-9, atol=0.0)
    for c in (0, 17, 31):
        alone = hhlib.simulate(SEED, _train(i_th, levels[c], 8), AREA, 20, stream_ids=c, **kw)
        np.testing.assert_array_equal(alone.spike_counts, one.spike_counts[c])
        np.testing.assert_allclose(alone.spike_times_ms, one.spike_times_ms[c], rtol=1e-9, atol=0.0)
    assert one.spike_counts.sum() > 100 and len(np.unique(one.spike_counts[0])) > 1
