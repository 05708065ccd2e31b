"""hhlib.studies.pulse_trains: the cases and variants, and every builder on small parameters with numbers
(seeded: the same seed gives the same arrays)."""
import numpy as np
import pytest

import hhlib
from hhlib.studies import cache
from hhlib.studies import pulse_trains as pt

BUILDERS = (pt.recovery_curves, pt.facilitation_curves, pt.accommodation, pt.adaptation, pt.train_responses,
            pt.am_response)


def test_every_builder_is_registered_with_serialisable_defaults():
    for b in BUILDERS:
        assert b.cache_name.startswith("pulse_trains_")
        cache.canonical_params(b.cache_defaults)
    assert len({b.cache_name for b in BUILDERS}) == 6


def test_cases_and_variants():
    model, area, noise = pt.trial_case("NEGM_BRUCE2014-no-klt")
    assert area == hhlib.models.negm_bruce2014.NODE_AREA_CM2 and noise.method == "diffusion"
    klt = {c.name: c.g_max for c in model.currents}
    assert klt["klt"] == 0.0 and klt["hcn"] == pytest.approx(27.59, abs=0.01)
    # rest stays an exact fixed point: the recomputed leak balances the other currents at V = 0
    gates = model.steady_state(0.0)
    total = sum(float(g * (0.0 - e)) for g, e in zip(model.conductances(gates, 0.0), model.reversals(), strict=True))
    assert abs(total) < 1e-9
    seed = pt.trial_case("SEED_MODEL")
    assert seed[1] == 1e-9 and seed[2] is True
    with pytest.raises(ValueError, match=r"model name 'XYZ' is not one of \['SEED_MODEL'"):
        pt.trial_case("XYZ")
    with pytest.raises(ValueError, match=r"current 'kslow' is not a gated current of SRB1995; choose from "
                                         r"\['k', 'ks', 'na'\]"):
        pt.without_currents(hhlib.models.SRB1995, "kslow")


def test_recovery_curves():
    """SEED_MODEL: probe threshold 2.53 x at 1 ms, 0.884 x at 1.5 ms (supernormal); a 1.5 x probe never fires at
    1 ms and always at 1.5 ms (Wilson intervals given); the same seed gives the same counts."""
    r = pt.recovery_curves(models=("SEED_MODEL",), intervals_ms=(1.0, 1.5), conditioner=1.5, probe_level=1.5,
                           n_trials=50, seed=3)
    np.testing.assert_allclose(r["SEED_MODEL_ratio"], (2.532, 0.884), atol=2e-3)
    assert r["SEED_MODEL_n"].tolist() == [50, 50]
    np.testing.assert_array_equal(r["SEED_MODEL_p"], [0.0, 1.0])
    assert r["SEED_MODEL_high"][0] < 0.08 and r["SEED_MODEL_low"][1] > 0.92
    again = pt.recovery_curves(models=("SEED_MODEL",), intervals_ms=(1.0, 1.5), conditioner=1.5, probe_level=1.5,
                               n_trials=50, seed=3)
    np.testing.assert_array_equal(again["SEED_MODEL_p"], r["SEED_MODEL_p"])


def test_facilitation_curves_with_dynes():
    """SRB1995: 0.298 at 0.1 ms rising to 1.0 at 0.3 ms; Dynes (1996) subthreshold maskers: 0.27-0.40 below
    0.12 ms."""
    r = pt.facilitation_curves(models=("SRB1995",), intervals_ms=(0.1, 0.2, 0.3), conditioner=0.9)
    np.testing.assert_allclose(r["SRB1995_ratio"], (0.298, 0.801, 1.000), atol=2e-3)
    early = r["dynes_ratio"][r["dynes_interval_ms"] < 0.12]
    assert early.size == 5 and np.all((early > 0.26) & (early < 0.42))
    assert set(np.unique(r["dynes_masker_dB"])) == {-2.0, -0.9, -0.4, -0.2}


def test_accommodation():
    """20 ms step at 0.9 x rheobase: NEGM_BRUCE2014 1.231 x, without KLT 0.876 x; ramps likewise."""
    r = pt.accommodation(models=("NEGM_BRUCE2014", "NEGM_BRUCE2014-no-klt"), fractions=(0.9,), durations_ms=(20.0,))
    assert r["NEGM_BRUCE2014_step"].shape == (1, 1)
    np.testing.assert_allclose([r["NEGM_BRUCE2014_step"][0, 0], r["NEGM_BRUCE2014-no-klt_step"][0, 0]],
                               (1.231, 0.876), atol=2e-3)
    np.testing.assert_allclose([r["NEGM_BRUCE2014_ramp"][0, 0], r["NEGM_BRUCE2014-no-klt_ramp"][0, 0]],
                               (1.217, 0.829), atol=2e-3)
    assert float(r["NEGM_BRUCE2014_rheobase_uA"]) == pytest.approx(1.662e-5, rel=2e-3)


def test_adaptation():
    """SEED_MODEL at threshold, 1000 pulses/s: ~370 Hz at onset and sustained, drop interval holds 0."""
    kw = dict(models=("SEED_MODEL",), rate_pps=1000.0, levels=(1.0,), duration_ms=300.0, onset_ms=50.0,
              sustained_ms=150.0, n_trials=30, seed=1)
    r = pt.adaptation(**kw)
    on, ss, drop = r["SEED_MODEL_onset_hz"], r["SEED_MODEL_sustained_hz"], r["SEED_MODEL_drop_hz"]
    assert on.shape == (1, 3) and on[0, 1] <= on[0, 0] <= on[0, 2]
    assert 320 < on[0, 0] < 420 and 320 < ss[0, 0] < 420 and drop[0, 1] <= 0 <= drop[0, 2]
    np.testing.assert_array_equal(pt.adaptation(**kw)["SEED_MODEL_drop_hz"], drop)


def test_train_responses():
    """SEED_MODEL at 1.2 x: at 250 pulses/s the efficiency is high and intervals are 1 period; at 5000 pulses/s
    no interval is shorter than 3 periods, the efficiency is low and the locking is gone."""
    r = pt.train_responses(models=("SEED_MODEL",), rates_pps=(250.0, 5000.0), levels=(1.2,), duration_ms=40.0,
                           onset_ms=20.0, n_trials=30, seed=0)
    hist = r["SEED_MODEL_isi_hist"]
    assert hist.shape == (2, 1, 10)
    np.testing.assert_allclose(hist.sum(-1), 1.0, rtol=1e-12)
    assert hist[0, 0].argmax() == 0 and np.all(hist[1, 0, :2] == 0)
    eff = r["SEED_MODEL_efficiency"]
    assert eff[0, 0] > 0.7 and eff[1, 0] < 0.05
    vs = r["SEED_MODEL_vector_strength"]
    assert vs[0, 0] > 0.98 and vs[1, 0] < 0.3
    assert 0.15 < r["SEED_MODEL_latency_first_ms"][0, 0] < 0.35 and r["SEED_MODEL_jitter_first_ms"][0, 0] < 0.1


def test_am_response_follows_the_envelope():
    """Default AM train (SEED_MODEL, 2000 pulses/s, depth 0.2, 100 Hz): the rate per phase bin correlates with the
    envelope (r > 0.9); the peak-phase rate's interval lies above the trough's."""
    r = pt.am_response(**{**pt.am_response.cache_defaults, "n_trials": 60})
    assert r["rate_hz"].shape == (8,) and r["phase_edges"].shape == (9,)
    assert np.corrcoef(r["rate_hz"], r["envelope"])[0, 1] > 0.9
    assert r["rate_low"][r["envelope"].argmax()] > r["rate_high"][r["envelope"].argmin()]
    assert float(r["modulation_vs"]) > 0.4
