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
from hhlib.engines import LaneInputs, NonFiniteError, cuda_available, execute
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
#: No per-trial inputs (what a plain simulation passes the engine).
NO_LANES = LaneInputs()


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


def test_tonic_spike_train_stop_after_and_max_spikes():
    area = 1e-4
    stim = Pulse(10.0 * area, 0.0, np.inf)
    g, c = both(HH1952, stim, area, 1, noise=False, t_end_ms=60.0, dt_ms=0.02, max_spikes=8)
    assert g.spike_counts[0] == c.spike_counts[0] >= 3
    np.testing.assert_allclose(g.spike_times_ms, c.spike_times_ms, rtol=0, atol=1e-7, equal_nan=True)
    capped = simulate(HH1952, stim, area, 1, noise=False, t_end_ms=60.0, dt_ms=0.02, engine="cuda", stop_after=2)
    assert capped.spike_counts[0] == 2
    with pytest.warns(RuntimeWarning, match="more than max_spikes = 2 spikes"):
        two = simulate(HH1952, stim, area, 1, noise=False, t_end_ms=60.0, dt_ms=0.02, engine="cuda", max_spikes=2)
    assert two.spike_counts[0] == c.spike_counts[0] and two.overflow[0]           # counts exact beyond the cap
    np.testing.assert_array_equal(two.spike_times_ms[0], g.spike_times_ms[0, :2])


def test_firing_probabilities_latency_and_jitter_statistically_equal_the_numba_engine():
    amp = I_TH * (np.array([0.98, 1.03]) if SIM else np.linspace(0.94, 1.06, 7))
    area = np.array([[1e-9], [4e-9]] if SIM else [[0.5e-9], [1e-9], [2e-9], [4e-9]])
    g, c = both(SEED_MODEL, Pulse(amp * area / AREA), area, N, seed=11, stop_after=1, **FAST)
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
                          stop_after=1, **FAST)
    ref = cuda_engine.simulate_lanes(spec, NO_LANES)
    for tpb, blocks in LAUNCHES:
        out = cuda_engine.simulate_lanes(spec, NO_LANES, threads_per_block=tpb, blocks=blocks)
        for a, b in zip(out, ref, strict=True):
            np.testing.assert_array_equal(a, b)
    assert 0 < ref[0].sum() < ref[0].size


def test_seed_reproduces_and_the_first_trials_equal_a_smaller_run():
    stim = Pulse(I_TH * 1.03)
    a = simulate(SEED_MODEL, stim, AREA, 16, seed=7, engine="cuda", stop_after=1, **FAST)
    b = simulate(SEED_MODEL, stim, AREA, 16, seed=a.seed, engine="cuda", stop_after=1, **FAST)
    c = simulate(SEED_MODEL, stim, AREA, 8, seed=7, engine="cuda", stop_after=1, **FAST)
    d = simulate(SEED_MODEL, stim, AREA, 16, seed=8, engine="cuda", stop_after=1, **FAST)
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    np.testing.assert_array_equal(a.first_spike_ms, b.first_spike_ms)
    np.testing.assert_array_equal(a.first_spike_ms[:8], c.first_spike_ms)
    assert 0 < a.fired.sum() < a.fired.size
    assert not np.array_equal(a.first_spike_ms, d.first_spike_ms, equal_nan=True)


def test_per_trial_amplitudes_use_each_trials_own_noise():
    stim = Pulse(I_TH * np.array([0.99, 1.01]))
    spec = build_run_spec(SEED_MODEL, stim, AREA, 12, seed=5, engine="cuda", stop_after=1, **FAST)
    whole = execute(spec)
    lanes = execute(spec, lane_scale=np.ones((2, 12)))
    np.testing.assert_array_equal(whole.first, lanes.first)
    swap = spec.amp[0, ::-1] / spec.amp[0]                  # condition 0 gets condition 1's amplitude and back
    swapped = execute(spec, lane_scale=np.repeat(swap[:, None], 12, axis=1))
    assert not np.array_equal(swapped.first, whole.first, equal_nan=True)
    assert swapped.first[0].tolist() != whole.first[1].tolist() or np.isnan(whole.first).all()   # own noise


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
from hhlib.engines import step as step_gen  # noqa: E402
from hhlib.engines._cuda_channels import channel_init, draws_per_row, fill_draws  # noqa: E402
from hhlib.engines._philox import key_of  # noqa: E402
from hhlib.engines.cuda_kernels import channel_sizes, cuda_kernel_namespace  # noqa: E402
from hhlib.engines.numba_channels import describe  # noqa: E402

cuda = cuda_engine.cuda
#: N_Na = 1000 and 4000 (1.67 and 6.67 µm², 600 Na and 180 K channels per µm²): in 0.6 ms the first fires
#: on its own with probability ~0.23, the second ~0.66 of the time at 1.2 x its deterministic threshold.
CH_AREAS = np.array([1000, 4000]) / 600 / 1e8
CH_AREA = CH_AREAS[1]
CH_RUN = dict(t_end_ms=0.6, dt_ms=0.01, stop_after=1)          # 60 steps of 10 µs (the channel step is exact)
CH_N = 150 if SIM else 20000
_S = channel_sizes(SEED_MODEL)
_N_CHAN, _N_RAND, _N_OPEN = _S["n_chan"], _S["n_rand"], _S["n_open"]
#: The GPU kernel's own membrane step (channel variant: it advances a trial's channel states by the unrolled
#: per-scheme functions, then the gates and V; the clamped kernel below keeps V at rest and reads the states).
membrane_step = cuda_kernel_namespace(SEED_MODEL, "float64", "channels")["membrane_step"]
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
def _clamped_channels(markov, n_steps, stoch, cdesc, init_p, n_chan, n_init, n_step, per_row, table, consts, g_max,
                      e_rev, cpar, x0, key0, key1, out):
    """Channel states of every lane at V frozen at rest: ``out[lane, 0]`` initial, ``out[lane, 1]`` after n_steps
    of the kernel's membrane step (called at V = 0 every step; its new V is discarded)."""
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
            membrane_step(0.0, x0[0], x0[1], x0[2], 0.0, table, consts, g_max, e_rev, cpar, markov, stoch, cdesc, chan,
                          rand, inv_n, fopen)
        for s in range(out.shape[2]):
            out[lane, 1, s] = chan[s]


def clamped_states(method, n_na, n_k, n_lanes, n_steps, dt_ms=0.01, seed=5):
    """The GPU's channel states (counts or fractions) at rest, shape (n_lanes, 2, n_states): initial, final."""
    noise = ChannelNoise(n_na, n_k, method=method)                     # area 1 µm²: N = densities
    spec = build_run_spec(SEED_MODEL, Pulse(0.0), 1e-8, n_lanes, seed=seed, noise=noise, engine="cuda", dt_ms=dt_ms)
    cdesc, init_p, n_chan, n_init, n_step, n_total = describe(spec)
    stoch = np.full(len(SEED_MODEL.currents), -1, dtype=np.int64)
    stoch[[cur.index for cur in spec.channels]] = np.arange(len(spec.channels))
    g_max, e_rev, cpar = step_gen.current_arrays(SEED_MODEL)
    table, consts = np.array(step_gen.gate_tables(SEED_MODEL, dt_ms)), step_gen.step_constants(spec)   # writable
    x0 = np.array(SEED_MODEL.initial_state()[1:])
    markov = method == "markov"
    out = np.zeros((n_lanes, 2, n_total))
    key0, key1 = key_of(spec.root)
    _clamped_channels[-(-n_lanes // 64), 64](markov, n_steps, stoch, cdesc, init_p, np.ascontiguousarray(n_chan[:, 0]),
                                            n_init, n_step, draws_per_row(markov, max(n_init, n_step)), table, consts,
                                            g_max, e_rev, cpar, x0, key0, key1, out)
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
    ref = cuda_engine.simulate_lanes(spec, NO_LANES)
    for tpb, blocks in LAUNCHES:
        for a, b in zip(cuda_engine.simulate_lanes(spec, NO_LANES, threads_per_block=tpb, blocks=blocks), ref,
                        strict=True):
            np.testing.assert_array_equal(a, b)
    assert 0 < ref[0].sum() < ref[0].size
    first = ref[1][:, 0]
    lanes = execute(spec, lane_scale=np.ones((2, 12)))
    np.testing.assert_array_equal(lanes.first.ravel(), first)
    small = simulate(SEED_MODEL, Pulse(amp), CH_AREA, 5, seed=3, engine="cuda", noise=noise, **CH_RUN)
    np.testing.assert_array_equal(small.first_spike_ms, first.reshape(2, 12)[:, :5])
    other = simulate(SEED_MODEL, Pulse(amp), CH_AREA, 12, seed=4, engine="cuda", noise=noise, **CH_RUN)
    assert not np.array_equal(other.first_spike_ms.ravel(), first, equal_nan=True)


# ----------------------------------------------------------------------------- protocols (issue 17)
from hhlib import BiphasicPulse, PulseTrain, Ramp, Waveform  # noqa: E402

#: Run of the pair: the probe 1 ms after the conditioner (its threshold is then 2.53 x I_TH), both spikes by 2 ms.
PAIR_RUN = dict(t_end_ms=2.0)


def protocols(scale=1.0):
    """The stimuli of issue 17 at ``scale`` x the amplitudes for :data:`AREA` (every part's edges on a 10 µs grid);
    the 0.05 ms pulses of the train have a threshold of 1.9 x I_TH."""
    t = I_TH * scale
    return {
        "pair": Pulse(1.5 * t) + Pulse(t * np.array([2.0, 3.0, 5.0]), delay_ms=1.1),
        "train 5000 pps": PulseTrain(Pulse(t * np.array([2.5, 6.0]), duration_ms=0.05), rate_pps=5000, n_pulses=2),
        "biphasic with gap": BiphasicPulse(t * np.array([1.0, 1.5, 3.0]), 0.1, gap_ms=0.05),
        "asymmetric biphasic": BiphasicPulse(t * np.array([1.0, 1.5, 3.0]), 0.05, gap_ms=0.03, second_phase_ms=0.2),
        "waveform": Waveform(np.sin(np.linspace(0, 3 * np.pi, 30)), 0.01, amplitude_uA=t * np.array([1.5, 3.0]),
                             delay_ms=0.1),
        "ramp": Ramp(t * np.array([1.0, 2.0, 4.0]), duration_ms=0.3, delay_ms=0.1),
    }


@pytest.mark.parametrize("name", list(protocols()))
def test_protocols_without_noise_equal_the_numba_engine(name):
    """Counts exactly and every recorded spike time to 1e-9 ms (the same tables, the same step)."""
    g, c = both(SEED_MODEL, protocols()[name], AREA, 1, noise=False, max_spikes=4, **(PAIR_RUN if name == "pair"
                                                                                      else FAST))
    np.testing.assert_array_equal(g.spike_counts, c.spike_counts)
    assert c.spike_counts.sum() >= 1 and not c.overflow.any()
    np.testing.assert_allclose(g.spike_times_ms, c.spike_times_ms, rtol=0, atol=1e-9, equal_nan=True)


def test_protocols_with_current_noise_statistically_equal_the_numba_engine():
    """Current noise: the pair with its probe near threshold (2.6 x I_TH, 1 ms after the conditioner) and a
    5000 pps train of two 0.05 ms pulses below their single-pulse threshold (1.9 x I_TH): the fraction of trials
    with a first and with a second spike, within binomial intervals (z < 4)."""
    pair = Pulse(1.5 * I_TH) + Pulse(2.6 * I_TH, delay_ms=1.1)
    train = PulseTrain(Pulse(1.4 * I_TH, duration_ms=0.05), rate_pps=5000, n_pulses=2)   # fires by summation
    for stim, run, k in ((pair, PAIR_RUN, 2), (train, FAST, 1)):
        g, c = both(SEED_MODEL, stim, AREA, N, seed=5, **run)
        pg, pc = np.mean(g.spike_counts >= k), np.mean(c.spike_counts >= k)
        pooled = (pg + pc) / 2
        assert 0.1 < pooled < 0.9, (stim, pooled)                       # the noise decides
        assert abs(pg - pc) < 4 * np.sqrt(2 * pooled * (1 - pooled) / N), (stim, pg, pc)
        assert np.mean(g.spike_counts >= 1) == pytest.approx(np.mean(c.spike_counts >= 1), abs=4 * np.sqrt(0.5 / N))


@pytest.mark.parametrize("method", ["markov", "diffusion"])
def test_train_with_channel_noise_statistically_equals_the_numba_engine(method):
    """A 5000 pps train of 3 pulses at N_Na = 4000: spikes per pulse (firing efficiency) within binomial intervals."""
    pulse = Pulse(1.0, duration_ms=0.05)
    amp = 1.2 * hhlib.threshold_current(SEED_MODEL, CH_AREA, stimulus=pulse, t_end_ms=0.6, dt_ms=0.01)
    train = PulseTrain(pulse.with_amplitude(amp), rate_pps=5000, n_pulses=3)
    run = dict(CH_RUN, stop_after=None, max_spikes=6)
    g, c = both(SEED_MODEL, train, CH_AREA, CH_N, seed=8, noise=ChannelNoise(600, 180, method=method), **run)
    eg, ec = g.firing_efficiency(), c.firing_efficiency()
    pooled = (eg + ec) / 2
    se = np.sqrt(2 * pooled * (1 - pooled) / CH_N)
    assert np.all(np.abs(eg - ec) <= 4 * np.maximum(se, 1 / CH_N)), (eg, ec)
    assert 0.3 < pooled[0] < 0.95, pooled


def test_probe_threshold_of_a_pair_equals_the_numba_engines():
    """vary=1 (the probe alone scaled, the conditioner's own spike subtracted): the same threshold as numba."""
    pair = Pulse(1.5 * I_TH) + Pulse(1.0, delay_ms=1.1)
    kw = dict(stimulus=pair, vary=1, rtol=1e-6, **PAIR_RUN)
    g = hhlib.threshold_current(SEED_MODEL, AREA, engine="cuda", **kw)
    c = hhlib.threshold_current(SEED_MODEL, AREA, engine="numba", **kw)
    assert g == pytest.approx(c, rel=2e-6) and c / I_TH == pytest.approx(2.532, abs=1e-3)     # relative refractory
    thr = trial_thresholds(SEED_MODEL, AREA, 2, stimulus=pair, vary=1, seed=0, noise=False, engine="cuda", rtol=1e-4,
                           **PAIR_RUN)
    np.testing.assert_allclose(thr, c, rtol=1.5e-4)
