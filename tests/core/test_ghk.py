"""Goldman-Hodgkin-Katz currents (hhlib.model.ghk): the chord-conductance factor against the textbook current,
its removable singularities, units, the Nernst reversal, the compiled factor, and the checks of the description."""
import dataclasses
import math
from decimal import Decimal, localcontext

import numpy as np
import pytest

import hhlib
from hhlib.model import Current, GHKCurrent, Membrane, ghk_current_density, ghk_factor
from hhlib.model.ghk import FARADAY, GAS_CONSTANT
from hhlib.models import FH1964

V_REST = -70.0
T_C = 22.03
#: (z, c_in mM, c_out mM): Na+ and K+ of FH1964, Ca2+ with its 20000-fold gradient, Cl-.
IONS = [(1, 13.74, 114.5), (1, 120.0, 2.5), (2, 1e-4, 2.0), (-1, 10.0, 110.0)]


def membrane(z, c_in, c_out, temperature=T_C, v_rest=V_REST):
    """A membrane with one (ungated) GHK current of 1 cm/s and a small leak."""
    return Membrane(gates=FH1964.gates, currents=(GHKCurrent("x", 1.0, z, c_in, c_out), Current("leak", 1.0, 0.0)),
                    v_rest_abs_mV=v_rest, temperature_celsius=temperature)


def params(z, c_in, c_out):
    model = membrane(z, c_in, c_out)
    return model.current_params()[0], model.reversals()[0]


def exact_chord(v_rel, z, c_in, c_out, temperature=T_C, v_rest=V_REST):
    """I(V) / (V - E_Nernst) per unit permeability from the textbook formula in 50-digit decimal arithmetic;
    at the two removable singularities, their limits."""
    with localcontext() as ctx:
        ctx.prec = 50
        vt = Decimal(GAS_CONSTANT) * (Decimal(temperature) + Decimal("273.15")) / Decimal(FARADAY) * 1000
        e = Decimal(v_rel) + Decimal(v_rest)
        u = z * e / vt
        e_nernst = vt / z * (Decimal(c_out) / Decimal(c_in)).ln()
        zf = z * Decimal(FARADAY)
        if u == 0:
            current = zf * (Decimal(c_in) - Decimal(c_out))
        elif e == e_nernst:                        # dI/dV at the reversal
            return float(zf * z / vt * Decimal(c_in) * u / (1 - (-u).exp()))
        else:
            current = zf * u * (Decimal(c_in) - Decimal(c_out) * (-u).exp()) / (1 - (-u).exp())
        return float(current / (e - e_nernst))


def direct_chord(v_rel, z, c_in, c_out):
    """The same in float64, as written in textbooks (0/0 at the singular points)."""
    vt = 1e3 * GAS_CONSTANT * (T_C + 273.15) / FARADAY
    e = v_rel + V_REST
    u = z * e / vt
    current = z * FARADAY * u * (c_in - c_out * np.exp(-u)) / (1.0 - np.exp(-u))
    return current / (e - vt / z * math.log(c_out / c_in))


@pytest.mark.parametrize("z,c_in,c_out", IONS)
def test_factor_is_the_ghk_current_over_the_driving_force_from_minus_200_to_200_mV(z, c_in, c_out):
    prm, e_rel = params(z, c_in, c_out)
    v = np.linspace(-200.0, 200.0, 4001)
    away = (np.abs(v + V_REST) > 1.0) & (np.abs(v - e_rel) > 1.0)
    np.testing.assert_allclose(ghk_factor(v[away], *prm), direct_chord(v[away], z, c_in, c_out), rtol=1e-12, atol=0)
    sample = v[::40]
    np.testing.assert_allclose(ghk_factor(sample, *prm), [exact_chord(x, z, c_in, c_out) for x in sample],
                               rtol=1e-12, atol=0)


@pytest.mark.parametrize("z,c_in,c_out", IONS)
def test_factor_near_and_at_its_removable_singularities(z, c_in, c_out):
    prm, e_rel = params(z, c_in, c_out)
    offsets = np.array([-1e-2, -1e-5, -1e-7, -1e-9, -1e-12, 0.0, 1e-12, 1e-9, 1e-7, 1e-5, 1e-2])
    for where in (-V_REST, e_rel):                       # absolute V = 0 and V = E_Nernst
        v = where + offsets
        got = ghk_factor(v, *prm)
        assert np.all(np.isfinite(got)) and np.all(got > 0)
        want = [exact_chord(x, z, c_in, c_out) for x in v]
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=0)
    assert float(ghk_factor(e_rel, *prm)) == pytest.approx(exact_chord(e_rel, z, c_in, c_out), rel=1e-12)


@pytest.mark.parametrize("z,c_in,c_out", IONS)
def test_factor_stays_finite_and_exact_far_beyond_the_physiological_range(z, c_in, c_out):
    # exp(-u) under- or overflows beyond |V| ~ 18 V; the factor's bounded form does not (its relative rounding
    # grows like 1e-16 |u|: 1e-12 at the engines' divergence limit of 1e6 mV)
    prm, _ = params(z, c_in, c_out)
    v = np.array([-2e4, -5e3, 5e3, 2e4])
    np.testing.assert_allclose(ghk_factor(v, *prm), [exact_chord(x, z, c_in, c_out) for x in v], rtol=1e-12, atol=0)
    v = np.array([-1e6, 1e6])
    got = ghk_factor(v, *prm)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, [exact_chord(x, z, c_in, c_out) for x in v], rtol=1e-10, atol=0)


def test_units_microampere_per_cm2_from_an_si_evaluation():
    # I = P z^2 F^2 E/(R T) (c_i - c_o e^{-u})/(1 - e^{-u}) in SI: P m/s, c mol/m^3 (= mM), E V -> A/m^2
    p_si, e_volt, t_k = 8e-5, 0.0123 - 0.070, 295.18
    u = FARADAY * e_volt / (GAS_CONSTANT * t_k)
    i_si = p_si * FARADAY**2 * e_volt / (GAS_CONSTANT * t_k) * (13.74 - 114.5 * math.exp(-u)) / (1 - math.exp(-u))
    got = ghk_current_density(12.3, 8e-3, 1, 13.74, 114.5, t_k - 273.15, -70.0)     # P in cm/s, µA/cm²
    assert float(got) == pytest.approx(i_si * 100.0, rel=1e-12)                     # 1 A/m² = 100 µA/cm²
    assert float(got) == pytest.approx(-220844.2, abs=0.1)


@pytest.mark.parametrize("z,c_in,c_out", IONS)
def test_reversal_is_the_nernst_potential_relative_to_rest(z, c_in, c_out):
    model = membrane(z, c_in, c_out)
    want = 1e3 * GAS_CONSTANT * (T_C + 273.15) / (z * FARADAY) * math.log(c_out / c_in) - V_REST
    e_rel = model.reversals()[0]
    assert e_rel == pytest.approx(want, rel=1e-13)
    i = ghk_current_density(np.array([e_rel - 1.0, e_rel, e_rel + 1.0]), 1.0, z, c_in, c_out, T_C, V_REST)
    assert i[0] < 0.0 < i[2] and abs(i[1]) <= 1e-12 * abs(i[0])     # outward above the reversal, none at it
    warm = membrane(z, c_in, c_out, temperature=37.0)
    assert warm.reversals()[0] + V_REST == pytest.approx((want + V_REST) * (37.0 + 273.15) / (T_C + 273.15), rel=1e-13)


def test_fh1964_reversals_are_the_published_nernst_potentials():
    e_na, e_k, e_p, e_leak = FH1964.reversals()
    assert round(e_na - 70.0, 2) == 53.93 and round(e_k - 70.0, 2) == -98.47 and e_p == e_na
    assert FH1964.max_reversal_mV == e_na


def test_the_compiled_factor_equals_numpy_through_the_singularities():
    import numba

    from hhlib.engines import numba_support  # noqa: F401  (registers the scalar linoid)
    compiled = numba.njit(ghk_factor)
    for z, c_in, c_out in IONS:
        prm, e_rel = params(z, c_in, c_out)
        v = np.r_[np.linspace(-300.0, 400.0, 701), -V_REST + np.array([-1e-8, 0.0, 1e-8]),
                  e_rel + np.array([-1e-8, 0.0, 1e-8]), [-1e6, 1e6]]
        got = np.array([compiled(x, *prm) for x in v])
        np.testing.assert_allclose(got, ghk_factor(v, *prm), rtol=1e-12, atol=0)


def test_model_currents_conductances_and_equilibrium_of_a_ghk_membrane():
    gates = FH1964.steady_state(30.0)
    m, h, n, p = gates
    v = 30.0
    ina = ghk_current_density(v, 8e-3 * m * m * h, 1, 13.74, 114.5, FH1964.temperature_celsius, -70.0)
    ik = ghk_current_density(v, 1.2e-3 * n * n, 1, 120.0, 2.5, FH1964.temperature_celsius, -70.0)
    ip = ghk_current_density(v, 0.54e-3 * p * p, 1, 13.74, 114.5, FH1964.temperature_celsius, -70.0)
    ileak = 30.3 * (v - FH1964.reversals()[3])
    assert float(FH1964.ionic_current(v, gates)) == pytest.approx(float(ina + ik + ip + ileak), rel=1e-12)
    gs = FH1964.conductances(gates, v)
    assert float(gs[0]) == pytest.approx(float(ina / (v - FH1964.reversals()[0])), rel=1e-12)
    e_ion = float(FH1964.ionic_equilibrium(gates, v))
    assert float(sum(gs)) * (v - e_ion) == pytest.approx(float(FH1964.ionic_current(v, gates)), rel=1e-10)


def test_maximal_conductance_of_a_ghk_current_is_its_chord_conductance_at_rest():
    g = FH1964.maximal_conductance("na")
    i_rest = ghk_current_density(0.0, 8e-3, 1, 13.74, 114.5, FH1964.temperature_celsius, -70.0)
    assert g == pytest.approx(float(i_rest) / (0.0 - FH1964.reversals()[0]), rel=1e-12)
    assert round(g, 1) == 2080.2 and FH1964.maximal_conductance("leak") == 30.3
    assert hhlib.HH1952.maximal_conductance("na") == 120.0
    with pytest.raises(ValueError, match=r"model 'FH1964' has no current named 'ca' \(its currents: \['na', 'k'"):
        FH1964.maximal_conductance("ca")


@pytest.mark.parametrize("kwargs,error,text", [
    (dict(permeability=-1.0), ValueError, "GHKCurrent 'na' permeability must be >= 0 cm/s, got -1.0"),
    (dict(z=0), ValueError, "GHKCurrent 'na' z must be the ion's charge, a nonzero integer in [-3, 3], got 0"),
    (dict(z=1.0), TypeError, "GHKCurrent 'na' z must be an integer >= -3 and <= 3, got 1.0 (float)"),
    (dict(z=4), ValueError, "GHKCurrent 'na' z must be an integer >= -3 and <= 3, got 4"),
    (dict(c_in_mM=0.0), ValueError, "GHKCurrent 'na' c_in_mM must be > 0 mM, got 0.0"),
    (dict(c_out_mM=float("nan")), ValueError, "GHKCurrent 'na' c_out_mM must be finite > 0 mM, got nan"),
    (dict(gates=("m", 2)), TypeError, "GHKCurrent 'na' gates must be a tuple of (gate name, exponent) pairs, got "
                                      "the bare pair ('m', 2)"),
    (dict(name=""), TypeError, "GHKCurrent name must be a non-empty str"),
])
def test_a_bad_ghk_current_is_refused_naming_the_field(kwargs, error, text):
    args = dict(name="na", permeability=1e-3, z=1, c_in_mM=10.0, c_out_mM=100.0)
    args.update(kwargs)
    with pytest.raises(error) as info:
        GHKCurrent(**args)
    assert text in str(info.value)


def test_a_model_with_a_ghk_current_needs_its_temperature():
    with pytest.raises(ValueError, match=r"GHK current 'na' needs the model's temperature_celsius \(°C, for RT/F\), "
                                         r"but model 'FH1964' has temperature_celsius = None"):
        dataclasses.replace(FH1964, temperature_celsius=None)
    with pytest.raises(ValueError, match=r"temperature_celsius must be > -273.15 °C, got -300.0"):
        dataclasses.replace(FH1964, temperature_celsius=-300.0)
    with pytest.raises(TypeError, match="currents must be hhlib.model.Current or hhlib.model.GHKCurrent objects, "
                                        "got tuple"):
        Membrane(gates=FH1964.gates, currents=(("na", 1.0),), temperature_celsius=20.0)
    plain = Membrane(gates=hhlib.HH1952.gates, currents=hhlib.HH1952.currents)   # ohmic: no temperature needed
    assert plain.temperature_celsius is None and plain.current_params() == ((), (), ())
