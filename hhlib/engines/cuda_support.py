"""numba-cuda, imported once and made usable: the GPU device functions' common ground (no engine imported).

numba-cuda 0.30 overloads ``np.row_stack``, which numpy 2.5 removed: its kernels then fail to compile.
:func:`_import_numba_cuda` restores the name (as ``np.vstack``, what it was) before importing numba.cuda;
this is the only place hhlib does so. numba-cuda 0.30 also compiles no ``np.exp`` (nor ``np.expm1``,
``np.log1p``, ``np.sqrt``) of a scalar on the device; :func:`_register_device_math` adds them, and
:func:`hhlib.model.linoid`, for the rate functions of the model description.

Without a GPU (and outside numba's CUDA simulator, ``NUMBA_ENABLE_CUDASIM=1``, which the tests use),
:func:`unavailable_reason` says why and ``engine="cuda"`` raises :class:`hhlib.engines.CudaUnavailableError`.
"""
from __future__ import annotations

import importlib.util
import math

import numpy as np

__all__ = ["cuda", "device", "simulator_active", "unavailable_reason"]


def _import_numba_cuda():
    """``numba.cuda``, with ``np.row_stack`` restored first if this numpy lacks it (numba-cuda 0.30 needs it)."""
    if not hasattr(np, "row_stack"):
        np.row_stack = np.vstack  # noqa: NPY201  (restoring the removed name is the point)
    from numba import cuda
    return cuda


cuda = _import_numba_cuda()


def simulator_active() -> bool:
    """True when numba's CUDA simulator runs the kernels (``NUMBA_ENABLE_CUDASIM=1``, Python on the CPU)."""
    from numba.core import config
    return bool(config.ENABLE_CUDASIM)


def unavailable_reason() -> str | None:
    """Why ``engine="cuda"`` cannot run here (None if it can)."""
    if simulator_active():
        return None
    if importlib.util.find_spec("numba_cuda") is None:
        return "numba-cuda is not installed"
    try:
        if cuda.is_available():
            return None
    except Exception as exc:                          # a broken driver installation
        return f"the CUDA driver failed to initialise ({exc!r})"
    return "no CUDA GPU or driver was found (numba.cuda.is_available() is False)"


def _register_device_math():
    """Device versions of the numpy functions that rate functions use, and of :func:`hhlib.model.linoid`."""
    from numba.core import types
    from numba.cuda.extending import overload

    from ..model.description import linoid, linoid_scalar

    def scalar(fn):
        def typer(x):
            if isinstance(x, (types.Float, types.Integer)):
                return lambda x: fn(x)
        return typer

    for ufunc, fn in ((np.exp, math.exp), (np.expm1, math.expm1), (np.log1p, math.log1p), (np.sqrt, math.sqrt)):
        overload(ufunc)(scalar(fn))

    @overload(linoid)
    def _linoid(x):
        return linoid_scalar


if not simulator_active() and importlib.util.find_spec("numba_cuda") is not None:
    _register_device_math()



def device(fn):
    """``fn`` as a CUDA device function; in numba's CUDA simulator the Python function itself (code that uses
    nothing of ``cuda``: the simulator's wrapper, which swaps the ``cuda`` module in the function's globals on
    every call, would only make the simulated kernel several times slower)."""
    return fn if simulator_active() else cuda.jit(device=True)(fn)
