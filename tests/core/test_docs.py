"""Documentation stays true: units in docstrings, the predecessor-bug table points at real tests."""
import inspect
import re
from pathlib import Path

import pytest

import hhlib

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name,units", [
    ("simulate", ["µA", "ms", "cm²"]),
    ("firing_probability", ["µA", "ms", "cm²"]),
    ("threshold_current", ["µA", "ms", "cm²"]),
    ("Pulse", ["µA", "ms"]),
    ("BiphasicPulse", ["µA", "ms"]),
    ("HHParameters", []),
])
def test_public_docstrings_state_units(name, units):
    obj = getattr(hhlib, name)
    doc = inspect.getdoc(obj)
    assert doc and "Examples" in doc, f"{name} needs a docstring with an example"
    for u in units:
        assert u in doc, f"{name} docstring does not state the unit {u}"
    assert not re.search(r"\bvolts?\b", doc, re.I), f"{name}: the stimulus is a current (µA), not a voltage"


def test_parameter_fields_carry_units():
    src = inspect.getsource(hhlib.HHParameters)
    for field in ("g_na", "g_k", "g_l", "e_na", "c_m", "knoise", "noise_dt_ref_ms"):
        line = next(ln for ln in src.splitlines() if ln.strip().startswith(field + ":"))
        assert re.search(r"mS/cm²|mV|µF/cm²|µA/mS\^0.5|ms", line), line


def test_predecessor_bug_table_points_at_existing_tests():
    text = (ROOT / "docs" / "predecessor_bugs.md").read_text()
    refs = re.findall(r"`(tests/(?:\w+/)?test_\w+\.py)::(\w+)`", text)
    refs += [(f, t) for f, t in re.findall(r"`(tests/(?:\w+/)?test_\w+\.py)::\w+`, `::(\w+)`", text)]
    assert len(refs) >= 7
    for path, test in refs:
        source = (ROOT / path).read_text()
        assert f"def {test}(" in source, f"{path}::{test} named in docs/predecessor_bugs.md does not exist"
