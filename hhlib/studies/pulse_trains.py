"""Pulse trains on the node models (a future notebook 07): refractoriness, facilitation, accommodation, spike-rate
adaptation, trains at cochlear-implant rates and amplitude-modulated trains, as cacheable arrays.

Every builder takes model names (:data:`CASES`): the shipped models at the areas and noise of notebook 06
(:data:`hhlib.studies.node_models.LINEUP`: SEED_MODEL at 0.1 µm² with its current noise, the 10 µm² nodes with
diffusion channel noise from their conductances), NEGM_BRUCE2014 at its 4.71 µm² node with its channel numbers
(diffusion instead of the Markov chain, for speed), and variants with one slow current switched off
(``"SRB1995-no-ks"``, ``"NEGM_BRUCE2014-no-klt"``, ``"NEGM_BRUCE2014-no-hcn"``; :func:`without_currents`, the
leak reversal recomputed so that rest stays an exact fixed point, as the model modules do).

- :func:`recovery_curves`: probe threshold after a suprathreshold conditioner (noise-free) and the firing
  probability of a fixed probe with noise, against the interval (onset to onset);
- :func:`facilitation_curves`: probe threshold after a subthreshold conditioner, with Dynes (1996);
- :func:`accommodation`: threshold of a 0.1 ms pulse right after a long subthreshold pre-pulse or a ramp;
- :func:`adaptation`: onset and sustained rates over a 0.3 s train, with t intervals;
- :func:`train_responses`: trains at 250-5000 pulses/s and levels around threshold (rates, firing efficiency,
  ISI histograms in pulse periods, vector strength, latency and jitter per pulse);
- :func:`am_response`: an amplitude-modulated train, rate against the modulation phase.

Units: currents µA, areas cm², times ms, rates spikes/s; levels and ratios are relative to the model's noise-free
threshold of the same pulse. Every builder is seeded and registered with :func:`hhlib.studies.cache.register`.
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
from scipy import stats as sps

from hhlib import Pulse, PulseTrain, Ramp, simulate, threshold_current
from hhlib.models import negm_bruce2014
from hhlib.models.fh1964 import leak_reversal_mV
from hhlib.published import dynes1996
from hhlib.stats import binomial_ci

from .cache import register
from .node_models import case as _lineup_case

__all__ = ["CASES", "trial_case", "without_currents", "recovery_curves", "facilitation_curves", "accommodation",
           "adaptation", "train_responses", "am_response", "dynes_subthreshold", "TRAIN_PULSE_MS"]

#: Phase width of the pulses of the trains, ms (50 µs: a 5000 pulses/s train has 0.2 ms periods).
TRAIN_PULSE_MS = 0.05
#: The model names the builders accept.
CASES = ("SEED_MODEL", "CRRSS", "SE1987", "SRB1995", "NEGM_BRUCE2014", "SRB1995-no-ks", "NEGM_BRUCE2014-no-klt",
         "NEGM_BRUCE2014-no-hcn")
_WARM = ("SEED_MODEL", "CRRSS", "SE1987", "SRB1995", "NEGM_BRUCE2014")


def without_currents(model, *names):
    """``model`` with the maximal conductance of each named current set to 0 and the leak reversal recomputed
    (:func:`hhlib.models.fh1964.leak_reversal_mV`), so that V = 0 stays an exact fixed point."""
    known = {c.name for c in model.currents}
    for n in names:
        if n not in known or n == "leak":
            raise ValueError(f"current {n!r} is not a gated current of {model.name}; choose from "
                             f"{sorted(known - {'leak'})}")
    cur = tuple(dataclasses.replace(c, g_max=0.0) if c.name in names else c for c in model.currents)
    off = dataclasses.replace(model, currents=cur, name=f"{model.name}-no-" + "-".join(names))
    e_leak = leak_reversal_mV(off)
    return dataclasses.replace(off, currents=tuple(dataclasses.replace(c, e_rev=e_leak) if c.name == "leak" else c
                                                   for c in cur))


def trial_case(name: str):
    """``(model, area_cm2, noise)`` of a name of :data:`CASES` (module docstring)."""
    if name not in CASES:
        raise ValueError(f"model name {name!r} is not one of {list(CASES)}")
    base, _, off = name.partition("-no-")
    if base == "NEGM_BRUCE2014":
        model, area = negm_bruce2014.NEGM_BRUCE2014, negm_bruce2014.NODE_AREA_CM2
        noise = dataclasses.replace(negm_bruce2014.CHANNEL_NOISE, method="diffusion")
    else:
        c = _lineup_case(base)
        model, area, noise = c.model, c.area_cm2, c.noise
    return (without_currents(model, off) if off else model), area, noise


def _seed(seed, *key):
    """The stream of one model (and condition) of a builder: ``seed`` spawned at ``key``."""
    return np.random.SeedSequence(seed, spawn_key=key)


def _thr(model, area, duration_ms=0.1):
    return float(threshold_current(model, area, stimulus=Pulse(1.0, duration_ms=duration_ms)))


def _probe_ratios(model, area, thr, conditioner, intervals_ms):
    """Noise-free probe thresholds (x ``thr``) after a 0.1 ms conditioner of ``conditioner`` x ``thr``."""
    out = []
    for iv in intervals_ms:
        pair = Pulse(conditioner * thr) + Pulse(1.0, delay_ms=0.1 + float(iv))
        out.append(float(threshold_current(model, area, stimulus=pair, vary=1, t_end_ms=float(iv) + 2.0)) / thr)
    return np.array(out)


@register("pulse_trains_recovery", models=_WARM, intervals_ms=(0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0),
          conditioner=1.5, probe_level=1.2, n_trials=200, seed=0)
def recovery_curves(models, intervals_ms, conditioner, probe_level, n_trials, seed, progress=None) -> dict:
    """Recovery after a spike: probe threshold and firing probability of a fixed probe against the interval.

    A 0.1 ms conditioner at ``conditioner`` x threshold (it fires), then a 0.1 ms probe ``interval`` ms later
    (onset to onset). ``{name}_ratio``: noise-free probe threshold / single-pulse threshold, shape (n_int,).
    ``{name}_p``, ``{name}_low``, ``{name}_high``: with the model's noise, the fraction of the trials in which the
    conditioner fired whose probe at ``probe_level`` x threshold fired too, with its 95 % Wilson interval;
    ``{name}_n``: those trials. ``intervals_ms``: the intervals, ms.
    """
    iv = np.asarray(intervals_ms, dtype=float)
    out = {"intervals_ms": iv}
    for i, name in enumerate(models):
        model, area, noise = trial_case(name)
        thr = _thr(model, area)
        out[f"{name}_ratio"] = _probe_ratios(model, area, thr, conditioner, iv)
        k, n = np.zeros(iv.size, dtype=np.int64), np.zeros(iv.size, dtype=np.int64)
        for j, t in enumerate(iv):
            pair = Pulse(conditioner * thr) + Pulse(probe_level * thr, delay_ms=0.1 + float(t))
            r = simulate(model, pair, area, n_trials, seed=_seed(seed, i, j), noise=noise, t_end_ms=float(t) + 2.0)
            resp = r.pulse_responses() > 0
            n[j], k[j] = resp[:, 0].sum(), (resp[:, 0] & resp[:, 1]).sum()
        low, high = binomial_ci(k, np.maximum(n, 1))
        out.update({f"{name}_p": k / np.maximum(n, 1), f"{name}_low": low, f"{name}_high": high, f"{name}_n": n})
        if progress:
            progress(i + 1, len(models))
    return out


def dynes_subthreshold() -> dict:
    """Dynes (1996) probe thresholds after a subthreshold masker (figure 3.3): ``interval_ms``, ``masker_dB`` and
    ``ratio`` (probe threshold / single-pulse threshold)."""
    d = dynes1996()
    sel = d["figure"] == "3.3"
    return dict(interval_ms=d["interval_ms"][sel], masker_dB=d["masker_dB"][sel],
                ratio=10.0 ** (d["probe_dB"][sel] / 20.0))


@register("pulse_trains_facilitation", models=_WARM, intervals_ms=(0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0),
          conditioner=0.9)
def facilitation_curves(models, intervals_ms, conditioner, progress=None) -> dict:
    """Facilitation: noise-free probe threshold (x the single-pulse threshold) after a 0.1 ms conditioner at
    ``conditioner`` x threshold (subthreshold), probe ``interval`` ms later (onset to onset).

    Returns ``intervals_ms``, ``{name}_ratio`` (shape (n_int,)) per model, and ``dynes_interval_ms``,
    ``dynes_ratio``, ``dynes_masker_dB`` (:func:`dynes_subthreshold`).
    """
    iv = np.asarray(intervals_ms, dtype=float)
    out = {"intervals_ms": iv}
    for i, name in enumerate(models):
        model, area, _ = trial_case(name)
        out[f"{name}_ratio"] = _probe_ratios(model, area, _thr(model, area), conditioner, iv)
        if progress:
            progress(i + 1, len(models))
    d = dynes_subthreshold()
    out.update(dynes_interval_ms=d["interval_ms"], dynes_ratio=d["ratio"], dynes_masker_dB=d["masker_dB"])
    return out


@register("pulse_trains_accommodation", models=("SEED_MODEL", "CRRSS", "SRB1995", "SRB1995-no-ks",
                                                "NEGM_BRUCE2014", "NEGM_BRUCE2014-no-klt", "NEGM_BRUCE2014-no-hcn"),
          fractions=(0.3, 0.6, 0.9), durations_ms=(5.0, 20.0))
def accommodation(models, fractions, durations_ms, progress=None) -> dict:
    """Accommodation: noise-free threshold of a 0.1 ms pulse that starts as a subthreshold conditioning current
    ends, divided by its threshold alone.

    The conditioning current is a step (``{name}_step``, shape (n_fractions, n_durations)) or a ramp from 0
    (``{name}_ramp``, same shape) of ``fraction`` x the model's rheobase (threshold of a 20 ms step, noise-free,
    ``{name}_rheobase_uA``) lasting ``duration`` ms, from 0.1 ms. A ratio > 1: the threshold rose (accommodation).
    """
    fr, du = np.asarray(fractions, dtype=float), np.asarray(durations_ms, dtype=float)
    out = {"fractions": fr, "durations_ms": du}
    for i, name in enumerate(models):
        model, area, _ = trial_case(name)
        thr = _thr(model, area)
        rheo = float(threshold_current(model, area, stimulus=Pulse(1.0, duration_ms=20.0), t_end_ms=22.0))
        for kind, part in (("step", Pulse), ("ramp", Ramp)):
            ratio = np.empty((fr.size, du.size))
            for a, f in enumerate(fr):
                for b, d in enumerate(du):
                    stim = part(f * rheo, delay_ms=0.1, duration_ms=float(d)) + Pulse(1.0, delay_ms=0.1 + float(d))
                    ratio[a, b] = float(threshold_current(model, area, stimulus=stim, vary=1,
                                                          t_end_ms=float(d) + 2.0)) / thr
            out[f"{name}_{kind}"] = ratio
        out[f"{name}_rheobase_uA"] = np.array(rheo)
        if progress:
            progress(i + 1, len(models))
    return out


def _t_interval(x, level=0.95):
    """Mean of ``x`` and its Student-t interval ``(mean, low, high)``."""
    x = np.asarray(x, dtype=float)
    half = sps.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return float(x.mean()), float(x.mean() - half), float(x.mean() + half)


def _train(model, area, rate_pps, levels, duration_ms, modulation=None):
    """A train of :data:`TRAIN_PULSE_MS` pulses from 0.1 ms at ``levels`` x the pulse's threshold, its end."""
    thr = _thr(model, area, TRAIN_PULSE_MS)
    n = int(round(duration_ms * rate_pps / 1000.0))
    amp = np.asarray(levels, dtype=float) * thr
    return PulseTrain(Pulse(amp, delay_ms=0.1, duration_ms=TRAIN_PULSE_MS), rate_pps=rate_pps, n_pulses=n,
                      modulation=modulation), 0.1 + n * 1000.0 / rate_pps


@register("pulse_trains_adaptation", models=("SEED_MODEL", "CRRSS", "NEGM_BRUCE2014", "NEGM_BRUCE2014-no-klt",
                                             "NEGM_BRUCE2014-no-hcn"),
          rate_pps=1000.0, levels=(1.0, 1.3), duration_ms=300.0, onset_ms=50.0, sustained_ms=150.0, n_trials=50,
          seed=0)
def adaptation(models, rate_pps, levels, duration_ms, onset_ms, sustained_ms, n_trials, seed, progress=None) -> dict:
    """Spike-rate adaptation over trains of ``levels`` x threshold at ``rate_pps``, ``duration_ms`` long.

    Per model, shape (n_levels, 3): mean over the trials and its 95 % Student-t interval (low, high) of
    ``{name}_onset_hz`` (spikes in the first ``onset_ms``), ``{name}_sustained_hz`` (the last ``sustained_ms``),
    ``{name}_drop_hz`` (onset minus sustained rate, per trial) and ``{name}_index`` (the drop over the mean onset
    rate: 1 - sustained / onset, with the drop's interval; NaN where the onset rate is 0). ``levels``: the levels.
    """
    out = {"levels": np.asarray(levels, dtype=float)}
    for i, name in enumerate(models):
        model, area, noise = trial_case(name)
        train, end = _train(model, area, rate_pps, levels, duration_ms)
        r = simulate(model, train, area, n_trials, seed=_seed(seed, i), noise=noise,
                     t_end_ms=end, max_spikes=train.n_pulses + 3)
        on = r.window_counts(0.1, 0.1 + onset_ms).reshape(-1, n_trials) * 1000.0 / onset_ms
        ss = r.window_counts(end - sustained_ms, end).reshape(-1, n_trials) * 1000.0 / sustained_ms
        drop = np.array([_t_interval(row) for row in on - ss])
        out[f"{name}_onset_hz"] = np.array([_t_interval(row) for row in on])
        out[f"{name}_sustained_hz"] = np.array([_t_interval(row) for row in ss])
        out[f"{name}_drop_hz"] = drop
        mean_on = on.mean(axis=1)[:, None]
        out[f"{name}_index"] = np.where(mean_on > 0, drop / np.where(mean_on > 0, mean_on, 1.0), np.nan)
        if progress:
            progress(i + 1, len(models))
    return out


def _isi_histogram(r, period_ms, n_bins=10):
    """Fraction of the intervals at each multiple 1..n_bins of the period (the last bin: beyond), shape
    ``cond_shape + (n_bins,)``, and the number of intervals."""
    isi = r.interspike_intervals() / period_ms
    k = np.clip(np.rint(isi), 1, n_bins)
    counts = np.stack([(np.isfinite(isi) & (k == m)).sum(axis=(-2, -1)) for m in range(1, n_bins + 1)], axis=-1)
    total = counts.sum(axis=-1)
    return counts / np.maximum(total, 1)[..., None], total


def _train_one(model, area, noise, rate, levels, duration_ms, n_trials, seed, onset_ms):
    train, end = _train(model, area, rate, levels, duration_ms)
    r = simulate(model, train, area, n_trials, seed=seed, noise=noise, t_end_ms=end, max_spikes=train.n_pulses + 3)
    eff = r.firing_efficiency()
    lat = r.pulse_latencies()
    hist, n_isi = _isi_histogram(r, train.period_ms)
    with warnings.catch_warnings():                    # NaN (documented) where a level never fires
        warnings.simplefilter("ignore", RuntimeWarning)
        return dict(onset_hz=r.window_counts(0.1, 0.1 + onset_ms).mean(-1) * 1000.0 / onset_ms,
                    sustained_hz=r.window_counts(end - duration_ms / 2, end).mean(-1) * 2000.0 / duration_ms,
                    efficiency=eff.mean(-1), efficiency_first=eff[..., 0], isi_hist=hist, n_isi=n_isi,
                    vector_strength=r.vector_strength(), latency_first_ms=np.nanmean(lat[..., 0], -1),
                    jitter_first_ms=np.nanstd(lat[..., 0], -1, ddof=1),
                    latency_ms=np.nanmean(lat[..., 1:], (-2, -1)), jitter_ms=np.nanstd(lat[..., 1:], (-2, -1),
                                                                                       ddof=1))


@register("pulse_trains_trains", models=("SEED_MODEL", "NEGM_BRUCE2014"), rates_pps=(250.0, 1000.0, 2000.0, 5000.0),
          levels=(0.9, 1.0, 1.2, 1.5), duration_ms=100.0, onset_ms=20.0, n_trials=50, seed=0)
def train_responses(models, rates_pps, levels, duration_ms, onset_ms, n_trials, seed, progress=None) -> dict:
    """Trains of :data:`TRAIN_PULSE_MS` pulses at each rate and level (x the single pulse's threshold).

    Per model, arrays of shape (n_rates, n_levels) unless stated: ``{name}_onset_hz`` (first ``onset_ms``),
    ``{name}_sustained_hz`` (second half), ``{name}_efficiency`` (mean over pulses of the fraction of trials in
    which the pulse evoked a spike), ``{name}_efficiency_first`` (first pulse), ``{name}_vector_strength`` (to the
    pulse period), ``{name}_latency_first_ms`` / ``{name}_jitter_first_ms`` (first pulse: mean and SD over the
    trials that it fired), ``{name}_latency_ms`` / ``{name}_jitter_ms`` (every later pulse's first spike, pooled),
    ``{name}_isi_hist`` (n_rates, n_levels, 10: fraction of intervals at 1..10 periods, the last bin beyond) and
    ``{name}_n_isi``. NaN where no spike was there to measure (e.g. latency at a level that never fires).
    A spike belongs to the last pulse whose onset precedes it (:func:`hhlib.observables.pulse_index`): where
    latencies exceed the period (5000 pulses/s: 0.2 ms against latencies of 0.1-0.3 ms) a spike that one pulse
    evoked is counted for the next, so the later pulses' efficiency, latency and jitter there describe that
    attribution, not the pulse that caused the spike; the first pulse's values and the rates are unaffected.
    """
    out = {"rates_pps": np.asarray(rates_pps, dtype=float), "levels": np.asarray(levels, dtype=float)}
    for i, name in enumerate(models):
        model, area, noise = trial_case(name)
        rows = [_train_one(model, area, noise, float(rate), levels, duration_ms, n_trials, _seed(seed, i, j), onset_ms)
                for j, rate in enumerate(rates_pps)]
        for key in rows[0]:
            out[f"{name}_{key}"] = np.stack([row[key] for row in rows])
        if progress:
            progress(i + 1, len(models))
    return out


@register("pulse_trains_am", model="SEED_MODEL", rate_pps=2000.0, level=1.0, depth=0.2, modulation_hz=100.0,
          duration_ms=100.0, n_phase_bins=8, n_trials=100, seed=0)
def am_response(model, rate_pps, level, depth, modulation_hz, duration_ms, n_phase_bins, n_trials, seed,
                progress=None) -> dict:
    """An amplitude-modulated train: pulse ``k`` at ``level (1 + depth sin(2 pi f t_k))`` x threshold.

    Returns ``phase_edges`` (cycles, n_phase_bins + 1), ``envelope`` (the mean modulation factor per phase bin),
    ``rate_hz`` (spikes/s per trial in each phase bin), ``rate_low`` / ``rate_high`` (95 % Student-t
    interval over the trials), ``modulation_vs`` (vector strength of the spikes to the
    modulation period) and ``carrier_vs`` (to the pulse period).
    """
    m, area, noise = trial_case(model)
    n = int(round(duration_ms * rate_pps / 1000.0))
    onsets = 0.1 + np.arange(n) * 1000.0 / rate_pps
    env = 1.0 + depth * np.sin(2 * np.pi * modulation_hz * (onsets - 0.1) / 1000.0)
    train, end = _train(m, area, rate_pps, level, duration_ms, modulation=env)
    r = simulate(m, train, area, n_trials, seed=seed, noise=noise, t_end_ms=end, max_spikes=n + 3)
    period = 1000.0 / modulation_hz
    edges = np.linspace(0.0, 1.0, n_phase_bins + 1)
    t = r.spike_times_ms
    phase = np.mod((t - 0.1) / period, 1.0)
    per_trial = np.stack([(np.isfinite(t) & (phase >= a) & (phase < b)).sum(-1)
                          for a, b in zip(edges[:-1], edges[1:], strict=True)], axis=-1)
    seconds = duration_ms / 1000.0 / n_phase_bins
    rates = per_trial / seconds
    ci = np.array([_t_interval(rates[:, b]) for b in range(n_phase_bins)])
    pulse_phase = np.mod((onsets - 0.1) / period, 1.0)
    envelope = np.array([env[(pulse_phase >= a) & (pulse_phase < b)].mean()
                         for a, b in zip(edges[:-1], edges[1:], strict=True)])
    if progress:
        progress(1, 1)
    return dict(phase_edges=edges, envelope=envelope, rate_hz=ci[:, 0], rate_low=ci[:, 1], rate_high=ci[:, 2],
                modulation_vs=np.array(r.vector_strength(period)), carrier_vs=np.array(r.vector_strength()))
