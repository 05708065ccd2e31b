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
    np.testing.assert_allclose(d.fraction, [0.5, 0.5, 1.0])
