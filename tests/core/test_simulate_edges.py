"""The simulator at its edges: no NaN passes as an answer, no snapped grid, every bad argument named."""
import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hhlib
from hhlib import BiphasicPulse, NonFiniteError, Pulse, simulate
from hhlib.normalised import NormalisedSetup

AREA = 1e-9
SEED = hhlib.SEED_MODEL


# ------------------------------------------------------------------ non-finite states
@pytest.mark.parametrize("engine", ["numba", "numpy"])
@pytest.mark.parametrize("model,amp,area,where", [
    (SEED, -1e3, 1e-9, 1),                                      # -1e12 µA/cm²: rates overflow
    (SEED, 7e-8, 1e-300, 1),                                    # the same current on a vanishing area
    (SEED, 1e300, 1e-9, 1),                                     # current density overflows
    (dataclasses.replace(SEED, knoise=1e300), 7e-8, 1e-9, 0),   # noise overflows (every condition)
], ids=["neg-1e3", "area-1e-300", "amp-1e300", "knoise-1e300"])
def test_non_finite_state_raises_naming_the_condition(engine, model, amp, area, where):
    amps, areas = np.array([7e-8, amp, 7e-8]), np.array([1e-9, area, 1e-9])
    with pytest.raises(NonFiniteError, match=rf"condition \({where},\).*amplitude_uA") as info:
        simulate(model, Pulse(amps), areas, 3, seed=0, engine=engine)
    assert isinstance(info.value, ValueError)                   # the CLI and callers treat it as bad input


def test_the_condition_is_named_in_a_grid():
    areas = np.array([[1e-9], [1e-300]])
    with pytest.raises(NonFiniteError, match=r"condition \(1, 0\)"):
        simulate(SEED, Pulse(np.array([7e-8, 8e-8])), areas, 2, seed=0)


def test_a_membrane_without_conductance_is_rejected():
    with pytest.raises(ValueError, match="g_na, g_k and g_l are all 0"):
        dataclasses.replace(SEED, g_na=0.0, g_k=0.0, g_l=0.0)


# ------------------------------------------------------------------ the time grid
@pytest.mark.parametrize("kwargs,stim,name", [
    (dict(t_end_ms=0.101), Pulse(7e-8), "t_end_ms"),             # today: a 0-step pulse
    (dict(dt_ms=0.07), Pulse(7e-8), "t_end_ms|delay_ms|duration_ms"),
    (dict(dt_ms=0.03, t_end_ms=2.1), Pulse(7e-8), "delay_ms"),   # 0.1/0.03 = 3.33 steps
    (dict(), Pulse(7e-8, delay_ms=0.1001), "delay_ms"),
    (dict(), Pulse(7e-8, duration_ms=0.1001), "duration_ms"),
    (dict(), BiphasicPulse(7e-8, phase_duration_ms=0.0301), "phase_duration_ms"),
    (dict(), BiphasicPulse(7e-8, gap_ms=0.001), "gap_ms"),
])
def test_off_grid_timing_is_refused_never_snapped(kwargs, stim, name):
    with pytest.raises(ValueError, match=name) as info:
        simulate(SEED, stim, AREA, 2, seed=0, **kwargs)
    assert "whole number of time steps" in str(info.value)


@pytest.mark.parametrize("dt", [0.0025, 0.00125, 0.001, 0.0005, 0.0001, 0.01, 0.025, 0.05, 0.1])
def test_a_grid_that_divides_the_timing_delivers_exactly_the_charge(dt):
    r = simulate(SEED, Pulse(7e-8), AREA, 1, dt_ms=dt, t_end_ms=0.5, noise=False, record=True)
    assert r.t_end_ms == pytest.approx(0.5, rel=1e-12)
    w = Pulse(1.0).unit_waveform(dt, int(round(0.5 / dt)))
    assert w.sum() * dt == pytest.approx(0.1, rel=1e-12)       # exactly 0.1 ms of current


# ------------------------------------------------------------------ sizes are checked before allocating
@pytest.mark.parametrize("kwargs,name", [
    (dict(dt_ms=1e-300), "dt_ms"), (dict(t_end_ms=1e7), "t_end_ms"), (dict(n_trials=2**40), "n_trials"),
    (dict(n_trials=10**6, record=True), "n_trials"),
])
def test_sizes_are_checked_before_anything_is_allocated(kwargs, name):
    args = dict(n_trials=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        simulate(SEED, Pulse(7e-8), AREA, args.pop("n_trials"), **args)


# ------------------------------------------------------------------ every argument named
@pytest.mark.parametrize("kwargs,exc,name", [
    (dict(max_spikes=0), ValueError, "max_spikes"), (dict(max_spikes=1.5), TypeError, "max_spikes"),
    (dict(stop_after=0), ValueError, "stop_after"), (dict(stop_after=1.5), TypeError, "stop_after"),
    (dict(n_threads=0), ValueError, "n_threads"), (dict(n_threads="4"), TypeError, "n_threads"),
    (dict(chunk_lanes=0), ValueError, "chunk_lanes"), (dict(engine="gpu"), ValueError, "engine"),
    (dict(noise="yes"), TypeError, "noise"), (dict(record=1), TypeError, "record"),
    (dict(stream_ids=[0, 1]), ValueError, "stream_ids"), (dict(seed=2.5), TypeError, "seed"),
    (dict(spike_threshold_mV=None), TypeError, "spike_threshold_mV"),
])
def test_simulate_names_the_bad_argument(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        simulate(SEED, Pulse(7e-8), AREA, 2, **kwargs)


@pytest.mark.parametrize("call,exc,name", [
    (lambda: hhlib.threshold_current(SEED, AREA, stimulus=Pulse(1.0, duration_ms=0)), ValueError, "duration_ms"),
    (lambda: hhlib.threshold_current(SEED, AREA, stimulus="Pulse(1.0)"), TypeError, "stimulus"),
    (lambda: hhlib.threshold_current(SEED, AREA, vary=1), ValueError, "vary"),
    (lambda: hhlib.threshold_current(SEED, AREA, rtol=2.0), ValueError, "rtol"),
    (lambda: hhlib.threshold_current(SEED, AREA, n_probe=0), ValueError, "n_probe"),
    (lambda: hhlib.threshold_current("SEED", AREA), TypeError, "model"),
    (lambda: hhlib.thresholds.trial_thresholds(SEED, AREA, 10, max_factor=math.nan), ValueError, "max_factor"),
    (lambda: hhlib.thresholds.trial_thresholds(SEED, AREA, 10, stream_id=1.5), TypeError, "stream_id"),
    (lambda: hhlib.thresholds.trial_thresholds(SEED, AREA, 0), ValueError, "n_trials"),
    (lambda: hhlib.sweep(SEED, [7e-8], AREA, 10, n_pieces=0), ValueError, "n_pieces"),
    (lambda: hhlib.sweep(SEED, [7e-8], AREA, 10, n_pieces=-5), ValueError, "n_pieces"),
    (lambda: hhlib.sweep(SEED, [7e-8], AREA, 10, n_pieces=2.5), TypeError, "n_pieces"),
    (lambda: hhlib.sweep(SEED, [7e-8], AREA, 10, n_pieces=math.inf), TypeError, "n_pieces"),
    (lambda: hhlib.sweep(SEED, [7e-8], AREA, 10, executor=object()), TypeError, "executor"),
    (lambda: hhlib.sweep(SEED, [7e-8], AREA, 10, progress=3), TypeError, "progress"),
    (lambda: hhlib.temperature_factor(math.nan), ValueError, "temperature_celsius"),
    (lambda: hhlib.temperature_factor(20.0, q10=-3.0), ValueError, "q10"),
    (lambda: hhlib.temperature_factor(1e6), ValueError, "temperature_factor"),
    (lambda: NormalisedSetup(model="SEED"), TypeError, "model"),
    (lambda: NormalisedSetup(i_ref_uA=-1e-7), ValueError, "i_ref_uA"),
    (lambda: NormalisedSetup(a_ref_cm2=math.inf), ValueError, "a_ref_cm2"),
    (lambda: NormalisedSetup(dt_ms=0.03), ValueError, "whole number of time steps"),
    (lambda: hhlib.predict(0.0, 0.0, setup=None), TypeError, "setup"),
    (lambda: hhlib.predict(0.0, 0.0, n_trials=0), ValueError, "n_trials"),
    (lambda: hhlib.predict(0.0, 0.0, runs=0), ValueError, "runs"),
    (lambda: hhlib.predict(0.0, 0.0, x=[1.0, math.nan]), ValueError, "x"),
    (lambda: hhlib.fit(setup=None), TypeError, "setup"),
    (lambda: hhlib.fit(n_trials=2), ValueError, "n_trials"),
    (lambda: hhlib.fit(runs=2), ValueError, "runs"),
    (lambda: hhlib.fit(n_trials=1099511627776), ValueError, "n_trials"),
    (lambda: hhlib.fit(validation_n_trials=0), ValueError, "validation_n_trials"),
    (lambda: hhlib.fit(validation_runs=0), ValueError, "validation_runs"),
    (lambda: hhlib.explore(runs=0), ValueError, "runs"),
    (lambda: hhlib.explore(center="ab"), TypeError, "center"),
    (lambda: hhlib.explore(center=(0.0, -2.0)), ValueError, "delta_area"),
    (lambda: hhlib.mse_loss([0.5, math.nan], hhlib.load_data()), ValueError, "p_model"),
    (lambda: hhlib.deviance_loss(np.full(11, 1.5), hhlib.load_data()), ValueError, "p_model"),
])
def test_every_entry_point_names_the_bad_argument(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


# ------------------------------------------------------------------ property-based: simulate, Pulse, HHParameters
reals = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6), st.none(),
                  st.booleans(), st.text(max_size=3))
ERRORS = (ValueError, TypeError)
PARAM_NAMES = ("amplitude_uA", "delay_ms", "duration_ms", "phase_duration_ms", "gap_ms", "cathodic_first", "area_cm2",
               "n_trials", "dt_ms", "t_end_ms", "seed", "g_na", "g_k", "g_l", "e_na", "e_k", "e_l", "c_m",
               "rate_factor",
               "knoise", "noise_dt_ref_ms", "v_rest_abs_mV", "name", "spike_threshold_mV", "max_spikes", "condition")


def _names_a_parameter(exc):
    return any(n in str(exc) for n in PARAM_NAMES)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amp=st.one_of(reals, st.floats(-1e-5, 1e-5)), delay=reals,
       duration=st.one_of(reals, st.sampled_from([0.05, 0.1])),
       area=st.one_of(reals, st.floats(1e-12, 1e-6)), n_trials=st.one_of(reals, st.integers(1, 40)),
       dt=st.one_of(reals, st.sampled_from([0.0025, 0.005, 0.001])),
       t_end=st.one_of(reals, st.sampled_from([0.5, 1.0])))
def test_simulate_gives_a_valid_result_or_names_a_parameter(amp, delay, duration, area, n_trials, dt, t_end):
    try:
        stim = Pulse(amp, delay, duration)
        r = simulate(SEED, stim, area, n_trials, dt_ms=dt, t_end_ms=t_end, seed=1)
    except ERRORS as exc:
        assert _names_a_parameter(exc), exc
        return
    assert r.spike_counts.shape == (n_trials,) and np.all(r.spike_counts >= 0)
    fired = r.spike_counts > 0
    assert np.all(np.isfinite(r.first_spike_ms[fired])) and np.all(np.isnan(r.first_spike_ms[~fired]))
    assert np.all((r.first_spike_ms[fired] >= 0) & (r.first_spike_ms[fired] <= r.t_end_ms))


@settings(max_examples=80, deadline=None)
@given(amp=reals, phase=reals, gap=reals, delay=reals, first=st.one_of(st.booleans(), reals))
def test_biphasic_pulse_is_valid_or_names_a_parameter(amp, phase, gap, delay, first):
    try:
        b = BiphasicPulse(amp, phase, gap, delay, first)
        w = b.unit_waveform(0.0025, 2000)
    except ERRORS as exc:
        assert _names_a_parameter(exc), exc
        return
    assert set(np.unique(w)) <= {-1.0, 0.0, 1.0} and w.sum() in (0.0, 1.0 * (w > 0).sum() - (w < 0).sum())


@settings(max_examples=120, deadline=None)
@given(st.dictionaries(st.sampled_from(["g_na", "g_k", "g_l", "e_na", "e_k", "e_l", "c_m", "rate_factor", "knoise",
                                        "noise_dt_ref_ms", "name"]), reals, max_size=4))
def test_hh_parameters_are_valid_or_name_the_field(fields):
    try:
        p = hhlib.HHParameters(**fields)
    except ERRORS as exc:
        assert _names_a_parameter(exc), exc
        return
    assert p.c_m > 0 and p.rate_factor > 0 and min(p.g_na, p.g_k, p.g_l, p.knoise) >= 0
    assert p.g_na + p.g_k + p.g_l > 0
    assert all(math.isfinite(getattr(p, f)) for f in ("g_na", "g_k", "g_l", "e_na", "e_k", "e_l", "c_m"))
