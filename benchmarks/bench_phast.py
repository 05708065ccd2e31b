"""PHAST (phastc) against hhlib on the same train workload, in one run.

    python benchmarks/bench_phast.py [--trials 1000] [--duration-ms 400] [--repeats 3]

Prints the machine (CPU model, cores, load), then for trains at 1000 and 5000 pulses/s of ``--duration-ms`` and
``--trials`` fibre trials (best of ``--repeats``, after one untimed warm-up run):

- PHAST: one fibre with PHAST+'s defaults (:data:`hhlib.studies.phast_compare.PHAST_PARAMETERS`), pulses at
  1.1 x i_det on its 1 µs grid, ``n_jobs=1`` (one thread) and ``n_jobs=-1`` (a thread per trial);
- hhlib: SEED_MODEL on 0.1 µm², its current noise, 50 µs pulses at 1.1 x their noise-free threshold, numba engine on
  all cores, every spike time recorded, 2.5 µs steps;

with spikes per trial of each (so that the workloads are seen to be comparable) and the ratio hhlib / PHAST.
Needs phastc (``pip install "hhlib[phast]"``).
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

import hhlib
from hhlib import Pulse, PulseTrain
from hhlib.studies import phast_compare as pc


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{model}, {os.cpu_count()} cores, load average {load:.2f}, numba threads {hhlib_threads()}"


def hhlib_threads() -> int:
    import numba
    return numba.get_num_threads()


def best_of(fn, repeats: int):
    fn(0)                                                          # warm-up (compile / load caches)
    times, out = [], None
    for r in range(repeats):
        t0 = time.perf_counter()
        out = fn(r + 1)
        times.append(time.perf_counter() - t0)
    return min(times), out


def phast_case(rate: int, duration_ms: float, n_trials: int, n_jobs: int, repeats: int):
    _, amps = pc._train_amplitudes(rate, duration_ms, 1.1, 0.0, 100.0)

    def run(seed):
        return sum(s.n_spikes for s in pc.phast_run(amps, n_trials, seed, n_jobs=n_jobs)) / n_trials
    return best_of(run, repeats)


def hhlib_case(rate: int, duration_ms: float, n_trials: int, repeats: int):
    thr = hhlib.threshold_current(hhlib.SEED_MODEL, 1e-9, stimulus=Pulse(1.0, delay_ms=0.1, duration_ms=0.05))
    n = int(round(duration_ms * rate / 1000.0))
    train = PulseTrain(Pulse(1.1 * thr, delay_ms=0.1, duration_ms=0.05), rate_pps=rate, n_pulses=n)

    def run(seed):
        res = hhlib.simulate(hhlib.SEED_MODEL, train, 1e-9, n_trials, seed=seed, t_end_ms=duration_ms + 0.2,
                             engine="numba")
        return float(res.spike_counts.mean())
    return best_of(run, repeats)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--duration-ms", type=float, default=400.0)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)
    print(f"machine: {machine()}")
    print(f"workload: {a.trials} fibre trials x {a.duration_ms:g} ms, best of {a.repeats}")
    for rate in (1000, 5000):
        p1, s1 = phast_case(rate, a.duration_ms, a.trials, 1, a.repeats)
        pn, sn = phast_case(rate, a.duration_ms, a.trials, -1, a.repeats)
        h, sh = hhlib_case(rate, a.duration_ms, a.trials, a.repeats)
        pulses = a.trials * a.duration_ms * rate / 1000.0
        print(f"{rate} pulses/s: PHAST 1 thread {p1:.3f} s ({pulses / p1:.3g} pulse-trials/s, {s1:.1f} spikes/trial); "
              f"PHAST n_jobs=-1 {pn:.3f} s ({sn:.1f}); hhlib SEED_MODEL numba {h:.3f} s ({sh:.1f} spikes/trial); "
              f"hhlib / PHAST(1 thread) = {h / p1:.1f}x")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
