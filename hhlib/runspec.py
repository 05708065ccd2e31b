"""The run specification: every argument of a simulation, validated once, in one object the engines consume.

:func:`build_run_spec` checks each argument where it enters (naming it and its allowed range) and
returns a :class:`RunSpec`; :func:`hhlib.engines.execute` runs it on the chosen engine. ``simulate`` and
the per-trial threshold search both go through this pair, nothing else reaches into an engine.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .model import MembraneModel
from .noise import ChannelNoise, CurrentNoise
from .seeds import as_seed_sequence
from .spikes import DEFAULT_LEVEL_MV, check_level
from .stimulus import BiphasicPulse, Pulse, check_ends_by, grid_steps
from .validation import check_bool, check_choice, check_instance, check_int, check_real, real_array

__all__ = ["RunSpec", "build_run_spec", "resolve_noise", "check_timing", "MAX_STEPS", "MAX_RESULT_BYTES",
           "MAX_RECORD_BYTES", "ENGINES", "PRECISIONS", "DEFAULT_CHUNK_LANES"]

#: Most time steps one run may take (t_end_ms / dt_ms), checked before anything is allocated.
MAX_STEPS = 50_000_000
#: Largest result arrays (spike counts and first-spike times of all trials, bytes).
MAX_RESULT_BYTES = 8 * 1024**3
#: Largest trace array that ``record=True`` may allocate, bytes.
MAX_RECORD_BYTES = 2 * 1024**3
#: Default number of lanes (condition x trial pairs) advanced together by the numpy engine.
DEFAULT_CHUNK_LANES = 32768
#: Engine names ``simulate`` accepts.
ENGINES = ("auto", "numba", "numpy", "cuda")
#: Floating-point precisions: float64 everywhere; float32 on the GPU engine only.
PRECISIONS = ("float64", "float32")
#: Noise types the engines implement.
NOISE_TYPES = (CurrentNoise, ChannelNoise)


@dataclass(frozen=True, eq=False)
class RunSpec:
    """A validated simulation request (build with :func:`build_run_spec`).

    Attributes
    ----------
    model : MembraneModel
    waveform : ndarray, shape (n_steps,)
        Unit stimulus per step (the current is ``amplitude * waveform[step]`` over the step).
    dt : float
        Time step, ms.
    amp_flat, area_flat : ndarray, shape (n_cond,)
        Amplitude (µA) and area (cm²) of every condition (flattened broadcast of the inputs).
    ids : ndarray of int, shape (n_cond,)
        Random-stream id of every condition.
    cond_shape : tuple
    n_trials : int
    root : numpy.random.SeedSequence or None
        Root of the random streams; None without noise.
    noise : noise object or None
        The noise of this run (None: deterministic).
    level : float
        Spike detection level, mV above rest.
    engine : {"numba", "numpy", "cuda"}
    n_threads, chunk : int
        Threads (numba) and lanes per chunk (numpy): speed only, never results.
    record : bool
    stop_after : int
        Stop following a trial after this many spikes (0: never).
    precision : {"float64", "float32"}
        Arithmetic of the GPU engine (the CPU engines are float64 only).
    channels : tuple of hhlib.channels.ChannelCurrent
        The stochastic currents of a :class:`~hhlib.ChannelNoise` run (empty otherwise).
    channel_n : ndarray of int64, shape (len(channels), n_cond) or None
        Channels of every stochastic current in every condition.
    """

    model: MembraneModel
    waveform: np.ndarray
    dt: float
    amp_flat: np.ndarray
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
    stop_after: int
    precision: str = "float64"
    channels: tuple = ()
    channel_n: np.ndarray | None = None

    @property
    def n_steps(self) -> int:
        return self.waveform.size

    @property
    def n_cond(self) -> int:
        return self.amp_flat.size


def resolve_noise(noise, model):
    """The noise object of a run: ``True`` -> the model's own, ``False`` -> None, or a noise object."""
    if isinstance(noise, (bool, np.bool_)):
        return model.noise if bool(noise) and model.has_noise else None
    if isinstance(noise, NOISE_TYPES):
        if isinstance(noise, CurrentNoise):
            noise.scale_conductance(model)            # the model must have the scaling current
        else:
            from .channels import channel_plan
            channel_plan(model, noise)                # the model must have the named, gated currents
        return noise if noise.active else None
    raise TypeError(f"noise must be True (the model's own), False (none) or a noise object "
                    f"(hhlib.CurrentNoise or hhlib.ChannelNoise), got {noise!r}")


def check_timing(stimulus, dt_ms, t_end_ms):
    """``(dt, n_steps)``: dt and t_end positive, every stimulus edge and t_end on the grid, size bounded.

    A finite stimulus must also end by ``t_end_ms`` (:func:`hhlib.stimulus.check_ends_by`: one that would be
    cut short is refused, naming ``t_end_ms``).
    """
    dt = check_real("dt_ms", dt_ms, low=0.0, low_open=True, unit="ms")
    t_end = check_real("t_end_ms", t_end_ms, low=0.0, low_open=True, unit="ms")
    stimulus.edge_steps(dt)                  # every edge a whole number of steps (each phase >= 1 step)
    if t_end <= stimulus.onset_ms:
        raise ValueError(f"t_end_ms = {t_end} must be later than the stimulus onset ({stimulus.onset_ms} ms)")
    if t_end / dt > MAX_STEPS:
        raise ValueError(f"t_end_ms / dt_ms = {t_end / dt:.3g} steps exceeds the limit of {MAX_STEPS:.0e} steps "
                         f"per run (t_end_ms = {t_end!r}, dt_ms = {dt!r}): use a larger dt_ms or a shorter t_end_ms")
    n_steps = grid_steps("t_end_ms", t_end, dt)
    check_ends_by(stimulus, dt, n_steps)     # a finite pulse must end by t_end_ms, never be cut short
    return dt, n_steps


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


def build_run_spec(model, stimulus, area_cm2, n_trials, *, dt_ms=0.0025, t_end_ms=2.0, seed=None, noise=True,
                   record=False, spike_threshold_mV=DEFAULT_LEVEL_MV, engine="auto", n_threads=None,
                   chunk_lanes=None, stream_ids=None, max_spikes=None, precision="float64") -> RunSpec:
    """Validate every argument of :func:`hhlib.simulate` (naming the one at fault) and build the :class:`RunSpec`."""
    check_instance("model", model, MembraneModel, "membrane model (e.g. hhlib.SEED_MODEL)")
    check_instance("stimulus", stimulus, (Pulse, BiphasicPulse), "Pulse or BiphasicPulse")
    area = real_array("area_cm2", area_cm2, "cm²", positive=True)
    n_trials = check_int("n_trials", n_trials, minimum=1)
    dt, n_steps = check_timing(stimulus, dt_ms, t_end_ms)
    level = check_level(spike_threshold_mV, model)
    run_noise = resolve_noise(noise, model)
    root = as_seed_sequence(seed)                      # checked even when the run needs no random numbers
    record = check_bool("record", record)
    chunk = DEFAULT_CHUNK_LANES if chunk_lanes is None else check_int("chunk_lanes", chunk_lanes, minimum=1)
    n_threads = (os.cpu_count() or 1) if n_threads is None else check_int("n_threads", n_threads, minimum=1)
    stop_after = 0 if max_spikes is None else check_int("max_spikes", max_spikes, minimum=1)
    check_choice("engine", engine, ENGINES)
    check_choice("precision", precision, PRECISIONS)
    if engine in ("numba", "cuda") and record:
        raise ValueError(f"engine={engine!r} does not record traces; use engine='numpy' (or 'auto') with record=True")
    amp = stimulus.amplitude_uA
    cond_shape = np.broadcast_shapes(amp.shape, area.shape)
    n_cond = int(np.prod(cond_shape, dtype=np.int64))
    ids = _stream_ids(stream_ids, cond_shape, n_cond)
    _check_sizes(n_cond, n_trials, n_steps, record)
    channels, channel_n = (), None
    if isinstance(run_noise, ChannelNoise):
        from .channels import channel_counts, channel_plan
        channels = channel_plan(model, run_noise)
        channel_n = channel_counts(channels, np.broadcast_to(area, cond_shape).ravel())
        if precision != "float64":
            raise ValueError(f"precision={precision!r}: channel noise (ChannelNoise) runs in float64 only, on every "
                             "engine; use precision='float64'")
    from .engines import choose_engine  # the engines import this module
    engine = choose_engine(engine, record)
    if precision != "float64" and engine != "cuda":
        raise ValueError(f"precision={precision!r} needs engine='cuda' (the {engine} engine computes in float64 only)")
    return RunSpec(model=model, waveform=stimulus.unit_waveform(dt, n_steps), dt=dt,
                   amp_flat=np.broadcast_to(amp, cond_shape).ravel(),
                   area_flat=np.broadcast_to(area, cond_shape).ravel(), ids=ids, cond_shape=cond_shape,
                   n_trials=n_trials, root=None if run_noise is None else root, noise=run_noise,
                   level=level, engine=engine, n_threads=n_threads, chunk=chunk,
                   record=record, stop_after=stop_after, precision=precision, channels=channels, channel_n=channel_n)
