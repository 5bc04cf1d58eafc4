"""Symbolic differentiation: SymPy differentiates the graph's expression, CSE shares repeated terms, and
``lambdify`` compiles the result to NumPy code.

This method is deliberately independent of the primitive table's derivative rules: SymPy knows its own
calculus, so agreement with forward and reverse mode is a real cross-check, not the same rule read twice.
Two conventions are aligned with the table: ``relu`` is diffkit's ``ReLU`` SymPy function (relu'(0) = 0), and
the Dirac deltas SymPy produces when differentiating sign or Heaviside are taken as 0 (the derivative almost
everywhere, which is what the other methods compute).

The cost reported is that of evaluating the compiled derivative (operations of the expression after CSE, times
the points evaluated); the time to differentiate and compile is reported separately in ``details``.
"""

from __future__ import annotations

import contextvars
import ctypes
import math
import sys
import threading
import time
from collections import Counter

import networkx as nx
import numpy as np
import sympy as sp

from .. import domain
from ..binding import points_of
from ..cost import Meter
from ..errors import DomainError, MethodError, SwellError
from ..evaluation import run_plan
from ..graph import Graph
from ..limits import check_memory, limits
from ..ops import FLOAT_MAX, SYMPY_CLASSES, SYMPY_NUMPY_MODULES, Opaque, float_number
from ..plan import CONST, VAR
from ..result import Computed, split_blocks, split_vector
from ..scalarize import check_size, scalarize
from ..views import node_sympy, sympy_number, sympy_symbol

# Budgets live in dk.limits: symbolic_size (tree nodes of the derivatives), symbolic_depth (graph levels: SymPy
# recurses per level, and its diff time grows faster than depth², ~10 s for a 300-level chain) and
# symbolic_seconds (wall clock). Past any of them: SwellError.

# SymPy recurses through expressions. Its work runs in a thread with a large stack and a raised recursion
# limit, so deep (but reasonable) expressions work instead of hitting Python's default limit of 1,000.
_STACK_BYTES = 512 * 1024 * 1024
_RECURSION_LIMIT = 60_000



def tree_size(expr: sp.Basic) -> int:
    """Nodes of the expression written out as a tree (repeated subtrees counted each time), without recursion."""
    sizes: dict[sp.Basic, int] = {}
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if node in sizes:
            continue
        if ready or not node.args:
            sizes[node] = 1 + sum(sizes[a] for a in node.args)
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in sizes)
    return sizes[expr]


# Written-out sizes past this are not counted further (they only need to be reported as past the budget); the
# cap keeps the sums small integers where a chain of shared nodes doubles them at every level.
_SIZE_CAP = 10**18


def written_out_size(graph: Graph) -> int:
    """Nodes of the graph's outputs written out as trees (SymPy's form), in one pass over the graph.

    A node's size is one plus its arguments' sizes, so a node reached along k paths counts k times: sixty
    steps of the logistic map x = r·x·(1-x), a few hundred graph nodes, write out to ~10^18 tree nodes. A part
    that depends on no variable counts as one node (SymPy folds constants). Capped at ``_SIZE_CAP``. Worked out
    once per graph: every symbolic request asks.
    """
    return graph.plan.memo(("written out size", graph.outputs), lambda: _written_out_size(graph))


def _written_out_size(graph: Graph) -> int:
    sizes: dict[str, int] = {}
    varying: set[str] = set()
    for node in graph.plan.nodes:  # in topological order
        data = graph.nx.nodes[node]
        if data["op"] == VAR:
            varying.add(node)
        args = data.get("args", ()) if data["op"] not in (VAR, CONST) else ()
        if any(a in varying for a in args):
            varying.add(node)
            sizes[node] = min(_SIZE_CAP, 1 + sum(sizes[a] for a in args))
        else:
            sizes[node] = 1
    return min(_SIZE_CAP, sum(sizes[o] for o in graph.outputs))


def _check_written_out(graph: Graph, max_size: int, meter: Meter) -> None:
    """Refuse, in one pass over the graph, an expression whose written-out tree is past the size budget.

    SymPy would spend tens of seconds differentiating such a graph before its derivative's size could be
    measured (the derivative holds the expression's shared parts written out too).
    """
    size = written_out_size(graph)
    if size > max_size:
        meter.details["expression tree size"] = size  # the cut-off row's figure
        shown = f"more than {_SIZE_CAP:.0e}" if size >= _SIZE_CAP else f"{size:,}"
        nodes = len(graph.plan.nodes)
        shared = f" (its graph has {nodes:,}: a tree repeats shared subexpressions)" if size > nodes else ""
        error = SwellError(
            f"written out as a tree (as SymPy holds it), the expression has {shown} nodes{shared}, past the "
            f"symbolic size budget of {max_size:,} (dk.limits.symbolic_size, or pass max_size=); use "
            "method='reverse' or 'forward', which work on the graph",
            size=size, limit=max_size,
        )
        error.cost = meter.finish()
        raise error


def dag_size(exprs) -> int:
    """Distinct nodes over all expressions (each shared subtree counted once)."""
    seen: set = set()
    stack = list(exprs)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(node.args)
    return len(seen)


def operations(exprs) -> Counter:
    """The primitive operations that evaluating these (CSE-reduced) expressions performs, each node once.

    SymPy writes x/y as x·y⁻¹: a reciprocal factor inside a product is priced as one division, not as a
    power and a multiplication.
    """
    nodes: set = set()
    stack = list(exprs)
    while stack:
        node = stack.pop()
        if node not in nodes and node.args:
            nodes.add(node)
            stack.extend(node.args)
    reciprocal = [n for n in nodes if n.is_Pow and n.exp == -1]
    inside_products = {f for n in nodes if n.is_Mul for f in n.args if f.is_Pow and f.exp == -1}
    counts: Counter = Counter()
    counts["div"] += sum(1 for r in reciprocal if r not in inside_products)
    for node in nodes:
        name = type(node).__name__
        if node.is_Add:
            counts["add"] += len(node.args) - 1
        elif node.is_Mul:
            factors = list(node.args)
            if factors[0] == -1:
                counts["neg"] += 1
                factors = factors[1:]
            divisions = sum(1 for f in factors if f in inside_products)
            counts["div"] += divisions
            counts["mul"] += max(0, len(factors) - 1 - divisions)
        elif node.is_Pow:
            if node.exp == sp.Rational(1, 2):
                counts["sqrt"] += 1
            elif node.exp != -1:
                counts["pow"] += 1
        elif type(node) in SYMPY_CLASSES:
            # Max/Min of k arguments is k - 1 pairwise comparisons; every other function is one application
            counts[SYMPY_CLASSES[type(node)]] += max(1, len(node.args) - 1) if name in ("Max", "Min") else 1
    return +counts


def _drop_deltas(expr: sp.Expr) -> sp.Expr:
    return expr.replace(sp.DiracDelta, lambda *args: sp.S.Zero) if expr.has(sp.DiracDelta) else expr


def _symbols(graph: Graph) -> dict[str, sp.Symbol]:
    # declared variables (even unused ones) and data variables (bound, not differentiated) alike
    names = dict.fromkeys([*graph.variables, *graph.plan.variables])
    return {name: sympy_symbol(name) for name in names}


class _OutOfTime(Exception):
    """Raised inside the SymPy worker thread when its time budget is spent."""


def _deep(work, seconds: float):
    """Run SymPy work with room to recurse and a wall-clock budget.

    SymPy cannot be interrupted politely, so when the budget is spent the worker thread is sent an exception
    (CPython's PyThreadState_SetAsyncExc), which stops it at its next bytecode; the caller gets a SwellError.
    The exception is sent again until the worker says it stopped: one that lands in a context Python ignores
    exceptions in (a garbage-collector callback, a ``__del__``) is swallowed, and SymPy would run on to the end.
    """
    outcome: dict = {}
    finished = threading.Event()  # set by the worker itself: after an interrupted join, is_alive() can be wrong
    # the worker runs in the caller's context, so that numbers SymPy's side computes in floats (a power past
    # ops.MAX_EXACT_BITS) are reported to the caller's domain watch
    context = contextvars.copy_context()

    def target():
        try:
            try:
                outcome["value"] = context.run(work)
            except RecursionError:
                outcome["error"] = SwellError("the expression is nested too deeply for SymPy")
            except _OutOfTime:
                outcome["stopped"] = True
            except BaseException as exc:  # handed to the calling thread unchanged
                outcome["error"] = exc
        except _OutOfTime:  # a repeated stop arriving while the first one was being handled
            outcome["stopped"] = True
        finally:
            finished.set()

    previous_stack = threading.stack_size(_STACK_BYTES)
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous_limit, _RECURSION_LIMIT))
    try:
        worker = threading.Thread(target=target, name="diffkit-sympy", daemon=True)
        worker.start()
        try:
            worker.join(seconds)
        except KeyboardInterrupt:  # Ctrl-C: stop SymPy too, rather than leave it computing in the background
            _stop(worker, finished)
            raise
        if not finished.is_set():
            _stop(worker, finished)
            raise SwellError(
                f"time guard fired: symbolic differentiation took longer than its budget of {seconds:g} s, a "
                "last-resort wall-clock guard (dk.limits.symbolic_seconds, or seconds=), before reaching its size "
                "budget (dk.limits.symbolic_size); use method='reverse', or lower symbolic_size to stop sooner",
                time_guard=True,
            )
    finally:
        threading.stack_size(previous_stack)
        sys.setrecursionlimit(previous_limit)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _stop(worker: threading.Thread, finished: threading.Event) -> None:
    """Stop the SymPy worker: send it ``_OutOfTime`` until it has finished (stopped or done)."""
    hook, thread_hook = sys.unraisablehook, threading.excepthook
    # A stop swallowed where Python ignores exceptions would be printed as "Exception ignored in ...",
    # and one landing just after the work returned as a thread's traceback: it is sent again anyway, or
    # no longer needed, so keep it off the user's terminal (anything else still goes to the hooks).
    sys.unraisablehook = lambda u: None if u.exc_type is _OutOfTime else hook(u)
    threading.excepthook = lambda e: None if e.exc_type is _OutOfTime else thread_hook(e)
    try:
        while not finished.is_set():
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(_OutOfTime))
            finished.wait(0.25)
    finally:
        sys.unraisablehook, threading.excepthook = hook, thread_hook


def _check_depth(graph: Graph) -> None:
    depth = nx.dag_longest_path_length(graph.nx)
    if depth > limits.symbolic_depth:
        raise SwellError(
            f"the expression is {depth:,} levels deep, past the symbolic method's limit of "
            f"{limits.symbolic_depth:,} (dk.limits.symbolic_depth; SymPy recurses per level); "
            "use method='reverse' or 'forward'", size=depth, limit=limits.symbolic_depth,
        )


def _differentiate(meter: Meter, make):
    """Run SymPy's differentiation, timing it."""
    started = time.perf_counter()
    result = make()
    meter.details["differentiate seconds"] = round(time.perf_counter() - started, 6)
    return result


def _compile(meter: Meter, symbols: dict, values: list, derivs: list, max_size: int):
    """CSE + lambdify the value and derivative expressions; records sizes. Runs in the SymPy worker."""
    size = sum(tree_size(d) for d in derivs)
    meter.details["derivative tree size"] = size
    if size > max_size:
        raise SwellError(
            f"symbolic derivative has {size:,} tree nodes, past the budget of {max_size:,} "
            "(raise dk.limits.symbolic_size, or pass max_size=); use method='reverse'", size=size, limit=max_size,
        )
    started = time.perf_counter()
    # SymPy folds 1/0 to complex infinity (zoo), which has no NumPy spelling; on the real line it is nan.
    exprs = [_float_sized(e).xreplace({sp.zoo: sp.nan}) for e in values + derivs]
    # the Opaque constants (inf, nan, a zero divisor) are arguments: NumPy computes with them, and reports it
    opaque = sorted(set().union(*(e.atoms(Opaque) for e in exprs)), key=lambda c: c.dummy_index)
    replacements, reduced = sp.cse(exprs)
    reduced_exprs = [r for _, r in replacements] + reduced
    # The same expressions as the tree size (the derivatives), each distinct subexpression once: what CSE shares.
    meter.details["after CSE (DAG size)"] = dag_size(derivs)
    meter.details["CSE temporaries"] = len(replacements)
    try:
        function = sp.lambdify(
            [*symbols.values(), *opaque], reduced, modules=SYMPY_NUMPY_MODULES, dummify=True,
            cse=lambda exprs: (replacements, reduced),
        )
    except Exception as exc:  # SymPy's printers raise many types; the user needs one clear message
        raise MethodError(f"SymPy could not compile the derivative to NumPy code: {exc}") from None
    meter.details["compile seconds"] = round(time.perf_counter() - started, 6)
    return function, reduced_exprs, len(values), [np.float64(c.value) for c in opaque]


def _float_sized(expr: sp.Expr) -> sp.Expr:
    """The expression with its numbers past a float's range as Opaque ±inf, each reported as an overflow.

    The graph's own numbers are kept within range as they are built (``ops.sympy_apply``), but SymPy's calculus
    makes new ones: the coefficient 10**600 of d²/dx² x**(10**300), the Float 3.0**10**6 of a distributed
    power. NumPy code cannot hold them (an exact integer raises OverflowError, a Float reads as inf silently).
    """
    huge = {}
    for number in expr.atoms(sp.Float, sp.Rational):
        if number.is_finite and abs(number) > FLOAT_MAX:
            huge[number] = float_number(math.inf if number > 0 else -math.inf)
            domain.flag(f"SymPy's constant {sp.Float(number, 3)}", "overflow")
    return expr.xreplace(huge) if huge else expr



def _run(meter: Meter, compiled, symbols: dict, bound: dict):
    """Evaluate the compiled expressions at the points (in the caller's thread, where the domain watch is)."""
    function, reduced_exprs, n_values, constants = compiled
    points = points_of(bound)
    check_memory(
        "the compiled symbolic derivative", 8.0 * len(reduced_exprs) * points, "differentiate fewer points at once"
    )
    meter.ops(operations(reduced_exprs), points)
    meter.evaluations += 1
    meter.hold(len(reduced_exprs) * points * 8)  # one float64 array per temporary and result
    domain.at("the compiled SymPy expression")
    try:
        results = [_real(r) for r in function(*[bound[name] for name in symbols], *constants)]
    except OverflowError:  # a last resort: _float_sized replaces every number past a float it can see
        raise DomainError(
            "symbolic method: SymPy computes with exact numbers, and the compiled derivative holds one too large "
            "for a float (past 1.8e308); the float methods (numeric, forward, reverse) overflow to inf there "
            "instead: use one of them, or rescale the expression"
        ) from None
    return results[:n_values], results[n_values:]


def _real(result) -> np.ndarray:
    """A compiled result on the real line: floats, with nan where SymPy's arithmetic went complex.

    SymPy evaluates log(-1) to iπ and (-8)**(1/3) to a complex root; diffkit's functions are real, so such
    points are outside the domain (nan), as every other method reports them.
    """
    array = np.asarray(result)
    if np.iscomplexobj(array):
        array = np.where(array.imag == 0, array.real, np.nan)
    return array.astype(np.float64)


def _symbolic(graph: Graph, bound: dict, differentiate, max_size, seconds, extra: dict | None = None):
    """The common path: check depth, differentiate and compile under the budgets, evaluate at the points.

    ``extra``: more symbols the derivatives may use, {key: (symbol, value)} (a direction's components): compiled
    as arguments like the variables, so their values may be batches too."""
    _check_depth(graph)
    meter = Meter("symbolic")
    symbols = _symbols(graph)
    if extra:
        symbols = {**symbols, **{key: symbol for key, (symbol, _) in extra.items()}}
        bound = {**bound, **{key: value for key, (_, value) in extra.items()}}
    max_size = limits.symbolic_size if max_size is None else max_size
    seconds = limits.symbolic_seconds if seconds is None else seconds
    _check_written_out(graph, max_size, meter)

    cancelled: list[str] = []

    def work():
        nodes = node_sympy(graph)
        exprs = [nodes[o] for o in graph.outputs]
        cancelled.extend(_cancelled(graph, nodes, exprs))
        derivs = _differentiate(meter, lambda: differentiate(exprs, symbols))
        return _compile(meter, symbols, exprs, derivs, max_size)

    values, derivs = _run(meter, _measured(meter, work, seconds), symbols, bound)
    undefined = None
    if cancelled:
        values, undefined = _undefined_where_graph_is(graph, bound, values, cancelled, meter)
    return values, derivs, meter, undefined


def _nan_where(derivative, mask):
    return derivative if mask is None or not np.any(mask) else np.where(mask, np.nan, derivative)


# Primitives that cannot turn finite arguments into nan or ±inf other than by overflow, which SymPy's form
# overflows alike; SymPy also flattens them ((x + y) + z is one Add), so their nodes have no expression of their own.
_TOTAL = frozenset({"add", "sub", "mul", "neg"})


def _cancelled(graph: Graph, nodes: dict, outputs: list) -> list[str]:
    """The primitives SymPy's automatic simplification removed from the outputs (x/x is 1, log(x) - log(x) is 0).

    Where the graph is undefined at a point (x/x at 0), the float methods give nan and a DomainWarning; SymPy's
    simplified form would give a finite number silently. A node is cancelled when the expression that carries its
    domain (1/b for a division, the node's own expression otherwise) is no subexpression of the outputs.
    """
    present = {e for output in outputs for e in sp.preorder_traversal(output)}
    cancelled = []
    for node in graph.plan.nodes:
        data = graph.nx.nodes[node]
        if data["op"] in (VAR, CONST) or data["op"] in _TOTAL:
            continue
        args = [nodes[a] for a in data["args"]]
        if all(isinstance(a, sp.Number) for a in args):
            continue  # folded to a number, with NumPy's value and report (ops.sympy_apply)
        witness = sp.Pow(args[1], -1) if data["op"] == "div" else nodes[node]
        if not witness.free_symbols:
            continue  # a constant (1/sqrt(2·pi)): SymPy's value is exact, and zoo becomes nan when compiled
        # SymPy moves signs and numeric factors out of a function (tanh(-a) is -tanh(a)): look for what is left
        witness = witness.as_coeff_Mul()[1]
        if witness not in present:
            cancelled.append(data["op"])
    return list(dict.fromkeys(cancelled))


def _undefined_where_graph_is(graph: Graph, bound: dict, values: list, cancelled: list[str], meter: Meter):
    """The outputs with nan where the graph itself is undefined but SymPy's simplified form is finite, and
    ``undefined(i, variables)``: the points where output i's derivative in those variables is undefined.

    The graph is evaluated once at the points (metered: it is part of this method's work when SymPy has cancelled
    something) under the domain watch, which names the primitive that left its domain, as the other methods do.
    A derivative is undefined where the output is and each variable it is taken in reaches a node that left its
    domain (in x/x + y at x = 0 the derivative in x is nan, the one in y is 1, as reverse mode finds).
    """
    plan = graph.plan
    meter.evaluations += 1

    def count(step, out, args):
        meter.op(step.primitive, step.primitive.work_of(out, args, step.params))

    computed = run_plan(plan, bound, on_step=count)
    meter.details["graph evaluated"] = (f"SymPy cancelled {', '.join(cancelled)}: the graph is evaluated to find "
                                        "where it is undefined")
    left = {}  # variable -> points where a node it reaches left its domain (finite arguments, non-finite value)
    for step in plan.steps:
        out = np.asarray(computed[step.out], dtype=np.float64)
        origin = ~np.isfinite(out)
        for a in step.args:  # a node whose arguments are finite and value is not: where the trouble starts
            origin = origin & np.isfinite(np.asarray(computed[a], dtype=np.float64))
        if np.any(origin):
            node = plan.nodes[step.out]
            for variable in nx.ancestors(graph.nx, node) & set(plan.variables):
                left[variable] = left.get(variable, False) | origin
    masks = []
    values = list(values)
    for i, slot in enumerate(plan.outputs):
        mask = ~np.isfinite(np.asarray(computed[slot], dtype=np.float64)) & np.isfinite(values[i])
        values[i] = np.where(mask, computed[slot], values[i]) if np.any(mask) else values[i]
        masks.append(mask)

    def undefined(i: int, variables) -> np.ndarray:
        reached = masks[i]
        for v in variables:  # a mixed second derivative is undefined when both variables reach the trouble
            reached = reached & left.get(v, False)
        return reached

    return values, undefined


def _measured(meter: Meter, work, seconds: float):
    """``_deep(work)``; a SwellError carries the cost measured up to the cut-off (sizes, differentiation time)."""
    try:
        return _deep(work, seconds)
    except SwellError as exc:
        exc.cost = meter.finish()
        raise


def _tensor_symbolic(graph: Graph, bound: dict, wrt: tuple[str, ...], differentiate, max_size, seconds):
    """A tensor graph: written out entry by entry (``scalarize``), then the common path over those scalars.

    Returns the outputs (arrays), the derivatives (flat, as ``differentiate`` lists them), the meter and the
    symbols (entry labels), in ``wrt`` order.
    """
    _check_depth(graph)
    check_size(graph, bound, wrt)
    meter = Meter("symbolic")
    max_size = limits.symbolic_size if max_size is None else max_size
    seconds = limits.symbolic_seconds if seconds is None else seconds
    layout: dict = {}

    def work():
        outputs, symbols, point = scalarize(graph, bound, wrt)
        layout.update(outputs=[o.shape for o in outputs], symbols=symbols, point=point)
        exprs = [e for o in outputs for e in o.flat]
        derivs = _differentiate(meter, lambda: differentiate(exprs, list(symbols.values())))
        return _compile(meter, symbols, exprs, derivs, max_size)

    compiled = _measured(meter, work, seconds)
    values, derivs = _run(meter, compiled, layout["symbols"], layout["point"])
    meter.details["scalar variables"] = len(layout["symbols"])
    return split_vector(values, layout["outputs"]), derivs, meter


def _tensor_jacobian(graph: Graph, bound: dict, wrt: tuple[str, ...], max_size, seconds) -> Computed:
    """Jacobian blocks (output shape + variable shape) of a tensor graph, entry by entry."""
    outputs, flat, meter = _tensor_symbolic(
        graph, bound, wrt, lambda exprs, s: [_drop_deltas(sp.diff(e, x)) for e in exprs for x in s], max_size, seconds
    )
    n = sum(bound[name].size for name in wrt)
    rows, start = [], 0
    for out in outputs:
        per_entry = np.array(flat[start * n:(start + out.size) * n], dtype=np.float64).reshape(out.size, n)
        start += out.size
        row, offset = [], 0
        for name in wrt:
            size = bound[name].size
            row.append(per_entry[:, offset:offset + size].reshape(out.shape + bound[name].shape))
            offset += size
        rows.append(row)
    return Computed(outputs, rows, meter.finish())


def jacobian(graph: Graph, bound: dict, wrt: tuple[str, ...], max_size: int | None = None,
             seconds: float | None = None) -> Computed:
    """All ∂outputᵢ/∂variableⱼ, differentiated by SymPy and evaluated by the compiled expression."""
    if graph.is_tensor:
        return _tensor_jacobian(graph, bound, wrt, max_size, seconds)
    values, flat, meter, undefined = _symbolic(
        graph, bound, lambda exprs, s: [_drop_deltas(sp.diff(e, s[v])) for e in exprs for v in wrt], max_size, seconds
    )
    n = len(wrt)
    rows = [[_nan_where(flat[i * n + j], undefined and undefined(i, [v])) for j, v in enumerate(wrt)]
            for i in range(len(values))]
    return Computed(values, rows, meter.finish())


def hessian(graph: Graph, bound: dict, wrt: tuple[str, ...], max_size: int | None = None,
            seconds: float | None = None) -> Computed:
    """All ∂²f/∂vᵢ∂vⱼ (i ≤ j differentiated, the rest by symmetry)."""
    if graph.is_tensor:
        return _tensor_hessian(graph, bound, wrt, max_size, seconds)
    n = len(wrt)
    pairs = [(i, j) for i in range(n) for j in range(i, n)]

    def second_derivatives(exprs, s):
        first = [sp.diff(exprs[0], s[v]) for v in wrt]
        return [_drop_deltas(sp.diff(first[i], s[wrt[j]])) for i, j in pairs]

    values, flat, meter, undefined = _symbolic(graph, bound, second_derivatives, max_size, seconds)
    rows: list[list] = [[None] * n for _ in range(n)]
    for (i, j), d in zip(pairs, flat, strict=True):
        rows[i][j] = rows[j][i] = _nan_where(d, undefined and undefined(0, [wrt[i], wrt[j]]))
    return Computed(values, rows, meter.finish())


def _tensor_hessian(graph: Graph, bound: dict, wrt: tuple[str, ...], max_size, seconds) -> Computed:
    """Hessian blocks (shape of variable i + shape of variable j) of a tensor graph's scalar output."""
    def second_derivatives(exprs, s):
        first = [sp.diff(exprs[0], x) for x in s]
        return [_drop_deltas(sp.diff(first[i], s[j])) for i in range(len(s)) for j in range(i, len(s))]

    outputs, flat, meter = _tensor_symbolic(graph, bound, wrt, second_derivatives, max_size, seconds)
    n = sum(bound[name].size for name in wrt)
    matrix = np.zeros((n, n))
    matrix[np.triu_indices(n)] = np.asarray(flat, dtype=np.float64)
    matrix = matrix + np.triu(matrix, 1).T
    return Computed(outputs[:1], split_blocks(matrix, [bound[name].shape for name in wrt]), meter.finish())


def hvp(graph: Graph, bound: dict, wrt: tuple[str, ...], vector: dict, max_size: int | None = None,
        seconds: float | None = None) -> Computed:
    """H·v as the directional derivative of the symbolic gradient: ∂/∂xᵢ (Σⱼ ∂f/∂xⱼ·vⱼ), one derivative of one
    expression per variable, with v's components as symbols (so a batch of directions compiles once)."""
    if graph.is_tensor:
        return _tensor_hvp(graph, bound, wrt, vector, max_size, seconds)
    extra = {("direction", name): (sp.Dummy(f"v_{name}", real=True), value) for name, value in vector.items()}

    def directional(exprs, s):
        along = sp.Add(*[sp.diff(exprs[0], s[name]) * s[("direction", name)] for name in vector])
        return [_drop_deltas(sp.diff(along, s[name])) for name in wrt]

    values, flat, meter, undefined = _symbolic(graph, bound, directional, max_size, seconds, extra)
    return Computed(values, [_nan_where(d, undefined and undefined(0, [name, *vector]))
                             for name, d in zip(wrt, flat, strict=True)], meter.finish())


def _tensor_hvp(graph: Graph, bound: dict, wrt: tuple[str, ...], vector: dict, max_size, seconds) -> Computed:
    """H·v of a tensor graph's scalar output: its gradient written out entry by entry, dotted with v's entries
    (numbers: a tensor graph is evaluated at one point) and differentiated by every entry of ``wrt``."""
    direction = [sympy_number(float(e)) for name in wrt
                 for e in np.broadcast_to(vector.get(name, 0.0), bound[name].shape).flat]

    def directional(exprs, s):
        along = sp.Add(*[sp.diff(exprs[0], x) * d for x, d in zip(s, direction, strict=True) if d != 0])
        return [_drop_deltas(sp.diff(along, x)) for x in s]

    outputs, flat, meter = _tensor_symbolic(graph, bound, wrt, directional, max_size, seconds)
    return Computed(outputs[:1], split_vector(flat, [bound[name].shape for name in wrt]), meter.finish())


def derivative(graph: Graph, bound: dict, wrt: str, order: int, max_size: int | None = None,
               seconds: float | None = None) -> Computed:
    """dᵏf/dxᵏ by SymPy."""
    values, (result,), meter, undefined = _symbolic(
        graph, bound, lambda exprs, s: [_drop_deltas(sp.diff(exprs[0], s[wrt], order))], max_size, seconds
    )
    return Computed(values, _nan_where(result, undefined and undefined(0, [wrt])), meter.finish())
