"""The engines: run a :class:`~hhlib.runspec.RunSpec` and return counts, first-spike times and traces.

One small interface: :func:`execute` (``spec, lane_amp=None -> RunOutput``) dispatches to the engine
named in the spec, checks that every trial stayed finite and caps the counts. Engines:

- ``numpy`` (:mod:`hhlib.engines.numpy_engine`): the vectorised reference; the only one that records traces.
- ``numba`` (:mod:`hhlib.engines.numba_engine`): a compiled kernel generated for each model's structure.
- ``cuda`` (:mod:`hhlib.engines.cuda_engine`): the same kernel on an NVIDIA GPU, one thread per trial, with
  counter-based noise (statistically equal to the CPU engines, not identical); float64 or float32 (channel
  noise: float64).

Which engine ``"auto"`` picks: numpy when traces are recorded, else numba; the environment variable
``HHLIB_ENGINE`` (``numba``, ``numpy`` or ``cuda``) changes that choice, and is the only way ``"auto"``
ever picks the GPU (``HHLIB_ENGINE=cuda``: the GPU when one is usable, else numba with one warning).
An explicit ``engine="cuda"`` without a usable GPU raises :class:`CudaUnavailableError`.

Work is split into units ``(condition, block)``: block ``b`` holds trials ``b*256 ... b*256+255`` of a
condition and draws its normals from its own stream (:func:`hhlib.seeds.stream`), so results never depend
on the engine's chunking or threads. A new engine implements ``run(spec, units, out, lane_amp)`` filling
``out`` and is registered in :data:`_ENGINES`.
"""
from __future__ import annotations

import importlib
import os
import warnings
from dataclasses import dataclass

import numpy as np

from ..runspec import RunSpec

__all__ = ["RunOutput", "NonFiniteError", "CudaUnavailableError", "execute", "choose_engine",
           "compiled_engine_available", "cuda_available", "cuda_unavailable_reason", "TRIALS_PER_STREAM",
           "V_LIMIT_MV", "ENGINE_ENV", "block_size", "units_of"]

#: Trials per random-number stream (part of the reproducibility contract: changing it changes results).
TRIALS_PER_STREAM = 256
#: A trial whose |V| exceeds this (mV, i.e. 1 kV) has left any meaningful range: reported like NaN.
V_LIMIT_MV = 1e6
#: Engine modules by name.
_ENGINES = {"numpy": "hhlib.engines.numpy_engine", "numba": "hhlib.engines.numba_engine",
            "cuda": "hhlib.engines.cuda_engine"}
#: Environment variable naming the engine ``engine="auto"`` picks (the opt-in to the GPU: ``cuda``).
ENGINE_ENV = "HHLIB_ENGINE"
_loaded: dict = {}
_failed: dict = {}
_warned: set = set()


class NonFiniteError(ValueError, FloatingPointError):
    """The membrane state became NaN or infinite (or |V| exceeded :data:`V_LIMIT_MV`): the model cannot be
    integrated meaningfully for these inputs."""


class CudaUnavailableError(RuntimeError):
    """``engine="cuda"`` was asked for, but no usable NVIDIA GPU (with its driver and numba-cuda) is here."""


@dataclass
class RunOutput:
    """What an engine returns, per condition and trial (shape ``(n_cond, n_trials)``).

    ``counts`` spikes, ``first`` first-spike time (ms, NaN if none), ``bad`` the state left the finite range,
    ``traces`` (``record=True`` only) a dict ``name -> (n_cond, n_trials, n_steps + 1)`` with ``"v_mV"``,
    every gate and, with channel noise, ``"open_<current>"`` for every stochastic current.
    """

    counts: np.ndarray
    first: np.ndarray
    bad: np.ndarray
    traces: dict | None = None


def block_size(block: int, n_trials: int) -> int:
    """Trials in block ``block`` (the last block of a condition may be short)."""
    return min(TRIALS_PER_STREAM, n_trials - block * TRIALS_PER_STREAM)


def units_of(spec: RunSpec) -> list:
    """Every ``(condition, block)`` work unit of a run."""
    n_blocks = -(-spec.n_trials // TRIALS_PER_STREAM)
    return [(c, b) for c in range(spec.n_cond) for b in range(n_blocks)]


def _module(name):
    if name not in _loaded and name not in _failed:
        try:
            _loaded[name] = importlib.import_module(_ENGINES[name])
        except Exception as exc:              # ImportError, or numba failing to initialise
            _failed[name] = exc
    return _loaded.get(name)


def compiled_engine_available() -> bool:
    """True if the numba engine imports (it is then the default)."""
    return _module("numba") is not None


def cuda_unavailable_reason() -> str | None:
    """Why ``engine="cuda"`` cannot run in this process, or None if it can (imports numba.cuda on first use)."""
    module = _module("cuda")
    if module is None:
        return f"numba's CUDA target does not import ({_failed['cuda']!r})"
    return module.unavailable_reason()


def cuda_available() -> bool:
    """True if ``engine="cuda"`` can run here: an NVIDIA GPU, its driver and numba-cuda (or numba's simulator).

    Examples
    --------
    >>> isinstance(cuda_available(), bool)
    True
    """
    return cuda_unavailable_reason() is None


def _warn_once(key, message, stacklevel):
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, RuntimeWarning, stacklevel=stacklevel + 1)


def _preferred(engine: str) -> str:
    """``engine``, or for ``"auto"`` the engine named by :data:`ENGINE_ENV` (``"auto"`` when it is unset)."""
    if engine != "auto":
        return engine
    pref = os.environ.get(ENGINE_ENV, "").strip().lower() or "auto"
    if pref not in ("auto", "numba", "numpy", "cuda"):
        raise ValueError(f"the environment variable {ENGINE_ENV} must be one of 'numba', 'numpy', 'cuda' (or unset), "
                         f"got {os.environ[ENGINE_ENV]!r}")
    if pref == "cuda" and cuda_unavailable_reason() is not None:
        _warn_once("cuda", f"hhlib: {ENGINE_ENV}=cuda, but the GPU engine cannot run here "
                           f"({cuda_unavailable_reason()}); using the CPU engines", 5)
        return "auto"
    return pref


def choose_engine(engine: str, record: bool) -> str:
    """The engine that runs a request: ``"auto"`` is numba unless traces are recorded or numba is missing
    (then numpy, with one warning per process), or what :data:`ENGINE_ENV` names; ``"cuda"`` must be usable.
    """
    if engine == "auto" and record:
        return "numpy"
    engine = _preferred(engine)
    if engine == "cuda":
        reason = cuda_unavailable_reason()
        if reason is not None:
            raise CudaUnavailableError(f"engine='cuda' needs an NVIDIA GPU with its driver and numba-cuda "
                                       f"(pip install 'hhlib[gpu]'), but {reason}; use engine='numba' here")
        return "cuda"
    if engine == "numpy":
        return "numpy"
    if _module("numba") is not None:
        return "numba"
    _warn_once("numba", f"hhlib: the compiled (numba) engine is unavailable ({_failed['numba']!r}); "
                        "falling back to the numpy engine, which is several times slower", 4)
    return "numpy"


def execute(spec: RunSpec, lane_amp=None) -> RunOutput:
    """Run ``spec``; raise :class:`NonFiniteError` naming the first diverged condition.

    ``lane_amp`` (optional, shape ``(n_cond, n_trials)``, µA) gives every trial its own amplitude (the
    per-trial threshold search). Counts are capped at ``spec.stop_after`` in every engine.
    """
    n = (spec.n_cond, spec.n_trials)
    out = RunOutput(np.zeros(n, dtype=np.int64), np.full(n, np.nan), np.zeros(n, dtype=bool))
    if spec.record:
        names = ("v_mV",) + spec.model.gate_names + tuple(f"open_{c.name}" for c in spec.channels)
        out.traces = {k: np.empty(n + (spec.n_steps + 1,)) for k in names}
    _module(spec.engine).run(spec, units_of(spec), out, lane_amp)
    if spec.stop_after > 0:
        np.minimum(out.counts, spec.stop_after, out=out.counts)
    if out.bad.any():
        _raise_non_finite(spec, out.bad, lane_amp)
    return out


def _raise_non_finite(spec, bad, lane_amp):
    rows = np.flatnonzero(bad.any(axis=1))
    c = int(rows[0])
    amp = spec.amp_flat[c] if lane_amp is None else lane_amp[c][bad[c]][0]
    where = np.unravel_index(c, spec.cond_shape) if spec.cond_shape else ()
    with np.errstate(over="ignore"):
        density = amp / spec.area_flat[c]
    raise NonFiniteError(
        f"the membrane state became NaN or infinite, or |V| exceeded {V_LIMIT_MV:g} mV, in {int(bad.sum())} "
        f"trial(s) of {rows.size} condition(s); first in condition {tuple(int(i) for i in where)} (amplitude_uA = "
        f"{amp:.6g}, area_cm2 = {spec.area_flat[c]:.6g}, stimulus density {density:.3g} µA/cm²): "
        + _diagnosis(spec, float(amp), float(spec.area_flat[c])))


#: Voltages (mV relative to rest) where a model's rates must be usable: a failure there is the model's.
PHYSIOLOGICAL_V_MV = np.linspace(-500.0, 500.0, 10001)


def _diagnosis(spec, amp, area):
    """Why a run diverged: the model's rate functions, a stimulus too strong for them, or (else) area or noise."""
    model = spec.model
    try:
        problems = model.rate_problems(PHYSIOLOGICAL_V_MV)
    except Exception:                         # rate functions that take scalars only: no diagnosis
        problems = []
    if problems:
        g, v, what = problems[0]
        return (f"the model's gate {g!r} cannot be integrated at V = {v:g} mV ({what}; the engines relax a gate "
                "towards alpha / (alpha + beta) at rate alpha + beta): a problem of the model's rate functions, "
                "not of the stimulus, area or noise")
    up, down = _excursions_mV(spec, amp, area)
    v_lo, v_hi, reason = _usable_range_mV(model)
    if up > v_hi or down > -v_lo:
        return (f"the stimulus is too strong for this model: amplitude_uA = {amp:.6g} µA on area_cm2 = {area:.6g} cm² "
                f"moves V by up to about {max(up, down):.3g} mV in one phase (its charge / c_m), beyond the range "
                f"[{v_lo:.6g}, {v_hi:.6g}] mV where the model can be integrated ({reason}): reduce amplitude_uA "
                "(or enlarge area_cm2)")
    return "the model cannot be integrated there (the area or the noise is far outside the physiological range)"


def _excursions_mV(spec, amp, area):
    """Largest depolarisation and hyperpolarisation (mV, >= 0) one constant phase of the stimulus alone could
    cause: ``|amplitude| x phase duration / (area x c_m)``."""
    w = spec.waveform
    if not w.any():
        return 0.0, 0.0
    starts = np.r_[0, np.flatnonzero(np.diff(np.sign(w))) + 1]
    charge = np.add.reduceat(w, starts) * spec.dt                 # ms per µA of amplitude, per phase
    pos = float(charge.max(initial=0.0))
    neg = float(-charge.min(initial=0.0))
    with np.errstate(over="ignore", invalid="ignore"):
        scale = abs(amp) / (area * spec.model.c_m)
    up, down = (pos, neg) if amp >= 0 else (neg, pos)
    return (scale * up if up else 0.0), (scale * down if down else 0.0)


def _usable_range_mV(model):
    """``(v_lo, v_hi, reason)``: the voltages (mV) within :data:`V_LIMIT_MV` where every rate is usable."""
    mags = np.geomspace(1.0, V_LIMIT_MV, 3001)
    bounds, reasons = [], []
    for sign in (-1.0, 1.0):
        try:
            problems = model.rate_problems(sign * mags)
        except Exception:
            problems = []
        edge = min((abs(v) for _, v, _ in problems), default=None)
        bounds.append(sign * (V_LIMIT_MV if edge is None else edge))
        if edge is not None:
            g, v, what = min(problems, key=lambda p: abs(p[1]))
            reasons.append(f"gate {g!r}: {what} at V = {v:.6g} mV")
    reasons.append(f"|V| <= {V_LIMIT_MV:g} mV")
    return bounds[0], bounds[1], "; ".join(reasons)
