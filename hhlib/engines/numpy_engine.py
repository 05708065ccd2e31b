"""The numpy engine: the vectorised reference implementation, generic over the model description.

Numerical scheme (chosen by measuring against the converged ``solve_ivp`` reference, see
``benchmarks/integrator_variants.py``), per step of length ``dt``:

1. gates first: each gate relaxes *exactly* towards its steady state at the current voltage,
   ``x <- x_inf(V) + (x - x_inf(V)) exp(-dt k (alpha + beta))``;
2. then the voltage, exactly for conductances frozen over the step with the *new* gates
   (unconditionally stable): ``V <- V_inf + (V - V_inf) exp(-dt g_tot / c)``;
3. then the noise, Euler-Maruyama (:meth:`hhlib.CurrentNoise.sigma_v_mV` per N(0,1));
4. then the spike detector (:mod:`hhlib.spikes`) on V and the ionic equilibrium potential.

This staggered ordering is second order in dt for the threshold; updating V and gates simultaneously
from the old state is first order. Lanes (condition x trial pairs) are advanced together in chunks.
"""
from __future__ import annotations

import numpy as np

from ..seeds import stream
from ..spikes import spike_events
from . import TRIALS_PER_STREAM, V_LIMIT_MV, block_size

__all__ = ["run", "NOISE_BLOCK_STEPS", "current_product"]

#: Time steps of noise drawn at once per stream.
NOISE_BLOCK_STEPS = 64


def run(spec, units, out, lane_amp=None):
    """Fill ``out`` (a :class:`~hhlib.engines.RunOutput`) for ``units``, ``spec.chunk`` lanes at a time."""
    start = 0
    while start < len(units):
        stop, lanes = start, 0
        while stop < len(units) and (stop == start or lanes + TRIALS_PER_STREAM <= spec.chunk):
            lanes += block_size(units[stop][1], spec.n_trials)
            stop += 1
        _run_chunk(spec, units[start:stop], out, lane_amp)
        start = stop


def current_product(gate_values, current, index):
    """``prod(x_i ** p_i)`` of a current's gates, multiplied left to right in its gate order (x⁴ as (x²)²).

    The numba kernel generator writes the same products, so both engines round alike.
    """
    prod = None
    for name, p in current.gates:
        x = gate_values[index[name]]
        f = (x * x) * (x * x) if p == 4 else (x * x * x if p == 3 else x ** p)
        prod = f if prod is None else prod * f
    return prod


class _Lanes:
    """Flat lane layout of a chunk: condition and trial of every lane, its current density at unit waveform."""

    def __init__(self, spec, units, lane_amp):
        self.sizes = [block_size(b, spec.n_trials) for _, b in units]
        self.cond = np.concatenate([np.full(s, c) for (c, _), s in zip(units, self.sizes, strict=True)])
        self.trial = np.concatenate([np.arange(b * TRIALS_PER_STREAM, b * TRIALS_PER_STREAM + s)
                                     for (_, b), s in zip(units, self.sizes, strict=True)])
        amp = lane_amp[self.cond, self.trial] if lane_amp is not None else spec.amp_flat[self.cond]
        with np.errstate(over="ignore"):                 # an infinite density is reported as non-finite
            self.i_density = amp / spec.area_flat[self.cond]          # µA/cm² at unit waveform
        self.n = int(sum(self.sizes))


class _NoiseBlocks:
    """Standard normals of a chunk's streams, :data:`NOISE_BLOCK_STEPS` steps at a time, in stream order."""

    def __init__(self, spec, units, lanes):
        self.sizes, self.n_steps = lanes.sizes, spec.n_steps
        self.sigma_v = spec.noise.sigma_v_mV(spec.model, spec.dt, spec.area_flat[lanes.cond])   # mV per N(0,1)
        self.gens = [stream(spec.root, int(spec.ids[c]), b) for c, b in units]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        self.buf = np.empty((NOISE_BLOCK_STEPS, lanes.n))

    def at(self, step):
        if step % NOISE_BLOCK_STEPS == 0:
            nb = min(NOISE_BLOCK_STEPS, self.n_steps - step)
            for j, gen in enumerate(self.gens):
                draws = gen.standard_normal((nb, TRIALS_PER_STREAM))
                self.buf[:nb, self.offsets[j]:self.offsets[j + 1]] = draws[:, :self.sizes[j]]
        return self.buf[step % NOISE_BLOCK_STEPS]


def _relax_gates(model, v, gates, dt):
    """Every gate relaxes exactly towards its steady state at V over dt (in place)."""
    k = model.rate_factor
    for x, gate in zip(gates, model.gates, strict=True):
        a = k * gate.alpha(v)
        rate = a + k * gate.beta(v)
        x_inf = a / rate
        x -= x_inf
        x *= np.exp(rate * -dt)
        x += x_inf


def _conductance(model, gates, index):
    """Total conductance and ``sum g_i E_i`` (mS/cm², mS/cm² mV) of the model's currents at these gates."""
    g_tot = num = None
    for c in model.currents:
        g = c.g_max if not c.gates else current_product(gates, c, index) * c.g_max
        g_tot = g if g_tot is None else g_tot + g
        num = g * c.e_rev if num is None else num + g * c.e_rev
    return g_tot, num


def _run_chunk(spec, units, out, lane_amp):
    model, dt = spec.model, spec.dt
    lanes = _Lanes(spec, units, lane_amp)
    L, index = lanes.n, {name: i for i, name in enumerate(model.gate_names)}
    state0 = model.initial_state()
    v, gates = np.full(L, state0[0]), [np.full(L, x) for x in state0[1:]]
    e_old = np.broadcast_to(np.asarray(model.ionic_equilibrium(state0[1:]), dtype=float), (L,)).copy()
    noise = _NoiseBlocks(spec, units, lanes) if spec.root is not None else None
    cnt, first_t, armed = np.zeros(L, dtype=np.int64), np.full(L, np.nan), np.ones(L, dtype=bool)
    diverged = np.zeros(L, dtype=bool)
    rec = _Recorder(spec, model, L, state0) if spec.record else None
    with np.errstate(all="ignore"):                   # non-finite states are reported, by condition
        for step in range(spec.n_steps):
            _relax_gates(model, v, gates, dt)
            g, num = _conductance(model, gates, index)
            w = spec.waveform[step]
            v_inf = (num + lanes.i_density * w if w != 0.0 else num) / np.broadcast_to(g, (L,))
            v_old = v
            v = v_inf + (v - v_inf) * np.exp(g * (-dt / model.c_m))
            if noise is not None:
                v += noise.sigma_v * noise.at(step)
            e_new = np.broadcast_to(num / g, (L,))
            fired, frac = spike_events(armed, v_old, v, e_old, e_new, spec.level)
            if fired.any():
                idx = np.flatnonzero(fired)
                cnt[idx] += 1
                fresh = idx[np.isnan(first_t[idx])]
                first_t[fresh] = (step + frac[fresh]) * dt
            diverged |= _diverged(spec, v, e_new, cnt, fired)
            e_old = e_new
            if rec is not None:
                rec.store(step + 1, v, gates)
    out.counts[lanes.cond, lanes.trial] = cnt
    out.first[lanes.cond, lanes.trial] = first_t
    out.bad[lanes.cond, lanes.trial] = diverged
    if rec is not None:
        rec.write(out.traces, lanes)


def _diverged(spec, v, e, cnt, fired):
    """Lanes whose state left the finite range this step (as the compiled engine: stopped lanes excluded)."""
    bad = ~((np.abs(v) <= V_LIMIT_MV) & np.isfinite(e))
    if spec.stop_after > 0:
        bad &= (cnt < spec.stop_after) | (fired & (cnt == spec.stop_after))
    return bad


class _Recorder:
    """Traces of V and every gate of a chunk, ``(lanes, n_steps + 1)`` each."""

    def __init__(self, spec, model, n_lanes, state0):
        self.names = ("v_mV",) + model.gate_names
        self.data = {k: np.empty((n_lanes, spec.n_steps + 1)) for k in self.names}
        for k, x0 in zip(self.names, state0, strict=True):
            self.data[k][:, 0] = x0

    def store(self, i, v, gates):
        self.data["v_mV"][:, i] = v
        for k, x in zip(self.names[1:], gates, strict=True):
            self.data[k][:, i] = x

    def write(self, traces, lanes):
        for k in self.names:
            traces[k][lanes.cond, lanes.trial, :] = self.data[k]
