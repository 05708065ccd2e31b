"""What the engines share: work units, per-trial inputs, the output they fill (no engine imports another)."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

__all__ = ["TRIALS_PER_STREAM", "NonFiniteError", "RunOutput", "LaneInputs", "NormalCache", "block_size", "units_of",
           "SPIKE_LINES"]

#: Trials per random-number stream (part of the reproducibility contract: changing it changes results).
TRIALS_PER_STREAM = 256


class NonFiniteError(ValueError, FloatingPointError):
    """The membrane state became NaN or infinite (or |V| exceeded :data:`V_LIMIT_MV`): the model cannot be
    integrated meaningfully for these inputs."""


@dataclass
class RunOutput:
    """What an engine returns, per condition and trial.

    Attributes
    ----------
    counts : ndarray of int64, shape (n_cond, n_trials)
        Spikes of every trial (exact; capped only where the run stopped following a trial, ``stop_after``).
    times : ndarray of float64, shape (n_cond, n_trials, max_spikes)
        Time of each of the first ``max_spikes`` spikes, ms from the start of the run; NaN-padded.
    bad : ndarray of bool, shape (n_cond, n_trials)
        The state left the finite range.
    traces : dict or None
        ``record=True`` only: ``name -> (n_cond, n_trials, n_steps + 1)`` with ``"v_mV"``, every gate and,
        with channel noise, ``"open_<current>"`` for every stochastic current.
    coarse_steps : ndarray of int64, shape (n_cond, n_trials), or None
        Multi-rate runs only (``spec.multirate``): the coarse steps every trial took.
    """

    counts: np.ndarray
    times: np.ndarray
    bad: np.ndarray
    traces: dict | None = None
    coarse_steps: np.ndarray | None = None

    @property
    def first(self) -> np.ndarray:
        """First-spike time of every trial, ms (NaN where none), shape (n_cond, n_trials)."""
        return self.times[..., 0]

    @property
    def overflow(self) -> np.ndarray:
        """Trials with more spikes than the recorded times, shape (n_cond, n_trials)."""
        return self.counts > self.times.shape[-1]


@dataclass(frozen=True)
class LaneInputs:
    """Per-trial inputs of one execution (the threshold searches set them; plain simulations do not).

    ``scale`` (n_cond, n_trials): factor on the amplitude of part ``spec.vary`` (all parts if ``vary`` is None);
    ``stop`` (n_cond, n_trials) int: stop following the trial after that many spikes (0: never; negative: the
    trial's result is not needed, the numba engine skips it and its count stays 0);
    ``normals``: a :class:`NormalCache` shared by the executions of one search (an engine may keep a block's
    current-noise normals there and reuse them; results are the same with or without it).
    """

    scale: np.ndarray | None = None
    stop: np.ndarray | None = None
    normals: NormalCache | None = None

    def densities(self, spec, c: int, lo: int, hi: int) -> np.ndarray:
        """Stimulus current density of every part for trials ``lo:hi`` of condition ``c``, µA/cm², (n_parts, hi-lo)."""
        amp = np.repeat(spec.amp[:, c:c + 1], hi - lo, axis=1)
        if self.scale is not None:
            rows = slice(None) if spec.vary is None else slice(spec.vary, spec.vary + 1)
            amp[rows] = amp[rows] * self.scale[c, lo:hi]
        with np.errstate(over="ignore"):              # an infinite density is reported as non-finite
            return amp / spec.area_flat[c]

    def stops(self, spec, c: int, lo: int, hi: int) -> np.ndarray:
        """Spikes after which each trial ``lo:hi`` of condition ``c`` stops (0: never), int64 (hi-lo,)."""
        if self.stop is None:
            return np.full(hi - lo, spec.stop_after, dtype=np.int64)
        return np.ascontiguousarray(self.stop[c, lo:hi], dtype=np.int64)


#: Most bytes of normals a :class:`NormalCache` keeps (beyond it the engine draws them again, as without a cache).
NORMAL_CACHE_BYTES = 256 * 2**20


class NormalCache:
    """The current-noise normals of random-stream blocks, drawn once and reused by the executions of one search.

    A threshold search simulates the same trials (same streams, same steps) at many amplitudes and areas: the
    normals of block ``b`` of stream ``s`` are the same every time, so the numba engine draws them once into
    an array of shape ``(n_steps, TRIALS_PER_STREAM)`` (in the order its kernel draws them) and reads them back
    afterwards. Keys must identify the stream and the number of steps (the owner uses one seed root). At most
    ``limit_bytes`` are kept; :meth:`get` returns None beyond that, and the engine then draws as usual.
    Thread-safe: a block is drawn once even when two pool threads ask for it together.
    """

    def __init__(self, limit_bytes: int = NORMAL_CACHE_BYTES):
        self.limit_bytes = int(limit_bytes)
        self.nbytes = 0
        self._entries: dict = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(spec, c: int, b: int) -> tuple:
        """The key of block ``b`` of condition ``c``'s stream of ``spec``: its seed, stream id, block and steps."""
        return (str(spec.root.entropy), tuple(spec.root.spawn_key), int(spec.ids[c]), int(b), int(spec.n_steps))

    def binned(self, spec, c: int, n_bins: int):
        """Every trial's normals of condition ``c`` summed over ``n_bins`` runs of consecutive steps (as
        ``np.array_split`` splits the steps): float64 (n_trials, n_bins), e.g. features that predict a trial's
        threshold; None if a block's normals are not held (not drawn yet, or beyond the limit)."""
        out = np.empty((spec.n_trials, n_bins))
        starts = np.cumsum([0] + [len(a) for a in np.array_split(np.arange(spec.n_steps), n_bins)])[:-1]
        for b in range(-(-spec.n_trials // TRIALS_PER_STREAM)):
            with self._lock:
                entry = self._entries.get(self.key(spec, c, b))
            normals = None if entry is None else entry[1]
            if normals is None or normals.shape[0] != spec.n_steps:
                return None
            lo = b * TRIALS_PER_STREAM
            out[lo:lo + block_size(b, spec.n_trials)] = np.add.reduceat(normals, starts, axis=0).T[:spec.n_trials - lo]
        return out

    def get(self, key, shape: tuple, draw):
        """The array under ``key`` (``draw()`` makes it, of ``shape``, float64, the first time), or None if it
        would not fit in the limit."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                size = 8 * int(np.prod(shape))
                if self.nbytes + size > self.limit_bytes:
                    return None
                self.nbytes += size
                entry = self._entries[key] = [threading.Lock(), None]
        with entry[0]:
            if entry[1] is None:
                entry[1] = draw()
            return entry[1]


def block_size(block: int, n_trials: int) -> int:
    """Trials in block ``block`` (the last block of a condition may be short)."""
    return min(TRIALS_PER_STREAM, n_trials - block * TRIALS_PER_STREAM)


def units_of(spec) -> list:
    """Every ``(condition, block)`` work unit of a run."""
    n_blocks = -(-spec.n_trials // TRIALS_PER_STREAM)
    return [(c, b) for c in range(spec.n_cond) for b in range(n_blocks)]


#: Generated kernel lines after a lane's step (lane loop indent), shared by the compiled CPU kernels
#: (:mod:`hhlib.engines.numba_engine`, :mod:`hhlib.engines.numba_fast`): the divergence check, the spike rule
#: (:func:`hhlib.spikes`' online event), the spike time ``{spike_time}`` (ms) kept up to ``cap`` while the count
#: stays exact, and ``stop``. Substitute ``{spike_time}`` with ``str.replace`` before the template's own format.
SPIKE_LINES = """            en = num / g
            if not (abs(vn) <= v_limit and math.isfinite(en)):
                bad[j] = True
                done[j] = True
                continue
            fired, frac, armed[j] = spike_event(armed[j], vj, vn, e[j], en, level)
            if fired:
                c = counts[j]
                if c < cap:
                    times[j, c] = {spike_time}
                counts[j] = c + 1
                if stop[j] > 0 and c + 1 >= stop[j]:
                    done[j] = True
"""
