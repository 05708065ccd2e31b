"""The compiled engine: a numba kernel generated for each model's structure, run on a shared thread pool.

The kernel is the numpy engine's scheme (same streams, same spike rule, same arithmetic order), fused per
lane and step, with the gates' exponential-Euler coefficients ``x_new = A(V) + B(V) x`` read from tables on
a 0.01 mV grid with linear interpolation (as NEURON's rate tables do; the threshold agrees with the exact
numpy engine to ~1e-8) and computed exactly from the model's own rate functions outside the table.

Its source is generated from the model description (:mod:`hhlib.engines._codegen`): gates and currents are
unrolled, so a Hodgkin-Huxley model compiles to the hand-written loop, and a new model needs no engine
edit. The generated module is written to a per-user kernel folder and imported from there, so numba's
on-disk cache serves later processes (rate functions that cannot be imported by name, e.g. lambdas, are
compiled in memory instead, once per process).

One kernel call advances one random stream's block of trials (time outer, trials inner, normals drawn in
the order of the numpy engine); blocks run on a pool of ``os.cpu_count()`` threads shared by the whole
process (the kernels release the GIL), so results do not depend on the number of threads. The calling
thread only waits: Ctrl-C raises a cancel flag that the kernels read every few hundred steps.
"""
from __future__ import annotations

import concurrent.futures
import math
import os
import threading
from functools import lru_cache

import numba
import numpy as np
from numba.extending import overload

from ..model import linoid
from ..seeds import stream
from ..spikes import spike_event
from . import TRIALS_PER_STREAM, V_LIMIT_MV, block_size
from ._codegen import load_kernel

__all__ = ["run", "gate_tables", "kernel_for", "TABLE_V_MIN_MV", "TABLE_V_MAX_MV", "TABLE_STEP_MV"]

TABLE_V_MIN_MV = -200.0
TABLE_V_MAX_MV = 300.0
TABLE_STEP_MV = 0.01

#: Scalar spike detector for the kernels (the same function as the numpy engine's, compiled).
spike_event_nb = numba.njit(cache=True, nogil=True, inline="always")(spike_event)


@overload(linoid)
def _linoid_scalar(x):
    """numba implementation of :func:`hhlib.model.linoid` for scalars (same formula, same branch)."""
    def impl(x):
        if abs(x) < 1e-6:
            return 1.0 - 0.5 * x
        return x / math.expm1(x)
    return impl


@lru_cache(maxsize=32)
def gate_tables(model, dt_ms: float) -> np.ndarray:
    """Exponential-Euler coefficients ``(A_1, B_1, A_2, B_2, ...)`` of every gate on the V grid, shape (n, 2 k)."""
    n = int(round((TABLE_V_MAX_MV - TABLE_V_MIN_MV) / TABLE_STEP_MV)) + 1
    v = TABLE_V_MIN_MV + TABLE_STEP_MV * np.arange(n)
    pairs = model.rates(v)
    out = np.empty((n, 2 * len(pairs)))
    for j, (a, b) in enumerate(pairs):
        decay = np.exp(-dt_ms * (a + b))
        out[:, 2 * j] = a / (a + b) * (1.0 - decay)
        out[:, 2 * j + 1] = decay
    out.setflags(write=False)
    return out


def kernel_for(model, variant: str = "current"):
    """The compiled block kernel for ``model``'s structure (gates' rate functions, currents' gate exponents);
    ``variant="channels"`` for channel noise."""
    return load_kernel(model, variant)


# ----------------------------------------------------------------------------- the thread pool
_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _shared_pool() -> concurrent.futures.ThreadPoolExecutor:
    """One pool of ``os.cpu_count()`` threads for the whole process, never replaced (safe for concurrent calls)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1,
                                                          thread_name_prefix="hhlib")
        return _pool


def _forget_pool_after_fork():
    # a forked child (e.g. a ProcessPoolExecutor worker) inherits the pool object but not its threads
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def run_on_pool(work, units, n_threads):
    """Call ``work(unit, cancel)`` for every unit on up to ``n_threads`` pool threads; Ctrl-C cancels them all.

    Each thread takes the next unit when it is free (units may cost very different times, e.g. with
    ``max_spikes`` where some conditions stop early), so the threads finish together. ``cancel`` is a
    one-element uint8 array that the kernels poll; the calling thread only waits, so a KeyboardInterrupt
    reaches it at once, raises the flag, waits for the kernels to return and re-raises.
    """
    cancel = np.zeros(1, dtype=np.uint8)
    n_lanes = min(n_threads, os.cpu_count() or 1, len(units))
    todo = iter(units)
    take = threading.Lock()

    def lane():
        while not cancel[0]:
            with take:
                unit = next(todo, None)
            if unit is None:
                return
            work(unit, cancel)

    futures = [_shared_pool().submit(lane) for _ in range(n_lanes)]
    try:
        for f in futures:
            f.result()
    except BaseException:
        cancel[0] = 1
        concurrent.futures.wait(futures)
        raise


# ----------------------------------------------------------------------------- the engine
def run(spec, units, out, lane_amp=None):
    """Fill ``out`` (a :class:`~hhlib.engines.RunOutput`) for ``units`` with the compiled kernel.

    Everything per condition (current density, noise amplitude) is computed once here; per unit, the pool
    threads only make the block's generator and its two input rows, and the kernel writes straight into
    ``out`` (each unit its own slice), so a unit holds the GIL for a few tens of µs against milliseconds
    in the kernel.
    """
    if spec.channels:
        return _run_channels(spec, units, out, lane_amp)
    model = spec.model
    kernel = kernel_for(model)
    table = gate_tables(model, spec.dt)
    state0 = model.initial_state()
    consts = np.array([spec.dt, TABLE_V_MIN_MV, 1.0 / TABLE_STEP_MV, model.c_m, model.rate_factor, state0[0],
                       spec.level, V_LIMIT_MV, float(model.ionic_equilibrium(state0[1:]))])
    g_max = np.array([c.g_max for c in model.currents], dtype=float)
    e_rev = np.array([c.e_rev for c in model.currents], dtype=float)
    x0 = np.array(state0[1:], dtype=float)
    waveform = np.ascontiguousarray(spec.waveform, dtype=float)
    use_noise = spec.root is not None
    with np.errstate(over="ignore"):                  # an infinite density is reported as non-finite
        density = spec.amp_flat / spec.area_flat if lane_amp is None else lane_amp / spec.area_flat[:, None]
    sigma = spec.noise.sigma_v_mV(model, spec.dt, spec.area_flat) if use_noise else np.zeros(spec.n_cond)
    silent = np.random.Generator(np.random.SFC64(0))  # never drawn from (no noise)

    def work(unit, cancel):
        c, b = unit
        lo = b * TRIALS_PER_STREAM
        hi = lo + block_size(b, spec.n_trials)
        gen = stream(spec.root, int(spec.ids[c]), b) if use_noise else silent
        lane_in = np.empty((2, hi - lo))
        lane_in[0] = density[c] if lane_amp is None else density[c, lo:hi]
        lane_in[1] = sigma[c]
        kernel(gen, hi - lo, TRIALS_PER_STREAM, use_noise, spec.stop_after, lane_in, waveform, table, consts, g_max,
               e_rev, x0, out.counts[c, lo:hi], out.first[c, lo:hi], out.bad[c, lo:hi], cancel)

    run_on_pool(work, units, spec.n_threads)


def _run_channels(spec, units, out, lane_amp):
    """The channel-noise kernel (:mod:`hhlib.engines.numba_channels`): same units, streams and outputs."""
    from .numba_channels import describe, sfc64_state
    model = spec.model
    kernel = kernel_for(model, "channels")
    table = gate_tables(model, spec.dt)
    state0 = model.initial_state()
    consts = np.array([spec.dt, TABLE_V_MIN_MV, 1.0 / TABLE_STEP_MV, model.c_m, model.rate_factor, state0[0],
                       spec.level, V_LIMIT_MV])
    g_max = np.array([c.g_max for c in model.currents], dtype=float)
    e_rev = np.array([c.e_rev for c in model.currents], dtype=float)
    x0 = np.array(state0[1:], dtype=float)
    stoch = np.full(len(model.currents), -1, dtype=np.int64)
    for slot, cur in enumerate(spec.channels):
        stoch[cur.index] = slot
    cdesc, init_p, n_chan, n_init, n_step, n_total = describe(spec)
    markov = spec.noise.method == "markov"
    waveform = np.ascontiguousarray(spec.waveform, dtype=float)

    def work(unit, cancel):
        c, b = unit
        size = block_size(b, spec.n_trials)
        sl = slice(b * TRIALS_PER_STREAM, b * TRIALS_PER_STREAM + size)
        amp = lane_amp[c, sl] if lane_amp is not None else np.full(size, spec.amp_flat[c])
        lane_in = np.empty((1, size))
        with np.errstate(over="ignore"):              # an infinite density is reported as non-finite
            lane_in[0] = amp / spec.area_flat[c]
        cnt, fst, bad = np.zeros(size, dtype=np.int64), np.full(size, np.nan), np.zeros(size, dtype=np.bool_)
        kernel(sfc64_state(stream(spec.root, int(spec.ids[c]), b)), size, TRIALS_PER_STREAM, markov, spec.stop_after,
               lane_in, waveform, table, consts, g_max, e_rev, x0, stoch, cdesc, init_p,
               np.ascontiguousarray(n_chan[:, c]), n_init, n_step, n_total, cnt, fst, bad, cancel)
        out.counts[c, sl], out.first[c, sl], out.bad[c, sl] = cnt, fst, bad

    run_on_pool(work, units, spec.n_threads)
