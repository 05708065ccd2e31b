import pytest

import hhlib
from hhlib.reference import reference_threshold

#: The seed's reference area (cm²): 0.1 µm².
SEED_AREA_CM2 = 1e-9

#: Relative tolerance for floats computed by compiled code (numba kernels, numpy's SIMD loops) and compared
#: with numbers stored on another machine (pins, shipped caches). LLVM and numpy pick SIMD code, FMA and
#: summation order per CPU: AVX-512 against AVX2 was measured to move first-spike times by up to 2.2e-12
#: and cached jitters by up to 4.6e-12 (relative), counts never. 1e-9 leaves a margin of 200x over that and
#: still catches real regressions: any change to the step, the rates or the random draws moves spike times
#: by 1e-6 relative or more (one time step is 2.5e-3 ms in about 0.5 ms, and a changed normal changes a
#: trial's trajectory at order 1). Integers (counts, n_fired) are always compared exactly.
CROSS_CPU_RTOL = 1e-9


@pytest.fixture(scope="session")
def seed_threshold_ref():
    """Converged (solve_ivp) threshold of SEED_MODEL at 1e-9 cm², 0.1 ms pulse, µA."""
    return reference_threshold(hhlib.SEED_MODEL, SEED_AREA_CM2, rtol_threshold=1e-7)


@pytest.fixture(scope="session")
def shipped_fit():
    """``hhlib.fit()`` on the shipped data, seed 0 (what ``python -m hhlib optimise`` prints): computed once."""
    return hhlib.fit()
