"""Building graphs from Python code: handles that record the primitives applied to them.

``trace(f)`` calls ``f`` with one ``Expr`` handle per parameter; every operator and every diffkit function
(``dk.sin``, ``dk.exp``, ...) applied to a handle adds a node to the graph instead of computing a number.
The same handles are the math namespace in which reverse mode evaluates the primitives' partial rules when it
emits its gradient as a graph, so "gradient graph" and "traced function" are one mechanism.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import numpy as np

from .builder import GraphBuilder, freeze_params
from .errors import ConversionError
from .graph import Graph
from .keywords import checked_keywords
from .ops import PRIMITIVES, Primitive, PrimitiveArithmetic, namespace
from .tensor_ops import frozen_index

# NumPy's names for operations diffkit calls otherwise (the rest — sin, exp, maximum, ... — share their names).
_NUMPY_NAMES = {"subtract": "sub", "multiply": "mul", "true_divide": "div", "divide": "div", "power": "pow",
                "negative": "neg", "absolute": "abs"}


class Expr(PrimitiveArithmetic):
    """A node of a graph under construction, with Python's operators overloaded to add nodes."""

    __slots__ = ("builder", "node")

    def __init__(self, builder: GraphBuilder, node: str):
        self.builder = builder
        self.node = node

    def _lift(self, other) -> Expr:
        if isinstance(other, Expr):
            if other.builder is not self.builder:
                raise ConversionError("cannot combine expressions from two different graphs")
            return other
        if isinstance(other, int | float | np.number) and not isinstance(other, bool):
            return Expr(self.builder, self.builder.constant(float(other)))
        if isinstance(other, np.ndarray) and other.dtype.kind in "iuf":  # a constant tensor (mask, fixed weights)
            return Expr(self.builder, self.builder.constant(other) if other.ndim else
                        self.builder.constant(float(other)))
        raise ConversionError(f"cannot use a {type(other).__name__} in a traced expression; use numbers or "
                              "NumPy arrays of numbers")

    def _apply_primitive(self, name: str, *args, **params) -> Expr:
        lifted = [self._lift(a) for a in args]
        return Expr(self.builder, self.builder.apply(PRIMITIVES[name], *(a.node for a in lifted), **params))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """NumPy hands us an operator with an array on the left (``X @ w``, ``y - f``) and its own functions on a
        handle (``np.sin(x)``): record the primitive of the same meaning, or say what to use instead."""
        name = _NUMPY_NAMES.get(ufunc.__name__, ufunc.__name__)
        primitive = PRIMITIVES.get(name)
        if method == "__call__" and not kwargs and primitive is not None and primitive.arity == len(inputs):
            return self._apply_primitive(name, *inputs)
        if method != "__call__":  # add.reduce, multiply.outer, ...: not elementwise applications
            instead = "use dk.sum or dk.mean for reductions" if method == "reduce" else "use diffkit's functions"
        elif primitive is not None:
            instead = f"use dk.{name}"
        else:
            instead = "use diffkit's functions (dk.sin, dk.exp, ...)"
        raise ConversionError(f"NumPy's {ufunc.__name__}{'' if method == '__call__' else '.' + method} cannot be "
                              f"recorded in a trace; {instead}")

    # NumPy functions that only ask about a value's shape keep NumPy's own behaviour on a handle.
    _SHAPE_QUERIES = frozenset({"shape", "ndim", "size", "result_type", "isscalar"})

    def __array_function__(self, func, types, args, kwargs):
        """NumPy's non-ufunc functions (``np.sum``, ``np.mean``, ``np.linalg.norm``, ...) would turn a handle into
        an object array and record something else than they mean: refuse them by name."""
        name = func.__name__
        if name in self._SHAPE_QUERIES:
            return func._implementation(*args, **kwargs)
        instead = f"use dk.{name}" if name in PRIMITIVES else "use diffkit's functions (dk.sum, dk.mean, ...)"
        raise ConversionError(f"NumPy's {name} cannot be recorded in a trace; {instead}")

    def __array__(self, *args, **kwargs):
        raise ConversionError("a traced expression cannot become a NumPy array: use diffkit's functions (dk.sum, "
                              "dk.mean, dk.matmul, ...) on it")

    def __getitem__(self, key) -> Expr:
        """Basic indexing, ``x[1:]``, ``x[:, 0]``, ``x[..., ::2]``: one ``index`` node (integers, slices and
        ``...`` only; masks, index arrays and None are refused here, out-of-range integers at evaluation)."""
        return self._apply_primitive("index", self, index=frozen_index(key, frozen=False))

    def __iter__(self):
        # without this, Python would iterate by calling x[0], x[1], ... for ever: the shape is not known yet
        raise ConversionError("a traced expression cannot be iterated or unpacked (its shape is known only at "
                              "evaluation); index it (x[0], x[1:]) or use dk.sum")

    def _not_a_number(self, *args):
        raise ConversionError(
            "a traced expression is not a number yet: float(), int(), math functions, // and % cannot be recorded; "
            "use diffkit's functions (dk.sin, dk.exp, ...) and + - * / **"
        )

    __float__ = __int__ = __index__ = __complex__ = _not_a_number
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __divmod__ = __rdivmod__ = _not_a_number

    def __bool__(self):
        raise ConversionError(
            "a traced expression has no truth value: Python 'if'/'and'/'or' on it cannot be recorded; "
            "use maximum, minimum, relu or heaviside instead"
        )

    def _compare(self, other):
        raise ConversionError(
            "a traced expression has no truth value, so comparisons cannot be recorded; "
            "use maximum, minimum, relu or heaviside instead"
        )

    __lt__ = __le__ = __gt__ = __ge__ = _compare

    # Hash-consing makes identical expressions one node, so identity is the right equality for handles.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<Expr {self.node}>"


def apply(primitive: Primitive, *args, **params):
    """Apply a primitive to handles (adds a node) or to numbers/arrays (computes with NumPy)."""
    for arg in args:
        if isinstance(arg, Expr):
            return arg._apply_primitive(primitive.name, *args, **params)
    if params:
        params = dict(freeze_params(primitive, params))
    return primitive.numpy(*args, **params)


def _user_function(primitive: Primitive) -> Callable:
    def function(*args, **params):
        if len(args) != primitive.arity:
            raise ConversionError(f"{primitive.name}() takes {primitive.arity} argument(s), got {len(args)}")
        return apply(primitive, *args, **params)

    function.__name__ = primitive.name
    function.__qualname__ = primitive.name
    function.__doc__ = primitive.doc or f"{primitive.name}, elementwise; records a node when given a traced Expr."
    return function


# The functions users call in traced code (dk.sin, dk.exp, ...); also the namespace for partial rules on handles.
functions = namespace(_user_function)


@checked_keywords
def trace(f: Callable, variables: Sequence[str] | None = None) -> Graph:
    """Record ``f``'s computation as a Graph. Its parameters (or ``variables``) become the graph's variables.

    ``f`` may return one expression or a tuple/list of them (several outputs).
    """
    if variables is None:
        try:
            params = inspect.signature(f).parameters.values()
        except (TypeError, ValueError):
            raise ConversionError("cannot read the function's parameters; pass variables=[...]") from None
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            raise ConversionError("a traced function with *args or **kwargs needs variables=[...]")
        variables = [p.name for p in params]
    variables = list(variables)
    builder = GraphBuilder(simplify=False, reserved=variables)
    handles = [Expr(builder, builder.variable(name)) for name in variables]
    result = f(*handles)
    outputs = list(result) if isinstance(result, tuple | list) else [result]
    nodes = []
    for out in outputs:
        if isinstance(out, Expr):
            nodes.append(out.node)
        elif isinstance(out, int | float) and not isinstance(out, bool):
            nodes.append(builder.constant(out))
        else:
            raise ConversionError(f"the traced function returned a {type(out).__name__}, not an expression")
    names = None if len(nodes) > 1 else ["y"]
    return builder.finish(nodes, names, variables)
