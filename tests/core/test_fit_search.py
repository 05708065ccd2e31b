"""hhlib.fitting.search: where a profile interval ends (``_end``), on profiles given as functions of the parameter
(the profile evaluation, :func:`hhlib.fitting.search.profile_at`, replaced by the function)."""
import math
from types import SimpleNamespace

import numpy as np
import pytest

from hhlib.fitting import search

TARGET = 3.84


def end(monkeypatch, rise, v0, bound, t0=1.0):
    """``_end`` for a parameter at ``t0`` whose profile rises by ``rise(v)``; returns (end, closed, points)."""
    points = []

    def fake(fl, obj, theta_hat, cov, i, v):
        points.append(v)
        return 10.0 + rise(v), None
    monkeypatch.setattr(search, "profile_at", fake)
    fl = SimpleNamespace(params=[SimpleNamespace(name="x")])
    notes = []
    e, closed = search._end(fl, None, [t0], 10.0, None, 0, v0, bound, TARGET, notes)
    return e, closed, points


def test_a_quadratic_profile_ends_where_it_rises_by_the_target(monkeypatch):
    e, closed, points = end(monkeypatch, lambda v: ((v - 1.0) / 0.1) ** 2, 1.05, 3.0)
    assert closed and e == pytest.approx(1.0 + 0.1 * math.sqrt(TARGET), rel=1e-12)
    # too small a rise (0.25, 1.56: below half the target) twice, 2.5 x further out each time; too large (9.8):
    # back in by the square root of the ratio
    assert points[:3] == [1.05, 1.125, 1.3125]
    assert points[3] == pytest.approx(1.0 + 0.3125 * math.sqrt(TARGET / 9.765625))
    e, closed, _ = end(monkeypatch, lambda v: ((v - 1.0) / 0.1) ** 2, 0.5, -1.0)   # too large: scaled back in
    assert closed and e == pytest.approx(1.0 - 0.1 * math.sqrt(TARGET), rel=1e-12)


def test_roughness_near_the_optimum_does_not_place_the_end_there(monkeypatch):
    """A quadratic profile with a Monte Carlo bump of 0.4 x the target close to the optimum (a rough loss): the
    bump is not taken for the profile's rise, and the end is the quadratic's (a quarter-target window would
    place it at 1.03 instead of 1.196)."""
    def rise(v):
        return ((v - 1.0) / 0.1) ** 2 + (0.4 * TARGET if abs(v - 1.0) < 0.05 else 0.0)
    e, closed, points = end(monkeypatch, rise, 1.02, 3.0)
    assert closed and e == pytest.approx(1.0 + 0.1 * math.sqrt(TARGET), rel=1e-12)
    assert points[0] == 1.02 and len(points) <= search.END_EVALUATIONS


def test_a_profile_that_stays_flat_to_the_bound_is_not_closed(monkeypatch):
    e, closed, points = end(monkeypatch, lambda v: 0.2, 1.05, 1.5)
    assert not closed and e == 1.5 and points[-1] == 1.5


def test_an_infinite_loss_beyond_a_flat_profile_does_not_close_the_interval(monkeypatch):
    """Flat (rise 0.3), then an infinite loss beyond 1.2 (the simulated trials cannot produce the data's counts:
    a Monte Carlo limit, not evidence): the search bisects back towards the finite side, never onto the optimum
    itself, and the end is not closed (the parameter is then reported as not determined)."""
    e, closed, points = end(monkeypatch, lambda v: 0.3 if v < 1.2 else math.inf, 1.02, 9.0)
    assert not closed and e == 9.0
    assert all(p > 1.0 for p in points) and points[4] < points[3]


def test_an_infinite_loss_beyond_a_rising_profile_keeps_its_end(monkeypatch):
    """A quadratic profile with an infinite loss beyond 1.3: the points stay on the finite side of it and the end
    is the quadratic's."""
    e, closed, points = end(monkeypatch, lambda v: ((v - 1.0) / 0.1) ** 2 if v < 1.3 else math.inf, 1.6, 9.0)
    assert closed and e == pytest.approx(1.0 + 0.1 * math.sqrt(TARGET), rel=1e-12)
    assert points[0] == 1.6 and points[1] == pytest.approx(1.3)


def test_the_points_stay_between_a_too_small_and_a_too_large_rise(monkeypatch):
    """A profile that jumps (small below 1.2, 100 x the target above): after one of each, every point is
    inside that bracket and the end too."""
    e, closed, points = end(monkeypatch, lambda v: 0.5 if v < 1.2 else 100 * TARGET, 1.1, 9.0)
    assert closed and 1.1 < e < 1.35
    first_big = next(k for k, p in enumerate(points) if p >= 1.2)
    lo = max(p for p in points[:first_big] if p < 1.2)
    assert all(lo <= p <= points[first_big] for p in points[first_big:])


def rough_quadratic(hess):
    """``0.5 t H t`` plus a rough term within +-0.8 (a Monte Carlo loss's roughness; here a fixed hash of the
    point)."""
    def loss(t):
        v = math.sin(12989.8 * t[0] + 78233.0 * t[1] + 0.37) * 43758.5453
        return 0.5 * t @ hess @ t + 0.8 * (2 * (v - math.floor(v)) - 1)
    return loss


PARAMS = [SimpleNamespace(search_bounds=(-2.3, 2.3)), SimpleNamespace(search_bounds=(-2.3, 2.3))]


def test_hessian_steps_that_rise_by_the_interval_target_are_not_dominated_by_roughness():
    """Curvatures 400 and 300, correlated: steps that raise the loss by about the interval's rise (10) give every
    entry within 10 %; steps that raise it by about 2 leave the worst entry several times more wrong."""
    h_true = np.array([[400.0, -200.0], [-200.0, 300.0]])
    scale = np.sqrt(np.outer(np.diag(h_true), np.diag(h_true)))
    hess, _ = search.hessian(rough_quadratic(h_true), np.zeros(2), PARAMS, rise=10.0)
    err = np.abs(hess - h_true) / scale
    assert err.max() < 0.1, hess
    coarse, _ = search.hessian(rough_quadratic(h_true), np.zeros(2), PARAMS, rise=2.0)
    assert (np.abs(coarse - h_true) / scale).max() > 3 * err.max(), coarse


@pytest.mark.parametrize("small", [20.0, 60.0])
def test_the_curvature_along_a_long_valley_is_measured_along_it(small):
    """A valley at 45 degrees (curvatures 2e5 across, 20 or 60 along: delta_v against delta_area): along the axes the
    small curvature is a difference of rough numbers in the thousands (1353 or -5572 here); along the valley's own
    direction it comes out within 40 % (14.8 and 59.8 here)."""
    c = math.sqrt(0.5)
    rot = np.array([[c, -c], [c, c]])
    h_true = rot @ np.diag([2e5, small]) @ rot.T
    hess, _ = search.hessian(rough_quadratic(h_true), np.zeros(2), PARAMS, rise=10.0)
    lo, hi = np.linalg.eigvalsh(hess)
    assert lo == pytest.approx(small, rel=0.4) and hi == pytest.approx(2e5, rel=0.1), (lo, hi)


def test_a_dip_below_the_optimum_within_the_roughness_is_not_a_failed_search(monkeypatch):
    """A profile point 0.75 below the optimum's loss, with the rise 3.84 x 2.6 of a four-parameter fit: within a
    tenth of the rise (the loss's roughness), no note; 1.5 below: the search did not reach the minimum."""
    for dip, failed in ((0.75, False), (1.5, True)):
        def fake(fl, obj, theta_hat, cov, i, v, dip=dip):
            return 10.0 + (-dip if abs(v - 1.0) < 0.06 else ((v - 1.0) / 0.1) ** 2), None
        monkeypatch.setattr(search, "profile_at", fake)
        notes = []
        search._end(SimpleNamespace(params=[SimpleNamespace(name="x")]), None, [1.0], 10.0, None, 0, 1.05, 3.0,
                    TARGET * 2.6, notes)
        assert any("did not reach the minimum" in n for n in notes) == failed, notes


def test_the_conditional_optimum_follows_a_direction_flat_for_all_but_fixed_by_one():
    """Loss 100 (u - w)^2 + 100 (w - 2 k)^2: flat along (2, 2, 1) for the three together (as delta_v, delta_area
    and knoise are for current noise), determined once one is held. Holding k, the others' optimum moves 2 per unit;
    holding u, w moves 1 and k 1/2."""
    a = np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -2.0]])
    hess = 2 * 100 * a.T @ a
    curv = search.Curvature(hess, np.zeros((3, 3)))
    slope, var = curv.conditional(2)
    np.testing.assert_allclose(slope, [2.0, 2.0, 1.0], atol=1e-12)
    assert var[2] == 0 and np.all(var[:2] > 0)
    np.testing.assert_allclose(curv.conditional(0)[0], [1.0, 1.0, 0.5], atol=1e-12)
