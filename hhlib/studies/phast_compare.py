"""PHAST side by side with hhlib's biophysical nodes: the same single-fibre protocols in both, as cacheable arrays.

PHAST (``phastc`` on the package index; van Gendt et al. 2016, de Nobel et al. 2024) is an event-driven,
phenomenological auditory-nerve fibre: at every pulse it draws a threshold and fires if the pulse exceeds it,

    threshold = (i_det + sigma z) R(t) + adaptation + accommodation,    z ~ N(0, 1), sigma = RS i_det,
    R(t) = inf for t < ARP',  1 / (1 - exp(-(t - ARP') / RRP'))  after,  t = time since the last spike,

with ``ARP' = ARP (1 + 0.05 r1)``, ``RRP' = RRP (1 + 0.05 r2)`` (r1, r2 ~ N(0, 1) at every pulse), and two
leaky integrators stepped by explicit Euler from pulse to pulse (``v += (c - rate v) dt``, ``dt`` the time
since the previous pulse): ``adaptation = a_amp v_a`` driven by ``i_det`` of the last spike, ``accommodation =
c_amp v_c`` driven by the last pulse's amplitude. A spike occurs at the pulse's time step plus a fixed
``time_to_ap`` (0 by default). :data:`PHAST_PARAMETERS` are the defaults of PHAST+'s
``ThresholdProfile.create_fiberset`` (de Nobel et al. 2024), with their meaning in :data:`PHAST_MEANING`.
Amplitudes here are in units of ``i_det`` (PHAST's scale-free: every term is linear in ``i_det``).

hhlib's side: ``SEED_MODEL`` on 0.1 µm² with its current noise and ``NEGM_BRUCE2014`` at its 4.71 µm² node with its
channel numbers (diffusion approximation of :data:`hhlib.models.negm_bruce2014.CHANNEL_NOISE`; the Markov chain is
several times slower), 50 µs monophasic cathodic pulses at 2.5 µs steps, amplitudes in units of each model's
noise-free single-pulse threshold.

- :func:`phast_comparison` (cached): single-pulse firing curve (x50, RS), noise-free recovery curve (probe threshold
  ratio against interval), trains at 250-5000 pulses/s near threshold (firing efficiency per pulse, onset and
  sustained rate, vector strength), an amplitude-modulated train; for PHAST, SEED_MODEL and NEGM_BRUCE2014.
- :func:`phast_limits`: what PHAST cannot do, each as a number, next to hhlib's.
- :func:`phast_run`, :func:`phast_recovery_ratio`: PHAST runs used by both and by the tests.

``phastc`` is optional (``pip install "hhlib[phast]"``); it is imported only inside these functions.
Units: times ms unless named ``_s``, rates pulses/s or spikes/s.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from hhlib import Pulse, PulseTrain, probit_fit, simulate, threshold_current
from hhlib.models import NEGM_BRUCE2014, SEED_MODEL, negm_bruce2014

from .cache import register

__all__ = ["PHAST_PARAMETERS", "PHAST_MEANING", "load_phast", "phast_run", "phast_spike_times_ms",
           "phast_recovery_ratio", "refractory_ratio", "phast_comparison", "phast_limits", "phast_limits_cached",
           "HH_CASES", "INTERVALS_MS", "RATES_PPS", "LEVELS"]

#: PHAST+'s fibre defaults (``phast.ThresholdProfile.create_fiberset``, de Nobel et al. 2024); times in s.
PHAST_PARAMETERS = dict(relative_spread=0.06, sigma_rs=0.04, absolute_refractory_s=4e-4,
                        relative_refractory_s=8e-4, sigma_absolute_refractory_s=1e-4, sigma_relative_refractory_s=5e-4,
                        adaptation_amplitude=7.142, accommodation_amplitude=0.072, adaptation_rate=19.996,
                        accommodation_rate=0.014, sigma_amp=0.006, sigma_rate=0.006, time_step_s=1e-6, i_det=1e-3)

#: What each of :data:`PHAST_PARAMETERS` means.
PHAST_MEANING = {
    "i_det": "deterministic threshold of a single pulse (A); the unit of every amplitude here",
    "relative_spread": "RS: sd of the per-pulse Gaussian threshold / i_det (sigma = RS i_det)",
    "sigma_rs": "sd of each fibre-trial's RS around relative_spread (drawn once per trial, clipped at 0)",
    "absolute_refractory_s": "ARP: no spike within this time after a spike (jittered 5 % sd at every pulse)",
    "relative_refractory_s": "RRP: time constant of R(t) = 1 / (1 - exp(-(t - ARP) / RRP)) (5 % sd per pulse)",
    "sigma_absolute_refractory_s": "sd of each trial's ARP (drawn once per trial, clipped at 0)",
    "sigma_relative_refractory_s": "sd of each trial's RRP (drawn once per trial, clipped at 0)",
    "adaptation_amplitude": "scale of the adaptation integrator (driven by i_det at every spike), added to threshold",
    "accommodation_amplitude": "scale of the accommodation integrator (driven by every pulse's amplitude)",
    "adaptation_rate": "leak rate of the adaptation integrator (1/s), explicit Euler between pulses",
    "accommodation_rate": "leak rate of the accommodation integrator (1/s), explicit Euler between pulses",
    "sigma_amp": "sd of each trial's integrator amplitudes",
    "sigma_rate": "sd of the integrator rates (stored; PHAST 1.1.7 does not randomise the rates)",
    "time_step_s": "time grid of the pulse train (s): a pulse is one nonzero sample, its width is not a parameter",
}

#: The hhlib models compared: name -> (model, area cm², noise).
HH_CASES = {
    "SEED_MODEL": (SEED_MODEL, 1e-9, True),
    "NEGM_BRUCE2014": (NEGM_BRUCE2014, negm_bruce2014.NODE_AREA_CM2,
                       dataclasses.replace(negm_bruce2014.CHANNEL_NOISE, method="diffusion")),
}
#: Single-pulse levels (units of the threshold), recovery intervals (ms), train rates (pulses/s).
LEVELS = tuple(np.round(np.linspace(0.7, 1.3, 13), 3).tolist())
INTERVALS_MS = (0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0)
RATES_PPS = (250, 1000, 2000, 5000)
PULSE_MS, DELAY_MS, DT_MS = 0.05, 0.1, 0.0025
ONSET_WINDOW_MS = 10.0


def load_phast():
    """Import and return the ``phast`` module of ``phastc``.

    Raises
    ------
    ImportError
        If ``phastc`` is not installed, saying how to install it.
    """
    try:
        import phast
    except ImportError as exc:
        raise ImportError('the PHAST comparison needs the optional package phastc: pip install "hhlib[phast]" '
                          "(or pip install phastc==1.1.7)") from exc
    return phast


def _fiber(phast, p: dict, store_stats: bool):
    i_det = p["i_det"]
    refractory = phast.RefractoryPeriod(p["absolute_refractory_s"], p["relative_refractory_s"],
                                        p["sigma_absolute_refractory_s"], p["sigma_relative_refractory_s"])
    decay = phast.LeakyIntegratorDecay(p["adaptation_amplitude"], p["accommodation_amplitude"],
                                       p["adaptation_rate"], p["accommodation_rate"], p["sigma_amp"], p["sigma_rate"])
    return phast.Fiber(i_det=[i_det], spatial_constant=[1.0], sigma=[i_det * p["relative_spread"]], fiber_id=0,
                       sigma_rs=p["sigma_rs"], refractory_period=refractory, decay=decay, store_stats=store_stats)


def phast_run(amplitudes, n_trials: int, seed: int, *, params: dict | None = None, use_random: bool = True,
              store_stats: bool = False, n_jobs: int = 1):
    """Run PHAST on one fibre: ``n_trials`` trials of the pulse train ``amplitudes``.

    Parameters
    ----------
    amplitudes : array_like, shape (n_steps,)
        Pulse amplitude at each step of PHAST's grid (``params["time_step_s"]``), in units of ``i_det``; 0 = no pulse.
    n_trials : int
    seed : int
        ``phast.set_seed`` before the run (same seed, same spikes, for any ``n_jobs``).
    params : dict, optional
        Overrides of :data:`PHAST_PARAMETERS`.
    use_random : bool
        False: PHAST's noise-free fibre (every random draw 0).
    store_stats, n_jobs
        Passed to PHAST (``n_jobs=-1``: a thread per trial).

    Returns
    -------
    list of phast.FiberStats
    """
    phast = load_phast()
    p = {**PHAST_PARAMETERS, **(params or {})}
    unknown = set(p) - set(PHAST_PARAMETERS)
    if unknown:
        raise ValueError(f"params: unknown PHAST parameter(s) {sorted(unknown)}; "
                         f"choose from {sorted(PHAST_PARAMETERS)}")
    train = phast.PulseTrain(np.asarray(amplitudes, float)[None, :] * p["i_det"], time_step=p["time_step_s"])
    phast.set_seed(int(seed))
    return phast.phast([_fiber(phast, p, store_stats)], train, n_jobs=n_jobs, n_trials=int(n_trials),
                       use_random=use_random)


def phast_spike_times_ms(stats, time_step_s: float = PHAST_PARAMETERS["time_step_s"]) -> np.ndarray:
    """Spike times (ms) of PHAST trials, shape ``(n_trials, max spikes)``, NaN-padded."""
    n = max([s.n_spikes for s in stats] + [1])
    out = np.full((len(stats), n), np.nan)
    for i, s in enumerate(stats):
        out[i, :s.n_spikes] = np.round(np.asarray(s.spikes, float) * time_step_s * 1e3, 9)
    return out


def refractory_ratio(interval_ms, arp_ms: float = 0.4, rrp_ms: float = 0.8) -> np.ndarray:
    """PHAST's refractory factor ``R(t) = 1 / (1 - exp(-(t - ARP) / RRP))`` (inf within the ARP)."""
    t = np.asarray(interval_ms, float)
    with np.errstate(divide="ignore", over="ignore"):
        return np.where(t > arp_ms, 1.0 / -np.expm1(-(t - arp_ms) / rrp_ms), np.inf)


def _grid(duration_ms: float, time_step_s: float) -> int:
    return int(round(duration_ms * 1e-3 / time_step_s))


def phast_recovery_ratio(intervals_ms, *, conditioner: float = 3.0, params: dict | None = None) -> np.ndarray:
    """PHAST's noise-free probe threshold after a spike, in units of ``i_det``, at each interval (ms).

    The threshold PHAST computes at the probe (``stochastic threshold x refractoriness + adaptation +
    accommodation``, read from its stats with every random draw 0); inf within the ARP.
    """
    p = {**PHAST_PARAMETERS, **(params or {})}
    out = []
    for t in np.atleast_1d(np.asarray(intervals_ms, float)):
        amps = np.zeros(_grid(t + 2.0, p["time_step_s"]))
        amps[_grid(DELAY_MS, p["time_step_s"])] = conditioner
        amps[_grid(DELAY_MS + t, p["time_step_s"])] = 1e-9
        s = phast_run(amps, 1, 1, params=params, use_random=False, store_stats=True)[0]
        if s.n_spikes != 1:
            raise RuntimeError(f"the conditioner of {conditioner} x i_det did not fire exactly once")
        thr = (s.stochastic_threshold[1] * s.refractoriness[1] + s.adaptation[1] + s.accommodation[1])
        out.append(thr / p["i_det"])
    return np.array(out)


# ----------------------------------------------------------------------------- PHAST protocols
def _phast_curve(levels, n_trials: int, seed: int) -> np.ndarray:
    counts = []
    for i, x in enumerate(levels):
        amps = np.zeros(_grid(1.0, PHAST_PARAMETERS["time_step_s"]))
        amps[_grid(DELAY_MS, PHAST_PARAMETERS["time_step_s"])] = x
        counts.append(sum(s.n_spikes for s in phast_run(amps, n_trials, seed + i)))
    return np.array(counts)


def _train_amplitudes(rate: float, duration_ms: float, level: float, mod_depth: float, mod_hz: float):
    """PHAST grid of a train: onsets (ms) and the amplitude array (units of i_det)."""
    step = PHAST_PARAMETERS["time_step_s"]
    onsets = np.round(DELAY_MS + np.arange(int(round(duration_ms * rate / 1000.0))) * 1000.0 / rate, 9)
    amps = np.zeros(_grid(duration_ms + 2 * DELAY_MS, step))
    amps[np.round(onsets * 1e-3 / step).astype(int)] = level * _modulation(onsets, mod_depth, mod_hz)
    return onsets, amps


def _modulation(onsets_ms, depth: float, mod_hz: float) -> np.ndarray:
    """Per-pulse factor ``1 + depth sin(2 pi f t)`` (Litvak et al. 2003's form), t from the first onset."""
    return 1.0 + depth * np.sin(2 * np.pi * mod_hz * (onsets_ms - onsets_ms[0]) * 1e-3)


def train_measures(times_ms, onsets_ms, t_end_ms: float, mod_period_ms: float | None = None) -> dict:
    """Measures of a train from spike times (ms, ``(n_trials, k)``, NaN-padded): efficiency per pulse (a spike
    belongs to the last onset before it), onset rate (first :data:`ONSET_WINDOW_MS`) and sustained rate (second
    half), spikes/s; vector strength to the pulse period and, if given, to ``mod_period_ms``."""
    t = np.asarray(times_ms, float)
    n_trials = t.shape[0]
    flat = t[np.isfinite(t) & (t >= onsets_ms[0] - 1e-9)]
    idx = np.searchsorted(onsets_ms, flat + 1e-9, side="right") - 1
    eff = np.bincount(idx, minlength=onsets_ms.size) / n_trials
    t0 = onsets_ms[0]
    half = t0 + 0.5 * (t_end_ms - t0)
    out = dict(efficiency=eff, onset_rate=np.sum(flat < t0 + ONSET_WINDOW_MS) / n_trials / ONSET_WINDOW_MS * 1e3,
               sustained_rate=np.sum(flat >= half) / n_trials / (t_end_ms - half) * 1e3,
               vs_pulse=_vs(flat - t0, float(np.median(np.diff(onsets_ms)))) if onsets_ms.size > 1 else np.nan)
    if mod_period_ms is not None:
        out["vs_mod"] = _vs(flat - t0, mod_period_ms)
    return out


def _vs(t, period: float) -> float:
    return float(np.abs(np.exp(2j * np.pi * t / period).mean())) if t.size else np.nan


def _phast_side(n_trials: int, train_trials: int, duration_ms: float, level: float, mod_depth: float,
                mod_hz: float, seed: int) -> dict:
    """Every protocol on PHAST (its defaults); amplitudes in units of i_det."""
    counts = _phast_curve(LEVELS, n_trials, seed)
    fit = probit_fit(np.array(LEVELS), counts, n_trials)
    out = dict(counts=counts, x50=fit.x50, rs=fit.rs, recovery=phast_recovery_ratio(INTERVALS_MS))
    for rate in RATES_PPS:
        onsets, amps = _train_amplitudes(rate, duration_ms, level * fit.x50, 0.0, mod_hz)
        times = phast_spike_times_ms(phast_run(amps, train_trials, seed + rate))
        for k, v in train_measures(times, onsets, duration_ms + DELAY_MS).items():
            out[f"train{rate}_{k}"] = v
    onsets, amps = _train_amplitudes(1000, duration_ms, fit.x50, mod_depth, mod_hz)
    times = phast_spike_times_ms(phast_run(amps, train_trials, seed + 1))
    am = train_measures(times, onsets, duration_ms + DELAY_MS, 1000.0 / mod_hz)
    out.update(am_rate=am["sustained_rate"], am_vs_mod=am["vs_mod"], am_efficiency=am["efficiency"].mean())
    return out


def _hh_threshold(name: str, stimulus=None, vary=None, t_end_ms: float = 2.0) -> float:
    """Noise-free threshold (µA; factor of part ``vary``), inf where the probe never fires."""
    model, area, _ = HH_CASES[name]
    stim = Pulse(1.0, delay_ms=DELAY_MS, duration_ms=PULSE_MS) if stimulus is None else stimulus
    try:
        return float(threshold_current(model, area, stimulus=stim, vary=vary, t_end_ms=t_end_ms, rtol=1e-4))
    except ValueError as exc:
        if "does not fire even" in str(exc):
            return np.inf
        raise


def _hh_recovery(name: str, thr: float, conditioner: float = 3.0) -> np.ndarray:
    ratios = []
    for t in INTERVALS_MS:
        pair = Pulse(conditioner * thr, delay_ms=DELAY_MS, duration_ms=PULSE_MS) + \
            Pulse(1.0, delay_ms=round(DELAY_MS + t, 6), duration_ms=PULSE_MS)
        ratios.append(_hh_threshold(name, pair, vary=1, t_end_ms=round(DELAY_MS + t + 2.0, 6)) / thr)
    return np.array(ratios)


def _hh_train(name: str, amplitude_uA: float, rate: float, duration_ms: float, n_trials: int, seed: int,
              mod_depth: float = 0.0, mod_hz: float = 100.0):
    model, area, noise = HH_CASES[name]
    n = int(round(duration_ms * rate / 1000.0))
    onsets = DELAY_MS + np.arange(n) * 1000.0 / rate
    train = PulseTrain(Pulse(amplitude_uA, delay_ms=DELAY_MS, duration_ms=PULSE_MS), rate_pps=rate, n_pulses=n,
                       modulation=_modulation(onsets, mod_depth, mod_hz))
    return simulate(model, train, area, n_trials, seed=seed, noise=noise, t_end_ms=duration_ms + 2 * DELAY_MS,
                    engine="numba", max_spikes=n + 3)


def _hh_measures(res, duration_ms: float, mod_period_ms: float | None = None) -> dict:
    t0, t1 = DELAY_MS, duration_ms + DELAY_MS
    half = t0 + 0.5 * duration_ms
    out = dict(efficiency=res.firing_efficiency(), onset_rate=res.window_counts(t0, t0 + ONSET_WINDOW_MS).mean()
               / ONSET_WINDOW_MS * 1e3, sustained_rate=res.window_counts(half, t1).mean() / (t1 - half) * 1e3,
               vs_pulse=float(res.vector_strength()))
    lat = res.pulse_latencies()[:, 0]
    lat = lat[np.isfinite(lat)]                       # first pulse's latency where it fired (NaN: never / once)
    out.update(latency_ms=lat.mean() if lat.size else np.nan, jitter_ms=lat.std(ddof=1) if lat.size > 1 else np.nan)
    if mod_period_ms is not None:
        out["vs_mod"] = float(res.vector_strength(period_ms=mod_period_ms))
    return out


def _hh_side(name: str, n_trials: int, train_trials: int, duration_ms: float, level: float, mod_depth: float,
             mod_hz: float, seed: int) -> dict:
    """Every protocol on one hhlib model; amplitudes in units of its noise-free single-pulse threshold."""
    model, area, noise = HH_CASES[name]
    thr = _hh_threshold(name)
    res = simulate(model, Pulse(thr * np.array(LEVELS), delay_ms=DELAY_MS, duration_ms=PULSE_MS), area, n_trials,
                   seed=seed, noise=noise, t_end_ms=2.0, engine="numba")
    fit = probit_fit(np.array(LEVELS), res.n_fired, n_trials)
    out = dict(threshold_uA=thr, counts=res.n_fired, x50=fit.x50, rs=fit.rs, recovery=_hh_recovery(name, thr))
    for rate in RATES_PPS:
        r = _hh_train(name, level * fit.x50 * thr, rate, duration_ms, train_trials, seed + rate)
        for k, v in _hh_measures(r, duration_ms).items():
            out[f"train{rate}_{k}"] = v
    r = _hh_train(name, fit.x50 * thr, 1000, duration_ms, train_trials, seed + 1, mod_depth, mod_hz)
    am = _hh_measures(r, duration_ms, 1000.0 / mod_hz)
    out.update(am_rate=am["sustained_rate"], am_vs_mod=am["vs_mod"], am_efficiency=am["efficiency"].mean())
    return out


@register("phast_comparison", models=tuple(HH_CASES), n_trials=300, train_trials=100, duration_ms=100.0,
          level=1.1, mod_depth=0.1, mod_hz=100.0, seed=1)
def phast_comparison(models=tuple(HH_CASES), n_trials: int = 300, train_trials: int = 100,
                     duration_ms: float = 100.0, level: float = 1.1, mod_depth: float = 0.1, mod_hz: float = 100.0,
                     seed: int = 1, progress=None) -> dict:
    """The same protocols on PHAST (its PHAST+ defaults) and on hhlib's ``models`` (names of :data:`HH_CASES`).

    Single pulse: firing counts at :data:`LEVELS` (``n_trials`` each; units of the noise-free threshold, i_det for
    PHAST), probit x50 and RS. Recovery: noise-free probe threshold / single-pulse threshold after a 3 x
    conditioner that fires, at :data:`INTERVALS_MS` (onset to onset; inf within the ARP). Trains at
    :data:`RATES_PPS` for ``duration_ms`` at ``level`` x the noisy x50 (``train_trials`` trials): efficiency per
    pulse, onset (first 10 ms) and sustained (second half) rate in spikes/s, vector strength to the pulse period;
    hhlib also latency and jitter of the first pulse (ms). AM: 1000 pulses/s at the x50, ``1 + mod_depth sin(2 pi
    mod_hz t)``: sustained rate, vector strength to the modulation, mean efficiency.

    Returns
    -------
    dict of arrays
        ``"<side>.<measure>"`` with side ``PHAST`` or a model name, plus ``levels``, ``intervals_ms``, ``rates_pps``
        and ``phast_formula`` (R(t) of PHAST's ARP and RRP at the intervals).
    """
    for name in models:
        if name not in HH_CASES:
            raise ValueError(f"models: {name!r} is not one of {list(HH_CASES)}")
    args = (n_trials, train_trials, float(duration_ms), float(level), float(mod_depth), float(mod_hz), int(seed))
    sides = {"PHAST": _phast_side(*args)}
    for i, name in enumerate(models):
        if progress:
            progress(i, len(models) + 1)
        sides[name] = _hh_side(name, *args)
    out = {f"{side}.{k}": np.asarray(v) for side, d in sides.items() for k, v in d.items()}
    out.update(levels=np.array(LEVELS), intervals_ms=np.array(INTERVALS_MS), rates_pps=np.array(RATES_PPS),
               phast_formula=refractory_ratio(INTERVALS_MS))
    if progress:
        progress(len(models) + 1, len(models) + 1)
    return out


def _phast_limits(seed: int, n_trials: int) -> dict:
    """PHAST's numbers for :func:`phast_limits` (units of i_det; times ms)."""
    def single(level, step=PHAST_PARAMETERS["time_step_s"], n=n_trials):
        amps = np.zeros(_grid(1.0, step))
        amps[_grid(DELAY_MS, step)] = level
        return phast_run(amps, n, seed, params=dict(time_step_s=step))

    fired = {k: sum(s.n_spikes for s in single(*k)) / n_trials for k in ((1.0,), (1.0, 25e-6), (1.2,), (-1.2,))}
    lat = [round(np.nanmean(phast_spike_times_ms(single(x))[:, 0]) - DELAY_MS, 9) for x in (1.1, 2.0)]
    amps = np.zeros(_grid(3.0, PHAST_PARAMETERS["time_step_s"]))
    amps[[_grid(DELAY_MS, 1e-6), _grid(DELAY_MS + 0.2, 1e-6)]] = (0.9, 1e-9)
    s = phast_run(amps, 1, seed, use_random=False, store_stats=True)[0]
    fac = s.stochastic_threshold[1] * s.refractoriness[1] + s.adaptation[1] + s.accommodation[1]
    div = []
    for iv in (50.0, 100.0, 150.0):
        step = 1e-5
        amps = np.zeros(_grid(12 * iv + 1.0, step))
        amps[_grid(DELAY_MS, step) + np.arange(12) * _grid(iv, step)] = 1.5
        st = phast_run(amps, 1, seed, params=dict(time_step_s=step), use_random=False, store_stats=True)[0]
        div.append(np.max(np.abs(st.adaptation)) / PHAST_PARAMETERS["i_det"])
    return dict(p_fire_1us=fired[(1.0,)], p_fire_25us=fired[(1.0, 25e-6)], p_fire_cathodic_1p2=fired[(1.2,)],
                p_fire_anodic_1p2=fired[(-1.2,)], latency_1p1_ms=lat[0], latency_2_ms=lat[1],
                jitter_ms=round(np.nanstd(phast_spike_times_ms(single(1.1))[:, 0]), 9), facilitation_ratio=fac * 1e3,
                adaptation_max_50_100_150ms=np.array(div))


def phast_limits(name: str = "SEED_MODEL", n_trials: int = 400, seed: int = 1) -> dict:
    """What PHAST cannot do, as numbers, next to hhlib model ``name`` (a key of :data:`HH_CASES`).

    Returns
    -------
    dict
        ``"PHAST.<measure>"``: firing probability of a single pulse at 1.0 x i_det on a 1 µs and a 25 µs grid
        (the same: a pulse has no width), of cathodic and anodic pulses of 1.2 x i_det (equal: PHAST fires on
        |amplitude|), spike latency at 1.1 and 2 x i_det and its jitter (ms; 0 by default: a fixed
        ``time_to_ap``), the noise-free probe threshold 0.2 ms after a 0.9 x conditioner (>= 1: no
        facilitation), and the largest |adaptation| / i_det over 12 pulses at 1.5 x i_det every 50, 100, 150 ms
        (its explicit-Euler integrator oscillates at 100 ms and diverges beyond). ``"<name>.<measure>"``: threshold
        ratios 25 µs / 100 µs pulse and anodic / cathodic (50 µs), latency and jitter (ms) at 1.1 and 2 x
        threshold, the probe threshold ratio 0.2 ms after a 0.9 x conditioner.
    """
    if name not in HH_CASES:
        raise ValueError(f"name: {name!r} is not one of {list(HH_CASES)}")
    out = {f"PHAST.{k}": np.asarray(v) for k, v in _phast_limits(seed, n_trials).items()}
    model, area, noise = HH_CASES[name]
    thr = _hh_threshold(name)
    width = [_hh_threshold(name, Pulse(1.0, delay_ms=DELAY_MS, duration_ms=w)) for w in (0.025, 0.1)]
    anodic = _hh_threshold(name, Pulse(-1.0, delay_ms=DELAY_MS, duration_ms=PULSE_MS))
    res = simulate(model, Pulse(thr * np.array([1.1, 2.0]), delay_ms=DELAY_MS, duration_ms=PULSE_MS), area,
                   n_trials, seed=seed, noise=noise, t_end_ms=2.0, engine="numba")
    pair = Pulse(0.9 * thr, delay_ms=DELAY_MS, duration_ms=PULSE_MS) + \
        Pulse(1.0, delay_ms=DELAY_MS + 0.2, duration_ms=PULSE_MS)
    out.update({f"{name}.width_ratio_25_100us": np.asarray(width[0] / width[1]),
                f"{name}.anodic_ratio": np.asarray(anodic / thr),
                f"{name}.latency_ms": np.asarray(res.latency_ms), f"{name}.jitter_ms": np.asarray(res.jitter_ms),
                f"{name}.facilitation_ratio": np.asarray(_hh_threshold(name, pair, vary=1, t_end_ms=2.5) / thr)})
    return out


@register("phast_limits", model="SEED_MODEL", n_trials=400, seed=1)
def phast_limits_cached(model: str, n_trials: int, seed: int, progress=None) -> dict:
    """:func:`phast_limits` as a cache (notebook 07 reads it without phastc installed); ``model`` is its
    ``name``."""
    out = phast_limits(model, n_trials, seed)
    if progress:
        progress(1, 1)
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}
