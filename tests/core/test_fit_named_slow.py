"""Named-parameter fits of synthetic data: recovery, a flat direction, a joint fit of two pulse widths, the CLI.

Slow (minutes): ``pytest -m slow tests/core/test_fit_named_slow.py``. The 10-seed recovery counts (three and
four free parameters) are ``benchmarks/recovery_named.py``; here one seed of each, with fewer simulated trials per
point (the intervals widen for them: ``1 + N/R``).
"""
import subprocess
import sys

import numpy as np
import pytest

import hhlib
from hhlib.data import FiringData, Protocol, save_data
from hhlib.normalised import predict, setup_for_data

TRUTH = {"delta_v": 1.96, "delta_area": 3.25, "latency_offset_ms": 0.5}
X = np.array([0.92, 0.95, 0.98, 1.0, 1.02, 1.05, 1.08, 1.11])


def synthetic(seed, truth=TRUTH, x=X, n=100, protocol=None, latency=True):
    """Counts (and latencies shifted by the offset) simulated at the truth, ``n`` trials per level."""
    protocol = Protocol() if protocol is None else protocol
    d0 = FiringData(x, np.zeros(x.size, int), np.full(x.size, n), protocol=protocol)
    pred = predict(truth["delta_v"], truth["delta_area"], x, n_trials=n, seed=1000 + seed,
                   setup=setup_for_data(d0), return_latency=True)
    k = pred.n_fired
    kw = {}
    if latency:
        kw = dict(latency_ms=np.where(k > 0, pred.latency_ms + truth.get("latency_offset_ms", 0.0), np.nan),
                  jitter_ms=np.where(k > 1, pred.jitter_ms, np.nan))
    return FiringData(x, k, np.full(x.size, n), source=f"synthetic seed {seed}", protocol=protocol, **kw)


def recovered(data, truth, n_trials, seed, latency_trials=300):
    r = hhlib.fit(data, free=list(truth), n_trials=n_trials, validation_n_trials=1000, latency_trials=latency_trials,
                  seed=seed)
    inside = {k: r.determined[k] and r.interval[k][0] <= v <= r.interval[k][1] for k, v in truth.items()}
    return r, inside


def widths_with_latency(seed, n=200):
    """0.1 ms and 0.5 ms pulses, ``n`` trials per level, with latencies: what separates the kinetics
    (``rate_factor``) from the area."""
    short = Protocol(stimulus="Pulse(1.0, 0.1, 0.1)")
    long = Protocol(stimulus="Pulse(1.0, 0.1, 0.5)")
    return [synthetic(seed, protocol=short, n=n), synthetic(seed + 100, x=X * 0.37, protocol=long, n=n)]


@pytest.mark.slow
def test_three_parameters_are_recovered_inside_their_intervals():
    r, inside = recovered([synthetic(3)], TRUTH, 300, 3)
    assert r.verdict == "converged", r.summary()
    assert all(inside.values()), r.summary()
    assert r.interval["latency_offset_ms"][1] - r.interval["latency_offset_ms"][0] < 0.1


@pytest.mark.slow
def test_four_parameters_with_the_kinetics_are_recovered_from_two_pulse_widths():
    truth = dict(TRUTH, rate_factor=12.0)
    r, inside = recovered(widths_with_latency(0), truth, 200, 0, latency_trials=200)
    assert r.verdict == "converged", r.summary()
    assert all(inside.values()), r.summary()
    lo, hi = r.interval["rate_factor"]
    assert hi / lo < 1.3, r.summary()            # the kinetics to within about +-13 %


@pytest.mark.slow
def test_delta_area_and_knoise_are_reported_not_determined():
    """For current noise the firing depends on I/A and knoise/sqrt(A) only: delta_v, delta_area and knoise
    cannot all be fixed by any data; the fit says so instead of converging."""
    r = hhlib.fit(synthetic(0, latency=False), free={"delta_v": (-0.9, 9), "delta_area": (-0.9, 9),
                                                     "knoise": (1e-5, 2.5e-4)},
                  n_trials=300, validation_n_trials=1000, seed=0)
    assert r.verdict == "not determined" and not r.converged
    assert not r.determined["knoise"] and not r.determined["delta_area"]
    assert "do not determine" in r.message or "does not rise" in r.message


def widths():
    short = Protocol(stimulus="Pulse(1.0, 0.1, 0.1)")
    long = Protocol(stimulus="Pulse(1.0, 0.1, 0.2)")
    x_long = X * 0.575
    return synthetic(0, protocol=short, latency=False), synthetic(1, x=x_long, protocol=long, latency=False)


@pytest.mark.slow
def test_a_joint_fit_of_two_pulse_widths_is_narrower_than_either():
    a, b = widths()
    kw = dict(free=["delta_v", "delta_area"], n_trials=1000, validation_n_trials=1000, seed=0)
    fits = [hhlib.fit([a], **kw), hhlib.fit([b], **kw), hhlib.fit([a, b], **kw)]
    width = [np.log1p(f.interval["delta_area"][1]) - np.log1p(f.interval["delta_area"][0]) for f in fits]
    assert all(f.determined["delta_area"] for f in fits), [f.summary() for f in fits]
    assert width[2] < min(width[:2]), width
    assert len(fits[2].per_set) == 2 and fits[2].dof == 2 * X.size - 2
    lo, hi = fits[2].interval["delta_area"]
    assert lo <= TRUTH["delta_area"] <= hi


@pytest.mark.slow
def test_the_command_line_fits_named_parameters_to_two_files(tmp_path):
    a, b = widths()
    pa, pb = save_data(a, tmp_path / "a.csv"), save_data(b, tmp_path / "b.csv")
    p = subprocess.run([sys.executable, "-m", "hhlib", "optimise", "--data", str(pa), "--data", str(pb), "--free",
                        "delta_v", "delta_area=0:9", "--runs", "300", "--json"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    import json
    out = json.loads(p.stdout)
    assert set(out["estimate"]) == {"delta_v", "delta_area"} and len(out["per_set"]) == 2
    assert out["interval"]["delta_area"][0] < out["estimate"]["delta_area"] < out["interval"]["delta_area"][1]
