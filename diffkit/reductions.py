"""Reductions beyond sum and mean: prod, max/min, var, std, norm, cumsum, cumprod (filled in by issue 15)."""

from __future__ import annotations

from .primitive import Primitive

REDUCTIONS_PRIMITIVES: list[Primitive] = []
