"""The package's code-shape rules: no function over 60 lines, docstring excluded (docs/architecture.md)."""
import ast
from pathlib import Path

import hhlib

PACKAGE = Path(hhlib.__file__).parent
LIMIT = 60


def _body_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = fn.body
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        if len(body) == 1:
            return 0
        first = body[1]
    start = min([first.lineno] + [d.lineno for d in getattr(first, "decorator_list", [])])
    return fn.end_lineno - start + 1


def long_functions(source: str) -> list[tuple[str, int]]:
    tree = ast.parse(source)
    return [(n.name, _body_lines(n)) for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and _body_lines(n) > LIMIT]


def test_the_counter_counts_code_not_the_docstring():
    code = "def f():\n    '''doc\n\n    more doc\n    '''\n" + "    x = 1\n" * 61
    assert long_functions(code) == [("f", 61)]
    assert long_functions(code.replace("    x = 1\n", "", 1)) == []


def test_no_function_in_the_package_is_over_60_lines():
    found = {f"{p.relative_to(PACKAGE)}:{name}": n for p in sorted(PACKAGE.rglob("*.py"))
             for name, n in long_functions(p.read_text(encoding="utf-8"))}
    assert not found, found


def test_test_files_have_unique_names():
    """The test folders have no __init__.py: pytest imports each file by its base name, so two files of one name
    (tests/core/test_x.py and tests/studies/test_x.py) stop collection with "import file mismatch"."""
    names = [p.name for p in (PACKAGE.parent / "tests").rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []
