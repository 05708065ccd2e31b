"""Physics of hhlib.model: rates against the closed-form HH (1952) expressions, singularities, rest."""
import dataclasses
import math

import numpy as np
import pytest

import hhlib
from hhlib import model as M


def hh_rates_closed_form(v):
    """The six HH rates written out independently of hhlib (1/ms, k = 1)."""
    return (
        0.1 * (25 - v) / (math.exp((25 - v) / 10) - 1),
        4 * math.exp(-v / 18),
        0.07 * math.exp(-v / 20),
        1 / (math.exp((30 - v) / 10) + 1),
        0.01 * (10 - v) / (math.exp((10 - v) / 10) - 1),
        0.125 * math.exp(-v / 80),
    )


@pytest.mark.parametrize("v", [-80.0, -12.3, 0.0, 7.77, 24.9, 25.1, 40.0, 115.0])
def test_rates_match_closed_form(v):
    got = M.gate_rates(v, M.HH1952)
    for g, want in zip(got, hh_rates_closed_form(v), strict=True):
        assert float(g) == pytest.approx(want, rel=1e-12)


def test_rates_at_rest_have_textbook_values():
    am, bm, ah, bh, an, bn = (float(r) for r in M.gate_rates(0.0, M.HH1952))
    assert am == pytest.approx(0.22356, abs=1e-5)
    assert bm == 4.0 and ah == 0.07 and bn == 0.125
    assert bh == pytest.approx(0.04743, abs=1e-5)
    assert an == pytest.approx(0.05820, abs=1e-5)


def test_temperature_factor_multiplies_every_rate():
    v = np.linspace(-50, 120, 41)
    base = M.gate_rates(v, M.HH1952)
    warm = M.gate_rates(v, dataclasses.replace(M.HH1952, rate_factor=12.0))
    for b, w in zip(base, warm, strict=True):
        np.testing.assert_allclose(w, 12.0 * b, rtol=1e-14)


def test_removable_singularities_return_their_limits_exactly():
    assert float(M.alpha_m(25.0)) == 1.0
    assert float(M.alpha_n(10.0)) == 0.1
    assert float(M.alpha_m(25.0, k=12.0)) == 12.0
    # continuous across the singular points, never NaN
    for f, v0, lim in ((M.alpha_m, 25.0, 1.0), (M.alpha_n, 10.0, 0.1)):
        for eps in (1e-12, 1e-9, 1e-7, 1e-5, 1e-3):
            for v in (v0 - eps, v0 + eps):
                assert abs(float(f(v)) - lim) <= lim * eps
    v = np.concatenate([np.linspace(-200, 200, 40001), [10.0, 25.0]])
    for r in M.gate_rates(v, M.SEED_MODEL):
        assert np.all(np.isfinite(r)) and np.all(r > 0)


def test_steady_state_gates_in_unit_interval_and_consistent():
    v = np.linspace(-100, 150, 251)
    m, h, n = M.steady_state(v, M.HH1952)
    for x in (m, h, n):
        assert np.all((x > 0) & (x < 1))
    assert np.all(np.diff(m) > 0) and np.all(np.diff(n) > 0) and np.all(np.diff(h) < 0)


def test_rest_is_nearly_an_equilibrium_of_the_published_parameters():
    # EL = 10.6 mV is HH's rounding of the value that makes V = 0 exactly stationary
    v, m, h, n = M.initial_state(M.HH1952)
    assert v == 0.0
    assert abs(float(M.ionic_current(0.0, m, h, n, M.HH1952))) < 1e-3  # µA/cm²
    assert (m, h, n) == pytest.approx((0.05293, 0.59612, 0.31768), abs=1e-5)


def test_named_parameter_sets():
    assert (hhlib.HH1952.g_na, hhlib.HH1952.g_k, hhlib.HH1952.g_l, hhlib.HH1952.rate_factor) == (120, 36, 0.3, 1)
    assert hhlib.HH1952.knoise == 0 and not hhlib.HH1952.has_noise
    s = hhlib.SEED_MODEL
    assert (s.g_na, s.g_k, s.g_l, s.rate_factor, s.knoise) == (1200, 360, 3, 12, 5e-5)
    assert (s.e_na, s.e_k, s.e_l, s.c_m) == (115, -12, 10.6, 1)
    assert s.noise_dt_ref_ms == 0.0025


def test_parameters_are_frozen_and_replaceable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        hhlib.SEED_MODEL.g_na = 1.0
    quiet = dataclasses.replace(hhlib.SEED_MODEL, knoise=0.0)
    assert quiet.g_na == 1200 and not quiet.has_noise


@pytest.mark.parametrize("field,value", [("knoise", -1e-5), ("g_na", -1.0), ("c_m", 0.0), ("rate_factor", 0.0),
                                         ("g_k", float("nan")), ("e_na", float("inf"))])
def test_invalid_parameters_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(hhlib.SEED_MODEL, **{field: value})


def test_non_numeric_parameter_is_a_type_error():
    with pytest.raises(TypeError, match="g_na"):
        dataclasses.replace(hhlib.HH1952, g_na="120")


def test_temperature_factor_of_the_seed_model():
    # k = 12 corresponds to about 29 °C with Q10 = 3
    assert M.temperature_factor(6.3) == pytest.approx(1.0)
    assert M.temperature_factor(6.3 + 10 * math.log(12, 3)) == pytest.approx(12.0)
