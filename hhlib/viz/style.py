"""One way to make axes, and the figure constants shared by every plot module of :mod:`hhlib.viz`."""
from __future__ import annotations

import matplotlib.pyplot as plt

__all__ = ["new_axes", "FIGSIZE", "FIG_DPI"]

#: Default figure size of a single plot, inches (width, height).
FIGSIZE = (6.0, 4.0)
#: Resolution of notebook 01's figures, dots per inch (keeps that notebook small).
FIG_DPI = 90


def new_axes(ax=None, figsize=FIGSIZE, *, nrows: int = 1, ncols: int = 1, dpi: float | None = None,
             layout: str | None = None, **subplots_kw):
    """``ax`` itself if given, else the axes of a new figure.

    Parameters
    ----------
    ax : matplotlib Axes or array of Axes, optional
        Returned unchanged when not None (nothing else is done).
    figsize : (float, float)
        Size of the new figure, inches.
    nrows, ncols : int
        Grid of new axes; with more than one, an array of Axes is returned (as ``plt.subplots``).
    dpi : float, optional
        Resolution of the new figure, dots per inch (default: matplotlib's).
    layout : str, optional
        Layout engine of the new figure (e.g. ``"constrained"``).
    **subplots_kw
        Passed to ``plt.subplots`` (``sharex``, ``height_ratios``, ...).

    Returns
    -------
    matplotlib Axes, or ndarray of Axes
    """
    if ax is not None:
        return ax
    _, ax = plt.subplots(nrows, ncols, figsize=figsize, dpi=dpi, layout=layout, **subplots_kw)
    return ax
