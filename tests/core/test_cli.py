"""The command line: python -m hhlib predict / optimise."""
import json
import subprocess
import sys

import numpy as np
import pytest

import hhlib


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hhlib", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_predict_prints_a_table_and_writes_a_png(tmp_path):
    png = tmp_path / "pred.png"
    r = run("predict", "--delta-v", "1.95", "--delta-area", "3.24", "--runs", "300", "--seed", "4", "--plot", str(png))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "measured" in lines[1] and "predicted" in lines[1]
    rows = [ln.replace("[", " ").replace("]", " ").replace(",", " ").split() for ln in lines[2:13]]
    assert all(len(row) == 9 for row in rows)                 # x, measured, CI, predicted, CI, latency, jitter
    assert [float(row[0]) for row in rows] == pytest.approx(list(hhlib.load_data().x))
    predicted = [float(row[4]) for row in rows]
    expected = hhlib.predict(1.95, 3.24, n_trials=300, seed=4, return_latency=True)
    assert predicted == pytest.approx(list(expected.firing_probability), abs=6e-4)
    assert [float(row[7]) for row in rows] == pytest.approx(list(expected.latency_ms), abs=6e-5)
    assert [float(row[8]) for row in rows] == pytest.approx(list(expected.jitter_ms), abs=6e-5)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_predict_json(tmp_path):
    r = run("predict", "--runs", "10", "--seed", "1", "--json", "--no-plot", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["runs"] == 10 and len(out["predicted"]) == 11 and out["mse"] > 0.1
    assert not list(tmp_path.iterdir())                      # --no-plot wrote nothing
    # latency and jitter next to the firing probability; null (not NaN, which is not JSON) where none fired
    ref = hhlib.predict(0.0, 0.0, n_trials=10, seed=1, return_latency=True)
    assert out["predicted"] == pytest.approx(list(ref.firing_probability))
    for key, arr in (("predicted_latency_ms", ref.latency_ms), ("predicted_jitter_ms", ref.jitter_ms)):
        assert [v is None for v in out[key]] == list(np.isnan(arr))
        assert [v for v in out[key] if v is not None] == pytest.approx(list(arr[~np.isnan(arr)]), rel=1e-12)
    assert "NaN" not in r.stdout and "measured_latency_ms" not in out     # the shipped data have no latency
    alias = run("predict", "--n-trials", "10", "--seed", "1", "--json", cwd=tmp_path)   # the library's word
    assert json.loads(alias.stdout) == out


@pytest.mark.slow
def test_optimise_json_on_given_data(tmp_path):
    r = run("optimise", "--runs", "1000", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) >= {"delta_v", "delta_area", "delta_v_ci", "delta_area_ci", "deviance", "p_value",
                        "n_evaluations", "seconds", "converged"}
    assert out["converged"] and out["delta_v_ci"][0] < out["delta_v"] < out["delta_v_ci"][1]
    assert "[hhlib optimise]" in r.stderr                      # progress on stderr only


@pytest.mark.parametrize("args,needle", [
    (("predict", "--delta-v", "-1"), "--delta-v"),
    (("predict", "--runs", "0"), "--runs"),
    (("predict", "--runs", "ten"), "--runs"),
    (("optimise", "--start", "0"), "--start"),
    (("optimise", "--seed", "-3"), "--seed"),
    (("optimise", "--method", "newton"), "--method"),
    (("frobnicate",), "invalid choice"),
])
def test_bad_arguments_exit_2_with_one_line(args, needle):
    r = run(*args)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and needle in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_data_file_exits_2_naming_the_problem(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,n_fired,n_trials\n0.9,10,100\n1.0,500,100\n1.1,90,100\n")
    for cmd in ("predict", "optimise"):
        r = run(cmd, "--data", str(bad), "--no-plot" if cmd == "predict" else "--json")
        assert r.returncode == 2
        line = r.stderr.strip()
        assert len(line.splitlines()) == 1 and "row 3" in line and "n_fired" in line and "Traceback" not in line
    r = run("optimise", "--data", str(tmp_path / "missing.csv"))
    assert r.returncode == 2 and "missing.csv" in r.stderr


# ------------------------------------------------------------------ edges: one line, exit 2, never a traceback
def one_line_error(r, *needles):
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def test_predict_writes_no_file_unless_asked(tmp_path):
    r = run("predict", "--runs", "20", "--seed", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("args,needles", [
    (("predict", "--plot", ""), ("--plot", "empty")),
    (("predict", "--plot", "."), ("--plot", "folder")),
    (("predict", "--plot", "no/such/folder/p.png"), ("--plot", "does not exist")),
    (("predict", "--runs", "1099511627776"), ("--runs",)),
    (("optimise", "--runs", "1099511627776"), ("--runs",)),
    (("optimise", "--runs", "2"), ("--runs", "200")),
    (("predict", "--delta-v", "1e300", "--json"), ("NaN or infinite", "condition")),
    (("predict", "--delta-v", "nan"), ("--delta-v",)),
])
def test_edge_arguments_exit_2_with_one_line(tmp_path, args, needles):
    r = run(*args, cwd=tmp_path)
    one_line_error(r, *needles)
    assert r.stdout == ""


@pytest.mark.parametrize("content,needles", [
    ("x,n_fired,n_trials\n0.9," + "1" * 200_000 + ",100\n1.0,50,100\n1.1,90,100\n", ("row 2",)),
    (b"x,n_fired,n_trials\n0.9,10,100\n1.0,50,100\n\xe9\xff,90,100\n", ("row 4",)),
    ("x,n_fired,n_trials\n0.9,1e300,100\n1.0,50,100\n1.1,90,100\n", ("row 2", "n_fired")),
    ("x,n_fired,n_trials\n0.9,10,1e19\n1.0,50,100\n1.1,90,100\n", ("row 2", "n_trials")),
    ("x,n_fired,n_trials,x\n0.9,10,100,1\n1.0,50,100,2\n1.1,90,100,3\n", ("row 1", "'x'")),
])
def test_bad_csv_files_exit_2_naming_file_row_and_column(tmp_path, content, needles):
    path = tmp_path / "data.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    line = one_line_error(run("predict", "--data", str(path), "--runs", "10"), *needles)
    assert "data.csv" in line


def test_a_csv_with_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffx,n_fired,n_trials\n0.9,10,100\n1.0,50,100\n1.1,90,100\n".encode("utf-8"))
    r = run("predict", "--data", str(path), "--runs", "10", "--seed", "0", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["x"] == [0.9, 1.0, 1.1]


def test_cache_is_no_longer_a_command():
    # the caches belong to the notebooks' studies: python -m hhlib.studies rebuilds them
    one_line_error(run("cache"), "invalid choice")
