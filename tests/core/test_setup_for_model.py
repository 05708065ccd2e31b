"""Any model in the normalised parametrisation: NormalisedSetup.for_model, its noise, and fit/predict on it."""
import numpy as np
import pytest

import hhlib
from hhlib import ChannelNoise, FiringData, NormalisedSetup, predict
from hhlib.models import FH1964
from hhlib.normalised import channel_noise_setup
from hhlib.thresholds import threshold_current

AREA = 20e-8            # cm²: a 20 µm² node, 20 800 Na channels of FH1964 at 20 pS


def test_reference_current_is_the_models_threshold_to_four_digits():
    s = NormalisedSetup.for_model(FH1964, AREA)
    thr = float(threshold_current(FH1964, AREA))
    assert s.a_ref_cm2 == AREA
    assert s.i_ref_uA == float(f"{thr:.4g}")
    assert abs(s.i_ref_uA / thr - 1) < 5e-4
    # the model's own noise where it has one (SEED_MODEL: the predecessor's current noise and reference current)
    seed = NormalisedSetup.for_model(hhlib.SEED_MODEL, 1e-9)
    assert seed.noise is True and seed.i_ref_uA == pytest.approx(7.011e-8, rel=2e-4)


def test_a_model_without_noise_gets_channel_noise_from_its_conductances():
    s = NormalisedSetup.for_model(FH1964, AREA)
    assert isinstance(s.noise, ChannelNoise) and s.noise.method == "diffusion"
    assert s.noise.channel_counts(FH1964, AREA)["na"] == 20802        # 1040.1 per µm² x 20 µm²
    pair = NormalisedSetup.for_model(FH1964, AREA, stimulus=hhlib.Pulse(0.0004) + hhlib.Pulse(1.0).at(2.0),
                                     vary=1, t_end_ms=4.0)
    assert pair.vary == 1 and pair.i_ref_uA > s.i_ref_uA           # the probe 1.9 ms after a conditioner: refractory


def test_channel_noise_setup_keeps_a_channel_setups_areas_and_scales_the_others_by_1000():
    s = NormalisedSetup.for_model(FH1964, AREA)
    m = channel_noise_setup("markov", s)
    assert (m.a_ref_cm2, m.i_ref_uA, m.noise.method) == (s.a_ref_cm2, s.i_ref_uA, "markov")
    d = channel_noise_setup("diffusion")                 # the predecessor's setup: x1000, exactly
    assert (d.a_ref_cm2, d.i_ref_uA) == (1e-6, 1e-4)


def test_predict_on_a_model_setup_puts_the_firing_curve_at_x_1():
    s = NormalisedSetup.for_model(FH1964, AREA)
    p = predict(0.0, 0.0, [0.97, 1.0, 1.03], n_trials=400, seed=3, setup=s)
    assert p[0] < 0.1 and p[2] > 0.9 and 0.2 < p[1] < 0.8


@pytest.mark.parametrize("kwargs, match", [
    (dict(model="FH1964", area_cm2=AREA), "model"),
    (dict(model=FH1964, area_cm2=0.0), "area_cm2"),
    (dict(model=FH1964, area_cm2=AREA, dt_ms=-1.0), "dt_ms"),
])
def test_bad_input_names_the_parameter(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        NormalisedSetup.for_model(**kwargs)


@pytest.mark.slow
def test_fit_recovers_a_known_point_of_another_model():
    """Synthetic FH1964 data (channel noise, 20 µm² node) at delta_v = 0.5, delta_area = 1: threshold at x = 1.33."""
    s = NormalisedSetup.for_model(FH1964, AREA)
    x = np.linspace(1.27, 1.40, 8)
    p = predict(0.5, 1.0, x, n_trials=400, seed=5, setup=s)
    data = FiringData(x, np.round(p * 400).astype(int), np.full(8, 400))
    r = hhlib.fit(data, setup=s, n_trials=1000, seed=1)
    assert r.converged
    for name, truth in (("delta_v", 0.5), ("delta_area", 1.0)):
        lo, hi = getattr(r, f"{name}_ci")
        assert lo < truth < hi, (name, lo, hi)
