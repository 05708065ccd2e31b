"""The GPU engine: one CUDA thread per trial (numba-cuda), counter-based noise, float64 or float32.

Use it with ``engine="cuda"`` (``pip install 'hhlib[gpu]'`` installs numba-cuda; an NVIDIA GPU and driver
are needed). Every thread integrates one trial with the CPU kernel's scheme (:mod:`._cuda_codegen`) and
draws its normals from Philox4x32-10 keyed by ``(seed, stream id, trial, step)`` (:mod:`._philox`), so
the counts depend on the seed and never on the launch configuration; they are statistically equal, not
identical, to the CPU engines' (which draw from per-block SFC64 streams). Without noise it is the CPU
kernel, run on the GPU: the same coefficient tables, the same arithmetic order.

``precision="float32"`` runs the kernel in single precision with fast math (several times faster on
GPUs); float64 is the default.

Channel noise (:class:`hhlib.ChannelNoise`) runs a second generated kernel (float64 only): each thread
keeps its channel states in a local array and advances them with the CPU kernel's own unrolled steps,
compiled as device functions (:mod:`._cuda_channels`), drawing its uniforms or normals from Philox keyed
by ``(seed, stream id, trial, step, draw index)``.

numba-cuda 0.30 overloads ``np.row_stack``, which numpy 2.5 removed: its kernels then fail to compile.
:func:`_import_numba_cuda` restores the name (as ``np.vstack``, what it was) before importing numba.cuda;
this is the only place hhlib does so. numba-cuda 0.30 also compiles no ``np.exp`` (nor ``np.expm1``,
``np.log1p``, ``np.sqrt``) of a scalar on the device; :func:`_register_device_math` adds them, and
:func:`hhlib.model.linoid`, for the rate functions of the model description.

Without a GPU (and outside numba's CUDA simulator, ``NUMBA_ENABLE_CUDASIM=1``, which the tests use),
:func:`unavailable_reason` says why and ``engine="cuda"`` raises :class:`hhlib.engines.CudaUnavailableError`.
"""
from __future__ import annotations

import importlib.util
import math
import threading

import numpy as np

from ..noise import CurrentNoise
from . import V_LIMIT_MV
from ._cuda_codegen import PRECISIONS, load_cuda_kernel
from ._philox import MASK32, key_of
from .numba_engine import TABLE_STEP_MV, TABLE_V_MIN_MV, gate_tables

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


def _import_numba_cuda():
    """``numba.cuda``, with ``np.row_stack`` restored first if this numpy lacks it (numba-cuda 0.30 needs it)."""
    if not hasattr(np, "row_stack"):
        np.row_stack = np.vstack  # noqa: NPY201  (restoring the removed name is the point)
    from numba import cuda
    return cuda


cuda = _import_numba_cuda()


def simulator_active() -> bool:
    """True when numba's CUDA simulator runs the kernels (``NUMBA_ENABLE_CUDASIM=1``, Python on the CPU)."""
    from numba.core import config
    return bool(config.ENABLE_CUDASIM)


def unavailable_reason() -> str | None:
    """Why ``engine="cuda"`` cannot run here (None if it can)."""
    if simulator_active():
        return None
    if importlib.util.find_spec("numba_cuda") is None:
        return "numba-cuda is not installed"
    try:
        if cuda.is_available():
            return None
    except Exception as exc:                          # a broken driver installation
        return f"the CUDA driver failed to initialise ({exc!r})"
    return "no CUDA GPU or driver was found (numba.cuda.is_available() is False)"


def _register_device_math():
    """Device versions of the numpy functions that rate functions use, and of :func:`hhlib.model.linoid`."""
    from numba.core import types
    from numba.cuda.extending import overload

    from ..model import linoid

    def scalar(fn):
        def typer(x):
            if isinstance(x, (types.Float, types.Integer)):
                return lambda x: fn(x)
        return typer

    for ufunc, fn in ((np.exp, math.exp), (np.expm1, math.expm1), (np.log1p, math.log1p), (np.sqrt, math.sqrt)):
        overload(ufunc)(scalar(fn))

    @overload(linoid)
    def _linoid(x):
        def impl(x):
            if abs(x) < 1e-6:
                return 1.0 - 0.5 * x
            return x / math.expm1(x)
        return impl


if not simulator_active() and importlib.util.find_spec("numba_cuda") is not None:
    _register_device_math()

_kernels: dict = {}
_tables: dict = {}
_lock = threading.Lock()


def _kernel(model, precision, variant="current"):
    key = (tuple((g.name, g.alpha, g.beta) for g in model.gates), tuple((c.name, c.gates) for c in model.currents),
           precision, variant)
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
            _tables[key] = cuda.to_device(np.ascontiguousarray(gate_tables(model, dt), dtype=dtype))
        return _tables[key]


def _inputs(spec, lane_amp, dtype):
    """Host arrays of a run: current density per condition (or lane), noise per condition, stream words."""
    with np.errstate(over="ignore"):                  # an infinite density is reported as non-finite
        if lane_amp is None:
            density = (spec.amp_flat / spec.area_flat).astype(dtype)
        else:
            density = (np.asarray(lane_amp, dtype=float) / spec.area_flat[:, None]).astype(dtype).ravel()
    noisy = isinstance(spec.noise, CurrentNoise) and spec.root is not None
    sigma = (spec.noise.sigma_v_mV(spec.model, spec.dt, spec.area_flat) if noisy
             else np.zeros(spec.n_cond)).astype(dtype)
    ids = spec.ids.astype(np.uint64)
    return density, sigma, ids & MASK32, ids >> np.uint64(32)


def _outputs(n_lanes):
    return (cuda.device_array(n_lanes, dtype=np.int32), cuda.device_array(n_lanes, dtype=np.float64),
            cuda.device_array(n_lanes, dtype=np.uint8))


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


def _host(outputs):
    d_counts, d_first, d_bad = outputs
    return d_counts.copy_to_host().astype(np.int64), d_first.copy_to_host(), d_bad.copy_to_host().astype(bool)


def simulate_lanes(spec, lane_amp=None, *, threads_per_block: int | None = None, blocks: int | None = None):
    """Run every trial of ``spec`` on the GPU: ``(counts, first_ms, bad)``, each of shape ``(n_cond * n_trials,)``.

    ``threads_per_block`` and ``blocks`` (per launch; default enough for one trial per thread) set the
    launch configuration; the threads loop over the trials, so any configuration gives the same results.
    """
    if spec.channels:
        return _simulate_channels(spec, lane_amp, threads_per_block, blocks)
    dtype = np.dtype(spec.precision)
    model = spec.model
    kernel = _kernel(model, spec.precision)
    state0 = model.initial_state()
    consts = np.array([spec.dt, TABLE_V_MIN_MV, 1.0 / TABLE_STEP_MV, model.c_m, model.rate_factor, state0[0],
                       spec.level, V_LIMIT_MV, float(model.ionic_equilibrium(state0[1:]))], dtype=dtype)
    g_max = np.array([c.g_max for c in model.currents], dtype=dtype)
    e_rev = np.array([c.e_rev for c in model.currents], dtype=dtype)
    x0 = np.array(state0[1:], dtype=dtype)
    density, sigma, s_lo, s_hi = _inputs(spec, lane_amp, dtype)
    key0, key1 = key_of(spec.root) if spec.root is not None else (np.uint64(0), np.uint64(0))
    n_lanes = spec.n_cond * spec.n_trials
    outputs = _outputs(n_lanes)
    args = [cuda.to_device(a) for a in (density, sigma, s_lo, s_hi, np.ascontiguousarray(spec.waveform, dtype=dtype))]
    args += [_device_table(model, spec.dt, dtype)] + [cuda.to_device(a) for a in (consts,)]
    args += [np.float64(spec.dt)] + [cuda.to_device(a) for a in (g_max, e_rev, x0)]
    _launch(kernel, n_lanes, threads_per_block, blocks,
            [spec.n_trials, key0, key1, spec.root is not None, GATE_RATES == "table", lane_amp is not None,
             spec.stop_after, *args, *outputs])
    return _host(outputs)


def _simulate_channels(spec, lane_amp, threads_per_block, blocks):
    """:func:`simulate_lanes` with channel noise (float64): the channel kernel of :mod:`._cuda_codegen`."""
    from ._cuda_channels import draws_per_row
    from .numba_channels import describe
    if spec.precision != "float64":
        raise ValueError(f"precision={spec.precision!r}: engine='cuda' runs channel noise (ChannelNoise) in float64 "
                         "only; use precision='float64'")
    model = spec.model
    kernel = _kernel(model, "float64", "channels")
    state0 = model.initial_state()
    consts = np.array([spec.dt, TABLE_V_MIN_MV, 1.0 / TABLE_STEP_MV, model.c_m, model.rate_factor, state0[0],
                       spec.level, V_LIMIT_MV])
    stoch = np.full(len(model.currents), -1, dtype=np.int64)
    for slot, cur in enumerate(spec.channels):
        stoch[cur.index] = slot
    cdesc, init_p, n_chan, n_init, n_step, _ = describe(spec)
    markov = spec.noise.method == "markov"
    per_row = draws_per_row(markov, max(n_init, n_step))
    if (spec.n_steps + 1) * per_row >= 2**32:
        raise ValueError(f"{spec.n_steps} steps x {per_row} Philox blocks per step exceed the GPU engine's 2^32 "
                         "counters per trial: use a larger dt_ms or a shorter t_end_ms")
    density, _, s_lo, s_hi = _inputs(spec, lane_amp, np.dtype(np.float64))
    key0, key1 = key_of(spec.root)
    n_lanes = spec.n_cond * spec.n_trials
    outputs = _outputs(n_lanes)
    host = (density, s_lo, s_hi, np.ascontiguousarray(spec.waveform, dtype=float))
    args = [cuda.to_device(a) for a in host] + [_device_table(model, spec.dt, np.dtype(np.float64))]
    args += [cuda.to_device(np.ascontiguousarray(a)) for a in
             (consts, np.array([c.g_max for c in model.currents], dtype=float),
              np.array([c.e_rev for c in model.currents], dtype=float), np.array(state0[1:], dtype=float), stoch,
              cdesc, init_p, n_chan.T)]
    _launch(kernel, n_lanes, threads_per_block, blocks,
            [spec.n_trials, key0, key1, markov, GATE_RATES == "table", lane_amp is not None, spec.stop_after,
             *args, n_init, n_step, per_row, *outputs])
    return _host(outputs)


def run(spec, units, out, lane_amp=None):
    """Fill ``out`` (a :class:`~hhlib.engines.RunOutput`) with every trial of the run, computed on the GPU.

    The GPU runs all trials at once: ``units`` (which always cover the run) do not split the work.
    """
    counts, first, bad = simulate_lanes(spec, lane_amp)
    shape = (spec.n_cond, spec.n_trials)
    out.counts[...] = counts.reshape(shape)
    out.first[...] = first.reshape(shape)
    out.bad[...] = bad.reshape(shape)
