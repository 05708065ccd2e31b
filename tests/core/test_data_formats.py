"""Data files in physical units, with latency and jitter columns and '# key: value' protocol lines:
round trips through save_data, and an error naming file, row and column for every new rule."""
import math

import numpy as np
import pytest

from hhlib import BiphasicPulse, Pulse
from hhlib.data import FiringData, Protocol, load_data, save_data

PHYS = ("# note: synthetic\n# delay_ms: 0.1\n# duration_ms: 0.05\n# waveform: monophasic\n# polarity: cathodic\n"
        "amplitude_nA,n_fired,n_trials,latency_ms,jitter_ms\n"
        "0.06,0,100,,\n0.07,1,100,0.52,\n0.08,60,100,0.41,0.07\n0.1,100,100,0.3,0.02\n")


def write(tmp_path, text, name="d.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_physical_units_latency_and_protocol_load(tmp_path):
    d = load_data(write(tmp_path, PHYS))
    assert d.stimulus_unit == "uA"
    np.testing.assert_allclose(d.x, [6e-5, 7e-5, 8e-5, 1e-4], rtol=1e-15)         # nA -> µA
    np.testing.assert_array_equal(d.latency_ms, [np.nan, 0.52, 0.41, 0.3])
    np.testing.assert_array_equal(d.jitter_ms, [np.nan, np.nan, 0.07, 0.02])
    assert d.protocol == Protocol(Pulse(1.0, 0.1, 0.05), notes=("synthetic",))    # the old keys, one stimulus
    assert d.has_latency


@pytest.mark.parametrize("column,factor", [("amplitude_uA", 1.0), ("amplitude_nA", 1e-3), ("amplitude_mA", 1e3)])
def test_every_amplitude_unit_is_converted_to_microampere(tmp_path, column, factor):
    d = load_data(write(tmp_path, f"{column},n_fired,n_trials\n2.5,1,10\n3,5,10\n4,9,10\n"))
    np.testing.assert_allclose(d.x, np.array([2.5, 3.0, 4.0]) * factor, rtol=1e-15)
    assert d.stimulus_unit == "uA" and d.latency_ms is None and d.jitter_ms is None


def test_the_shipped_format_loads_as_before(tmp_path):
    d = load_data()
    assert d.stimulus_unit == "normalised" and d.latency_ms is None and d.jitter_ms is None
    assert d.protocol == Protocol() and not d.has_latency
    # the values are the exact floats of the file's text
    from pathlib import Path
    text = Path(d.source).read_text(encoding="utf-8-sig").split()
    assert d.x.tolist() == [float(line.split(",")[0]) for line in text[1:]]


def test_round_trip_through_save_data_is_exact(tmp_path):
    rng = np.random.default_rng(4)
    x = np.sort(rng.uniform(1e-5, 1e-3, 6))
    k = np.array([0, 1, 2, 30, 99, 100])
    lat = np.where(k >= 1, rng.uniform(0.2, 0.6, 6), np.nan)
    jit = np.where(k >= 2, rng.uniform(0.0, 0.1, 6), np.nan)
    prot = Protocol(BiphasicPulse(1.0, 0.025, gap_ms=0.01, delay_ms=0.2, cathodic_first=False) + Pulse(0.5, 1.0),
                    vary=0, area_cm2=3e-9, notes=("synthetic: seed 1", "second line, with a comma"))
    d = FiringData(x, k, np.full(6, 100), latency_ms=lat, jitter_ms=jit, stimulus_unit="uA", protocol=prot)
    back = load_data(save_data(d, tmp_path / "out.csv"))
    for name in ("x", "n_fired", "n_trials", "latency_ms", "jitter_ms"):
        np.testing.assert_array_equal(getattr(back, name), getattr(d, name))
    assert back.protocol == prot and back.stimulus_unit == "uA"
    norm = load_data(save_data(load_data(), tmp_path / "shipped.csv"))
    np.testing.assert_array_equal(norm.x, load_data().x)
    assert norm.stimulus_unit == "normalised" and norm.protocol == Protocol()
    assert not list(tmp_path.glob(".*.tmp"))


def test_protocol_arguments_fill_in_and_must_agree_with_the_file(tmp_path):
    p = write(tmp_path, PHYS)
    d = load_data(p, stimulus="Pulse(1.0, 0.1, 0.05)", area_cm2=2e-9)     # agrees on the stimulus, adds the area
    assert repr(d.protocol.stimulus) == repr(Pulse(1.0, 0.1, 0.05)) and d.protocol.area_cm2 == 2e-9
    with pytest.raises(ValueError, match=r"'stimulus' is Pulse\(1.0, delay_ms=0.1, duration_ms=0.05\) in the file "
                                         r"but Pulse\(1.0, delay_ms=0.2, duration_ms=0.05\) was passed to load_data"):
        load_data(p, stimulus=Pulse(1.0, 0.2, 0.05))
    assert load_data(stimulus=BiphasicPulse(1.0)).protocol.stimulus.parts[0].gap_ms == 0.0   # also the shipped data
    with pytest.raises(ValueError, match="stimulus 'Pulse\\(-1' is not a stimulus description"):
        load_data(p, stimulus="Pulse(-1")
    with pytest.raises(TypeError, match="area_cm2 must be a real number"):
        load_data(p, area_cm2="1e-9")
    with pytest.raises(ValueError, match="protocol: vary must be an integer >= -1 and <= 0, got 1"):
        load_data(p, vary=1)
    with pytest.raises(ValueError, match="vary must be an integer >= 0, got -1"):
        load_data(p, vary=-1)
    bi = write(tmp_path, "# waveform: biphasic\n# gap_ms: 0.01\n" + PHYS.split("\n", 5)[5], "bi.csv")
    assert load_data(bi).protocol.stimulus.parts[0].gap_ms == 0.01       # the gap fits the file's waveform


def test_the_stimulus_line_and_vary_describe_pairs_trains_and_biphasic_pulses(tmp_path):
    body = PHYS.split("\n", 5)[5]
    pair = load_data(write(tmp_path, "# stimulus: Pulse(1.5e-07) + Pulse(1.0, 1.1)\n# vary: 1\n" + body))
    assert pair.protocol.vary == 1 and [p.onset_ms for p in pair.protocol.stimulus.parts] == [0.1, 1.1]
    assert [float(a) for a in pair.protocol.stimulus.amplitudes_uA] == [1.5e-07, 1.0]
    train = load_data(write(tmp_path, "# stimulus: PulseTrain(Pulse(1.0, 0.1, 0.05), rate_pps=1000, n_pulses=4)\n"
                                      + body, "train.csv"))
    assert train.protocol.stimulus.pulse_onsets_ms().round(9).tolist() == [0.1, 1.1, 2.1, 3.1]
    anodic = load_data(write(tmp_path, "# polarity: anodic\n" + body, "anodic.csv")).protocol.stimulus
    assert float(anodic.amplitudes_uA[0]) == -1.0                       # anodic: negative unit amplitude
    again = load_data(save_data(pair, tmp_path / "again.csv"))
    assert again.protocol == pair.protocol
    text = (tmp_path / "again.csv").read_text()
    assert "# stimulus: Pulse(1.5e-07, delay_ms=0.1, duration_ms=0.1) + Pulse(1.0, delay_ms=1.1, duration_ms=0.1)\n" \
           "# vary: 1\n" in text
    old = load_data(save_data(load_data(write(tmp_path, PHYS, "old.csv")), tmp_path / "new.csv"))
    assert "# stimulus: Pulse(1.0, delay_ms=0.1, duration_ms=0.05)\n" in (tmp_path / "new.csv").read_text()
    assert old.protocol == load_data(tmp_path / "old.csv").protocol


HEAD = "amplitude_uA,n_fired,n_trials,latency_ms,jitter_ms\n"
ROWS = "1,0,10,,\n2,1,10,0.5,\n3,9,10,0.3,0.05\n"


@pytest.mark.parametrize("text,row,column,what", [
    # stimulus columns
    ("amplitude_nA,n_fired,n_trials\n-1,0,10\n2,1,10\n3,9,10\n", 2, "amplitude_nA", "must be finite and > 0"),
    ("amplitude_uA,n_fired,n_trials\n1,0,10\nnan,1,10\n3,9,10\n", 3, "amplitude_uA", "must be finite and > 0"),
    ("x,amplitude_uA,n_fired,n_trials\n", 1, "amplitude_uA", "more than one stimulus column (x, amplitude_uA)"),
    ("amplitude_pA,n_fired,n_trials\n1,0,10\n", 1, "x", "missing column; the header must name x, n_fired, n_trials "
                                                        "(or, instead of x, one of amplitude_uA"),
    ("amplitude_mA,n_fired,n_trials\n1,0,10\n2,1,10\n1.0,9,10\n", 4, "amplitude_mA", "duplicate amplitude_mA = 1.0"),
    # latency_ms
    (HEAD + ROWS.replace("0.5,", "abc,"), 3, "latency_ms", "not a number: 'abc'"),
    (HEAD + ROWS.replace("0.5,", "-0.5,"), 3, "latency_ms", "must be a finite number of ms >= 0"),
    (HEAD + ROWS.replace("0.5,", "inf,"), 3, "latency_ms", "must be a finite number of ms >= 0"),
    (HEAD + ROWS.replace("0.5,", ","), 3, "latency_ms", "must be finite and >= 0 ms where n_fired >= 1 (n_fired = 1)"),
    (HEAD + ROWS.replace("1,0,10,,", "1,0,10,0.6,"), 2, "latency_ms", "must be empty (NaN) where n_fired < 1: no "
                                                                       "trial fired"),
    # jitter_ms
    (HEAD + ROWS.replace("0.3,0.05", "0.3,"), 4, "jitter_ms", "must be finite and > 0 ms where n_fired >= 2"),
    (HEAD + ROWS.replace("0.5,", "0.5,0.01"), 3, "jitter_ms", "1 trial(s) fired (a standard deviation needs 2)"),
    (HEAD + ROWS.replace("0.3,0.05", "0.3,-0.05"), 4, "jitter_ms", "must be a finite number of ms >= 0"),
    ("amplitude_uA,n_fired,n_trials,jitter_ms\n", 1, "jitter_ms", "jitter_ms needs a latency_ms column"),
    # protocol lines
    ("# delay: 0.1\n" + HEAD + ROWS, 1, None, "unknown protocol key 'delay'; the keys are delay_ms, duration_ms"),
    ("# delay_ms: 0.1\n\n# delay_ms: 0.1\n" + HEAD + ROWS, 3, None, "key 'delay_ms' given twice (rows 1 and 3)"),
    ("# delay_ms: -0.1\n" + HEAD + ROWS, 1, None, "protocol key 'delay_ms': must be a finite number >= 0 ms"),
    ("# duration_ms: 0\n" + HEAD + ROWS, 1, None, "protocol key 'duration_ms': must be a finite number > 0 ms"),
    ("# area_cm2: nan\n" + HEAD + ROWS, 1, None, "protocol key 'area_cm2': must be a finite number > 0 cm²"),
    ("# gap_ms: x\n" + HEAD + ROWS, 1, None, "protocol key 'gap_ms': not a number: 'x'"),
    ("# waveform: triphasic\n" + HEAD + ROWS, 1, None, "protocol key 'waveform': must be one of monophasic, biphasic"),
    ("# polarity: up\n" + HEAD + ROWS, 1, None, "protocol key 'polarity': must be one of cathodic, anodic"),
    ("# delay_ms:\n" + HEAD + ROWS, 1, None, "protocol key 'delay_ms' has no value"),
    ("# just a comment\n" + HEAD + ROWS, 1, None, "expected a '# key: value' protocol line"),
    ("# note: a\n# gap_ms: 0.01\n" + HEAD + ROWS, 3, None, "protocol: gap_ms applies to biphasic pulses only"),
    (HEAD + "# delay_ms: 0.1\n" + ROWS, 2, None, "lines starting with '#' are only allowed before the header"),
    ("# stimulus: Pulse(1.0)\n# note: x\n# delay_ms: 0.2\n" + HEAD + ROWS, 3, None,
     "the stimulus is given twice: a 'stimulus' line (row 1) and the pulse keys delay_ms; give one of them"),
    ("# stimulus: Bogus(1.0)\n" + HEAD + ROWS, 1, None,
     "protocol key 'stimulus': stimulus 'Bogus(1.0)': 'Bogus' is not a stimulus (Pulse, BiphasicPulse"),
    ("# stimulus: Pulse([1.0, 2.0])\n" + HEAD + ROWS, 1, None,
     "protocol key 'stimulus': stimulus is a shape of unit amplitude that the stimulus values scale: its parts' "
     "amplitude_uA must be numbers, got shape (2,)"),
    ("# stimulus: Pulse(1.0, -0.1)\n" + HEAD + ROWS, 1, None, "protocol key 'stimulus': stimulus 'Pulse(1.0, -0.1)': "
     "delay_ms must be"),
    ("# vary: one\n" + HEAD + ROWS, 1, None, "protocol key 'vary': must be a whole number >= 0"),
    ("# vary: 1\n" + HEAD + ROWS, 2, None, "protocol: vary needs a stimulus"),
    ("# stimulus: Pulse(1.0)\n# vary: 1\n" + HEAD + ROWS, 3, None, "protocol: vary must be an integer >= -1 and <= 0"),
    ("# delay_ms: 0.1\n", 2, None, "empty file; expected a header"),
])
def test_new_rules_name_file_row_and_column(tmp_path, text, row, column, what):
    p = write(tmp_path, text)
    with pytest.raises(ValueError) as err:
        load_data(p)
    msg = str(err.value)
    assert msg.startswith(f"{p}, row {row}" + (f", column '{column}'" if column else "") + ": "), msg
    assert what in msg, msg


@pytest.mark.parametrize("kwargs,match", [
    (dict(latency_ms=[0.3, 0.2]), r"latency_ms must have one value per level, shape \(3,\)"),
    (dict(latency_ms=[math.nan, 0.3, 0.2]), r"latency_ms\[0\] = nan: must be finite and >= 0 ms where n_fired >= 1"),
    (dict(latency_ms=[0.4, -0.3, 0.2]), r"latency_ms\[1\] = -0.3: must be finite and >= 0"),
    (dict(latency_ms=[0.4, 0.3, 0.2], jitter_ms=[0.1, 0.1, math.inf]), r"jitter_ms\[2\] = inf"),
    (dict(jitter_ms=[0.1, 0.1, 0.1]), "jitter_ms needs latency_ms"),
    (dict(stimulus_unit="nA"), "stimulus_unit must be one of 'normalised', 'uA'"),
])
def test_firing_data_checks_the_new_fields(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FiringData([0.9, 1.0, 1.1], [2, 5, 9], [10, 10, 10], **kwargs)
    with pytest.raises(ValueError, match=r"latency_ms\[0\] = 0.3: must be empty \(NaN\) where n_fired < 1"):
        FiringData([0.9, 1.0, 1.1], [0, 5, 9], [10, 10, 10], latency_ms=[0.3, 0.3, 0.2])
