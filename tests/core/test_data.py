"""Loading and validating firing data files."""
import numpy as np
import pytest

import hhlib
from hhlib.data import FiringData, load_data


def test_shipped_data_matches_the_measurements():
    d = load_data()
    np.testing.assert_allclose(d.x, [0.92, 0.925, 0.9535, 0.975, 0.9789, 1, 1.02, 1.043, 1.06, 1.078, 1.09])
    np.testing.assert_array_equal(d.n_fired, [150, 170, 269, 360, 377, 500, 583, 690, 761, 827, 840])
    assert np.all(d.n_trials == 1000) and len(d) == 11
    assert d.source.endswith("experimental.csv")
    assert hhlib.load_data is load_data


def write(tmp_path, text):
    p = tmp_path / "d.csv"
    p.write_text(text)
    return p


GOOD = "x,n_fired,n_trials\n0.9,10,100\n1.0,50,100\n1.1,90,100\n"


def test_column_order_and_blank_lines_are_fine(tmp_path):
    d = load_data(write(tmp_path, "n_trials,x,n_fired\n100,0.9,10\n\n100,1.0,50\n100,1.1,90\n"))
    np.testing.assert_array_equal(d.n_fired, [10, 50, 90])


@pytest.mark.parametrize("text,row,column,what", [
    ("x,n_fired\n0.9,1\n1,2\n1.1,3\n", 1, "n_trials", "missing column"),
    ("x,n_fired,n_trials\n0.9,10,100\nabc,50,100\n1.1,90,100\n", 3, "x", "not a number"),
    ("x,n_fired,n_trials\n0.9,10,100\n-1,50,100\n1.1,90,100\n", 3, "x", "> 0"),
    ("x,n_fired,n_trials\n0.9,10,100\nnan,50,100\n1.1,90,100\n", 3, "x", "finite"),
    ("x,n_fired,n_trials\n0.9,10,100\n1.0,150,100\n1.1,90,100\n", 3, "n_fired", "between 0 and n_trials"),
    ("x,n_fired,n_trials\n0.9,-1,100\n1.0,50,100\n1.1,90,100\n", 2, "n_fired", "between 0"),
    ("x,n_fired,n_trials\n0.9,10.5,100\n1.0,50,100\n1.1,90,100\n", 2, "n_fired", "integer"),
    ("x,n_fired,n_trials\n0.9,0,0\n1.0,50,100\n1.1,90,100\n", 2, "n_trials", ">= 1"),
    ("x,n_fired,n_trials\n0.9,10,100\n0.9,50,100\n1.1,90,100\n", 3, "x", "duplicate"),
    ("x,n_fired,n_trials\n0.9,10,100\n1.0,50\n1.1,90,100\n", 3, None, "expected 3 fields"),
    ("x,n_fired,n_trials\n0.9,10,100\n1.0,50,100\n", 3, None, "at least 3"),
])
def test_malformed_file_names_file_row_and_column(tmp_path, text, row, column, what):
    p = write(tmp_path, text)
    with pytest.raises(ValueError) as err:
        load_data(p)
    msg = str(err.value)
    assert str(p) in msg and f"row {row}" in msg and what in msg
    if column:
        assert f"column '{column}'" in msg


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        load_data(tmp_path / "nope.csv")


def test_firing_data_validates_arrays():
    with pytest.raises(ValueError, match="n_fired"):
        FiringData([1, 2, 3], [1, 5, 1], [2, 2, 2])
    with pytest.raises(ValueError, match="at least 3"):
        FiringData([1, 2], [1, 1], [2, 2])
    d = FiringData([1, 2, 3], [1, 1, 2], [2, 2, 2])
    np.testing.assert_allclose(d.firing_probability, [0.5, 0.5, 1.0])


def write_bytes(tmp_path, data: bytes):
    p = tmp_path / "d.csv"
    p.write_bytes(data)
    return p


GOOD_BYTES = GOOD.encode()


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbf" + GOOD_BYTES,                                   # UTF-8 byte-order mark (Excel)
    GOOD_BYTES.replace(b"\n", b"\r\n"),                             # Windows line ends
    GOOD_BYTES.replace(b"\n", b"\r"),                               # old Mac line ends
    b"\n\n" + GOOD_BYTES,                                           # blank lines before the header
    GOOD_BYTES.replace(b"\n", b",\n"),                              # trailing commas: an unnamed column
    GOOD_BYTES.replace(b"100\n", b"1e2\n"),                         # a whole number in exponent form
    b"x,n_fired,n_trials,note\n0.9,10,100,a\n1.0,50,100,b\n1.1,90,100,c\n",  # an extra column
])
def test_files_that_load(tmp_path, data):
    d = load_data(write_bytes(tmp_path, data))
    np.testing.assert_array_equal(d.x, [0.9, 1.0, 1.1])
    np.testing.assert_array_equal(d.n_fired, [10, 50, 90])
    np.testing.assert_array_equal(d.n_trials, [100, 100, 100])


@pytest.mark.parametrize("data,row,column,what", [
    (GOOD_BYTES.replace(b"1.0,50", b"1.0,5\xe90"), 3, "n_fired", "not UTF-8 text (byte 0xe9)"),   # latin-1
    (b"x\xe9,n_fired,n_trials\n", 1, None, "not UTF-8 text"),
    (bytes(range(256)) * 4, 1, None, "NUL byte"),                                                 # binary
    (GOOD_BYTES.replace(b"50", b"5\x000"), 3, "n_fired", "NUL byte"),
    (GOOD_BYTES + b"1.2," + b"9" * 200_000 + b",100\n", 5, None, "field larger than field limit"),
    (GOOD_BYTES + b"," * 2_000_000 + b"\n", 5, None, "line longer than"),
    (GOOD_BYTES.replace(b"50,100", b"50,1e300"), 3, "n_trials", "whole number below 2**53"),
    (GOOD_BYTES.replace(b"50,100", b"50,1e19"), 3, "n_trials", "whole number below 2**53"),
    (GOOD_BYTES.replace(b"50,100", b"50,9007199254740992"), 3, "n_trials", "below 2**53"),
    (GOOD_BYTES.replace(b"50,100", b"50,100.0000000000000001"), 3, "n_trials", "integer"),
    (GOOD_BYTES.replace(b"10,100", b"inf,100"), 2, "n_fired", "integer"),
    (GOOD_BYTES.replace(b"0.9,", b"1e400,"), 2, "x", "finite"),
    (b"x,n_fired,n_trials,x\n0.9,10,100,1\n1.0,50,100,2\n1.1,90,100,3\n", 1, "x", "duplicate column name"),
    (b"n_trials,x,n_fired,n_trials\n", 1, "n_trials", "duplicate column name (fields 1 and 4)"),
    (b"# pulse: 0.1 ms\n" + GOOD_BYTES, 1, None, "unknown protocol key 'pulse'; the keys are delay_ms"),
    (b"# stimulus: 0.1 ms\n" + GOOD_BYTES, 1, None, "protocol key 'stimulus': stimulus '0.1 ms' is not a stimulus"),
    (GOOD_BYTES + b"# a comment\n", 5, None, "lines starting with '#' are only allowed before the header"),
    (b"", 1, None, "empty file"),
    (b"\n\n", 1, None, "empty file"),
    (b"x,n_fired,n_trials\n", 1, None, "need at least 3 data rows, got 0"),
])
def test_bad_bytes_name_file_row_and_column(tmp_path, data, row, column, what):
    p = write_bytes(tmp_path, data)
    with pytest.raises(ValueError) as err:
        load_data(p)
    msg = str(err.value)
    assert msg.startswith(f"{p}, row {row}" + (f", column '{column}'" if column else "") + ": "), msg
    assert what in msg


def test_counts_are_exact_whole_numbers(tmp_path):
    d = load_data(write_bytes(tmp_path, GOOD_BYTES.replace(b"50,100", b"50,9007199254740991")))
    assert d.n_trials[1] == 2**53 - 1 and d.n_trials.dtype == np.int64


def test_the_first_problem_is_reported_without_reading_further(tmp_path):
    # row 5 would fail as CSV (a field over the csv module's limit): a loader that read the whole
    # file before validating would report that; a streaming one stops at row 3
    p = write_bytes(tmp_path, b"x,n_fired,n_trials\n0.9,1,10\n1.0,11,10\n1.1,1,10\n1.2," + b"9" * 200_000 + b",10\n")
    with pytest.raises(ValueError, match=r"row 3, column 'n_fired': must be between 0 and n_trials = 10, got 11"):
        load_data(p)


def test_paths_that_are_not_files(tmp_path):
    with pytest.raises(ValueError, match="path must name a data file, got an empty string"):
        load_data("")
    with pytest.raises(ValueError, match=f"{tmp_path}: not a regular file"):
        load_data(tmp_path)
    with pytest.raises(ValueError, match="cannot access the data file"):
        load_data(tmp_path / ("x" * 5000))
    with pytest.raises(TypeError, match="path must be a str or path-like, got int"):
        load_data(3)
    with pytest.raises(TypeError, match="path must be a str or path-like, got bytes"):
        load_data(b"data.csv")


@pytest.mark.parametrize("args,message", [
    (([1, 2, 3], [1, 2.5, 1], [3, 3, 3]), r"n_fired must be whole numbers below 2\*\*53, got \[2.5\]"),
    (([1, 2, 3], [1, 1, 1], [3, 3, 1e19]), r"n_trials must be whole numbers below 2\*\*53"),
    (([1, 2, 3], [1, -1, 1], [3, 3, 3]), "n_fired must be >= 0, got -1"),
    (([1, 2, 3], [1, 1, 1], [3, 0, 3]), "n_trials must be >= 1, got 0"),
    (([1, 2, 3], [1, 4, 1], [3, 3, 3]),
     r"n_fired must satisfy n_fired <= n_trials, got n_fired\[1\] = 4 > n_trials\[1\] = 3"),
    (([1, np.nan, 3], [1, 1, 1], [3, 3, 3]), "x must be finite"),
    (([1, 0, 3], [1, 1, 1], [3, 3, 3]), "x must be > 0"),
    (([1, 2, 2], [1, 1, 1], [3, 3, 3]), "x values must not repeat, got x = 2.0 2 times"),
    (([1, 2, 3], [1, 1, 1], [3, 3]), "equal length"),
    (([[1, 2, 3]], [[1, 1, 1]], [[3, 3, 3]]), r"x must be 1-D, got shape \(1, 3\)"),
    (([1, 2], [1, 1], [2, 2]), "at least 3 stimulus levels"),
])
def test_firing_data_names_the_argument(args, message):
    with pytest.raises(ValueError, match=message):
        FiringData(*args)


@pytest.mark.parametrize("args,name", [((["a", "b", "c"], [1, 1, 1], [2, 2, 2]), "x"),
                                       (([1, 2, 3], [1, 1, 1], [2, 2, 2], 5), "source")])
def test_firing_data_type_errors_name_the_argument(args, name):
    with pytest.raises(TypeError, match=name):
        FiringData(*args)


def test_firing_data_copies_its_arrays():
    x = np.array([1.0, 2.0, 3.0])
    d = FiringData(x, [1, 1, 1], [2, 2, 2])
    x[0] = -1.0
    assert d.x[0] == 1.0 and d.n_fired.dtype == np.int64
