"""What the engines share: work units, per-trial inputs, the output they fill (no engine imports another)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TRIALS_PER_STREAM", "NonFiniteError", "RunOutput", "LaneInputs", "block_size", "units_of", "SPIKE_LINES"]

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
    ``stop`` (n_cond, n_trials) int: stop following the trial after that many spikes (0: never).
    """

    scale: np.ndarray | None = None
    stop: np.ndarray | None = None

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
