"""Building graphs from Python code: handles that record the primitives applied to them.

``trace(f)`` calls ``f`` with one ``Expr`` handle per parameter; every operator and every diffkit function
(``dk.sin``, ``dk.exp``, ...) applied to a handle adds a node to the graph instead of computing a number.
The same handles are the math namespace in which reverse mode evaluates the primitives' partial rules when it
emits its gradient as a graph, so "gradient graph" and "traced function" are one mechanism.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .builder import GraphBuilder, freeze_params
from .errors import ConversionError
from .graph import Graph
from .keywords import checked_keywords
from .linalg import einsum_all, slogdet
from .numpy_forms import install as install_numpy_forms
from .ops import PRIMITIVES, Primitive, PrimitiveArithmetic, namespace
from .shaping import concatenate_all, frozen_fancy_index, is_fancy, stack_all
from .tensor_ops import frozen_index

# NumPy's names for operations diffkit calls otherwise (the rest — sin, exp, maximum, ... — share their names).
_NUMPY_NAMES = {"subtract": "sub", "multiply": "mul", "true_divide": "div", "divide": "div", "power": "pow",
                "negative": "neg", "absolute": "abs"}


class TraceBuilder(GraphBuilder):
    """The builder of a trace: a GraphBuilder that also knows the shapes of the values traced (where the
    variables' shapes were given) and the trace it is nested in (``dk.grad`` called inside a traced function).

    A handle of an enclosing trace used here (a closure: ``lambda x: dk.grad(lambda y: w * y)(x)`` uses ``w``) is
    *captured*: it becomes a variable of this trace, which the enclosing trace later binds to its own node.
    """

    def __init__(self, reserved=(), parent: GraphBuilder | None = None):
        super().__init__(simplify=False, reserved=reserved)
        self.shapes: dict[str, tuple] = {}  # node -> shape, for the nodes whose shape is known while tracing
        self.parent = parent
        self.depth = 0 if parent is None else getattr(parent, "depth", 0) + 1
        self.captured: dict[str, str] = {}  # enclosing trace's node -> our variable standing for it

    def capture(self, handle: Expr) -> str | None:
        """Our node for a handle of this trace or of an enclosing one (None: the handle belongs elsewhere)."""
        if handle.builder is self:
            return handle.node
        outer = self.parent.capture(handle) if isinstance(self.parent, TraceBuilder) else (
            handle.node if handle.builder is self.parent and self.parent is not None else None)
        if outer is None:
            return None
        if outer not in self.captured:
            node = self.variable(f"outer.{outer}")  # a dot: no Python parameter name can clash with it
            self.captured[outer] = node
            shape = getattr(self.parent, "shapes", {}).get(outer)
            if shape is not None:
                self.shapes[node] = shape
        return self.captured[outer]


def constant(builder: GraphBuilder, value) -> Expr:
    """A number or an array of numbers as a constant handle of ``builder``'s trace."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number | np.ndarray) or (
            isinstance(value, np.ndarray) and value.dtype.kind not in "iufb"):
        raise ConversionError(f"cannot use a {type(value).__name__} in a traced expression; use numbers or "
                              "NumPy arrays of numbers")
    array = np.asarray(value, dtype=np.float64)  # a boolean array is a 0/1 mask
    node = builder.constant(array if array.ndim else float(array))
    shapes = getattr(builder, "shapes", None)
    if shapes is not None:
        shapes[node] = array.shape
    return Expr(builder, node)


def _depth(builder) -> int:
    return getattr(builder, "depth", 0)


class Expr(PrimitiveArithmetic):
    """A node of a graph under construction, with Python's operators overloaded to add nodes."""

    __slots__ = ("builder", "node")

    def __init__(self, builder: GraphBuilder, node: str):
        self.builder = builder
        self.node = node

    def _lift(self, other) -> Expr:
        """``other`` as a handle of this trace: handles of enclosing traces are captured, numbers and arrays
        become constants."""
        builder = self.builder
        if isinstance(other, Expr):
            if other.builder is builder:
                return other
            node = builder.capture(other) if isinstance(builder, TraceBuilder) else None
            if node is None:
                raise ConversionError("cannot combine expressions from two different graphs (a handle of one "
                                      "dk.trace used in another)")
            return Expr(builder, node)
        return constant(builder, other)

    def _apply_primitive(self, name: str, *args, **params) -> Expr:
        # the innermost trace among the arguments records the node (an enclosing trace's handles are captured)
        home = max((a for a in args if isinstance(a, Expr)), key=lambda a: _depth(a.builder), default=self)
        lifted = [home._lift(a) for a in args]
        primitive = PRIMITIVES[name]
        builder = home.builder
        shapes = getattr(builder, "shapes", None)
        known = [shapes.get(a.node) for a in lifted] if shapes else None
        node = builder.apply(primitive, *(a.node for a in lifted), **params)
        if known and all(shape is not None for shape in known) and node not in shapes:
            shapes[node] = _shape_after(primitive, known, builder.nx.nodes[node].get("params", ()))
        return Expr(builder, node)

    # --- what NumPy code asks of an array ---------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        """The value's shape, where the trace knows it: in ``dk.grad`` and the other transforms, and in
        ``dk.trace(f, shapes=...)``."""
        shape = getattr(self.builder, "shapes", {}).get(self.node)
        if shape is None:
            raise ConversionError("this traced value's shape is not known while tracing: give dk.trace the "
                                  "variables' shapes (dk.trace(f, shapes={'x': (3,)})), or differentiate with "
                                  "dk.grad(f)(x), which knows them")
        return shape

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    dtype = np.dtype(np.float64)  # diffkit computes in float64

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise ConversionError("len() of a 0-d traced value (a scalar)")
        return shape[0]

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
        """NumPy's own functions on a handle (``np.sum(x)``, ``np.linalg.det(A)``) record diffkit's primitive of
        the same meaning; one diffkit lacks is refused by name (NumPy would make an object array of it)."""
        name = func.__name__
        if name in self._SHAPE_QUERIES:
            return func._implementation(*args, **kwargs)
        if name == "transpose":  # np.transpose(x, axes): the method, which picks transpose or permute_dims
            return args[0].transpose(*args[1:], **kwargs)
        return call_by_name(_NUMPY_FUNCTIONS.get(name, name), *args, numpy_name=name, **kwargs)

    def __array__(self, *args, **kwargs):
        raise ConversionError("a traced expression cannot become a NumPy array: use diffkit's functions (dk.sum, "
                              "dk.mean, dk.matmul, ...) on it")

    # --- NumPy's array methods: the primitives of the same names ----------------------------------------------

    def _numpy_method(name: str):
        def method(self, *args, **params):
            return call_by_name(name, self, *args, **params)

        method.__name__ = name
        method.__doc__ = f"As NumPy's ``ndarray.{name}``: records diffkit's ``{name}``."
        return method

    def _known_shape(self) -> tuple | None:
        return getattr(self.builder, "shapes", {}).get(self.node)

    @property
    def T(self) -> Expr:  # noqa: N802 (NumPy's spelling)
        """As NumPy's: the axes reversed (a matrix transposed; a vector or a number unchanged)."""
        shape = self._known_shape()
        if shape is not None and len(shape) != 2:
            return self if len(shape) < 2 else self._apply_primitive(
                "permute_dims", self, axes=tuple(reversed(range(len(shape)))))
        return self._apply_primitive("transpose", self)

    def transpose(self, *order, axes=None) -> Expr:
        """``x.transpose()`` (``x.T``), ``x.transpose(1, 0, 2)``, ``x.transpose((1, 0, 2))`` or ``axes=``, as
        NumPy's."""
        if order:
            axes = order[0] if len(order) == 1 and not isinstance(order[0], int | np.integer) else order
        if axes is None or len(axes) == 0:
            return self.T
        return self._apply_primitive("permute_dims", self, axes=tuple(axes))

    sum = _numpy_method("sum")
    mean = _numpy_method("mean")
    prod = _numpy_method("prod")
    max = _numpy_method("max")
    min = _numpy_method("min")
    var = _numpy_method("var")
    std = _numpy_method("std")
    cumsum = _numpy_method("cumsum")
    cumprod = _numpy_method("cumprod")
    dot = _numpy_method("dot")
    clip = _numpy_method("clip")
    round = _numpy_method("round")
    swapaxes = _numpy_method("swapaxes")
    squeeze = _numpy_method("squeeze")
    repeat = _numpy_method("repeat")
    take = _numpy_method("take")
    del _numpy_method

    def trace(self) -> Expr:
        """``x.trace()``, as NumPy's: the sum of the diagonal (``matrix_trace``)."""
        return call_by_name("matrix_trace", self)

    def reshape(self, *shape) -> Expr:
        """``x.reshape(2, 3)`` or ``x.reshape((2, 3))``, as NumPy's."""
        shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], int | np.integer) else shape
        return self._apply_primitive("reshape", self, shape=shape)

    def flatten(self) -> Expr:
        return self._apply_primitive("reshape", self, shape=(-1,))

    ravel = flatten

    def __getitem__(self, key) -> Expr:
        """Indexing as NumPy's: integers, slices and ``...`` (``x[1:]``, ``x[:, 0]``) record one ``index`` node;
        constant index arrays and boolean masks (``x[[0, 2]]``, ``x[mask]``) a ``gather``; ``None``
        (``np.newaxis``) adds an axis (``expand_dims``). Out-of-range integers are refused at evaluation."""
        entries = key if isinstance(key, tuple) else (key,)
        if any(isinstance(e, Expr) for e in entries):
            raise ConversionError(
                "an index computed from traced values (x[x > 0], x[i] with a traced i) picks entries that are only "
                "known when the program runs, so the result's shape cannot be recorded; keep the shape with "
                "dk.where(x > 0, x, 0), or index with a constant integer, array or mask")
        if any(e is None for e in entries):
            return self._with_new_axes(entries)
        if is_fancy(key):
            return self._apply_primitive("gather", self, index=frozen_fancy_index(key, frozen=False))
        return self._apply_primitive("index", self, index=frozen_index(key, frozen=False))

    def _with_new_axes(self, entries: tuple) -> Expr:
        """``x[:, None]``: index with the other entries, then insert the new axes where NumPy puts them."""
        rest = tuple(e for e in entries if e is not None)
        if is_fancy(rest):
            raise ConversionError("None (np.newaxis) together with index arrays or masks is not supported; index "
                                  "first, then add the axis with dk.expand_dims")
        named = sum(1 for e in rest if e is not Ellipsis)
        positions, out = [], 0
        for e in entries:
            if e is None:
                positions.append(out)
                out += 1
            elif e is Ellipsis:
                out += self.ndim - named  # the axes the ellipsis stands for (needs the shape)
            elif not isinstance(e, int | np.integer):  # a slice keeps its axis, an integer drops it
                out += 1
        whole = all(e is Ellipsis or (isinstance(e, slice) and e == slice(None)) for e in rest)
        indexed = self if whole else self[rest]  # x[:, None] needs no index node, only the new axis
        return indexed._apply_primitive("expand_dims", indexed, axis=tuple(positions))

    def __iter__(self):
        """Iteration over the first axis, as NumPy's (the loop unrolls into one index node per entry)."""
        # without a known shape Python would iterate by calling x[0], x[1], ... for ever: refuse instead
        if getattr(self.builder, "shapes", {}).get(self.node) is None:
            raise ConversionError("a traced value whose shape is not known while tracing cannot be iterated or "
                                  "unpacked; give dk.trace the shapes (shapes={'x': (3,)}) or index it (x[0], "
                                  "x[1:])")
        return (self[i] for i in range(len(self)))

    def _not_a_number(self, *args):
        raise ConversionError(
            "a traced expression is not a number yet: float(), int(), math functions, // and % cannot be recorded; "
            "use diffkit's functions (dk.sin, dk.exp, ...) and + - * / **"
        )

    __float__ = __int__ = __index__ = __complex__ = _not_a_number
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __divmod__ = __rdivmod__ = _not_a_number

    def __bool__(self):
        raise ConversionError(
            "a traced value has no truth value while tracing: Python 'if'/'and'/'or'/'while' on it cannot be "
            "recorded; choose elementwise with dk.where(condition, a, b) (conditions: x < y, x == y, ...)"
        )

    # Comparisons record 0/1 masks (no derivative), to choose with dk.where or to multiply by, as in JAX; the
    # reflected forms (3 < x) reach the mirrored method through Python itself.
    def _comparison(name: str):
        def compare(self, other):
            return call_by_name(name, self, other)

        compare.__name__ = name
        return compare

    __lt__, __le__ = _comparison("less"), _comparison("less_equal")
    __gt__, __ge__ = _comparison("greater"), _comparison("greater_equal")
    __eq__, __ne__ = _comparison("equal"), _comparison("not_equal")
    del _comparison

    # A handle hashes by identity (hash-consing makes equal expressions one node, so one handle per node would
    # do too); dicts and sets of handles still work, since Python compares by identity before calling __eq__.
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<Expr {self.node}>"


# NumPy's function names that diffkit spells otherwise (the rest share their names with the primitives).
# np.trace (and np.linalg.trace) is ``matrix_trace``: ``dk.trace`` is the tracer.
_NUMPY_FUNCTIONS = {"amax": "max", "amin": "min", "around": "round", "round_": "round", "absolute": "abs",
                    "trace": "matrix_trace"}


def call_by_name(name: str, *args, numpy_name: str | None = None, **params):
    """diffkit's function ``name`` applied as NumPy would apply its namesake (extra positional arguments are
    the keyword parameters in order); a name diffkit lacks is refused, naming it."""
    function = getattr(functions, name, None)
    if function is None:
        shown = f"NumPy's {numpy_name}" if numpy_name else name
        raise ConversionError(f"{shown} cannot be recorded in a trace: diffkit has no {name} yet; write it with "
                              "diffkit's functions (dk.sum, dk.exp, dk.matmul, ...)")
    return function(*args, **params)


def _positional_params(primitive: Primitive, args: tuple, params: dict) -> tuple[tuple, dict]:
    """Arguments past the primitive's arity read as its keyword parameters in order, as NumPy's do:
    ``dk.sum(x, 0)`` is ``dk.sum(x, axis=0)``."""
    extra = args[primitive.arity:]
    if len(args) < primitive.arity or len(extra) > len(primitive.params):
        takes = f"{primitive.arity} argument(s)" + (f" and then {', '.join(primitive.params)}" if primitive.params
                                                    else "")
        raise ConversionError(f"{primitive.name}() takes {takes}, got {len(args)} positional argument(s)")
    for name, value in zip(primitive.params, extra, strict=False):
        if name in params:
            raise ConversionError(f"{primitive.name}() got {name} twice (by position and by name)")
        params[name] = value
    return args[:primitive.arity], params


def _shape_after(primitive: Primitive, shapes: list, params: tuple) -> tuple | None:
    """The output's shape while tracing; shapes that do not fit are refused here, where the user's line is."""
    try:
        return primitive.out_shape(*shapes, **dict(params))
    except (ValueError, IndexError, TypeError) as exc:
        shown = ", ".join(str(s) for s in shapes)
        raise ConversionError(f"{primitive.name} cannot combine arguments of shapes {shown}: {exc}") from None


def apply(primitive: Primitive, *args, **params):
    """Apply a primitive to handles (adds a node) or to numbers/arrays (computes with NumPy)."""
    for arg in args:
        if isinstance(arg, Expr):
            return arg._apply_primitive(primitive.name, *args, **params)
    if params:
        params = dict(freeze_params(primitive, params))
    return primitive.numpy(*args, **params)


# Primitives NumPy's namesakes of which take a sequence of arrays: a list is recorded as a chain of binary nodes.
_SEQUENCE_FORMS = {"concatenate": concatenate_all, "stack": stack_all}


def _user_function(primitive: Primitive) -> Callable:
    joined = _SEQUENCE_FORMS.get(primitive.name)

    def function(*args, **params):
        if joined is not None and args and isinstance(args[0], list | tuple):  # np.concatenate([a, b, c], 0)
            if len(args) > 2:
                raise ConversionError(f"{primitive.name}() takes a sequence of arrays and then axis, got "
                                      f"{len(args)} positional arguments")
            if len(args) == 2:
                params = {"axis": args[1], **params}
            return joined(functions, args[0], **params)
        args, params = _positional_params(primitive, args, params)
        return apply(primitive, *args, **params)

    function.__name__ = primitive.name
    function.__qualname__ = primitive.name
    function.__doc__ = primitive.doc or f"{primitive.name}, elementwise; records a node when given a traced Expr."
    return function


# The functions users call in traced code (dk.sin, dk.exp, ...); also the namespace for partial rules on handles.
functions = namespace(_user_function)
install_numpy_forms(functions)  # keepdims=, cumsum over the flattened array, var/std/norm: NumPy's signatures


def _slogdet(a):
    """As np.linalg.slogdet: (sign, logabsdet); the sign is piecewise constant (no derivative), as dk.sign."""
    return slogdet(functions, a)


functions.slogdet = _slogdet  # two primitives' values, as NumPy's pair; np.linalg.slogdet on a handle comes here

_einsum_node = functions.einsum


def _einsum(*args, **params):
    """As np.einsum(subscripts, *operands) (a chain of binary einsum nodes); einsum(a, b, subscripts=...) is one
    node, as the derivative rules write it."""
    if args and isinstance(args[0], str):
        if params:
            raise ConversionError(f"einsum takes the subscripts and the operands only, got {', '.join(params)}")
        try:
            return einsum_all(functions, *args)
        except ValueError as exc:
            raise ConversionError(str(exc)) from None
    return _einsum_node(*args, **params)


functions.einsum = _einsum


def replay(graph: Graph, inputs: Mapping[str, Expr]) -> list[Expr]:
    """Apply ``graph`` to handles of a trace (``inputs[name]`` for each variable): its outputs, as handles.

    What a function call is to a trace: a graph made separately (the gradient graph of ``dk.grad`` called inside
    a traced function) becomes part of this one, sharing every node that hash-consing finds equal.
    """
    plan = graph.plan
    missing = sorted(set(plan.variables) - set(inputs))
    if missing:
        raise ConversionError(f"replaying a graph needs values for its variables {', '.join(missing)}")
    anchor = max(inputs.values(), key=lambda h: _depth(h.builder))  # the innermost trace records
    handles: list = [None] * plan.size
    for name, slot in plan.variables.items():
        handles[slot] = inputs[name]
    for slot, value in plan.constants:
        handles[slot] = anchor._lift(value)
    for step in plan.steps:
        handles[step.out] = anchor._apply_primitive(step.primitive.name, *(handles[a] for a in step.args),
                                                    **step.params)
    return [handles[slot] for slot in plan.outputs]


@checked_keywords
def trace(f: Callable, variables: Sequence[str] | None = None, shapes: Mapping[str, Sequence[int]] | None = None
          ) -> Graph:
    """Record ``f``'s computation as a Graph. Its parameters (or ``variables``) become the graph's variables.

    ``f`` may return one expression or a tuple/list of them (several outputs). ``shapes`` (optional) gives some
    variables' shapes, ``{"x": (3, 2)}``: then ``x.shape``, ``len(x)`` and ``for row in x`` work inside ``f`` as
    they do on arrays, and shapes that do not fit are refused while tracing. The graph itself stays
    shape-agnostic: it can be evaluated at arrays of any shapes that fit.
    """
    variables = _variables_of(f, variables)
    builder = TraceBuilder(reserved=variables, parent=active_trace())
    handles = [Expr(builder, builder.variable(name)) for name in variables]
    for name, shape in _checked_shapes(shapes, variables).items():
        builder.shapes[name] = shape
    return finish_trace(builder, call_traced(builder, f, *handles), variables, list(builder.captured.values()))


# The traces under way, innermost last: a trace started while another one runs (dk.grad inside a traced function)
# is nested in it, so the handles of the enclosing one that it meets are captured, not refused.
_ACTIVE: list[TraceBuilder] = []


def active_trace() -> TraceBuilder | None:
    return _ACTIVE[-1] if _ACTIVE else None


def call_traced(builder: TraceBuilder, f: Callable, *args, **kwargs):
    """``f(*args, **kwargs)`` with ``builder`` the innermost trace under way."""
    _ACTIVE.append(builder)
    try:
        return f(*args, **kwargs)
    finally:
        _ACTIVE.pop()


def _variables_of(f: Callable, variables: Sequence[str] | None) -> list[str]:
    if variables is None:
        try:
            params = inspect.signature(f).parameters.values()
        except (TypeError, ValueError):
            raise ConversionError("cannot read the function's parameters; pass variables=[...]") from None
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            raise ConversionError("a traced function with *args or **kwargs needs variables=[...]")
        variables = [p.name for p in params]
    return list(variables)


def _checked_shapes(shapes, variables: list[str]) -> dict[str, tuple[int, ...]]:
    if shapes is None:
        return {}
    if not isinstance(shapes, Mapping):
        raise ConversionError(f"shapes= takes a dict {{variable: shape}}, got a {type(shapes).__name__}")
    checked = {}
    for name, shape in shapes.items():
        if name not in variables:
            raise ConversionError(f"shapes= names {name!r}, which is not a variable (they are "
                                  f"{', '.join(variables)})")
        shape = (shape,) if isinstance(shape, int | np.integer) else shape
        if (not isinstance(shape, tuple | list)
                or not all(isinstance(d, int | np.integer) and not isinstance(d, bool) and d >= 0 for d in shape)):
            raise ConversionError(f"the shape of {name!r} must be a tuple of non-negative ints, got {shape!r}")
        checked[name] = tuple(int(d) for d in shape)
    return checked


def finish_trace(builder: GraphBuilder, result, variables: Sequence[str], extra: Sequence[str] = ()) -> Graph:
    """The graph of a traced function's result (one expression, or a tuple/list of them)."""
    outputs = list(result) if isinstance(result, tuple | list) else [result]
    nodes = []
    for out in outputs:
        if isinstance(out, Expr):
            node = builder.capture(out) if isinstance(builder, TraceBuilder) else out.node
            if node is None:
                raise ConversionError("the traced function returned an expression of another trace")
            nodes.append(node)
        elif isinstance(out, int | float) and not isinstance(out, bool):
            nodes.append(builder.constant(out))
        else:
            raise ConversionError(f"the traced function returned a {type(out).__name__}, not an expression")
    names = None if len(nodes) > 1 else ["y"]
    return builder.finish(nodes, names, [*variables, *extra])
