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

import warnings
from dataclasses import dataclass

import numpy as np

from . import observables
from .engines import TRIALS_PER_STREAM, NonFiniteError, compiled_engine_available, execute
from .engines.runspec import MAX_RESULT_BYTES, MAX_STEPS, build_run_spec
from .model import MembraneModel
from .seeds import SeedRecord, as_seed_sequence, record_of
from .spikes import DEFAULT_LEVEL_MV
from .stats import latency_ci, latency_stats, responses
from .stimulus import as_stimulus
from .thresholds import warn_coarse_dt

__all__ = ["simulate", "simulate_some", "SimulationResult", "NonFiniteError", "TRIALS_PER_STREAM", "firing_probability",
           "compiled_engine_available", "make_seed_sequence", "MAX_STEPS", "MAX_RESULT_BYTES"]

#: Kept for older code: :func:`hhlib.seeds.as_seed_sequence`.
make_seed_sequence = as_seed_sequence


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate`.

    Attributes
    ----------
    spike_counts : ndarray of int, shape ``cond_shape + (n_trials,)``
        Spikes per trial (exact, also beyond ``max_spikes``; capped only by ``stop_after``);
        ``cond_shape = broadcast(the stimulus parts' amplitudes, area_cm2)``.
    spike_times_ms : ndarray of float, shape ``cond_shape + (n_trials, max_spikes)``
        Time of each of the first ``max_spikes`` spikes of every trial (see :mod:`hhlib.spikes`, linearly
        interpolated), ms from the start of the run, NaN-padded. :attr:`first_spike_ms` is its first column;
        :attr:`overflow` marks trials with more spikes than recorded (reported by :func:`simulate`). The
        spike-train measures of :mod:`hhlib.observables` (responses per pulse, PSTH, intervals, vector
        strength) are methods here.
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
    stimulus : hhlib.stimulus.Stimulus or None
        The stimulus of the run (its parts and their pulse onsets).

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
    spike_times_ms: np.ndarray
    dt_ms: float
    t_end_ms: float
    seed: SeedRecord | None = None
    t_ms: np.ndarray | None = None
    v_mV: np.ndarray | None = None
    gate_traces: dict | None = None
    stimulus_onset_ms: float | None = None
    open_fractions: dict | None = None
    stimulus: object = None

    @property
    def first_spike_ms(self) -> np.ndarray:
        """Time of each trial's first spike, ms from the start of the run (NaN if none), shape like
        ``spike_counts``."""
        return self.spike_times_ms[..., 0]

    @property
    def max_spikes(self) -> int:
        """Spike times recorded per trial."""
        return self.spike_times_ms.shape[-1]

    @property
    def overflow(self) -> np.ndarray:
        """Trials with more spikes than :attr:`max_spikes` (their later spike times were not recorded)."""
        return self.spike_counts > self.max_spikes

    @property
    def pulse_onsets_ms(self) -> np.ndarray:
        """Onset of every pulse of the stimulus, ms (one for a single pulse)."""
        if self.stimulus is None:
            return np.array([self._onset()])
        return self.stimulus.pulse_onsets_ms()

    def pulse_responses(self):
        """Spikes evoked by each pulse in each trial, ``cond_shape + (n_trials, n_pulses)``
        (:func:`hhlib.observables.pulse_responses`)."""
        return observables.pulse_responses(self)

    def firing_efficiency(self):
        """Fraction of trials in which each pulse evoked a spike, ``cond_shape + (n_pulses,)``."""
        return observables.firing_efficiency(self)

    def pulse_latencies(self):
        """First-spike latency after each pulse, ms from its onset, ``cond_shape + (n_trials, n_pulses)``."""
        return observables.pulse_latencies(self)

    def window_counts(self, t0_ms: float, t1_ms: float):
        """Spikes per trial in ``[t0_ms, t1_ms)`` (:func:`hhlib.observables.window_counts`)."""
        return observables.window_counts(self, t0_ms, t1_ms)

    def psth(self, bin_ms: float, t0_ms: float = 0.0, t1_ms: float | None = None):
        """``(edges_ms, rate_hz)``: the post-stimulus time histogram (:func:`hhlib.observables.psth`)."""
        return observables.psth(self, bin_ms, t0_ms, t1_ms)

    def interspike_intervals(self):
        """Intervals between consecutive spikes, ms, NaN-padded (:func:`hhlib.observables.interspike_intervals`)."""
        return observables.interspike_intervals(self)

    def vector_strength(self, period_ms: float | None = None):
        """Phase locking to the pulse period (:func:`hhlib.observables.vector_strength`), shape ``cond_shape``."""
        return observables.vector_strength(self, period_ms)

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
             stop_after: int | None = None, precision: str = "float64", multirate=None) -> SimulationResult:
    """Simulate ``n_trials`` noisy trials of a membrane model for every stimulus condition.

    Parameters
    ----------
    model : MembraneModel
        :data:`hhlib.SEED_MODEL`, :data:`hhlib.HH1952`, an :class:`~hhlib.HHParameters` variant or any
        :class:`~hhlib.model.Membrane`.
    stimulus : stimulus object or amplitudes
        A part (:class:`hhlib.Pulse`, :class:`hhlib.BiphasicPulse`, :class:`hhlib.PulseTrain`,
        :class:`hhlib.Waveform`, :class:`hhlib.Ramp`) or a sum of parts (``conditioner + probe``), each with its
        own ``amplitude_uA`` (µA, a number or an array; they broadcast against each other and ``area_cm2``);
        numbers or arrays alone mean ``Pulse(amplitude)``. Its edges must lie on the time grid and its parts
        must end by ``t_end_ms``.
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
        Random-stream id of each condition, shape ``cond_shape`` (default: the flat condition index). Lets a
        sweep split into pieces reproduce the unsplit run exactly.
    max_spikes : int, optional
        Spike times recorded per trial (default: the stimulus's pulses + 3, at most 1024). Counts stay exact
        beyond it; a trial with more spikes *overflows* (:attr:`SimulationResult.overflow`, one RuntimeWarning).
        Memory: ``8 x max_spikes`` bytes per trial.
    stop_after : int, optional
        Stop following a trial once it has this many spikes (``spike_counts`` is then capped there, in every
        engine): ``stop_after=1`` answers "did it fire?" about a third faster.
    precision : {"float64", "float32"}
        Arithmetic of the GPU engine; ``"float32"`` (with ``engine="cuda"`` only) is several times faster.
    multirate : None, bool or hhlib.engines.Multirate
        None/False: the fixed grid of ``dt_ms``. True (the defaults) or a :class:`~hhlib.engines.Multirate`: fine
        steps during pulses, after their edges and while a trial is excited, ``k x dt_ms`` elsewhere (long
        trains several times faster; numba engine, current noise or none; :mod:`hhlib.engines.numba_fast`).

    Returns
    -------
    SimulationResult
        ``spike_counts`` has shape ``cond_shape + (n_trials,)``.

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
                          stop_after=stop_after, precision=precision, multirate=multirate)
    out = execute(spec)
    warn_coarse_dt(spec.model, spec.dt, stacklevel=2)
    return _result(spec, out)


def simulate_some(active, model: MembraneModel, stimulus, area_cm2, n_trials: int, **options) -> SimulationResult:
    """:func:`simulate` of the trials where ``active`` (bool, broadcast to ``cond_shape + (n_trials,)``) only: each
    of them exactly as :func:`simulate` with the same ``options`` gives it (its own noise: same counts and times);
    the others are not simulated and read as silent (count 0, no spike times).

    >>> import numpy as np, hhlib
    >>> full = hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(7e-8), 1e-9, 6, seed=3)
    >>> some = simulate_some([True, False] * 3, hhlib.SEED_MODEL, hhlib.Pulse(7e-8), 1e-9, 6, seed=3)
    >>> bool(np.array_equal(some.spike_counts, np.where([True, False] * 3, full.spike_counts, 0)))
    True
    """
    spec = build_run_spec(model, stimulus, area_cm2, n_trials, **options)
    if spec.record or spec.multirate is not None:
        raise ValueError("simulate_some runs without record=True or multirate (the trials it skips have no traces)")
    try:
        active = np.broadcast_to(np.asarray(active, dtype=bool), spec.cond_shape + (spec.n_trials,))
    except ValueError:
        raise ValueError(f"active must broadcast to the conditions' shape x trials {spec.cond_shape + (n_trials,)}, "
                         f"got shape {np.shape(active)}") from None
    stop = np.where(active.reshape(spec.n_cond, spec.n_trials), spec.stop_after, -1)
    out = execute(spec, lane_stop=stop)
    warn_coarse_dt(spec.model, spec.dt, stacklevel=2)
    return _result(spec, out)


def _result(spec, out) -> SimulationResult:
    shape = spec.cond_shape + (spec.n_trials,)
    result = dict(spike_counts=out.counts.reshape(shape), spike_times_ms=out.times.reshape(shape + (-1,)),
                  dt_ms=spec.dt, t_end_ms=spec.n_steps * spec.dt, seed=record_of(spec.root),
                  stimulus_onset_ms=float(spec.stimulus.onset_ms), stimulus=spec.stimulus)
    if spec.record:
        traces = {k: a.reshape(shape + (spec.n_steps + 1,)) for k, a in out.traces.items()}
        opened = {k[5:]: traces.pop(k) for k in list(traces) if k.startswith("open_")} or None
        result.update(t_ms=np.arange(spec.n_steps + 1) * spec.dt, v_mV=traces.pop("v_mV"), gate_traces=traces,
                      open_fractions=opened)
    n_over = int(out.overflow.sum())
    if n_over:
        warnings.warn(f"{n_over} trial(s) had more than max_spikes = {spec.max_spikes} spikes: their spike_counts "
                      "are exact, but only their first max_spikes spike times were recorded (result.overflow marks "
                      "them); simulate with a larger max_spikes for all of them", RuntimeWarning, stacklevel=3)
    return SimulationResult(**result)


def firing_probability(model: MembraneModel, stimulus, area_cm2, n_trials: int, *, seed=None,
                       **sim_options) -> np.ndarray:
    """Fraction of trials that fired (>= 1 spike) for every stimulus condition.

    Parameters
    ----------
    model : MembraneModel
    stimulus : stimulus object or amplitudes
        As in :func:`simulate`: a part, a sum of parts, or amplitudes in µA (``Pulse(amplitude)``: 0.1 ms at
        0.1 ms).
    area_cm2 : float or array_like
        Membrane area, cm²; broadcasts against the stimulus amplitudes.
    n_trials : int
    seed : None, int, SeedSequence, Generator or SeedRecord
    **sim_options
        Passed to :func:`simulate` (``dt_ms``, ``t_end_ms``, ``noise``, ...).

    Returns
    -------
    ndarray, shape ``cond_shape``

    Examples
    --------
    >>> import hhlib
    >>> float(hhlib.firing_probability(hhlib.SEED_MODEL, 2e-7, 1e-9, 50, seed=0))
    1.0
    >>> float(hhlib.firing_probability(hhlib.SEED_MODEL, hhlib.Pulse(2e-7, delay_ms=0.5), 1e-9, 50, seed=0))
    1.0
    """
    sim_options.setdefault("stop_after", 1)
    sim_options.setdefault("max_spikes", 1)
    res = simulate(model, as_stimulus(stimulus), area_cm2, n_trials, seed=seed, **sim_options)
    return res.firing_probability
