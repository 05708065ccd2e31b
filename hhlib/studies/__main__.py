"""``python -m hhlib.studies``: rebuild every cache the notebooks use (``data/cache/*.npz``).

Each registered builder (:data:`hhlib.studies.cache.BUILDER_MODULES`) is recomputed with its default
parameters and saved; one line per cache on stdout. Exit status: 0 success; 2 usage error or a cache
folder that cannot be written (one line on stderr, before anything is computed); 130 interrupted
(Ctrl-C); 1 an unexpected internal error (one line; ``HHLIB_DEBUG=1`` shows the traceback).
"""
from __future__ import annotations

import os
import sys

from .cache import rebuild_all

PROG = "python -m hhlib.studies"


def main(argv=None) -> int:
    """Rebuild every registered cache; returns the exit status (see the module docstring)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv in (["-h"], ["--help"]):
        print(f"usage: {PROG}\n\n{__doc__.strip()}")
        return 0
    if argv:
        sys.stderr.write(f"{PROG}: error: no arguments expected, got {' '.join(argv)!r}\n")
        return 2
    try:
        rebuild_all()
    except KeyboardInterrupt:
        sys.stderr.write(f"\n{PROG}: interrupted\n")
        return 130
    except OSError as exc:
        sys.stderr.write(f"{PROG}: error: {' '.join(str(exc).split())}\n")
        return 2
    except Exception as exc:                                   # a bug: one line, unless debugging
        if os.environ.get("HHLIB_DEBUG"):
            raise
        sys.stderr.write(f"{PROG}: internal error: {type(exc).__name__}: {exc} "
                         "(set HHLIB_DEBUG=1 to see the traceback)\n")
        return 1
    return 0


if __name__ == "__main__":
    from .._startup import finish, started
    started()
    finish(main())
