"""Binding: a user's ``at`` (a dict, a sequence or a number) checked once and turned into float64 arrays.

Every request goes through ``bind``, which names whatever is missing, unknown or malformed; values are never
copied needlessly and never written into (results are copied before they are returned).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .errors import BindingError
from .names import by_name
from .ops import CONSTANTS


def _constant_note(names) -> str:
    """Why a value given for e or pi is refused: in expression text they are constants, not variables."""
    constants = [str(n) for n in names if str(n) in CONSTANTS]
    if not constants:
        return ""
    verb = "is a constant" if len(constants) == 1 else "are constants"
    return (f"; {' and '.join(constants)} in expression text {verb} (e = 2.71828..., pi = 3.14159...), in every "
            "method; for a variable use another name, such as e_ or p")


def bind(variables: Sequence[str], at, broadcast: bool = True) -> dict[str, np.ndarray]:
    """Turn the user's ``at`` into {name: float64 array}, naming whatever is missing, unknown or malformed.

    ``broadcast``: the values are a batch of points, so their shapes must broadcast together (not so for the
    tensors of a tensor graph, whose shapes the primitives check as they run). Keys are names or SymPy Symbols.
    """
    if at is None:
        at = {}
    if isinstance(at, Mapping):
        at = by_name(at)
    if not isinstance(at, Mapping):
        if np.isscalar(at) and len(variables) == 1:
            at = {variables[0]: at}
        elif isinstance(at, Sequence) and not isinstance(at, str) and len(at) == len(variables):
            at = dict(zip(variables, at, strict=True))
        else:
            raise BindingError(
                f"give the variable values as a dict like {{{', '.join(repr(v) + ': ...' for v in variables)}}}"
            )
    missing = [v for v in variables if v not in at]
    known_names = set(variables)  # (a set: with a thousand variables a tuple's `in` made this quadratic)
    unknown = [k for k in at if k not in known_names]
    if missing:
        extra = f" (given instead: {', '.join(map(str, unknown))} — a misspelling?)" if unknown else ""
        raise BindingError(f"no value given for variable(s) {', '.join(missing)}{extra}{_constant_note(unknown)}")
    if unknown:
        known = ", ".join(variables) or "none"
        raise BindingError(f"unknown variable(s) {', '.join(map(str, unknown))}; the expression's variables: "
                           f"{known}{_constant_note(unknown)}")
    bound = {}
    for name in variables:
        bound[name] = as_float_array(at[name], name)
    try:
        if broadcast:
            batch_shape(bound)
    except ValueError:
        shapes = ", ".join(f"{n}: {a.shape}" for n, a in bound.items())
        raise BindingError(f"the values' shapes do not broadcast together ({shapes})") from None
    return bound


def as_float_array(value, name: str) -> np.ndarray:
    """A user's value as a float64 array. A float64 array is used as it is: diffkit never writes into inputs,
    and results are copied before they are returned (``as_result``), so they never alias a user's array."""
    if type(value) is np.ndarray and value.dtype == np.float64:  # the common case, checked first: it is per call
        return value
    if type(value) is float:  # a Python float: one point (per variable, per call: worth its own line)
        return np.array(value)
    if isinstance(value, bool | np.bool_) or (isinstance(value, np.ndarray) and value.dtype == bool):
        raise BindingError(f"value of {name!r} is a boolean; give a number or an array of numbers")
    try:
        array = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise BindingError(f"value of {name!r} is not a number or array: {exc}") from None
    if np.iscomplexobj(array):
        raise BindingError(f"value of {name!r} is complex; diffkit differentiates real functions")
    if array.dtype.kind not in "iuf":
        raise BindingError(f"value of {name!r} is not numeric (got {type(value).__name__})")
    return array.astype(np.float64, copy=True) if array.dtype != np.float64 else array


def batch_shape(bound: Mapping[str, np.ndarray]) -> tuple[int, ...]:
    """The shape the values broadcast to (ValueError when they do not); each distinct shape looked at once."""
    shapes = {a.shape for a in bound.values()}
    if len(shapes) <= 1:
        return shapes.pop() if shapes else ()
    return np.broadcast_shapes(*shapes)


def points_of(bound: Mapping[str, np.ndarray], tensor: bool = False) -> int:
    """How many points a binding describes (the size of the broadcast batch). For the tensors of a tensor
    graph, whose shapes need not broadcast, the largest one's size: a rough per-value figure for memory checks."""
    if not bound:
        return 1
    if tensor:
        return max(np.asarray(v).size for v in bound.values())
    try:
        return int(np.prod(np.broadcast_shapes(*(np.shape(v) for v in bound.values()))))
    except ValueError:
        return max(int(np.size(v)) for v in bound.values())


def frozen(value, name: str) -> np.ndarray:
    """Data as the graph keeps it: our own float64 copy, read-only, so neither side can change the other's."""
    array = as_float_array(value, name)
    if array.flags.writeable or array.base is not None:  # not already one of our frozen copies
        array = array.copy()
        array.flags.writeable = False
    return array
