"""JAX-style function transforms: ``grad``, ``value_and_grad``, ``jacfwd``, ``jacrev`` and ``hessian`` of a Python
function, called with positional arguments (``dk.grad(f)(x, y)``).

Each call traces ``f`` at the arguments given (diffkit's verbs then differentiate the graph): the arguments chosen
by ``argnums`` become the graph's variables, named after ``f``'s parameters; the others are passed to ``f`` as they
are, constants of the trace (as in JAX, they are not differentiated). The arrays passed are *tensors*, as in
JAX: ``grad(lambda x: dk.sum(x**2))(np.ones(3))`` is ``2*ones(3)``, and ``jacrev(dk.sin)(np.ones(3))`` a
diagonal (3, 3) matrix — not a batch of points as for ``dk.gradient(expr, at={...})``.

Shapes, as in JAX: ``grad`` -> the argument's shape (a float for a number), ``jacfwd``/``jacrev`` -> output shape
+ argument shape, ``hessian`` -> output shape + argument shape + argument shape; a tuple ``argnums`` gives a tuple
(a tuple of tuples for ``hessian``). Each transformed function keeps its last call's ``Cost`` as ``.cost`` (None
when the output does not depend on the arguments: the derivatives are then zeros, and nothing is differentiated).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable

import numpy as np

from . import api
from .errors import BindingError, ConversionError, MethodError
from .evaluation import as_result
from .graph import Graph
from .keywords import checked_keywords
from .trace import Expr, TraceBuilder, active_trace, call_traced, constant, finish_trace, functions, replay, trace


@checked_keywords(options=api.method_options)
def grad(f: Callable, argnums: int | tuple[int, ...] = 0, method: str = "reverse", **options) -> Callable:
    """Like ``jax.grad``: ``grad(f)(*args)`` is ∂f/∂args[argnums], shaped like that argument.

    ``f`` must return a scalar (reduce an array with ``dk.sum`` or ``dk.mean``). ``method`` is any of
    ``dk.METHODS``; ``**options`` go to it (numeric ``step=``, ``scheme=``; ``errors=``).

    Examples:
        >>> import numpy as np
        >>> grad(lambda x: x**2)(3.0)
        6.0
        >>> grad(lambda x, y: functions.sum(x * y), argnums=(0, 1))(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
        (array([3., 4.]), array([1., 2.]))
    """
    value_and_gradient = value_and_grad(f, argnums=argnums, method=method, **options)

    @functools.wraps(f)
    def gradient_of_f(*args, **kwargs):
        _, gradients = value_and_gradient(*args, **kwargs)
        gradient_of_f.cost = value_and_gradient.cost
        return gradients

    gradient_of_f.cost = None
    return gradient_of_f


@checked_keywords(options=api.method_options)
def value_and_grad(f: Callable, argnums: int | tuple[int, ...] = 0, method: str = "reverse",
                   **options) -> Callable:
    """Like ``jax.value_and_grad``: ``value_and_grad(f)(*args)`` is ``(f(*args), grad(f)(*args))``, from one
    computation. The last call's ``Cost`` is on the returned function: ``.cost``.

    Examples:
        >>> value_and_grad(lambda x, y: x**2 * y, argnums=1)(3.0, 2.0)
        (18.0, 9.0)
    """
    _check_callable(f, "value_and_grad")
    api.check_options(method, options)  # the method and its options, before f is ever called

    @functools.wraps(f)
    def value_and_gradient_of_f(*args, **kwargs):
        if active_trace() is not None:  # inside a traced function: the gradient is recorded, not computed
            if method != "reverse":
                raise MethodError(f"inside a traced function dk.grad records reverse mode's gradient graph; "
                                  f"method={method!r} cannot be recorded (leave method= out)")
            value_and_gradient_of_f.cost = None
            return _recorded_value_and_grad(f, args, kwargs, argnums)
        call = _Call(f, args, kwargs, argnums, "grad")
        values, rows, value_and_gradient_of_f.cost = call.jacobian(method, options)
        if len(values) > 1:
            raise MethodError(f"grad requires a scalar output, got {len(values)} outputs (a tuple); "
                              "use dk.jacrev for several outputs")
        shape = np.shape(values[0])
        if shape != ():
            raise MethodError(f"grad requires a scalar output, got shape {shape}: reduce it (dk.sum, dk.mean) or "
                              "use dk.jacrev")
        return values[0], call.structured(rows[0])

    value_and_gradient_of_f.cost = None
    return value_and_gradient_of_f


def _recorded_value_and_grad(f: Callable, args: tuple, kwargs: dict, argnums):
    """``value_and_grad(f)(*args)`` inside a traced function: f traced one level deeper (handles of the
    enclosing trace that it uses are captured), reverse mode's gradient graph of it replayed into the enclosing
    trace. The value and gradient are handles of the enclosing trace, so the program can be differentiated
    again: a Newton step, a gradient penalty."""
    outer = active_trace()
    positions = _argnums(argnums, len(args), "grad")
    names = _argument_names(f, positions)
    inner = TraceBuilder(reserved=names, parent=outer)
    lifted = {}
    full = list(args)
    for position, name in zip(positions, names, strict=True):
        value = args[position]
        handle = value if isinstance(value, Expr) else constant(outer, _differentiable(value, position, "grad"))
        lifted[name] = handle
        full[position] = Expr(inner, inner.variable(name))
        shape = getattr(handle.builder, "shapes", {}).get(handle.node)
        if shape is not None:
            inner.shapes[name] = shape
    graph = finish_trace(inner, call_traced(inner, f, *full, **kwargs), names)
    out = graph.outputs[0]
    if len(graph.outputs) > 1:
        raise MethodError(f"grad requires a scalar output, got {len(graph.outputs)} outputs (a tuple)")
    shape = inner.shapes.get(out)
    if shape not in (None, ()):
        raise MethodError(f"grad requires a scalar output, got shape {shape}: reduce it (dk.sum, dk.mean)")
    captured = {node: Expr(outer, enclosing) for enclosing, node in inner.captured.items()}
    graph = Graph(graph.nx, graph.outputs, graph.output_names, [*names, *captured], graph.data)
    gradients = api.gradient_graph(graph, wrt=names, with_value=True)
    *derivatives, value = replay(gradients, {**lifted, **captured})
    structured = tuple(derivatives)
    return value, (structured[0] if isinstance(argnums, int) else structured)


@checked_keywords(options=api.method_options)
def jacfwd(f: Callable, argnums: int | tuple[int, ...] = 0, method: str = "forward", **options) -> Callable:
    """Like ``jax.jacfwd``: ``jacfwd(f)(*args)`` has shape output shape + argument shape (forward mode: one sweep
    per argument entry). A function returning a tuple gives a tuple, one Jacobian per output.

    Examples:
        >>> import numpy as np
        >>> jacfwd(functions.sin)(np.zeros(2))
        array([[1., 0.],
               [0., 1.]])
    """
    return _jacobian_transform(f, argnums, method, options, "jacfwd")


@checked_keywords(options=api.method_options)
def jacrev(f: Callable, argnums: int | tuple[int, ...] = 0, method: str = "reverse", **options) -> Callable:
    """Like ``jax.jacrev``: ``jacrev(f)(*args)`` has shape output shape + argument shape (reverse mode: one
    backward sweep per output entry). A function returning a tuple gives a tuple, one Jacobian per output.

    Examples:
        >>> jacrev(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0)
        (5.0, 2.0)
    """
    return _jacobian_transform(f, argnums, method, options, "jacrev")


def _jacobian_transform(f: Callable, argnums, method: str, options: dict, name: str) -> Callable:
    _check_callable(f, name)
    api.check_options(method, options)  # the method and its options, before f is ever called

    @functools.wraps(f)
    def jacobian_of_f(*args, **kwargs):
        call = _Call(f, args, kwargs, argnums, name)
        _, rows, jacobian_of_f.cost = call.jacobian(method, options)
        if len(rows) > 1:  # several outputs: one Jacobian each
            return tuple(call.structured(row) for row in rows)
        return call.structured(rows[0])

    jacobian_of_f.cost = None
    return jacobian_of_f


@checked_keywords(options=api.method_options)
def hessian(f: Callable, argnums: int | tuple[int, ...] = 0, method: str = "reverse", **options) -> Callable:
    """Like ``jax.hessian``: ``hessian(f)(*args)`` has shape output shape + argument shape + argument shape; a tuple
    ``argnums`` gives a tuple of tuples (block (i, j) is ∂²f/∂args[i]∂args[j]).

    A non-scalar output costs one Hessian per output entry (of the entry's weighted sum); ``.cost`` on the
    returned function is then one entry's.

    Examples:
        >>> hessian(lambda x, y: x**2 * y, argnums=(0, 1))(1.0, 3.0)
        ((6.0, 2.0), (2.0, 0.0))
    """
    _check_callable(f, "hessian")
    api.check_options(method, options)  # the method and its options, before f is ever called

    @functools.wraps(f)
    def hessian_of_f(*args, **kwargs):
        call = _Call(f, args, kwargs, argnums, "hessian")
        if len(call.graph.outputs) > 1:
            raise MethodError(f"hessian of a function with {len(call.graph.outputs)} outputs (a tuple): call "
                              "hessian on a function returning one of them")
        out_shape = np.shape(call.graph.evaluate(call.at, errors="ignore"))
        if call.independent:
            hessian_of_f.cost = None
            return call.hessian_blocks(np.zeros(out_shape + (call.size, call.size)), out_shape)
        if out_shape == ():
            result = api.hessian(call.graph, call.at, method=method, wrt=call.names, **options)
            hessian_of_f.cost = result.cost
            return call.hessian_blocks(result.hessian, ())
        # One Hessian per output entry: of sum(output * e_k), e_k the k-th unit array (a constant of the trace).
        flats = []
        for k in range(math.prod(out_shape)):
            unit = np.zeros(out_shape)
            unit.flat[k] = 1.0
            entry = _Call(f, args, kwargs, argnums, "hessian", reduce=functools.partial(_weighted_sum, unit))
            result = api.hessian(entry.graph, entry.at, method=method, wrt=entry.names, **options)
            flats.append(result.hessian)
            hessian_of_f.cost = result.cost  # the cost of one entry's Hessian (each costs about the same)
        return call.hessian_blocks(np.stack(flats).reshape(out_shape + flats[0].shape), out_shape)

    hessian_of_f.cost = None
    return hessian_of_f


@checked_keywords(options=api.method_options)
def hvp(f: Callable, argnums: int | tuple[int, ...] = 0, method: str = "reverse", **options) -> Callable:
    """``hvp(f)(*args, vector=v)`` is the Hessian of the scalar ``f`` (in the arguments ``argnums``) times v,
    shaped like the argument — what ``jax.jvp(jax.grad(f), args, (v,))[1]`` gives, at about two gradients' cost
    in reverse mode (``dk.hvp`` names the routes). For a tuple ``argnums``, ``vector`` is a tuple too.

    Examples:
        >>> import numpy as np
        >>> hvp(lambda x: functions.sum(x**3))(np.array([1.0, 2.0]), vector=np.array([1.0, 1.0]))
        array([ 6., 12.])
    """
    _check_callable(f, "hvp")
    api.check_options(method, options)  # the method and its options, before f is ever called

    @functools.wraps(f)
    def hvp_of_f(*args, vector=None, **kwargs):
        call = _Call(f, args, kwargs, argnums, "hvp")
        directions = call.directions(vector, "vector")
        if call.independent:
            hvp_of_f.cost = None
            return call.structured({name: np.zeros(shape) for name, shape in zip(call.names, call.shapes,
                                                                                 strict=True)})
        result = api.hvp(call.graph, call.at, vector=directions, method=method, wrt=call.names, **options)
        hvp_of_f.cost = result.cost
        return call.structured(result.hvp)

    hvp_of_f.cost = None
    return hvp_of_f


def _weighted_sum(weights: np.ndarray, out):
    return functions.sum(out * weights)


def _check_callable(f, name: str) -> None:
    if not callable(f) or isinstance(f, Graph):
        raise ConversionError(f"dk.{name} transforms a Python function; got a {type(f).__name__}")


class _Call:
    """One call of a transformed function: ``f`` traced at these arguments, the differentiated ones as variables.

    Each differentiated argument enters ``f`` through a reshape to its own shape: a no-op that makes the graph a
    tensor graph, so its arrays are tensors (as in JAX) even when ``f`` is elementwise.
    """

    def __init__(self, f: Callable, args: tuple, kwargs: dict, argnums, transform: str, reduce=None):
        if active_trace() is not None:
            raise MethodError(f"dk.{transform} cannot be recorded inside a traced function yet; only dk.grad and "
                              "dk.value_and_grad can (a Hessian-vector product is dk.grad of a gradient dotted "
                              "with the vector)")
        self.positions = _argnums(argnums, len(args), transform)
        self.single = isinstance(argnums, int)
        self.values = [_differentiable(args[i], i, transform) for i in self.positions]
        self.shapes = [np.shape(v) for v in self.values]
        self.names = _argument_names(f, self.positions)
        self.at = dict(zip(self.names, self.values, strict=True))

        def f_of_variables(*handles):
            full = list(args)
            for position, handle, shape in zip(self.positions, handles, self.shapes, strict=True):
                full[position] = functions.reshape(handle, shape=shape)
            out = f(*full, **kwargs)
            return out if reduce is None else reduce(out)

        self.graph = trace(f_of_variables, variables=self.names, shapes=dict(zip(self.names, self.shapes,
                                                                                  strict=True)))
        # Every argument's reshape is a tensor primitive: a graph without one has no path from the arguments.
        self.independent = not self.graph.is_tensor
        self.size = sum(math.prod(s) for s in self.shapes)

    def jacobian(self, method: str, options: dict) -> tuple[list, list[dict], object]:
        """(the output values, one {name: block} per output, the cost) by the method; blocks of zeros and no cost
        when the output does not depend on the arguments."""
        if self.independent:
            values = self.graph.evaluate(self.at)
            values = list(values) if len(self.graph.outputs) > 1 else [values]
            return values, [{name: np.zeros(np.shape(v) + shape) for name, shape in zip(self.names, self.shapes,
                                                                                         strict=True)}
                            for v in values], None
        result = api.jacobian(self.graph, self.at, method=method, wrt=self.names, **options)
        rows = result.jacobian if isinstance(result.jacobian, list) else [result.jacobian]
        values = list(result.value) if len(rows) > 1 else [result.value]
        return values, rows, result.cost

    def directions(self, given, what: str) -> dict:
        """A direction in the user's structure (one array for an int ``argnums``, a tuple for a tuple) as
        {name: array}; its shapes are checked by the verb."""
        if given is None:
            raise BindingError(f"give the direction: {what}= shaped like the argument(s) differentiated by")
        parts = (given,) if self.single else given
        if not isinstance(parts, tuple) or len(parts) != len(self.names):
            raise BindingError(f"{what}= must be a tuple of {len(self.names)} arrays, one per argument in argnums")
        return dict(zip(self.names, parts, strict=True))

    def structured(self, blocks: dict):
        """{name: block} as the user's structure: one block for an int ``argnums``, a tuple for a tuple."""
        # jacobian's blocks are ours already (finish_block copies what it must); as_result turns () into a float
        outs = tuple(as_result(blocks[name]) for name in self.names)
        return outs[0] if self.single else outs

    def hessian_blocks(self, flat: np.ndarray, out_shape: tuple):
        """A Hessian over all raveled entries (after ``out_shape``) split into blocks out + shape_i + shape_j."""
        sizes = [math.prod(s) for s in self.shapes]  # an entry-ordered flat matrix, in argnums order
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        rows = []
        for i, shape_i in enumerate(self.shapes):
            row = []
            for j, shape_j in enumerate(self.shapes):
                block = flat[..., offsets[i]:offsets[i + 1], offsets[j]:offsets[j + 1]]
                row.append(as_result(np.reshape(block, out_shape + shape_i + shape_j)))
            rows.append(tuple(row))
        return rows[0][0] if self.single else tuple(rows)


def _argnums(argnums, count: int, transform: str) -> tuple[int, ...]:
    """``argnums`` (an int or a tuple of ints, negative counting from the end) as checked positions."""
    positions = (argnums,) if isinstance(argnums, int) else argnums
    if (not isinstance(positions, tuple) or not positions
            or not all(isinstance(p, int) and not isinstance(p, bool) for p in positions)):
        raise BindingError(f"{transform}: argnums= takes an int or a non-empty tuple of ints, got {argnums!r}")
    if count == 0:
        raise BindingError(f"{transform}: call the transformed function with the arguments to differentiate by, "
                           "e.g. dk.grad(f)(x)")
    out = []
    for p in positions:
        if not -count <= p < count:
            raise BindingError(f"{transform}: argnums {p} is out of range for a call with {count} positional "
                               "argument(s)")
        out.append(p % count)
    if len(set(out)) != len(out):
        raise BindingError(f"{transform}: argnums {argnums!r} names an argument twice")
    return tuple(out)


def _differentiable(value, position: int, transform: str):
    """A differentiated argument as a float or a float64 array; anything else is refused by name."""
    if isinstance(value, bool | np.bool_) or (isinstance(value, np.ndarray) and value.dtype.kind == "b"):
        problem = "a boolean"
    elif isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    elif isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return value.astype(np.float64)
    elif isinstance(value, list | tuple):
        problem = f"a {type(value).__name__} (give a NumPy array: np.asarray(...))"
    else:
        problem = "None" if value is None else f"a {type(value).__name__}"
    raise BindingError(f"{transform}: argument {position} is {problem}; only numbers and NumPy arrays of real "
                       "numbers can be differentiated (choose other arguments with argnums=)")


def _argument_names(f: Callable, positions: tuple[int, ...]) -> list[str]:
    """Variable names for the differentiated arguments: ``f``'s parameter names where it has them (so messages
    and costs read like the code), else ``arg0``, ``arg1``, ..."""
    try:
        parameters = [p.name for p in inspect.signature(f).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):  # builtins and the like
        parameters = []
    names = [parameters[p] if p < len(parameters) else f"arg{p}" for p in positions]
    if len(set(names)) != len(names):  # cannot happen for real parameters; guards the arg{p} fallback
        names = [f"arg{p}" for p in positions]
    return names



api.register_transforms(grad=grad, value_and_grad=value_and_grad, hessian=hessian, hvp=hvp)

__all__ = ["grad", "hessian", "hvp", "jacfwd", "jacrev", "value_and_grad"]
