"""Sweeps over amplitude x area: identical counts serially, on a process pool and on Dask."""
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import hhlib

AMPS = 7e-8 * np.linspace(0.85, 1.15, 7)
AREAS = np.array([[1e-9], [2e-9], [4e-9]])


@pytest.fixture(scope="module")
def serial():
    # amplitude scaled with the area: the same normalised drive at every area
    return hhlib.sweep(hhlib.SEED_MODEL, AMPS * AREAS / 1e-9, AREAS, 400, seed=21)


def test_sweep_equals_one_simulate_call(serial):
    res = hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(AMPS * AREAS / 1e-9), AREAS, 400, seed=21)
    np.testing.assert_array_equal(serial.n_fired, res.n_fired)
    assert serial.n_fired.shape == (3, 7)
    # physics: same drive per area, less relative noise at larger area -> steeper curve
    p = serial.firing_probability
    assert np.all(np.diff(p, axis=1) >= -0.05)
    assert p[2, 0] < p[0, 0] and p[2, -1] > p[0, -1]


def test_sweep_in_pieces_is_identical(serial):
    calls = []
    pieces = hhlib.sweep(hhlib.SEED_MODEL, AMPS * AREAS / 1e-9, AREAS, 400, seed=21, n_pieces=5,
                         progress=lambda done, total: calls.append((done, total)))
    np.testing.assert_array_equal(pieces.n_fired, serial.n_fired)
    assert calls[-1] == (5, 5) and len(calls) == 5


def test_sweep_on_a_process_pool_is_identical(serial):
    with ProcessPoolExecutor(max_workers=2) as ex:
        par = hhlib.sweep(hhlib.SEED_MODEL, AMPS * AREAS / 1e-9, AREAS, 400, seed=21, executor=ex)
    np.testing.assert_array_equal(par.n_fired, serial.n_fired)
    assert par.seed_entropy == serial.seed_entropy


@pytest.mark.slow
def test_sweep_on_a_dask_local_cluster_is_identical(serial):
    import distributed  # installed by the dev extra (make test); its absence is a failure
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        par = hhlib.sweep(hhlib.SEED_MODEL, AMPS * AREAS / 1e-9, AREAS, 400, seed=21,
                          executor=client.get_executor())
    np.testing.assert_array_equal(par.n_fired, serial.n_fired)


def test_sweep_rejects_traces_and_stream_ids():
    with pytest.raises(ValueError, match="record"):
        hhlib.sweep(hhlib.SEED_MODEL, AMPS, 1e-9, 3, record=True)
    with pytest.raises(TypeError, match="stream_ids"):
        hhlib.sweep(hhlib.SEED_MODEL, AMPS, 1e-9, 3, stream_ids=np.arange(7))


def test_sweep_reports_the_latency_and_jitter_of_simulate(serial):
    res = hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(AMPS * AREAS / 1e-9), AREAS, 400, seed=21)
    np.testing.assert_array_equal(serial.latency_ms, res.latency_ms)
    np.testing.assert_array_equal(serial.jitter_ms, res.jitter_ms)
    pieces = hhlib.sweep(hhlib.SEED_MODEL, AMPS * AREAS / 1e-9, AREAS, 400, seed=21, n_pieces=4)
    np.testing.assert_array_equal(pieces.latency_ms, serial.latency_ms)
    # latency from the pulse onset: a later pulse shifts the first-spike times, not the latency
    late = hhlib.sweep(hhlib.SEED_MODEL, hhlib.Pulse(AMPS[-1:]).at(0.3), 1e-9, 400, seed=21)
    early = hhlib.sweep(hhlib.SEED_MODEL, hhlib.Pulse(AMPS[-1:]).at(0.1), 1e-9, 400, seed=21)
    se = np.sqrt(late.jitter_ms**2 / late.n_fired + early.jitter_ms**2 / early.n_fired)
    assert abs(late.latency_ms[0] - early.latency_ms[0]) < 4 * se[0] and se[0] < 0.01      # ms
