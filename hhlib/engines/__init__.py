"""The engines: run a :class:`~hhlib.engines.runspec.RunSpec` and return spike counts, spike times and traces.

One small interface: :func:`execute` (``spec, lane_scale=None, lane_stop=None -> RunOutput``) dispatches to the
engine named in the spec and checks that every trial stayed finite. Engines:

- ``numpy`` (:mod:`hhlib.engines.numpy_engine`): the vectorised reference; the only one that records traces.
- ``numba`` (:mod:`hhlib.engines.numba_engine`): compiled kernels around the membrane step generated once per
  model (:mod:`hhlib.engines.step`).
- ``cuda`` (:mod:`hhlib.engines.cuda_engine`): the same step on an NVIDIA GPU, one thread per trial, with
  counter-based noise (statistically equal to the CPU engines, not identical); float64 or float32 (channel
  noise: float64).

Which engine ``"auto"`` picks: :mod:`hhlib.engines.select`.

What every engine records (the recorders, one definition each): the spike count of every trial (never capped
unless the spec says to stop following a trial), the time of each of its first ``spec.max_spikes`` spikes (ms
from the start of the run, NaN-padded; a trial with more spikes *overflows*: its count stays exact, the later
times are not kept, and the result reports it), whether its state left the finite range and, for the numpy
engine with ``record=True``, the traces.

Work is split into units ``(condition, block)``: block ``b`` holds trials ``b*256 ... b*256+255`` of a
condition and draws its random numbers from its own stream (:func:`hhlib.seeds.stream`), so results never
depend on the engine's chunking or threads. A new engine implements ``run(spec, units, out, lanes)`` filling
``out`` and is registered in :data:`hhlib.engines.select.ENGINE_MODULES`.
"""
from __future__ import annotations

import numpy as np

from .common import TRIALS_PER_STREAM, LaneInputs, NonFiniteError, NormalCache, RunOutput, block_size, units_of
from .diagnosis import V_LIMIT_MV, diagnosis
from .runspec import Multirate
from .select import (
    ENGINE_ENV,
    CudaUnavailableError,
    choose_engine,
    compiled_engine_available,
    cuda_available,
    cuda_unavailable_reason,
    engine_module,
)

__all__ = ["Multirate", "RunOutput", "LaneInputs", "NormalCache", "NonFiniteError", "CudaUnavailableError", "execute",
           "choose_engine", "compiled_engine_available", "cuda_available", "cuda_unavailable_reason",
           "TRIALS_PER_STREAM", "V_LIMIT_MV", "ENGINE_ENV", "block_size", "units_of"]

def execute(spec, lane_scale=None, lane_stop=None, normals=None) -> RunOutput:
    """Run ``spec``; raise :class:`NonFiniteError` naming the first diverged condition.

    Parameters
    ----------
    spec : RunSpec
    lane_scale : ndarray, shape (n_cond, n_trials), optional
        Every trial's own factor on the amplitude of part ``spec.vary`` (all parts if None): the per-trial
        threshold searches.
    lane_stop : ndarray of int, shape (n_cond, n_trials), optional
        Every trial's own ``stop_after`` (0: never).
    normals : NormalCache, optional
        Current-noise normals kept between the executions of one search (same seed root, same steps); the numba
        engine reuses them instead of drawing them again. Results are identical with or without it.
    """
    n = (spec.n_cond, spec.n_trials)
    out = RunOutput(np.zeros(n, dtype=np.int64), np.full(n + (spec.max_spikes,), np.nan), np.zeros(n, dtype=bool))
    if spec.record:
        names = ("v_mV",) + spec.model.gate_names + tuple(f"open_{c.name}" for c in spec.channels)
        out.traces = {k: np.empty(n + (spec.n_steps + 1,)) for k in names}
    lanes = LaneInputs(lane_scale, lane_stop, normals)
    if spec.multirate is not None:                  # the numba engine's multi-rate kernel (long trains)
        from .numba_fast import run_multirate
        run_multirate(spec, units_of(spec), out, lanes)
    else:
        engine_module(spec.engine).run(spec, units_of(spec), out, lanes)
    if out.bad.any():
        _raise_non_finite(spec, out.bad, lanes)
    return out


def _raise_non_finite(spec, bad, lanes):
    rows = np.flatnonzero(bad.any(axis=1))
    c = int(rows[0])
    t = int(np.flatnonzero(bad[c])[0])
    dens = lanes.densities(spec, c, t, t + 1)[:, 0]
    area = float(spec.area_flat[c])
    with np.errstate(invalid="ignore", over="ignore"):                # inf x 0 off the pulse: NaN, reported below
        current = (dens * area) @ spec.waveforms                      # µA per step
    where = np.unravel_index(c, spec.cond_shape) if spec.cond_shape else ()
    amps = ", ".join(f"{a:.6g}" for a in dens * area)
    raise NonFiniteError(
        f"the membrane state became NaN or infinite, or |V| exceeded {V_LIMIT_MV:g} mV, in {int(bad.sum())} "
        f"trial(s) of {rows.size} condition(s); first in condition {tuple(int(i) for i in where)} (amplitude_uA = "
        f"{amps}, area_cm2 = {area:.6g}, largest stimulus density {np.abs(current).max() / area:.3g} µA/cm²): "
        + diagnosis(spec, current, area))
