"""Tensor primitives: matmul, transpose, reshape, sums and means over axes, broadcasting back, softmax family,
basic indexing (``x[1:]``, ``x[:, 0]``) and its adjoint, a scatter into zeros.

Each states its JVP and VJP directly, written with the primitives of the math namespace ``xp`` (so the same
rule runs on NumPy arrays, dual numbers and graph handles) and never forms a Jacobian: matmul's VJP is
``g Bᵀ`` and ``Aᵀ g``, a sum's VJP broadcasts the cotangent back.

Shape-only companions make every rule expressible without knowing shapes in advance (graph handles have
none): ``broadcast_like(a, like, axis)`` broadcasts ``a`` to ``like``'s shape, ``sum_like(a, like)`` sums a
broadcast array back down to ``like``'s shape (where the engine reduces a cotangent to an argument's shape:
one place, not every rule) and ``reshape_like(a, like)``. Their second argument only supplies a shape and gets
no derivative. The pairs are adjoint to each other: sum ↔ broadcast_like, sum_like ↔ broadcast_like,
mean ↔ broadcast_like(mean=True), reshape ↔ reshape_like, index ↔ scatter_like.

JVP rules receive ``lead``: the number of extra leading tangent axes (batched tangents, NumPy arrays only).
Rules that depend on shapes take it into account; matmul and the elementwise primitives broadcast over it.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .errors import ConversionError
from .primitive import ARITHMETIC, TRANSCENDENTAL, Primitive


def shape_of(x) -> tuple[int, ...]:
    """The shape of an array, a number or a dual number (whose ``shape`` is its value's)."""
    shape = getattr(x, "shape", None)  # ndarray, NumPy scalar and Dual have one (a tuple)
    return shape if shape is not None else np.shape(x)


def ndim_of(x) -> int:
    return len(shape_of(x))


def axes_of(axis, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int or a tuple, negatives allowed) as sorted non-negative axes of an ndim array."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    return tuple(sorted(int(a) % ndim for a in axes)) if ndim else ()


def negative_axes(axis, ndim: int) -> tuple[int, ...]:
    """The same axes counted from the end, so they still name the right axes under leading tangent axes."""
    return tuple(a - ndim for a in axes_of(axis, ndim))


def sum_to(a, shape: tuple[int, ...]):
    """Sum a broadcast array down to ``shape`` (leading axes, and axes where ``shape`` has 1)."""
    a = np.asarray(a)
    if a.shape == tuple(shape):
        return a
    if a.ndim < len(shape):  # a folded constant (0) standing for a whole array: spread it, there is no sum
        return np.broadcast_to(a, shape)
    extra = a.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and a.shape[extra + i] != 1
    )
    return np.sum(a, axis=axes).reshape(shape)


def _lead_shape(t, lead: int) -> tuple[int, ...]:
    return shape_of(t)[:lead] if lead else ()


def _check_axis(a, axis=None) -> str | None:
    ndim = ndim_of(a)
    axes = () if axis is None else ((axis,) if isinstance(axis, int | np.integer) else tuple(axis))
    bad = [ax for ax in axes if not -ndim <= ax < ndim]
    if bad:
        return f"axis {bad[0]} is out of range for an array of shape {shape_of(a)}"
    if len(set(axes_of(axes, ndim))) != len(axes):
        return f"axis {axis} repeats an axis"
    return None


def _check_last_axis(a, axis=-1) -> str | None:
    return _check_axis(a, axis)


def _check_matrix(name: str):
    def check(*args):
        for a in args:
            if ndim_of(a) != 2:
                return f"{name} needs 2-D arrays (matrices), got shape {shape_of(a)}"
        return None

    return check


def _check_matmul(a, b) -> str | None:
    """NumPy's matmul: a 1-D operand is a row on the left, a column on the right; arrays of 3 or more axes are
    stacks of matrices whose leading (batch) axes broadcast."""
    sa, sb = shape_of(a), shape_of(b)
    for s in (sa, sb):
        if len(s) == 0:
            return f"matmul needs vectors or matrices, got a number (shape {s}); multiply with * instead"
    if min(len(sa), len(sb)) == 1 and max(len(sa), len(sb)) > 2:
        return (f"matmul of a vector with a stack of matrices ({sa} @ {sb}) is not supported; make the vector a "
                "matrix of one row or column (v[None, :] or v[:, None]) and index the result")
    left = f"left matrix's {sa[-1]} columns" if len(sa) >= 2 else f"left vector's {sa[0]} entries"
    right = f"right matrix's {sb[-2]} rows" if len(sb) >= 2 else f"right vector's {sb[0]} entries"
    if sa[-1] != (sb[-2] if len(sb) >= 2 else sb[0]):
        return f"the {left} do not match the {right} ({sa} @ {sb})"
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        return f"the stacks of matrices {sa} @ {sb} have batch axes {sa[:-2]} and {sb[:-2]} that do not broadcast"
    return None


# --- Basic indexing: the index as a node parameter ------------------------------------------------------------
#
# ``x[1:, 0]`` is stored as the hashable tuple ``((1, None, None), 0)``: an int picks one entry of an axis (and
# drops the axis), a (start, stop, step) triple is a slice, Ellipsis stands for the axes not named. Only basic
# indexing: it never repeats an entry, so its adjoint is a plain scatter into zeros (no additions).

_FANCY = ("arrays and lists of indices (fancy indexing) are not supported, only integers, slices and ...; "
          "index one entry at a time or use a constant mask array with *")


def _index_entry(entry, frozen: bool):
    """One entry of an index as its frozen form; ``frozen`` also accepts (start, stop, step) triples."""
    if isinstance(entry, bool | np.bool_):
        raise ConversionError("boolean indices (masks) cannot be recorded in a trace: multiply by a constant "
                              "0/1 mask array instead")
    if isinstance(entry, int | np.integer):
        return int(entry)
    if isinstance(entry, np.ndarray) and entry.ndim == 0 and np.issubdtype(entry.dtype, np.integer):
        return int(entry)  # NumPy reads a 0-d integer array as that integer
    if entry is Ellipsis:
        return Ellipsis
    if entry is None:
        raise ConversionError("None (np.newaxis) in an index is not supported; use dk.reshape to add an axis")
    if isinstance(entry, slice) or (frozen and isinstance(entry, tuple) and len(entry) == 3):
        parts = (entry.start, entry.stop, entry.step) if isinstance(entry, slice) else entry
        if any(p is not None and (isinstance(p, bool | np.bool_) or not isinstance(p, int | np.integer))
               for p in parts):
            raise ConversionError(f"slice bounds and steps must be integers or None, got {_slice_text(parts)}")
        if parts[2] is not None and parts[2] == 0:
            raise ConversionError("a slice step cannot be zero")
        return tuple(None if p is None else int(p) for p in parts)
    if isinstance(entry, float | np.floating):
        raise ConversionError(f"an index must be an integer, got the float {entry!r}")
    if isinstance(entry, list | tuple | np.ndarray):
        if isinstance(entry, np.ndarray) and entry.dtype == bool:
            raise ConversionError("boolean indices (masks) cannot be recorded in a trace: multiply by a constant "
                                  "0/1 mask array instead")
        raise ConversionError(_FANCY)
    raise ConversionError(f"cannot index a traced expression with a {type(entry).__name__}; use integers, "
                          "slices and ...")


def frozen_index(key, frozen: bool = True) -> tuple:
    """An index (what ``x[key]`` receives, or an index already frozen) as the hashable node parameter.

    ``frozen=False`` is for user keys straight from ``[]``, where a tuple inside the key is fancy indexing.
    """
    if isinstance(key, list | np.ndarray):  # x[[0, 2]], x[mask]: not a tuple of entries
        return (_index_entry(key, False),)
    entries = tuple(_index_entry(e, frozen) for e in (key if isinstance(key, tuple) else (key,)))
    if entries.count(Ellipsis) > 1:
        raise ConversionError("an index can only have a single ellipsis (...)")
    return entries


def numpy_index(index: tuple) -> tuple:
    """The frozen index as NumPy takes it: triples back to slices."""
    return tuple(slice(*e) if isinstance(e, tuple) else e for e in index)


def _slice_text(parts) -> str:
    start, stop, step = ("" if p is None else str(p) for p in parts)
    return f"{start}:{stop}" + (f":{step}" if step else "")


def index_text(index: tuple) -> str:
    """The index as it would be written between brackets: ``1:, ::2, ..., 0``."""
    return ", ".join("..." if e is Ellipsis else _slice_text(e) if isinstance(e, tuple) else str(e) for e in index)


def _leading(index: tuple, lead: int) -> tuple:
    """The same index under ``lead`` extra leading (batched-tangent) axes, which it keeps whole."""
    return ((None, None, None),) * lead + index


def _check_index(a, *rest, index=()) -> str | None:
    """Too many indices, or an integer past the end of its axis, named with the index and the shape."""
    shape = shape_of(a)
    named = [e for e in index if e is not Ellipsis]
    if len(named) > len(shape):
        return f"the index [{index_text(index)}] has {len(named)} entries for an array of shape {shape}"
    cut = index.index(Ellipsis) if Ellipsis in index else len(index)
    axes = list(range(cut)) + list(range(len(shape) - (len(index) - cut - 1), len(shape)))
    for axis, entry in zip(axes, named, strict=True):
        if isinstance(entry, int) and not -shape[axis] <= entry < shape[axis]:
            return (f"the index [{index_text(index)}]: {entry} is out of range for axis {axis} of an array of "
                    f"shape {shape}")
    return None


def _check_scatter(a, like, index=()) -> str | None:
    """As _check_index for like, and a must fill its slot exactly: NumPy would broadcast a smaller a into it,
    which the adjoint (indexing the cotangent) could not undo."""
    problem = _check_index(like, index=index)
    if problem is not None:
        return problem
    slot = np.broadcast_to(0.0, shape_of(like))[numpy_index(index)].shape  # a view: no array of like's size
    if shape_of(a) != slot:
        return (f"the values written have shape {shape_of(a)}, but the slot [{index_text(index)}] of an array of "
                f"shape {shape_of(like)} has shape {slot}; give values of exactly that shape")
    return None


# --- NumPy implementations ------------------------------------------------------------------------------------

_SMALL = 4096  # below this many elements, a real array is cheaper to make than a broadcast view


def _broadcast_like(a, like, axis=None, mean=False):
    shape = shape_of(like)
    a = np.asarray(a)
    if a.ndim == 0 and not mean and np.size(like) <= _SMALL:  # a loss's adjoint, spread over a small array:
        return np.full(shape, a)  # np.full is several times faster than np.broadcast_to here
    if axis is not None:
        a = np.expand_dims(a, axes_of(axis, len(shape)))
    out = np.broadcast_to(a, shape)
    return out * (a.size / max(np.size(like), 1)) if mean else out


def _sum_like(a, like, mean=False):
    out = sum_to(a, shape_of(like))
    return out * (np.size(like) / max(np.size(a), 1)) if mean else out


def _logsumexp(a, axis=-1):
    a = np.asarray(a)
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)  # all -inf (or inf) along the axis: nothing to shift by
    return np.squeeze(top, axis=axis) + np.log(np.sum(np.exp(a - top), axis=axis))


def _softmax(a, axis=-1):
    a = np.asarray(a)
    shifted = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


def _log_softmax(a, axis=-1):
    a = np.asarray(a)
    return a - np.expand_dims(_logsumexp(a, axis=axis), axis)


def _index(a, index=()):
    return np.asarray(a)[numpy_index(index)]


def _scatter_like(a, like, index=()):
    """Zeros of like's shape with ``a`` written at ``index``: basic indexing repeats no entry, so no adds."""
    out = np.zeros(shape_of(like), dtype=np.result_type(a, np.float64))
    out[numpy_index(index)] = a
    return out


def _sympy_scatter_like(a, like, index=()):
    out = np.full(np.shape(like), sp.Integer(0), dtype=object)
    out[numpy_index(index)] = a
    return out


# --- SymPy counterparts: the same operations on NumPy arrays of SymPy expressions (scalarized graphs) ---------


def _sympy_elementwise(function):
    return np.frompyfunc(function, 1, 1)


_sp_exp = _sympy_elementwise(sp.exp)
_sp_log = _sympy_elementwise(sp.log)


def _sympy_mean(a, axis=None):
    total = np.sum(a, axis=axis)
    return total / sp.Integer(np.size(a) // max(np.size(total), 1))


def _sympy_logsumexp(a, axis=-1):
    return _sp_log(np.sum(_sp_exp(a), axis=axis))


def _sympy_softmax(a, axis=-1):
    e = _sp_exp(a)
    return e / np.sum(e, axis=axis, keepdims=True)


def _sympy_log_softmax(a, axis=-1):
    return a - np.expand_dims(_sympy_logsumexp(a, axis=axis), axis)


# --- Rules ----------------------------------------------------------------------------------------------------


def _linear_jvp(name: str, **fixed):
    """JVP of a primitive that is linear in its first argument: the same primitive applied to the tangent."""

    def jvp(xp, out, args, tangents, lead, **params):
        return getattr(xp, name)(tangents[0], *args[1:], **params, **fixed)

    return jvp


def _sum_of(xp, terms):
    terms = [t for t in terms if t is not None]
    return terms[0] if len(terms) == 1 else xp.add(*terms)


def _padded_batch(t, lead: int, own, other):
    """A batched tangent of a stack of matrices with length-1 batch axes after its ``lead`` tangent axes, as many
    as the other operand has more: so the tangent axes broadcast against nothing but each other."""
    missing = ndim_of(other) - ndim_of(own)
    if missing <= 0:
        return t
    t = np.asarray(t)
    return t.reshape(t.shape[:lead] + (1,) * missing + t.shape[lead:])


def _matmul_jvp(xp, out, args, tangents, lead):
    a, b = args
    ta, tb = tangents
    if lead and max(ndim_of(a), ndim_of(b)) > 2:  # stacks of matrices (both operands at least 2-D)
        ta = None if ta is None else _padded_batch(ta, lead, a, b)
        tb = None if tb is None else _padded_batch(tb, lead, b, a)
    terms = []
    if ta is not None:
        terms.append(xp.matmul(ta, b))  # leading tangent axes are batch axes of a matrix, or rows of a vector
    if tb is not None:
        if lead and ndim_of(b) == 1:  # a batch of vectors b is a matrix of rows: (L, k) against a's columns
            terms.append(xp.matmul(tb, xp.transpose(a)) if ndim_of(a) == 2 else xp.matmul(tb, a))
        else:
            terms.append(xp.matmul(a, tb))
    return _sum_of(xp, terms)


def _known_ndim(x) -> int | None:
    """x's number of axes, or None where it is not known (a graph handle while a gradient is written)."""
    try:
        return ndim_of(x)
    except ConversionError:
        return None


def _matmul_vjp(xp, g, out, args, i):
    a, b = args
    ranks = _known_ndim(a) or 0, _known_ndim(b) or 0
    if ranks == (2, 2):  # matrices: the textbook g·Bᵀ and Aᵀ·g
        return xp.matmul(g, xp.transpose(b)) if i == 0 else xp.matmul(xp.transpose(a), g)
    if min(ranks) >= 2:  # stacks of matrices: the same, matrix by matrix, summed over the batch axes broadcast
        product = (xp.matmul(g, xp.swapaxes(b, axis1=-2, axis2=-1)) if i == 0
                   else xp.matmul(xp.swapaxes(a, axis1=-2, axis2=-1), g))
        return xp.sum_like(product, args[i])
    # A vector operand (an outer product instead of a matmul), or shapes that are not known yet: the
    # companions choose at run time.
    return xp.matmul_grad_left(g, a, b) if i == 0 else xp.matmul_grad_right(g, a, b)


# matmul's cotangents for vectors and matrices. Each formula also holds when one argument carries extra leading
# (batched-tangent) axes, as long as the ranks come from the undisturbed primal arguments.

def _grad_left(g, b, a_ndim: int, b_ndim: int):
    """∂⟨g, a @ b⟩/∂a (before batch axes a was broadcast along are summed)."""
    if b_ndim >= 2:
        return g @ np.swapaxes(b, -1, -2)
    return g[..., :, None] * b[..., None, :] if a_ndim == 2 else g[..., None] * b


def _grad_right(g, a, a_ndim: int, b_ndim: int):
    """∂⟨g, a @ b⟩/∂b (before batch axes b was broadcast along are summed)."""
    if a_ndim >= 2:
        return np.swapaxes(a, -1, -2) @ g if b_ndim >= 2 else g @ a
    return a[..., :, None] * g[..., None, :] if b_ndim == 2 else g[..., None] * a


def _matmul_grad_left(g, a, b):
    return sum_to(_grad_left(np.asarray(g), np.asarray(b), ndim_of(a), ndim_of(b)), shape_of(a))


def _matmul_grad_right(g, a, b):
    return sum_to(_grad_right(np.asarray(g), np.asarray(a), ndim_of(a), ndim_of(b)), shape_of(b))


def _sum_to_under_lead(x, lead: int, shape: tuple) -> np.ndarray:
    """``sum_to(x, shape)`` for an x with ``lead`` leading tangent axes, which are kept (moved out of the way
    while the broadcast batch axes are summed)."""
    x = np.asarray(x)
    if x.shape[lead:] == tuple(shape):
        return x
    moved = np.moveaxis(x, tuple(range(lead)), tuple(range(-lead, 0)))
    summed = sum_to(moved, tuple(shape) + x.shape[:lead])
    return np.moveaxis(summed, tuple(range(-lead, 0)), tuple(range(lead)))


def _matmul_grad_jvp(name: str, formula, other: int):
    """The JVP of a companion, bilinear in g and its other operand (``args[other]``): one term per tangent.
    With batched tangents the NumPy formula runs directly, its ranks taken from the primal arguments."""

    def jvp(xp, out, args, tangents, lead):
        g, a, b = args
        tg, t_other = tangents[0], tangents[other]
        if lead:
            ranks = ndim_of(a), ndim_of(b)
            target = shape_of(a if other == 2 else b)  # the companion's output: the shape of the operand it is for
            return sum(_sum_to_under_lead(formula(x, y, *ranks), lead, target)
                       for x, y in ((tg, args[other]), (g, t_other)) if x is not None and y is not None)

        def term(g_, other_):
            operands = [g_, a, b]
            operands[other] = other_
            return getattr(xp, name)(*operands)

        return _sum_of(xp, [None if tg is None else term(tg, args[other]),
                            None if t_other is None else term(g, t_other)])

    return jvp


_matmul_grad_left_jvp = _matmul_grad_jvp("matmul_grad_left", _grad_left, other=2)
_matmul_grad_right_jvp = _matmul_grad_jvp("matmul_grad_right", _grad_right, other=1)


# Both companions are bilinear: with h the cotangent of their output, ⟨h, ∂⟨g, a@b⟩/∂a⟩ = ⟨g, h@b⟩, so the
# cotangent of g is h@b and that of b is matmul's right cotangent for h@b (and the mirror image for the right).

def _matmul_grad_left_vjp(xp, h, out, args, i):
    g, a, b = args
    return xp.matmul(h, b) if i == 0 else xp.matmul_grad_right(g, h, b)


def _matmul_grad_right_vjp(xp, h, out, args, i):
    g, a, b = args
    return xp.matmul(a, h) if i == 0 else xp.matmul_grad_left(g, a, h)


def _reduce_jvp(name: str):
    def jvp(xp, out, args, tangents, lead, axis=None):
        return getattr(xp, name)(tangents[0], axis=negative_axes(axis, ndim_of(args[0])))

    return jvp


def _reshape_jvp(xp, out, args, tangents, lead, shape):
    return xp.reshape(tangents[0], shape=_lead_shape(tangents[0], lead) + tuple(shape))


def _reshape_like_jvp(xp, out, args, tangents, lead):
    t, like = tangents[0], args[1]
    return xp.reshape(t, shape=_lead_shape(t, lead) + shape_of(like))


def _broadcast_like_jvp(xp, out, args, tangents, lead, axis=None, mean=False):
    t, like = tangents[0], args[1]
    if not lead:
        return xp.broadcast_like(t, like, axis=axis, mean=mean)
    # batched tangents: line the tangent's own axes up under ``like``'s, keeping the leading axes
    ndim = ndim_of(like)
    t = np.asarray(t)
    if axis is not None:
        t = np.expand_dims(t, tuple(lead + a for a in axes_of(axis, ndim)))
    t = t.reshape(t.shape[:lead] + (1,) * (ndim - (t.ndim - lead)) + t.shape[lead:])
    out_t = np.broadcast_to(t, t.shape[:lead] + shape_of(like))
    return out_t * (np.size(args[0]) / max(np.size(like), 1)) if mean else out_t


def _sum_like_jvp(xp, out, args, tangents, lead, mean=False):
    t, like = tangents[0], args[1]
    if not lead:
        return xp.sum_like(t, like, mean=mean)
    out_t = sum_to(t, _lead_shape(t, lead) + shape_of(like))
    return out_t * (np.size(like) / max(np.size(args[0]), 1)) if mean else out_t


def _broadcast_like_vjp(xp, g, out, args, i, axis=None, mean=False):
    if axis is None:
        return xp.sum_like(g, args[0], mean=mean)
    return xp.mean(g, axis=axis) if mean else xp.sum(g, axis=axis)


def _keep_axis(xp, x, like, axis, lead):
    """Put reduced ``axis`` back (size 1 under batched tangents, broadcast otherwise) to combine with ``like``."""
    if lead:
        return np.expand_dims(x, negative_axes(axis, ndim_of(like)))
    return xp.broadcast_like(x, like, axis=axis)


def _logsumexp_jvp(xp, out, args, tangents, lead, axis=-1):
    (a,), (t,) = args, tangents
    s = xp.softmax(a, axis=axis)
    return xp.sum(xp.mul(s, t), axis=negative_axes(axis, ndim_of(a)))


def _logsumexp_vjp(xp, g, out, args, i, axis=-1):
    return xp.mul(xp.broadcast_like(g, args[0], axis=axis), xp.softmax(args[0], axis=axis))


def _softmax_jvp(xp, out, args, tangents, lead, axis=-1):
    s, t = out, tangents[0]
    inner = xp.sum(xp.mul(s, t), axis=negative_axes(axis, ndim_of(args[0])))
    return xp.mul(s, xp.sub(t, _keep_axis(xp, inner, s, axis, lead)))


def _softmax_vjp(xp, g, out, args, i, axis=-1):
    inner = xp.sum(xp.mul(g, out), axis=axis)
    return xp.mul(out, xp.sub(g, xp.broadcast_like(inner, out, axis=axis)))


def _log_softmax_jvp(xp, out, args, tangents, lead, axis=-1):
    t = tangents[0]
    inner = xp.sum(xp.mul(xp.exp(out), t), axis=negative_axes(axis, ndim_of(args[0])))
    return xp.sub(t, _keep_axis(xp, inner, out, axis, lead))


def _log_softmax_vjp(xp, g, out, args, i, axis=-1):
    total = xp.broadcast_like(xp.sum(g, axis=axis), out, axis=axis)
    return xp.sub(g, xp.mul(xp.exp(out), total))


def _index_jvp(xp, out, args, tangents, lead, index=()):
    return xp.index(tangents[0], index=_leading(index, lead))


def _scatter_like_jvp(xp, out, args, tangents, lead, index=()):
    t, like = tangents[0], args[1]
    if not lead:
        return xp.scatter_like(t, like, index=index)
    out_t = np.zeros(_lead_shape(t, lead) + shape_of(like), dtype=np.result_type(t, np.float64))
    out_t[numpy_index(_leading(index, lead))] = t
    return out_t


# --- Work (units of ``flops``) --------------------------------------------------------------------------------


def _matmul_work(out, a, b):
    return np.size(out) * shape_of(a)[-1]  # m·n outputs, k multiply-adds each (flops weight 2: 2mnk)


def _matmul_grad_work(out, g, a, b):
    return np.size(g) * shape_of(a)[-1]  # as many multiply-adds as the product a @ b itself


def _input_size(out, a, *rest, **params):
    return np.size(a)


def _sum_like_work(out, a, like, mean=False):
    return 0 if shape_of(a) == shape_of(like) else np.size(a)  # a no-op when nothing was broadcast


def _no_work(*args, **params):
    return 0


# --- Shape rules: each output's shape from its arguments' shapes alone (the memory estimate, traced .shape) ----

def _matmul_shape(a, b):
    """NumPy's rule: a 1-D left operand is a row (its axis dropped after), a 1-D right one a column."""
    if not a or not b:
        raise ValueError(f"matmul of shapes {a} and {b}: a scalar is not a vector or a matrix")
    left, right = (1,) + a if len(a) == 1 else a, b + (1,) if len(b) == 1 else b
    if left[-1] != right[-2]:
        raise ValueError(f"matmul of shapes {a} and {b}")
    batch = tuple(np.broadcast_shapes(left[:-2], right[:-2]))
    return batch + left[-2:-1] * (len(a) > 1) + right[-1:] * (len(b) > 1)


def _transpose_shape(a):
    return a[:-2] + (a[-1], a[-2]) if len(a) >= 2 else a


def _reshaped(a, shape):
    """NumPy's reshape rule, -1 included, without an array."""
    return np.broadcast_to(np.empty((), dtype=bool), a).reshape(shape).shape


def _reduced(a, axis=None):
    gone = set(axes_of(axis, len(a)))
    return tuple(d for k, d in enumerate(a) if k not in gone)


def _indexed(a, index=()):
    # NumPy's own rule, on a broadcast view that holds no memory
    return np.broadcast_to(np.empty((), dtype=bool), a)[numpy_index(index)].shape


def _like_shape(a, like, **params):
    return like


def _same_shape(a, **params):
    return a


_T = TRANSCENDENTAL
_A = ARITHMETIC
_NO_DERIVATIVE = (True, False)  # (a, like): ``like`` only supplies a shape

TENSOR_PRIMITIVES: list[Primitive] = [
    Primitive(
        "matmul", 2, np.matmul, lambda a, b: a @ b, (), 2 * _A, infix="@",
        jvp=_matmul_jvp, vjp=_matmul_vjp, work=_matmul_work, check=_check_matmul, shape=_matmul_shape,
        doc="Product of vectors, matrices and stacks of matrices (NumPy's @: batch axes broadcast); 2mnk flops per "
            "matrix product. VJPs g·Bᵀ and Aᵀ·g.",
    ),
    Primitive(
        "matmul_grad_left", 3, _matmul_grad_left, _matmul_grad_left, (), 2 * _A,
        jvp=_matmul_grad_left_jvp, vjp=_matmul_grad_left_vjp, work=_matmul_grad_work,
        differentiable=(True, False, True), shape=lambda g, a, b: a,
        doc="matmul(a, b)'s cotangent for a given the output's g: g·Bᵀ, or an outer product for a vector b "
            "(a only supplies its shape).",
    ),
    Primitive(
        "matmul_grad_right", 3, _matmul_grad_right, _matmul_grad_right, (), 2 * _A,
        jvp=_matmul_grad_right_jvp, vjp=_matmul_grad_right_vjp, work=_matmul_grad_work,
        differentiable=(True, True, False), shape=lambda g, a, b: b,
        doc="matmul(a, b)'s cotangent for b given the output's g: Aᵀ·g, or an outer product for a vector a "
            "(b only supplies its shape).",
    ),
    Primitive(
        "transpose", 1, lambda a: np.asarray(a).swapaxes(-1, -2), lambda a: a.T, (), 0,
        jvp=_linear_jvp("transpose"), vjp=lambda xp, g, out, args, i: xp.transpose(g),
        work=_no_work, check=_check_matrix("transpose"), shape=_transpose_shape,
        doc="Transpose of a 2-D array (a view: no flops).",
    ),
    Primitive(
        "reshape", 1, lambda a, shape: np.reshape(a, shape), lambda a, shape: np.reshape(a, shape), (), 0,
        jvp=_reshape_jvp, vjp=lambda xp, g, out, args, i, shape: xp.reshape_like(g, args[0]), params=("shape",),
        work=_no_work, shape=_reshaped,
        doc="Reshape (no flops).",
    ),
    Primitive(
        "reshape_like", 2, lambda a, like: np.reshape(a, shape_of(like)),
        lambda a, like: np.reshape(a, np.shape(like)), (), 0,
        jvp=_reshape_like_jvp, vjp=lambda xp, g, out, args, i: xp.reshape_like(g, args[0]),
        work=_no_work, differentiable=_NO_DERIVATIVE, shape=_like_shape,
        doc="Reshape a to like's shape.",
    ),
    Primitive(
        "sum", 1, lambda a, axis=None: np.sum(a, axis=axis), lambda a, axis=None: np.sum(a, axis=axis), (), _A,
        jvp=_reduce_jvp("sum"), vjp=lambda xp, g, out, args, i, axis=None: xp.broadcast_like(g, args[0], axis=axis),
        params=("axis",), work=_input_size, check=_check_axis, shape=_reduced,
        doc="Sum over axis (None: all axes).",
    ),
    Primitive(
        "mean", 1, lambda a, axis=None: np.mean(a, axis=axis), _sympy_mean, (), _A,
        jvp=_reduce_jvp("mean"),
        vjp=lambda xp, g, out, args, i, axis=None: xp.broadcast_like(g, args[0], axis=axis, mean=True),
        params=("axis",), work=lambda out, a, axis=None: np.size(a) + np.size(out), check=_check_axis,
        shape=_reduced,
        doc="Mean over axis (None: all axes).",
    ),
    Primitive(
        "broadcast_like", 2, _broadcast_like, _broadcast_like, (), _A,
        jvp=_broadcast_like_jvp, vjp=_broadcast_like_vjp, params=("axis", "mean"),
        work=lambda out, a, like, axis=None, mean=False: np.size(out) if mean else 0,
        differentiable=_NO_DERIVATIVE,
        shape=_like_shape,
        doc="a broadcast to like's shape (reduced axes put back first when axis is given); mean=True divides by "
            "the number of copies. Adjoint of sum, mean and sum_like.",
    ),
    Primitive(
        "sum_like", 2, _sum_like, lambda a, like, mean=False: _sum_like(a, like, mean), (), _A,
        jvp=_sum_like_jvp, vjp=lambda xp, g, out, args, i, mean=False: xp.broadcast_like(g, args[0], mean=mean),
        params=("mean",), work=_sum_like_work, differentiable=_NO_DERIVATIVE,
        shape=_like_shape,
        doc="a summed down to like's shape: how a cotangent returns to an argument that was broadcast.",
    ),
    Primitive(
        "logsumexp", 1, _logsumexp, _sympy_logsumexp, (), _T + 3,
        jvp=_logsumexp_jvp, vjp=_logsumexp_vjp, params=("axis",), work=_input_size, check=_check_last_axis,
        shape=lambda a, axis=-1: _reduced(a, axis),
        doc="log Σ exp(a) over axis, shifted by the maximum so that logits of ±1000 do not overflow.",
    ),
    Primitive(
        "softmax", 1, _softmax, _sympy_softmax, (), _T + 3,
        jvp=_softmax_jvp, vjp=_softmax_vjp, params=("axis",), work=_input_size, check=_check_last_axis,
        shape=_same_shape,
        doc="exp(a) / Σ exp(a) over axis, computed stably.",
    ),
    Primitive(
        "log_softmax", 1, _log_softmax, _sympy_log_softmax, (), _T + 3,
        jvp=_log_softmax_jvp, vjp=_log_softmax_vjp, params=("axis",), work=_input_size, check=_check_last_axis,
        shape=_same_shape,
        doc="a - logsumexp(a) over axis: log-probabilities, stable for logits of ±1000.",
    ),
    Primitive(
        "index", 1, _index, lambda a, index=(): np.asarray(a, dtype=object)[numpy_index(index)], (), 0,
        jvp=_index_jvp, vjp=lambda xp, g, out, args, i, index=(): xp.scatter_like(g, args[0], index=index),
        params=("index",), work=_no_work, check=_check_index,
        shape=_indexed,
        doc="Basic indexing a[index] (integers, slices, ...; what x[1:, 0] records): data movement, no flops. "
            "VJP: the cotangent scattered into zeros of a's shape.",
    ),
    Primitive(
        "scatter_like", 2, _scatter_like, _sympy_scatter_like, (), 0,
        jvp=_scatter_like_jvp, vjp=lambda xp, g, out, args, i, index=(): xp.index(g, index=index),
        params=("index",), work=_no_work, differentiable=_NO_DERIVATIVE,
        check=_check_scatter,
        shape=_like_shape,
        doc="Zeros of like's shape with a written at index: the adjoint of index (data movement, no flops).",
    ),
]
