"""Wall time of the command-line fit, `python -m hhlib optimise`, with the defaults.

    python benchmarks/bench_fit.py [--repeats 3]

Each run is a fresh process (import, numba cache load, fit, validation). Target: <= 5 s (median) on the idle
2-core development machine (it was 12.6 s before the threshold searches were guided by the same trials'
thresholds at the nearest area already searched). Also prints the fit's own figures from its JSON output and the
load average, since the machine is shared.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    walls = []
    for i in range(args.repeats):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "hhlib", "optimise", "--json"], capture_output=True, text=True,
                             check=True)
        walls.append(time.perf_counter() - t0)
        r = json.loads(out.stdout)
        print(f"run {i + 1}: {walls[-1]:.1f} s wall (fit reports {r['seconds']:.1f} s): delta_v = {r['delta_v']:.3f} "
              f"{[round(v, 3) for v in r['delta_v_ci']]}, delta_area = {r['delta_area']:.3f} "
              f"{[round(v, 3) for v in r['delta_area_ci']]}, deviance {r['deviance']:.2f}, p = {r['p_value']:.2f}, "
              f"{r['n_evaluations']} evaluations, converged {r['converged']}")
    walls.sort()
    print(f"python -m hhlib optimise: min {walls[0]:.1f} s, median {walls[len(walls) // 2]:.1f} s, "
          f"max {walls[-1]:.1f} s (target <= 5 s; load average now {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
