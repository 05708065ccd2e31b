"""The joint fit (counts + mean latency), data in physical units, and the synthetic example file."""
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hhlib
from hhlib.data import FiringData, Protocol
from hhlib.fit import _latency_chi2
from hhlib.normalised import DEFAULT_SETUP, NormalisedSetup, setup_for_data

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "hhlib" / "datasets" / "synthetic_latency_uA.csv"     # hhlib.load_data("synthetic_latency_uA")


def synthetic_with_latency(dv, da, seed, n_trials=1000):
    """Counts, mean latency and jitter simulated at known parameters (the shipped data's x)."""
    x = hhlib.load_data().x
    pred = hhlib.predict(dv, da, x, n_trials=n_trials, seed=seed, return_latency=True)
    return FiringData(x, pred.n_fired, np.full(x.size, n_trials), latency_ms=pred.latency_ms, jitter_ms=pred.jitter_ms,
                      source=f"synthetic {dv}, {da}, seed {seed}")


def log_width(ci):
    return math.log1p(ci[1]) - math.log1p(ci[0])


@pytest.mark.slow
def test_adding_latency_narrows_the_area_interval_and_recovers_the_truth():
    truth = (1.96, 3.25)
    data = synthetic_with_latency(*truth, seed=987)            # the fit uses seed 0: other noise
    common = dict(n_trials=4000, validation_n_trials=4000, global_search=False, start=(2.0, 3.3), seed=0)
    counts = hhlib.fit(data, use_latency=False, **common)
    joint = hhlib.fit(data, **common)                          # default: use the latency the data have
    factor = log_width(counts.delta_area_ci) / log_width(joint.delta_area_ci)
    print(counts.summary(), joint.summary(), f"interval of log(1 + delta_area) narrower by x{factor:.3f}", sep="\n")
    assert counts.converged and joint.converged and joint.uses_latency and not counts.uses_latency
    assert joint.delta_area_ci[0] < truth[1] < joint.delta_area_ci[1]
    assert joint.delta_v_ci[0] < truth[0] < joint.delta_v_ci[1]
    assert factor > 1.15                                       # measured 1.29 (delta_area 95 % interval)
    # the model's latencies fit the data's: about chi-square with one degree of freedom per level
    assert joint.latency_dof == 11 and joint.latency_chi2 < 24.7          # chi2 99 % point for 11 dof
    assert math.isnan(counts.latency_chi2) and counts.to_dict()["latency_chi2"] is None


@pytest.mark.slow
def test_the_physical_unit_example_fits_in_microampere_and_square_centimetre():
    data = hhlib.load_data(EXAMPLE)
    r = hhlib.fit(data, n_trials=4000, validation_n_trials=4000)
    print(r.summary())
    assert r.converged and r.uses_latency and r.setup.i_ref_uA == 1.0 and r.setup.a_ref_cm2 == 1e-9
    assert r.area_cm2_ci[0] < 3e-9 < r.area_cm2_ci[1]             # the truth written in the file's notes
    assert r.delta_v_ci[0] < -0.5 < r.delta_v_ci[1]
    assert r.stimulus_scale_uA == pytest.approx(1 + r.delta_v, rel=1e-12)
    assert "physical units" in r.summary() and r.to_dict()["area_cm2"] == pytest.approx(r.area_cm2)


def test_the_example_file_is_what_its_script_makes(tmp_path):
    out = tmp_path / "again.csv"
    r = subprocess.run([sys.executable, str(ROOT / "data" / "examples" / "make_synthetic.py"), str(out)],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == EXAMPLE.read_bytes()
    d = hhlib.load_data(EXAMPLE)
    assert d.stimulus_unit == "uA" and d.has_latency and d.jitter_ms is not None
    assert any(note.startswith("SYNTHETIC data") for note in d.protocol.notes)
    assert d.protocol == Protocol(hhlib.Pulse(1.0, 0.1, 0.1), area_cm2=1e-9, notes=d.protocol.notes)


def test_latency_term_is_the_normal_chi_square_of_the_means():
    data = FiringData([0.9, 1.0, 1.1], [0, 1, 50], [100, 100, 100], latency_ms=[np.nan, 0.5, 0.30],
                      jitter_ms=[np.nan, np.nan, 0.05])
    pred = hhlib.normalised.Prediction(np.array([0.0, 0.1, 0.6]), np.array([np.nan, 0.4, 0.32]),
                                       np.array([np.nan, 0.1, 0.06]), np.array([0, 100, 600]), 1000)
    chi2, dof = _latency_chi2(pred, data)
    assert dof == 1                                              # levels with a jitter (>= 2 spikes) only
    assert chi2 == pytest.approx(0.02**2 / (0.05**2 / 50 + 0.06**2 / 600), rel=1e-12)


def test_setup_follows_the_data_unit_and_protocol():
    d = FiringData([1e-7, 2e-7, 3e-7], [1, 5, 9], [10, 10, 10], stimulus_unit="uA",
                   protocol=Protocol(hhlib.Pulse(1.0, 0.2, 0.05)))
    s = setup_for_data(d)
    assert (s.i_ref_uA, s.a_ref_cm2, s.response_onset_ms) == (1.0, DEFAULT_SETUP.a_ref_cm2, 0.2)
    assert s.stimulus.end_ms == 0.25
    assert setup_for_data(hhlib.load_data()) is DEFAULT_SETUP                   # the shipped data: unchanged
    with pytest.raises(ValueError, match=r"setup.stimulus = Pulse\(1.0, delay_ms=0.1, duration_ms=0.1\) contradicts "
                                         r"the data \(array\), which imply stimulus = Pulse\(1.0, delay_ms=0.2"):
        setup_for_data(d, NormalisedSetup(i_ref_uA=1.0, dt_ms=0.00125))
    # biphasic and anodic protocols, and one part of a pair, are the setup's stimulus now (no longer refused)
    bi = setup_for_data(FiringData([1, 2, 3], [1, 5, 9], [10, 10, 10], protocol=Protocol(hhlib.BiphasicPulse(1.0))))
    assert isinstance(bi.stimulus.parts[0], hhlib.BiphasicPulse) and bi.unit_charge_uA_ms == pytest.approx(0.2)
    anodic = setup_for_data(FiringData([1, 2, 3], [1, 5, 9], [10, 10, 10], protocol=Protocol(hhlib.Pulse(-1.0))))
    assert float(anodic.stimulus_at(3e-7).amplitudes_uA[0]) == -3e-7
    late = Protocol(hhlib.Pulse(1.0) + hhlib.Pulse(1.0, 1.9), vary=1)            # the probe ends at t_end_ms = 2
    assert setup_for_data(FiringData([1, 2, 3], [1, 5, 9], [10, 10, 10], protocol=late)).response_onset_ms == 1.9
    later = Protocol(hhlib.Pulse(1.0) + hhlib.Pulse(1.0, 1.95), vary=1)
    with pytest.raises(ValueError, match=r"the data's protocol \(array\) in the setup: Pulse\(1.0, delay_ms=1.95, "
                                         r"duration_ms=0.1\) ends at 2.05 ms, after the end of the run t_end_ms = 2"):
        setup_for_data(FiringData([1, 2, 3], [1, 5, 9], [10, 10, 10], protocol=later))


@pytest.mark.parametrize("data,kwargs,exc,match", [
    (FiringData([0.9, 1.0, 1.1], [2, 5, 9], [10, 10, 10], latency_ms=[0.4, 0.3, 0.2]), {}, ValueError,
     "latency_ms but no jitter_ms"),
    (FiringData([0.9, 1.0, 1.1], [2, 5, 9], [10, 10, 10]), dict(use_latency=True), ValueError,
     "use_latency=True needs data with a latency_ms column"),
    (FiringData([0.9, 1.0, 1.1], [2, 5, 9], [10, 10, 10], latency_ms=[0.4, 0.3, 0.2], jitter_ms=[0.1, 0.1, 0.1]),
     dict(method="predecessor"), ValueError, "the latency term needs method='profile'"),
    (FiringData([0.9, 1.0, 1.1], [2, 5, 9], [10, 10, 10], latency_ms=[0.4, 0.3, 0.2], jitter_ms=[0.1, 0.1, 0.1]),
     dict(latency_trials=10), ValueError, "latency_trials must be an integer >= 200"),
    (FiringData([0.9, 1.0, 1.1], [2, 5, 9], [10, 10, 10]), dict(use_latency="yes"), TypeError, "use_latency"),
])
def test_joint_fit_arguments_are_checked_before_any_simulation(data, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        hhlib.fit(data, **kwargs)


def test_cli_predict_uses_the_unit_and_protocol_of_the_data():
    r = subprocess.run([sys.executable, "-m", "hhlib", "predict", "--data", str(EXAMPLE), "--delta-v", "-0.5",
                        "--delta-area", "2", "--runs", "200", "--seed", "1", "--json"], capture_output=True, text=True,
                       timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    data = hhlib.load_data(EXAMPLE)
    ref = hhlib.predict(-0.5, 2.0, data.x, n_trials=200, seed=1, setup=setup_for_data(data), return_latency=True)
    assert out["predicted"] == pytest.approx(list(ref.firing_probability))
    assert out["predicted_latency_ms"] == pytest.approx(list(ref.latency_ms), rel=1e-12)
    assert out["measured_latency_ms"] == pytest.approx(list(data.latency_ms))
    assert out["measured_jitter_ms"] == pytest.approx(list(data.jitter_ms))
    # at the truth the curve is the data's, not the shipped setup's (which would put every level at 0 %)
    assert out["deviance"] < 40 and min(out["predicted"][-3:]) > 0.9
