"""The run specification: every argument of a simulation, validated once, in one object the engines consume.

:func:`build_run_spec` checks each argument where it enters (naming it and its allowed range) and returns a
:class:`RunSpec`; :func:`hhlib.engines.execute` runs it on the chosen engine. ``simulate`` and the threshold
searches both go through this pair; nothing else reaches into an engine.

The flow: stimulus (:mod:`hhlib.stimulus`: parts with their amplitudes) -> run spec (unit waveforms on the
grid, amplitudes per part and condition) -> the membrane step generated from the model
(:mod:`hhlib.engines.step`) inside each engine's loops -> recorders (counts, spike times, traces) ->
:class:`hhlib.SimulationResult`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..model import MembraneModel
from ..noise import ChannelNoise, CurrentNoise
from ..seeds import as_seed_sequence
from ..spikes import DEFAULT_LEVEL_MV, check_level
from ..stimulus import as_stimulus, check_ends_by, grid_steps
from ..validation import check_bool, check_choice, check_instance, check_int, check_real, real_array
from .select import choose_engine

__all__ = ["RunSpec", "build_run_spec", "resolve_noise", "check_timing", "default_max_spikes", "MAX_STEPS",
           "MAX_RESULT_BYTES", "MAX_RECORD_BYTES", "MAX_SPIKES_LIMIT", "ENGINES", "PRECISIONS",
           "DEFAULT_CHUNK_LANES", "Multirate", "resolve_multirate"]

#: Most time steps one run may take (t_end_ms / dt_ms), checked before anything is allocated.
MAX_STEPS = 50_000_000
#: Largest result arrays (counts, spike times of all trials), bytes.
MAX_RESULT_BYTES = 8 * 1024**3
#: Largest trace array that ``record=True`` may allocate, bytes.
MAX_RECORD_BYTES = 2 * 1024**3
#: Most spike times recorded per trial.
MAX_SPIKES_LIMIT = 1_000_000
#: Default number of lanes (condition x trial pairs) advanced together by the numpy engine.
DEFAULT_CHUNK_LANES = 32768
#: Engine names ``simulate`` accepts.
ENGINES = ("auto", "numba", "numpy", "cuda")
#: Floating-point precisions: float64 everywhere; float32 on the GPU engine only.
PRECISIONS = ("float64", "float32")
#: Noise types the engines implement.
NOISE_TYPES = (CurrentNoise, ChannelNoise)


@dataclass(frozen=True)
class Multirate:
    """The multi-rate grid for long trains (``simulate(..., multirate=Multirate(...))`` or ``multirate=True``).

    Fine steps ``dt_ms`` during every pulse (wherever the stimulus changes), for ``guard_ms`` after each of its
    edges and while a trial is not quiet; steps of ``k x dt_ms`` elsewhere (:mod:`hhlib.engines.numba_fast`).

    Attributes
    ----------
    k : int
        Coarse step in fine steps, 2 .. 64 (every stimulus edge stays on the fine grid).
    guard_ms : float
        Fine steps for at least this long after every stimulus edge, ms (>= 0; rounded up to whole steps).
    v_guard_mV : float
        A trial is quiet only below this V, mV above rest (> 0, below the spike level).
    rate_guard_mV_per_ms : float
        ... and while its deterministic |dV/dt| over the last step is below this, mV/ms (> 0).
    """

    k: int = 8
    guard_ms: float = 0.15
    v_guard_mV: float = 5.0
    rate_guard_mV_per_ms: float = 20.0

    def __post_init__(self):
        object.__setattr__(self, "k", check_int("multirate.k", self.k, minimum=2, maximum=64))
        object.__setattr__(self, "guard_ms", check_real("multirate.guard_ms", self.guard_ms, low=0.0, unit="ms"))
        object.__setattr__(self, "v_guard_mV", check_real("multirate.v_guard_mV", self.v_guard_mV, low=0.0,
                                                          low_open=True, unit="mV"))
        object.__setattr__(self, "rate_guard_mV_per_ms", check_real(
            "multirate.rate_guard_mV_per_ms", self.rate_guard_mV_per_ms, low=0.0, low_open=True, unit="mV/ms"))


def resolve_multirate(multirate, level, engine, record, noise):
    """The :class:`Multirate` of a run (None: the fixed fine grid), checked against the rest of the run."""
    if multirate is None or multirate is False:
        return None
    if multirate is True:
        multirate = Multirate()
    if not isinstance(multirate, Multirate):
        raise TypeError(f"multirate must be None, False, True (the defaults) or hhlib.engines.Multirate(...), "
                        f"got {multirate!r}")
    if engine not in ("auto", "numba") or record:
        raise ValueError(f"multirate runs on the numba engine only, without record=True (got engine={engine!r}, "
                         f"record={record!r}); use multirate=None for the fixed grid")
    if isinstance(noise, ChannelNoise):
        raise ValueError("multirate does not support channel noise (ChannelNoise: its Markov steps are exact for "
                         "the fine step only); use multirate=None with channel noise")
    if multirate.v_guard_mV >= level:
        raise ValueError(f"multirate.v_guard_mV = {multirate.v_guard_mV} must be below the spike detection level "
                         f"spike_threshold_mV = {level} mV")
    return multirate


@dataclass(frozen=True, eq=False)
class RunSpec:
    """A validated simulation request (build with :func:`build_run_spec`).

    Attributes
    ----------
    model : MembraneModel
    stimulus : hhlib.stimulus.Stimulus
    waveforms : ndarray, shape (n_parts, n_steps)
        Unit waveform of every part per step (the current over a step is ``sum_p amp[p] * waveforms[p, step]``).
    dt : float
        Time step, ms.
    amp : ndarray, shape (n_parts, n_cond)
        Amplitude of every part in every condition, µA (flattened broadcast of the parts and the area).
    area_flat : ndarray, shape (n_cond,)
        Area of every condition, cm².
    ids : ndarray of int, shape (n_cond,)
        Random-stream id of every condition.
    cond_shape : tuple
    n_trials : int
    root : numpy.random.SeedSequence or None
        Root of the random streams; None without noise.
    noise : noise object or None
    level : float
        Spike detection level, mV above rest.
    engine : {"numba", "numpy", "cuda"}
    n_threads, chunk : int
        Threads (numba) and lanes per chunk (numpy): speed only, never results.
    record : bool
    max_spikes : int
        Spike times recorded per trial (counts are exact beyond it: an overflow is reported).
    stop_after : int
        Stop following a trial after this many spikes (0: never); counts are then capped there.
    vary : int or None
        The part whose amplitude per-trial factors (:func:`hhlib.engines.execute`'s ``lane_scale``) multiply;
        None: all parts.
    precision : {"float64", "float32"}
    channels : tuple of hhlib.channels.ChannelCurrent
    channel_n : ndarray of int64, shape (len(channels), n_cond) or None
    multirate : Multirate or None
        The multi-rate grid (numba engine, current noise or none); None: the fixed grid of ``dt``.
    """

    model: MembraneModel
    stimulus: object
    waveforms: np.ndarray
    dt: float
    amp: np.ndarray
    area_flat: np.ndarray
    ids: np.ndarray
    cond_shape: tuple
    n_trials: int
    root: np.random.SeedSequence | None
    noise: object
    level: float
    engine: str
    n_threads: int
    chunk: int
    record: bool
    max_spikes: int
    stop_after: int = 0
    vary: int | None = None
    precision: str = "float64"
    channels: tuple = ()
    channel_n: np.ndarray | None = None
    multirate: Multirate | None = None

    @property
    def n_steps(self) -> int:
        return self.waveforms.shape[1]

    @property
    def n_parts(self) -> int:
        return self.waveforms.shape[0]

    @property
    def n_cond(self) -> int:
        return self.area_flat.size


def resolve_noise(noise, model):
    """The noise object of a run: ``True`` -> the model's own, ``False`` -> None, or a noise object."""
    if isinstance(noise, (bool, np.bool_)):
        return model.noise if bool(noise) and model.has_noise else None
    if isinstance(noise, NOISE_TYPES):
        if isinstance(noise, CurrentNoise):
            noise.scale_conductance(model)            # the model must have the scaling current
        else:
            from ..channels import channel_plan
            channel_plan(model, noise)                # the model must have the named, gated currents
        return noise if noise.active else None
    raise TypeError(f"noise must be True (the model's own), False (none) or a noise object "
                    f"(hhlib.CurrentNoise or hhlib.ChannelNoise), got {noise!r}")


def check_timing(stimulus, dt_ms, t_end_ms):
    """``(dt, n_steps)``: dt and t_end positive, every stimulus edge and t_end on the grid, size bounded.

    A finite stimulus must also end by ``t_end_ms`` (:func:`hhlib.stimulus.check_ends_by`: a part that would be
    cut short is refused, naming ``t_end_ms``).
    """
    dt = check_real("dt_ms", dt_ms, low=0.0, low_open=True, unit="ms")
    t_end = check_real("t_end_ms", t_end_ms, low=0.0, low_open=True, unit="ms")
    stimulus.check_grid(dt)                  # every edge a whole number of steps
    if t_end <= stimulus.onset_ms:
        raise ValueError(f"t_end_ms = {t_end} must be later than the stimulus onset ({stimulus.onset_ms} ms)")
    if t_end / dt > MAX_STEPS:
        raise ValueError(f"t_end_ms / dt_ms = {t_end / dt:.3g} steps exceeds the limit of {MAX_STEPS:.0e} steps "
                         f"per run (t_end_ms = {t_end!r}, dt_ms = {dt!r}): use a larger dt_ms or a shorter t_end_ms")
    n_steps = grid_steps("t_end_ms", t_end, dt)
    check_ends_by(stimulus, dt, n_steps)     # a finite part must end by t_end_ms, never be cut short
    return dt, n_steps


def default_max_spikes(stimulus) -> int:
    """Spike times recorded per trial unless ``max_spikes`` is given: the stimulus's pulses + 3, at most 1024."""
    return int(min(stimulus.pulse_onsets_ms().size + 3, 1024))


def _check_sizes(n_cond, n_trials, n_steps, record, max_spikes):
    nbytes = (9 + 8 * max_spikes) * n_cond * n_trials
    if nbytes > MAX_RESULT_BYTES:
        raise ValueError(f"n_trials = {n_trials} for {n_cond} condition(s) with max_spikes = {max_spikes} needs "
                         f"{nbytes / 2**30:.3g} GiB of results (limit {MAX_RESULT_BYTES / 2**30:.0f} GiB): reduce "
                         "n_trials, max_spikes or the number of conditions")
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


def _channels(model, run_noise, area, cond_shape, precision):
    if not isinstance(run_noise, ChannelNoise):
        return (), None
    from ..channels import channel_counts, channel_plan
    channels = channel_plan(model, run_noise)
    if precision != "float64":
        raise ValueError(f"precision={precision!r}: channel noise (ChannelNoise) runs in float64 only, on every "
                         "engine; use precision='float64'")
    return channels, channel_counts(channels, np.broadcast_to(area, cond_shape).ravel())


def _check_engine(engine, record, precision):
    check_choice("engine", engine, ENGINES)
    check_choice("precision", precision, PRECISIONS)
    if engine in ("numba", "cuda") and record:
        raise ValueError(f"engine={engine!r} does not record traces; use engine='numpy' (or 'auto') with record=True")


def _engine(engine, record, precision):
    """The engine that runs (chosen last: every argument is checked before a GPU is looked for)."""
    engine = choose_engine(engine, record)
    if precision != "float64" and engine != "cuda":
        raise ValueError(f"precision={precision!r} needs engine='cuda' (the {engine} engine computes in float64 only)")
    return engine


def build_run_spec(model, stimulus, area_cm2, n_trials, *, dt_ms=0.0025, t_end_ms=2.0, seed=None, noise=True,
                   record=False, spike_threshold_mV=DEFAULT_LEVEL_MV, engine="auto", n_threads=None,
                   chunk_lanes=None, stream_ids=None, max_spikes=None, stop_after=None, vary=None,
                   precision="float64", multirate=None) -> RunSpec:
    """Validate every argument of :func:`hhlib.simulate` (naming the one at fault) and build the :class:`RunSpec`."""
    check_instance("model", model, MembraneModel, "membrane model (e.g. hhlib.SEED_MODEL)")
    stim = as_stimulus(stimulus)
    area = real_array("area_cm2", area_cm2, "cm²", positive=True)
    n_trials = check_int("n_trials", n_trials, minimum=1)
    dt, n_steps = check_timing(stim, dt_ms, t_end_ms)
    level = check_level(spike_threshold_mV, model)
    run_noise = resolve_noise(noise, model)
    root = as_seed_sequence(seed)                      # checked even when the run needs no random numbers
    record = check_bool("record", record)
    chunk = DEFAULT_CHUNK_LANES if chunk_lanes is None else check_int("chunk_lanes", chunk_lanes, minimum=1)
    n_threads = (os.cpu_count() or 1) if n_threads is None else check_int("n_threads", n_threads, minimum=1)
    cap = default_max_spikes(stim) if max_spikes is None else check_int("max_spikes", max_spikes, minimum=1,
                                                                         maximum=MAX_SPIKES_LIMIT)
    stop = 0 if stop_after is None else check_int("stop_after", stop_after, minimum=1)
    vary = stim.check_vary(vary)
    _check_engine(engine, record, precision)
    try:
        cond_shape = np.broadcast_shapes(stim.cond_shape, area.shape)
    except ValueError:
        raise ValueError(f"the stimulus amplitudes (shape {stim.cond_shape}) and area_cm2 (shape {area.shape}) must "
                         "broadcast against each other") from None
    n_cond = int(np.prod(cond_shape, dtype=np.int64))
    _check_sizes(n_cond, n_trials, n_steps, record, cap)
    channels, channel_n = _channels(model, run_noise, area, cond_shape, precision)
    multirate = resolve_multirate(multirate, level, engine, record, run_noise)
    engine = _engine(engine, record, precision)
    if multirate is not None and engine != "numba":
        raise ValueError(f"multirate needs the numba engine, which is not available here (engine {engine!r})")
    amp = np.stack([np.broadcast_to(a, cond_shape).ravel() for a in stim.amplitudes_uA])
    return RunSpec(model=model, stimulus=stim, waveforms=stim.unit_waveforms(dt, n_steps), dt=dt, amp=amp,
                   area_flat=np.broadcast_to(area, cond_shape).ravel(), ids=_stream_ids(stream_ids, cond_shape, n_cond),
                   cond_shape=cond_shape, n_trials=n_trials, root=None if run_noise is None else root,
                   noise=run_noise, level=level, engine=engine, n_threads=n_threads, chunk=chunk, record=record,
                   max_spikes=cap, stop_after=stop, vary=vary, precision=precision, channels=channels,
                   channel_n=channel_n, multirate=multirate)
