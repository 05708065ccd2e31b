"""Issue 17, the API layer: one stimulus object through sweep, the normalised setup, predict, fit, the data's
protocol and the command line (no pulse timings as loose numbers above hhlib.stimulus)."""
import dataclasses
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hhlib
from hhlib import BiphasicPulse, Pulse, PulseTrain
from hhlib.data import FiringData, Protocol, load_data, save_data
from hhlib.normalised import DEFAULT_SETUP, NormalisedSetup, setup_for_data, simulate_responses, stimulus_range

ROOT = Path(__file__).resolve().parents[2]
BIPHASIC = BiphasicPulse(1.0, 0.1, gap_ms=0.05)


# ----------------------------------------------------------------------------- the normalised setup
def test_the_setup_holds_a_stimulus_of_unit_amplitude_and_checks_it_by_name():
    assert repr(DEFAULT_SETUP.stimulus) == "Pulse(1.0, delay_ms=0.1, duration_ms=0.1)" and DEFAULT_SETUP.vary is None
    assert DEFAULT_SETUP.unit_charge_uA_ms == 0.1 and stimulus_range() == pytest.approx((2e-12, 2e12), rel=1e-12)
    same = NormalisedSetup(stimulus="Pulse(1.0)")                   # text, another object: an equal setup
    assert same == DEFAULT_SETUP and hash(same) == hash(DEFAULT_SETUP)
    assert NormalisedSetup(stimulus=Pulse(1.0).at(0.2)) != DEFAULT_SETUP
    cases = [
        (dict(stimulus=Pulse([1.0, 2.0])), ValueError, r"stimulus is a shape of unit amplitude .* got shape \(2,\)"),
        (dict(stimulus=Pulse(1.0) + Pulse(1.0).at(1.0), vary=2), ValueError, "vary must be an integer >= -2 and <= 1"),
        (dict(stimulus=Pulse(1.0).at(1.95)), ValueError, "ends at 2.05 ms, after the end of the run t_end_ms = 2 ms"),
        (dict(stimulus=Pulse(1.0).at(0.10125)), ValueError, "delay_ms"),                # off the 2.5 µs grid
        (dict(stimulus=Pulse(1e-7) + Pulse(0.0).at(1.0), vary=1), ValueError,
         r"the varied part\(s\) \(vary = 1\) carry no current"),
        (dict(stimulus="Pulse(1.0"), ValueError, "stimulus 'Pulse\\(1.0' is not a stimulus description"),
        (dict(stimulus=None), TypeError, "stimulus must be a stimulus"),
        (dict(stimulus=1.0), TypeError, r"stimulus must be a stimulus \(hhlib.Pulse, .* or its text, e.g. "
                                        r"'Pulse\(1.0\)', got 1.0"),
    ]
    for kwargs, exc, match in cases:
        with pytest.raises(exc, match=match):
            NormalisedSetup(**kwargs)


def test_the_unit_charge_sets_the_fittable_stimulus_range():
    bi = NormalisedSetup(stimulus=BIPHASIC)                          # two 0.1 ms phases: twice the charge
    assert bi.unit_charge_uA_ms == pytest.approx(0.2, rel=1e-12)
    assert stimulus_range(bi)[0] == pytest.approx(stimulus_range()[0] / 2, rel=1e-12)
    ramp = NormalisedSetup(stimulus=hhlib.Ramp(1.0, duration_ms=0.4))
    assert ramp.unit_charge_uA_ms == pytest.approx(0.2, rel=1e-12)   # half of 0.4 ms
    step = NormalisedSetup(stimulus=Pulse(1.0, 0.5, math.inf))        # a current step: up to t_end_ms
    assert step.unit_charge_uA_ms == pytest.approx(1.5, rel=1e-12)
    pair = NormalisedSetup(stimulus=Pulse(5e-8) + Pulse(1.0).at(1.0), vary=1)
    assert pair.unit_charge_uA_ms == pytest.approx(0.1, rel=1e-12)    # the probe's only


def test_predict_with_the_default_stimulus_is_the_old_single_pulse_prediction():
    x = np.array([0.9, 1.0, 1.1])
    r = hhlib.predict(1.95, 3.24, x, n_trials=300, seed=2, return_latency=True)
    res = hhlib.simulate(hhlib.SEED_MODEL, Pulse(DEFAULT_SETUP.amplitude_uA(1.95, x)), DEFAULT_SETUP.area_cm2(3.24),
                         300, seed=2, stream_ids=np.arange(3))
    np.testing.assert_array_equal(r.firing_probability, res.firing_probability)
    np.testing.assert_array_equal(r.latency_ms, res.latency_ms)
    np.testing.assert_array_equal(r.n_fired, res.n_fired)


def test_predict_scales_the_protocols_stimulus_anodic_biphasic_or_a_train():
    x = np.array([0.8, 1.0, 1.3])
    for stim in (Pulse(-1.0), BIPHASIC, PulseTrain(Pulse(1.0, 0.1, 0.05), rate_pps=2000, n_pulses=3)):
        setup = NormalisedSetup(stimulus=stim)
        r = hhlib.predict(0.5, 1.0, x, n_trials=200, seed=3, setup=setup, return_latency=True)
        amp = setup.amplitude_uA(0.5, x)
        res = hhlib.simulate(setup.model, stim.with_amplitude(float(stim.amplitude_uA) * amp), setup.area_cm2(1.0),
                             200, seed=3, stream_ids=np.arange(3))
        np.testing.assert_array_equal(r.firing_probability, res.firing_probability)
        np.testing.assert_array_equal(r.latency_ms, res.latency_ms)


def test_predict_of_a_probe_counts_spikes_beyond_the_conditioners_in_the_same_trial():
    setup = NormalisedSetup(stimulus=Pulse(1.5 * 7.0e-8) + Pulse(1.0).at(1.6), vary=1, t_end_ms=3.0)
    x = np.array([0.25, 0.5, 1.0, 2.0])
    r = hhlib.predict(0.0, 0.0, x, n_trials=200, seed=5, setup=setup, return_latency=True)
    # by hand: the conditioner alone and the pair, same streams
    stim = Pulse(1.5 * 7.0e-8) + Pulse(setup.amplitude_uA(0.0, x)).at(1.6)
    base = hhlib.simulate(setup.model, Pulse(np.full(4, 1.5 * 7.0e-8)) + Pulse(np.zeros(4)).at(1.6), 1e-9, 200,
                          seed=5, stream_ids=np.arange(4), t_end_ms=3.0)
    pair = hhlib.simulate(setup.model, stim, 1e-9, 200, seed=5, stream_ids=np.arange(4), t_end_ms=3.0)
    fired = pair.spike_counts > base.spike_counts
    np.testing.assert_array_equal(r.firing_probability, fired.mean(axis=-1))
    assert base.firing_probability.min() > 0.9                        # the conditioner alone fires
    assert r.firing_probability[0] < 0.05 and r.firing_probability[-1] == 1.0
    # noise-free, the probe fires exactly above the threshold of the probe after this conditioner
    thr = hhlib.threshold_current(hhlib.SEED_MODEL, 1e-9, stimulus=setup.stimulus, vary=1, t_end_ms=3.0)
    quiet = dataclasses.replace(setup, noise=False)
    edge = hhlib.predict(0.0, 0.0, thr / 1e-7 * np.array([0.999, 1.001]), n_trials=1, setup=quiet)
    np.testing.assert_array_equal(edge, [0.0, 1.0])
    extra = np.take_along_axis(pair.spike_times_ms, np.minimum(base.spike_counts, 4)[..., None], -1)[..., 0]
    expected = hhlib.stats.latency_stats(np.where(fired, extra, np.nan), 1.6)      # the spike the probe adds
    np.testing.assert_allclose(r.latency_ms[1:], expected.latency_ms[1:], rtol=1e-12)
    fired2, first = simulate_responses(setup, setup.amplitude_uA(0.0, x), 1e-9, 200, seed=5, stream_ids=np.arange(4))
    np.testing.assert_array_equal(fired2, fired)
    assert np.all(first[fired2] >= 1.6) and np.all(np.isnan(first[~fired2]))


# ----------------------------------------------------------------------------- sweep
def test_sweep_takes_a_stimulus_and_splits_its_parts_amplitudes():
    areas = np.array([[1e-9], [2e-9]])
    pair = Pulse(np.array([2e-8, 4e-8, 6e-8])) + Pulse(np.array([5e-8, 6e-8, 7e-8])).at(0.3)
    r = hhlib.sweep(hhlib.SEED_MODEL, pair, areas, 300, seed=4, n_pieces=4)
    res = hhlib.simulate(hhlib.SEED_MODEL, pair, areas, 300, seed=4)
    np.testing.assert_array_equal(r.n_fired, res.n_fired)
    np.testing.assert_array_equal(r.latency_ms, res.latency_ms)            # from the stimulus onset (0.1 ms)
    assert r.amplitude_uA.shape == (2, 2, 3) and r.amplitude_uA[1, 1, 2] == 7e-8
    assert repr(r.stimulus) == repr(pair)
    with pytest.raises(ValueError, match="delay_ms = 0.10125 ms is not a whole number of time steps"):
        hhlib.sweep(hhlib.SEED_MODEL, Pulse(7e-8).at(0.10125), 1e-9, 10)
    with pytest.raises(TypeError, match="stimulus must be a stimulus"):
        hhlib.sweep(hhlib.SEED_MODEL, "Pulse(7e-8)", 1e-9, 10)


# ----------------------------------------------------------------------------- fit, end to end
@pytest.fixture(scope="module")
def biphasic_data():
    """Synthetic counts of a biphasic pulse (anodic phase after a 0.05 ms gap) at delta_v = 1, delta_area = 2."""
    setup = NormalisedSetup(stimulus=BIPHASIC)
    thr = hhlib.threshold_current(hhlib.SEED_MODEL, setup.area_cm2(2.0), stimulus=BIPHASIC)
    x = np.round(thr / setup.amplitude_uA(1.0, 1.0) * np.linspace(0.85, 1.15, 9), 6)
    p = hhlib.predict(1.0, 2.0, x, n_trials=400, seed=11, setup=setup)
    k = np.round(p * 400).astype(int)
    return FiringData(x, k, np.full(9, 400), source="synthetic biphasic", protocol=Protocol(BIPHASIC)), thr


@pytest.mark.slow
def test_fit_of_synthetic_biphasic_data_recovers_the_truth(biphasic_data):
    data, thr = biphasic_data
    assert thr > 3 * 7.0e-8                            # the anodic phase raises the threshold above the monophasic
    r = hhlib.fit(data, seed=0)
    assert r.converged and r.setup.stimulus.parts[0].gap_ms == 0.05
    assert r.delta_v_ci[0] < 1.0 < r.delta_v_ci[1] and r.delta_area_ci[0] < 2.0 < r.delta_area_ci[1]
    assert r.p_value > 0.001
    # the monophasic setup would put the curve elsewhere: the protocol is really used
    mono = hhlib.predict(r.delta_v, r.delta_area, data.x, n_trials=400, seed=1)
    assert hhlib.deviance_loss(mono, data) > 10 * r.deviance


def test_the_protocol_is_written_read_and_used_by_the_command_line(biphasic_data, tmp_path):
    data, _ = biphasic_data
    path = save_data(data, tmp_path / "bi.csv")
    assert "# stimulus: BiphasicPulse(1.0, phase_duration_ms=0.1, gap_ms=0.05, delay_ms=0.1, cathodic_first=True)\n" \
        in path.read_text()
    r = _cli("predict", "--data", str(path), "--delta-v", "1", "--delta-area", "2", "--runs", "300", "--seed", "2",
             "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    ref = hhlib.predict(1.0, 2.0, data.x, n_trials=300, seed=2, setup=setup_for_data(load_data(path)))
    assert out["predicted"] == pytest.approx(list(ref), abs=1e-12) and out["stimulus"] == repr(BIPHASIC)
    # --stimulus overrides the data's protocol (here with the monophasic pulse, whose threshold is lower)
    r = _cli("predict", "--data", str(path), "--delta-v", "1", "--delta-area", "2", "--runs", "300", "--seed", "2",
             "--json", "--stimulus", "Pulse(1.0)")
    mono = hhlib.predict(1.0, 2.0, data.x, n_trials=300, seed=2)
    assert json.loads(r.stdout)["predicted"] == pytest.approx(list(mono), abs=1e-12)
    assert np.all(mono >= ref) and mono.mean() > ref.mean() + 0.25
    assert json.loads(r.stdout)["stimulus"] == "Pulse(1.0, delay_ms=0.1, duration_ms=0.1)"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "hhlib", *args], capture_output=True, text=True, timeout=300,
                          cwd=ROOT)


def test_the_command_line_reads_a_pair_and_its_vary(tmp_path):
    r = _cli("predict", "--runs", "50", "--seed", "1", "--stimulus", "Pulse(1.5e-08) + Pulse(1.0, 1.1)", "--vary",
             "1", "--delta-v", "1", "--delta-area", "2")
    assert r.returncode == 0, r.stderr
    assert ("stimulus Pulse(1.5e-08, delay_ms=0.1, duration_ms=0.1) + Pulse(1.0, delay_ms=1.1, duration_ms=0.1), "
            "the stimulus values scale part 1") in r.stdout
    assert "latency: mean time of the first spike after the onset of part 1" in r.stdout


@pytest.mark.parametrize("args,needle", [
    (("--stimulus", "Pulse(1.0"), "argument --stimulus: stimulus 'Pulse(1.0' is not a stimulus description"),
    (("--stimulus", "os.system('ls')"), "argument --stimulus: stimulus \"os.system('ls')\": 'os.system' is not a "
                                        "stimulus (Pulse, BiphasicPulse"),
    (("--stimulus", "Pulse(1.0, 1.95)"), "--stimulus Pulse(1.0, delay_ms=1.95, duration_ms=0.1), --vary None: "
                                         "Pulse(1.0, delay_ms=1.95, duration_ms=0.1) ends at 2.05 ms"),
    (("--stimulus", "Pulse([1.0, 2.0])"), "stimulus is a shape of unit amplitude"),
    (("--vary", "1"), "--vary 1: vary must be an integer >= -1 and <= 0, got 1"),
    (("--vary", "-1"), "argument --vary: must be a part index, an integer >= 0, got '-1'"),
])
def test_bad_stimulus_text_exits_2_with_one_line(args, needle):
    r = _cli("predict", "--runs", "10", "--seed", "1", *args)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and needle in r.stderr, r.stderr


# ----------------------------------------------------------------------------- no pulse timings above hhlib.stimulus
def test_no_delay_or_duration_pairs_above_the_stimulus_module():
    """The setup layer (normalised, fit, sweep, the command line) and the figures take stimulus objects, never
    (delay, duration) pairs of their own. The studies build their stimuli with the stimulus module's constructors
    (``Pulse(a, delay_ms=..., duration_ms=...)``, trains of a given length), so they are not listed."""
    files = [ROOT / "hhlib" / f"{m}.py" for m in ("normalised", "fit", "sweep", "cli")]
    files += sorted((ROOT / "hhlib" / "viz").glob("*.py"))
    hits = [f"{f.name}:{i}" for f in files for i, line in enumerate(f.read_text().splitlines(), 1)
            if re.search(r"delay_ms|duration_ms", line)]
    assert hits == []


def test_old_setup_fields_are_gone_with_a_clear_error():
    with pytest.raises(TypeError, match="delay_ms"):
        NormalisedSetup(delay_ms=0.2)
    with pytest.raises(TypeError, match="delay_ms"):
        dataclasses.replace(DEFAULT_SETUP, delay_ms=0.2)
