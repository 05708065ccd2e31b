"""hhlib as a user gets it: a wheel built from this checkout, installed into a fresh venv outside it.

The wheel is built from a copy of the checkout's files (``git ls-files``: tracked and new, not ignored;
no stale ``build/`` folder can slip in), installed with exactly the extras it needs into a venv made
without pip and without system site-packages (so nothing of the development environment, where hhlib
is an editable install, is visible), and run with ``python -I`` from a folder outside the checkout:
no PYTHONPATH, no current-folder imports, no user site-packages.

First the wheel alone (the core: numpy, scipy, numba, platformdirs): data, prediction, caches and the
fit from the command line must work with nothing else, and so must the README's command lines as they read
(:data:`README_COMMANDS`: the version, a prediction, the joint fit of the shipped synthetic dataset by name);
then the ``viz`` extra is added to the same venv and ``python -m hhlib predict --plot`` must draw.
Versions: constraints.txt, the ones ``make`` installs.

About 35 s on the 2-core machine, plus about 40 s for the README's joint fit; the folder is removed
afterwards (the venv holds a few hundred MB).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

# Variables that could make the installed hhlib see the checkout or this session's settings.
_DROP = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "PYTHONSAFEPATH", "VIRTUAL_ENV",
         "CONDA_PREFIX", "HHLIB_CACHE_DIR", "XDG_CACHE_HOME", "NUMBA_CACHE_DIR", "MPLCONFIGDIR")


def _run(argv, *, cwd, env, timeout=600):
    r = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    shown = " ".join(str(a) if len(str(a)) < 200 else str(a)[:60] + "..." for a in argv)
    assert r.returncode == 0, f"{shown} exited {r.returncode}\nstdout:\n{r.stdout[-3000:]}\nstderr:\n{r.stderr[-3000:]}"
    return r


def _source_files() -> list[str]:
    """The checkout's files as a clone would have them: tracked and untracked-but-not-ignored."""
    if shutil.which("git") and (ROOT / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, check=True).stdout.decode()
        return [f for f in out.split("\0") if f and (ROOT / f).is_file()]
    # not a git checkout (e.g. an unpacked archive): the package and its build configuration
    return ["pyproject.toml"] + [str(p.relative_to(ROOT)) for p in (ROOT / "hhlib").rglob("*")
                                 if p.is_file() and "__pycache__" not in p.parts]


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """A work folder outside the checkout, and the environment every command there runs with."""
    base = tmp_path_factory.mktemp("wheel")
    assert ROOT not in base.parents
    for sub in ("home", "run"):
        (base / sub).mkdir()
    env = {k: v for k, v in os.environ.items() if k not in _DROP}
    env["HOME"] = str(base / "home")         # the per-user cache folder lies under it
    yield base, env
    shutil.rmtree(base, ignore_errors=True)  # the venv is about 500 MB


@pytest.fixture(scope="module")
def wheel(outside) -> Path:
    base, env = outside
    src = base / "src"
    for f in _source_files():
        (src / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, src / f)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(base / "dist"), str(src)],
         cwd=base, env=env)
    (whl,) = (base / "dist").glob("hhlib-*.whl")
    return whl


def _install(python: Path, requirement: str, base: Path, env: dict):
    # this environment's pip installs into the new venv; --no-compile: no .pyc for all of scipy (halves the time)
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-compile",
          "-c", str(ROOT / "constraints.txt"), requirement], cwd=base, env=env)


@pytest.fixture(scope="module")
def venv_python(outside, wheel) -> Path:
    """A fresh venv (its own interpreter's stdlib only) with the wheel installed, no extra."""
    base, env = outside
    venv = base / "venv"
    # run from this venv, `-m venv` makes a venv of the base interpreter: this venv's packages stay out
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base, env=env)
    python = venv / "bin" / "python"
    r = subprocess.run([str(python), "-I", "-c", "import hhlib"], cwd=base, env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "No module named 'hhlib'" in r.stderr, "the fresh venv already sees an hhlib"
    _install(python, str(wheel), base, env)
    return python


def test_wheel_ships_the_package_and_its_data_only(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert {"hhlib/datasets/experimental.csv", "hhlib/datasets/synthetic_latency_uA.csv"} <= names
    assert "hhlib/__init__.py" in names and "hhlib/__main__.py" in names
    top = {n.split("/")[0] for n in names}
    assert top == {"hhlib", wheel.name.split("-py3")[0] + ".dist-info"}, top     # no data/, tests/, notebooks/
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".nbi", ".nbc"))]
    core = sorted(line.split(":", 1)[1].strip() for line in meta.splitlines()
                  if line.startswith("Requires-Dist:") and "extra ==" not in line)
    assert core == ["numba>=0.60", "numpy>=1.26", "platformdirs>=3", "scipy>=1.11"]


def test_installed_hhlib_loads_its_data_predicts_and_caches(outside, venv_python):
    base, env = outside
    work = base / "run"
    script = r"""
import importlib.util, json, os, sys
from pathlib import Path
import numpy as np
import platformdirs
import hhlib, hhlib.studies.cache as cache

d = hhlib.load_data()
p = hhlib.predict(1.96, 3.25, n_trials=200, seed=0)

# caches: the per-user folder outside a checkout, HHLIB_CACHE_DIR when set
@cache.register("wheel_test", n=3)
def build(progress=None, n=3):
    return {"a": np.arange(n)}
user = cache.cache_dir()
first = cache.cached(build, progress=False)["a"].tolist()
stored = sorted(f.name for f in user.glob("wheel_test-*.npz"))
os.environ["HHLIB_CACHE_DIR"] = str(Path("env-cache").resolve())
print(json.dumps({"file": hhlib.__file__, "source": d.source, "n": len(d), "shape": list(p.shape),
                  "p": p.tolist(), "user_cache": str(user), "expected_user": platformdirs.user_cache_dir("hhlib"),
                  "first": first, "stored": stored, "env_cache": str(cache.cache_dir()),
                  "again": cache.cached(build, progress=False)["a"].tolist(),
                  "in_env": sorted(f.name for f in Path("env-cache").glob("*.npz")), "prefix": sys.prefix,
                  "viz": sorted(m for m in ("matplotlib", "ipywidgets", "IPython") if m in sys.modules),
                  "installed": sorted(m for m in ("matplotlib", "ipywidgets", "IPython")
                                      if importlib.util.find_spec(m) is not None)}))
"""
    out = json.loads(_run([str(venv_python), "-I", "-c", script], cwd=work, env=env).stdout.splitlines()[-1])
    venv = Path(out["prefix"])
    assert venv == venv_python.parent.parent
    assert venv in Path(out["file"]).parents, out["file"]                 # the installed copy, not the checkout
    assert venv in Path(out["source"]).parents and out["source"].endswith("hhlib/datasets/experimental.csv")
    assert out["n"] == 11
    assert out["shape"] == [11] and all(0 <= v <= 1 for v in out["p"]) and out["p"][0] < out["p"][-1]
    home = Path(env["HOME"])
    assert out["user_cache"] == out["expected_user"] and home in Path(out["user_cache"]).parents
    assert out["first"] == [0, 1, 2] and len(out["stored"]) == 1
    assert out["env_cache"] == str(work / "env-cache") and out["again"] == [0, 1, 2] and len(out["in_env"]) == 1
    assert not list((ROOT / "data" / "cache").glob("wheel_test-*")), "the installed hhlib wrote into the checkout"
    assert out["installed"] == [] and out["viz"] == [], "the core wheel alone brought or needed a drawing library"


def test_installed_command_line_fits_the_shipped_data(outside, venv_python):
    base, env = outside
    r = _run([str(venv_python), "-I", "-m", "hhlib", "optimise", "--json", "--runs", "1000"], cwd=base / "run",
             env=env)
    out = json.loads(r.stdout)
    assert {"delta_v", "delta_area", "delta_v_ci", "delta_area_ci", "deviance", "p_value", "converged",
            "n_trials"} <= set(out)
    assert out["converged"] is True and out["n_trials"] == 1000
    assert 1 < out["delta_v"] < 3.5 and 2 < out["delta_area"] < 5, out


def _check_version(out: str):
    assert out.strip() == "hhlib 0.1.0", out


def _check_predict(out: str):
    assert "measured" in out and "MSE" in out, out


def _check_synthetic_fit(out: str):
    # the truth written in the dataset's notes: delta_v = -0.5, area 3e-9 cm²; physical-unit data are reported as
    # the stimulus scale 1 + delta_v and the area, each with its 95 % interval (which must hold the truth)
    found = {m.group(1): [float(v) for v in m.group(2, 3, 4)] for m in re.finditer(
        r"^\s*(stimulus scale|area)\s*=\s*([-\d.e+]+).*?\[([-\d.e+]+),\s*([-\d.e+]+)\]", out, re.M)}
    assert set(found) == {"stimulus scale", "area"}, out
    assert found["stimulus scale"][1] < 0.5 < found["stimulus scale"][2], out
    assert found["area"][1] < 3e-9 < found["area"][2], out
    assert "converged" in out and "physical units" in out, out


#: The README's command lines as they read there (with ``python`` for the interpreter `make` or pip installed
#: hhlib into), run from the wheel in a folder outside the checkout, and what each must print. The data are
#: named, not a path: a shipped dataset works from any folder. ``--version`` prints the package's version.
README_COMMANDS = {
    "python -m hhlib --version": _check_version,
    "python -m hhlib predict --delta-v 0 --delta-area 0 --runs 10": _check_predict,
    "python -m hhlib optimise --data synthetic_latency_uA": _check_synthetic_fit,
}


@pytest.mark.parametrize("command", list(README_COMMANDS))
def test_readme_commands_run_verbatim_from_the_wheel(outside, venv_python, command):
    base, env = outside
    argv = command.split()
    assert argv[0] == "python"
    r = _run([str(venv_python)] + argv[1:], cwd=base / "run", env=env)
    README_COMMANDS[command](r.stdout)
    assert not [f for f in (base / "run").iterdir() if f.suffix in (".png", ".csv")], "a README command wrote a file"


def test_viz_extra_adds_what_plotting_needs(outside, venv_python, wheel):
    # after the core checks (test order): add the extra to the same venv and draw through the command line
    base, env = outside
    _install(venv_python, f"{wheel}[viz]", base, env)
    png = base / "run" / "prediction.png"
    r = _run([str(venv_python), "-I", "-m", "hhlib", "predict", "--delta-v", "1.96", "--delta-area", "3.25",
              "--runs", "200", "--seed", "0", "--json", "--plot", str(png)], cwd=base / "run", env=env)
    out = json.loads(r.stdout)
    assert out["plot"] == str(png) and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code = "import hhlib; e = hhlib.explore(delta_v=0.0, delta_area=0.0, runs=10, n_curve=3); print(type(e).__name__)"
    r = _run([str(venv_python), "-I", "-c", code], cwd=base / "run", env=dict(env, MPLBACKEND="Agg"))
    assert r.stdout.split()[-1] == "Explorer"
