"""Generated kernel modules on disk: written once under a name that hashes their text and everything they call.

The compiled kernels are Python modules generated per model (:mod:`hhlib.engines.step` and the templates of
:mod:`hhlib.engines.numba_engine` / :mod:`hhlib.engines.cuda_kernels`). Written to the per-user kernel folder
(``HHLIB_KERNEL_DIR``, default ``<user cache>/hhlib/kernels``) and imported from there, numba's on-disk cache
serves later processes; the file name hashes the source *and* the source of every function the kernel calls
(rate functions, the spike rule, ...), so the cache can never serve a kernel compiled from other code.
Written by hand rather than with a code-generation library: the generated text is a few small functions.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["kernel_dir", "module_from_file", "importable", "source_of", "KERNEL_FORMAT"]

#: Bump when the templates change in a way the hash of their text would not show (it always shows).
KERNEL_FORMAT = 2


def kernel_dir() -> Path:
    """Folder of the generated kernel modules: ``HHLIB_KERNEL_DIR`` or the per-user cache folder."""
    if os.environ.get("HHLIB_KERNEL_DIR"):
        return Path(os.environ["HHLIB_KERNEL_DIR"])
    import platformdirs
    return Path(platformdirs.user_cache_dir("hhlib")) / "kernels"


def importable(fn) -> bool:
    """True if ``fn`` can be imported back by module and qualified name (not a lambda, closure or __main__)."""
    module, name = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if not module or module == "__main__" or "<" in name or "." in name:
        return False
    try:
        return getattr(importlib.import_module(module), name) is fn
    except Exception:
        return False


def source_of(*objects) -> str:
    """Source text of functions or modules (``repr`` where there is none), for a kernel's hash."""
    texts = []
    for obj in objects:
        try:
            texts.append(inspect.getsource(obj))
        except (OSError, TypeError):
            texts.append(repr(obj))
    return "\n".join(texts)


def module_from_file(source: str, dependencies: str, prefix: str):
    """Write ``source`` to the kernel folder as ``<prefix>_<hash of source and dependencies>.py`` (if not there
    yet) and import it; None if the folder is not writable (the caller compiles in memory instead)."""
    digest = hashlib.sha256((source + dependencies + f"format {KERNEL_FORMAT}").encode()).hexdigest()[:20]
    name = f"{prefix}_{digest}"
    path = kernel_dir() / f"{name}.py"
    try:
        if not path.is_file() or path.read_text() != source:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as tmp:
                tmp.write(source)
            os.replace(tmp.name, path)
    except OSError:
        return None                                  # unwritable: compile in memory instead
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
