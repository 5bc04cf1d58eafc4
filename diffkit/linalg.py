"""Linear algebra: dot, outer, einsum, trace, det, slogdet, inv, solve, cholesky (filled in by issue 15)."""

from __future__ import annotations

from .primitive import Primitive

LINALG_PRIMITIVES: list[Primitive] = []
