"""The GPU engine: one CUDA thread per trial (numba-cuda), counter-based noise, float64 or float32.

Use it with ``engine="cuda"`` (``pip install 'hhlib[gpu]'`` installs numba-cuda; an NVIDIA GPU and driver
are needed). Every thread integrates one trial with the membrane step the CPU kernel runs (generated once,
:mod:`hhlib.engines.step`, inside the GPU template of :mod:`hhlib.engines.cuda_kernels`) and draws its
normals from Philox4x32-10 keyed by ``(seed, stream id, trial, step)`` (:mod:`hhlib.engines._philox`), so the
counts depend on the seed and never on the launch configuration; they are statistically equal, not identical,
to the CPU engines' (which draw from per-block SFC64 streams). Without noise it is the CPU kernel, run on the
GPU: the same coefficient tables, the same arithmetic order.

``precision="float32"`` runs the kernel in single precision with fast math (several times faster on
GPUs); float64 is the default. Channel noise (:class:`hhlib.ChannelNoise`) runs in float64 only: each thread
keeps its channel states in a local array and advances them with the CPU kernel's own unrolled steps,
compiled as device functions (:mod:`hhlib.engines._cuda_channels`), drawing its uniforms or normals from
Philox keyed by ``(seed, stream id, trial, step, draw index)``.
"""
from __future__ import annotations

import threading

import numpy as np

from ..noise import CurrentNoise
from . import step as step_gen
from ._philox import MASK32, key_of
from .common import TRIALS_PER_STREAM, block_size
from .cuda_kernels import PRECISIONS, load_cuda_kernel
from .cuda_support import cuda, simulator_active, unavailable_reason

__all__ = ["run", "simulate_lanes", "unavailable_reason", "simulator_active", "THREADS_PER_BLOCK",
           "LANES_PER_LAUNCH", "GATE_RATES", "PRECISIONS"]

#: Threads per CUDA block (speed only, never results).
THREADS_PER_BLOCK = 128
#: Threads per block when numba's CUDA simulator runs the kernel (blocks run one after another; see ``_launch``).
SIMULATOR_THREADS_PER_BLOCK = 1
#: Trials per kernel launch: a Ctrl-C takes effect between launches (speed only, never results).
LANES_PER_LAUNCH = 1 << 22
#: ``"table"``: gate coefficients from the CPU engine's tables (exact outside them); ``"exact"``: always from
#: the rate functions (float64 arithmetic inside them). Same results to ~1e-8; for benchmarks.
GATE_RATES = "table"

_kernels: dict = {}
_tables: dict = {}
_lock = threading.Lock()


def _kernel(model, precision, variant="current"):
    key = (step_gen.structure_key(model), tuple(fn for _, fn in step_gen.model_functions(model)),
           tuple((c.name, c.gates) for c in model.currents), precision, variant)
    with _lock:
        if key not in _kernels:
            _kernels[key] = load_cuda_kernel(model, precision, variant)
        return _kernels[key]


def _device_table(model, dt, dtype):
    """The gate-coefficient table on the GPU (one per model, dt and precision; the last 8 kept)."""
    key = (model, dt, dtype.str)
    with _lock:
        if key not in _tables:
            if len(_tables) >= 8:
                _tables.pop(next(iter(_tables)))
            _tables[key] = cuda.to_device(np.ascontiguousarray(step_gen.gate_tables(model, dt), dtype=dtype))
        return _tables[key]


def _lane_arrays(spec, lanes, dtype):
    """Host arrays per trial: stimulus densities ``(n_parts, n_lanes)`` (or per condition when no trial has its
    own), stops ``(n_lanes,)``."""
    n_blocks = -(-spec.n_trials // TRIALS_PER_STREAM)
    spans = [(c, b * TRIALS_PER_STREAM, b * TRIALS_PER_STREAM + block_size(b, spec.n_trials))
             for c in range(spec.n_cond) for b in range(n_blocks)]
    stops = np.concatenate([lanes.stops(spec, *span) for span in spans]).astype(np.int32)
    if lanes.scale is None:
        with np.errstate(over="ignore"):              # an infinite density is reported as non-finite
            return (spec.amp / spec.area_flat).astype(dtype), stops, False
    dens = np.concatenate([lanes.densities(spec, *span) for span in spans], axis=1)
    return dens.astype(dtype), stops, True


def _stream_words(spec):
    ids = spec.ids.astype(np.uint64)
    return ids & MASK32, ids >> np.uint64(32)


def _launch(kernel, n_lanes, threads_per_block, blocks, args):
    """Launch ``kernel(lane0, n, *args)`` over every lane in chunks of :data:`LANES_PER_LAUNCH`."""
    # numba's simulator runs the threads of a block as concurrent Python threads that take one lock per device
    # function call while the launching thread polls them: with more than one thread per block a launch stalls
    # erratically (measured here: 128 lanes 249 s, 150 lanes 1.9 s at 128 per block; 0.9 s and 1.0 s at 1).
    tpb = threads_per_block or (SIMULATOR_THREADS_PER_BLOCK if simulator_active() else THREADS_PER_BLOCK)
    for lane0 in range(0, n_lanes, LANES_PER_LAUNCH):
        n = min(LANES_PER_LAUNCH, n_lanes - lane0)
        grid = blocks or -(-n // tpb)
        kernel[grid, tpb](lane0, n, *args)
        cuda.synchronize()


def _channel_args(spec):
    """The channel description: the kernel's arguments ``markov, stoch, cdesc, init_p, n_chan, n_init, n_step,
    per_row`` (float64 only; without channel noise, placeholders the kernel never reads)."""
    if not spec.channels:
        empty = cuda.to_device(np.zeros((1, 1), dtype=np.int64))
        return [False, cuda.to_device(np.full(1, -1, dtype=np.int64)), empty, cuda.to_device(np.zeros((1, 1))),
                empty, 0, 0, 0]
    from ._cuda_channels import draws_per_row
    from .numba_channels import describe
    if spec.precision != "float64":
        raise ValueError(f"precision={spec.precision!r}: engine='cuda' runs channel noise (ChannelNoise) in float64 "
                         "only; use precision='float64'")
    stoch = np.full(len(spec.model.currents), -1, dtype=np.int64)
    for slot, cur in enumerate(spec.channels):
        stoch[cur.index] = slot
    cdesc, init_p, n_chan, n_init, n_step, _ = describe(spec)
    markov = spec.noise.method == "markov"
    per_row = draws_per_row(markov, max(n_init, n_step))
    if (spec.n_steps + 1) * per_row >= 2**32:
        raise ValueError(f"{spec.n_steps} steps x {per_row} Philox blocks per step exceed the GPU engine's 2^32 "
                         "counters per trial: use a larger dt_ms or a shorter t_end_ms")
    arrays = [cuda.to_device(np.ascontiguousarray(a)) for a in (stoch, cdesc, init_p, n_chan.T)]
    return [markov, *arrays, n_init, n_step, per_row]


def simulate_lanes(spec, lanes, *, threads_per_block: int | None = None, blocks: int | None = None):
    """Run every trial of ``spec`` on the GPU: ``(counts, times, bad)``, shapes ``(n_lanes,)``, ``(n_lanes,
    max_spikes)``, ``(n_lanes,)`` with ``n_lanes = n_cond * n_trials`` (``lanes``: per-trial inputs).

    ``threads_per_block`` and ``blocks`` (per launch; default enough for one trial per thread) set the
    launch configuration; the threads loop over the trials, so any configuration gives the same results.
    """
    dtype = np.dtype(spec.precision)
    model, variant = spec.model, "channels" if spec.channels else "current"
    kernel = _kernel(model, spec.precision, variant)
    g_max, e_rev, cpar = step_gen.current_arrays(model)
    state0 = model.initial_state()
    dens, stops, per_lane = _lane_arrays(spec, lanes, dtype)
    noisy = isinstance(spec.noise, CurrentNoise) and spec.root is not None
    sigma = spec.noise.sigma_v_mV(model, spec.dt, spec.area_flat) if noisy else np.zeros(spec.n_cond)
    key0, key1 = key_of(spec.root) if spec.root is not None else (np.uint64(0), np.uint64(0))
    consts = step_gen.step_constants(spec, GATE_RATES == "table")
    host = [dens, sigma.astype(dtype), *_stream_words(spec), np.ascontiguousarray(spec.waveforms, dtype=dtype)]
    args = [cuda.to_device(stops)] + [cuda.to_device(a) for a in host] + [_device_table(model, spec.dt, dtype)]
    args += [cuda.to_device(consts.astype(dtype)), np.float64(spec.dt)]
    args += [cuda.to_device(a.astype(dtype)) for a in (g_max, e_rev, cpar, np.array(state0[1:]))]
    args += [dtype.type(model.ionic_equilibrium(state0[1:], state0[0])), *_channel_args(spec)]
    n_lanes = spec.n_cond * spec.n_trials
    outputs = (cuda.device_array(n_lanes, dtype=np.int32),
               cuda.to_device(np.full((n_lanes, spec.max_spikes), np.nan)), cuda.device_array(n_lanes, dtype=np.uint8))
    _launch(kernel, n_lanes, threads_per_block, blocks,
            [spec.n_trials, key0, key1, noisy, per_lane, *args, *outputs])
    counts, times, bad = (o.copy_to_host() for o in outputs)
    return counts.astype(np.int64), times, bad.astype(bool)


def run(spec, units, out, lanes):
    """Fill ``out`` (a :class:`~hhlib.engines.RunOutput`) with every trial of the run, computed on the GPU.

    The GPU runs all trials at once: ``units`` (which always cover the run) do not split the work.
    """
    counts, times, bad = simulate_lanes(spec, lanes)
    shape = (spec.n_cond, spec.n_trials)
    out.counts[...] = counts.reshape(shape)
    out.times[...] = times.reshape(shape + (spec.max_spikes,))
    out.bad[...] = bad.reshape(shape)
