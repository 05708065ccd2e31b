"""Channel-number noise (hhlib.ChannelNoise): validation, the exact one-step transitions, the stationary
distribution, agreement of the engines, reproducibility, and the large-N limits.

Independent references: the matrix exponential of the particle chain's generator (scipy.linalg.expm),
scipy's binomial quantile function, the binomial stationary distribution (mean ``m_inf^3 h_inf``,
``n_inf^4``, variance ``pi (1 - pi) / N``), the deterministic threshold (``threshold_current``) and the
``N^-1/2`` scaling law. Voltage clamp at rest is obtained with a huge capacitance (``c_m = 1e9 µF/cm²``:
V moves by < 1e-6 mV over the run), so the channels see a fixed V = 0.
"""
import dataclasses

import numpy as np
import pytest
from scipy import linalg, stats

import hhlib
from conftest import CROSS_CPU_RTOL
from hhlib import ChannelNoise, Pulse, simulate
from hhlib import channels as ch
from hhlib.thresholds import trial_thresholds

SEED = hhlib.SEED_MODEL
CLAMPED = dataclasses.replace(SEED, c_m=1e9, name="clamped")          # V stays at rest


def area_for(n_na, density=600.0):
    return n_na / density / 1e8


# ----------------------------------------------------------------------------- the noise object
def test_defaults_and_counts():
    assert ChannelNoise.for_model(hhlib.HH1952).densities == (("na", 60.0), ("k", 18.0))
    assert ChannelNoise.for_model(SEED, gamma_pS=10.0).densities == (("na", 1200.0), ("k", 360.0))
    assert ChannelNoise(600, 180).channel_counts(SEED, 1e-8) == {"na": 600, "k": 180}
    assert ChannelNoise(600, 180).method == "markov"
    assert ChannelNoise(600, None).densities == (("na", 600.0),)


@pytest.mark.parametrize("kwargs, name", [
    (dict(na_per_um2=-1.0, k_per_um2=18.0), "na_per_um2"),
    (dict(na_per_um2=60.0, k_per_um2=float("nan")), "k_per_um2"),
    (dict(na_per_um2=60.0, k_per_um2=0.0), "k_per_um2"),
    (dict(na_per_um2=60.0, k_per_um2=18.0, method="langevin"), "method"),
    (dict(na_per_um2=None, k_per_um2=None), "density"),
])
def test_invalid_noise_names_the_parameter(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        ChannelNoise(**kwargs)


def test_model_and_area_checks():
    with pytest.raises(ValueError, match="area_cm2"):                   # 0.001 µm² holds no channel
        simulate(SEED, Pulse(0.0), 1e-11, 1, noise=ChannelNoise(600, 180))
    no_k = hhlib.Membrane(gates=SEED.gates, currents=SEED.currents[:1] + SEED.currents[2:])
    with pytest.raises(ValueError, match="'k'"):
        simulate(no_k, Pulse(0.0), 1e-8, 1, noise=ChannelNoise(600, 180))
    with pytest.raises(ValueError, match="no gates"):
        simulate(SEED, Pulse(0.0), 1e-8, 1, noise=ChannelNoise(600, None, other_per_um2=(("leak", 5.0),)))
    with pytest.raises(ValueError, match="gamma_pS"):
        ChannelNoise.for_model(SEED, gamma_pS=0.0)


# ----------------------------------------------------------------------------- the exact step
@pytest.mark.parametrize("p, gate", [(3, 0), (1, 1), (4, 2)])
def test_gate_transition_is_the_exact_propagator(p, gate):
    """q = expm(Q dt) of the p-particle birth-death chain (rates (p-k) alpha, k beta), at two voltages."""
    for v, dt in ((0.0, 0.0025), (40.0, 0.01)):
        a, b = (float(r) for r in SEED.rates(v)[gate])
        gen = np.zeros((p + 1, p + 1))
        for k in range(p):
            gen[k, k + 1], gen[k + 1, k] = (p - k) * a, (k + 1) * b
        gen -= np.diag(gen.sum(axis=1))
        (big_a, big_b), = [ch.exact_a_b(SEED, v, dt)[gate]]
        np.testing.assert_allclose(ch.gate_transition(p, big_a, big_b), linalg.expm(gen * dt), rtol=1e-10, atol=1e-14)


def test_binomial_inversion_numpy_and_compiled_against_scipy():
    nb = pytest.importorskip("hhlib.engines.numba_channels")
    rng = np.random.default_rng(0)
    u, p = rng.random(12000), np.concatenate([rng.random(6000) ** 4, rng.random(6000)])
    n = np.concatenate([rng.integers(0, 40, 6000), rng.integers(0, 3_000_000, 6000)])
    ref = stats.binom.ppf(u, n, p)
    assert np.array_equal(ch.binomial_inverse(u, n, p), ref)
    compiled = np.array([nb.binomial_inverse(a, int(b), c) for a, b, c in zip(u, n, p, strict=True)])
    assert np.count_nonzero(compiled != ref) <= 2                       # CDF rounding (~1e-15) only


def test_compiled_draws_are_numpys_sfc64_numbers():
    """The channel kernel's inline SFC64 gives Generator(SFC64).random / .standard_normal bit for bit, the
    ziggurat's rare branches included (|x| > r = 3.654: the tail, ~50 of 2e5 normals), and leaves the
    generator's state where numpy's would be."""
    nb = pytest.importorskip("hhlib.engines.numba_channels")
    for markov, rows, cols in ((True, 256, 52), (False, 1000, 200)):
        gen = np.random.Generator(np.random.SFC64(np.random.SeedSequence(17, spawn_key=(3, 1))))
        state = nb.sfc64_state(gen)
        buf = np.empty((rows, cols))
        nb.fill_block(state, markov, buf, rows, cols)
        ref = gen.random((rows, cols)) if markov else gen.standard_normal((rows, cols))
        assert np.array_equal(buf, ref)
        assert np.array_equal(state, gen.bit_generator.state["state"]["state"])
        if not markov:
            assert np.count_nonzero(np.abs(buf) > 3.6541528853610088) >= 20
    with pytest.raises(TypeError, match="SFC64"):
        nb.sfc64_state(np.random.default_rng(0))


def _stationary_check(method, n_na, n_k, n_lanes, t_end_ms, check_variance=True):
    noise = ChannelNoise(n_na, n_k, method=method)                     # area 1 µm²: N = densities
    res = simulate(CLAMPED, Pulse(0.0), 1e-8, n_lanes, seed=11, noise=noise, record=True, t_end_ms=t_end_ms)
    assert np.abs(res.v_mV).max() < 1e-4
    for name, n in (("na", n_na), ("k", n_k)):
        cur = next(c for c in ch.channel_plan(CLAMPED, noise) if c.name == name)
        pi = float(ch.stationary_distribution(CLAMPED, cur, 0.0)[-1])
        x = res.open_fractions[name]                                   # (lanes, steps + 1)
        lane_means = x.mean(axis=1)
        se_mean = lane_means.std(ddof=1) / np.sqrt(n_lanes)
        assert se_mean < 0.1 * pi                                     # the test can resolve 10 % of the mean
        assert abs(x.mean() - pi) < 4 * se_mean, (name, x.mean(), pi, se_mean)
        if check_variance:
            groups = np.array([g.var(axis=0, ddof=1).mean() for g in np.array_split(x, 16)])
            var, se_var = groups.mean(), groups.std(ddof=1) / 4.0
            expected = pi * (1 - pi) / n
            assert se_var < 0.1 * expected
            assert abs(var - expected) < 4 * se_var, (name, var, expected, se_var)


def test_markov_stationary_open_fractions():
    """Markov at 1000 Na / 300 K channels: mean m_inf^3 h_inf, n_inf^4 and binomial variance, clamped at rest."""
    _stationary_check("markov", 1000, 300, 512, 0.25)


def test_diffusion_stationary_open_fractions():
    """Diffusion: unbiased mean at N_Na = 1000 (few channels open: variance not Gaussian), mean and
    binomial variance at 10^6 Na / 3x10^5 K channels."""
    _stationary_check("diffusion", 1000, 300, 1024, 0.5, check_variance=False)
    _stationary_check("diffusion", 1_000_000, 300_000, 1024, 0.5)


# ----------------------------------------------------------------------------- engines and reproducibility
@pytest.mark.parametrize("method", ["markov", "diffusion"])
def test_engines_agree_trial_by_trial(method):
    """Same seed, same random numbers: the compiled kernel (rate tables) and the numpy engine (exact rates)
    give the same spike count in (almost) every trial; markov spike times are identical."""
    pytest.importorskip("numba")
    amps = 7.01e-8 * 4.25 * np.array([0.9, 1.1])
    kw = dict(seed=4, noise=ChannelNoise(600, 180, method=method), t_end_ms=0.6)
    a = simulate(SEED, Pulse(amps), 4.25e-9, 256, engine="numba", **kw)
    b = simulate(SEED, Pulse(amps), 4.25e-9, 256, engine="numpy", **kw)
    assert 0.2 < a.firing_probability.mean() < 0.98
    assert np.mean(a.spike_counts == b.spike_counts) >= 0.99
    both = np.isfinite(a.first_spike_ms) & np.isfinite(b.first_spike_ms)
    close = np.abs(a.first_spike_ms - b.first_spike_ms)[both] < (1e-9 if method == "markov" else 1e-3)
    assert close.mean() >= 0.99


@pytest.mark.parametrize("method", ["markov", "diffusion"])
def test_same_seed_same_counts_any_chunking_or_threads(method):
    pytest.importorskip("numba")
    amps, noise = 7.01e-8 * 4.25 * np.array([0.9, 1.1]), ChannelNoise(600, 180, method=method)
    kw = dict(seed=2, noise=noise, t_end_ms=0.6)
    runs = [simulate(SEED, Pulse(amps), 4.25e-9, 520, n_threads=t, engine="numba", **kw).spike_counts for t in (1, 2)]
    assert np.array_equal(*runs)
    first = simulate(SEED, Pulse(amps), 4.25e-9, 300, engine="numba", **kw).spike_counts
    assert np.array_equal(first, runs[0][:, :300])                     # the first trials of a larger run
    small = [simulate(SEED, Pulse(amps), 4.25e-9, 260, engine="numpy", chunk_lanes=c, **dict(kw, t_end_ms=0.3))
             .first_spike_ms for c in (256, 4096)]
    np.testing.assert_array_equal(*small)


def test_recorded_open_fractions_and_spike_rule():
    """record=True keeps the open fractions; the spike rule on the recorded traces (E_ion from the channels)
    agrees with the engine's own counts."""
    res = simulate(SEED, Pulse(7.01e-8 * 4.25), 4.25e-9, 64, seed=0, noise=ChannelNoise(600, 180, method="diffusion"),
                   record=True)
    assert set(res.open_fractions) == {"na", "k"} and res.open_fractions["na"].shape == res.v_mV.shape
    assert np.array_equal(hhlib.spikes.count_spikes_in_result(res, SEED), res.spike_counts)
    assert res.spike_counts.max() >= 1
    np.testing.assert_allclose(res.m[..., 0].mean(), SEED.steady_state(0.0)[0], rtol=0.1)


def test_plumbing_predict_setup_sweep():
    noise = ChannelNoise(600, 180, method="diffusion")
    setup = dataclasses.replace(hhlib.DEFAULT_SETUP, noise=noise)
    p1 = hhlib.predict(1.963, 3.255, [0.9, 1.1], n_trials=256, seed=0, setup=setup)
    p2 = hhlib.predict(1.963, 3.255, [0.9, 1.1], n_trials=256, seed=0, noise=noise)
    np.testing.assert_array_equal(p1, p2)
    assert p1[0] > 0.5                                                 # 255 Na channels: mostly spontaneous
    with pytest.raises(TypeError, match="noise"):
        dataclasses.replace(hhlib.DEFAULT_SETUP, noise="channels")
    sw = hhlib.sweep(SEED, 3e-7, 4.25e-9, 300, seed=1, noise=noise)
    direct = simulate(SEED, Pulse(3e-7), 4.25e-9, 300, seed=1, noise=noise, stop_after=1)
    assert sw.n_fired == direct.n_fired
    own = hhlib.Membrane(gates=SEED.gates, currents=SEED.currents, rate_factor=12.0, noise=noise)   # a default noise
    assert np.array_equal(simulate(own, Pulse(3e-7), 4.25e-9, 300, seed=1, stop_after=1).spike_counts,
                          direct.spike_counts)


# ----------------------------------------------------------------------------- large N, scaling, dt (slow)
@pytest.mark.slow
def test_many_channels_tend_to_the_deterministic_threshold():
    """x50 -> deterministic threshold and RS -> 0: at 6.4e6 Na channels (diffusion) RS ~ 1.3 %, x50 within 0.3 %;
    at 4e5 (markov) RS ~ 5 %, x50 within 1 %."""
    for method, n_na, rs_max, x50_tol in (("diffusion", 6_400_000, 0.02, 0.003), ("markov", 400_000, 0.07, 0.01)):
        area = area_for(n_na)
        thr = trial_thresholds(SEED, area, 200, seed=3, noise=ChannelNoise(600, 180, method=method), rtol=1e-4)
        i_det = hhlib.threshold_current(SEED, area)
        rel = thr / i_det
        assert abs(np.median(rel) - 1) < x50_tol, (method, np.median(rel))
        assert rel.std() < rs_max, (method, rel.std())


@pytest.mark.slow
def test_relative_spread_scales_as_inverse_sqrt_n():
    """Slope of log RS vs log N_Na over a 16x range (2e4 ... 3.2e5, no spontaneous firing): -0.5 +- 0.05."""
    rs = []
    for n_na in (20_000, 320_000):
        area = area_for(n_na)
        thr = trial_thresholds(SEED, area, 800, seed=7, noise=ChannelNoise(600, 180, method="diffusion"))
        assert np.count_nonzero(thr == 0) <= 8                            # spontaneous firing negligible
        lo, mid, hi = np.quantile(thr, [stats.norm.cdf(-1), 0.5, stats.norm.cdf(1)])
        rs.append((hi - lo) / 2 / mid)
    slope = np.log(rs[1] / rs[0]) / np.log(16)
    assert abs(slope + 0.5) < 0.05, (rs, slope)


@pytest.mark.slow
def test_diffusion_matches_markov_at_many_channels():
    """N_Na = 64 000 (no spontaneous firing, RS ~ 13 %): the firing probabilities at x50 and x50 (1 +- RS) agree
    within 0.035 (x50 within ~1 %, RS within ~10 %); benchmarks/channel_noise_study.py has the full table."""
    area = area_for(64_000)
    amps = hhlib.threshold_current(SEED, area) * np.array([0.87, 1.0, 1.13])
    p = {m: hhlib.firing_probability(SEED, amps, area, 3000, seed=9, noise=ChannelNoise(600, 180, method=m))
         for m in ("markov", "diffusion")}
    assert 0.4 < p["markov"][1] < 0.6
    np.testing.assert_allclose(p["diffusion"], p["markov"], atol=0.035)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["markov", "diffusion"])
def test_firing_probability_converges_in_dt(method):
    """At N_Na = 16 000, x50: dt = 10 µs and 2.5 µs give the same firing probability within 4 binomial SE
    (the frozen-V channel step is exact; what remains is the voltage's own dt error)."""
    area = area_for(16_000)
    amp = hhlib.threshold_current(SEED, area)
    noise = ChannelNoise(600, 180, method=method)
    p = [float(hhlib.firing_probability(SEED, amp, area, 3000, seed=5, noise=noise, dt_ms=dt)) for dt in (0.01, 0.0025)]
    assert 0.35 < p[1] < 0.65
    assert abs(p[0] - p[1]) < 4 * np.sqrt(2 * 0.25 / 3000), p


# ----------------------------------------------------------------------------- pinned counts
def _pin_module():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "data" / "make_channel_pins.py"
    spec = importlib.util.spec_from_file_location("make_channel_pins", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_channel_noise_counts_match_the_pins():
    """Same seed, same counts: both methods reproduce the counts (exactly) and first-spike times (to
    CROSS_CPU_RTOL, as the pins were made on another CPU) that the generic channel loops of commit 9639f08
    gave (diffusion) or the BTRS draws of branch i20-markov (markov) (tests/data/make_channel_pins.py)."""
    pytest.importorskip("numba")
    module = _pin_module()
    pins = np.load(module.OUT)
    for name, res in module.pin_runs().items():
        np.testing.assert_array_equal(res.spike_counts, pins[f"{name}_counts"], err_msg=name)
        np.testing.assert_allclose(res.first_spike_ms, pins[f"{name}_first"], rtol=CROSS_CPU_RTOL, atol=0,
                                   equal_nan=True, err_msg=name)
