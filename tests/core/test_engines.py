"""The compiled (numba) engine against the numpy reference engine."""
import dataclasses
import importlib
import warnings

import numpy as np
import pytest

import hhlib
from hhlib import Pulse, simulate

engines = importlib.import_module("hhlib.engines")
# numba is a runtime dependency: its absence is a failure here, not a skip
assert engines.compiled_engine_available(), "the numba engine does not import"
AREA = 1e-9


def both(*args, **kw):
    return (simulate(*args, engine="numba", **kw), simulate(*args, engine="numpy", **kw))


def test_identical_spike_times_without_noise():
    amp = 7.011e-8 * np.concatenate([np.linspace(0.99, 1.01, 21), [1.5, 3.0, 10.0]])
    a, b = both(hhlib.SEED_MODEL, Pulse(amp), AREA, 1, noise=False)
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    assert 0 < a.fired.sum() < a.fired.size
    # same step of the grid, and the interpolated times agree to 10 ns (dt is 2500 ns); the rate
    # tables move the latency by ~1e-5 relative only right at threshold, where latency diverges
    dt = a.dt_ms
    fired = a.fired
    np.testing.assert_array_equal(np.floor(a.first_spike_ms[fired] / dt), np.floor(b.first_spike_ms[fired] / dt))
    np.testing.assert_allclose(a.first_spike_ms, b.first_spike_ms, rtol=0, atol=1e-5, equal_nan=True)
    far = amp[:, None] > 1.05 * 7.011e-8
    np.testing.assert_allclose(a.first_spike_ms[far], b.first_spike_ms[far], rtol=0, atol=1e-7)


def test_identical_spike_trains_of_a_tonic_neuron():
    area = 1e-4
    a, b = both(hhlib.HH1952, Pulse(10.0 * area, 0.0, np.inf), area, 1, noise=False, t_end_ms=100.0, dt_ms=0.01,
                max_spikes=16)
    assert a.spike_counts[0] == b.spike_counts[0] >= 6 and not a.overflow.any()
    assert a.first_spike_ms[0] == pytest.approx(b.first_spike_ms[0], abs=1e-7)
    np.testing.assert_allclose(a.spike_times_ms, b.spike_times_ms, rtol=1e-7, equal_nan=True)   # every spike (2e-8)


def test_identical_counts_with_noise_from_the_same_streams():
    amp = 7e-8 * np.linspace(0.8, 1.2, 11)
    area = np.array([[1e-9], [4e-9]])
    a, b = both(hhlib.SEED_MODEL, Pulse(amp), area * np.array([[1], [1]]), 700, seed=12)
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    both_fired = a.fired & b.fired
    np.testing.assert_allclose(a.first_spike_ms[both_fired], b.first_spike_ms[both_fired], atol=1e-3)


def test_thread_count_and_batch_do_not_change_results():
    stim = Pulse(7e-8 * np.linspace(0.9, 1.1, 5))
    ref = simulate(hhlib.SEED_MODEL, stim, AREA, 900, seed=5, engine="numba", n_threads=1)
    for threads in (2, 3):
        r = simulate(hhlib.SEED_MODEL, stim, AREA, 900, seed=5, engine="numba", n_threads=threads)
        np.testing.assert_array_equal(r.spike_counts, ref.spike_counts)
    small = simulate(hhlib.SEED_MODEL, stim, AREA, 300, seed=5, engine="numba")
    np.testing.assert_array_equal(small.spike_counts, ref.spike_counts[:, :300])


@pytest.mark.parametrize("model,area", [(hhlib.SEED_MODEL, 1e-9), (hhlib.HH1952, 1e-4)])
def test_rate_tables_cost_no_measurable_accuracy(model, area):
    # deterministic threshold of the tabulated kernel vs the exact-rate numpy engine
    opts = dict(rtol=1e-8, t_end_ms=2.0 if model.rate_factor > 1 else 6.0)
    fast = hhlib.threshold_current(model, area, engine="numba", **opts)
    exact = hhlib.threshold_current(model, area, engine="numpy", **opts)
    print(f"{model.name}: threshold numba/numpy - 1 = {fast / exact - 1:.2e}")
    assert abs(fast / exact - 1) < 1e-6        # the dt error at 2.5 µs is 2.4e-4


def test_outside_the_table_exact_rates_take_over():
    passive = dataclasses.replace(hhlib.SEED_MODEL, g_na=0.0)
    a, b = both(passive, Pulse(np.array([2e-5, -2e-5])), AREA, 2, noise=False)  # V far beyond ±300 mV
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    assert a.spike_counts.sum() == 0
    strong = both(hhlib.SEED_MODEL, Pulse(np.array([5e-6, 3e-5])), AREA, 50, seed=1)
    np.testing.assert_array_equal(strong[0].spike_counts, strong[1].spike_counts)
    # 3e-5 µA (430 x threshold) drives V far beyond ENa: the sodium channels still open and it fires
    assert np.all(strong[0].fired)


def test_statistically_equal_firing_probabilities():
    amp = 7e-8 * np.array([0.9, 1.0, 1.1])
    a = simulate(hhlib.SEED_MODEL, Pulse(amp), AREA, 4000, seed=1, engine="numba").n_fired
    b = simulate(hhlib.SEED_MODEL, Pulse(amp), AREA, 4000, seed=2, engine="numpy").n_fired
    pooled = (a + b) / 8000
    z = (a - b) / 4000 / np.sqrt(2 * pooled * (1 - pooled) / 4000)
    assert np.all(np.abs(z) < 4)


def test_auto_engine_uses_numpy_for_traces_and_numba_refuses_them():
    r = simulate(hhlib.SEED_MODEL, Pulse(7e-8), AREA, 2, seed=0, record=True)
    assert r.v_mV.shape == (2, 801)
    with pytest.raises(ValueError, match="record"):
        simulate(hhlib.SEED_MODEL, Pulse(7e-8), AREA, 2, engine="numba", record=True)
    with pytest.raises(ValueError, match="engine"):
        simulate(hhlib.SEED_MODEL, Pulse(7e-8), AREA, 2, engine="gpu")


def test_missing_numba_falls_back_with_one_warning(monkeypatch):
    select = importlib.import_module("hhlib.engines.select")
    monkeypatch.setattr(select, "_loaded", {k: v for k, v in select._loaded.items() if k != "numba"})
    monkeypatch.setattr(select, "_failed", {"numba": ImportError("No module named 'numba'")})
    monkeypatch.setattr(select, "_warned", set())
    stim = Pulse(7e-8 * np.array([0.9, 1.1]))
    with pytest.warns(RuntimeWarning, match="numba"):
        a = simulate(hhlib.SEED_MODEL, stim, AREA, 300, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b = simulate(hhlib.SEED_MODEL, stim, AREA, 300, seed=3)          # no second warning
    ref = simulate(hhlib.SEED_MODEL, stim, AREA, 300, seed=3, engine="numpy")
    np.testing.assert_array_equal(a.spike_counts, ref.spike_counts)
    np.testing.assert_array_equal(b.spike_counts, ref.spike_counts)


def test_stop_after_caps_counts_identically_and_keeps_firing():
    """``stop_after=N`` (what ``max_spikes=N`` meant before issue 17) stops following a trial after N spikes: counts
    capped at N in every engine, the recorded times those of the full run."""
    area = 1e-4
    stim = Pulse(10.0 * area * np.array([0.5, 1.0]), 0.0, np.inf)       # tonic firing
    full = simulate(hhlib.HH1952, stim, area, 2, noise=False, t_end_ms=40.0, dt_ms=0.01, engine="numpy", max_spikes=8)
    assert full.spike_counts[1].tolist() == [3, 3] and not full.overflow.any()
    for engine in ("numba", "numpy"):
        capped = simulate(hhlib.HH1952, stim, area, 2, noise=False, t_end_ms=40.0, dt_ms=0.01, engine=engine,
                          stop_after=1)
        np.testing.assert_array_equal(capped.spike_counts, np.minimum(full.spike_counts, 1))
        np.testing.assert_allclose(capped.first_spike_ms, full.first_spike_ms, atol=1e-7, equal_nan=True)
        assert np.isnan(capped.spike_times_ms[..., 1:]).all() and not capped.overflow.any()
        two = simulate(hhlib.HH1952, stim, area, 2, noise=False, t_end_ms=40.0, dt_ms=0.01, engine=engine,
                       stop_after=2)
        np.testing.assert_array_equal(two.spike_counts, np.minimum(full.spike_counts, 2))
        np.testing.assert_allclose(two.spike_times_ms[..., :2], full.spike_times_ms[..., :2], atol=1e-7,
                                   equal_nan=True)
    amp = 7e-8 * np.linspace(0.9, 1.1, 5)
    a = simulate(hhlib.SEED_MODEL, Pulse(amp), AREA, 500, seed=8, engine="numba", stop_after=1)
    b = simulate(hhlib.SEED_MODEL, Pulse(amp), AREA, 500, seed=8, engine="numba")
    np.testing.assert_array_equal(a.fired, b.fired)
    np.testing.assert_array_equal(a.first_spike_ms, b.first_spike_ms)


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_max_spikes_records_times_and_keeps_counts_exact(engine):
    """``max_spikes=N`` records N spike times per trial; the counts stay exact beyond it (an overflow, reported
    with one RuntimeWarning and ``result.overflow``)."""
    area = 1e-4
    stim = Pulse(10.0 * area * np.array([0.5, 1.0]), 0.0, np.inf)
    kw = dict(noise=False, t_end_ms=40.0, dt_ms=0.01, engine=engine)
    full = simulate(hhlib.HH1952, stim, area, 2, max_spikes=8, **kw)
    with pytest.warns(RuntimeWarning, match=r"^2 trial\(s\) had more than max_spikes = 1 spikes: their spike_counts "
                                            r"are exact"):
        one = simulate(hhlib.HH1952, stim, area, 2, max_spikes=1, **kw)
    np.testing.assert_array_equal(one.spike_counts, full.spike_counts)
    assert one.spike_times_ms.shape == (2, 2, 1) and one.max_spikes == 1
    np.testing.assert_array_equal(one.overflow, full.spike_counts > 1)
    np.testing.assert_array_equal(one.spike_times_ms[..., 0], full.spike_times_ms[..., 0])
