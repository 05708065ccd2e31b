"""The predecessor's normalised parametrisation: stimulus scale delta_v and area change delta_area.

Amplitude ``I = I_ref (1 + delta_v) x`` (µA) and area ``A = A_ref (1 + delta_area)`` (cm²), with
``delta_v, delta_area > -1``. ``I`` multiplies the setup's stimulus, a shape of unit amplitude
(:attr:`NormalisedSetup.stimulus`: by default the predecessor's 0.1 ms pulse at 0.1 ms; any pulse, biphasic
pulse, train or waveform, or a sum of parts of which ``vary`` names the one that ``I`` scales). Without noise
the response depends only on the current density ``I/A``, i.e. on ``(1 + delta_v)/(1 + delta_area)``: the two
parameters trade off along the line ``u - w = const`` in ``u = log(1 + delta_v)``, ``w = log(1 + delta_area)``.
Only the noise, whose relative size falls as ``A^-1/2``, separates them.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from .data import FiringData, load_data, unit_stimulus
from .model import SEED_MODEL, MembraneModel
from .runspec import check_timing, resolve_noise
from .simulate import NonFiniteError, simulate, simulate_some
from .stats import binomial_deviance, latency_stats
from .stimulus import Pulse, Stimulus
from .thresholds import surely_silent
from .validation import check_bool, check_instance, check_int, check_real, probability_array, real_array, renamed

__all__ = ["NormalisedSetup", "DEFAULT_SETUP", "setup_for_data", "channel_noise_setup", "Prediction", "predict",
           "simulate_responses", "trials_that_may_fire", "mse_loss", "deviance_loss", "check_deltas", "stimulus_range",
           "check_stimulus_range", "STIMULUS_SPAN", "UNIT_PULSE"]

#: The setup's stimulus unless one is given: the predecessor's 0.1 ms pulse at 0.1 ms, of unit amplitude.
UNIT_PULSE = Pulse(1.0)


@dataclass(frozen=True, eq=False)
class NormalisedSetup:
    """The experiment behind the normalised parameters (frozen; vary with ``dataclasses.replace``).

    Attributes
    ----------
    model : MembraneModel
        Membrane (default: the predecessor's, :data:`hhlib.SEED_MODEL`).
    i_ref_uA : float
        Reference amplitude, µA (the predecessor's 1e-7).
    a_ref_cm2 : float
        Reference area, cm² (the predecessor's 1e-9 = 0.1 µm²).
    stimulus : stimulus object or its text
        The stimulus as a shape of unit amplitude (its parts' amplitudes are numbers), which the amplitude
        ``I_ref (1 + delta_v) x`` multiplies (default :data:`UNIT_PULSE`, ``Pulse(1.0)``: 0.1 ms at 0.1 ms). A
        negative unit amplitude is an anodic pulse; any part or sum of parts (:mod:`hhlib.stimulus`).
    vary : int or None
        The part of ``stimulus`` that the amplitude scales, the others fixed at their own amplitudes (µA, e.g.
        a conditioner before the probe ``parts[1]``); None (default): all parts scaled together. With ``vary``
        a trial *fires* when it spikes more often than the fixed parts alone make it spike (same noise), as in
        :func:`hhlib.thresholds.trial_thresholds`.
    dt_ms, t_end_ms : float
        Time step and simulated time, ms.
    noise : bool or noise object
        The noise of every simulation (as :func:`hhlib.simulate`'s ``noise``): True = the model's own
        (the predecessor's current noise for :data:`hhlib.SEED_MODEL`), or e.g.
        ``hhlib.ChannelNoise(600, 180)``, whose channel counts then follow the area ``A_ref (1 + delta_area)``.

    Two setups are equal when all their fields are (stimuli compared by their text form).

    Examples
    --------
    >>> import hhlib
    >>> pair = NormalisedSetup(stimulus=hhlib.Pulse(1.5e-7) + hhlib.Pulse(1.0).at(1.1), vary=1, t_end_ms=4.0)
    >>> [float(a) for a in pair.stimulus_at(2e-7).amplitudes_uA], pair.response_onset_ms
    ([1.5e-07, 2e-07], 1.1)
    """

    model: MembraneModel = SEED_MODEL
    i_ref_uA: float = 1e-7           # µA
    a_ref_cm2: float = 1e-9          # cm²
    stimulus: object = UNIT_PULSE    # unit amplitude
    vary: int | None = None          # None: all parts
    dt_ms: float = 0.0025            # ms
    t_end_ms: float = 2.0            # ms
    noise: object = True             # True (the model's own), False or a noise object

    def __post_init__(self):
        check_instance("model", self.model, MembraneModel, "membrane model")
        resolve_noise(self.noise, self.model)                # a bool or a noise object the model supports
        for name, unit in (("i_ref_uA", "µA"), ("a_ref_cm2", "cm²"), ("dt_ms", "ms"), ("t_end_ms", "ms")):
            object.__setattr__(self, name, check_real(name, getattr(self, name), low=0.0, low_open=True, unit=unit))
        stim = unit_stimulus(self.stimulus, "stimulus")
        object.__setattr__(self, "stimulus", stim)
        object.__setattr__(self, "vary", stim.check_vary(self.vary))
        check_timing(stim, self.dt_ms, self.t_end_ms)         # edges and t_end on the grid, sizes, parts end in time
        if self.unit_charge_uA_ms == 0:
            raise ValueError(f"stimulus {stim!r}: the varied part(s) (vary = {self.vary!r}) carry no current "
                             "(amplitude 0): the amplitude I_ref (1 + delta_v) x multiplies them, so give them a unit "
                             "amplitude (e.g. Pulse(1.0))")

    @classmethod
    def for_model(cls, model: MembraneModel, area_cm2: float, *, stimulus=UNIT_PULSE, vary: int | None = None,
                  noise=None, dt_ms: float = 0.0025, t_end_ms: float = 2.0) -> NormalisedSetup:
        """The setup of any model at a membrane area: reference current = its noise-free threshold there.

        ``a_ref_cm2 = area_cm2`` and ``i_ref_uA`` = the deterministic threshold of ``stimulus`` (µA, from
        :func:`hhlib.threshold_current`, rounded to 4 significant digits), so ``x = 1`` sits at the model's
        threshold and ``delta_v``, ``delta_area`` keep their meaning (relative changes of the stimulus and the area)
        whatever the model. ``noise=None`` (default): the model's own noise if it has one, otherwise channel-number
        noise from its conductances (:meth:`hhlib.ChannelNoise.for_model`, 20 pS channels, diffusion method; the
        channel counts then follow the area). Fit and explore any model with it::

            setup = NormalisedSetup.for_model(hhlib.models.FH1964, 50e-8)
            hhlib.fit(data, setup=setup); hhlib.explore(data, setup=setup)

        Examples
        --------
        >>> from hhlib.models import FH1964
        >>> s = NormalisedSetup.for_model(FH1964, 50e-8)       # a 50 µm² node
        >>> s.a_ref_cm2, s.noise.method, round(s.noise.na_per_um2)
        (5e-07, 'diffusion', 1040)
        """
        from .noise import ChannelNoise
        from .thresholds import threshold_current
        check_instance("model", model, MembraneModel, "membrane model")
        area = check_real("area_cm2", area_cm2, low=0.0, low_open=True, unit="cm²")
        if noise is None:
            noise = True if model.has_noise else ChannelNoise.for_model(model, method="diffusion")
        shape = cls(model=model, a_ref_cm2=area, stimulus=stimulus, vary=vary, dt_ms=dt_ms, t_end_ms=t_end_ms,
                    noise=noise)
        thr = threshold_current(model, area, stimulus=shape.stimulus, vary=shape.vary, dt_ms=dt_ms,
                                t_end_ms=t_end_ms)
        return dataclasses.replace(shape, i_ref_uA=float(f"{float(thr):.4g}"))   # no threshold: ValueError there

    def _key(self) -> tuple:
        return (self.model, self.i_ref_uA, self.a_ref_cm2, repr(self.stimulus), self.vary, self.dt_ms, self.t_end_ms,
                self.noise)

    def __eq__(self, other):
        return self._key() == other._key() if isinstance(other, NormalisedSetup) else NotImplemented

    def __hash__(self):
        return hash(self._key())

    def amplitude_uA(self, delta_v, x):
        """``I_ref (1 + delta_v) x``, µA."""
        return self.i_ref_uA * (1.0 + np.asarray(delta_v, dtype=float)) * np.asarray(x, dtype=float)

    def area_cm2(self, delta_area):
        """``A_ref (1 + delta_area)``, cm²."""
        return self.a_ref_cm2 * (1.0 + np.asarray(delta_area, dtype=float))

    def stimulus_at(self, amplitude_uA) -> Stimulus:
        """The stimulus simulated at ``amplitude_uA`` (µA; an array gives one condition per value): the varied
        part(s) of :attr:`stimulus` times it, the others as they are."""
        amp = np.asarray(amplitude_uA, dtype=float)
        return self.stimulus.with_amplitudes([a * amp if self.vary in (None, k) else a
                                              for k, a in enumerate(self.stimulus.amplitudes_uA)])

    @property
    def response_onset_ms(self) -> float:
        """When the varied part(s) start, ms: latencies are measured from here (the stimulus onset, or with
        ``vary`` the onset of that part)."""
        return self.stimulus.onset_ms if self.vary is None else self.stimulus.parts[self.vary].onset_ms

    @property
    def unit_charge_uA_ms(self) -> float:
        """Charge of the varied part(s) at unit amplitude up to ``t_end_ms``, µA ms (absolute values: each phase
        of a biphasic pulse counts): 0.1 for the default 0.1 ms pulse."""
        parts = self.stimulus.parts if self.vary is None else [self.stimulus.parts[self.vary]]
        return sum(abs(float(p.amplitude_uA)) * _segment_charge(seg, self.t_end_ms)
                   for p in parts for seg in p.segments_ms())

    @property
    def sim_options(self) -> dict:
        return dict(dt_ms=self.dt_ms, t_end_ms=self.t_end_ms, noise=self.noise)


def _segment_charge(segment, t_end_ms: float) -> float:
    """``integral |v(t)| dt`` of a linear segment ``(t0, t1, v0, v1)`` (ms, unit amplitude) cut at ``t_end_ms``."""
    t0, t1, v0, v1 = segment
    if t0 >= t_end_ms:
        return 0.0
    if t1 > t_end_ms:                                   # a current step (t1 = inf): up to the end of the run
        v1 = v0 if math.isinf(t1) else v0 + (v1 - v0) * (t_end_ms - t0) / (t1 - t0)
        t1 = t_end_ms
    if v0 == v1:
        return abs(v0) * (t1 - t0)
    a, b = abs(v0), abs(v1)
    mean = 0.5 * (a + b) if v0 * v1 >= 0 else 0.5 * (a * a + b * b) / (a + b)   # |v| crosses zero inside
    return mean * (t1 - t0)


DEFAULT_SETUP = NormalisedSetup()


def channel_noise_setup(method: str = "diffusion", setup: NormalisedSetup = DEFAULT_SETUP, *,
                        a_ref_cm2: float | None = None, i_ref_uA: float | None = None,
                        gamma_pS: float = 20.0) -> NormalisedSetup:
    """``setup`` with channel-number noise and a reference area (cm²) and current (µA) that suit it.

    Channel noise (:class:`hhlib.ChannelNoise`, densities from ``gamma_pS`` per channel,
    :meth:`~hhlib.ChannelNoise.for_model`) needs far larger membranes than the predecessor's current noise:
    at SEED_MODEL's 600 Na channels per µm², its 0.1 µm² reference area holds 60 channels, which fire on
    their own in almost every trial. The defaults are the setup's reference area and current times 1000 (for
    the predecessor's, 100 µm² and 1e-4 µA): the current density of every ``(delta_v, delta_area)`` is kept, so
    the deterministic valley stays where it was, and the box ``-0.9 <= delta <= 9`` spans 10 to 1000 µm².
    A setup that has channel noise already (e.g. :meth:`NormalisedSetup.for_model` of a model without noise of
    its own, at a node's area) keeps its reference area and current; only the method changes.

    Examples
    --------
    >>> s = channel_noise_setup("markov")
    >>> s.a_ref_cm2, s.i_ref_uA, s.noise.method, s.noise.na_per_um2
    (1e-06, 0.0001, 'markov', 600.0)
    """
    from .noise import ChannelNoise
    check_instance("setup", setup, NormalisedSetup)
    scale = 1.0 if isinstance(setup.noise, ChannelNoise) else 1000.0
    # x1000 to 12 significant digits: 1e-9 cm² gives 1e-06 exactly (not 1.0000000000000002e-06)
    a_ref = float(f"{setup.a_ref_cm2 * scale:.12g}") if a_ref_cm2 is None else a_ref_cm2
    i_ref = float(f"{setup.i_ref_uA * scale:.12g}") if i_ref_uA is None else i_ref_uA
    return dataclasses.replace(setup, a_ref_cm2=a_ref, i_ref_uA=i_ref,
                               noise=ChannelNoise.for_model(setup.model, method=method, gamma_pS=gamma_pS))


def setup_for_data(data: FiringData, setup: NormalisedSetup = DEFAULT_SETUP) -> NormalisedSetup:
    """The setup that describes ``data``: its stimulus unit and its stated protocol.

    - Physical-unit data (``data.stimulus_unit == "uA"``, ``x`` in µA): the reference current is 1 µA, so
      ``1 + delta_v`` is the dimensionless factor from the stated stimulus current to the membrane current
      (an electrode's coupling), and the amplitude reaching the membrane is ``(1 + delta_v) x`` µA.
    - The protocol's ``stimulus`` and ``vary`` (:class:`hhlib.data.Protocol`: a pulse, biphasic or anodic, a
      train, a conditioner + probe pair, ...) set the setup's; its ``area_cm2`` sets the reference area
      ``A_ref`` (cm²: the fitted area is ``A_ref (1 + delta_area)``).
    - Normalised data without a protocol (the shipped data) get ``setup`` unchanged.

    Parameters
    ----------
    data : FiringData
    setup : NormalisedSetup
        The starting point (model, time step, ...). If it is not :data:`DEFAULT_SETUP`, a value that the
        data state differently is an error rather than silently replaced.

    Returns
    -------
    NormalisedSetup

    Raises
    ------
    ValueError
        An explicit ``setup`` that contradicts the data, or a protocol that the setup's timing cannot simulate
        (e.g. a stimulus that ends after ``t_end_ms``).

    Examples
    --------
    >>> from hhlib.data import FiringData, Protocol
    >>> d = FiringData([60.0, 70.0, 80.0], [1, 5, 9], [10, 10, 10], stimulus_unit="uA",
    ...                protocol=Protocol(stimulus="BiphasicPulse(1.0, 0.05, gap_ms=0.025)", area_cm2=2e-9))
    >>> s = setup_for_data(d)
    >>> s.i_ref_uA, s.a_ref_cm2, type(s.stimulus.parts[0]).__name__, round(s.stimulus.end_ms, 6)
    (1.0, 2e-09, 'BiphasicPulse', 0.225)
    """
    check_instance("data", data, FiringData)
    check_instance("setup", setup, NormalisedSetup)
    prot = data.protocol
    wanted = {"a_ref_cm2": prot.area_cm2, "i_ref_uA": 1.0 if data.stimulus_unit == "uA" else None}
    wanted = {k: float(v) for k, v in wanted.items() if v is not None}
    if prot.stimulus is not None:
        wanted.update(stimulus=prot.stimulus, vary=prot.vary)
    if setup is not DEFAULT_SETUP:
        clash = {k: v for k, v in wanted.items() if repr(getattr(setup, k)) != repr(v)}
        if clash:
            k, v = next(iter(clash.items()))
            raise ValueError(f"setup.{k} = {getattr(setup, k)!r} contradicts the data ({data.source}), which imply "
                             f"{k} = {v!r}; pass a setup that agrees, or none")
    try:
        return dataclasses.replace(setup, **wanted) if wanted else setup
    except ValueError as exc:
        raise ValueError(f"the data's protocol ({data.source}) in the setup: {exc}") from None


#: How far (a factor either way) the data's stimulus may lie from the membrane's own current scale: beyond it
#: the fitted ``1 + delta_v`` would fall below ~1e-12 (or rise above ~1e12) and ``delta_v`` (near -1) would keep
#: too few digits of it, or none (:func:`stimulus_range`).
STIMULUS_SPAN = 1e12


def stimulus_range(setup: NormalisedSetup = DEFAULT_SETUP) -> tuple:
    """The stimulus values ``x`` that can be fitted with ``setup``, in the data's unit (normalised or µA).

    The membrane's own current scale is its charging current ``I_c = c_m A_ref 20 mV / Q`` (µA: the amplitude
    whose varied part(s), of charge ``Q`` per unit amplitude (:attr:`NormalisedSetup.unit_charge_uA_ms`, the
    pulse's duration for a pulse), depolarise the reference area by 20 mV; for brief pulses within a factor of
    a few of the threshold: 2e-7 against 7e-8 µA for SEED_MODEL at 1e-9 cm² and 0.1 ms). The fitted
    ``1 + delta_v`` is about ``I_c / (I_ref x)``; ``x`` must lie within :data:`STIMULUS_SPAN` of
    ``I_c / I_ref`` either way, so that ``1 + delta_v`` stays representable by ``delta_v``.

    Returns
    -------
    (low, high) : tuple of float
        In the data's unit: normalised ``x`` (dimensionless), or µA for physical-unit data (``I_ref = 1 µA``).

    Examples
    --------
    >>> lo, hi = stimulus_range()
    >>> f"{lo:.3g} {hi:.3g}"
    '2e-12 2e+12'
    """
    check_instance("setup", setup, NormalisedSetup)
    scale = setup.model.c_m * setup.a_ref_cm2 * 20.0 / setup.unit_charge_uA_ms / setup.i_ref_uA
    return scale / STIMULUS_SPAN, scale * STIMULUS_SPAN


def check_stimulus_range(data: FiringData, setup: NormalisedSetup) -> None:
    """ValueError naming the data's stimulus values and :func:`stimulus_range` if any lies outside it."""
    lo, hi = stimulus_range(setup)
    x = data.x
    if np.all((x >= lo) & (x <= hi)):
        return
    if data.stimulus_unit == "normalised":
        what, unit = "the data's stimulus values x (normalised)", ""
    else:
        what, unit = "the data's stimulus values (their amplitude column, in µA)", " µA"
    raise ValueError(f"{what} must lie in [{lo:.3g}, {hi:.3g}]{unit} for this setup, got {x.min():.4g} to "
                     f"{x.max():.4g}{unit} ({data.source}): within {STIMULUS_SPAN:g} either way of the membrane's "
                     f"charging current over I_ref (hhlib.normalised.stimulus_range), else 1 + delta_v cannot be "
                     "represented")


@dataclass(frozen=True)
class Prediction:
    """What :func:`predict` returns with ``return_latency=True``: firing probability, latency and jitter.

    Attributes
    ----------
    firing_probability : ndarray, shape ``broadcast(delta_v, delta_area) + x.shape``
        Fraction of the simulated trials that fired (dimensionless).
    latency_ms, jitter_ms : ndarray, same shape
        Mean and standard deviation (``ddof = 1``) of the first-spike latency from the pulse onset over the
        trials that fired, ms (:func:`hhlib.stats.latency_stats`); NaN where none fired (jitter: fewer than 2).
    n_fired : ndarray of int, same shape
    n_trials : int
    """

    firing_probability: np.ndarray
    latency_ms: np.ndarray
    jitter_ms: np.ndarray
    n_fired: np.ndarray
    n_trials: int


def check_deltas(delta_v, delta_area):
    """Validate ``delta_v, delta_area > -1`` and finite; return them as float arrays."""
    out = []
    for name, val in (("delta_v", delta_v), ("delta_area", delta_area)):
        arr = real_array(name, val, "dimensionless")
        if np.any(arr <= -1):
            raise ValueError(f"{name} must be > -1 (the scale 1 + {name} must be positive), got {val!r}")
        out.append(arr)
    return out


def predict(delta_v, delta_area, x=None, *, n_trials: int | None = None, seed=None,
            setup: NormalisedSetup = DEFAULT_SETUP, engine: str = "auto", runs: int | None = None,
            return_latency: bool = False, precision: str = "float64", noise=None):
    """Fraction of ``n_trials`` simulated trials that fired at each normalised stimulus ``x`` (and, on request,
    their first-spike latency and jitter).

    Every ``x`` level draws its own independent trials (random stream = index of ``x``); for a
    fixed ``seed`` the same noise is used at every ``(delta_v, delta_area)``: common random numbers.

    Parameters
    ----------
    delta_v, delta_area : float or array_like
        Relative change of stimulus scale and of area (> -1); arrays broadcast together.
    x : array_like, optional
        Normalised stimulus levels (default: those of the shipped data).
    n_trials : int
        Trials per level (default 1000).
    seed : None, int, SeedSequence, Generator or SeedRecord
    setup : NormalisedSetup
    engine : {"auto", "numba", "numpy", "cuda"}
    runs : int, optional
        Old name of ``n_trials`` (deprecated).
    return_latency : bool
        Return a :class:`Prediction` (firing probability, latency, jitter, counts) instead of the array of
        firing probabilities. The same simulation gives both: the probabilities are identical.
    precision : {"float64", "float32"}
        Arithmetic of the GPU engine (``"float32"`` with ``engine="cuda"`` only; see :func:`hhlib.simulate`).
    noise : bool or noise object, optional
        Overrides ``setup.noise`` (e.g. ``hhlib.ChannelNoise(600, 180)``).

    Returns
    -------
    ndarray, shape ``broadcast(delta_v, delta_area) + x.shape``, or Prediction
        Firing probabilities (or, with ``return_latency=True``, a :class:`Prediction`).

    Examples
    --------
    >>> p = predict(2.0, 3.4, [0.9, 1.0, 1.1], n_trials=500, seed=0)
    >>> p.shape, bool(p[0] < p[1] < p[2])
    ((3,), True)
    >>> r = predict(2.0, 3.4, [0.9, 1.0, 1.1], n_trials=500, seed=0, return_latency=True)
    >>> bool((r.firing_probability == p).all()), bool(r.latency_ms[0] > r.latency_ms[2])
    (True, True)
    """
    check_instance("setup", setup, NormalisedSetup)
    return_latency = check_bool("return_latency", return_latency)
    n_trials, name = renamed("runs", runs, "n_trials", n_trials, 1000)
    n_trials = check_int(name, n_trials, minimum=1)
    dv, da = check_deltas(delta_v, delta_area)
    x = load_data().x if x is None else real_array("x", x, "normalised stimulus", positive=True)
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D array of normalised stimulus levels, got shape {x.shape}")
    pshape = np.broadcast_shapes(dv.shape, da.shape)
    amp = setup.amplitude_uA(np.broadcast_to(dv, pshape)[..., None], x)
    area = np.broadcast_to(setup.area_cm2(da), pshape)[..., None]
    ids = np.broadcast_to(np.arange(x.size), pshape + x.shape)
    try:
        fired, first = simulate_responses(setup, amp, area, n_trials, seed=seed, stream_ids=ids, engine=engine,
                                          precision=precision, noise=noise)
    except NonFiniteError as exc:                    # say which of predict's own arguments made the amplitude
        raise NonFiniteError(f"{exc}; predict's amplitude is I_ref (1 + delta_v) x with I_ref = {setup.i_ref_uA:g} "
                             f"µA, x (the stimulus values) from {x.min():.4g} to {x.max():.4g} and 1 + delta_v from "
                             f"{1 + dv.min():.4g} to {1 + dv.max():.4g}") from None
    p = fired.mean(axis=-1)
    if not return_latency:
        return p
    lat = latency_stats(first, setup.response_onset_ms)
    return Prediction(p, lat.latency_ms, lat.jitter_ms, lat.n_fired, n_trials)


def simulate_responses(setup: NormalisedSetup, amplitude_uA, area_cm2, n_trials: int, *, seed=None, stream_ids=None,
                       engine: str = "auto", precision: str = "float64", noise=None, active=None):
    """Which trials fired at ``setup.stimulus_at(amplitude_uA)``, and when they responded (one definition for
    :func:`predict`, the fit's latency model and the explorer).

    - ``setup.vary`` None: a trial fired when it spiked at all (spontaneous spikes included, as the data's firing
      efficiency counts them); its response time is its first spike (one simulation, stopped at the first spike).
    - ``setup.vary = k``: a trial fired when it spiked more often than the fixed parts alone make it spike in the
      same trial (a second simulation with part ``k`` at 0, same noise), as the per-trial thresholds define it;
      its response time is its first spike at or after part ``k``'s onset (with a conditioner whose own spike
      comes after the probe's onset, that spike).

    Parameters
    ----------
    setup : NormalisedSetup
    amplitude_uA, area_cm2 : array_like
        Amplitude of the varied part(s), µA, and area, cm²; they broadcast to the conditions' shape.
    n_trials : int
    seed, stream_ids, engine, precision
        As in :func:`hhlib.simulate`.
    noise : bool or noise object, optional
        Overrides ``setup.noise``.
    active : array_like of bool, optional
        With ``setup.vary`` None: the trials to simulate (broadcast to ``cond_shape + (n_trials,)``); the others
        are reported as silent without being simulated, e.g. where the trials' own thresholds say they cannot
        fire (:func:`hhlib.thresholds.surely_silent`). Default: every trial.

    Returns
    -------
    fired : ndarray of bool, shape ``cond_shape + (n_trials,)``
    response_ms : ndarray of float, same shape
        Response time, ms from the start of the run; NaN where the trial did not fire. Latencies are measured
        from :attr:`NormalisedSetup.response_onset_ms`.
    """
    options = dict(setup.sim_options, seed=seed, stream_ids=stream_ids, engine=engine, precision=precision)
    if noise is not None:
        options["noise"] = noise
    amp = np.asarray(amplitude_uA, dtype=float)
    if setup.vary is None:
        if active is None:
            res = simulate(setup.model, setup.stimulus_at(amp), area_cm2, n_trials, stop_after=1, max_spikes=1,
                           **options)
        else:
            res = simulate_some(active, setup.model, setup.stimulus_at(amp), area_cm2, n_trials, stop_after=1,
                                max_spikes=1, **options)
        return res.fired, res.first_spike_ms
    if active is not None:
        raise ValueError("active needs setup.vary None (a pair's response is counted against its baseline, which "
                         "every trial needs)")
    base = simulate(setup.model, setup.stimulus_at(np.zeros_like(amp)), area_cm2, n_trials, **options).spike_counts
    res = simulate(setup.model, setup.stimulus_at(amp), area_cm2, n_trials, **options)
    fired = res.spike_counts > base
    t = res.spike_times_ms
    with np.errstate(invalid="ignore"):
        after = np.where(t >= setup.response_onset_ms, t, np.inf).min(axis=-1)
    return fired, np.where(fired & np.isfinite(after), after, np.nan)


def trials_that_may_fire(setup: NormalisedSetup, amplitude_uA, thresholds_uA, deterministic_uA, n_trials: int):
    """The trials worth simulating at each of the amplitudes ``amplitude_uA`` (levels,), for
    :func:`simulate_responses`' ``active``: bool (levels, n_trials), or None (all of them). A trial is skipped
    where :func:`hhlib.thresholds.surely_silent` says its own threshold (``thresholds_uA``: trial j's under the
    same noise, from :func:`hhlib.thresholds.trial_thresholds` with the same setup, area and seed; scale
    ``deterministic_uA``) rules out a spike; trials beyond that sample are simulated. The skipped trials' result is
    what the full simulation gives every trial whose firing is monotone in the amplitude (silent), so latency
    tables cost the trials that fire, not the silent ones.

    >>> import numpy as np
    >>> trials_that_may_fire(DEFAULT_SETUP, [0.9, 1.1], np.array([1.0, 1.05, np.inf]), 1.0, 4).astype(int).tolist()
    [[0, 0, 0, 1], [1, 1, 0, 1]]
    """
    if setup.vary is not None or thresholds_uA is None or not (np.isfinite(deterministic_uA) and deterministic_uA > 0):
        return None
    active = np.ones((np.size(amplitude_uA), n_trials), dtype=bool)
    k = min(n_trials, thresholds_uA.size)
    active[:, :k] = ~surely_silent(thresholds_uA[None, :k], np.asarray(amplitude_uA)[:, None], deterministic_uA)
    return active


def _check_p(p_model, data):
    check_instance("data", data, FiringData)
    p = probability_array("p_model", p_model)
    if p.shape != data.x.shape:
        raise ValueError(f"p_model must hold one probability per data level, shape {data.x.shape}, got {p.shape}")
    return p


def mse_loss(p_model, data: FiringData) -> float:
    """The predecessor's loss: mean squared difference of firing fractions (dimensionless)."""
    return float(np.mean((_check_p(p_model, data) - data.firing_probability) ** 2))


def deviance_loss(p_model, data: FiringData, *, n_model_trials: int | None = None) -> float:
    """Binomial deviance of the data under the model's firing probabilities (what the fit minimises).

    Exact: ``+inf`` where the model's probability is 0 or 1 and the data disagree. When ``p_model`` is a
    Monte Carlo fraction of ``n_model_trials`` simulated trials, a fraction of 0 or 1 only says that the
    probability is small; pass ``n_model_trials`` to score the smoothed estimate
    ``(k_sim + 1/2) / (n_model_trials + 1)`` instead (finite, and within ``1/(2 n_model_trials)`` of ``p_model``).

    Examples
    --------
    >>> d = load_data()
    >>> deviance_loss(d.firing_probability, d)
    0.0
    """
    p = _check_p(p_model, data)
    if n_model_trials is not None:
        n = check_int("n_model_trials", n_model_trials, minimum=1)
        p = (np.round(p * n) + 0.5) / (n + 1)
    return binomial_deviance(data.n_fired, data.n_trials, p)
