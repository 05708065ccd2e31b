"""The explorer on another model (FH1964 at a 20 µm² node, channel noise of its own): it draws, its noise
options name the setup's noise, and the sliders move the curve as physics says."""
import numpy as np
import pytest

import hhlib
from hhlib import FiringData, NormalisedSetup
from hhlib.models import FH1964
from hhlib.viz.explorer import noise_options

AREA = 20e-8


@pytest.fixture(scope="module")
def setup():
    return NormalisedSetup.for_model(FH1964, AREA)


@pytest.fixture(scope="module")
def explorer(setup):
    x = np.linspace(0.96, 1.04, 5)
    data = FiringData(x, [2, 30, 100, 170, 198], [200] * 5, source="FH1964 test data")
    return hhlib.explore(data, setup=setup, n_trials=300, n_curve=9)


def test_noise_options_name_the_setups_own_noise(setup):
    assert noise_options(setup)[0] == ("channel noise, diffusion (the setup's)", "current")
    assert noise_options(hhlib.DEFAULT_SETUP)[0] == ("current noise (the model's own)", "current")
    assert [k for _, k in noise_options(setup)] == ["current", "diffusion", "markov"]


def test_the_explorer_runs_another_model_and_its_curve_sits_at_x_1(explorer):
    r = explorer.last
    assert 0.98 < r["x50"] < 1.02 and 0.002 < r["rs"] < 0.05       # 20 800 Na channels: RS of a few per mille
    assert "channel noise (diffusion), area 20 µm² = 20,802 Na channels" in explorer.text()


def test_markov_keeps_the_models_densities_and_area(explorer, setup):
    explorer.noise.value = "markov"
    try:
        assert explorer.setup.noise.method == "markov"
        assert explorer.setup.noise.na_per_um2 == setup.noise.na_per_um2
        assert explorer.setup.a_ref_cm2 == AREA and explorer.setup.model is FH1964
    finally:
        explorer.noise.value = "current"
    assert explorer.setup == setup


def test_a_larger_stimulus_scale_moves_the_curve_left(explorer):
    explorer.set_point(0.0, 0.0)
    x50 = explorer.last["x50"]
    explorer.set_point(0.05, 0.0)
    assert explorer.last["x50"] == pytest.approx(x50 / 1.05, rel=1e-9)    # same noise, same thresholds / 1.05
    explorer.set_point(0.0, 0.0)
