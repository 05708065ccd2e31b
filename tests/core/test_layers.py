"""The layers: the core imports no drawing library and nothing of hhlib.viz / hhlib.studies; viz no studies.

docs/architecture.md describes them: ``hhlib`` (core: numpy, scipy, numba) <- ``hhlib.viz`` (matplotlib,
ipywidgets) <- ``hhlib.studies`` (the notebooks' computations and caches).
"""
import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "hhlib"
HEAVY = ("matplotlib", "ipywidgets", "IPython")
#: The only places where the core may import an upper layer or a drawing library, each lazily (inside a
#: function): ``hhlib.explore`` / ``hhlib.Explorer`` (the module __getattr__) and ``python -m hhlib predict
#: --plot`` (draws with hhlib.viz.plots on a matplotlib Figure).
ALLOWED = {"__init__.py": ("hhlib.viz",), "cli.py": ("hhlib.viz.plots", "matplotlib")}


def _under(name, prefixes):
    return next((p for p in prefixes if name == p or name.startswith(p + ".")), None)


def _imports(path: Path):
    """``(module name, lazy)`` of every import in ``path``, relative imports resolved; lazy: inside a function."""
    package = list(path.relative_to(PACKAGE.parent).parts[:-1])
    tree = ast.parse(path.read_text())
    lazy = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
            for n in ast.walk(f)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, id(node) in lazy) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            out += [(mod, id(node) in lazy)] + [(f"{mod}.{a.name}", id(node) in lazy) for a in node.names]
    return out


def _layer_files(layer):
    if layer == "core":
        return sorted(p for p in PACKAGE.rglob("*.py") if p.parent.name not in ("viz", "studies"))
    return sorted((PACKAGE / layer).glob("*.py"))


@pytest.mark.parametrize("layer,forbidden", [
    ("core", ("hhlib.viz", "hhlib.studies") + HEAVY),
    ("viz", ("hhlib.studies",)),
])
def test_imports_point_down_the_layers_only(layer, forbidden):
    bad = []
    for path in _layer_files(layer):
        exceptions = ALLOWED.get(path.name, ()) if layer == "core" and path.parent == PACKAGE else ()
        for name, lazy in _imports(path):
            if _under(name, forbidden) and not (lazy and _under(name, exceptions)):
                bad.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert not bad, bad


def test_every_module_is_in_a_layer():
    assert (PACKAGE / "viz" / "__init__.py").is_file() and (PACKAGE / "studies" / "__init__.py").is_file()
    assert not [p for p in PACKAGE.rglob("*.py") if len(p.relative_to(PACKAGE).parts) > 2]


def test_import_hhlib_loads_no_drawing_library_and_explore_still_works(tmp_path):
    script = (
        "import json, sys\n"
        "import hhlib\n"
        f"before = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m == 'hhlib.viz' "
        "or m.startswith(('hhlib.viz.', 'hhlib.studies')))\n"
        "ex = hhlib.explore(delta_v=0.0, delta_area=0.0, n_trials=10, n_curve=3)\n"
        "print(json.dumps(dict(before=before, explorer=type(ex).__name__, same=hhlib.Explorer is type(ex),"
        " backend=sys.modules['matplotlib'].get_backend(), text=ex.text())))\n")
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300,
                       cwd=PACKAGE.parent)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["before"] == [], f"import hhlib loaded {out['before']}"
    assert out["explorer"] == "Explorer" and out["same"] and out["backend"].lower() == "agg"
    assert "trials = 10, current noise: MSE = " in out["text"]
