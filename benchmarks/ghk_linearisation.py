"""Chord or slope? How a GHK current enters hhlib's exponential-Euler step: threshold error vs solve_ivp.

    python benchmarks/ghk_linearisation.py          # about a minute on 2 cores

The engines freeze every current over a step as a conductance and a reversal taken at the step's V. For a
Goldman-Hodgkin-Katz current that is either its *chord* conductance ``I(V) / (V - E_Nernst)`` with the fixed
Nernst reversal (what hhlib does) or its *slope* conductance ``dI/dV`` with the reversal ``V - I / (dI/dV)``.
This script integrates :data:`hhlib.models.FH1964` with hhlib's scheme (gates relaxed exactly at V, then V
exactly for frozen conductances, then the spike rule on the chord ``E_ion``) both ways, and prints the
relative error of the deterministic pulse threshold against :func:`hhlib.reference.reference_threshold`; for
the chord it also prints the engine's own threshold (which it must equal). The numbers are in the
docstring of :mod:`hhlib.model.ghk`.
"""
from __future__ import annotations

import numpy as np

import hhlib
from hhlib.models import FH1964 as MODEL
from hhlib.reference import reference_threshold
from hhlib.spikes import DEFAULT_LEVEL_MV, spike_events

AREA, T_END, DELAY = 1e-6, 2.0, 0.1


def linearised(v, gates, mode):
    """``(g, g E)`` of all currents linearised at ``v`` (``mode`` "chord" or "slope"), and the chord ``E_ion``."""
    index = {g.name: i for i, g in enumerate(MODEL.gates)}
    params, revs = MODEL.current_params(), MODEL.reversals()
    g_tot = num = gc_tot = num_c = 0.0
    for i, c in enumerate(MODEL.currents):
        x = c.g_max
        for name, p in c.gates:
            x = x * gates[index[name]] ** p
        gc = x if c.factor is None else x * c.factor(v, *params[i])
        g, n = gc, gc * revs[i]
        if c.factor is not None and mode == "slope":
            def current(vv, x=x, i=i, c=c):
                return x * c.factor(vv, *params[i]) * (vv - revs[i])
            h = 1e-3                                                   # mV; central difference, error ~1e-9
            g = (current(v + h) - current(v - h)) / (2 * h)
            n = g * v - current(v)                                     # I ~ g V - (g v - I(v))
        g_tot, num, gc_tot, num_c = g_tot + g, num + n, gc_tot + gc, num_c + gc * revs[i]
    return g_tot, num, num_c / gc_tot


def fires(amps, dt, duration, mode):
    """Whether each amplitude (µA) of a ``duration`` ms pulse fires, by hhlib's scheme with ``mode``."""
    s0 = MODEL.initial_state()
    v, gates = np.full(amps.size, s0[0]), [np.full(amps.size, x) for x in s0[1:]]
    on0, on1 = int(round(DELAY / dt)), int(round((DELAY + duration) / dt))
    e_old = linearised(v, gates, mode)[2]
    armed, fired = np.ones(amps.size, bool), np.zeros(amps.size, bool)
    for step in range(int(round(T_END / dt))):
        for x, gate in zip(gates, MODEL.gates, strict=True):
            a = MODEL.rate_factor * gate.alpha(v)
            rate = a + MODEL.rate_factor * gate.beta(v)
            x -= a / rate
            x *= np.exp(rate * -dt)
            x += a / rate
        g, num, e_new = linearised(v, gates, mode)
        v_inf = (num + (amps / AREA if on0 <= step < on1 else 0.0)) / g
        v_old, v = v, v_inf + (v - v_inf) * np.exp(g * (-dt / MODEL.c_m))
        fired |= spike_events(armed, v_old, v, e_old, e_new, DEFAULT_LEVEL_MV)[0]
        e_old = e_new
    return fired


def threshold(dt, duration, mode, lo, hi, rtol=1e-7):
    """Threshold (µA) by 32-section between ``lo`` (silent) and ``hi`` (fires)."""
    while hi / lo - 1 > rtol:
        grid = np.linspace(lo, hi, 33)
        j = int(np.argmax(fires(grid, dt, duration, mode)))
        if j == 0:
            raise RuntimeError("the bracket does not hold the threshold")
        lo, hi = grid[j - 1], grid[j]
    return hi


def main():
    for duration, dts in ((0.1, (0.0025, 0.00125)), (0.02, (0.0025,)), (1.0, (0.0025,))):
        stim = hhlib.Pulse(1.0, delay_ms=DELAY, duration_ms=duration)
        ref = reference_threshold(MODEL, AREA, stimulus=stim, t_end_ms=T_END, rtol_threshold=1e-8)
        print(f"{duration} ms pulse: reference threshold {ref:.7g} µA")
        for dt in dts:
            eng = float(hhlib.threshold_current(MODEL, AREA, stimulus=stim, dt_ms=dt, t_end_ms=T_END, rtol=1e-8))
            chord, slope = (threshold(dt, duration, m, 0.5 * ref, 1.5 * ref) for m in ("chord", "slope"))
            print(f"  dt {dt * 1e3:g} µs: engine {100 * (eng / ref - 1):+.4f} %, chord {100 * (chord / ref - 1):+.4f} %"
                  f", slope {100 * (slope / ref - 1):+.4f} %")


if __name__ == "__main__":
    main()
