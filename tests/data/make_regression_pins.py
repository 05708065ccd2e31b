"""Write ``regression_pins.npz``: counts and spike times of ordinary stimuli, as computed by hhlib at commit
f079751 (before the spike-rule and engine changes of issues 8 and 9). ``tests/test_regression.py`` checks that
the current code reproduces them exactly. Re-running this script overwrites the pins: do so only on purpose.
"""
from pathlib import Path

import numpy as np

import hhlib
from hhlib import BiphasicPulse, Pulse, simulate

OUT = Path(__file__).with_name("regression_pins.npz")


def main():
    pins = {}
    amps = 7e-8 * np.linspace(0.8, 1.2, 5)
    for engine in ("numpy", "numba"):
        r = simulate(hhlib.SEED_MODEL, Pulse(amps), 1e-9, 700, seed=42, engine=engine)
        pins[f"seed_pulse_{engine}_counts"] = r.spike_counts
        pins[f"seed_pulse_{engine}_first"] = r.first_spike_ms
    areas = np.array([[1e-9], [4e-9]])
    r = simulate(hhlib.SEED_MODEL, Pulse(amps * areas / 1e-9), areas, 300, seed=7, stop_after=1)
    pins["areas_counts"], pins["areas_first"] = r.spike_counts, r.first_spike_ms
    r = simulate(hhlib.SEED_MODEL, Pulse(1.8 * amps, delay_ms=0.25, duration_ms=0.05), 1e-9, 256, seed=11,
                 t_end_ms=1.5, stop_after=3)
    pins["short_pulse_counts"], pins["short_pulse_first"] = r.spike_counts, r.first_spike_ms
    b = BiphasicPulse(1.4 * amps, phase_duration_ms=0.1, gap_ms=0.025)
    r = simulate(hhlib.SEED_MODEL, b, 1e-9, 256, seed=3)
    pins["biphasic_counts"], pins["biphasic_first"] = r.spike_counts, r.first_spike_ms
    r = simulate(hhlib.HH1952, Pulse(10.0e-4, 0.0, np.inf), 1e-4, 1, t_end_ms=60.0, dt_ms=0.01, noise=False)
    pins["hh_tonic_counts"], pins["hh_tonic_first"] = r.spike_counts, r.first_spike_ms
    pins["predict_opt"] = hhlib.predict(1.963, 3.255, n_trials=1000, seed=0)
    pins["predict_origin"] = hhlib.predict(0.0, 0.0, n_trials=300, seed=1)
    pins["threshold_seed"] = np.array(hhlib.threshold_current(hhlib.SEED_MODEL, np.array([1e-9, 3e-9])))
    pins["threshold_hh"] = np.array(hhlib.threshold_current(hhlib.HH1952, 1e-4, t_end_ms=10.0))
    pins["trial_thresholds"] = hhlib.thresholds.trial_thresholds(hhlib.SEED_MODEL, np.array([1e-9, 4e-9]), 300,
                                                                 seed=0)
    np.savez_compressed(OUT, **pins)
    for k, v in pins.items():
        print(k, v.shape, float(np.nansum(v)))


if __name__ == "__main__":
    main()
