"""Wall time of a named-parameter fit: delta_v, delta_area and latency_offset_ms of synthetic data (8 levels x 300
trials with latencies), 1000 simulated trials per point, as ``tests/core/test_fit_named_slow.py`` fits them.

    python benchmarks/bench_fit_named.py [--repeats 1] [--free delta_v delta_area latency_offset_ms]

Prints the machine, each fit's time, evaluations, simulated trials and estimates with their intervals.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "core"))


def main(argv=None):
    from test_fit_named_slow import synthetic

    import hhlib
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--free", nargs="+", default=["delta_v", "delta_area", "latency_offset_ms"])
    args = ap.parse_args(argv)
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}")
    for i in range(args.repeats):
        t0 = time.perf_counter()
        r = hhlib.fit(synthetic(i), free=args.free, n_trials=1000, validation_n_trials=2000, latency_trials=500,
                      seed=i)
        wall = time.perf_counter() - t0
        est = ", ".join(f"{k} = {v:.4g} [{r.interval[k][0]:.4g}, {r.interval[k][1]:.4g}]"
                        for k, v in r.estimate.items())
        print(f"run {i + 1}: {wall:.1f} s, {r.verdict}, {r.n_evaluations} evaluations, {r.n_trials_simulated:,} "
              f"simulated trials: {est}")


if __name__ == "__main__":
    main()
