"""The multi-rate CPU kernel for long trains (``simulate(..., multirate=...)``): fine steps where anything changes
fast, steps ``k`` times as long between pulses.

What is fine and what is coarse (per trial, decided before every step from the fine grid index ``s``):

- a coarse step of ``k dt`` is taken only where the stimulus is constant over the whole step *and* has not
  changed for ``guard_ms`` before it (``coarse_ok[s]``, computed once from the unit waveforms: every pulse, its
  edges and the guard after each edge stay on the fine grid; a ramp is fine throughout), *and* the trial is
  quiet: after the previous step V was below ``v_guard_mV`` (mV above rest) and its deterministic rate of change
  ``|V_det(t + h) - V(t)| / h`` (without the noise increment) below ``rate_guard_mV_per_ms``;
- every other step is the fine ``dt``. Coarse steps start on the fine grid and end on it (``s`` advances by
  ``k``); stimulus edges are never moved.

The step is the generated membrane step (:mod:`hhlib.engines.step`) with its constants and gate tables for
``k dt``: gates by exponential Euler, V relaxed exactly for frozen conductances (stable at any step). A spike
needs V at the detection level (60 mV by default) while a coarse step starts below ``v_guard_mV`` and its
deterministic end stays there, so spikes are detected, and timed, on fine steps.

Current noise: the fine grid adds ``sigma xi`` after each step (a Wiener increment, variance per step
proportional to dt). A coarse step adds one normal with the variance of ``k`` fine increments relaxed by the
frozen membrane, ``sigma^2 (1 - d^2k) / (1 - d^2)``, ``d = exp(-g dt / c_m)`` (-> ``k sigma^2`` for small ``g dt``):
for frozen conductances the coarse step is the exact composition of ``k`` fine steps in distribution.
Random numbers: every trial has its own SFC64 stream, seeded with three words of its block's seed sequence
(:func:`hhlib.seeds.child`; trial ``i`` of the block takes words ``3i .. 3i+2``, as numpy's SFC64 seeds
itself), and draws one standard normal (numpy's ziggurat, bit for bit) per step it takes. A trial's numbers
therefore depend on the seed, its condition and its index only, never on the threads, the chunking or the
other trials. Channel noise is refused (its Markov steps are exact for the fine step only).
"""
from __future__ import annotations

import numba
import numpy as np

from ..seeds import child
from . import step as step_gen
from .common import SPIKE_LINES, TRIALS_PER_STREAM, block_size
from .kernel_files import importable, module_from_file, source_of
from .numba_channels import _sfc64, standard_normal

__all__ = ["run_multirate", "coarse_mask", "standard_normal", "lane_seeds", "multirate_kernel"]


@numba.njit(cache=True, nogil=True)
def seeded_state(s0, s1, s2):
    """numpy's SFC64 seeding from three words: ``(a, b, c, w=1)`` after 12 discarded outputs."""
    a, b, c, w = s0, s1, s2, np.uint64(1)
    for _ in range(12):
        _, a, b, c, w = _sfc64(a, b, c, w)
    return a, b, c, w


def lane_seeds(root, stream_id: int, block: int) -> np.ndarray:
    """Seed words of every trial of a block, uint64 (TRIALS_PER_STREAM, 3): rows of its seed sequence's state."""
    return child(root, stream_id, block).generate_state(3 * TRIALS_PER_STREAM, np.uint64).reshape(-1, 3)


def coarse_mask(waveforms: np.ndarray, k: int, guard_steps: int) -> np.ndarray:
    """``ok[s]``: a coarse step ``s .. s + k`` may start at fine step ``s``: every part's waveform is constant over
    steps ``s .. s + k - 1``, no part changed in the ``guard_steps`` steps before ``s`` (nor at ``s``), and the
    step ends by the end of the run. bool (n_steps,)."""
    n = waveforms.shape[1]
    change = np.zeros(n + 1, dtype=np.int64)
    change[0] = bool(np.any(waveforms[:, 0] != 0.0))
    change[1:n] = np.any(waveforms[:, 1:] != waveforms[:, :-1], axis=0)
    cum = np.concatenate(([0], np.cumsum(change)))                # cum[i] = changes at steps < i
    s = np.arange(n)
    lo = np.maximum(s - guard_steps + 1, 0)
    hi = np.minimum(s + k, n)
    return (cum[hi] - cum[lo] == 0) & (s + k <= n)


#: One lane's step at fine index ``s`` with step ``{h}`` (fine: 1, coarse: k), table ``{table}`` and constants
#: ``{consts}``: the generated step, the noise increment, the divergence check, the spike rule, the writes.
_LANE_STEP = '''
            j = {lanes}[q]
            vj = v[j]
            i_dens = i_shared if shared else stimulus_density(dens, waveforms, j, s)
{bind}
            table = {table}
            consts = {consts}
{step}
            vdet = vn
            if use_noise:
                xi, rng[j, 0], rng[j, 1], rng[j, 2], rng[j, 3] = standard_normal(rng[j, 0], rng[j, 1], rng[j, 2],
                                                                                   rng[j, 3])
                vn += {sigma} * xi
''' + SPIKE_LINES.replace("{spike_time}", "(F(s) + frac * F({h})) * dt") + '''\
            quiet[j] = vn < v_guard and vdet < v_guard and abs(vdet - vj) < rate_guard * F({h}) * dt
            v[j] = vn
            e[j] = en
{store}'''

#: The loops: macro steps of ``k`` fine steps; per macro step, the quiet lanes (where the stimulus allows) take one
#: coarse step, the others ``k`` fine steps; each pass runs over a compact list of its lanes.
_KERNEL = '''

@numba.njit(cache=True, nogil=True)
def run_multirate(seeds, n_lanes, use_noise, stop, dens, sigma, waveforms, ok, k, table_f, table_c, cf_in, cc_in,
                  g_max, e_rev, cpar, x0, e0, v_guard, rate_guard, counts, times, bad, coarse, cancel):
    cf = ({cf})
    cc = ({cc})
    dt, level, v_limit = cf[0], cf[6], cf[7]
    cap = times.shape[1]
    n_steps = waveforms.shape[1]
    shared = dens.shape[1] == 1
    v = np.full(n_lanes, cf[8])
    e = np.full(n_lanes, e0)
{state_init}
    rng = np.empty((n_lanes, 4), dtype=np.uint64)
    for j in range(n_lanes):
        rng[j, 0], rng[j, 1], rng[j, 2], rng[j, 3] = seeded_state(seeds[j, 0], seeds[j, 1], seeds[j, 2])
    armed = np.ones(n_lanes, dtype=np.bool_)
    quiet = np.zeros(n_lanes, dtype=np.bool_)
    done = np.zeros(n_lanes, dtype=np.bool_)
    fine_lanes = np.empty(n_lanes, dtype=np.int64)
    coarse_lanes = np.empty(n_lanes, dtype=np.int64)
    for s0 in range(0, n_steps, k):
        if cancel[0] != 0:
            return False
        n_fine = 0
        n_coarse = 0
        for j in range(n_lanes):
            if done[j]:
                continue
            if quiet[j] and ok[s0]:
                coarse_lanes[n_coarse] = j
                n_coarse += 1
                coarse[j] += 1
            else:
                fine_lanes[n_fine] = j
                n_fine += 1
        s = s0
        i_shared = stimulus_density(dens, waveforms, 0, s) if shared else ZERO
        for q in range(n_coarse):
{coarse_step}
        for s in range(s0, min(s0 + k, n_steps)):
            i_shared = stimulus_density(dens, waveforms, 0, s) if shared else ZERO
            for q in range(n_fine):
                if done[fine_lanes[q]]:
                    continue
{fine_step}
    return True
'''


#: A coarse step's noise amplitude: the spread of ``k`` fine increments relaxed by the frozen membrane.
_COARSE_SIGMA = "sigma * math.sqrt(math.expm1(2.0 * cc[3] * g) / math.expm1(2.0 * cf[3] * g))"


def kernel_text(model) -> str:
    """The multi-rate kernel module's text (header and step functions of :mod:`hhlib.engines.numba_engine`)."""
    from .numba_engine import _HEADER
    n = len(model.gates)
    parts = dict(bind="\n".join(f"            x_{i} = xs_{i}[j]" for i in range(n)) or "            pass",
                 step=step_gen.step_statements(model, "current", 12),
                 store="\n".join(f"            xs_{i}[j] = y{i}" for i in range(n)) or "            pass")
    coarse = _LANE_STEP.format(lanes="coarse_lanes", h="k", table="table_c", consts="cc", sigma=_COARSE_SIGMA, **parts)
    fine = _LANE_STEP.format(lanes="fine_lanes", h="1", table="table_f", consts="cf", sigma="sigma", **parts)
    kernel = _KERNEL.format(
        cf=", ".join(f"cf_in[{i}]" for i in range(len(step_gen.CONSTS))),
        cc=", ".join(f"cc_in[{i}]" for i in range(len(step_gen.CONSTS))),
        state_init="\n".join(f"    xs_{i} = np.full(n_lanes, x0[{i}])" for i in range(n)) or "    pass",
        coarse_step=coarse, fine_step=fine.replace("\n            ", "\n                "))
    head = _HEADER.format(key=step_gen.structure_key(model), variant="multirate",
                          imports=step_gen.function_imports(model, "numba.njit(nogil=True)"))
    head += ("from hhlib.engines.numba_fast import seeded_state\n"
             "from hhlib.engines.numba_channels import standard_normal\n")
    return head + step_gen.step_source(model, "current") + kernel


_kernels: dict = {}


def multirate_kernel(model):
    """The compiled multi-rate kernel for ``model`` (from the kernel folder; compiled in memory otherwise)."""
    from .numba_engine import _dependencies, _lock
    key = (step_gen.structure_key(model), tuple(fn for _, fn in step_gen.model_functions(model)),
           tuple((c.name, c.gates) for c in model.currents))
    with _lock:
        if key not in _kernels:
            text = kernel_text(model)
            module = None
            if all(importable(fn) for _, fn in step_gen.model_functions(model)):
                from . import numba_fast
                module = module_from_file(text, _dependencies(model, "current") + source_of(numba_fast),
                                          "hhlib_multirate")
            _kernels[key] = module.run_multirate if module is not None else _in_memory(model, text)
        return _kernels[key]


def _in_memory(model, text):
    namespace = {f"_{name}": fn for name, fn in step_gen.model_functions(model)}
    text = text.replace("cache=True", "cache=False")
    exec(compile(text, f"<hhlib multirate kernel {step_gen.structure_key(model)}>", "exec"), namespace)
    return namespace["run_multirate"]


def _constants(spec, k):
    """Fine and coarse ``consts`` arrays and gate tables (layout :data:`hhlib.engines.step.CONSTS`)."""
    from .numba_engine import GATE_RATES
    use = GATE_RATES == "table"
    fine = step_gen.step_constants(spec, use)
    coarse = fine.copy()
    table_c = step_gen.gate_tables(spec.model, k * spec.dt)
    coarse[0] = k * spec.dt
    coarse[3] = -k * spec.dt / spec.model.c_m
    coarse[5] = float(table_c.shape[0] - 1) if use else -1.0
    return fine, coarse, step_gen.gate_tables(spec.model, spec.dt), table_c


def run_multirate(spec, units, out, lanes):
    """Fill ``out`` for ``units`` with the multi-rate kernel (``spec.multirate`` set; current noise or none).

    Also fills ``out.coarse_steps`` (n_cond, n_trials): the coarse steps every trial took."""
    from .numba_engine import run_on_pool
    mr = spec.multirate
    k = mr.k
    kernel = multirate_kernel(spec.model)
    cf, cc, table_f, table_c = _constants(spec, k)
    ok = coarse_mask(spec.waveforms, k, int(np.ceil(mr.guard_ms / spec.dt - 1e-9)))
    g_max, e_rev, cpar = step_gen.current_arrays(spec.model)
    state0 = spec.model.initial_state()
    x0 = np.array(state0[1:], dtype=float)
    e0 = float(spec.model.ionic_equilibrium(state0[1:], state0[0]))
    waveforms = np.ascontiguousarray(spec.waveforms, dtype=float)
    use_noise = spec.root is not None
    sigma = spec.noise.sigma_v_mV(spec.model, spec.dt, spec.area_flat) if use_noise else np.zeros(spec.n_cond)
    if out.coarse_steps is None:
        out.coarse_steps = np.zeros(out.counts.shape, dtype=np.int64)

    def work(unit, cancel):
        c, b = unit
        lo = b * TRIALS_PER_STREAM
        hi = lo + block_size(b, spec.n_trials)
        seeds = lane_seeds(spec.root, int(spec.ids[c]), b) if use_noise else np.zeros((hi - lo, 3), np.uint64)
        dens = np.ascontiguousarray(lanes.densities(spec, c, lo, hi if lanes.scale is not None else lo + 1))
        kernel(seeds, hi - lo, use_noise, lanes.stops(spec, c, lo, hi), dens, float(sigma[c]), waveforms, ok, k,
               table_f, table_c, cf, cc, g_max, e_rev, cpar, x0, e0, mr.v_guard_mV, mr.rate_guard_mV_per_ms,
               out.counts[c, lo:hi], out.times[c, lo:hi], out.bad[c, lo:hi], out.coarse_steps[c, lo:hi], cancel)

    run_on_pool(work, units, spec.n_threads)
