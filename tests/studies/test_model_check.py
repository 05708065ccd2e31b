"""hhlib.studies.model_check: the numbers of notebook 01, and the re-implementation of the predecessor's bugs."""
import numpy as np
import pytest

import hhlib
from hhlib.studies import model_check as mc

SEED_AREA_CM2 = 1e-9          # cm², SEED_MODEL's reference area
DT0 = hhlib.SEED_MODEL.noise_dt_ref_ms


@pytest.fixture(scope="module")
def ap():
    return mc.ap_check(hhlib.SEED_MODEL, SEED_AREA_CM2, 1.5)


@pytest.fixture(scope="module")
def resting_noise():
    return mc.resting_noise_vs_dt(hhlib.SEED_MODEL, SEED_AREA_CM2, dts_us=(2.5, 1.25, 0.625), n_trials=1000, seed=3)


# ----------------------------------------------------------------------------- the predecessor's integrator
def test_predecessor_pulse_is_41_steps_at_2_5_us_and_one_extra_step_at_any_dt():
    assert int(mc.predecessor_pulse_mask(800, 0.0025).sum()) == 41
    on = np.flatnonzero(mc.predecessor_pulse_mask(800, 0.0025))
    assert (on[0], on[-1]) == (40, 80)                                   # both ends inclusive
    assert int(mc.predecessor_pulse_mask(1600, 0.00125).sum()) == 81
    assert int(hhlib.Pulse(1.0).unit_waveform(0.0025, 800).sum()) == 40  # hhlib: exactly 0.1 ms


def test_predecessor_gates_sit_exactly_at_rest_during_the_pulse_and_move_after():
    tr = mc.predecessor_simulation(hhlib.SEED_MODEL, 1e-7, SEED_AREA_CM2, 3, rng=np.random.default_rng(0))
    _, m0, h0, n0 = hhlib.model.initial_state(hhlib.SEED_MODEL)
    written = np.flatnonzero(tr.stimulus_on) + 1                         # samples produced by pulse steps
    assert written.size == 41
    for x, x0 in ((tr.m, m0), (tr.h, h0), (tr.n, n0)):
        assert np.all(x[:, written] == x0)                              # exactly the pre-filled resting value
    assert np.all(tr.v_mV[:, written[-1]] > tr.v_mV[:, written[0]] + 5.0)  # while V charges up
    after = written[-1] + 5
    assert np.all(tr.m[:, after] > 1.3 * m0)                              # gates run again after the pulse


def test_hhlib_m_rises_during_the_same_pulse():
    res = hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(1e-7), SEED_AREA_CM2, 1, noise=False, record=True)
    in_pulse = (res.t_ms > 0.1) & (res.t_ms <= 0.2 + 1e-9)
    assert res.m[0, in_pulse][-1] > 1.5 * res.m[0, in_pulse][0]


def test_predecessor_noise_is_drawn_from_the_generator_argument():
    def run(rng):
        return mc.predecessor_simulation(hhlib.SEED_MODEL, 0.0, SEED_AREA_CM2, 4, rng=rng, t_end_ms=0.2)

    a, b = run(np.random.default_rng(7)), run(np.random.default_rng(7))
    np.testing.assert_array_equal(a.v_mV, b.v_mV)
    assert not np.array_equal(a.v_mV, run(np.random.default_rng(8)).v_mV)
    assert a.v_mV.shape == (4, 81) and np.all(a.v_mV[:, 1:].std(axis=0) > 0)
    with pytest.raises(TypeError, match="Generator"):
        run(None)


def test_predecessor_one_step_noise_is_the_dt_independent_current():
    # one step from rest: V = dt * N(0,1) knoise sqrt(gNa A) / (A c), whatever dt (bug 2)
    p = hhlib.SEED_MODEL
    for dt in (DT0, DT0 / 4):
        tr = mc.predecessor_simulation(p, 0.0, SEED_AREA_CM2, 20000, rng=np.random.default_rng(1), dt_ms=dt,
                                      t_end_ms=dt)
        expected = dt * p.knoise * np.sqrt(p.g_na * SEED_AREA_CM2) / (SEED_AREA_CM2 * p.c_m)
        assert tr.v_mV[:, 1].std() == pytest.approx(expected, rel=0.03)


def test_predecessor_resting_std_falls_like_sqrt_dt_while_hhlib_stays(resting_noise):
    s_pred, s_hh = resting_noise["predecessor_std_mV"], resting_noise["hhlib_std_mV"]
    ratios = s_pred[:-1] / s_pred[1:]
    assert np.all((ratios > 1.3) & (ratios < 1.55)), ratios              # sqrt(2) = 1.414 per halving
    assert s_hh.max() / s_hh.min() < 1.05                                 # hhlib: converged
    assert s_pred[0] == pytest.approx(s_hh[0], rel=0.1)                   # equal noise intensity at dt0
    assert 0.8 < s_hh[0] < 1.1                                            # about 1 mV at 0.1 µm²


def test_predecessor_threshold_is_too_high_because_the_gates_are_frozen():
    pred_thr = mc.predecessor_threshold_current(hhlib.SEED_MODEL, SEED_AREA_CM2)
    hh_thr = hhlib.threshold_current(hhlib.SEED_MODEL, SEED_AREA_CM2)
    assert 1.2 < pred_thr / hh_thr < 1.4
    below = mc.predecessor_simulation(hhlib.SEED_MODEL, [0.999 * pred_thr, 1.001 * pred_thr], SEED_AREA_CM2, 2,
                                     noise=False)
    assert below.fired.tolist() == [False, True]


# ----------------------------------------------------------------------------- hhlib's checks
def test_ap_check_matches_the_reference(ap):
    c = ap
    assert c.result.v_mV.shape == (1, 801) and int(c.result.spike_counts[0]) == 1
    assert c.amplitude_uA == pytest.approx(1.5 * c.threshold_uA)
    assert abs(c.peak_error_mV) < 0.1                                     # measured 0.028 mV
    assert abs(c.peak_time_error_us) < 1.0                                # measured 0.36 µs
    assert 95 < c.peaks[2] < 110


def test_interpolated_peak_recovers_a_parabola_between_samples():
    t = np.linspace(0.0, 1.0, 11)
    v, tp = mc.interpolated_peak(t, 3.0 - 7.0 * (t - 0.537) ** 2)
    assert v == pytest.approx(3.0, abs=1e-12) and tp == pytest.approx(0.537, abs=1e-12)
    assert mc.interpolated_peak(t, -(t - 1.2) ** 2)[1] == pytest.approx(1.2)  # vertex past the last sample


def test_observed_order_of_a_second_order_sequence():
    dt = np.array([2.5, 1.25, 0.625])
    assert mc.observed_order(dt, 3e-5 * dt**2) == pytest.approx(2.0)
    assert mc.observed_order(dt, -3e-5 * dt) == pytest.approx(1.0)


def test_threshold_error_falls_4x_per_halving():
    conv = mc.threshold_convergence(hhlib.SEED_MODEL, SEED_AREA_CM2, dts_us=(2.5, 1.25), reference_rtol=1e-7)
    err = conv["rel_error"]
    assert err[0] == pytest.approx(2.4e-4, rel=0.1)
    assert err[0] / err[1] == pytest.approx(4.0, rel=0.1)


def test_resting_noise_falls_like_inverse_sqrt_area():
    s1 = mc.hhlib_resting_std(hhlib.SEED_MODEL, 1e-9, n_trials=1000)
    s16 = mc.hhlib_resting_std(hhlib.SEED_MODEL, 1.6e-8, n_trials=1000)
    assert s1 / s16 == pytest.approx(4.0, rel=0.05)


def test_resting_std_skips_the_transient():
    t = np.array([0.0, 0.25, 0.5, 1.0])
    v = np.array([[50.0, 50.0, 1.0, -1.0], [-50.0, 50.0, -1.0, 1.0]])
    assert mc.resting_std(t, v) == 1.0


def test_pulse_steps_compare_the_inclusive_condition_with_hhlib():
    steps = mc.pulse_steps(0.0025)
    assert steps["t_ms"].shape == (109,) and steps["predecessor_on"].shape == steps["hhlib_on"].shape == (108,)
    assert (steps["predecessor_on"].sum(), steps["hhlib_on"].sum()) == (41, 40)
    assert set(np.unique(steps["predecessor_on"])) == {0.0, 1.0}
