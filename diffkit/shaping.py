"""Building and rearranging arrays (issue 15): comparisons and ``where``, joining (concatenate, stack), axes
(expand_dims, squeeze, swapaxes, moveaxis, permute_dims), copies (broadcast_to, flip, roll, tile, repeat, pad)
and gathers (take, take_along_axis, gather for integer-array and boolean indices).

Every entry is one ``Primitive``: its NumPy value, its reading on object arrays of SymPy expressions, a JVP and a
VJP written with the namespace ``xp`` only (so they run on arrays, dual numbers and graph handles alike), its
work, its shape rule and a check that names what does not fit.

Conventions:

* Comparisons (``less``, ``equal``, ...) give 0/1 float masks and have no derivative: their arguments are marked
  non-differentiable (derivative zero, as ``heaviside``'s is away from 0); they are non-smooth (the complex step
  refuses them, the tie is their kink). They compare real parts, so a complex step never flips a comparison.
* ``where(cond, a, b)``: ``cond`` only selects (no derivative, non-zero means true); the cotangent goes to the
  branch that was picked and 0 to the other. As in JAX, an unpicked branch that is nan or inf still gives
  0·inf = nan further back: mask the argument, not only the result.
* Moving data costs no flops (as ``index`` and ``transpose``); adjoints that add (tile, repeat, scatter-add)
  count one add per element they read.
* A node has a fixed number of arguments (``Primitive.arity``; a plan step's ``args`` is a tuple the builder
  checks against it), so ``concatenate`` and ``stack`` are binary: a list is recorded as a chain of binary
  nodes, ``concatenate_all`` / ``stack_all`` below.
* Shapes are not known while a gradient graph is being written, so adjoints that need one take a shape-only
  companion argument (``like``, marked non-differentiable) as ``tensor_ops``'s ``scatter_like`` does:
  ``split_part`` ↔ ``split_place`` (concatenate), ``untile_like`` (tile), ``unrepeat_like`` (repeat),
  ``unpad`` (pad), ``gather_add_like`` (gather, take), ``take_along_axis_add_like`` (take_along_axis). Each pair
  is adjoint: the VJP of one is the other.
* Integer-array indices are node parameters in a frozen, hashable form (``IndexArray``); repeated indices
  accumulate in the adjoint (``np.add.at``).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .errors import ConversionError
from .primitive import ARITHMETIC, Primitive
from .tensor_ops import _index_entry, _lead_shape, index_text, ndim_of, shape_of

# --- Small helpers: axes, leading tangent axes, errors ---------------------------------------------------------

_ALL = (None, None, None)  # a whole axis, the frozen form of ``:``


def _axes_tuple(axis) -> tuple[int, ...]:
    return (axis,) if isinstance(axis, int | np.integer) else tuple(axis)


def _bad_axes(axis, ndim: int, what: str = "axis") -> str | None:
    """A message when ``axis`` (an int or a tuple) names an axis outside an ndim array, or one twice."""
    axes = _axes_tuple(axis)
    bad = [a for a in axes if not -ndim <= a < ndim]
    if bad:
        return f"{what} {bad[0]} is out of range for an array of {ndim} dimension{'s' * (ndim != 1)}"
    if len({a % ndim for a in axes}) != len(axes):
        return f"{what} {axis} repeats an axis"
    return None


def _single_axis(axis, ndim: int) -> str | None:
    """A message unless ``axis`` is one integer naming an axis of an ndim array."""
    if not isinstance(axis, int | np.integer):
        return f"axis must be a single integer here, got {axis!r}"
    return _bad_axes(axis, ndim)


def _negative(axis, ndim: int):
    """Axes counted from the end (an int stays an int): they name the same axes under leading tangent axes."""
    if isinstance(axis, int | np.integer):
        return int(axis) % ndim - ndim
    return tuple(int(a) % ndim - ndim for a in axis)


def _lined_up(t, lead: int, ndim: int):
    """A batched tangent of a lower-rank value with 1s inserted after its ``lead`` axes, up to ``ndim``."""
    missing = ndim - (np.ndim(t) - lead)
    if missing <= 0:
        return t
    shape = np.shape(t)
    return np.reshape(t, shape[:lead] + (1,) * missing + shape[lead:])


def _zeros_for(arg, lead_shape: tuple[int, ...]):
    """A zero tangent for an argument that has none (a binary primitive whose other argument has one)."""
    return np.zeros(lead_shape + shape_of(arg))


def _real(x):
    x = np.asarray(x)
    return x.real if np.iscomplexobj(x) else x


def _broadcast(*shapes) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(*shapes))


def _check_broadcast(*args, **params) -> str | None:
    shapes = [shape_of(a) for a in args]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return f"arguments of shapes {', '.join(map(str, shapes))} do not broadcast together"
    return None


def _view(shape):
    """An array of this shape that holds no memory (NumPy's own rules applied to shapes)."""
    return np.broadcast_to(np.empty((), dtype=bool), shape)


def _no_work(*args, **params):
    return 0


def _input_size(out, a, *rest, **params):
    return np.size(a)


# --- Comparisons and where -------------------------------------------------------------------------------------


def _heaviside(x):
    return sp.Heaviside(x, 0)  # H(0) = 0: 1 exactly where x > 0


# name -> (NumPy comparison, the same 0/1 value written with Heaviside steps for SymPy)
_COMPARISONS = {
    "less": (np.less, lambda a, b: _heaviside(b - a)),
    "less_equal": (np.less_equal, lambda a, b: 1 - _heaviside(a - b)),
    "greater": (np.greater, lambda a, b: _heaviside(a - b)),
    "greater_equal": (np.greater_equal, lambda a, b: 1 - _heaviside(b - a)),
    "equal": (np.equal, lambda a, b: 1 - _heaviside(a - b) - _heaviside(b - a)),
    "not_equal": (np.not_equal, lambda a, b: _heaviside(a - b) + _heaviside(b - a)),
}


def _compare_numpy(compare):
    def numpy(a, b):
        return np.asarray(compare(_real(a), _real(b)), dtype=np.float64)[()]

    return numpy


def _compare_sympy(reading):
    return lambda a, b: np.frompyfunc(reading, 2, 1)(a, b)


def _no_jvp(xp, out, args, tangents, lead, **params):
    return None  # never asked: no argument is differentiable


def _no_vjp(xp, g, out, args, i, **params):
    return None


def _comparison(name: str) -> Primitive:
    compare, reading = _COMPARISONS[name]
    return Primitive(
        name, 2, _compare_numpy(compare), _compare_sympy(reading), (), ARITHMETIC, smooth=False,
        jvp=_no_jvp, vjp=_no_vjp, differentiable=(False, False), check=_check_broadcast, shape=_broadcast,
        doc=f"Elementwise {name.replace('_', ' ')} as a 0/1 float mask (np.{compare.__name__} of the real parts); "
            "no derivative (zero): a mask only selects.",
    )


def _where(c, a, b):
    return np.where(_real(c) != 0, a, b)


def _sympy_where_entry(c, a, b):
    if c.is_number:
        return a if c != 0 else b
    return sp.Piecewise((a, sp.Ne(c, 0)), (b, True))


def _where_jvp(xp, out, args, tangents, lead):
    _, ta, tb = tangents
    c = args[0]
    if lead:  # batched tangents (NumPy): line each tangent's own axes up under the output's
        ndim = np.ndim(out)
        ta = 0.0 if ta is None else _lined_up(ta, lead, ndim)
        tb = 0.0 if tb is None else _lined_up(tb, lead, ndim)
        return np.where(_real(c) != 0, ta, tb)
    return xp.where(c, 0.0 if ta is None else ta, 0.0 if tb is None else tb)


def _where_vjp(xp, g, out, args, i):
    picked = xp.where(args[0], g, 0.0) if i == 1 else xp.where(args[0], 0.0, g)
    return xp.sum_like(picked, args[i])


# --- Joining: concatenate, stack -------------------------------------------------------------------------------


def _concatenate(a, b, axis=0):
    return np.concatenate([np.asarray(a), np.asarray(b)], axis=axis)


def _sympy_concatenate(a, b, axis=0):
    return np.concatenate([np.asarray(a, dtype=object), np.asarray(b, dtype=object)], axis=axis)


def _check_concatenate(a, b, axis=0) -> str | None:
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        return f"cannot concatenate 0-d arrays (shapes {sa} and {sb}); use stack, or reshape them to (1,)"
    if len(sa) != len(sb):
        return f"arrays of shapes {sa} and {sb} have different numbers of dimensions"
    problem = _single_axis(axis, len(sa))
    if problem:
        return problem
    k = axis % len(sa)
    if sa[:k] + sa[k + 1:] != sb[:k] + sb[k + 1:]:
        return f"arrays of shapes {sa} and {sb} differ outside axis {axis}"
    return None


def _concatenate_shape(a, b, axis=0):
    k = axis % len(a)
    return a[:k] + (a[k] + b[k],) + a[k + 1:]


def _both_tangents(args, tangents, lead):
    lead_shape = next(_lead_shape(t, lead) for t in tangents if t is not None)
    return [t if t is not None else _zeros_for(arg, lead_shape) for t, arg in zip(tangents, args, strict=True)]


def _concatenate_jvp(xp, out, args, tangents, lead, axis=0):
    ta, tb = _both_tangents(args, tangents, lead)
    return xp.concatenate(ta, tb, axis=_negative(axis, ndim_of(args[0])))


def _split_slices(ndim: int, axis: int, first: int, part: int) -> tuple:
    k = axis % ndim
    return (slice(None),) * k + ((slice(0, first),) if part == 0 else (slice(first, None),))


def _split_part(g, first, axis=0, part=0):
    """The part of g (along axis) that came from concatenate's first argument (part 0) or its second (1)."""
    g = np.asarray(g)
    return g[_split_slices(g.ndim, axis, shape_of(first)[axis], part)]


def _split_place(h, like, first, axis=0, part=0, lead=0):
    """Zeros of like's shape (after ``lead`` batched axes) with h written at the part: split_part's adjoint."""
    h = np.asarray(h)
    shape = _lead_shape(h, lead) + shape_of(like)
    if h.dtype == object:  # SymPy entries (the symbolic method)
        out = np.full(shape, sp.Integer(0), dtype=object)
    else:
        out = np.zeros(shape, dtype=np.result_type(h, np.float64))
    out[(slice(None),) * lead + _split_slices(ndim_of(like), axis, shape_of(first)[axis], part)] = h
    return out


def _split_part_jvp(xp, out, args, tangents, lead, axis=0, part=0):
    return xp.split_part(tangents[0], args[1], axis=_negative(axis, ndim_of(args[0])), part=part)


def _split_place_jvp(xp, out, args, tangents, lead, axis=0, part=0):
    if lead:
        return _split_place(tangents[0], args[1], args[2], axis=axis, part=part, lead=lead)
    return xp.split_place(tangents[0], args[1], args[2], axis=axis, part=part)


def _check_split_part(g, first, axis=0, part=0) -> str | None:
    return _check_split(g, first, axis)


def _check_split_place(h, like, first, axis=0, part=0) -> str | None:
    problem = _check_split(like, first, axis)
    if problem is None and shape_of(h) != _split_part_shape(shape_of(like), shape_of(first), axis, part):
        return f"the values written have shape {shape_of(h)}, which is not part {part} of {shape_of(like)}"
    return problem


def _check_split(like, first, axis) -> str | None:
    problem = _single_axis(axis, ndim_of(like))
    if problem:
        return problem
    if ndim_of(like) != ndim_of(first):
        return f"cannot split an array of shape {shape_of(like)} by one of shape {shape_of(first)} along {axis}"
    if shape_of(first)[axis] > shape_of(like)[axis]:
        return f"the first part ({shape_of(first)[axis]} entries) is longer than axis {axis} of {shape_of(like)}"
    return None


def _split_part_shape(g, first, axis=0, part=0):
    k = axis % len(g)
    n = first[k] if part == 0 else g[k] - first[k]
    return g[:k] + (n,) + g[k + 1:]


def _stack(a, b, axis=0):
    return np.stack([np.asarray(a), np.asarray(b)], axis=axis)


def _sympy_stack(a, b, axis=0):
    return np.stack([np.asarray(a, dtype=object), np.asarray(b, dtype=object)], axis=axis)


def _check_stack(a, b, axis=0) -> str | None:
    if shape_of(a) != shape_of(b):
        return f"stack needs arrays of one shape, got {shape_of(a)} and {shape_of(b)}"
    return _single_axis(axis, ndim_of(a) + 1)


def _stack_shape(a, b, axis=0):
    k = axis % (len(a) + 1)
    return a[:k] + (2,) + a[k:]


def _stack_jvp(xp, out, args, tangents, lead, axis=0):
    ta, tb = _both_tangents(args, tangents, lead)
    return xp.stack(ta, tb, axis=_negative(axis, ndim_of(args[0]) + 1))


def _entry_along(axis: int, entry) -> tuple:
    """The frozen index picking ``entry`` along ``axis`` (no shape needed: counted from the nearer end)."""
    return (_ALL,) * axis + (entry,) if axis >= 0 else (Ellipsis, entry) + (_ALL,) * (-axis - 1)


def _stack_vjp(xp, g, out, args, i, axis=0):
    return xp.index(g, index=_entry_along(axis, i))


def concatenate_all(xp, arrays, axis: int = 0):
    """A list joined as a chain of binary ``concatenate`` nodes: ((a, b), c), ... (``xp``: a namespace with
    the primitives, e.g. ``diffkit.functions``). One array is returned as it is."""
    arrays = list(arrays)
    if not arrays:
        raise ConversionError("concatenate needs at least one array")
    out = arrays[0]
    for a in arrays[1:]:
        out = xp.concatenate(out, a, axis=axis)
    return out


def stack_all(xp, arrays, axis: int = 0):
    """A list stacked along a new axis: each array given that axis (expand_dims), then concatenated."""
    return concatenate_all(xp, [xp.expand_dims(a, axis=axis) for a in arrays], axis=axis)


# --- Axes: expand_dims, squeeze, swapaxes, moveaxis, permute_dims ----------------------------------------------


def _expanded_ndim(a_ndim: int, axis) -> int:
    return a_ndim + len(_axes_tuple(axis))


def _check_expand_dims(a, axis=0) -> str | None:
    return _bad_axes(axis, _expanded_ndim(ndim_of(a), axis))


def _expand_dims_jvp(xp, out, args, tangents, lead, axis=0):
    return xp.expand_dims(tangents[0], axis=_negative(axis, _expanded_ndim(ndim_of(args[0]), axis)))


def _reshape_back(xp, g, out, args, i, **params):
    return xp.reshape_like(g, args[0])


def _squeezed_axes(shape, axis) -> tuple[int, ...]:
    if axis is None:
        return tuple(k for k, n in enumerate(shape) if n == 1)
    return tuple(a % len(shape) for a in _axes_tuple(axis))


def _check_squeeze(a, axis=None) -> str | None:
    if axis is None:
        return None
    shape = shape_of(a)
    problem = _bad_axes(axis, len(shape))
    if problem:
        return problem
    wide = [a for a in _axes_tuple(axis) if shape[a] != 1]
    if wide:
        return (f"axis {wide[0]} of an array of shape {shape} has {shape[wide[0]]} entries; squeeze only removes "
                "axes of length 1")
    return None


def _squeeze_jvp(xp, out, args, tangents, lead, axis=None):
    shape = shape_of(args[0])
    return xp.squeeze(tangents[0], axis=_negative(_squeezed_axes(shape, axis), len(shape)))


def _squeeze_shape(a, axis=None):
    gone = set(_squeezed_axes(a, axis))
    return tuple(n for k, n in enumerate(a) if k not in gone)


def _check_swapaxes(a, axis1=0, axis2=1) -> str | None:
    ndim = ndim_of(a)
    return _bad_axes(axis1, ndim, "axis1") or _bad_axes(axis2, ndim, "axis2")


def _swapaxes_jvp(xp, out, args, tangents, lead, axis1=0, axis2=1):
    ndim = ndim_of(args[0])
    return xp.swapaxes(tangents[0], axis1=_negative(axis1, ndim), axis2=_negative(axis2, ndim))


def _swapaxes_shape(a, axis1=0, axis2=1):
    shape = list(a)
    shape[axis1], shape[axis2] = shape[axis2], shape[axis1]
    return tuple(shape)


def _check_moveaxis(a, source=0, destination=0) -> str | None:
    ndim = ndim_of(a)
    if len(_axes_tuple(source)) != len(_axes_tuple(destination)):
        return f"source {source} and destination {destination} name different numbers of axes"
    return _bad_axes(source, ndim, "source") or _bad_axes(destination, ndim, "destination")


def _moveaxis_jvp(xp, out, args, tangents, lead, source=0, destination=0):
    ndim = ndim_of(args[0])
    return xp.moveaxis(tangents[0], source=_negative(source, ndim), destination=_negative(destination, ndim))


def _check_permute_dims(a, axes=None) -> str | None:
    if axes is None:
        return None
    ndim = ndim_of(a)
    if len(axes) != ndim or _bad_axes(axes, ndim):
        return f"axes {axes} is not a permutation of the {ndim} axes of an array of shape {shape_of(a)}"
    return None


def _permute_dims_jvp(xp, out, args, tangents, lead, axes=None):
    if not lead:
        return xp.permute_dims(tangents[0], axes=axes)
    ndim = ndim_of(args[0])
    order = tuple(reversed(range(ndim))) if axes is None else tuple(a % ndim for a in axes)
    return np.transpose(tangents[0], tuple(range(lead)) + tuple(lead + a for a in order))


def _permute_dims_vjp(xp, g, out, args, i, axes=None):
    if axes is None:
        return xp.permute_dims(g)  # reversing the axes is its own inverse
    return xp.permute_dims(g, axes=tuple(int(k) for k in np.argsort([a % len(axes) for a in axes])))


def _permute_dims_shape(a, axes=None):
    return tuple(reversed(a)) if axes is None else tuple(a[k] for k in axes)


# --- Copies: broadcast_to, flip, roll, tile, repeat, pad -------------------------------------------------------


def _check_broadcast_to(a, shape=()) -> str | None:
    if any(n < 0 for n in shape):
        return f"a shape cannot have negative entries, got {shape}"
    try:
        fits = _broadcast(shape_of(a), shape) == tuple(shape)
    except ValueError:
        fits = False
    return None if fits else f"an array of shape {shape_of(a)} cannot be broadcast to shape {tuple(shape)}"


def _broadcast_to_jvp(xp, out, args, tangents, lead, shape=()):
    t = tangents[0]
    if not lead:
        return xp.broadcast_to(t, shape=shape)
    return np.broadcast_to(_lined_up(t, lead, len(shape)), _lead_shape(t, lead) + tuple(shape))


def _sympy_broadcast_to(a, shape=()):
    return np.array(np.broadcast_to(np.asarray(a, dtype=object), shape))


def _flip_jvp(xp, out, args, tangents, lead, axis=None):
    ndim = ndim_of(args[0])
    return xp.flip(tangents[0], axis=_negative(tuple(range(ndim)) if axis is None else axis, ndim))


def _check_flip(a, axis=None) -> str | None:
    return None if axis is None else _bad_axes(axis, ndim_of(a))


def _negated(shift):
    return -shift if isinstance(shift, int) else tuple(-s for s in shift)


def _check_roll(a, shift=0, axis=None) -> str | None:
    if axis is None:
        return None if isinstance(shift, int) else "a roll without axis (of the flattened array) takes one shift"
    if isinstance(shift, tuple) and isinstance(axis, tuple) and len(shift) != len(axis):
        return f"shift {shift} and axis {axis} have different lengths"
    if isinstance(shift, tuple) and not isinstance(axis, tuple):
        return f"shift {shift} names several shifts for the single axis {axis}"
    ndim = ndim_of(a)
    bad = [k for k in _axes_tuple(axis) if not -ndim <= k < ndim]  # np.roll allows an axis twice (shifts add)
    return f"axis {bad[0]} is out of range for an array of shape {shape_of(a)}" if bad else None


def _roll_jvp(xp, out, args, tangents, lead, shift=0, axis=None):
    t = tangents[0]
    if axis is None:
        if not lead:
            return xp.roll(t, shift=shift)
        return np.roll(np.reshape(t, _lead_shape(t, lead) + (-1,)), shift, axis=-1).reshape(np.shape(t))
    return xp.roll(t, shift=shift, axis=_negative(axis, ndim_of(args[0])))


def _full_reps(shape, reps) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Shape and reps both padded with leading 1s to the same length, as np.tile does."""
    d = max(len(shape), len(reps))
    return (1,) * (d - len(shape)) + tuple(shape), (1,) * (d - len(reps)) + tuple(reps)


def _check_reps(a, *rest, reps=()) -> str | None:
    return f"reps must not be negative, got {reps}" if any(r < 0 for r in reps) else None


def _tile_jvp(xp, out, args, tangents, lead, reps=()):
    t = tangents[0]
    if not lead:
        return xp.tile(t, reps=reps)
    shape, full = _full_reps(shape_of(args[0]), reps)
    return np.tile(_lined_up(t, lead, len(shape)), (1,) * lead + full)


def _untile(g, like_shape, reps, lead=0):
    """The sum of the tiles of g back to like's shape: tile's adjoint (a NumPy or object array)."""
    g = np.asarray(g)
    shape, full = _full_reps(like_shape, reps)
    front = g.shape[:lead]
    split = g.reshape(front + sum(((r, n) for r, n in zip(full, shape, strict=True)), ()))
    return split.sum(axis=tuple(lead + 2 * k for k in range(len(shape)))).reshape(front + tuple(like_shape))


def _untile_like_jvp(xp, out, args, tangents, lead, reps=()):
    if lead:
        return _untile(tangents[0], shape_of(args[1]), reps, lead)
    return xp.untile_like(tangents[0], args[1], reps=reps)


def _tile_shape(a, reps=()):
    shape, full = _full_reps(a, reps)
    return tuple(n * r for n, r in zip(shape, full, strict=True))


def _check_untile(g, like, reps=()) -> str | None:
    if shape_of(g) != _tile_shape(shape_of(like), reps):
        return f"an array of shape {shape_of(g)} is not {shape_of(like)} tiled {reps} times"
    return _check_reps(g, reps=reps)


def _repeat_count(shape, axis) -> int:
    return int(np.prod(shape)) if axis is None else shape[axis]


def _check_repeat(a, *rest, repeats=1, axis=None) -> str | None:
    shape = shape_of(rest[0]) if rest else shape_of(a)
    if axis is not None:
        problem = _single_axis(axis, len(shape))
        if problem:
            return problem
    counts = _axes_tuple(repeats)
    if any(r < 0 for r in counts):
        return f"repeats must not be negative, got {repeats}"
    n = _repeat_count(shape, axis)
    if len(counts) not in (1, n):
        where = "entries in all" if axis is None else f"entries along axis {axis}"
        return f"{len(counts)} repeats for {n} {where} of an array of shape {shape}"
    return None


def _repeat_jvp(xp, out, args, tangents, lead, repeats=1, axis=None):
    t = tangents[0]
    if axis is not None:
        return xp.repeat(t, repeats=repeats, axis=_negative(axis, ndim_of(args[0])))
    if not lead:
        return xp.repeat(t, repeats=repeats)
    return np.repeat(np.reshape(t, _lead_shape(t, lead) + (-1,)), repeats, axis=-1)


def _unrepeat(g, like_shape, repeats, axis=None, lead=0):
    """Each entry's repeated copies in g summed back into it: repeat's adjoint (np.add.at: 0 repeats give 0)."""
    g = np.asarray(g)
    front = g.shape[:lead]
    target = front + ((int(np.prod(like_shape)),) if axis is None else tuple(like_shape))
    k = lead + (0 if axis is None else axis % len(like_shape))
    owner = np.repeat(np.arange(target[k]), repeats)  # which entry each copy came from
    if g.dtype == object:
        out = np.full(target, sp.Integer(0), dtype=object)
    else:
        out = np.zeros(target, dtype=np.result_type(g, np.float64))
    np.add.at(out, (slice(None),) * k + (owner,), g)
    return out.reshape(front + tuple(like_shape))


def _unrepeat_like_jvp(xp, out, args, tangents, lead, repeats=1, axis=None):
    if lead:
        return _unrepeat(tangents[0], shape_of(args[1]), repeats, axis, lead)
    return xp.unrepeat_like(tangents[0], args[1], repeats=repeats, axis=axis)


def _repeat_shape(a, repeats=1, axis=None):
    n = _repeat_count(a, axis)
    total = n * repeats if isinstance(repeats, int) else (sum(repeats) if len(repeats) == n else n * repeats[0])
    return (total,) if axis is None else a[:axis % len(a)] + (total,) + a[axis % len(a) + 1:]


def _widths(pad_width, ndim: int) -> tuple[tuple[int, int], ...]:
    """The frozen pad widths, one (before, after) pair per axis (a single pair applies to every axis)."""
    return tuple(pad_width) * ndim if len(pad_width) == 1 else tuple(pad_width)


def _check_pad(a, pad_width=((0, 0),)) -> str | None:
    ndim = ndim_of(a)
    if len(pad_width) not in (1, ndim):
        return f"{len(pad_width)} (before, after) pairs of pad widths for an array of {ndim} dimensions"
    return None


def _pad(a, pad_width=((0, 0),)):
    return np.pad(np.asarray(a), _widths(pad_width, np.ndim(a)))


def _sympy_pad(a, pad_width=((0, 0),)):
    a = np.asarray(a, dtype=object)
    widths = _widths(pad_width, a.ndim)
    out = np.full(tuple(n + b + e for n, (b, e) in zip(a.shape, widths, strict=True)), sp.Integer(0), dtype=object)
    out[tuple(slice(b, b + n) for n, (b, _) in zip(a.shape, widths, strict=True))] = a
    return out


def _pad_jvp(xp, out, args, tangents, lead, pad_width=((0, 0),)):
    if not lead:
        return xp.pad(tangents[0], pad_width=pad_width)
    return np.pad(tangents[0], ((0, 0),) * lead + _widths(pad_width, ndim_of(args[0])))


def _unpad(g, pad_width=((0, 0),), lead=0):
    """The middle of g, without its padding: pad's adjoint."""
    g = np.asarray(g)
    widths = _widths(pad_width, g.ndim - lead)
    inner = tuple(slice(b, n - e) for n, (b, e) in zip(g.shape[lead:], widths, strict=True))
    return g[(slice(None),) * lead + inner]


def _unpad_jvp(xp, out, args, tangents, lead, pad_width=((0, 0),)):
    if lead:
        return _unpad(tangents[0], pad_width, lead)
    return xp.unpad(tangents[0], pad_width=pad_width)


def _check_unpad(g, pad_width=((0, 0),)) -> str | None:
    problem = _check_pad(g, pad_width)
    if problem:
        return problem
    widths = _widths(pad_width, ndim_of(g))
    if any(b + e > n for n, (b, e) in zip(shape_of(g), widths, strict=True)):
        return f"pad widths {pad_width} are wider than an array of shape {shape_of(g)}"
    return None


def _pad_shape(a, pad_width=((0, 0),)):
    return tuple(n + b + e for n, (b, e) in zip(a, _widths(pad_width, len(a)), strict=True))


def _unpad_shape(g, pad_width=((0, 0),)):
    return tuple(n - b - e for n, (b, e) in zip(g, _widths(pad_width, len(g)), strict=True))


# --- Gathers: index arrays as node parameters ------------------------------------------------------------------


@dataclass(frozen=True)
class IndexArray:
    """An integer (or boolean mask) index array, frozen: hashable, picklable, a node parameter.

    ``values`` holds its entries in C order as plain Python ints (or bools), ``shape`` its shape."""

    shape: tuple[int, ...]
    values: tuple
    boolean: bool = False

    @functools.cached_property
    def array(self) -> np.ndarray:
        array = np.array(self.values, dtype=bool if self.boolean else np.intp).reshape(self.shape)
        array.flags.writeable = False
        return array

    def __str__(self) -> str:
        return str(self.array.tolist())

    def __getstate__(self):  # the cached array is rebuilt after unpickling
        return {"shape": self.shape, "values": self.values, "boolean": self.boolean}

    def __setstate__(self, state):
        for name, value in state.items():
            object.__setattr__(self, name, value)


def frozen_indices(entry) -> IndexArray:
    """A list or array of integers (or booleans) as an ``IndexArray``; anything else is refused clearly."""
    if isinstance(entry, IndexArray):
        return entry
    try:
        array = np.asarray(entry)
    except ValueError:
        raise ConversionError("an index array must be rectangular (a list of lists of one length)") from None
    if array.size == 0:
        array = array.astype(np.intp)  # np.asarray([]) is float64; an empty index picks nothing
    if array.dtype == bool:
        return IndexArray(array.shape, tuple(bool(v) for v in array.ravel()), boolean=True)
    if array.dtype.kind not in "iu":
        raise ConversionError(f"an index array must hold integers or booleans, got {array.dtype} entries")
    return IndexArray(array.shape, tuple(int(v) for v in array.ravel()))


def is_fancy(key) -> bool:
    """Does an index (what ``x[key]`` receives) hold index arrays or masks, so that it needs ``gather``?"""
    entries = key if isinstance(key, tuple) else (key,)
    return any(isinstance(e, list | np.ndarray | IndexArray) and np.ndim(e) > 0 for e in entries) or any(
        isinstance(e, tuple) and len(e) != 3 for e in entries) or isinstance(key, list)


def frozen_fancy_index(key, frozen: bool = True) -> tuple:
    """An index with integer arrays or boolean masks (and ints, slices, ...) as the hashable node parameter.

    ``frozen=False`` is for user keys straight from ``[]``, where a tuple inside the key is an index array;
    in the frozen form (``frozen=True``) a 3-tuple is a slice, so index arrays are lists, arrays or IndexArrays.
    """
    if isinstance(key, list | np.ndarray | IndexArray) and np.ndim(key) > 0:
        return (frozen_indices(key),)
    entries = []
    for entry in key if isinstance(key, tuple) else (key,):
        if isinstance(entry, IndexArray) or (isinstance(entry, list | np.ndarray) and np.ndim(entry) > 0):
            entries.append(frozen_indices(entry))
        elif isinstance(entry, tuple) and not (frozen and len(entry) == 3):
            entries.append(frozen_indices(entry))
        else:
            entries.append(_index_entry(entry, frozen))
    if entries.count(Ellipsis) > 1:
        raise ConversionError("an index can only have a single ellipsis (...)")
    return tuple(entries)


def numpy_fancy_index(index: tuple) -> tuple:
    """The frozen index as NumPy takes it: IndexArrays as arrays, triples as slices."""
    return tuple(e.array if isinstance(e, IndexArray) else slice(*e) if isinstance(e, tuple) else e for e in index)


def _check_gather(a, *rest, index=()) -> str | None:
    """NumPy's own verdict on the index for this shape (out of range, a mask of the wrong shape, too many)."""
    shape = shape_of(rest[0]) if rest else shape_of(a)
    try:
        slot = _view(shape)[numpy_fancy_index(index)].shape
    except IndexError as exc:
        return f"the index [{index_text(index)}] does not fit an array of shape {shape}: {exc}"
    if rest and shape_of(a) != slot:
        return (f"the values added have shape {shape_of(a)}, but the index [{index_text(index)}] of an array of "
                f"shape {shape} picks shape {slot}")
    return None


def _gather(a, index=()):
    return np.asarray(a)[numpy_fancy_index(index)]


def _moved_index(index: tuple, lead: int) -> tuple:
    return numpy_fancy_index(index) + (slice(None),) * lead


def _lead_last(t, lead: int):
    return np.moveaxis(t, tuple(range(lead)), tuple(range(-lead, 0)))


def _lead_first(t, lead: int):
    return np.moveaxis(t, tuple(range(-lead, 0)), tuple(range(lead)))


def _gather_jvp(xp, out, args, tangents, lead, index=()):
    t = tangents[0]
    if not lead:
        return xp.gather(t, index=index)
    # advanced indices separated by a slice put their axes first: index with the leading axes moved last
    return _lead_first(_lead_last(t, lead)[_moved_index(index, lead)], lead)


def _gather_add(g, like_shape, index, lead=0):
    """Zeros of like's shape (after ``lead`` axes) with g added at index: repeated entries accumulate."""
    g = np.asarray(g)
    front = g.shape[:lead]
    if g.dtype == object:
        out = np.full(tuple(like_shape) + front, sp.Integer(0), dtype=object)
    else:
        out = np.zeros(tuple(like_shape) + front, dtype=np.result_type(g, np.float64))
    np.add.at(out, _moved_index(index, lead), _lead_last(g, lead) if lead else g)
    return _lead_first(out, lead) if lead else out


def _gather_add_like_jvp(xp, out, args, tangents, lead, index=()):
    if lead:
        return _gather_add(tangents[0], shape_of(args[1]), index, lead)
    return xp.gather_add_like(tangents[0], args[1], index=index)


def _gather_shape(a, index=()):
    return _view(a)[numpy_fancy_index(index)].shape


def _check_take(a, *rest, indices=None, axis=None) -> str | None:
    shape = shape_of(rest[0]) if rest else shape_of(a)
    if indices is None:
        return "take needs indices= (a list or array of integers)"
    if axis is not None:
        problem = _single_axis(axis, len(shape))
        if problem:
            return problem
    if indices.boolean:
        return "take needs integer indices, not a boolean mask; index with the mask instead (a gather)"
    n = _repeat_count(shape, axis)
    bad = [i for i in indices.values if not -n <= i < n]
    if bad:
        where = "entries in all" if axis is None else f"entries along axis {axis}"
        return f"index {bad[0]} is out of range for the {n} {where} of an array of shape {shape}"
    return None


def _take(a, indices=None, axis=None):
    return np.take(np.asarray(a), indices.array, axis=axis)


def _take_jvp(xp, out, args, tangents, lead, indices=None, axis=None):
    t = tangents[0]
    if axis is not None:
        return xp.take(t, indices=indices, axis=_negative(axis, ndim_of(args[0])))
    if not lead:
        return xp.take(t, indices=indices)
    return np.take(np.reshape(t, _lead_shape(t, lead) + (-1,)), indices.array, axis=-1)


def _take_vjp(xp, g, out, args, i, indices=None, axis=None):
    if axis is None:  # np.take of the flattened array: add into the flattened shape, then reshape back
        flat = xp.reshape(args[0], shape=(-1,))
        return xp.reshape_like(xp.gather_add_like(g, flat, index=(indices,)), args[0])
    return xp.gather_add_like(g, args[0], index=_entry_along(axis, indices))


def _take_shape(a, indices=None, axis=None):
    if axis is None:
        return indices.shape
    k = axis % len(a)
    return a[:k] + indices.shape + a[k + 1:]


def _along_index(shape, indices, axis: int) -> tuple:
    """The fancy index equivalent to take_along_axis(·, indices, axis) on an array of ``shape`` (NumPy's own
    construction: an arange for every other axis, shaped to broadcast against ``indices``)."""
    ndim = len(shape)
    k = axis % ndim
    grid = []
    for d in range(ndim):
        if d == k:
            grid.append(indices)
        else:
            grid.append(np.arange(shape[d]).reshape((1,) * d + (shape[d],) + (1,) * (ndim - d - 1)))
    return tuple(grid)


def _check_take_along_axis(a, *rest, indices=None, axis=None) -> str | None:
    shape = shape_of(rest[0]) if rest else shape_of(a)
    if indices is None:
        return "take_along_axis needs indices= (an integer array with as many axes as the array)"
    if axis is None:
        return "take_along_axis needs an integer axis= (for the flattened array, use take)"
    if indices.boolean:
        return "take_along_axis needs integer indices, not a boolean mask"
    if len(indices.shape) != len(shape):
        return f"indices of shape {indices.shape} for an array of shape {shape}: they need the same number of axes"
    problem = _single_axis(axis, len(shape))
    if problem:
        return problem
    n = shape[axis]
    bad = [i for i in indices.values if not -n <= i < n]
    if bad:
        return f"index {bad[0]} is out of range for the {n} entries along axis {axis} of an array of shape {shape}"
    others = [d for d in range(len(shape)) if d != axis % len(shape)]
    for d in others:
        if 1 not in (shape[d], indices.shape[d]) and shape[d] != indices.shape[d]:
            return f"indices of shape {indices.shape} do not broadcast against an array of shape {shape} on axis {d}"
    if rest:
        expected = _take_along_axis_shape(shape, indices, axis)
        if shape_of(a) != expected:
            return f"the values added have shape {shape_of(a)}, expected {expected}"
    return None


def _take_along_axis(a, indices=None, axis=-1):
    return np.take_along_axis(np.asarray(a), indices.array, axis=axis)


def _take_along_axis_jvp(xp, out, args, tangents, lead, indices=None, axis=-1):
    t = tangents[0]
    if not lead:
        return xp.take_along_axis(t, indices=indices, axis=axis)
    index = indices.array.reshape((1,) * lead + indices.shape)
    return np.take_along_axis(t, index, axis=_negative(axis, ndim_of(args[0])))


def _take_along_axis_add(g, like_shape, indices, axis, lead=0):
    """Zeros of like's shape with g added where take_along_axis took its entries (repeats accumulate)."""
    g = np.asarray(g)
    front = g.shape[:lead]
    shape = front + tuple(like_shape)
    out = np.full(shape, sp.Integer(0), dtype=object) if g.dtype == object else np.zeros(
        shape, dtype=np.result_type(g, np.float64))
    index = indices.array.reshape((1,) * lead + indices.shape)
    np.add.at(out, _along_index(shape, index, _negative(axis, len(like_shape))), g)
    return out


def _take_along_axis_add_like_jvp(xp, out, args, tangents, lead, indices=None, axis=-1):
    if lead:
        return _take_along_axis_add(tangents[0], shape_of(args[1]), indices, axis, lead)
    return xp.take_along_axis_add_like(tangents[0], args[1], indices=indices, axis=axis)


def _take_along_axis_shape(a, indices=None, axis=-1):
    k = axis % len(a)
    return tuple(n if d == k else max(n, a[d]) for d, n in enumerate(indices.shape))


# --- Freezing the parameters these primitives take (builder.freeze_params calls these by name) ----------------


def _integers(value, what: str, allow_none: bool = False, allow_tuple: bool = True, minimum: int | None = None):
    if value is None and allow_none:
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        values, single = (int(value),), True
    elif allow_tuple and isinstance(value, tuple | list) and all(
            isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_) for v in value):
        values, single = tuple(int(v) for v in value), False
    else:
        kinds = ("None, " if allow_none else "") + (
            "an integer or a tuple of integers" if allow_tuple else "an integer")
        raise ConversionError(f"{what} must be {kinds}, got {value!r}")
    if minimum is not None and any(v < minimum for v in values):
        raise ConversionError(f"{what} must not be negative, got {value!r}")
    return values[0] if single else values


def _freeze_pad_width(value):
    """pad_width as NumPy takes it (p, (before, after) or one pair per axis) as a tuple of pairs."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        pairs = ((value, value),)
    elif isinstance(value, tuple | list) and len(value) == 2 and all(isinstance(v, int | np.integer) for v in value):
        pairs = (tuple(value),)
    elif isinstance(value, tuple | list) and value and all(isinstance(p, tuple | list) and len(p) == 2 for p in value):
        pairs = tuple(tuple(p) for p in value)
    else:
        raise ConversionError(f"pad_width must be an integer, a (before, after) pair or one pair per axis, "
                              f"got {value!r}")
    frozen = tuple(tuple(_integers(v, "a pad width", allow_tuple=False, minimum=0) for v in p) for p in pairs)
    return frozen


def _freeze_part(value):
    if value not in (0, 1) or isinstance(value, bool):
        raise ConversionError(f"part must be 0 (the first argument's) or 1 (the second's), got {value!r}")
    return int(value)


def _freeze_indices(value):
    indices = frozen_indices(value)
    if indices.boolean:
        raise ConversionError("indices= must be integers; a boolean mask indexes through x[mask] (gather)")
    return indices


# parameter name -> its freezer (what builder.freeze_params calls for names it has no branch of its own for)
FREEZERS = {
    "axis1": lambda v: _integers(v, "axis1", allow_tuple=False),
    "axis2": lambda v: _integers(v, "axis2", allow_tuple=False),
    "source": lambda v: _integers(v, "source"),
    "destination": lambda v: _integers(v, "destination"),
    "axes": lambda v: (lambda r: r if r is None or isinstance(r, tuple) else (r,))(
        _integers(v, "axes", allow_none=True)),
    "shift": lambda v: _integers(v, "shift"),
    "reps": lambda v: (lambda r: r if isinstance(r, tuple) else (r,))(_integers(v, "reps", minimum=0)),
    "repeats": lambda v: _integers(v, "repeats", minimum=0),
    "pad_width": _freeze_pad_width,
    "part": _freeze_part,
    "indices": _freeze_indices,
}
FANCY_INDEXED = frozenset({"gather", "gather_add_like"})  # their ``index`` may hold arrays (frozen_fancy_index)


# --- The table ------------------------------------------------------------------------------------------------

_A = ARITHMETIC
_LIKE = (True, False)  # (a, like): like only supplies a shape


SHAPING_PRIMITIVES: list[Primitive] = [_comparison(name) for name in _COMPARISONS] + [
    Primitive(
        "where", 3, _where, lambda c, a, b: np.frompyfunc(_sympy_where_entry, 3, 1)(c, a, b), (), 0,
        jvp=_where_jvp, vjp=_where_vjp, differentiable=(False, True, True), work=_no_work,
        check=_check_broadcast, shape=_broadcast,
        doc="where(cond, a, b): a where cond is non-zero, else b (broadcast together). cond only selects (no "
            "derivative); the cotangent goes to the branch picked. Data movement: no flops.",
    ),
    Primitive(
        "concatenate", 2, _concatenate, _sympy_concatenate, (), 0,
        jvp=_concatenate_jvp,
        vjp=lambda xp, g, out, args, i, axis=0: xp.split_part(g, args[0], axis=axis, part=i),
        params=("axis",), work=_no_work, check=_check_concatenate, shape=_concatenate_shape,
        doc="concatenate(a, b, axis=0): b after a along axis (binary: a list is a chain of these). VJP: the "
            "cotangent split back (split_part).",
    ),
    Primitive(
        "split_part", 2, _split_part, _split_part, (), 0,
        jvp=_split_part_jvp,
        vjp=lambda xp, g, out, args, i, axis=0, part=0: xp.split_place(g, args[0], args[1], axis=axis, part=part),
        params=("axis", "part"), work=_no_work, differentiable=_LIKE, check=_check_split_part, shape=_split_part_shape,
        doc="split_part(g, first, axis, part): g's entries along axis from concatenate's first argument (part 0: "
            "the first len(first) of them) or its second (part 1: the rest). Adjoint of split_place.",
    ),
    Primitive(
        "split_place", 3, _split_place, _split_place, (), 0,
        jvp=_split_place_jvp,
        vjp=lambda xp, g, out, args, i, axis=0, part=0: xp.split_part(g, args[2], axis=axis, part=part),
        params=("axis", "part"), work=_no_work, differentiable=(True, False, False), check=_check_split_place,
        shape=lambda h, like, first, axis=0, part=0: like,
        doc="split_place(h, like, first, axis, part): zeros of like's shape with h written at split_part's part.",
    ),
    Primitive(
        "stack", 2, _stack, _sympy_stack, (), 0,
        jvp=_stack_jvp, vjp=_stack_vjp, params=("axis",), work=_no_work, check=_check_stack, shape=_stack_shape,
        doc="stack(a, b, axis=0): a and b along a new axis (binary; a list: expand_dims and concatenate). VJP: "
            "the cotangent's entry 0 or 1 along that axis (index).",
    ),
    Primitive(
        "expand_dims", 1, lambda a, axis=0: np.expand_dims(a, axis), lambda a, axis=0: np.expand_dims(a, axis),
        (), 0, jvp=_expand_dims_jvp, vjp=_reshape_back, params=("axis",), work=_no_work,
        check=_check_expand_dims, shape=lambda a, axis=0: np.expand_dims(_view(a), axis).shape,
        doc="New axes of length 1 at axis (positions in the result).",
    ),
    Primitive(
        "squeeze", 1, lambda a, axis=None: np.squeeze(a, axis), lambda a, axis=None: np.squeeze(a, axis), (), 0,
        jvp=_squeeze_jvp, vjp=_reshape_back, params=("axis",), work=_no_work, check=_check_squeeze,
        shape=_squeeze_shape,
        doc="Axes of length 1 removed (axis=None: all of them).",
    ),
    Primitive(
        "swapaxes", 1, lambda a, axis1=0, axis2=1: np.swapaxes(a, axis1, axis2),
        lambda a, axis1=0, axis2=1: np.swapaxes(a, axis1, axis2), (), 0,
        jvp=_swapaxes_jvp, vjp=lambda xp, g, out, args, i, **p: xp.swapaxes(g, **p), params=("axis1", "axis2"),
        work=_no_work, check=_check_swapaxes, shape=_swapaxes_shape,
        doc="Axes axis1 and axis2 exchanged (a view: no flops).",
    ),
    Primitive(
        "moveaxis", 1, lambda a, source=0, destination=0: np.moveaxis(a, source, destination),
        lambda a, source=0, destination=0: np.moveaxis(a, source, destination), (), 0,
        jvp=_moveaxis_jvp,
        vjp=lambda xp, g, out, args, i, source=0, destination=0: xp.moveaxis(g, source=destination,
                                                                             destination=source),
        params=("source", "destination"), work=_no_work, check=_check_moveaxis,
        shape=lambda a, source=0, destination=0: np.moveaxis(_view(a), source, destination).shape,
        doc="Axes moved from source to destination, the others kept in order.",
    ),
    Primitive(
        "permute_dims", 1, lambda a, axes=None: np.transpose(a, axes), lambda a, axes=None: np.transpose(a, axes),
        (), 0, jvp=_permute_dims_jvp, vjp=_permute_dims_vjp, params=("axes",), work=_no_work,
        check=_check_permute_dims, shape=_permute_dims_shape,
        doc="np.transpose(a, axes): the axes in the order axes (None: reversed). (``transpose`` swaps the last "
            "two axes of a matrix.)",
    ),
    Primitive(
        "broadcast_to", 1, lambda a, shape=(): np.broadcast_to(a, shape), _sympy_broadcast_to, (), 0,
        jvp=_broadcast_to_jvp, vjp=lambda xp, g, out, args, i, shape=(): xp.sum_like(g, args[0]),
        params=("shape",), work=_no_work, check=_check_broadcast_to, shape=lambda a, shape=(): tuple(shape),
        doc="a broadcast to shape (copies, no flops). VJP: summed back (sum_like).",
    ),
    Primitive(
        "flip", 1, lambda a, axis=None: np.flip(a, axis), lambda a, axis=None: np.flip(a, axis), (), 0,
        jvp=_flip_jvp, vjp=lambda xp, g, out, args, i, axis=None: xp.flip(g, axis=axis), params=("axis",),
        work=_no_work, check=_check_flip, shape=lambda a, axis=None: a,
        doc="Entries in reverse order along axis (None: every axis).",
    ),
    Primitive(
        "roll", 1, lambda a, shift=0, axis=None: np.roll(a, shift, axis),
        lambda a, shift=0, axis=None: np.roll(a, shift, axis), (), 0,
        jvp=_roll_jvp,
        vjp=lambda xp, g, out, args, i, shift=0, axis=None: xp.roll(g, shift=_negated(shift), axis=axis),
        params=("shift", "axis"), work=_no_work, check=_check_roll, shape=lambda a, shift=0, axis=None: a,
        doc="Entries shifted cyclically by shift along axis (None: of the flattened array).",
    ),
    Primitive(
        "tile", 1, lambda a, reps=(): np.tile(a, reps), lambda a, reps=(): np.tile(np.asarray(a, dtype=object), reps),
        (), 0, jvp=_tile_jvp, vjp=lambda xp, g, out, args, i, reps=(): xp.untile_like(g, args[0], reps=reps),
        params=("reps",), work=_no_work, check=_check_reps, shape=_tile_shape,
        doc="np.tile(a, reps): copies side by side. VJP: the copies' cotangents added (untile_like).",
    ),
    Primitive(
        "untile_like", 2, lambda g, like, reps=(): _untile(g, shape_of(like), reps),
        lambda g, like, reps=(): _untile(g, np.shape(like), reps), (), _A,
        jvp=_untile_like_jvp, vjp=lambda xp, g, out, args, i, reps=(): xp.tile(g, reps=reps),
        params=("reps",), work=_input_size, differentiable=_LIKE, check=_check_untile,
        shape=lambda g, like, reps=(): like,
        doc="untile_like(g, like, reps): g's tiles added together, in like's shape (tile's adjoint).",
    ),
    Primitive(
        "repeat", 1, lambda a, repeats=1, axis=None: np.repeat(a, repeats, axis),
        lambda a, repeats=1, axis=None: np.repeat(a, repeats, axis), (), 0,
        jvp=_repeat_jvp,
        vjp=lambda xp, g, out, args, i, repeats=1, axis=None: xp.unrepeat_like(g, args[0], repeats=repeats,
                                                                                axis=axis),
        params=("repeats", "axis"), work=_no_work, check=_check_repeat, shape=_repeat_shape,
        doc="np.repeat(a, repeats, axis): each entry repeated (axis=None: of the flattened array). VJP: each "
            "entry's copies added (unrepeat_like).",
    ),
    Primitive(
        "unrepeat_like", 2, lambda g, like, repeats=1, axis=None: _unrepeat(g, shape_of(like), repeats, axis),
        lambda g, like, repeats=1, axis=None: _unrepeat(g, np.shape(like), repeats, axis), (), _A,
        jvp=_unrepeat_like_jvp,
        vjp=lambda xp, g, out, args, i, repeats=1, axis=None: xp.repeat(g, repeats=repeats, axis=axis),
        params=("repeats", "axis"), work=_input_size, differentiable=_LIKE, check=_check_repeat,
        shape=lambda g, like, repeats=1, axis=None: like,
        doc="unrepeat_like(g, like, repeats, axis): each entry's repeated copies in g added (repeat's adjoint).",
    ),
    Primitive(
        "pad", 1, _pad, _sympy_pad, (), 0,
        jvp=_pad_jvp, vjp=lambda xp, g, out, args, i, pad_width=((0, 0),): xp.unpad(g, pad_width=pad_width),
        params=("pad_width",), work=_no_work, check=_check_pad, shape=_pad_shape,
        doc="np.pad(a, pad_width) with zeros (mode='constant', constant_values=0 only). VJP: the middle (unpad).",
    ),
    Primitive(
        "unpad", 1, _unpad, _unpad, (), 0,
        jvp=_unpad_jvp, vjp=lambda xp, g, out, args, i, pad_width=((0, 0),): xp.pad(g, pad_width=pad_width),
        params=("pad_width",), work=_no_work, check=_check_unpad, shape=_unpad_shape,
        doc="unpad(g, pad_width): g without the padding pad added (pad's adjoint).",
    ),
    Primitive(
        "gather", 1, _gather, lambda a, index=(): np.asarray(a, dtype=object)[numpy_fancy_index(index)], (), 0,
        jvp=_gather_jvp, vjp=lambda xp, g, out, args, i, index=(): xp.gather_add_like(g, args[0], index=index),
        params=("index",), work=_no_work, check=_check_gather, shape=_gather_shape,
        doc="a[index] with integer index arrays and boolean masks (NumPy's advanced indexing). VJP: the "
            "cotangent added back where the entries came from; repeated indices accumulate (np.add.at).",
    ),
    Primitive(
        "gather_add_like", 2, lambda g, like, index=(): _gather_add(g, shape_of(like), index),
        lambda g, like, index=(): _gather_add(g, np.shape(like), index), (), _A,
        jvp=_gather_add_like_jvp, vjp=lambda xp, g, out, args, i, index=(): xp.gather(g, index=index),
        params=("index",), work=lambda out, g, like, index=(): np.size(g), differentiable=_LIKE,
        check=_check_gather, shape=lambda g, like, index=(): like,
        doc="gather_add_like(g, like, index): zeros of like's shape with g added at index (np.add.at): the "
            "scatter-add adjoint of gather; one add per entry of g.",
    ),
    Primitive(
        "take", 1, _take, lambda a, indices=None, axis=None: np.take(np.asarray(a, dtype=object), indices.array,
                                                                      axis=axis), (), 0,
        jvp=_take_jvp, vjp=_take_vjp, params=("indices", "axis"), work=_no_work, check=_check_take,
        shape=_take_shape,
        doc="np.take(a, indices, axis) (axis=None: of the flattened array). VJP: a scatter-add (gather_add_like).",
    ),
    Primitive(
        "take_along_axis", 1, _take_along_axis,
        lambda a, indices=None, axis=-1: np.take_along_axis(np.asarray(a, dtype=object), indices.array, axis=axis),
        (), 0, jvp=_take_along_axis_jvp,
        vjp=lambda xp, g, out, args, i, indices=None, axis=-1: xp.take_along_axis_add_like(
            g, args[0], indices=indices, axis=axis),
        params=("indices", "axis"), work=_no_work, check=_check_take_along_axis,
        shape=lambda a, indices=None, axis=-1: _take_along_axis_shape(a, indices, axis),
        doc="np.take_along_axis(a, indices, axis). VJP: a scatter-add along the axis (take_along_axis_add_like).",
    ),
    Primitive(
        "take_along_axis_add_like", 2,
        lambda g, like, indices=None, axis=-1: _take_along_axis_add(g, shape_of(like), indices, axis),
        lambda g, like, indices=None, axis=-1: _take_along_axis_add(g, np.shape(like), indices, axis), (), _A,
        jvp=_take_along_axis_add_like_jvp,
        vjp=lambda xp, g, out, args, i, indices=None, axis=-1: xp.take_along_axis(g, indices=indices, axis=axis),
        params=("indices", "axis"), work=lambda out, g, like, **p: np.size(g), differentiable=_LIKE,
        check=_check_take_along_axis, shape=lambda g, like, **p: like,
        doc="Zeros of like's shape with g added where take_along_axis took entries (its adjoint).",
    ),
]


def _guarded(rule):
    """A shape rule whose misfits (an axis of a 0-d shape, a missing parameter) raise ValueError, as the memory
    estimate expects of every rule (it then leaves the verdict to the primitive's check)."""
    @functools.wraps(rule)
    def shape(*shapes, **params):
        try:
            return rule(*shapes, **params)
        except (ArithmeticError, AttributeError, TypeError, IndexError) as exc:
            raise ValueError(f"shapes {shapes} with {params} do not fit: {exc}") from None

    return shape


SHAPING_PRIMITIVES = [dataclasses.replace(p, shape=_guarded(p.shape)) for p in SHAPING_PRIMITIVES]
