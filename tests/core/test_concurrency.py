"""Threads, Ctrl-C and resources: concurrent calls, bounded thread counts, interrupts within a second."""
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import hhlib
from hhlib import Pulse, simulate

# each Ctrl-C test starts a fresh Python process (seconds): part of the full suite, not of `make check`
slow = pytest.mark.slow

AMPS = 7e-8 * np.linspace(0.9, 1.1, 4)


def test_concurrent_calls_with_different_thread_counts_do_not_interfere():
    expected = simulate(hhlib.SEED_MODEL, Pulse(AMPS), 1e-9, 600, seed=5, n_threads=1).spike_counts
    with ThreadPoolExecutor(6) as ex:
        results = list(ex.map(lambda k: simulate(hhlib.SEED_MODEL, Pulse(AMPS), 1e-9, 600, seed=5,
                                                 n_threads=k).spike_counts, [1, 2, 3, 8, 1, 64, 2, 5]))
    for r in results:
        np.testing.assert_array_equal(r, expected)


def test_many_requested_threads_start_no_more_than_the_cores():
    before = threading.active_count()
    simulate(hhlib.SEED_MODEL, Pulse(AMPS), 1e-9, 2000, seed=1, n_threads=1000)
    hhlib_threads = [t for t in threading.enumerate() if t.name.startswith("hhlib")]
    assert len(hhlib_threads) <= (os.cpu_count() or 1)
    assert threading.active_count() <= before + (os.cpu_count() or 1)


def _load_factor() -> float:
    """How oversubscribed the CPUs are now (1-minute load average per core, at least 1).

    The stop-time limits below are for a machine whose cores are free; under ``make test`` (pytest-xdist runs
    another test on the other core) or other load, every step of stopping (the signal handler, the kernels'
    cancel checks, a process pool's shutdown, interpreter exit) gets a share of the CPU only, so the wall-clock
    limit is stretched by this factor. An idle machine keeps the stated limit exactly.
    """
    return max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))


def _interrupt_after_start(code, *, group, wait_s=2.0, args=()):
    """Run ``code`` in a subprocess; once it prints 'ready', wait, send SIGINT, return (seconds to exit, result).

    The seconds are divided by :func:`_load_factor` (measured just before the signal): CPU-available seconds."""
    # the child starts with SIGINT at its default, as under a terminal: a shell that runs this suite in the
    # background (CI) may have set it to "ignore", which Python would then keep
    p = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert p.stdout.readline().strip() == "ready"
        time.sleep(wait_s)
        factor = _load_factor()
        t0 = time.perf_counter()
        if group:
            os.killpg(p.pid, signal.SIGINT)          # what a terminal's Ctrl-C does
        else:
            p.send_signal(signal.SIGINT)             # what Jupyter's "interrupt kernel" does
        out, err = p.communicate(timeout=60)
        return (time.perf_counter() - t0) / factor, p.returncode, out, err
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)


@slow
@pytest.mark.parametrize("n_threads", [1, 2])
def test_ctrl_c_stops_a_compiled_run_within_a_second(n_threads):
    code = """
        import sys, numpy as np, hhlib
        hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(7e-8), 1e-9, 10, seed=0)      # compile first
        print("ready", flush=True)
        hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(7e-8 * np.ones(50)), 1e-9, 200000, seed=0,
                       n_threads=int(sys.argv[1]))
        print("finished", flush=True)
    """
    seconds, rc, out, err = _interrupt_after_start(code, group=False, args=(str(n_threads),))
    assert "finished" not in out and "KeyboardInterrupt" in err
    assert seconds < 1.5, seconds


@slow
@pytest.mark.parametrize("method", ["markov", "diffusion"])
def test_ctrl_c_stops_a_channel_noise_run_within_a_second(method):
    # 258 000 Na channels: a Markov step of one 256-trial block takes milliseconds, so the kernel must look at
    # the cancel flag every step (it looked every 512 steps: 2-4 s to stop)
    code = """
        import sys, numpy as np, hhlib
        noise = hhlib.ChannelNoise(600, 180, method=sys.argv[1])
        hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(7e-8), 4.3e-6, 10, seed=0, noise=noise)     # compile first
        print("ready", flush=True)
        hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(7e-8 * np.ones(20)), 4.3e-6, 20000, seed=0, noise=noise)
        print("finished", flush=True)
    """
    seconds, rc, out, err = _interrupt_after_start(code, group=False, wait_s=1.5, args=(method,))
    assert "finished" not in out and "KeyboardInterrupt" in err
    assert seconds < 1.0, seconds


@slow
@pytest.mark.parametrize("group", [True, False], ids=["terminal", "kernel-interrupt"])
def test_ctrl_c_stops_a_process_pool_sweep(group):
    code = """
        import numpy as np, hhlib
        from concurrent.futures import ProcessPoolExecutor
        if __name__ == "__main__":
            with ProcessPoolExecutor(2) as ex:
                hhlib.sweep(hhlib.SEED_MODEL, [7e-8, 8e-8], 1e-9, 10, seed=0, executor=ex)   # warm workers
                print("ready", flush=True)
                hhlib.sweep(hhlib.SEED_MODEL, 7e-8 * np.ones(64), 1e-9, 20000, seed=0, executor=ex)
            print("finished", flush=True)
    """
    seconds, rc, out, err = _interrupt_after_start(code, group=group, wait_s=1.5)
    assert "finished" not in out and "KeyboardInterrupt" in err
    assert seconds < 2.0, seconds


@slow
def test_cli_exits_130_with_one_line_on_ctrl_c(tmp_path):
    code = """
        import sys, hhlib.cli
        import hhlib
        hhlib.simulate(hhlib.SEED_MODEL, hhlib.Pulse(7e-8), 1e-9, 10, seed=0)
        print("ready", flush=True)
        sys.exit(hhlib.cli.main(["predict", "--runs", "2000000", "--seed", "1"]))
    """
    seconds, rc, out, err = _interrupt_after_start(code, group=True, wait_s=1.0)
    assert rc == 130 and seconds < 1.5
    assert err.strip().splitlines() == ["python -m hhlib predict: interrupted"]
    assert "Traceback" not in err
