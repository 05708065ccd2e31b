"""The simulator against independent references: solve_ivp, analytic noise facts, scaling laws."""
import dataclasses
import itertools

import numpy as np
import pytest

import hhlib
from conftest import SEED_AREA_CM2
from hhlib import Pulse, simulate
from hhlib.reference import solve_reference
from hhlib.spikes import crossing_times
from hhlib.stats import probit_fit
from hhlib.thresholds import threshold_current

QUIET_SEED = dataclasses.replace(hhlib.SEED_MODEL, knoise=0.0)


# ------------------------------------------------------------------ deterministic accuracy
@pytest.mark.slow
@pytest.mark.parametrize("model,area", [(hhlib.SEED_MODEL, SEED_AREA_CM2), (hhlib.HH1952, 1e-4)])
def test_action_potential_matches_converged_reference(model, area):
    amp = 1.5 * threshold_current(model, area)
    stim = Pulse(amp)
    ref = solve_reference(model, stim, area, t_end_ms=2.0 if model.rate_factor > 1 else 6.0)
    res = simulate(model, stim, area, 1, noise=False, record=True, t_end_ms=float(ref.t_ms[-1]))
    v = res.v_mV[0]
    assert abs(v.max() - ref.peak_mV) < 1.0                              # mV
    assert abs(res.t_ms[np.argmax(v)] - ref.peak_time_ms) < 0.010        # ms
    # whole trace close too (reference interpolated on our grid)
    assert np.max(np.abs(v - np.interp(res.t_ms, ref.t_ms, ref.v_mV))) < 3.0
    assert res.spike_counts[0] == ref.spike_times_ms.size == 1


@pytest.mark.slow
def test_threshold_converges_to_reference_second_order(seed_threshold_ref):
    dts = [0.0025, 0.00125, 0.000625, 0.00025]
    errors = [abs(threshold_current(hhlib.SEED_MODEL, SEED_AREA_CM2, dt_ms=dt, rtol=1e-6) / seed_threshold_ref - 1)
              for dt in dts]
    print("threshold relative error vs solve_ivp at dt (µs) =",
          {dt * 1e3: f"{e:.2e}" for dt, e in zip(dts, errors, strict=True)})
    assert errors[0] < 1e-3                        # <= 0.1 % at the default step
    assert all(e1 < e0 for e0, e1 in itertools.pairwise(errors))
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=0.15)   # second order in dt
    assert errors[-1] < 2e-5


def test_rest_is_a_fixed_point():
    for model, area in ((hhlib.HH1952, 1e-4), (QUIET_SEED, SEED_AREA_CM2)):
        res = simulate(model, Pulse(0.0), area, 1, t_end_ms=50.0, dt_ms=0.01, record=True)
        assert np.max(np.abs(res.v_mV)) < 1e-3
        assert res.spike_counts[0] == 0


@pytest.mark.slow
def test_hh1952_fires_tonically_like_the_reference():
    area = 1e-4
    stim = Pulse(10.0 * area, delay_ms=0.0, duration_ms=np.inf)        # 10 µA/cm² step
    ref = solve_reference(hhlib.HH1952, stim, area, t_end_ms=60.0, samples_per_ms=100)
    res = simulate(hhlib.HH1952, stim, area, 1, t_end_ms=60.0, record=True)
    ours = crossing_times(res.t_ms, res.v_mV[0])
    assert ref.spike_times_ms.size >= 4                                  # tonic, about 68 Hz
    assert ours.size == ref.spike_times_ms.size == res.spike_counts[0]
    np.testing.assert_allclose(ours, ref.spike_times_ms, atol=0.1)
    isi = np.diff(ours)
    assert np.ptp(isi[1:]) < 0.2                                         # regular (periodic) firing


def test_threshold_scales_linearly_with_area():
    i1, i4 = threshold_current(hhlib.SEED_MODEL, np.array([SEED_AREA_CM2, 4 * SEED_AREA_CM2]))
    assert i4 / i1 == pytest.approx(4.0, rel=1e-4)


def test_deterministic_threshold_brackets_firing():
    ith = threshold_current(hhlib.SEED_MODEL, SEED_AREA_CM2)
    res = simulate(hhlib.SEED_MODEL, Pulse(np.array([0.9995, 1.0005]) * ith), SEED_AREA_CM2, 1, noise=False)
    assert res.spike_counts[:, 0].tolist() == [0, 1]


# ------------------------------------------------------------------ noise
def _rest_std(dt, n_trials=3000):
    res = simulate(hhlib.SEED_MODEL, Pulse(0.0), SEED_AREA_CM2, n_trials, dt_ms=dt, t_end_ms=1.5, seed=3, record=True)
    keep = res.t_ms >= 0.5                                               # after ~3 membrane time constants
    return res.v_mV[:, keep].std()


def test_resting_noise_converges_as_dt_shrinks():
    d0 = hhlib.SEED_MODEL.noise_dt_ref_ms
    stds = [_rest_std(d0), _rest_std(d0 / 2), _rest_std(d0 / 4)]
    print("resting V std (mV) at dt0, dt0/2, dt0/4:", [f"{s:.3f}" for s in stds])
    assert max(stds) / min(stds) < 1.05
    assert 0.5 < stds[0] < 1.5                                           # about 1 mV at 0.1 µm²


@pytest.mark.parametrize("factor", [1, 2, 4])
def test_noise_increment_is_white_noise_of_fixed_intensity(factor):
    # Over a short time t (4 reference steps, shorter than the gating time constants) V starting at
    # rest is an Ornstein-Uhlenbeck process with the resting chord conductance g and diffusion
    # D = knoise² gNa dt0 / (A c²): Var V(t) = D c (1 - exp(-2 g t / c)) / (2 g), whatever dt.
    # At dt = dt0 one step equals the seed's (Rattay's) noise current.
    p = hhlib.SEED_MODEL
    dt = p.noise_dt_ref_ms / factor
    no_current = Pulse(0.0, delay_ms=0.0, duration_ms=np.inf)     # zero current throughout (never cut short)
    res = simulate(p, no_current, SEED_AREA_CM2, 40000, dt_ms=dt, t_end_ms=4 * p.noise_dt_ref_ms, seed=11, record=True)
    var = res.v_mV[:, -1].var()
    D = p.knoise**2 * p.g_na * p.noise_dt_ref_ms / (SEED_AREA_CM2 * p.c_m**2)
    _, m0, h0, n0 = hhlib.model.initial_state(p)
    g = p.g_na * m0**3 * h0 + p.g_k * n0**4 + p.g_l
    t = 4 * p.noise_dt_ref_ms
    assert var == pytest.approx(D * p.c_m * -np.expm1(-2 * g * t / p.c_m) / (2 * g), rel=0.03)
    if factor == 1:
        one_step = res.v_mV[:, 1].std()
        seed_sigma_mV = p.knoise * np.sqrt(p.g_na * SEED_AREA_CM2) * dt / (SEED_AREA_CM2 * p.c_m)
        assert one_step == pytest.approx(seed_sigma_mV, rel=0.02)


def _probit_rs(area, n_trials=2000, seed=5):
    ith = threshold_current(hhlib.SEED_MODEL, area)
    rs_guess = 0.17 * np.sqrt(SEED_AREA_CM2 / area)      # only sets the sampled range
    x = np.linspace(1 - 3.5 * rs_guess, 1 + 3.5 * rs_guess, 25)
    k = simulate(hhlib.SEED_MODEL, Pulse(x * ith), area, n_trials, seed=seed).n_fired
    use = (k > 0) & (k < n_trials)
    return probit_fit(x[use], k[use], n_trials), x, k


def test_firing_probability_is_sigmoidal_in_amplitude():
    fit, x, k = _probit_rs(SEED_AREA_CM2)
    p = k / 2000
    assert p[0] < 0.02 and p[-1] > 0.98
    assert np.all(np.diff(p) >= -0.03)                                   # monotone up to MC noise
    assert fit.p_value > 0.001                                           # integrated Gaussian fits
    assert 0.95 < fit.x50 < 1.02 and 0.1 < fit.rs < 0.25               # noisy at 0.1 µm²


@pytest.mark.slow
def test_relative_spread_scales_as_inverse_sqrt_area():
    areas = SEED_AREA_CM2 * np.array([1.0, 4.0, 16.0])
    rs = np.array([_probit_rs(a)[0].rs for a in areas])
    print("RS at", areas, "=", rs)
    slopes = np.diff(np.log(rs)) / np.diff(np.log(areas))
    assert rs[0] / rs[-1] == pytest.approx(4.0, rel=0.10)               # 16x area -> RS / 4
    assert np.all(np.abs(slopes + 0.5) < 0.1)


# ------------------------------------------------------------------ zero noise, shapes
def test_zero_noise_reproduces_the_deterministic_model_exactly():
    stim = Pulse(np.array([6e-8, 7.2e-8, 1e-7]))
    a = simulate(hhlib.SEED_MODEL, stim, SEED_AREA_CM2, 3, noise=False, record=True)
    b = simulate(QUIET_SEED, stim, SEED_AREA_CM2, 3, seed=1, record=True)
    np.testing.assert_array_equal(a.v_mV, b.v_mV)
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    assert np.all(a.v_mV == a.v_mV[:, :1])                              # all trials identical
    assert a.spike_counts[:, 0].tolist() == [0, 1, 1]
    assert a.seed_entropy is None


def test_result_shape_is_broadcast_plus_trials():
    amp = np.linspace(5e-8, 1e-7, 11)
    area = np.array([[0.5e-9], [1e-9], [2e-9]])
    res = simulate(hhlib.SEED_MODEL, Pulse(amp), area, 7, seed=0)
    assert res.spike_counts.shape == (3, 11, 7)
    assert res.first_spike_ms.shape == (3, 11, 7)
    assert res.firing_probability.shape == (3, 11)
    p = hhlib.firing_probability(hhlib.SEED_MODEL, amp, area, 7, seed=0)
    np.testing.assert_array_equal(p, res.firing_probability)
    # conditions are independent draws: the same condition keeps its stream in any batch
    single = simulate(hhlib.SEED_MODEL, Pulse(amp[0]), area[0, 0], 7, seed=0)
    np.testing.assert_array_equal(single.spike_counts, res.spike_counts[0, 0])


def test_first_spike_time_is_after_onset_and_nan_without_spike():
    res = simulate(hhlib.SEED_MODEL, Pulse(np.array([1e-9, 2e-7])), SEED_AREA_CM2, 50, seed=2)
    assert np.all(np.isnan(res.first_spike_ms[0]))
    lat = res.first_spike_ms[1]
    assert np.all((lat > 0.1) & (lat < 0.6))


# ------------------------------------------------------------------ reproducibility
def test_same_seed_same_counts_any_chunking():
    stim = Pulse(np.linspace(6e-8, 8e-8, 5))
    runs = [simulate(hhlib.SEED_MODEL, stim, SEED_AREA_CM2, 700, seed=42, chunk_lanes=c).spike_counts
            for c in (1, 256, 1000, 10**6)]
    for r in runs[1:]:
        np.testing.assert_array_equal(r, runs[0])
    other = simulate(hhlib.SEED_MODEL, stim, SEED_AREA_CM2, 700, seed=43).spike_counts
    assert np.any(other != runs[0])


def test_first_trials_do_not_depend_on_batch_size():
    stim = Pulse(7e-8)
    small = simulate(hhlib.SEED_MODEL, stim, SEED_AREA_CM2, 300, seed=9)
    big = simulate(hhlib.SEED_MODEL, stim, SEED_AREA_CM2, 1000, seed=9)
    np.testing.assert_array_equal(big.spike_counts[:300], small.spike_counts)
    np.testing.assert_array_equal(big.first_spike_ms[:300], small.first_spike_ms)


def test_seed_none_is_reported_and_reproducible():
    stim = Pulse(7e-8)
    a = simulate(hhlib.SEED_MODEL, stim, SEED_AREA_CM2, 300)
    b = simulate(hhlib.SEED_MODEL, stim, SEED_AREA_CM2, 300, seed=a.seed_entropy)
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)


def test_generator_seed_is_deterministic_and_global_state_untouched():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    stim = Pulse(7e-8)
    a = simulate(hhlib.SEED_MODEL, stim, SEED_AREA_CM2, 200, seed=np.random.default_rng(1))
    b = simulate(hhlib.SEED_MODEL, stim, SEED_AREA_CM2, 200, seed=np.random.default_rng(1))
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# ------------------------------------------------------------------ the seed's bugs
def test_gates_move_during_the_pulse():
    # seed bug: m, h, n were only updated while the stimulus was off
    res = simulate(hhlib.SEED_MODEL, Pulse(6e-8), SEED_AREA_CM2, 1, noise=False, record=True)
    in_pulse = (res.t_ms > 0.1) & (res.t_ms <= 0.2)
    m = res.m[0, in_pulse]
    assert m[-1] > 1.4 * m[0]                                            # Na activation follows V
    assert res.h[0, in_pulse][-1] < res.h[0, in_pulse][0]                # inactivation too
    assert np.all(np.diff(res.v_mV[0, in_pulse]) > 0)


def test_passive_charging_is_not_a_spike():
    # no sodium channels: a huge pulse drives V far above +60 mV passively, yet nothing fires
    passive = dataclasses.replace(hhlib.SEED_MODEL, g_na=0.0)
    res = simulate(passive, Pulse(5e-6), SEED_AREA_CM2, 1, record=True)
    assert res.v_mV.max() > 100
    assert res.spike_counts[0] == 0
    # the seed's criterion, max(V) > 60 mV (or a plain crossing of the level), would have counted it
    assert res.v_mV[0].max() > 60 and hhlib.spikes.count_spikes(res.v_mV[0]) == 1


def test_online_counter_equals_counting_on_traces():
    stim = Pulse(np.array([6.5e-8, 7e-8, 8e-8, 3e-7]))
    res = simulate(hhlib.SEED_MODEL, stim, SEED_AREA_CM2, 40, seed=4, record=True, t_end_ms=3.0)
    from_traces = hhlib.spikes.count_spikes_in_result(res, hhlib.SEED_MODEL)
    np.testing.assert_array_equal(from_traces, res.spike_counts)
    assert 0 < res.fired.sum() < res.fired.size


def test_online_counter_counts_repeated_spikes():
    area = 1e-4
    res = simulate(hhlib.HH1952, Pulse(10.0 * area, 0.0, np.inf), area, 2, t_end_ms=60.0, dt_ms=0.01)
    assert res.spike_counts.tolist() == [4, 4]


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(area_cm2=0.0), ValueError, "area_cm2"),
    (dict(area_cm2=-1e-9), ValueError, "area_cm2"),
    (dict(area_cm2=np.nan), ValueError, "area_cm2"),
    (dict(area_cm2=np.inf), ValueError, "area_cm2"),
    (dict(area_cm2=[1e-9, np.nan]), ValueError, "area_cm2"),
    (dict(n_trials=0), ValueError, "n_trials"),
    (dict(n_trials=2.5), TypeError, "n_trials"),
    (dict(n_trials=True), TypeError, "n_trials"),
    (dict(dt_ms=0.0), ValueError, "dt_ms"),
    (dict(dt_ms=-0.001), ValueError, "dt_ms"),
    (dict(dt_ms=np.nan), ValueError, "dt_ms"),
    (dict(dt_ms=0.2), ValueError, "dt_ms"),                 # longer than the 0.1 ms pulse
    (dict(t_end_ms=0.1), ValueError, "t_end_ms"),           # not after the onset
    (dict(t_end_ms=np.inf), ValueError, "t_end_ms"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(seed="abc"), TypeError, "seed"),
    (dict(model="SEED"), TypeError, "model"),
    (dict(stimulus="1e-7"), TypeError, "stimulus"),           # numbers mean Pulse(amplitude); text does not
    (dict(stimulus=None), TypeError, "stimulus"),
    (dict(stimulus=[]), ValueError, "stimulus"),
])
def test_bad_input_raises_naming_the_parameter(kwargs, exc, match):
    args = dict(model=hhlib.SEED_MODEL, stimulus=Pulse(7e-8), area_cm2=SEED_AREA_CM2, n_trials=3)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        simulate(args.pop("model"), args.pop("stimulus"), args.pop("area_cm2"), args.pop("n_trials"), **args)


def test_plain_amplitudes_mean_the_default_pulse():
    """Numbers (µA) stand for ``Pulse(amplitude)`` (0.1 ms at 0.1 ms): the same trials, bit for bit."""
    amps = np.array([6.8e-8, 7.2e-8])
    a = simulate(hhlib.SEED_MODEL, amps, SEED_AREA_CM2, 300, seed=2)
    b = simulate(hhlib.SEED_MODEL, Pulse(amps), SEED_AREA_CM2, 300, seed=2)
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    np.testing.assert_array_equal(a.spike_times_ms, b.spike_times_ms)
    assert 0 < a.n_fired.sum() < 600


def test_nan_amplitude_and_negative_knoise_rejected():
    with pytest.raises(ValueError, match="amplitude_uA"):
        hhlib.firing_probability(hhlib.SEED_MODEL, np.nan, SEED_AREA_CM2, 3)
    with pytest.raises(ValueError, match="knoise"):
        dataclasses.replace(hhlib.SEED_MODEL, knoise=-5e-5)


def test_record_refuses_absurd_memory():
    with pytest.raises(ValueError, match="n_trials"):
        simulate(hhlib.SEED_MODEL, Pulse(7e-8), SEED_AREA_CM2, 10**6, record=True)
