"""On-disk caches of heavy sweeps (``data/cache/*.npz``), keyed by their parameters.

Notebooks call :func:`cached` with a registered builder and its parameters: the result is loaded
if a file for exactly those parameters exists, otherwise it is computed (with a progress bar) and
saved. ``python -m hhlib cache`` rebuilds every registered cache with its default parameters.

A builder is a function ``builder(progress=None, **params) -> dict of arrays``, registered with
:func:`register`; it must be deterministic (seeded), so a rebuilt cache equals the stored one.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["CACHE_DIR", "register", "cached", "cache_path", "rebuild_all", "Progress", "BUILDER_MODULES"]

CACHE_DIR = Path(__file__).resolve().parents[1] / "data" / "cache"
#: Bump when a change of hhlib alters cached results (simulator, streams, builders).
CACHE_VERSION = 1
#: Modules whose import registers builders (imported by :func:`rebuild_all`).
BUILDER_MODULES = ("hhlib.landscape", "hhlib.sensitivity", "hhlib.optimisation")
_REGISTRY: dict = {}


def register(name: str, **defaults):
    """Decorator: register ``builder`` under ``name`` with its default parameters."""
    def deco(builder):
        _REGISTRY[name] = (builder, defaults)
        builder.cache_name = name
        builder.cache_defaults = defaults
        return builder
    return deco


def _key(name, params):
    blob = json.dumps({"name": name, "version": CACHE_VERSION, "params": params}, sort_keys=True, default=repr)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


def cache_path(name: str, params: dict) -> Path:
    """The file holding ``name`` computed with ``params``."""
    return CACHE_DIR / f"{name}-{_key(name, params)}.npz"


class Progress:
    """Minimal progress reporter: an ipywidgets bar in a notebook, a line on stderr elsewhere.

    Call it as ``progress(done, total)``.
    """

    def __init__(self, description: str):
        self.description = description
        self.bar = None
        self.t0 = time.perf_counter()
        try:
            from IPython import get_ipython
            shell = get_ipython()
            if shell is not None and "IPKernelApp" in shell.config:
                import ipywidgets as widgets
                from IPython.display import display
                self.bar = widgets.IntProgress(value=0, min=0, max=1, description=description[:20])
                display(self.bar)
        except Exception:  # no IPython: plain text
            self.bar = None

    def __call__(self, done: int, total: int):
        if self.bar is not None:
            self.bar.max = total
            self.bar.value = done
        else:
            sys.stderr.write(f"\r{self.description}: {done}/{total} ({time.perf_counter() - self.t0:.0f} s)")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def cached(builder, *, refresh: bool = False, progress: bool = True, **params) -> dict:
    """Result of a registered ``builder`` for ``params`` (defaults filled in), from disk if possible.

    Returns
    -------
    dict of ndarray
    """
    name = builder.cache_name
    full = dict(builder.cache_defaults, **params)
    path = cache_path(name, full)
    if path.is_file() and not refresh:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files if k != "_params"}
    result = builder(progress=Progress(name) if progress else None, **full)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, _params=np.array(json.dumps(full, sort_keys=True, default=repr)),
                        **{k: np.asarray(v) for k, v in result.items()})
    return {k: np.asarray(v) for k, v in result.items()}


def rebuild_all(progress: bool = True):
    """Recompute every registered cache with its defaults (``python -m hhlib cache``)."""
    for mod in BUILDER_MODULES:
        importlib.import_module(mod)
    done = []
    for name, (builder, _) in sorted(_REGISTRY.items()):
        t0 = time.perf_counter()
        cached(builder, refresh=True, progress=progress)
        done.append((name, time.perf_counter() - t0))
        print(f"{name}: rebuilt in {done[-1][1]:.1f} s -> {cache_path(name, builder.cache_defaults).name}")
    return done
