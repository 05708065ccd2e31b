"""Packaging consistency: pyproject.toml vs environment.yml, and the one test command.

These checks keep the pip path (``make test``) and the conda path
(``conda env create -f environment.yml``) installing the same packages, and keep
README's Quick start, the Makefile and .ci/run agreeing on how tests are run.
"""
from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

# A requirement / conda spec: name, then an optional version constraint.
_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*?)\s*$")
_MIN = re.compile(r">=\s*([0-9][0-9A-Za-z.]*)")


def _norm(name: str) -> str:
    """PEP 503-style normalisation: case-insensitive, '-', '_' and '.' equivalent."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _parse(spec: str) -> tuple[str, str | None]:
    """Return (normalised name, minimum version or None) of a pip or conda spec."""
    spec = spec.split(";")[0]  # drop environment markers
    m = _SPEC.match(spec)
    assert m, f"cannot parse dependency spec {spec!r}"
    name, constraint = m.groups()
    mins = _MIN.findall(constraint)
    assert len(mins) <= 1, f"several minimum pins in {spec!r}"
    return _norm(name), (mins[0] if mins else None)


def _as_dict(specs) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for spec in specs:
        name, minimum = _parse(spec)
        assert name not in out, f"{name} listed twice"
        out[name] = minimum
    return out


@pytest.fixture(scope="module")
def pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def environment() -> dict:
    with open(ROOT / "environment.yml") as f:
        return yaml.safe_load(f)


def _pip_deps(pyproject) -> dict[str, str | None]:
    project = pyproject["project"]
    return _as_dict(project["dependencies"] + project["optional-dependencies"]["dev"])


def _conda_deps(environment) -> dict[str, str | None]:
    specs = [d for d in environment["dependencies"] if isinstance(d, str)]
    return {n: v for n, v in _as_dict(specs).items() if n not in ("python", "pip")}


def test_parser_normalises_names_and_pins():
    assert _parse("PyYAML") == ("pyyaml", None)
    assert _parse("ipy_widgets >= 8.1") == ("ipy-widgets", "8.1")
    assert _parse("numpy>=1.26,<3") == ("numpy", "1.26")
    assert _parse("python=3.11") == ("python", None)


def test_pyproject_metadata(pyproject):
    project = pyproject["project"]
    assert project["name"] == "hhlib"
    assert project["requires-python"] == ">=3.11"
    assert pyproject["build-system"]["build-backend"] == "setuptools.build_meta"
    runtime = _as_dict(project["dependencies"])
    assert runtime == {"numpy": "1.26", "scipy": "1.11", "matplotlib": "3.8", "ipywidgets": "8.1", "numba": "0.60",
                       "platformdirs": "3"}
    extras = project["optional-dependencies"]
    assert set(extras) == {"dev", "dask"}
    # the test suite (dev extra) installs what the dask extra needs
    assert set(_as_dict(extras["dask"])) <= set(_as_dict(extras["dev"]))


def test_pytest_config(pyproject):
    ini = pyproject["tool"]["pytest"]["ini_options"]
    assert ini["testpaths"] == ["tests", "notebooks"]
    markers = {m.split(":")[0] for m in ini["markers"]}
    assert {"slow", "browser"} <= markers
    assert "nbval" not in str(ini.get("addopts", ""))


def test_same_packages_in_pyproject_and_environment(pyproject, environment):
    pip, conda = _pip_deps(pyproject), _conda_deps(environment)
    assert set(pip) == set(conda), (
        f"only in pyproject.toml: {sorted(set(pip) - set(conda))}; "
        f"only in environment.yml: {sorted(set(conda) - set(pip))}"
    )


def test_minimum_versions_agree(pyproject, environment):
    pip, conda = _pip_deps(pyproject), _conda_deps(environment)
    disagree = {
        name: (pip[name], conda[name])
        for name in set(pip) & set(conda)
        if pip[name] is not None and conda[name] is not None and pip[name] != conda[name]
    }
    assert not disagree, f"minimum versions differ (pyproject, environment): {disagree}"


def test_environment_name_python_and_editable_install(environment):
    assert environment["name"] == "hhlib"
    assert "conda-forge" in environment["channels"]
    deps = environment["dependencies"]
    pythons = [d for d in deps if isinstance(d, str) and _parse(d)[0] == "python"]
    assert [p.replace(" ", "") for p in pythons] == ["python=3.11"]
    assert "pip" in deps
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1
    editable = [s.replace('"', "").replace("'", "").split() for s in pip_sections[0]]
    assert ["-e", ".[dev]"] in editable


# ---------------------------------------------------------------------------
# The test command: README Quick start == .ci/run == Makefile `test` target
# ---------------------------------------------------------------------------

def _quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    m = re.search(r"^## Quick start\s*$(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert m, "README.md has no '## Quick start' section"
    fence = re.search(r"^```[^\n]*\n(.*?)^```", m.group(1), flags=re.M | re.S)
    assert fence, "README Quick start has no fenced code block"
    lines = [ln.split("#", 1)[0].strip() for ln in fence.group(1).splitlines()]
    return [ln for ln in lines if ln]


def _ci_commands() -> list[str]:
    text = (ROOT / ".ci" / "run").read_text()
    lines = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    return [ln for ln in lines if ln]


def _make_recipe(target: str) -> list[str]:
    """Recipe lines of ``target`` in the Makefile (tab-indented lines after 'target:')."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(rf"^{re.escape(target)}\s*:(?!=)", line):
            recipe = []
            for ln in lines[i + 1:]:
                if not ln.startswith("\t"):
                    break
                recipe.append(ln.strip())
            return recipe
    raise AssertionError(f"Makefile has no {target!r} target")


def test_readme_quick_start_is_make_lab_and_make_test():
    assert _quick_start_commands() == ["make lab", "make test"]


def test_ci_runs_the_readme_test_command():
    ci = _ci_commands()
    readme_test = [c for c in _quick_start_commands() if c.split()[:2] == ["make", "test"]]
    assert readme_test == ["make test"]
    assert readme_test[0] in ci, f".ci/run does not run {readme_test[0]!r}"
    assert ci[-1] == readme_test[0], "`make test` must be the last command of .ci/run (its exit code)"
    assert "set -euo pipefail" in ci
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111, ".ci/run is not executable"


def test_makefile_test_target_runs_pytest_with_nbval():
    recipe = _make_recipe("test")
    assert len(recipe) == 1, recipe
    argv = shlex.split(recipe[0])
    assert argv[:3] == ["$(VENV)/bin/python", "-m", "pytest"]
    assert "--nbval" in argv and "--nbval-current-env" in argv
    assert argv[argv.index("--nbval-sanitize-with") + 1] == "nbval_sanitize.cfg"
    assert (ROOT / "nbval_sanitize.cfg").is_file()
    assert {"tests", "notebooks"} <= set(argv)
    assert _make_recipe("lab") == ["$(VENV)/bin/jupyter lab $(LAB_ROOT) $(LAB_ARGS) notebooks/"]
    assert _make_recipe("check") == ['$(VENV)/bin/python -m pytest -m "not slow and not browser" tests -q']


@pytest.mark.slow
def test_make_lab_starts_jupyterlab_also_as_root(tmp_path):
    # JupyterLab refuses to run as root without --allow-root; `make lab` adds it when uid is 0
    import os
    import socket
    import subprocess
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"), JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "run"))
    args = f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --ServerApp.token=t0k"
    p = subprocess.Popen(["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline, answered = time.time() + 60, False
        while time.time() < deadline and p.poll() is None and not answered:
            try:
                answered = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token=t0k", timeout=2).status == 200
            except OSError:
                time.sleep(0.5)
        assert answered, p.stdout.read() if p.poll() is not None else "no answer"
    finally:
        import signal
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=30)


def test_sanitize_file_is_regex_replace_pairs():
    text = (ROOT / "nbval_sanitize.cfg").read_text()
    # nbval reads exactly this pattern (see nbval.plugin.get_sanitize_patterns)
    pairs = re.findall(r"^regex: (.*)$\n^replace: (.*)$", text, flags=re.M)
    assert len(pairs) == 3
    for regex, _ in pairs:
        re.compile(regex)
    assert re.sub(pairs[0][0], pairs[0][1], "0.123456789012") == "0.12345678"
    assert re.sub(pairs[1][0], pairs[1][1], "np.float64(1.5)") == "1.5"
    assert re.sub(pairs[2][0], pairs[2][1], "<Foo at 0x7f3aB>") == "<Foo at 0xADDR>"
