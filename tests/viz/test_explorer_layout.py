"""The explorer's readout and controls keep their shape in a notebook (issue 16, seen in the browser).

JupyterLab breaks an output line wider than the output anywhere (``word-break: break-all``), also inside a
number, so the printed readout comes in short lines broken only between clauses; the mode buttons are as wide
as their labels and never shrink (else they wrap onto two lines), and the row of controls wraps instead.
"""
import re

import pytest

import hhlib
from hhlib.viz.explorer import READOUT_WIDTH

#: "name = value" pairs of the readout (a value: a number, possibly with thousands commas).
_PAIR = re.compile(r"[\w-]+ = -?[\d.,]*\d")


@pytest.fixture(scope="module")
def ex():
    return hhlib.explore(delta_v=0.0, delta_area=0.0, n_trials=10, n_curve=3)


def _check_readout(ex, r):
    text, lines = ex.text(r), ex.readout(r).split("\n")
    assert " ".join(lines) == text                                   # the same words, only broken into lines
    assert len(lines) >= 2 and all(len(line) <= READOUT_WIDTH for line in lines), lines
    assert all(re.search(r"[,:]$", line) for line in lines[:-1]), lines  # broken after a clause only
    pairs = _PAIR.findall(text)
    assert len(pairs) >= 7
    for pair in pairs:                                               # no number or "name = value" is split
        assert any(pair in line for line in lines), (pair, lines)
    return lines


def test_the_readout_is_the_text_in_short_lines_broken_between_clauses(ex):
    lines = _check_readout(ex, ex.last)
    assert lines[0] == "delta_v = 0.000, delta_area = 0.000, trials = 10, current noise:"
    assert lines[1].startswith("MSE = ")
    assert len(ex.text()) > READOUT_WIDTH                            # one line would wrap


def test_the_readout_with_channel_noise_and_the_valley_note(ex):
    ex.noise.value = "diffusion"
    try:
        lines = _check_readout(ex, ex.last)
        assert "area 100 µm² = 60,000 Na channels:" in lines[1]
        ex.note = (" [1 + delta-v would have to be 36.2, beyond the slider's 0.1-10: the valley is not followed "
                   "here]")
        lines = _check_readout(ex, ex.last)
        assert lines[-3:] == [f"x50 = {ex.last['x50']:.3f} (left of the plotted 0.88-1.13),",
                              f"RS = {ex.last['rs']:.3f} [1 + delta-v would have to be 36.2,",
                              "beyond the slider's 0.1-10: the valley is not followed here]"]
    finally:
        ex.note = ""
        ex.noise.value = "current"


def test_update_prints_the_readout(ex, capsys):
    capsys.readouterr()
    ex.update()
    out = capsys.readouterr().out
    assert out.endswith(ex.readout() + "\n") and "\n" in ex.readout()


def test_the_mode_buttons_fit_their_labels_and_the_controls_wrap_as_whole_widgets(ex):
    assert ex.mode.style.button_width == "auto"                     # default: a fixed width that cuts the labels
    assert ex.mode.layout.flex == "0 0 auto" and ex.mode.layout.width == "auto"    # never shrunk into two rows
    rows = ex.widget.children
    controls = rows[1]
    assert list(controls.children) == [ex.mode, ex.n_trials, ex.noise]
    assert controls.layout.flex_flow == "row wrap"
    assert ex.n_trials.layout.width == "200px" and ex.noise.layout.width == "360px"
    assert rows[0].children == (ex.scale, ex.area) and rows[-1] is ex.output
