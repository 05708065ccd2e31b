"""Ctrl-C while ``python -m hhlib`` is still importing: one line, exit status 130, no traceback."""
import os
import signal
import subprocess
import sys
import time

import pytest


def _interrupt_during_startup(args, delay_s):
    p = subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        time.sleep(delay_s)
        t0 = time.perf_counter()
        os.killpg(p.pid, signal.SIGINT)                 # what a terminal's Ctrl-C does
        out, err = p.communicate(timeout=60)
        return time.perf_counter() - t0, p.returncode, out, err
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)


@pytest.mark.parametrize("delay_s", [0.25, 0.5])
@pytest.mark.parametrize("module", ["hhlib", "hhlib.studies"])
def test_ctrl_c_during_imports_exits_130_with_one_line(module, delay_s):
    # `predict --runs 10` and the studies' `--help` both finish quickly once imported, so a SIGINT this early
    # lands during the imports (numpy, scipy, numba: about a second) or, on a fast machine, just after them;
    # either way the command must end with status 130 and one line, or have finished normally
    args = [module, "predict", "--runs", "10"] if module == "hhlib" else [module, "--help"]
    seconds, rc, out, err = _interrupt_during_startup(args, delay_s)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    if rc != 0:
        assert rc == 130, (rc, err)
        assert err.strip().splitlines()[-1] in (f"python -m {module}: interrupted",
                                                f"python -m {module} predict: interrupted")
        assert len(err.strip().splitlines()) == 1
    assert seconds < 1.0


def test_importing_hhlib_as_a_library_leaves_sigint_alone():
    code = "import signal, hhlib; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    # SIGINT at its default when the child starts, as under a terminal (a shell running the suite in the
    # background may have set it to "ignore", which Python then keeps)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert out.stdout.strip() == "True", out.stderr


@pytest.mark.parametrize("status", [0, 2])
def test_a_ctrl_c_after_the_work_is_done_cannot_change_the_exit_status(status):
    # finish() is what the __main__ modules exit through; the SIGINT here lands during interpreter shutdown
    # (an atexit hook), where Python's own handler would raise (a traceback) or, later, the default action kill
    code = ("import atexit, os, signal, time\nfrom hhlib._startup import finish\n"
            "atexit.register(lambda: (os.kill(os.getpid(), signal.SIGINT), time.sleep(0.2)))\n"
            f"print('done', flush=True)\nfinish({status})\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert (out.returncode, out.stdout, out.stderr) == (status, "done\n", "")
