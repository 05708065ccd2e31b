"""The README's commands and code work verbatim after the Quick start, and its fit table is what they print."""
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def _blocks(lang):
    """Contents of the fenced code blocks whose info string is ``lang`` ("" = no language)."""
    blocks, current, info = [], None, None
    for line in README.splitlines():
        if line.startswith("```"):
            if current is None:
                current, info = [], line[3:].strip()
            else:
                if info == lang:
                    blocks.append("\n".join(current) + "\n")
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def _commands():
    lines = [ln.split("#", 1)[0].strip() for block in _blocks("") for ln in block.splitlines()]
    return [ln for ln in lines if ln.startswith(".venv/bin/python -m hhlib")]


def _run(command, **kw):
    """Run a README command as written; `.venv/bin/python` is the environment `make` built (or this one)."""
    argv = command.split()
    argv[0] = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, **kw)


def test_every_python_command_in_the_readme_uses_the_make_environment():
    plain = re.findall(r"^(?:\$ )?python3? -m hhlib.*$", README, flags=re.M)
    assert not plain, f"commands that need the environment make built: {plain}"
    assert len(_commands()) >= 4


def test_readme_predict_command_prints_a_table_and_writes_no_file(tmp_path):
    cmd = next(c for c in _commands() if " predict " in c)
    r = _run(cmd, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "measured" in r.stdout and "MSE" in r.stdout
    assert not (ROOT / "prediction.png").exists()


@pytest.mark.slow
def test_readme_fit_table_is_what_optimise_prints(shipped_fit):
    # `optimise --json` prints FitResult.to_dict() of hhlib.fit() (tests/test_cli.py runs the command itself)
    assert any(c.endswith("optimise --json") for c in _commands())
    out = shipped_fit.to_dict()
    row = {m.group(1): m.group(2) for m in re.finditer(r"^\| (delta_v|delta_area) \| ([^|]+)\|", README, re.M)}
    for name in ("delta_v", "delta_area"):
        est, lo, hi = (float(v) for v in re.findall(r"-?\d+\.\d+", row[name])[:3])
        assert round(out[name], 3) == est and [round(v, 3) for v in out[f"{name}_ci"]] == [lo, hi], (name, out)
    dev = re.search(r"^\| deviance \(9 dof\)[^|]*\| ([\d.]+), p = ([\d.]+)", README, re.M)
    assert round(out["deviance"], 2) == float(dev.group(1)) and round(out["p_value"], 2) == float(dev.group(2))
    assert out["converged"]


def _bare_expressions(body):
    """Statements of a script that compute a value and show nothing (anything but a print() call)."""
    out = []
    for node in body:
        if isinstance(node, ast.Expr) and not (isinstance(node.value, ast.Call)
                                               and getattr(node.value.func, "id", None) == "print"):
            out.append(ast.unparse(node))
        for field in ("body", "orelse"):
            out += _bare_expressions(getattr(node, field, []) if isinstance(node, (ast.If, ast.With, ast.For)) else [])
    return out


@pytest.mark.parametrize("index", range(len(_blocks("python"))))
def test_readme_python_blocks_show_what_they_compute(index):
    # run as a script, a bare expression prints nothing: every block prints what it shows
    assert _bare_expressions(ast.parse(_blocks("python")[index]).body) == []


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(_blocks("python"))))
def test_readme_python_blocks_run_as_scripts(tmp_path, index):
    script = tmp_path / "example.py"
    script.write_text(_blocks("python")[index])
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip(), "the block prints nothing when run as a script"
