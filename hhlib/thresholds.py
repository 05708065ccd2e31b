"""Thresholds, one module: the deterministic threshold current, per-trial thresholds, one bracket search.

- :func:`threshold_current`: the smallest amplitude of a stimulus that makes the noise-free model fire (the
  spike rule of :mod:`hhlib.spikes`, at its level); of all its parts scaled together, or of one part
  (``vary=k``: the probe of a conditioner + probe pair), the others fixed.
- :func:`trial_thresholds`: every noisy trial's own threshold under common random numbers. With its noise
  realisation held fixed, a trial fires exactly when the amplitude reaches its threshold, so the fraction
  of trials that fire at *any* amplitude is the empirical CDF of those thresholds
  (:func:`firing_probability_from_thresholds`): a cheap, monotone, continuous-in-amplitude firing probability.
  This is what
  lets :func:`hhlib.fit` search the parameters without re-simulating at every step.
- :func:`expand_bracket` and :func:`bisect`: the one vectorised bracket-and-bisection search that both use
  (and the ``solve_ivp`` reference). Converged entries stop moving, so each result depends on its own
  entry alone, never on which others share the batch.

What "fires" means, one definition for every search (:class:`_Fires`): with ``vary=None`` (the default, all
parts scaled together) a trial fires when it spikes at all; with ``vary=k`` it fires when it spikes *more
often than the fixed parts evoke alone in the same trial* (same noise): after a suprathreshold conditioner
that is a second spike, after a subthreshold one any spike. A conditioner whose own spike comes after the
probe's onset (short intervals) is handled alike: the probe must add a spike, not merely move one.
The searches scale the varied amplitude(s): the result is the factor on them, i.e. the threshold in µA for a
part of unit amplitude (the default stimulus ``Pulse(1.0)``: 0.1 ms at 0.1 ms).
"""
from __future__ import annotations

import warnings

import numpy as np

from .engines import NormalCache, execute
from .engines.runspec import build_run_spec
from .model import MembraneModel
from .spikes import DEFAULT_LEVEL_MV
from .stimulus import Pulse, as_stimulus
from .validation import check_instance, check_int, check_real, real_array

__all__ = ["threshold_current", "trial_thresholds", "firing_probability_from_thresholds", "fraction_fired",
           "surely_silent", "expand_bracket", "bisect",
           "MAX_BRACKET_FACTOR"]

#: The searches give up above this many times the amplitude that charges the membrane by 20 mV in the pulse.
MAX_BRACKET_FACTOR = 4096.0
#: The stimulus of a threshold search unless one is given: a 0.1 ms pulse at 0.1 ms, of unit amplitude (µA).
DEFAULT_STIMULUS = Pulse(1.0)


def expand_bracket(fires, lo, hi, limit, factor: float = 2.0, known=None, skip: bool = False):
    """Raise ``hi`` (``lo`` following) by ``factor`` where ``fires(hi)`` is False, up to ``limit``.

    Parameters
    ----------
    fires : callable
        ``fires(amplitudes) -> bool array`` of the same shape.
    lo, hi, limit : ndarray
        Current bracket and the largest ``hi`` to try, per entry.
    known : ndarray of bool, optional
        Entries to leave alone (treated as found).
    skip : bool
        Call ``fires(hi, active)`` with the entries whose answer is needed (the others need not be evaluated).

    Returns
    -------
    lo, hi : ndarray
    found : ndarray of bool
        Where ``fires(hi)`` became True (elsewhere ``hi == limit`` and it never fired).
    """
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    everything = np.ones(hi.shape, dtype=bool) if known is None else ~known
    found = fires(hi, everything) if skip else fires(hi)
    found = found if known is None else found | known
    while True:
        grow = ~found & (hi < limit)
        if not grow.any():
            return lo, hi, found
        lo = np.where(grow, hi, lo)
        hi = np.where(grow, np.minimum(factor * hi, limit), hi)
        found = found | (grow & (fires(hi, grow) if skip else fires(hi)))


def bisect(fires, lo, hi, tol, n_probe: int = 1, active=None, skip: bool = False):
    """Shrink brackets ``[lo, hi]`` (``fires(lo)`` False, ``fires(hi)`` True) until ``hi - lo <= tol``.

    Each iteration tries ``n_probe`` evenly spaced amplitudes inside every unconverged bracket (``n_probe = 1``
    is bisection); converged entries (and those not ``active``) stay put, so an entry's result never depends
    on the others. ``skip=True`` (bisection only) calls ``fires(mid, todo)``: the entries still moving, so that
    ``fires`` need not evaluate the others. Returns ``(lo, hi)``.
    """
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    frac = np.arange(1, n_probe + 1) / (n_probe + 1)
    keep = np.ones(lo.shape, dtype=bool) if active is None else np.asarray(active, dtype=bool)
    todo = keep & (hi - lo > tol)
    while np.any(todo):
        if n_probe == 1:                               # bisection: fires() sees arrays shaped like lo
            mid = 0.5 * (lo + hi)
            f = fires(mid, todo) if skip else fires(mid)
            new_lo, new_hi = np.where(f, lo, mid), np.where(f, mid, hi)
        else:                                          # n-section: fires() sees lo.shape + (n_probe,)
            amps = lo[..., None] + (hi - lo)[..., None] * frac
            f = fires(amps)
            first = np.where(f.any(axis=-1), f.argmax(axis=-1), n_probe)
            new_lo = np.where(first > 0, np.take_along_axis(amps, np.maximum(first - 1, 0)[..., None], -1)[..., 0], lo)
            new_hi = np.where(first < n_probe,
                              np.take_along_axis(amps, np.minimum(first, n_probe - 1)[..., None], -1)[..., 0], hi)
        lo, hi = np.where(todo, new_lo, lo), np.where(todo, new_hi, hi)
        todo = keep & (hi - lo > tol)
    return lo, hi


def threshold_current(model: MembraneModel, area_cm2, *, stimulus=None, vary=None, dt_ms: float = 0.0025,
                      t_end_ms: float = 2.0, rtol: float = 1e-4, n_probe: int = 8, engine: str = "auto",
                      spike_threshold_mV: float = DEFAULT_LEVEL_MV, precision: str = "float64"):
    """Deterministic (noise-free) threshold of a stimulus: the factor on its varied amplitude(s), µA for unit ones.

    The smallest factor that produces a spike (``vary=k``: one spike more than the fixed parts alone) before
    ``t_end_ms``, found by vectorised n-section (``n_probe`` factors per iteration, all conditions at once) to a
    bracket of relative width ``rtol``; the bracket midpoint is returned.

    Parameters
    ----------
    model : MembraneModel
    area_cm2 : float or array_like
        Membrane area(s), cm²; broadcasts against the stimulus amplitudes.
    stimulus : stimulus object, optional
        Default :data:`DEFAULT_STIMULUS` (``Pulse(1.0)``, 0.1 ms at 0.1 ms): the result is then the threshold
        current in µA. Any part or sum of parts (``Pulse(1.5 * i_th) + Pulse(1.0, delay_ms=1.1)``).
    vary : int, optional
        The part whose amplitude is searched, the others fixed (e.g. ``1``: the probe of a pair); None (default)
        scales all parts together.
    dt_ms, t_end_ms : float
        Simulation timing, ms. A ``dt_ms`` whose predicted threshold error exceeds :data:`MAX_DT_ERROR` for this
        model gives one RuntimeWarning (:func:`dt_warning`).
    rtol : float
        Relative bracket width at convergence.
    n_probe : int
        Factors tried per iteration (1 = bisection).
    engine : {"auto", "numba", "numpy", "cuda"}
    spike_threshold_mV : float
        Detection level of the spike rule, mV above rest (:mod:`hhlib.spikes`).
    precision : {"float64", "float32"}
        Arithmetic of the GPU engine (``"float32"`` with ``engine="cuda"`` only; see :func:`hhlib.simulate`).

    Returns
    -------
    float or ndarray
        The threshold factor on the varied amplitude(s) (µA for a varied part of unit amplitude), shaped like
        ``broadcast(area_cm2, stimulus amplitudes)``.

    Raises
    ------
    ValueError
        If the model does not fire even at :data:`MAX_BRACKET_FACTOR` times the factor that charges the
        membrane by 20 mV (e.g. a sodium-blocked membrane, or a probe in the absolute refractory period), or if
        it fires without any stimulus (spontaneous firing: it has no threshold).

    Examples
    --------
    >>> import hhlib
    >>> i_th = threshold_current(hhlib.SEED_MODEL, 1e-9)
    >>> round(i_th * 1e8, 2)  # µA, i.e. 7.01e-8 µA = 70 µA/cm² for 0.1 ms
    7.01
    >>> pair = hhlib.Pulse(1.5 * i_th) + hhlib.Pulse(1.0, delay_ms=1.1)     # conditioner + probe 1 ms later
    >>> ratio = threshold_current(hhlib.SEED_MODEL, 1e-9, stimulus=pair, vary=1, t_end_ms=3.0) / i_th
    >>> round(ratio, 2)                               # relative refractory period (SEED_MODEL's rates are 12x HH's)
    2.53
    """
    check_instance("model", model, MembraneModel, "membrane model")
    stim = as_stimulus(DEFAULT_STIMULUS if stimulus is None else stimulus)
    area = real_array("area_cm2", area_cm2, "cm²", positive=True)
    rtol = check_real("rtol", rtol, low=0.0, high=1.0, low_open=True, high_open=True)
    n_probe = check_int("n_probe", n_probe, minimum=1, maximum=1024)
    opts = dict(dt_ms=dt_ms, t_end_ms=t_end_ms, engine=engine, spike_threshold_mV=spike_threshold_mV,
                precision=precision, vary=stim.check_vary(vary))
    out, shape = _threshold(model, area, stim, rtol, n_probe, opts)
    warn_coarse_dt(model, dt_ms, stacklevel=2)
    return float(out[0]) if shape == () else out.reshape(shape)


class _Fires:
    """``fires(factors)`` of a threshold search: one definition of "fires" for every search (module docstring).

    ``spec`` (built with ``stop_after=1``) has one trial per lane; ``factors`` (n_cond, n_lanes) multiply the
    varied amplitude(s). With ``vary`` set, the baseline (the fixed parts alone, factor 0: same noise) is
    simulated once per lane, followed to the end, and a lane fires when its count exceeds it; the run stops
    following a lane one spike after its baseline. Every run of the search simulates the same trials, so their
    current-noise normals are drawn once and reused (:class:`hhlib.engines.NormalCache`; identical results).
    """

    def __init__(self, spec, info=None, normals=None):
        self.spec, self.info = spec, info
        self.normals = None if spec.root is None else NormalCache() if normals is None else normals
        self.base = None
        if spec.vary is not None:
            zero = np.zeros((spec.n_cond, spec.n_trials))
            self.base = self._run(zero, np.zeros(zero.shape, dtype=np.int64))

    def _run(self, factors, stop):
        if self.info is not None:
            n = factors.size if stop is None else int(np.count_nonzero(stop >= 0))
            self.info["simulated_trials"] = self.info.get("simulated_trials", 0) + n
        return execute(self.spec, lane_scale=factors, lane_stop=stop, normals=self.normals).counts

    def __call__(self, factors, active=None):
        """Which lanes fire at ``factors``; with ``active`` (bool, same shape) only those lanes are simulated (the
        others' entries are False and meaningless)."""
        if self.base is None:
            stop = None if active is None else np.where(active, self.spec.stop_after, -1)
            return self._run(factors, stop) >= 1
        base = np.broadcast_to(self.base, factors.shape)
        return self._run(factors, base + 1 if active is None else np.where(active, base + 1, -1)) > base


def _unit_charge(spec):
    """Charge of the varied part(s) at factor 1, µA ms per condition (what sets the search's scale)."""
    rows = range(spec.n_parts) if spec.vary is None else [spec.vary]
    per_part = np.abs(spec.waveforms).sum(axis=1) * spec.dt                      # ms at unit amplitude
    return sum(np.abs(spec.amp[p]) * per_part[p] for p in rows)


def _threshold(model, area, stim, rtol, n_probe, opts):
    """The noise-free threshold search of :func:`threshold_current` (checked arguments): (flat result, shape)."""
    shape = np.broadcast_shapes(area.shape, stim.cond_shape)
    flat = np.broadcast_to(area, shape).ravel()
    opts = dict(opts, noise=False, max_spikes=1, stop_after=1)
    stim_b = stim.with_amplitudes([np.broadcast_to(a, shape).ravel() for a in stim.amplitudes_uA])
    specs = {k: build_run_spec(model, stim_b, flat, k, **opts) for k in {1, n_probe}}   # noise-free: trials = probes
    fires_of = {k: _Fires(spec) for k, spec in specs.items()}

    def fires(factors):                                # factors: (n_cond,) or (n_cond, n_probe)
        lanes = factors.reshape(flat.size, -1)
        return fires_of[lanes.shape[1]](lanes).reshape(factors.shape)

    if opts["vary"] is None and fires(np.zeros(flat.size)).any():
        raise ValueError(f"model {model.name!r} fires without any stimulus (amplitude_uA = 0 gives a spike within "
                         f"t_end_ms = {opts['t_end_ms']!r} ms without noise): it fires spontaneously, so it has no "
                         "threshold current (per-trial thresholds are measured in units of it); change the model "
                         "(e.g. its reversal potentials) so that it rests")
    charge = _unit_charge(specs[1])
    if np.any(charge == 0):
        raise ValueError("the varied part's amplitude_uA is 0 (or it carries no charge): the search scales it, so "
                         "give it a non-zero amplitude (e.g. 1.0, to get the threshold in µA)")
    passive = 20.0 * model.c_m * flat / charge         # factor that charges the membrane by ~20 mV
    lo, hi, found = expand_bracket(fires, np.zeros_like(flat), passive, MAX_BRACKET_FACTOR * passive)
    if not found.all():
        what = "the varied part" if opts["vary"] is not None else "the stimulus"
        raise ValueError(f"model {model.name!r} does not fire even when {what} is scaled by {hi.max():.3g} "
                         f"({MAX_BRACKET_FACTOR:g} times what charges the membrane by 20 mV): it cannot fire "
                         "(or, with vary, the probe falls in the absolute refractory period)")
    lo, hi = bisect(fires, lo, hi, rtol * hi, n_probe=n_probe)
    return 0.5 * (lo + hi), shape


# --- the time step: predicted threshold error ------------------------------------------------------

#: Step of the integrator's accuracy table (README), ms: predicted errors are quoted relative to it.
REFERENCE_DT_MS = 0.0025
#: Largest predicted relative threshold error that runs without a warning.
MAX_DT_ERROR = 0.01
_dt_coefficients: dict = {}


def dt_error_coefficient(model: MembraneModel):
    """``C`` of the integrator's relative threshold error ``C (dt / 2.5 µs)^2`` for this model, measured.

    The integrator is second order in dt (``README``: 2.4e-4 at 2.5 µs for :data:`hhlib.SEED_MODEL`); ``C``
    is measured once per model (and cached) by Richardson extrapolation from the noise-free threshold of
    the 0.1 ms pulse at dt = 10 µs and 5 µs: ``C = (I(10 µs) - I(5 µs)) / (12 I(5 µs))``. Measured so:
    SEED_MODEL 2.34e-4, HH1952 5.8e-6 (its rates are 12 times slower). None for a model without a
    threshold (it cannot fire, or fires on its own).

    Examples
    --------
    >>> import hhlib
    >>> round(dt_error_coefficient(hhlib.SEED_MODEL), 6)
    0.000234
    """
    try:
        hash(model)
        key = model
    except TypeError:                                  # an unhashable model: measured at every call
        key = None
    if key is not None and key in _dt_coefficients:
        return _dt_coefficients[key]
    stim, area = as_stimulus(DEFAULT_STIMULUS), np.array(1e-9)
    try:
        i10, i5 = (_threshold(model, area, stim, 1e-9, 8, dict(dt_ms=dt, t_end_ms=2.0, engine="auto", vary=None,
                                                              spike_threshold_mV=DEFAULT_LEVEL_MV,
                                                              precision="float64"))[0][0] for dt in (0.01, 0.005))
        coefficient = float(abs(i10 - i5) / (12.0 * i5))
    except ValueError:                                 # no threshold (or not integrable at these steps)
        coefficient = None
    if key is not None:
        _dt_coefficients[key] = coefficient
    return coefficient


def dt_warning(model: MembraneModel, dt_ms: float):
    """The warning text for a step whose predicted threshold error exceeds :data:`MAX_DT_ERROR`, else None.

    Steps up to :data:`REFERENCE_DT_MS` (2.5 µs, the default) are not checked.
    """
    if dt_ms <= REFERENCE_DT_MS:
        return None
    c = dt_error_coefficient(model)
    if c is None or c * (dt_ms / REFERENCE_DT_MS) ** 2 <= MAX_DT_ERROR:
        return None
    error = c * (dt_ms / REFERENCE_DT_MS) ** 2
    dt_ok = REFERENCE_DT_MS * (MAX_DT_ERROR / c) ** 0.5
    return (f"dt_ms = {dt_ms:g} ms is coarse for model {model.name!r}: the integrator's predicted threshold error "
            f"there is {100 * error:+.2g} % ({c:.3g} x (dt / 2.5 µs)^2, second order, measured for this model); "
            f"the recommended step for an error below {100 * MAX_DT_ERROR:g} % is dt_ms <= {dt_ok:.3g} ms "
            f"(hhlib's default and ChannelNoise.default_dt_ms: {REFERENCE_DT_MS} ms)")


def warn_coarse_dt(model: MembraneModel, dt_ms: float, stacklevel: int = 1):
    """Issue :func:`dt_warning`'s RuntimeWarning (if any) for the caller ``stacklevel`` frames up."""
    message = dt_warning(model, dt_ms)
    if message is not None:
        warnings.warn(message, RuntimeWarning, stacklevel=stacklevel + 1)


def trial_thresholds(model: MembraneModel, area_cm2, n_trials: int, *, stimulus=None, vary=None, seed=None,
                     stream_id: int = 0, dt_ms: float = 0.0025, t_end_ms: float = 2.0, rtol: float = 1e-3,
                     max_factor: float = 32.0, engine: str = "auto", spike_threshold_mV: float = DEFAULT_LEVEL_MV,
                     noise=True, info: dict | None = None, precision: str = "float64", guess=None,
                     normals: NormalCache | None = None, deterministic_uA=None) -> np.ndarray:
    """Threshold of every noisy trial: the factor on the stimulus's varied amplitude(s) (µA for unit ones).

    Trial ``j`` uses the noise of trial ``j`` of random stream ``stream_id`` (the numbers
    :func:`hhlib.simulate` uses for a condition with that stream id), at every area: the areas
    share one noise realisation (scaled by ``sqrt(A)``), so thresholds vary smoothly with area.
    With :class:`hhlib.ChannelNoise` a trial consumes the same uniforms (normals) at every amplitude,
    so its channels are coupled across the amplitudes tried; the areas share those random numbers, but
    their channel counts differ.

    Parameters
    ----------
    model : MembraneModel
    area_cm2 : float or array_like
        Membrane area(s), cm²; broadcasts against the stimulus amplitudes.
    n_trials : int
    stimulus : stimulus object, optional
        Default :data:`DEFAULT_STIMULUS` (``Pulse(1.0)``): thresholds in µA of the 0.1 ms pulse at 0.1 ms.
    vary : int, optional
        The part whose amplitude is searched (the others fixed; "fires" = more spikes than the fixed parts
        alone in the same trial, see the module docstring); None (default): all parts scaled together.
    seed : None, int, SeedSequence, Generator or SeedRecord
    stream_id : int
        Random stream (condition id) whose trials are used.
    dt_ms, t_end_ms : float
        Simulation timing, ms.
    rtol : float
        Bisection stops when every bracket is narrower than ``rtol`` times the deterministic
        threshold; the bracket midpoint is returned. The default 1e-3 is ~1 % of the threshold
        spread at the predecessor's areas: it blurs the firing curve by a negligible 1e-5 of its variance.
    max_factor : float
        Upper end of the search, in units of the deterministic threshold; trials that do not fire
        there get ``inf``. A trial that fires without any stimulus (its noise alone) gets exactly 0; a model
        whose noise-free version fires without any stimulus is refused (ValueError: it has no deterministic
        threshold to scale the search by).
    engine : {"auto", "numba", "numpy", "cuda"}
    spike_threshold_mV : float
        Detection level of the spike rule, mV above rest (:mod:`hhlib.spikes`).
    noise : bool or noise object
        As in :func:`hhlib.simulate` (default: the model's own).
    info : dict, optional
        If given, ``info["simulated_trials"]`` is increased by the trials simulated (all probes).
    precision : {"float64", "float32"}
        Arithmetic of the GPU engine (``"float32"`` with ``engine="cuda"`` only; see :func:`hhlib.simulate`).
    guess : array_like, optional
        Predicted thresholds (same units as the result, broadcast to its shape; NaN: no guess), e.g. the same
        trials' thresholds at a nearby area. They only make the search faster: a trial is first probed at the
        grid points of its bisection next to its guess (2-3 simulations when the guess is within a grid cell,
        besides the one without a stimulus, instead of about 14), and searched in full where that fails. The
        result is the bisection's own whenever the trial's firing is monotone in the amplitude (a trial that stays
        silent at an amplitude stays silent below it). Where it need not be (a stimulus can suppress a spike that
        the noise alone fires), the guesses are not used: at areas where any trial fires without a stimulus, and
        with ``vary``.
    normals : hhlib.engines.NormalCache, optional
        Keeps the noise's random normals between calls (e.g. a fit's searches at several areas, which share the
        trials' noise); each call draws its own otherwise. The results are the same either way.
    deterministic_uA : float or array_like, optional
        The noise-free threshold, if already known: what :func:`threshold_current` returns for the same model,
        area(s), stimulus, ``vary``, timing, engine and precision (its default ``rtol`` and ``n_probe``; the fits pass
        it, having computed it for their guesses). It sets the search's scale; computed here when not given. A
        different value gives other grid points, not wrong thresholds (they stay within ``rtol`` of it), but skips
        the check that the noise-free model rests.

    Returns
    -------
    ndarray, shape ``broadcast(area, stimulus amplitudes) + (n_trials,)``
        Threshold factors (µA for a varied part of unit amplitude).

    Examples
    --------
    >>> import numpy as np, hhlib
    >>> thr = trial_thresholds(hhlib.SEED_MODEL, 1e-9, 500, seed=0)
    >>> bool(np.all(np.diff(np.sort(thr)) >= 0)) and thr.shape == (500,)
    True
    >>> p = firing_probability_from_thresholds(thr, 7e-8)   # fraction of these trials that fire at 7e-8 µA
    >>> 0.3 < float(p) < 0.7
    True
    """
    stim = as_stimulus(DEFAULT_STIMULUS if stimulus is None else stimulus)
    area = real_array("area_cm2", area_cm2, "cm²", positive=True)
    rtol = check_real("rtol", rtol, low=0.0, high=0.1, low_open=True, high_open=True)
    max_factor = check_real("max_factor", max_factor, low=1.0, low_open=True, unit="x the deterministic threshold")
    stream_id = check_int("stream_id", stream_id, minimum=0)
    opts = dict(dt_ms=dt_ms, t_end_ms=t_end_ms, engine=engine, spike_threshold_mV=spike_threshold_mV,
                precision=precision, vary=stim.check_vary(vary))
    if deterministic_uA is None:
        i_det, shape = _threshold(model, area, stim, 1e-4, 8, opts)
    else:
        shape = np.broadcast_shapes(area.shape, stim.cond_shape)
        known = real_array("deterministic_uA", deterministic_uA, "µA", positive=True)
        try:
            i_det = np.broadcast_to(known, shape).ravel().astype(float)
        except ValueError:
            raise ValueError(f"deterministic_uA must broadcast to the conditions' shape {shape}, got shape "
                             f"{known.shape}") from None
    stim_b = stim.with_amplitudes([np.broadcast_to(a, shape).ravel() for a in stim.amplitudes_uA])
    flat = np.broadcast_to(area, shape).ravel()
    spec = build_run_spec(model, stim_b, flat, n_trials, seed=seed, noise=noise, max_spikes=1, stop_after=1,
                          stream_ids=np.full(flat.size, stream_id), **opts)
    warn_coarse_dt(model, spec.dt, stacklevel=2)
    if normals is not None:
        check_instance("normals", normals, NormalCache, "hhlib.engines.NormalCache")
    fires, scale = _Fires(spec, info, normals), i_det[:, None] * np.ones(spec.n_trials)
    guess = None if guess is None else _check_guess(guess, shape + (spec.n_trials,)).reshape(scale.shape)
    return _searched(fires, scale, rtol, max_factor, spec.vary, guess).reshape(shape + (spec.n_trials,))


def _searched(fires, scale, rtol, max_factor, vary, guess):
    """The full search (:func:`_per_trial`), or with guesses (``vary`` None) first the guided one
    (:func:`_guided`) for the lanes of conditions where no trial fires without a stimulus (the full search's first
    run): a trial whose noise alone fires it is where firing need not be monotone in the amplitude."""
    if guess is None or vary is not None:
        return _per_trial(fires, scale, rtol, max_factor, vary)
    spontaneous = fires(np.zeros_like(scale))
    quiet = ~spontaneous.any(axis=1, keepdims=True)
    out, rest = _guided(fires, scale, rtol, np.where(quiet, guess, np.nan))
    out, rest = _from_sample(fires, scale, rtol, out, rest & quiet & np.isnan(guess), rest)
    if rest.any():
        out = np.where(rest, _per_trial(fires, scale, rtol, max_factor, vary, lanes=rest, spontaneous=spontaneous),
                       out)
    return out


def _from_sample(fires, scale, rtol, out, lanes, rest, min_found: int = 100):
    """The guided search for ``lanes`` without a guess of their own, from the thresholds found in their condition:
    each trial's threshold predicted from its own current noise (:func:`_noise_prediction`; about 4 runs instead of
    13), else guessed at the median, and searched outward in steps of half the prediction's error (about 9 runs
    at the median). Returns the updated ``(out, rest)``."""
    found = ~np.isnan(out)
    rows = lanes.any(axis=1) & (found.sum(axis=1) >= min_found)
    if not rows.any():
        return out, rest
    cell = 0.75 * rtol * scale[:, :1]                      # the mean width of a bisection cell (of [0.5, 2] x scale)
    guess, gap = np.full(scale.shape, np.nan), np.ones(scale.shape, dtype=np.int64)
    for c in np.flatnonzero(rows):
        sample = out[c, found[c]]
        q25, q50, q75 = np.percentile(sample, [25, 50, 75])
        guess[c], spread = q50, (q75 - q25) / 1.35
        predicted = _noise_prediction(fires, c, out[c], found[c])
        if predicted is not None:
            guess[c], spread = predicted
        gap[c] = max(1, int(0.5 * spread / cell[c, 0]))      # half a standard deviation, in cells
    out2, rest2 = _guided(fires, scale, rtol, np.where(lanes, guess, np.nan), gap=gap, probes=16)
    took = lanes & ~rest2
    return np.where(took, out2, out), rest & ~took


#: Most bins of a trial's noise in :func:`_noise_prediction` (one per 5 steps of the default 2 ms at 2.5 µs), the
#: fewest found thresholds per bin, and the most numbers in its feature matrix (trials x bins: 32 MB).
_NOISE_BINS, _FOUND_PER_BIN, _MAX_FEATURES = 160, 12, 4_000_000


def _noise_prediction(fires, c, thresholds, found):
    """Every trial's threshold in condition ``c`` predicted from its current noise: least squares of the found
    thresholds on the trials' normals summed over runs of steps (:meth:`hhlib.engines.NormalCache.binned`), which
    explain all but a few % of their spread (at the shipped fit's optimum 4 % of the standard deviation with 160
    bins, from 2000 found). Returns ``(prediction for every trial, the residuals' standard deviation)``, or None
    (no current-noise normals held: channel noise, the numpy or GPU engine; too few found thresholds; a prediction
    no better than the sample's own spread). Only guesses: the searched result does not depend on them."""
    ok = found & np.isfinite(thresholds) & (thresholds > 0)
    n_bins = min(_NOISE_BINS, int(ok.sum()) // _FOUND_PER_BIN, fires.spec.n_steps, _MAX_FEATURES // ok.size)
    if fires.normals is None or fires.base is not None or n_bins < 4:
        return None
    features = fires.normals.binned(fires.spec, c, n_bins)
    if features is None:
        return None
    design = np.column_stack([np.ones(features.shape[0]), features])
    coef = np.linalg.lstsq(design[ok], thresholds[ok], rcond=None)[0]
    predicted = design @ coef
    residual = thresholds[ok] - predicted[ok]
    sd = float(np.sqrt(residual @ residual / max(1, int(ok.sum()) - design.shape[1])))
    if not (np.all(np.isfinite(predicted)) and sd < np.std(thresholds[ok])):
        return None
    return predicted, sd


def _per_trial(fires, scale, rtol, max_factor, vary, lanes=None, spontaneous=None):
    """Bracket and bisect every trial's threshold factor (``scale``: the deterministic one per lane); with
    ``lanes`` (bool) only those lanes are searched (the others are not simulated; their entries are NaN);
    ``spontaneous``: the lanes that fire without a stimulus, if already known (the search's first run)."""
    lanes = np.ones(scale.shape, dtype=bool) if lanes is None else lanes
    if spontaneous is None:
        zero = np.zeros(scale.shape, dtype=bool)
        spontaneous = fires(np.zeros_like(scale), lanes) if vary is None else zero
    spontaneous = spontaneous & lanes
    # bracket: most trials lie within [0.5, 2] x the deterministic threshold; [0, 0.5] or wider where needed
    half = 0.5 * scale
    low_fires = fires(half, lanes & ~spontaneous)
    lo, hi = np.where(low_fires, 0.0, half), np.where(low_fires, half, 2.0 * scale)
    lo, hi, found = expand_bracket(fires, lo, hi, max_factor * scale, factor=4.0, known=spontaneous | ~lanes,
                                   skip=True)
    never = ~found & ~spontaneous
    lo, hi = bisect(fires, lo, hi, rtol * scale, active=found & ~spontaneous & lanes, skip=True)
    out = np.where(never, np.inf, np.where(spontaneous, 0.0, 0.5 * (lo + hi)))
    return np.where(lanes, out, np.nan)


#: Fine grid of the guided search: a bisection bracket's points are indexed in units of its width / 2**52.
_FINE = 2**52
#: Most probes of the guided search per trial before it falls back to the full search.
GUIDED_PROBES = 6


def _replay(lo, hi, tol, t):
    """The bracket :func:`bisect` ends with, from ``[lo, hi]`` (the same arithmetic, hence the same numbers), for a
    trial whose firing changes inside the grid cell holding fine index ``t`` (in 1..2**52; fires at a point of
    fine index ``i`` iff ``i >= t``). Returns ``lo, hi`` and their fine indices."""
    ia, ib = np.zeros(lo.shape, dtype=np.int64), np.full(lo.shape, _FINE, dtype=np.int64)
    todo = hi - lo > tol
    while np.any(todo):
        mid, im = 0.5 * (lo + hi), (ia + ib) >> 1
        up, down = todo & (im < t), todo & (im >= t)
        lo, hi = np.where(up, mid, lo), np.where(down, mid, hi)
        ia, ib = np.where(up, im, ia), np.where(down, im, ib)
        todo = hi - lo > tol
    return lo, hi, ia, ib


def _guided(fires, scale, rtol, guess, gap=None, probes=None):
    """Thresholds from guesses: the bisection cell (of the bracket [0.5, 2] x ``scale`` that :func:`_per_trial`
    uses) is found by probing grid points next to the guess, outward, then by bisection on the grid.

    Returns ``(out, fallback)``: the midpoint of the cell :func:`_per_trial` would end with (the same number when the
    trial's firing is monotone in the amplitude: any grid point below its threshold then stays silent, any one above
    fires) and the lanes without a result (no guess or a guess outside the bracket, a cell not found in ``probes``
    probes (default :data:`GUIDED_PROBES`), or a threshold outside the bracket), which need the full search.
    ``gap``: the first step outward, in grid cells (default 1: a guess within about a cell).
    """
    lo0, hi0, tol = 0.5 * scale, 2.0 * scale, rtol * scale
    ok = np.isfinite(guess) & (guess > lo0) & (guess <= hi0)
    with np.errstate(invalid="ignore"):
        t = np.clip(np.floor((guess - lo0) / (hi0 - lo0) * _FINE), 0, _FINE - 1)
    _, _, ia, ib = _replay(lo0, hi0, tol, np.where(ok, t, 0).astype(np.int64) + 1)
    step = ib - ia
    a, b = np.full(scale.shape, -1, dtype=np.int64), np.full(scale.shape, -1, dtype=np.int64)
    gap = np.ones(scale.shape, dtype=np.int64) if gap is None else gap
    done = ~ok
    for _ in range(GUIDED_PROBES if probes is None else probes):
        todo = ~done
        if not todo.any():
            break
        p = np.where(a < 0, np.where(b < 0, ib, np.maximum(b - gap * step, 0)),
                     np.where(b < 0, np.minimum(a + gap * step, _FINE), a + (b - a) // step // 2 * step))
        lo_p, _, ia_p, _ = _replay(lo0, hi0, tol, np.minimum(p, _FINE - 1) + 1)
        point = np.where(p == _FINE, hi0, lo_p)
        f = fires(point, todo)
        gap = np.where(todo & ((a < 0) ^ (b < 0)), 2 * gap, gap)          # galloping outward from one side
        a, b = np.where(todo & ~f, p, a), np.where(todo & f, p, b)
        outside = todo & ((f & (p == 0)) | (~f & (p == _FINE)) | ((p < _FINE) & (ia_p != p)))
        ok &= ~outside
        done |= outside | (todo & (a >= 0) & (b - a == step))
    found = ok & (a >= 0) & (b - a == step)
    lo, hi, _, _ = _replay(lo0, hi0, tol, np.where(found, b, 1))
    return np.where(found, 0.5 * (lo + hi), np.nan), ~found


def _check_guess(guess, shape):
    """``guess`` as a float array of ``shape`` (NaN allowed: no guess), or a TypeError/ValueError naming it."""
    try:
        g = np.asarray(guess, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"guess must be real numbers (predicted thresholds, µA; NaN for none), got {guess!r}") from None
    try:
        return np.broadcast_to(g, shape)
    except ValueError:
        raise ValueError(f"guess must broadcast to the result's shape {shape} (areas x trials), got shape "
                         f"{g.shape}") from None


def surely_silent(thresholds_uA, amplitude_uA, deterministic_uA, *, rtol: float = 1e-3, max_factor: float = 32.0):
    """Where a trial cannot fire at ``amplitude_uA``, from its own threshold, if its firing is monotone in the
    amplitude (what the thresholds assume): below the silent end of its bisection cell, less one more cell width
    against rounding; a trial that never fired (``inf``) only up to ``max_factor`` x the noise-free threshold,
    where its search stopped. ``thresholds_uA``, ``rtol`` and ``max_factor`` as :func:`trial_thresholds` found and
    used them, ``deterministic_uA`` its scale (the noise-free threshold); all broadcast. bool array.

    >>> surely_silent([1.0, 1.01, 0.0, np.inf], 0.9995, 1.0).tolist()     # the cell is 1e-3 wide
    [False, True, False, True]
    """
    thr, cell = np.asarray(thresholds_uA, dtype=float), rtol * np.asarray(deterministic_uA, dtype=float)
    limit = np.where(np.isinf(thr), max_factor * np.asarray(deterministic_uA, dtype=float), thr - cell)
    return np.asarray(amplitude_uA, dtype=float) < limit


def firing_probability_from_thresholds(thresholds_uA, amplitude_uA, *, smooth: bool = False):
    """Fraction of trials whose threshold is at most ``amplitude_uA`` (the empirical CDF).

    Parameters
    ----------
    thresholds_uA : array_like, shape (..., n_trials)
        Per-trial thresholds from :func:`trial_thresholds`, µA: each >= 0, ``inf`` for a trial that never
        fires; at least one trial. NaN (a threshold that is not known) is refused, never counted as
        "never fires".
    amplitude_uA : array_like
        Amplitudes, µA (finite); broadcast against ``thresholds_uA[..., 0]``.
    smooth : bool
        Interpolate linearly between consecutive order statistics (a continuous, piecewise-linear
        CDF; differs from the step CDF by at most ``1/n_trials``), for optimisers.

    Returns
    -------
    ndarray
        Fractions in [0, 1].

    Examples
    --------
    >>> firing_probability_from_thresholds([1.0, 2.0, float("inf"), 0.0], 1.5).tolist()
    0.5
    >>> firing_probability_from_thresholds([1.0, float("nan")], 1.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: thresholds_uA must not contain NaN (a trial's threshold is >= 0 µA, ...); got NaN at index (1,)
    """
    thr = np.sort(_check_thresholds(thresholds_uA), axis=-1)
    amp = real_array("amplitude_uA", amplitude_uA, "µA") if np.size(amplitude_uA) else np.asarray(amplitude_uA, float)
    return _empirical_cdf(thr, amp, smooth)


def _check_thresholds(thresholds_uA):
    thr = np.asarray(thresholds_uA)
    if thr.dtype == bool or not (np.issubdtype(thr.dtype, np.integer) or np.issubdtype(thr.dtype, np.floating)):
        raise TypeError(f"thresholds_uA must be real numbers (µA), got dtype {thr.dtype}")
    if thr.ndim == 0 or thr.shape[-1] == 0:
        raise ValueError(f"thresholds_uA must hold at least one trial along its last axis, got shape {thr.shape}: "
                         "the firing probability of an empty sample is undefined")
    thr = thr.astype(float)
    for bad, what in ((np.isnan(thr), "NaN"), (thr < 0, "a negative threshold")):
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"thresholds_uA must not contain {what} (a trial's threshold is >= 0 µA, or inf if "
                             f"it never fires); got {what} at index {where}")
    return thr


def _empirical_cdf(thr, amp, smooth):
    n = thr.shape[-1]
    if thr.ndim == 1:
        if not smooth:
            return np.searchsorted(thr, amp, side="right") / n
        finite = thr[np.isfinite(thr)]
        if finite.size == 0:                           # no trial fires at any amplitude
            return np.zeros(np.shape(amp))
        ranks = np.arange(1, finite.size + 1) / n
        return np.interp(amp, finite, ranks, left=0.0, right=finite.size / n)
    shape = np.broadcast_shapes(thr.shape[:-1], amp.shape)
    thr_b = np.broadcast_to(thr, shape + (n,)).reshape(-1, n)
    amp_b = np.broadcast_to(amp, shape).ravel()
    rows = [_empirical_cdf(t, a, smooth) for t, a in zip(thr_b, amp_b, strict=True)]
    return np.array(rows).reshape(shape)


def fraction_fired(thresholds_uA, amplitude_uA, *, smooth: bool = False):
    """Old name of :func:`firing_probability_from_thresholds` (deprecated)."""
    import warnings
    warnings.warn("fraction_fired is now firing_probability_from_thresholds", DeprecationWarning, stacklevel=2)
    return firing_probability_from_thresholds(thresholds_uA, amplitude_uA, smooth=smooth)
