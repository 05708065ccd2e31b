"""PHAST side by side (hhlib.studies.phast_compare): PHAST's own single-pulse and refractory behaviour first, then
what it cannot do, then the comparison with hhlib's nodes (small trial counts)."""
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import special

import hhlib
from hhlib.studies import phast_compare as pc

NO_DECAY = dict(adaptation_amplitude=0.0, accommodation_amplitude=0.0, sigma_amp=0.0)
FIXED_REFRACTORY = dict(sigma_absolute_refractory_s=0.0, sigma_relative_refractory_s=0.0)


def test_import_without_phastc_and_clear_error():
    code = ("import sys; sys.modules['phast'] = None\n"
            "import hhlib.studies.phast_compare as pc\n"
            "try:\n    pc.phast_run([0.0, 1.0], 1, 1)\nexcept ImportError as e:\n    print('ERR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, timeout=120)
    assert out.returncode == 0, out.stderr
    assert 'pip install "hhlib[phast]"' in out.stdout


phast = pytest.importorskip("phast")


def _single(levels, n, seed, params=None):
    counts = []
    for i, x in enumerate(levels):
        amps = np.zeros(1000)
        amps[100] = x
        counts.append(sum(s.n_spikes for s in pc.phast_run(amps, n, seed + i, params=params)))
    return np.array(counts)


def _within_binomial(counts, n, p, z=4.0):
    sd = np.sqrt(n * p * (1 - p)) + 0.5
    return np.abs(counts - n * p) <= z * sd


def test_phast_single_pulse_is_its_gaussian():
    """(a) sigma_rs = 0: P(x) = Phi((x - 1) / RS) with RS = 0.06, each level within binomial error; the probit fit
    recovers x50 = 1 and RS = 0.06."""
    levels, n = np.linspace(0.88, 1.12, 7), 2000
    counts = _single(levels, n, 11, params=dict(sigma_rs=0.0))
    p = special.ndtr((levels - 1.0) / 0.06)
    assert _within_binomial(counts, n, p).all(), (counts, n * p)
    fit = hhlib.probit_fit(levels, counts, n)
    assert abs(fit.x50 - 1.0) < 0.005 and abs(fit.rs - 0.06) < 0.006, fit


def test_phast_default_rs_is_a_mixture_of_gaussians():
    """(a) PHAST+'s default sigma_rs = 0.04: each trial's RS ~ max(0, N(0.06, 0.04)); P(x) = E[Phi((x - 1)/RS)]
    (quadrature) within binomial error; the fitted RS is wider than 0.06."""
    levels, n = np.linspace(0.85, 1.15, 7), 2000
    counts = _single(levels, n, 21)
    z, w = np.polynomial.hermite_e.hermegauss(80)
    rs = np.maximum(0.06 + 0.04 * z, 1e-12)
    p = (special.ndtr((levels[:, None] - 1.0) / rs) * w).sum(axis=1) / w.sum()
    assert _within_binomial(counts, n, p).all(), (counts, n * p)
    assert hhlib.probit_fit(levels, counts, n).rs > 0.065


def _pair(interval_ms, probe):
    amps = np.zeros(int(round((interval_ms + 1.0) * 1000)))
    amps[100], amps[100 + int(round(interval_ms * 1000))] = 3.0, probe
    return amps


def test_phast_absolute_refractory_period():
    """(b) After a spike no spike within the ARP (0.4 ms, 5 % jitter per pulse) even at 100 x i_det; just after
    it the same probe fires."""
    params = {**NO_DECAY, **FIXED_REFRACTORY}
    early = pc.phast_run(_pair(0.3, 100.0), 2000, 3, params=params)
    late = pc.phast_run(_pair(0.5, 100.0), 2000, 3, params=params)
    assert [s.n_spikes for s in early] == [1] * 2000
    assert sum(s.n_spikes == 2 for s in late) >= 1995


def test_phast_relative_refractory_form():
    """(b) Noise-free, without the integrators: probe threshold = R(t) = 1/(1 - exp(-(t - 0.4)/0.8)) exactly; with
    noise the probe fires with E[Phi((A/R' - 1)/0.06)] over the 5 % jitter of ARP and RRP (quadrature)."""
    t = np.array([0.45, 0.5, 0.6, 1.0, 2.0, 5.0])
    ratio = pc.phast_recovery_ratio(t, params={**NO_DECAY, **FIXED_REFRACTORY})
    np.testing.assert_allclose(ratio, pc.refractory_ratio(t), rtol=1e-9)
    assert np.isinf(pc.phast_recovery_ratio([0.3], params=NO_DECAY)).all()
    params = {**NO_DECAY, **FIXED_REFRACTORY, "sigma_rs": 0.0}
    z, w = np.polynomial.hermite_e.hermegauss(40)
    r1, r2 = np.meshgrid(z, z, indexing="ij")
    ww = np.outer(w, w) / w.sum() ** 2
    R = 1.0 / -np.expm1(-(1.0 - 0.4 * (1 + 0.05 * r1)) / (0.8 * (1 + 0.05 * r2)))
    for j, a in enumerate((1.75, 1.9, 2.05)):
        n2 = sum(s.n_spikes == 2 for s in pc.phast_run(_pair(1.0, a), 2000, 40 + j, params=params))
        p = float((special.ndtr((a / R - 1.0) / 0.06) * ww).sum())
        assert _within_binomial(np.array([n2]), 2000, p).all(), (a, n2, 2000 * p)


def test_phast_defaults_recovery_rises_again():
    """PHAST+'s default integrators: after the spike its adaptation grows like c dt (one explicit-Euler step), so
    the probe threshold rises again from 5 to 50 ms: 1.040 -> 1.368 (the pure R(t): 1.003 -> 1.000)."""
    r = pc.phast_recovery_ratio([1.0, 5.0, 50.0])
    np.testing.assert_allclose(r, [1.9026, 1.0400, 1.3679], atol=2e-4)


def test_what_phast_cannot_do():
    """(c) Each with a number: no pulse width, no polarity, fixed latency without jitter, no facilitation, an
    integrator that oscillates at 100 ms pulse intervals and diverges at 150 ms; hhlib's SEED_MODEL has them."""
    lim = pc.phast_limits("SEED_MODEL", n_trials=200)
    assert lim["PHAST.p_fire_1us"] == lim["PHAST.p_fire_25us"]
    assert lim["PHAST.p_fire_cathodic_1p2"] == lim["PHAST.p_fire_anodic_1p2"] > 0.9
    assert lim["PHAST.latency_1p1_ms"] == lim["PHAST.latency_2_ms"] == 0.0 and lim["PHAST.jitter_ms"] == 0.0
    assert 1.0 <= lim["PHAST.facilitation_ratio"] < 1.0001
    div = lim["PHAST.adaptation_max_50_100_150ms"]
    assert div[0] < 0.4 and 4.0 < div[1] < 5.0 and div[2] > 1000.0
    assert lim["SEED_MODEL.width_ratio_25_100us"] > 3.0
    assert lim["SEED_MODEL.anodic_ratio"] > 2.0
    lat, jit = lim["SEED_MODEL.latency_ms"], lim["SEED_MODEL.jitter_ms"]
    assert lat[0] > lat[1] + 0.1 and jit[0] > 3 * jit[1]
    assert lim["SEED_MODEL.facilitation_ratio"] < 0.6


def test_comparison_small_and_deterministic():
    """The builder on SEED_MODEL with few trials: keys, PHAST's x50 near 1, every train first pulse, the recovery
    against the formula, and the same numbers for the same seed."""
    kw = dict(models=("SEED_MODEL",), n_trials=60, train_trials=10, duration_ms=12.0)
    a, b = pc.phast_comparison(**kw), pc.phast_comparison(**kw)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert abs(float(a["PHAST.x50"]) - 1.0) < 0.05
    assert a["PHAST.train1000_efficiency"].shape == (12,) and a["SEED_MODEL.train5000_efficiency"].shape == (60,)
    np.testing.assert_allclose(a["PHAST.recovery"][2:6], a["phast_formula"][2:6], rtol=0.01)
    assert np.isinf(a["SEED_MODEL.recovery"][0]) and a["SEED_MODEL.recovery"][6] < 1.0     # supernormal at 1.5 ms
    assert float(a["PHAST.train1000_vs_pulse"]) == 1.0 and float(a["SEED_MODEL.train1000_vs_pulse"]) < 1.0
    with pytest.raises(ValueError, match="models"):
        pc.phast_comparison(models=("HH1952",), n_trials=5, train_trials=2, duration_ms=4.0)


def test_bad_params_named():
    with pytest.raises(ValueError, match="params: unknown PHAST parameter"):
        pc.phast_run([1.0], 1, 1, params=dict(rs=0.1))
    with pytest.raises(ValueError, match="name"):
        pc.phast_limits("HH1952")
