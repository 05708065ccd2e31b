"""Generic plot helpers: data, model predictions, traces and fit results.

Each takes ``ax=None`` (new axes if None), draws only what it is given (it never simulates or fits),
returns the axes and never calls ``plt.show()``. Units: stimulus x and probabilities dimensionless,
time in ms, V in mV relative to rest.
"""
from __future__ import annotations

import numpy as np

from hhlib.stats import binomial_ci

from .style import new_axes

__all__ = ["plot_data", "plot_prediction", "plot_trace", "plot_fit", "plot_residuals", "plot_confidence_region",
           "plot_profile"]


def plot_data(data, ax=None, *, label="data", color="k", level=0.95):
    """Measured firing fractions with Wilson binomial error bars.

    Parameters
    ----------
    data : FiringData
        Stimulus levels ``x`` (normalised, dimensionless) and counts ``n_fired`` of ``n_trials``.
    ax : matplotlib Axes, optional
    label, color : str
    level : float
        Confidence level of the error bars (dimensionless, e.g. 0.95).

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax)
    low, high = binomial_ci(data.n_fired, data.n_trials, level)
    p = data.firing_probability
    ax.errorbar(data.x, p, yerr=[p - low, high - p], fmt="o", color=color, capsize=3, label=label, zorder=3)
    ax.set_xlabel("normalised stimulus x")
    ax.set_ylabel("firing probability")
    ax.set_ylim(-0.02, 1.02)
    return ax


def plot_prediction(x, p_model, n_trials, ax=None, *, data=None, label="model", color="C0", level=0.95,
                    legend_loc="upper left"):
    """Model firing probabilities with the Wilson band of a ``n_trials``-trial estimate, optionally over data.

    Parameters
    ----------
    x : array_like
        Normalised stimulus levels (dimensionless).
    p_model : array_like
        Model firing probabilities at ``x`` (dimensionless), computed by the caller.
    n_trials : int
        Trials per level behind ``p_model`` (sets the width of the binomial band).
    ax : matplotlib Axes, optional
    data : FiringData, optional
        Drawn on top with :func:`plot_data`.
    label, color : str
    level : float
        Confidence level of the band (dimensionless).
    legend_loc : str
        Where the legend goes: a matplotlib ``loc`` (``"best"``, ``"lower right"``, ...) inside the axes, or
        ``"outside"``: to the right of the axes, where it cannot hide the curve or the data (the command line's
        ``predict --plot`` uses it; save with ``bbox_inches="tight"`` to keep it in the file).

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax)
    x = np.asarray(x, dtype=float)
    p = np.asarray(p_model, dtype=float)
    low, high = binomial_ci(np.round(p * n_trials), n_trials, level)
    order = np.argsort(x)
    ax.plot(x[order], p[order], "-", color=color, label=f"{label} ({n_trials} trials per level)")
    ax.fill_between(x[order], low[order], high[order], color=color, alpha=0.25, lw=0,
                    label=f"{int(level * 100)} % binomial band")
    if data is not None:
        plot_data(data, ax)
    ax.set_xlabel("normalised stimulus x")
    ax.set_ylabel("firing probability")
    if legend_loc == "outside":
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize="small")
    else:
        ax.legend(loc=legend_loc, fontsize="small")
    return ax


def plot_trace(t_ms, v_mV, ax=None, *, label=None, **kw):
    """Membrane potential against time.

    Parameters
    ----------
    t_ms : array_like
        Sample times, ms.
    v_mV : array_like
        Membrane potential, mV relative to rest (one trace, or one per column as ``ax.plot`` takes it).
    ax : matplotlib Axes, optional
    label : str, optional
    **kw
        Passed to ``ax.plot``.

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax)
    ax.plot(t_ms, v_mV, label=label, **kw)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("V (mV re rest)")
    return ax


def plot_fit(result, curve, ax=None):
    """Data with error bars, a fitted model curve with its band, and the fit's validation prediction.

    Parameters
    ----------
    result : FitResult
        Supplies the data, the estimate (title) and the fresh validation prediction at the data's levels.
    curve : dict
        The model curve to draw, computed by the caller (e.g.
        :func:`hhlib.studies.optimisation.fit_curve`): ``x`` (normalised stimulus levels), ``p`` (firing
        probabilities, dimensionless) and ``n_trials`` (trials per level, for the binomial band).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax)
    data = result.data
    plot_prediction(curve["x"], curve["p"], int(curve["n_trials"]), ax, data=data, label="fitted model")
    ax.plot(data.x, result.validation_prediction, "s", ms=4, color="C3",
            label=f"validation ({result.validation_n_trials} trials per level)")
    ax.set_title(f"delta_v = {result.delta_v:.3f}, delta_area = {result.delta_area:.3f}")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_residuals(result, ax=None):
    """Pearson residuals ``(k - n p) / sqrt(n p (1 - p))`` of the data against the validation prediction.

    Parameters
    ----------
    result : FitResult
        Supplies the data and ``validation_prediction`` (firing probabilities at the data's levels).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax)
    data, p = result.data, np.clip(result.validation_prediction, 1e-9, 1 - 1e-9)
    r = (data.n_fired - data.n_trials * p) / np.sqrt(data.n_trials * p * (1 - p))
    ax.axhline(0, color="k", lw=0.8)
    for y in (-2, 2):
        ax.axhline(y, color="0.6", ls="--", lw=0.8)
    ax.plot(data.x, r, "o", color="C3", label=f"sum of squares {np.sum(r**2):.2f} ({result.dof} dof)")
    ax.set_xlabel("normalised stimulus x")
    ax.set_ylabel("Pearson residual (dimensionless)")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_confidence_region(result, ax=None, *, level=0.95, color="C0", label=None, coords="delta"):
    """Joint confidence region (an ellipse in log coordinates) with the estimate.

    Parameters
    ----------
    result : FitResult
        Supplies the estimate, its 1-D intervals and ``confidence_region(level)`` (the ellipse's outline).
    ax : matplotlib Axes, optional
    level : float
        Confidence level of the joint region (dimensionless).
    color : str
    label : str, optional
    coords : {"delta", "ratio"}
        ``"delta"``: delta_v against delta_area, with the 1-D 95 % intervals (the region is a thin
        ellipse along the valley). ``"ratio"``: the drive ratio (1 + delta_v)/(1 + delta_area)
        against delta_area, which opens the ellipse up. All dimensionless.

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax)
    dv, da = result.confidence_region(level)
    if coords == "ratio":
        ax.plot((1 + dv) / (1 + da), da, color=color, label=label or f"{int(level * 100)} % joint region")
        ax.plot([(1 + result.delta_v) / (1 + result.delta_area)], [result.delta_area], "*", color=color, ms=10,
                label="estimate")
        ax.set_xlabel("drive ratio (1 + delta_v)/(1 + delta_area) (dimensionless)")
    else:
        ax.plot(dv, da, color=color, label=label or f"{int(level * 100)} % joint region")
        ax.errorbar([result.delta_v], [result.delta_area],
                    xerr=[[result.delta_v - result.delta_v_ci[0]], [result.delta_v_ci[1] - result.delta_v]],
                    yerr=[[result.delta_area - result.delta_area_ci[0]], [result.delta_area_ci[1] - result.delta_area]],
                    fmt="*", color=color, ms=10, capsize=3, label="estimate, 95 % intervals")
        ax.set_xlabel("delta_v (dimensionless)")
    ax.set_ylabel("delta_area (dimensionless)")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_profile(result, ax=None, *, parabola=None):
    """Profile deviance ``min over delta_v`` against delta_area from the fit's final stage.

    Parameters
    ----------
    result : FitResult
        Supplies ``profile_w`` (log(1 + delta_area)), ``profile_deviance`` and ``fit_deviance``.
    ax : matplotlib Axes, optional
    parabola : (ndarray, ndarray), optional
        ``(delta_area, deviance)`` of a curve through the profile, computed by the caller (e.g.
        :func:`hhlib.studies.optimisation.profile_parabola`); drawn as a line if given.

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax)
    da = np.expm1(result.profile_w)
    ax.plot(da, result.profile_deviance, "o", color="C0", label=f"profile, {result.n_trials} trials per level")
    if parabola is not None:
        ax.plot(*parabola, "-", color="C0", alpha=0.6, label="parabola")
    ax.axhline(result.fit_deviance + 3.84, color="0.5", ls="--", lw=0.8, label="minimum + 3.84")
    ax.set_xlabel("delta_area (dimensionless)")
    ax.set_ylabel("deviance (dimensionless)")
    ax.legend(loc="upper right", fontsize="small")
    return ax
