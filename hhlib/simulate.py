"""Stochastic Hodgkin-Huxley simulator: exponential Euler, vectorised over conditions and trials.

Only this module owns the time loop. The physics (rates, currents, parameters) lives in
:mod:`hhlib.model`.

Numerical scheme (chosen by measuring against the converged solve_ivp reference, see
``benchmarks/integrator_variants.py``): per step of length ``dt``

1. gates first: each gate relaxes *exactly* towards its steady state at the current
   voltage, ``x ← x∞(V) + (x - x∞(V)) exp(-dt (α+β))``;
2. then the voltage, exactly for conductances frozen over the step with the *new* gates
   (unconditionally stable): ``V ← V∞ + (V - V∞) exp(-dt g_tot / c)``;
3. then the noise, Euler-Maruyama: ``V ← V + ξ knoise √(gNa A) √(dt0/dt) dt / (A c)``.

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

import math
import numbers
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .model import HHParameters, initial_state
from .stimulus import BiphasicPulse, Pulse, real_array, steps_of

__all__ = ["simulate", "SimulationResult", "TRIALS_PER_STREAM", "make_seed_sequence", "firing_probability",
           "compiled_engine_available"]

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


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate`.

    Attributes
    ----------
    spike_counts : ndarray of int, shape ``cond_shape + (n_trials,)``
        Spikes per trial; ``cond_shape = broadcast(amplitude_uA.shape, area_cm2.shape)``.
    first_spike_ms : ndarray of float, shape ``cond_shape + (n_trials,)``
        Time of the first spike (threshold crossing, linearly interpolated), ms; NaN if none.
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


# ----------------------------------------------------------------------------- validation
def _check_positive_finite(name, value, unit):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number ({unit}), got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and > 0 {unit}, got {value!r}")
    return value


def _check_area(area_cm2):
    area = real_array("area_cm2", area_cm2, "cm²")
    if np.any(area <= 0):
        raise ValueError(f"area_cm2 must be > 0 cm², got min {area.min()!r}")
    return area


def _check_n_trials(n_trials):
    if isinstance(n_trials, bool) or not isinstance(n_trials, numbers.Integral):
        raise TypeError(f"n_trials must be an integer >= 1, got {n_trials!r}")
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    return int(n_trials)


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
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be None, an int >= 0, a SeedSequence or a numpy Generator, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.random.SeedSequence(int(seed))


def _stream(root: np.random.SeedSequence, condition: int, block: int) -> np.random.Generator:
    key = tuple(root.spawn_key) + (condition, block)
    return np.random.Generator(np.random.SFC64(np.random.SeedSequence(root.entropy, spawn_key=key)))


# ----------------------------------------------------------------------------- public API
def simulate(model: HHParameters, stimulus, area_cm2, n_trials: int, *, dt_ms: float = 0.0025,
             t_end_ms: float = 2.0, seed=None, noise: bool = True, record: bool = False,
             spike_threshold_mV: float = 60.0, engine: str = "auto", n_threads: int | None = None,
             chunk_lanes: int | None = None, stream_ids=None, max_spikes: int | None = None) -> SimulationResult:
    """Simulate ``n_trials`` noisy trials of a Hodgkin-Huxley membrane for every stimulus condition.

    Parameters
    ----------
    model : HHParameters
        Membrane parameters, e.g. :data:`hhlib.SEED_MODEL`.
    stimulus : Pulse or BiphasicPulse
        Its ``amplitude_uA`` (µA) may be an array; it broadcasts against ``area_cm2``.
    area_cm2 : float or array_like
        Membrane area, cm² (> 0). The stimulus current density is ``I / A``; the noise
        current grows like ``sqrt(A)``.
    n_trials : int
        Independent noisy trials per condition (>= 1).
    dt_ms : float
        Time step, ms (default 2.5 µs); must not exceed the shortest stimulus phase.
    t_end_ms : float
        Simulated time, ms; ``round(t_end / dt)`` steps.
    seed : None, int, SeedSequence or Generator
        Root of the random streams; the same seed gives the same counts for any chunking.
    noise : bool
        False gives the deterministic model exactly (also when ``model.knoise == 0``).
    record : bool
        Keep the traces of V and the gates (memory ``O(trials x steps)``: use for a few trials).
    spike_threshold_mV : float
        A spike is an upward crossing of this level (mV above rest) during a regenerative
        upstroke (net inward ionic current); re-armed when V falls back below. Passive charging
        by the stimulus alone never counts.
    engine : {"auto", "numba", "numpy"}
        ``"numba"``: compiled kernel, parallel over trial blocks (fast; no traces).
        ``"numpy"``: the vectorised reference implementation (also used for ``record=True``).
        ``"auto"``: numba unless traces are recorded or numba is unavailable (then one warning).
    n_threads : int, optional
        Threads for the numba engine (default: all cores). Results do not depend on it.
    chunk_lanes : int, optional
        Condition x trial lanes advanced together by the numpy engine (memory/speed trade-off
        only; results do not depend on it).
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

    Examples
    --------
    >>> import numpy as np, hhlib
    >>> res = hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(np.array([5e-8, 1e-7])), 1e-9, 200, seed=1)
    >>> res.spike_counts.shape
    (2, 200)
    >>> bool(res.firing_probability[0] < res.firing_probability[1])
    True
    """
    if not isinstance(model, HHParameters):
        raise TypeError(f"model must be an HHParameters, got {type(model).__name__}")
    if not isinstance(stimulus, (Pulse, BiphasicPulse)):
        raise TypeError(f"stimulus must be a Pulse or BiphasicPulse, got {type(stimulus).__name__}")
    area = _check_area(area_cm2)
    n_trials = _check_n_trials(n_trials)
    dt = _check_positive_finite("dt_ms", dt_ms, "ms")
    t_end = _check_positive_finite("t_end_ms", t_end_ms, "ms")
    if dt > stimulus.shortest_phase_ms:
        raise ValueError(f"dt_ms = {dt} is larger than the shortest stimulus phase "
                         f"({stimulus.shortest_phase_ms} ms); use dt_ms <= {stimulus.shortest_phase_ms}")
    if t_end <= stimulus.onset_ms:
        raise ValueError(f"t_end_ms = {t_end} must be later than the stimulus onset ({stimulus.onset_ms} ms)")
    if dt > t_end:
        raise ValueError(f"dt_ms = {dt} must not exceed t_end_ms = {t_end}")
    thr = float(spike_threshold_mV)
    if not math.isfinite(thr):
        raise ValueError(f"spike_threshold_mV must be finite, got {spike_threshold_mV!r}")
    if not isinstance(noise, (bool, np.bool_)) or not isinstance(record, (bool, np.bool_)):
        raise TypeError("noise and record must be bools")
    chunk = DEFAULT_CHUNK_LANES if chunk_lanes is None else _check_n_trials(chunk_lanes)
    if engine not in ("auto", "numba", "numpy"):
        raise ValueError(f"engine must be 'auto', 'numba' or 'numpy', got {engine!r}")
    if engine == "numba" and record:
        raise ValueError("engine='numba' does not record traces; use engine='numpy' (or 'auto') with record=True")
    compiled = None
    if engine == "numba" or (engine == "auto" and not record):
        compiled = _load_numba_engine()
    if n_threads is not None:
        n_threads = _check_n_trials(n_threads)

    amp = stimulus.amplitude_uA
    cond_shape = np.broadcast_shapes(amp.shape, area.shape)
    amp_flat = np.broadcast_to(amp, cond_shape).ravel()
    area_flat = np.broadcast_to(area, cond_shape).ravel()
    n_cond = amp_flat.size
    if stream_ids is None:
        ids = np.arange(n_cond)
    else:
        ids = np.asarray(stream_ids)
        if ids.shape != cond_shape or not np.issubdtype(ids.dtype, np.integer) or np.any(ids < 0):
            raise ValueError(f"stream_ids must be non-negative integers of shape {cond_shape}, got {ids.shape}")
        ids = ids.ravel()
    n_steps = steps_of(t_end, dt)
    waveform = stimulus.unit_waveform(dt, n_steps)
    use_noise = bool(noise) and model.has_noise
    root = make_seed_sequence(seed) if use_noise else None

    if record:
        nbytes = 4 * 8 * n_cond * n_trials * (n_steps + 1)
        if nbytes > MAX_RECORD_BYTES:
            raise ValueError(f"record=True would need {nbytes / 1e9:.1f} GB of traces; "
                             f"reduce n_trials (got {n_trials}) or the number of conditions")

    stop_after = 0 if max_spikes is None else _check_n_trials(max_spikes)
    counts, first, traces = _run_engines(model, waveform, amp_flat, area_flat, ids, n_trials, dt, root, thr,
                                         compiled, n_threads, chunk, record, stop_after=stop_after)

    shape = cond_shape + (n_trials,)
    out = dict(spike_counts=counts.reshape(shape), first_spike_ms=first.reshape(shape), dt_ms=dt,
               t_end_ms=n_steps * dt, seed_entropy=None if root is None else root.entropy)
    if record:
        out.update(t_ms=np.arange(n_steps + 1) * dt,
                   **{k: traces[i].reshape(shape + (n_steps + 1,)) for i, k in enumerate(("v_mV", "m", "h", "n"))})
    return SimulationResult(**out)


def _run_engines(model, waveform, amp_flat, area_flat, ids, n_trials, dt, root, thr, compiled, n_threads, chunk,
                 record=False, lane_amp=None, stop_after=0):
    """Run all (condition, block) units on the chosen engine.

    ``lane_amp`` (optional, shape ``(n_cond, n_trials)``, µA) gives every trial its own amplitude
    (used by the per-trial threshold search); ``stop_after > 0`` lets the numba engine stop a trial
    once it has that many spikes; counts are capped at it in both engines.
    """
    n_cond = amp_flat.size
    n_steps = waveform.size
    counts = np.zeros((n_cond, n_trials), dtype=np.int64)
    first = np.full((n_cond, n_trials), np.nan)
    traces = np.empty((4, n_cond, n_trials, n_steps + 1)) if record else None
    # work units: (condition, block) pairs, each with its own random stream
    n_blocks = -(-n_trials // TRIALS_PER_STREAM)
    units = [(c, b) for c in range(n_cond) for b in range(n_blocks)]
    if compiled is not None:
        _run_numba(compiled, model, units, ids, n_trials, amp_flat, area_flat, waveform, dt, root, thr, counts,
                   first, n_threads or os.cpu_count() or 1, lane_amp, stop_after)
        return counts, first, traces
    start = 0
    while start < len(units):
        stop, lanes = start, 0
        while stop < len(units) and (stop == start or lanes + TRIALS_PER_STREAM <= chunk):
            lanes += _block_size(units[stop][1], n_trials)
            stop += 1
        _run_chunk_numpy(model, units[start:stop], ids, n_trials, amp_flat, area_flat, waveform, dt, n_steps,
                         root, thr, counts, first, traces, lane_amp)
        start = stop
    if stop_after > 0:
        np.minimum(counts, stop_after, out=counts)
    return counts, first, traces


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


def _forget_pool_after_fork():
    # a forked child (e.g. a ProcessPoolExecutor worker) inherits the pool object but not its threads
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _run_numba(eng, p: HHParameters, units, ids, n_trials, amp_flat, area_flat, waveform, dt, root, thr, counts, first,
               n_threads, lane_amp=None, stop_after=0):
    global _pool
    table = eng.gate_tables(p, dt)
    v0, m0, h0, n0 = initial_state(p)
    use_noise = root is not None
    waveform = np.ascontiguousarray(waveform, dtype=float)

    def work(unit):
        c, b = unit
        size = _block_size(b, n_trials)
        gen = _stream(root, int(ids[c]), b) if use_noise else np.random.Generator(np.random.SFC64(0))
        sl = slice(b * TRIALS_PER_STREAM, b * TRIALS_PER_STREAM + size)
        amp = lane_amp[c, sl] if lane_amp is not None else np.full(size, amp_flat[c])
        i_density = np.ascontiguousarray(amp / area_flat[c], dtype=float)
        sigma = np.full(size, _sigma_v(p, dt, area_flat[c]) if use_noise else 0.0)
        cnt = np.zeros(size, dtype=np.int64)
        fst = np.full(size, np.nan)
        eng.run_block(gen, size, TRIALS_PER_STREAM, i_density, sigma, use_noise, waveform, dt, table,
                      eng.TABLE_V_MIN_MV, 1.0 / eng.TABLE_STEP_MV, p.g_na, p.g_k, p.g_l, p.e_na, p.e_k, p.e_l,
                      p.c_m, p.rate_factor, v0, m0, h0, n0, thr, stop_after, cnt, fst)
        counts[c, sl] = cnt
        first[c, sl] = fst

    if n_threads == 1 or len(units) == 1:
        for u in units:
            work(u)
        return
    if _pool is None or _pool._max_workers < n_threads:
        if _pool is not None:
            _pool.shutdown(wait=True)
        _pool = ThreadPoolExecutor(max_workers=max(n_threads, os.cpu_count() or 1), thread_name_prefix="hhlib")
    # submit in n_threads interleaved lanes so at most n_threads kernels run at once
    def lane(k):
        for u in units[k::n_threads]:
            work(u)
    for f in [_pool.submit(lane, k) for k in range(min(n_threads, len(units)))]:
        f.result()


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


def _run_chunk_numpy(p: HHParameters, units, ids, n_trials, amp_flat, area_flat, waveform, dt, n_steps,
                     root, thr, counts, first, traces, lane_amp=None):
    sizes = [_block_size(b, n_trials) for _, b in units]
    L = sum(sizes)
    cond = np.concatenate([np.full(s, c) for (c, _), s in zip(units, sizes)])
    trial = np.concatenate([np.arange(b * TRIALS_PER_STREAM, b * TRIALS_PER_STREAM + s) for (_, b), s in zip(units, sizes)])
    amp = lane_amp[cond, trial] if lane_amp is not None else amp_flat[cond]
    i_density = amp / area_flat[cond]                                  # µA/cm² at unit waveform
    v0, m0, h0, n0 = initial_state(p)
    v, m, h, n = (np.full(L, x) for x in (v0, m0, h0, n0))
    k = p.rate_factor
    if root is not None:
        sigma_v = _sigma_v(p, dt, area_flat[cond])                        # mV per step per N(0,1)
        gens = [_stream(root, int(ids[c]), b) for c, b in units]
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        noise_buf = np.empty((NOISE_BLOCK_STEPS, L))
    cnt = np.zeros(L, dtype=np.int64)
    first_t = np.full(L, np.nan)
    armed = np.ones(L, dtype=bool)
    if traces is not None:
        rec = np.empty((4, L, n_steps + 1))
        rec[:, :, 0] = np.array([v0, m0, h0, n0])[:, None]
    a1, a2, b1, tmp, g, num, u, v_old = (np.empty(L) for _ in range(8))
    gl_e = p.g_l * p.e_l
    for step in range(n_steps):
        if root is not None and step % NOISE_BLOCK_STEPS == 0:
            nb = min(NOISE_BLOCK_STEPS, n_steps - step)
            for j, gen in enumerate(gens):
                noise_buf[:nb, offsets[j]:offsets[j + 1]] = gen.standard_normal((nb, TRIALS_PER_STREAM))[:, :sizes[j]]
        # --- gates (exact relaxation at the current V)
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
        # --- voltage (exact for frozen conductances), with the new gates
        np.multiply(m, m, out=a1); a1 *= m; a1 *= h; a1 *= p.g_na            # gNa m^3 h
        np.multiply(n, n, out=a2); a2 *= a2; a2 *= p.g_k                     # gK n^4
        np.add(a1, a2, out=g); g += p.g_l
        np.multiply(a1, p.e_na, out=num); num += a2 * p.e_k; num += gl_e     # ionic "driving" numerator
        w = waveform[step]
        if w != 0.0:
            np.multiply(i_density, w, out=tmp); tmp += num
        else:
            tmp[:] = num
        np.divide(tmp, g, out=tmp)                                          # V_inf
        np.multiply(g, -dt / p.c_m, out=u); np.exp(u, out=u)
        np.copyto(v_old, v)
        np.subtract(v, tmp, out=v); v *= u; v += tmp
        if root is not None:
            v += sigma_v * noise_buf[step % NOISE_BLOCK_STEPS]
        # --- spike detection: upward crossing during a regenerative (net inward) upstroke
        above = v >= thr
        new = armed & above & (g * v < num)
        if new.any():
            idx = np.flatnonzero(new)
            cnt[idx] += 1
            fresh = idx[np.isnan(first_t[idx])]
            vo, vn = v_old[fresh], v[fresh]
            frac = np.where(vo < thr, (thr - vo) / np.where(vn > vo, vn - vo, 1.0), 1.0)
            first_t[fresh] = (step + np.clip(frac, 0.0, 1.0)) * dt
            armed[idx] = False
        armed |= ~above
        if traces is not None:
            rec[0, :, step + 1] = v; rec[1, :, step + 1] = m; rec[2, :, step + 1] = h; rec[3, :, step + 1] = n
    counts[cond, trial] = cnt
    first[cond, trial] = first_t
    if traces is not None:
        traces[:, cond, trial, :] = rec
