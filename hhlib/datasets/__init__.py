"""Measured data shipped with hhlib (package data, installed with the wheel).

- ``experimental.csv``: the seed project's firing counts (``x,n_fired,n_trials``, 1000 trials per
  level), read by :func:`hhlib.load_data` when no path is given.
"""
