"""Spike counting on traces."""
import numpy as np
import pytest

import hhlib


def test_count_spikes_counts_upward_crossings_and_rearms():
    v = np.array([0, 70, 80, 20, 65, 59, 61, 61, 100, 0])
    assert hhlib.count_spikes(v, 60.0) == 3
    assert hhlib.count_spikes(v, 90.0) == 1
    assert hhlib.count_spikes(np.zeros(10)) == 0


def test_count_spikes_along_an_axis():
    v = np.array([[0, 70, 0, 70], [0, 10, 20, 30]])
    np.testing.assert_array_equal(hhlib.count_spikes(v, axis=-1), [2, 0])
    np.testing.assert_array_equal(hhlib.count_spikes(v.T, axis=0), [2, 0])


def test_inward_criterion_waits_for_a_regenerative_upstroke():
    v = np.array([0, 70, 75, 80, 20])
    inward = np.array([False, False, False, True, False])
    assert hhlib.count_spikes(v, inward=inward) == 1
    assert hhlib.count_spikes(v, inward=np.zeros(5, bool)) == 0


def test_crossing_times_interpolate():
    t = np.arange(6) * 0.5
    v = np.array([0, 40, 80, 0, 30, 90])
    np.testing.assert_allclose(hhlib.crossing_times(t, v), [0.75, 2.25])


def test_count_spikes_in_result_needs_traces():
    res = hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(7e-8), 1e-9, 2, seed=0)
    with pytest.raises(ValueError, match="record=True"):
        hhlib.spikes.count_spikes_in_result(res, hhlib.SEED_MODEL)
