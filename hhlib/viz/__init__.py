"""hhlib.viz: drawing (matplotlib) and the slider explorer (ipywidgets), on top of the core.

Layers (docs/architecture.md): ``hhlib`` (the core: numpy, scipy, numba) <- ``hhlib.viz`` (draws)
<- ``hhlib.studies`` (the notebooks' computations and caches). This package imports the core only;
the core never imports it (except ``hhlib.explore`` / ``hhlib.Explorer``, resolved lazily).

Modules
-------
- :mod:`hhlib.viz.style` - :func:`new_axes` and the shared figure constants
- :mod:`hhlib.viz.plots` - data, predictions, traces and fit results
- :mod:`hhlib.viz.explorer` - :class:`Explorer`, :func:`explore` (sliders)
- :mod:`hhlib.viz.model_check`, :mod:`hhlib.viz.sensitivity`, :mod:`hhlib.viz.landscape`,
  :mod:`hhlib.viz.noise_models`, :mod:`hhlib.viz.node_models`, :mod:`hhlib.viz.pulse_trains` - the figures of
  notebooks 01, 02, 03/04, 05, 06 and 07

Every plot function takes ``ax=None`` (or ``axes=None``: new axes then), only draws what it is given
(it never simulates, fits or stores state on the axes), returns the axes and never calls ``plt.show()``.
Nothing is imported here, so ``import hhlib.viz`` alone loads no matplotlib.
"""
