"""Fitting Miller et al. (1999) Fig. 5 (notebook 08): latency and jitter against firing efficiency, cat auditory
nerve, monophasic cathodic 40 µs pulses, pooled over fibres, digitised without error bars.

The x axis is firing efficiency (FE), so the model is compared at equal FE (:func:`hhlib.efficiency.at_efficiency`:
the levels are the FE quantiles of the per-trial thresholds of one noise realisation, common random numbers at
every parameter). At equal FE the stimulus scale drops out; what remains:

- ``w = log(A / 1e-9 cm²)``, the log area of :data:`hhlib.SEED_MODEL` at its own current noise (``knoise`` fixed).
  The response depends on the noise relative to threshold only, ``knoise / sqrt(A)`` (threshold ~ A, noise
  ~ sqrt(A)): area and ``knoise`` are one parameter here; the area is fitted, as :func:`hhlib.fit` does;
- ``r = log(rate_factor / 12)``, the kinetics speed (temperature) relative to the model's 12;
- the latency offset ``c`` (conduction to the recording electrode), which enters the latency only: profiled out
  exactly, ``c = mean(L_data - L_model)``.

Loss: a Gaussian likelihood with one SD per quantity (latency, jitter), both profiled out,
``D = n_L log(RSS_L / n_L) + n_J log(RSS_J / n_J)`` (``-2 log L`` up to a constant). The model's curves are
simulated on a grid of ``(w, r)`` (cached: :func:`miller_fit`) and interpolated per efficiency (scipy bicubic
splines); ``D`` follows exactly on a fine grid, is minimised there and profiled: a 95 % interval is where the
profile rises by 3.84; a profile that stays below that inside the grid marks the parameter as not determined
there. The Monte Carlo SD of ``D`` (other noise realisations at the optimum) says how far to trust a rise.

Units: ms, cm², fractions.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy import interpolate

from hhlib import SEED_MODEL, Pulse
from hhlib.efficiency import at_efficiency
from hhlib.published import miller1999
from hhlib.stats import widened_interval
from hhlib.validation import check_int, real_array

from .cache import cached, register

__all__ = ["STIMULUS", "A0_CM2", "RATE0", "CHI2_95", "data", "model_curve", "loss_parts", "profile_fit",
           "grid_losses", "surface", "offset_profile", "fit", "miller_fit", "result", "synthetic", "summary_lines"]

#: Miller et al. 1999's stimulus: a monophasic cathodic 40 µs pulse (cathodic at the fibre depolarises the node:
#: a positive membrane current in a single-node model), at 0.1 ms.
STIMULUS = Pulse(1.0, delay_ms=0.1, duration_ms=0.04)
#: Reference area (cm²) and rate factor of ``w = 0``, ``r = 0``.
A0_CM2, RATE0 = 1e-9, 12.0
#: 95 % point of chi-square with one degree of freedom.
CHI2_95 = 3.841458820694124
T_END_MS = 1.5
_KEYS = ("firing_efficiency", "latency_ms", "jitter_efficiency", "jitter_ms")


def data(polarity: str = "cathodic") -> dict:
    """The digitised Miller 1999 Fig. 5 curves (:func:`hhlib.published.miller1999`)."""
    return miller1999(polarity)


def _check_data(d) -> dict:
    if not isinstance(d, dict) or any(k not in d for k in _KEYS):
        raise TypeError(f"data must be a dict with keys {list(_KEYS)} (as hhlib.published.miller1999 returns)")
    out = {k: real_array(f"data[{k!r}]", d[k], "ms" if k.endswith("_ms") else "fraction") for k in _KEYS}
    for e, v in (("firing_efficiency", "latency_ms"), ("jitter_efficiency", "jitter_ms")):
        if out[e].ndim != 1 or out[e].shape != out[v].shape or out[e].size < 3:
            raise ValueError(f"data[{e!r}] and data[{v!r}] must be 1-D of the same length (>= 3), got shapes "
                             f"{out[e].shape} and {out[v].shape}")
        if np.any((out[e] <= 0) | (out[e] >= 1)):
            raise ValueError(f"data[{e!r}] must be fractions in (0, 1), got {out[e].tolist()}")
    return out


def model_curve(w: float, r: float, efficiency, n_trials: int, seed=0, stimulus=STIMULUS):
    """:func:`hhlib.efficiency.at_efficiency` of SEED_MODEL at area ``A0 e^w`` and rate factor ``12 e^r``."""
    model = dataclasses.replace(SEED_MODEL, rate_factor=RATE0 * float(np.exp(r)))
    return at_efficiency(model, A0_CM2 * float(np.exp(w)), efficiency, n_trials, stimulus=stimulus, seed=seed,
                         t_end_ms=T_END_MS)


def loss_parts(latency_model, jitter_model, d) -> dict:
    """``D``, the profiled offset (ms) and the residual SDs (ms) of model curves at the data's efficiencies.

    ``offset = mean(L_data - L_model)`` (the least-squares offset); ``sd_latency``, ``sd_jitter`` are the
    root-mean-square residuals (the profiled SDs); ``D = n_L log(sd_latency²) + n_J log(sd_jitter²)``.
    """
    d = _check_data(d)
    rl = d["latency_ms"] - np.asarray(latency_model, dtype=float)
    offset = float(np.mean(rl))
    rl = rl - offset
    rj = d["jitter_ms"] - np.asarray(jitter_model, dtype=float)
    sl, sj = float(np.sqrt(np.mean(rl ** 2))), float(np.sqrt(np.mean(rj ** 2)))
    return dict(D=rl.size * np.log(sl ** 2) + rj.size * np.log(sj ** 2), offset_ms=offset, sd_latency_ms=sl,
                sd_jitter_ms=sj, latency_residuals=rl, jitter_residuals=rj)


def grid_losses(d, w_grid, r_grid, n_trials: int, seed=0, progress=None) -> dict:
    """``D``, offset and the model's latency and jitter on the grid ``w_grid x r_grid`` (arrays ``(nw, nr[, n])``)."""
    d = _check_data(d)
    w_grid, r_grid = _grid("w_grid", w_grid), _grid("r_grid", r_grid)
    n_l = d["latency_ms"].size
    eff = np.concatenate([d["firing_efficiency"], d["jitter_efficiency"]])
    shape = (w_grid.size, r_grid.size)
    out = dict(D=np.empty(shape), offset_ms=np.empty(shape), latency_ms=np.empty(shape + (n_l,)),
               jitter_ms=np.empty(shape + (d["jitter_ms"].size,)), rs=np.empty(shape))
    for k, (i, j) in enumerate(np.ndindex(shape)):
        c = model_curve(w_grid[i], r_grid[j], eff, n_trials, seed)
        p = loss_parts(c.latency_ms[:n_l], c.jitter_ms[n_l:], d)
        out["D"][i, j], out["offset_ms"][i, j], out["rs"][i, j] = p["D"], p["offset_ms"], c.relative_spread
        out["latency_ms"][i, j], out["jitter_ms"][i, j] = c.latency_ms[:n_l], c.jitter_ms[n_l:]
        if progress:
            progress(k + 1, w_grid.size * r_grid.size)
    return out


def _grid(name, g) -> np.ndarray:
    g = real_array(name, g, "log units")
    if g.ndim != 1 or g.size < 4 or np.any(np.diff(g) <= 0):
        raise ValueError(f"{name} must be a 1-D increasing grid of at least 4 values, got {g.tolist()}")
    return g


def _interval(x, prof, i_hat, target):
    """Where the profile ``prof`` (on ``x``, minimum at index ``i_hat``) rises to ``target`` on each side; NaN
    where it does not inside ``x``."""
    ends = []
    for idx in (np.arange(i_hat, -1, -1), np.arange(i_hat, x.size)):
        above = np.nonzero(prof[idx] >= target)[0]
        if above.size == 0:
            ends.append(np.nan)
            continue
        k, k2 = idx[above[0]], idx[above[0] - 1]
        ends.append(float(np.interp(target, [prof[k2], prof[k]], [x[k2], x[k]])))
    return np.array(ends)


def profile_fit(w_fine, r_fine, D) -> dict:
    """Optimum, 95 % profile-likelihood intervals and determinacy of ``(w, r)`` from ``D`` on a fine grid.

    The estimate is the grid's minimum; each profile is ``D`` minimised over the other parameter, minus the
    minimum; an interval end is where it rises by 3.84 (linear interpolation). An end the profile does not reach
    inside the grid is NaN, and the parameter is reported as not determined.
    """
    w_fine, r_fine = _grid("w_fine", w_fine), _grid("r_fine", r_fine)
    D = real_array("D", D)
    if D.shape != (w_fine.size, r_fine.size):
        raise ValueError(f"D must have shape {(w_fine.size, r_fine.size)}, got {D.shape}")
    i, j = np.unravel_index(np.argmin(D), D.shape)
    d_min = float(D[i, j])
    prof_w, prof_r = D.min(axis=1) - d_min, D.min(axis=0) - d_min
    iw, ir = _interval(w_fine, prof_w, i, CHI2_95), _interval(r_fine, prof_r, j, CHI2_95)
    return dict(w=float(w_fine[i]), r=float(r_fine[j]), D_min=d_min, w_interval=iw, r_interval=ir,
                w_determined=bool(np.all(np.isfinite(iw))), r_determined=bool(np.all(np.isfinite(ir))),
                w_fine=w_fine, r_fine=r_fine, profile_w=prof_w, profile_r=prof_r,
                at_bound=bool(i in (0, w_fine.size - 1) or j in (0, r_fine.size - 1)))


def surface(d, grid: dict, w_grid, r_grid, fine: int = 161) -> dict:
    """``D``, the profiled offset and the residual variances on a ``fine x fine`` grid of ``(w, r)``: the model's
    latency and jitter at each efficiency interpolated over the simulated grid (bicubic splines), the loss then
    computed exactly from them (:func:`loss_parts`' formulas, vectorised)."""
    d = _check_data(d)
    w_grid, r_grid = _grid("w_grid", w_grid), _grid("r_grid", r_grid)
    fine = check_int("fine", fine, minimum=11)
    wf, rf = np.linspace(w_grid[0], w_grid[-1], fine), np.linspace(r_grid[0], r_grid[-1], fine)

    def interp(a):
        return np.stack([interpolate.RectBivariateSpline(w_grid, r_grid, a[..., k], kx=3, ky=3, s=0)(wf, rf)
                         for k in range(a.shape[-1])], axis=-1)
    rl = d["latency_ms"] - interp(grid["latency_ms"])
    c = rl.mean(axis=-1)
    var_l = np.mean((rl - c[..., None]) ** 2, axis=-1)
    var_j = np.mean((d["jitter_ms"] - interp(grid["jitter_ms"])) ** 2, axis=-1)
    D = rl.shape[-1] * np.log(var_l) + d["jitter_ms"].size * np.log(var_j)
    return dict(w_fine=wf, r_fine=rf, D=D, offset_ms=c, var_latency=var_l, var_jitter=var_j)


def offset_profile(surf: dict, n_latency: int, offsets) -> np.ndarray:
    """Profile ``D - D_min`` of the latency offset (ms): at offset ``c`` the latency variance of each ``(w, r)`` is
    ``var_latency + (c - offset)²`` (exact), and ``D`` is minimised over the fine grid (:func:`surface`)."""
    c = np.asarray(offsets, dtype=float)[:, None, None]
    D = n_latency * np.log(surf["var_latency"] + (c - surf["offset_ms"]) ** 2) + (
        surf["D"] - n_latency * np.log(surf["var_latency"]))
    prof = D.reshape(c.size, -1).min(axis=1)
    return prof - surf["D"].min()


def _noise_sd(d, w, r, n_trials, seed, n_repeats):
    """Monte Carlo SD of ``D`` at ``(w, r)`` over ``n_repeats`` other noise realisations (seeds after ``seed``)."""
    n_l = d["latency_ms"].size
    eff = np.concatenate([d["firing_efficiency"], d["jitter_efficiency"]])
    values = []
    for k in range(n_repeats):
        c = model_curve(w, r, eff, n_trials, _other_seed(seed, k))
        values.append(loss_parts(c.latency_ms[:n_l], c.jitter_ms[n_l:], d)["D"])
    return float(np.std(values, ddof=1)), np.array(values)


def _other_seed(seed: int, k: int) -> int:
    """The ``k``-th other noise realisation (the Monte Carlo SD of ``D`` and the spread of the estimates)."""
    return seed + 1000 + k


def _fit_once(d, w_grid, r_grid, n_trials, seed, progress=None) -> dict:
    """The simulated grid of one noise realisation, its loss surface, profiles and offset profile."""
    g = grid_losses(d, w_grid, r_grid, n_trials, seed, progress)
    surf = surface(d, g, w_grid, r_grid)
    pf = profile_fit(surf["w_fine"], surf["r_fine"], surf["D"])
    offsets = np.linspace(surf["offset_ms"].min(), surf["offset_ms"].max(), 401)
    prof_c = offset_profile(surf, d["latency_ms"].size, offsets)
    k = int(np.argmin(prof_c))
    return dict(grid=g, surf=surf, pf=pf, offsets=offsets, prof_c=prof_c, offset_ms=float(offsets[k]),
                offset_interval=_interval(offsets, prof_c, k, CHI2_95))


def widened(estimate: float, interval, between_var: float) -> np.ndarray:
    """A profile interval widened by the Monte Carlo variance of the estimate
    (:func:`hhlib.stats.widened_interval` at 95 %)."""
    return widened_interval(estimate, interval, between_var)


def _spread(d, w_grid, r_grid, n_trials, seed, main, n_spread, progress) -> dict:
    """The whole fit again in ``n_spread`` other noise realisations: the estimates of all of them (the fit's own
    first) and the intervals widened by their variance (:func:`widened`)."""
    est = [(main["pf"]["w"], main["pf"]["r"], main["offset_ms"])]
    for k in range(n_spread):
        step = None if progress is None else (lambda i, n, k=k: progress((k + 1) * n + i, (n_spread + 1) * n))
        o = _fit_once(d, w_grid, r_grid, n_trials, _other_seed(seed, k), step)
        est.append((o["pf"]["w"], o["pf"]["r"], o["offset_ms"]))
    est = np.array(est)
    var = est.var(axis=0, ddof=1)
    return dict(spread_w=est[:, 0], spread_r=est[:, 1], spread_offset_ms=est[:, 2],
                w_interval_mc=widened(est[0, 0], main["pf"]["w_interval"], var[0]),
                r_interval_mc=widened(est[0, 1], main["pf"]["r_interval"], var[1]),
                offset_interval_mc=widened(est[0, 2], main["offset_interval"], var[2]))


def fit(d, w_grid, r_grid, n_trials: int, seed: int = 0, check_trials: int | None = None, check_seed: int = 1,
        n_repeats: int = 4, n_spread: int = 0, progress=None) -> dict:
    """The whole fit: the simulated grid, the loss surface and its profiles (:func:`surface`,
    :func:`profile_fit`, :func:`offset_profile`), the Monte Carlo SD of ``D`` at the optimum (``n_repeats``
    other seeds), and the model at the optimum (``check_trials`` fresh trials of seed ``check_seed``, default
    ``4 n_trials``) with its offset, residual SDs and curves.

    ``n_spread`` > 0: the fit is repeated in that many other noise realisations (the seeds of the ``D`` repeats);
    the spread of their estimates (``spread_w``, ``spread_r``, ``spread_offset_ms``, the fit's own first) is the
    Monte Carlo error of the estimates, and ``w_interval_mc``, ``r_interval_mc``, ``offset_interval_mc`` are the
    profile intervals widened by it (:func:`widened`).
    """
    d = _check_data(d)
    seed, n_repeats = check_int("seed", seed, minimum=0), check_int("n_repeats", n_repeats, minimum=2)
    n_spread = check_int("n_spread", n_spread, minimum=0)
    step = None if progress is None else (lambda i, n: progress(i, (n_spread + 1) * n))
    main = _fit_once(d, w_grid, r_grid, n_trials, seed, step)
    pf, n_l = main["pf"], d["latency_ms"].size
    sd, repeats = _noise_sd(d, pf["w"], pf["r"], n_trials, seed, n_repeats)
    eff = np.concatenate([d["firing_efficiency"], d["jitter_efficiency"]])
    check = model_curve(pf["w"], pf["r"], eff, check_trials or 4 * n_trials, check_seed)
    p = loss_parts(check.latency_ms[:n_l], check.jitter_ms[n_l:], d)
    out = {f"grid_{key}": v for key, v in main["grid"].items()}
    out.update({key: np.asarray(v) for key, v in pf.items()})
    out["D_fine"] = main["surf"]["D"]
    out.update(w_grid=np.asarray(w_grid, dtype=float), r_grid=np.asarray(r_grid, dtype=float),
               offset_ms=main["offset_ms"], offset_interval=main["offset_interval"], offset_grid=main["offsets"],
               profile_offset=main["prof_c"], D_noise_sd=sd, D_repeats=repeats,
               offset_check_ms=p["offset_ms"], sd_latency_ms=p["sd_latency_ms"], sd_jitter_ms=p["sd_jitter_ms"],
               D_check=p["D"], model_latency_ms=check.latency_ms[:n_l], model_jitter_ms=check.jitter_ms[n_l:],
               realised=check.realised, rs=check.relative_spread)
    if n_spread:
        out.update(_spread(d, w_grid, r_grid, n_trials, seed, main, n_spread, progress))
    return out


def synthetic(w: float, r: float, offset_ms: float, n_trials: int, seed, like=None) -> dict:
    """Data in :func:`data`'s form made by the model at ``(w, r)`` plus ``offset_ms`` (at ``like``'s efficiencies,
    default Miller's cathodic ones)."""
    like = _check_data(data() if like is None else like)
    n_l = like["latency_ms"].size
    c = model_curve(w, r, np.concatenate([like["firing_efficiency"], like["jitter_efficiency"]]), n_trials, seed)
    return dict(firing_efficiency=like["firing_efficiency"], latency_ms=c.latency_ms[:n_l] + offset_ms,
                jitter_efficiency=like["jitter_efficiency"], jitter_ms=c.jitter_ms[n_l:])


def _scale_check(n_trials: int, seed) -> dict:
    """The stimulus scale drops out at equal FE: the same curve with the unit amplitude 1 and 2.5."""
    eff = np.array([0.1, 0.5, 0.9])
    a = model_curve(0.0, 0.0, eff, n_trials, seed)
    b = model_curve(0.0, 0.0, eff, n_trials, seed, stimulus=Pulse(2.5, delay_ms=0.1, duration_ms=0.04))
    return dict(scale_amplitude_ratio=b.amplitude_uA / a.amplitude_uA,
                scale_latency_diff_ms=float(np.max(np.abs(b.latency_ms - a.latency_ms))),
                scale_jitter_diff_ms=float(np.max(np.abs(b.jitter_ms - a.jitter_ms))))


@register("miller_fit", w_grid=tuple(np.round(np.linspace(-1.1, 2.1, 9), 3).tolist()),
          r_grid=tuple(np.round(np.linspace(-1.2, 0.0, 9), 3).tolist()), n_trials=1200, seed=0, check_trials=4800,
          check_seed=1, n_repeats=4, n_spread=4)
def miller_fit(w_grid, r_grid, n_trials, seed, check_trials, check_seed, n_repeats, n_spread, progress=None) -> dict:
    """:func:`fit` of Miller 1999 Fig. 5 (cathodic), and the stimulus-scale check, as arrays (cached)."""
    out = fit(data(), w_grid, r_grid, n_trials, seed=seed, check_trials=check_trials, check_seed=check_seed,
              n_repeats=n_repeats, n_spread=n_spread, progress=progress)
    out.update(_scale_check(400, seed))
    return {k: np.asarray(v) for k, v in out.items()}


def summary_lines(res: dict) -> list:
    """The fit in words and numbers (area in cm², rate factor, offset and SDs in ms); with the Monte Carlo spread
    (``n_spread`` > 0), each interval also widened by it."""
    def span(x, lo_hi, f):
        lo, hi = (f(v) if np.isfinite(v) else None for v in lo_hi)
        return f"{f(x):.3g} [{'<grid' if lo is None else f'{lo:.3g}'}, {'>grid' if hi is None else f'{hi:.3g}'}]"

    def area(v):
        return A0_CM2 * np.exp(v)

    def rate(v):
        return RATE0 * np.exp(v)
    mc = "w_interval_mc" in res

    def wider(key, f, fmt=".3g"):
        if not mc:
            return ""
        lo, hi = (f(v) for v in res[f"{key}_interval_mc"])
        return f"; with the Monte Carlo spread [{lo:{fmt}}, {hi:{fmt}}]"
    lines = [f"area (cm2)        {span(float(res['w']), res['w_interval'], area)}{wider('w', area)}"
             + ("" if res["w_determined"] else "  not determined inside the grid"),
             f"rate factor       {span(float(res['r']), res['r_interval'], rate)}{wider('r', rate)}"
             + ("" if res["r_determined"] else "  not determined inside the grid"),
             f"latency offset    {float(res['offset_ms']):.3f} ms [{res['offset_interval'][0]:.3f}, "
             f"{res['offset_interval'][1]:.3f}]{wider('offset', float, '.3f')}",
             f"threshold RS      {float(res['rs']):.3f}",
             f"residual SD       latency {float(res['sd_latency_ms']):.4f} ms, "
             f"jitter {float(res['sd_jitter_ms']):.4f} ms",
             f"Monte Carlo SD of D between noise realisations {float(res['D_noise_sd']):.2f} (the 95 % rise is 3.84)"]
    if mc:
        sd = [float(np.std(res[k], ddof=1)) for k in ("spread_w", "spread_r", "spread_offset_ms")]
        lines.append(f"Monte Carlo SD of the estimates over {len(res['spread_w'])} realisations: w {sd[0]:.3f}, "
                     f"r {sd[1]:.3f}, offset {sd[2]:.4f} ms")
    return lines


def result(**params) -> dict:
    """:func:`miller_fit` read from its cache (computed and saved there if missing; ``params`` as its own)."""
    return cached(miller_fit, **params)
