"""Building and rearranging arrays: concatenate, stack, axes, gathers, where and comparisons (issue 15)."""

from __future__ import annotations

from .primitive import Primitive

SHAPING_PRIMITIVES: list[Primitive] = []
