"""Stimulus waveforms on the time grid, and the stimulus's text form."""
import re

import numpy as np
import pytest

from hhlib import BiphasicPulse, Pulse, PulseTrain, Ramp, Waveform
from hhlib.stimulus import Stimulus, as_stimulus, parse_stimulus


@pytest.mark.parametrize("dt", [0.0025, 0.00125, 0.000625, 0.00025, 0.001])
def test_pulse_is_exactly_round_duration_over_dt_steps(dt):
    n = int(round(2.0 / dt))
    w = Pulse(1.0).unit_waveform(dt, n)
    on = np.flatnonzero(w)
    assert on.size == round(0.1 / dt)          # the seed's loop gave 41 steps at dt = 2.5 µs
    assert on[0] == round(0.1 / dt)            # starts on a step boundary at the delay
    assert np.all(np.diff(on) == 1)
    assert on.size * dt == pytest.approx(0.1)  # delivered charge = amplitude x 0.1 ms


def test_long_pulse_is_a_step():
    w = Pulse(1.0, delay_ms=0.5, duration_ms=np.inf).unit_waveform(0.01, 100)
    assert w[:50].sum() == 0 and np.all(w[50:] == 1)
    w2 = Pulse(1.0, delay_ms=0.5, duration_ms=10.0).unit_waveform(0.01, 100)
    np.testing.assert_array_equal(w, w2)


@pytest.mark.parametrize("cathodic_first", [True, False])
def test_biphasic_is_charge_balanced_with_gap(cathodic_first):
    b = BiphasicPulse(1.0, phase_duration_ms=0.05, gap_ms=0.01, delay_ms=0.1, cathodic_first=cathodic_first)
    w = b.unit_waveform(0.0025, 800)
    assert w.sum() == 0                                 # exact charge balance on the grid
    first = np.flatnonzero(w)[0]
    assert first == 40 and w[first] == (1 if cathodic_first else -1)
    assert np.count_nonzero(w > 0) == np.count_nonzero(w < 0) == 20
    gap = np.flatnonzero(w)[20] - np.flatnonzero(w)[19] - 1
    assert gap == 4                                     # 0.01 ms / 2.5 µs


@pytest.mark.parametrize("bad", [np.nan, np.inf, [1.0, np.nan]])
def test_non_finite_amplitude_rejected(bad):
    with pytest.raises(ValueError, match="amplitude_uA"):
        Pulse(bad)


def test_bad_timing_rejected():
    with pytest.raises(ValueError, match="duration_ms"):
        Pulse(1.0, duration_ms=0.0)
    with pytest.raises(ValueError, match="delay_ms"):
        Pulse(1.0, delay_ms=-0.1)
    with pytest.raises(ValueError, match="phase_duration_ms"):
        BiphasicPulse(1.0, phase_duration_ms=np.nan)
    with pytest.raises(TypeError, match="amplitude_uA"):
        Pulse("1e-7")


# ----------------------------------------------------------------------------- the text form (issue 17)
ROUND_TRIP = [
    Pulse(1.5e-7),
    Pulse(-2e-7, delay_ms=0.3, duration_ms=np.inf),
    BiphasicPulse(1e-7, phase_duration_ms=0.05, gap_ms=0.01, delay_ms=0.2, cathodic_first=False),
    BiphasicPulse(1e-7, phase_duration_ms=0.025, gap_ms=0.0, second_phase_ms=0.2),
    PulseTrain(Pulse(2e-7, delay_ms=0.0, duration_ms=0.05), rate_pps=1000, n_pulses=400),
    PulseTrain(BiphasicPulse(1e-7, 0.025, gap_ms=0.01), rate_pps=5000, n_pulses=3, modulation=[1.0, 0.5, 0.25]),
    Waveform([0.5, -1.0, 0.25], dt_ms=0.01, amplitude_uA=2e-7, delay_ms=0.1),
    Ramp(3e-7, duration_ms=2.0, delay_ms=0.5),
    Pulse(1.5 * 7.011e-8) + Pulse(1.0, delay_ms=1.1),
    Ramp(-1e-7, duration_ms=1.0, delay_ms=0.0) + BiphasicPulse(2e-7, 0.05, delay_ms=1.0)
    + PulseTrain(Pulse(1e-7, delay_ms=2.0, duration_ms=0.05), rate_pps=2000, n_pulses=4),
]


@pytest.mark.parametrize("stim", ROUND_TRIP, ids=lambda s: repr(s)[:40])
def test_the_text_form_reads_back_to_the_same_stimulus(stim):
    """repr -> parse_stimulus -> the same parts: the same text, amplitudes and current on the grid."""
    back = parse_stimulus(repr(stim))
    assert isinstance(back, Stimulus) and repr(back) == repr(stim)
    original = as_stimulus(stim)
    assert [type(p) for p in back.parts] == [type(p) for p in original.parts]
    assert [float(a) for a in back.amplitudes_uA] == [float(a) for a in original.amplitudes_uA]
    n = 4000                                              # 10 ms at 2.5 µs (the 400-pulse train: its first 10 ms)
    np.testing.assert_array_equal(back.unit_waveforms(0.0025, n), original.unit_waveforms(0.0025, n))
    assert back.end_ms == original.end_ms and back.pulse_onsets_ms().tolist() == original.pulse_onsets_ms().tolist()


@pytest.mark.parametrize("text,why", [
    ("os", r"'os' is not allowed"),
    ("hhlib.Pulse(1.0)", r"'hhlib.Pulse' is not a stimulus \(Pulse, BiphasicPulse, PulseTrain, Waveform, Ramp\)"),
    ("Pulse(1.0).__class__", r"'Pulse\(1.0\).__class__' is not allowed"),
    ("Pulse.at(1.0)", r"'Pulse.at' is not a stimulus"),
    ("print(1)", r"'print' is not a stimulus"),
    ("__import__('os').system('true')", r"is not a stimulus"),
    ("eval('Pulse(1.0)')", r"'eval' is not a stimulus"),
    ("Pulse(1.0) - Pulse(1.0)", r"'Pulse\(1.0\) - Pulse\(1.0\)' is not allowed"),
    ("2 * Pulse(1.0)", r"'2 \* Pulse\(1.0\)' is not allowed"),
    ("Pulse(1.0) + 1", r"'Pulse\(1.0\) \+ 1': \+ adds stimulus parts only"),
    ("[1.0] + [2.0]", r"\+ adds stimulus parts only"),
    ("Pulse(**{'amplitude_uA': 1.0})", r"\*\*arguments are not allowed"),
    ("Pulse(*[1.0])", r"'\*\[1.0\]' is not allowed"),
    ("(lambda: Pulse(1.0))()", r"is not a stimulus"),
    ("Pulse(array(shape=(2,)), delay_ms=0.1, duration_ms=0.1)", r"'array' is not a stimulus"),
    ("Pulse(1.0, foo=2)", r"Pulse: .*unexpected keyword argument 'foo'"),
    ("Pulse(1.0, delay_ms=-1.0)", r"delay_ms"),
    ("Pulse('1e-7')", r"\"'1e-7'\" is not allowed"),                    # text is not a number
    ("1.0", r"describe the stimulus with its classes, e.g. 'Pulse\(1.0, delay_ms=0.1\)'"),
    ("", r"is not a stimulus description"),
    ("Pulse(1.0", r"is not a stimulus description"),
])
def test_the_text_form_refuses_anything_else_naming_the_text(text, why):
    with pytest.raises(ValueError, match=rf"^stimulus {re.escape(repr(text))}:? .*{why}"):
        parse_stimulus(text)


def test_the_text_form_names_the_caller_and_takes_text_only():
    with pytest.raises(ValueError, match=r"^--stimulus 'Pulse\(1.0\) \* 2': "):
        parse_stimulus("Pulse(1.0) * 2", name="--stimulus")
    with pytest.raises(TypeError, match=r"^stimulus must be a str, got bytes$"):
        parse_stimulus(b"Pulse(1.0)")
