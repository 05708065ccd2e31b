"""The GPU engine: its random numbers, its refusal without a GPU, and its kernel (simulator / GPU / PTX).

The kernel checks live in ``cuda_checks.py`` and run in a child pytest: numba reads
``NUMBA_ENABLE_CUDASIM`` at import, so the simulator needs a fresh interpreter.
"""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import hhlib
from hhlib import Pulse, simulate
from hhlib.engines import CudaUnavailableError, cuda_available, cuda_unavailable_reason
from hhlib.engines._philox import key_of, normals, philox4x32_10

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
U = np.uint64


def words(text):
    return [U(int(w, 16)) for w in text.split()]


@pytest.mark.parametrize("counter, key, expected", [   # Random123's tests/kat_vectors, philox4x32 10
    ("00000000 00000000 00000000 00000000", "00000000 00000000", "6627e8d5 e169c58d bc57ac4c 9b00dbd8"),
    ("ffffffff ffffffff ffffffff ffffffff", "ffffffff ffffffff", "408f276d 41c83b0e a20bc7c6 6d5451fd"),
    ("243f6a88 85a308d3 13198a2e 03707344", "a4093822 299f31d0", "d16cfe09 94fdcceb 5001e420 24126ea1"),
])
def test_philox_matches_the_known_answer_vectors(counter, key, expected):
    assert [int(w) for w in philox4x32_10(*words(counter), *words(key))] == [int(w) for w in words(expected)]


def test_normals_are_independent_standard_normals():
    z = normals(np.random.SeedSequence(2024), 5, np.arange(4000), 64)      # 256 000 numbers
    assert stats.kstest(z.ravel(), "norm").pvalue > 1e-3
    assert abs(z.mean()) < 4 / np.sqrt(z.size) and abs(z.var() - 1) < 4 * np.sqrt(2 / z.size)
    # neighbours in time (within and across Philox blocks) and in trials are uncorrelated
    for a, b in ((z[:, :-1], z[:, 1:]), (z[:-1], z[1:]), (z[:, 0::4], z[:, 3::4])):
        assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 4 / np.sqrt(a.size)


def test_normals_depend_on_seed_spawn_key_and_stream_and_prefixes_agree():
    root = np.random.SeedSequence(7)
    base = normals(root, 0, np.arange(8), 16)
    np.testing.assert_array_equal(normals(root, 0, np.arange(4), 10), base[:4, :10])
    others = [normals(np.random.SeedSequence(8), 0, np.arange(8), 16), normals(root, 1, np.arange(8), 16),
              normals(root, 2**32, np.arange(8), 16), normals(root.spawn(1)[0], 0, np.arange(8), 16)]
    for other in others:
        assert np.all(other != base)
    assert key_of(root) != key_of(root.spawn(1)[0])


@pytest.mark.skipif(cuda_available(), reason="a GPU (or the simulator) is usable here")
def test_cuda_without_a_gpu_raises_a_clear_error():
    with pytest.raises(CudaUnavailableError, match=r"pip install 'hhlib\[gpu\]'") as info:
        simulate(hhlib.SEED_MODEL, Pulse(7e-8), 1e-9, 2, seed=0, engine="cuda")
    assert isinstance(info.value, RuntimeError) and cuda_unavailable_reason() in str(info.value)
    with pytest.raises(CudaUnavailableError):
        hhlib.fit(engine="cuda")
    with pytest.raises(CudaUnavailableError):
        hhlib.firing_probability(hhlib.SEED_MODEL, 7e-8, 1e-9, 10, engine="cuda")


@pytest.mark.skipif(cuda_available(), reason="a GPU (or the simulator) is usable here")
def test_auto_picks_the_gpu_only_when_opted_in_and_warns_without_one(monkeypatch):
    from hhlib.engines import select
    monkeypatch.setattr(select, "_warned", set())
    ref = simulate(hhlib.SEED_MODEL, Pulse(7e-8), 1e-9, 300, seed=1, engine="numba")
    monkeypatch.setenv("HHLIB_ENGINE", "cuda")
    with pytest.warns(RuntimeWarning, match="HHLIB_ENGINE=cuda.*using the CPU engines"):
        r = simulate(hhlib.SEED_MODEL, Pulse(7e-8), 1e-9, 300, seed=1)
    np.testing.assert_array_equal(r.spike_counts, ref.spike_counts)
    monkeypatch.setenv("HHLIB_ENGINE", "gpu")
    with pytest.raises(ValueError, match="HHLIB_ENGINE"):
        simulate(hhlib.SEED_MODEL, Pulse(7e-8), 1e-9, 2, seed=1)


def test_float32_and_traces_need_the_right_engine():
    with pytest.raises(ValueError, match="precision='float32' needs engine='cuda'"):
        simulate(hhlib.SEED_MODEL, Pulse(7e-8), 1e-9, 2, seed=0, engine="numba", precision="float32")
    with pytest.raises(ValueError, match="precision must be one of"):
        simulate(hhlib.SEED_MODEL, Pulse(7e-8), 1e-9, 2, seed=0, precision="float16")
    with pytest.raises(ValueError, match="does not record traces"):
        simulate(hhlib.SEED_MODEL, Pulse(7e-8), 1e-9, 2, seed=0, engine="cuda", record=True)


@pytest.mark.parametrize("engine", ["cuda", "numba"])
def test_channel_noise_refuses_float32(engine):
    """Channel noise runs in float64 on every engine (checked before any GPU is looked for)."""
    with pytest.raises(ValueError, match="precision='float32'.*float64 only"):
        simulate(hhlib.SEED_MODEL, Pulse(0.0), 1e-8, 2, seed=0, noise=hhlib.ChannelNoise(600, 180), engine=engine,
                 precision="float32")


def run_checks(simulator, *args):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    if simulator:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE / "cuda_checks.py"),
                          *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-3000:]
    return out.stdout


@pytest.mark.slow
def test_kernel_in_the_cuda_simulator():
    """The kernels' logic, run as Python by numba's CUDA simulator (about 80 s on the shared 2-core machine:
    about 30 s channel noise, 30 s the protocols of issue 17)."""
    tail = run_checks(True)
    assert re.search(r"\b26 passed, 1 skipped", tail), tail       # the whole fit is skipped in the simulator


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_available() or os.environ.get("NUMBA_ENABLE_CUDASIM") == "1",
                    reason=f"needs an NVIDIA GPU: {cuda_unavailable_reason()}")
def test_kernel_on_the_gpu():
    tail = run_checks(False, "-rA")
    assert re.search(r"\b27 passed", tail), tail


def _nvvm_missing():
    """Why the kernel cannot be compiled to PTX here (None if it can: numba-cuda with NVVM, no GPU needed)."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return "the simulator compiles nothing"
    try:
        import numba_cuda  # noqa: F401
        from numba import cuda, types
        from numba.cuda.cudadrv import nvvm
        nvvm.NVVM()

        def probe(x):
            x[0] = 1.0
        cuda.compile_ptx(probe, (types.float64[:],), cc=(9, 0))     # NVVM and NVRTC both present
    except Exception as exc:
        return repr(exc)
    return None


def _kernel_signature(precision):
    """Argument types of ``run_lanes`` (current noise) as :func:`hhlib.engines.cuda_engine.simulate_lanes` passes
    them: ``lane0, n_lanes, n_trials, key0, key1, use_noise, per_lane, stop, dens (n_parts, lanes), sigma,
    stream_lo, stream_hi, waveforms (n_parts, n_steps), table, consts, dt64, g_max, e_rev, cpar, x0, e0``, the
    channel placeholders ``markov, stoch, cdesc, init_p, n_chan, n_init, n_step, per_row``, then the outputs
    ``counts, times (lanes, max_spikes), bad``."""
    from numba import types
    f, i, u = getattr(types, precision), types.int64, types.uint64

    def arr(t, nd=1):
        return types.Array(t, nd, "C")
    return (i, i, i, u, u, types.boolean, types.boolean, arr(types.int32), arr(f, 2), arr(f), arr(u), arr(u),
            arr(f, 2), arr(f, 2), arr(f), types.float64, arr(f), arr(f), arr(f, 2), arr(f), f,
            types.boolean, arr(i), arr(i, 2), arr(types.float64, 2), arr(i, 2), i, i, i,
            arr(types.int32), arr(types.float64, 2), arr(types.uint8))


@pytest.mark.skipif(_nvvm_missing() is not None, reason="compiling for a GPU needs numba-cuda with NVVM "
                    "(pip install 'numba-cuda[cu13]'; no GPU needed)")
@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_kernel_compiles_for_hopper_and_float32_stays_single_precision(precision, monkeypatch):
    from numba import cuda, types
    from numba.cuda import dispatcher
    from numba.cuda.compiler import compile_cuda

    from hhlib.engines import cuda_engine
    from hhlib.engines.cuda_kernels import load_cuda_kernel
    if not cuda_engine.cuda.is_available():     # device functions ask the current device for its architecture
        hopper = type("Hopper", (), {"compute_capability": (9, 0)})
        monkeypatch.setattr(dispatcher, "get_current_device", lambda: hopper)
    kernel = load_cuda_kernel(hhlib.SEED_MODEL, precision).py_func
    fast = precision == "float32"
    sig = _kernel_signature(precision)
    ptx, _ = cuda.compile_ptx(kernel, sig, cc=(9, 0), fastmath=fast)
    assert ".entry" in ptx and ".target sm_90" in ptx
    typemap = compile_cuda(kernel, types.void, sig, cc=(9, 0), fastmath=fast).type_annotation.typemap
    doubles = {name for name, t in typemap.items() if t == types.float64 and not name.startswith("$")}
    if precision == "float32":      # only the spike times are float64 (the spike rule's fraction, the time)
        assert doubles <= {"frac", "dt64", "arg.dt64"}, doubles
    else:
        assert {"v", "vn", "e", "en", "z0", "y0"} <= doubles


def test_numpy_without_row_stack_gets_it_back_before_numba_cuda_loads():
    """numpy 2.5 removed np.row_stack, which numba-cuda 0.30 overloads: every kernel compile then fails."""
    code = ("import numpy as np, hhlib\n"
            "del np.row_stack\n"                          # numpy 2.5 (after scipy's `from numpy import *`)
            "from hhlib.engines import cuda_engine\n"
            "assert np.row_stack is np.vstack\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]


def _channel_kernel_signature():
    """Argument types of the channel-noise ``run_lanes`` (float64): as :func:`_kernel_signature`, with the channel
    description of :func:`hhlib.engines.numba_channels.describe` (``stoch, cdesc, init_p, n_chan.T``)."""
    from numba import types
    f, i, u = types.float64, types.int64, types.uint64

    def arr(t, nd=1):
        return types.Array(t, nd, "C")
    return (i, i, i, u, u, types.boolean, types.boolean, arr(types.int32), arr(f, 2), arr(f), arr(u), arr(u),
            arr(f, 2), arr(f, 2), arr(f), f, arr(f), arr(f), arr(f, 2), arr(f), f,
            types.boolean, arr(i), arr(i, 2), arr(f), arr(f, 2), i, i, i,
            arr(types.int32), arr(f, 2), arr(types.uint8))


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("numba_cuda") is None or os.environ.get("NUMBA_ENABLE_CUDASIM") == "1",
                    reason="needs numba-cuda outside the simulator (no GPU needed)")
def test_channel_kernel_types_and_lowers_for_hopper_with_the_cpu_engines_steps(monkeypatch):
    """The channel-noise kernel (the CPU kernel's unrolled channel steps and numba_channels' helpers as device
    functions) passes numba-cuda's typing and lowering for sm_90 without a GPU (about 5 s); where NVVM is
    present it also compiles to PTX."""
    from numba import types
    from numba.cuda import dispatcher
    from numba.cuda.compiler import compile_cuda

    from hhlib.engines import cuda_engine
    from hhlib.engines.cuda_kernels import load_cuda_kernel
    if not cuda_engine.cuda.is_available():
        hopper = type("Hopper", (), {"compute_capability": (9, 0)})
        monkeypatch.setattr(dispatcher, "get_current_device", lambda: hopper)
    kernel = load_cuda_kernel(hhlib.SEED_MODEL, "float64", "channels").py_func
    result = compile_cuda(kernel, types.void, _channel_kernel_signature(), cc=(9, 0))
    typemap = result.type_annotation.typemap
    for name in ("chan", "rand", "inv_n", "n_c"):
        assert typemap[name] == types.Array(types.float64, 1, "C"), (name, typemap[name])
    assert typemap["v"] == typemap["e"] == types.float64
    ir = result.library.get_llvm_str()
    for callee in ("membrane_step", "_markov_c0", "_markov_c1", "_diffusion_c0", "_diffusion_c1", "binomial_inverse",
                   "_search", "channel_init", "philox4x32_10", "fill_draws"):
        assert callee in ir, callee
    if _nvvm_missing() is None:
        from numba import cuda
        ptx, _ = cuda.compile_ptx(kernel, _channel_kernel_signature(), cc=(9, 0))
        assert ".entry" in ptx and ".target sm_90" in ptx
