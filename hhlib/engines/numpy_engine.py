"""The numpy engine: the vectorised reference implementation, generic over the model description.

Numerical scheme (chosen by measuring against the converged ``solve_ivp`` reference, see
``benchmarks/integrator_variants.py``), per step of length ``dt``:

1. gates first: each gate relaxes *exactly* towards its steady state at the current voltage,
   ``x <- x_inf(V) + (x - x_inf(V)) exp(-dt k (alpha + beta))``;
2. then the voltage, exactly for conductances frozen over the step with the *new* gates
   (unconditionally stable): ``V <- V_inf + (V - V_inf) exp(-dt g_tot / c)``;
3. then the noise, Euler-Maruyama (:meth:`hhlib.CurrentNoise.sigma_v_mV` per N(0,1));
4. then the spike detector (:mod:`hhlib.spikes`) on V and the ionic equilibrium potential.

With :class:`hhlib.ChannelNoise`, step 1 also advances the channel states of the stochastic currents
exactly for V frozen over the step (:mod:`hhlib.channels`), step 2 uses their open fractions as
``prod(x_i ** p_i)`` of those currents, and step 3 is left out.

This staggered ordering is second order in dt for the threshold; updating V and gates simultaneously
from the old state is first order. Lanes (condition x trial pairs) are advanced together in chunks.
"""
from __future__ import annotations

import numpy as np

from .. import channels as ch
from ..noise import CurrentNoise
from ..seeds import stream
from ..spikes import spike_events
from .common import TRIALS_PER_STREAM, block_size
from .diagnosis import V_LIMIT_MV

__all__ = ["run", "NOISE_BLOCK_STEPS", "current_product"]

#: Time steps of noise drawn at once per stream.
NOISE_BLOCK_STEPS = 64


def run(spec, units, out, lane_inputs):
    """Fill ``out`` (a :class:`~hhlib.engines.RunOutput`) for ``units``, ``spec.chunk`` lanes at a time
    (``lane_inputs``: :class:`~hhlib.engines.LaneInputs`)."""
    start = 0
    while start < len(units):
        stop, lanes = start, 0
        while stop < len(units) and (stop == start or lanes + TRIALS_PER_STREAM <= spec.chunk):
            lanes += block_size(units[stop][1], spec.n_trials)
            stop += 1
        _run_chunk(spec, units[start:stop], out, lane_inputs)
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
    """Flat lane layout of a chunk: condition and trial of every lane, its stimulus density per part, its stop."""

    def __init__(self, spec, units, lane_inputs):
        self.sizes = [block_size(b, spec.n_trials) for _, b in units]
        self.cond = np.concatenate([np.full(s, c) for (c, _), s in zip(units, self.sizes, strict=True)])
        self.trial = np.concatenate([np.arange(b * TRIALS_PER_STREAM, b * TRIALS_PER_STREAM + s)
                                     for (_, b), s in zip(units, self.sizes, strict=True)])
        spans = [(c, b * TRIALS_PER_STREAM, b * TRIALS_PER_STREAM + s) for (c, b), s in zip(units, self.sizes,
                                                                                              strict=True)]
        self.density = np.concatenate([lane_inputs.densities(spec, *span) for span in spans], axis=1)   # (P, L)
        self.stop = np.concatenate([lane_inputs.stops(spec, *span) for span in spans])
        self.n = int(sum(self.sizes))

    def stimulus(self, waveforms, step):
        """Stimulus current density of every lane over ``step``, µA/cm² (None where no part is on)."""
        total = None
        for p in np.flatnonzero(waveforms[:, step]):
            term = self.density[p] * waveforms[p, step]
            total = term if total is None else total + term
        return total


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


def _conductance(model, v, gates, index, open_fraction=None):
    """Total conductance and ``sum g_i E_i`` (mS/cm², mS/cm² mV) of the model's currents at V and these gates
    (stochastic currents: their maximal value times their open fraction, from ``open_fraction`` by current
    index). A current whose conductance depends on V itself (a GHK current's chord conductance) multiplies its
    ``factor(V, *params)``."""
    g_tot = num = None
    params, e_rev = model.current_params(), model.reversals()
    for i, c in enumerate(model.currents):
        if open_fraction is not None and i in open_fraction:
            g = open_fraction[i] * c.g_max
        else:
            g = c.g_max if not c.gates else current_product(gates, c, index) * c.g_max
        if c.factor is not None:
            g = g * c.factor(v, *params[i])
        g_tot = g if g_tot is None else g_tot + g
        num = g * e_rev[i] if num is None else num + g * e_rev[i]
    return g_tot, num


class _Spikes:
    """The recorders of a chunk: spike counts, the first ``max_spikes`` spike times, non-finite lanes.

    A lane stops being followed once it has ``stop`` spikes (0: never): later spikes and divergences are
    ignored, as in the compiled engine, which stops integrating it.
    """

    def __init__(self, spec, lanes):
        self.cnt = np.zeros(lanes.n, dtype=np.int64)
        self.times = np.full((lanes.n, spec.max_spikes), np.nan)
        self.armed = np.ones(lanes.n, dtype=bool)
        self.bad = np.zeros(lanes.n, dtype=bool)
        self.stop = lanes.stop
        self.level, self.dt = spec.level, spec.dt

    def step(self, step, v_old, v_new, e_old, e_new):
        live = (self.stop == 0) | (self.cnt < self.stop)
        fired, frac = spike_events(self.armed, v_old, v_new, e_old, e_new, self.level)
        fired &= live
        if fired.any():
            idx = np.flatnonzero(fired)
            slot = self.cnt[idx]
            keep = slot < self.times.shape[1]
            self.times[idx[keep], slot[keep]] = (step + frac[idx[keep]]) * self.dt
            self.cnt[idx] += 1
        self.bad |= live & ~((np.abs(v_new) <= V_LIMIT_MV) & np.isfinite(e_new))

    def write(self, out, lanes):
        out.counts[lanes.cond, lanes.trial] = self.cnt
        out.times[lanes.cond, lanes.trial] = self.times
        out.bad[lanes.cond, lanes.trial] = self.bad


def _v_step(model, dt, v, g, num, stim):
    """V relaxes exactly towards ``(num + stim) / g`` over dt, conductances frozen."""
    v_inf = (num + stim if stim is not None else num) / np.broadcast_to(g, v.shape)
    return v_inf + (v - v_inf) * np.exp(g * (-dt / model.c_m))


def _run_chunk(spec, units, out, lane_inputs):
    model, dt = spec.model, spec.dt
    lanes = _Lanes(spec, units, lane_inputs)
    L, index = lanes.n, {name: i for i, name in enumerate(model.gate_names)}
    state0 = model.initial_state()
    v, gates = np.full(L, state0[0]), [np.full(L, x) for x in state0[1:]]
    noise = _NoiseBlocks(spec, units, lanes) if isinstance(spec.noise, CurrentNoise) else None
    chan = _Channels(spec, units, lanes) if spec.channels else None
    e_old = np.asarray(num_g(model, v, gates, index, None if chan is None else chan.open_fraction()), dtype=float)
    spikes = _Spikes(spec, lanes)
    rec = _Recorder(spec, model, L, state0, chan) if spec.record else None
    with np.errstate(all="ignore"):                   # non-finite states are reported, by condition
        for step in range(spec.n_steps):
            if chan is not None:
                chan.step(step, v)
            _relax_gates(model, v, gates, dt)
            g, num = _conductance(model, v, gates, index, None if chan is None else chan.open_fraction())
            v_old = v
            v = _v_step(model, dt, v, g, num, lanes.stimulus(spec.waveforms, step))
            if noise is not None:
                v += noise.sigma_v * noise.at(step)
            e_new = np.broadcast_to(num / g, (L,))
            spikes.step(step, v_old, v, e_old, e_new)
            e_old = e_new
            if rec is not None:
                rec.store(step + 1, v, gates, chan)
    spikes.write(out, lanes)
    if rec is not None:
        rec.write(out.traces, lanes)


def num_g(model, v, gates, index, open_fraction):
    """Ionic equilibrium potential ``sum g_i E_i / sum g_i`` (mV) at V, with stochastic open fractions."""
    g, num = _conductance(model, v, gates, index, open_fraction)
    return np.broadcast_to(num / g, np.shape(v))


class _Channels:
    """Channel states of a chunk's stochastic currents, their random numbers, and their exact steps."""

    def __init__(self, spec, units, lanes):
        self.spec, self.plan, self.method = spec, spec.channels, spec.noise.method
        self.n_lanes = lanes.n
        self.n_chan = spec.channel_n[:, lanes.cond]                        # (n_currents, L)
        self.inv_n = 1.0 / self.n_chan
        self.per_step = ch.draws_per_step(self.plan, self.method)
        self.sizes = lanes.sizes
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        self.gens = [stream(spec.root, int(spec.ids[c]), b) for c, b in units]
        init = self._draw(ch.draws_initial(self.plan), 1)[0]              # (L, n_init)
        self.state, col = [], 0
        for i, cur in enumerate(self.plan):
            pi = ch.stationary_distribution(spec.model, cur, 0.0)
            block = init[:, col:col + cur.n_states - 1]
            col += cur.n_states - 1
            if self.method == "markov":
                self.state.append(ch.initial_counts(pi, self.n_chan[i], block))
            else:
                self.state.append(ch.initial_fractions(pi, self.inv_n[i], block))
        self.buf = None

    def _draw(self, per_lane, n_steps):
        """``(n_steps, L, per_lane)`` uniforms or normals, every stream drawing ``(n_steps, 256, per_lane)``."""
        out = np.empty((n_steps, self.n_lanes, per_lane))
        for j, gen in enumerate(self.gens):
            shape = (n_steps, TRIALS_PER_STREAM, per_lane)
            draws = gen.random(shape) if self.method == "markov" else gen.standard_normal(shape)
            out[:, self.offsets[j]:self.offsets[j + 1]] = draws[:, :self.sizes[j]]
        return out

    def step(self, step, v):
        """Advance every stochastic current over one step at the voltage ``v`` (frozen)."""
        if step % NOISE_BLOCK_STEPS == 0:
            self.buf = self._draw(self.per_step, min(NOISE_BLOCK_STEPS, self.spec.n_steps - step))
        rand = self.buf[step % NOISE_BLOCK_STEPS]
        ab = ch.exact_a_b(self.spec.model, v, self.spec.dt)
        r = 0
        for i, cur in enumerate(self.plan):
            q = [ch.gate_transition(p, *ab[g]) for g, p in zip(cur.gates, cur.powers, strict=True)]
            if self.method == "markov":
                self.state[i], r = ch.markov_step(self.state[i], cur, q, rand, r)
            else:
                self.state[i], r = ch.diffusion_step(self.state[i], cur, q, self.inv_n[i], rand, r)

    def fractions(self, i):
        """State fractions of current ``i``, (S, L)."""
        return self.state[i] * self.inv_n[i] if self.method == "markov" else self.state[i]

    def open_fraction(self):
        """Open fraction of every stochastic current, by current index in the model."""
        return {cur.index: self.fractions(i)[cur.open_state] for i, cur in enumerate(self.plan)}

    def gate_values(self):
        """Particle fractions of the gates of stochastic currents, by gate index (first current wins)."""
        out = {}
        for i, cur in enumerate(self.plan):
            for pos, g in enumerate(cur.gates):
                out.setdefault(g, ch.particle_fraction(cur, pos, self.fractions(i)))
        return out


class _Recorder:
    """Traces of V, every gate and the stochastic currents' open fractions of a chunk, ``(lanes, n_steps + 1)``.

    With channel noise, a gate of a stochastic current is recorded as its channels' fraction of open
    particles; ``"open_<current>"`` holds each stochastic current's open (conducting) fraction.
    """

    def __init__(self, spec, model, n_lanes, state0, chan=None):
        self.gate_names = model.gate_names
        self.open_names = tuple(f"open_{c.name}" for c in spec.channels)
        self.names = ("v_mV",) + self.gate_names + self.open_names
        self.data = {k: np.empty((n_lanes, spec.n_steps + 1)) for k in self.names}
        for k, x0 in zip(self.names, state0, strict=False):
            self.data[k][:, 0] = x0
        if chan is not None:
            self._store_channels(0, chan)

    def _store_channels(self, i, chan):
        for g, x in chan.gate_values().items():
            self.data[self.gate_names[g]][:, i] = x
        for k, x in zip(self.open_names, chan.open_fraction().values(), strict=True):
            self.data[k][:, i] = x

    def store(self, i, v, gates, chan=None):
        self.data["v_mV"][:, i] = v
        for k, x in zip(self.gate_names, gates, strict=True):
            self.data[k][:, i] = x
        if chan is not None:
            self._store_channels(i, chan)

    def write(self, traces, lanes):
        for k in self.names:
            traces[k][lanes.cond, lanes.trial, :] = self.data[k]
