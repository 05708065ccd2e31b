"""Why hhlib updates the gates first: threshold error of exponential-Euler variants vs solve_ivp.

    python benchmarks/integrator_variants.py

Each variant advances (V, m, h, n) by one step of exponential Euler but orders the updates
differently. The printed numbers are the relative errors of the deterministic threshold current
(SEED_MODEL, 0.1 ms pulse, 1e-9 cm²) against the converged solve_ivp reference.
"""
from __future__ import annotations

import numpy as np

import hhlib
from hhlib.model import gate_rates, initial_state
from hhlib.reference import reference_threshold

P, AREA = hhlib.SEED_MODEL, 1e-9


def relax(v, gates, dt):
    am, bm, ah, bh, an, bn = gate_rates(v, P)
    return tuple(a / (a + b) + (x - a / (a + b)) * np.exp(-dt * (a + b))
                 for x, a, b in zip(gates, (am, ah, an), (bm, bh, bn), strict=True))


def v_step(v, gates, dt, i_density):
    m, h, n = gates
    gna, gk = P.g_na * m**3 * h, P.g_k * n**4
    g = gna + gk + P.g_l
    e = (gna * P.e_na + gk * P.e_k + P.g_l * P.e_l + i_density) / g
    return e + (v - e) * np.exp(-dt * g / P.c_m)


def step(variant, v, gates, dt, i):
    if variant == "gates first (hhlib)":
        gates = relax(v, gates, dt)
        return v_step(v, gates, dt, i), gates
    if variant == "V first":
        v = v_step(v, gates, dt, i)
        return v, relax(v, gates, dt)
    if variant == "simultaneous (old state)":
        return v_step(v, gates, dt, i), relax(v, gates, dt)
    if variant == "midpoint (2 x cost)":
        vh = v_step(v, gates, dt / 2, i)                  # predictor for V at the half step
        half = relax(vh, gates, dt / 2)                   # gates at the half step
        return v_step(v, half, dt, i), relax(vh, gates, dt)
    raise ValueError(variant)


def fires(variant, amps, dt, t_end=2.0):
    n = int(round(t_end / dt))
    w = hhlib.Pulse(1.0).unit_waveform(dt, n)
    v0, *g0 = initial_state(P)
    v = np.full(amps.shape, v0)
    gates = tuple(np.full(amps.shape, g) for g in g0)
    vmax = v.copy()
    for k in range(n):
        v, gates = step(variant, v, gates, dt, amps * w[k] / AREA)
        vmax = np.maximum(vmax, v)
    return vmax >= 60.0


def threshold(variant, dt, lo, hi):
    for _ in range(6):
        a = np.linspace(lo, hi, 17)
        k = int(np.argmax(fires(variant, a, dt)))
        lo, hi = a[k - 1], a[k]
    return 0.5 * (lo + hi)


def main():
    ref = reference_threshold(P, AREA, rtol_threshold=1e-7)
    print(f"solve_ivp threshold: {ref:.6e} µA")
    dts = (0.0025, 0.00125, 0.000625)
    print("variant".ljust(28) + "".join(f"dt={dt * 1e3:g} µs".rjust(16) for dt in dts))
    for variant in ("gates first (hhlib)", "V first", "simultaneous (old state)", "midpoint (2 x cost)"):
        errs = [threshold(variant, dt, 0.9 * ref, 1.1 * ref) / ref - 1 for dt in dts]
        print(variant.ljust(28) + "".join(f"{100 * e:+15.4f}%" for e in errs))


if __name__ == "__main__":
    main()
