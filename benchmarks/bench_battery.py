"""Speed of the single-fibre battery (issue 18): the whole battery of one model, with noise, wall time.

    python benchmarks/bench_battery.py [--models SEED_MODEL FH1964 HH1952] [--repeats 2]

Prints the machine (CPU model, cores, load average), then for each model and area: the wall time of
``hhlib.battery(model, area)`` with its defaults (noise on: the model's own, or ChannelNoise.for_model for a
model without one; 1000 threshold trials, 11 latency levels of 1000 trials, 100 x 100 ms of spontaneous
firing with channel noise (markov)), the first call (kernel compilation or cache load included) and the best
of ``--repeats`` later ones, and the time of each stage. Goal: under a minute on the 2-core machine.
Then the side-by-side table with the published ranges.
"""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import time

import hhlib
from hhlib.models import FH1964

B = importlib.import_module("hhlib.battery")      # the module (the attribute hhlib.battery is the function)

MODELS = {"SEED_MODEL": (hhlib.SEED_MODEL, 1e-9), "FH1964": (FH1964, 1e-9), "HH1952": (hhlib.HH1952, 1e-7)}
STAGES = ("_follow_ms", "_deterministic", "_firing_curve", "_latency", "_spontaneous")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return f"machine: {cpu}, {os.cpu_count()} cores, load average {load[0]:.2f}, Python {platform.python_version()}"


def timed_stages(times: dict):
    """Wrap the battery's stages so that their wall times land in ``times``; returns the originals."""
    originals = {name: getattr(B, name) for name in STAGES}
    for name, f in originals.items():
        def wrapper(*args, _f=f, _name=name, **kwargs):
            t0 = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                times[_name] = times.get(_name, 0.0) + time.perf_counter() - t0
        setattr(B, name, wrapper)
    return originals


def run(name: str, repeats: int):
    model, area = MODELS[name]
    walls, stages, result = [], {}, None
    for r in range(1 + repeats):
        times: dict = {}
        originals = timed_stages(times)
        try:
            t0 = time.perf_counter()
            result = hhlib.battery(model, area, seed=r)
            walls.append(time.perf_counter() - t0)
        finally:
            for k, f in originals.items():
                setattr(B, k, f)
        stages = times
    best = min(walls[1:]) if repeats else walls[0]
    parts = ", ".join(f"{k.strip('_')} {v:.2f} s" for k, v in stages.items())
    print(f"{name} at {area:g} cm²: first call {walls[0]:.1f} s, best of {repeats} later {best:.1f} s "
          f"(goal < 60 s); last call's stages: {parts}")
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    print(machine())
    results = [run(name, args.repeats) for name in args.models]
    print()
    print(hhlib.battery_table(results))


if __name__ == "__main__":
    main()
