"""The fit's and the command line's edges (issue 16): data that cannot locate or fix the curve, verdicts, strict
JSON, physical units, the plot's file and legend. Fits here are cheap (400 simulated trials per level)."""
import dataclasses
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

import hhlib
from hhlib import cli
from hhlib.data import FiringData
from hhlib.fit import POOR_FIT_P, _check_representable, _FinalStage, _Outcome, _plateau, _Profile
from hhlib.normalised import DEFAULT_SETUP, setup_for_data, stimulus_range
from hhlib.seeds import as_seed_sequence

CHEAP = dict(n_trials=400, validation_n_trials=400)


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hhlib", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def strict_json(text):
    """json.loads that refuses NaN, Infinity and -Infinity (RFC 8259 JSON)."""
    def refuse(name):
        raise ValueError(f"not JSON: {name}")
    return json.loads(text, parse_constant=refuse)


def write_csv(path, column, x, k, n, extra=""):
    rows = "".join(f"{float(a)!r},{int(b)},{int(c)}\n" for a, b, c in zip(x, k, n, strict=True))
    path.write_text(extra + f"{column},n_fired,n_trials\n" + rows)
    return path


# ------------------------------------------------------------------ 1. data that cannot locate the curve
@pytest.mark.parametrize("k,needles", [
    ([100, 100, 100], ("every trial fired at every level", "cannot be located", "below every stimulus")),
    ([0, 0, 0], ("no trial fired at any level", "cannot be located", "above every stimulus")),
    ([100, 0, 0], ("firing does not rise with x", "cannot be located")),
])
def test_data_that_cannot_locate_the_curve_are_refused_by_name(k, needles):
    data = FiringData([0.9, 1.0, 1.1], k, [100] * 3, source="edge data")
    with pytest.raises(ValueError) as err:
        hhlib.fit(data, **CHEAP)
    msg = str(err.value)
    assert msg.startswith("cannot fit the data (edge data): ")
    for needle in needles:
        assert needle in msg, msg


def test_the_cli_says_why_not_internal_error_indexerror(tmp_path):
    path = write_csv(tmp_path / "all.csv", "x", [0.9, 1.0, 1.1], [100] * 3, [100] * 3)
    r = run("optimise", "--data", str(path), "--runs", "400")
    assert r.returncode == 2, r.stderr
    line = r.stderr.strip()
    assert len(line.splitlines()) == 1 and "internal error" not in line and "IndexError" not in line
    assert "every trial fired at every level" in line and "all.csv" in line


def test_a_threshold_sample_that_fires_without_stimulus_gives_a_flat_loss_not_a_crash():
    # at a tiny area every simulated trial fires on its own: thresholds all 0, log -inf (the old IndexError)
    data = FiringData([0.9, 1.0, 1.1], [10, 50, 90], [100] * 3)
    prof = _Profile(data, DEFAULT_SETUP, as_seed_sequence(0), None, dict(engine="auto", precision="float64"))
    lz = np.full(50, -np.inf)
    np.testing.assert_array_equal(prof.probabilities(lz, 0.3), [1.0, 1.0, 1.0])
    s, d, interior = prof.best_s(lz)
    assert (s, interior) == (0.0, False)
    assert d == pytest.approx(hhlib.binomial_deviance(data.n_fired, data.n_trials, np.ones(3)))


# ------------------------------------------------------------------ 2. separated data: not identifiable
@pytest.fixture(scope="module")
def step_fit():
    return hhlib.fit(FiringData([0.9, 1.0, 1.1], [0, 0, 100], [100] * 3, source="step"), **CHEAP)


def test_data_jumping_from_0_to_100_percent_are_not_identifiable(step_fit):
    r = step_fit
    assert not r.identifiable and not r.converged and r.verdict == "not identifiable"
    assert "the data are separated: no level between 0 % and 100 %" in r.message
    assert "delta_area -> infinity" in r.message
    assert all(math.isnan(v) for v in (*r.delta_v_ci, *r.delta_area_ci))      # no artefact intervals
    assert np.all(np.isnan(r.covariance_uw))
    first, estimates = r.summary().splitlines()[:2]
    assert first.startswith("method profile: NOT identifiable (the data are separated")
    assert "where the search stopped, not estimates (no confidence interval)" in estimates
    d = strict_json(json.dumps(r.to_dict(), allow_nan=False))
    assert d["identifiable"] is False and d["converged"] is False and d["verdict"] == "not identifiable"
    assert d["delta_v_ci"] == [None, None] and d["stimulus_scale_uA_ci"] == [None, None]
    with pytest.raises(ValueError, match="no confidence region: the fit is not identifiable"):
        r.contains(r.delta_v, r.delta_area)
    with pytest.raises(ValueError, match="no confidence region"):
        r.confidence_region()


def test_a_profile_that_stays_at_its_minimum_up_to_the_window_edge_is_not_identifiable():
    ws = np.log1p(np.array([50.0, 70.0, 100.0, 140.0, 200.0]))
    flat = _FinalStage(float(ws[2]), 0.1, ws, np.array([5.3, 0.94, 0.0, 0.0, 0.0]), np.zeros(5), True)
    assert "does not rise on both sides of its minimum" in _plateau(flat) and "delta_area = 200" in _plateau(flat)
    bowl = dataclasses.replace(flat, deviance=np.array([17.3, 5.4, 4.6, 16.6, 43.2]))   # the shipped data's window
    assert _plateau(bowl) == ""
    edge_min = dataclasses.replace(flat, deviance=np.array([4.0, 4.5, 5.0, 6.0, 9.0]))  # unique: not a plateau
    assert _plateau(edge_min) == ""


# ------------------------------------------------------------------ 3. goodness of fit
@pytest.fixture(scope="module")
def poor_joint_fit():
    # counts at the truth, latencies 30 % too long: a converged joint fit that does not describe the data
    x = hhlib.load_data().x
    pred = hhlib.predict(1.96, 3.25, x, n_trials=200, seed=987, return_latency=True)
    data = FiringData(x, pred.n_fired, np.full(x.size, 200), latency_ms=1.3 * pred.latency_ms,
                      jitter_ms=pred.jitter_ms, source="latency x1.3")
    return hhlib.fit(data, latency_trials=200, start=(1.96, 3.25), global_search=False, **CHEAP)


def test_a_converged_fit_that_does_not_describe_its_data_says_so(poor_joint_fit):
    r = poor_joint_fit
    assert r.converged and r.identifiable and r.uses_latency and r.poor_fit
    assert r.latency_p_value == pytest.approx(stats.chi2.sf(r.latency_chi2, r.latency_dof), rel=1e-12)
    assert r.latency_p_value < POOR_FIT_P and r.p_value < POOR_FIT_P
    gof = r.goodness_of_fit
    assert gof == (f"poor fit (counts p = {r.p_value:.2g} < 0.001; latency p = {r.latency_p_value:.2g} < 0.001): "
                   "the model does not describe these data")
    assert f"  goodness of fit: {gof}" in r.summary().splitlines()
    d = strict_json(json.dumps(r.to_dict(), allow_nan=False))
    assert d["goodness_of_fit"] == gof and d["poor_fit"] is True and d["poor_fit_p"] == 0.001
    assert d["latency_p_value"] == pytest.approx(r.latency_p_value, rel=1e-12)
    assert gof in repr(r)


def test_goodness_of_fit_judges_counts_and_latency_each_on_its_own(poor_joint_fit):
    good = dataclasses.replace(poor_joint_fit, deviance=5.44, p_value=0.794, latency_chi2=9.0)
    lat = stats.chi2.sf(9.0, good.latency_dof)
    assert good.goodness_of_fit == f"consistent (counts p = 0.79; latency p = {lat:.2g})" and not good.poor_fit
    assert "goodness of fit" not in good.summary()          # a consistent fit prints as before
    only_latency = dataclasses.replace(good, latency_chi2=200.0)
    assert only_latency.goodness_of_fit.startswith("poor fit (latency p = ")
    counts_only = dataclasses.replace(good, p_value=4.7e-11, uses_latency=False, latency_chi2=math.nan, latency_dof=0)
    assert counts_only.goodness_of_fit == ("poor fit (counts p = 4.7e-11 < 0.001): the model does not describe "
                                           "these data")


# ------------------------------------------------------------------ 4. stimulus values far out of range
def test_stimulus_values_of_1e300_blame_the_data_not_delta_v(tmp_path):
    lo, hi = stimulus_range()
    assert (lo, hi) == pytest.approx((2e-12, 2e12), rel=1e-12)      # c_m A_ref 20 mV / 0.1 ms / I_ref = 2
    with pytest.raises(ValueError) as err:
        hhlib.fit(FiringData([1e300, 2e300, 3e300], [1, 5, 9], [10] * 3), **CHEAP)
    msg = str(err.value)
    assert msg.startswith("the data's stimulus values x (normalised) must lie in [2e-12, 2e+12] for this setup, "
                          "got 1e+300 to 3e+300") and "delta_v must" not in msg
    physical = FiringData([1e300, 2e300, 3e300], [1, 5, 9], [10] * 3, stimulus_unit="uA")
    with pytest.raises(ValueError, match=r"stimulus values \(their amplitude column, in µA\) must lie in "
                                         r"\[2e-19, 2e\+05\] µA"):
        hhlib.fit(physical, **CHEAP)
    path = write_csv(tmp_path / "huge.csv", "amplitude_mA", [1e290, 2e290, 3e290], [1, 5, 9], [10] * 3)
    r = run("predict", "--data", str(path), "--runs", "10", "--seed", "0")
    assert r.returncode == 2 and "amplitude column" in r.stderr and "[2e-19, 2e+05] µA" in r.stderr, r.stderr
    with pytest.raises(hhlib.NonFiniteError, match=r"x \(the stimulus values\) from 1e\+300 to 3e\+300"):
        hhlib.predict(0.0, 0.0, [1e300, 2e300, 3e300], n_trials=10, seed=0)


def test_a_fit_that_ends_where_1_plus_delta_underflows_names_the_stimulus_values():
    data = FiringData([0.9, 1.0, 1.1], [1, 5, 9], [10] * 3)
    out = _Outcome(-1.0, 2.0, (math.nan,) * 2, (math.nan,) * 2, True, [], [], np.eye(2), 400, 0)
    with pytest.raises(ValueError, match=r"data's stimulus values \(x from 0.9 to 1.1\)"):
        _check_representable(out, data, DEFAULT_SETUP)


# ------------------------------------------------------------------ 5. a jitter of 0
def test_a_zero_jitter_is_refused_naming_jitter_ms():
    args = ([0.9, 1.0, 1.1], [2, 5, 9], [10] * 3)
    try:
        data = FiringData(*args, latency_ms=[0.4, 0.3, 0.2], jitter_ms=[0.0, 0.0, 0.0])
    except ValueError as exc:                        # the data module may refuse it first: then it names jitter_ms
        assert "jitter_ms" in str(exc)
    else:
        with pytest.raises(ValueError, match=r"^jitter_ms\[0\] = 0.0 ms where 2 trials fired"):
            hhlib.fit(data, **CHEAP)
    # whatever FiringData accepts, the fit itself checks (a FiringData altered after its validation)
    data = FiringData(*args, latency_ms=[0.4, 0.3, 0.2], jitter_ms=[0.1, 0.05, 0.05])
    object.__setattr__(data, "jitter_ms", np.array([0.1, 0.0, 0.05]))
    with pytest.raises(ValueError, match=r"^jitter_ms\[1\] = 0.0 ms where 5 trials fired \(array\): the joint fit "
                                         r"needs a standard error jitter_ms / sqrt\(n_fired\) > 0"):
        hhlib.fit(data, **CHEAP)


# ------------------------------------------------------------------ 6. strict JSON
def test_predict_json_is_strict_json_even_with_an_infinite_deviance():
    r = run("predict", "--delta-v", "5", "--runs", "10", "--seed", "1", "--json")
    assert r.returncode == 0, r.stderr
    out = strict_json(r.stdout)                       # "Infinity" would raise here
    assert out["predicted"] == [1.0] * 11 and out["deviance"] is None
    assert math.isinf(hhlib.deviance_loss(np.ones(11), hhlib.load_data()))


def test_fit_to_dict_maps_infinities_to_null(step_fit):
    d = dataclasses.replace(step_fit, deviance=math.inf, p_value=0.0).to_dict()
    assert d["deviance"] is None and d["p_value"] == 0.0
    strict_json(json.dumps(d, allow_nan=False))


# ------------------------------------------------------------------ 7. latency_trials always checked
@pytest.mark.parametrize("value,exc,match", [
    (10, ValueError, r"latency_trials must be an integer >= 200 and <= 1000000, got 10"),
    (2_000_000, ValueError, r"latency_trials must be an integer >= 200 and <= 1000000, got 2000000"),
    (500.5, TypeError, r"latency_trials must be an integer"),
])
def test_latency_trials_is_checked_without_latency_data(value, exc, match):
    data = FiringData([0.9, 1.0, 1.1], [2, 5, 9], [10] * 3)
    with pytest.raises(exc, match=match):
        hhlib.fit(data, latency_trials=value)
    with pytest.raises(exc, match=match):
        hhlib.fit(data, latency_trials=value, method="predecessor")


# ------------------------------------------------------------------ 8. physical units, nA and mA
@pytest.fixture(scope="module")
def physical_fits(tmp_path_factory):
    """Counts simulated at a stimulus scale of 2e-9 (membrane current per stated current) and 3e-9 cm², stated in
    nA and in mA: electrode currents near 0.1 mA put 1 + delta_v near 2e-9."""
    scale, area = 2e-9, 3e-9
    x_uA = 2.1e-7 * np.linspace(0.8, 1.25, 7) / scale
    setup = setup_for_data(FiringData(x_uA, [1] * 7, [10] * 7, stimulus_unit="uA"))
    k = np.round(200 * hhlib.predict(scale - 1, area / 1e-9 - 1, x_uA, n_trials=200, seed=5, setup=setup))
    folder = tmp_path_factory.mktemp("units")
    fits = {}
    for unit, factor in (("nA", 1e3), ("mA", 1e-3)):
        data = hhlib.load_data(write_csv(folder / f"{unit}.csv", f"amplitude_{unit}", x_uA * factor, k, [200] * 7))
        fits[unit] = hhlib.fit(data, **CHEAP)
    return scale, area, fits


def test_na_and_ma_data_give_the_same_physical_answer(physical_fits):
    scale, area, fits = physical_fits
    na, ma = fits["nA"], fits["mA"]
    for r in (na, ma):
        assert r.converged and r.identifiable and r.setup.i_ref_uA == 1.0
        assert r.stimulus_scale_uA_ci[0] < scale < r.stimulus_scale_uA_ci[1]
        assert r.area_cm2_ci[0] < area < r.area_cm2_ci[1]
        assert r.stimulus_scale_uA == pytest.approx(1.669184e-9, rel=1e-6)         # seeded: measured here
    assert na.stimulus_scale_uA == pytest.approx(ma.stimulus_scale_uA, rel=1e-6)
    assert na.area_cm2 == pytest.approx(ma.area_cm2, rel=1e-6)
    np.testing.assert_allclose(na.stimulus_scale_uA_ci, ma.stimulus_scale_uA_ci, rtol=1e-6)
    np.testing.assert_allclose(na.area_cm2_ci, ma.area_cm2_ci, rtol=1e-6)


def test_physical_units_report_scale_and_area_with_intervals_not_delta_v(physical_fits):
    r = physical_fits[2]["mA"]
    text = r.summary()
    (k0, k1), (a0, a1) = r.stimulus_scale_uA_ci, r.area_cm2_ci
    assert (f"  stimulus scale = {r.stimulus_scale_uA:.4g}   95% CI [{k0:.4g}, {k1:.4g}]   membrane current per "
            "stated stimulus current (1 + delta_v)") in text.splitlines()
    assert f"  area           = {r.area_cm2:.4g} cm²   95% CI [{a0:.4g}, {a1:.4g}]" in text
    assert "-1.0000" not in text and "delta_v    =" not in text
    d = r.to_dict()
    assert d["stimulus_scale_uA_ci"] == pytest.approx([k0, k1], rel=1e-12)
    assert f"stimulus_scale_uA = {r.stimulus_scale_uA:.4g} [{k0:.4g}, {k1:.4g}]" in repr(r)


# ------------------------------------------------------------------ 9. a short repr
def test_repr_is_one_short_line(step_fit, poor_joint_fit):
    r = poor_joint_fit
    text = repr(r)
    assert "\n" not in text and len(text) < 400 and len(repr(step_fit)) < 400
    v0, v1 = r.delta_v_ci
    assert text.startswith(f"FitResult(profile, converged: delta_v = {r.delta_v:.4g} [{v0:.4g}, {v1:.4g}], ")
    assert repr(step_fit).startswith("FitResult(profile, not identifiable: delta_v = ")
    assert "(no interval)" in repr(step_fit)


# ------------------------------------------------------------------ 10. --no-latency and --version
def test_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout == f"hhlib {hhlib.__version__}\n", (r.stdout, r.stderr)


def test_optimise_no_latency_fits_the_counts_of_a_file_with_latency(tmp_path):
    x = np.array([0.9, 0.95, 1.0, 1.05, 1.1])
    pred = hhlib.predict(1.96, 3.25, x, n_trials=50, seed=3, return_latency=True)
    data = FiringData(x, pred.n_fired, np.full(5, 50), latency_ms=pred.latency_ms, jitter_ms=pred.jitter_ms)
    path = hhlib.save_data(data, tmp_path / "lat.csv")
    r = run("optimise", "--data", str(path), "--runs", "400", "--no-latency", "--json")
    assert r.returncode == 0, r.stderr
    out = strict_json(r.stdout)
    assert out["uses_latency"] is False and out["latency_dof"] == 0 and out["latency_chi2"] is None
    assert "latency_ms" in path.read_text()                       # the file does carry latencies


# ------------------------------------------------------------------ 11. plot errors name the user's path
def test_plot_errors_name_the_users_file_not_the_temporary_one(tmp_path, capsys):
    import os
    target = tmp_path / "out.png"
    (tmp_path / f".out.png.{os.getpid()}.tmp").mkdir()            # the temporary name cannot be written
    status = cli.main(["predict", "--runs", "10", "--seed", "1", "--plot", str(target)])
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert f"cannot write the plot {str(target)!r}" in err and ".tmp" not in err, err
    assert not target.exists()


# ------------------------------------------------------------------ 12. the legend leaves the curve visible
def test_the_cli_plot_legend_does_not_cover_the_model_curve_or_the_data():
    pytest.importorskip("matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    data = hhlib.load_data()
    args = cli._parser().parse_args(["predict", "--delta-v", "5", "--runs", "10"])
    p = np.ones(data.x.size)                       # a curve at 1 everywhere: where "upper left" used to sit
    fig = cli._prediction_figure(data, p, args)
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    box = ax.get_legend().get_window_extent()
    points = ax.transData.transform(np.r_[np.c_[data.x, p], np.c_[data.x, data.firing_probability]])
    inside = (points[:, 0] >= box.x0) & (points[:, 0] <= box.x1) & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1)
    assert not inside.any()
    assert box.x0 >= ax.get_window_extent().x1                   # outside the axes, to their right
