"""``python -m hhlib.studies``: rebuilds every registered cache; one line and exit 2 when it cannot."""
import os
import subprocess
import sys

import numpy as np

from hhlib.studies import __main__ as studies_main
from hhlib.studies import cache


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "hhlib.studies", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_rebuild_into_an_unwritable_folder_exits_2_before_computing(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    r = _run(env=dict(os.environ, HHLIB_CACHE_DIR=str(blocker / "cache")))
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert "cannot write to the cache folder" in lines[0] and "HHLIB_CACHE_DIR" in lines[0] and str(blocker) in lines[0]


def test_arguments_are_refused_with_one_line():
    r = _run("everything")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "no arguments" in r.stderr


def test_main_rebuilds_every_registered_builder(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(cache, "BUILDER_MODULES", ())
    monkeypatch.setattr(cache, "_REGISTRY", {})

    @cache.register("test_main_ones", n=2)
    def ones(n, progress=None):
        return {"y": np.ones(n)}

    assert studies_main.main([]) == 0
    assert "test_main_ones: rebuilt" in capsys.readouterr().out
    assert len(list(tmp_path.glob("test_main_ones-*.npz"))) == 1


def test_builder_modules_are_the_studies():
    assert cache.BUILDER_MODULES == ("hhlib.studies.landscape", "hhlib.studies.sensitivity",
                                     "hhlib.studies.optimisation", "hhlib.studies.noise_models",
                                     "hhlib.studies.node_models", "hhlib.studies.pulse_trains",
                                     "hhlib.studies.phast_compare", "hhlib.studies.miller_fit")
