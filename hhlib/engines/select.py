"""Which engine runs a request, and whether the compiled and GPU engines can run here.

Imports nothing of hhlib's but the engine modules it loads on demand, so the run specification
(:mod:`hhlib.engines.runspec`) can choose an engine without an import circle.

Which engine ``"auto"`` picks: numpy when traces are recorded, else numba; the environment variable
``HHLIB_ENGINE`` (``numba``, ``numpy`` or ``cuda``) changes that choice, and is the only way ``"auto"``
ever picks the GPU (``HHLIB_ENGINE=cuda``: the GPU when one is usable, else numba with one warning).
An explicit ``engine="cuda"`` without a usable GPU raises :class:`CudaUnavailableError`.
"""
from __future__ import annotations

import importlib
import os
import warnings

__all__ = ["CudaUnavailableError", "choose_engine", "compiled_engine_available", "cuda_available",
           "cuda_unavailable_reason", "engine_module", "ENGINE_ENV", "ENGINE_MODULES"]

#: Engine modules by name.
ENGINE_MODULES = {"numpy": "hhlib.engines.numpy_engine", "numba": "hhlib.engines.numba_engine",
                  "cuda": "hhlib.engines.cuda_engine"}
#: Environment variable naming the engine ``engine="auto"`` picks (the opt-in to the GPU: ``cuda``).
ENGINE_ENV = "HHLIB_ENGINE"
_loaded: dict = {}
_failed: dict = {}
_warned: set = set()


class CudaUnavailableError(RuntimeError):
    """``engine="cuda"`` was asked for, but no usable NVIDIA GPU (with its driver and numba-cuda) is here."""


def engine_module(name):
    """The engine module ``name`` (imported on first use), or None if it cannot be imported."""
    if name not in _loaded and name not in _failed:
        try:
            _loaded[name] = importlib.import_module(ENGINE_MODULES[name])
        except Exception as exc:              # ImportError, or numba failing to initialise
            _failed[name] = exc
    return _loaded.get(name)


def compiled_engine_available() -> bool:
    """True if the numba engine imports (it is then the default)."""
    return engine_module("numba") is not None


def cuda_unavailable_reason() -> str | None:
    """Why ``engine="cuda"`` cannot run in this process, or None if it can (imports numba.cuda on first use)."""
    module = engine_module("cuda")
    if module is None:
        return f"numba's CUDA target does not import ({_failed['cuda']!r})"
    return module.unavailable_reason()


def cuda_available() -> bool:
    """True if ``engine="cuda"`` can run here: an NVIDIA GPU, its driver and numba-cuda (or numba's simulator).

    Examples
    --------
    >>> isinstance(cuda_available(), bool)
    True
    """
    return cuda_unavailable_reason() is None


def _warn_once(key, message, stacklevel):
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, RuntimeWarning, stacklevel=stacklevel + 1)


def _preferred(engine: str) -> str:
    """``engine``, or for ``"auto"`` the engine named by :data:`ENGINE_ENV` (``"auto"`` when it is unset)."""
    if engine != "auto":
        return engine
    pref = os.environ.get(ENGINE_ENV, "").strip().lower() or "auto"
    if pref not in ("auto", "numba", "numpy", "cuda"):
        raise ValueError(f"the environment variable {ENGINE_ENV} must be one of 'numba', 'numpy', 'cuda' (or unset), "
                         f"got {os.environ[ENGINE_ENV]!r}")
    if pref == "cuda" and cuda_unavailable_reason() is not None:
        _warn_once("cuda", f"hhlib: {ENGINE_ENV}=cuda, but the GPU engine cannot run here "
                           f"({cuda_unavailable_reason()}); using the CPU engines", 5)
        return "auto"
    return pref


def choose_engine(engine: str, record: bool) -> str:
    """The engine that runs a request: ``"auto"`` is numba unless traces are recorded or numba is missing
    (then numpy, with one warning per process), or what :data:`ENGINE_ENV` names; ``"cuda"`` must be usable.
    """
    if engine == "auto" and record:
        return "numpy"
    engine = _preferred(engine)
    if engine == "cuda":
        reason = cuda_unavailable_reason()
        if reason is not None:
            raise CudaUnavailableError(f"engine='cuda' needs an NVIDIA GPU with its driver and numba-cuda "
                                       f"(pip install 'hhlib[gpu]'), but {reason}; use engine='numba' here")
        return "cuda"
    if engine == "numpy":
        return "numpy"
    if engine_module("numba") is not None:
        return "numba"
    _warn_once("numba", f"hhlib: the compiled (numba) engine is unavailable ({_failed['numba']!r}); "
                        "falling back to the numpy engine, which is several times slower", 4)
    return "numpy"
