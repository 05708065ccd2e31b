"""Fitting named parameters to one or several data sets (what :func:`hhlib.fit` runs for ``free`` other than
today's two, or for a list of data sets): :mod:`~hhlib.fitting.params` (names, bounds, search scales),
:mod:`~hhlib.fitting.objective` (the common-random-number likelihood), :mod:`~hhlib.fitting.search` (search,
curvature, profile intervals) and :mod:`~hhlib.fitting.named` (:func:`fit_named`, :class:`NamedFitResult`)."""
from .named import NamedFitResult, fit_named
from .params import DEFAULT_FREE, FreeParameter, parse_free, valid_names

__all__ = ["NamedFitResult", "fit_named", "DEFAULT_FREE", "FreeParameter", "parse_free", "valid_names"]
