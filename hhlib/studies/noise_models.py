"""Current noise against channel-number noise (notebook 05), as cacheable arrays.

Three builders, each seeded and registered with :mod:`hhlib.studies.cache`:

- :func:`noise_fits`: the shipped data fitted with the predecessor's current noise (the default fit)
  and with channel noise (:class:`hhlib.ChannelNoise`, SEED_MODEL's 600 Na and 180 K channels per µm²),
  the area now setting the channel counts. Channel noise needs a membrane about a thousand times larger
  than the current-noise fit's 0.43 µm² (255 Na channels there fire on their own in nine trials out of
  ten), so its fit uses a reference area of 100 µm² (``a_ref_cm2 = 1e-6``) and a reference current
  scaled alike (``i_ref_uA = 1e-4``): the same box ``-0.9 <= delta <= 9`` then spans 10 to 1000 µm² and
  the valley sits where it sat. The fit uses the diffusion approximation (it matches the Markov chain from
  about 4000 Na channels on, see :func:`noise_scaling`; at the fit's ~170 000 Na channels a fit with the
  Markov chain takes about 9x longer, 7 min on two cores: ``benchmarks/bench_markov_fit.py``); the Markov
  chain is then checked at the fitted point with a fresh prediction.
- :func:`noise_scaling`: x50 and relative spread RS from per-trial thresholds against the number of Na
  channels (both methods), the ``N^-1/2`` slope, and the fraction of trials that fire with no stimulus.
- :func:`noise_dt`: firing probability against the time step for each method.

Computations only; :mod:`hhlib.viz.noise_models` draws. Units: areas cm² (µm² where named), currents µA,
times ms; x, delta_v, delta_area, probabilities and RS dimensionless.
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
from scipy import stats

from hhlib import SEED_MODEL, ChannelNoise, NormalisedSetup, Pulse, deviance_loss, fit, load_data, predict, simulate
from hhlib.noise import UM2_PER_CM2
from hhlib.stats import SIGMA_QUANTILES
from hhlib.thresholds import threshold_current, trial_thresholds

from .cache import register

__all__ = ["noise_fits", "noise_scaling", "noise_dt", "channel_setup", "CHANNEL_DENSITIES", "quantile_summary"]

#: SEED_MODEL's channel densities at 20 pS per channel, Na and K channels per µm².
CHANNEL_DENSITIES = (600.0, 180.0)


def channel_setup(method: str = "diffusion", a_ref_cm2: float = 1e-6, i_ref_uA: float = 1e-4,
                  densities=CHANNEL_DENSITIES) -> NormalisedSetup:
    """The normalised setup of the channel-noise fit: SEED_MODEL, the seed's pulse, channel noise, rescaled
    reference area (cm²) and current (µA); with the defaults, :func:`hhlib.normalised.channel_noise_setup`."""
    return NormalisedSetup(a_ref_cm2=a_ref_cm2, i_ref_uA=i_ref_uA,
                           noise=ChannelNoise(*densities, method=method))


def quantile_summary(thresholds_uA, deterministic_uA):
    """``(x50 / deterministic threshold, RS, p0, SE of x50 / deterministic threshold)`` of per-trial thresholds.

    Trials that fire with no stimulus (threshold 0) make the firing curve's floor ``p0``; x50 and RS describe
    the curve above it, ``P = p0 + (1 - p0) Phi((x / x50 - 1) / RS)``: x50 is the median of the other trials'
    thresholds, RS half their 15.9-84.1 % quantile range over that median, and the SE is the large-sample
    error of such a median, ``sqrt(pi / 2) * RS * x50 / sqrt(n)`` (n trials above the floor). NaN where
    fewer than 20 trials are left above the floor.

    Parameters
    ----------
    thresholds_uA : array_like, shape (..., n_trials)
        Per-trial thresholds (µA; 0 for a trial that fires without stimulus), trials on the last axis.
    deterministic_uA : float or array_like, shape (...)
        The noise-free threshold each row is divided by (µA).

    Examples
    --------
    >>> x50, rs, p0, se = quantile_summary([0.0, 0.0, 0.9, 1.0, 1.1] * 10, 1.0)
    >>> float(x50), float(p0), round(float(rs), 3)
    (1.0, 0.4, 0.1)
    """
    thr = np.asarray(thresholds_uA, dtype=float)
    above = np.where(thr > 0, thr, np.nan)
    n = np.sum(thr > 0, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)       # all-NaN rows: reported as NaN below
        q16, q50, q84 = np.nanquantile(above, SIGMA_QUANTILES, axis=-1)
        x50 = np.where(n >= 20, q50 / deterministic_uA, np.nan)
        rs = np.where(n >= 20, (q84 - q16) / (2 * q50), np.nan)
        se = np.sqrt(np.pi / 2) * rs * x50 / np.sqrt(n)
    return x50, rs, np.mean(thr == 0, axis=-1), se


def _fit_numbers(r, setup) -> dict:
    """Estimate, intervals, deviance, p-value, area (cm²) and its interval of a FitResult."""
    area = setup.area_cm2(np.array([r.delta_area, *r.delta_area_ci]))
    return dict(estimate=np.array([r.delta_v, r.delta_area]), ci=np.array([r.delta_v_ci, r.delta_area_ci]),
                deviance=np.array(r.deviance), p_value=np.array(r.p_value), converged=np.array(r.converged),
                area_cm2=area, evaluations=np.array(r.n_evaluations))


@register("noise_fits", densities=CHANNEL_DENSITIES, a_ref_cm2=1e-6, i_ref_uA=1e-4, n_trials=2000,
          validation_n_trials=10000, markov_trials=2000, curve_x=(0.8, 1.2, 33), curve_trials=2000, seed=0)
def noise_fits(densities=CHANNEL_DENSITIES, a_ref_cm2=1e-6, i_ref_uA=1e-4, n_trials=2000, validation_n_trials=10000,
               markov_trials=2000, curve_x=(0.8, 1.2, 33), curve_trials=2000, seed=0, progress=None):
    """The shipped data fitted with current noise and with channel noise (diffusion), Markov check.

    Returns
    -------
    dict
        ``current_*`` and ``channel_*``: ``estimate`` (delta_v, delta_area), ``ci`` (2, 2), ``deviance``,
        ``p_value``, ``converged``, ``area_cm2`` (estimate, low, high), ``evaluations``; ``channel_counts``
        (2, 3): Na and K channels at the channel fit's area and its interval ends; ``current_n_na``: Na
        channels the current-noise fit's area would hold; ``markov_deviance``, ``markov_p_value``: a fresh
        Markov-chain prediction at the channel fit's optimum (``markov_trials`` per level, chi-square with
        the data's levels - 2 dof); ``curve_x`` and ``curve_p`` (3, n): firing curves of the current fit,
        the channel fit (diffusion) and the Markov chain at that point.
    """
    data = load_data()
    step = progress or (lambda done, total: None)         # the cache's progress(done, total), per stage
    current = fit(seed=seed)
    step(1, 3)
    setup = channel_setup("diffusion", a_ref_cm2, i_ref_uA, densities)
    channel = fit(setup=setup, n_trials=n_trials, validation_n_trials=validation_n_trials, seed=seed)
    step(2, 3)
    out = {f"current_{k}": v for k, v in _fit_numbers(current, NormalisedSetup()).items()}
    out.update({f"channel_{k}": v for k, v in _fit_numbers(channel, setup).items()})
    um2 = out["channel_area_cm2"] * UM2_PER_CM2
    out["channel_counts"] = np.rint(np.outer(densities, um2)).astype(np.int64)
    out["current_n_na"] = np.array(round(densities[0] * out["current_area_cm2"][0] * UM2_PER_CM2))
    markov = dataclasses.replace(setup, noise=ChannelNoise(*densities, method="markov"))
    p_markov = predict(channel.delta_v, channel.delta_area, data.x, n_trials=markov_trials, setup=markov,
                       seed=seed + 1)
    out["markov_deviance"] = np.array(deviance_loss(p_markov, data))
    out["markov_p_value"] = np.array(stats.chi2.sf(out["markov_deviance"], len(data) - 2))
    x = np.linspace(*curve_x)
    out["curve_x"] = x
    out["curve_p"] = np.array([
        predict(current.delta_v, current.delta_area, x, n_trials=curve_trials, seed=seed),
        predict(channel.delta_v, channel.delta_area, x, n_trials=curve_trials, setup=setup, seed=seed),
        predict(channel.delta_v, channel.delta_area, x, n_trials=curve_trials, setup=markov, seed=seed)])
    step(3, 3)
    return out


@register("noise_scaling", n_na=(1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000), n_trials=2000,
          markov_n_na=(1000, 2000, 4000, 16000, 64000), markov_trials=2000,
          spont_n_na=(250, 500, 1000, 2000, 4000, 8000, 16000), spont_trials=1000, seed=0)
def noise_scaling(n_na=(1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000), n_trials=2000,
                  markov_n_na=(1000, 2000, 4000, 16000, 64000), markov_trials=2000,
                  spont_n_na=(250, 500, 1000, 2000, 4000, 8000, 16000), spont_trials=1000, seed=0, progress=None):
    """x50, RS and spontaneous firing against the number of Na channels (SEED_MODEL, the seed's pulse).

    Areas are ``N_Na / 600`` µm² (K channels follow at 180 per µm²); per-trial thresholds of ``n_trials``
    (diffusion) and ``markov_trials`` (Markov chain) trials at each, summarised by :func:`quantile_summary`
    (x50 and RS of the firing curve above its spontaneous floor).

    Returns
    -------
    dict
        ``n_na`` (k,), ``x50``, ``x50_se``, ``rs`` and ``zero_fraction`` (k,) for diffusion; ``markov_n_na``
        (j,), ``markov_x50``, ``markov_x50_se``, ``markov_rs``, ``markov_zero_fraction`` (j,); ``slope``,
        ``slope_ci`` (2,): least-squares slope of log RS on log N_Na (diffusion, over the N where fewer than
        1 % of trials fire on their own) and its 95 % interval; ``spont_n_na`` (i,), ``spont_markov``,
        ``spont_diffusion`` (i,): fraction firing without a stimulus within 2 ms.
    """
    out = {}
    for method, ns, trials, key in (("diffusion", n_na, n_trials, ""), ("markov", markov_n_na, markov_trials,
                                                                         "markov_")):
        area = np.asarray(ns, dtype=float) / CHANNEL_DENSITIES[0] / UM2_PER_CM2
        noise = ChannelNoise(*CHANNEL_DENSITIES, method=method)
        thr = trial_thresholds(SEED_MODEL, area, trials, seed=seed, noise=noise)
        det = np.array([threshold_current(SEED_MODEL, a) for a in area])
        x50, rs, spont, se = quantile_summary(thr, det)
        out.update({f"{key}n_na": np.asarray(ns), f"{key}x50": x50, f"{key}x50_se": se, f"{key}rs": rs,
                    f"{key}zero_fraction": spont})
    use = out["zero_fraction"] < 0.01
    res = stats.linregress(np.log(out["n_na"][use]), np.log(out["rs"][use]))
    t = stats.t.ppf(0.975, use.sum() - 2)
    out["slope"], out["slope_ci"] = np.array(res.slope), np.array([res.slope - t * res.stderr,
                                                                    res.slope + t * res.stderr])
    area = np.asarray(spont_n_na, dtype=float) / CHANNEL_DENSITIES[0] / UM2_PER_CM2
    out["spont_n_na"] = np.asarray(spont_n_na)
    for method in ("markov", "diffusion"):
        res = simulate(SEED_MODEL, Pulse(0.0), area, spont_trials, seed=seed, stop_after=1, max_spikes=1,
                       noise=ChannelNoise(*CHANNEL_DENSITIES, method=method))
        out[f"spont_{method}"] = res.firing_probability
    return out


@register("noise_dt", dts_ms=(0.01, 0.005, 0.0025, 0.001, 0.0005), n_na=16000, factors=(0.9, 1.0, 1.1),
          n_trials=2000, seed=0)
def noise_dt(dts_ms=(0.01, 0.005, 0.0025, 0.001, 0.0005), n_na=16000, factors=(0.9, 1.0, 1.1), n_trials=2000, seed=0,
             progress=None):
    """Firing probability against the time step for both channel-noise methods.

    At ``n_na`` Na channels (area ``n_na / 600`` µm²), at ``factors`` times the deterministic threshold
    (computed at the finest step), ``n_trials`` trials per point (one seed for every dt).

    Returns
    -------
    dict
        ``dts_ms`` (k,), ``factors`` (j,), ``p_markov`` and ``p_diffusion`` (k, j); ``area_cm2``.
    """
    area = n_na / CHANNEL_DENSITIES[0] / UM2_PER_CM2
    det = threshold_current(SEED_MODEL, area, dt_ms=min(dts_ms))
    amps = det * np.asarray(factors)
    out = dict(dts_ms=np.asarray(dts_ms), factors=np.asarray(factors), area_cm2=np.array(area))
    for method in ("markov", "diffusion"):
        noise = ChannelNoise(*CHANNEL_DENSITIES, method=method)
        out[f"p_{method}"] = np.array([
            simulate(SEED_MODEL, Pulse(amps), area, n_trials, seed=seed, dt_ms=dt, noise=noise,
                     stop_after=1, max_spikes=1).firing_probability for dt in dts_ms])
    return out


def fit_table(fits) -> str:
    """The two fits of :func:`noise_fits` as a text table: estimates, 95 % intervals, implied area, deviance, p.

    Parameters
    ----------
    fits : mapping
        The result of :func:`noise_fits` (or its cache).

    Returns
    -------
    str
        A header, one row per noise model and a line with the channel counts the channel-noise area implies.
    """
    lines = [f"{'':27s} {'delta_v [95 % CI]':>24s} {'delta_area [95 % CI]':>24s} {'area µm² [95 % CI]':>26s} "
             f"{'deviance':>9s} {'p':>6s}"]
    for name, key in (("current noise", "current"), ("channel noise (diffusion)", "channel")):
        (dv, da), ((dv0, dv1), (da0, da1)) = fits[f"{key}_estimate"], fits[f"{key}_ci"]
        a = np.asarray(fits[f"{key}_area_cm2"]) * UM2_PER_CM2
        lines.append(f"{name:27s} {dv:7.3f} [{dv0:.3f}, {dv1:.3f}]   {da:7.3f} [{da0:.3f}, {da1:.3f}]   "
                     f"{a[0]:8.4g} [{a[1]:.4g}, {a[2]:.4g}] {float(fits[f'{key}_deviance']):9.2f} "
                     f"{float(fits[f'{key}_p_value']):6.2f}")
    nna, nk = fits["channel_counts"]
    lines.append(f"channel noise implies {nna[0]:,} Na channels [{nna[1]:,}, {nna[2]:,}] "
                 f"and {nk[0]:,} K channels [{nk[1]:,}, {nk[2]:,}]")
    return "\n".join(lines)
