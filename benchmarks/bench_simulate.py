"""Simulator speed and memory: compiled (numba) vs numpy engine, CPU threads, and the GPU engine.

    python benchmarks/bench_simulate.py [--quick] [--sections engines,threads,first-call,memory,likelihood,gpu,fit]

SEED_MODEL with noise, the seed's pulse (0.1 ms at 0.1 ms, amplitude at the deterministic
threshold), 2 ms at dt = 2.5 µs = 800 steps. Prints, in one run: neuron-steps/s of both engines
at 11 000 and 110 000 trials and their ratio, the first-call compile time (empty numba cache)
and the cached first call, peak memory of 1 000 000 trials without traces (resident-set growth
above the warmed-up process, measured in a fresh Linux process), and the time of one likelihood evaluation
(11 levels x 1000 trials).

``threads``: the numba engine on 1, 2, 4, ... threads (up to the cores) for issue 12's workload (110 000
trials, a trial stops at its first spike, counted as trials x 800 neuron-steps), with two diagnostics
of where parallel efficiency goes: the pool's efficiency (kernel seconds summed over threads / (threads x
wall)) and the kernel's own slowdown (its time per block against one thread: clock, shared caches, SMT).
``gpu`` (skipped, saying why, without a GPU): the same workload with ``engine="cuda"`` in float32 and
float64 at 110 000, 1 000 000 and 10 000 000 trials, and the float32 deterministic threshold's error.
``fit``: ``hhlib.fit(seed=0)`` on the shipped data with the numba engine and with ``engine="cuda"``.
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


SECTIONS = ("engines", "threads", "first-call", "memory", "likelihood", "gpu", "fit")


def workload(n_trials, seed=0, **options):
    """Issue 12's workload: a trial stops at its first spike; returns (seconds, p_fire)."""
    t0 = time.perf_counter()
    r = hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(AMP), AREA, n_trials, seed=seed, stop_after=1, max_spikes=1,
                       **options)
    return time.perf_counter() - t0, float(r.firing_probability)


def thread_rows(quick):
    """neuron-steps/s of the numba engine per thread count, with the pool's and the kernel's efficiency."""
    from hhlib.engines import numba_engine
    n = 11_000 if quick else 110_000
    real = numba_engine.kernel_for
    spans = []

    def timed(model, variant="current"):
        kernel = real(model, variant)

        def run(*args):
            t0 = time.perf_counter()
            out = kernel(*args)
            spans.append(time.perf_counter() - t0)
            return out
        return run

    numba_engine.kernel_for = timed
    try:
        base = None
        for threads in [t for t in (1, 2, 4, 8, 16, 32, 64) if t <= (os.cpu_count() or 1)]:
            best = (np.inf, 0.0, 0.0, 0.0)
            for r in range(1 if quick else 3):
                spans.clear()
                wall, p = workload(n, seed=r, engine="numba", n_threads=threads)
                best = min(best, (wall, p, sum(spans), len(spans)))
            wall, p, busy, units = best
            rate = n * STEPS / wall
            base = base or (rate, busy / units)
            print(f"numba, {threads:>2} thread(s), {n} trials: {rate:.3g} neuron-steps/s, speed-up "
                  f"{rate / base[0]:.2f}x ({100 * rate / base[0] / threads:.0f} % of linear); pool efficiency "
                  f"{100 * busy / (threads * wall):.0f} %, kernel time per block {busy / units / base[1]:.2f}x "
                  f"one thread's; p_fire {p:.3f}")
    finally:
        numba_engine.kernel_for = real


def gpu_rows(quick):
    """The GPU engine on issue 12's workload, float32 and float64, and the float32 threshold error."""
    from hhlib.engines import cuda_unavailable_reason
    reason = cuda_unavailable_reason()
    if reason is not None:
        print(f"gpu: skipped ({reason})")
        return
    from hhlib.engines import cuda_engine
    if cuda_engine.simulator_active():
        print("gpu: skipped (NUMBA_ENABLE_CUDASIM=1: the simulator measures nothing)")
        return
    dev = cuda_engine.cuda.get_current_device()
    print(f"gpu: {dev.name.decode() if isinstance(dev.name, bytes) else dev.name}, compute capability "
          f"{dev.compute_capability}, numba-cuda kernels")
    for precision in ("float32", "float64"):
        t_first, _ = workload(1000, engine="cuda", precision=precision)        # compile or load the cache
        print(f"cuda {precision}: first call (compile or cache load) {t_first:.2f} s")
        for n in ((110_000, 1_000_000) if quick else (110_000, 1_000_000, 10_000_000)):
            wall, p = min(workload(n, seed=r, engine="cuda", precision=precision) for r in range(3))
            print(f"cuda {precision}, {n:>8} trials: {n * STEPS / wall:.3g} neuron-steps/s ({wall:.3f} s, "
                  f"p_fire {p:.3f})")
    i64 = hhlib.threshold_current(hhlib.SEED_MODEL, AREA, engine="cuda", rtol=1e-9)
    i32 = hhlib.threshold_current(hhlib.SEED_MODEL, AREA, engine="cuda", rtol=1e-9, precision="float32")
    i_cpu = hhlib.threshold_current(hhlib.SEED_MODEL, AREA, engine="numba", rtol=1e-9)
    print(f"deterministic threshold at {AREA} cm²: numba {i_cpu:.10g} µA, cuda float64 {i64:.10g} µA "
          f"(rel. diff {i64 / i_cpu - 1:.1e}), cuda float32 {i32:.10g} µA (rel. error {i32 / i64 - 1:.1e})")


def fit_rows():
    """Wall time of hhlib.fit(seed=0) on the shipped data per engine (twice: the second with warm caches)."""
    import importlib

    from hhlib.engines import cuda_available
    fit_module = importlib.import_module("hhlib.fit")             # the module (hhlib.fit is the function)
    engines = [("numba", "float64")] + ([("cuda", "float64"), ("cuda", "float32")] if cuda_available() else [])
    for engine, precision in engines:
        for attempt in ("first", "second"):
            fit_module._THRESHOLD_CACHE.clear()                 # each fit simulates everything again
            t0 = time.perf_counter()
            r = hhlib.fit(seed=0, engine=engine, precision=precision)
            print(f"fit, engine={engine} {precision}, {attempt} call: {time.perf_counter() - t0:.2f} s "
                  f"(delta_v {r.delta_v:.3f}, delta_area {r.delta_area:.3f}, converged {r.converged})")
    if not cuda_available():
        print("fit with engine='cuda': skipped (no GPU)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    ap.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}")
    args = ap.parse_args(argv)
    sections = set(args.sections.split(","))
    if sections - set(SECTIONS):
        ap.error(f"unknown section(s) {sorted(sections - set(SECTIONS))}; choose from {', '.join(SECTIONS)}")
    repeats = 1 if args.quick else 3
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}")
    hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(AMP), AREA, 10, seed=0, engine="numba")  # compile / load cache
    if "engines" in sections:
        engine_rows(args.quick, repeats)
    if "threads" in sections:
        thread_rows(args.quick)
    if "first-call" in sections:
        first_call_rows()
    if "memory" in sections:
        memory_rows(args.quick)
    if "likelihood" in sections:
        likelihood_rows()
    if "gpu" in sections:
        gpu_rows(args.quick)
    if "fit" in sections:
        fit_rows()


def engine_rows(quick, repeats):
    for n in ((1100, 11_000) if quick else (11_000, 110_000)):
        t_nb = best_time(n, "numba", repeats)
        t_np = best_time(n, "numpy", repeats)
        print(f"{n:>7} trials x {STEPS} steps: numba {n * STEPS / t_nb:.3g} neuron-steps/s ({t_nb:.3f} s), "
              f"numpy {n * STEPS / t_np:.3g} ({t_np:.3f} s), ratio {t_np / t_nb:.1f}x")


def first_call_rows():
    with tempfile.TemporaryDirectory() as cache:
        imp, cold = in_fresh_process(FIRST_CALL, env={"NUMBA_CACHE_DIR": cache}).split()
        _, warm = in_fresh_process(FIRST_CALL, env={"NUMBA_CACHE_DIR": cache}).split()
    print(f"first call: {cold} s with an empty numba cache (compile), {warm} s with the cache; import {imp} s")


def memory_rows(quick):
    n_mem = 100_000 if quick else 1_000_000
    for engine in ("numba", "numpy"):
        mb = float(in_fresh_process(PEAK_MEMORY.format(engine=engine, n=n_mem)))
        print(f"peak memory growth, {n_mem} trials, no traces, {engine}: {mb:.0f} MB")


def likelihood_rows():
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
