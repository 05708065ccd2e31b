"""Packaging consistency: pyproject.toml vs environment.yml and constraints.txt, the package data,
the lint configuration, and the one test command.

These checks keep the pip path (``make test``) and the conda path
(``conda env create -f environment.yml``) installing the same packages, keep constraints.txt
pinning all of them, and keep README's Quick start, the Makefile and .ci/run agreeing on how tests
are run. tests/core/test_wheel.py installs the built wheel outside the checkout.
"""
from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
#: The lint command, first in `make test` and `make check`.
RUFF = "$(VENV)/bin/python -m ruff check ."

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


_SELF = re.compile(r"^\s*hhlib\s*\[([^\]]*)\]\s*$")


def _extra(pyproject, name: str, seen=()) -> list[str]:
    """The requirements of extra ``name``, with references to hhlib's own extras (``hhlib[viz]``) expanded."""
    assert name not in seen, f"extras refer to each other in a cycle: {seen + (name,)}"
    out = []
    for spec in pyproject["project"]["optional-dependencies"][name]:
        m = _SELF.match(spec)
        if m:
            for sub in m.group(1).split(","):
                out += _extra(pyproject, sub.strip(), seen + (name,))
        else:
            assert not spec.lower().startswith("hhlib"), f"odd self-reference {spec!r} in extra {name!r}"
            out.append(spec)
    return list(dict.fromkeys(out))


def _pip_deps(pyproject) -> dict[str, str | None]:
    return _as_dict(pyproject["project"]["dependencies"] + _extra(pyproject, "dev"))


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
    # the core: what simulating, fitting and the command line need
    runtime = _as_dict(project["dependencies"])
    assert runtime == {"numpy": "1.26", "scipy": "1.11", "numba": "0.60", "platformdirs": "3"}
    extras = project["optional-dependencies"]
    assert set(extras) == {"viz", "notebooks", "dask", "gpu", "phast", "dev"}
    assert _as_dict(_extra(pyproject, "viz")) == {"matplotlib": "3.8", "ipywidgets": "8.1"}
    notebooks = _as_dict(_extra(pyproject, "notebooks"))
    assert {"matplotlib", "ipywidgets", "jupyterlab", "ipykernel", "nbclient"} == set(notebooks)
    assert set(_as_dict(_extra(pyproject, "dask"))) == {"dask"}
    assert _as_dict(_extra(pyproject, "gpu")) == {"numba-cuda": "0.30"}
    assert _as_dict(_extra(pyproject, "phast")) == {"phastc": "1.1.7"}
    # the test suite (dev extra) installs every other extra, and what the tests and the linter import
    dev = _as_dict(_extra(pyproject, "dev"))
    for name in ("viz", "notebooks", "dask"):
        assert set(_as_dict(_extra(pyproject, name))) <= set(dev), name
    assert {"pytest", "nbval", "hypothesis", "pyyaml", "voila", "playwright", "ruff", "numba-cuda"} <= set(dev)
    assert not set(runtime) & set(dev), "a core dependency repeated in an extra"


def test_extras_parser_expands_self_references():
    fake = {"project": {"optional-dependencies": {"a": ["x>=1"], "b": ["hhlib[a]", "y"], "c": ["hhlib[a, b]", "x>=1"]}}}
    assert _extra(fake, "c") == ["x>=1", "y"]
    fake["project"]["optional-dependencies"]["a"] = ["hhlib[c]"]
    with pytest.raises(AssertionError, match="cycle"):
        _extra(fake, "c")


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


def test_makefile_test_target_lints_then_runs_pytest_with_nbval():
    recipe = _make_recipe("test")
    assert len(recipe) == 2 and recipe[0] == RUFF, recipe
    argv = shlex.split(recipe[1])
    assert argv[:3] == ["$(VENV)/bin/python", "-m", "pytest"]
    assert "--nbval" in argv and "--nbval-current-env" in argv
    assert argv[argv.index("--nbval-sanitize-with") + 1] == "nbval_sanitize.cfg"
    assert (ROOT / "nbval_sanitize.cfg").is_file()
    assert {"tests", "notebooks"} <= set(argv)
    assert argv[argv.index("-n") + 1] == "$(JOBS)" and argv[argv.index("--dist") + 1] == "loadfile"   # xdist
    # `make lab` opens working copies in $(LAB_DIR) (lab/), never the tracked notebooks (tests/core/test_edges_data.py)
    assert _make_recipe("lab")[-1] == '$(VENV)/bin/jupyter lab $(LAB_ROOT) $(LAB_ARGS) "$(LAB_DIR)/"'
    assert _make_recipe("check") == [RUFF, '$(VENV)/bin/python -m pytest -n $(JOBS) --dist loadfile '
                                           '-m "not slow and not browser" tests/core -q']



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
                url = f"http://127.0.0.1:{port}/api/status?token=t0k"
                answered = urllib.request.urlopen(url, timeout=2).status == 200
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


# ---------------------------------------------------------------------------
# Package data: the measured data ship inside hhlib
# ---------------------------------------------------------------------------

def test_measured_data_are_package_data(pyproject):
    assert (ROOT / "hhlib" / "datasets" / "experimental.csv").is_file()
    assert not (ROOT / "data" / "experimental.csv").exists()
    assert "hhlib/datasets/experimental.csv" in (ROOT / "data" / "README.md").read_text()
    package_data = pyproject["tool"]["setuptools"]["package-data"]
    assert package_data == {"hhlib.datasets": ["*.csv", "published/*.csv"]}
    import hhlib.data
    assert Path(hhlib.data.DEFAULT_DATA_PATH) == ROOT / "hhlib" / "datasets" / "experimental.csv"
    assert hhlib.load_data().source == str(ROOT / "hhlib" / "datasets" / "experimental.csv")


def test_default_data_are_read_through_as_file_when_not_a_file(tmp_path, monkeypatch):
    # hhlib imported from a zip archive: the resource is a zipfile.Path, read via a temporary copy
    import zipfile

    import hhlib.data
    archive = tmp_path / "hhlib.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(ROOT / "hhlib" / "datasets" / "experimental.csv", "hhlib/datasets/experimental.csv")
    with zipfile.ZipFile(archive) as zf:
        monkeypatch.setattr(hhlib.data, "DEFAULT_DATA_PATH", zipfile.Path(zf, "hhlib/datasets/experimental.csv"))
        d = hhlib.data.load_data()
    assert len(d) == 11 and d.source.endswith("experimental.csv") and not Path(d.source).exists()
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("hhlib/datasets/experimental.csv", "x,n_fired,n_trials\n0.9,10,100\n")
    with zipfile.ZipFile(broken) as zf:
        monkeypatch.setattr(hhlib.data, "DEFAULT_DATA_PATH", zipfile.Path(zf, "hhlib/datasets/experimental.csv"))
        with pytest.raises(ValueError, match=r"experimental\.csv, row 2: need at least 3 data rows"):
            hhlib.data.load_data()


def test_nothing_names_the_old_data_path():
    out = subprocess.run(["git", "grep", "--untracked", "-l", "-F", "data/experimental.csv", "--",
                          ":!tests/core/test_packaging.py"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        pytest.skip(f"not a git checkout: {out.stderr.strip()}")
    assert not out.stdout.split(), f"say hhlib/datasets/experimental.csv in: {out.stdout.split()}"


# ---------------------------------------------------------------------------
# constraints.txt: the pinned versions `make` installs
# ---------------------------------------------------------------------------

def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][0-9A-Za-z.+!-]*)", line)
        assert m, f"constraints.txt: not a 'name==version' pin: {line!r}"
        name = _norm(m.group(1))
        assert name not in pins, f"constraints.txt pins {name} twice"
        pins[name] = m.group(2)
    return pins


def test_constraints_pin_every_direct_dependency(pyproject):
    pins = _pins()
    assert "hhlib" not in pins
    wanted = set(_as_dict(pyproject["project"]["dependencies"])) | {
        n for e in pyproject["project"]["optional-dependencies"] for n in _as_dict(_extra(pyproject, e))}
    assert not wanted - set(pins), f"not pinned in constraints.txt (run `make lock`): {sorted(wanted - set(pins))}"


def _closure(pyproject) -> dict[str, str]:
    """Name -> installed version of every distribution hhlib[dev] needs here, through the installed metadata."""
    from importlib import metadata

    from packaging.requirements import Requirement

    todo = [(Requirement(s), "") for s in pyproject["project"]["dependencies"] + _extra(pyproject, "dev")]
    found, missing = {}, set()
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = _norm(req.name)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            missing.add(name)
            continue
        for wanted in [""] + sorted(req.extras):
            if (name, wanted) in found:
                continue
            found[(name, wanted)] = dist.version
            todo += [(Requirement(r), wanted) for r in dist.requires or ()]
    assert not missing, f"required but not installed (run `make`): {sorted(missing)}"
    return {n: v for (n, _), v in found.items()}


def test_constraints_pin_what_the_venv_installed(pyproject):
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("runs in the checkout's .venv (make test / make check) only")
    pins, installed = _pins(), _closure(pyproject)
    unpinned = sorted(set(installed) - set(pins))
    assert not unpinned, f"installed for hhlib[dev] but not pinned (run `make lock`): {unpinned}"
    differ = {n: (v, pins[n]) for n, v in installed.items() if v != pins[n]}
    assert not differ, f"installed != pinned (run `make` to reinstall): {differ}"


def test_makefile_installs_the_pins_and_rebuilds_when_they_change():
    text = (ROOT / "Makefile").read_text()
    assert re.search(r"^CONSTRAINTS \?= constraints\.txt$", text, re.M)
    rule = re.search(r"^\$\(VENV\)/\.installed\s*:(.*)$", text, re.M)
    assert rule and set(rule.group(1).split()) == {"pyproject.toml", "$(CONSTRAINTS)"}
    assert '$(VENV)/bin/pip install -c $(CONSTRAINTS) -e ".[dev]"' in _make_recipe("$(VENV)/.installed")


def test_make_lock_resolves_for_the_oldest_supported_python(pyproject):
    # pins that install on every Python pyproject.toml allows (e.g. Debian 12's 3.11.2), not only on the newest
    lowest = re.fullmatch(r">=\s*(\d+\.\d+)", pyproject["project"]["requires-python"]).group(1)
    assert re.search(rf"^LOCK_PYTHON \?= {re.escape(lowest)}$", (ROOT / "Makefile").read_text(), re.M)
    recipe = " ".join(_make_recipe("lock")).replace("\\", " ")
    for option in ("--dry-run", "--report", "--only-binary=:all:", "--python-version $(LOCK_PYTHON)", "tools/lock.py"):
        assert option in recipe, option
    # the new pins are tried (wheels only, dry run) on every Python of LOCK_CHECK before they replace the old ones
    check = re.search(r"^LOCK_CHECK \?= (.*)$", (ROOT / "Makefile").read_text(), re.M).group(1).split()
    assert {lowest, "3.12"} <= set(check)
    assert "--python-version $$v" in recipe and "mv $(LOCK_VENV)/constraints.txt $(CONSTRAINTS)" in recipe
    assert "# Python >= 3.11 " in (ROOT / "constraints.txt").read_text()


def test_lock_script_pins_every_resolved_distribution_but_hhlib():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import lock
    finally:
        sys.path.remove(str(ROOT / "tools"))
    report = {"install": [{"metadata": {"name": n, "version": v}} for n, v in
                          [("numpy", "2.4.6"), ("hhlib", "0.1.0"), ("Jinja2", "3.1.6"), ("jupyter_core", "5.9.1"),
                           ("jupyter-client", "8.10.0")]]}
    assert lock.pins(report) == ["Jinja2==3.1.6", "jupyter-client==8.10.0", "jupyter_core==5.9.1", "numpy==2.4.6"]


# ---------------------------------------------------------------------------
# ruff: configured in pyproject.toml; temporary per-file ignores only where still needed
# ---------------------------------------------------------------------------

def test_ruff_config(pyproject):
    ruff = pyproject["tool"]["ruff"]
    assert ruff["line-length"] == 120
    assert {"E", "W", "F", "I", "B", "UP", "NPY", "N"} <= set(ruff["lint"]["select"])
    names = ruff["lint"]["pep8-naming"]["extend-ignore-names"]
    assert {"*_mV", "*_uA"} <= set(names)


def test_ruff_per_file_ignores_are_still_needed(pyproject):
    # each temporary entry (a path or a glob) matches a file, and only rules its files still break
    ignores = pyproject["tool"]["ruff"]["lint"].get("per-file-ignores", {})
    matched = {pattern: sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob(pattern) if p.is_file())
               for pattern in ignores}
    assert all(matched.values()), f"no such file: {[p for p, files in matched.items() if not files]}"
    if not ignores:
        return
    files = sorted({f for fs in matched.values() for f in fs})
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "json", "--exit-zero",
                        "--config", "lint.per-file-ignores = {}", *files], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0 and "No module named ruff" in r.stderr:
        pytest.skip("ruff is not installed here (make installs it)")
    assert r.returncode == 0, r.stderr
    found = {(Path(d["filename"]).resolve().relative_to(ROOT).as_posix(), d["code"]) for d in json.loads(r.stdout)}
    unneeded = {pattern: sorted(set(rules) - {c for f, c in found if f in matched[pattern]})
                for pattern, rules in ignores.items()}
    unneeded = {pattern: rules for pattern, rules in unneeded.items() if rules}
    assert not unneeded, f"fixed: remove from [tool.ruff.lint.per-file-ignores] in pyproject.toml: {unneeded}"
