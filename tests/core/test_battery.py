"""The single-fibre battery (issue 18, section 2): hhlib.battery, BatteryResult, battery_table, hhlib.published.

SEED_MODEL's numbers are those the notebooks and the README already show: threshold 7.011e-8 µA at 1e-9 cm²,
RS 0.171 (current noise), latency 0.322 ms and jitter 0.070 ms at ~7e-8 µA, the recovery ratios of
tests/core/test_refractoriness.py (5.945, 2.529, 0.883 at 0.75, 1, 1.5 ms; those are at dt 0.5 µs, the battery
runs at 2.5 µs, off by up to 1.7e-3). Every definition is checked against an independent computation.
"""
import json
import math

import numpy as np
import pytest

import hhlib
from hhlib import BiphasicPulse, Pulse
from hhlib.battery import ENTRY_ORDER, BatteryResult, _fit_rrp, _log_recovery, battery, battery_table
from hhlib.models import FH1964

SEED, AREA = hhlib.SEED_MODEL, 1e-9
DT = 0.0025
RECOVERY = (0.6, 0.75, 0.9, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0)
RANDOM = {"x50_uA", "rs", "latency_ms", "jitter_ms", "spontaneous_rate_hz"}


@pytest.fixture(scope="module")
def det():
    """SEED_MODEL without noise, the recovery curve at the intervals of test_refractoriness."""
    return battery(SEED, AREA, noise=False, recovery_intervals_ms=RECOVERY)


@pytest.fixture(scope="module")
def noisy():
    """SEED_MODEL with its current noise; a short spontaneous-rate window (channel noise, markov)."""
    return battery(SEED, AREA, n_trials=1000, seed=0, spontaneous_trials=20, spontaneous_window_ms=50.0)


def test_threshold_is_the_notebooks(det):
    assert det.value("threshold_uA") == pytest.approx(7.011e-8, rel=2e-4)
    assert det.value("threshold_uA") == pytest.approx(hhlib.threshold_current(SEED, AREA), rel=2e-4)
    assert det.settings["follow_ms"] == 1.9                       # its runs end at 2 ms, as the notebooks'


def test_x50_and_rs_agree_with_the_readme(noisy):
    rs = noisy["rs"]
    assert rs.low < 0.171 < rs.high                               # README: RS = 0.171 at 1e-9 cm²
    assert rs.value == pytest.approx(0.171, abs=0.01)
    thr = hhlib.thresholds.trial_thresholds(SEED, AREA, 1000, seed=0)    # the same trials: stream 0 of seed 0
    q16, q50, q84 = np.quantile(thr, hhlib.stats.SIGMA_QUANTILES)
    assert noisy.value("x50_uA") == pytest.approx(q50, rel=1e-12)
    assert rs.value == pytest.approx((q84 - q16) / (2 * q50), rel=1e-12)
    assert noisy.value("x50_uA") == pytest.approx(0.99 * 7.011e-8, rel=0.02)


def test_latency_and_jitter_agree_with_the_readme(noisy):
    # README (Latency and jitter): 0.322 ms and 0.070 ms at 7e-8 µA (x50 = 6.95e-8 µA), 2000 trials
    lat, jit = noisy["latency_ms"], noisy["jitter_ms"]
    assert lat.value == pytest.approx(0.322, abs=0.01) and lat.high - lat.low < 0.02
    assert jit.value == pytest.approx(0.070, abs=0.01)
    curve = noisy.curve("latency")
    assert curve["firing_efficiency"].size == 11
    i = int(np.argmin(np.abs(curve["amplitude_uA"] - noisy.value("x50_uA"))))
    assert curve["latency_ms"][i] == lat.value and curve["firing_efficiency"][i] == pytest.approx(0.5, abs=0.05)
    # Miller et al. 1999's shape: latency and jitter fall as the firing efficiency rises
    assert curve["latency_ms"][-1] < curve["latency_ms"][0] and curve["jitter_ms"][-1] < curve["jitter_ms"][0]
    assert np.all(np.diff(curve["firing_efficiency"]) > -0.05)


def test_recovery_ratios_equal_those_of_test_refractoriness(det):
    c = det.curve("recovery")
    ratio = dict(zip(c["interval_ms"].round(6), c["ratio"], strict=True))
    assert ratio[0.75] == pytest.approx(5.945, rel=3e-3)
    assert ratio[1.0] == pytest.approx(2.529, rel=3e-3)
    assert ratio[1.5] == pytest.approx(0.883, rel=3e-3)


def test_supernormal_period_is_reported(det, noisy):
    c = det.curve("recovery")
    assert det.value("supernormal_min_ratio") == c["ratio"].min() < 0.9
    assert det.value("supernormal_at_ms") == c["interval_ms"][np.argmin(c["ratio"])] == 1.5
    assert "supernormal (< 1)" in det["supernormal_min_ratio"].definition
    # the default grid (ARP x 1.05 ... 10) finds a deeper point near 1.67 ms
    assert noisy.value("supernormal_min_ratio") < 0.883


def _probe_adds_a_spike(interval_ms, probe_uA, thr):
    stim = Pulse(1.5 * thr) + Pulse(np.array([0.0, probe_uA]), delay_ms=round(0.1 + interval_ms, 9))
    counts = hhlib.simulate(SEED, stim, AREA, 1, noise=False, t_end_ms=round(0.1 + interval_ms + 1.9, 9)).spike_counts
    return counts.ravel()[1] > counts.ravel()[0]


def test_absolute_refractory_period_definition(det):
    arp, thr = det.value("absolute_refractory_ms"), det.value("threshold_uA")
    assert 0.5 < arp < 0.75                                      # 163 x threshold at 0.5 ms, 5.9 x at 0.75 ms
    assert _probe_adds_a_spike(arp, 20 * thr, thr)               # a 20 x probe fires at the ARP ...
    assert not _probe_adds_a_spike(round(arp - DT, 9), 20 * thr, thr)   # ... and not one step before


def test_chronaxie_against_an_independent_threshold_search(det):
    rheo, chron = det.value("rheobase_uA"), det.value("chronaxie_ms")
    long = hhlib.threshold_current(SEED, AREA, stimulus=Pulse(1.0, duration_ms=20.0), t_end_ms=22.0, rtol=1e-5)
    assert rheo == pytest.approx(long, rel=2e-5)
    k = math.floor(chron / DT)
    below, above = (hhlib.threshold_current(SEED, AREA, stimulus=Pulse(1.0, duration_ms=round(j * DT, 9)),
                                            t_end_ms=round(0.1 + j * DT + 1.9, 9), rtol=1e-5) for j in (k, k + 1))
    assert below > 2 * rheo >= above                            # the chronaxie's two grid widths bracket 2 x rheobase
    sd = det.curve("strength_duration")
    assert sd["width_ms"][0] == 0.01 and sd["width_ms"][-1] == 2.0 and np.all(np.diff(sd["threshold_uA"]) < 1e-12)


def test_fitted_rrp_reproduces_the_recovery_curve(det):
    c, arp, rrp = det.curve("recovery"), det.value("absolute_refractory_ms"), det.value("relative_refractory_ms")
    above = c["interval_ms"] > arp
    np.testing.assert_allclose(c["fitted_ratio"][above], np.exp(_log_recovery(c["interval_ms"][above], arp, rrp)),
                               rtol=1e-12)
    assert np.all(np.isnan(c["fitted_ratio"][~above]))
    # the RRP is the least-squares optimum in log ratio over the points before the ratio first reaches 1
    use = above & (c["interval_ms"] < c["interval_ms"][np.flatnonzero(c["ratio"] <= 1)[0]])
    def loss(x):
        return np.sum((_log_recovery(c["interval_ms"][use], arp, x) - np.log(c["ratio"][use])) ** 2)
    assert loss(rrp) < loss(0.98 * rrp) and loss(rrp) < loss(1.02 * rrp)
    rms = math.sqrt(loss(rrp) / use.sum())
    assert f"rms error {100 * rms:.2g} %" in det["relative_refractory_ms"].definition
    assert 0.4 < rrp < 1.0 and 0.1 < rms < 0.5                   # SEED_MODEL recovers unlike PHAST's form: said so
    # and on a curve of exactly the PHAST form the fit returns its RRP
    t = np.linspace(0.6, 3.0, 12)
    fitted, err, n = _fit_rrp(t, np.exp(_log_recovery(t, 0.5, 0.41)), 0.5, [])
    assert fitted == pytest.approx(0.41, rel=1e-6) and err < 1e-6 and n == 12


def test_biphasic_ratio_above_one_and_the_gap_lowers_it(det):
    thr, b, bg = det.value("threshold_uA"), det.value("biphasic_ratio"), det.value("biphasic_ratio_gap")
    assert b > bg > 1.0
    direct = hhlib.threshold_current(SEED, AREA, stimulus=BiphasicPulse(1.0, phase_duration_ms=0.1), t_end_ms=2.2,
                                     rtol=1e-5)
    assert b == pytest.approx(direct / thr, rel=3e-5)
    assert "gap 30 µs" in det["biphasic_ratio_gap"].definition


def test_facilitation_after_a_subthreshold_conditioner(det):
    thr, f = det.value("threshold_uA"), det.value("facilitation_ratio")
    pair = Pulse(0.9 * thr) + Pulse(1.0, delay_ms=0.3)
    direct = hhlib.threshold_current(SEED, AREA, stimulus=pair, vary=1, t_end_ms=2.2, rtol=1e-5) / thr
    assert f == pytest.approx(direct, rel=3e-5) and f < 0.5
    c = det.curve("facilitation")
    assert c["interval_ms"][0] == 0.1 and c["interval_ms"][-1] == 1.0 and c["ratio"][0] < f


def test_deterministic_entries_have_no_interval_random_ones_do(det, noisy):
    assert set(det.entries) == set(ENTRY_ORDER) - RANDOM
    assert not any(e.random for e in det.entries.values())
    assert set(noisy.entries) == set(ENTRY_ORDER)
    for name, e in noisy.entries.items():
        assert e.random == (name in RANDOM), name
        if e.random:
            assert e.low <= e.value <= e.high and e.low < e.high, name
    for name in set(ENTRY_ORDER) - RANDOM:
        assert noisy.value(name) == det.value(name) or name.startswith(("supernormal", "relative"))


def test_spontaneous_rate_with_channel_noise_and_with_current_noise(noisy):
    sp = noisy["spontaneous_rate_hz"]
    assert sp.value > 100 and sp.low < sp.value < sp.high        # 60 Na channels at 1e-9 cm²: it fires on its own
    assert "ChannelNoise(na_per_um2=600.0" in sp.definition
    quiet = battery(SEED, AREA, n_trials=50, n_boot=100, spontaneous_noise=hhlib.CurrentNoise(5e-5),
                    spontaneous_trials=10, spontaneous_window_ms=20.0, latency_efficiencies=(0.5,))
    e = quiet["spontaneous_rate_hz"]
    assert (e.value, e.low) == (0.0, 0.0)
    assert e.high == pytest.approx(-math.log(0.05) / (10 * 0.020), rel=1e-9)   # exact Poisson bound for 0 spikes
    assert "no spike" in e.definition


def test_table_and_dict_round_trip(noisy):
    text = str(noisy)
    lines = text.splitlines()
    assert len(lines) == 2 + len(noisy.entries) + len(noisy.notes)
    rs_line = next(ln for ln in lines if ln.startswith("rs "))
    assert f"[{noisy['rs'].low:.4g}, {noisy['rs'].high:.4g}]" in rs_line and "relative spread" in rs_line
    back = BatteryResult.from_dict(json.loads(json.dumps(noisy.to_dict())))
    assert back == noisy and back.to_dict() == json.loads(json.dumps(noisy.to_dict()))
    assert back["rs"].low == noisy["rs"].low and back.curve("latency")["latency_ms"].size == 11
    with pytest.raises(KeyError, match="no battery entry 'rheobase'"):
        noisy["rheobase"]


def test_battery_table_side_by_side_with_the_published_ranges(det, noisy):
    table = battery_table([noisy, det])
    lines = table.splitlines()
    assert "SEED_MODEL (1e-09 cm²)" in lines[0] and "published (cat AN)" in lines[0]
    rs = next(ln for ln in lines if ln.startswith("rs "))
    assert "0.02-0.15 (typ. 0.053) [Miller et al. 2001 (cat)]" in rs
    assert f"{noisy.value('rs'):.4g} [{noisy['rs'].low:.3g}, {noisy['rs'].high:.3g}]" in rs
    assert next(ln for ln in lines if ln.startswith("x50_uA")).split()[-2] == "-"   # not measured without noise
    assert "~0.33" in next(ln for ln in lines if ln.startswith("absolute_refractory_ms"))
    assert "published" not in battery_table([det], published=False)


def test_other_models_hh1952_and_fh1964():
    hh = battery(hhlib.HH1952, 1e-8, noise=False)
    assert hh.value("threshold_uA") == pytest.approx(hhlib.threshold_current(hhlib.HH1952, 1e-8, t_end_ms=12),
                                                     rel=2e-4)
    assert hh.settings["follow_ms"] > 10                         # 12 x slower rates: it follows longer
    assert hh.value("absolute_refractory_ms") > 5 * 0.555 and hh.value("chronaxie_ms") > 1.0
    fh = battery(FH1964, 1e-9, n_trials=100, n_boot=100, spontaneous_trials=4, spontaneous_window_ms=10.0,
                 latency_efficiencies=(0.5,))
    assert fh.value("threshold_uA") == pytest.approx(hhlib.threshold_current(FH1964, 1e-9), rel=2e-4)
    assert "carries no noise of its own" in fh.notes[0] and "ChannelNoise(na_per_um2=1040.1" in fh.notes[0]
    assert {"x50_uA", "rs", "latency_ms"} <= set(fh.entries)


@pytest.mark.parametrize("kwargs,message", [
    (dict(area_cm2=-1.0), "area_cm2 must be > 0 cm², got -1.0"),
    (dict(n_trials=5), "n_trials must be an integer >= 20, got 5"),
    (dict(facilitation_factor=1.2), r"facilitation_factor must be in \(0, 1\), got 1.2"),
    (dict(conditioner_factor=0.5), "conditioner_factor must be > 1, got 0.5"),
    (dict(recovery_intervals_ms=[1.0, -1.0]), r"recovery_intervals_ms\[1\] must be > 0 ms, got -1.0"),
    (dict(latency_efficiencies=[0.5, 1.0]), r"latency_efficiencies\[1\] must be in \(0, 1\)"),
    (dict(sd_widths_ms=[]), "sd_widths_ms must hold at least one value"),
])
def test_bad_input_names_the_parameter(kwargs, message):
    args = dict(area_cm2=AREA)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        battery(SEED, args.pop("area_cm2"), noise=False, **args)


def test_bad_table_input_names_the_parameter(det):
    with pytest.raises(ValueError, match="results must hold at least one BatteryResult"):
        battery_table([])
    with pytest.raises(TypeError, match=r"results\[1\]"):
        battery_table([det, 3])
    with pytest.raises(TypeError, match="model"):
        battery("SEED", AREA)
    with pytest.raises(TypeError, match="spontaneous_noise must be None .* got 'channels'"):
        battery(SEED, AREA, spontaneous_noise="channels")
    with pytest.raises(TypeError, match="noise must be True .* got 'current'"):
        battery(SEED, AREA, noise="current")


def test_published_data_are_package_data_with_citations():
    r = hhlib.published.single_fibre_ranges()
    assert set(r) == {"rs", "jitter_ms", "latency_ms", "chronaxie_ms", "absolute_refractory_ms",
                      "relative_refractory_ms"}
    assert (r["latency_ms"].low, r["latency_ms"].high, r["chronaxie_ms"].typical) == (0.44, 0.75, 0.276)
    m = hhlib.published.miller1999("cathodic")
    assert m["firing_efficiency"].size == m["latency_ms"].size == 14 and m["jitter_ms"].size == 14
    assert hhlib.published.at_efficiency(m["firing_efficiency"], m["latency_ms"]) == pytest.approx(0.661, abs=1e-3)
    d = hhlib.published.dynes1996()
    assert d["interval_ms"].size == 117 and set(d["figure"]) == {"3.3", "3.7"}
    assert "Miller CA, Abbas PJ" in hhlib.published.citation("miller1999")
    assert "Bachmaier" in hhlib.published.citation("ranges")
    assert hhlib.datasets.names() == ("experimental", "synthetic_latency_uA")     # not mixed with firing data
    with pytest.raises(ValueError, match="polarity"):
        hhlib.published.miller1999("both")


def test_a_model_that_fires_on_its_own_gets_no_firing_curve_and_says_why():
    # SEED_MODEL with 60 Na channels (channel noise at 1e-9 cm²) fires at ~560 Hz without stimulus: most trials
    # spike within the 2 ms run, so the threshold quantiles would not describe a firing curve
    cn = hhlib.ChannelNoise.for_model(SEED)
    r = battery(SEED, AREA, noise=cn, n_trials=100, spontaneous_trials=2, spontaneous_window_ms=5.0)
    alone = hhlib.simulate(SEED, Pulse(0.0), AREA, 100, seed=0, noise=cn, stream_ids=0, stop_after=1).fired.mean()
    assert alone > 0.5
    assert f"not measured: {100 * alone:.3g} % of the trials fire without stimulus within the 2 ms run" in r.notes[0]
    assert not {"x50_uA", "rs", "latency_ms", "jitter_ms"} & set(r.entries) and "spontaneous_rate_hz" in r.entries
    assert "latency" not in r.curves
