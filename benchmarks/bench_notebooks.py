"""Execution time of each notebook (target: <= 60 s each on a 2-core machine).

    python benchmarks/bench_notebooks.py

Executes copies of the notebooks in a temporary directory with nbclient (the committed files are
not touched) and prints the wall time of each. Caches in data/cache are used as the notebooks
use them; run `python -m hhlib.studies` first if they are missing.
"""
from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def main():
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        t0 = time.perf_counter()
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
        print(f"{path.name:28s} {time.perf_counter() - t0:6.1f} s  (target <= 60 s)")


if __name__ == "__main__":
    main()
