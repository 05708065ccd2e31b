"""Channel-number noise on the seed's node: the measurements behind the defaults and the README.

    python benchmarks/channel_noise_study.py [--quick] [--parts spont,rs,dt,hh1952]

SEED_MODEL (conductances x10, rates x12) with ChannelNoise(600, 180) (20 pS channels), the seed's pulse
(0.1 ms at 0.1 ms, 2 ms simulated, spike = the engines' rule, first spike only). The area sets the channel
counts (N_Na = 600 per µm², N_K = 180 per µm²). Prints:

1. ``spont``: the spontaneous fraction (trials that fire with no stimulus within 2 ms) against N_Na;
2. ``rs``: x50 (in units of the deterministic threshold) and RS against N_Na for both methods, from
   per-trial thresholds (common random numbers) summarised by a probit fit with a floor p0
   (``hhlib.probit_fit(..., floor=True)``) and the spontaneous fraction, the slope of log RS against
   log N_Na where spontaneous firing is negligible, and diffusion / markov ratios;
3. ``dt``: firing probability at three fixed amplitudes (about x50 - RS, x50, x50 + RS) for
   dt = 10, 5, 2.5, 1, 0.5 µs, both methods, with its binomial standard error;
4. ``hh1952``: diffusion against the Markov chain for HH1952 (60 Na + 18 K per µm², 6.3 °C, 0.1 ms pulse,
   10 ms window, dt = 10 µs) at 250, 1000 and 4000 Na channels: floor p0, and x50 (± its standard error)
   and RS of the curve above the floor (``hhlib.studies.noise_models.quantile_summary``, as notebook 05
   does for SEED_MODEL).

Everything is seeded; the numbers quoted in the README come from one run of this script (machine printed).
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

import hhlib
from hhlib.thresholds import firing_probability_from_thresholds, trial_thresholds

MODEL = hhlib.SEED_MODEL
DENSITY_NA = 600.0
METHODS = ("markov", "diffusion")


def area_for(n_na):
    """Area (cm²) holding ``n_na`` sodium channels at 600 per µm²."""
    return n_na / DENSITY_NA / 1e8


def noise(method):
    return hhlib.ChannelNoise(DENSITY_NA, 180.0, method=method)


def spontaneous(n_values, n_trials):
    print(f"\n## 1. Spontaneous fraction (no stimulus, 2 ms, {n_trials} trials, seed 5)")
    print(f"{'N_Na':>8} {'N_K':>7} " + " ".join(f"{m:>18}" for m in METHODS))
    for n_na in n_values:
        row = []
        for m in METHODS:
            p = float(hhlib.simulate(MODEL, hhlib.Pulse(0.0), area_for(n_na), n_trials, seed=5, noise=noise(m),
                                     stop_after=1, max_spikes=1).firing_probability)
            row.append(f"{p:.4f} ± {np.sqrt(p * (1 - p) / n_trials):.4f}")
        n_k = noise("markov").channel_counts(MODEL, area_for(n_na))["k"]
        print(f"{n_na:>8} {n_k:>7} " + " ".join(f"{r:>18}" for r in row), flush=True)


def summarise(thr, i_det):
    """x50/i_det, RS, fitted floor p0 and the spontaneous fraction (threshold 0) of per-trial thresholds: a
    probit fit with a floor p0 on their ECDF at 25 quantiles (at large N the fitted p0 of ~0.007 takes up
    a slightly heavy lower tail; without the floor RS is ~2 % larger there, x50 ~0.2 % smaller)."""
    spont = float(np.mean(thr == 0))
    finite = thr[np.isfinite(thr) & (thr > 0)]
    levels = np.unique(np.quantile(finite, np.linspace(0.02, 0.98, 25)))
    k = np.round(firing_probability_from_thresholds(thr, levels) * thr.size).astype(int)
    fit = hhlib.probit_fit(levels / i_det, k, thr.size, floor=True)
    return fit.x50, fit.rs, fit.p0, spont


def rs_table(n_values, n_trials):
    print(f"\n## 2. x50 and RS against N_Na (per-trial thresholds, {n_trials} trials, seed 1; probit fit with "
          "floor p0)")
    print(f"{'N_Na':>8} {'method':>10} {'x50/I_det':>10} {'RS':>8} {'p0':>7} {'spont':>7} {'seconds':>8}")
    out = {}
    for n_na in n_values:
        area = area_for(n_na)
        i_det = hhlib.threshold_current(MODEL, area)
        for m in METHODS:
            t0 = time.perf_counter()
            thr = trial_thresholds(MODEL, area, n_trials, seed=1, noise=noise(m))
            x50, rs, p0, spont = summarise(thr, i_det)
            out[m, n_na] = (x50, rs, p0, spont)
            print(f"{n_na:>8} {m:>10} {x50:>10.4f} {rs:>8.4f} {p0:>7.4f} {spont:>7.4f} "
                  f"{time.perf_counter() - t0:>8.1f}", flush=True)
    big = [n for n in n_values if max(out[m, n][3] for m in METHODS) < 0.005]
    for m in METHODS:
        if len(big) >= 2:
            slope = np.polyfit(np.log(big), np.log([out[m, n][1] for n in big]), 1)[0]
            print(f"slope of log RS vs log N_Na ({m}, N_Na {big[0]}..{big[-1]}, spontaneous < 0.5 %): {slope:.3f}")
    print("\ndiffusion vs markov:")
    print(f"{'N_Na':>8} {'x50 ratio':>10} {'RS ratio':>9}")
    for n in n_values:
        (xm, rm, *_), (xd, rd, *_) = out["markov", n], out["diffusion", n]
        print(f"{n:>8} {xd / xm:>10.4f} {rd / rm:>9.3f}")
    return out


def dt_study(n_na, n_trials, dts_us, out):
    area = area_for(n_na)
    i_det = hhlib.threshold_current(MODEL, area)
    print(f"\n## 3. Firing probability against dt (N_Na = {n_na}, {n_trials} trials per amplitude, seed 3)")
    for m in METHODS:
        x50, rs, *_ = out.get((m, n_na), (1.0, 0.25))
        amps = i_det * x50 * np.array([1 - rs, 1.0, 1 + rs])
        print(f"{m}: amplitudes {np.round(amps / i_det, 4)} x I_det")
        print(f"{'dt (µs)':>8} " + " ".join(f"{'P' + str(i):>16}" for i in range(3)) + f" {'seconds':>8}")
        for dt_us in dts_us:
            t0 = time.perf_counter()
            p = hhlib.firing_probability(MODEL, amps, area, n_trials, seed=3, noise=noise(m), dt_ms=dt_us / 1000)
            se = np.sqrt(p * (1 - p) / n_trials)
            print(f"{dt_us:>8} " + " ".join(f"{pi:>8.4f} ± {si:.4f}" for pi, si in zip(p, se, strict=True))
                  + f" {time.perf_counter() - t0:>8.1f}", flush=True)


def hh1952_table(n_values, n_trials):
    from hhlib.studies.noise_models import quantile_summary
    kw = dict(t_end_ms=10.0, dt_ms=0.01)              # the default stimulus: 0.1 ms pulse at 0.1 ms
    print(f"\n## 4. HH1952: diffusion vs Markov above the spontaneous floor ({n_trials} trials, seed 5)")
    print(f"{'N_Na':>8} {'method':>10} {'p0':>7} {'x50/I_det':>18} {'RS':>8} {'seconds':>8}")
    for n_na in n_values:
        area = n_na / 60.0 / 1e8
        i_det = hhlib.threshold_current(hhlib.HH1952, area, **kw)
        for m in METHODS:
            t0 = time.perf_counter()
            thr = trial_thresholds(hhlib.HH1952, area, n_trials, seed=5,
                                   noise=hhlib.ChannelNoise(60.0, 18.0, method=m), **kw)
            x50, rs, p0, se = quantile_summary(np.asarray(thr).ravel(), i_det)
            print(f"{n_na:>8} {m:>10} {float(p0):>7.3f} {float(x50):>9.4f} ± {float(se):.4f} {float(rs):>8.4f} "
                  f"{time.perf_counter() - t0:>8.1f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer trials and N values (a smoke run)")
    ap.add_argument("--parts", default="spont,rs,dt,hh1952")
    args = ap.parse_args()
    parts = args.parts.split(",")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; hhlib {hhlib.__version__}")
    t0 = time.perf_counter()
    if args.quick:
        spont_n, rs_n, trials, dt_trials, dts = [1000, 16000], [16000, 64000], 400, 1000, [10, 2.5]
    else:
        spont_n = [250, 500, 1000, 2000, 4000, 8000, 16000, 32000]
        rs_n, trials, dt_trials, dts = [1000, 4000, 16000, 64000, 256000], 2000, 5000, [10, 5, 2.5, 1, 0.5]
    out = {}
    if "spont" in parts:
        spontaneous(spont_n, 4000 if not args.quick else 1000)
    if "rs" in parts:
        out = rs_table(rs_n, trials)
    if "dt" in parts:
        dt_study(16000, dt_trials, dts, out)
    if "hh1952" in parts:
        hh1952_table([1000, 4000] if args.quick else [250, 1000, 4000], 500 if args.quick else 2000)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
