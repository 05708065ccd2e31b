"""Noise models: what makes repeated trials differ.

- :class:`CurrentNoise`: the phenomenological current noise of Rattay, Lutter & Felix (2001), the
  predecessor project's noise: each step adds a current ``N(0,1) * knoise * sqrt(g A) * sqrt(dt_ref/dt)``
  (µA), ``g`` the maximal conductance density of one of the model's currents (sodium by default; for a
  Goldman-Hodgkin-Katz current its chord conductance at rest with all gates open), ``A`` the area. The
  ``sqrt(dt_ref/dt)`` factor makes it white noise of fixed intensity (equal to the original at
  ``dt = dt_ref``), so results converge as dt shrinks.
- :class:`ChannelNoise`: channel-number noise. The model's sodium (``"na"``) and potassium (``"k"``)
  currents are carried by ``N = round(density * area)`` independent channels whose gating particles
  open and close at the model's rates (Markov schemes derived from the current's gates; conductance
  ``g_max * N_open / N``, times the conductance factor of a GHK current); ``method="markov"`` follows every
  channel count exactly, ``"diffusion"`` is the channel-based Gaussian (Langevin) approximation. Algorithms:
  :mod:`hhlib.channels`, which this module imports (never the reverse).

A model carries a default noise (``model.noise``); :func:`hhlib.simulate` takes ``noise=True`` (the
model's own), ``noise=False`` (deterministic) or a noise object.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .channels import MAX_CHANNELS, UM2_PER_CM2, channel_plan
from .validation import check_choice, check_real, real_array

__all__ = ["CurrentNoise", "ChannelNoise", "CHANNEL_METHODS", "UM2_PER_CM2", "MAX_CHANNELS"]

#: Algorithms of :class:`ChannelNoise`.
CHANNEL_METHODS = ("markov", "diffusion")
#: Single-channel conductance behind the default densities, pS (Goldwyn & Shea-Brown 2011).
DEFAULT_GAMMA_PS = 20.0


@dataclass(frozen=True)
class CurrentNoise:
    """Rattay-style current noise (white, fixed intensity).

    Attributes
    ----------
    knoise : float
        Noise coefficient, µA/mS^0.5 (>= 0; 0 = no noise). The predecessor's node: 5e-5.
    dt_ref_ms : float
        Step at which one step's noise current equals ``N(0,1) knoise sqrt(g A)``, ms.
    scale_current : str
        Name of the model current whose maximal conductance density ``g`` (mS/cm²) scales the noise (a GHK
        current: its chord conductance at rest with all gates open, :meth:`hhlib.model.MembraneModel.
        maximal_conductance`).

    Examples
    --------
    >>> import hhlib
    >>> noise = CurrentNoise(5e-5)
    >>> round(float(noise.sigma_v_mV(hhlib.SEED_MODEL, dt_ms=0.0025, area_cm2=1e-9)), 4)   # mV per step
    0.1369
    """

    knoise: float
    dt_ref_ms: float = 0.0025
    scale_current: str = "na"

    def __post_init__(self):
        object.__setattr__(self, "knoise", check_real("knoise", self.knoise, low=0.0, unit="µA/mS^0.5"))
        object.__setattr__(self, "dt_ref_ms", check_real("dt_ref_ms", self.dt_ref_ms, low=0.0, low_open=True,
                                                         unit="ms"))
        if not isinstance(self.scale_current, str):
            raise TypeError(f"scale_current must be the name of a current, got {self.scale_current!r}")

    @property
    def active(self) -> bool:
        return self.knoise > 0

    def scale_conductance(self, model) -> float:
        """The maximal conductance density that scales the noise, mS/cm² (a GHK current: at rest, all open)."""
        if any(c.name == self.scale_current for c in model.currents):
            return model.maximal_conductance(self.scale_current)
        raise ValueError(f"CurrentNoise scales with current {self.scale_current!r}, which model {model.name!r} does "
                         f"not have (its currents: {[c.name for c in model.currents]})")

    def sigma_v_mV(self, model, dt_ms, area_cm2):
        """Voltage noise added per step per N(0,1), mV: ``knoise sqrt(g A) sqrt(dt_ref/dt) dt / (A c)``.

        ``area_cm2`` may be an array (one value per lane).
        """
        g = self.scale_conductance(model)
        return self.knoise * np.sqrt(g * self.dt_ref_ms * dt_ms / np.asarray(area_cm2, dtype=float)) / model.c_m

    def __repr__(self):
        return (f"CurrentNoise(knoise={self.knoise!r}, dt_ref_ms={self.dt_ref_ms!r}, "
                f"scale_current={self.scale_current!r})")


@dataclass(frozen=True)
class ChannelNoise:
    """Channel-number noise: the Na and K currents carried by finitely many stochastic channels.

    A current ``g_max * prod(x_i ** p_i) * (V - E)`` becomes ``g_max * (N_open / N) * (V - E)`` (a GHK current
    ``P prod(x_i ** p_i) GHK(V)`` becomes ``P (N_open / N) GHK(V)``, open fraction x permeability): each of its
    ``N = round(density * area_µm²)`` channels has ``p_i`` independent particles of every gate ``x_i``,
    opening at ``k alpha_i(V)`` and closing at ``k beta_i(V)`` (the model's own rates), and conducts when
    all are open (Na: 8 states m0h0 ... m3h1, K: 5 states n0 ... n4). The mean over many channels is the
    deterministic model; the fluctuations shrink like ``N^-1/2``. Initial states are drawn from the
    stationary distribution at rest. Currents without a density stay deterministic.

    Parameters
    ----------
    na_per_um2, k_per_um2 : float or None
        Channel densities of the model's currents named ``"na"`` and ``"k"``, channels per µm² (> 0);
        None keeps that current deterministic. Hodgkin-Huxley (1952) kinetics at 20 pS per channel:
        60 and 18 (Goldwyn & Shea-Brown 2011); :data:`hhlib.SEED_MODEL` (tenfold conductances): 600 and
        180. :meth:`for_model` computes them from a single-channel conductance.
    method : {"markov", "diffusion"}
        ``"markov"``: the channel counts of every state, advanced exactly for the voltage frozen over a
        step (the exact single-channel transition probabilities over dt, binomial draws by inversion).
        ``"diffusion"``: state fractions with the same exact mean step plus Gaussian noise with the
        Markov chain's exact one-step covariance (channel-based, as Orio & Soudry 2012 / Goldwyn et al.
        2011, not the subunit Fox-Lu form). Pezo, Soudry & Orio (2014) advise the Markov chain below
        about 1000 channels; for SEED_MODEL's fast kinetics the two agree from about 4000 Na channels
        on (x50 and RS of the firing curve above its spontaneous floor; README, notebook 05).
    other_per_um2 : tuple of (str, float)
        Densities of further currents by name, channels per µm² (for models with more gated currents).

    Notes
    -----
    Time step: :attr:`default_dt_ms` is the step recommended for each method, chosen from the
    convergence of firing probability in dt (``benchmarks/channel_noise_study.py``); :func:`hhlib.simulate`
    does not change its ``dt_ms`` by itself.

    Examples
    --------
    >>> import hhlib
    >>> noise = ChannelNoise.for_model(hhlib.SEED_MODEL)          # 20 pS channels
    >>> noise.na_per_um2, noise.k_per_um2
    (600.0, 180.0)
    >>> noise.channel_counts(hhlib.SEED_MODEL, 4.25e-9)           # area 0.425 µm²
    {'na': 255, 'k': 76}
    """

    na_per_um2: float | None
    k_per_um2: float | None
    method: str = "markov"
    other_per_um2: tuple = ()

    def __post_init__(self):
        for name in ("na_per_um2", "k_per_um2"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, check_real(name, value, low=0.0, low_open=True,
                                                          unit="channels per µm²"))
        check_choice("method", self.method, CHANNEL_METHODS)
        try:
            pairs = tuple((str(c), float(d)) for c, d in self.other_per_um2)
        except (TypeError, ValueError) as exc:
            raise TypeError("other_per_um2 must be (current name, channels per µm²) pairs, got "
                            f"{self.other_per_um2!r}") from exc
        for c, d in pairs:
            check_real(f"other_per_um2[{c!r}]", d, low=0.0, low_open=True, unit="channels per µm²")
        object.__setattr__(self, "other_per_um2", pairs)
        names = [c for c, _ in self.densities]
        if not names:
            raise ValueError("ChannelNoise needs at least one channel density (na_per_um2, k_per_um2 and "
                             "other_per_um2 are all empty)")
        if len(set(names)) != len(names):
            raise ValueError(f"ChannelNoise: a current has two densities ({names})")

    @property
    def active(self) -> bool:
        return True

    @property
    def densities(self) -> tuple:
        """``(current name, channels per µm²)`` of every stochastic current."""
        named = tuple((c, d) for c, d in (("na", self.na_per_um2), ("k", self.k_per_um2)) if d is not None)
        return named + self.other_per_um2

    @property
    def default_dt_ms(self) -> float:
        """Recommended time step for this method, ms (see the class notes)."""
        return DEFAULT_DT_MS[self.method]

    @classmethod
    def for_model(cls, model, method: str = "markov", gamma_pS: float = DEFAULT_GAMMA_PS) -> ChannelNoise:
        """Densities of the model's ``"na"`` and ``"k"`` currents for single channels of ``gamma_pS``.

        ``density = g_max / gamma``: 1 mS/cm² is 10 pS/µm², so ``density = 10 g_max[mS/cm²] / gamma[pS]``
        channels per µm² (HH1952 at 20 pS: 60 Na, 18 K). For a GHK current ``g_max`` is its chord conductance
        at rest with all gates open (:meth:`hhlib.model.MembraneModel.maximal_conductance`; the single
        channel's conductance is then ``gamma_pS`` at rest): :data:`hhlib.models.FH1964` at 20 pS has 1040 Na
        and 30.8 K channels per µm².
        """
        gamma = check_real("gamma_pS", gamma_pS, low=0.0, low_open=True, unit="pS")
        names = [c.name for c in model.currents]
        missing = [n for n in ("na", "k") if n not in names]
        if missing:
            raise ValueError(f"ChannelNoise.for_model needs currents named 'na' and 'k'; model {model.name!r} "
                             f"lacks {missing}")
        g = {n: model.maximal_conductance(n) for n in ("na", "k")}
        return cls(10.0 * g["na"] / gamma, 10.0 * g["k"] / gamma, method=method)

    def channel_counts(self, model, area_cm2) -> dict:
        """``N = round(density * area_µm²)`` of every stochastic current (ints, or int arrays like ``area_cm2``).

        ``area_cm2`` (cm²) must be finite and > 0 (a ValueError naming it otherwise).
        """
        area = real_array("area_cm2", area_cm2, "cm²", positive=True)
        out = {}
        for cur in channel_plan(model, self):
            n = np.round(cur.density * area * UM2_PER_CM2).astype(np.int64)
            out[cur.name] = int(n) if n.ndim == 0 else n
        return out


#: Recommended time step per channel-noise method, ms (:attr:`ChannelNoise.default_dt_ms`).
DEFAULT_DT_MS = {"markov": 0.0025, "diffusion": 0.0025}
