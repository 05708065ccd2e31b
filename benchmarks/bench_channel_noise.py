"""Speed of channel-number noise (markov, diffusion) next to current noise, compiled engine or GPU.

    python benchmarks/bench_channel_noise.py [--quick] [--engine numba|cuda]

SEED_MODEL, the seed's pulse at the deterministic threshold, 2 ms at dt = 2.5 µs = 800 steps, every
trial followed to the end (no stop_after), all cores. Areas with N_Na ~ 260 and ~ 2600 sodium channels
(600 Na and 180 K channels per µm²). Prints neuron-steps/s (trials x steps / wall time, best of
``repeats``) per noise model and area, and the CPU time per trial-step (process time over all threads:
on a shared machine it shows what the cores would give when idle); the first call (kernel compilation)
is excluded (and printed, in seconds). Goals (issue 10): diffusion >= 1e7, markov >= 2e6 neuron-steps/s
on 2 cores. ``--engine cuda`` (float64, one thread per trial; skipped, saying why, without a GPU) runs
more trials (``GPU_TRIALS``, enough to fill a GPU) and two repeats; benchmarks/gpu_check.sh runs it.
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

import hhlib

STEPS = 800
#: Trials per row: numba engine, and GPU (an H200 holds ~270 000 resident threads).
TRIALS = {"current": 40960, "diffusion": 8192, "markov": 2048}
GPU_TRIALS = {"current": 1_048_576, "diffusion": 262_144, "markov": 65_536}


def rate(noise, area, n_trials, repeats, engine):
    amp = hhlib.threshold_current(hhlib.SEED_MODEL, area)
    t0 = time.perf_counter()
    hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(amp), area, 16, seed=0, noise=noise, engine=engine)  # compile/load
    first = time.perf_counter() - t0
    best, cpu = np.inf, np.inf
    for r in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(amp), area, n_trials, seed=r, noise=noise, engine=engine)
        best, cpu = min(best, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return n_trials * STEPS / best, best, cpu / (n_trials * STEPS) * 1e9, first


def machine(engine):
    cpu = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    if engine == "numba":
        return f"machine: {cpu}, numba engine"
    from hhlib.engines import cuda_engine
    dev = cuda_engine.cuda.get_current_device()
    name = dev.name.decode() if isinstance(dev.name, bytes) else dev.name
    return f"machine: {cpu}; GPU {name}, compute capability {dev.compute_capability}, engine='cuda' float64"


def gpu_missing():
    """Why the GPU rows cannot run here (None if they can)."""
    from hhlib.engines import cuda_engine, cuda_unavailable_reason
    if cuda_unavailable_reason() is not None:
        return cuda_unavailable_reason()
    return "NUMBA_ENABLE_CUDASIM=1: the simulator measures nothing" if cuda_engine.simulator_active() else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--engine", choices=("numba", "cuda"), default="numba")
    args = ap.parse_args()
    if args.engine == "cuda" and gpu_missing() is not None:
        print(f"channel noise on the GPU: skipped ({gpu_missing()})")
        return
    scale, repeats = (0.25, 1) if args.quick else (1.0, 3 if args.engine == "numba" else 2)
    trials = TRIALS if args.engine == "numba" else GPU_TRIALS
    print(machine(args.engine))
    print(f"{'noise':>28} {'N_Na':>6} {'trials':>8} {'neuron-steps/s':>15} {'seconds':>8} {'CPU ns/step':>12} "
          f"{'first call s':>12}")
    for n_na in (260, 2600):
        area = n_na / 600 / 1e8
        cases = [("current (SEED_MODEL's own)", True, trials["current"]),
                 ("channel, diffusion", hhlib.ChannelNoise(600, 180, method="diffusion"), trials["diffusion"]),
                 ("channel, markov", hhlib.ChannelNoise(600, 180, method="markov"), trials["markov"])]
        for name, noise, n_trials in cases:
            n = max(256, int(n_trials * scale))
            r, t, ns, first = rate(noise, area, n, repeats, args.engine)
            print(f"{name:>28} {n_na:>6} {n:>8} {r:>15.3g} {t:>8.2f} {ns:>12.0f} {first:>12.2f}", flush=True)


if __name__ == "__main__":
    main()
