"""Binomial statistics against scipy and closed forms."""
import numpy as np
import pytest
from scipy import stats

import hhlib


@pytest.mark.parametrize("n", [1, 10, 37, 1000])
def test_wilson_interval_matches_scipy_binomtest(n):
    k = np.unique(np.linspace(0, n, 9).round().astype(int))
    low, high = hhlib.binomial_ci(k, n, level=0.95)
    for ki, lo, hi in zip(k, low, high, strict=True):
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


# --- binomial_ci: arguments and extremes ------------------------------------------------------

@pytest.mark.parametrize("kwargs,exc,message", [
    (dict(n_fired=2.5, n_trials=10), ValueError, r"n_fired must be whole numbers below 2\*\*53, got \[2.5\]"),
    (dict(n_fired=3, n_trials=10.5), ValueError, "n_trials must be whole numbers"),
    (dict(n_fired=3, n_trials=2**53), ValueError, "n_trials must be whole numbers below 2"),
    (dict(n_fired=11, n_trials=10), ValueError, "n_fired must be <= n_trials, got n_fired = 11 > n_trials = 10"),
    (dict(n_fired=[1, 2], n_trials=[3, 3, 3]), ValueError, "n_fired and n_trials must have broadcastable shapes"),
    (dict(n_fired=3, n_trials=10, level=0.0), ValueError, r"level must be in \(0, 1\), got 0.0"),
    (dict(n_fired=3, n_trials=10, level=1.0), ValueError, r"level must be in \(0, 1\), got 1.0"),
    (dict(n_fired=3, n_trials=10, level=95), ValueError, "level must be in"),
    (dict(n_fired=3, n_trials=10, level=True), TypeError, "level must be a real number"),
    (dict(n_fired=3, n_trials=10, level="0.95"), TypeError, "level must be a real number"),
    (dict(n_fired=True, n_trials=10), TypeError, "n_fired must be real numbers"),
    (dict(n_fired="3", n_trials=10), TypeError, "n_fired must be real numbers"),
])
def test_wilson_interval_names_the_bad_argument(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        hhlib.binomial_ci(**kwargs)


def test_wilson_interval_is_accurate_near_0_and_1_for_huge_n():
    n = 10**9
    k = np.array([0, 1, 2, n // 2, n - 2, n - 1, n])
    low, high = hhlib.binomial_ci(k, n)
    for ki, lo, hi in zip(k, low, high, strict=True):
        ref = stats.binomtest(int(ki), n).proportion_ci(0.95, method="wilson")
        assert lo == pytest.approx(ref.low, rel=1e-9, abs=1e-300) and hi == pytest.approx(ref.high, abs=1e-12)
        assert 0 <= lo <= ki / n <= hi <= 1
    # the small lower bounds to 9 digits, where centre - half cancels: exact roots of the Wilson quadratic
    z2 = stats.norm.ppf(0.975) ** 2
    exact = (2 * 1 + z2 - np.sqrt(z2 * (z2 + 4 * 1 * (n - 1) / n))) / (2 * (n + z2))
    assert low[1] == pytest.approx(exact, rel=1e-9)


def test_wilson_interval_at_extreme_levels_stays_finite():
    lo, hi = hhlib.binomial_ci([0, 3, 10], 10, level=1 - 2**-53)      # z = 8.3 (scipy gives nan here)
    np.testing.assert_allclose(hi[0], 8.3**2 / (10 + 8.3**2), rtol=0.01)
    assert np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and lo[2] > 0 and hi[2] == 1.0
    lo, hi = hhlib.binomial_ci([0, 3, 10], 10, level=1e-300)          # an interval of width ~0
    np.testing.assert_allclose(lo, [0, 0.3, 1.0]) and np.testing.assert_allclose(hi, [0, 0.3, 1.0])


# --- binomial_deviance --------------------------------------------------------------------------

@pytest.mark.parametrize("p,message", [
    (2.0, r"p_model must be probabilities in \[0, 1\], got 2.0"),
    (-0.1, r"p_model must be probabilities in \[0, 1\], got -0.1"),
    (np.nan, r"p_model must be finite \(no NaN or inf\)"),
    ([0.5, np.inf], r"p_model must be finite"),
    ([0.5, 0.5, 0.5], "n_fired, n_trials and p_model must have broadcastable shapes"),
])
def test_deviance_rejects_bad_probabilities(p, message):
    with pytest.raises(ValueError, match=message):
        hhlib.binomial_deviance([5, 5], 10, p)


def test_deviance_is_infinite_only_where_the_model_excludes_the_data():
    assert hhlib.binomial_deviance(1, 10, 0.0) == np.inf          # fired, but the model says never
    assert hhlib.binomial_deviance(9, 10, 1.0) == np.inf          # failed, but the model says always
    assert hhlib.binomial_deviance([0, 10], 10, [0.0, 1.0]) == 0.0
    # k = 0 at p: exactly -2 n ln(1 - p), down to the smallest p
    assert hhlib.binomial_deviance(0, 10, 0.25) == pytest.approx(-20 * np.log(0.75), rel=1e-14)
    assert hhlib.binomial_deviance(0, 10, 1e-300) == pytest.approx(2e-299, rel=1e-12)
    assert hhlib.binomial_deviance(5, 10, 1e-300) == pytest.approx(
        2 * (stats.binom.logpmf(5, 10, 0.5) - stats.binom.logpmf(5, 10, 1e-300)), rel=1e-12)


def test_deviance_is_exact_next_to_a_perfect_fit():
    # D = n d**2 / (p (1 - p)) to leading order: 4e-15 here, where the closed form gives rounding noise
    assert hhlib.binomial_deviance(500, 1000, 0.5 + 1e-9) == pytest.approx(4e-15, rel=1e-6)
    assert hhlib.binomial_deviance(1, 3, 1 / 3) == 0.0
    assert hhlib.binomial_deviance(1, 3, np.nextafter(1 / 3, 1)) > 0


def test_deviance_loss_rejects_nan_predictions():
    data = hhlib.load_data()
    p = np.full(len(data), 0.5)
    p[3] = np.nan
    with pytest.raises(ValueError, match="p_model must be finite"):
        hhlib.deviance_loss(p, data)


# --- probit_curve and probit_fit ----------------------------------------------------------------

@pytest.mark.parametrize("kwargs,message", [
    (dict(x50=0.0), "x50 must be > 0"), (dict(rs=-0.1), "rs must be > 0"), (dict(rs=np.nan), "rs must be finite"),
    (dict(p0=1.0), r"p0 must be in \[0, 1\)"), (dict(p0=-0.1), r"p0 must be in \[0, 1\)"),
    (dict(x=[1.0, np.nan]), "x must be finite"),
])
def test_probit_curve_checks_its_parameters(kwargs, message):
    args = dict(x=[0.9, 1.0], x50=1.0, rs=0.1) | kwargs
    with pytest.raises(ValueError, match=message):
        hhlib.probit_curve(**args)


def test_probit_curve_with_a_floor():
    x = np.array([0.5, 1.0, 1.5])
    np.testing.assert_allclose(hhlib.probit_curve(x, 1.0, 0.2, p0=0.3),
                               0.3 + 0.7 * stats.norm.cdf((x - 1.0) / 0.2), rtol=1e-15)
    assert hhlib.probit_curve(1.0, 1.0, 0.2, p0=0.3) == pytest.approx(0.65)


@pytest.mark.parametrize("x,k,n,message", [
    ([0.9, np.nan, 1.1], [1, 5, 9], 10, r"x must be finite \(no NaN or inf\)"),
    ([0.9, np.inf, 1.1], [1, 5, 9], 10, "x must be finite"),
    ([0.9, -1.0, 1.1], [1, 5, 9], 10, "x must be > 0"),
    ([0.0, 1.0, 1.1], [1, 5, 9], 10, "x must be > 0"),
    ([0.9, 1.0, 1.0], [1, 5, 9], 10, r"x values must be distinct, got x = 1.0 more than once"),
    ([0.9, 1.0, 1.1], [1, 5], 10, r"n_fired and n_trials must have one value per x \(length 3\)"),
    ([0.9, 1.0, 1.1], [1, 5, 9], [10, 10], "n_fired and n_trials must have broadcastable shapes"),
    ([[0.9, 1.0, 1.1]], [1, 5, 9], 10, r"x must be 1-D, got shape \(1, 3\)"),
    ([0.9, 1.0, 1.1], [1, 5.5, 9], 10, "n_fired must be whole numbers"),
    ([0.9, 1.0, 1.1], [1, 5, 11], 10, "n_fired must be <= n_trials, got n_fired = 11 > n_trials = 10"),
    ([0.9, 1.0, 1.1], [1, 5, 9], 0, "n_trials must be >= 1"),
    ([1.0], [5], 10, r"need at least 2 stimulus levels \(x\) for 2 parameters, got 1"),
])
def test_probit_fit_names_the_bad_argument(x, k, n, message):
    with pytest.raises(ValueError, match=message):
        hhlib.probit_fit(x, k, n)


@pytest.mark.parametrize("k,message", [
    ([0, 0, 0, 0], r"no trial fired at any level \(all n_fired = 0\)"),
    ([10, 10, 10, 10], r"every trial fired at every level \(n_fired = n_trials everywhere\)"),
    ([0, 0, 10, 10], "no level between 0 % and 100 %: firing jumps from 0 % at x = 2 to 100 % at x = 3, so x50 "
                     "lies between them and RS is not identifiable"),
    ([0, 4, 10, 10], "only x = 2 lies between 0 % and 100 %"),
    ([10, 10, 3, 0], r"firing does not rise with x: every level that fired \(x <= 3\) lies at or below every "
                     r"level that failed \(x >= 3\)"),
    ([5, 5, 5, 5], "the firing fraction does not rise with x"),
    ([8, 6, 4, 2], "the firing fraction does not rise with x"),
    ([7, 8, 9, 9], "the data extrapolate to >= 50 % stimulus-driven firing at x = 0"),
])
def test_probit_fit_says_why_data_cannot_be_fitted(k, message):
    x = [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(ValueError, match="cannot fit: " + message):
        hhlib.probit_fit(x, k, 10)


def test_probit_fit_with_a_floor_rejects_a_step_above_the_floor():
    with pytest.raises(ValueError, match="cannot fit: a step from the floor to 100 % between two levels"):
        hhlib.probit_fit([1, 2, 3, 4, 5], [3, 2, 4, 10, 10], 10, floor=True)
    fit = hhlib.probit_fit([1, 2, 3, 4, 5], [3, 2, 4, 10, 10], 10)       # without a floor the curve is finite
    assert np.isfinite(fit.rs) and fit.rs > 0.1


def test_probit_fit_result_is_the_optimum_and_its_deviance():
    x = np.array([0.92, 0.925, 0.9535, 0.975, 0.9789, 1, 1.02, 1.043, 1.06, 1.078, 1.09])
    k = np.array([150, 170, 269, 360, 377, 500, 583, 690, 761, 827, 840])
    fit = hhlib.probit_fit(x[::-1], k[::-1], 1000)                    # order of the levels does not matter
    assert fit.converged and fit.message == "" and fit.p0 == 0.0
    assert fit.deviance == pytest.approx(hhlib.binomial_deviance(k, 1000, hhlib.probit_curve(x, fit.x50, fit.rs)),
                                         rel=1e-9)
    for dx50, drs in [(1e-4, 0), (-1e-4, 0), (0, 1e-4), (0, -1e-4)]:
        moved = hhlib.binomial_deviance(k, 1000, hhlib.probit_curve(x, fit.x50 * (1 + dx50), fit.rs * (1 + drs)))
        assert moved > fit.deviance
    with pytest.raises(TypeError, match="floor must be True or False"):
        hhlib.probit_fit(x, k, 1000, floor=1)


def _floor_data(seed):
    x = np.linspace(0.85, 1.2, 10)
    k = np.random.default_rng(seed).binomial(1000, hhlib.probit_curve(x, 1.0, 0.06, p0=0.3))
    return x, k


def _floor_standard_errors(x, n, x50=1.0, rs=0.06, p0=0.3):
    """Standard errors of (x50, RS, p0) from the expected Fisher information at the truth."""
    z = (x / x50 - 1) / rs
    p = p0 + (1 - p0) * stats.norm.cdf(z)
    dz = (1 - p0) * stats.norm.pdf(z)
    jac = np.array([dz * -x / (x50**2 * rs), dz * -z / rs, 1 - stats.norm.cdf(z)])
    info = (jac * n / (p * (1 - p))) @ jac.T
    return np.sqrt(np.diag(np.linalg.inv(info)))


def test_probit_fit_recovers_a_firing_floor():
    x, k = _floor_data(seed=3)
    se = _floor_standard_errors(x, 1000)                   # about (0.0026, 0.0035, 0.0075)
    fit = hhlib.probit_fit(x, k, 1000, floor=True)
    assert fit.converged and fit.dof == 7
    for est, truth, s in zip((fit.x50, fit.rs, fit.p0), (1.0, 0.06, 0.3), se, strict=True):
        assert abs(est - truth) < 3 * s, (est, truth, s)
    assert fit.deviance == pytest.approx(
        hhlib.binomial_deviance(k, 1000, hhlib.probit_curve(x, fit.x50, fit.rs, fit.p0)), rel=1e-9)
    assert fit.p_value > 0.01
    # without a floor the same data fit visibly worse: the deviance is far beyond chi-square(8)
    plain = hhlib.probit_fit(x, k, 1000)
    assert plain.deviance > fit.deviance + 100 and plain.p_value < 1e-12


def test_probit_fit_floor_estimates_are_unbiased_over_seeds():
    x = np.linspace(0.85, 1.2, 10)
    se = _floor_standard_errors(x, 1000)
    est = np.array([[f.x50, f.rs, f.p0] for f in (hhlib.probit_fit(*_floor_data(s), 1000, floor=True)
                                                  for s in range(40))])
    zscores = (est - [1.0, 0.06, 0.3]) / se
    assert np.all(np.abs(zscores) < 4.5)
    assert np.all(np.abs(zscores.mean(axis=0)) < 0.5)                   # 40 draws: mean z has sd 0.16
    np.testing.assert_allclose(zscores.std(axis=0), 1.0, atol=0.35)      # the standard errors are right


def test_probit_fit_with_a_floor_finds_no_floor_in_data_without_one():
    x = np.array([0.92, 0.925, 0.9535, 0.975, 0.9789, 1, 1.02, 1.043, 1.06, 1.078, 1.09])
    k = np.array([150, 170, 269, 360, 377, 500, 583, 690, 761, 827, 840])
    plain, floored = hhlib.probit_fit(x, k, 1000), hhlib.probit_fit(x, k, 1000, floor=True)
    assert floored.p0 == 0.0 and floored.dof == 8
    assert floored.x50 == pytest.approx(plain.x50, rel=1e-6) and floored.rs == pytest.approx(plain.rs, rel=1e-5)


def test_sigma_quantiles_are_phi_at_minus_one_zero_and_one():
    from scipy.stats import norm

    from hhlib.stats import SIGMA_QUANTILES
    np.testing.assert_allclose(SIGMA_QUANTILES, norm.cdf([-1.0, 0.0, 1.0]), rtol=0, atol=1e-16)


def test_distribution_functions_equal_scipy_stats_to_the_last_bit():
    """chi2_sf, chi2_ppf, norm_ppf, t_ppf (what the core uses instead of importing scipy.stats) are scipy.stats's
    own values, exactly, on a grid that includes the ends of the domain; outside it both give NaN."""
    from hhlib.stats import chi2_ppf, chi2_sf, norm_ppf, t_ppf
    q = np.r_[0.0, 1e-12, 0.025, 0.05, 0.5, 0.95, 0.975, 1 - 1e-12, 1.0][:, None]
    df = np.array([1, 2, 3, 7.5, 10, 99, 1e4])[None, :]
    x = np.r_[0.0, 1e-9, 0.5, 3.84, 5.44, 40.0, 1e3][:, None]
    pairs = [(chi2_sf(x, df), stats.chi2.sf(x, df)), (chi2_ppf(q, df), stats.chi2.ppf(q, df)),
             (t_ppf(q, df), stats.t.ppf(q, df)), (norm_ppf(q), stats.norm.ppf(q))]
    for ours, theirs in pairs:
        np.testing.assert_array_equal(ours, theirs)
    assert chi2_ppf(0.95, 1) == stats.chi2.ppf(0.95, 1) and isinstance(chi2_ppf(0.95, 1), float)
    bad = [(chi2_sf(1.0, 0), stats.chi2.sf(1.0, 0)), (chi2_ppf(0.5, -1), stats.chi2.ppf(0.5, -1)),
           (chi2_ppf(1.5, 2), stats.chi2.ppf(1.5, 2)), (t_ppf(0.5, 0), stats.t.ppf(0.5, 0)),
           (norm_ppf(-0.1), stats.norm.ppf(-0.1))]
    for ours, theirs in bad:
        assert np.isnan(ours) and np.isnan(theirs)


def test_the_command_line_fit_never_imports_scipy_stats():
    """`import hhlib` and a default fit stay off scipy.stats (0.3 s of import per command-line run)."""
    import subprocess
    import sys
    code = ("import sys, hhlib\n"
            "d = hhlib.load_data()\n"
            "r = hhlib.fit(d, n_trials=300, validation_n_trials=300)\n"
            "print(sorted(m for m in sys.modules if m.startswith('scipy.stats')), r.p_value > 0)\n")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["[]", "True"]
