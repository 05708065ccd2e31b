"""The single-fibre battery: the standard measures of a node model, in one call, with intervals.

:func:`battery` runs on any membrane model the measures that modellers of electrically stimulated nerve fibres
compare against single-fibre recordings (Bachmaier et al. 2019; Miller et al. 1999, 2001; Dynes 1996), and
returns a :class:`BatteryResult`: named entries, each a value with its unit, its definition and, where it is
random (it depends on the noise), a 95 % interval; the curves behind them (strength-duration, recovery,
facilitation, latency and jitter against firing efficiency) are on the result. :func:`battery_table` puts
several models side by side with the published ranges (:mod:`hhlib.published`).

Every stimulus starts at 0.1 ms. Deterministic entries use :func:`hhlib.threshold_current` (noise off; "fires"
for a probe = one spike more than the conditioner alone, :mod:`hhlib.thresholds`); random ones use
:func:`hhlib.thresholds.trial_thresholds` and :func:`hhlib.simulate` with the noise.
"""
from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from . import seeds
from .model import MembraneModel
from .noise import ChannelNoise, CurrentNoise
from .published import single_fibre_ranges
from .simulate import simulate
from .stats import SIGMA_QUANTILES, chi2_ppf, latency_ci, latency_stats, t_ppf
from .stimulus import BiphasicPulse, Pulse
from .thresholds import threshold_current, trial_thresholds
from .validation import check_bool, check_instance, check_int, check_real

__all__ = ["battery", "BatteryResult", "BatteryEntry", "battery_table", "ENTRY_ORDER"]

#: Order of the entries in tables.
ENTRY_ORDER = ("threshold_uA", "rheobase_uA", "chronaxie_ms", "absolute_refractory_ms", "relative_refractory_ms",
               "supernormal_min_ratio", "supernormal_at_ms", "facilitation_ratio", "biphasic_ratio",
               "biphasic_ratio_gap", "x50_uA", "rs", "latency_ms", "jitter_ms", "spontaneous_rate_hz")
#: Onset of every pulse of the battery, ms (as :data:`hhlib.thresholds.DEFAULT_STIMULUS`).
ONSET_MS = 0.1
_LEVEL = 0.95


@dataclass(frozen=True)
class BatteryEntry:
    """One measure of the battery.

    Attributes
    ----------
    name : str
    value : float
        In ``unit``.
    unit : str
        ``"µA"``, ``"ms"``, ``"Hz"`` or ``""`` (a ratio).
    definition : str
        What was measured, with the settings used.
    low, high : float or None
        95 % interval where the entry is random (depends on the noise); None for deterministic entries.
    """

    name: str
    value: float
    unit: str
    definition: str
    low: float | None = None
    high: float | None = None

    @property
    def random(self) -> bool:
        """True when the entry depends on the noise (it then has an interval)."""
        return self.low is not None

    def interval_text(self) -> str:
        return "" if not self.random else f"[{self.low:.4g}, {self.high:.4g}]"


@dataclass(frozen=True)
class BatteryResult:
    """The battery of one model at one area: entries by name, the curves behind them, settings and notes.

    Attributes
    ----------
    model_name : str
    area_cm2 : float
        Membrane area, cm².
    entries : dict
        ``{name: BatteryEntry}``, in :data:`ENTRY_ORDER` (those measured).
    curves : dict
        ``{curve: {column: tuple of float}}``: ``"strength_duration"`` (``width_ms``, ``threshold_uA``),
        ``"recovery"`` (``interval_ms``, ``ratio``, ``fitted_ratio``), ``"facilitation"`` (``interval_ms``,
        ``ratio``) and, with noise, ``"latency"`` (``amplitude_uA``, ``firing_efficiency``, ``latency_ms``,
        ``latency_low``, ``latency_high``, ``jitter_ms``, ``jitter_low``, ``jitter_high``, ``n_fired``: Miller et
        al. 1999's plot; NaN where fewer than 2 trials responded). :meth:`curve` gives numpy arrays.
    settings : dict
        Every setting used (JSON-compatible).
    notes : tuple of str
        What could not be measured and why, and caveats; printed with the table.

    Examples
    --------
    >>> import hhlib
    >>> r = hhlib.battery(hhlib.SEED_MODEL, 1e-9, noise=False)
    >>> r["threshold_uA"].value == r.value("threshold_uA") and not r["threshold_uA"].random
    True
    >>> BatteryResult.from_dict(r.to_dict()) == r
    True
    """

    model_name: str
    area_cm2: float
    entries: dict
    curves: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    notes: tuple = ()

    def __getitem__(self, name: str) -> BatteryEntry:
        if name not in self.entries:
            raise KeyError(f"no battery entry {name!r}; this result has {', '.join(self.entries)}")
        return self.entries[name]

    def value(self, name: str) -> float:
        """The value of entry ``name``."""
        return self[name].value

    def curve(self, name: str) -> dict:
        """Curve ``name`` as ``{column: ndarray}``."""
        if name not in self.curves:
            raise KeyError(f"no battery curve {name!r}; this result has {', '.join(self.curves)}")
        return {k: np.array(v, dtype=float) for k, v in self.curves[name].items()}

    def table(self) -> str:
        """One line per entry: name, value, unit, 95 % interval (random entries), definition; then the notes."""
        head = f"Single-fibre battery: {self.model_name} at {self.area_cm2:g} cm² (noise: {self.settings.get('noise')})"
        lines = [head, f"{'entry':<24}{'value':>12} {'unit':<4} {'95 % interval':<24} definition"]
        for e in self.entries.values():
            lines.append(f"{e.name:<24}{e.value:>12.4g} {e.unit:<4} {e.interval_text():<24} {e.definition}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def to_dict(self) -> dict:
        """Plain dict (JSON-compatible: ``json.dumps`` writes it; NaN as ``NaN``); :meth:`from_dict` reads it."""
        return dict(model_name=self.model_name, area_cm2=self.area_cm2,
                    entries={k: dict(value=e.value, unit=e.unit, definition=e.definition, low=e.low, high=e.high)
                             for k, e in self.entries.items()},
                    curves={c: {k: list(v) for k, v in cols.items()} for c, cols in self.curves.items()},
                    settings=dict(self.settings), notes=list(self.notes))

    @classmethod
    def from_dict(cls, d: dict) -> BatteryResult:
        """The result written by :meth:`to_dict` (also after a JSON round trip)."""
        entries = {k: BatteryEntry(k, float(e["value"]), e["unit"], e["definition"],
                                   None if e["low"] is None else float(e["low"]),
                                   None if e["high"] is None else float(e["high"])) for k, e in d["entries"].items()}
        curves = {c: {k: tuple(float(x) for x in v) for k, v in cols.items()} for c, cols in d["curves"].items()}
        return cls(d["model_name"], float(d["area_cm2"]), entries, curves, dict(d["settings"]), tuple(d["notes"]))

    def __eq__(self, other) -> bool:
        if not isinstance(other, BatteryResult):
            return NotImplemented
        return json.dumps(self.to_dict(), sort_keys=True) == json.dumps(other.to_dict(), sort_keys=True)

    __hash__ = None


# --- the setup: grid, time followed after a pulse -----------------------------------------------------

@dataclass(frozen=True)
class _Setup:
    model: object
    area: float
    dt: float
    follow: float
    pulse: float
    engine: str

    def grid(self, t_ms: float) -> float:
        """``t_ms`` rounded to the nearest multiple of the step (ms, 9 decimals)."""
        return round(round(t_ms / self.dt) * self.dt, 9)

    def t_end(self, last_onset_ms: float) -> float:
        """End of a run whose last pulse starts at ``last_onset_ms``: that onset plus the time followed."""
        return round(math.ceil((last_onset_ms + self.follow) / self.dt - 1e-6) * self.dt, 9)

    def pulse_at(self, amplitude, onset_ms: float = ONSET_MS, duration_ms: float | None = None) -> Pulse:
        return Pulse(amplitude, delay_ms=self.grid(onset_ms), duration_ms=self.grid(duration_ms or self.pulse))

    def threshold(self, stimulus, last_onset_ms: float = ONSET_MS, vary=None, extra_ms: float = 0.0) -> float:
        """Noise-free threshold factor of ``stimulus`` (part ``vary`` alone if given); inf if it never fires."""
        try:
            return threshold_current(self.model, self.area, stimulus=stimulus, vary=vary, dt_ms=self.dt,
                                     t_end_ms=self.t_end(last_onset_ms + extra_ms), rtol=1e-5, engine=self.engine)
        except ValueError as exc:
            if "does not fire even" in str(exc):
                return math.inf
            raise


def _follow_ms(model, area, dt, pulse, engine) -> float:
    """Time followed after a pulse's onset for its spike: max(1.9 ms, 3 x the noise-free latency at 1.02 x the
    threshold measured with a 20 ms window), ms; SEED_MODEL: 1.9 (its runs end at 2 ms, as the notebooks')."""
    stim = Pulse(1.0, delay_ms=ONSET_MS, duration_ms=pulse)
    t_end = round(math.ceil((ONSET_MS + 20.0) / dt) * dt, 9)
    thr = threshold_current(model, area, stimulus=stim, dt_ms=dt, t_end_ms=t_end, engine=engine)
    first = simulate(model, Pulse(1.02 * thr, delay_ms=ONSET_MS, duration_ms=pulse), area, 1, noise=False,
                     dt_ms=dt, t_end_ms=t_end, engine=engine).first_spike_ms.ravel()[0]
    latency = 20.0 if np.isnan(first) else first - ONSET_MS
    return max(1.9, 3.0 * latency)


# --- deterministic measures ------------------------------------------------------------------------------

def _entry(name, value, unit, definition, interval=None) -> BatteryEntry:
    low, high = (None, None) if interval is None else (float(interval[0]), float(interval[1]))
    return BatteryEntry(name, float(value), unit, definition, low, high)


def _strength_duration(s: _Setup, widths_ms, rheobase_ms: float, out: dict, curves: dict, notes: list):
    """Strength-duration curve, rheobase (threshold of a ``rheobase_ms`` pulse) and chronaxie."""
    widths = sorted({s.grid(w) for w in widths_ms})
    thr = [s.threshold(s.pulse_at(1.0, duration_ms=w), extra_ms=w) for w in widths]
    curves["strength_duration"] = dict(width_ms=tuple(widths), threshold_uA=tuple(thr))
    rheo = s.threshold(s.pulse_at(1.0, duration_ms=rheobase_ms), extra_ms=rheobase_ms)
    if not math.isfinite(rheo):
        notes.append(f"rheobase_uA, chronaxie_ms not measured: a {rheobase_ms:g} ms pulse does not fire the model "
                     "up to the search limit (accommodation?)")
        return
    out["rheobase_uA"] = _entry("rheobase_uA", rheo, "µA", f"threshold of a {rheobase_ms:g} ms monophasic pulse")
    below = [i for i, t in enumerate(thr) if t <= 2.0 * rheo]
    if not below or below[0] == 0:
        notes.append(f"chronaxie_ms not measured: the strength-duration curve ({widths[0]:g}-{widths[-1]:g} ms) does "
                     "not cross twice the rheobase inside its range")
        return
    k_lo, k_hi = round(widths[below[0] - 1] / s.dt), round(widths[below[0]] / s.dt)
    t_lo, t_hi = thr[below[0] - 1], thr[below[0]]
    while k_hi - k_lo > 1:                             # bisect on the grid: thr(k_lo) > 2 rheobase >= thr(k_hi)
        k = (k_lo + k_hi) // 2
        t = s.threshold(s.pulse_at(1.0, duration_ms=k * s.dt), extra_ms=k * s.dt)
        k_lo, t_lo, k_hi, t_hi = (k_lo, t_lo, k, t) if t <= 2.0 * rheo else (k, t, k_hi, t_hi)
    frac = math.log(t_lo / (2.0 * rheo)) / math.log(t_lo / t_hi)
    out["chronaxie_ms"] = _entry("chronaxie_ms", (k_lo + frac) * s.dt, "ms",
                                 "pulse width at twice the rheobase: threshold interpolated in log between the "
                                 "two grid widths that bracket it")


def _pair(s: _Setup, conditioner_uA, interval_ms, probe_uA=1.0):
    """Conditioner at 0.1 ms + probe ``interval_ms`` later (onset to onset), both ``s.pulse`` long."""
    return s.pulse_at(conditioner_uA) + s.pulse_at(probe_uA, onset_ms=ONSET_MS + interval_ms)


def _probe_fires(s: _Setup, conditioner_uA, interval_ms, probe_uA) -> bool:
    """Noise-free: does the probe add a spike to the conditioner's (same run, probe off and on)?"""
    stim = _pair(s, conditioner_uA, interval_ms, np.array([0.0, probe_uA]))
    counts = simulate(s.model, stim, s.area, 1, noise=False, dt_ms=s.dt, engine=s.engine,
                      t_end_ms=s.t_end(ONSET_MS + interval_ms)).spike_counts.ravel()
    return bool(counts[1] > counts[0])


def _absolute_refractory(s: _Setup, cond_uA, probe_uA, max_ms: float, notes: list) -> float | None:
    """Shortest grid interval at which the probe (``probe_uA``) fires after the conditioner, by bisection."""
    k_lo = round(s.pulse / s.dt)                       # the probe right after the conditioner
    if _probe_fires(s, cond_uA, k_lo * s.dt, probe_uA):
        notes.append("absolute_refractory_ms: the probe fires already when it follows the conditioner directly: "
                     "the value is the shortest interval tried (an upper bound)")
        return k_lo * s.dt
    k_hi = 2 * k_lo
    while not _probe_fires(s, cond_uA, k_hi * s.dt, probe_uA):
        k_lo, k_hi = k_hi, 2 * k_hi
        if k_hi * s.dt > max_ms:
            notes.append(f"absolute_refractory_ms not measured: the probe did not fire up to {max_ms:g} ms")
            return None
    while k_hi - k_lo > 1:
        k = (k_lo + k_hi) // 2
        k_lo, k_hi = (k_lo, k) if _probe_fires(s, cond_uA, k * s.dt, probe_uA) else (k, k_hi)
    return round(k_hi * s.dt, 9)


def _log_recovery(t, arp, rrp):
    """log of the PHAST recovery ratio 1 / (1 - exp(-(t - ARP) / RRP))."""
    return -np.log(-np.expm1(-(np.asarray(t) - arp) / rrp))


def _fit_rrp(intervals, ratios, arp: float, notes: list):
    """RRP of the PHAST form fitted (least squares in log ratio) to the recovery points above the ARP up to
    the first ratio <= 1 (the form cannot go below 1): (RRP ms, rms error of the log ratio, points used); RRP is
    None where fewer than 2 such points."""
    t, r = np.asarray(intervals), np.asarray(ratios)
    use = (t > arp) & np.isfinite(r)
    first_recovered = np.flatnonzero(use & (r <= 1.0))
    if first_recovered.size:
        use &= t < t[first_recovered[0]]
    if use.sum() < 2:
        notes.append("relative_refractory_ms not measured: fewer than 2 recovery points with a ratio above 1 "
                     "beyond the absolute refractory period")
        return None, math.nan, 0
    t, r = t[use], r[use]

    def loss(log_rrp):
        return float(np.sum((_log_recovery(t, arp, math.exp(log_rrp)) - np.log(r)) ** 2))

    span = t.max() - arp
    bounds = (math.log(span / 1e3), math.log(span * 1e3))
    res = optimize.minimize_scalar(loss, bounds=bounds, method="bounded", options=dict(xatol=1e-9))
    if min(abs(res.x - b) for b in bounds) < 1e-3:
        notes.append(f"relative_refractory_ms: the fit ended at the edge of its search range ({span / 1e3:.3g}-"
                     f"{span * 1e3:.3g} ms): the recovery curve is not of the PHAST form")
    return math.exp(res.x), math.sqrt(loss(res.x) / t.size), int(t.size)


def _recovery(s: _Setup, thr, opts, out: dict, curves: dict, notes: list):
    """Absolute and relative refractory periods, the recovery curve and its supernormal minimum."""
    cond = opts["conditioner_factor"] * thr
    arp = _absolute_refractory(s, cond, opts["arp_probe_factor"] * thr, opts["max_interval_ms"], notes)
    if arp is None:
        return
    out["absolute_refractory_ms"] = _entry(
        "absolute_refractory_ms", arp, "ms",
        f"shortest interval (onset to onset, to the step) at which a probe of {opts['arp_probe_factor']:g} x threshold "
        f"evokes a spike after a conditioner of {opts['conditioner_factor']:g} x threshold (bisection)")
    grid = opts["recovery_intervals_ms"] or [arp * f for f in RECOVERY_FACTORS]
    intervals = sorted({s.grid(t) for t in grid if s.grid(t) > 0})
    ratios = [s.threshold(_pair(s, cond, t), last_onset_ms=ONSET_MS + t, vary=1) / thr for t in intervals]
    rrp, rms, n_fit = _fit_rrp(intervals, ratios, arp, notes)
    fitted = [float(np.exp(_log_recovery(t, arp, rrp))) if rrp and t > arp else math.nan for t in intervals]
    curves["recovery"] = dict(interval_ms=tuple(intervals), ratio=tuple(ratios), fitted_ratio=tuple(fitted))
    if rrp is not None:
        out["relative_refractory_ms"] = _entry(
            "relative_refractory_ms", rrp, "ms",
            f"RRP of the PHAST form ratio = 1 / (1 - exp(-(t - ARP) / RRP)), ARP fixed, least squares in log ratio "
            f"over the {n_fit} recovery points above the ARP before the ratio first reaches 1 (rms error "
            f"{100 * rms:.2g} %)")
    if not np.isfinite(ratios).any():
        notes.append("supernormal_min_ratio not measured: the probe never fired at the recovery intervals")
        return
    i_min = int(np.nanargmin(np.where(np.isfinite(ratios), ratios, np.nan)))
    what = "supernormal (< 1)" if ratios[i_min] < 1 else "no supernormal period (>= 1)"
    span = f"over {intervals[0]:g}-{intervals[-1]:g} ms"
    out["supernormal_min_ratio"] = _entry("supernormal_min_ratio", ratios[i_min], "",
                                          f"smallest probe/single-pulse threshold ratio of the recovery curve {span}: "
                                          f"{what}")
    out["supernormal_at_ms"] = _entry("supernormal_at_ms", intervals[i_min], "ms",
                                      "interval of that smallest ratio (a point of the recovery curve)")


#: Default recovery intervals, in units of the absolute refractory period (rounded to the step).
RECOVERY_FACTORS = (1.05, 1.1, 1.2, 1.3, 1.45, 1.6, 1.8, 2.0, 2.25, 2.5, 2.75, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0, 10.0)


def _facilitation(s: _Setup, thr, opts, out: dict, curves: dict):
    """Probe threshold ratio after a subthreshold conditioner, against the interval."""
    cond = opts["facilitation_factor"] * thr
    at = s.grid(opts["facilitation_at_ms"])
    intervals = sorted({s.grid(t) for t in opts["facilitation_intervals_ms"]} | {at})
    ratios = [s.threshold(_pair(s, cond, t), last_onset_ms=ONSET_MS + t, vary=1) / thr for t in intervals]
    curves["facilitation"] = dict(interval_ms=tuple(intervals), ratio=tuple(ratios))
    out["facilitation_ratio"] = _entry(
        "facilitation_ratio", ratios[intervals.index(at)], "",
        f"probe threshold / single-pulse threshold {at:g} ms (onset to onset) after a subthreshold conditioner of "
        f"{opts['facilitation_factor']:g} x threshold ({20 * math.log10(opts['facilitation_factor']):.2g} dB)")


def _biphasic(s: _Setup, thr, gap_ms: float, out: dict):
    """Biphasic (cathodic first, symmetric, ``s.pulse`` per phase) over monophasic threshold, without/with gap."""
    for name, gap in (("biphasic_ratio", 0.0), ("biphasic_ratio_gap", s.grid(gap_ms))):
        b = BiphasicPulse(1.0, phase_duration_ms=s.pulse, gap_ms=gap, delay_ms=ONSET_MS, cathodic_first=True)
        value = s.threshold(b, extra_ms=2 * s.pulse + gap) / thr
        out[name] = _entry(name, value, "", f"threshold of a symmetric biphasic pulse (cathodic first, {s.pulse:g} ms "
                                            f"per phase, inter-phase gap {gap * 1000:g} µs) / the monophasic one")


def _deterministic(s: _Setup, opts, out: dict, curves: dict, notes: list) -> float:
    """All noise-free entries; returns the single-pulse threshold, µA."""
    thr = s.threshold(s.pulse_at(1.0))
    out["threshold_uA"] = _entry("threshold_uA", thr, "µA", f"noise-free threshold of a {s.pulse:g} ms monophasic "
                                                             "cathodic pulse")
    _strength_duration(s, opts["sd_widths_ms"], opts["rheobase_duration_ms"], out, curves, notes)
    _recovery(s, thr, opts, out, curves, notes)
    _facilitation(s, thr, opts, out, curves)
    _biphasic(s, thr, opts["biphasic_gap_ms"], out)
    return thr


# --- random measures ---------------------------------------------------------------------------------

def _resolve_noise(model, noise, notes: list):
    """The noise of the random entries: None (noise=False), the model's own, or ChannelNoise.for_model."""
    if noise is False:
        return None
    if noise is not True:
        return noise                                   # a noise object: simulate() checks it
    own = getattr(model, "noise", None)
    if own is not None and own.active:
        return own
    try:
        chosen = ChannelNoise.for_model(model)
    except ValueError as exc:
        notes.append(f"no random entries: model {model.name!r} has no noise of its own and {exc}")
        return None
    notes.append(f"model {model.name!r} carries no noise of its own: the random entries use "
                 f"ChannelNoise.for_model(model) = {chosen!r}")
    return chosen


def _bootstrap_interval(samples) -> tuple:
    """Order-statistic 2.5-97.5 % of bootstrap replicates (NaN replicates count as +inf)."""
    x = np.where(np.isnan(samples), np.inf, samples)
    return (float(np.quantile(x, (1 - _LEVEL) / 2, method="lower")),
            float(np.quantile(x, (1 + _LEVEL) / 2, method="higher")))


def _firing_curve(s: _Setup, noise, root, opts, out: dict, notes: list):
    """x50 and RS from every trial's threshold (common random numbers), bootstrap intervals; the thresholds."""
    # the trials of stream 0 without stimulus first (those with threshold 0, exactly): skip a futile search
    alone = simulate(s.model, s.pulse_at(0.0), s.area, opts["n_trials"], seed=root, noise=noise, dt_ms=s.dt,
                     t_end_ms=s.t_end(ONSET_MS), engine=s.engine, stream_ids=0, stop_after=1).fired
    never, spont, thr = 0.0, float(np.mean(alone)), None
    if spont < SIGMA_QUANTILES[0]:
        thr = trial_thresholds(s.model, s.area, opts["n_trials"], stimulus=s.pulse_at(1.0), seed=root, stream_id=0,
                               dt_ms=s.dt, t_end_ms=s.t_end(ONSET_MS), noise=noise, engine=s.engine)
        never, spont = float(np.mean(np.isinf(thr))), float(np.mean(thr == 0))
    if never >= 1 - SIGMA_QUANTILES[2] or spont >= SIGMA_QUANTILES[0]:
        notes.append(f"x50_uA, rs, latency_ms, jitter_ms not measured: {100 * spont:.3g} % of the trials fire without "
                     f"stimulus within the {s.t_end(ONSET_MS):g} ms run" + ("" if thr is None else
                     f" and {100 * never:.3g} % never fire (up to 32 x threshold)") + ", so the 15.9-84.1 % "
                     "quantiles of the thresholds are not those of a firing curve")
        return None
    with np.errstate(invalid="ignore"):
        q16, q50, q84 = np.quantile(thr, SIGMA_QUANTILES)
        rng = np.random.default_rng(seeds.child(root, 2**31))
        boot = np.quantile(thr[rng.integers(0, thr.size, (opts["n_boot"], thr.size))], SIGMA_QUANTILES, axis=1)
        rs_boot = (boot[2] - boot[0]) / (2 * boot[1])
    n = thr.size
    out["x50_uA"] = _entry("x50_uA", q50, "µA", f"median of {n} per-trial thresholds of the {s.pulse:g} ms pulse "
                                                "(50 % firing); bootstrap interval", _bootstrap_interval(boot[1]))
    out["rs"] = _entry("rs", (q84 - q16) / (2 * q50), "", "relative spread: half the 15.9-84.1 % range of the "
                                                          "per-trial thresholds over their median; bootstrap interval",
                       _bootstrap_interval(rs_boot))
    if spont > 0 or never > 0:
        notes.append(f"{100 * spont:.3g} % of the threshold trials fire without stimulus (threshold 0) and "
                     f"{100 * never:.3g} % never fire up to 32 x threshold (inf): both count in the quantiles")
    return thr


def _latency(s: _Setup, noise, root, thr, opts, out: dict, curves: dict, notes: list):
    """Latency and jitter against firing efficiency (amplitudes at quantiles of the thresholds), and at 50 %."""
    effs = sorted(set(opts["latency_efficiencies"]) | {0.5})
    amps = np.quantile(thr, effs)
    keep = np.isfinite(amps) & (amps > 0)
    effs, amps = [e for e, k in zip(effs, keep, strict=True) if k], amps[keep]
    res = simulate(s.model, s.pulse_at(amps), s.area, opts["n_trials"], seed=root, noise=noise, dt_ms=s.dt,
                   t_end_ms=s.t_end(ONSET_MS), engine=s.engine, stream_ids=np.arange(1, amps.size + 1), stop_after=1)
    st = latency_stats(res.first_spike_ms, ONSET_MS)
    lo, hi, jlo, jhi = latency_ci(res.first_spike_ms, ONSET_MS, _LEVEL)
    curves["latency"] = {k: tuple(float(x) for x in v) for k, v in dict(
        amplitude_uA=amps, firing_efficiency=res.firing_probability, latency_ms=st.latency_ms, latency_low=lo,
        latency_high=hi, jitter_ms=st.jitter_ms, jitter_low=jlo, jitter_high=jhi, n_fired=st.n_fired).items()}
    i = effs.index(0.5)
    if not np.isfinite(st.jitter_ms[i]):
        notes.append("latency_ms, jitter_ms not measured: fewer than 2 trials responded at x50")
        return
    where = (f"at x50 ({amps[i]:.4g} µA; {st.n_fired[i]} of {opts['n_trials']} trials responded, firing efficiency "
             f"{res.firing_probability[i]:.3f})")
    out["latency_ms"] = _entry("latency_ms", st.latency_ms[i], "ms", f"mean first-spike latency from the pulse onset "
                                                                     f"{where}; t interval", (lo[i], hi[i]))
    out["jitter_ms"] = _entry("jitter_ms", st.jitter_ms[i], "ms", "standard deviation of the first-spike latency "
                                                                  "(ddof 1) at x50; chi-square interval",
                              (jlo[i], jhi[i]))


def _spontaneous(s: _Setup, noise, root, opts, out: dict, notes: list):
    """Spikes/s without stimulus, with channel noise by default."""
    chosen = opts["spontaneous_noise"]
    if chosen is None:
        try:
            chosen = noise if isinstance(noise, ChannelNoise) else ChannelNoise.for_model(s.model)
        except ValueError as exc:
            notes.append(f"spontaneous_rate_hz not measured: {exc}")
            return
    n, window = opts["spontaneous_trials"], s.grid(opts["spontaneous_window_ms"])
    with warnings.catch_warnings():                    # counts stay exact; only the spike times are not needed
        warnings.filterwarnings("ignore", message=r".*had more than max_spikes", category=RuntimeWarning)
        res = simulate(s.model, s.pulse_at(0.0), s.area, n, seed=root, noise=chosen, dt_ms=s.dt, t_end_ms=window,
                       engine=s.engine, stream_ids=10_000, max_spikes=1)
    rates = res.spike_counts.ravel() * (1000.0 / window)
    mean = float(rates.mean())
    if rates.sum() > 0:
        half = t_ppf((1 + _LEVEL) / 2, n - 1) * rates.std(ddof=1) / math.sqrt(n)
        interval, how = (max(0.0, mean - half), mean + half), "t interval over the trials (floored at 0)"
    else:
        interval = (0.0, chi2_ppf(_LEVEL, 2) / 2 / (n * window / 1000.0))
        how = "no spike: exact one-sided 95 % Poisson upper bound"
    out["spontaneous_rate_hz"] = _entry("spontaneous_rate_hz", mean, "Hz", f"spikes/s without stimulus, {n} trials x "
                                                                           f"{window:g} ms, noise {chosen!r}; {how}",
                                        interval)


# --- the battery -----------------------------------------------------------------------------------------

#: Default strength-duration widths, ms (rounded to the step).
SD_WIDTHS_MS = tuple(float(w) for w in np.round(np.geomspace(0.01, 2.0, 15), 4))
#: Default facilitation intervals, ms (onset to onset).
FACILITATION_INTERVALS_MS = (0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0)
#: Default firing efficiencies of the latency curve (0.5 is always added).
LATENCY_EFFICIENCIES = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def _intervals(name, values, low_open=True):
    if values is None:
        return None
    try:
        items = [float(v) for v in values]
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a sequence of numbers (ms), got {values!r}") from exc
    if not items:
        raise ValueError(f"{name} must hold at least one value (ms), got {values!r}")
    return [check_real(f"{name}[{i}]", v, low=0.0, low_open=low_open, unit="ms") for i, v in enumerate(items)]


def _options(kw: dict) -> dict:
    """The battery's keyword settings, each checked by name (JSON-compatible values)."""
    o = dict(kw)
    o["n_trials"] = check_int("n_trials", kw["n_trials"], minimum=20)
    o["n_boot"] = check_int("n_boot", kw["n_boot"], minimum=100)
    o["spontaneous_trials"] = check_int("spontaneous_trials", kw["spontaneous_trials"], minimum=2)
    for name, low, high in (("conditioner_factor", 1.0, None), ("arp_probe_factor", 1.0, None),
                            ("facilitation_factor", 0.0, 1.0), ("rheobase_duration_ms", 0.0, None),
                            ("max_interval_ms", 0.0, None), ("spontaneous_window_ms", 0.0, None),
                            ("facilitation_at_ms", 0.0, None)):
        o[name] = check_real(name, kw[name], low=low, high=high, low_open=True, high_open=True)
    o["biphasic_gap_ms"] = check_real("biphasic_gap_ms", kw["biphasic_gap_ms"], low=0.0, unit="ms")
    o["sd_widths_ms"] = _intervals("sd_widths_ms", kw["sd_widths_ms"])
    o["recovery_intervals_ms"] = _intervals("recovery_intervals_ms", kw["recovery_intervals_ms"])
    o["facilitation_intervals_ms"] = _intervals("facilitation_intervals_ms", kw["facilitation_intervals_ms"])
    effs = [check_real(f"latency_efficiencies[{i}]", e, low=0.0, high=1.0, low_open=True, high_open=True)
            for i, e in enumerate(kw["latency_efficiencies"])]
    o["latency_efficiencies"] = effs
    if not isinstance(kw["noise"], (bool, CurrentNoise, ChannelNoise)):
        raise TypeError("noise must be True (the model's own), False (deterministic entries only) or a noise object "
                        f"(hhlib.CurrentNoise or hhlib.ChannelNoise), got {kw['noise']!r}")
    if kw["spontaneous_noise"] is not None and not isinstance(kw["spontaneous_noise"], (CurrentNoise, ChannelNoise)):
        raise TypeError("spontaneous_noise must be None (channel noise, ChannelNoise.for_model) or a noise object "
                        f"(hhlib.CurrentNoise or hhlib.ChannelNoise), got {kw['spontaneous_noise']!r}")
    return o


def battery(model: MembraneModel, area_cm2: float, *, noise=True, n_trials: int = 1000, seed=0,
            dt_ms: float = 0.0025, pulse_ms: float = 0.1, follow_ms: float | None = None,
            sd_widths_ms=SD_WIDTHS_MS, rheobase_duration_ms: float = 20.0, conditioner_factor: float = 1.5,
            arp_probe_factor: float = 20.0, recovery_intervals_ms=None, max_interval_ms: float = 200.0,
            facilitation_factor: float = 0.9, facilitation_intervals_ms=FACILITATION_INTERVALS_MS,
            facilitation_at_ms: float = 0.2, biphasic_gap_ms: float = 0.03,
            latency_efficiencies=LATENCY_EFFICIENCIES, n_boot: int = 1000, spontaneous_noise=None,
            spontaneous_trials: int = 100, spontaneous_window_ms: float = 100.0,
            engine: str = "auto") -> BatteryResult:
    """The single-fibre battery of a membrane model: one call, named entries with 95 % intervals where random.

    Every pulse starts at 0.1 ms; pulses are monophasic, cathodic (depolarising), ``pulse_ms`` long unless
    stated; intervals are onset to onset; ratios are over the single-pulse threshold ``threshold_uA``.

    Deterministic entries (noise off, :func:`hhlib.threshold_current`, relative tolerance 1e-5):

    - ``threshold_uA``: threshold of the ``pulse_ms`` (0.1 ms) pulse, µA.
    - ``rheobase_uA``: threshold of a ``rheobase_duration_ms`` (20 ms) pulse; ``chronaxie_ms``: the width
      whose threshold is twice the rheobase, interpolated (in log threshold) between the two grid widths that
      bracket it (found by bisection on the step grid below the bracketing points of the strength-duration curve
      at ``sd_widths_ms``, 0.01-2 ms; curve ``"strength_duration"``).
    - Recovery (conditioner ``conditioner_factor`` = 1.5 x threshold, probe ``pulse_ms``; curve ``"recovery"``):
      ``absolute_refractory_ms`` = the shortest interval (to the step) at which a probe of ``arp_probe_factor``
      = 20 x threshold adds a spike to the conditioner's, by bisection on that yes/no; the recovery ratio
      r(t) = probe threshold / threshold at ``recovery_intervals_ms`` (default: ARP x 1.05 ... 10, see
      :data:`RECOVERY_FACTORS`); ``relative_refractory_ms`` = RRP of the form PHAST uses,
      r(t) = 1 / (1 - exp(-(t - ARP)/RRP)), with the measured ARP, fitted by least squares in log r to the points
      above the ARP before r first reaches 1; ``supernormal_min_ratio`` and ``supernormal_at_ms``: the curve's
      smallest ratio and its interval (< 1: a supernormal period, e.g. SEED_MODEL 0.88 at 1.5 ms).
    - ``facilitation_ratio``: probe threshold ratio ``facilitation_at_ms`` (0.2 ms) after a subthreshold
      conditioner of ``facilitation_factor`` (0.9 x threshold, -0.9 dB; Dynes 1996 used -0.4 to -2 dB); curve
      ``"facilitation"`` at ``facilitation_intervals_ms`` (0.1-1 ms).
    - ``biphasic_ratio``, ``biphasic_ratio_gap``: threshold of a symmetric biphasic pulse (cathodic first,
      ``pulse_ms`` per phase) without and with an inter-phase gap of ``biphasic_gap_ms`` (30 µs) over the
      monophasic threshold.

    Random entries (``noise`` not False; 95 % intervals):

    - ``x50_uA`` and ``rs``: median and half the 15.9-84.1 % range over the median of ``n_trials`` per-trial
      thresholds (:func:`hhlib.thresholds.trial_thresholds`, stream 0), i.e. the integrated-Gaussian firing
      curve's x50 and relative spread; percentile bootstrap (``n_boot`` resamples) intervals.
    - ``latency_ms`` and ``jitter_ms``: mean and SD (ddof 1) of the first-spike latency from the pulse onset at
      x50 (``n_trials`` trials, the responding ones), t and chi-square intervals; curve ``"latency"``: both
      against firing efficiency at the thresholds' ``latency_efficiencies`` quantiles (Miller et al. 1999).
    - ``spontaneous_rate_hz``: spikes/s without stimulus in ``spontaneous_trials`` x ``spontaneous_window_ms``
      (100 x 100 ms) with ``spontaneous_noise`` (default: ``noise`` if it is a ChannelNoise, else
      ``ChannelNoise.for_model(model)`` at this area); t interval over the trials, or with no spike the exact
      one-sided Poisson bound.

    Parameters
    ----------
    model : MembraneModel
        Any model (HH1952, SEED_MODEL, :mod:`hhlib.models`, a custom :class:`hhlib.Membrane`).
    area_cm2 : float
        Membrane area, cm².
    noise : bool or noise object
        False: deterministic entries only. True: the model's own noise (a model without one:
        ``ChannelNoise.for_model(model)``, said in the notes). Or a :class:`hhlib.CurrentNoise` /
        :class:`hhlib.ChannelNoise`.
    n_trials : int
        Trials of the threshold sample and per level of the latency curve (>= 20).
    seed : None, int, SeedSequence, Generator or SeedRecord
        Root of every random stream (thresholds: stream 0; latency levels: 1, 2, ...; spontaneous: 10000;
        bootstrap: its own child).
    dt_ms : float
        Time step, ms.
    follow_ms : float, optional
        Time each run follows after its last pulse's onset, ms; default max(1.9 ms, 3 x the noise-free latency at
        1.02 x threshold): 1.9 ms for SEED_MODEL (its runs end at 2 ms, as in the notebooks), longer for slow
        models (HH1952 at 6.3 °C).
    engine : {"auto", "numba", "numpy", "cuda"}
    (the others as described above; times in ms, factors in units of ``threshold_uA``)

    Returns
    -------
    BatteryResult
        ``print(result)`` shows the table; ``result["rs"].low``; ``result.curve("recovery")``;
        ``result.to_dict()``.

    Examples
    --------
    >>> import hhlib
    >>> r = hhlib.battery(hhlib.SEED_MODEL, 1e-9, noise=False)
    >>> round(r.value("threshold_uA") * 1e8, 3)       # µA
    7.011
    >>> r.value("supernormal_min_ratio") < 1          # SEED_MODEL is supernormal after its refractory period
    True
    """
    check_instance("model", model, MembraneModel, "membrane model")
    area = check_real("area_cm2", area_cm2, low=0.0, low_open=True, unit="cm²")
    opts = _options({k: v for k, v in locals().items() if k not in ("model", "area_cm2", "area")})
    dt = check_real("dt_ms", dt_ms, low=0.0, low_open=True, unit="ms")
    pulse = check_real("pulse_ms", pulse_ms, low=0.0, low_open=True, unit="ms")
    follow = (_follow_ms(model, area, dt, pulse, engine) if follow_ms is None
              else check_real("follow_ms", follow_ms, low=0.0, low_open=True, unit="ms"))
    s = _Setup(model, area, dt, follow, pulse, engine)
    entries, curves, notes = {}, {}, []
    _deterministic(s, opts, entries, curves, notes)
    root = seeds.as_seed_sequence(seed)
    chosen = _resolve_noise(model, noise, notes)
    if chosen is not None:
        thr = _firing_curve(s, chosen, root, opts, entries, notes)
        if thr is not None:
            _latency(s, chosen, root, thr, opts, entries, curves, notes)
        _spontaneous(s, chosen, root, opts, entries, notes)
    settings = _settings(opts, s, chosen, root)
    ordered = {k: entries[k] for k in ENTRY_ORDER if k in entries}
    return BatteryResult(model.name, area, ordered, curves, settings, tuple(notes))


def _settings(opts, s: _Setup, noise, root) -> dict:
    """JSON-compatible record of the settings used."""
    out = {k: (repr(v) if k in ("noise", "spontaneous_noise", "seed") and not isinstance(v, (bool, int, type(None)))
               else v) for k, v in opts.items()}
    out.update(noise=repr(noise) if noise is not None else "off", follow_ms=s.follow, dt_ms=s.dt, pulse_ms=s.pulse,
               seed_entropy=str(root.entropy), seed_spawn_key=list(root.spawn_key))
    return out


def _cell(entry: BatteryEntry | None) -> str:
    if entry is None:
        return "-"
    return f"{entry.value:.4g}" + (f" [{entry.low:.3g}, {entry.high:.3g}]" if entry.random else "")


def battery_table(results, *, published: bool = True) -> str:
    """Several batteries side by side, one row per entry, with the published single-fibre ranges.

    Parameters
    ----------
    results : sequence of BatteryResult
    published : bool
        Add the column of published cat auditory-nerve values (:func:`hhlib.published.single_fibre_ranges`:
        range, typical value and source; "-" where none is shipped).

    Returns
    -------
    str
        A fixed-width table: entry, unit, one column per result (value and, for random entries, its 95 %
        interval; "-" where it was not measured, see that result's notes), then the published values.

    Examples
    --------
    >>> import hhlib
    >>> r = hhlib.battery(hhlib.SEED_MODEL, 1e-9, noise=False)
    >>> print(battery_table([r]).splitlines()[2])   # doctest: +NORMALIZE_WHITESPACE
    threshold_uA  µA  7.011e-08  -
    """
    results = list(results)
    for i, r in enumerate(results):
        check_instance(f"results[{i}]", r, BatteryResult, "BatteryResult")
    if not results:
        raise ValueError("results must hold at least one BatteryResult")
    check_bool("published", published)
    ranges = single_fibre_ranges() if published else {}
    names = [n for n in ENTRY_ORDER if any(n in r.entries for r in results)]
    units = {n: next(r.entries[n].unit for r in results if n in r.entries) for n in names}
    head = ["entry", "unit"] + [f"{r.model_name} ({r.area_cm2:g} cm²)" for r in results]
    head += ["published (cat AN)"] if published else []
    rows = [head]
    for n in names:
        row = [n, units[n]] + [_cell(r.entries.get(n)) for r in results]
        if published:
            p = ranges.get(n)
            row.append("-" if p is None else f"{p.text()} [{p.source}]")
        rows.append(row)
    widths = [max(len(row[j]) for row in rows) for j in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join([lines[0], "-" * len(lines[0])] + lines[1:])
