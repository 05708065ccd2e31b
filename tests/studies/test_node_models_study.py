"""hhlib.studies.node_models: the lineup, the shipped batteries (current, and equal to a fresh battery), the
action potentials and the comparison with the published values."""
import json
import math

import numpy as np
import pytest

import hhlib
from conftest import CROSS_CPU_RTOL
from hhlib.battery import BatteryEntry, BatteryResult
from hhlib.studies import cache
from hhlib.studies import node_models as nm


@pytest.fixture(scope="module")
def shipped():
    return nm.batteries()


def test_the_lineup_is_every_shipped_model_at_its_stated_area():
    assert sorted(c.name for c in nm.LINEUP) == sorted(hhlib.models.__all__)
    assert all(c.model.name == c.name for c in nm.LINEUP)
    fh = nm.case("FH1964")
    assert fh.area_cm2 == 1e-7 and fh.noise.channel_counts(fh.model, fh.area_cm2)["na"] == 10401
    negm = nm.case("NEGM_BRUCE2014")
    assert negm.noise.channel_counts(negm.model, negm.area_cm2) == {"na": 1000, "k": 166, "klt": 166, "hcn": 100}
    with pytest.raises(ValueError, match="model name 'XYZ' is not in the lineup"):
        nm.case("XYZ")


def test_the_shipped_cache_equals_a_fresh_battery_of_seed_model(shipped):
    """The cache is current: SEED_MODEL's battery recomputed (same n_trials and seed) equals the stored one."""
    fresh = hhlib.battery(hhlib.SEED_MODEL, 1e-9, noise=True, n_trials=1000, seed=0)
    stored = shipped["SEED_MODEL"]
    assert list(fresh.entries) == list(stored.entries)
    for name, e in fresh.entries.items():
        s = stored[name]
        assert s.value == pytest.approx(e.value, rel=CROSS_CPU_RTOL), name
        if e.random:
            assert (s.low, s.high) == pytest.approx((e.low, e.high), rel=CROSS_CPU_RTOL), name


def test_the_shipped_deterministic_entries_are_current_for_every_model(shipped):
    for c in nm.LINEUP:
        if c.name in ("HH1952", "SEED_MODEL"):
            continue                                   # HH1952's 20 ms pulses are slow; SEED_MODEL checked above
        thr = float(hhlib.threshold_current(c.model, c.area_cm2, rtol=1e-5))
        assert shipped[c.name].value("threshold_uA") == pytest.approx(thr, rel=2e-5), c.name


def test_the_cache_is_registered_with_its_lineup():
    assert "hhlib.studies.node_models" in cache.BUILDER_MODULES
    assert nm.node_batteries.cache_defaults == dict(models=tuple(c.name for c in nm.LINEUP), n_trials=1000, seed=0)
    arrays = cache.cached(nm.node_batteries, progress=False)
    assert json.loads(str(arrays["CRRSS"]))["model_name"] == "CRRSS"


def test_action_potentials_rise_above_80_mV_and_return_to_rest(shipped):
    warm = {k: shipped[k] for k in ("SEED_MODEL", "CRRSS", "NEGM_BRUCE2014")}
    tr = nm.action_potentials(warm, t_end_ms=3.0)
    assert tr["t_ms"].shape == (1201,) and tr["t_ms"][-1] == pytest.approx(3.0)
    for name in warm:
        v = tr[name]
        assert v.max() > 80.0 and abs(v[-1]) < 2.0, (name, v.max(), v[-1])


def _result(values: dict) -> BatteryResult:
    entries = {k: BatteryEntry(k, float(v), "", "test") for k, v in values.items()}
    return BatteryResult("test", 1e-7, entries)


def test_published_comparison_counts_matches_and_distances():
    ranges = hhlib.published.single_fibre_ranges()
    at_published = {"rs": 0.053, "jitter_ms": 0.1, "chronaxie_ms": 0.276, "absolute_refractory_ms": 0.33,
                    "relative_refractory_ms": 0.41}
    double = {k: 2 * v for k, v in at_published.items()}
    rows = nm.published_comparison({"half": _result({k: v / 2 for k, v in at_published.items()}),
                                    "same": _result(at_published), "double": _result(double)})
    assert [r["name"] for r in rows][0] == "same"
    same = rows[0]
    assert same["matches"] == 5 and same["scored"] == 5
    mid_jitter = math.sqrt(ranges["jitter_ms"].low * ranges["jitter_ms"].high)     # no typical jitter: the middle
    assert same["ratios"]["jitter_ms"] == pytest.approx(0.1 / mid_jitter)
    dbl = next(r for r in rows if r["name"] == "double")
    # 2x: RS 0.106 and jitter 0.2 ms: RS inside 0.02-0.15, jitter above 0.144; typical-only entries 100 % off
    assert dbl["matched"] == {"rs": True, "jitter_ms": False, "chronaxie_ms": False, "absolute_refractory_ms": False,
                              "relative_refractory_ms": False}
    assert dbl["ratios"]["chronaxie_ms"] == pytest.approx(2.0)
    edge = nm.published_comparison({"edge": _result({"chronaxie_ms": 0.276 * 1.25, "rs": np.nan})})[0]
    assert edge["matched"] == {"chronaxie_ms": True} and edge["scored"] == 1   # NaN not scored, 25 % still matches


def test_tables_have_a_row_per_model(shipped):
    lines = nm.compact_table(shipped).splitlines()
    assert len(lines) == 1 + len(nm.LINEUP)
    seed = next(line for line in lines if line.startswith("SEED_MODEL")).split()
    assert seed[1:3] == ["0.1", "70.1"]                         # area µm², threshold µA/cm² (7.011e-8 µA / 1e-9 cm²)
    table = nm.comparison_table(nm.published_comparison(shipped))
    assert len(table.splitlines()) == 1 + len(nm.LINEUP) and "*" in table
