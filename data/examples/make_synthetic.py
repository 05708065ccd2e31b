"""Make ``synthetic_latency_uA.csv``: synthetic single-fibre data in physical units, with latency and jitter.

Simulated by hhlib (seeded: the file is reproducible bit for bit) at known parameters, so a fit can be
checked against the truth: the seed's membrane (:data:`hhlib.SEED_MODEL`) with area ``3e-9 cm²`` (reference
area ``1e-9 cm²``, i.e. ``delta_area = 2``) behind a coupling that passes half of the stated stimulus current to
the membrane (``delta_v = -0.5``); a 0.1 ms monophasic cathodic pulse at 0.1 ms; 9 levels of 200 trials.
The file ships inside the package, ``hhlib/datasets/synthetic_latency_uA.csv`` (so an installed hhlib loads it
from anywhere as ``hhlib.load_data("synthetic_latency_uA")``). Run ``python data/examples/make_synthetic.py`` to
rewrite the file; ``tests/core/test_fit_latency.py`` checks that the shipped file equals what this script makes.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import hhlib
from hhlib.data import FiringData, Protocol, save_data
from hhlib.normalised import setup_for_data

#: The truth and the protocol of the synthetic experiment.
DELTA_V, DELTA_AREA = -0.5, 2.0
SEED, N_TRIALS = 2024, 200
AMPLITUDES_UA = np.round(4.2e-7 * np.linspace(0.9, 1.3, 9), 12)       # stimulus currents, µA
PROTOCOL = dict(stimulus=hhlib.Pulse(1.0), area_cm2=1e-9)           # the seed's 0.1 ms pulse at 0.1 ms
#: Where the file ships: package data of hhlib (installed with the wheel).
PATH = Path(__file__).resolve().parents[2] / "hhlib" / "datasets" / "synthetic_latency_uA.csv"


def make(path=PATH) -> Path:
    """Simulate the experiment and write it to ``path`` (returns the path)."""
    notes = ("SYNTHETIC data, not a measurement: simulated by hhlib "
             f"(data/examples/make_synthetic.py, seed {SEED})",
             f"truth: delta_v = {DELTA_V} (membrane current = {1 + DELTA_V} x stimulus current), "
             f"delta_area = {DELTA_AREA} (area {PROTOCOL['area_cm2'] * (1 + DELTA_AREA):g} cm2), SEED_MODEL")
    protocol = Protocol(**PROTOCOL, notes=notes)
    blank = FiringData(AMPLITUDES_UA, np.zeros(9, int), np.full(9, N_TRIALS), stimulus_unit="uA", protocol=protocol)
    pred = hhlib.predict(DELTA_V, DELTA_AREA, AMPLITUDES_UA, n_trials=N_TRIALS, seed=SEED,
                         setup=setup_for_data(blank), return_latency=True)
    data = FiringData(AMPLITUDES_UA, pred.n_fired, np.full(9, N_TRIALS), latency_ms=np.round(pred.latency_ms, 5),
                      jitter_ms=np.round(pred.jitter_ms, 5), stimulus_unit="uA", protocol=protocol)
    return save_data(data, path)


if __name__ == "__main__":
    print(f"wrote {make(Path(sys.argv[1]) if len(sys.argv) > 1 else PATH)}")
