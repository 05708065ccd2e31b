"""Per-trial thresholds: the empirical CDF reproduces direct simulation."""
import dataclasses

import numpy as np

import hhlib
from hhlib.thresholds import firing_probability_from_thresholds, trial_thresholds


def test_threshold_cdf_equals_direct_simulation_with_the_same_noise():
    area = 4e-9
    thr = trial_thresholds(hhlib.SEED_MODEL, area, 1500, seed=7)
    amps = 2.8e-7 * np.linspace(0.85, 1.15, 7)
    direct = np.array([hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(a), area, 1500, seed=7, stream_ids=0).n_fired
                       for a in amps])
    from_thr = np.round(firing_probability_from_thresholds(thr, amps) * 1500)
    # only trials whose threshold lies within the bisection tolerance of the amplitude may differ
    ambiguous = np.array([np.sum(np.abs(thr / a - 1) < 1e-3) for a in amps])
    assert np.all(np.abs(from_thr - direct) <= ambiguous)
    assert np.abs(from_thr - direct).sum() <= 10


def test_without_noise_every_trial_has_the_deterministic_threshold():
    quiet = dataclasses.replace(hhlib.SEED_MODEL, knoise=0.0)
    thr = trial_thresholds(quiet, 1e-9, 5, rtol=1e-5)
    assert np.allclose(thr, hhlib.threshold_current(quiet, 1e-9, rtol=1e-6), rtol=2e-5)


def test_areas_share_the_noise_so_thresholds_vary_smoothly():
    areas = np.array([3.8e-9, 4e-9])
    thr = trial_thresholds(hhlib.SEED_MODEL, areas, 1000, seed=2)
    z = thr / areas[:, None]                                 # threshold current densities
    assert np.corrcoef(z)[0, 1] > 0.95
    fires_alone = trial_thresholds(hhlib.SEED_MODEL, 4e-9, 1000, seed=2)
    np.testing.assert_array_equal(fires_alone, thr[1])       # batching areas does not change a trial


def test_smooth_cdf_stays_within_one_trial_of_the_step_cdf():
    thr = trial_thresholds(hhlib.SEED_MODEL, 1e-9, 400, seed=1)
    a = 7e-8 * np.linspace(0.5, 1.5, 101)
    smooth = firing_probability_from_thresholds(thr, a, smooth=True)
    assert np.max(np.abs(smooth - firing_probability_from_thresholds(thr, a))) <= 1 / 400 + 1e-12


def test_per_trial_thresholds_do_not_depend_on_the_batch():
    # each trial is bisected on its own: computing an area alone or together with others gives the same numbers
    # (a fit that reuses cached thresholds then equals a fresh one; `python -m hhlib.studies` is reproducible)
    from hhlib.thresholds import trial_thresholds
    areas = np.array([1e-10, 1e-9, 9e-9])         # at 0.01 µm² (RS ~0.5) some brackets must grow past 2x
    together = trial_thresholds(hhlib.SEED_MODEL, areas, 300, seed=4)
    assert np.any(together[0] > 2 * np.median(together[0]))
    for i, a in enumerate(areas):
        np.testing.assert_array_equal(trial_thresholds(hhlib.SEED_MODEL, a, 300, seed=4), together[i])
    pair = hhlib.threshold_current(hhlib.SEED_MODEL, areas[:2])
    assert hhlib.threshold_current(hhlib.SEED_MODEL, areas[0]) == pair[0]
