#!/usr/bin/env bash
# Issue 12's measurements on a machine with an NVIDIA GPU (H100/H200) and 16 cores, in one short run
# (about 4 to 6 minutes; nothing is downloaded: the machine's Python must already have numpy, scipy,
# numba, numba-cuda and pytest, e.g. `pip install -e '.[gpu]' pytest` beforehand where a registry is reachable).
#
#   bash benchmarks/gpu_check.sh [RESULTS_FILE]        (default: $OUT/gpu_check.txt, else ./gpu_check.txt)
#
# Writes to RESULTS_FILE: the machine (nvidia-smi, CPU), the GPU engine's tests (tests/core/test_cuda_engine.py:
# the kernel against the numba engine on the GPU, statistical equality on an amplitude x area grid at 20 000
# trials, latency and jitter, deterministic and float32 thresholds, the fit, channel noise (markov and
# diffusion: firing probabilities, stationary states at rest, launch configuration); the PTX compile; not the
# simulator run, which CI does), then benchmarks/bench_simulate.py's thread, GPU and fit sections and
# benchmarks/bench_channel_noise.py --engine cuda (channel noise at N_Na ~ 260 and ~ 2600). Run from the
# repository root.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
results="${1:-${OUT:-.}/gpu_check.txt}"
PY="${PYTHON:-python3}"
scratch="$(mktemp -d)"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export HHLIB_KERNEL_DIR="$scratch/kernels" HHLIB_CACHE_DIR="$scratch/cache" NUMBA_CACHE_DIR="$scratch/numba"

{
    echo "== gpu_check $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv 2>&1 || echo "no nvidia-smi"
    echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) logical CPUs;" \
         "threads per core: $(lscpu 2>/dev/null | awk -F: '/Thread\(s\) per core/ {gsub(/ /, "", $2); print $2}')"
    "$PY" - <<'EOF'
import importlib, platform
print("python", platform.python_version())
for name in ("numpy", "scipy", "numba", "numba_cuda", "pytest", "platformdirs"):
    try:
        print(f"{name} {getattr(importlib.import_module(name), '__version__', '?')}")
    except Exception as exc:
        print(f"{name} MISSING ({exc!r})")
import hhlib.engines as e
print("cuda_unavailable_reason:", e.cuda_unavailable_reason())
EOF
    echo "== tests (GPU, PTX compile)"
    timeout 240 "$PY" -m pytest -q -rA -p no:cacheprovider tests/core/test_cuda_engine.py \
        -k "not in_the_cuda_simulator" 2>&1 | tail -40
    echo "== bench_simulate.py --sections threads,gpu,fit"
    timeout 300 "$PY" benchmarks/bench_simulate.py --sections threads,gpu,fit 2>&1
    echo "== bench_channel_noise.py --engine cuda"
    timeout 90 "$PY" benchmarks/bench_channel_noise.py --engine cuda 2>&1
    echo "== done $(date -u +%FT%TZ)"
} 2>&1 | tee "$results"
rm -rf "$scratch"
