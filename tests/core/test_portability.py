"""The float-sensitive tests again, with every kernel built for a generic x86-64 CPU.

A user's CPU is not ours: LLVM (numba) and numpy choose SIMD code, FMA contraction and summation order per
CPU, so floats from compiled code differ in their last bits between an AVX-512 machine and an AVX2 one. The
tests that compare such floats with numbers stored on another machine (the channel-noise pins, the shipped
caches) or between engines must hold everywhere. Here they run in a child pytest with numba compiling for
``NUMBA_CPU_NAME=generic`` (SSE2, no FMA) into a fresh kernel folder and numpy's runtime dispatch switched
off (``NPY_DISABLE_CPU_FEATURES`` = every dispatch target this CPU has, so numpy runs its baseline loops):
the arithmetic of the oldest x86-64 machine the wheels support, on whatever machine runs the suite.
``make check-generic`` runs the whole fast core suite that way.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

#: Tests whose floats come from compiled code and are compared with stored numbers or another engine.
FLOAT_SENSITIVE = (
    "tests/core/test_channel_noise.py::test_channel_noise_counts_match_the_pins",
    "tests/core/test_engines.py",
    "tests/studies/test_sensitivity.py::test_shipped_sensitivity_caches_are_current",
)


def generic_cpu_env(kernel_dir) -> dict:
    """Environment that builds numba kernels for a generic x86-64 CPU and keeps numpy on its baseline loops."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:                                     # numpy < 2
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    found = [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]
    # under `make check-generic` this process already runs with them off: keep those off in the child too
    off = dict.fromkeys(os.environ.get("NPY_DISABLE_CPU_FEATURES", "").split() + found)
    env = dict(os.environ, NUMBA_CPU_NAME="generic", NUMBA_CPU_FEATURES="", HHLIB_KERNEL_DIR=str(kernel_dir),
               NPY_DISABLE_CPU_FEATURES=" ".join(off))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def test_generic_cpu_environment_really_changes_the_arithmetic(tmp_path):
    """The child interpreter sees no numpy dispatch target and numba targets the generic CPU."""
    code = ("import numba.core.config as c; import numpy as np\n"
            "from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__\n"
            "print(c.CPU_NAME, sum(bool(__cpu_features__.get(n)) for n in __cpu_dispatch__))")
    out = subprocess.run([sys.executable, "-c", code], env=generic_cpu_env(tmp_path), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["generic", "0"]


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux") or os.uname().machine != "x86_64",
                    reason="the generic-CPU build is an x86-64 check")
def test_float_sensitive_tests_pass_with_kernels_built_for_a_generic_cpu(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *FLOAT_SENSITIVE],
                         cwd=ROOT, env=generic_cpu_env(tmp_path / "kernels"), capture_output=True, text=True,
                         timeout=1200)
    tail = "\n".join(out.stdout.splitlines()[-25:])
    assert out.returncode == 0, f"{tail}\n{out.stderr[-2000:]}"
    assert " passed" in tail and "failed" not in tail
    assert any(tmp_path.joinpath("kernels").glob("*.py")), "no kernel was compiled into the fresh folder"
