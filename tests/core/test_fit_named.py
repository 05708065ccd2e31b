"""Named free parameters (hhlib.fit(free=...)): names, scales, bad input, the command line's errors (fast)."""
import dataclasses
import subprocess
import sys

import numpy as np
import pytest

import hhlib
from hhlib.data import FiringData, Protocol
from hhlib.fit import _named
from hhlib.fitting.params import apply_values, parse_free, valid_names
from hhlib.normalised import DEFAULT_SETUP, channel_noise_setup

X = np.array([0.95, 1.0, 1.05])
DATA = FiringData(X, [10, 50, 90], [100, 100, 100], source="three levels")


def fit(data=DATA, **kw):
    return hhlib.fit(data, n_trials=200, validation_n_trials=200, **kw)


def test_names_scales_and_default_bounds():
    ps = {p.name: p for p in parse_free({"delta_v": None, "knoise": (1e-6, 1e-3), "latency_offset_ms": (-1, 1),
                                         "rate_factor": None, "g_k": (0, 800)}, DEFAULT_SETUP)}
    assert (ps["delta_v"].low, ps["delta_v"].high, ps["delta_v"].scale) == (-0.9, 9.0, "log1p")
    assert ps["knoise"].scale == "log" and ps["latency_offset_ms"].scale == "linear"
    assert (ps["rate_factor"].low, ps["rate_factor"].high, ps["rate_factor"].scale) == (1.2, 120.0, "log")
    assert ps["g_k"].scale == "linear"                       # a lower bound of 0: linear
    assert float(ps["knoise"].from_search(ps["knoise"].to_search(2e-5))) == pytest.approx(2e-5, rel=1e-12)


def test_channel_noise_setups_name_their_densities_and_membranes_their_currents():
    names = valid_names(channel_noise_setup())
    assert "na_per_um2" in names and "k_per_um2" in names and "knoise" not in names
    crrss = dataclasses.replace(DEFAULT_SETUP, model=hhlib.models.CRRSS, noise=False)
    assert "g_max.na" in valid_names(crrss)
    new, area = apply_values(crrss, {"g_max.na": 1000.0, "delta_area": 1.0})
    assert next(c.g_max for c in new.model.currents if c.name == "na") == 1000.0 and area == 2e-9


def test_values_go_into_the_model_and_the_noise():
    new, area = apply_values(DEFAULT_SETUP, {"knoise": 2e-5, "rate_factor": 10.0, "delta_area": 3.0})
    assert new.noise.knoise == 2e-5 and new.model.rate_factor == 10.0 and area == pytest.approx(4e-9, rel=1e-12)
    ch, _ = apply_values(channel_noise_setup(), {"na_per_um2": 300.0})
    assert ch.noise.na_per_um2 == 300.0 and ch.noise.k_per_um2 == 180.0


def test_the_default_two_take_todays_exact_path():
    assert not _named(DATA, None)
    assert not _named(DATA, {"delta_v": (-0.9, 9.0), "delta_area": (-0.9, 9.0)})
    assert not _named(DATA, ["delta_area", "delta_v"])
    assert _named(DATA, {"delta_v": (-0.5, 9.0), "delta_area": (-0.9, 9.0)})
    assert _named([DATA], None) and _named(DATA, ["knoise"])
    with pytest.warns(RuntimeWarning, match="fewer than the data's 1000"):
        r = hhlib.fit(seed=0, n_trials=200, validation_n_trials=200, global_search=False)
    assert r.estimate == {"delta_v": r.delta_v, "delta_area": r.delta_area}
    assert r.interval["delta_v"] == tuple(r.delta_v_ci)


@pytest.mark.parametrize("free, needle", [
    ({"bogus": (0, 1)}, "unknown parameter 'bogus'; valid names for this setup: delta_v, delta_area, "
                        "latency_offset_ms, knoise, g_na"),
    ({"delta_area": (3.0, 1.0)}, "free['delta_area'] bounds are reversed or empty: low = 3.0 must be < high = 1.0"),
    ({"delta_v": (-1.5, 1.0)}, "free['delta_v'] low = -1.5 must be > -1"),
    ({"knoise": (1e-5, float("inf"))}, "free['knoise'] bounds must be finite"),
    ({"knoise": (1e-5,)}, "free['knoise'] must be a pair (low, high)"),
    ({"latency_offset_ms": (-1, 1)}, "free['latency_offset_ms']: no data set has latency data"),
    ({}, "free must name at least one parameter"),
])
def test_bad_free_names_the_parameter(free, needle):
    with pytest.raises(ValueError) as e:
        fit(free=free)
    assert needle in str(e.value)


def test_a_start_outside_its_bounds_or_not_free_is_refused():
    with pytest.raises(ValueError, match=r"start\['knoise'\] = 0.01 lies outside its bounds \[1e-06, 0.001\]"):
        fit(free={"knoise": (1e-6, 1e-3)}, start={"knoise": 1e-2})
    with pytest.raises(ValueError, match="start names 'rate_factor', which is not free"):
        fit(free=["knoise"], start={"rate_factor": 10.0})


def test_a_data_set_whose_protocol_the_model_cannot_run_is_named():
    long = FiringData(X, [10, 50, 90], [100, 100, 100], source="long pulse",
                      protocol=Protocol(stimulus="Pulse(1.0, 5.0)"))
    with pytest.raises(ValueError, match=r"data set 1 \(long pulse\): the model cannot run its protocol"):
        fit([DATA, long])
    with pytest.raises(TypeError, match=r"data\[1\] must be a FiringData"):
        fit([DATA, "file.csv"])


@pytest.mark.parametrize("args, needle", [
    (["--free", "bogus"], "unknown parameter 'bogus'; valid names"),
    (["--free", "knoise=3:1"], "free['knoise'] bounds are reversed"),
    (["--free", "knoise=1e-5"], "expected NAME=LO:HI with two numbers"),
    (["--free", "latency_offset_ms"], "no data set has latency data"),
])
def test_the_command_line_refuses_bad_free_parameters_in_one_line(args, needle):
    p = subprocess.run([sys.executable, "-m", "hhlib", "optimise", *args], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 2, p.stderr
    assert needle in p.stderr and len(p.stderr.strip().splitlines()) == 1
