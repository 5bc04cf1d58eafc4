"""The user-facing verbs: gradient, jacobian, hessian, derivative, jvp, vjp, grad, value_and_grad.

Every verb takes an expression (text, SymPy, a Graph, a function of diffkit operations), the point ``at``
({variable: value}), and a ``method``; it returns a ``Result`` carrying the answer and its cost.

Points: variables bound to arrays form a *batch of points* (all primitives are elementwise), and each
derivative then has the batch's shape — what ``jax.vmap(jax.grad(f))`` gives.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import sympy as sp

from . import dask_batches, domain, estimate
from . import options as check
from .binding import as_float_array, batch_shape
from .convert import as_graph
from .errors import BindingError, MethodError
from .evaluation import as_result
from .graph import Graph
from .keywords import checked_keywords, suggestion
from .limits import check_memory
from .methods import forward, numeric, reverse, symbolic
from .names import by_name, keyed, symbols_given, variable_name
from .result import Computed, Result, join_blocks

METHODS = ("symbolic", "numeric", "forward", "reverse")
_MODULES = {"symbolic": symbolic, "numeric": numeric, "forward": forward, "reverse": reverse}
MAX_ORDER = 8
# When the numeric method evaluates a gradient's perturbed points together (its work estimate needs to know).
NUMERIC_BATCHING = estimate.Batching(numeric.BATCH_VARIABLES, numeric.BATCH_POINTS, numeric.CHUNK_BYTES)


def _module(method: str):
    return _MODULES[check.choice("method", method, METHODS)]


# The methods' options and what each may be; checked before any work starts, so that seconds=nan or
# max_size="10" is refused here, by name, and not deep inside a method as a bare ValueError or TypeError.
_OPTION_CHECKS: dict[str, Callable] = {
    "errors": lambda v: check.choice("errors=", v, domain.POLICIES),
    "seconds": lambda v: check.seconds("seconds=", v),
    "max_size": lambda v: check.positive_int("max_size=", v, allow_none=True),
    "step": lambda v: check.positive("step=", v, allow_none=True),
    "scheme": lambda v: check.choice("scheme=", v, numeric.SCHEMES),
    "error_estimate": lambda v: check.flag("error_estimate=", v),
    "batch": lambda v: check.flag("batch=", v),
    "over": lambda v: check.choice("over=", v, ("reverse", "forward")),
}


def check_options(method: str, options: dict) -> dict:
    """The method name and the values of its options checked (an ``OptionError`` names a bad one); returns the
    options with their values as plain Python numbers. Whether the method takes each option is ``_verb``'s check.
    """
    _module(method)
    return {name: _OPTION_CHECKS[name](value) if name in _OPTION_CHECKS else value
            for name, value in options.items()}


def _call(method: str, verb: str, *args, errors: str = "warn", **options) -> Computed:
    """Call a method module's verb under the floating-point watch, applying the user's ``errors`` policy.

    ``errors="warn"`` (default) issues one DomainWarning naming the primitives that left their domain or
    overflowed; ``"raise"`` raises DomainError instead; ``"ignore"`` stays quiet. Either way the findings are
    in ``result.diagnostics``.
    """
    function = _verb(method, verb, errors, options)
    return _watched(function, method, errors, *args, **options)


def _verb(method: str, verb: str, errors: str, options: dict):
    """A method module's verb, after checking the error policy and that the method takes these options."""
    function = getattr(_module(method), verb)
    domain.check_policy(errors)
    accepted = _parameters(function)
    unknown = sorted(set(options) - accepted) if options else None
    if unknown:
        allowed = sorted(accepted - {"graph", "bound", "wrt", "order", "tangents", "cotangents"})
        raise MethodError(
            f"option(s) {', '.join(unknown)} not understood by the {method} method{suggestion(unknown[0], allowed)} "
            f"(it takes: {', '.join(allowed) or 'no options'})"
        )
    return function


def _watched(function, method: str, errors: str, *args, **options) -> Computed:
    """Run a verb under the floating-point watch and apply the ``errors`` policy to what it saw."""
    if method == "numeric":  # its work estimated before any evaluation (the other methods check their own)
        estimate.check_numeric(function.__name__, *args, batching=NUMERIC_BATCHING, **options)
    with domain.watching() as watch:
        computed = function(*args, **options)
    found = watch.messages()
    computed.diagnostics = found + computed.diagnostics
    domain.apply_policy(found, errors, method, stacklevel=4)
    return computed


def method_options() -> frozenset[str]:
    """Every option some method's verb accepts (for the misspelled-keyword check of the verbs)."""
    return frozenset().union(*(_parameters(getattr(m, verb)) for m in _MODULES.values()
                               for verb in ("jacobian", "hessian", "derivative", "jvp", "vjp", "hvp")
                               if hasattr(m, verb)))


@functools.cache
def _parameters(function) -> frozenset[str]:
    """The options a method's verb accepts (read once: inspect.signature is slow for a per-call check)."""
    return frozenset(inspect.signature(function).parameters)


# The transforms of Python functions (jax-style ``grad(f)(*args)``) build on this module, so they register
# themselves here (``diffkit.transforms``) rather than this module importing them.
_TRANSFORMS: dict[str, Callable] = {}


def register_transforms(**transforms: Callable) -> None:
    """Let ``grad``, ``value_and_grad`` and ``hessian`` hand a Python function to its transform."""
    _TRANSFORMS.update(transforms)


def _function_transform(name: str) -> Callable:
    return _TRANSFORMS[name]


class Request:
    """An expression bound to a point: the graph, the checked values, the variables and the batch shape."""

    def __init__(self, expr, at, wrt: str | Sequence[str] | None = None, checked_wrt: tuple | None = None):
        if dask_batches.has_dask_arrays(at):  # NumPy would read the whole array into memory here
            raise BindingError("Dask arrays are taken by dk.gradient (a lazy gradient, chunk by chunk); for this "
                               "verb give NumPy arrays, e.g. a chunk: x.blocks[0].compute()")
        self.graph: Graph = as_graph(expr)
        self.bound = self.graph.bind(at)
        self.wrt = checked_wrt if checked_wrt is not None else _checked_wrt(self.graph, wrt)
        # Variables the user named by SymPy Symbols come back keyed by those Symbols (see diffkit.names).
        self.symbols = symbols_given(at if isinstance(at, Mapping) else None, wrt)
        # A tensor graph's variables are whole tensors (no batch of points); otherwise arrays are points.
        self.tensor = self.graph.is_tensor
        self._handed_over: set[int] = set()  # arrays already returned as results (see finish_block)
        if self.tensor or not self.bound:
            self.batch_shape = ()
        else:
            self.batch_shape = batch_shape(self.bound)

    def finish(self, x):
        """A computed entry as returned to the user: the batch's shape, zeros for 'no dependence', our copy."""
        if x is None:
            return as_result(np.zeros(self.batch_shape))
        if type(x) is np.float64 and not self.batch_shape and not self.tensor:  # one point: a float (per entry)
            return float(x)
        if self.tensor:
            return as_result(np.asarray(x, dtype=np.float64))
        return as_result(np.broadcast_to(np.asarray(x, dtype=np.float64), self.batch_shape))

    def finish_block(self, block, shape: tuple) -> object:
        """A tensor graph's derivative block as returned: ``shape`` (zeros where nothing depends).

        A block that is an array the method computed and nobody else holds is handed over as it is; anything
        else (a view, a read-only broadcast, an array already returned for another variable) is copied, so a
        result never aliases another result or a user's array. Copying a large gradient costs as much as a
        small matmul, so this matters for training steps.
        """
        if block is None:
            return as_result(np.zeros(shape))
        array = np.asarray(block, dtype=np.float64)
        fresh = (array.base is None and array.flags.writeable and array.ndim > 0
                 and array.shape == tuple(shape) and id(array) not in self._handed_over
                 and not any(array is v for v in self.bound.values()))
        if fresh:
            self._handed_over.add(id(array))
            return array
        return as_result(np.reshape(array, shape))

    def shape_of(self, name: str) -> tuple:
        return self.bound[name].shape

    def keyed(self, values: dict) -> dict:
        """{variable: value} keyed as the user named the variables (a SymPy Symbol where they gave one)."""
        return keyed(values, self.symbols)

    def values(self, values) -> object:
        outs = tuple(self.finish(v) for v in values)
        return outs[0] if len(outs) == 1 else outs

    def require_scalar_value(self, computed: Computed, verb: str) -> None:
        """A tensor graph's gradient or Hessian needs its output to be one number (a loss)."""
        shape = np.shape(computed.value[0])
        if self.tensor and math.prod(shape) != 1:
            raise MethodError(
                f"{verb} needs a scalar output, but this graph's output has shape {shape}: reduce it "
                "(dk.sum, dk.mean) or use jacobian"
            )

    def result(self, method: str, kind: str, computed: Computed, derivative) -> Result:
        return Result(
            method=method,
            kind=kind,
            value=self.values(computed.value),
            derivative=derivative,
            cost=computed.cost,
            variables=self.wrt,
            outputs=self.graph.output_names,
            error_estimate=computed.error_estimate,
            diagnostics=list(computed.diagnostics),
        )

    def require_scalar(self, verb: str) -> None:
        if not self.graph.is_scalar_output:
            raise MethodError(f"{verb} needs a single output; this expression has {len(self.graph.outputs)}: "
                              "use jacobian")


@checked_keywords(options=method_options)
def gradient(expr, at=None, method: str = "reverse", wrt=None, **options) -> Result:
    """∂f/∂v for each variable v of a scalar expression, with what computing it cost.

    Args:
        expr: the expression: text such as ``"log(x1) + x1*x2"`` (parsed through a whitelist, never executed), a
            SymPy expression, a ``Graph``, or a Python function of diffkit operations (traced).
        at: the point, ``{variable: value}``. Numbers give one point; NumPy arrays give a batch of points
            (broadcast together), or, in a tensor graph (one with matmul, sum, ...), the tensors themselves.
            Dask arrays give a lazy batch: the value and gradient are Dask arrays, computed chunk by chunk.
        method: ``"symbolic"``, ``"numeric"``, ``"forward"`` or ``"reverse"`` (see ``METHODS``).
        wrt: the variables to differentiate by (a name or a list); default: all, in natural order (x2 before x10).
        **options: passed to the method: ``errors="warn" | "raise" | "ignore"`` for domain trouble (all);
            numeric ``scheme="central" | "forward" | "richardson" | "complex"``, ``step=``,
            ``error_estimate=True``; forward ``batch=True`` (one sweep carrying all tangents); symbolic
            ``max_size=``, ``seconds=`` (budgets against expression swell).

    Returns:
        A ``Result``: ``.gradient`` is ``{variable: ∂f/∂variable}`` (each shaped like the batch of points, or like
        its variable in a tensor graph), ``.value`` is f, ``.cost`` the operations, flops, sweeps or
        evaluations, memory and seconds.

    Raises:
        ParseError: the text is not an expression diffkit reads (the message points at the column).
        BindingError: a variable has no value, a value is not a number, or shapes do not fit.
        MethodError: an unknown method or option, or a request the method cannot serve.
        SwellError: the symbolic method's expression outgrew its budget.

    Examples:
        >>> r = gradient("log(x1) + x1*x2 - sin(x2)", at={"x1": 2.0, "x2": 5.0})
        >>> r.gradient["x1"], round(r.gradient["x2"], 6), r.cost.backward_sweeps
        (5.5, 1.716338, 1)
    """
    options = check_options(method, options)
    if dask_batches.has_dask_arrays(at):  # a lazy gradient, chunk by chunk through this same verb
        return dask_batches.gradient(expr, at, method, wrt, options, gradient)
    request = Request(expr, at, wrt)
    request.require_scalar("gradient")
    computed = _call(method, "jacobian", request.graph, request.bound, request.wrt, **options)
    return _gradient_result(request, method, computed)


def _gradient_result(request: Request, method: str, computed: Computed) -> Result:
    """A gradient request's Result: {variable: derivative}, shaped like each variable (tensor graphs) or like the
    batch of points."""
    if request.tensor:
        request.require_scalar_value(computed, "gradient")
        grad = {name: request.finish_block(d, request.shape_of(name))
                for name, d in zip(request.wrt, computed.derivative[0], strict=True)}
        result = request.result(method, "gradient", computed, request.keyed(grad))
        if computed.error_estimate is not None:
            result.error_estimate = request.keyed({n: request.finish_block(e, request.shape_of(n))
                                                   for n, e in zip(request.wrt, computed.error_estimate[0],
                                                                   strict=True)})
        return result
    grad = {name: request.finish(d) for name, d in zip(request.wrt, computed.derivative[0], strict=True)}
    result = request.result(method, "gradient", computed, request.keyed(grad))
    if computed.error_estimate is not None:
        result.error_estimate = request.keyed({n: request.finish(e) for n, e in zip(
            request.wrt, computed.error_estimate[0], strict=True)})
    return result


@checked_keywords(options=method_options)
def jacobian(exprs, at=None, method: str = "reverse", wrt=None, **options) -> Result:
    """∂fᵢ/∂vⱼ for several outputs: a list of expressions, or a graph with several outputs.

    Forward mode takes one sweep per variable, reverse mode one forward sweep and one backward sweep per output:
    the cost shows which is cheaper for the Jacobian's shape.

    Args:
        exprs: the expressions (a list), each text (parsed through a whitelist, never executed), a SymPy
            expression, a ``Graph`` or a Python function of diffkit operations; or one graph with several outputs.
        at: the point, ``{variable: value}``. Numbers give one point; NumPy arrays give a batch of points
            (broadcast together), or, in a tensor graph (one with matmul, sum, ...), the tensors themselves.
        method: ``"symbolic"``, ``"numeric"``, ``"forward"`` or ``"reverse"`` (see ``METHODS``).
        wrt: the variables to differentiate by (a name or a list); default: all, in natural order (x2 before x10).
        **options: passed to the method: ``errors="warn" | "raise" | "ignore"`` for domain trouble (all);
            numeric ``scheme="central" | "forward" | "richardson" | "complex"``, ``step=``,
            ``error_estimate=True``; forward ``batch=True`` (one sweep carrying all tangents); symbolic
            ``max_size=``, ``seconds=`` (budgets against expression swell).

    Returns:
        A ``Result`` whose ``.jacobian`` has shape (outputs, variables[, *batch]); for a tensor graph, one
        ``{variable: block}`` per output, each block shaped output shape + variable shape.

    Raises:
        ParseError: the text is not an expression diffkit reads (the message points at the column).
        BindingError: a variable has no value, a value is not a number, or shapes do not fit.
        MethodError: an unknown method or option, or a request the method cannot serve.
        SwellError: the symbolic method's expression outgrew its budget.

    Examples:
        >>> jacobian(["x*y", "sin(x)"], at={"x": 0.0, "y": 2.0}, method="forward").jacobian
        array([[2., 0.],
               [1., 0.]])
    """
    options = check_options(method, options)
    request = Request(exprs, at, wrt)
    if not request.tensor:  # the matrix it returns, before any work: outputs × variables × points
        m, n, points = len(request.graph.outputs), len(request.wrt), math.prod(request.batch_shape)
        check_memory(f"a Jacobian of {m:,} outputs × {n:,} variables at {points:,} points", 8.0 * m * n * points,
                     "differentiate fewer outputs or by fewer variables (wrt=), or at fewer points at once")
    computed = _call(method, "jacobian", request.graph, request.bound, request.wrt, **options)
    if request.tensor:  # one {variable: block} per output, each block shaped output shape + variable shape
        blocks = [
            {name: request.finish_block(d, np.shape(value) + request.shape_of(name))
             for name, d in zip(request.wrt, row, strict=True)}
            for row, value in zip(computed.derivative, computed.value, strict=True)
        ]
        return request.result(method, "jacobian", computed, blocks[0] if len(blocks) == 1 else blocks)
    matrix = _stack(request, computed.derivative, len(request.graph.outputs), len(request.wrt))
    result = request.result(method, "jacobian", computed, matrix)
    if computed.error_estimate is not None:
        result.error_estimate = _stack(request, computed.error_estimate, len(request.graph.outputs),
                                       len(request.wrt))
    return result


@checked_keywords(options=method_options)
def hessian(expr, at=None, method: str = "reverse", wrt=None, argnums=None, **options) -> Result | Callable:
    """∂²f/∂vᵢ∂vⱼ of a scalar expression.

    A Python function passed *without* ``at`` gives JAX's transform instead: ``dk.hessian(f)(*args)``, shaped
    output shape + argument shape + argument shape (``argnums=`` chooses the arguments; see
    ``diffkit.transforms.hessian``). With ``at``, a function is traced and treated like any expression.

    Reverse mode differentiates its own gradient graph again (reverse-over-reverse; ``over="forward"`` for
    forward-over-reverse), forward mode nests dual numbers, numeric takes second differences, symbolic
    differentiates twice.

    Args:
        expr: the expression: text such as ``"log(x1) + x1*x2"`` (parsed through a whitelist, never executed), a
            SymPy expression, a ``Graph``, or a Python function of diffkit operations (traced).
        at: the point, ``{variable: value}``. Numbers give one point; NumPy arrays give a batch of points
            (broadcast together), or, in a tensor graph (one with matmul, sum, ...), the tensors themselves.
        method: ``"symbolic"``, ``"numeric"``, ``"forward"`` or ``"reverse"`` (see ``METHODS``).
        wrt: the variables to differentiate by (a name or a list); default: all, in natural order (x2 before x10).
        argnums: only for a Python function without ``at``: the positions of the arguments (an int or a tuple).
        **options: passed to the method: ``errors="warn" | "raise" | "ignore"`` for domain trouble (all);
            numeric ``scheme="central" | "forward" | "richardson" | "complex"``, ``step=``,
            ``error_estimate=True``; forward ``batch=True`` (one sweep carrying all tangents); symbolic
            ``max_size=``, ``seconds=`` (budgets against expression swell).

    Returns:
        A ``Result`` whose ``.hessian`` has shape (variables, variables[, *batch]); for a tensor graph, one matrix
        over all entries of the variables, each raveled, in ``wrt`` order.

    Raises:
        ParseError: the text is not an expression diffkit reads (the message points at the column).
        BindingError: a variable has no value, a value is not a number, or shapes do not fit.
        MethodError: an unknown method or option, or a request the method cannot serve.
        SwellError: the symbolic method's expression outgrew its budget.

    Examples:
        >>> hessian("x**2 * y", at={"x": 1.0, "y": 3.0}).hessian
        array([[6., 2.],
               [2., 0.]])
    """
    if at is None and _is_python_function(expr):
        return _function_transform("hessian")(expr, argnums=_function_argnums(argnums, wrt, "hessian"),
                                              method=method, **options)
    _no_argnums(argnums, "hessian")
    options = check_options(method, options)
    request = Request(expr, at, wrt)
    request.require_scalar("hessian")
    computed = _call(method, "hessian", request.graph, request.bound, request.wrt, **options)
    n = len(request.wrt)
    if request.tensor:
        request.require_scalar_value(computed, "hessian")
        return request.result(method, "hessian", computed, _flat_hessian(request, computed.derivative))
    return request.result(method, "hessian", computed, _stack(request, computed.derivative, n, n))


def _flat_hessian(request: Request, blocks: list[list]) -> np.ndarray:
    """A tensor graph's Hessian as one matrix over all entries, each variable raveled, in ``wrt`` order."""
    return join_blocks(blocks, [request.shape_of(name) for name in request.wrt])


@checked_keywords(options=method_options)
def derivative(expr, wrt: str | None = None, order: int = 1, at=None, method: str = "reverse", **options) -> Result:
    """dᵏf/dxᵏ in one variable, for k = 1 … ``MAX_ORDER`` (the numeric method stops at 2).

    Args:
        expr: a scalar expression (text, SymPy, Graph or traced function) of scalar variables.
        wrt: the variable; may be left out when there is only one.
        order: k, a whole number from 1 to ``MAX_ORDER`` (8).
        at: the point ``{variable: value}``; arrays give a batch of points.
        method: ``"symbolic"``, ``"numeric"``, ``"forward"`` or ``"reverse"``.
        **options: passed to the method (see ``gradient``).

    Returns:
        A ``Result`` whose ``.derivative`` is dᵏf/dxᵏ at the point(s).

    Raises:
        ParseError: the text is not an expression diffkit reads (the message points at the column).
        BindingError: a variable has no value, a value is not a number, or shapes do not fit.
        MethodError: an unknown method or option, or a request the method cannot serve.
        SwellError: the symbolic method's expression outgrew its budget.

    Examples:
        >>> round(derivative("2/sin(exp(-x))", order=2, at={"x": -4.499}, method="forward").derivative, 2)
        23553.41
    """
    options = check_options(method, options)
    order = check.number("order", order, low=1, high=MAX_ORDER, integer=True)
    request = Request(expr, at, wrt)
    request.require_scalar("derivative")
    if request.tensor:
        raise MethodError("derivative (of order k in one variable) is for scalar expressions; a tensor graph "
                          "has gradient, hessian, jacobian, jvp and vjp")
    if len(request.wrt) != 1:
        raise BindingError(f"say which variable to differentiate by: wrt= one of {', '.join(request.wrt)}")
    computed = _call(method, "derivative", request.graph, request.bound, request.wrt[0], order, **options)
    result = request.result(method, "derivative", computed, request.finish(computed.derivative))
    result.details["order"] = order
    return result


@checked_keywords(options=method_options)
def jvp(expr, at=None, tangents=None, method: str = "forward", **options) -> Result:
    """J·v: the directional derivative of every output along ``tangents`` ({variable: value}).

    Forward mode and the numeric method do this in one sweep / two evaluations; symbolic and reverse mode
    build the Jacobian first (the cost shows the difference). Variables left out of ``tangents`` have tangent 0.

    Returns:
        A ``Result`` whose ``.derivative`` is J·v (one value per output: a tuple when there are several).

    Examples:
        >>> jvp("x*y", at={"x": 2.0, "y": 3.0}, tangents={"x": 1.0, "y": 1.0}).derivative
        5.0
    """
    options = check_options(method, options)
    request = Request(expr, at)
    directions = _directions(request, tangents, "tangents")
    if method in ("forward", "numeric"):
        computed = _call(method, "jvp", request.graph, request.bound, directions, **options)
        products = [request.finish(p) for p in computed.derivative]
    else:
        computed = _call(method, "jacobian", request.graph, request.bound, request.wrt, **options)
        products = []
        for row, value in zip(computed.derivative, computed.value, strict=True):
            pairs = [(d, directions[v]) for d, v in zip(row, request.wrt, strict=True)
                     if d is not None and v in directions]
            total = _contract(computed, pairs, request.tensor)
            # no term at all: a zero of the output's shape (a tensor graph) or of the points' shape
            products.append(request.finish_block(None, np.shape(value)) if total is None and request.tensor
                            else request.finish(total))
    value = products[0] if len(products) == 1 else tuple(products)
    return request.result(method, "jvp", computed, value)


@checked_keywords(options=method_options)
def hvp(expr, at=None, vector=None, method: str = "reverse", wrt=None, argnums=None, **options) -> Result | Callable:
    """H·v: the Hessian of a scalar expression times a direction ``vector`` ({variable: value}).

    What makes second order practical at scale: reverse mode gives H·v for about two gradients' work whatever the
    number of variables (forward-over-reverse by default; ``over="reverse"`` for reverse-over-reverse), where a
    full Hessian costs n times more. Forward mode (forward-over-forward) takes one sweep per variable, the numeric
    method differences two gradients, the symbolic method differentiates the symbolic gradient along v; the
    costs show the difference. Variables left out of ``vector`` have direction 0.

    A Python function passed *without* ``at`` gives a transform instead: ``dk.hvp(f)(*args, vector=v)``, shaped
    like the argument (``argnums=`` chooses the arguments; see ``diffkit.transforms.hvp``).

    Args:
        expr: a scalar expression (text, SymPy, Graph or traced function); a tensor graph's output must be one
            number (a loss).
        at: the point ``{variable: value}``; arrays give a batch of points (or a tensor graph's tensors).
        vector: the direction, ``{variable: value}``, each value broadcasting against the points (a tensor
            graph: the variable's shape).
        method: ``"symbolic"``, ``"numeric"``, ``"forward"`` or ``"reverse"``.
        wrt: the variables of the Hessian (and of ``vector``); default: all.
        argnums: only for a Python function without ``at``: the positions of the arguments (an int or a tuple).
        **options: passed to the method (``over=`` for reverse mode; ``step=`` for numeric; see ``gradient``).

    Returns:
        A ``Result`` whose ``.hvp`` (and ``.derivative``) is ``{variable: (H·v) entry}``.

    Examples:
        >>> hvp("x**2 * y", at={"x": 1.0, "y": 3.0}, vector={"x": 1.0, "y": 0.0}).hvp
        {'x': 6.0, 'y': 2.0}
    """
    if at is None and _is_python_function(expr):
        if vector is not None:
            raise BindingError("dk.hvp(f) of a Python function gives a transform: call it with the direction, "
                               "dk.hvp(f)(*args, vector=v)")
        return _function_transform("hvp")(expr, argnums=_function_argnums(argnums, wrt, "hvp"), method=method,
                                          **options)
    _no_argnums(argnums, "hvp")
    options = check_options(method, options)
    request = Request(expr, at, wrt)
    request.require_scalar("hvp")
    directions = _directions(request, vector, "vector")
    outside = [name for name in directions if name not in request.wrt]
    if outside:
        raise BindingError(f"vector names {', '.join(map(str, outside))}, not among the variables differentiated "
                           f"by (wrt: {', '.join(request.wrt)}); add them to wrt or leave them out of vector")
    if not hasattr(_module(method), "hvp"):
        raise MethodError(f"the {method} method has no H·v yet; use method='reverse'")
    computed = _call(method, "hvp", request.graph, request.bound, request.wrt, directions, **options)
    if request.tensor:
        request.require_scalar_value(computed, "hvp")
        products = {name: request.finish_block(d, request.shape_of(name))
                    for name, d in zip(request.wrt, computed.derivative, strict=True)}
    else:
        products = {name: request.finish(d) for name, d in zip(request.wrt, computed.derivative, strict=True)}
    result = request.result(method, "hvp", computed, request.keyed(products))
    if computed.error_estimate is not None:
        result.error_estimate = request.keyed({name: request.finish(e) for name, e in zip(
            request.wrt, computed.error_estimate, strict=True)})
    return result


@checked_keywords(options=method_options)
def vjp(expr, at=None, cotangents=None, method: str = "reverse", **options) -> Result:
    """uᵀJ: the gradient of Σᵢ uᵢ·outputᵢ, with ``cotangents`` = [u₁, …] one per output (default [1] for one).

    Reverse mode does this in one backward sweep; the other methods build the Jacobian first.

    Returns:
        A ``Result`` whose ``.derivative`` is ``{variable: value}``.

    Examples:
        >>> vjp(["x*y", "x + y"], at={"x": 2.0, "y": 3.0}, cotangents=[1.0, 10.0]).derivative
        {'x': 13.0, 'y': 12.0}
    """
    options = check_options(method, options)
    request = Request(expr, at)
    m = len(request.graph.outputs)
    if cotangents is None and m == 1:
        cotangents = [1.0]
    if np.isscalar(cotangents) and m == 1:
        cotangents = [cotangents]
    if not isinstance(cotangents, Sequence) or isinstance(cotangents, str) or len(cotangents) != m:
        raise BindingError(f"give cotangents as a list with one value per output ({m})")
    weights = [as_float_array(u, f"cotangent {i}") for i, u in enumerate(cotangents)]
    _matching(request, {f"output {i}": u for i, u in enumerate(weights)}, "the cotangent")
    if method == "reverse":
        computed = _call(method, "vjp", request.graph, request.bound, weights, request.wrt, **options)
        products = {v: request.finish(d) for v, d in computed.derivative.items()}
    else:
        computed = _call(method, "jacobian", request.graph, request.bound, request.wrt, **options)
        products = {}
        for j, v in enumerate(request.wrt):
            pairs = [(row[j], u) for row, u in zip(computed.derivative, weights, strict=True) if row[j] is not None]
            if request.tensor:
                total = _contract(computed, pairs, tensor=True, cotangent=True)
                products[v] = request.finish_block(total, request.shape_of(v))
            else:
                products[v] = request.finish(_contract(computed, pairs))
    return request.result(method, "vjp", computed, request.keyed(products))


def _contract(computed: Computed, pairs: list, tensor: bool = False, cotangent: bool = False) -> object:
    """Σ jacobian entry × vector entry (None when there are no terms), charged to the method's cost.

    In a tensor graph an entry is a block (output shape + variable shape): a tangent contracts with its
    trailing axes, a cotangent with its leading ones."""
    total = None
    for entry, weight in pairs:
        if tensor:
            axes = np.ndim(weight)
            product = np.tensordot(weight, entry, axes=axes) if cotangent else np.tensordot(entry, weight, axes=axes)
            computed.cost.charge("mul", np.size(entry))
            computed.cost.charge("add", np.size(entry))
        else:
            product = entry * weight
            computed.cost.charge("mul", np.size(product))
        if total is None:
            total = product
        else:
            total = total + product
            computed.cost.charge("add", np.size(total))
    return total


def _checked_wrt(graph: Graph, wrt) -> tuple[str, ...]:
    """The variables to differentiate by: all of the graph's, or the ones named (each must be a variable)."""
    if wrt is None:
        return graph.variables
    names = _names(wrt)
    unknown = [v for v in names if v not in graph.variables]
    if unknown:
        raise BindingError(
            f"cannot differentiate with respect to {', '.join(map(str, unknown))}: not a variable of the "
            f"expression (its variables: {', '.join(graph.variables) or 'none'})"
        )
    return names


def _names(wrt) -> tuple[str, ...]:
    """``wrt`` as a tuple of variable names: one name or SymPy Symbol, or a list of them."""
    names = (wrt,) if isinstance(wrt, str | sp.Symbol) else wrt
    if isinstance(names, Sequence):
        names = tuple(variable_name(n) for n in names)
    if not isinstance(names, Sequence) or not all(isinstance(n, str) for n in names):
        raise BindingError(f"wrt= takes a variable name (or SymPy Symbol) or a list of them, got {wrt!r}")
    return names


def _matching(request: Request, values: dict, what: str) -> dict:
    """Tangents/cotangents must broadcast against the batch of points, so each product stays per point. In a
    tensor graph a tangent has its variable's shape (cotangents are checked against the outputs' shapes by
    the method, which computes them)."""
    if request.tensor:
        for name, value in values.items():
            if name in request.bound and value.shape != request.shape_of(name):
                raise BindingError(f"{what} for {name} has shape {value.shape}; the variable has shape "
                                   f"{request.shape_of(name)}")
        return values
    for name, value in values.items():
        try:
            shape = np.broadcast_shapes(value.shape, request.batch_shape)
        except ValueError:
            shape = None
        if shape != tuple(request.batch_shape):
            raise BindingError(
                f"{what} for {name} has shape {value.shape}, which does not fit the points' shape "
                f"{tuple(request.batch_shape)}"
            )
    return values


def _directions(request: Request, tangents, what: str) -> dict:
    if tangents is None:
        raise BindingError(f"give {what} as a dict {{variable: value}}")
    if not isinstance(tangents, Mapping):
        if len(request.wrt) == 1 and np.isscalar(tangents):
            tangents = {request.wrt[0]: tangents}
        else:
            raise BindingError(f"give {what} as a dict {{variable: value}}")
    tangents = by_name(tangents, what)
    unknown = [k for k in tangents if k not in request.graph.variables]
    if unknown:
        raise BindingError(f"{what} name unknown variable(s): {', '.join(map(str, unknown))}")
    return _matching(request, {k: as_float_array(v, k) for k, v in tangents.items()}, what)


def _stack(request: Request, rows: list[list], m: int, n: int) -> np.ndarray:
    out = np.zeros((m, n) + tuple(request.batch_shape))
    for i in range(m):
        for j in range(n):
            if rows[i][j] is not None:
                out[i, j] = np.broadcast_to(np.asarray(rows[i][j]), request.batch_shape)
    return out


@checked_keywords(options=method_options)
def gradient_graph(expr, wrt=None, with_value: bool = False) -> Graph:
    """Reverse mode's gradient written as a Graph (the original extended by its adjoint computation).

    Its outputs are ∂y/∂v for each variable; ``with_value=True`` keeps the original output y as a last output,
    so the graph holds the whole extended computation (what a picture of it should show). The result is a graph
    like any other: evaluate it, draw it, differentiate it again (gradients of gradients).

    Examples:
        >>> g = gradient_graph("log(x1) + x1*x2 - sin(x2)")
        >>> [g.expression(node) for node in g.outputs]
        ['x2 + 1/x1', '-cos(x2) + x1']
    """
    with_value = check.flag("with_value", with_value)
    graph = as_graph(expr)
    if not graph.is_scalar_output:
        raise MethodError("gradient_graph needs a single output")
    names = None if wrt is None else _names(wrt)
    if names is not None:
        unknown = [v for v in names if v not in graph.variables]
        if unknown:
            raise BindingError(f"not variables of the expression: {', '.join(unknown)}")
    if not (names if names is not None else graph.variables):
        raise BindingError("the expression has no variables to differentiate by")
    derived = reverse.gradient_graph(graph, names)
    if not with_value:
        return derived
    return Graph(derived.nx, derived.outputs + graph.outputs[:1], derived.output_names + graph.output_names[:1],
                 graph.variables, graph.data)


@checked_keywords(options=method_options)
def grad(expr, method: str = "reverse", wrt=None, argnums=None, **options) -> Callable:
    """Like ``jax.grad``. For an expression (text, SymPy, Graph): a function ``at -> {variable: derivative}``, the
    graph built once. For a Python function: ``dk.grad(f)(*args)`` is ∂f/∂args[argnums] (default 0) shaped like
    that argument, arrays being tensors — see ``diffkit.transforms.grad``.

    Examples:
        >>> df = grad("x**3 + y")
        >>> df({"x": 2.0, "y": 0.0}), df(x=1.0, y=5.0)
        ({'x': 12.0, 'y': 1.0}, {'x': 3.0, 'y': 1.0})
        >>> grad(lambda x, y: x**3 + y, argnums=(0, 1))(2.0, 0.0)
        (12.0, 1.0)
    """
    if _is_python_function(expr):
        return _function_transform("grad")(expr, argnums=_function_argnums(argnums, wrt, "grad"), method=method,
                                           **options)
    _no_argnums(argnums, "grad")
    graph = as_graph(expr)
    options = check_options(method, options)

    def gradient_at(at=None, **kwargs):
        return gradient(graph, _point(at, kwargs), method=method, wrt=wrt, **options).gradient

    return gradient_at


@checked_keywords(options=method_options)
def value_and_grad(expr, method: str = "reverse", wrt=None, errors: str = "warn", argnums=None,
                   **options) -> Callable:
    """Like ``jax.value_and_grad``: a function ``at -> (value, {variable: derivative})``, for loops that ask for
    gradients again and again (training). The graph, the variables, the method and its options are checked once;
    each call checks only its point. The last call's ``Cost`` is on the function: ``f.cost``.

    For a Python function: ``dk.value_and_grad(f)(*args)`` is ``(f(*args), dk.grad(f)(*args))``, JAX's way
    (``argnums=``, arrays being tensors) — see ``diffkit.transforms.value_and_grad``.

    Examples:
        >>> f = value_and_grad("x**2 * y")
        >>> f(x=3.0, y=2.0)
        (18.0, {'x': 12.0, 'y': 9.0})
        >>> value_and_grad(lambda x, y: x**2 * y)(3.0, 2.0)
        (18.0, 12.0)
    """
    if _is_python_function(expr):
        argnums = _function_argnums(argnums, wrt, "value_and_grad")
        return _function_transform("value_and_grad")(expr, argnums=argnums, method=method, errors=errors, **options)
    _no_argnums(argnums, "value_and_grad")
    graph = as_graph(expr)
    names = _checked_wrt(graph, wrt)
    if not graph.is_scalar_output:
        raise MethodError(f"gradient needs a single output; this expression has {len(graph.outputs)}: use jacobian")
    options = check_options(method, options)
    function = _verb(method, "jacobian", errors, options)

    def value_and_gradient_at(at=None, **kwargs):
        request = Request(graph, _point(at, kwargs), wrt, checked_wrt=names)
        computed = _watched(function, method, errors, graph, request.bound, names, **options)
        result = _gradient_result(request, method, computed)
        value_and_gradient_at.cost = result.cost
        return result.value, result.gradient

    value_and_gradient_at.cost = None
    return value_and_gradient_at


def _is_python_function(expr) -> bool:
    """A callable that ``as_graph`` would trace (not a Graph, text, SymPy expression or list of them)."""
    return callable(expr) and not isinstance(expr, Graph | str | sp.Basic | list | tuple | type)


def _function_argnums(argnums, wrt, verb: str):
    """A Python function's transform chooses its arguments by position, as JAX does."""
    if wrt is not None:
        raise BindingError(f"{verb} of a Python function chooses arguments by position: use argnums= (an int or a "
                           "tuple of ints) instead of wrt=")
    return 0 if argnums is None else argnums


def _no_argnums(argnums, verb: str) -> None:
    if argnums is not None:
        raise BindingError(f"argnums= is for {verb} of a Python function; an expression's variables are chosen "
                           "by name, with wrt=")


def _point(at, kwargs: dict):
    if at is not None and kwargs:
        raise BindingError("give the point either as a dict or as keyword arguments, not both")
    return kwargs if at is None else at
