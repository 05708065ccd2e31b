"""Protocols (issue 17, "Must show"): the engines agree on every kind of stimulus and noise, trains give the
reference's spike counts, bad protocols are refused naming what is wrong, and the memory of a run is bounded.

Engines: the numpy engine (the reference implementation, exact rates) and the numba kernel compute the same
step with the same random numbers. With the kernel's gate coefficients taken from the rate functions too
(``numba_engine.GATE_RATES = "exact"``) they agree to rounding: the same spike counts in every trial, every spike
time to :data:`CROSS_CPU_RTOL`. As shipped, the kernel interpolates its coefficients in 0.01 mV tables (NEURON's
rate tables): then spike times move by up to ~1e-6 relative with current noise and the counts still agree
exactly, but a diffusion (Langevin) channel trial can now and then cross differently (0.5 % of trials measured
with an asymmetric biphasic pulse), so the diffusion comparison of the shipped kernel is statistical
(``test_channel_noise.py``). The CUDA simulator's checks of the same stimuli are in ``cuda_checks.py``.
"""
import numpy as np
import pytest

import hhlib
from conftest import CROSS_CPU_RTOL, SEED_AREA_CM2
from hhlib import BiphasicPulse, ChannelNoise, Pulse, PulseTrain, Ramp, Waveform, simulate
from hhlib.engines import numba_engine
from hhlib.engines.runspec import MAX_RESULT_BYTES, build_run_spec
from hhlib.observables import pulse_index
from hhlib.reference import solve_reference
from hhlib.stimulus import Stimulus

SEED = hhlib.SEED_MODEL
I_TH = 7.011e-8                       # SEED_MODEL's threshold at 1e-9 cm², 0.1 ms pulse, µA
#: 255 Na and 77 K channels: channel noise makes a third of the trials fire on their own.
CH_AREA = 4.25e-9


def protocols(scale=1.0):
    """The stimuli of issue 17, amplitudes for ``scale`` x 1e-9 cm², with the run length each needs (ms)."""
    t = I_TH * scale
    return {
        "pair": (Pulse(1.5 * t) + Pulse(t * np.array([2.5, 3.0]), delay_ms=1.1), 2.0),     # probe threshold 2.53 x
        "train 5000 pps": (PulseTrain(Pulse(t * np.array([1.4, 3.0]), duration_ms=0.05), rate_pps=5000, n_pulses=5),
                           1.5),
        "biphasic with gap": (BiphasicPulse(t * np.array([1.0, 1.5, 3.0]), 0.1, gap_ms=0.05), 1.5),
        "asymmetric biphasic": (BiphasicPulse(t * np.array([1.0, 1.5, 3.0]), 0.05, gap_ms=0.025,
                                              second_phase_ms=0.2), 1.5),
        "waveform": (Waveform(np.sin(np.linspace(0, 3 * np.pi, 30)), 0.01, amplitude_uA=t * np.array([1.5, 3.0]),
                              delay_ms=0.1), 1.5),
        "ramp": (Ramp(t * np.array([1.0, 2.0, 4.0]), duration_ms=0.3, delay_ms=0.1), 1.5),
    }


NOISES = {"noise-free": (dict(noise=False), 1, SEED_AREA_CM2), "current": (dict(seed=3), 64, SEED_AREA_CM2),
          "markov": (dict(seed=3, noise=ChannelNoise(600, 180, method="markov")), 24, CH_AREA),
          "diffusion": (dict(seed=3, noise=ChannelNoise(600, 180, method="diffusion")), 48, CH_AREA)}


def run_both(name, noise):
    kw, n_trials, area = NOISES[noise]
    stim, t_end = protocols(area / SEED_AREA_CM2)[name]
    opts = dict(t_end_ms=t_end, max_spikes=8, **kw)
    return (simulate(SEED, stim, area, n_trials, engine="numpy", **opts),
            simulate(SEED, stim, area, n_trials, engine="numba", **opts))


@pytest.mark.parametrize("noise", list(NOISES))
@pytest.mark.parametrize("name", list(protocols()))
def test_numpy_and_numba_agree_to_rounding(name, noise, monkeypatch):
    """Counts exactly and every recorded spike time to CROSS_CPU_RTOL (the kernel with exact rates)."""
    monkeypatch.setattr(numba_engine, "GATE_RATES", "exact")
    a, b = run_both(name, noise)
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    assert not a.overflow.any() and a.spike_counts.sum() > 0
    np.testing.assert_array_equal(np.isnan(a.spike_times_ms), np.isnan(b.spike_times_ms))
    np.testing.assert_allclose(b.spike_times_ms, a.spike_times_ms, rtol=CROSS_CPU_RTOL, atol=0, equal_nan=True)
    if noise != "noise-free":                          # the noise decides: trials of one condition differ
        assert np.ptp(a.spike_counts, axis=-1).max() > 0


@pytest.mark.parametrize("noise", ["noise-free", "current", "markov"])
@pytest.mark.parametrize("name", list(protocols()))
def test_the_shipped_kernel_with_rate_tables_gives_the_same_counts(name, noise):
    """As shipped (0.01 mV rate tables): the same counts in every trial; spike times within 1e-5 relative."""
    a, b = run_both(name, noise)
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    np.testing.assert_allclose(b.spike_times_ms, a.spike_times_ms, rtol=1e-5, atol=0, equal_nan=True)


# ----------------------------------------------------------------------------- trains against the reference
TRAINS = {   # model, area (cm²), rate (pulses/s), pulse, extra time after the train (ms)
    "SEED 1000 pps": (SEED, SEED_AREA_CM2, 1000, Pulse(1.0, duration_ms=0.05), 2.0),
    "SEED 5000 pps": (SEED, SEED_AREA_CM2, 5000, Pulse(1.0, duration_ms=0.05), 2.0),
    "HH1952 250 pps": (hhlib.HH1952, 1e-4, 250, Pulse(1.0, duration_ms=0.1), 10.0),
}


@pytest.mark.parametrize("factor,expected", [(1.2, {"SEED 1000 pps": 10, "SEED 5000 pps": 1, "HH1952 250 pps": 1}),
                                             (3.0, {"SEED 1000 pps": 20, "SEED 5000 pps": 4, "HH1952 250 pps": 7})])
@pytest.mark.parametrize("train", list(TRAINS))
def test_trains_without_noise_give_the_references_spike_counts(train, factor, expected):
    """20 pulses at ``factor`` x the threshold of one of them: the same spike count as solve_ivp, the same pulses
    answered, spike times within two steps; the count is the same at 0.1 % less and more amplitude (so the
    agreement is not an accident of a pulse right at its threshold)."""
    model, area, rate, pulse, after = TRAINS[train]
    i_th = hhlib.threshold_current(model, area, stimulus=pulse, t_end_ms=2.0 if model is SEED else 10.0)
    stim = PulseTrain(pulse.with_amplitude(factor * i_th * np.array([0.999, 1.0, 1.001])), rate, 20)
    t_end = round((stim.end_ms + after) / 0.05) * 0.05
    res = simulate(model, stim, area, 1, noise=False, t_end_ms=t_end, max_spikes=32)
    ref = solve_reference(model, stim.with_amplitude(factor * i_th), area, t_end_ms=t_end, samples_per_ms=10)
    assert ref.spike_times_ms.size == expected[train]
    assert res.spike_counts[:, 0].tolist() == [ref.spike_times_ms.size] * 3
    times = res.spike_times_ms[1, 0, :ref.spike_times_ms.size]
    np.testing.assert_allclose(times, ref.spike_times_ms, rtol=0, atol=2 * res.dt_ms)
    answered = np.bincount(pulse_index(ref.spike_times_ms, stim.pulse_onsets_ms()), minlength=20)
    np.testing.assert_array_equal(res.pulse_responses()[1, 0], answered)


# ----------------------------------------------------------------------------- bad protocols, named
@pytest.mark.parametrize("make,match", [
    (lambda: PulseTrain(Pulse(1e-7, duration_ms=0.2), rate_pps=5000, n_pulses=3),
     r"^the pulses of a train overlap: pulse width 0.2 ms >= period 1000 / rate_pps = 0.2 ms \(rate_pps = 5000\)"),
    (lambda: PulseTrain(BiphasicPulse(1e-7, 0.1, gap_ms=0.01), rate_pps=5000, n_pulses=3),
     r"^the pulses of a train overlap: pulse width 0.21 ms >= period"),
    (lambda: Stimulus(()), r"^a Stimulus needs at least one part \(a Pulse, BiphasicPulse, PulseTrain, Waveform or "
                           r"Ramp\), got \(\)$"),
    (lambda: Pulse(1e-7) + Pulse(np.ones(3) * 1e-7, delay_ms=1.0) + Pulse(np.ones(2), delay_ms=2.0),
     r"^the parts' amplitude_uA arrays must broadcast against each other, got shapes \(\), \(3,\), \(2,\)$"),
])
def test_bad_parts_are_refused_naming_what_is_wrong(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("stim,t_end,match", [
    (Pulse(1e-7) + Pulse(1e-7, delay_ms=1.95), 2.0,
     r"^Pulse\(1e-07, delay_ms=1.95, duration_ms=0.1\) ends at 2.05 ms, after the end of the run t_end_ms = 2 ms"),
    (PulseTrain(Pulse(1e-7), rate_pps=1000, n_pulses=5), 2.0,
     r"^PulseTrain\(.*n_pulses=5\) ends at 4.2 ms, after the end of the run t_end_ms = 2 ms: .* use t_end_ms >= 4.2$"),
    (Ramp(1e-7, duration_ms=3.0), 2.0, r"^Ramp\(.*\) ends at 3.1 ms, after the end of the run t_end_ms = 2 ms"),
    (Pulse(1e-7) + Pulse(1e-7, delay_ms=5.0, duration_ms=np.inf), 2.0,
     r"^Pulse\(1e-07, delay_ms=5.0, duration_ms=inf\) starts at 5 ms, at or after the end of the run t_end_ms = 2 ms: "
     r"it would never flow; use t_end_ms > 5$"),
    (Pulse(1e-7, delay_ms=3.0), 2.0, r"^t_end_ms = 2.0 must be later than the stimulus onset \(3.0 ms\)$"),
])
def test_parts_that_start_or_run_past_the_end_are_refused(stim, t_end, match):
    with pytest.raises(ValueError, match=match):
        simulate(SEED, stim, SEED_AREA_CM2, 2, seed=0, t_end_ms=t_end)


@pytest.mark.parametrize("stim,match", [
    (Pulse(1e-7, delay_ms=0.1001), r"^delay_ms = 0.1001 ms is not a whole number of time steps dt_ms = 0.0025 ms"),
    (Pulse(1e-7, duration_ms=0.0501), r"^duration_ms = 0.0501 ms is not a whole number of time steps"),
    (PulseTrain(Pulse(1e-7, duration_ms=0.05), rate_pps=3000, n_pulses=3),
     r"^rate_pps = 3000 gives a period 1000 / rate_pps = 0.333333 ms, not a whole number of time steps dt_ms = "
     r"0.0025 ms"),
    (Waveform(np.ones(10), 0.0031, 1e-7), r"^Waveform dt_ms = 0.0031 ms is not a whole number of the simulation's "
                                          r"time steps dt_ms = 0.0025 ms"),
    (Waveform(np.ones(10), 0.005, 1e-7, delay_ms=0.001), r"^delay_ms = 0.001 ms is not a whole number of time steps"),
    (BiphasicPulse(1e-7, 0.05, gap_ms=0.001), r"^gap_ms = 0.001 ms is not a whole number of time steps"),
    (BiphasicPulse(1e-7, 0.05, second_phase_ms=0.0501), r"^second_phase_ms = 0.0501 ms is not a whole number"),
    (Ramp(1e-7, duration_ms=0.1001), r"^duration_ms = 0.1001 ms is not a whole number of time steps"),
])
def test_parts_off_the_time_grid_are_refused_never_moved(stim, match):
    with pytest.raises(ValueError, match=match):
        simulate(SEED, stim, SEED_AREA_CM2, 2, seed=0)


PAIR = Pulse(1.5 * I_TH) + Pulse(1.0, delay_ms=1.1)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: hhlib.threshold_current(SEED, SEED_AREA_CM2, stimulus=PAIR, vary=2), ValueError,
     r"^vary must be an integer >= -2 and <= 1, got 2$"),
    (lambda: hhlib.threshold_current(SEED, SEED_AREA_CM2, stimulus=PAIR, vary=-3), ValueError,
     r"^vary must be an integer >= -2 and <= 1, got -3$"),
    (lambda: hhlib.threshold_current(SEED, SEED_AREA_CM2, stimulus=PAIR, vary=1.0), TypeError, r"^vary must be"),
    (lambda: hhlib.thresholds.trial_thresholds(SEED, SEED_AREA_CM2, 4, stimulus=PAIR, vary=5, seed=0), ValueError,
     r"^vary must be an integer >= -2 and <= 1, got 5$"),
    (lambda: hhlib.threshold_current(SEED, SEED_AREA_CM2, vary=1), ValueError, r"^vary must be an integer >= -1 and "
                                                                               r"<= 0, got 1$"),
    (lambda: hhlib.threshold_current(SEED, SEED_AREA_CM2, stimulus=Pulse(1e-7) + Pulse(0.0, delay_ms=1.1), vary=1),
     ValueError, r"^the varied part's amplitude_uA is 0 \(or it carries no charge\)"),
    (lambda: hhlib.thresholds.trial_thresholds(SEED, SEED_AREA_CM2, 4, stimulus=Pulse(0.0), seed=0), ValueError,
     r"^the varied part's amplitude_uA is 0"),
    (lambda: simulate(SEED, Pulse(1e-7), SEED_AREA_CM2, 1, max_spikes=0), ValueError,
     r"^max_spikes must be an integer >= 1 and <= 1000000, got 0$"),
    (lambda: simulate(SEED, Pulse(1e-7), SEED_AREA_CM2, 1, max_spikes=2_000_000), ValueError,
     r"^max_spikes must be an integer >= 1 and <= 1000000, got 2000000$"),
    (lambda: simulate(SEED, Pulse(1e-7), SEED_AREA_CM2, 100_000, max_spikes=100_000), ValueError,
     r"^n_trials = 100000 for 1 condition\(s\) with max_spikes = 100000 needs 74.5 GiB of results \(limit 8 GiB\)"),
    (lambda: simulate(SEED, Pulse(1e-7), SEED_AREA_CM2, 1, stop_after=0), ValueError,
     r"^stop_after must be an integer >= 1, got 0$"),
])
def test_bad_searches_and_sizes_are_refused_naming_the_parameter(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ----------------------------------------------------------------------------- memory
def test_a_hundred_thousand_trials_of_a_long_train_fit_in_a_gibibyte():
    """A 0.4 s train at 1000 pps, 1e5 trials, 512 spike times each: the size check accepts it and what the run
    allocates (spike times, counts, divergence flags) is 409.6 MB + 0.9 MB, O(trials x max_spikes): no trace, no
    array over the time steps but the parts' unit waveforms (160 000 steps x 8 B)."""
    train = PulseTrain(Pulse(2e-7, duration_ms=0.05), rate_pps=1000, n_pulses=400)
    spec = build_run_spec(SEED, train, SEED_AREA_CM2, 100_000, seed=0, t_end_ms=400.5, max_spikes=512)
    assert spec.max_spikes == 512 and spec.n_steps == 160_200
    n = spec.n_cond * spec.n_trials
    results = n * spec.max_spikes * 8 + n * 8 + n * 1            # times (float64), counts (int64), bad (bool)
    assert results == 410_500_000 and results < 2**30 and results <= MAX_RESULT_BYTES
    assert spec.waveforms.nbytes == 160_200 * 8
    assert build_run_spec(SEED, train, SEED_AREA_CM2, 100_000, seed=0, t_end_ms=400.5).max_spikes == 403   # default
