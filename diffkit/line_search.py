"""Line searches along a descent direction: strong Wolfe (Nocedal & Wright, algorithms 3.5 and 3.6) and a
backtracking Armijo search to fall back on.

Both work on φ(α) = f(x + α·d), given as a function returning (φ(α), φ'(α)) — a value and a directional
derivative, i.e. one gradient evaluation per trial step. They return the accepted step and what φ gave there,
so the caller reuses that gradient instead of computing it again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

Phi = Callable[[float], tuple[float, float]]


@dataclass(frozen=True)
class Step:
    """An accepted step length ``alpha`` with φ(alpha) and φ'(alpha), and the trial evaluations it took."""

    alpha: float
    value: float
    slope: float
    evaluations: int


def strong_wolfe(phi: Phi, value0: float, slope0: float, alpha1: float = 1.0, c1: float = 1e-4, c2: float = 0.9,
                 max_evaluations: int = 30) -> Step | None:
    """A step α satisfying the strong Wolfe conditions

        φ(α) ≤ φ(0) + c₁·α·φ'(0)   (sufficient decrease)   and   |φ'(α)| ≤ c₂·|φ'(0)|   (curvature),

    found by growing α from ``alpha1`` until it brackets such a step, then zooming in by cubic interpolation.
    ``slope0`` = φ'(0) must be negative (a descent direction). None when ``max_evaluations`` trial steps find
    none (the caller falls back to ``armijo``). A non-finite φ(α) counts as too far: the bracket shrinks.
    """
    if not slope0 < 0:
        raise ValueError("strong_wolfe needs a descent direction (phi'(0) < 0)")
    evaluations = 0
    previous = (0.0, value0, slope0)
    alpha = alpha1
    while evaluations < max_evaluations:
        value, slope = phi(alpha)
        evaluations += 1
        current = (alpha, value, slope)
        if not math.isfinite(value) or value > value0 + c1 * alpha * slope0 or (
                evaluations > 1 and value >= previous[1]):
            return _zoom(phi, value0, slope0, previous, current, c1, c2, evaluations, max_evaluations)
        if abs(slope) <= -c2 * slope0:
            return Step(alpha, value, slope, evaluations)
        if slope >= 0:
            return _zoom(phi, value0, slope0, current, previous, c1, c2, evaluations, max_evaluations)
        previous = current
        alpha *= 2.0
    return None


def _zoom(phi: Phi, value0: float, slope0: float, low: tuple, high: tuple, c1: float, c2: float,
          evaluations: int, max_evaluations: int) -> Step | None:
    """Algorithm 3.6: ``low`` is the best step so far satisfying sufficient decrease, and a step satisfying both
    conditions lies between ``low`` and ``high``; shrink the interval until one is found."""
    while evaluations < max_evaluations:
        alpha = _cubic_minimizer(low, high)
        value, slope = phi(alpha)
        evaluations += 1
        if not math.isfinite(value) or value > value0 + c1 * alpha * slope0 or value >= low[1]:
            high = (alpha, value, slope)
            continue
        if abs(slope) <= -c2 * slope0:
            return Step(alpha, value, slope, evaluations)
        if slope * (high[0] - low[0]) >= 0:
            high = low
        low = (alpha, value, slope)
    return None


def _cubic_minimizer(a: tuple, b: tuple) -> float:
    """The minimizer of the cubic through (α, φ, φ') at both ends, kept well inside the interval (bisection
    where the cubic has none there or a point is not finite)."""
    (x0, f0, d0), (x1, f1, d1) = a, b
    lo, hi = min(x0, x1), max(x0, x1)
    middle = (lo + hi) / 2
    margin = 0.1 * (hi - lo)
    if not all(math.isfinite(v) for v in (f0, d0, f1, d1)) or x0 == x1:
        return middle
    e = d0 + d1 - 3 * (f0 - f1) / (x0 - x1)
    root = e * e - d0 * d1
    if root < 0:
        return middle
    sign = 1.0 if x1 > x0 else -1.0
    r = sign * math.sqrt(root)
    denominator = d1 - d0 + 2 * r
    if denominator == 0:
        return middle
    x = x1 - (x1 - x0) * (d1 + r - e) / denominator
    return x if lo + margin <= x <= hi - margin else middle


def armijo(phi: Phi, value0: float, slope0: float, alpha1: float = 1.0, c1: float = 1e-4, shrink: float = 0.5,
           max_evaluations: int = 60) -> Step | None:
    """The first α = alpha1·shrinkᵏ with φ(α) ≤ φ(0) + c₁·α·φ'(0) (backtracking); None if none is found."""
    alpha = alpha1
    for evaluations in range(1, max_evaluations + 1):
        value, slope = phi(alpha)
        if math.isfinite(value) and value <= value0 + c1 * alpha * slope0:
            return Step(alpha, value, slope, evaluations)
        alpha *= shrink
    return None


__all__ = ["Step", "armijo", "strong_wolfe"]
