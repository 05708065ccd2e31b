"""The fit converges, says how sure it is, recovers known parameters; the seed's method does not."""
import math

import numpy as np
import pytest
from scipy import stats

import hhlib
from hhlib.data import FiringData
from hhlib.fit import BOX

CHI2_95_9DOF = stats.chi2.ppf(0.95, 9)          # 16.92


@pytest.fixture(scope="module")
def default_fit(shipped_fit):
    return shipped_fit


def within(result, dv, da):
    return (result.delta_v_ci[0] <= dv <= result.delta_v_ci[1]
            and result.delta_area_ci[0] <= da <= result.delta_area_ci[1])


@pytest.mark.slow
def test_fit_of_the_shipped_data_converges_inside_the_box(default_fit):
    r = default_fit
    print(r.summary())
    assert r.converged and r.interior
    assert r.deviance <= CHI2_95_9DOF and r.p_value > 0.05
    assert r.validation_n_trials >= 20000 and r.n_trials >= 10 * 1000
    assert within(r, r.delta_v, r.delta_area)
    # the probit floor of any two-parameter sigmoid is 3.9; with the 20000-trial Monte Carlo
    # inflation (~0.55) a converged fit lands close to it
    assert r.deviance < 3.9 + 6.0
    # the valley: the fitted drive ratio puts x50 near the data's 1.003
    probit = hhlib.probit_fit(r.data.x, np.round(r.validation_prediction * 20000).astype(int), 20000)
    assert probit.x50 == pytest.approx(1.003, abs=0.01)
    assert probit.rs == pytest.approx(0.081, rel=0.1)
    # intervals: finite, ordered, and the joint region contains the estimate
    assert r.delta_v_ci[0] < r.delta_v < r.delta_v_ci[1] and r.delta_area_ci[0] < r.delta_area < r.delta_area_ci[1]
    assert r.contains(r.delta_v, r.delta_area)
    dv_edge, da_edge = r.confidence_region()
    assert not r.contains(dv_edge[0] + 2 * (dv_edge[0] - r.delta_v), da_edge[0] + 2 * (da_edge[0] - r.delta_area))
    # history: global grid first, final stage last, losses are deviances
    stages = [h["stage"] for h in r.history]
    assert stages[0] == "global" and stages[-1] == "final"
    assert r.history[-1]["loss"] == pytest.approx(r.fit_deviance)


STARTS = [(-0.9, -0.9), (9.0, 9.0), (-0.9, 9.0), (9.0, -0.9), (0.0, 0.0), (4.0, 4.0), (-0.5, 5.0), (6.0, 0.5)]


@pytest.mark.slow
def test_converges_from_eight_starts_to_one_optimum(default_fit):
    # 2000 trials in the final stage (not 20000) keep this at ~2 s per start; convergence does not depend on it
    fits = [hhlib.fit(start=s, n_trials=2000, validation_n_trials=5000) for s in STARTS]
    for s, r in zip(STARTS, fits, strict=True):
        assert r.converged
        assert r.history[0]["stage"] == "start"
        assert r.history[0]["delta_v"] == pytest.approx(s[0]) and r.history[0]["delta_area"] == pytest.approx(s[1])
    for a in fits:
        for b in fits:
            assert within(a, b.delta_v, b.delta_area)


@pytest.mark.slow
@pytest.mark.parametrize("start", [(-0.9, -0.9), (9.0, 9.0)])
def test_local_search_alone_also_converges_from_far_starts(default_fit, start):
    r = hhlib.fit(start=start, global_search=False, n_trials=4000, validation_n_trials=5000)
    assert r.converged
    assert within(default_fit, r.delta_v, r.delta_area)
    assert "global" not in {h["stage"] for h in r.history}


def synthetic(dv, da, seed):
    x = hhlib.load_data().x
    p = hhlib.predict(dv, da, x, n_trials=1000, seed=seed)
    return FiringData(x, np.round(p * 1000).astype(int), np.full(x.size, 1000), source=f"synthetic {dv}, {da}")


@pytest.mark.slow
@pytest.mark.parametrize("truth", [(0.76, 1.5), (3.9, 6.0)])
def test_parameter_recovery(truth):
    data = synthetic(*truth, seed=987)                      # the fit uses seed 0: other noise
    r = hhlib.fit(data, n_trials=5000)
    print(truth, r.summary())
    assert r.converged
    assert within(r, *truth)
    assert r.deviance <= CHI2_95_9DOF


@pytest.mark.slow
def test_the_predecessor_method_does_not_converge():
    r = hhlib.fit(method="predecessor")
    h = r.history
    assert not r.converged
    assert len(h) >= 50                                       # used up its evaluation budget
    assert math.hypot(r.delta_v, r.delta_area) < 1e-3        # ... and ended where it started
    # its first finite-difference gradient is sampling noise divided by the 1e-8 step
    g = [(h[i]["loss"] - h[0]["loss"]) / 1e-8 for i in (1, 2)]
    assert max(abs(v) for v in g) > 1e5
    assert h[3]["delta_v"] in BOX or h[3]["delta_area"] in BOX   # jumped to a corner of the box
    # repeated losses at (almost) the same point scatter: 10 trials per level are pure noise
    assert r.deviance > 1000 and r.p_value < 1e-6
    assert np.isnan(r.delta_v_ci[0])


def test_fit_result_json_keys():
    r = hhlib.fit(method="predecessor", validation_n_trials=200)
    d = r.to_dict()
    for key in ("delta_v", "delta_area", "delta_v_ci", "delta_area_ci", "deviance", "p_value", "n_evaluations",
                "seconds", "converged"):
        assert key in d
    assert d["delta_v_ci"] == [None, None]


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(start=(-1.0, 0.0)), ValueError, "delta_v"),
    (dict(start=(0.0, np.nan)), ValueError, "delta_area"),
    (dict(start=(1.0,)), ValueError, "start"),
    (dict(method="bfgs"), ValueError, "method"),
    (dict(data=[1, 2, 3]), TypeError, "data"),
    (dict(n_trials=0), ValueError, "n_trials"),
    (dict(runs=0), ValueError, "runs"),
    (dict(method="seed", n_trials=5), ValueError, "n_trials"),
])
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        hhlib.fit(**kwargs)


def test_old_keyword_names_still_work_with_a_deprecation_warning():
    x = hhlib.load_data().x[:3]
    with pytest.warns(DeprecationWarning, match="n_trials"):
        old = hhlib.predict(1.96, 3.25, x, runs=300, seed=2)
    np.testing.assert_array_equal(old, hhlib.predict(1.96, 3.25, x, n_trials=300, seed=2))
    with pytest.raises(TypeError, match="not both"):
        hhlib.predict(1.96, 3.25, x, runs=300, n_trials=300)


@pytest.mark.slow
def test_a_large_firing_floor_is_reported_not_fitted_silently():
    # a 0.015 µm² membrane: about a quarter of the trials fire with no stimulus at all; a weak pulse can
    # then suppress a spike the noise would have fired later, so per-trial thresholds misstate the curve
    x = hhlib.load_data().x
    p = hhlib.predict(0.7 * 0.15 - 1, -0.85, x, n_trials=1000, seed=987)
    data = FiringData(x, np.round(p * 1000).astype(int), np.full(x.size, 1000), source="synthetic floor")
    floor = hhlib.probit_fit(x, data.n_fired, data.n_trials, floor=True)
    assert floor.p0 > 0.1 and floor.p_value > 0.01                  # the probit summary handles the floor
    r = hhlib.fit(data, n_trials=4000)
    assert not r.converged
    assert "fires without a stimulus" in r.message and "not monotone" in r.message
