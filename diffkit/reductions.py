"""Reductions beyond sum and mean: prod, max, min, and the running forms cumsum and cumprod.

Every rule is written with table primitives through the math namespace ``xp`` (as in ``tensor_ops``), so the
rules differentiate again: reverse over reverse, dual numbers over everything, gradient graphs. Two facts carry
all of it, and no rule ever divides by an input (which would give nan at a zero):

* the product of the *other* entries along an axis is an exclusive running product from the left times one
  from the right (``shift`` of ``cumprod``), which gives prod's derivative exactly at zeros;
* a running product's tangent obeys a first-order linear recurrence, ``z[i] = a[i]·z[i-1] + b[i]``
  (``linear_scan``), whose tangent and adjoint are linear scans again, so cumprod differentiates to any order.

``max``/``min`` share the cotangent equally among tied entries (JAX's and PyTorch's ``amax`` convention); where
the entries differ it all goes to the one that wins. ``var``, ``std`` and ``norm`` are compositions of these
primitives and of sum/mean (``numpy_forms``), not entries of their own.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .errors import ConversionError
from .primitive import ARITHMETIC, Primitive
from .tensor_ops import _check_axis, _input_size, _no_work, _reduced, axes_of, ndim_of, negative_axes, shape_of

_A = ARITHMETIC


# --- Axis helpers -----------------------------------------------------------------------------------------------

def _last_axis(axis: int, ndim: int) -> int:
    """One axis counted from the end, so it still names the right axis under leading tangent axes."""
    return int(axis) % ndim - ndim


def _check_chooser(a, axis=None) -> str | None:
    """max/min: the axes of a sum, and something to choose from (NumPy's prod of nothing is 1, its max has none)."""
    problem = _check_axis(a, axis)
    shape = shape_of(a)
    if problem is None and any(shape[k] == 0 for k in axes_of(axis, len(shape))):
        problem = f"max/min over an empty axis of an array of shape {shape} has no value"
    return problem


def _check_running(*args, axis=0, **params) -> str | None:
    shapes = [shape_of(a) for a in args]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        return f"arguments of shapes {', '.join(map(str, shapes))} do not broadcast"
    if not isinstance(axis, int | np.integer) or isinstance(axis, bool):
        return f"a running operation takes one integer axis, got {axis!r}"
    if not -len(shape) <= axis < len(shape):
        return f"axis {axis} is out of range for an array of shape {shape}"
    return None


# --- Running operations along one axis, written once for numbers and for SymPy object arrays -----------------

def _shift(a, axis=0, reverse=False, fill=0):
    """Entries moved one place along axis (towards the end; to the start when reverse), fill in the gap."""
    a = np.asarray(a)
    moved = np.moveaxis(a, axis, -1)
    gap = np.full(moved.shape[:-1] + (min(1, moved.shape[-1]),), fill, dtype=np.result_type(a, type(fill)))
    if a.dtype == object:
        gap = gap.astype(object)
    parts = (moved[..., 1:], gap) if reverse else (gap, moved[..., :-1])
    return np.moveaxis(np.concatenate(parts, axis=-1), -1, axis)


def _linear_scan(b, a, axis=0, reverse=False):
    """z[i] = a[i]·z[i-1] + b[i] along axis with z[-1] = 0 (reverse: z[i] = a[i]·z[i+1] + b[i])."""
    b, a = np.broadcast_arrays(np.asarray(b), np.asarray(a))
    b, a = np.moveaxis(b, axis, 0), np.moveaxis(a, axis, 0)
    z = np.empty(b.shape, dtype=np.result_type(b, a))
    order = range(len(b) - 1, -1, -1) if reverse else range(len(b))
    previous = None
    for i in order:  # one vectorized step per position along the axis: a recurrence is sequential
        z[i] = b[i] if previous is None else a[i] * previous + b[i]
        previous = z[i]
    return np.moveaxis(z, 0, axis)


def _running(accumulate):
    def running(a, axis=0, reverse=False):
        a = np.asarray(a)
        if not reverse:
            return accumulate(a, axis=axis)
        return np.flip(accumulate(np.flip(a, axis), axis=axis), axis)

    return running


_cumsum = _running(np.cumsum)
_cumprod = _running(np.cumprod)


def _object_reduce(function):
    """A reduction of SymPy object arrays, folding ``function`` (sp.Max, sp.Min) pairwise over each group,
    unevaluated, as the elementwise maximum/minimum are read (so SymPy neither sorts nor compares the entries)."""

    def fold(entries):
        out = entries[0]
        for entry in entries[1:]:
            out = function(out, entry, evaluate=False)
        return out

    def reduce(a, axis=None):
        a = np.asarray(a, dtype=object)
        axes = axes_of(axis, a.ndim)
        kept = a.ndim - len(axes)
        moved = np.moveaxis(a, axes, tuple(range(kept, a.ndim)))
        flat = moved.reshape(moved.shape[:kept] + (-1,))
        out = np.empty(flat.shape[:-1], dtype=object)
        for idx in np.ndindex(out.shape):
            out[idx] = fold(list(flat[idx]))
        return out[()] if out.ndim == 0 else out

    return reduce


# --- Derivative rules -------------------------------------------------------------------------------------------

def _others_along(xp, a, axis: int):
    """The product of the other entries along one axis, at each entry: exclusive running products from both
    ends, multiplied (no division, so exact where an entry is zero)."""
    left = xp.shift(xp.cumprod(a, axis=axis), axis=axis, fill=1)
    right = xp.shift(xp.cumprod(a, axis=axis, reverse=True), axis=axis, reverse=True, fill=1)
    return xp.mul(left, right)


def _prod_others(xp, a, axis):
    """∂prod(a, axis)/∂a: the product of the other entries of each entry's reduction group. Over several axes,
    the others of a group are the others along the first axis times the others (along the rest) of the
    products along the first. Over all axes, along the flattened array."""
    if axis is None:
        return xp.reshape_like(_others_along(xp, xp.reshape(a, shape=(-1,)), 0), a)
    axes = _ordered_axes(a, axis)
    if not axes:
        return xp.broadcast_like(1.0, a)
    first, rest = axes[0], axes[1:]
    others = _others_along(xp, a, first)
    if not rest:
        return others
    outer = _prod_others(xp, xp.prod(a, axis=first), tuple(k - 1 if k > 0 else k for k in rest))
    return xp.mul(others, xp.broadcast_like(outer, a, axis=first))


def _ordered_axes(a, axis) -> tuple[int, ...]:
    """Reduction axes in an order where removing the first leaves the others' numbers easy to follow: ascending
    non-negative axes (the rest move down by one) or, where the array's rank is not known (a graph handle in a
    gradient graph), negative ones from the most negative (the rest keep their numbers)."""
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    try:
        return axes_of(axes, ndim_of(a))
    except ConversionError:
        if all(k >= 0 for k in axes):
            return tuple(sorted(axes))
        if all(k < 0 for k in axes):
            return tuple(sorted(axes))
        raise ConversionError(f"prod over axes {axis} mixes negative and non-negative axes on an array of unknown "
                              "rank; write them all non-negative") from None


def _prod_jvp(xp, out, args, tangents, lead, axis=None):
    (a,), (t,) = args, tangents
    return xp.sum(xp.mul(t, _prod_others(xp, a, axis)), axis=negative_axes(axis, ndim_of(a)))


def _prod_vjp(xp, g, out, args, i, axis=None):
    a = args[0]
    return xp.mul(xp.broadcast_like(g, a, axis=axis), _prod_others(xp, a, axis))


def _winners(xp, out, a, axis):
    """The 0/1 mask of the entries equal to their group's max (or min), and how many there are per group."""
    mask = xp.equal(a, xp.broadcast_like(out, a, axis=axis))
    return mask, xp.sum(mask, axis=axis)


def _chooser_jvp(xp, out, args, tangents, lead, axis=None):
    (a,), (t,) = args, tangents
    mask, count = _winners(xp, out, a, axis)
    return xp.div(xp.sum(xp.mul(t, mask), axis=negative_axes(axis, ndim_of(a))), count)


def _chooser_vjp(xp, g, out, args, i, axis=None):
    a = args[0]
    mask, count = _winners(xp, out, a, axis)
    return xp.mul(xp.broadcast_like(xp.div(g, count), a, axis=axis), mask)


def _cumsum_jvp(xp, out, args, tangents, lead, axis=0, reverse=False):
    return xp.cumsum(tangents[0], axis=_last_axis(axis, ndim_of(args[0])), reverse=reverse)


def _cumsum_vjp(xp, g, out, args, i, axis=0, reverse=False):
    return xp.cumsum(g, axis=axis, reverse=not reverse)  # the transpose of a running sum runs the other way


def _cumprod_jvp(xp, out, args, tangents, lead, axis=0, reverse=False):
    # y[i] = a[i]·y[i-1], so ẏ[i] = a[i]·ẏ[i-1] + ȧ[i]·y[i-1]: a linear scan with coefficients a
    (a,), (t,) = args, tangents
    k = _last_axis(axis, ndim_of(a))
    before = xp.shift(out, axis=k, reverse=reverse, fill=1)
    return xp.linear_scan(xp.mul(t, before), a, axis=k, reverse=reverse)


def _cumprod_vjp(xp, g, out, args, i, axis=0, reverse=False):
    a = args[0]
    before = xp.shift(out, axis=axis, reverse=reverse, fill=1)
    return xp.mul(before, _scan_transposed(xp, g, a, axis, reverse))


def _scan_transposed(xp, g, a, axis, reverse):
    """The adjoint of b ↦ linear_scan(b, a): the scan run the other way, its coefficients shifted by one."""
    coefficients = xp.shift(a, axis=axis, reverse=not reverse, fill=0)
    return xp.linear_scan(g, coefficients, axis=axis, reverse=not reverse)


def _linear_scan_jvp(xp, out, args, tangents, lead, axis=0, reverse=False):
    (b, a), (tb, ta) = args, tangents
    k = _last_axis(axis, len(np.broadcast_shapes(shape_of(b), shape_of(a))))
    source = tb
    if ta is not None:
        moved = xp.mul(ta, xp.shift(out, axis=k, reverse=reverse, fill=0))
        source = moved if source is None else xp.add(source, moved)
    return xp.linear_scan(source, a, axis=k, reverse=reverse)


def _linear_scan_vjp(xp, g, out, args, i, axis=0, reverse=False):
    b, a = args
    back = _scan_transposed(xp, g, a, axis, reverse)
    return back if i == 0 else xp.mul(back, xp.shift(out, axis=axis, reverse=reverse, fill=0))


def _shift_jvp(xp, out, args, tangents, lead, axis=0, reverse=False, fill=0):
    return xp.shift(tangents[0], axis=_last_axis(axis, ndim_of(args[0])), reverse=reverse, fill=0)


def _shift_vjp(xp, g, out, args, i, axis=0, reverse=False, fill=0):
    return xp.shift(g, axis=axis, reverse=not reverse, fill=0)


# --- Work (units of flops) ------------------------------------------------------------------------------------

def _output_size(out, *args, **params):
    return np.size(out)


def _reduction(name: str, numpy, sympy, jvp, vjp, smooth: bool, doc: str) -> Primitive:
    return Primitive(
        name, 1, numpy, sympy, (), _A, smooth=smooth, jvp=jvp, vjp=vjp, params=("axis",), work=_input_size,
        check=_check_axis if smooth else _check_chooser, shape=_reduced, doc=doc,
    )


def _running_primitive(name: str, numpy, sympy, jvp, vjp, doc: str) -> Primitive:
    return Primitive(
        name, 1, numpy, sympy, (), _A, jvp=jvp, vjp=vjp, params=("axis", "reverse"), work=_input_size,
        check=_check_running, shape=lambda a, axis=0, reverse=False: a, doc=doc,
    )


REDUCTIONS_PRIMITIVES: list[Primitive] = [
    _reduction(
        "prod", lambda a, axis=None: np.prod(a, axis=axis), lambda a, axis=None: np.prod(a, axis=axis),
        _prod_jvp, _prod_vjp, True,
        "Product over axis (None: all axes). Its derivative, the product of the other entries, is formed from "
        "running products, exact where entries are zero.",
    ),
    _reduction(
        "max", lambda a, axis=None: np.max(a, axis=axis), _object_reduce(sp.Max), _chooser_jvp, _chooser_vjp,
        False,
        "Largest entry over axis (None: all axes); tied entries share the derivative equally.",
    ),
    _reduction(
        "min", lambda a, axis=None: np.min(a, axis=axis), _object_reduce(sp.Min), _chooser_jvp, _chooser_vjp,
        False,
        "Smallest entry over axis (None: all axes); tied entries share the derivative equally.",
    ),
    _running_primitive(
        "cumsum", _cumsum, _cumsum, _cumsum_jvp, _cumsum_vjp,
        "Running sum along one axis (reverse=True: from the end, as jax.lax.cumsum's reverse). VJP: the running "
        "sum the other way.",
    ),
    _running_primitive(
        "cumprod", _cumprod, _cumprod, _cumprod_jvp, _cumprod_vjp,
        "Running product along one axis (reverse=True: from the end). Its derivatives are linear scans, exact "
        "at zeros.",
    ),
    Primitive(
        "shift", 1, _shift, _shift, (), 0, jvp=_shift_jvp, vjp=_shift_vjp, params=("axis", "reverse", "fill"),
        work=_no_work, check=_check_running, shape=lambda a, axis=0, reverse=False, fill=0: a,
        doc="Entries moved one place along axis (to the start when reverse), fill written in the gap: data "
            "movement, no flops. The exclusive running products of prod's derivative.",
    ),
    Primitive(
        "linear_scan", 2, _linear_scan, _linear_scan, (), 2 * _A, jvp=_linear_scan_jvp, vjp=_linear_scan_vjp,
        params=("axis", "reverse"), work=_output_size, check=_check_running,
        shape=lambda b, a, axis=0, reverse=False: tuple(np.broadcast_shapes(b, a)),
        doc="The first-order linear recurrence z[i] = a[i]·z[i-1] + b[i] along axis (reverse: from the end): "
            "cumprod's tangent and adjoint; its own are linear scans again.",
    ),
]
