"""Channel-number noise: Markov schemes derived from a model's gates, and their exact one-step updates.

A stochastic current with gates ``((x_1, p_1), ..., (x_q, p_q))`` (e.g. Na: m³h) has a channel state
``(k_1, ..., k_q)``, ``k_i`` the number of open particles of gate ``x_i`` (0 ... p_i): ``prod(p_i + 1)``
states (Na: 8, K: 5), stored in mixed radix (``s = sum k_i * stride_i``, the first gate fastest); the
channel conducts when every particle is open (the last state). Nothing here names a gate.

**Exact step at frozen V.** Each particle is a two-state chain; over one step ``dt`` at the step's initial
voltage its transition probabilities are exactly the exponential-Euler gate coefficients the engines use
(``x_new = A + B x``): ``P(closed -> open) = A``, ``P(open -> open) = A + B`` with
``A = x_inf (1 - e^{-k(alpha+beta) dt})``, ``B = e^{-k(alpha+beta) dt}``. A gate with ``p`` particles, ``k``
open, goes to ``k' = Bin(k, A + B) + Bin(p - k, A)`` (:func:`gate_transition`), gates independently, so
the channel's transition matrix over dt is the Kronecker product of the gates' and is applied one gate at
a time (a "stage" per gate: the channels of every state redistribute over that gate's counts). There is
no first-order "at most one transition per step" error: for V frozen over the step the update is exact,
the only dt error is the voltage's own (as for the deterministic gates).

- ``markov`` (:func:`markov_step`): channel counts. In each stage the channels of every state are split
  over the ``p + 1`` destinations by ``p`` sequential conditional binomials (staying first). Every binomial consumes
  exactly one uniform (:func:`binomial_draw`: exact inversion of its CDF for a mean below :data:`MU_REJECTION`,
  else BTRS rejection whose further uniforms SplitMix64 derives from that one), and every lane consumes the
  same number per step (:func:`draws_per_step`) whatever its state: the random numbers of a trial do not
  depend on its amplitude, which keeps trials coupled across amplitudes (common random numbers) and
  results independent of chunking.
- ``diffusion`` (:func:`diffusion_step`): state fractions ``x`` (sum 1). Mean: the same exact stage
  ``x <- x q``. Noise: Gaussian with the Markov stage's exact conditional covariance
  ``(1/N) sum_k x_k (diag q_k - q_k q_k^T)``, written as a sum over *pairs* of states of one gate-slice,
  ``w_ij (e_i - e_j)(e_i - e_j)^T`` with ``w_ij = (1/N) sum_k x_k q_ki q_kj >= 0``: one normal per pair
  (Na 16, K 10 per step). This is the channel-based SDE of Orio & Soudry (2012) / Goldwyn et al. (2011)
  (noise on the reactions between channel states, not on subunits as Fox & Lu 1994), but with the
  one-step covariance taken exact instead of Euler-Maruyama's ``dt * (a_ij x_i + a_ji x_j)`` on adjacent
  states only: with the seed's x12 rates Euler-Maruyama's edge noise overstates the stationary variance
  of the Na open fraction by 40 % at dt = 2.5 µs (15 % at 1 µs); the exact covariance leaves the
  frozen-V stationary mean *and* covariance exactly binomial at any dt.
  *Negative fractions*: the state is not clipped (the mean dynamics stay linear, so the stationary mean
  is unbiased), the pair weights are clipped at 0 (``sqrt(max(w, 0))``) and the conductance uses the
  open fraction as it is (it may dip slightly below 0 when few channels are open, which is the
  Gaussian approximation's and unbiased on average); the tests check the stationary mean and variance.

Initial states are drawn from the stationary distribution at the resting voltage (a product of binomials
over the gates): multinomial counts (``markov``, ``n_states - 1`` uniforms) or their Gaussian
approximation with the same mean and covariance (``diffusion``, ``n_states - 1`` normals).

The numpy functions here are the reference (vectorised over lanes, the last axis); the compiled engine
has the same loops in :mod:`hhlib.engines.numba_channels`, drawing the same random numbers in the same
order.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

__all__ = ["ChannelCurrent", "channel_plan", "channel_counts", "state_digits", "stationary_distribution",
           "gate_transition", "binomial_inverse", "binomial_draw", "MU_REJECTION", "draws_per_step", "draws_initial",
           "initial_counts",
           "initial_fractions", "markov_step", "diffusion_step", "destination_order", "open_fraction_variance",
           "particle_fraction",
           "exact_a_b", "MAX_STATES", "MAX_CHANNELS", "UM2_PER_CM2"]

#: Most states of one stochastic current's scheme.
MAX_STATES = 64
#: µm² per cm².
UM2_PER_CM2 = 1e8
#: Most channels of one current in one simulated membrane (counts stay exact integers in float64).
MAX_CHANNELS = 2.0**50
#: From this mean of a binomial's smaller tail, ``n min(p, 1 - p)``, the channel step draws it by rejection
#: (BTRS) instead of inversion (:func:`binomial_draw`): where their costs cross (BTRS needs n p >= 10).
MU_REJECTION = 12.0


@dataclass(frozen=True)
class ChannelCurrent:
    """The Markov scheme of one stochastic current.

    Attributes
    ----------
    name : str
    index : int
        Position in ``model.currents``.
    gates, powers, strides : tuple of int
        Gate indices (in ``model.gates``), their exponents, and their strides in the state index.
    n_states : int
        ``prod(p_i + 1)``; the conducting state is the last, ``n_states - 1``.
    density : float
        Channels per µm².
    """

    name: str
    index: int
    gates: tuple
    powers: tuple
    strides: tuple
    n_states: int
    density: float

    @property
    def open_state(self) -> int:
        return self.n_states - 1


@lru_cache(maxsize=64)
def channel_plan(model, noise) -> tuple:
    """The :class:`ChannelCurrent` of every current that ``noise`` (a :class:`hhlib.ChannelNoise`: its
    ``densities``) makes stochastic, in model order. Any gated current can be stochastic, ohmic or GHK (the
    engines multiply its open fraction by ``g_max`` and the current's conductance factor).

    Raises ValueError if the model lacks a named current or the current has no gates.
    """
    names = [c.name for c in model.currents]
    gate_index = {g.name: i for i, g in enumerate(model.gates)}
    out = []
    for name, density in noise.densities:
        if name not in names:
            raise ValueError(f"ChannelNoise gives a density for current {name!r}, which model {model.name!r} does not "
                             f"have (its currents: {names})")
        cur = model.currents[names.index(name)]
        if not cur.gates:
            raise ValueError(f"ChannelNoise: current {name!r} of model {model.name!r} has no gates, so its channels "
                             "have no states to switch between")
        powers = tuple(p for _, p in cur.gates)
        strides = tuple(int(np.prod([q + 1 for q in powers[:i]], dtype=np.int64)) for i in range(len(powers)))
        n_states = int(np.prod([p + 1 for p in powers], dtype=np.int64))
        if n_states > MAX_STATES:
            raise ValueError(f"ChannelNoise: current {name!r} would have {n_states} channel states (at most "
                             f"{MAX_STATES})")
        out.append(ChannelCurrent(name, names.index(name), tuple(gate_index[g] for g, _ in cur.gates), powers,
                                  strides, n_states, float(density)))
    return tuple(sorted(out, key=lambda c: c.index))


def channel_counts(plan, area_cm2) -> np.ndarray:
    """``N = round(density * area_µm²)`` per current and area, shape ``(len(plan),) + area.shape``, int64.

    Raises ValueError naming ``area_cm2`` and the density if a membrane would have no channel of a current
    (or more than :data:`MAX_CHANNELS`).
    """
    area = np.asarray(area_cm2, dtype=float)
    out = np.empty((len(plan),) + area.shape, dtype=np.int64)
    for i, cur in enumerate(plan):
        n = np.round(cur.density * area * UM2_PER_CM2)
        if np.any(n < 1):
            a = float(area.flat[int(np.argmin(n))])
            raise ValueError(f"area_cm2 = {a:.6g} cm² ({a * UM2_PER_CM2:.3g} µm²) holds no {cur.name!r} channel at "
                             f"{cur.density:g} channels per µm² (N = round(density * area) = 0): use a larger "
                             "area_cm2 or density")
        if np.any(n > MAX_CHANNELS):
            raise ValueError(f"area_cm2 x the {cur.name!r} density gives {float(n.max()):.3g} channels (at most "
                             f"{MAX_CHANNELS:.3g}): use the deterministic model (noise=False)")
        out[i] = n.astype(np.int64)
    return out


def state_digits(cur: ChannelCurrent) -> np.ndarray:
    """Open particles of every gate in every state, shape ``(n_states, n_gates)``."""
    s = np.arange(cur.n_states)
    return np.stack([(s // st) % (p + 1) for st, p in zip(cur.strides, cur.powers, strict=True)], axis=1)


def stationary_distribution(model, cur: ChannelCurrent, v_mV=0.0) -> np.ndarray:
    """Stationary state probabilities at a fixed voltage: a product of binomials ``Bin(p_i, x_inf_i(V))``.

    Shape ``(n_states,) + shape(v_mV)``; the last state's probability is ``prod x_inf_i ** p_i``.
    """
    x_inf = model.steady_state(v_mV)
    digits = state_digits(cur)
    prob = 1.0
    for i, (g, p) in enumerate(zip(cur.gates, cur.powers, strict=True)):
        x = np.asarray(x_inf[g], dtype=float)
        k = digits[:, i].reshape((-1,) + (1,) * x.ndim)
        prob = prob * special.comb(p, k) * x**k * (1.0 - x) ** (p - k)
    return prob


def gate_transition(p: int, a, b) -> np.ndarray:
    """Transition probabilities of a gate with ``p`` particles over one step, ``q[k, k']`` = P(k open -> k').

    ``a = A``, ``b = B``: the gate's exponential-Euler coefficients (``P(closed -> open) = A``,
    ``P(open -> open) = A + B``); arrays broadcast (the lanes), result shape ``(p + 1, p + 1) + shape``.
    ``q[k]`` is the distribution of ``Bin(k, A + B) + Bin(p - k, A)``, built by polynomial products in the
    order the compiled engine uses.
    """
    a = np.asarray(a, dtype=float)
    stay, opn = a + np.asarray(b, dtype=float), a
    q = np.zeros((p + 1, p + 1) + np.broadcast_shapes(a.shape, stay.shape))
    for k in range(p + 1):
        poly = [np.ones_like(q[0, 0])]
        for f1 in [stay] * k + [opn] * (p - k):
            f0 = 1.0 - f1
            nxt = [poly[0] * f0]
            for j in range(1, len(poly)):
                nxt.append(poly[j] * f0 + poly[j - 1] * f1)
            nxt.append(poly[-1] * f1)
            poly = nxt
        for j in range(p + 1):
            q[k, j] = poly[j]
    return q


def binomial_inverse(u, n, p) -> np.ndarray:
    """``F^-1(u)`` of ``Bin(n, p)``: the smallest ``k`` with ``P(X <= k) >= u`` (int64, arrays broadcast).

    Exact inversion (up to the rounding of the CDF, ~1e-15): one uniform ``u`` in [0, 1) gives one draw,
    monotone in ``u`` and in ``p``. ``p`` is clipped to [0, 1]; ``n = 0`` gives 0.
    """
    u, n, p = np.broadcast_arrays(np.asarray(u, dtype=float), np.asarray(n, dtype=np.int64),
                                  np.clip(np.asarray(p, dtype=float), 0.0, 1.0))
    out = np.where(p >= 1.0, n, 0).astype(np.int64)
    mid = (n > 0) & (p > 0.0) & (p < 1.0) & (u > 0.0)
    if not mid.any():
        return out
    uu, nn, pp = u[mid], n[mid], p[mid]
    mean, sd = nn * pp, np.sqrt(nn * pp * (1.0 - pp))
    z = special.ndtri(uu)
    z = z + (z * z - 1.0) * (1.0 - 2.0 * pp) / (6.0 * np.maximum(sd, 1e-300))   # Cornish-Fisher guess
    k = np.clip(np.floor(mean + sd * np.clip(z, -40.0, 40.0) - 0.5), 0, nn).astype(np.int64)
    todo = np.arange(uu.size)
    while todo.size:                          # step the guess until F(k - 1) < u <= F(k)
        kk, nt, pt, ut = k[todo], nn[todo], pp[todo], uu[todo]
        up = (kk < nt) & (_binomial_cdf(kk, nt, pt) < ut)
        down = ~up & (kk > 0) & (_binomial_cdf(kk - 1, nt, pt) >= ut)
        k[todo] = kk + up - down
        todo = todo[up | down]
    out[mid] = k
    return out


def binomial_draw(u, n, p) -> np.ndarray:
    """A ``Bin(n, p)`` draw from each uniform ``u`` (int64, arrays broadcast), the channel step's sampler:
    :func:`binomial_inverse` where the smaller tail's mean ``n min(p, 1 - p)`` is below :data:`MU_REJECTION`,
    else Hörmann's BTRS rejection (on ``min(p, 1 - p)``, complemented) with its uniforms from SplitMix64
    seeded by the 53 bits of ``u`` (:func:`_btrs`): exact in law, cost independent of ``n``.
    """
    u, n, p = np.broadcast_arrays(np.asarray(u, dtype=float), np.asarray(n, dtype=np.int64),
                                  np.clip(np.asarray(p, dtype=float), 0.0, 1.0))
    flip = p > 0.5
    q = np.where(flip, 1.0 - p, p)
    big = (n > 0) & (p > 0.0) & (p < 1.0) & (n * q >= MU_REJECTION)
    out = binomial_inverse(np.where(big, 0.0, u), n, p)
    if big.any():
        x = _btrs(u[big], n[big], q[big])
        out[big] = np.where(flip[big], n[big] - x, x)
    return out


_GOLDEN, _MIX1, _MIX2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_HALF_LOG_2PI = 0.9189385332046728


def _splitmix_uniform(s):
    """SplitMix64 (Steele et al. 2014) on the uint64 states ``s``: ``(uniforms in [0, 1), 53 bits; next states)``."""
    s = s + _GOLDEN
    z = (s ^ (s >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.int64).astype(float) * (1.0 / 9007199254740992.0), s


def _stirling_tail(k):
    """``log(k!) - (k + 1/2) log(k + 1) + (k + 1) - log(2 pi) / 2`` (float ``k >= 0``, integer-valued): lgamma
    below 10, else the Stirling series to ``(k + 1)^-5`` (truncation < 3e-11)."""
    k = np.asarray(k, dtype=float)
    kp1sq = (k + 1.0) * (k + 1.0)
    out = (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / 1260.0 / kp1sq) / kp1sq) / (k + 1.0)
    small = k < 10.0
    ks = k[small]
    out[small] = special.gammaln(ks + 1.0) - (ks + 0.5) * np.log(ks + 1.0) + (ks + 1.0) - _HALF_LOG_2PI
    return out


def _btrs_accepts(t, x, v, nf, p, spq, a, b):
    """BTRS's acceptance of the candidates ``k = floor(t)`` (``x`` = u - 1/2, ``v``): in 0 ... n, then the
    squeeze, else the exact log-ratio ``log f(k) / f(mode)`` (Stirling form, as TensorFlow's ``btrs``)."""
    us = 0.5 - np.abs(x)
    ok = (t >= 0.0) & (t < nf + 1.0)
    k = np.floor(np.where(ok, t, 0.0))
    fast = ok & (us >= 0.07) & (v <= 0.92 - 4.2 / b)
    slow = ok & ~fast
    if slow.any():
        k, us, v, nf, p, spq, a, b = (z[slow] for z in (k, us, v, nf, p, spq, a, b))
        r = p / (1.0 - p)
        m = np.floor((nf + 1.0) * p)
        with np.errstate(divide="ignore"):
            lv = np.log(v * ((2.83 + 5.1 / b) * spq) / (a / (us * us) + b))
        bound = ((m + 0.5) * np.log((m + 1.0) / (r * (nf - m + 1.0)))
                 + (nf + 1.0) * np.log1p((k - m) / (nf - k + 1.0))
                 + (k + 0.5) * np.log(r * (nf - k + 1.0) / (k + 1.0)) + _stirling_tail(m) + _stirling_tail(nf - m)
                 - _stirling_tail(k) - _stirling_tail(nf - k))
        fast[slow] = lv <= bound
    return fast


def _btrs(u, n, p):
    """``Bin(n, p)`` for ``n p >= 10`` and ``p <= 1/2`` by Hörmann's BTRS (1993), each lane's pairs of uniforms
    from SplitMix64 seeded with the 53 bits of its ``u``; the same operations as the compiled engine's."""
    s = (u * 9007199254740992.0).astype(np.uint64)
    nf = n.astype(float)
    spq = np.sqrt(nf * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = nf * p + 0.5
    out = np.empty(n.shape, dtype=np.int64)
    todo = np.arange(n.size)
    x = u.copy()                              # the first pair: (u, SplitMix64's first), then SplitMix64's
    while todo.size:
        v, s[todo] = _splitmix_uniform(s[todo])
        x = x - 0.5
        us = 0.5 - np.abs(x)
        with np.errstate(divide="ignore"):
            t = (2.0 * a[todo] / us + b[todo]) * x + c[todo]            # us = 0: t = -inf
        acc = _btrs_accepts(t, x, v, nf[todo], p[todo], spq[todo], a[todo], b[todo])
        k = np.floor(t)
        out[todo[acc]] = k[acc].astype(np.int64)
        todo = todo[~acc]
        x, s[todo] = _splitmix_uniform(s[todo])
    return out


def _binomial_cdf(k, n, p):
    """``P(X <= k)`` of ``Bin(n, p)`` for ``0 <= k``: ``I_{1-p}(n - k, k + 1)`` (boost's incomplete beta in
    scipy; accurate to ~1e-15 where cephes' ``bdtr`` loses digits for n ~ 1e7)."""
    with np.errstate(invalid="ignore"):
        return np.where(k >= n, 1.0, special.betainc(np.maximum(n - k, 1).astype(float), k + 1.0, 1.0 - p))


def _draws_stage(cur, gate_pos, method):
    p = cur.powers[gate_pos]
    if method == "markov":
        return cur.n_states * p
    return cur.n_states // (p + 1) * (p * (p + 1) // 2)


def draws_per_step(plan, method: str) -> int:
    """Random numbers every lane consumes per step: uniforms (``markov``) or normals (``diffusion``)."""
    return sum(_draws_stage(c, g, method) for c in plan for g in range(len(c.gates)))


def draws_initial(plan) -> int:
    """Random numbers every lane consumes for its initial channel states (uniforms or normals)."""
    return sum(c.n_states - 1 for c in plan)


def _sequential_probabilities(pi):
    """``pi_s / sum_{t >= s} pi_t`` (the conditional probabilities of a multinomial drawn state by state)."""
    tail = np.cumsum(pi[::-1], axis=0)[::-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tail > 0, np.clip(pi / np.where(tail > 0, tail, 1.0), 0.0, 1.0), 0.0)


def initial_counts(pi, n_channels, u) -> np.ndarray:
    """Multinomial(N, pi) counts by sequential binomial inversion: ``pi`` (S,), N (L,), u (L, S-1) -> (S, L)."""
    cond = _sequential_probabilities(np.asarray(pi, dtype=float))
    rem = np.asarray(n_channels, dtype=np.int64).copy()
    out = np.zeros((pi.size, rem.size), dtype=np.int64)
    for s in range(pi.size - 1):
        out[s] = binomial_inverse(u[:, s], rem, cond[s])
        rem -= out[s]
    out[-1] = rem
    return out


def initial_fractions(pi, inv_n, xi) -> np.ndarray:
    """Gaussian approximation of multinomial(N, pi)/N with its mean and covariance: (S, L) fractions."""
    cond = _sequential_probabilities(np.asarray(pi, dtype=float))
    rem = np.ones(inv_n.shape)
    out = np.zeros((pi.size, inv_n.size))
    for s in range(pi.size - 1):
        c = cond[s]
        out[s] = rem * c + np.sqrt(np.maximum(rem, 0.0) * (c * (1.0 - c)) * inv_n) * xi[:, s]
        rem = rem - out[s]
    out[-1] = rem
    return out


def _stage_states(cur, gate_pos):
    """``(k, base)`` of every state for a gate's stage: its count of open particles and the state with it 0."""
    st, p = cur.strides[gate_pos], cur.powers[gate_pos]
    s = np.arange(cur.n_states)
    k = (s // st) % (p + 1)
    return k, s - k * st


def destination_order(p: int) -> np.ndarray:
    """Order in which a state's channels are assigned their destinations in a gate's stage: ``order[k]`` =
    ``[k, 0, 1, ..., p]`` without the repeated ``k`` (staying, the likeliest, first: the later binomials then
    split few channels)."""
    return np.array([[k] + [j for j in range(p + 1) if j != k] for k in range(p + 1)], dtype=np.int64)


def markov_step(counts, cur: ChannelCurrent, q_gates, u, r: int):
    """One exact step of the channel counts ``counts`` (S, L) int64; ``q_gates[i]`` = :func:`gate_transition`
    of the current's i-th gate (shape (p+1, p+1, L)), ``u`` (L, R) the step's uniforms from column ``r``.

    Returns the new counts and the next unused column.
    """
    states = np.arange(cur.n_states)
    for g, (p, st) in enumerate(zip(cur.powers, cur.strides, strict=True)):
        q = q_gates[g]
        order = destination_order(p)                      # (p + 1, p + 1): stay first, then the others
        qo = np.take_along_axis(q, order.reshape(order.shape + (1,) * (q.ndim - 2)), axis=1)
        tail = np.cumsum(qo[:, ::-1], axis=1)[:, ::-1]
        ks, bases = _stage_states(cur, g)
        new = np.zeros_like(counts)
        rem = counts.copy()
        for pos in range(p + 1):                 # all states at once; state s uses column r + s * p + pos
            if pos < p:
                with np.errstate(invalid="ignore", divide="ignore"):
                    prob = np.where(tail[ks, pos] > 0, qo[ks, pos] / tail[ks, pos], 0.0)
                x = binomial_draw(u[:, r + states * p + pos].T, rem, prob)
                rem -= x
            else:
                x = rem
            for k in range(p + 1):
                sel = ks == k
                new[bases[sel] + order[k, pos] * st] += x[sel]
        counts = new
        r += cur.n_states * p
    return counts, r


def diffusion_step(frac, cur: ChannelCurrent, q_gates, inv_n, xi, r: int):
    """One step of the state fractions ``frac`` (S, L): exact mean stage by stage plus Gaussian pair noise
    with the Markov stage's covariance; ``inv_n`` (L,) is 1/N, ``xi`` (L, R) the step's normals from column
    ``r``. Returns the new fractions and the next unused column."""
    for g, (p, st) in enumerate(zip(cur.powers, cur.strides, strict=True)):
        q = q_gates[g]
        new = np.empty_like(frac)
        ks, bases = _stage_states(cur, g)
        for base in np.flatnonzero(ks == 0):
            idx = [base + k * st for k in range(p + 1)]
            xs = frac[idx]
            for kp in range(p + 1):
                acc = xs[0] * q[0, kp]
                for k in range(1, p + 1):
                    acc = acc + xs[k] * q[k, kp]
                new[idx[kp]] = acc
            for i in range(p + 1):
                for j in range(i + 1, p + 1):
                    w = xs[0] * (q[0, i] * q[0, j])
                    for k in range(1, p + 1):
                        w = w + xs[k] * (q[k, i] * q[k, j])
                    z = np.sqrt(np.maximum(w, 0.0) * inv_n) * xi[:, r]
                    r += 1
                    new[idx[i]] += z
                    new[idx[j]] -= z
        frac = new
    return frac, r


def open_fraction_variance(pi_open: float, n_channels) -> float:
    """Binomial variance of the open fraction, ``pi (1 - pi) / N``."""
    return pi_open * (1.0 - pi_open) / np.asarray(n_channels, dtype=float)


def particle_fraction(cur: ChannelCurrent, gate_pos: int, frac) -> np.ndarray:
    """Fraction of open particles of one gate: ``sum_s frac_s k_g(s) / p_g`` (the mean-field gate variable)."""
    digits = state_digits(cur)[:, gate_pos] / cur.powers[gate_pos]
    return np.tensordot(digits, frac, axes=(0, 0))


def exact_a_b(model, v_mV, dt_ms):
    """Exponential-Euler coefficients ``(A_i, B_i)`` of every gate at ``v_mV`` (exact rates), lists of arrays."""
    out = []
    for a, b in model.rates(v_mV):
        rate = a + b
        decay = np.exp(rate * -dt_ms)
        out.append((a / rate * (1.0 - decay), decay))
    return out

