"""Named fits widen their intervals by the Monte Carlo spread of refits in other noise realisations
(``n_spread``): the fit itself is unchanged, each interval is the profile interval with the spread's variance
added on the search scale, and bad values are refused."""
import subprocess
import sys

import numpy as np
import pytest

import hhlib
from hhlib.data import FiringData
from hhlib.fitting.params import parse_free
from hhlib.normalised import DEFAULT_SETUP
from hhlib.stats import norm_ppf

X = np.array([0.92, 0.96, 1.0, 1.04, 1.08])
LAT = dict(latency_ms=np.array([0.62, 0.55, 0.50, 0.47, 0.44]), jitter_ms=np.array([0.10, 0.08, 0.06, 0.05, 0.04]))
DATA = FiringData(X, [12, 30, 52, 71, 88], [100] * 5, source="five levels with latencies", **LAT)
FREE = ["delta_v", "delta_area", "latency_offset_ms"]


def run(n_spread):
    return hhlib.fit(DATA, free=FREE, n_trials=200, validation_n_trials=200, latency_trials=200, seed=3,
                     n_spread=n_spread)


@pytest.fixture(scope="module")
def fits():
    return run(0), run(3)


@pytest.mark.slow
def test_the_spread_leaves_the_fit_and_its_profile_intervals_unchanged(fits):
    plain, spread = fits
    assert plain.estimate == spread.estimate and plain.deviance == spread.deviance
    assert plain.profile_interval == spread.profile_interval == plain.interval
    assert plain.n_spread == 0 and spread.n_spread == 3
    for name, v in plain.estimate.items():
        assert plain.spread[name].tolist() == [v] and spread.spread[name][0] == v
    assert spread.n_trials_simulated > plain.n_trials_simulated         # the refits simulate their own trials
    assert "widened by the spread" in spread.summary() and "widened" not in plain.summary()


@pytest.mark.slow
def test_each_interval_adds_the_spread_variance_on_the_search_scale(fits):
    _, r = fits
    z2 = float(norm_ppf(0.975)) ** 2
    for p in parse_free(FREE, DEFAULT_SETUP):
        values = r.spread[p.name]
        assert values.size == 4 and np.unique(values).size == 4, values     # four realisations, four estimates
        t = p.to_search(values)
        var = np.var(t, ddof=1)
        assert var > 0
        (a, b), (lo, hi) = p.to_search(r.profile_interval[p.name]), p.to_search(r.interval[p.name])
        np.testing.assert_allclose([t[0] - lo, hi - t[0]],
                                   np.sqrt(np.array([t[0] - a, b - t[0]]) ** 2 + z2 * var), rtol=1e-9)
        assert lo < a and hi > b
    d = r.to_dict()
    assert d["n_spread"] == 3 and len(d["spread"]["delta_area"]) == 4
    assert d["profile_interval"]["delta_v"] == list(r.profile_interval["delta_v"])


@pytest.mark.parametrize("bad", [-1, 21, 2.5, "3"])
def test_a_bad_n_spread_is_refused_naming_it(bad):
    with pytest.raises((ValueError, TypeError), match="n_spread"):
        hhlib.fit(DATA, free=FREE, n_spread=bad)


def test_the_command_line_refuses_a_bad_spread_in_one_line():
    p = subprocess.run([sys.executable, "-m", "hhlib", "optimise", "--spread", "-2"], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 2 and "--spread" in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_n_spread_takes_the_named_path_with_the_default_parameters():
    from hhlib.fit import _named
    assert _named(DATA, None, 0) and _named(DATA, ["delta_v", "delta_area"], 2)
    assert not _named(DATA, None) and not _named(DATA, ["delta_v", "delta_area"])
