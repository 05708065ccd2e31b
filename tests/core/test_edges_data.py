"""Issue 16, data side: save_data's errors, number and header forms of data files, zero jitter, shipped
datasets by name, HHLIB_CACHE_DIR and cache builders' results, and `make lab`'s working copies."""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hhlib
import hhlib.studies.cache as cache
from hhlib.data import HEADER_RULE, FiringData, load_data, save_data

ROOT = Path(__file__).resolve().parents[2]
GOOD = "x,n_fired,n_trials\n0.9,10,100\n1.0,50,100\n1.1,90,100\n"


def write(tmp_path, text, name="d.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def load_error(path) -> str:
    with pytest.raises(ValueError) as err:
        load_data(path)
    return str(err.value)


# ---------------------------------------------------------------------------------------------------------
# 1. save_data names the user's path, never its hidden temporary file

def _no_temporary(message: str, folder: Path):
    assert ".tmp" not in message, message
    assert not list(folder.glob(".*.tmp"))


def test_save_data_into_a_path_whose_parent_is_a_file_names_that_path(tmp_path):
    parent = write(tmp_path, "not a folder", "file")
    target = parent / "x.csv"
    with pytest.raises(NotADirectoryError) as err:
        save_data(load_data(), target)
    assert str(err.value) == f"cannot write the data file {target}: {parent} is not a folder"
    _no_temporary(str(err.value), tmp_path)


def test_save_data_into_a_missing_folder_or_onto_a_folder_names_the_path(tmp_path):
    target = tmp_path / "nope" / "x.csv"
    with pytest.raises(FileNotFoundError) as err:
        save_data(load_data(), target)
    assert str(err.value) == (f"cannot write the data file {target}: its folder {tmp_path / 'nope'} does not exist "
                              "(save_data creates no folders)")
    with pytest.raises(IsADirectoryError) as err:
        save_data(load_data(), tmp_path)
    assert str(err.value) == f"cannot write the data file {tmp_path}: it is a folder; give a file name"
    _no_temporary(str(err.value), tmp_path)


def test_save_data_permission_denied_names_the_path_not_the_temporary_file(tmp_path, monkeypatch):
    # what the system says for a read-only folder (simulated: root may write anywhere): it names the temporary
    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "write_text", denied)
    target = tmp_path / "x.csv"
    with pytest.raises(PermissionError) as err:
        save_data(load_data(), target)
    assert str(err.value) == f"cannot write the data file {target}: Permission denied"
    assert err.value.errno == 13
    _no_temporary(str(err.value), tmp_path)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders")
def test_save_data_into_a_read_only_folder_names_the_path(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError) as err:
            save_data(load_data(), folder / "x.csv")
    finally:
        folder.chmod(0o755)
    assert str(err.value) == f"cannot write the data file {folder / 'x.csv'}: Permission denied"


# ---------------------------------------------------------------------------------------------------------
# 2. numbers: Python's float()/int() forms that a CSV must not have

_DIGITS = "; write numbers without '_' separators (1000, not 1_000)"


@pytest.mark.parametrize("old,new,row,column,message", [
    ("0.9,10,", "0.9,1_0,", 2, "n_fired", "not a number: '1_0'" + _DIGITS),
    ("1.0,", "1_0.0,", 3, "x", "not a number: '1_0.0'" + _DIGITS),
    ("50,100", "50,1_00", 3, "n_trials", "not a number: '1_00'" + _DIGITS),
    ("0.9,10,", "0.9,\u0663,", 2, "n_fired", "not a number: '\u0663'; only the ASCII digits 0-9 are numbers here, "
                                            "not '\u0663' (U+0663)"),
    ("1.1,", "\uff11.1,", 4, "x", "not a number: '\uff11.1'; only the ASCII digits 0-9 are numbers here, not '\uff11' "
                                  "(U+FF11)"),
    ("1.0,", '"1,0",', 3, "x", "not a number: '1,0'; decimal commas? write '.' as the decimal point (0.9, not 0,9)"),
    ("50,100", "50,1 00", 3, "n_trials", "not a number: '1 00'; no spaces inside a number"),
    ("50,100", "50,0x64", 3, "n_trials", "not a number: '0x64'"),
    ("1.0,", "\u0131nf,", 3, "x", "not a number: '\u0131nf'"),          # dotless i: no case folding beyond ASCII
    ("1.0,", "1e,", 3, "x", "not a number: '1e'"),
])
def test_number_forms_python_accepts_but_a_data_file_must_not_have(tmp_path, old, new, row, column, message):
    assert old in GOOD
    p = write(tmp_path, GOOD.replace(old, new, 1))
    assert load_error(p) == f"{p}, row {row}, column '{column}': {message}"


def test_underscores_are_refused_in_protocol_lines_and_latency_too(tmp_path):
    p = write(tmp_path, "# delay_ms: 0_1\n" + GOOD)
    assert load_error(p) == f"{p}, row 1: protocol key 'delay_ms': not a number: '0_1'" + _DIGITS
    p = write(tmp_path, "x,n_fired,n_trials,latency_ms\n0.9,0,10,\n1.0,5,10,0.4_5\n1.1,9,10,0.3\n")
    assert load_error(p) == f"{p}, row 3, column 'latency_ms': not a number: '0.4_5'" + _DIGITS


def test_the_number_forms_a_data_file_may_use(tmp_path):
    # sign, leading/trailing point, exponent (counts too: whole numbers), nan/NaN for an empty latency
    p = write(tmp_path, "x,n_fired,n_trials,latency_ms\n+.9,0,1E1,NaN\n1.,5,10,4.5e-1\n1.1e0,9,+10,.3\n")
    d = load_data(p)
    assert d.x.tolist() == [0.9, 1.0, 1.1] and d.n_trials.tolist() == [10, 10, 10]
    assert math.isnan(d.latency_ms[0]) and d.latency_ms[1:].tolist() == [0.45, 0.3]
    # nan and inf are numbers, refused where a finite value is needed, as before
    p = write(tmp_path, GOOD.replace("1.0,", "-Infinity,"))
    assert load_error(p) == f"{p}, row 3, column 'x': must be finite and > 0, got '-Infinity'"


# ---------------------------------------------------------------------------------------------------------
# 3. semicolon-, tab- and decimal-comma files, capitalised headers

def test_header_rule_lists_the_accepted_header_forms():
    assert HEADER_RULE == ("the header must name x, n_fired, n_trials (or, instead of x, one of amplitude_uA, "
                           "amplitude_nA, amplitude_mA), optionally latency_ms and jitter_ms, in any order, separated "
                           "by commas: e.g. 'x,n_fired,n_trials' or "
                           "'amplitude_uA,n_fired,n_trials,latency_ms,jitter_ms'")


@pytest.mark.parametrize("sep,word", [(";", "semicolon"), ("\t", "tab")])
def test_semicolon_and_tab_separated_files_are_named(tmp_path, sep, word):
    text = GOOD.replace(",", sep).replace(".", ",")                    # as a European spreadsheet saves it
    p = write(tmp_path, text)
    header = sep.join(("x", "n_fired", "n_trials"))
    assert load_error(p) == (f"{p}, row 1: missing column: the file looks {word}-separated, but hhlib reads "
                             "comma-separated files, with '.' as the decimal point (0.9, not 0,9); "
                             f"{HEADER_RULE}; got {header!r}")


def test_decimal_commas_in_a_comma_separated_file_are_named(tmp_path):
    p = write(tmp_path, GOOD.replace("1.0,", "1,0,"))
    assert load_error(p) == (f"{p}, row 3: expected 3 fields, got 4; decimal commas? write '.' as the decimal point "
                             "(0.9, not 0,9), or quote a field that holds a comma")
    p = write(tmp_path, GOOD.replace("1.0,50,100", "1.0,50,100,"))    # a trailing empty field: no such guess
    assert load_error(p) == f"{p}, row 3: expected 3 fields, got 4"


@pytest.mark.parametrize("header,column,fixes", [
    ("X,n_fired,n_trials", "x", "'X' -> 'x'"),
    ("x,N_Fired,N_TRIALS", "n_fired", "'N_Fired' -> 'n_fired', 'N_TRIALS' -> 'n_trials'"),
    ("Amplitude_UA,n_fired,n_trials", "x", "'Amplitude_UA' -> 'amplitude_uA'"),
])
def test_capitalised_header_names_are_named_with_their_right_spelling(tmp_path, header, column, fixes):
    p = write(tmp_path, header + "\n" + GOOD.split("\n", 1)[1])
    assert load_error(p) == (f"{p}, row 1, column '{column}': missing column: header names are case-sensitive: "
                             f"{fixes}; {HEADER_RULE}; got {header!r}")


def test_a_header_without_a_recognisable_mistake_says_only_what_it_must_be(tmp_path):
    p = write(tmp_path, "stimulus,fired,trials\n")
    assert load_error(p) == f"{p}, row 1, column 'x': missing column; {HEADER_RULE}; got 'stimulus,fired,trials'"


# ---------------------------------------------------------------------------------------------------------
# 7. a jitter of exactly 0 over two or more spikes is no measurement

_ZERO = ("must be finite and > 0 ms where n_fired >= 2 (n_fired = 5): a jitter of exactly 0 would claim identical "
         "latencies on every trial that fired and give the mean latency a standard error of 0")


def test_firing_data_refuses_zero_jitter_where_two_or_more_fired():
    with pytest.raises(ValueError) as err:
        FiringData([0.9, 1.0, 1.1], [0, 1, 5], [10, 10, 10], latency_ms=[np.nan, 0.4, 0.3],
                   jitter_ms=[np.nan, np.nan, 0.0])
    assert str(err.value) == f"jitter_ms[2] = 0.0: {_ZERO}"
    with pytest.raises(ValueError, match=r"^jitter_ms\[2\] = -0.0: must be finite and > 0 ms"):
        FiringData([0.9, 1.0, 1.1], [0, 1, 5], [10, 10, 10], latency_ms=[np.nan, 0.4, 0.3],
                   jitter_ms=[np.nan, np.nan, -0.0])
    tiny = FiringData([0.9, 1.0, 1.1], [0, 1, 5], [10, 10, 10], latency_ms=[np.nan, 0.4, 0.3],
                      jitter_ms=[np.nan, np.nan, 1e-9])
    assert tiny.jitter_ms[2] == 1e-9
    # latency 0 stays allowed (a spike at the onset is a value, not a spread)
    assert FiringData([0.9, 1.0, 1.1], [0, 1, 5], [10, 10, 10], latency_ms=[np.nan, 0.0, 0.3]).latency_ms[1] == 0.0


def test_a_file_with_zero_jitter_names_file_row_and_column(tmp_path):
    p = write(tmp_path, "x,n_fired,n_trials,latency_ms,jitter_ms\n0.9,0,10,,\n1.0,1,10,0.4,\n1.1,5,10,0.3,0\n")
    assert load_error(p) == f"{p}, row 4, column 'jitter_ms': {_ZERO}"
    p = write(tmp_path, "x,n_fired,n_trials,latency_ms,jitter_ms\n0.9,0,10,,\n1.0,1,10,0.4,0.0\n1.1,5,10,0.3,1\n")
    assert load_error(p) == (f"{p}, row 3, column 'jitter_ms': must be empty (NaN) where n_fired < 2: 1 trial(s) "
                             "fired (a standard deviation needs 2), so there is no jitter")


# ---------------------------------------------------------------------------------------------------------
# 6. shipped datasets by name, from any folder

SHIPPED = ROOT / "hhlib" / "datasets"


def test_the_shipped_datasets_and_their_names():
    assert hhlib.datasets.names() == ("experimental", "synthetic_latency_uA")
    assert Path(hhlib.datasets.resource("synthetic_latency_uA")) == SHIPPED / "synthetic_latency_uA.csv"
    with pytest.raises(ValueError) as err:
        hhlib.datasets.resource("synthetic")
    assert str(err.value) == ("no shipped dataset named 'synthetic'; the shipped datasets are experimental, "
                              "synthetic_latency_uA")
    with pytest.raises(TypeError, match="^name must be a str, got int$"):
        hhlib.datasets.resource(3)
    # the generator writes the shipped one (no copy left in data/examples)
    assert not (ROOT / "data" / "examples" / "synthetic_latency_uA.csv").exists()
    assert "PATH = Path(__file__).resolve().parents[2] / \"hhlib\" / \"datasets\" / \"synthetic_latency_uA.csv\"" in (
        ROOT / "data" / "examples" / "make_synthetic.py").read_text()


def test_load_data_reads_a_dataset_by_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    d = load_data("synthetic_latency_uA")
    assert d.source == str(SHIPPED / "synthetic_latency_uA.csv")
    assert len(d) == 9 and d.stimulus_unit == "uA" and d.protocol.area_cm2 == 1e-9 and d.jitter_ms is not None
    np.testing.assert_array_equal(d.n_fired, load_data(SHIPPED / "synthetic_latency_uA.csv").n_fired)
    assert load_data("experimental").source == load_data().source == str(SHIPPED / "experimental.csv")
    assert load_data(Path("synthetic_latency_uA"), vary=0).protocol.vary == 0


def test_a_file_of_the_same_name_in_the_current_folder_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, GOOD, "synthetic_latency_uA")
    d = load_data("synthetic_latency_uA")
    assert d.source == "synthetic_latency_uA" and d.n_fired.tolist() == [10, 50, 90]


def test_names_that_are_neither_file_nor_dataset_list_the_datasets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as err:
        load_data("synthetic")
    assert str(err.value) == ("data file not found: synthetic; nor is 'synthetic' a shipped dataset "
                              "(hhlib.datasets.names(): experimental, synthetic_latency_uA)")
    with pytest.raises(FileNotFoundError) as err:
        load_data("synthetic_latency_uA.csv")
    assert str(err.value) == ("data file not found: synthetic_latency_uA.csv; the shipped dataset of that name loads "
                              "without the suffix: 'synthetic_latency_uA'")
    with pytest.raises(FileNotFoundError) as err:
        load_data("data/synthetic_latency_uA")                          # a path: no dataset guess
    assert str(err.value) == "data file not found: data/synthetic_latency_uA"


def test_the_command_line_reads_a_dataset_by_name(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HHLIB_CACHE_DIR"}
    r = subprocess.run([sys.executable, "-m", "hhlib", "predict", "--data", "synthetic_latency_uA", "--delta-v", "-0.5",
                        "--delta-area", "2", "--runs", "20", "--json"], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out, shipped = json.loads(r.stdout), load_data(SHIPPED / "synthetic_latency_uA.csv")
    assert out["x"] == shipped.x.tolist() and out["measured_jitter_ms"] == shipped.jitter_ms.tolist()


# ---------------------------------------------------------------------------------------------------------
# 4. HHLIB_CACHE_DIR set but empty

_EMPTY = ("HHLIB_CACHE_DIR is set but empty ({!r}): set it to the folder for hhlib's caches (e.g. "
          "HHLIB_CACHE_DIR=~/hhlib-cache), or unset it for the default (the checkout's data/cache, else the "
          "per-user cache folder)")


@pytest.fixture
def registry(monkeypatch):
    """Register test builders in a copy of the registry (gone after the test)."""
    monkeypatch.setattr(cache, "_REGISTRY", dict(cache._REGISTRY))
    monkeypatch.setattr(cache, "_MEMO", {})


@pytest.mark.parametrize("value", ["", "   ", "\t"])
def test_an_empty_cache_dir_variable_is_an_error_naming_it(value, monkeypatch, registry, tmp_path):
    monkeypatch.setenv("HHLIB_CACHE_DIR", value)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError) as err:
        cache.cache_dir()
    assert str(err.value) == _EMPTY.format(value)

    @cache.register("test_empty_env")
    def build(progress=None):
        raise AssertionError("computed although the cache folder is unusable")

    with pytest.raises(ValueError, match="^HHLIB_CACHE_DIR is set but empty"):
        cache.cached(build, progress=False)
    assert not list(tmp_path.iterdir()) and not list((ROOT / "data" / "cache").glob("test_empty_env*"))


# ---------------------------------------------------------------------------------------------------------
# 5. what a cache builder returns is checked, naming the builder and the key

@pytest.mark.parametrize("result,error,message", [
    ({"a": np.arange(3), "b": np.array([np.arange(2), np.arange(3)], dtype=object)}, TypeError,
     "returned key 'b' as an array of dtype object; a cache stores bool, integer, float, complex, bytes or str "
     "arrays only (no Python objects: ragged lists become object arrays, store one array per item or pad them)"),
    ({"ragged": [[1, 2], [3]]}, ValueError,
     "returned key 'ragged' as a ragged sequence (items of different lengths), which is no array; store one array "
     "per item or pad them"),
    ({"f": np.array([len])}, TypeError, "returned key 'f' as an array of dtype object; a cache stores"),
    ([np.arange(3)], TypeError, "returned list; a builder returns a dict of str -> array"),
    ({3: np.arange(3)}, TypeError, "returned the key 3; keys must be str of letters, digits, '_', '.', '-'"),
    ({"a/b": np.arange(3)}, TypeError, "returned the key 'a/b'; keys must be str"),
    ({"_params": np.arange(3)}, ValueError, "returned the reserved key '_params' (reserved: _params, _cache)"),
])
def test_a_builders_result_is_checked_naming_builder_and_key(result, error, message, monkeypatch, registry,
                                                              tmp_path):
    monkeypatch.setenv("HHLIB_CACHE_DIR", str(tmp_path))

    @cache.register("test_bad_result", n=2)
    def bad_builder(progress=None, n=2):
        return result

    with pytest.raises(error) as err:
        cache.cached(bad_builder, progress=False)
    who = (f"cache builder 'test_bad_result' ({__name__}."
           "test_a_builders_result_is_checked_naming_builder_and_key.<locals>.bad_builder)")
    assert str(err.value).startswith(f"{who} {message}"), str(err.value)
    assert not list(tmp_path.iterdir())                                 # nothing written


def test_a_builders_storable_arrays_pass_unchanged(monkeypatch, registry, tmp_path):
    monkeypatch.setenv("HHLIB_CACHE_DIR", str(tmp_path))
    arrays = dict(b=np.array([True, False]), i=np.arange(3, dtype=np.int16), u=np.uint8(7), f=[0.5, 1.5],
                  c=np.array([1 + 2j]), s=np.array([b"ab"]), t=np.array("text"))

    @cache.register("test_good_result")
    def good(progress=None):
        return arrays

    out = cache.cached(good, progress=False)
    again = cache.cached(good, progress=False)                          # from the file
    for key, value in arrays.items():
        np.testing.assert_array_equal(out[key], np.asarray(value))
        np.testing.assert_array_equal(again[key], np.asarray(value))
        assert again[key].dtype == np.asarray(value).dtype


# ---------------------------------------------------------------------------------------------------------
# 9. `make lab` opens working copies in lab/, never the tracked notebooks

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_make_lab_dry_run_opens_the_copies_in_lab():
    if shutil.which("make") is None:
        pytest.skip("no make")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}  # under make test
    out = subprocess.run(["make", "--no-print-directory", "-n", "lab", "VENV=/nonexistent/venv"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, env=env).stdout
    assert out.splitlines()[-1].split()[:2] == ["/nonexistent/venv/bin/jupyter", "lab"]
    assert out.splitlines()[-1].endswith(' "lab/"') and "notebooks/\n" not in out
    assert 'cp "$nb" "$copy"' in out


def test_make_lab_copies_missing_notebooks_keeps_existing_copies_and_opens_them(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("no make")
    venv, lab, calls = tmp_path / "venv", tmp_path / "lab", tmp_path / "calls"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "jupyter").write_text(f'#!/bin/sh\necho "$@" >> "{calls}"\n')
    (venv / "bin" / "jupyter").chmod(0o755)
    (venv / ".installed").touch()                                       # newer than pyproject.toml: no install
    lab.mkdir()
    mine = lab / NOTEBOOKS[0].name
    mine.write_text("my edits")
    os.utime(mine, (1e9, 1e9))                                          # older than the tracked notebook
    tracked = {nb: nb.read_bytes() for nb in NOTEBOOKS}
    argv = ["make", "-s", "lab", f"VENV={venv}", f"LAB_DIR={lab}", "LAB_ARGS=--no-browser"]
    r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert mine.read_text() == "my edits"                               # an existing copy is kept ...
    assert (f"note: notebooks/{mine.name} is newer than your copy {mine} (delete it for a fresh copy)"
            in r.stdout.splitlines())                                   # ... and said to be older
    for nb in NOTEBOOKS[1:]:
        assert (lab / nb.name).read_bytes() == tracked[nb]
        assert f"copied notebooks/{nb.name} to {lab / nb.name}" in r.stdout.splitlines()
    assert {nb: nb.read_bytes() for nb in NOTEBOOKS} == tracked
    args = calls.read_text().split()
    assert args[0] == "lab" and args[-1] == f"{lab}/" and "--no-browser" in args
    r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)  # again: nothing copied
    assert r.returncode == 0 and "copied" not in r.stdout


def test_the_lab_folder_is_ignored_and_its_notebooks_find_hhlib_and_the_caches(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    r = subprocess.run(["git", "check-ignore", "-q", "lab/01_model_check.ipynb"], cwd=ROOT)
    assert r.returncode == 0, "lab/ is not ignored by git"
    # a kernel started in lab/ (any folder but notebooks/) imports this hhlib and finds the checkout's caches
    env = {k: v for k, v in os.environ.items() if k != "HHLIB_CACHE_DIR"}
    code = "import hhlib, hhlib.studies.cache as c; print(hhlib.__file__); print(c.cache_dir())"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120).stdout.split()
    assert out == [str(ROOT / "hhlib" / "__init__.py"), str(ROOT / "data" / "cache")]
