"""Stochastic Hodgkin-Huxley simulator: exponential Euler, vectorised over conditions and trials.

Only this module owns the time loop. The physics (rates, currents, parameters) lives in
:mod:`hhlib.model`.

Numerical scheme (chosen by measuring against the converged solve_ivp reference, see
``benchmarks/integrator_variants.py``): per step of length ``dt``

1. gates first: each gate relaxes *exactly* towards its steady state at the current
   voltage, ``x ← x∞(V) + (x - x∞(V)) exp(-dt (α+β))``;
2. then the voltage, exactly for conductances frozen over the step with the *new* gates
   (unconditionally stable): ``V ← V∞ + (V - V∞) exp(-dt g_tot / c)``;
3. then the noise, Euler-Maruyama: ``V ← V + ξ knoise √(gNa A) √(dt0/dt) dt / (A c)``;
4. then the spike detector (:mod:`hhlib.spikes`), on ``V`` and the ionic equilibrium potential ``E_ion``.

This staggered ordering is second order in dt for the threshold (0.024 % error at
dt = 2.5 µs for SEED_MODEL); updating V and gates simultaneously from the old state is
first order and 2 % off.

Random numbers: trials are grouped in blocks of :data:`TRIALS_PER_STREAM`; block ``b`` of
condition ``c`` (flat index in the broadcast amplitude x area shape) draws its normals from
its own stream, ``SFC64(SeedSequence(seed, spawn_key=(c, b)))``, ``TRIALS_PER_STREAM``
numbers per time step (unused ones discarded). Results therefore do not depend on the
internal chunking, and the first trials of a larger run equal a smaller run.
"""
from __future__ import annotations

import concurrent.futures
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .model import HHParameters, initial_state, ionic_equilibrium
from .spikes import DEFAULT_LEVEL_MV, check_level, spike_events
from .stimulus import BiphasicPulse, Pulse, grid_steps
from .validation import check_bool, check_choice, check_instance, check_int, check_real, real_array

__all__ = ["simulate", "SimulationResult", "NonFiniteError", "TRIALS_PER_STREAM", "make_seed_sequence",
           "firing_probability", "compiled_engine_available", "MAX_STEPS", "MAX_RESULT_BYTES"]

_numba_engine = None
_numba_error = None
_warned = False


def _load_numba_engine():
    """Import the compiled engine once; warn once (and fall back to numpy) if it cannot load."""
    global _numba_engine, _numba_error, _warned
    if _numba_engine is None and _numba_error is None:
        try:
            from . import _engine_numba
            _numba_engine = _engine_numba
        except Exception as exc:  # ImportError, or numba failing to initialise
            _numba_error = exc
    if _numba_engine is None and not _warned:
        _warned = True
        warnings.warn(f"hhlib: the compiled (numba) engine is unavailable ({_numba_error!r}); "
                      "falling back to the numpy engine, which is several times slower", RuntimeWarning, stacklevel=3)
    return _numba_engine


def compiled_engine_available() -> bool:
    """True if the numba engine imports (it is then the default)."""
    global _warned
    already = _warned
    _warned = True
    try:
        return _load_numba_engine() is not None
    finally:
        _warned = already


#: Trials per random-number stream (part of the reproducibility contract: changing it changes results).
TRIALS_PER_STREAM = 256
#: Default number of lanes (condition x trial pairs) advanced together by the numpy engine.
DEFAULT_CHUNK_LANES = 32768
#: Time steps of noise drawn at once per stream.
NOISE_BLOCK_STEPS = 64
#: Largest trace array (bytes, all four state variables) that ``record=True`` may allocate.
MAX_RECORD_BYTES = 2 * 1024**3
#: Most time steps one run may take (t_end_ms / dt_ms), checked before anything is allocated.
MAX_STEPS = 50_000_000
#: Largest result arrays (spike counts and first-spike times of all trials, bytes).
MAX_RESULT_BYTES = 8 * 1024**3
#: A trial whose |V| exceeds this (mV, i.e. 1 kV) has left any meaningful range: reported like NaN.
V_LIMIT_MV = 1e6


class NonFiniteError(ValueError, FloatingPointError):
    """The membrane state became NaN or infinite (or |V| exceeded :data:`V_LIMIT_MV`): the model cannot be
    integrated meaningfully for these inputs."""


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate`.

    Attributes
    ----------
    spike_counts : ndarray of int, shape ``cond_shape + (n_trials,)``
        Spikes per trial; ``cond_shape = broadcast(amplitude_uA.shape, area_cm2.shape)``.
    first_spike_ms : ndarray of float, shape ``cond_shape + (n_trials,)``
        Time of the first spike (see :mod:`hhlib.spikes`, linearly interpolated), ms from the start of the
        run; NaN if none.
    t_ms : ndarray, shape (n_steps + 1,) or None
        Sample times of the traces (only with ``record=True``).
    v_mV, m, h, n : ndarray, shape ``cond_shape + (n_trials, n_steps + 1)`` or None
        Recorded traces (only with ``record=True``): V in mV relative to rest, gates in [0, 1].
    dt_ms, t_end_ms : float
    seed_entropy : int or None
        Entropy of the root :class:`numpy.random.SeedSequence` (reproduces the run); None without noise.
    """

    spike_counts: np.ndarray
    first_spike_ms: np.ndarray
    dt_ms: float
    t_end_ms: float
    seed_entropy: object = None
    t_ms: np.ndarray | None = None
    v_mV: np.ndarray | None = None
    m: np.ndarray | None = None
    h: np.ndarray | None = None
    n: np.ndarray | None = None

    @property
    def fired(self) -> np.ndarray:
        """Boolean, True where a trial produced at least one spike; shape like ``spike_counts``."""
        return self.spike_counts >= 1

    @property
    def firing_probability(self) -> np.ndarray:
        """Fraction of trials that fired, shape ``cond_shape``."""
        return self.fired.mean(axis=-1)

    @property
    def n_fired(self) -> np.ndarray:
        """Number of trials that fired, shape ``cond_shape``."""
        return self.fired.sum(axis=-1)


def make_seed_sequence(seed) -> np.random.SeedSequence:
    """Root :class:`numpy.random.SeedSequence` from ``seed``.

    ``seed`` may be None (fresh OS entropy, reported in the result), a non-negative int, a
    SeedSequence, or a :class:`numpy.random.Generator` (one 128-bit draw from it).
    """
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key)
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(0, 2**63)) << 64 | int(seed.integers(0, 2**63)))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be None, an int >= 0, a SeedSequence or a numpy Generator, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.random.SeedSequence(int(seed))


def _stream(root: np.random.SeedSequence, condition: int, block: int) -> np.random.Generator:
    key = tuple(root.spawn_key) + (condition, block)
    return np.random.Generator(np.random.SFC64(np.random.SeedSequence(root.entropy, spawn_key=key)))


# ----------------------------------------------------------------------------- run specification
@dataclass(frozen=True, eq=False)
class _RunSpec:
    """Everything an engine needs, validated (built by :func:`_prepare`)."""

    model: HHParameters
    waveform: np.ndarray          # unit stimulus per step, (n_steps,)
    dt: float                     # ms
    amp_flat: np.ndarray          # µA per condition, (n_cond,)
    area_flat: np.ndarray         # cm² per condition, (n_cond,)
    ids: np.ndarray               # random-stream index per condition, (n_cond,)
    cond_shape: tuple
    n_trials: int
    root: np.random.SeedSequence | None   # None: no noise
    level: float                  # spike detection level, mV above rest
    compiled: object              # the numba engine module, or None for numpy
    n_threads: int
    chunk: int
    record: bool
    stop_after: int               # 0: follow every trial to the end

    @property
    def n_steps(self) -> int:
        return self.waveform.size


def _check_timing(stimulus, dt_ms, t_end_ms):
    dt = check_real("dt_ms", dt_ms, low=0.0, low_open=True, unit="ms")
    t_end = check_real("t_end_ms", t_end_ms, low=0.0, low_open=True, unit="ms")
    stimulus.unit_waveform(dt, 0)            # every edge a whole number of steps (each phase >= 1 step)
    if t_end <= stimulus.onset_ms:
        raise ValueError(f"t_end_ms = {t_end} must be later than the stimulus onset ({stimulus.onset_ms} ms)")
    if t_end / dt > MAX_STEPS:
        raise ValueError(f"t_end_ms / dt_ms = {t_end / dt:.3g} steps exceeds the limit of {MAX_STEPS:.0e} steps "
                         f"per run (t_end_ms = {t_end!r}, dt_ms = {dt!r}): use a larger dt_ms or a shorter t_end_ms")
    return dt, grid_steps("t_end_ms", t_end, dt)


def _check_sizes(n_cond, n_trials, n_steps, record):
    nbytes = 16 * n_cond * n_trials
    if nbytes > MAX_RESULT_BYTES:
        raise ValueError(f"n_trials = {n_trials} for {n_cond} condition(s) needs {nbytes / 2**30:.3g} GiB of results "
                         f"(limit {MAX_RESULT_BYTES / 2**30:.0f} GiB): reduce n_trials or the number of conditions")
    if record:
        nbytes = 4 * 8 * n_cond * n_trials * (n_steps + 1)
        if nbytes > MAX_RECORD_BYTES:
            raise ValueError(f"record=True would need {nbytes / 1e9:.1f} GB of traces; "
                             f"reduce n_trials (got {n_trials}) or the number of conditions")


def _stream_ids(stream_ids, cond_shape, n_cond):
    if stream_ids is None:
        return np.arange(n_cond)
    ids = np.asarray(stream_ids)
    if ids.shape != cond_shape or not np.issubdtype(ids.dtype, np.integer) or np.any(ids < 0):
        raise ValueError(f"stream_ids must be non-negative integers of shape {cond_shape}, got {ids.shape}")
    return ids.ravel()


def _choose_engine(engine, record):
    check_choice("engine", engine, ("auto", "numba", "numpy"))
    if engine == "numba" and record:
        raise ValueError("engine='numba' does not record traces; use engine='numpy' (or 'auto') with record=True")
    if engine == "numba" or (engine == "auto" and not record):
        return _load_numba_engine()
    return None


def _prepare(model, stimulus, area_cm2, n_trials, *, dt_ms=0.0025, t_end_ms=2.0, seed=None, noise=True,
             record=False, spike_threshold_mV=DEFAULT_LEVEL_MV, engine="auto", n_threads=None, chunk_lanes=None,
             stream_ids=None, max_spikes=None) -> _RunSpec:
    """Validate every argument of :func:`simulate` (naming the one at fault) and build the run specification."""
    check_instance("model", model, HHParameters)
    check_instance("stimulus", stimulus, (Pulse, BiphasicPulse), "Pulse or BiphasicPulse")
    area = real_array("area_cm2", area_cm2, "cm²", positive=True)
    n_trials = check_int("n_trials", n_trials, minimum=1)
    dt, n_steps = _check_timing(stimulus, dt_ms, t_end_ms)
    level = check_level(spike_threshold_mV, model)
    use_noise = check_bool("noise", noise) and model.has_noise
    record = check_bool("record", record)
    chunk = DEFAULT_CHUNK_LANES if chunk_lanes is None else check_int("chunk_lanes", chunk_lanes, minimum=1)
    n_threads = (os.cpu_count() or 1) if n_threads is None else check_int("n_threads", n_threads, minimum=1)
    stop_after = 0 if max_spikes is None else check_int("max_spikes", max_spikes, minimum=1)
    compiled = _choose_engine(engine, record)
    amp = stimulus.amplitude_uA
    cond_shape = np.broadcast_shapes(amp.shape, area.shape)
    n_cond = int(np.prod(cond_shape, dtype=np.int64))
    ids = _stream_ids(stream_ids, cond_shape, n_cond)
    _check_sizes(n_cond, n_trials, n_steps, record)
    return _RunSpec(model=model, waveform=stimulus.unit_waveform(dt, n_steps), dt=dt,
                    amp_flat=np.broadcast_to(amp, cond_shape).ravel(), area_flat=np.broadcast_to(area, cond_shape).ravel(),
                    ids=ids, cond_shape=cond_shape, n_trials=n_trials, root=make_seed_sequence(seed) if use_noise else None,
                    level=level, compiled=compiled, n_threads=n_threads, chunk=chunk, record=record,
                    stop_after=stop_after)


# ----------------------------------------------------------------------------- public API
def simulate(model: HHParameters, stimulus, area_cm2, n_trials: int, *, dt_ms: float = 0.0025,
             t_end_ms: float = 2.0, seed=None, noise: bool = True, record: bool = False,
             spike_threshold_mV: float = DEFAULT_LEVEL_MV, engine: str = "auto", n_threads: int | None = None,
             chunk_lanes: int | None = None, stream_ids=None, max_spikes: int | None = None) -> SimulationResult:
    """Simulate ``n_trials`` noisy trials of a Hodgkin-Huxley membrane for every stimulus condition.

    Parameters
    ----------
    model : HHParameters
        Membrane parameters, e.g. :data:`hhlib.SEED_MODEL`.
    stimulus : Pulse or BiphasicPulse
        Its ``amplitude_uA`` (µA) may be an array; it broadcasts against ``area_cm2``. Its edges must lie
        on the time grid (whole numbers of steps).
    area_cm2 : float or array_like
        Membrane area, cm² (> 0). The stimulus current density is ``I / A``; the noise current grows
        like ``sqrt(A)``.
    n_trials : int
        Independent noisy trials per condition (>= 1).
    dt_ms : float
        Time step, ms (default 2.5 µs); must divide the stimulus timing and ``t_end_ms``.
    t_end_ms : float
        Simulated time, ms (a whole number of steps, at most :data:`MAX_STEPS`).
    seed : None, int, SeedSequence or Generator
        Root of the random streams; the same seed gives the same counts for any chunking or threads.
    noise : bool
        False gives the deterministic model exactly (also when ``model.knoise == 0``).
    record : bool
        Keep the traces of V and the gates (memory ``O(trials x steps)``: use for a few trials).
    spike_threshold_mV : float
        Detection level of the spike rule (:mod:`hhlib.spikes`), mV above rest, in (0, E_max): a spike
        needs both V and the ionic equilibrium potential at the level, so passive charging never counts.
    engine : {"auto", "numba", "numpy"}
        ``"numba"``: compiled kernel, parallel over trial blocks (fast; no traces).
        ``"numpy"``: the vectorised reference implementation (also used for ``record=True``).
        ``"auto"``: numba unless traces are recorded or numba is unavailable (then one warning).
    n_threads : int, optional
        Threads for the numba engine (default: all cores; more than the cores are not started).
        Results do not depend on it.
    chunk_lanes : int, optional
        Condition x trial lanes advanced together by the numpy engine (memory/speed trade-off only).
    stream_ids : array_like of int, optional
        Random-stream index of each condition, shape ``broadcast(amplitude, area)`` (default: the
        flat condition index). Lets a sweep split into pieces reproduce the unsplit run exactly.
    max_spikes : int, optional
        Stop following a trial once it has this many spikes (``spike_counts`` is then capped at
        it, in both engines). ``max_spikes=1`` answers "did it fire?" about a third faster.

    Returns
    -------
    SimulationResult
        ``spike_counts`` has shape ``broadcast(amplitude, area) + (n_trials,)``.

    Raises
    ------
    TypeError, ValueError
        Naming the argument at fault and its allowed range.
    NonFiniteError
        (a ValueError) if the state becomes NaN or infinite in any trial, naming the condition.

    Examples
    --------
    >>> import numpy as np, hhlib
    >>> res = hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(np.array([5e-8, 1e-7])), 1e-9, 200, seed=1)
    >>> res.spike_counts.shape
    (2, 200)
    >>> bool(res.firing_probability[0] < res.firing_probability[1])
    True
    """
    spec = _prepare(model, stimulus, area_cm2, n_trials, dt_ms=dt_ms, t_end_ms=t_end_ms, seed=seed, noise=noise,
                    record=record, spike_threshold_mV=spike_threshold_mV, engine=engine, n_threads=n_threads,
                    chunk_lanes=chunk_lanes, stream_ids=stream_ids, max_spikes=max_spikes)
    counts, first, traces = _execute(spec)
    shape = spec.cond_shape + (spec.n_trials,)
    out = dict(spike_counts=counts.reshape(shape), first_spike_ms=first.reshape(shape), dt_ms=spec.dt,
               t_end_ms=spec.n_steps * spec.dt, seed_entropy=None if spec.root is None else spec.root.entropy)
    if spec.record:
        out.update(t_ms=np.arange(spec.n_steps + 1) * spec.dt,
                   **{k: traces[i].reshape(shape + (spec.n_steps + 1,)) for i, k in enumerate(("v_mV", "m", "h", "n"))})
    return SimulationResult(**out)


def _execute(spec: _RunSpec, lane_amp=None):
    """Run all (condition, block) units of ``spec``; raise :class:`NonFiniteError` if any trial diverged.

    ``lane_amp`` (optional, shape ``(n_cond, n_trials)``, µA) gives every trial its own amplitude
    (used by the per-trial threshold search). Counts are capped at ``spec.stop_after`` in both engines.
    """
    n_cond = spec.amp_flat.size
    counts = np.zeros((n_cond, spec.n_trials), dtype=np.int64)
    first = np.full((n_cond, spec.n_trials), np.nan)
    bad = np.zeros((n_cond, spec.n_trials), dtype=bool)
    traces = np.empty((4, n_cond, spec.n_trials, spec.n_steps + 1)) if spec.record else None
    n_blocks = -(-spec.n_trials // TRIALS_PER_STREAM)
    units = [(c, b) for c in range(n_cond) for b in range(n_blocks)]
    if spec.compiled is not None:
        _run_numba(spec, units, lane_amp, counts, first, bad)
    else:
        start = 0
        while start < len(units):
            stop, lanes = start, 0
            while stop < len(units) and (stop == start or lanes + TRIALS_PER_STREAM <= spec.chunk):
                lanes += _block_size(units[stop][1], spec.n_trials)
                stop += 1
            _run_chunk_numpy(spec, units[start:stop], counts, first, bad, traces, lane_amp)
            start = stop
    if spec.stop_after > 0:
        np.minimum(counts, spec.stop_after, out=counts)
    if bad.any():
        _raise_non_finite(spec, bad, lane_amp)
    return counts, first, traces


def _raise_non_finite(spec, bad, lane_amp):
    rows = np.flatnonzero(bad.any(axis=1))
    c = int(rows[0])
    amp = spec.amp_flat[c] if lane_amp is None else lane_amp[c][bad[c]][0]
    where = np.unravel_index(c, spec.cond_shape) if spec.cond_shape else ()
    with np.errstate(over="ignore"):
        density = amp / spec.area_flat[c]
    raise NonFiniteError(
        f"the membrane state became NaN or infinite, or |V| exceeded {V_LIMIT_MV:g} mV, in {int(bad.sum())} "
        f"trial(s) of {rows.size} condition(s); "
        f"first in condition {tuple(int(i) for i in where)} (amplitude_uA = {amp:.6g}, area_cm2 = "
        f"{spec.area_flat[c]:.6g}, stimulus density {density:.3g} µA/cm²): the model cannot be "
        "integrated there (the stimulus, area or noise is far outside the physiological range)")


def firing_probability(model: HHParameters, amplitude_uA, area_cm2, n_trials: int, *, seed=None,
                       delay_ms: float = 0.1, duration_ms: float = 0.1, **sim_options) -> np.ndarray:
    """Fraction of trials that fired (>= 1 spike) after a rectangular pulse.

    Parameters
    ----------
    model : HHParameters
    amplitude_uA : float or array_like
        Pulse amplitude, µA.
    area_cm2 : float or array_like
        Membrane area, cm²; broadcasts against ``amplitude_uA``.
    n_trials : int
    seed : None, int, SeedSequence or Generator
    delay_ms, duration_ms : float
        Pulse timing, ms (the seed's 0.1 ms at 0.1 ms by default).
    **sim_options
        Passed to :func:`simulate` (``dt_ms``, ``t_end_ms``, ``noise``, ...).

    Returns
    -------
    ndarray, shape ``broadcast(amplitude_uA, area_cm2)``

    Examples
    --------
    >>> import hhlib
    >>> float(hhlib.firing_probability(hhlib.SEED_MODEL, 2e-7, 1e-9, 50, seed=0))
    1.0
    """
    sim_options.setdefault("max_spikes", 1)
    res = simulate(model, Pulse(amplitude_uA, delay_ms, duration_ms), area_cm2, n_trials, seed=seed, **sim_options)
    return res.firing_probability


# ----------------------------------------------------------------------------- numba engine
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _shared_pool() -> ThreadPoolExecutor:
    """One pool of ``os.cpu_count()`` threads for the whole process, never replaced (safe for concurrent calls)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="hhlib")
        return _pool


def _forget_pool_after_fork():
    # a forked child (e.g. a ProcessPoolExecutor worker) inherits the pool object but not its threads
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _run_numba(spec: _RunSpec, units, lane_amp, counts, first, bad):
    """Run the compiled kernel on every unit, on up to ``spec.n_threads`` threads of the shared pool.

    The calling thread only waits, so Ctrl-C reaches it at once: it then raises the cancel flag, which
    the kernels check every few hundred steps, and re-raises once they have returned.
    """
    eng, p = spec.compiled, spec.model
    table = eng.gate_tables(p, spec.dt)
    v0, m0, h0, n0 = initial_state(p)
    waveform = np.ascontiguousarray(spec.waveform, dtype=float)
    cancel = np.zeros(1, dtype=np.uint8)

    def work(unit):
        c, b = unit
        size = _block_size(b, spec.n_trials)
        use_noise = spec.root is not None
        gen = _stream(spec.root, int(spec.ids[c]), b) if use_noise else np.random.Generator(np.random.SFC64(0))
        sl = slice(b * TRIALS_PER_STREAM, b * TRIALS_PER_STREAM + size)
        amp = lane_amp[c, sl] if lane_amp is not None else np.full(size, spec.amp_flat[c])
        with np.errstate(over="ignore"):                 # an infinite density is reported as non-finite
            i_density = np.ascontiguousarray(amp / spec.area_flat[c], dtype=float)
        sigma = np.full(size, _sigma_v(p, spec.dt, spec.area_flat[c]) if use_noise else 0.0)
        cnt, fst, bd = np.zeros(size, dtype=np.int64), np.full(size, np.nan), np.zeros(size, dtype=np.bool_)
        eng.run_block(gen, size, TRIALS_PER_STREAM, i_density, sigma, use_noise, waveform, spec.dt, table,
                      eng.TABLE_V_MIN_MV, 1.0 / eng.TABLE_STEP_MV, p.g_na, p.g_k, p.g_l, p.e_na, p.e_k, p.e_l,
                      p.c_m, p.rate_factor, v0, m0, h0, n0, spec.level, V_LIMIT_MV, spec.stop_after, cnt, fst, bd, cancel)
        counts[c, sl], first[c, sl], bad[c, sl] = cnt, fst, bd

    n_lanes = min(spec.n_threads, os.cpu_count() or 1, len(units))

    def lane(k):
        for u in units[k::n_lanes]:
            if cancel[0]:
                return
            work(u)

    futures = [_shared_pool().submit(lane, k) for k in range(n_lanes)]
    try:
        for f in futures:
            f.result()
    except BaseException:
        cancel[0] = 1
        concurrent.futures.wait(futures)
        raise


def _sigma_v(p: HHParameters, dt, area):
    """Voltage noise per step per N(0,1), mV: ``knoise sqrt(gNa A) sqrt(dt0/dt) dt / (A c)``."""
    return p.knoise * np.sqrt(p.g_na * p.noise_dt_ref_ms * dt / area) / p.c_m


# ----------------------------------------------------------------------------- numpy engine
def _block_size(block: int, n_trials: int) -> int:
    return min(TRIALS_PER_STREAM, n_trials - block * TRIALS_PER_STREAM)


def _x_over_expm1_fast(x, out):
    """In-place ``x/expm1(x)`` for the hot loop, with the removable singularity filled."""
    e = np.expm1(x)
    np.divide(x, e, out=out, where=e != 0)
    out[e == 0] = 1.0
    return out


def _relax(x, a, b, dt, tmp):
    """Exponential-Euler gate update in place: ``x = x_inf + (x - x_inf) exp(-dt (a + b))``."""
    np.add(a, b, out=tmp)                  # a + b
    np.divide(a, tmp, out=a)               # x_inf (a no longer needed)
    np.multiply(tmp, -dt, out=tmp)
    np.exp(tmp, out=tmp)                   # decay factor
    np.subtract(x, a, out=x)
    np.multiply(x, tmp, out=x)
    np.add(x, a, out=x)


def _gates_step(v, m, h, n, k, dt, a1, b1, u, tmp):
    """Relax the three gates in place at the current V (exact exponential Euler, HH rates times k)."""
    np.subtract(25.0, v, out=u); u *= 0.1
    _x_over_expm1_fast(u, a1); a1 *= k                                  # alpha_m
    np.multiply(v, -1.0 / 18.0, out=b1); np.exp(b1, out=b1); b1 *= 4.0 * k  # beta_m
    _relax(m, a1, b1, dt, tmp)
    np.multiply(v, -1.0 / 20.0, out=a1); np.exp(a1, out=a1); a1 *= 0.07 * k  # alpha_h
    np.subtract(30.0, v, out=b1); b1 *= 0.1; np.exp(b1, out=b1); b1 += 1.0
    np.divide(k, b1, out=b1)                                            # beta_h
    _relax(h, a1, b1, dt, tmp)
    np.subtract(10.0, v, out=u); u *= 0.1
    _x_over_expm1_fast(u, a1); a1 *= 0.1 * k                            # alpha_n
    np.multiply(v, -1.0 / 80.0, out=b1); np.exp(b1, out=b1); b1 *= 0.125 * k  # beta_n
    _relax(n, a1, b1, dt, tmp)


def _lanes(spec, units, lane_amp):
    """Flat lane layout of a chunk: sizes per unit, condition and trial index of every lane, its current density."""
    sizes = [_block_size(b, spec.n_trials) for _, b in units]
    cond = np.concatenate([np.full(s, c) for (c, _), s in zip(units, sizes)])
    trial = np.concatenate([np.arange(b * TRIALS_PER_STREAM, b * TRIALS_PER_STREAM + s)
                            for (_, b), s in zip(units, sizes)])
    amp = lane_amp[cond, trial] if lane_amp is not None else spec.amp_flat[cond]
    with np.errstate(over="ignore"):                     # an infinite density is reported as non-finite
        return sizes, cond, trial, amp / spec.area_flat[cond]


def _run_chunk_numpy(spec: _RunSpec, units, counts, first, bad, traces, lane_amp=None):
    p, dt, level = spec.model, spec.dt, spec.level
    sizes, cond, trial, i_density = _lanes(spec, units, lane_amp)
    L = sum(sizes)
    v0, m0, h0, n0 = initial_state(p)
    v, m, h, n = (np.full(L, x) for x in (v0, m0, h0, n0))
    e_old = np.full(L, float(ionic_equilibrium(m0, h0, n0, p)))
    noise = _NoiseBlocks(spec, units, sizes, cond) if spec.root is not None else None
    cnt, first_t, armed = np.zeros(L, dtype=np.int64), np.full(L, np.nan), np.ones(L, dtype=bool)
    out_of_range = np.zeros(L, dtype=bool)
    if traces is not None:
        rec = np.empty((4, L, spec.n_steps + 1))
        rec[:, :, 0] = np.array([v0, m0, h0, n0])[:, None]
    a1, a2, b1, tmp, g, num, u, v_old = (np.empty(L) for _ in range(8))
    with np.errstate(all="ignore"):                   # non-finite states are reported below, by condition
        for step in range(spec.n_steps):
            _gates_step(v, m, h, n, p.rate_factor, dt, a1, b1, u, tmp)
            # --- voltage (exact for frozen conductances), with the new gates
            np.multiply(m, m, out=a1); a1 *= m; a1 *= h; a1 *= p.g_na            # gNa m^3 h
            np.multiply(n, n, out=a2); a2 *= a2; a2 *= p.g_k                     # gK n^4
            np.add(a1, a2, out=g); g += p.g_l
            np.multiply(a1, p.e_na, out=num); num += a2 * p.e_k; num += p.g_l * p.e_l
            w = spec.waveform[step]
            if w != 0.0:
                np.multiply(i_density, w, out=tmp); tmp += num
            else:
                tmp[:] = num
            np.divide(tmp, g, out=tmp)                                          # V_inf
            np.multiply(g, -dt / p.c_m, out=u); np.exp(u, out=u)
            np.copyto(v_old, v)
            np.subtract(v, tmp, out=v); v *= u; v += tmp
            if noise is not None:
                v += noise.sigma_v * noise.at(step)
            np.divide(num, g, out=num)                                          # E_ion (new gates)
            fired, frac = spike_events(armed, v_old, v, e_old, num, level)
            if fired.any():
                idx = np.flatnonzero(fired)
                cnt[idx] += 1
                fresh = idx[np.isnan(first_t[idx])]
                first_t[fresh] = (step + frac[fresh]) * dt
            e_old, num = num, e_old
            np.abs(v, out=u)
            diverged = ~((u <= V_LIMIT_MV) & np.isfinite(e_old))     # NaN included
            if spec.stop_after > 0:                      # as the compiled engine: stopped lanes are done
                diverged &= (cnt < spec.stop_after) | (fired & (cnt == spec.stop_after))
            out_of_range |= diverged
            if traces is not None:
                rec[0, :, step + 1] = v; rec[1, :, step + 1] = m; rec[2, :, step + 1] = h; rec[3, :, step + 1] = n
    counts[cond, trial] = cnt
    first[cond, trial] = first_t
    bad[cond, trial] = out_of_range
    if traces is not None:
        traces[:, cond, trial, :] = rec


class _NoiseBlocks:
    """Standard normals of a chunk's streams, :data:`NOISE_BLOCK_STEPS` steps at a time, in stream order."""

    def __init__(self, spec, units, sizes, cond):
        self.sizes = sizes
        self.n_steps = spec.n_steps
        self.sigma_v = _sigma_v(spec.model, spec.dt, spec.area_flat[cond])       # mV per step per N(0,1)
        self.gens = [_stream(spec.root, int(spec.ids[c]), b) for c, b in units]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])
        self.buf = np.empty((NOISE_BLOCK_STEPS, int(self.offsets[-1])))

    def at(self, step):
        if step % NOISE_BLOCK_STEPS == 0:
            nb = min(NOISE_BLOCK_STEPS, self.n_steps - step)
            for j, gen in enumerate(self.gens):
                draws = gen.standard_normal((nb, TRIALS_PER_STREAM))
                self.buf[:nb, self.offsets[j]:self.offsets[j + 1]] = draws[:, :self.sizes[j]]
        return self.buf[step % NOISE_BLOCK_STEPS]
