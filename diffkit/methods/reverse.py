"""Reverse mode (backpropagation): a forward sweep that records every value, then one backward sweep.

The backward sweep visits the steps in reverse topological order; each node holds its adjoint
v̄ = Σ over the nodes j that use it of v̄ⱼ · ∂vⱼ/∂v (the sum over all paths to the output), and sends
v̄ · ∂v/∂argᵢ to each argument — message passing with only local derivatives. Adjoints start fresh on every
call, so calling twice gives the same answer.

Both sweeps here run the one backward walker (``diffkit.backward``) with an algebra of their own: on NumPy
arrays, metered (operations, memory) the first time a request is seen; on graph handles (``gradient_graph``),
where the sweep *writes* its gradient as a new graph — the computation graph extended with the adjoint
computation, built from the same partial rules: evaluate it, draw it, or differentiate it again.
"""

from __future__ import annotations

import math

import numpy as np

from .. import estimate, waves
from ..backward import Adjoints
from ..backward import backward as walk_backward
from ..builder import GraphBuilder
from ..cost import Meter, counted_once, record_partial, remember
from ..dual import _METER, DUAL, Dual, forward_step, nbytes
from ..errors import MethodError
from ..evaluation import constant_value, run_plan
from ..graph import Graph
from ..limits import check_memory
from ..ops import NUMPY
from ..plan import Plan
from ..result import Computed
from ..trace import Expr, functions


def record(plan: Plan, bound: dict, meter: Meter) -> list:
    """The forward sweep: every slot's value, kept as the tape for the backward sweep."""
    meter.forward_sweeps += 1
    if meter.counting:  # (a silent meter: this request ran before on these shapes, and passed this check)
        # The tape keeps every value, and the adjoints can at worst be as many again.
        check_memory("reverse mode's tape", estimate.reverse_memory(plan, bound), "differentiate fewer points at once")

    def keep(step, out, args):
        meter.op(step.primitive, step.primitive.work_of(out, args, step.params))
        meter.hold(np.asarray(out).nbytes)

    # A silent meter means this plan already ran on these shapes: they passed the shape checks then.
    return run_plan(plan, bound, on_step=keep if meter.counting else None, check=meter.counting)


def backward(plan: Plan, values: list, seeds: dict[int, object], wrt: tuple[str, ...], meter: Meter,
             every_node: bool = False) -> list:
    """One backward sweep from the given output adjoints; returns each ``wrt`` variable's adjoint (None = 0).

    ``every_node=True`` keeps every node's adjoint and returns them all, by slot (for pictures of the sweep)."""
    meter.backward_sweeps += 1
    # On dual numbers (forward-over-reverse) the rules run in dual arithmetic, which meters itself.
    dual = any(isinstance(v, Dual) for v in values) or any(isinstance(v, Dual) for v in seeds.values())
    rules = DUAL if dual else NUMPY
    # A silent meter: this request's work is already known, so the sweep runs on plain arithmetic.
    algebra = _MeteredAdjoints(plan.tensor, rules, meter) if meter.counting else Adjoints(plan.tensor, rules)
    return walk_backward(plan, values, seeds, wrt, algebra, keep_all=every_node)


class _MeteredAdjoints(Adjoints):
    """NumPy (or dual) adjoints that report their work to a meter: each partial rule evaluated, each
    multiplication, negation and accumulation, and the adjoint arrays held (each counted once)."""

    def __init__(self, tensor: bool, rules, meter: Meter):
        super().__init__(tensor, rules)
        self.meter = meter
        self.dual = rules is DUAL
        self.held = _Held(meter)

    def tensor_rules(self):
        return DUAL if self.dual else self.meter.numpy  # tensor rules' matmuls and sums counted with their shapes

    def formed(self, primitive, i: int, out) -> None:
        if not self.dual:  # dual arithmetic meters itself
            record_partial(self.meter, primitive, i, np.size(out))

    def negate(self, g):
        self.meter.op("neg", np.size(g))
        return -g

    def multiply(self, g, partial):
        contribution = g * partial
        self.meter.op("mul", np.size(contribution))
        return contribution

    def accumulate(self, previous, contribution):
        total = previous + contribution
        self.meter.op("add", np.size(total))
        return total

    def kept(self, adjoint) -> None:
        self.held.take(adjoint)

    def spent(self, adjoint) -> None:
        self.held.drop(adjoint)


class _EmittedAdjoints(Adjoints):
    """Adjoints as graph handles: the sweep writes the gradient's computation into a graph builder (which drops
    multiplications by ±1 and zeros itself). Shapes are unknown while emitting, so a tensor graph's
    contributions are always summed back to their argument's shape (free when they already fit)."""

    def __init__(self, tensor: bool):
        super().__init__(tensor, functions)

    def negate(self, g):
        return g * -1  # as the builder writes it (a neg node)

    def summed_back(self, contribution, arg):
        return functions.sum_like(contribution, arg) if self.tensor else contribution


class _Held:
    """The adjoint arrays a backward sweep holds, each counted once: an adjoint passed on unchanged (a partial
    of 1) is the very array of its source, however many nodes refer to it, and is freed with the last of them."""

    def __init__(self, meter: Meter):
        self.meter = meter
        self.references: dict[int, list] = {}  # id -> [the array (kept alive so its id stays its own), count]

    def take(self, array) -> None:
        entry = self.references.get(id(array))
        if entry is not None:
            entry[1] += 1
            return
        self.references[id(array)] = [array, 1]
        self.meter.hold(nbytes(array))  # a dual number's value and tangent (forward-over-reverse) both count

    def drop(self, array) -> None:
        entry = self.references.get(id(array))
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del self.references[id(array)]
            self.meter.hold(-nbytes(array))


def node_adjoints(graph: Graph, bound: dict, output: int = 0) -> tuple[list, list]:
    """Every node's value and adjoint ∂output/∂node (None where the output does not depend on it), by slot of
    ``graph.plan``: what a picture of the backward sweep shows."""
    plan = graph.plan
    meter = Meter("reverse")
    values = record(plan, bound, meter)
    slot = plan.outputs[output]
    seed = np.ones(np.shape(values[slot])) if np.ndim(values[slot]) else np.float64(1.0)
    adjoints = backward(plan, values, {slot: seed}, tuple(graph.variables), meter, every_node=True)
    return values, adjoints


def jacobian(graph: Graph, bound: dict, wrt: tuple[str, ...]) -> Computed:
    """All ∂outputᵢ/∂variableⱼ: one recorded forward sweep, then one backward sweep per output (per output
    entry in a tensor graph, whose Jacobian blocks are shaped output shape + variable shape)."""
    plan = graph.plan
    # A repeated request on the same shapes (a training step, an optimizer's iterations) reuses the count of
    # its work: the count depends on the graph, the shapes and wrt only.
    key = (tuple(bound), tuple(value.shape for value in bound.values()), wrt)
    meter = counted_once(plan, "reverse", key)
    if not meter.counting and all(np.ndim(v) == 0 for v in bound.values()) and waves.applies(plan):
        # Seen before, so its cost is known: many scalar nodes at one point run as waves (same figures).
        return _jacobian_by_waves(plan, bound, wrt, meter, key)
    if meter.counting:  # (a silent meter: this request ran before on these shapes, and passed this check)
        _check_jacobian(plan, bound, wrt)
    values = record(plan, bound, meter)
    if plan.tensor:
        rows = [_blocks(plan, values, slot, wrt, meter) for slot in plan.outputs]
    else:
        rows = [backward(plan, values, {slot: np.float64(1.0)}, wrt, meter) for slot in plan.outputs]
    meter.details["tape values"] = plan.size
    return Computed([values[s] for s in plan.outputs], rows, remember(plan, "reverse", key, meter))


def _check_jacobian(plan: Plan, bound: dict, wrt: tuple[str, ...]) -> None:
    """Refuse a Jacobian whose backward sweeps (one per output) would take too long; forward mode's sweeps
    (one per variable) may be fewer."""
    m = len(plan.outputs)
    work = estimate.reverse_jacobian_work(plan, bound, wrt)
    cheaper = estimate.forward_alternative(plan, bound, wrt) if len(wrt) < m else None
    estimate.check(f"reverse mode's {m} backward sweep{'s' if m != 1 else ''} over {plan.size:,} nodes", work,
                   cheaper, "differentiate fewer outputs or at fewer points")


def _jacobian_by_waves(plan: Plan, bound: dict, wrt: tuple[str, ...], meter: Meter, key: tuple) -> Computed:
    """The Jacobian of a graph of scalar nodes at one point: one forward and one backward sweep per output, each
    a few NumPy calls over waves of steps (``diffkit.waves``)."""
    tables = plan.memo(("waves",), lambda: waves.compile_waves(plan))
    program = plan.memo(("backward waves", wrt), lambda: waves.backward_waves(tables, plan.active(wrt)))
    active = plan.active(wrt)
    slots = [plan.variables.get(name) for name in wrt]
    live = [slot is not None and active[slot] for slot in slots]
    values = waves.run_forward(tables, np.array([bound[name] for name in plan.variables], dtype=np.float64))
    rows = []
    for out in plan.outputs:
        adjoints = waves.run_backward(tables, program, values, out)
        rows.append([adjoints[slot] if alive else None for slot, alive in zip(slots, live, strict=True)])
    return Computed([values[s] for s in plan.outputs], rows, remember(plan, "reverse", key, meter))


def _blocks(plan: Plan, values: list, slot: int, wrt: tuple[str, ...], meter: Meter) -> list:
    """Jacobian blocks of one (tensor) output: a backward sweep per output entry, seeded with a one-hot
    cotangent; a scalar output (a loss) needs exactly one sweep."""
    shape = np.shape(values[slot])
    size = math.prod(shape)
    if size == 1:  # a loss: one sweep, and each adjoint of the variable's shape is already its block
        adjoints = backward(plan, values, {slot: np.ones(shape) if shape else np.float64(1.0)}, wrt, meter)
        blocks = []
        for adjoint, name in zip(adjoints, wrt, strict=True):
            var_shape = np.shape(values[plan.variables[name]])
            if adjoint is not None and np.shape(adjoint) != var_shape:
                adjoint = np.broadcast_to(adjoint, var_shape)
            if adjoint is not None and shape:  # an output of shape (1, 1): the block has those axes first
                adjoint = np.reshape(adjoint, shape + var_shape)
            blocks.append(adjoint)
        return blocks
    rows = []
    for k in range(size):
        seed = np.zeros(shape)
        seed.flat[k] = 1.0
        rows.append(backward(plan, values, {slot: seed}, wrt, meter))
    blocks = []
    for j, name in enumerate(wrt):
        if all(r[j] is None for r in rows):
            blocks.append(None)
            continue
        var_shape = np.shape(values[plan.variables[name]])
        entries = [np.zeros(var_shape) if r[j] is None else np.broadcast_to(r[j], var_shape) for r in rows]
        blocks.append(np.stack(entries).reshape(shape + var_shape))
    return blocks


def vjp(graph: Graph, bound: dict, cotangents: list, wrt: tuple[str, ...]) -> Computed:
    """uᵀJ in one backward sweep: reverse mode's native product."""
    meter = Meter("reverse")
    plan = graph.plan
    estimate.check(f"reverse mode's backward sweep over {plan.size:,} nodes",
                   estimate.reverse_jacobian_work(plan, bound, wrt, plan.outputs[:1]), None,
                   "differentiate at fewer points")
    values = record(plan, bound, meter)
    seeds: dict[int, object] = {}
    for slot, u in zip(plan.outputs, cotangents, strict=True):
        seeds[slot] = u if slot not in seeds else seeds[slot] + u  # two outputs may be the same node
    adjoints = backward(plan, values, seeds, wrt, meter)
    return Computed([values[s] for s in plan.outputs], dict(zip(wrt, adjoints, strict=True)), meter.finish())


ADJOINT_PART = "adjoint"  # node attribute of the nodes a gradient graph adds to the original's
GRADIENT_NAMES = "gradient_names"  # graph attribute: the names of a gradient graph's gradient outputs


def gradient_graph(graph: Graph, wrt: tuple[str, ...] | None = None, output: int = 0) -> Graph:
    """The gradient of one output as a new Graph: the backward sweep run on graph handles.

    The new graph shares the original's nodes (its forward values) and adds the adjoint computation (those nodes
    carry the attribute ``adjoint=True``, so that a diagram can tell the two parts apart); its outputs are ∂y/∂v
    for each variable v in ``wrt`` (all variables by default), in that order.
    """
    wrt = tuple(graph.variables if wrt is None else wrt)
    plan = graph.plan
    builder = GraphBuilder(simplify=True, base=graph)
    handles = [Expr(builder, node) for node in plan.nodes]
    seed = {plan.outputs[output]: Expr(builder, builder.constant(1.0))}
    adjoints = walk_backward(plan, handles, seed, wrt, _EmittedAdjoints(plan.tensor), keep_all=True)
    outputs = []
    for name in wrt:
        slot = plan.variables.get(name)
        adjoint = adjoints[slot] if slot is not None else None
        outputs.append(adjoint.node if adjoint is not None else builder.constant(0.0))
    out_name = graph.output_names[output]
    names = [f"d{out_name}/d{name}" for name in wrt]
    for node in builder.nx.nodes:  # tell the pictures which nodes the backward sweep added
        if node not in graph.nx:
            builder.nx.nodes[node][ADJOINT_PART] = True
    builder.nx.graph[GRADIENT_NAMES] = tuple(names)
    return builder.finish(outputs, names, graph.variables, graph.data)


def _with_value(derived: Graph, original: Graph) -> Graph:
    """A derived graph that also outputs the original's value (last), so one recorded sweep gives both."""
    return Graph(derived.nx, derived.outputs + original.outputs[:1], variables=original.variables,
                 data=original.data)


def hessian(graph: Graph, bound: dict, wrt: tuple[str, ...], over: str = "reverse") -> Computed:
    """Second derivatives by reverse mode over ``over`` mode.

    ``over="reverse"`` (reverse-over-reverse): emit the gradient graph, then one backward sweep over it per
    variable (per entry, in a tensor graph). ``over="forward"`` (forward-over-reverse): per variable (entry), a
    forward sweep carrying a tangent, then a backward sweep in dual arithmetic — each adjoint's tangent is a
    column of the Hessian.
    """
    if over not in ("reverse", "forward"):
        raise MethodError(f"over= must be 'reverse' or 'forward', got {over!r}")
    if over == "forward":
        return _forward_over_reverse(graph, bound, wrt)
    meter = Meter("reverse")
    if not wrt:  # nothing to differentiate: the value alone
        values = record(graph.plan, bound, meter)
        return Computed([values[graph.plan.outputs[0]]], [], meter.finish())
    over_forward = estimate.forward_over_reverse_work(graph.plan, bound, wrt)
    cheaper = (f"over='forward' (no gradient graph) needs about {over_forward.operations:.2g} operations",
               over_forward)
    entries = sum(int(np.size(bound[name])) for name in wrt) if graph.plan.tensor else len(wrt)
    _check_emitting(graph, wrt, entries, f"a reverse-over-reverse Hessian in {entries:,} variables", cheaper,
                    "differentiate by fewer variables")
    grad_graph = gradient_graph(graph, wrt)
    meter.backward_sweeps += 1  # the sweep that emitted the gradient graph
    plan = _with_value(grad_graph, graph).plan
    # one backward sweep per entry of each gradient (of each variable, in a tensor graph)
    sweeps = tuple(int(np.size(bound[name])) if plan.tensor else 1 for name in wrt)
    work = estimate.reverse_jacobian_work(plan, bound, wrt, plan.outputs[:-1], sweeps=sweeps)
    estimate.check(f"a reverse-over-reverse Hessian in {sum(sweeps):,} variables ({sum(sweeps):,} backward sweeps "
                   f"over a gradient graph of {plan.size:,} nodes)", work, estimate.cheaper(*cheaper, work),
                   "differentiate by fewer variables or at fewer points")
    values = record(plan, bound, meter)
    if plan.tensor:  # blocks: one backward sweep per entry of each gradient
        rows = [_blocks(plan, values, slot, wrt, meter) for slot in plan.outputs[:-1]]
        rows = [[None if b is None else np.reshape(b, bound[a].shape + bound[c].shape)
                 for b, c in zip(row, wrt, strict=True)] for row, a in zip(rows, wrt, strict=True)]
    else:
        rows = [backward(plan, values, {slot: np.float64(1.0)}, wrt, meter) for slot in plan.outputs[:-1]]
    meter.details["gradient graph nodes"] = len(grad_graph)
    return Computed([values[plan.outputs[-1]]], rows, meter.finish())


def _check_emitting(graph: Graph, wrt: tuple[str, ...], sweeps: int, what: str, alternative: tuple,
                    advice: str) -> None:
    """Refuse writing a gradient graph (about as many nodes again as the graph has) when that, with the
    ``sweeps`` backward sweeps over it that follow, would take too long (checked exactly once it is written).
    ``alternative``: (what to say, its work), named when it is cheaper."""
    work = estimate.emitting_work(graph.plan, wrt, sweeps)
    estimate.check(f"{what}: writing the gradient of a graph of {graph.plan.size:,} nodes and {sweeps:,} "
                   f"backward sweep{'s' if sweeps != 1 else ''} over it", work, estimate.cheaper(*alternative, work),
                   advice)


def _forward_over_reverse(graph: Graph, bound: dict, wrt: tuple[str, ...]) -> Computed:
    """H·e_j for every direction e_j: a tangent-carrying forward sweep, then a backward sweep on dual numbers."""
    meter = Meter("reverse")
    plan = graph.plan
    n = sum(int(np.size(bound[name])) for name in wrt) if plan.tensor else len(wrt)
    estimate.check(f"a forward-over-reverse Hessian in {n:,} variables ({n:,} forward and backward sweeps)",
                   estimate.forward_over_reverse_work(plan, bound, wrt), None,
                   "differentiate by fewer variables or at fewer points")
    meter.details["over"] = "forward"
    rows: list[list] = [[None] * len(wrt) for _ in wrt]
    value = None
    token = _METER.set(meter)  # dual arithmetic inside the rules reports here
    try:
        for j, name in enumerate(wrt):
            shape = bound[name].shape if plan.tensor else ()
            columns = []
            for k in range(max(1, int(np.prod(shape)))):
                seed = np.float64(1.0)
                if plan.tensor:
                    seed = np.zeros(shape)
                    seed.flat[k] = 1.0
                values = _tangent_record(plan, bound, {name: seed}, meter)
                value = _value_of(values[plan.outputs[0]])
                out = values[plan.outputs[0]]
                start = np.ones(np.shape(_value_of(out))) if np.ndim(_value_of(out)) else np.float64(1.0)
                adjoints = backward(plan, values, {plan.outputs[0]: start}, wrt, meter)
                columns.append([a.tangent if isinstance(a, Dual) else None for a in adjoints])
                meter.hold(-sum(nbytes(values[step.out]) for step in plan.steps))  # this sweep's tape is spent
            for i, other in enumerate(wrt):
                if all(c[i] is None for c in columns):
                    continue
                if not plan.tensor:
                    rows[i][j] = columns[0][i]
                    continue
                shape_i = bound[other].shape
                entries = [np.zeros(shape_i) if c[i] is None else np.broadcast_to(c[i], shape_i) for c in columns]
                rows[i][j] = np.stack(entries, axis=-1).reshape(shape_i + shape)
    finally:
        _METER.reset(token)
    if value is None:
        value = record(plan, bound, meter)[plan.outputs[0]]
    return Computed([value], rows, meter.finish())


def _tangent_record(plan: Plan, bound: dict, direction: dict, meter: Meter) -> list:
    """The forward sweep with a tangent: every slot as a dual number (or a plain value where no tangent flows)."""
    meter.forward_sweeps += 1
    values: list = [None] * plan.size
    tangents: list = [None] * plan.size
    for name, slot in plan.variables.items():
        values[slot], tangents[slot] = bound[name], direction.get(name)
    for slot, constant in plan.constants:
        values[slot] = constant_value(constant)
    for step in plan.steps:
        values[step.out], tangents[step.out] = forward_step(
            step.primitive, [values[a] for a in step.args], [tangents[a] for a in step.args], meter, step.params)
        meter.hold(nbytes(values[step.out]) + nbytes(tangents[step.out]))  # the tape: values and tangents
    return [v if t is None else Dual(v, t, 1) for v, t in zip(values, tangents, strict=True)]


def _value_of(x):
    return x.value if isinstance(x, Dual) else x


def derivative(graph: Graph, bound: dict, wrt: str, order: int) -> Computed:
    """dᵏf/dxᵏ: emit the derivative graph k-1 times, then one reverse sweep over the last one."""
    meter = Meter("reverse")
    current = graph
    nested = estimate.sweep_work(graph.plan, (wrt,), order, estimate.elements_of(graph.plan, bound))
    alternative = (f"method='forward' (nested dual numbers, no graphs written) needs about {nested.operations:.2g} "
                   "operations", nested)
    for level in range(order - 1):
        _check_emitting(current, (wrt,), 1, f"an order-{order} derivative by reverse mode (gradient graph "
                        f"{level + 1})", alternative, "use a lower order")
        current = gradient_graph(current, (wrt,))
        meter.backward_sweeps += 1  # each emitting sweep
    plan = _with_value(current, graph).plan
    estimate.check(f"an order-{order} derivative by reverse mode (a backward sweep over {plan.size:,} nodes)",
                   estimate.reverse_jacobian_work(plan, bound, (wrt,), plan.outputs[:1]), None,
                   "use a lower order or fewer points")
    values = record(plan, bound, meter)
    (adjoint,) = backward(plan, values, {plan.outputs[0]: np.float64(1.0)}, (wrt,), meter)
    meter.details["derivative graph nodes"] = len(current)
    return Computed([values[plan.outputs[-1]]], adjoint, meter.finish())


def hvp(graph: Graph, bound: dict, wrt: tuple[str, ...], vector: dict, over: str = "forward") -> Computed:
    """H·v, the Hessian (over ``wrt``) times ``vector`` ({variable: direction}), at about two gradients' cost.

    ``over="forward"`` (forward-over-reverse, the default): one forward sweep carrying the tangent v, then one
    backward sweep in dual arithmetic; each adjoint's tangent is its entry of H·v. ``over="reverse"``
    (reverse-over-reverse): emit the gradient graph, then one backward sweep over it seeded with v — the
    gradient of v·∇f. Either way the work is a small multiple of f's, whatever the number of variables.
    """
    plan = graph.plan
    estimate.check(f"H·v by reverse mode ({'forward' if over == 'forward' else 'reverse'}-over-reverse, a graph of "
                   f"{plan.size:,} nodes)", estimate.hvp_work(plan, bound, wrt, over), None,
                   "differentiate at fewer points")
    meter = Meter("reverse")
    meter.details["over"] = over
    if over == "forward":  # the tape holds values and tangents; the adjoints are dual numbers too
        check_memory("forward-over-reverse's tape", 2 * estimate.reverse_memory(plan, bound),
                     "differentiate at fewer points at once")
        token = _METER.set(meter)  # dual arithmetic inside the rules reports here
        try:
            values = _tangent_record(plan, bound, vector, meter)
            out = values[plan.outputs[0]]
            start = np.ones(np.shape(_value_of(out))) if np.ndim(_value_of(out)) else np.float64(1.0)
            adjoints = backward(plan, values, {plan.outputs[0]: start}, wrt, meter)
        finally:
            _METER.reset(token)
        products = [a.tangent if isinstance(a, Dual) else None for a in adjoints]
        return Computed([_value_of(out)], products, meter.finish())
    grad_graph = gradient_graph(graph, wrt)
    meter.backward_sweeps += 1  # the sweep that emitted the gradient graph
    plan = _with_value(grad_graph, graph).plan
    values = record(plan, bound, meter)
    seeds: dict[int, object] = {}
    for slot, name in zip(plan.outputs[:-1], wrt, strict=True):
        if name in vector:  # two gradient entries may be one node (the constant 1 of x + y)
            seeds[slot] = vector[name] if slot not in seeds else seeds[slot] + vector[name]
    products = backward(plan, values, seeds, wrt, meter) if seeds else [None] * len(wrt)
    meter.details["gradient graph nodes"] = len(grad_graph)
    return Computed([values[plan.outputs[-1]]], products, meter.finish())
