"""Stochastic simulation of a membrane model after a stimulus: vectorised over conditions and trials.

:func:`simulate` validates its arguments into a :class:`~hhlib.runspec.RunSpec` and runs it on an engine
(:mod:`hhlib.engines`: compiled numba kernel by default, numpy for traces); the numerical scheme, the
random streams and the spike rule are described there and in :mod:`hhlib.spikes`.

Random numbers: trials are grouped in blocks of :data:`TRIALS_PER_STREAM`; block ``b`` of condition ``c``
(its stream id, by default the flat index in the broadcast amplitude x area shape) draws its normals from
its own stream, the child ``(c, b)`` of the root seed (:mod:`hhlib.seeds`). Results therefore do not depend
on the internal chunking or threads, and the first trials of a larger run equal a smaller run.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engines import TRIALS_PER_STREAM, NonFiniteError, compiled_engine_available, execute
from .model import MembraneModel
from .runspec import MAX_RESULT_BYTES, MAX_STEPS, build_run_spec
from .seeds import SeedRecord, as_seed_sequence, record_of
from .spikes import DEFAULT_LEVEL_MV
from .stats import latency_ci, latency_stats, responses
from .stimulus import Pulse
from .thresholds import warn_coarse_dt

__all__ = ["simulate", "SimulationResult", "NonFiniteError", "TRIALS_PER_STREAM", "firing_probability",
           "compiled_engine_available", "make_seed_sequence", "MAX_STEPS", "MAX_RESULT_BYTES"]

#: Kept for older code: :func:`hhlib.seeds.as_seed_sequence`.
make_seed_sequence = as_seed_sequence


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
    dt_ms, t_end_ms : float
    seed : SeedRecord or None
        Entropy and spawn key of the root seed: ``simulate(..., seed=result.seed)`` reproduces the run;
        None without noise.
    t_ms : ndarray, shape (n_steps + 1,) or None
        Sample times of the traces (only with ``record=True``).
    v_mV : ndarray, shape ``cond_shape + (n_trials, n_steps + 1)`` or None
        Recorded membrane potential, mV relative to rest (only with ``record=True``).
    gate_traces : dict of ndarray or None
        Recorded gates by name (``"m"``, ``"h"``, ``"n"`` for Hodgkin-Huxley), in [0, 1]; the
        properties ``m``, ``h`` and ``n`` return them. With :class:`hhlib.ChannelNoise`, the gates of
        stochastic currents are their channels' fractions of open particles.
    open_fractions : dict of ndarray or None
        With :class:`hhlib.ChannelNoise` and ``record=True``: the conducting fraction ``N_open / N`` of
        every stochastic current by name (``"na"``, ``"k"``), shaped like ``v_mV``.
    stimulus_onset_ms : float or None
        When the stimulus starts, ms from the start of the run (``stimulus.onset_ms``); latencies are
        measured from it. None only for results built by hand without it.

    Firing and responses: a trial *fired* (:attr:`fired`, :attr:`firing_probability`, :attr:`n_fired`) when
    it produced at least one spike anywhere in the run, before the stimulus onset included (the
    firing-efficiency definition the data and the fit use). It *responded* when its first spike came at or
    after ``stimulus_onset_ms``, and fired *spontaneously* (:attr:`spontaneous`, :attr:`n_spontaneous`) when
    its first spike came before it (small channel counts, strong noise).

    Latency and jitter (:func:`hhlib.stats.latency_stats`): :attr:`latency_ms` and :attr:`jitter_ms` are the
    mean and the sample standard deviation (``ddof = 1``) of ``first_spike_ms - stimulus_onset_ms`` over the
    trials that responded (so never negative); a spontaneous trial contributes no latency.
    :meth:`latency_ci` gives their confidence intervals.
    """

    spike_counts: np.ndarray
    first_spike_ms: np.ndarray
    dt_ms: float
    t_end_ms: float
    seed: SeedRecord | None = None
    t_ms: np.ndarray | None = None
    v_mV: np.ndarray | None = None
    gate_traces: dict | None = None
    stimulus_onset_ms: float | None = None
    open_fractions: dict | None = None

    @property
    def seed_entropy(self):
        """Entropy of the root seed (None without noise); :attr:`seed` also holds its spawn key."""
        return None if self.seed is None else self.seed.entropy

    @property
    def m(self):
        return None if self.gate_traces is None else self.gate_traces.get("m")

    @property
    def h(self):
        return None if self.gate_traces is None else self.gate_traces.get("h")

    @property
    def n(self):
        return None if self.gate_traces is None else self.gate_traces.get("n")

    @property
    def fired(self) -> np.ndarray:
        """Boolean, True where a trial produced at least one spike; shape like ``spike_counts``."""
        return self.spike_counts >= 1

    @property
    def firing_probability(self) -> np.ndarray:
        """Fraction of trials that fired (at least one spike, spontaneous ones included), shape ``cond_shape``."""
        return self.fired.mean(axis=-1)

    @property
    def n_fired(self) -> np.ndarray:
        """Number of trials that fired (at least one spike, spontaneous ones included), shape ``cond_shape``."""
        return self.fired.sum(axis=-1)

    @property
    def spontaneous(self) -> np.ndarray:
        """Boolean, True where a trial's first spike came before the stimulus onset; shape like ``spike_counts``."""
        return responses(self.first_spike_ms, self._onset())[1]

    @property
    def n_spontaneous(self) -> np.ndarray:
        """Number of trials whose first spike came before the stimulus onset, shape ``cond_shape``."""
        return self.spontaneous.sum(axis=-1)

    def _onset(self) -> float:
        if self.stimulus_onset_ms is None:
            raise ValueError("this SimulationResult does not know its stimulus onset (stimulus_onset_ms=None): "
                             "latencies are measured from it")
        return self.stimulus_onset_ms

    @property
    def latency_ms(self) -> np.ndarray:
        """Mean first-spike latency from the stimulus onset over the trials that responded (first spike at or
        after the onset), ms, shape ``cond_shape``; NaN where none responded."""
        return latency_stats(self.first_spike_ms, self._onset()).latency_ms

    @property
    def jitter_ms(self) -> np.ndarray:
        """Standard deviation (``ddof = 1``) of the first-spike latency over the trials that responded, ms, shape
        ``cond_shape``; NaN where fewer than 2 responded."""
        return latency_stats(self.first_spike_ms, self._onset()).jitter_ms

    def latency_ci(self, level: float = 0.95, *, method: str = "normal", n_boot: int = 2000, seed=None):
        """Confidence intervals ``(latency_low, latency_high, jitter_low, jitter_high)`` (ms, each of shape
        ``cond_shape``; NaN where fewer than 2 responded): see :func:`hhlib.stats.latency_ci`.

        Examples
        --------
        >>> import hhlib
        >>> r = hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(1e-7), 1e-9, 200, seed=0)
        >>> lo, hi, jlo, jhi = r.latency_ci(0.95)
        >>> bool(lo < r.latency_ms < hi) and bool(jlo < r.jitter_ms < jhi)
        True
        """
        return latency_ci(self.first_spike_ms, self._onset(), level, method=method, n_boot=n_boot, seed=seed)


def simulate(model: MembraneModel, stimulus, area_cm2, n_trials: int, *, dt_ms: float = 0.0025,
             t_end_ms: float = 2.0, seed=None, noise=True, record: bool = False,
             spike_threshold_mV: float = DEFAULT_LEVEL_MV, engine: str = "auto", n_threads: int | None = None,
             chunk_lanes: int | None = None, stream_ids=None, max_spikes: int | None = None,
             precision: str = "float64") -> SimulationResult:
    """Simulate ``n_trials`` noisy trials of a membrane model for every stimulus condition.

    Parameters
    ----------
    model : MembraneModel
        :data:`hhlib.SEED_MODEL`, :data:`hhlib.HH1952`, an :class:`~hhlib.HHParameters` variant or any
        :class:`~hhlib.model.Membrane`.
    stimulus : Pulse or BiphasicPulse
        Its ``amplitude_uA`` (µA) may be an array; it broadcasts against ``area_cm2``. Its edges must lie
        on the time grid (whole numbers of steps).
    area_cm2 : float or array_like
        Membrane area, cm² (> 0). The stimulus current density is ``I / A``; the noise current grows
        like ``sqrt(A)``.
    n_trials : int
        Independent noisy trials per condition (>= 1).
    dt_ms : float
        Time step, ms (default 2.5 µs); must divide the stimulus timing and ``t_end_ms``. A step whose predicted
        threshold error exceeds 1 % for this model (second order, :func:`hhlib.thresholds.dt_warning`; SEED_MODEL:
        above about 16 µs) runs, with one RuntimeWarning that names the recommended step.
    t_end_ms : float
        Simulated time, ms (a whole number of steps, at most :data:`MAX_STEPS`).
    seed : None, int, SeedSequence, Generator or SeedRecord
        Root of the random streams (:mod:`hhlib.seeds`); the same seed gives the same counts for any chunking
        or threads.
    noise : bool or noise object
        True: the model's own noise (``model.noise``); False: the deterministic model exactly; or a noise
        object: :class:`hhlib.CurrentNoise` or :class:`hhlib.ChannelNoise` (channel counts then follow
        from ``area_cm2``; see its ``default_dt_ms`` for the recommended ``dt_ms``).
    record : bool
        Keep the traces of V and the gates (memory ``O(trials x steps)``: use for a few trials).
    spike_threshold_mV : float
        Detection level of the spike rule (:mod:`hhlib.spikes`), mV above rest, in (0, E_max): a spike
        needs both V and the ionic equilibrium potential at the level, so passive charging never counts.
        A model that cannot fire (no gated current reversing above rest, e.g. a passive leak-only
        membrane) takes any level and gives 0 spikes (:func:`hhlib.spikes.check_level`).
    engine : {"auto", "numba", "numpy", "cuda"}
        ``"numba"``: compiled kernel, parallel over trial blocks (fast; no traces).
        ``"numpy"``: the vectorised reference implementation (also used for ``record=True``).
        ``"cuda"``: the kernel on an NVIDIA GPU, one thread per trial (``pip install 'hhlib[gpu]'``; no traces);
        its noise is statistically equal to, not identical with, the CPU engines' for the same seed.
        ``"auto"``: numba unless traces are recorded or numba is unavailable (then one warning); the
        environment variable ``HHLIB_ENGINE=cuda`` makes it the GPU where one is usable.
    n_threads : int, optional
        Threads for the numba engine (default: all cores; more than the cores are not started).
    chunk_lanes : int, optional
        Condition x trial lanes advanced together by the numpy engine (memory/speed trade-off only).
    stream_ids : array_like of int, optional
        Random-stream id of each condition, shape ``broadcast(amplitude, area)`` (default: the flat condition
        index). Lets a sweep split into pieces reproduce the unsplit run exactly.
    max_spikes : int, optional
        Stop following a trial once it has this many spikes (``spike_counts`` is then capped at it, in every
        engine). ``max_spikes=1`` answers "did it fire?" about a third faster.
    precision : {"float64", "float32"}
        Arithmetic of the GPU engine; ``"float32"`` (with ``engine="cuda"`` only) is several times faster.

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
    CudaUnavailableError
        (a RuntimeError) for ``engine="cuda"`` without a usable GPU, saying why.

    Examples
    --------
    >>> import numpy as np, hhlib
    >>> res = hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(np.array([5e-8, 1e-7])), 1e-9, 200, seed=1)
    >>> res.spike_counts.shape
    (2, 200)
    >>> bool(res.firing_probability[0] < res.firing_probability[1])
    True
    """
    spec = build_run_spec(model, stimulus, area_cm2, n_trials, dt_ms=dt_ms, t_end_ms=t_end_ms, seed=seed,
                          noise=noise, record=record, spike_threshold_mV=spike_threshold_mV, engine=engine,
                          n_threads=n_threads, chunk_lanes=chunk_lanes, stream_ids=stream_ids, max_spikes=max_spikes,
                          precision=precision)
    out = execute(spec)
    warn_coarse_dt(spec.model, spec.dt, stacklevel=2)
    shape = spec.cond_shape + (spec.n_trials,)
    result = dict(spike_counts=out.counts.reshape(shape), first_spike_ms=out.first.reshape(shape), dt_ms=spec.dt,
                  t_end_ms=spec.n_steps * spec.dt, seed=record_of(spec.root),
                  stimulus_onset_ms=float(stimulus.onset_ms))
    if spec.record:
        traces = {k: a.reshape(shape + (spec.n_steps + 1,)) for k, a in out.traces.items()}
        opened = {k[5:]: traces.pop(k) for k in list(traces) if k.startswith("open_")} or None
        result.update(t_ms=np.arange(spec.n_steps + 1) * spec.dt, v_mV=traces.pop("v_mV"), gate_traces=traces,
                      open_fractions=opened)
    return SimulationResult(**result)


def firing_probability(model: MembraneModel, amplitude_uA, area_cm2, n_trials: int, *, seed=None,
                       delay_ms: float = 0.1, duration_ms: float = 0.1, **sim_options) -> np.ndarray:
    """Fraction of trials that fired (>= 1 spike) after a rectangular pulse.

    Parameters
    ----------
    model : MembraneModel
    amplitude_uA : float or array_like
        Pulse amplitude, µA.
    area_cm2 : float or array_like
        Membrane area, cm²; broadcasts against ``amplitude_uA``.
    n_trials : int
    seed : None, int, SeedSequence, Generator or SeedRecord
    delay_ms, duration_ms : float
        Pulse timing, ms (the predecessor's 0.1 ms at 0.1 ms by default).
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
