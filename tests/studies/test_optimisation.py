"""hhlib.studies.optimisation: the fit's optimum the studies centre on, fit arrays, curves for the plots."""
import numpy as np
import pytest

import hhlib
from hhlib.studies import cache
from hhlib.studies import optimisation as O


def test_fit_optimum_is_the_seeded_fit_rounded_and_is_computed_once(monkeypatch, shipped_fit):
    calls = []
    monkeypatch.setattr(O, "fit", lambda **kw: calls.append(kw) or shipped_fit)
    O._fit_optimum.cache_clear()
    try:
        assert O.fit_optimum() == (round(shipped_fit.delta_v, 3), round(shipped_fit.delta_area, 3))
        assert O.fit_optimum(decimals=2) == (round(shipped_fit.delta_v, 2), round(shipped_fit.delta_area, 2))
        assert calls == [dict(seed=0)]                      # one fit per process and seed, on the shipped data
    finally:
        O._fit_optimum.cache_clear()


def test_fit_arrays_keep_the_path_and_the_stages():
    class Result:
        delta_v, delta_area, delta_v_ci, delta_area_ci = 1.0, 2.0, (0.5, 1.5), (1.5, 2.5)
        deviance, p_value, converged = 7.0, 0.5, True
        history = [dict(stage="predecessor", delta_v=0.0, delta_area=0.0, loss=0.1),
                   dict(stage="predecessor", delta_v=1e-8, delta_area=0.0, loss=0.2),
                   dict(stage="final", delta_v=1.0, delta_area=2.0, loss=7.0)]
    a = O.fit_arrays(Result())
    assert a["stage"].tolist() == [5, 5, 4]
    assert a["path"].shape == (3, 3) and a["ci"].tolist() == [[0.5, 1.5], [1.5, 2.5]]
    stacked = O._stack([a, dict(a, path=a["path"][:2])])
    assert stacked["n_path"].tolist() == [3, 2] and np.isnan(stacked["path"][1, 2]).all()
    assert [r["loss"] for r in O.paths_of(stacked, 1)] == [0.1, 0.2]


def test_synthetic_data_are_hhlib_counts_at_the_given_parameters():
    d = O.synthetic_data(1.0, 2.0, seed=5, n_trials=200)
    p = hhlib.predict(1.0, 2.0, d.x, n_trials=200, seed=5)
    np.testing.assert_array_equal(d.n_fired, np.round(p * 200))
    assert np.all(d.n_trials == 200)


def test_profile_parabola_passes_through_an_exact_parabola():
    class Result:
        profile_w = np.linspace(1.0, 2.0, 5)
        profile_deviance = 3.0 + 40.0 * (profile_w - 1.4) ** 2
    da, dev = O.profile_parabola(Result(), n_points=11)
    assert da[0] == pytest.approx(np.expm1(1.0)) and da[-1] == pytest.approx(np.expm1(2.0))
    np.testing.assert_allclose(dev, 3.0 + 40.0 * (np.log1p(da) - 1.4) ** 2, atol=1e-9)


def test_builders_are_registered():
    for name in ("optimisation_local_fits", "optimisation_recovery"):
        assert cache._REGISTRY[name][0].__module__ == "hhlib.studies.optimisation"
