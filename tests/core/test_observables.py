"""Spike-train observables (hhlib.observables) against numbers computed by hand.

A :class:`hhlib.SimulationResult` built directly from spike times chosen here (a train of 4 pulses at 1, 3, 5
and 7 ms; two conditions of three trials), then a simulated train; and the overflow of ``max_spikes``: reported
(one RuntimeWarning, ``result.overflow``), counts exact, and every measure that needs the unrecorded spikes
refuses with a ValueError instead of answering.
"""
import cmath
import math
import warnings

import numpy as np
import pytest

import hhlib
from conftest import SEED_AREA_CM2
from hhlib import Pulse, PulseTrain, SimulationResult, simulate
from hhlib.observables import pulse_index, rate_hz

NAN = math.nan
TRAIN = PulseTrain(Pulse(1.0, delay_ms=1.0, duration_ms=0.1), rate_pps=500, n_pulses=4)    # onsets 1, 3, 5, 7 ms
TIMES = [[[0.5, 1.4, 3.3, 3.9], [1.5, 5.2, NAN, NAN], [NAN, NAN, NAN, NAN]],
         [[1.2, 3.2, 5.2, 7.2], [3.0, NAN, NAN, NAN], [2.0, 2.5, 9.9, NAN]]]
COUNTS = [[4, 2, 0], [4, 1, 3]]


def result(times=TIMES, counts=COUNTS, stimulus=TRAIN):
    return SimulationResult(spike_counts=np.array(counts), spike_times_ms=np.array(times, dtype=float), dt_ms=0.0025,
                            t_end_ms=10.0, stimulus_onset_ms=stimulus.onset_ms, stimulus=hhlib.stimulus.as_stimulus(
                                stimulus))


def test_pulse_index_assigns_each_spike_to_the_last_onset_at_or_before_it():
    assert pulse_index([0.5, 1.0, 2.999, 3.0, 7.5, 100.0, NAN], [1.0, 3.0, 5.0, 7.0]).tolist() == [-1, 0, 0, 1, 3, 3,
                                                                                                    -2]


def test_responses_efficiency_and_latencies_per_pulse():
    r = result()
    assert r.pulse_onsets_ms.tolist() == [1.0, 3.0, 5.0, 7.0] and r.max_spikes == 4 and not r.overflow.any()
    np.testing.assert_array_equal(r.pulse_responses(), [[[1, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]],
                                                        [[1, 1, 1, 1], [0, 1, 0, 0], [2, 0, 0, 1]]])
    np.testing.assert_allclose(r.firing_efficiency(), [[2 / 3, 1 / 3, 1 / 3, 0], [2 / 3, 2 / 3, 1 / 3, 2 / 3]],
                               rtol=1e-15)
    np.testing.assert_allclose(r.pulse_latencies(), [[[0.4, 0.3, NAN, NAN], [0.5, NAN, 0.2, NAN], [NAN] * 4],
                                                     [[0.2] * 4, [NAN, 0.0, NAN, NAN], [1.0, NAN, NAN, 2.9]]],
                               rtol=1e-12, atol=1e-15, equal_nan=True)


def test_window_counts_rate_psth_and_intervals():
    r = result()
    np.testing.assert_array_equal(r.window_counts(3.0, 6.0), [[2, 1, 0], [2, 1, 0]])     # [t0, t1): 3.0 counts
    np.testing.assert_array_equal(r.window_counts(0.0, 1.0), [[1, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(rate_hz(r, 3.0, 6.0), [1000.0 / 3, 1000.0 / 3], rtol=1e-15)   # 1 spike / 3 ms
    edges, rate = r.psth(2.0)
    assert edges.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    np.testing.assert_allclose(rate, np.array([[3, 2, 1, 0, 0], [1, 4, 1, 1, 1]]) * 1000.0 / (3 * 2.0), rtol=1e-15)
    np.testing.assert_allclose(r.interspike_intervals(), [[[0.9, 1.9, 0.6], [3.7, NAN, NAN], [NAN] * 3],
                                                          [[2.0, 2.0, 2.0], [NAN] * 3, [0.5, 7.4, NAN]]],
                               rtol=1e-12, equal_nan=True)


def _strength(times, period, t0):
    phases = [cmath.exp(2j * math.pi * (t - t0) / period) for t in times if t >= t0]
    return abs(sum(phases)) / len(phases)


def test_vector_strength_to_the_pulse_period_and_to_another():
    r = result()
    spikes = [[t for trial in cond for t in trial if not math.isnan(t)] for cond in TIMES]
    np.testing.assert_allclose(r.vector_strength(), [_strength(s, 2.0, 1.0) for s in spikes], rtol=1e-12)
    np.testing.assert_allclose(r.vector_strength(0.7), [_strength(s, 0.7, 1.0) for s in spikes], rtol=1e-12)
    locked = result(times=[[[1.2, 3.2, 5.2, 7.2]]], counts=[[4]])
    assert locked.vector_strength() == pytest.approx(1.0, abs=1e-12)       # every spike 0.2 ms after its pulse
    silent = result(times=[[[NAN, NAN]]], counts=[[0]])
    assert np.isnan(silent.vector_strength())
    with pytest.raises(ValueError, match=r"^vector_strength needs period_ms for a stimulus with fewer than two "):
        result(times=[[[1.2]]], counts=[[1]], stimulus=Pulse(1.0)).vector_strength()


def test_the_measures_name_bad_arguments():
    r = result()
    for call, match in ((lambda: r.window_counts(3.0, 3.0), r"^t1_ms must be later than t0_ms, got \[3.0, 3.0\)$"),
                        (lambda: r.window_counts(NAN, 3.0), "t0_ms"), (lambda: r.psth(0.0), "bin_ms"),
                        (lambda: r.psth(2.0, 0.0, 1.0), r"^psth needs at least one bin of bin_ms = 2.0 ms"),
                        (lambda: r.vector_strength(-1.0), "period_ms")):
        with pytest.raises(ValueError, match=match):
            call()


# ----------------------------------------------------------------------------- overflow
OVER_TIMES = [[[0.5, 1.4, 3.3, 3.9], [1.5, 5.2, NAN, NAN], [NAN] * 4], [[1.2, 3.2, 5.2, 7.2], [3.0, NAN, NAN, NAN],
                                                                          [2.0, 2.5, 9.9, NAN]]]
OVER_COUNTS = [[6, 2, 0], [4, 1, 3]]            # trial (0, 0) had two more spikes after 3.9 ms: not recorded


@pytest.mark.parametrize("measure", ["pulse_responses", "firing_efficiency", "pulse_latencies",
                                     "interspike_intervals", "vector_strength"])
def test_measures_that_need_every_spike_refuse_after_an_overflow(measure):
    r = result(OVER_TIMES, OVER_COUNTS)
    assert r.overflow.tolist() == [[True, False, False], [False, False, False]]
    with pytest.raises(ValueError, match=rf"^{measure} needs every spike, but 1 trial\(s\) had more than "
                                         r"max_spikes = 4 spikes \(their counts are exact, their later spike times "
                                         r"were not recorded\): simulate again with a larger max_spikes$"):
        getattr(r, measure)()


def test_windows_before_the_last_recorded_spike_still_answer_after_an_overflow():
    r = result(OVER_TIMES, OVER_COUNTS)
    np.testing.assert_array_equal(r.window_counts(0.0, 3.5), [[3, 1, 0], [2, 1, 2]])    # ends before 3.9 ms
    with pytest.raises(ValueError, match="^window_counts needs every spike, but 1 trial"):
        r.window_counts(3.0, 6.0)
    edges, rate = r.psth(1.0, 0.0, 3.0)
    np.testing.assert_allclose(rate[0] * 3 * 1.0 / 1000.0, [1, 2, 0])
    with pytest.raises(ValueError, match="^psth needs every spike"):
        r.psth(2.0)
    assert r.spike_counts[0, 0] == 6 and r.firing_probability.tolist() == [2 / 3, 1.0]


def test_simulate_reports_an_overflow_once_and_keeps_counts_exact():
    """A 1000 pps train of 20 pulses at 3 x threshold answers every pulse: 20 spikes, 5 recorded."""
    train = PulseTrain(Pulse(3 * 1.337e-7, duration_ms=0.05), rate_pps=1000, n_pulses=20)
    full = simulate(hhlib.SEED_MODEL, train, SEED_AREA_CM2, 2, noise=False, t_end_ms=22.0)
    assert full.max_spikes == 23 and full.spike_counts.tolist() == [20, 20] and not full.overflow.any()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        capped = simulate(hhlib.SEED_MODEL, train, SEED_AREA_CM2, 2, noise=False, t_end_ms=22.0, max_spikes=5)
    texts = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert texts == ["2 trial(s) had more than max_spikes = 5 spikes: their spike_counts are exact, but only their "
                     "first max_spikes spike times were recorded (result.overflow marks them); simulate with a larger "
                     "max_spikes for all of them"]
    assert capped.spike_counts.tolist() == [20, 20] and capped.overflow.all()
    np.testing.assert_array_equal(capped.spike_times_ms, full.spike_times_ms[..., :5])
    with pytest.raises(ValueError, match="^pulse_responses needs every spike"):
        capped.pulse_responses()
    np.testing.assert_array_equal(capped.window_counts(0.0, 4.0), [4, 4])


# ----------------------------------------------------------------------------- a simulated train
def test_observables_of_a_simulated_train_equal_their_definitions():
    """SEED_MODEL, 1000 pps, 20 pulses of 50 µs near threshold, current noise: each measure from the recorded
    spike times, computed here with plain loops."""
    train = PulseTrain(Pulse(1.337e-7, duration_ms=0.05), rate_pps=1000, n_pulses=20)
    r = simulate(hhlib.SEED_MODEL, train, SEED_AREA_CM2, 60, seed=4, t_end_ms=21.0)
    assert not r.overflow.any() and 0.2 < r.firing_efficiency().mean() < 0.9
    onsets = train.pulse_onsets_ms()
    responses = np.zeros((60, 20), dtype=int)
    latencies = np.full((60, 20), NAN)
    for i in range(60):
        for t in r.spike_times_ms[i][: r.spike_counts[i]]:
            k = int(np.searchsorted(onsets, t, side="right")) - 1
            if k >= 0:
                responses[i, k] += 1
                if math.isnan(latencies[i, k]):
                    latencies[i, k] = t - onsets[k]
    np.testing.assert_array_equal(r.pulse_responses(), responses)
    np.testing.assert_array_equal(r.firing_efficiency(), (responses > 0).mean(axis=0))
    np.testing.assert_array_equal(r.pulse_latencies(), latencies)
    spikes = [t for i in range(60) for t in r.spike_times_ms[i][: r.spike_counts[i]]]
    assert r.vector_strength() == pytest.approx(_strength(spikes, 1.0, onsets[0]), rel=1e-12)
    assert r.vector_strength() > 0.8                              # phase-locked (0.89): spikes follow their pulse
    edges, rate = r.psth(0.5)
    np.testing.assert_allclose(rate * 60 * 0.5 / 1000.0, np.histogram(spikes, edges)[0])
    assert r.window_counts(0.0, 21.0).tolist() == r.spike_counts.tolist()
