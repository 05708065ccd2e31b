"""The Markov channel step's binomial draws (hhlib.channels.binomial_draw and the compiled
hhlib.engines.numba_channels.binomial_draw): the binomial law, the regimes, numpy = numba, the stream contract.

Independent references: scipy's binomial distribution (pmf, cdf, quantile), chi-square goodness of fit over
``DRAWS`` draws per case (bins of >= 50 expected draws), the mean and variance to their standard errors.
Seeds are fixed, so every assertion below is deterministic.
"""
import numpy as np
import pytest
from scipy import stats

import hhlib
from hhlib import ChannelNoise, Pulse, simulate
from hhlib import channels as ch

nb = pytest.importorskip("hhlib.engines.numba_channels")
numba = pytest.importorskip("numba")
DRAWS = 200_000
#: (n, p): both regimes (inversion below MU_REJECTION, BTRS above), p near 0, 1/2 and 1, n up to 10^6.
CASES = ((10**6, 1e-4), (10**6, 0.5), (10**6, 1 - 1e-5), (10**6, 0.3), (170_000, 0.02), (3000, 0.999),
         (1000, 0.5), (300, 0.1), (120, 0.1), (50, 0.7), (40, 0.2), (20, 0.05))


@numba.njit
def _compiled(u, n, p):
    out = np.empty(u.size, dtype=np.int64)
    for i in range(u.size):
        out[i] = nb.binomial_draw(u[i], n[i], p[i])
    return out


def compiled(u, n, p):
    u, n, p = np.broadcast_arrays(np.asarray(u, float), np.asarray(n, np.int64), np.asarray(p, float))
    return _compiled(np.ascontiguousarray(u), np.ascontiguousarray(n), np.ascontiguousarray(p))


def chi_square_p(x, n, p):
    """p-value of Pearson's chi-square of the draws ``x`` against Bin(n, p), bins of >= 50 expected draws."""
    law = stats.binom(n, p)
    lo, hi = int(law.ppf(1e-9)), int(law.isf(1e-9))
    edges, acc = [lo], 0.0
    for k in range(lo, hi + 1):
        acc += law.pmf(k) * x.size
        if acc >= 50:
            edges.append(k + 1)
            acc = 0.0
    edges[-1] = hi + 1
    cdf = law.cdf(np.array(edges) - 1)
    cdf[0], cdf[-1] = 0.0, 1.0
    expected = np.diff(cdf) * x.size
    observed = np.histogram(np.clip(x, lo, hi), bins=np.array(edges) - 0.5)[0]
    return stats.chi2.sf(((observed - expected) ** 2 / expected).sum(), len(expected) - 1)


@pytest.mark.parametrize(("n", "p"), CASES)
def test_draws_follow_the_binomial_law(n, p):
    """Chi-square p > 1e-3 for numpy and compiled draws; mean and variance within 4 standard errors."""
    u = np.random.default_rng(n % 1009 + int(p * 1000)).random(DRAWS)
    x = ch.binomial_draw(u, n, p)
    np.testing.assert_array_equal(compiled(u, n, p), x)            # the same draws (rounding of logs aside)
    assert chi_square_p(x, n, p) > 1e-3
    mean, var = n * p, n * p * (1 - p)
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / x.size)
    kurt = (1 - 6 * p * (1 - p)) / var                              # excess kurtosis of Bin(n, p)
    assert abs(x.var(ddof=1) - var) < 4 * var * np.sqrt((2 + kurt) / x.size)


def test_rejection_regime_cost_does_not_grow_with_n():
    """BTRS accepts most pairs: at n = 10^3 ... 10^9 (p = 0.3) the draws use on average < 1.4 pairs of uniforms
    (inversion would need ~10 sqrt(n p) pmf steps: 150 ... 1.5e5)."""
    u = np.random.default_rng(3).random(20000)
    for n in (10**3, 10**6, 10**9):
        assert 1.0 <= _pairs_per_draw(u, n, 0.3) < 1.4, n


def _pairs_per_draw(u, n, p):
    """Mean pairs of uniforms a BTRS draw of Bin(n, p) uses (the numpy reference's candidates, counted)."""
    calls = []
    original = ch._btrs_accepts

    def counting(t, *args):
        calls.append(t.size)
        return original(t, *args)
    ch._btrs_accepts = counting
    try:
        ch._btrs(u, np.full(u.size, n, dtype=np.int64), np.full(u.size, p))
    finally:
        ch._btrs_accepts = original
    return sum(calls) / u.size


def test_edges_are_exact():
    """p = 0 gives 0, p = 1 gives n, n = 0 gives 0, in both regimes and both implementations."""
    u = np.random.default_rng(1).random(1000)
    for n in (0, 1, 7, 50, 10**6, 2**40):
        for p, want in ((0.0, 0), (1.0, n)):
            assert np.all(ch.binomial_draw(u, n, p) == want)
            assert np.all(compiled(u, n, p) == want)
            assert nb.binomial_draw(0.0, n, p) == want
    assert np.all(ch.binomial_draw(u, 0, 0.4) == 0)


def test_a_uniform_of_exactly_zero_or_its_neighbour_draws_a_valid_count():
    """u = 0 puts BTRS's first point on the hat's pole (us = 0, t = -inf: rejected, next pair): the compiled
    draw returns the numpy reference's count instead of raising ZeroDivisionError (numba's default error
    model did). Counts pinned (the SplitMix64 stream of the draw's uniform); the last case is inversion,
    F^-1(0) = 0."""
    n = np.array([100_000, 100_000, 1000, 50, 40])
    p = np.array([0.3, 0.7, 0.02, 0.5, 0.9])
    got = compiled(np.zeros(n.size), n, p)
    np.testing.assert_array_equal(got, [29972, 70028, 19, 24, 0])
    np.testing.assert_array_equal(got, ch.binomial_draw(np.zeros(n.size), n, p))


@pytest.mark.parametrize("u", [2.0**-53, 1e-15, 1 - 2.0**-53])
def test_inversion_within_rounding_of_the_cdfs_ends_stays_in_the_tail(u):
    """Where ``u`` (or ``1 - u`` after the complement for p > 1/2) lies within the CDF's rounding of 1, the
    compiled search stops where the CDF stops growing (the tail beyond is below its rounding) instead of
    running on to n: the draw lies within 2 of the numpy reference's (incomplete beta, no complement) and of
    scipy's quantile; it was 0 for Bin(40, 0.9) at u = 2^-53 (true quantile 15)."""
    n = np.array([40, 40, 200, 1000, 100, 20])
    p = np.array([0.9, 0.1, 0.97, 0.995, 0.05, 0.6])
    got = np.array([nb.binomial_inverse(u, int(k), float(q)) for k, q in zip(n, p, strict=True)])
    assert np.all(np.abs(got - ch.binomial_inverse(np.full(n.size, u), n, p)) <= 2)
    assert np.all(np.abs(got - stats.binom(n, p).ppf(u)) <= 2)
    if u == 2.0**-53:
        np.testing.assert_array_equal(compiled(np.full(2, u), n[:2], p[:2]), got[:2])   # the channel step's draw


def test_regimes_inversion_below_the_threshold_btrs_above():
    """Below MU_REJECTION (of the smaller tail) the draw is the exact inversion F^-1(u) (scipy's quantile);
    above, BTRS on min(p, 1 - p), complemented for p > 1/2."""
    rng = np.random.default_rng(5)
    u = rng.random(4000)
    n = rng.integers(1, 400, 4000)
    p = rng.random(4000)
    small = n * np.minimum(p, 1 - p) < ch.MU_REJECTION
    assert 500 < small.sum() < 3500
    x = ch.binomial_draw(u, n, p)
    np.testing.assert_array_equal(x[small], stats.binom.ppf(u[small], n[small], p[small]))
    q = np.minimum(p, 1 - p)[~small]
    y = ch._btrs(u[~small], n[~small], q)
    np.testing.assert_array_equal(x[~small], np.where(p[~small] > 0.5, n[~small] - y, y))
    assert ch.MU_REJECTION == nb.MU_REJECTION == 12.0


def test_numpy_and_compiled_draws_agree():
    """The numpy reference and the compiled draws are the same integers over 3e5 random (u, n, p), n to 10^8.
    The squeeze is plain arithmetic (bit-identical); only the rare slow path's logarithms (numpy's vs libm's)
    could differ in the last bit, flipping a draw with probability ~1e-16: none here."""
    rng = np.random.default_rng(7)
    u = rng.random(300_000)
    n = np.concatenate([rng.integers(0, 100, 100_000), rng.integers(0, 10**5, 100_000),
                        rng.integers(0, 10**8, 100_000)])
    p = np.concatenate([rng.random(150_000) ** 3, rng.random(150_000)])
    np.testing.assert_array_equal(compiled(u, n, p), ch.binomial_draw(u, n, p))


BTRS_AREA = 17_000 / 600 / 1e8          # 17 000 Na channels: most of the step's large draws by BTRS


@pytest.mark.parametrize("n_threads", [1, 2])
def test_same_seed_same_counts_any_chunking_threads_and_engine(n_threads):
    """One uniform per draw from the lane's stream, BTRS's further uniforms from SplitMix64 seeded by it: the
    counts of a membrane with 17 000 Na channels do not depend on threads or on the trials run with them; the
    numpy engine (exact rates where numba interpolates rate tables: transition probabilities differ in the
    last digits, as in test_channel_noise's engine comparison) gives the same counts in >= 99 % of trials."""
    amp = hhlib.threshold_current(hhlib.SEED_MODEL, BTRS_AREA) * np.array([1.0, 1.05])
    kw = dict(seed=3, noise=ChannelNoise(600, 180), t_end_ms=0.8)
    ref = simulate(hhlib.SEED_MODEL, Pulse(amp), BTRS_AREA, 300, engine="numba", n_threads=1, **kw)
    assert 0.2 < ref.firing_probability.mean() < 0.9
    run = simulate(hhlib.SEED_MODEL, Pulse(amp), BTRS_AREA, 270, engine="numba", n_threads=n_threads, **kw)
    np.testing.assert_array_equal(run.spike_counts, ref.spike_counts[:, :270])
    np.testing.assert_array_equal(run.first_spike_ms, ref.first_spike_ms[:, :270])
    if n_threads == 2:
        num = [simulate(hhlib.SEED_MODEL, Pulse(amp), BTRS_AREA, 40, engine="numpy", chunk_lanes=c, **kw)
               for c in (16, 40)]
        np.testing.assert_array_equal(num[0].spike_counts, num[1].spike_counts)
        assert np.mean(num[0].spike_counts == ref.spike_counts[:, :40]) >= 0.99
