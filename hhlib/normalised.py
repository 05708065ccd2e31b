"""The predecessor's normalised parametrisation: stimulus scale delta_v and area change delta_area.

Amplitude ``I = I_ref (1 + delta_v) x`` (µA) and area ``A = A_ref (1 + delta_area)`` (cm²), with
``delta_v, delta_area > -1``. Without noise the response depends only on the current density
``I/A``, i.e. on ``(1 + delta_v)/(1 + delta_area)``: the two parameters trade off along the line
``u - w = const`` in ``u = log(1 + delta_v)``, ``w = log(1 + delta_area)``. Only the noise, whose
relative size falls as ``A^-1/2``, separates them.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .data import FiringData, load_data
from .model import SEED_MODEL, MembraneModel
from .runspec import check_timing, resolve_noise
from .simulate import NonFiniteError, simulate
from .stats import binomial_deviance, latency_stats
from .stimulus import Pulse
from .validation import check_bool, check_instance, check_int, check_real, probability_array, real_array, renamed

__all__ = ["NormalisedSetup", "DEFAULT_SETUP", "setup_for_data", "channel_noise_setup", "Prediction", "predict",
           "mse_loss", "deviance_loss", "check_deltas", "stimulus_range", "check_stimulus_range", "STIMULUS_SPAN"]


@dataclass(frozen=True)
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
    delay_ms, duration_ms : float
        The pulse, ms (0.1 ms at 0.1 ms).
    dt_ms, t_end_ms : float
        Time step and simulated time, ms.
    noise : bool or noise object
        The noise of every simulation (as :func:`hhlib.simulate`'s ``noise``): True = the model's own
        (the predecessor's current noise for :data:`hhlib.SEED_MODEL`), or e.g.
        ``hhlib.ChannelNoise(600, 180)``, whose channel counts then follow the area ``A_ref (1 + delta_area)``.
    """

    model: MembraneModel = SEED_MODEL
    i_ref_uA: float = 1e-7           # µA
    a_ref_cm2: float = 1e-9          # cm²
    delay_ms: float = 0.1            # ms
    duration_ms: float = 0.1         # ms
    dt_ms: float = 0.0025            # ms
    t_end_ms: float = 2.0            # ms
    noise: object = True             # True (the model's own), False or a noise object

    def __post_init__(self):
        check_instance("model", self.model, MembraneModel, "membrane model")
        resolve_noise(self.noise, self.model)                # a bool or a noise object the model supports
        for name, unit in (("i_ref_uA", "µA"), ("a_ref_cm2", "cm²"), ("duration_ms", "ms"), ("dt_ms", "ms"),
                           ("t_end_ms", "ms")):
            object.__setattr__(self, name, check_real(name, getattr(self, name), low=0.0, low_open=True, unit=unit))
        object.__setattr__(self, "delay_ms", check_real("delay_ms", self.delay_ms, low=0.0, unit="ms"))
        stim = Pulse(self.i_ref_uA, self.delay_ms, self.duration_ms)
        check_timing(stim, self.dt_ms, self.t_end_ms)         # edges and t_end on the grid, sizes
        stim.unit_waveform(self.dt_ms, 1)

    def amplitude_uA(self, delta_v, x):
        """``I_ref (1 + delta_v) x``, µA."""
        return self.i_ref_uA * (1.0 + np.asarray(delta_v, dtype=float)) * np.asarray(x, dtype=float)

    def area_cm2(self, delta_area):
        """``A_ref (1 + delta_area)``, cm²."""
        return self.a_ref_cm2 * (1.0 + np.asarray(delta_area, dtype=float))

    @property
    def sim_options(self) -> dict:
        return dict(dt_ms=self.dt_ms, t_end_ms=self.t_end_ms, noise=self.noise)


DEFAULT_SETUP = NormalisedSetup()


def channel_noise_setup(method: str = "diffusion", setup: NormalisedSetup = DEFAULT_SETUP, *,
                        a_ref_cm2: float = 1e-6, i_ref_uA: float = 1e-4, gamma_pS: float = 20.0) -> NormalisedSetup:
    """``setup`` with channel-number noise and a reference area (cm²) and current (µA) that suit it.

    Channel noise (:class:`hhlib.ChannelNoise`, densities from ``gamma_pS`` per channel,
    :meth:`~hhlib.ChannelNoise.for_model`) needs far larger membranes than the predecessor's current noise:
    at SEED_MODEL's 600 Na channels per µm², its 0.1 µm² reference area holds 60 channels, which fire on
    their own in almost every trial. The defaults are the predecessor's reference area and current times
    1000 (100 µm², 1e-4 µA): the current density of every ``(delta_v, delta_area)`` is kept, so the
    deterministic valley stays where it was, and the box ``-0.9 <= delta <= 9`` spans 10 to 1000 µm².

    Examples
    --------
    >>> s = channel_noise_setup("markov")
    >>> s.a_ref_cm2, s.i_ref_uA, s.noise.method, s.noise.na_per_um2
    (1e-06, 0.0001, 'markov', 600.0)
    """
    from .noise import ChannelNoise
    check_instance("setup", setup, NormalisedSetup)
    return dataclasses.replace(setup, a_ref_cm2=a_ref_cm2, i_ref_uA=i_ref_uA,
                               noise=ChannelNoise.for_model(setup.model, method=method, gamma_pS=gamma_pS))


def setup_for_data(data: FiringData, setup: NormalisedSetup = DEFAULT_SETUP) -> NormalisedSetup:
    """The setup that describes ``data``: its stimulus unit and its stated protocol.

    - Physical-unit data (``data.stimulus_unit == "uA"``, ``x`` in µA): the reference current is 1 µA, so
      ``1 + delta_v`` is the dimensionless factor from the stated stimulus current to the membrane current
      (an electrode's coupling), and the amplitude reaching the membrane is ``(1 + delta_v) x`` µA.
    - The protocol's ``delay_ms`` and ``duration_ms`` set the pulse; its ``area_cm2`` sets the reference area
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
        A biphasic or anodic protocol (the normalised setup and the fit handle monophasic cathodic pulses
        only), or an explicit ``setup`` that contradicts the data.

    Examples
    --------
    >>> from hhlib.data import FiringData, Protocol
    >>> d = FiringData([60.0, 70.0, 80.0], [1, 5, 9], [10, 10, 10], stimulus_unit="uA",
    ...                protocol=Protocol(delay_ms=0.2, duration_ms=0.05, area_cm2=2e-9))
    >>> s = setup_for_data(d)
    >>> s.i_ref_uA, s.a_ref_cm2, s.delay_ms, s.duration_ms
    (1.0, 2e-09, 0.2, 0.05)
    """
    check_instance("data", data, FiringData)
    check_instance("setup", setup, NormalisedSetup)
    prot = data.protocol
    for key, supported in (("waveform", "monophasic"), ("polarity", "cathodic")):
        value = getattr(prot, key)
        if value is not None and value != supported:
            raise ValueError(f"the data's protocol has {key} = {value!r}: the normalised setup (predict, fit) "
                             f"handles {supported} pulses only")
    wanted = {"delay_ms": prot.delay_ms, "duration_ms": prot.duration_ms, "a_ref_cm2": prot.area_cm2,
              "i_ref_uA": 1.0 if data.stimulus_unit == "uA" else None}
    wanted = {k: float(v) for k, v in wanted.items() if v is not None}
    if setup is not DEFAULT_SETUP:
        clash = {k: v for k, v in wanted.items() if getattr(setup, k) != v}
        if clash:
            k, v = next(iter(clash.items()))
            raise ValueError(f"setup.{k} = {getattr(setup, k)!r} contradicts the data ({data.source}), which imply "
                             f"{k} = {v!r}; pass a setup that agrees, or none")
    return dataclasses.replace(setup, **wanted) if wanted else setup


#: How far (a factor either way) the data's stimulus may lie from the membrane's own current scale: beyond it
#: the fitted ``1 + delta_v`` would fall below ~1e-12 (or rise above ~1e12) and ``delta_v`` (near -1) would keep
#: too few digits of it, or none (:func:`stimulus_range`).
STIMULUS_SPAN = 1e12


def stimulus_range(setup: NormalisedSetup = DEFAULT_SETUP) -> tuple:
    """The stimulus values ``x`` that can be fitted with ``setup``, in the data's unit (normalised or µA).

    The membrane's own current scale is its charging current ``I_c = c_m A_ref 20 mV / duration`` (µA: the
    amplitude that depolarises the reference area by 20 mV during the pulse; for brief pulses within a factor
    of a few of the threshold: 2e-7 against 7e-8 µA for SEED_MODEL at 1e-9 cm² and 0.1 ms). The fitted
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
    scale = setup.model.c_m * setup.a_ref_cm2 * 20.0 / setup.duration_ms / setup.i_ref_uA
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
    options = setup.sim_options if noise is None else dict(setup.sim_options, noise=noise)
    try:
        res = simulate(setup.model, Pulse(amp, setup.delay_ms, setup.duration_ms), area, n_trials, seed=seed,
                       stream_ids=ids, engine=engine, max_spikes=1, precision=precision, **options)
    except NonFiniteError as exc:                    # say which of predict's own arguments made the amplitude
        raise NonFiniteError(f"{exc}; predict's amplitude is I_ref (1 + delta_v) x with I_ref = {setup.i_ref_uA:g} "
                             f"µA, x (the stimulus values) from {x.min():.4g} to {x.max():.4g} and 1 + delta_v from "
                             f"{1 + dv.min():.4g} to {1 + dv.max():.4g}") from None
    if not return_latency:
        return res.firing_probability
    lat = latency_stats(res.first_spike_ms, setup.delay_ms)
    return Prediction(res.firing_probability, lat.latency_ms, lat.jitter_ms, lat.n_fired, n_trials)


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
