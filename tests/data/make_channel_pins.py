"""Write ``channel_noise_pins.npz``: spike counts and first-spike times under channel-number noise
(:class:`hhlib.ChannelNoise`, both methods, compiled engine), as computed by hhlib at commit 9639f08 (the
generic per-lane channel loops, before the unrolled kernel); the ``markov`` pins remade on branch i20-markov,
when the step's binomials with a mean >= 12 went from inversion to BTRS rejection (other numbers, the same
law; the diffusion pins are 9639f08's). ``tests/core/test_channel_noise.py`` checks
that the current code reproduces them (counts exactly, times to CROSS_CPU_RTOL of tests/conftest.py). Re-running this script overwrites the pins: do so only on
purpose.
"""
from pathlib import Path

import numpy as np

import hhlib
from hhlib import ChannelNoise, Pulse, simulate

OUT = Path(__file__).with_name("channel_noise_pins.npz")
#: (key, N_Na, relative amplitudes, trials, seed): ~260 Na channels (much spontaneous firing) and ~2600; 300
#: trials = a full stream block of 256 and a partial one.
CASES = (("n260", 260, (0.0, 0.9, 1.1), 300, 5), ("n2600", 2600, (0.9, 1.0, 1.1), 300, 6))


def pin_runs():
    """``{name: result}`` of every pinned run (the test calls this too)."""
    out = {}
    for method in ("markov", "diffusion"):
        for key, n_na, rel, n_trials, seed in CASES:
            area = n_na / 600 / 1e8
            amps = hhlib.threshold_current(hhlib.SEED_MODEL, area) * np.array(rel)
            out[f"{method}_{key}"] = simulate(hhlib.SEED_MODEL, Pulse(amps), area, n_trials, seed=seed,
                                              noise=ChannelNoise(600, 180, method=method), t_end_ms=1.0,
                                              engine="numba")
    return out


def main():
    pins = {}
    for name, r in pin_runs().items():
        pins[f"{name}_counts"], pins[f"{name}_first"] = r.spike_counts, r.first_spike_ms
        print(name, r.spike_counts.sum(axis=1), float(np.nansum(r.first_spike_ms)))
    np.savez_compressed(OUT, **pins)


if __name__ == "__main__":
    main()
