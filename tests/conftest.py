import pytest

import hhlib
from hhlib.reference import reference_threshold

#: The seed's reference area (cm²): 0.1 µm².
SEED_AREA_CM2 = 1e-9


@pytest.fixture(scope="session")
def seed_threshold_ref():
    """Converged (solve_ivp) threshold of SEED_MODEL at 1e-9 cm², 0.1 ms pulse, µA."""
    return reference_threshold(hhlib.SEED_MODEL, SEED_AREA_CM2, rtol_threshold=1e-7)


@pytest.fixture(scope="session")
def shipped_fit():
    """``hhlib.fit()`` on the shipped data, seed 0 (what ``python -m hhlib optimise`` prints): computed once."""
    return hhlib.fit()
