"""Speed of the Markov channel-noise chain before and after the BTRS binomial draws (issue 20, section 3).

    python benchmarks/bench_markov.py [--quick] [--old-rev REV]

Prints the machine (CPU model, cores, load), then neuron-steps/s (trials x 800 steps / wall seconds, best of
``repeats``; all cores) and the CPU time per neuron-step (process time over all threads: what idle cores
would give) of SEED_MODEL with ``hhlib.ChannelNoise(600, 180)`` at 1 000, 17 000 and 170 000 Na channels
(170 000: about the fitted membrane of ``hhlib.fit``, ~2.8e-6 cm²): the seed's pulse at the deterministic
threshold, 2 ms at dt = 2.5 µs, every trial followed to the end, numba engine. Rows: ``markov`` with the
engine of git revision ``--old-rev`` (default ``cf833f7``, the last commit with the binomials drawn by
inversion only; checked out into a temporary git worktree) and of this checkout, each in a fresh process
(``PYTHONPATH``, its own kernel directory), and ``diffusion`` (this checkout) for comparison. The first call
(kernel compilation or loading) is excluded. Goal: markov >= 4e6 neuron-steps/s at 170 000 Na channels on
the 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_protocols import machine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STEPS = 800
N_NA = (1_000, 17_000, 170_000)
#: Trials per row (markov before, markov after, diffusion): a few seconds each on the idle 2-core machine.
TRIALS = {"old": 512, "new": 2048, "diffusion": 8192}

ONE_ROW = r'''
import json, sys, time
import hhlib
method, n_na, n_trials, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
area = n_na / 600 / 1e8
noise = hhlib.ChannelNoise(600, 180, method=method)
amp = hhlib.threshold_current(hhlib.SEED_MODEL, area)
run = lambda n, seed: hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(amp), area, n, seed=seed, noise=noise,
                                     engine="numba", t_end_ms=2.0)
t0 = time.perf_counter(); run(16, 0); first = time.perf_counter() - t0
best, cpu = float("inf"), float("inf")
for r in range(repeats):
    t0, c0 = time.perf_counter(), time.process_time()
    p = float(run(n_trials, r + 1).firing_probability)
    best, cpu = min(best, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
print(json.dumps(dict(rate=n_trials * 800 / best, seconds=best, cpu_ns=cpu / (n_trials * 800) * 1e9,
                      first=first, p=float(p))))
'''


def row(code: Path, kernels: Path, method: str, n_na: int, n_trials: int, repeats: int) -> dict:
    """One measurement in a fresh process importing ``hhlib`` from ``code``."""
    env = {**os.environ, "PYTHONPATH": str(code), "HHLIB_KERNEL_DIR": str(kernels)}
    out = subprocess.run([sys.executable, "-c", ONE_ROW, method, str(n_na), str(n_trials), str(repeats)],
                         capture_output=True, text=True, env=env, cwd=code)
    if out.returncode != 0:
        raise RuntimeError(f"{method} at {n_na} Na channels with {code} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(old: Path | None, tmp: Path, scale: float, repeats: int):
    print(f"{'noise':>22} {'N_Na':>8} {'trials':>7} {'neuron-steps/s':>15} {'seconds':>8} {'CPU ns/step':>12} "
          f"{'first call s':>12} {'P(fire)':>8}", flush=True)
    cases = [("markov, before", old, "markov", "old"), ("markov, after", ROOT, "markov", "new"),
             ("diffusion", ROOT, "diffusion", "diffusion")]
    for n_na in N_NA:
        for name, code, method, key in cases:
            if code is None:
                continue
            n = max(64, int(TRIALS[key] * scale))
            r = row(code, tmp / f"kernels-{key}", method, n_na, n, repeats)
            print(f"{name:>22} {n_na:>8} {n:>7} {r['rate']:>15.3g} {r['seconds']:>8.2f} {r['cpu_ns']:>12.0f} "
                  f"{r['first']:>12.2f} {r['p']:>8.3f}", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, one repeat (smoke run)")
    ap.add_argument("--old-rev", default="cf833f7", help="git revision of the code to compare with")
    args = ap.parse_args(argv)
    print(machine(), flush=True)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        old = tmp / "old"
        made = subprocess.run(["git", "worktree", "add", "--detach", str(old), args.old_rev], cwd=ROOT,
                              capture_output=True, text=True)
        if made.returncode != 0:
            print(f"markov before (revision {args.old_rev}): skipped ({made.stderr.strip()})")
        try:
            table(old if made.returncode == 0 else None, tmp, 0.125 if args.quick else 1.0, 1 if args.quick else 2)
        finally:
            if made.returncode == 0:
                subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, capture_output=True)
    print(machine().split("; ")[1])


if __name__ == "__main__":
    main()
