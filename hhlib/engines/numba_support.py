"""What the compiled CPU kernels need from numba beyond the generated step: scalar ``linoid``, the spike rule."""
from __future__ import annotations

import numba
from numba.extending import overload

from ..model.description import linoid, linoid_scalar
from ..spikes import spike_event

__all__ = ["spike_event_nb", "fill_normals"]

#: Scalar spike detector for the kernels (the same function as the numpy engine's, compiled).
spike_event_nb = numba.njit(cache=True, nogil=True, inline="always")(spike_event)


@overload(linoid)
def _linoid_scalar(x):
    """numba implementation of :func:`hhlib.model.linoid` for scalars: :func:`hhlib.model.linoid_scalar`."""
    return linoid_scalar


@numba.njit(cache=True, nogil=True)
def fill_normals(rng, out):
    """Fill ``out`` (n_steps, block_lanes) with ``rng``'s standard normals, step-major: the numbers, in the order,
    that the current-noise kernel draws for one block (:class:`hhlib.engines.common.NormalCache`). Returns out."""
    for step in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[step, j] = rng.standard_normal()
    return out
