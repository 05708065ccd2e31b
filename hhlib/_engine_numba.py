"""Compiled (numba) engine: the same scheme and random streams as the numpy engine, fused per step.

Not imported directly by users: :func:`hhlib.simulate` picks it (``engine="auto"``) when numba
imports. One kernel call advances one random stream's block of trials (time outer, trials inner,
normals drawn in the same order as the numpy engine); blocks run on a thread pool (the kernels
release the GIL), so results do not depend on the number of threads.

Gate updates use precomputed exponential-Euler coefficient tables on a 0.01 mV grid with linear
interpolation (as NEURON's rate tables do): ``x_new = A(V) + B(V) x`` with ``A = x∞ (1 - e^{-dt(α+β)})``
and ``B = e^{-dt(α+β)}``. Outside the table (|V| beyond its range) the exact rates are used. The
accuracy cost is measured in ``tests/test_engines.py`` (threshold within 1e-6 relative of the exact
numpy engine).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numba
import numpy as np

from .model import HHParameters, gate_rates
from .spikes import spike_event

TABLE_V_MIN_MV = -200.0
TABLE_V_MAX_MV = 300.0
TABLE_STEP_MV = 0.01


@lru_cache(maxsize=32)
def gate_tables(params: HHParameters, dt_ms: float) -> np.ndarray:
    """Exponential-Euler coefficients ``(A_m, B_m, A_h, B_h, A_n, B_n)`` on the V grid, shape (n, 6)."""
    n = int(round((TABLE_V_MAX_MV - TABLE_V_MIN_MV) / TABLE_STEP_MV)) + 1
    v = TABLE_V_MIN_MV + TABLE_STEP_MV * np.arange(n)
    am, bm, ah, bh, an, bn = gate_rates(v, params)
    out = np.empty((n, 6))
    for j, (a, b) in enumerate(((am, bm), (ah, bh), (an, bn))):
        decay = np.exp(-dt_ms * (a + b))
        out[:, 2 * j] = a / (a + b) * (1.0 - decay)
        out[:, 2 * j + 1] = decay
    out.setflags(write=False)
    return out


@numba.njit(cache=True, nogil=True, inline="always")
def _xe(x):
    """x / expm1(x), removable singularity filled."""
    if abs(x) < 1e-6:
        return 1.0 - 0.5 * x
    return x / math.expm1(x)


@numba.njit(cache=True, nogil=True)
def _exact_coeffs(v, k, dt, out):
    """Exact coefficients at V outside the table (same formulas as hhlib.model)."""
    a = k * _xe((25.0 - v) / 10.0)
    b = k * 4.0 * math.exp(-v / 18.0)
    d = math.exp(-dt * (a + b)); out[0] = a / (a + b) * (1.0 - d); out[1] = d
    a = k * 0.07 * math.exp(-v / 20.0)
    b = k / (math.exp((30.0 - v) / 10.0) + 1.0)
    d = math.exp(-dt * (a + b)); out[2] = a / (a + b) * (1.0 - d); out[3] = d
    a = k * 0.1 * _xe((10.0 - v) / 10.0)
    b = k * 0.125 * math.exp(-v / 80.0)
    d = math.exp(-dt * (a + b)); out[4] = a / (a + b) * (1.0 - d); out[5] = d


_spike_event = numba.njit(cache=True, nogil=True, inline="always")(spike_event)

#: The kernel looks at the cancel flag every this many steps (Ctrl-C stops a run within milliseconds).
CANCEL_CHECK_STEPS = 512


@numba.njit(cache=True, nogil=True)
def run_block(gen, n_lanes, block_lanes, i_density, sigma_v, use_noise, waveform, dt, table, v_min, inv_step,
              g_na, g_k, g_l, e_na, e_k, e_l, c_m, k, v0, m0, h0, n0, level, v_limit, stop_after, counts, first, bad,
              cancel):
    """Advance one stream's block (``n_lanes`` used of ``block_lanes`` drawn) over all steps.

    ``i_density`` and ``sigma_v`` are per lane (µA/cm² at unit waveform; mV per N(0,1));
    ``counts``, ``first`` (ms) and ``bad`` (the state became non-finite, or ``|V| > v_limit``) are written
    per lane. With
    ``stop_after > 0`` a lane stops being integrated once it has that many spikes (its normals are still
    drawn, keeping the streams aligned). Returns early (False) once ``cancel[0]`` is set.
    """
    v = np.full(n_lanes, v0)
    m = np.full(n_lanes, m0)
    h = np.full(n_lanes, h0)
    n = np.full(n_lanes, n0)
    g0 = g_na * m0 * m0 * m0 * h0 + g_k * n0 * n0 * n0 * n0 + g_l
    e = np.full(n_lanes, (g_na * m0 * m0 * m0 * h0 * e_na + g_k * n0 * n0 * n0 * n0 * e_k + g_l * e_l) / g0)
    armed = np.ones(n_lanes, dtype=np.bool_)
    done = np.zeros(n_lanes, dtype=np.bool_)
    xi = np.zeros(block_lanes)
    c = np.empty(6)
    n_table = table.shape[0]
    decay_scale = -dt / c_m
    for step in range(waveform.shape[0]):
        if step % CANCEL_CHECK_STEPS == 0 and cancel[0] != 0:
            return False
        if use_noise:
            for j in range(block_lanes):
                xi[j] = gen.standard_normal()
        w = waveform[step]
        for j in range(n_lanes):
            if done[j]:
                continue
            vj = v[j]
            # --- gates: exact relaxation at the current V (tables, exact outside them)
            pos = (vj - v_min) * inv_step
            if pos >= 0.0 and pos < n_table - 1:
                i = int(pos)
                f = pos - i
                for q in range(6):
                    c[q] = table[i, q] + f * (table[i + 1, q] - table[i, q])
            else:
                _exact_coeffs(vj, k, dt, c)
            mj = c[0] + c[1] * m[j]
            hj = c[2] + c[3] * h[j]
            nj = c[4] + c[5] * n[j]
            # --- voltage: exact for the frozen new conductances
            gna = mj * mj * mj * hj * g_na
            n2 = nj * nj
            gk = n2 * n2 * g_k
            g = gna + gk + g_l
            num = gna * e_na + gk * e_k + g_l * e_l
            vinf = (num + i_density[j] * w) / g
            vn = vinf + (vj - vinf) * math.exp(decay_scale * g)
            if use_noise:
                vn += sigma_v[j] * xi[j]
            en = num / g
            if not (abs(vn) <= v_limit and math.isfinite(en)):
                bad[j] = True
                done[j] = True
                continue
            # --- spikes: the rule of hhlib.spikes (V and E_ion both at the level)
            fired, frac, armed[j] = _spike_event(armed[j], vj, vn, e[j], en, level)
            if fired:
                counts[j] += 1
                if math.isnan(first[j]):
                    first[j] = (step + frac) * dt
                if stop_after > 0 and counts[j] >= stop_after:
                    done[j] = True
            v[j] = vn
            e[j] = en
            m[j] = mj
            h[j] = hj
            n[j] = nj
    return True
