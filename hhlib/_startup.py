"""Ctrl-C while ``python -m hhlib`` (or ``python -m hhlib.studies``) is still starting up.

Importing the core (numpy, scipy, numba) takes about a second; a Ctrl-C in that second would otherwise end
the command with a ``KeyboardInterrupt`` traceback and death by SIGINT, where the command line promises one
line and exit status 130. :func:`quiet_interrupt` (called by ``hhlib/__init__.py`` only when Python is
locating a ``-m`` module, i.e. ``sys.argv[0] == "-m"``) installs a SIGINT handler that prints
``python -m <module>: interrupted`` and exits 130 at once; :func:`started` (called by the ``__main__``
modules once everything is imported) restores Python's own handler, so the commands' ``except
KeyboardInterrupt`` takes over; :func:`finish` (called with the command's exit status once its work is done)
ignores Ctrl-C from then on: while Python shuts down it puts SIGINT back to the system's default action, so a
Ctrl-C in those last milliseconds would otherwise kill the finished command by the signal (no message, status
-2 instead of its own). Imports as a library (``import hhlib``) are never affected.
"""
from __future__ import annotations

import os
import signal
import sys

__all__ = ["quiet_interrupt", "started", "finish", "program"]


def program() -> str:
    """``python -m <module>`` as started (from ``sys.orig_argv``), for the one-line message."""
    argv = list(getattr(sys, "orig_argv", []))
    module = argv[argv.index("-m") + 1] if "-m" in argv[:-1] else "hhlib"
    return f"python -m {module}"


def _exit_130(signum, frame):
    try:
        sys.stderr.write(f"\n{program()}: interrupted\n")
        sys.stderr.flush()
    finally:
        os._exit(130)


def quiet_interrupt() -> None:
    """Make Ctrl-C during start-up print one line and exit 130 (only where SIGINT has its default handler)."""
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _exit_130)
    except ValueError:                       # not the main thread: leave signals alone
        pass


def started() -> None:
    """Start-up is over: Ctrl-C raises KeyboardInterrupt again (which the commands turn into exit 130)."""
    try:
        if signal.getsignal(signal.SIGINT) is _exit_130:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:
        pass


def finish(status: int):
    """The command's work is done: ignore Ctrl-C from now on and exit with ``status`` (a Ctrl-C that Python had
    already turned into ``KeyboardInterrupt`` is dropped: there is nothing left to interrupt)."""
    for _ in range(3):
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            break
        except KeyboardInterrupt:
            continue
        except ValueError:                   # not the main thread: leave signals alone
            break
    sys.exit(status)
