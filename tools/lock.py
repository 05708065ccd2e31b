"""Write constraints.txt from a pip installation report (``make lock``).

    python tools/lock.py REPORT.json constraints.txt MIN_PYTHON

REPORT.json is what ``pip install --dry-run --report`` resolved for ``.[dev]``; every distribution
in it but hhlib itself becomes one ``name==version`` line, sorted by name.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def pins(report: dict) -> list[str]:
    """``name==version`` of every distribution the report installs, hhlib excluded, sorted by name."""
    found = {}
    for item in report["install"]:
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key != "hhlib":
            found[key] = f"{name}=={version}"
    return [found[k] for k in sorted(found)]


def main(report_path: str, out_path: str, min_python: str) -> None:
    report = json.loads(Path(report_path).read_text())
    env = report["environment"]
    header = [
        '# Versions that `make` installs (pip install -c constraints.txt -e ".[dev]"): those the notebooks',
        "# were executed with. Written by `make lock` (do not edit by hand): pip's resolution of .[dev] for",
        f"# Python >= {min_python} (Requires-Python), markers of {env['sys_platform']} {env['platform_machine']} "
        f"Python {env['python_version']}.",
    ]
    tmp = Path(out_path + ".tmp")
    tmp.write_text("\n".join(header + pins(report)) + "\n")
    tmp.replace(out_path)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
