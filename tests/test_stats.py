"""Binomial statistics against scipy and closed forms."""
import numpy as np
import pytest
from scipy import stats

import hhlib


@pytest.mark.parametrize("n", [1, 10, 37, 1000])
def test_wilson_interval_matches_scipy_binomtest(n):
    k = np.unique(np.linspace(0, n, 9).round().astype(int))
    low, high = hhlib.binomial_ci(k, n, level=0.95)
    for ki, lo, hi in zip(k, low, high):
        ref = stats.binomtest(int(ki), n).proportion_ci(0.95, method="wilson")
        assert lo == pytest.approx(ref.low, abs=1e-12) and hi == pytest.approx(ref.high, abs=1e-12)


def test_wilson_interval_is_vectorised_and_level_dependent():
    k = np.array([[150, 500], [840, 1000]])
    lo90, hi90 = hhlib.binomial_ci(k, 1000, level=0.90)
    lo99, hi99 = hhlib.binomial_ci(k, 1000, level=0.99)
    assert lo90.shape == (2, 2)
    interior = k < 1000
    assert np.all(lo99 < lo90) and np.all(hi99[interior] > hi90[interior])
    np.testing.assert_allclose(np.r_[hi99[~interior], hi90[~interior]], 1.0, atol=1e-12)
    assert np.all((lo90 <= k / 1000) & (k / 1000 <= hi90))


@pytest.mark.parametrize("bad", [dict(n_fired=11, n_trials=10), dict(n_fired=-1, n_trials=10),
                                 dict(n_fired=1, n_trials=0), dict(n_fired=np.nan, n_trials=10)])
def test_wilson_interval_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="n_"):
        hhlib.binomial_ci(**bad)


def test_deviance_is_twice_the_log_likelihood_ratio():
    k, n = np.array([150, 500, 840]), np.array([1000, 1000, 1000])
    p = np.array([0.14, 0.52, 0.83])
    ll_model = stats.binom.logpmf(k, n, p).sum()
    ll_sat = stats.binom.logpmf(k, n, k / n).sum()
    assert hhlib.binomial_deviance(k, n, p) == pytest.approx(2 * (ll_sat - ll_model), rel=1e-10)
    assert hhlib.binomial_deviance(k, n, k / n) == pytest.approx(0.0, abs=1e-12)


def test_probit_fit_of_the_seed_data():
    # the figures quoted in the project's fitting issue: the floor of any two-parameter sigmoid
    x = np.array([0.92, 0.925, 0.9535, 0.975, 0.9789, 1, 1.02, 1.043, 1.06, 1.078, 1.09])
    k = np.array([150, 170, 269, 360, 377, 500, 583, 690, 761, 827, 840])
    fit = hhlib.probit_fit(x, k, 1000)
    assert fit.x50 == pytest.approx(1.003, abs=5e-4)
    assert fit.rs == pytest.approx(0.081, abs=5e-4)
    assert fit.deviance == pytest.approx(3.9, abs=0.05)
    assert fit.dof == 9 and fit.p_value > 0.9


def test_probit_fit_recovers_simulated_binomial_data():
    rng = np.random.default_rng(0)
    x = np.linspace(0.8, 1.2, 15)
    k = rng.binomial(2000, hhlib.probit_curve(x, 1.02, 0.06))
    fit = hhlib.probit_fit(x, k, 2000)
    assert fit.x50 == pytest.approx(1.02, abs=0.005) and fit.rs == pytest.approx(0.06, rel=0.1)
