"""Wall time of the channel-noise fit of the shipped data with the Markov chain next to the diffusion fit
(issue 20, section 3).

    python benchmarks/bench_markov_fit.py [--n-trials 2000] [--validation-n-trials 10000] [--methods ...]

The setup is notebook 05's channel-noise fit (:func:`hhlib.studies.noise_models.noise_fits`: SEED_MODEL with
``ChannelNoise(600, 180)`` at the 100 µm² reference area, ``i_ref`` 1e-4 µA, seed 0), once per method, in
this process (numba engine, all cores; the first fit of each method includes its kernel compilation or
loading). Prints the machine (CPU model, cores, load) before and after, then for each fit: wall and CPU
seconds, evaluations, the estimate (delta_v, delta_area) with its 95 % intervals, the area, the deviance and
its p-value, converged. The defaults are those of the notebook's cache; fewer trials give a shorter run
(the time of a fit grows about linearly with ``--n-trials``).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_protocols import machine  # noqa: E402


def one_fit(method: str, n_trials: int, validation_n_trials: int, seed: int) -> str:
    import hhlib
    from hhlib.studies.noise_models import CHANNEL_DENSITIES, UM2_PER_CM2, channel_setup
    setup = channel_setup(method, 1e-6, 1e-4, CHANNEL_DENSITIES)
    t0, c0 = time.perf_counter(), time.process_time()
    r = hhlib.fit(setup=setup, n_trials=n_trials, validation_n_trials=validation_n_trials, seed=seed)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    area = setup.area_cm2(np.array([r.delta_area, *r.delta_area_ci])) * UM2_PER_CM2
    return (f"{method:>9}: {wall:7.1f} s wall, {cpu:7.1f} s CPU, {r.n_evaluations} evaluations; "
            f"delta_v = {r.delta_v:.4f} [{r.delta_v_ci[0]:.4f}, {r.delta_v_ci[1]:.4f}], "
            f"delta_area = {r.delta_area:.3f} [{r.delta_area_ci[0]:.3f}, {r.delta_area_ci[1]:.3f}] "
            f"(area {area[0]:.1f} µm² [{area[1]:.1f}, {area[2]:.1f}]); deviance {r.deviance:.2f}, "
            f"p = {r.p_value:.3f}, converged {r.converged}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-trials", type=int, default=2000, help="simulated trials per level and evaluation")
    ap.add_argument("--validation-n-trials", type=int, default=10000, help="trials of the validation prediction")
    ap.add_argument("--methods", nargs="+", default=["diffusion", "markov"], choices=["diffusion", "markov"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    print(machine(), flush=True)
    print(f"n_trials {args.n_trials}, validation_n_trials {args.validation_n_trials}, seed {args.seed}", flush=True)
    for method in args.methods:
        print(one_fit(method, args.n_trials, args.validation_n_trials, args.seed), flush=True)
    print(machine(), flush=True)


if __name__ == "__main__":
    main()
