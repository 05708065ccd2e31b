"""What the compiled CPU kernels need from numba beyond the generated step: scalar ``linoid``, the spike rule."""
from __future__ import annotations

import numba
from numba.extending import overload

from ..model.description import linoid, linoid_scalar
from ..spikes import spike_event

__all__ = ["spike_event_nb"]

#: Scalar spike detector for the kernels (the same function as the numpy engine's, compiled).
spike_event_nb = numba.njit(cache=True, nogil=True, inline="always")(spike_event)


@overload(linoid)
def _linoid_scalar(x):
    """numba implementation of :func:`hhlib.model.linoid` for scalars: :func:`hhlib.model.linoid_scalar`."""
    return linoid_scalar
