"""hhlib.fitting.search: where a profile interval ends (``_end``), on profiles given as functions of the parameter
(the profile evaluation, :func:`hhlib.fitting.search.profile_at`, replaced by the function)."""
import math
from types import SimpleNamespace

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
    assert points == [1.05, 1.125]                     # too small a rise, then 2.5 x further out
    e, closed, _ = end(monkeypatch, lambda v: ((v - 1.0) / 0.1) ** 2, 0.5, -1.0)   # too large: scaled back in
    assert closed and e == pytest.approx(1.0 - 0.1 * math.sqrt(TARGET), rel=1e-12)


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
