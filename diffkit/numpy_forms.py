"""NumPy's signatures for the reductions, on top of the table's primitives.

The primitives take what their rules need (an axis; cumsum one integer axis); users write NumPy:
``np.sum(x, axis=1, keepdims=True)``, ``np.cumsum(x)`` (over the flattened array), ``x.var(ddof=1)``,
``np.linalg.norm(x, ord=1)``. This module turns those forms into primitives: ``keepdims`` puts the reduced axes
back with ``expand_dims`` (no flops), ``axis=None`` running sums flatten first, and ``var``, ``std`` and ``norm``
are compositions — mean, subtract, square, mean, square root — whose derivatives follow from their parts', as
JAX writes them, so their costs count the operations the formulas do.

``install(space)`` replaces the namespace's entries of those names with these forms and adds ``var``, ``std``
and ``norm``; the raw primitives stay reachable as ``space.<name>`` inside the forms through ``raw``.
"""

from __future__ import annotations

import numpy as np

from .errors import ConversionError
from .tensor_ops import axes_of

_KEEPDIMS_REDUCTIONS = ("sum", "mean", "prod", "max", "min")
_RUNNING = ("cumsum", "cumprod")
# np.linalg.norm's matrix norms that are built from sums and max/min of absolute values: ord -> (sum axis, pick)
_MATRIX_NORMS = {1: (0, "max"), -1: (0, "min"), np.inf: (1, "max"), -np.inf: (1, "min")}


def _shape(x) -> tuple | None:
    """x's shape if it is known now: an array's, or a traced value's when the trace was given shapes."""
    known = getattr(x, "_known_shape", None)
    return known() if known is not None else np.shape(x)


def _axis(axis) -> dict:
    """axis= as a node parameter: left out at its default (None), so np.sum(x) records the same node as
    dk.sum(x) and prints as sum(x)."""
    return {} if axis is None else {"axis": axis}


def _bound(name: str, args: tuple, keywords: dict, positional: tuple[str, ...], defaults: dict) -> dict:
    """NumPy's way of reading arguments: x, then ``positional`` by position, the rest by name only; what
    NumPy takes and diffkit does not (dtype=, out=, where=, initial=) is refused by name."""
    if not args:
        raise ConversionError(f"{name}() takes an array first")
    if len(args) > 1 + len(positional):
        by_name = [k for k in defaults if k not in positional]
        hint = f"; give {', '.join(by_name)} by name" if by_name else ""
        raise ConversionError(f"{name}() takes 1 argument(s) and then {', '.join(positional)}, got {len(args)} "
                              f"positional argument(s){hint}")
    unknown = [k for k in keywords if k not in defaults]
    if unknown:
        raise ConversionError(f"{name}() does not take {', '.join(k + '=' for k in unknown)} in diffkit: it takes "
                              f"{', '.join(k + '=' for k in defaults)} (cast the result, or leave the option out)")
    bound = dict(defaults)
    for key, value in zip(positional, args[1:], strict=False):
        if key in keywords:
            raise ConversionError(f"{name}() got {key} twice (by position and by name)")
        bound[key] = value
    bound.update(keywords)
    return {"x": args[0], **bound}


def _recorded_axes(x, axis):
    """Several axes mixing negative and non-negative numbers, written non-negative where the shape is known: a
    gradient graph (which knows no shapes) can then still follow them."""
    if isinstance(axis, tuple | list) and len({a < 0 for a in axis if isinstance(a, int | np.integer)}) == 2:
        shape = _shape(x)
        if shape is not None and all(isinstance(a, int | np.integer) and -len(shape) <= a < len(shape) for a in axis):
            return tuple(int(a) % len(shape) for a in axis)
    return axis


def _axes_count(x, axis, name: str) -> int:
    """How many entries one reduction group holds (var's ddof needs it): needs the shape of x."""
    shape = _shape(x)
    if shape is None:
        raise ConversionError(f"{name} with ddof= needs the number of entries reduced, so x's shape must be known: "
                              "give dk.trace the shapes (shapes={'x': (3, 4)})")
    return int(np.prod([shape[k] for k in axes_of(axis, len(shape))], dtype=np.int64))


class _Forms:
    """The NumPy forms bound to one namespace (its raw primitives captured before they are replaced)."""

    def __init__(self, space):
        self.raw = {name: getattr(space, name) for name in (*_KEEPDIMS_REDUCTIONS, *_RUNNING)}
        self.space = space

    def keep(self, out, x, axis, keepdims: bool):
        """The reduced axes put back with length 1, as NumPy's keepdims=True."""
        if not keepdims:
            return out
        if axis is None:
            shape = _shape(x)
            if shape is None:
                raise ConversionError("keepdims=True over all axes needs x's number of axes: give dk.trace the "
                                      "shapes (shapes={'x': (3, 4)}), or name the axes (axis=(0, 1))")
            axis = tuple(range(len(shape)))
        return self.space.expand_dims(out, axis=axis)

    def reduction(self, name: str):
        raw = self.raw[name]

        def reduce(*args, **keywords):
            b = _bound(name, args, keywords, ("axis",), {"axis": None, "keepdims": False})
            axis = _recorded_axes(b["x"], b["axis"])
            return self.keep(raw(b["x"], **_axis(axis)), b["x"], axis, b["keepdims"])

        reduce.__name__ = reduce.__qualname__ = name
        reduce.__doc__ = (f"{raw.__doc__}\n\nAs NumPy's ``np.{name}(x, axis=None, keepdims=False)``; records "
                          f"diffkit's ``{name}`` in a trace.")
        return reduce

    def running(self, name: str):
        raw = self.raw[name]

        def run(*args, **keywords):
            b = _bound(name, args, keywords, ("axis",), {"axis": None, "reverse": False})
            x, axis, reverse = b["x"], b["axis"], b["reverse"]
            if axis is None:  # NumPy's default: along the flattened array
                x, axis = self.space.reshape(x, shape=(-1,)), 0
            return raw(x, axis=axis, **({"reverse": True} if reverse else {}))

        run.__name__ = run.__qualname__ = name
        run.__doc__ = f"{raw.__doc__}\n\nAs NumPy's ``np.{name}(x, axis=None)`` (None: the flattened array)."
        return run

    def var(self, *args, **keywords):
        """Variance over axis, as NumPy's ``np.var(x, axis, ddof=0, keepdims=False)``: the mean of the squared
        deviations from the mean (two passes, as NumPy computes it), divided by N - ddof instead of N when
        ddof is given."""
        b = _bound("var", args, keywords, ("axis",), {"axis": None, "ddof": 0, "keepdims": False})
        x, axis, ddof, keepdims = b["x"], _recorded_axes(b["x"], b["axis"]), b["ddof"], b["keepdims"]
        if isinstance(ddof, bool) or not isinstance(ddof, int | np.integer) or ddof < 0:
            raise ConversionError(f"var/std's ddof must be a whole number >= 0 (delta degrees of freedom), got "
                                  f"{ddof!r}")
        s = self.space
        centred = s.sub(x, s.broadcast_like(self.raw["mean"](x, **_axis(axis)), x, **_axis(axis)))
        out = self.raw["mean"](s.mul(centred, centred), **_axis(axis))
        if ddof:
            n = _axes_count(x, axis, "var")
            if n - ddof <= 0:
                raise ConversionError(f"var with ddof={ddof} over {n} entries divides by {n - ddof}: use a smaller "
                                      "ddof or reduce over more entries")
            out = s.mul(out, n / (n - ddof))
        return self.keep(out, x, axis, keepdims)

    def std(self, *args, **keywords):
        """Standard deviation, the square root of ``var`` (same arguments). Its derivative is infinite where
        every entry is equal (as sqrt's at 0), as in NumPy-based AD libraries."""
        b = _bound("std", args, keywords, ("axis",), {"axis": None, "ddof": 0, "keepdims": False})
        return self.space.sqrt(self.var(b.pop("x"), **b))

    def norm(self, *args, **keywords):
        """As ``np.linalg.norm``: ord None (or 2 of a vector, 'fro' of a matrix) is sqrt(Σ x²) — over every entry
        when axis is None; a vector's p-norm (Σ|x|^p)^(1/p), its inf/-inf norm max/min |x|, its 1-norm Σ|x|;
        a matrix's 1/-1 (max/min column sum of |x|) and inf/-inf (max/min row sum) norms. The spectral and
        nuclear norms (ord 2, -2, 'nuc' of a matrix) need singular values, which diffkit lacks."""
        b = _bound("norm", args, keywords, ("ord", "axis", "keepdims"), {"ord": None, "axis": None, "keepdims": False})
        x, ord, axis, keepdims = b["x"], b["ord"], b["axis"], b["keepdims"]  # noqa: A001 (NumPy's name)
        if isinstance(ord, str) and ord not in ("fro", "nuc") or not (ord is None or isinstance(ord, str)
                                                                     or np.isscalar(ord)):
            raise ConversionError(f"norm's ord must be None, 'fro', 'nuc', a number, inf or -inf, got {ord!r}")
        if ord is None:  # sqrt(Σ x²) over the axes, whatever their number (the flattened array for axis None)
            return self.keep(self._root_sum_of_squares(x, axis), x, axis, keepdims)
        axes = _norm_axes(x, axis, ord)
        if len(axes) == 1:
            return self.keep(self._vector_norm(x, ord, axes[0]), x, axis, keepdims)
        return self.keep(self._matrix_norm(x, ord, axes), x, axes, keepdims)

    def _root_sum_of_squares(self, x, axis):
        """sqrt(Σ x²) over axis (None: every entry): the 2-norm of a vector, the Frobenius norm of a matrix."""
        s = self.space
        return s.sqrt(self.raw["sum"](s.mul(x, x), **_axis(axis)))

    def _vector_norm(self, x, ord, axis: int):  # noqa: A002 (NumPy's name)
        s, raw = self.space, self.raw
        if ord == "fro" or ord == "nuc":
            raise ConversionError(f"norm ord={ord!r} is a matrix norm: give a 2-D array or two axes, axis=(0, 1)")
        if ord == 0:
            raise ConversionError("norm ord=0 counts non-zero entries, which has no derivative; use "
                                  "dk.sum(x != 0) for the count")
        if ord == 2:
            return self._root_sum_of_squares(x, axis)
        magnitude = s.abs(x)
        if ord == np.inf:
            return raw["max"](magnitude, axis=axis)
        if ord == -np.inf:
            return raw["min"](magnitude, axis=axis)
        if ord == 1:
            return raw["sum"](magnitude, axis=axis)
        return s.pow(raw["sum"](s.pow(magnitude, float(ord)), axis=axis), 1.0 / float(ord))

    def _matrix_norm(self, x, ord, axes: tuple[int, int]):  # noqa: A002 (NumPy's name)
        s, raw = self.space, self.raw
        if ord == "fro":
            return self._root_sum_of_squares(x, axes)
        if ord in (2, -2, "nuc"):
            raise ConversionError(f"the matrix norm ord={ord!r} needs singular values, which diffkit lacks; "
                                  "diffkit has ord None/'fro', 1, -1, inf and -inf for matrices")
        if ord not in _MATRIX_NORMS:
            raise ConversionError(f"ord={ord!r} is not a matrix norm (NumPy refuses it too): for matrices use "
                                  "None/'fro', 1, -1, inf or -inf, or give one axis for a vector norm")
        summed, pick = _MATRIX_NORMS[ord]
        rows, cols = axes  # non-negative (_norm_axes)
        along, across = (rows, cols) if summed == 0 else (cols, rows)
        sums = raw["sum"](s.abs(x), axis=along)
        return raw[pick](sums, axis=across - (along < across))  # the axis after ``along`` moved down by one


def _norm_axes(x, axis, ord) -> tuple[int, ...]:  # noqa: A002 (NumPy's name)
    """The axes of a norm with an ord, as non-negative numbers: one (a vector norm) or two (a matrix norm). What
    kind of norm it is depends on the rank, so it must be known while tracing (NumPy: 1-D a vector, 2-D a
    matrix, more axes need axis=)."""
    shape = _shape(x)
    if shape is None:
        raise ConversionError(f"norm with ord={ord!r} is a vector or a matrix norm depending on x's axes, so x's "
                              "shape must be known while tracing: give dk.trace the shapes (shapes={'x': (3, 4)})")
    ndim = len(shape)
    if axis is None:
        if ndim not in (1, 2):
            raise ConversionError(f"norm with ord={ord!r} of an array of shape {shape} needs axis= (one axis: a "
                                  "vector norm, two: a matrix norm) or a 1-D or 2-D array")
        return tuple(range(ndim))
    given = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    if len(given) not in (1, 2):
        raise ConversionError(f"norm takes one axis (a vector norm) or two (a matrix norm), got axis={axis!r}")
    for a in given:
        if not isinstance(a, int | np.integer) or not -ndim <= a < ndim:
            raise ConversionError(f"norm's axis {a!r} is not an axis of an array of shape {shape}")
    axes = tuple(int(a) % ndim for a in given)
    if len(set(axes)) != len(axes):
        raise ConversionError(f"norm's axes {axis!r} name the same axis twice")
    return axes


def install(space) -> None:
    """Give ``space`` (the user functions, dk.sum, ...) NumPy's signatures for the reductions, and var/std/norm."""
    forms = _Forms(space)
    for name in _KEEPDIMS_REDUCTIONS:
        setattr(space, name, forms.reduction(name))
    for name in _RUNNING:
        setattr(space, name, forms.running(name))
    space.var, space.std, space.norm = forms.var, forms.std, forms.norm
