"""Seeds, one place (hhlib.seeds): children differ, a result's seed reproduces it, sweep = simulate."""
import numpy as np
import pytest

import hhlib
from hhlib import Pulse, simulate
from hhlib.seeds import SeedRecord, as_seed_sequence, child, stream

AMPS = 7e-8 * np.linspace(0.9, 1.1, 3)
AREAS = np.array([[1e-9], [2e-9]])


def test_two_children_of_one_parent_give_different_runs_and_sweeps():
    a, b = np.random.SeedSequence(123).spawn(2)
    ra, rb = (simulate(hhlib.SEED_MODEL, Pulse(AMPS), 1e-9, 400, seed=s).spike_counts for s in (a, b))
    assert np.any(ra != rb)
    sa, sb = (hhlib.sweep(hhlib.SEED_MODEL, AMPS, AREAS, 300, seed=s).n_fired for s in (a, b))
    assert np.any(sa != sb)


@pytest.mark.parametrize("seed", [7, np.random.SeedSequence(5).spawn(3)[2], SeedRecord(11, (4, 2))])
def test_sweep_equals_simulate_for_the_same_seed(seed):
    grid = hhlib.sweep(hhlib.SEED_MODEL, AMPS * AREAS / 1e-9, AREAS, 300, seed=seed, n_pieces=3)
    direct = simulate(hhlib.SEED_MODEL, Pulse(AMPS * AREAS / 1e-9), AREAS, 300, seed=seed, stop_after=1)
    np.testing.assert_array_equal(grid.n_fired, direct.n_fired)
    assert grid.seed == direct.seed


def test_the_stored_seed_reproduces_a_run_seeded_by_a_spawned_child():
    kid = np.random.SeedSequence(99).spawn(4)[3]
    first = simulate(hhlib.SEED_MODEL, Pulse(AMPS), 1e-9, 300, seed=kid)
    assert first.seed == SeedRecord(99, (3,))
    again = simulate(hhlib.SEED_MODEL, Pulse(AMPS), 1e-9, 300, seed=first.seed)
    np.testing.assert_array_equal(again.spike_counts, first.spike_counts)
    fresh = simulate(hhlib.SEED_MODEL, Pulse(AMPS), 1e-9, 300)                # seed=None: OS entropy, recorded
    np.testing.assert_array_equal(simulate(hhlib.SEED_MODEL, Pulse(AMPS), 1e-9, 300, seed=fresh.seed).spike_counts,
                                  fresh.spike_counts)


def test_as_seed_sequence_copies_and_checks():
    ss = np.random.SeedSequence(3)
    root = as_seed_sequence(ss)
    root.spawn(5)
    assert ss.n_children_spawned == 0                     # the caller's sequence is never advanced
    assert child(root, 1, 2).spawn_key == (1, 2)
    g1, g2 = stream(root, 0, 0), stream(root, 0, 1)
    assert g1.standard_normal() != g2.standard_normal()
    for bad, exc in ((-1, ValueError), (2.5, TypeError), ("7", TypeError), (True, TypeError)):
        with pytest.raises(exc, match="seed"):
            as_seed_sequence(bad)


def test_a_generator_seed_draws_once_and_leaves_global_state_alone():
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    a = simulate(hhlib.SEED_MODEL, Pulse(AMPS), 1e-9, 200, seed=np.random.default_rng(1))
    b = simulate(hhlib.SEED_MODEL, Pulse(AMPS), 1e-9, 200, seed=np.random.default_rng(1))
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
