"""Same seed, same counts: ordinary stimuli reproduce the counts pinned before the engines changed.

``tests/data/regression_pins.npz`` was written by ``tests/data/make_regression_pins.py`` with the engines of
commit f079751 (spike rule "crossing during net inward current"). Any change of the spike rule, the
integrator, the random streams or the engines that alters a count of an ordinary stimulus fails here.
Since issue 17, what ``max_spikes=N`` meant then ("stop following a trial after N spikes, counts capped") is
``stop_after=N``; the same single pulse written with the new stimulus parts (a train of one pulse, a sampled
waveform, a sum with a part of amplitude 0) gives the same pinned counts and times.
"""
from pathlib import Path

import numpy as np
import pytest

import hhlib
from hhlib import BiphasicPulse, Pulse, PulseTrain, Waveform, simulate

PINS = np.load(Path(__file__).resolve().parents[1] / "data" / "regression_pins.npz")
AMPS = 7e-8 * np.linspace(0.8, 1.2, 5)


def same(result, key, first_atol=1e-9):
    np.testing.assert_array_equal(result.spike_counts, PINS[f"{key}_counts"])
    np.testing.assert_allclose(result.first_spike_ms, PINS[f"{key}_first"], rtol=0, atol=first_atol)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_seed_model_pulse_counts_and_times(engine):
    same(simulate(hhlib.SEED_MODEL, Pulse(AMPS), 1e-9, 700, seed=42, engine=engine), f"seed_pulse_{engine}")


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("form", ["train of one", "waveform", "sum with a silent part"])
def test_the_same_pulse_written_with_the_new_parts_gives_the_pinned_counts(engine, form):
    stim = {"train of one": PulseTrain(Pulse(AMPS), rate_pps=1000, n_pulses=1),
            "waveform": Waveform(np.ones(40), dt_ms=0.0025, amplitude_uA=AMPS, delay_ms=0.1),
            "sum with a silent part": Pulse(AMPS) + Pulse(0.0, delay_ms=1.0, duration_ms=0.5)}[form]
    same(simulate(hhlib.SEED_MODEL, stim, 1e-9, 700, seed=42, engine=engine), f"seed_pulse_{engine}")


def test_two_areas_first_spike_only():
    areas = np.array([[1e-9], [4e-9]])
    same(simulate(hhlib.SEED_MODEL, Pulse(AMPS * areas / 1e-9), areas, 300, seed=7, stop_after=1), "areas")


def test_short_late_pulse_up_to_three_spikes():
    r = simulate(hhlib.SEED_MODEL, Pulse(1.8 * AMPS, delay_ms=0.25, duration_ms=0.05), 1e-9, 256, seed=11,
                 t_end_ms=1.5, stop_after=3)
    same(r, "short_pulse")


def test_biphasic():
    same(simulate(hhlib.SEED_MODEL, BiphasicPulse(1.4 * AMPS, phase_duration_ms=0.1, gap_ms=0.025), 1e-9, 256,
                  seed=3), "biphasic")


def test_hh1952_tonic_train():
    r = simulate(hhlib.HH1952, Pulse(10.0e-4, 0.0, np.inf), 1e-4, 1, t_end_ms=60.0, dt_ms=0.01, noise=False)
    same(r, "hh_tonic")


def test_predictions_and_thresholds():
    np.testing.assert_array_equal(hhlib.predict(1.963, 3.255, n_trials=1000, seed=0), PINS["predict_opt"])
    np.testing.assert_array_equal(hhlib.predict(0.0, 0.0, n_trials=300, seed=1), PINS["predict_origin"])
    np.testing.assert_array_equal(hhlib.threshold_current(hhlib.SEED_MODEL, np.array([1e-9, 3e-9])),
                                  PINS["threshold_seed"])
    assert hhlib.threshold_current(hhlib.HH1952, 1e-4, t_end_ms=10.0) == PINS["threshold_hh"]
    thr = hhlib.thresholds.trial_thresholds(hhlib.SEED_MODEL, np.array([1e-9, 4e-9]), 300, seed=0)
    np.testing.assert_array_equal(thr, PINS["trial_thresholds"])
