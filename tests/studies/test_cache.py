"""hhlib.studies.cache: exact keys, atomic and byte-deterministic files, damaged files, unwritable folders, races."""
import errno
import hashlib
import json
import multiprocessing
import os
import re
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hhlib.studies import cache

ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------- builders used here
def _count(counter):
    with open(counter, "a") as f:
        f.write("x\n")


@cache.register("test_cache_square", n=3, counter="")
def square(n, counter, progress=None):
    """Tiny builder; appends a line to ``counter`` (a file) at every call."""
    if counter:
        _count(counter)
    return {"y": np.arange(n) ** 2, "a": np.linspace(0.0, 1.0, n)}


@cache.register("test_cache_noise", n=200_000, counter="", delay=0.0)
def noise(n, counter, delay, progress=None):
    """A few MB of incompressible floats (slow enough to write that races would show)."""
    if counter:
        _count(counter)
    time.sleep(delay)
    return {"x": np.random.default_rng(n).standard_normal(n), "n": np.array(n)}


@cache.register("test_cache_square_too", n=3, counter="")
def square_too(n, counter, progress=None):
    """Another builder with the same parameters as :func:`square`."""
    return square(n, counter)


def _calls(counter):
    return len(Path(counter).read_text().splitlines()) if Path(counter).exists() else 0


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty cache folder (through $HHLIB_CACHE_DIR) and an empty in-process memo."""
    d = tmp_path / "cache"
    monkeypatch.setenv("HHLIB_CACHE_DIR", str(d))
    monkeypatch.setattr(cache, "_MEMO", {})
    return d


@pytest.fixture
def counter(tmp_path):
    return str(tmp_path / "calls.txt")


def _key(**params):
    return cache._key("k", cache.canonical_params(params))


def _files(d):
    return sorted(p.name for p in d.iterdir())


# ----------------------------------------------------------------------------- 2. keys
def test_floats_are_keyed_at_full_precision():
    assert _key(x=0.1) == _key(x=0.1)
    assert _key(x=0.1) != _key(x=0.1000000001)
    assert _key(x=0.1) != _key(x=0.1 + 2 ** -56)          # the next float after 0.1
    assert _key(x=0.0) != _key(x=-0.0)
    assert len(_key(x=0.1)) == 64                         # a full sha256


@given(st.floats(allow_nan=False), st.floats(allow_nan=False))
def test_distinct_floats_give_distinct_keys(a, b):
    assert (_key(x=a) == _key(x=b)) == (repr(a) == repr(b))


def test_ints_floats_and_bools_are_distinct_and_numpy_scalars_are_python_numbers():
    # decision: 1 and 1.0 are different parameters (a builder may use range(n))
    assert len({_key(x=1), _key(x=1.0), _key(x=True)}) == 3
    assert _key(x=np.int64(3)) == _key(x=3) and _key(x=np.int8(3)) == _key(x=3)
    assert _key(x=np.float64(0.1)) == _key(x=0.1)
    assert _key(x=np.float32(0.5)) == _key(x=0.5)
    assert _key(x=np.float32(0.1)) != _key(x=0.1)           # float32(0.1) is another number
    assert _key(x=np.bool_(True)) == _key(x=True)


def test_tuples_and_lists_are_the_same_and_dicts_are_sorted():
    assert _key(x=(1, (2.5, 3))) == _key(x=[1, [2.5, 3]])
    assert _key(x={"a": 1, "b": {"c": 2, "d": 3}}) == _key(x={"b": {"d": 3, "c": 2}, "a": 1})
    assert _key(x={"a": 1}) != _key(x={"a": 2})
    assert _key(a=1, b=2) == _key(b=2, a=1)
    assert cache.canonical_params({"b": (1, 2.0), "a": None}) == '{"a":null,"b":[1,2.0]}'


def test_arrays_are_keyed_by_dtype_shape_and_every_byte():
    a = np.linspace(0.0, 1.0, 5)
    b = a.copy()
    b[2] += 1e-9                                           # differs in the 9th digit
    assert cache._legacy_key("k", {"x": a}) == cache._legacy_key("k", {"x": b})   # the old collision
    assert _key(x=a) != _key(x=b)
    big, big2 = np.zeros(2000), np.zeros(2000)
    big2[1500] = 1.0                                       # beyond repr's elision
    assert cache._legacy_key("k", {"x": big}) == cache._legacy_key("k", {"x": big2})
    assert _key(x=big) != _key(x=big2)
    assert _key(x=np.zeros(3)) != _key(x=np.zeros(3, dtype=np.int64))
    assert _key(x=np.zeros((2, 3))) != _key(x=np.zeros((3, 2)))
    m = np.arange(6.0).reshape(2, 3)
    assert _key(x=m) == _key(x=np.asfortranarray(m)) == _key(x=m.copy())
    assert _key(x=np.arange(3.0)) != _key(x=[0.0, 1.0, 2.0])


@pytest.mark.parametrize("value, where", [
    (object(), "p"), ({1, 2}, "p"), (1 + 2j, "p"), (Path("x"), "p"), (b"x", "p"),
    ([1, [2, object()]], "p[1][1]"), ({"a": {"b": object()}}, "p['a']['b']"), ({1: 2}, "p"),
    (np.array([object()]), "p"), (np.longdouble(1), "p"),
])
def test_unsupported_parameters_raise_type_error_naming_them(value, where):
    with pytest.raises(TypeError, match=re.escape(repr(where))):
        cache.canonical_params({"p": value})


def test_file_name_is_the_name_and_16_hex_digits_of_the_sha256(folder):
    params = dict(n=3, counter="")
    path = cache.cache_path("test_cache_square", params)
    blob = "\n".join(("hhlib-cache", str(cache.CACHE_VERSION), "test_cache_square", cache.canonical_params(params)))
    assert path == folder / f"test_cache_square-{hashlib.sha256(blob.encode()).hexdigest()[:16]}.npz"


def test_cache_version_is_part_of_the_key(folder, monkeypatch):
    before = cache.cache_path("test_cache_square", dict(n=3, counter=""))
    monkeypatch.setattr(cache, "CACHE_VERSION", cache.CACHE_VERSION + 1)
    assert cache.cache_path("test_cache_square", dict(n=3, counter="")) != before


# ----------------------------------------------------------------------------- round trip, 3. stored params
def test_round_trip_loads_without_calling_the_builder(folder, counter):
    a = cache.cached(square, counter=counter, progress=False)
    b = cache.cached(square, counter=counter, progress=False)
    c = cache.cached(square, n=4, counter=counter, progress=False)
    assert _calls(counter) == 2 and _files(folder) == sorted(
        cache.cache_path("test_cache_square", dict(n=n, counter=counter)).name for n in (3, 4))
    assert b.keys() == {"y", "a"} and b["y"].tolist() == [0, 1, 4] and c["y"].tolist() == [0, 1, 4, 9]
    assert all(np.array_equal(a[k], b[k]) and a[k].dtype == b[k].dtype for k in a)
    b["y"][0] = 99                                        # loaded arrays are the caller's own
    assert cache.cached(square, counter=counter, progress=False)["y"][0] == 0
    with np.load(cache.cache_path("test_cache_square", dict(n=3, counter=counter))) as f:
        assert str(f["_params"]) == json.dumps({"counter": counter, "n": 3}, separators=(",", ":"))
        assert json.loads(str(f["_cache"])) == {"name": "test_cache_square", "version": cache.CACHE_VERSION}


def test_a_file_for_other_parameters_is_reported_and_rebuilt(folder, counter):
    cache.cached(square, n=3, counter=counter, progress=False)
    p3 = cache.cache_path("test_cache_square", dict(n=3, counter=counter))
    p10 = cache.cache_path("test_cache_square", dict(n=10, counter=counter))
    p10.write_bytes(p3.read_bytes())                      # copied by hand (or a key collision)
    with pytest.warns(RuntimeWarning, match=re.escape(str(p10))):
        r = cache.cached(square, n=10, counter=counter, progress=False)
    assert r["y"].tolist() == [i * i for i in range(10)] and _calls(counter) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.cached(square, n=10, counter=counter, progress=False)["y"].size == 10
    assert _calls(counter) == 2


def test_a_file_of_another_builder_or_version_is_rebuilt(folder, counter, monkeypatch):
    cache.cached(square, counter=counter, progress=False)
    path = cache.cache_path("test_cache_square", dict(n=3, counter=counter))
    other = cache.cache_path("test_cache_square_too", dict(n=3, counter=counter))
    other.write_bytes(path.read_bytes())                  # same parameters, another builder
    with pytest.warns(RuntimeWarning, match=re.escape(str(other))):
        cache.cached(square_too, counter=counter, progress=False)
    assert _calls(counter) == 2
    monkeypatch.setattr(cache, "CACHE_VERSION", cache.CACHE_VERSION + 1)
    newer = cache.cache_path("test_cache_square", dict(n=3, counter=counter))
    newer.write_bytes(path.read_bytes())                  # built by the previous version
    with pytest.warns(RuntimeWarning, match=re.escape(str(newer))):
        cache.cached(square, counter=counter, progress=False)
    assert _calls(counter) == 3


# ----------------------------------------------------------------------------- 1. damaged files
def _damaged(path: Path):
    good = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("y.npy")
    flipped = bytearray(good)
    data_start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    flipped[data_start + info.compress_size // 2] ^= 0xFF      # inside the deflated data: bad CRC
    return {"empty": b"", "truncated_10": good[:10], "truncated_half": good[: len(good) // 2],
            "truncated_last": good[:-1], "flipped": bytes(flipped), "text": b"not a zip at all\n",
            "npy": b"\x93NUMPY" + good[6:], "pickle": b"\x80\x04K\x01."}


def test_damaged_files_are_reported_with_their_path_and_rebuilt(folder, counter):
    cache.cached(square, n=50, counter=counter, progress=False)
    path = cache.cache_path("test_cache_square", dict(n=50, counter=counter))
    good = path.read_bytes()
    for k, (label, bad) in enumerate(_damaged(path).items()):
        path.write_bytes(bad)
        with pytest.warns(RuntimeWarning, match=re.escape(str(path))) as rec:
            r = cache.cached(square, n=50, counter=counter, progress=False)
        assert "damaged" in str(rec[0].message), label
        assert r["y"].tolist() == [i * i for i in range(50)], label
        assert _calls(counter) == k + 2, label
        assert path.read_bytes() == good, label            # replaced by a valid file
    assert _files(folder) == [path.name]


# ----------------------------------------------------------------------------- 8. byte-identical files
def test_saving_the_same_content_gives_the_same_bytes(tmp_path, monkeypatch):
    m = np.arange(12.0).reshape(3, 4)
    cache._save_atomic(tmp_path / "a.npz", {"m": m, "s": np.array("txt"), "i": np.array(7)})
    monkeypatch.setattr(time, "time", lambda: 2.0e9)      # another clock, another order, F order
    monkeypatch.setattr(time, "localtime", lambda *a: time.gmtime(2.0e9))
    cache._save_atomic(tmp_path / "b.npz", {"i": np.array(7), "s": np.array("txt"), "m": np.asfortranarray(m)})
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.npz") as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == ["i.npy", "m.npy", "s.npy"]
    assert {(i.date_time, i.create_system, i.compress_type) for i in infos} == {
        ((1980, 1, 1, 0, 0, 0), 3, zipfile.ZIP_DEFLATED)}
    with np.load(tmp_path / "b.npz") as f:                # still an ordinary npz
        assert np.array_equal(f["m"], m) and f["i"] == 7 and str(f["s"]) == "txt"


def test_rebuilding_a_cache_rewrites_identical_bytes(folder, counter):
    cache.cached(square, n=20, counter=counter, progress=False)
    path = cache.cache_path("test_cache_square", dict(n=20, counter=counter))
    first = path.read_bytes()
    cache.cached(square, n=20, counter=counter, refresh=True, progress=False)
    assert _calls(counter) == 2 and path.read_bytes() == first


# ----------------------------------------------------------------------------- 4. unwritable folders
@pytest.fixture
def unwritable(tmp_path, monkeypatch):
    """A cache folder that cannot be created, even by root: its parent is a regular file."""
    (tmp_path / "file").write_text("")
    d = tmp_path / "file" / "cache"
    monkeypatch.setenv("HHLIB_CACHE_DIR", str(d))
    monkeypatch.setattr(cache, "_MEMO", {})
    return d


def test_unwritable_folder_computes_warns_once_and_memoises(unwritable, counter):
    with pytest.warns(RuntimeWarning, match=re.escape(str(unwritable))) as rec:
        a = cache.cached(square, counter=counter, progress=False)
    assert len(rec) == 1 and "cannot save" in str(rec[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                    # no second warning for this folder
        b = cache.cached(square, counter=counter, progress=False)
        assert _calls(counter) == 1                       # served from memory
        c = cache.cached(square, n=5, counter=counter, progress=False)
        assert _calls(counter) == 2 and c["y"].tolist() == [0, 1, 4, 9, 16]
        cache.cached(square, counter=counter, refresh=True, progress=False)
        assert _calls(counter) == 3
    assert a["y"].tolist() == b["y"].tolist() == [0, 1, 4]
    b["y"][:] = -1                                        # the memo hands out copies
    assert cache.cached(square, counter=counter, progress=False)["y"].tolist() == [0, 1, 4]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes read-only folders")
def test_read_only_folder_computes_and_warns(folder, counter):
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.warns(RuntimeWarning, match=re.escape(str(folder))):
            assert cache.cached(square, counter=counter, progress=False)["y"].tolist() == [0, 1, 4]
        assert _files(folder) == []
    finally:
        folder.chmod(0o755)


def test_permission_denied_on_the_temporary_file_is_handled_like_a_read_only_folder(folder, counter, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(args[0]))

    folder.mkdir()
    with monkeypatch.context() as m:
        m.setattr(cache.os, "open", denied)             # what a read-only folder does, even to root
        with pytest.warns(RuntimeWarning, match=re.escape(str(folder)) + ".*Permission denied") as rec:
            a = cache.cached(square, counter=counter, progress=False)
            b = cache.cached(square, counter=counter, progress=False)
    assert len(rec) == 1 and _calls(counter) == 1 and a["y"].tolist() == b["y"].tolist() == [0, 1, 4]
    assert _files(folder) == []


def test_a_full_disk_keeps_no_partial_file(folder, counter, monkeypatch):
    def full(fileobj, arrays):
        fileobj.write(b"PK\x03\x04 half a zip")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache, "_write_npz", full)
    with pytest.warns(RuntimeWarning, match=re.escape(str(folder)) + ".*No space left"):
        assert cache.cached(square, counter=counter, progress=False)["y"].tolist() == [0, 1, 4]
    assert _files(folder) == []


# ----------------------------------------------------------------------------- 7. Ctrl-C while saving
def _interrupt_in_write(fileobj, arrays):
    fileobj.write(b"PK\x03\x04 half a zip")
    raise KeyboardInterrupt


def _interrupt_after_write(fileobj, arrays, _real=cache._write_npz):
    _real(fileobj, arrays)
    raise KeyboardInterrupt


def _interrupt_replace(src, dst):
    raise KeyboardInterrupt


@pytest.mark.parametrize("where", ["in_write", "after_write", "replace"])
def test_ctrl_c_while_saving_leaves_no_temporary_and_no_broken_file(folder, counter, monkeypatch, where):
    cache.cached(square, counter=counter, progress=False)
    path = cache.cache_path("test_cache_square", dict(n=3, counter=counter))
    old = path.read_bytes()
    with monkeypatch.context() as m:
        if where == "replace":
            m.setattr(cache.os, "replace", _interrupt_replace)
        else:
            m.setattr(cache, "_write_npz", _interrupt_in_write if where == "in_write" else _interrupt_after_write)
        with pytest.raises(KeyboardInterrupt):
            cache.cached(square, counter=counter, refresh=True, progress=False)
        with pytest.raises(KeyboardInterrupt):
            cache.cached(square, n=4, counter=counter, progress=False)
    assert _files(folder) == [path.name] and path.read_bytes() == old
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.cached(square, n=4, counter=counter, progress=False)["y"].tolist() == [0, 1, 4, 9]
    assert _calls(counter) == 4


# ----------------------------------------------------------------------------- 5. the folder
def test_cache_dir_is_read_at_call_time(tmp_path, monkeypatch, counter):
    monkeypatch.setattr(cache, "_MEMO", {})
    monkeypatch.delenv("HHLIB_CACHE_DIR", raising=False)
    assert cache.cache_dir() == ROOT / "data" / "cache"   # a source checkout
    monkeypatch.setenv("HHLIB_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert cache.cache_dir() == tmp_path / "elsewhere"
    cache.cached(square, counter=counter, progress=False)
    assert len(list((tmp_path / "elsewhere").glob("test_cache_square-*.npz"))) == 1


def test_cache_dir_outside_a_checkout_is_the_user_cache(tmp_path, monkeypatch):
    import platformdirs
    monkeypatch.delenv("HHLIB_CACHE_DIR", raising=False)
    monkeypatch.setattr(cache, "_ROOT", tmp_path)         # hhlib installed in site-packages
    assert cache.cache_dir() == Path(platformdirs.user_cache_dir("hhlib"))
    (tmp_path / "data" / "cache").mkdir(parents=True)     # a data/cache folder alone is not a checkout
    assert cache.cache_dir() == Path(platformdirs.user_cache_dir("hhlib"))
    (tmp_path / "pyproject.toml").write_text("")
    assert cache.cache_dir() == tmp_path / "data" / "cache"


def test_assigning_the_deprecated_cache_dir_constant_still_redirects(tmp_path, monkeypatch):
    monkeypatch.setenv("HHLIB_CACHE_DIR", str(tmp_path / "env"))
    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path / "old")
    assert cache.cache_dir() == tmp_path / "old"


# ----------------------------------------------------------------------------- 6. concurrency
def _build_in_child(barrier, queue, counter):
    barrier.wait()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        r = cache.cached(noise, n=20_000, counter=counter, delay=0.2, progress=False)
    queue.put((hashlib.sha256(r["x"].tobytes()).hexdigest(), int(r["n"]), len(rec)))


def _rewrite_in_child(counter, times):
    for _ in range(times):
        cache.cached(noise, counter=counter, refresh=True, progress=False)


def _read_in_child(path, stop, queue):
    ok = bad = 0
    while not stop.is_set() or ok + bad < 5:
        try:
            ok += int(cache._read_npz(path)["x"].size == 200_000)
        except cache._READ_ERRORS:
            bad += 1
    queue.put((ok, bad))


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def test_processes_building_one_cache_at_once_all_get_it_and_leave_one_valid_file(folder, counter, tmp_path):
    ctx = _context()
    barrier, queue = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_build_in_child, args=(barrier, queue, counter)) for _ in range(4)]
    for p in procs:
        p.start()
    got = [queue.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    expected = noise(n=20_000, counter="", delay=0.0)
    digest = hashlib.sha256(expected["x"].tobytes()).hexdigest()
    assert got == [(digest, 20_000, 0)] * 4 and all(p.exitcode == 0 for p in procs)
    assert 1 <= _calls(counter) <= 4
    path = cache.cache_path("test_cache_noise", dict(n=20_000, counter=counter, delay=0.2))
    assert _files(folder) == [path.name]                  # one file, no temporary left
    params = cache.canonical_params(dict(n=20_000, counter=counter, delay=0.2))
    reference = dict(expected, _params=np.array(params), _cache=np.array(cache._meta("test_cache_noise")))
    cache._save_atomic(tmp_path / "ref.npz", reference)
    assert path.read_bytes() == (tmp_path / "ref.npz").read_bytes()


def test_readers_never_see_a_partial_file_while_others_rewrite_it(folder, counter):
    cache.cached(noise, counter=counter, progress=False)
    path = cache.cache_path("test_cache_noise", dict(n=200_000, counter=counter, delay=0.0))
    ctx = _context()
    stop, queue = ctx.Event(), ctx.Queue()
    readers = [ctx.Process(target=_read_in_child, args=(path, stop, queue)) for _ in range(2)]
    writers = [ctx.Process(target=_rewrite_in_child, args=(counter, 6)) for _ in range(2)]
    for p in readers + writers:
        p.start()
    for p in writers:
        p.join(timeout=60)
    stop.set()
    counts = [queue.get(timeout=30) for _ in readers]
    for p in readers:
        p.join(timeout=30)
    assert all(p.exitcode == 0 for p in readers + writers) and _calls(counter) == 13
    assert sum(ok for ok, _ in counts) >= 10 and [bad for _, bad in counts] == [0, 0]
    assert _files(folder) == [path.name]


# ----------------------------------------------------------------------------- 9. re-keying old files
def _legacy_save(folder, name, params, arrays):
    """A file as hhlib's first cache format wrote it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{cache._legacy_key(name, params)}.npz"
    np.savez_compressed(path, _params=np.array(json.dumps(params, sort_keys=True, default=repr)), **arrays)
    return path


def test_rekey_moves_legacy_files_to_their_new_names_content_unchanged(folder, counter):
    params = dict(n=3, counter=counter)
    arrays = square(**params)
    old = _legacy_save(folder, "test_cache_square", params, arrays)
    renamed = _legacy_save(folder, "test_cache_square", dict(n=4, counter=counter), square(n=4, counter=""))
    renamed = renamed.rename(folder / "test_cache_square-000000000000.npz")   # name and params disagree
    with pytest.warns(RuntimeWarning, match=re.escape(str(renamed))):
        moved = cache.rekey(folder)
    new = cache.cache_path("test_cache_square", params)
    assert moved == [(old, new)] and not old.exists() and renamed.exists()
    assert _calls(counter) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = cache.cached(square, counter=counter, progress=False)
    assert _calls(counter) == 1                           # loaded, not rebuilt
    assert all(np.array_equal(r[k], arrays[k]) and r[k].dtype == arrays[k].dtype for k in arrays)
    before = new.read_bytes()
    with pytest.warns(RuntimeWarning, match=re.escape(str(renamed))):
        assert cache.rekey(folder) == []                  # idempotent
    assert new.read_bytes() == before


def test_committed_caches_carry_current_names_and_load_without_building(monkeypatch):
    monkeypatch.delenv("HHLIB_CACHE_DIR", raising=False)
    monkeypatch.setattr(cache, "_MEMO", {})
    for mod in cache.BUILDER_MODULES:
        __import__(mod)
    registered = {n: v for n, v in cache._REGISTRY.items() if not n.startswith("test_")}
    committed = sorted((ROOT / "data" / "cache").glob("*.npz"))
    assert sorted(cache.cache_path(n, d) for n, (_, d) in registered.items()) == committed
    for name, (_, defaults) in registered.items():
        def refuse(progress=None, _name=name, **params):
            raise AssertionError(f"{_name}: the committed cache was not used")
        refuse.cache_name, refuse.cache_defaults = name, defaults
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            stored = cache.cached(refuse, progress=False)
        assert stored and not set(stored) & {"_params", "_cache"}, name
