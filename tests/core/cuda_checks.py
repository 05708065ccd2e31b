"""The GPU engine against the numba engine: run on a GPU, or on the CPU in numba's CUDA simulator.

Not collected by the normal test run (the file name does not start with ``test_``): numba reads
``NUMBA_ENABLE_CUDASIM`` when it is imported, so ``tests/core/test_cuda_engine.py`` runs this module in a
fresh ``python -m pytest`` with the simulator switched on (tiny sizes: the simulator runs the kernel as
Python, about 10 µs per trial and step), and, where a GPU is present, again without it (sizes x 100).
"""
import numpy as np
import pytest
from scipy import stats

import hhlib
from hhlib import HH1952, SEED_MODEL, Pulse, simulate
from hhlib.engines import NonFiniteError, cuda_available, execute
from hhlib.runspec import build_run_spec
from hhlib.thresholds import trial_thresholds

if not cuda_available():        # e.g. imported by `pytest --doctest-modules tests`: nothing to check here
    pytest.skip("run with NUMBA_ENABLE_CUDASIM=1 or on a machine with a GPU", allow_module_level=True)
from hhlib.engines import cuda_engine  # noqa: E402  (needs numba.cuda, checked above)

SIM = cuda_engine.simulator_active()
#: Trials per condition of the statistical comparisons.
N = 150 if SIM else 20000
AREA = 1e-9
I_TH = 7.011e-8                    # SEED_MODEL's deterministic threshold at 1e-9 cm², µA (approximately)
#: (threads per block, blocks) to compare with the default launch; few threads per block in the simulator, whose
#: multi-thread blocks stall erratically (see cuda_engine._launch).
LAUNCHES = ((2, 1), (3, 5)) if SIM else ((8, 1), (16, 3), (256, 7))
FAST = dict(t_end_ms=1.0)          # 400 steps of 2.5 µs: every spike of these runs comes before 0.8 ms


def both(*args, **kw):
    return simulate(*args, engine="cuda", **kw), simulate(*args, engine="numba", **kw)


def test_noise_free_counts_and_times_equal_the_numba_engine():
    amp = I_TH * np.array([0.9, 0.999, 1.001, 1.2, 3.0, 10.0])
    area = np.array([[1e-9], [3e-9]])
    g, c = both(SEED_MODEL, Pulse(amp * area / AREA), area, 1, noise=False, **FAST)
    np.testing.assert_array_equal(g.spike_counts, c.spike_counts)
    assert 0 < g.fired.sum() < g.fired.size
    np.testing.assert_allclose(g.first_spike_ms, c.first_spike_ms, rtol=0, atol=1e-9, equal_nan=True)


def test_deterministic_threshold_equals_the_numba_engines_within_1e_6():
    i_th = hhlib.threshold_current(SEED_MODEL, AREA, engine="numba", rtol=1e-8, **FAST)
    amps = i_th * np.array([1 - 2e-6, 1 + 2e-6])
    g = simulate(SEED_MODEL, Pulse(amps), AREA, 1, noise=False, engine="cuda", **FAST)
    assert g.spike_counts.ravel().tolist() == [0, 1]


def test_tonic_spike_train_and_max_spikes():
    area = 1e-4
    stim = Pulse(10.0 * area, 0.0, np.inf)
    g, c = both(HH1952, stim, area, 1, noise=False, t_end_ms=60.0, dt_ms=0.02)
    assert g.spike_counts[0] == c.spike_counts[0] >= 3
    assert g.first_spike_ms[0] == pytest.approx(c.first_spike_ms[0], abs=1e-7)
    capped = simulate(HH1952, stim, area, 1, noise=False, t_end_ms=60.0, dt_ms=0.02, engine="cuda", max_spikes=2)
    assert capped.spike_counts[0] == 2


def test_firing_probabilities_latency_and_jitter_statistically_equal_the_numba_engine():
    amp = I_TH * (np.array([0.98, 1.03]) if SIM else np.linspace(0.94, 1.06, 7))
    area = np.array([[1e-9], [4e-9]] if SIM else [[0.5e-9], [1e-9], [2e-9], [4e-9]])
    g, c = both(SEED_MODEL, Pulse(amp * area / AREA), area, N, seed=11, max_spikes=1, **FAST)
    k_g, k_c = g.n_fired, c.n_fired
    pooled = (k_g + k_c) / (2 * N)
    z = (k_g - k_c) / np.sqrt(2 * N * pooled * (1 - pooled))
    assert np.all(np.abs(z) < 4.0), z                    # a false alarm has probability 6e-5 per condition
    assert np.all((pooled > 0.05) & (pooled < 0.95))     # the grid lies on the rising part of the curves
    # latency and jitter where most trials fire (the largest amplitude at the smallest area)
    tg, tc = g.first_spike_ms[0, -1][g.fired[0, -1]], c.first_spike_ms[0, -1][c.fired[0, -1]]
    assert min(tg.size, tc.size) > N / 2
    assert stats.ks_2samp(tg, tc).pvalue > 1e-3
    se = np.hypot(tg.std() / np.sqrt(tg.size), tc.std() / np.sqrt(tc.size))
    assert abs(tg.mean() - tc.mean()) < 4 * se
    se_sd = np.hypot(tg.std(), tc.std()) / np.sqrt(2 * min(tg.size, tc.size))
    assert abs(tg.std() - tc.std()) < 4 * se_sd


def test_launch_configuration_does_not_change_results():
    spec = build_run_spec(SEED_MODEL, Pulse(I_TH * np.array([0.98, 1.02])), AREA, 12, seed=3, engine="cuda",
                          max_spikes=1, **FAST)
    ref = cuda_engine.simulate_lanes(spec)
    for tpb, blocks in LAUNCHES:
        out = cuda_engine.simulate_lanes(spec, threads_per_block=tpb, blocks=blocks)
        for a, b in zip(out, ref, strict=True):
            np.testing.assert_array_equal(a, b)
    assert 0 < ref[0].sum() < ref[0].size


def test_seed_reproduces_and_the_first_trials_equal_a_smaller_run():
    stim = Pulse(I_TH * 1.03)
    a = simulate(SEED_MODEL, stim, AREA, 16, seed=7, engine="cuda", max_spikes=1, **FAST)
    b = simulate(SEED_MODEL, stim, AREA, 16, seed=a.seed, engine="cuda", max_spikes=1, **FAST)
    c = simulate(SEED_MODEL, stim, AREA, 8, seed=7, engine="cuda", max_spikes=1, **FAST)
    d = simulate(SEED_MODEL, stim, AREA, 16, seed=8, engine="cuda", max_spikes=1, **FAST)
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    np.testing.assert_array_equal(a.first_spike_ms, b.first_spike_ms)
    np.testing.assert_array_equal(a.first_spike_ms[:8], c.first_spike_ms)
    assert 0 < a.fired.sum() < a.fired.size
    assert not np.array_equal(a.first_spike_ms, d.first_spike_ms, equal_nan=True)


def test_per_trial_amplitudes_use_each_trials_own_noise():
    stim = Pulse(I_TH * np.array([0.99, 1.01]))
    spec = build_run_spec(SEED_MODEL, stim, AREA, 12, seed=5, engine="cuda", max_spikes=1, **FAST)
    whole = execute(spec)
    lanes = execute(spec, lane_amp=np.repeat(spec.amp_flat[:, None], 12, axis=1))
    np.testing.assert_array_equal(whole.first, lanes.first)
    swapped = execute(spec, lane_amp=np.repeat(spec.amp_flat[::-1, None], 12, axis=1))
    assert not np.array_equal(swapped.first, whole.first, equal_nan=True)


def test_noise_free_trial_thresholds_equal_the_deterministic_threshold():
    thr = trial_thresholds(SEED_MODEL, AREA, 2, seed=0, noise=False, engine="cuda", rtol=1e-4, **FAST)
    i_th = hhlib.threshold_current(SEED_MODEL, AREA, engine="numba", rtol=1e-6, **FAST)
    np.testing.assert_allclose(thr, i_th, rtol=1.5e-4)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")      # the simulator computes with numpy
def test_non_finite_state_raises_like_the_cpu_engine():
    with pytest.raises(NonFiniteError, match="NaN or infinite"):
        simulate(SEED_MODEL, Pulse(1e300), AREA, 2, seed=0, engine="cuda", **FAST)


def test_float32_threshold_within_1e_3_of_float64():
    """float32 moves the deterministic threshold by far less than the noise's threshold spread (~5 %)."""
    i_th = hhlib.threshold_current(SEED_MODEL, AREA, engine="numba", rtol=1e-6, **FAST)
    g = simulate(SEED_MODEL, Pulse(i_th * np.array([1 - 1e-3, 1 + 1e-3])), AREA, 1, noise=False, engine="cuda",
                 precision="float32", **FAST)
    assert g.spike_counts.ravel().tolist() == [0, 1]


@pytest.mark.skipif(SIM, reason="the whole fit needs a real GPU (the simulator would take hours)")
def test_fit_on_the_gpu_agrees_with_the_cpu_fit_within_its_confidence_region():
    cpu = hhlib.fit(seed=0)
    gpu = hhlib.fit(seed=0, engine="cuda")
    assert gpu.converged
    assert cpu.contains(gpu.delta_v, gpu.delta_area)


# ----------------------------------------------------------------------------- channel noise
from hhlib import ChannelNoise  # noqa: E402
from hhlib import channels as ch  # noqa: E402
from hhlib.engines._cuda_channels import channel_init, draws_per_row, fill_draws  # noqa: E402
from hhlib.engines._cuda_codegen import channel_sizes, cuda_kernel_namespace  # noqa: E402
from hhlib.engines._philox import key_of  # noqa: E402
from hhlib.engines.numba_channels import describe  # noqa: E402

cuda = cuda_engine.cuda
#: N_Na = 1000 and 4000 (1.67 and 6.67 µm², 600 Na and 180 K channels per µm²): in 0.6 ms the first fires
#: on its own with probability ~0.23, the second ~0.66 of the time at 1.2 x its deterministic threshold.
CH_AREAS = np.array([1000, 4000]) / 600 / 1e8
CH_AREA = CH_AREAS[1]
CH_RUN = dict(t_end_ms=0.6, dt_ms=0.01, max_spikes=1)          # 60 steps of 10 µs (the channel step is exact)
CH_N = 150 if SIM else 20000
_S = channel_sizes(SEED_MODEL)
_N_CHAN, _N_RAND, _N_AB, _N_OPEN = _S["n_chan"], _S["n_rand"], _S["n_ab"], _S["n_open"]
#: The GPU kernel's own step of a trial's channel states (the unrolled per-scheme functions).
channel_step = cuda_kernel_namespace(SEED_MODEL, "float64", "channels")["channel_step"]
_U0 = np.uint64(0)


@pytest.mark.parametrize("method", ["markov", "diffusion"])
def test_channel_noise_firing_probability_and_latency_statistically_equal_the_numba_engine(method):
    """Two conditions in one run (each its own channel counts): spontaneous firing at N_Na = 1000 and firing at
    1.2 x threshold at N_Na = 4000, within binomial intervals; first-spike times by a KS test and their means."""
    amp = np.array([0.0, 1.2 * hhlib.threshold_current(SEED_MODEL, CH_AREA, t_end_ms=0.6, dt_ms=0.01)])
    g, c = both(SEED_MODEL, Pulse(amp), CH_AREAS, CH_N, seed=21, noise=ChannelNoise(600, 180, method=method), **CH_RUN)
    k_g, k_c = g.n_fired, c.n_fired
    pooled = (k_g + k_c) / (2 * CH_N)
    z = (k_g - k_c) / np.sqrt(2 * CH_N * pooled * (1 - pooled))
    assert np.all(np.abs(z) < 4.0), (k_g, k_c, z)
    assert 0.12 < pooled[0] < 0.35 and 0.5 < pooled[1] < 0.8, pooled
    tg, tc = g.first_spike_ms[1][g.fired[1]], c.first_spike_ms[1][c.fired[1]]
    assert stats.ks_2samp(tg, tc).pvalue > 1e-3
    assert abs(tg.mean() - tc.mean()) < 4 * np.hypot(tg.std() / np.sqrt(tg.size), tc.std() / np.sqrt(tc.size))


@cuda.jit
def _clamped_channels(markov, n_steps, stoch, cdesc, init_p, n_chan, n_init, n_step, per_row, ab, key0, key1, out):
    """Channel states of every lane at V frozen at rest: ``out[lane, 0]`` initial, ``out[lane, 1]`` after n_steps."""
    chan = cuda.local.array(_N_CHAN, np.float64)
    rand = cuda.local.array(_N_RAND, np.float64)
    fopen = cuda.local.array(_N_OPEN, np.float64)
    inv_n = cuda.local.array(_N_OPEN, np.float64)
    for sl in range(cdesc.shape[0]):
        inv_n[sl] = 1.0 / n_chan[sl]
    lane = cuda.grid(1)
    if lane < out.shape[0]:
        trial = np.uint64(lane)
        fill_draws(markov, rand, n_init, 0, per_row, trial, _U0, _U0, key0, key1)
        channel_init(markov, chan, cdesc, init_p, n_chan, rand, fopen)
        for s in range(out.shape[2]):
            out[lane, 0, s] = chan[s]
        for step in range(n_steps):
            fill_draws(markov, rand, n_step, step + 1, per_row, trial, _U0, _U0, key0, key1)
            channel_step(markov, chan, stoch, cdesc, ab, inv_n, rand, fopen)
        for s in range(out.shape[2]):
            out[lane, 1, s] = chan[s]


def clamped_states(method, n_na, n_k, n_lanes, n_steps, dt_ms=0.01, seed=5):
    """The GPU's channel states (counts or fractions) at rest, shape (n_lanes, 2, n_states): initial, final."""
    noise = ChannelNoise(n_na, n_k, method=method)                     # area 1 µm²: N = densities
    spec = build_run_spec(SEED_MODEL, Pulse(0.0), 1e-8, n_lanes, seed=seed, noise=noise, engine="cuda", dt_ms=dt_ms)
    cdesc, init_p, n_chan, n_init, n_step, n_total = describe(spec)
    stoch = np.full(len(SEED_MODEL.currents), -1, dtype=np.int64)
    stoch[[cur.index for cur in spec.channels]] = np.arange(len(spec.channels))
    ab = np.array([x for pair in ch.exact_a_b(SEED_MODEL, 0.0, dt_ms) for x in pair], dtype=float)
    markov = method == "markov"
    out = np.zeros((n_lanes, 2, n_total))
    key0, key1 = key_of(spec.root)
    _clamped_channels[-(-n_lanes // 64), 64](markov, n_steps, stoch, cdesc, init_p, np.ascontiguousarray(n_chan[:, 0]),
                                            n_init, n_step, draws_per_row(markov, max(n_init, n_step)), ab, key0, key1,
                                            out)
    return out, spec.channels


@pytest.mark.parametrize("method, n_na, n_k", [("markov", 4000, 1200), ("diffusion", 1_000_000, 300_000)])
def test_channel_states_at_rest_follow_the_stationary_distribution(method, n_na, n_k):
    """V frozen at rest: initial and later states are multinomial(N, pi) (pi the binomial stationary state
    distribution, open states m_inf^3 h_inf and n_inf^4) in mean and variance; counts are conserved."""
    n_lanes = 256 if SIM else 32768
    out, plan = clamped_states(method, n_na, n_k, n_lanes, 30)
    off = 0
    for cur, n in zip(plan, (n_na, n_k), strict=True):
        pi = ch.stationary_distribution(SEED_MODEL, cur, 0.0)
        x = out[:, :, off:off + cur.n_states] * (1.0 if method == "markov" else n)      # counts
        off += cur.n_states
        np.testing.assert_allclose(x.sum(axis=2), n, rtol=1e-9)
        for when in (0, 1):
            mean, var = x[:, when].mean(axis=0), x[:, when].var(axis=0, ddof=1)
            se = np.sqrt(n * pi * (1 - pi) / n_lanes)
            assert np.all(np.abs(mean - n * pi) < 4.5 * se), (cur.name, when, mean, n * pi)
            big = n * pi > 0.3                              # variance where the count is not almost always 0
            m4 = ((x[:, when] - mean) ** 4).mean(axis=0)
            se_var = np.sqrt((m4 - var**2) / n_lanes)
            expected = n * pi * (1 - pi)
            assert np.all(np.abs(var - expected)[big] < 4.5 * se_var[big]), (cur.name, when, var, expected)
            assert big[-1], cur.name                                    # the open state is among them


@pytest.mark.parametrize("method", ["markov", "diffusion"])
def test_channel_noise_launch_configuration_seeds_and_per_trial_amplitudes(method):
    """Same seed: the same counts and times whatever the launch configuration, for the first trials of a larger
    run, and with per-trial amplitudes equal to the condition's; another seed: other times."""
    noise = ChannelNoise(600, 180, method=method)
    amp = np.array([0.0, 2.0]) * hhlib.threshold_current(SEED_MODEL, CH_AREA, t_end_ms=0.6, dt_ms=0.01)
    spec = build_run_spec(SEED_MODEL, Pulse(amp), CH_AREA, 12, seed=3, engine="cuda", noise=noise, **CH_RUN)
    ref = cuda_engine.simulate_lanes(spec)
    for tpb, blocks in LAUNCHES:
        for a, b in zip(cuda_engine.simulate_lanes(spec, threads_per_block=tpb, blocks=blocks), ref, strict=True):
            np.testing.assert_array_equal(a, b)
    assert 0 < ref[0].sum() < ref[0].size
    lanes = execute(spec, lane_amp=np.repeat(amp[:, None], 12, axis=1))
    np.testing.assert_array_equal(lanes.first.ravel(), ref[1])
    small = simulate(SEED_MODEL, Pulse(amp), CH_AREA, 5, seed=3, engine="cuda", noise=noise, **CH_RUN)
    np.testing.assert_array_equal(small.first_spike_ms, ref[1].reshape(2, 12)[:, :5])
    other = simulate(SEED_MODEL, Pulse(amp), CH_AREA, 12, seed=4, engine="cuda", noise=noise, **CH_RUN)
    assert not np.array_equal(other.first_spike_ms.ravel(), ref[1], equal_nan=True)
