"""Reverse mode (backpropagation): a forward sweep that records every value, then one backward sweep.

The backward sweep visits the steps in reverse topological order; each node holds its adjoint
v̄ = Σ over the nodes j that use it of v̄ⱼ · ∂vⱼ/∂v (the sum over all paths to the output), and sends
v̄ · ∂v/∂argᵢ to each argument — message passing with only local derivatives. Adjoints start fresh on every
call, so calling twice gives the same answer.

Run on graph handles instead of arrays (``gradient_graph``), the backward sweep *writes* its gradient as a new
graph — the computation graph extended with the adjoint computation — built from the same partial rules:
evaluate it, draw it, or differentiate it again. The numeric sweep (``backward``) keeps its own loop because it
also meters operations and memory and releases spent adjoints; the emitting sweep lets the graph builder drop
the multiplications by ±1 and the zeros instead.
"""

from __future__ import annotations

import math

import numpy as np

from .. import domain
from ..cost import Meter, counted_once, record_partial, remember
from ..dual import _METER, DUAL, Dual, forward_step, nbytes
from ..errors import MethodError
from ..graph import Graph, GraphBuilder, Plan, constant_value, points_of, run_plan
from ..limits import check_memory
from ..ops import NUMPY, is_constant
from ..result import Computed
from ..tensor_ops import shape_of
from ..trace import Expr, functions


def record(plan: Plan, bound: dict, meter: Meter) -> list:
    """The forward sweep: every slot's value, kept as the tape for the backward sweep."""
    meter.forward_sweeps += 1
    if meter.counting:  # (a silent meter: this request ran before on these shapes, and passed this check)
        # The tape keeps every value, and the adjoints can at worst be as many again.
        check_memory("reverse mode's tape", 16.0 * plan.size * points_of(bound, plan.tensor),
                     "differentiate fewer points at once")

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
    counting = meter.counting  # memory bookkeeping is skipped entirely when the work is already known
    held = _Held(meter)
    adjoints: list = [None] * plan.size
    for slot, seed in seeds.items():
        adjoints[slot] = seed
        if counting:
            held.take(seed)
    # On dual numbers (forward-over-reverse) the rules run in dual arithmetic, which meters itself.
    dual = any(isinstance(v, Dual) for v in values) or any(isinstance(v, Dual) for v in seeds.values())
    xp = DUAL if dual else meter.numpy
    tensor = plan.tensor
    watch = domain.current()
    for step, targets, release in plan.backward_program(wrt):
        g = adjoints[step.out]
        if g is None:
            continue
        primitive = step.primitive
        args = [values[a] for a in step.args]
        out = values[step.out]
        if watch is not None:
            watch.where = primitive.derivative_label  # its derivative rule, and the adjoint products
        for i, a in targets:
            if primitive.tensor:
                contribution = primitive.vjp(xp, g, out, args, i, **step.params)
            else:
                contribution = _elementwise_contribution(primitive, i, g, out, args, xp, meter, tensor)
                if contribution is None:
                    continue
            if adjoints[a] is None:
                adjoints[a] = contribution
                if counting:
                    held.take(contribution)
            else:
                previous = adjoints[a]
                adjoints[a] = previous + contribution
                if counting:
                    meter.op("add", np.size(adjoints[a]))
                    held.take(adjoints[a])
                    held.drop(previous)
        if release and not every_node:  # an intermediate's adjoint is spent once passed on
            if counting:
                held.drop(g)
            adjoints[step.out] = None
    if every_node:
        return adjoints
    return [adjoints[plan.variables[name]] if name in plan.variables else None for name in wrt]


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
        self.meter.hold(np.asarray(array).nbytes)

    def drop(self, array) -> None:
        entry = self.references.get(id(array))
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del self.references[id(array)]
            self.meter.hold(-np.asarray(array).nbytes)


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


def _elementwise_contribution(primitive, i: int, g, out, args: list, xp, meter: Meter, tensor: bool):
    """ḡ·∂ᵢ for an elementwise primitive, summed back to the argument's shape where it was broadcast (tensor
    graphs); None when the partial is the structural 0 (no derivative flows there)."""
    dual = xp is DUAL  # on dual numbers (forward-over-reverse) the rule runs, and is metered, in dual arithmetic
    partial = primitive.partials[i](DUAL if dual else NUMPY, out, *args)
    if is_constant(partial, 0):
        return None
    if meter.counting and not dual:
        record_partial(meter, primitive, i, np.size(out))
    if is_constant(partial, 1):  # structural ±1: no multiplication
        contribution = g
    elif is_constant(partial, -1):
        contribution = -g
        meter.op("neg", np.size(g))
    else:
        contribution = g * partial
        meter.op("mul", np.size(contribution))
    return _summed_back(contribution, args[i], xp, tensor)


def _summed_back(contribution, arg, xp, tensor: bool):
    """In a tensor graph, a contribution to an argument that was broadcast is summed back to its shape."""
    if tensor and shape_of(contribution) != shape_of(arg):
        return xp.sum_like(contribution, arg)
    return contribution


def jacobian(graph: Graph, bound: dict, wrt: tuple[str, ...]) -> Computed:
    """All ∂outputᵢ/∂variableⱼ: one recorded forward sweep, then one backward sweep per output (per output
    entry in a tensor graph, whose Jacobian blocks are shaped output shape + variable shape)."""
    plan = graph.plan
    # A repeated request on the same shapes (a training step, an optimizer's iterations) reuses the count of
    # its work: the count depends on the graph, the shapes and wrt only.
    key = (tuple((name, np.shape(value)) for name, value in bound.items()), wrt)
    meter = counted_once(plan, "reverse", key)
    values = record(plan, bound, meter)
    if plan.tensor:
        rows = [_blocks(plan, values, slot, wrt, meter) for slot in plan.outputs]
    else:
        rows = [backward(plan, values, {slot: np.float64(1.0)}, wrt, meter) for slot in plan.outputs]
    meter.details["tape values"] = plan.size
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
    handle = {node: Expr(builder, node) for node in plan.nodes}
    target = plan.outputs[output]
    adjoints: dict[int, Expr] = {target: Expr(builder, builder.constant(1.0))}
    for step, targets, _ in plan.backward_program(wrt):
        g = adjoints.get(step.out)
        if g is None:
            continue
        args = [handle[plan.nodes[a]] for a in step.args]
        out = handle[step.node]
        for i, a in targets:
            if step.primitive.tensor:
                contribution = step.primitive.vjp(functions, g, out, args, i, **step.params)
            else:
                partial = step.primitive.partials[i](functions, out, *args)
                if is_constant(partial, 0):
                    continue
                contribution = g * partial
                if plan.tensor:  # shapes are not known while emitting: sum back to the argument's (free if equal)
                    contribution = functions.sum_like(contribution, args[i])
            adjoints[a] = contribution if a not in adjoints else adjoints[a] + contribution
    outputs = []
    for name in wrt:
        slot = plan.variables.get(name)
        adjoint = adjoints.get(slot) if slot is not None else None
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
    grad_graph = gradient_graph(graph, wrt)
    meter.backward_sweeps += 1  # the sweep that emitted the gradient graph
    plan = _with_value(grad_graph, graph).plan
    values = record(plan, bound, meter)
    if plan.tensor:  # blocks: one backward sweep per entry of each gradient
        rows = [_blocks(plan, values, slot, wrt, meter) for slot in plan.outputs[:-1]]
        rows = [[None if b is None else np.reshape(b, bound[a].shape + bound[c].shape)
                 for b, c in zip(row, wrt, strict=True)] for row, a in zip(rows, wrt, strict=True)]
    else:
        rows = [backward(plan, values, {slot: np.float64(1.0)}, wrt, meter) for slot in plan.outputs[:-1]]
    meter.details["gradient graph nodes"] = len(grad_graph)
    return Computed([values[plan.outputs[-1]]], rows, meter.finish())


def _forward_over_reverse(graph: Graph, bound: dict, wrt: tuple[str, ...]) -> Computed:
    """H·e_j for every direction e_j: a tangent-carrying forward sweep, then a backward sweep on dual numbers."""
    meter = Meter("reverse")
    plan = graph.plan
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
    for _ in range(order - 1):
        current = gradient_graph(current, (wrt,))
        meter.backward_sweeps += 1  # each emitting sweep
    plan = _with_value(current, graph).plan
    values = record(plan, bound, meter)
    (adjoint,) = backward(plan, values, {plan.outputs[0]: np.float64(1.0)}, (wrt,), meter)
    meter.details["derivative graph nodes"] = len(current)
    return Computed([values[plan.outputs[-1]]], adjoint, meter.finish())
