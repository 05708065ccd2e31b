"""Simulator speed and memory: prints neuron-steps per second and peak memory.

    python benchmarks/bench_simulate.py [--quick]

SEED_MODEL with noise, the seed's pulse (0.1 ms at 0.1 ms, amplitude at the deterministic
threshold), 2 ms at dt = 2.5 µs = 800 steps. Peak memory is measured with tracemalloc (numpy
buffers included) for a run without traces.
"""
from __future__ import annotations

import argparse
import os
import platform
import time
import tracemalloc

import numpy as np

import hhlib

AREA = 1e-9
AMP = 7.01e-8


def rate(n_trials, repeats=3, **kw):
    best = np.inf
    for r in range(repeats):
        t0 = time.perf_counter()
        hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(AMP), AREA, n_trials, seed=r, **kw)
        best = min(best, time.perf_counter() - t0)
    return n_trials * 800 / best, best


def peak_memory_mb(n_trials, **kw):
    tracemalloc.start()
    hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(AMP), AREA, n_trials, seed=0, **kw)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    args = ap.parse_args(argv)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}")
    sizes = (1100, 11000) if args.quick else (11_000, 110_000)
    for n in sizes:
        r, t = rate(n, repeats=1 if args.quick else 3)
        print(f"numpy engine: {n:>7} trials x 800 steps: {t:6.3f} s  -> {r:.3g} neuron-steps/s")
    n_mem = 100_000 if args.quick else 1_000_000
    print(f"peak memory, {n_mem} trials, no traces: {peak_memory_mb(n_mem):.0f} MB")
    t0 = time.perf_counter()
    hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(AMP * np.linspace(0.9, 1.1, 11)), AREA, 1000, seed=0)
    print(f"one likelihood evaluation (11 levels x 1000 trials): {time.perf_counter() - t0:.3f} s")


if __name__ == "__main__":
    main()
