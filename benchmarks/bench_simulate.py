"""Simulator speed and memory: compiled (numba) vs numpy engine.

    python benchmarks/bench_simulate.py [--quick]

SEED_MODEL with noise, the seed's pulse (0.1 ms at 0.1 ms, amplitude at the deterministic
threshold), 2 ms at dt = 2.5 µs = 800 steps. Prints, in one run: neuron-steps/s of both engines
at 11 000 and 110 000 trials and their ratio, the first-call compile time (empty numba cache)
and the cached first call, peak memory of 1 000 000 trials without traces (resident-set growth
above the warmed-up process, measured in a fresh Linux process), and the time of one likelihood evaluation
(11 levels x 1000 trials).
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

import hhlib

AREA = 1e-9
AMP = 7.01e-8
STEPS = 800


def best_time(n_trials, engine, repeats):
    best = np.inf
    for r in range(repeats):
        t0 = time.perf_counter()
        hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(AMP), AREA, n_trials, seed=r, engine=engine)
        best = min(best, time.perf_counter() - t0)
    return best


def in_fresh_process(code, env=None):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, **(env or {})})
    return out.stdout.strip()


FIRST_CALL = """
import time; t0 = time.perf_counter()
import hhlib; t1 = time.perf_counter()
hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(7e-8), 1e-9, 10, seed=0, engine="numba")
print(f"{t1 - t0:.2f} {time.perf_counter() - t1:.2f}")
"""

PEAK_MEMORY = """
import hhlib
def status(key):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key + ":")) / 1024
hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(7e-8), 1e-9, 600, seed=0, engine="{engine}")   # warm up
open("/proc/self/clear_refs", "w").write("5")          # reset the peak-RSS mark (Linux)
base = status("VmRSS")
hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(7e-8), 1e-9, {n}, seed=0, engine="{engine}")
print(status("VmHWM") - base)
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    args = ap.parse_args(argv)
    repeats = 1 if args.quick else 3
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}")
    hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(AMP), AREA, 10, seed=0, engine="numba")  # compile / load cache

    for n in ((1100, 11_000) if args.quick else (11_000, 110_000)):
        t_nb = best_time(n, "numba", repeats)
        t_np = best_time(n, "numpy", repeats)
        print(f"{n:>7} trials x {STEPS} steps: numba {n * STEPS / t_nb:.3g} neuron-steps/s ({t_nb:.3f} s), "
              f"numpy {n * STEPS / t_np:.3g} ({t_np:.3f} s), ratio {t_np / t_nb:.1f}x")

    with tempfile.TemporaryDirectory() as cache:
        imp, cold = in_fresh_process(FIRST_CALL, env={"NUMBA_CACHE_DIR": cache}).split()
        _, warm = in_fresh_process(FIRST_CALL, env={"NUMBA_CACHE_DIR": cache}).split()
    print(f"first call: {cold} s with an empty numba cache (compile), {warm} s with the cache; import {imp} s")

    n_mem = 100_000 if args.quick else 1_000_000
    for engine in ("numba", "numpy"):
        mb = float(in_fresh_process(PEAK_MEMORY.format(engine=engine, n=n_mem)))
        print(f"peak memory growth, {n_mem} trials, no traces, {engine}: {mb:.0f} MB")

    amps = AMP * np.linspace(0.9, 1.1, 11)
    times = []
    for r in range(5):
        t0 = time.perf_counter()
        hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(amps), AREA, 1000, seed=r)
        times.append(time.perf_counter() - t0)
    print(f"one likelihood evaluation (11 levels x 1000 trials, numba): {min(times):.3f} s "
          f"(median {np.median(times):.3f} s)")


if __name__ == "__main__":
    main()
