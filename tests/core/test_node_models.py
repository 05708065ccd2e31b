"""The node models of issue 18 (hhlib.models.CRRSS, SE1987, SRB1995, NEGM_BRUCE2014): their published rates,
rest as an exact fixed point, the 0.1 ms threshold against the solve_ivp reference at hhlib's default step, the
numpy and numba engines on their spikes, their channel numbers, and RS ~ N^-1/2 with channel noise on a GHK
model (SE1987)."""
import math

import numpy as np
import pytest

import hhlib.models
from hhlib import ChannelNoise, Pulse, PulseTrain, simulate
from hhlib.models import CRRSS, NEGM_BRUCE2014, SE1987, SRB1995, crrss, negm_bruce2014
from hhlib.models.fh1964 import leak_reversal_mV
from hhlib.reference import reference_threshold
from hhlib.thresholds import trial_thresholds

NODE = negm_bruce2014.NODE_AREA_CM2                  # 4.712 µm²
#: model -> (test area in cm², its 0.1 ms reference threshold in µA, solve_ivp with rtol_threshold 1e-6)
MODELS = {"CRRSS": (CRRSS, 3e-7, 5.1245928e-4), "SE1987": (SE1987, 5e-7, 1.0966804e-3),
          "SRB1995": (SRB1995, 5e-7, 7.7325295e-4), "NEGM_BRUCE2014": (NEGM_BRUCE2014, NODE, 3.4564190e-5)}


@pytest.fixture(scope="module", params=sorted(MODELS))
def case(request):
    """(name, model, area, reference threshold): the reference recomputed here (bracketed near the pin)."""
    model, area, pin = MODELS[request.param]
    ref = reference_threshold(model, area, t_end_ms=2.0, rtol_threshold=1e-6, bracket=(0.99 * pin, 1.01 * pin))
    return request.param, model, area, ref


def test_the_models_are_named_and_exported():
    assert [m.name for m in (CRRSS, SE1987, SRB1995, NEGM_BRUCE2014)] == list(MODELS)
    for name in MODELS:
        assert getattr(hhlib.models, name) is MODELS[name][0]
    assert [c.name for c in NEGM_BRUCE2014.currents] == ["na", "k", "klt", "hcn", "leak"]
    assert [(c.name, c.gates) for c in NEGM_BRUCE2014.currents[2:4]] == [("klt", (("w", 4), ("z", 1))),
                                                                         ("hcn", (("r", 1),))]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_rest_is_an_exact_fixed_point_with_gates_inside_0_1(name):
    model = MODELS[name][0]
    gates = model.steady_state(0.0)
    assert all(0.0 < float(x) < 1.0 for x in gates)
    assert abs(float(model.ionic_current(0.0, gates))) < 1e-9                 # µA/cm²
    assert model.initial_state() == (0.0,) + tuple(float(x) for x in gates)
    assert leak_reversal_mV(model) == pytest.approx(model.reversals()[-1], abs=1e-12)


def test_resting_states_and_reversals_are_those_of_the_sources():
    # CRRSS: leak reversal -80.01 mV absolute (PySONIC); SE1987: se.mod's leak reversal = rest; NEGM_BRUCE2014:
    # the Brian2 port's resting gates m 0.00775, h 0.747, n 0.0119, w 0.5127, z 0.6615, r 0.1453
    assert round(CRRSS.reversals()[-1] + CRRSS.v_rest_abs_mV, 2) == -80.01
    assert abs(SE1987.reversals()[-1]) < 1e-3
    assert [round(float(x), 4) for x in NEGM_BRUCE2014.steady_state(0.0)] == [0.0078, 0.7472, 0.0119, 0.5128,
                                                                              0.6615, 0.1454]
    assert [round(e, 3) for e in NEGM_BRUCE2014.reversals()[:4]] == [144.0, -10.0, -10.0, 35.0]   # -43 mV absolute
    assert round(SE1987.reversals()[0] - 78.0, 2) == 76.77                    # E_Na at 37 °C, absolute
    assert (CRRSS.c_m, SE1987.c_m, SRB1995.c_m) == (2.5, 2.8, 2.8)
    assert NEGM_BRUCE2014.c_m == pytest.approx(0.1e-6 / NODE, rel=1e-12)       # 0.1 pF per node


def test_negm_bruce2014_conductances_are_its_channel_numbers_per_node():
    g = {c.name: c.g_max for c in NEGM_BRUCE2014.currents}
    per_node_nS = {name: g[name] * NODE * 1e6 for name in g}                      # mS/cm² x cm² -> nS
    assert per_node_nS["na"] == pytest.approx(1000 * 25.69e-3, rel=1e-12)
    assert per_node_nS["k"] == pytest.approx(166 * 50e-3, rel=1e-12)
    assert per_node_nS["klt"] == pytest.approx(166 * 13e-3, rel=1e-12)
    assert per_node_nS["hcn"] == pytest.approx(100 * 13e-3, rel=1e-12)
    assert per_node_nS["leak"] == pytest.approx(1e3 / 1953.49, rel=1e-12)
    counts = negm_bruce2014.CHANNEL_NOISE.channel_counts(NEGM_BRUCE2014, NODE)
    assert counts == {"na": 1000, "k": 166, "klt": 166, "hcn": 100}


def _linoid_rate(a, x0, k, v):
    """``a (v - x0) / (1 - exp(-(v - x0)/k))``: the published rates in this one form (chlib's; a closing
    rate ``A (x0 - v) / (1 - exp((v - x0)/C))`` is ``a = -A, k = -C``)."""
    return a * (v - x0) / (1.0 - math.exp(-(v - x0) / k))


@pytest.mark.parametrize("v", [-60.3, -9.1, 0.0, 7.7, 22.2, 47.9, 90.4])
def test_rates_are_the_published_equations(v):
    vm = v - 80.0                                                             # CRRSS, PySONIC's form
    am = (126 + 0.363 * vm) / (1 + math.exp(-(vm + 49) / 5.3))
    bh = 15.6 / (1 + math.exp(-(vm + 56) / 10))
    want = [am, am / math.exp((vm + 56.2) / 4.17), bh / math.exp((vm + 74.5) / 5), bh]
    np.testing.assert_allclose([float(r) for r in hhlib.model.gate_rates(v, CRRSS)], want, rtol=1e-12)
    want = [_linoid_rate(1.87, 25.41, 6.06, v), _linoid_rate(-3.97, 21.0, -9.41, v),     # SE1987, se.mod at 37 °C
            _linoid_rate(-0.55, -27.74, -9.06, v), 22.6 / (1 + math.exp((56 - v) / 12.5)),
            _linoid_rate(0.13, 35.0, 10.0, v), _linoid_rate(-0.32, 10.0, -10.0, v)]
    np.testing.assert_allclose([float(r) for r in hhlib.model.gate_rates(v, SE1987)], want, rtol=1e-12)
    vm = v - 84.0                                                             # SRB1995: chlib's absolute form
    q = [2.2 ** 1.7] * 2 + [2.9 ** 1.7] * 2 + [3.0 ** 1.7] * 4
    want = [_linoid_rate(1.86, -18.4, 10.3, vm), _linoid_rate(-0.086, -22.7, -9.16, vm),
            _linoid_rate(-0.0336, -111.0, -11.0, vm), 2.3 / (1 + math.exp(-(vm + 28.8) / 13.4)),
            _linoid_rate(0.00798, -93.2, 1.1, vm), _linoid_rate(-0.0142, -76.0, -10.5, vm),
            _linoid_rate(0.00122, -12.5, 23.6, vm), _linoid_rate(-0.000739, -80.1, -21.8, vm)]
    np.testing.assert_allclose([float(r) for r in hhlib.model.gate_rates(v, SRB1995)], np.multiply(q, want),
                               rtol=1e-12)


@pytest.mark.parametrize("v", [-60.3, -9.1, 0.0, 7.7, 22.2, 47.9])
def test_negm_bruce2014_slow_gates_are_the_brian2_ports_equations(v):
    # the port's constants (V relative to rest), independently of the Rothman-Manis form hhlib writes
    w_inf = 1 / (math.exp(13 / 5 - v / 6) + 1) ** 0.25
    tau_w = 0.2887 + 17.53 * math.exp(v / 45) / (3 * math.exp(17 * v / 90) + 15.791)
    z_inf = 1 / (2 * (math.exp(v / 10 + 0.74) + 1)) + 0.5
    tau_z = 9.6225 + 2073.6 * math.exp(v / 8) / (9 * (math.exp(7 * v / 40) + 1.8776))
    r_inf = 1 / (math.exp(v / 7 + 62 / 35) + 1)
    tau_r = 50000 / (711 * math.exp(v / 12 - 3 / 10) + 51 * math.exp(9 / 35 - v / 14)) + 25 / 6
    rates = [float(r) for r in hhlib.model.gate_rates(v, NEGM_BRUCE2014)]
    np.testing.assert_allclose(rates[6:10], [w_inf / tau_w, (1 - w_inf) / tau_w, z_inf / tau_z,
                                             (1 - z_inf) / tau_z], rtol=2e-4)           # the port's rounding
    np.testing.assert_allclose(rates[10:], [r_inf / tau_r, (1 - r_inf) / tau_r], rtol=1.5e-3)  # Q10 6 vs 3.3^1.5
    assert rates[4] == pytest.approx(_linoid_rate(0.129, 35.0, 10.0, v), rel=1e-12)
    assert rates[5] == pytest.approx(_linoid_rate(-0.3236, 35.0, -10.0, v), rel=1e-12)


def test_threshold_equals_its_reference_at_the_default_step(case):
    name, model, area, ref = case
    assert ref == pytest.approx(MODELS[name][2], rel=3e-6)
    got = float(hhlib.threshold_current(model, area, dt_ms=0.0025, engine="numba", rtol=1e-6))
    assert abs(got / ref - 1) < 1e-3, (name, got, ref)
    assert abs(got / ref - 1) < 5e-4, (name, got, ref)   # measured: CRRSS +3.4e-4, the others below 4e-5


def test_numpy_and_numba_agree_on_spikes(case):
    name, model, area, ref = case
    amps = ref * np.array([0.9, 1.01, 1.1, 1.5, 3.0])
    a, b = (simulate(model, Pulse(amps), area, 3, noise=False, engine=e, t_end_ms=2.0) for e in ("numpy", "numba"))
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    assert a.spike_counts.sum(axis=-1).tolist() == [0, 3, 3, 3, 3]
    np.testing.assert_allclose(a.spike_times_ms, b.spike_times_ms, rtol=0, atol=1e-5, equal_nan=True)
    train = PulseTrain(Pulse(2.0 * ref), rate_pps=500.0, n_pulses=3)
    a, b = (simulate(model, train, area, 1, noise=False, engine=e, t_end_ms=6.5) for e in ("numpy", "numba"))
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    assert int(a.spike_counts.sum()) >= 2
    np.testing.assert_allclose(a.spike_times_ms, b.spike_times_ms, rtol=0, atol=1e-5, equal_nan=True)


def test_channel_noise_on_crrss_sodium_only_and_both_engines_agree():
    noise = ChannelNoise(crrss.NA_PER_UM2_20PS, None)
    area = 1e-8                                                               # 1 µm²: 722 Na channels
    assert noise.channel_counts(CRRSS, area) == {"na": 722}
    ref = MODELS["CRRSS"][2] * area / MODELS["CRRSS"][1]
    a, b = (simulate(CRRSS, Pulse(ref * np.array([0.0, 0.95, 1.05, 1.3])), area, 64, seed=5, noise=noise,
                     engine=e, t_end_ms=1.0) for e in ("numpy", "numba"))
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    fired = a.spike_counts.astype(bool).sum(axis=-1)
    assert fired[0] == 0 and 0 < fired[1] < fired[2] <= fired[3] and fired[3] > 48


@pytest.mark.slow
def test_channel_noise_on_negm_bruce2014_node_and_both_engines_agree():
    ref = MODELS["NEGM_BRUCE2014"][2]
    amps = ref * np.array([0.0, 0.9, 1.0, 1.2])
    a, b = (simulate(NEGM_BRUCE2014, Pulse(amps), NODE, 48, seed=11, noise=negm_bruce2014.CHANNEL_NOISE,
                     engine=e, t_end_ms=1.0) for e in ("numpy", "numba"))
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    fired = a.spike_counts.astype(bool).sum(axis=-1)
    assert fired[0] < 3 and fired[1] < fired[2] < fired[3]


@pytest.mark.slow
def test_relative_spread_falls_as_the_inverse_square_root_of_the_channel_count_for_a_ghk_model():
    # SE1987 (GHK Na and K) with 20 pS channels: 969, 3874 and 15496 Na channels (x16); RS from 200 trial
    # thresholds each (Markov chain); measured slope -0.499
    noise = ChannelNoise.for_model(SE1987)
    areas = np.array([2e-8, 8e-8, 32e-8])
    n_na = noise.channel_counts(SE1987, areas)["na"]
    assert n_na.tolist() == [969, 3874, 15496]
    th = np.asarray(trial_thresholds(SE1987, areas, 200, seed=3, noise=noise, t_end_ms=1.0, engine="numba"))
    assert th.shape == (3, 200) and np.isfinite(th).all()
    rs = th.std(axis=1, ddof=1) / th.mean(axis=1)
    slope = np.polyfit(np.log(n_na), np.log(rs), 1)[0]
    assert abs(slope + 0.5) < 0.05, (rs, slope)
    assert 0.025 < rs[0] < 0.045


def test_compiled_rates_equal_the_models_own_functions_through_their_singularities():
    # the compiled kernels' exact (out-of-table) rates are these functions compiled by numba; from -300 to 400 mV
    # and at every removable singularity of the linoid rates they agree with numpy to 1e-12
    import numba

    from hhlib.engines import numba_support  # noqa: F401  (registers the scalar linoid)
    corners = [25.41, 21.0, -27.74, 35.0, 10.0, 21.001, 65.6, 61.3, -27.0, -9.2, 8.0, 71.5, 3.9]
    v = np.r_[np.linspace(-300.0, 400.0, 701), corners, np.add(corners, 1e-9)]
    for model in (CRRSS, SE1987, SRB1995, NEGM_BRUCE2014):
        assert model.rate_problems(np.linspace(-200.0, 300.0, 5001)) == [], model.name   # the rate tables' range
        for gate in model.gates:
            for fn in (gate.alpha, gate.beta):
                compiled = numba.njit(fn)
                got = np.array([compiled(x) for x in v])
                np.testing.assert_allclose(got, fn(v), rtol=1e-12, atol=0, err_msg=f"{model.name} {fn.__name__}")
