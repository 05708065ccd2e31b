"""On-disk caches of heavy sweeps (``<cache_dir()>/<name>-<key>.npz``), keyed by their parameters.

Notebooks call :func:`cached` with a registered builder and its parameters: the result is loaded
if a file for exactly those parameters exists, otherwise it is computed (with a progress bar) and
saved. ``python -m hhlib.studies`` rebuilds every registered cache with its default parameters.

A builder is a function ``builder(progress=None, **params) -> dict of arrays``, registered with
:func:`register`; it must be deterministic (seeded), so a rebuilt cache equals the stored one.

Keys
    The parameters are serialised canonically (:func:`canonical_params`): JSON with sorted keys and
    no spaces; floats at full precision (shortest round-trip ``repr``), ints and floats kept apart
    (``1`` and ``1.0`` are different parameters: a builder may use ``range(n)``), booleans apart
    from ints, tuples and lists alike, numpy scalars as the Python numbers they equal, numpy arrays
    as ``{"__ndarray__": {"dtype", "shape", "sha256"}}`` of their C-order bytes. Anything else raises
    ``TypeError`` naming the parameter. The key is the sha256 of ``hhlib-cache``, :data:`CACHE_VERSION`,
    the name and that JSON (one per line); file names carry its first :data:`KEY_CHARS` hex digits.
Files
    A zip of ``.npy`` entries (``np.load`` reads it) with the result's arrays plus ``_params`` (the
    canonical JSON) and ``_cache`` (``{"name", "version"}``), checked on every load. Entries are
    sorted, dated 1980-01-01 and deflated at a fixed level, so the bytes depend only on the content.
    Files are written to a temporary file in the same folder and moved into place with
    :func:`os.replace`: a reader never sees a partial file, an interrupted save leaves none.
Warnings (``RuntimeWarning``, naming the file or folder)
    A damaged file, or one holding other parameters, is rebuilt. A folder that cannot be written is
    reported once; its results are then kept in memory for the rest of the process.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import os
import re
import secrets
import struct
import sys
import tempfile
import time
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

__all__ = ["CACHE_DIR", "CACHE_VERSION", "register", "cached", "cache_dir", "cache_path", "canonical_params",
           "rebuild_all", "rekey", "Progress", "BUILDER_MODULES"]

#: The source checkout's root when hhlib runs from one (``hhlib/studies/cache.py`` is two folders down).
_ROOT = Path(__file__).resolve().parents[2]
#: Deprecated: the source checkout's ``data/cache``. Use :func:`cache_dir`. Assigning another path
#: here (as older tests do with ``monkeypatch``) still redirects every cache to it.
CACHE_DIR = _ROOT / "data" / "cache"
_CHECKOUT_CACHE = CACHE_DIR
#: Bump when a change of hhlib alters cached results (simulator, streams, builders).
CACHE_VERSION = 1
#: Hex digits of the sha256 key in a file name.
KEY_CHARS = 16
#: Modules whose import registers builders (imported by :func:`rebuild_all`).
BUILDER_MODULES = ("hhlib.studies.landscape", "hhlib.studies.sensitivity", "hhlib.studies.optimisation",
                   "hhlib.studies.noise_models", "hhlib.studies.node_models", "hhlib.studies.pulse_trains",
                   "hhlib.studies.phast_compare", "hhlib.studies.miller_fit")
_REGISTRY: dict = {}
#: Results that could not be saved, by file path: served for the rest of the process.
_MEMO: dict = {}

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_RESERVED = ("_params", "_cache")
_ARRAY_TAG = "__ndarray__"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_ZIP_LEVEL = 6
#: What reading a damaged or foreign file raises.
_READ_ERRORS = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error, struct.error,
                NotImplementedError, RuntimeError)   # the last two: foreign compression, encryption


def register(name: str, **defaults):
    """Decorator: register ``builder`` under ``name`` with its default parameters.

    Raises
    ------
    ValueError
        If ``name`` is not a plain file-name word (letters, digits, ``_``, ``.``, ``-``).
    TypeError
        If a default cannot be serialised (see :func:`canonical_params`).
    """
    if not _NAME.fullmatch(name):
        raise ValueError(f"cache name {name!r}: use letters, digits, '_', '.' and '-' only")
    canonical_params(defaults)

    def deco(builder):
        _REGISTRY[name] = (builder, defaults)
        builder.cache_name = name
        builder.cache_defaults = defaults
        return builder
    return deco


# ----------------------------------------------------------------------------- keys
def _canonical(value, where: str):
    """JSON-ready canonical form of one parameter value (see the module docstring)."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if isinstance(value, np.floating) and value.dtype.itemsize > 8:
            raise TypeError(f"cache parameter {where!r}: {value.dtype} does not fit a float exactly")
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_canonical(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or k == _ARRAY_TAG:
                raise TypeError(f"cache parameter {where!r}: dict key {k!r} is not a plain string")
            out[k] = _canonical(v, f"{where}[{k!r}]")
        return out
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise TypeError(f"cache parameter {where!r}: arrays of Python objects cannot be keyed")
        descr = _canonical(np.lib.format.dtype_to_descr(value.dtype), f"{where}.dtype")
        digest = hashlib.sha256(value.tobytes(order="C")).hexdigest()
        return {_ARRAY_TAG: {"dtype": descr, "shape": list(value.shape), "sha256": digest}}
    raise TypeError(f"cache parameter {where!r}: unsupported type {type(value).__name__} "
                    "(use numbers, strings, None, lists/tuples, dicts with string keys or numpy arrays)")


def _dumps(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def canonical_params(params: dict) -> str:
    """Canonical JSON of a builder's parameters: equal strings if and only if equal parameters.

    Raises
    ------
    TypeError
        Naming the parameter, for a value of an unsupported type.
    """
    return _dumps({k: _canonical(v, k) for k, v in params.items()})


def _key(name: str, params_json: str) -> str:
    """Full sha256 (hex) of the cache version, the builder's name and its canonical parameters."""
    blob = "\n".join(("hhlib-cache", str(CACHE_VERSION), name, params_json))
    return hashlib.sha256(blob.encode()).hexdigest()


def _meta(name: str) -> str:
    return _dumps({"name": name, "version": CACHE_VERSION})


def cache_dir() -> Path:
    """The folder of the caches, read at every call.

    ``$HHLIB_CACHE_DIR`` if set; else the checkout's ``data/cache`` when hhlib runs from a source
    checkout (that folder next to ``pyproject.toml``); else the per-user cache folder
    (``platformdirs.user_cache_dir("hhlib")``). A path assigned to :data:`CACHE_DIR` wins over all.

    Raises
    ------
    ValueError
        If ``HHLIB_CACHE_DIR`` is set but empty or blank (a folder must be named; unset it for the default).
    """
    if CACHE_DIR is not _CHECKOUT_CACHE:
        return Path(CACHE_DIR)
    env = os.environ.get("HHLIB_CACHE_DIR")
    if env is not None and not env.strip():
        raise ValueError(f"HHLIB_CACHE_DIR is set but empty ({env!r}): set it to the folder for hhlib's caches "
                         "(e.g. HHLIB_CACHE_DIR=~/hhlib-cache), or unset it for the default (the checkout's "
                         "data/cache, else the per-user cache folder)")
    if env:
        return Path(env).expanduser()
    checkout = _ROOT / "data" / "cache"
    if checkout.is_dir() and (_ROOT / "pyproject.toml").is_file():
        return checkout
    import platformdirs
    return Path(platformdirs.user_cache_dir("hhlib"))


def _file_name(name: str, params_json: str) -> str:
    return f"{name}-{_key(name, params_json)[:KEY_CHARS]}.npz"


def cache_path(name: str, params: dict) -> Path:
    """The file holding ``name`` computed with ``params`` (all of them, defaults included)."""
    return cache_dir() / _file_name(name, canonical_params(params))


# ----------------------------------------------------------------------------- file format
def _write_npz(fileobj, arrays: dict):
    """Write ``arrays`` as an npz zip whose bytes depend only on the names, dtypes, shapes and values."""
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL) as zf:
        for name in sorted(arrays):
            a = np.asarray(arrays[name])
            buf = io.BytesIO()
            np.lib.format.write_array(buf, a if a.flags.c_contiguous else np.array(a, order="C"),
                                      allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.create_system = 3                    # the same bytes on every platform
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL)


def _read_npz(path: Path) -> dict:
    """Every array of an npz file, read in full (CRC-checked); raises one of ``_READ_ERRORS`` if damaged."""
    out = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                raise ValueError(f"unexpected entry {info.filename!r}")
            buf = io.BytesIO(zf.read(info))
            out[info.filename[:-4]] = np.lib.format.read_array(buf, allow_pickle=False)
            if buf.read(1):
                raise ValueError(f"trailing bytes in {info.filename!r}")
    return out


def _save_atomic(path: Path, arrays: dict):
    """Write ``arrays`` to ``path`` through a temporary file in the same folder and :func:`os.replace`.

    On any failure or interruption (``KeyboardInterrupt`` included) the temporary file is removed
    and the exception re-raised; ``path`` is then untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _load(path: Path, name: str, params_json: str) -> dict | None:
    """The result stored at ``path`` for exactly ``name`` and ``params_json``, else ``None`` (warned)."""
    if not path.is_file():
        return None
    try:
        stored = _read_npz(path)
        params, meta = (str(stored.pop(k)[()]) if k in stored else None for k in _RESERVED)
    except _READ_ERRORS as err:
        warnings.warn(f"hhlib cache: {path} is damaged or unreadable ({type(err).__name__}: {err}); "
                      "rebuilding it", RuntimeWarning, stacklevel=3)
        return None
    if params != params_json or meta != _meta(name):
        warnings.warn(f"hhlib cache: {path} holds another computation than requested (stored {meta} "
                      f"{params}); rebuilding it", RuntimeWarning, stacklevel=3)
        return None
    return stored


def _store(path: Path, name: str, params_json: str, result: dict) -> bool:
    """Save ``result`` at ``path``; on failure warn (once per folder) and return False."""
    try:
        _save_atomic(path, dict(result, _params=np.array(params_json), _cache=np.array(_meta(name))))
    except OSError as err:
        if not any(p.parent == path.parent for p in _MEMO):
            warnings.warn(f"hhlib cache: cannot save in {path.parent} ({type(err).__name__}: {err}); "
                          "results are kept in memory for this process only", RuntimeWarning, stacklevel=3)
        return False
    return True


# ----------------------------------------------------------------------------- public API
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

    Parameters
    ----------
    builder : callable
        A function registered with :func:`register`.
    refresh : bool
        Recompute (and re-save) even if a valid cache exists.
    progress : bool
        Show a progress bar while computing.
    **params
        Parameters overriding the builder's defaults.

    Returns
    -------
    dict of ndarray
        Fresh arrays (changing them does not change any cache).

    Warns
    -----
    RuntimeWarning
        A damaged file or one for other parameters (rebuilt); a folder that cannot be written.
    """
    name = builder.cache_name
    full = dict(builder.cache_defaults, **params)
    params_json = canonical_params(full)
    path = cache_dir() / _file_name(name, params_json)
    if not refresh:
        if path in _MEMO:
            return {k: v.copy() for k, v in _MEMO[path].items()}
        stored = _load(path, name, params_json)
        if stored is not None:
            return stored
    result = _checked_result(builder, builder(progress=Progress(name) if progress else None, **full))
    if _store(path, name, params_json, result):
        _MEMO.pop(path, None)
    else:
        _MEMO[path] = {k: v.copy() for k, v in result.items()}
    return result


#: Array kinds a cache stores (npy without pickle): bool, integers, floats, complex, bytes and str.
_STORABLE_KINDS = "biufcSU"


def _checked_result(builder, result) -> dict:
    """A builder's ``result`` as a dict of arrays a cache file can hold; TypeError or ValueError naming the
    builder (registered name and function) and the key otherwise."""
    who = (f"cache builder {builder.cache_name!r} "
           f"({getattr(builder, '__module__', '?')}.{getattr(builder, '__qualname__', '?')})")
    if not isinstance(result, dict):
        raise TypeError(f"{who} returned {type(result).__name__}; a builder returns a dict of str -> array")
    out = {}
    for key, value in result.items():
        if not isinstance(key, str) or not _NAME.fullmatch(key):
            raise TypeError(f"{who} returned the key {key!r}; keys must be str of letters, digits, '_', '.', '-'")
        if key in _RESERVED:
            raise ValueError(f"{who} returned the reserved key {key!r} (reserved: {', '.join(_RESERVED)})")
        try:
            arr = np.asarray(value)
        except ValueError:                                  # ragged nested sequences
            raise ValueError(f"{who} returned key {key!r} as a ragged sequence (items of different lengths), "
                             "which is no array; store one array per item or pad them") from None
        if arr.dtype.kind not in _STORABLE_KINDS:
            raise TypeError(f"{who} returned key {key!r} as an array of dtype {arr.dtype}; a cache stores "
                            "bool, integer, float, complex, bytes or str arrays only (no Python objects: "
                            "ragged lists become object arrays, store one array per item or pad them)")
        out[key] = arr
    return out


def ensure_writable(folder: Path | str | None = None) -> Path:
    """The cache folder (default :func:`cache_dir`), created if needed; OSError naming it if it cannot be written."""
    folder = Path(cache_dir() if folder is None else folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise OSError(f"cannot write to the cache folder {folder} ({exc.strerror or exc}); "
                      "set HHLIB_CACHE_DIR to a writable folder") from exc
    return folder


def rebuild_all(progress: bool = True):
    """Recompute every registered cache with its defaults (``python -m hhlib.studies``).

    Checks first that the cache folder can be written (OSError otherwise), so nothing is computed in vain.
    """
    ensure_writable()
    for mod in BUILDER_MODULES:
        importlib.import_module(mod)
    done = []
    for name, (builder, _) in sorted(_REGISTRY.items()):
        t0 = time.perf_counter()
        cached(builder, refresh=True, progress=progress)
        done.append((name, time.perf_counter() - t0))
        print(f"{name}: rebuilt in {done[-1][1]:.1f} s -> {cache_path(name, builder.cache_defaults).name}")
    return done


# ----------------------------------------------------------------------------- migration
def _legacy_key(name: str, params) -> str:
    """The key of hhlib's first cache format (12 hex digits of sha1 of ``json.dumps(default=repr)``)."""
    blob = json.dumps({"name": name, "version": CACHE_VERSION, "params": params}, sort_keys=True, default=repr)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


def _rekey_one(path: Path) -> Path | None:
    """New path of one cache file after re-keying it (``None``: left as it is, warned if invalid)."""
    name = path.stem.rpartition("-")[0]
    try:
        stored = _read_npz(path)
        params_json = str(stored.pop("_params")[()])
        meta = str(stored.pop("_cache")[()]) if "_cache" in stored else None
        params = json.loads(params_json)
    except _READ_ERRORS as err:
        warnings.warn(f"hhlib cache: {path} is damaged ({type(err).__name__}: {err}); not re-keyed",
                      RuntimeWarning, stacklevel=3)
        return None
    if meta is None:                         # first format: trust the params only if the name matches
        if path.stem != f"{name}-{_legacy_key(name, params)}":
            warnings.warn(f"hhlib cache: {path} does not hold the parameters its name says; not re-keyed",
                          RuntimeWarning, stacklevel=3)
            return None
        params_json = canonical_params(params)
    elif meta != _meta(name) or path.name == _file_name(name, params_json):
        return None                          # another version, or already current
    new = path.with_name(_file_name(name, params_json))
    _save_atomic(new, dict(stored, _params=np.array(params_json), _cache=np.array(_meta(name))))
    if new != path:
        path.unlink()
    return new


def rekey(folder: Path | str | None = None) -> list[tuple[Path, Path]]:
    """Move cache files written under an older key format to their current names, content unchanged.

    Each file's key is recomputed from its stored ``_params``; a file of the first format is only
    re-keyed if its name matches its stored parameters (at the current :data:`CACHE_VERSION`).

    Parameters
    ----------
    folder : path, optional
        Default :func:`cache_dir`.

    Returns
    -------
    list of (old path, new path)
    """
    folder = cache_dir() if folder is None else Path(folder)
    moved = []
    for path in sorted(folder.glob("*.npz")):
        new = _rekey_one(path)
        if new is not None:
            moved.append((path, new))
    return moved


if __name__ == "__main__":   # python -m hhlib.studies.cache rekey [folder]
    if sys.argv[1:2] != ["rekey"] or len(sys.argv) > 3:
        sys.exit("usage: python -m hhlib.studies.cache rekey [folder]")
    for old, new in rekey(sys.argv[2] if len(sys.argv) > 2 else None):
        print(f"{old.name} -> {new.name}")
