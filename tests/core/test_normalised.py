"""The normalised parametrisation, predictions and losses."""
import dataclasses

import numpy as np
import pytest

import hhlib
from hhlib.normalised import DEFAULT_SETUP, deviance_loss, mse_loss, predict

X = np.array([0.9, 1.0, 1.1])


def test_reference_values_of_the_seed():
    assert DEFAULT_SETUP.i_ref_uA == 1e-7 and DEFAULT_SETUP.a_ref_cm2 == 1e-9
    assert DEFAULT_SETUP.model is hhlib.SEED_MODEL
    assert repr(DEFAULT_SETUP.stimulus) == repr(hhlib.Pulse(1.0, 0.1, 0.1)) and DEFAULT_SETUP.vary is None
    assert DEFAULT_SETUP.t_end_ms == 2.0 and DEFAULT_SETUP.response_onset_ms == 0.1
    assert DEFAULT_SETUP.amplitude_uA(1.0, 0.5) == pytest.approx(1e-7)
    assert DEFAULT_SETUP.area_cm2(3.0) == pytest.approx(4e-9)


def test_without_noise_only_the_ratio_matters():
    quiet = dataclasses.replace(DEFAULT_SETUP, model=dataclasses.replace(hhlib.SEED_MODEL, knoise=0.0))
    x = np.linspace(0.6, 1.2, 25)
    a = predict(-0.3, 0.0, x, n_trials=1, setup=quiet)
    b = predict(1.8, 3.0, x, n_trials=1, setup=quiet)          # (1 + dv)/(1 + da) = 0.7 in both
    np.testing.assert_array_equal(a, b)
    assert 0 < a.sum() < a.size                            # the threshold lies inside the range


def test_with_noise_the_area_sharpens_the_curve():
    x = np.linspace(0.8, 1.2, 9)
    small = predict(-0.3, 0.0, x, n_trials=3000, seed=1)
    large = predict(2.5, 4.0, x, n_trials=3000, seed=1)         # same drive ratio, 5x the area
    assert small[0] > large[0] + 0.05 and small[-1] < large[-1] - 0.05


def test_common_random_numbers_make_predictions_monotone_in_delta_v():
    dv = np.linspace(1.5, 2.5, 11)
    p = predict(dv, 3.4, X, n_trials=400, seed=3)              # one call, all parameter points share noise
    assert p.shape == (11, 3)
    assert np.all(np.diff(p, axis=0) >= 0)
    again = predict(dv[4], 3.4, X, n_trials=400, seed=3)
    np.testing.assert_array_equal(again, p[4])


@pytest.mark.parametrize("dv,da,match", [(-1.0, 0.0, "delta_v"), (0.0, -1.5, "delta_area"),
                                          (np.nan, 0.0, "delta_v"), (0.0, np.inf, "delta_area")])
def test_bad_deltas_raise(dv, da, match):
    with pytest.raises(ValueError, match=match):
        predict(dv, da, X, n_trials=2)


def test_losses():
    d = hhlib.load_data()
    assert mse_loss(d.firing_probability, d) == 0.0
    assert deviance_loss(d.firing_probability, d) == pytest.approx(0.0, abs=1e-9)
    assert mse_loss(np.full(11, 0.5), d) == pytest.approx(np.mean((d.firing_probability - 0.5) ** 2))
    assert deviance_loss(np.full(11, 0.5), d) > 100


def test_predict_reports_latency_and_jitter_of_the_same_trials():
    x = np.array([0.9, 1.0, 1.2])
    p = predict(1.95, 3.24, x, n_trials=300, seed=2)
    r = predict(1.95, 3.24, x, n_trials=300, seed=2, return_latency=True)
    np.testing.assert_array_equal(r.firing_probability, p)                  # existing callers: unchanged
    setup = DEFAULT_SETUP
    amp = setup.amplitude_uA(1.95, x)
    res = hhlib.simulate(setup.model, hhlib.Pulse(amp), setup.area_cm2(3.24), 300,
                         seed=2, stream_ids=np.arange(3))
    np.testing.assert_array_equal(r.latency_ms, res.latency_ms)
    np.testing.assert_array_equal(r.jitter_ms, res.jitter_ms)
    np.testing.assert_array_equal(r.n_fired, res.n_fired)
    assert r.n_trials == 300 and np.all(np.diff(r.latency_ms) < 0)
    with pytest.raises(TypeError, match="return_latency"):
        predict(1.95, 3.24, x, n_trials=10, seed=2, return_latency=1)
