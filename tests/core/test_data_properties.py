"""Property-based tests (Hypothesis) of the data loader: any file either loads as valid data or gives a
ValueError / FileNotFoundError naming the file, never another exception; valid files load exactly."""
import math
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from hhlib.data import FiringData, load_data

SETTINGS = settings(max_examples=150, deadline=None)


def _load_bytes(data: bytes):
    """load_data on a temporary file holding ``data``: (result or exception, the path)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        path.write_bytes(data)
        try:
            return load_data(path), path
        except Exception as exc:                    # noqa: BLE001 - the property is about the type
            return exc, path


def _assert_valid_or_named(result, path):
    # the outcome, for --hypothesis-show-statistics: how many examples loaded, which errors
    event("loaded" if isinstance(result, FiringData) else str(result).split(": ", 1)[-1][:24])
    if isinstance(result, FiringData):
        x, k, n = result.x, result.n_fired, result.n_trials
        assert x.ndim == 1 and len(result) >= 3 and k.shape == n.shape == x.shape
        assert np.all(np.isfinite(x)) and np.all(x > 0) and np.unique(x).size == x.size
        assert k.dtype == n.dtype == np.int64
        assert np.all(n >= 1) and np.all(k >= 0) and np.all(k <= n) and np.all(n < 2**53)
        assert result.source == str(path)
        return
    assert type(result) in (ValueError, FileNotFoundError), repr(result)
    assert str(result).startswith(f"{path}"), str(result)


names = st.sampled_from(["x", "n_fired", "n_trials", "X", "note", "", " x ", "#x", "\ufeffx", "n_fired "])
weird = st.one_of(
    st.integers(2**53 - 2, 2**64).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e300", "1e19", "1e-400", "1e3", "-0", "2.5", "1_0", "", " ",
                     "\"3\"", "0x10", "\"1,5\"", "\u0663", "#", "\x00", "\"", "a\"b"]),
    st.text(max_size=6))
plain = st.one_of(st.integers(0, 30).map(str), st.integers(1, 30).map(lambda v: f"{v / 10}"))
cells = st.one_of(plain, plain, plain, plain, plain, weird)        # mostly ordinary numbers


@st.composite
def csv_texts(draw):
    """CSV text: usually a correct header and rows of the right length with ordinary numbers, but
    any cell, name or row length may be odd."""
    header = draw(st.one_of(st.permutations(["x", "n_fired", "n_trials"]).map(list),
                            st.permutations(["x", "n_fired", "n_trials", "note"]).map(list),
                            st.lists(names, max_size=5)))
    rows = []
    for _ in range(draw(st.integers(0, 7))):
        size = draw(st.one_of(st.just(len(header)), st.just(len(header)), st.integers(0, 5)))
        rows.append(draw(st.lists(cells, min_size=size, max_size=size)))
    sep = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [",".join(header)] + [",".join(r) for r in rows]
    text = sep.join(lines) + draw(st.sampled_from(["", sep]))
    return draw(st.sampled_from(["", "\ufeff"])) + text


@SETTINGS
@given(text=csv_texts(), encoding=st.sampled_from(["utf-8", "utf-8", "latin-1", "utf-16"]))
def test_any_csv_text_loads_validly_or_names_the_file(text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    _assert_valid_or_named(*_load_bytes(data))


@st.composite
def nearly_valid_texts(draw):
    """A valid file with one cell replaced, a field added or removed, or a line inserted: the
    loader must spot exactly the damage that matters. Returns (text, row of the damage or None)."""
    m = draw(st.integers(3, 6))
    n = draw(st.lists(st.integers(1, 100), min_size=m, max_size=m))
    rows = [[f"{0.5 + i / 10}", str(draw(st.integers(0, ni))), str(ni)] for i, ni in enumerate(n)]
    lines = ["x,n_fired,n_trials"] + [",".join(r) for r in rows]
    damage = draw(st.sampled_from(["none", "cell", "cell", "add", "drop", "line"]))
    row = draw(st.integers(2, m + 1))
    if damage == "cell":
        cells = lines[row - 1].split(",")
        cells[draw(st.integers(0, 2))] = draw(weird)
        lines[row - 1] = ",".join(cells)
    elif damage in ("add", "drop"):
        lines[row - 1] = lines[row - 1] + ",1" if damage == "add" else lines[row - 1].rsplit(",", 1)[0]
    elif damage == "line":
        lines.insert(row - 1, draw(st.text(st.characters(blacklist_characters="\r\n"), max_size=8)))
    return "\n".join(lines) + "\n", (None if damage == "none" else row)


@SETTINGS
@given(case=nearly_valid_texts())
def test_nearly_valid_files_fail_at_the_damage_or_load(case):
    text, row = case
    result, path = _load_bytes(text.encode("utf-8", "surrogatepass"))
    _assert_valid_or_named(result, path)
    if row is None:
        assert isinstance(result, FiringData)
    elif not isinstance(result, FiringData):
        # the first problem is at the damaged row, or the damage made the file too short
        # (a blank line) or unbalanced a quote that runs on to a later row
        msg = str(result)
        assert f"row {row}" in msg or "need at least 3 data rows" in msg or '"' in text or "\r" in text, msg


@SETTINGS
@given(data=st.one_of(st.binary(max_size=300),
                      st.binary(max_size=60).map(lambda b: b"x,n_fired,n_trials\n0.9,1,10\n" + b)))
def test_any_bytes_load_validly_or_name_the_file(data):
    _assert_valid_or_named(*_load_bytes(data))


@st.composite
def valid_tables(draw):
    m = draw(st.integers(3, 12))
    x = draw(st.lists(st.floats(1e-6, 1e6), min_size=m, max_size=m, unique=True))
    n = draw(st.lists(st.integers(1, 2**53 - 1), min_size=m, max_size=m))
    k = [draw(st.integers(0, ni)) for ni in n]
    return x, k, n


@SETTINGS
@given(table=valid_tables(), order=st.permutations(["x", "n_fired", "n_trials"]),
       sep=st.sampled_from(["\n", "\r\n", "\r"]), bom=st.booleans(), blank=st.booleans(),
       pad=st.sampled_from(["", " ", "  "]), count_form=st.sampled_from(["{}", "{}.0", "{}e0"]),
       extra=st.booleans())
def test_valid_tables_round_trip_exactly(table, order, sep, bom, blank, pad, count_form, extra):
    x, k, n = table
    cols = {"x": [repr(v) for v in x], "n_fired": [count_form.format(v) for v in k],
            "n_trials": [count_form.format(v) for v in n]}
    header = list(order) + (["comment"] if extra else [])
    lines = [",".join(header)]
    for i in range(len(x)):
        cells = [pad + cols[c][i] + pad for c in order] + (["some text"] if extra else [])
        lines.append(",".join(cells))
        if blank and i == 0:
            lines.append("")
    text = ("\ufeff" if bom else "") + sep.join(lines) + sep
    result, path = _load_bytes(text.encode("utf-8"))
    assert isinstance(result, FiringData), result
    assert result.x.tolist() == x and result.n_fired.tolist() == k and result.n_trials.tolist() == n


@SETTINGS
@given(x=st.one_of(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=5),
                   st.lists(st.integers(-3, 5), max_size=5), st.text(max_size=3), st.none()),
       k=st.one_of(st.lists(st.floats(-2, 2**54), max_size=5), st.lists(st.integers(-2, 10), max_size=5),
                   st.just([1.5, 2, 3])),
       n=st.one_of(st.lists(st.integers(-1, 10), max_size=5), st.integers(0, 10)))
def test_firing_data_is_valid_or_names_the_argument(x, k, n):
    try:
        d = FiringData(x, k, n)
    except (ValueError, TypeError) as err:
        assert re.match(r"(x|n_fired|n_trials)\b", str(err)) or "(x)" in str(err), str(err)
        return
    assert np.all(np.isfinite(d.x)) and np.all(d.x > 0) and len(d) >= 3
    assert np.all((d.n_fired >= 0) & (d.n_fired <= d.n_trials)) and np.all(d.n_trials >= 1)
    assert np.unique(d.x).size == d.x.size


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, 0.0])
def test_a_single_bad_x_is_found_whatever_its_row(value):
    # the deterministic companion of the properties above: every row position is checked
    for row in range(3):
        x = [0.9, 1.0, 1.1]
        x[row] = value
        text = "x,n_fired,n_trials\n" + "".join(f"{v!r},1,10\n" for v in x)
        result, path = _load_bytes(text.encode())
        assert isinstance(result, ValueError)
        assert str(result).startswith(f"{path}, row {row + 2}, column 'x': ")
