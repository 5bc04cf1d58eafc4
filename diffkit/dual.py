"""Dual numbers: a value with a tangent, and one primitive application carried out on them.

This is forward mode's arithmetic, shared by the forward sweep (``methods.forward``) and by reverse mode's
forward-over-reverse products (adjoints that are duals). Higher derivatives nest dual numbers: a dual whose value
and tangent are themselves duals of a lower *level*. Levels keep the perturbations apart (no "perturbation
confusion"): an operation works on the highest level present and treats lower-level duals as ordinary values,
evaluating the partial rules on them — which again goes through these same rules, one level down.
"""

from __future__ import annotations

import contextvars

import numpy as np

from . import domain
from .cost import Meter, record_partial
from .ops import NUMPY, PRIMITIVES, Primitive, PrimitiveArithmetic, is_constant, namespace
from .tensor_ops import shape_of

# The meter that nested dual arithmetic reports to (set for the duration of one request).
_METER: contextvars.ContextVar[Meter | None] = contextvars.ContextVar("diffkit_forward_meter", default=None)


class Dual(PrimitiveArithmetic):
    """A value with a tangent at a given nesting level; arithmetic applies the primitives' rules."""

    __slots__ = ("value", "tangent", "level")

    def __init__(self, value, tangent, level: int):
        self.value = value
        self.tangent = tangent
        self.level = level

    def _apply_primitive(self, name: str, *args, **params):
        return dual_apply(PRIMITIVES[name], *args, **params)

    @property
    def shape(self) -> tuple[int, ...]:
        return shape_of(self.value)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"Dual(level={self.level}, value={self.value!r}, tangent={self.tangent!r})"


def dual_apply(primitive: Primitive, *args, **params):
    """Apply a primitive to duals of the highest level present; lower levels ride along as values."""
    levels = [a.level for a in args if isinstance(a, Dual)]
    if not levels:  # a rule applied to plain values (e.g. log of a constant base in pow's rule)
        out = primitive.numpy(*args, **params)
        meter = _METER.get()
        if meter is not None:
            meter.op(primitive, primitive.work_of(out, args, params))
        return out
    level = max(levels)
    values = [a.value if isinstance(a, Dual) and a.level == level else a for a in args]
    tangents = [a.tangent if isinstance(a, Dual) and a.level == level else None for a in args]
    out, tangent = forward_step(primitive, values, tangents, _METER.get(), params)
    return out if tangent is None else Dual(out, tangent, level)


DUAL = namespace(lambda p: lambda *args, **params: dual_apply(p, *args, **params))


def forward_step(primitive: Primitive, values: list, tangents: list, meter: Meter | None, params=None,
                 lead: int = 0):
    """One primitive application with its tangent: out = f(values), tangent = Σᵢ ∂f/∂valueᵢ · tangentᵢ for an
    elementwise primitive, the primitive's own JVP rule for a tensor one.

    Work on plain arrays is recorded here; work on lower-level duals is recorded by the dual arithmetic itself.
    ``lead`` counts the extra leading axes of batched tangents (tensor graphs).
    """
    params = params or {}
    nested = any(isinstance(v, Dual) for v in values)
    xp = DUAL if nested else NUMPY
    domain.at(primitive.name)
    out = getattr(xp, primitive.name)(*values, **params)
    count = meter is not None and not nested
    if count:
        meter.op(primitive, primitive.work_of(out, values, params))
    if primitive.tensor:
        return out, _tensor_tangent(primitive, out, values, tangents, meter if count else None, xp, params, lead)
    tangent = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        if lead:
            t = _under_leading_axes(t, lead, np.ndim(out))
        domain.at(primitive.derivative_label)  # the derivative rule of this primitive
        partial = primitive.partials[i](xp, out, *values)
        if is_constant(partial, 0):
            continue
        if count:
            record_partial(meter, primitive, i, np.size(out))
        if is_constant(partial, 1):
            contribution = t
        elif is_constant(partial, -1):
            contribution = -t
            if count and not isinstance(t, Dual):
                meter.op("neg", np.size(contribution))
        else:
            contribution = partial * t
            if count and not isinstance(t, Dual):
                meter.op("mul", np.size(contribution))
        if tangent is None:
            tangent = contribution
        else:
            tangent = tangent + contribution
            if count and not isinstance(tangent, Dual):
                meter.op("add", np.size(tangent))
    return out, tangent


def _tensor_tangent(primitive: Primitive, out, values, tangents, meter, xp, params, lead):
    """A tensor primitive's tangent from its JVP rule (None when no argument carries one)."""
    if primitive.differentiable is not None:
        tangents = [t if d else None for t, d in zip(tangents, primitive.differentiable, strict=True)]
    if all(t is None for t in tangents):
        return None
    # An elementwise step passes a tangent on without broadcasting it (x + b with b's tangent of shape (n,) is
    # fine for the sum, which broadcasts later); a tensor rule (a sum over an axis, a matmul) needs each tangent
    # in its argument's full shape.
    tangents = [t if t is None else _full_shape(t, v, lead, xp) for t, v in zip(tangents, values, strict=True)]
    domain.at(primitive.derivative_label)
    rules = meter.numpy if meter is not None else xp  # on plain arrays, count the rule's own operations
    return primitive.jvp(rules, out, values, tangents, lead, **params)


def _full_shape(t, value, lead: int, xp):
    """A tangent broadcast to its value's shape (after ``lead`` batched-tangent axes)."""
    shape = shape_of(value)
    if shape_of(t)[lead:] == shape:
        return t
    if lead:
        t = _under_leading_axes(t, lead, len(shape))
        return np.broadcast_to(t, np.shape(t)[:lead] + shape)
    return (DUAL if isinstance(t, Dual) else xp).broadcast_like(t, value)


def _under_leading_axes(t, lead: int, ndim: int):
    """A batched tangent of a lower-rank argument (a bias) lined up under the output: (K, n) -> (K, 1, n)."""
    missing = ndim - (np.ndim(t) - lead)
    if missing <= 0:
        return t
    shape = np.shape(t)
    return np.reshape(t, shape[:lead] + (1,) * missing + shape[lead:])


def nbytes(x) -> int:
    """Bytes held by a value, a tangent or a (nested) dual."""
    if isinstance(x, Dual):
        return nbytes(x.value) + nbytes(x.tangent)
    return int(np.asarray(x).nbytes) if x is not None else 0
