"""The time grid: stimulus times are whole numbers of steps, never moved."""
from __future__ import annotations

__all__ = ["grid_steps", "GRID_TOLERANCE"]

#: Relative tolerance for a time to count as a whole number of steps (absorbs binary rounding only).
GRID_TOLERANCE = 1e-9


def grid_steps(name: str, t_ms: float, dt_ms: float) -> int:
    """Number of steps of ``dt_ms`` in ``t_ms``, which must be a whole number (never silently rounded).

    Examples
    --------
    >>> grid_steps("delay_ms", 0.1, 0.0025)
    40
    >>> grid_steps("duration_ms", 0.1, 0.07)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: duration_ms = 0.1 ms is not a whole number of time steps dt_ms = 0.07 ms (1.429 steps); ...
    """
    n = t_ms / dt_ms
    k = round(n)
    if abs(n - k) > GRID_TOLERANCE * max(1.0, abs(n)):
        raise ValueError(f"{name} = {t_ms!r} ms is not a whole number of time steps dt_ms = {dt_ms!r} ms "
                         f"({n:.4g} steps); hhlib never moves a stimulus edge or the end of a run: "
                         "choose a dt_ms that divides it")
    return int(k)
