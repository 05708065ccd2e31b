"""hhlib.studies: the notebooks' computations and their caches, one module per notebook.

Layers (docs/architecture.md): studies use the core's public API (``hhlib``) and may use
:mod:`hhlib.viz`; neither of those imports this package.

Modules
-------
- :mod:`hhlib.studies.cache` - on-disk caches of heavy sweeps (``data/cache/*.npz``), keyed by their parameters
- :mod:`hhlib.studies.model_check` - notebook 01: reference checks, convergence, noise, the predecessor's integrator
- :mod:`hhlib.studies.sensitivity` - notebook 02: firing-curve families and x50 / RS maps
- :mod:`hhlib.studies.landscape` - notebook 03: loss surfaces, slices, the valley, repeated evaluations
- :mod:`hhlib.studies.optimisation` - notebook 04: fits from several starts, parameter recovery, fit curves
- :mod:`hhlib.studies.noise_models` - notebook 05: current noise against channel-number noise
- :mod:`hhlib.studies.node_models` - notebook 06: the node models' batteries against the published data
- :mod:`hhlib.studies.pulse_trains`, :mod:`hhlib.studies.phast_compare` - notebook 07: pulse-train phenomena, and
  PHAST side by side (needs the optional ``phast`` extra to rebuild its caches)

``python -m hhlib.studies`` rebuilds every registered cache with its default parameters.
"""
