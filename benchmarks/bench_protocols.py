"""Speed of issue 17's protocols, and what recording spike times costs, in one run.

    python benchmarks/bench_protocols.py [--quick] [--old-rev REV]

Prints the machine (CPU model, cores, load), then:

1. SEED_MODEL single pulses (0.1 ms at the deterministic threshold, 2 ms at 2.5 µs = 800 steps, current noise)
   at 110 000 trials, neuron-steps/s (trials x 800 / wall seconds, best of 3), with this checkout's engine and
   with the engine of git revision ``--old-rev`` (default ``16c0218``, the last commit before the stimulus
   rewrite; checked out into a temporary git worktree), each in a fresh process (``PYTHONPATH``), alternately;
   two workloads: a trial stops at its first spike (issue 12's; before issue 17 ``max_spikes=1``, now
   ``stop_after=1``) and every trial followed to the end. Goal: >= 95 % of the old.
2. A 0.4 s train at 1000 pulses/s (400 pulses of 50 µs at 1.2 x their threshold), 1000 trials, current noise,
   every spike time recorded (``max_spikes`` by default: 403), all cores. Goal: <= 2 s on 2 cores.
3. The same train with channel noise at N_Na = 1000 (1.67 µm²): diffusion (1000 trials) and markov (250
   trials; the time for 1000 is extrapolated).
4. What recording costs: the train with ``max_spikes=1`` against 512 (time), and the memory of recording, the
   result's spike-time array and the peak resident-set growth of a fresh process (10 000 trials of a 20 ms
   train at 1000 pulses/s).
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import hhlib
from hhlib import ChannelNoise, Pulse, PulseTrain

ROOT = Path(__file__).resolve().parent.parent
SEED = hhlib.SEED_MODEL
AREA = 1e-9

SINGLE = """
import inspect, sys, time
import hhlib
new = "stop_after" in inspect.signature(hhlib.simulate).parameters
n, repeats = int(sys.argv[1]), int(sys.argv[2])
stim = hhlib.Pulse(7.01e-8)
for mode in ("stop at the first spike", "followed to the end"):
    kw = ({"stop_after": 1} if new else {"max_spikes": 1}) if mode.startswith("stop") else {}
    hhlib.simulate(hhlib.SEED_MODEL, stim, 1e-9, 1000, seed=0, **kw)           # compile or load the cache
    best = float("inf")
    for r in range(repeats):
        t0 = time.perf_counter()
        hhlib.simulate(hhlib.SEED_MODEL, stim, 1e-9, n, seed=r, **kw)
        best = min(best, time.perf_counter() - t0)
    print(f"{mode}|{n * 800 / best}")
"""

PEAK_MEMORY = """
import sys, warnings
import hhlib
warnings.simplefilter("ignore", RuntimeWarning)
def status(key):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key + ":")) / 1024
train = hhlib.PulseTrain(hhlib.Pulse(1.6e-7, duration_ms=0.05), rate_pps=1000, n_pulses=20)
hhlib.simulate(hhlib.SEED_MODEL, train, 1e-9, 300, seed=0, t_end_ms=21.0, max_spikes=int(sys.argv[1]))   # warm
open("/proc/self/clear_refs", "w").write("5")          # reset the peak-RSS mark (Linux)
base = status("VmRSS")
r = hhlib.simulate(hhlib.SEED_MODEL, train, 1e-9, 10000, seed=0, t_end_ms=21.0, max_spikes=int(sys.argv[1]))
print(status("VmHWM") - base, r.spike_times_ms.nbytes / 2**20)
"""


def machine() -> str:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
                 platform.processor() or platform.machine())
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"machine: {model}, {cores} cores usable ({os.cpu_count()} online); load average {load}; Python "
            f"{platform.python_version()}, numpy {np.__version__}")


def single_pulse_rows(old: Path, n: int, repeats: int):
    """neuron-steps/s of this checkout and of ``old``, fresh processes, alternately; the best of each."""
    best = {}
    for _ in range(2):
        for label, path in (("before issue 17", old), ("this checkout", ROOT)):
            env = {**os.environ, "PYTHONPATH": str(path)}
            out = subprocess.run([sys.executable, "-c", SINGLE, str(n), str(repeats)], capture_output=True,
                                 text=True, check=True, env=env, cwd=path).stdout
            for line in out.strip().splitlines():
                mode, rate = line.split("|")
                best[label, mode] = max(best.get((label, mode), 0.0), float(rate))
    for mode in ("stop at the first spike", "followed to the end"):
        a, b = best["before issue 17", mode], best["this checkout", mode]
        print(f"single pulse, {n} trials, {mode}: before issue 17 {a:.3g} neuron-steps/s, this checkout {b:.3g} "
              f"({100 * b / a:.0f} % of before)")


def timed(stim, area, n_trials, repeats, **kw):
    """(best wall seconds, best CPU seconds, result) of ``simulate`` (the first call, compile or load, excluded)."""
    hhlib.simulate(SEED, stim, area, 8, seed=99, **kw)
    best, cpu, res = np.inf, np.inf, None
    for r in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        res = hhlib.simulate(SEED, stim, area, n_trials, seed=r, **kw)
        best, cpu = min(best, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return best, cpu, res


def train_at(area, n_pulses=400, factor=1.2):
    """A 1000 pulses/s train of 50 µs pulses at ``factor`` x their noise-free threshold, and its run length."""
    pulse = Pulse(1.0, duration_ms=0.05)
    i_th = hhlib.threshold_current(SEED, area, stimulus=pulse)
    train = PulseTrain(pulse.with_amplitude(factor * i_th), rate_pps=1000, n_pulses=n_pulses)
    return train, float(np.ceil(train.end_ms + 0.85))


def train_rows(quick):
    train, t_end = train_at(AREA)
    n_steps = round(t_end / 0.0025)
    n = 200 if quick else 1000
    wall, cpu, r = timed(train, AREA, n, 1 if quick else 3, t_end_ms=t_end)
    print(f"train, 400 pulses at 1000 pps, {t_end:g} ms ({n_steps} steps), {n} trials, current noise, all spike "
          f"times (max_spikes {r.max_spikes}): {wall:.2f} s wall, {cpu:.2f} s CPU, {n * n_steps / wall:.3g} "
          f"neuron-steps/s; {r.spike_counts.mean():.1f} spikes per trial, overflow {int(r.overflow.sum())}")
    area = 1000 / 600 / 1e8                                   # N_Na = 1000, N_K = 300
    ch_train, t_end = train_at(area)
    for method, n in (("diffusion", 1000), ("markov", 250)):
        n = max(50, n // 5) if quick else n
        noise = ChannelNoise(600, 180, method=method)
        wall, cpu, r = timed(ch_train, area, n, 1, t_end_ms=t_end, noise=noise)
        print(f"train with channel noise, {method}, N_Na 1000, {n} trials: {wall:.2f} s wall ({1000 / n * wall:.1f} s "
              f"for 1000 trials), {n * n_steps / wall:.3g} neuron-steps/s; {r.spike_counts.mean():.1f} spikes per "
              f"trial")


def recording_rows(quick):
    train, t_end = train_at(AREA)
    n = 200 if quick else 1000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # max_spikes=1 overflows (reported, counted)
        rows = {cap: timed(train, AREA, n, 1 if quick else 3, t_end_ms=t_end, max_spikes=cap) for cap in (1, 512)}
    (w1, _, r1), (w512, _, r512) = rows[1], rows[512]
    assert np.array_equal(r1.spike_counts, r512.spike_counts)
    print(f"recording, the 0.4 s train, {n} trials: max_spikes 1 {w1:.2f} s, max_spikes 512 {w512:.2f} s "
          f"({100 * (w512 / w1 - 1):+.1f} %); spike-time array {r1.spike_times_ms.nbytes / 2**20:.3f} MiB vs "
          f"{r512.spike_times_ms.nbytes / 2**20:.2f} MiB (8 B x trials x max_spikes)")
    for cap in (1, 512):
        out = subprocess.run([sys.executable, "-c", PEAK_MEMORY, str(cap)], capture_output=True, text=True,
                             check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.split()
        print(f"recording, 10000 trials of a 20 ms train, max_spikes {cap}: peak resident-set growth "
              f"{float(out[0]):.1f} MiB, spike-time array {float(out[1]):.2f} MiB")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    ap.add_argument("--old-rev", default="16c0218", help="git revision of the code to compare with (section 1)")
    args = ap.parse_args(argv)
    print(machine(), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        made = subprocess.run(["git", "worktree", "add", "--detach", str(old), args.old_rev], cwd=ROOT,
                              capture_output=True, text=True)
        if made.returncode == 0:
            try:
                single_pulse_rows(old, 11_000 if args.quick else 110_000, 1 if args.quick else 3)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, capture_output=True)
        else:
            print(f"single pulse against revision {args.old_rev}: skipped ({made.stderr.strip()})")
    train_rows(args.quick)
    recording_rows(args.quick)
    print(machine().split("; ")[1])


if __name__ == "__main__":
    main()
