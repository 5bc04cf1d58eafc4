"""Tensor primitives: matmul, transpose, reshape, sums and means over axes, broadcasting back, softmax family.

Each states its JVP and VJP directly, written with the primitives of the math namespace ``xp`` (so the same
rule runs on NumPy arrays, dual numbers and graph handles) and never forms a Jacobian: matmul's VJP is
``g Bᵀ`` and ``Aᵀ g``, a sum's VJP broadcasts the cotangent back.

Shape-only companions make every rule expressible without knowing shapes in advance (graph handles have
none): ``broadcast_like(a, like, axis)`` broadcasts ``a`` to ``like``'s shape, ``sum_like(a, like)`` sums a
broadcast array back down to ``like``'s shape (where the engine reduces a cotangent to an argument's shape:
one place, not every rule) and ``reshape_like(a, like)``. Their second argument only supplies a shape and gets
no derivative. The pairs are adjoint to each other: sum ↔ broadcast_like, sum_like ↔ broadcast_like,
mean ↔ broadcast_like(mean=True), reshape ↔ reshape_like.

JVP rules receive ``lead``: the number of extra leading tangent axes (batched tangents, NumPy arrays only).
Rules that depend on shapes take it into account; matmul and the elementwise primitives broadcast over it.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

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
        if len(args) == 2 and shape_of(args[0])[1] != shape_of(args[1])[0]:
            a, b = shape_of(args[0]), shape_of(args[1])
            return f"the left matrix's {a[1]} columns do not match the right matrix's {b[0]} rows ({a} @ {b})"
        return None

    return check


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


def _matmul_jvp(xp, out, args, tangents, lead):
    a, b = args
    ta, tb = tangents
    terms = []
    if ta is not None:
        terms.append(xp.matmul(ta, b))
    if tb is not None:
        terms.append(xp.matmul(a, tb))
    return terms[0] if len(terms) == 1 else xp.add(*terms)


def _matmul_vjp(xp, g, out, args, i):
    a, b = args
    return xp.matmul(g, xp.transpose(b)) if i == 0 else xp.matmul(xp.transpose(a), g)


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


# --- Work (units of ``flops``) --------------------------------------------------------------------------------


def _matmul_work(out, a, b):
    return np.size(out) * shape_of(a)[-1]  # m·n outputs, k multiply-adds each (flops weight 2: 2mnk)


def _input_size(out, a, *rest, **params):
    return np.size(a)


def _sum_like_work(out, a, like, mean=False):
    return 0 if shape_of(a) == shape_of(like) else np.size(a)  # a no-op when nothing was broadcast


def _no_work(*args, **params):
    return 0


_T = TRANSCENDENTAL
_A = ARITHMETIC
_NO_DERIVATIVE = (True, False)  # (a, like): ``like`` only supplies a shape

TENSOR_PRIMITIVES: list[Primitive] = [
    Primitive(
        "matmul", 2, np.matmul, lambda a, b: a @ b, (), 2 * _A, infix="@",
        jvp=_matmul_jvp, vjp=_matmul_vjp, work=_matmul_work, check=_check_matrix("matmul"),
        doc="Matrix product of two 2-D arrays; 2mnk flops. VJPs g·Bᵀ and Aᵀ·g.",
    ),
    Primitive(
        "transpose", 1, lambda a: np.asarray(a).swapaxes(-1, -2), lambda a: a.T, (), 0,
        jvp=_linear_jvp("transpose"), vjp=lambda xp, g, out, args, i: xp.transpose(g),
        work=_no_work, check=_check_matrix("transpose"), doc="Transpose of a 2-D array (a view: no flops).",
    ),
    Primitive(
        "reshape", 1, lambda a, shape: np.reshape(a, shape), lambda a, shape: np.reshape(a, shape), (), 0,
        jvp=_reshape_jvp, vjp=lambda xp, g, out, args, i, shape: xp.reshape_like(g, args[0]), params=("shape",),
        work=_no_work, doc="Reshape (no flops).",
    ),
    Primitive(
        "reshape_like", 2, lambda a, like: np.reshape(a, shape_of(like)),
        lambda a, like: np.reshape(a, np.shape(like)), (), 0,
        jvp=_reshape_like_jvp, vjp=lambda xp, g, out, args, i: xp.reshape_like(g, args[0]),
        work=_no_work, differentiable=_NO_DERIVATIVE, doc="Reshape a to like's shape.",
    ),
    Primitive(
        "sum", 1, lambda a, axis=None: np.sum(a, axis=axis), lambda a, axis=None: np.sum(a, axis=axis), (), _A,
        jvp=_reduce_jvp("sum"), vjp=lambda xp, g, out, args, i, axis=None: xp.broadcast_like(g, args[0], axis=axis),
        params=("axis",), work=_input_size, check=_check_axis, doc="Sum over axis (None: all axes).",
    ),
    Primitive(
        "mean", 1, lambda a, axis=None: np.mean(a, axis=axis), _sympy_mean, (), _A,
        jvp=_reduce_jvp("mean"),
        vjp=lambda xp, g, out, args, i, axis=None: xp.broadcast_like(g, args[0], axis=axis, mean=True),
        params=("axis",), work=lambda out, a, axis=None: np.size(a) + np.size(out), check=_check_axis,
        doc="Mean over axis (None: all axes).",
    ),
    Primitive(
        "broadcast_like", 2, _broadcast_like, _broadcast_like, (), _A,
        jvp=_broadcast_like_jvp, vjp=_broadcast_like_vjp, params=("axis", "mean"),
        work=lambda out, a, like, axis=None, mean=False: np.size(out) if mean else 0,
        differentiable=_NO_DERIVATIVE,
        doc="a broadcast to like's shape (reduced axes put back first when axis is given); mean=True divides by "
            "the number of copies. Adjoint of sum, mean and sum_like.",
    ),
    Primitive(
        "sum_like", 2, _sum_like, lambda a, like, mean=False: _sum_like(a, like, mean), (), _A,
        jvp=_sum_like_jvp, vjp=lambda xp, g, out, args, i, mean=False: xp.broadcast_like(g, args[0], mean=mean),
        params=("mean",), work=_sum_like_work, differentiable=_NO_DERIVATIVE,
        doc="a summed down to like's shape: how a cotangent returns to an argument that was broadcast.",
    ),
    Primitive(
        "logsumexp", 1, _logsumexp, _sympy_logsumexp, (), _T + 3,
        jvp=_logsumexp_jvp, vjp=_logsumexp_vjp, params=("axis",), work=_input_size, check=_check_last_axis,
        doc="log Σ exp(a) over axis, shifted by the maximum so that logits of ±1000 do not overflow.",
    ),
    Primitive(
        "softmax", 1, _softmax, _sympy_softmax, (), _T + 3,
        jvp=_softmax_jvp, vjp=_softmax_vjp, params=("axis",), work=_input_size, check=_check_last_axis,
        doc="exp(a) / Σ exp(a) over axis, computed stably.",
    ),
    Primitive(
        "log_softmax", 1, _log_softmax, _sympy_log_softmax, (), _T + 3,
        jvp=_log_softmax_jvp, vjp=_log_softmax_vjp, params=("axis",), work=_input_size, check=_check_last_axis,
        doc="a - logsumexp(a) over axis: log-probabilities, stable for logits of ±1000.",
    ),
]
