"""A model defined here, in the test file, runs on every engine without any engine edit.

m² h sodium with its own activation rates (HH's shifted 10 mV to the right), HH potassium, leak, and an extra
ohmic current: both
engines give identical counts for the same seed, the deterministic threshold agrees with the solve_ivp
reference within 0.1 %, and the compiled kernel's exact rates equal the model's own functions.
"""
import dataclasses

import numpy as np
import pytest

import hhlib
from hhlib import Pulse, simulate
from hhlib.model import HH1952, Current, Gate, Membrane, linoid
from hhlib.reference import reference_threshold


def alpha_m_shifted(v):
    """Na activation opening rate, HH's shifted 10 mV to the right, 1/ms (reference temperature)."""
    return linoid((35.0 - v) / 10.0)


def beta_m_shifted(v):
    """Na activation closing rate, HH's shifted 10 mV to the right, 1/ms."""
    return 4.0 * np.exp(-(v - 10.0) / 18.0)


_, H_GATE, N_GATE = HH1952.gates
GATES = (Gate("m", alpha_m_shifted, beta_m_shifted), H_GATE, N_GATE)
ACTIVE = (Current("na", 1200.0, 115.0, (("m", 2), ("h", 1))), Current("k", 360.0, -12.0, (("n", 4),)),
          Current("extra", 1.5, -20.0))


def leak_reversal_for_rest_at_zero():
    """Voltages are relative to rest: choose the leak's reversal so that V = 0 carries no net current."""
    probe = Membrane(gates=GATES, currents=ACTIVE + (Current("leak", 3.0, 0.0),))
    return float(probe.ionic_current(0.0, probe.steady_state(0.0))) / 3.0


M2H = Membrane(gates=GATES, currents=ACTIVE + (Current("leak", 3.0, leak_reversal_for_rest_at_zero()),),
               rate_factor=12.0, noise=hhlib.CurrentNoise(5e-5), name="m2h+extra")
AREA = 1e-9


def test_the_description_is_consistent():
    v0, *x0 = M2H.initial_state()
    assert v0 == 0.0 and len(x0) == 3
    assert abs(float(M2H.ionic_equilibrium(x0))) < 1e-9                  # V = 0 is its rest
    assert M2H.max_reversal_mV == 115.0
    assert [c.name for c in M2H.currents] == ["na", "k", "extra", "leak"]
    quiet = simulate(M2H, Pulse(0.0), AREA, 1, noise=False, record=True, t_end_ms=5.0)
    assert np.abs(quiet.v_mV).max() < 1e-6 and quiet.spike_counts[0] == 0


@pytest.fixture(scope="module")
def threshold():
    return hhlib.threshold_current(M2H, AREA, rtol=1e-6)


def test_both_engines_give_identical_counts_for_the_same_seed(threshold):
    amps = threshold * np.linspace(0.8, 1.3, 6)
    a = simulate(M2H, Pulse(amps), AREA, 600, seed=17, engine="numba")
    b = simulate(M2H, Pulse(amps), AREA, 600, seed=17, engine="numpy")
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    np.testing.assert_allclose(a.first_spike_ms, b.first_spike_ms, atol=1e-5, equal_nan=True)   # ms (tables vs exact)
    p = a.firing_probability
    assert p[0] < 0.3 and p[-1] > 0.9 and np.all(np.diff(p) >= -0.05)
    c = simulate(M2H, Pulse(amps), AREA, 600, seed=18, engine="numba")
    assert np.any(c.spike_counts != a.spike_counts)                       # another seed, other noise


def test_deterministic_threshold_matches_the_solve_ivp_reference(threshold):
    ref = reference_threshold(M2H, AREA, rtol_threshold=1e-7)
    assert threshold / ref - 1 == pytest.approx(0.0, abs=1e-3)
    numpy_threshold = hhlib.threshold_current(M2H, AREA, rtol=1e-6, engine="numpy")
    assert threshold / numpy_threshold - 1 == pytest.approx(0.0, abs=1e-6)   # tables cost nothing measurable
    # and it is another model: the shifted m² sodium changes the threshold from HH's m³
    hh_like = dataclasses.replace(hhlib.SEED_MODEL, knoise=0.0)
    assert abs(hhlib.threshold_current(hh_like, AREA) / threshold - 1) > 0.05


def test_kernel_rates_equal_the_models_own_functions():
    # the compiled kernel's exact (out-of-table) rates are the model's functions compiled by numba; on a V grid
    # through the removable singularities (35 mV for this m gate, 25 and 10 mV for HH's) they agree to 1e-12
    import numba

    from hhlib.engines import numba_engine  # noqa: F401  (registers the scalar linoid)
    v = np.r_[np.linspace(-300.0, 400.0, 1401), [35.0, 25.0, 10.0], 35.0 + np.array([-1e-7, 1e-9, 1e-7])]
    for model in (M2H, hhlib.SEED_MODEL):
        for gate in model.gates:
            for fn in (gate.alpha, gate.beta):
                compiled = numba.njit(fn)
                got = np.array([compiled(x) for x in v])
                np.testing.assert_allclose(got, fn(v), rtol=1e-12, atol=0, err_msg=f"{model.name} {fn.__name__}")


def test_rate_tables_hold_the_models_coefficients_at_their_nodes():
    from hhlib.engines.step import TABLE_STEP_MV, TABLE_V_MIN_MV, gate_tables
    dt = 0.0025
    table = gate_tables(M2H, dt)
    idx = np.array([0, 1, 12345, 22000, 22500, 25000, table.shape[0] - 1])
    v = TABLE_V_MIN_MV + TABLE_STEP_MV * idx
    for j, (a, b) in enumerate(M2H.rates(v)):
        decay = np.exp(-dt * (a + b))
        np.testing.assert_allclose(table[idx, 2 * j], a / (a + b) * (1 - decay), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(table[idx, 2 * j + 1], decay, rtol=1e-12, atol=0)


def test_strong_pulses_leave_the_table_and_both_engines_still_agree(threshold):
    amps = threshold * np.array([50.0, 1000.0, -300.0])                    # V beyond the 300 / -200 mV table
    a = simulate(M2H, Pulse(amps), AREA, 40, seed=2, engine="numba")
    b = simulate(M2H, Pulse(amps), AREA, 40, seed=2, engine="numpy")
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    assert np.all(a.fired[:2])
    rec = simulate(M2H, Pulse(amps[1]), AREA, 1, seed=2, engine="numpy", record=True)
    assert rec.v_mV.max() > 300.0 and set(rec.gate_traces) == {"m", "h", "n"}
