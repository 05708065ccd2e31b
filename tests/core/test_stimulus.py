"""Stimulus waveforms on the time grid."""
import numpy as np
import pytest

from hhlib import BiphasicPulse, Pulse


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
