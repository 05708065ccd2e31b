"""A speech-length neurogram: 3200 fibres x 0.9 s of a 1000 pulses/s train (issue 19, section 3; goal <= 60 s).

    python benchmarks/bench_neurogram.py [--fibres 3200] [--duration-ms 900] [--levels 32] [--fixed-grid]

The workload: SEED_MODEL on 1e-9 cm² with its current noise, 50 µs cathodic pulses at 1000 pulses/s for
``--duration-ms``, dt 2.5 µs, numba engine on all cores, every spike time kept, ``multirate=True`` (the defaults
of ``hhlib.engines.Multirate``). The fibres stand for a neurogram's spread of thresholds: ``--levels`` levels
evenly spaced over 0.8-1.5 x the noise-free single-pulse threshold, ``fibres / levels`` fibres at each (so one
run has ``levels`` conditions of ``fibres / levels`` trials; every fibre has its own random stream).

Prints the machine and its load, the wall time of one run after a short warm-up run (compile or cache load), the
spikes (total and per fibre per second, and at the lowest and highest level), and, with ``--fixed-grid``, the
same run on the fixed fine grid. When phastc is importable (``pip install "hhlib[phast]"``), PHAST's time on the
same workload: PHAST+'s default fibre (:data:`hhlib.studies.phast_compare.PHAST_PARAMETERS`), the same levels
in units of its own i_det, ``fibres / levels`` trials per level, one thread, on its 1 µs grid.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from bench_protocols import AREA, SEED, machine  # noqa: E402

import hhlib  # noqa: E402
from hhlib import Pulse, PulseTrain  # noqa: E402

RATE_PPS = 1000
LEVEL_RANGE = (0.8, 1.5)


def hhlib_run(levels, per_level, duration_ms, multirate, seed=1):
    """(wall seconds, spike counts (n_levels, per_level)) of one hhlib run."""
    pulse = Pulse(1.0, duration_ms=0.05)
    i_th = hhlib.threshold_current(SEED, AREA, stimulus=pulse)
    n_pulses = int(round(duration_ms * RATE_PPS / 1000.0))
    train = PulseTrain(pulse.with_amplitude(levels * i_th), rate_pps=RATE_PPS, n_pulses=n_pulses)
    t0 = time.perf_counter()
    res = hhlib.simulate(SEED, train, AREA, per_level, seed=seed, t_end_ms=duration_ms + 0.2, engine="numba",
                         max_spikes=n_pulses + 3, multirate=multirate)
    return time.perf_counter() - t0, res.spike_counts


def phast_run(levels, per_level, duration_ms, seed=1):
    """(wall seconds, spike counts (n_levels, per_level)) of PHAST on the same levels, or None without phastc."""
    try:
        from hhlib.studies import phast_compare as pc
        pc.load_phast()
    except ImportError:
        return None
    t0 = time.perf_counter()
    counts = []
    for i, level in enumerate(levels):
        _, amps = pc._train_amplitudes(RATE_PPS, duration_ms, float(level), 0.0, 100.0)
        counts.append([s.n_spikes for s in pc.phast_run(amps, per_level, seed + i, n_jobs=1)])
    return time.perf_counter() - t0, np.array(counts)


def report(label, wall, counts, duration_ms, levels):
    per_fibre = counts.mean() / (duration_ms * 1e-3)
    print(f"{label}: {wall:.2f} s wall; {int(counts.sum())} spikes, {per_fibre:.0f} spikes/s per fibre "
          f"({counts[0].mean() / (duration_ms * 1e-3):.0f} at {levels[0]:.2f} x, "
          f"{counts[-1].mean() / (duration_ms * 1e-3):.0f} at {levels[-1]:.2f} x)", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fibres", type=int, default=3200)
    ap.add_argument("--duration-ms", type=float, default=900.0)
    ap.add_argument("--levels", type=int, default=32)
    ap.add_argument("--fixed-grid", action="store_true", help="also time the fixed fine grid")
    a = ap.parse_args(argv)
    if a.fibres % a.levels:
        ap.error(f"--fibres ({a.fibres}) must be a multiple of --levels ({a.levels})")
    levels = np.linspace(*LEVEL_RANGE, a.levels)
    per_level = a.fibres // a.levels
    print(machine())
    print(f"workload: {a.fibres} fibres ({a.levels} levels over {LEVEL_RANGE[0]}-{LEVEL_RANGE[1]} x threshold, "
          f"{per_level} fibres each) x {a.duration_ms:g} ms at {RATE_PPS} pulses/s, SEED_MODEL, current noise, "
          f"dt 2.5 µs, numba engine, all cores")
    hhlib_run(levels[:2], 2, 5.0, True)                             # warm-up: compile or load the kernels
    wall, counts = hhlib_run(levels, per_level, a.duration_ms, True)
    report("hhlib multirate=True", wall, counts, a.duration_ms, levels)
    print(f"goal <= 60 s: {'met' if wall <= 60.0 else 'not met'}")
    if a.fixed_grid:
        hhlib_run(levels[:2], 2, 5.0, None)
        report("hhlib fixed grid", *hhlib_run(levels, per_level, a.duration_ms, None), a.duration_ms, levels)
    phast = phast_run(levels, per_level, a.duration_ms)
    if phast is None:
        print("PHAST: phastc is not importable (pip install \"hhlib[phast]\")")
    else:
        report("PHAST (1 thread)", *phast, a.duration_ms, levels)
        print(f"hhlib multirate / PHAST = {wall / phast[0]:.1f}x")
    print(machine())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
