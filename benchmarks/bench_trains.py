"""Speed of long trains: the fixed fine grid against the multi-rate path (issue 19, section 3).

    python benchmarks/bench_trains.py

The goal workload: SEED_MODEL, 1e-9 cm², 1000 trials x 0.4 s of a 1000 pulses/s train of 50 µs cathodic pulses
at 1.2 x their noise-free threshold (``bench_protocols.train_at``), current noise, dt 2.5 µs, numba engine, all
cores. Prints the machine, then for the fine grid and the multi-rate path (``multirate=True``: the defaults of
``hhlib.engines.Multirate``) the median wall time of 3 runs after a warm-up run (compile or cache load),
neuron-steps/s (trials x fine-grid steps / s, the same work for both), the mean spike count, the fraction of
simulated time the fast path covered with coarse steps, its step evaluations per trial (fine and coarse), and the
speedup. Where the time goes: the same runs without noise, and with a vanishing noise (``CurrentNoise(5e-14)``:
every random number drawn, the noise-free dynamics), so that noise-free -> vanishing is the cost of the draws and
vanishing -> noise the cost of trials that differ (different V, so scattered gate-table rows and more excited
steps); the stimulus is summed once per step for a whole block of trials (no per-trial cost).
Goal: <= 0.5 s, within 4x of PHAST's time: when phastc is importable (``pip install "hhlib[phast]"``), PHAST's
median time on the same workload (PHAST+'s default fibre, 1000 trials x 0.4 s at 1000 pulses/s, pulses at
1.2 x its i_det, one thread) and the ratios.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from bench_protocols import AREA, SEED, machine, train_at  # noqa: E402

from hhlib import CurrentNoise  # noqa: E402
from hhlib.engines import Multirate, execute  # noqa: E402
from hhlib.engines.runspec import build_run_spec  # noqa: E402

N_TRIALS = 1000


def median_time(spec, repeats=3):
    """(median wall seconds of ``repeats`` runs after one warm-up run, the last output)."""
    execute(spec)
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = execute(spec)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def phast_time(n_trials, duration_ms, level, repeats=3):
    """(median wall seconds, mean spikes per trial) of PHAST on the train, or None without phastc."""
    try:
        from hhlib.studies import phast_compare as pc
        pc.load_phast()
    except ImportError:
        return None
    _, amps = pc._train_amplitudes(1000, duration_ms, level, 0.0, 100.0)
    pc.phast_run(amps, n_trials, 0)
    times, spikes = [], 0.0
    for r in range(repeats):
        t0 = time.perf_counter()
        stats = pc.phast_run(amps, n_trials, r + 1)
        times.append(time.perf_counter() - t0)
        spikes = sum(st.n_spikes for st in stats) / n_trials
    return statistics.median(times), spikes


def coarse_text(coarse_steps, k, n_steps):
    """Coverage of the coarse steps and step evaluations per trial of a multi-rate run."""
    n_coarse = float(np.mean(coarse_steps))
    fine = n_steps - n_coarse * k
    return (f", coarse steps cover {n_coarse * k / n_steps:.0%} of the time; {fine + n_coarse:.0f} step evaluations "
            f"per trial ({fine:.0f} fine, {n_coarse:.0f} coarse) of {n_steps} fine-grid steps")


def main():
    print(machine())
    train, t_end = train_at(AREA)
    print(f"workload: {N_TRIALS} trials x {t_end:g} ms of {train!r}, dt 2.5 µs, numba engine, all cores")
    mr = Multirate()
    rows = {}
    noises = {True: "noise", False: "no noise", "vanishing": "vanishing noise"}
    for noise, name in noises.items():
        for label, multirate in (("fine grid", None), (f"multirate {mr}", mr)):
            spec = build_run_spec(SEED, train, AREA, N_TRIALS, t_end_ms=t_end, seed=1,
                                  noise=CurrentNoise(5e-14) if noise == "vanishing" else noise,
                                  multirate=multirate, max_spikes=int(train.pulse_onsets_ms().size + 3))
            wall, out = median_time(spec)
            rows[label, noise] = wall
            rate = N_TRIALS * spec.n_steps / wall
            coarse = "" if out.coarse_steps is None else coarse_text(out.coarse_steps, mr.k, spec.n_steps)
            print(f"{name:15s} {label}: median {wall:.3f} s, {rate:.3g} neuron-steps/s, "
                  f"mean spikes {out.counts.mean():.2f}{coarse}")
    for noise, name in noises.items():
        speed = rows["fine grid", noise] / rows[f"multirate {mr}", noise]
        print(f"speedup ({name}): {speed:.2f}x")
    m = f"multirate {mr}"
    print(f"multirate: draws {rows[m, 'vanishing'] - rows[m, False]:.3f} s, trials that differ "
          f"{rows[m, True] - rows[m, 'vanishing']:.3f} s of {rows[m, True]:.3f} s")
    print(f"random numbers and noise: {rows['fine grid', True] - rows['fine grid', False]:.3f} s of the fine grid's "
          f"{rows['fine grid', True]:.3f} s; goal: <= 0.5 s with noise "
          f"({'met' if rows[f'multirate {mr}', True] <= 0.5 else 'not met'})")
    phast = phast_time(N_TRIALS, 400.0, 1.2)
    if phast is None:
        print("PHAST: phastc is not importable (pip install \"hhlib[phast]\")")
    else:
        print(f"PHAST (1 thread): median {phast[0]:.3f} s, mean spikes {phast[1]:.2f}; hhlib multirate / PHAST = "
              f"{rows[f'multirate {mr}', True] / phast[0]:.1f}x, fixed grid / PHAST = "
              f"{rows['fine grid', True] / phast[0]:.1f}x (goal <= 4x)")
    print(machine())


if __name__ == "__main__":
    main()
