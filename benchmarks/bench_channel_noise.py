"""Speed of channel-number noise (markov, diffusion) next to current noise, compiled engine.

    python benchmarks/bench_channel_noise.py [--quick]

SEED_MODEL, the seed's pulse at the deterministic threshold, 2 ms at dt = 2.5 µs = 800 steps, every
trial followed to the end (no max_spikes), all cores. Areas with N_Na ~ 260 and ~ 2600 sodium channels
(600 Na and 180 K channels per µm²). Prints neuron-steps/s (trials x steps / wall time, best of
``repeats``) per noise model and area, and the CPU time per trial-step (process time over all threads:
on a shared machine it shows what the cores would give when idle); the first call (kernel compilation)
is excluded. Goals
(issue 10): diffusion >= 1e7, markov >= 2e6 neuron-steps/s on 2 cores.
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

import hhlib

STEPS = 800


def rate(noise, area, n_trials, repeats):
    amp = hhlib.threshold_current(hhlib.SEED_MODEL, area)
    hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(amp), area, 16, seed=0, noise=noise)        # compile / load
    best, cpu = np.inf, np.inf
    for r in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(amp), area, n_trials, seed=r, noise=noise)
        best, cpu = min(best, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return n_trials * STEPS / best, best, cpu / (n_trials * STEPS) * 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    scale, repeats = (0.25, 1) if args.quick else (1.0, 3)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, numba engine")
    print(f"{'noise':>28} {'N_Na':>6} {'trials':>7} {'neuron-steps/s':>15} {'seconds':>8} {'CPU ns/step':>12}")
    for n_na in (260, 2600):
        area = n_na / 600 / 1e8
        cases = [("current (SEED_MODEL's own)", True, 40960),
                 ("channel, diffusion", hhlib.ChannelNoise(600, 180, method="diffusion"), 8192),
                 ("channel, markov", hhlib.ChannelNoise(600, 180, method="markov"), 2048)]
        for name, noise, n_trials in cases:
            n = max(256, int(n_trials * scale))
            r, t, ns = rate(noise, area, n, repeats)
            print(f"{name:>28} {n_na:>6} {n:>7} {r:>15.3g} {t:>8.2f} {ns:>12.0f}", flush=True)


if __name__ == "__main__":
    main()
