"""Old place of the run specification: see :mod:`hhlib.engines.runspec`."""
from .engines.runspec import (  # noqa: F401
    DEFAULT_CHUNK_LANES,
    ENGINES,
    MAX_RECORD_BYTES,
    MAX_RESULT_BYTES,
    MAX_STEPS,
    PRECISIONS,
    RunSpec,
    build_run_spec,
    check_timing,
    resolve_noise,
)
