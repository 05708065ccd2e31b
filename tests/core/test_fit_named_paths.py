"""The named fit's fast paths give the slow paths' numbers: guided threshold searches (the same trials'
thresholds at the nearest simulated point) and the stimulus-scale scan vectorised over its grid."""
import numpy as np
import pytest

import hhlib
from hhlib.data import FiringData
from hhlib.fitting import objective

X = np.array([0.92, 0.96, 1.0, 1.04, 1.08])
LAT = dict(latency_ms=np.array([0.62, 0.55, 0.50, 0.47, 0.44]), jitter_ms=np.array([0.10, 0.08, 0.06, 0.05, 0.04]))
DATA = FiringData(X, [12, 30, 52, 71, 88], [100] * 5, source="five levels with latencies", **LAT)
FREE = ["delta_v", "delta_area", "latency_offset_ms"]


def run(**kw):
    return hhlib.fit(DATA, free=FREE, n_trials=200, validation_n_trials=200, latency_trials=200, seed=3, **kw)


@pytest.mark.slow
def test_guided_searches_give_the_unguided_fit(monkeypatch):
    guided = run()
    calls = []
    monkeypatch.setattr(objective.Objective, "_guess", lambda self, ds, key, i_det: calls.append(key))
    plain = run()
    assert len(calls) > 10                        # the patched guide was asked at every new point
    assert guided.estimate == plain.estimate and guided.interval == plain.interval
    assert guided.deviance == plain.deviance
    assert guided.n_trials_simulated < plain.n_trials_simulated     # and the guides saved simulations


@pytest.mark.slow
def test_the_vectorised_scan_equals_the_scalar_loss(monkeypatch):
    seen = []
    best_u = objective.Objective.best_u

    def check(self, pts, c=None):
        grid = np.linspace(*self.scale.search_bounds, 201)
        for fixed in (None, 0.4 if c is None else c):          # the offset profiled out, and held (profiles)
            fast = self.totals(pts, grid, fixed)
            slow = np.array([self.parts(pts, u, fixed)[0] for u in grid])
            np.testing.assert_array_equal(np.isfinite(fast), np.isfinite(slow))
            ok = np.isfinite(slow)
            np.testing.assert_allclose(fast[ok], slow[ok], rtol=1e-12, atol=1e-12)
            seen.append(int(ok.sum()))
        return best_u(self, pts, c)

    monkeypatch.setattr(objective.Objective, "best_u", check)
    run()
    assert len(seen) > 10 and sum(seen) > 600     # compared at many points, on finite losses
