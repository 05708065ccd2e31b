"""Firing probabilities over grids of stimulus amplitudes x areas, serially or on any executor.

The building block of sensitivity maps, loss landscapes and multi-start fits. Work is split into
pieces of the flattened condition grid; each condition keeps its own random stream (its flat
index in the grid), so a sweep on a ``ProcessPoolExecutor`` or a Dask cluster returns exactly
the counts of the serial run with the same seed.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import numpy as np

from .model import MembraneModel
from .runspec import check_timing
from .seeds import SeedRecord, as_seed_sequence, record_of
from .simulate import simulate
from .stats import latency_stats
from .stimulus import Stimulus, as_stimulus
from .validation import check_instance, check_int, real_array

__all__ = ["SweepResult", "sweep"]


@dataclass(frozen=True)
class SweepResult:
    """Counts of a sweep.

    Attributes
    ----------
    amplitude_uA : ndarray
        Stimulus amplitude (µA) of every condition: shape ``grid_shape`` for a stimulus of one part; for several
        parts ``(n_parts,) + grid_shape``, every part's amplitude.
    area_cm2 : ndarray, shape ``grid_shape``
        Membrane area (cm²) of every condition (broadcast).
    n_fired : ndarray of int, shape ``grid_shape``
        Trials with at least one spike.
    n_trials : int
    seed : SeedRecord
        Entropy and spawn key of the root seed: pass it as ``seed`` to reproduce the sweep.
    latency_ms, jitter_ms : ndarray of float, shape ``grid_shape``, or None
        Mean and standard deviation (``ddof = 1``) of the first-spike latency from the stimulus onset over the
        trials that fired, ms (:func:`hhlib.stats.latency_stats`); NaN where none fired (jitter: fewer than 2).
        None only for results built by hand without them.
    stimulus : hhlib.stimulus.Stimulus or None
        The stimulus swept (its parts with their amplitude arrays); None only for results built by hand.
    """

    amplitude_uA: np.ndarray
    area_cm2: np.ndarray
    n_fired: np.ndarray
    n_trials: int
    seed: SeedRecord
    latency_ms: np.ndarray | None = None
    jitter_ms: np.ndarray | None = None
    stimulus: Stimulus | None = None

    @property
    def seed_entropy(self):
        """Entropy of the root seed (:attr:`seed` also holds its spawn key)."""
        return self.seed.entropy

    @property
    def firing_probability(self) -> np.ndarray:
        return self.n_fired / self.n_trials


#: Sweeps interrupted (Ctrl-C) in this process: their remaining pieces return at once.
_INTERRUPTED: set = set()


def _task(model, stimulus, area, ids, n_trials, seed, options, token=None):
    """One piece of a sweep (top level, so that it pickles for process pools and Dask).

    When a worker process receives Ctrl-C, the pieces of the same sweep (``token``) that were already queued
    to it are not computed: they raise KeyboardInterrupt at once.
    """
    if token is not None and token in _INTERRUPTED:
        raise KeyboardInterrupt(f"sweep {token} was interrupted")
    options.setdefault("stop_after", 1)                     # "did it fire, and when first?"
    options.setdefault("max_spikes", 1)
    try:
        res = simulate(model, stimulus, area, n_trials, seed=seed, stream_ids=ids, **options)
    except KeyboardInterrupt:
        _INTERRUPTED.add(token)
        raise
    lat = latency_stats(res.first_spike_ms, stimulus.onset_ms)
    return np.stack([res.n_fired.astype(float), lat.latency_ms, lat.jitter_ms])


def sweep(model: MembraneModel, stimulus, area_cm2, n_trials: int, *, seed=None, executor=None,
          n_pieces: int | None = None, progress=None, **sim_options) -> SweepResult:
    """Firing probability, first-spike latency and jitter after a stimulus for every (amplitude, area) of a grid.

    Parameters
    ----------
    model : MembraneModel
    stimulus : stimulus object or amplitudes
        A part or sum of parts (:mod:`hhlib.stimulus`) whose amplitude arrays, broadcast against ``area_cm2``,
        make the grid; numbers or arrays alone are pulse amplitudes in µA (``Pulse(amplitude)``: 0.1 ms at
        0.1 ms). E.g. amplitudes ``(n_amp,)`` and areas ``(n_area, 1)`` give an ``(n_area, n_amp)`` grid; a 2-D
        amplitude array lets the amplitude depend on the area.
    area_cm2 : array_like
        Membrane areas, cm².
    n_trials : int
        Trials per condition.
    seed : None, int, SeedSequence, Generator or SeedRecord
        Root seed (:mod:`hhlib.seeds`; a SeedSequence's spawn key counts); the counts equal
        ``simulate(..., seed=seed)`` on the same grid and do not depend on ``executor`` or ``n_pieces``.
    executor : concurrent.futures.Executor, optional
        Where to run the pieces: ``ProcessPoolExecutor()``, ``dask.distributed.Client(...).get_executor()``,
        ... (default: in this process).
    n_pieces : int, optional
        Number of pieces (default: 1 without an executor, else 4 per CPU core of this machine or more, so
        that a piece is about :data:`PIECE_NEURON_STEPS` neuron-steps; at most one per condition). Small
        pieces balance the load and stop within a second on Ctrl-C.
    progress : callable, optional
        Called as ``progress(done, total)`` after each finished piece.
    **sim_options
        Passed to :func:`hhlib.simulate` (``dt_ms``, ``t_end_ms``, ``noise``, ``engine``, ...; by default each
        trial stops at its first spike: ``stop_after=1, max_spikes=1``).

    Returns
    -------
    SweepResult

    Examples
    --------
    >>> import numpy as np, hhlib
    >>> amps = 7e-8 * np.array([0.8, 1.0, 1.2])
    >>> r = hhlib.sweep(hhlib.SEED_MODEL, amps, np.array([[1e-9], [4e-9]]), 200, seed=0)
    >>> r.n_fired.shape
    (2, 3)
    >>> late = hhlib.sweep(hhlib.SEED_MODEL, hhlib.Pulse(amps).at(0.5), 1e-9, 200, seed=0)
    >>> bool(np.all(late.latency_ms[late.n_fired > 0] < 0.5))      # from the pulse's onset
    True
    """
    if sim_options.get("record"):
        raise ValueError("sweep counts spikes only; record=True is not supported")
    if "stream_ids" in sim_options:
        raise TypeError("sweep assigns stream_ids itself")
    check_instance("model", model, MembraneModel, "membrane model")
    stim = as_stimulus(stimulus)
    area = real_array("area_cm2", area_cm2, "cm²", positive=True)
    n_trials = check_int("n_trials", n_trials, minimum=1)
    check_timing(stim, sim_options.get("dt_ms", 0.0025), sim_options.get("t_end_ms", 2.0))   # by name, up front
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor must be a concurrent.futures.Executor (with .submit), got {type(executor).__name__}")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable as progress(done, total), got {type(progress).__name__}")
    shape = np.broadcast_shapes(stim.cond_shape, area.shape)
    amps = [np.broadcast_to(a, shape).ravel() for a in stim.amplitudes_uA]
    area_f = np.broadcast_to(area, shape).ravel()
    n_cond = area_f.size
    root = record_of(as_seed_sequence(seed))       # entropy and spawn key: a child seed gives its own sweep
    if n_pieces is None:
        n_pieces = 1 if executor is None else _default_pieces(n_cond, n_trials, sim_options)
    n_pieces = min(check_int("n_pieces", n_pieces, minimum=1), n_cond)
    bounds = np.linspace(0, n_cond, n_pieces + 1).round().astype(int)
    options = dict(sim_options)
    if executor is not None:
        options.setdefault("n_threads", 1)          # the executor's workers are the parallelism
    token = uuid.uuid4().hex
    pieces = [(model, stim.with_amplitudes([a[lo:hi] for a in amps]), area_f[lo:hi], np.arange(lo, hi), n_trials,
               root, dict(options), token) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    n_fired, latency, jitter = np.concatenate(_run_pieces(pieces, executor, progress), axis=1)
    amplitude = np.stack([a.reshape(shape) for a in amps]) if len(amps) > 1 else amps[0].reshape(shape).copy()
    return SweepResult(amplitude, np.broadcast_to(area, shape).copy(), n_fired.astype(np.int64).reshape(shape),
                       int(n_trials), root, latency.reshape(shape), jitter.reshape(shape), stim)


#: Neuron-steps per piece that the default split aims at (about 0.1 s of one core): small enough that
#: Ctrl-C stops a pool within a second, large enough that the per-piece overhead does not matter.
PIECE_NEURON_STEPS = 1e7


def _default_pieces(n_cond, n_trials, sim_options):
    """4 pieces per core, or more so that no piece exceeds :data:`PIECE_NEURON_STEPS`."""
    n_steps = sim_options.get("t_end_ms", 2.0) / sim_options.get("dt_ms", 0.0025)
    return int(max(4 * (os.cpu_count() or 1), np.ceil(n_cond * n_trials * n_steps / PIECE_NEURON_STEPS)))


def _run_pieces(pieces, executor, progress):
    """Results of every piece, in order; on Ctrl-C (or any error) pending pieces are cancelled first."""
    if executor is None:
        results = []
        for i, p in enumerate(pieces):
            results.append(_task(*p))
            if progress:
                progress(i + 1, len(pieces))
        return results
    futures = [executor.submit(_task, *p) for p in pieces]
    try:
        results = []
        for i, f in enumerate(futures):
            results.append(f.result())
            if progress:
                progress(i + 1, len(pieces))
        return results
    except BaseException:
        for f in futures:
            f.cancel()
        raise
