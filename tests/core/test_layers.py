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


def _module_graph():
    """``{module: modules of hhlib it imports}`` (every import statement, lazy ones included; ``from X import a``
    counts as importing ``X.a`` where that is a module, else ``X``)."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in modules.items():
        targets = set()
        for mod, _ in _imports(path):
            if mod in modules and mod != name:
                targets.add(mod)
        # `from X import a` lists both X and X.a: where a is a module of its own, the import is of X.a (its
        # package X is imported on the way, as by every module of X: not an edge of the graph)
        graph[name] = {t for t in targets if not any(u.startswith(t + ".") for u in targets)}
    return graph


def _cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_circles_in_the_package():
    # one-way imports inside the core too (issue 17: channels <-> noise, runspec <-> engines, the kernel
    # generator <-> the numba engine, the CUDA modules, were circles): lazy imports count
    graph = _module_graph()
    assert len(graph) > 40 and "hhlib.engines.step" in graph
    assert _cycles(graph) == []
    assert _cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b"]]          # the check itself finds a circle
