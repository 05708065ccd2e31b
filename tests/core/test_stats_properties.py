"""Property-based tests (Hypothesis) of the binomial statistics: every input either gives a valid
answer, agreeing with scipy or the defining formula, or an exception that names the argument."""
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import special, stats

import hhlib

FAST = settings(max_examples=150, deadline=None)
SLOWER = settings(max_examples=80, deadline=None)


@st.composite
def counts(draw, max_n=10**9):
    n = draw(st.one_of(st.integers(1, 20), st.integers(1, max_n)))
    k = draw(st.one_of(st.sampled_from([0, 1, n - 1, n]).filter(lambda v: 0 <= v <= n), st.integers(0, n)))
    return k, n


levels = st.floats(min_value=0.0, max_value=1.0, exclude_min=True, exclude_max=True)


# --- binomial_ci ----------------------------------------------------------------------------------

@FAST
@given(kn=counts(), level=levels)
def test_wilson_bounds_are_ordered_and_inside_0_1(kn, level):
    k, n = kn
    low, high = hhlib.binomial_ci(k, n, level)
    assert 0.0 <= low <= k / n <= high <= 1.0
    assert (low == 0.0) == (k == 0) or level < 1e-300
    assert (high == 1.0) == (k == n)


@FAST
@given(kn=counts(), level=st.floats(min_value=1e-6, max_value=1 - 1e-6))
def test_wilson_agrees_with_scipy(kn, level):
    k, n = kn
    low, high = hhlib.binomial_ci(k, n, level)
    ref = stats.binomtest(k, n).proportion_ci(level, method="wilson")
    assert abs(low - ref.low) < 1e-9 and abs(high - ref.high) < 1e-9


@FAST
@given(k=st.lists(st.integers(0, 1000), min_size=1, max_size=6), level=levels)
def test_wilson_is_vectorised(k, level):
    low, high = hhlib.binomial_ci(k, 1000, level)
    for i, ki in enumerate(k):
        lo1, hi1 = hhlib.binomial_ci(ki, 1000, level)
        assert low[i] == lo1 and high[i] == hi1


bad_counts = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda v: not (math.isfinite(v) and v == int(v))),
    st.integers(max_value=-1), st.integers(min_value=2**53, max_value=2**64), st.booleans(), st.text(max_size=3),
    st.none())


@FAST
@given(value=bad_counts, which=st.sampled_from(["n_fired", "n_trials"]))
def test_wilson_rejects_bad_counts_naming_them(value, which):
    args = dict(n_fired=1, n_trials=10) | {which: value}
    with pytest.raises((ValueError, TypeError), match=which):
        hhlib.binomial_ci(**args)


@FAST
@given(level=st.one_of(st.floats().filter(lambda v: not 0 < v < 1), st.booleans(), st.text(max_size=3),
                       st.none(), st.integers().filter(lambda v: not 0 < v < 1)))
def test_wilson_rejects_bad_levels_naming_them(level):
    with pytest.raises((ValueError, TypeError), match="level"):
        hhlib.binomial_ci(1, 10, level)


# --- binomial_deviance ----------------------------------------------------------------------------

probabilities = st.one_of(st.floats(min_value=0.0, max_value=1.0), st.sampled_from([0.0, 1.0, 5e-324, 1 - 2**-53]))


@FAST
@given(kn=counts(max_n=10**12), p=probabilities)
def test_deviance_is_nonnegative_and_zero_only_at_k_over_n(kn, p):
    k, n = kn
    dev = hhlib.binomial_deviance(k, n, p)
    assert dev >= 0 and not math.isnan(dev)
    assert (dev == 0) == (p == k / n)
    assert hhlib.binomial_deviance(k, n, k / n) == 0.0
    assert math.isinf(dev) == ((p == 0 and k > 0) or (p == 1 and k < n))


@FAST
@given(kn=counts(max_n=10**6), p=st.floats(min_value=1e-6, max_value=1 - 1e-6))
def test_deviance_is_twice_the_log_likelihood_ratio(kn, p):
    k, n = kn
    ref = 2 * (stats.binom.logpmf(k, n, k / n) - stats.binom.logpmf(k, n, p))
    # scipy's difference of two log-pmfs carries rounding of ~1e-13 of each
    noise = 1e-9 * (1 + abs(stats.binom.logpmf(k, n, p)))
    assert hhlib.binomial_deviance(k, n, p) == pytest.approx(ref, rel=1e-9, abs=noise)


@FAST
@given(kn=counts(max_n=10**6), p=st.floats(min_value=0.0, max_value=1.0), shift=st.integers(1, 4))
def test_deviance_grows_away_from_k_over_n(kn, p, shift):
    k, n = kn
    q = k / n
    nearer = q + (p - q) / 2 ** shift                 # between q and p
    assume(nearer != q and nearer != p)
    assert hhlib.binomial_deviance(k, n, nearer) <= hhlib.binomial_deviance(k, n, p)


@FAST
@given(p=st.one_of(st.floats().filter(lambda v: not 0 <= v <= 1), st.just(float("nan"))))
def test_deviance_rejects_probabilities_outside_0_1(p):
    with pytest.raises(ValueError, match="p_model"):
        hhlib.binomial_deviance([3, 4], [10, 10], [0.5, p])


# --- probit_fit -----------------------------------------------------------------------------------

@SLOWER
@given(x50=st.floats(0.5, 2.0), rs=st.floats(0.01, 0.5), m=st.integers(5, 15),
       lo=st.floats(-2.5, -1.5), hi=st.floats(1.5, 2.5))
def test_probit_fit_recovers_an_exact_curve(x50, rs, m, lo, hi):
    lo = max(lo, -0.9 / rs)                           # keep x > 0
    x = x50 * (1 + rs * np.linspace(lo, hi, m))
    k = np.round(1000 * hhlib.probit_curve(x, x50, rs)).astype(int)
    fit = hhlib.probit_fit(x, k, 1000)
    assert fit.converged and np.isfinite([fit.x50, fit.rs, fit.deviance]).all()
    # counts rounded to 1/1000 move the curve by a fraction of a standard error
    assert fit.x50 == pytest.approx(x50, rel=0.01 * rs) and fit.rs == pytest.approx(rs, rel=0.02)
    assert fit.deviance < 0.05 * m


@st.composite
def count_arrays(draw):
    m = draw(st.integers(2, 10))
    x = draw(st.lists(st.floats(1e-3, 1e3), min_size=m, max_size=m, unique=True))
    n = draw(st.one_of(st.integers(1, 1000), st.lists(st.integers(1, 1000), min_size=m, max_size=m)))
    nn = np.broadcast_to(n, (m,))
    k = [draw(st.one_of(st.integers(0, int(ni)), st.sampled_from([0, int(ni)]))) for ni in nn]
    return np.array(x), np.array(k), n


def _deviance(x, k, n, x50, rs, p0=0.0):
    """The deviance of a curve from scipy's log-cdf and log-sf (exact where P rounds to 0 or 1)."""
    z = (np.asarray(x) / x50 - 1) / rs
    log_p = np.logaddexp(np.log(p0), np.log1p(-p0) + stats.norm.logcdf(z)) if p0 > 0 else stats.norm.logcdf(z)
    log_q = np.log1p(-p0) + stats.norm.logsf(z)
    k, n = np.broadcast_arrays(np.asarray(k, float), np.asarray(n, float))
    sat = special.xlogy(k, k / n) + special.xlogy(n - k, (n - k) / n)
    return float(2 * np.sum(sat - np.where(k > 0, k * log_p, 0) - np.where(n > k, (n - k) * log_q, 0)))


@SLOWER
@given(data=count_arrays(), floor=st.booleans())
def test_probit_fit_of_any_counts_is_valid_or_says_why_not(data, floor):
    x, k, n = data
    try:
        fit = hhlib.probit_fit(x, k, n, floor=floor)
    except ValueError as err:
        assert str(err).startswith("cannot fit: ") or "need at least 3 stimulus levels" in str(err), str(err)
        return
    values = [fit.x50, fit.rs, fit.deviance, fit.p0]
    assert np.all(np.isfinite(values)), fit
    assert fit.x50 > 0 and fit.rs > 0 and fit.deviance >= 0 and 0 <= fit.p0 < 1
    assert fit.dof == x.size - (3 if floor else 2)
    assert isinstance(fit.converged, bool) and (fit.converged or fit.message)
    assert fit.deviance == pytest.approx(_deviance(x, k, n, fit.x50, fit.rs, fit.p0), rel=1e-9, abs=1e-9)
    if fit.converged:                                 # the optimum: moving x50, RS or p0 does not help
        for f50, frs, dp0 in [(1.001, 1, 0), (0.999, 1, 0), (1, 1.001, 0), (1, 0.999, 0), (1, 1, 1e-3)]:
            moved = _deviance(x, k, n, fit.x50 * f50, fit.rs * frs, fit.p0 + (dp0 if floor else 0))
            assert moved >= fit.deviance - 1e-9 * (1 + fit.deviance)


@SLOWER
@given(x=st.lists(st.one_of(st.floats(), st.just(0.0), st.just(-1.0)), min_size=3, max_size=3))
def test_probit_fit_rejects_bad_stimuli_naming_x(x):
    assume(not all(math.isfinite(v) and v > 0 for v in x) or len(set(x)) < 3)
    with pytest.raises(ValueError, match="x"):
        hhlib.probit_fit(x, [1, 5, 9], 10)
