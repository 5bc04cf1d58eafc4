"""Forward mode: dual numbers (value, tangent) pushed through the graph by the primitives' rules.

One sweep carries one directional derivative, so a gradient in n variables costs n sweeps — or one sweep whose
tangents carry a leading axis of length n (``batch=True``): the same arithmetic, fewer Python-level passes. In
a tensor graph "n" counts every entry of every variable: a weight matrix of 1,000 × 100 entries is 100,000
sweeps.

Higher derivatives nest dual numbers (see ``diffkit.dual``, which holds the dual arithmetic this sweep uses).
"""

from __future__ import annotations

import numpy as np

from .. import estimate
from ..cost import Meter, counted_once, remember
from ..dual import _METER, Dual, forward_step, nbytes
from ..errors import MethodError
from ..evaluation import constant_value
from ..limits import check_memory
from ..plan import Plan
from ..result import Computed, split_blocks


def sweep(plan: Plan, values: dict, tangents: dict, meter: Meter, lead: int = 0,
          every_node: bool = False) -> tuple[list, list]:
    """One forward sweep: the outputs' values and tangents, given the variables' values and tangents.

    Intermediates are released after their last use, so memory is what forward mode really needs to hold.
    ``lead``: batched tangents of a tensor graph carry this many extra leading axes. ``every_node=True`` keeps
    every node and returns all values and tangents, by slot (for pictures of the sweep).
    """
    meter.forward_sweeps += 1
    token = _METER.set(meter)
    try:
        slots_v: list = [None] * plan.size
        slots_t: list = [None] * plan.size
        for name, slot in plan.variables.items():
            slots_v[slot] = values[name]
            slots_t[slot] = tangents.get(name)
            meter.hold(nbytes(slots_t[slot]))
        for slot, value in plan.constants:
            slots_v[slot] = constant_value(value)
        last_use = plan.last_use()
        variable_slots = set(plan.variables.values())
        for index, step in enumerate(plan.steps):
            args = [slots_v[a] for a in step.args]
            step.check_shapes(args)
            try:
                out, tangent = forward_step(step.primitive, args, [slots_t[a] for a in step.args], meter,
                                            step.params, lead)
            except ValueError as exc:  # shapes NumPy cannot combine: say where
                raise step.failed(args, exc) from None
            slots_v[step.out], slots_t[step.out] = out, tangent
            meter.hold(nbytes(out) + nbytes(tangent))
            for a in set(step.args) if not every_node else ():
                if last_use[a] == index and a not in variable_slots:
                    meter.hold(-nbytes(slots_v[a]) - nbytes(slots_t[a]))
                    slots_v[a] = slots_t[a] = None
        if every_node:
            return slots_v, slots_t
        outputs = [slots_v[s] for s in plan.outputs], [slots_t[s] for s in plan.outputs]
        # The sweep is over: what it still holds is released (callers account for the results they keep).
        still_held = sum(nbytes(slots_t[s]) for s in variable_slots)
        still_held += sum(nbytes(slots_v[s]) + nbytes(slots_t[s]) for s in set(plan.outputs) - variable_slots)
        meter.hold(-still_held)
        return outputs
    finally:
        _METER.reset(token)


def _one_hot(n: int, index: int, batch_ndim: int, axis: int = 0, axes: int = 1) -> np.ndarray:
    """Seed tangent e_index along tangent axis ``axis`` of ``axes`` leading axes, broadcastable over a batch."""
    shape = [1] * axes + [1] * batch_ndim
    shape[axis] = n
    seed = np.zeros(shape)
    seed[(0,) * axis + (index,)] = 1.0
    return seed


# What to do about forward mode's memory: with batched tangents, unbatch them; otherwise hold fewer points.
FEWER_POINTS = "differentiate at fewer points at once"
UNBATCH = ("use batch=False (one sweep per variable, tangents one wide) or method='reverse' (one backward sweep, "
           "whatever the number of variables)")


def _check_memory(plan: Plan, bound: dict, width: int, kept: int, advice: str = FEWER_POINTS) -> None:
    """Forward mode holds its live intermediates with tangents ``width`` wide, plus the ``kept`` result columns
    (the variables' own tangents are one-hot seeds, too small to count). ``advice``: what the caller can change
    (only the verbs with batched tangents have batch=)."""
    check_memory(f"forward mode with tangents {width} wide", estimate.forward_memory(plan, bound, width, kept),
                 advice)


def jacobian(graph, bound: dict, wrt: tuple[str, ...], batch: bool = False) -> Computed:
    """All ∂outputᵢ/∂variableⱼ: one sweep per variable, or one batched sweep."""
    if graph.is_tensor:
        return _tensor_jacobian(graph, bound, wrt, batch)
    plan = graph.plan
    # A repeated request on the same shapes reuses the count of its work (it depends on the shapes only).
    key = (tuple(bound), tuple(value.shape for value in bound.values()), wrt, batch)
    meter = counted_once(plan, "forward", key)
    kept = len(plan.outputs) * len(wrt)
    _check_memory(plan, bound, len(wrt) if batch else 1, kept, UNBATCH if batch else FEWER_POINTS)
    if meter.counting:
        estimate.check(f"forward mode over {len(wrt)} variables",
                       estimate.forward_jacobian_work(plan, bound, wrt, batch),
                       estimate.reverse_alternative(plan, bound, wrt, len(plan.outputs), "the Jacobian"),
                       "differentiate by fewer variables")
    batch_ndim = max((a.ndim for a in bound.values()), default=0)
    rows: list[list] = [[None] * len(wrt) for _ in plan.outputs]
    if batch and wrt:
        seeds = {name: _one_hot(len(wrt), j, batch_ndim) for j, name in enumerate(wrt)}
        values, tangents = sweep(plan, bound, seeds, meter)
        for i, t in enumerate(tangents):
            if t is not None:
                t = np.broadcast_to(t, (len(wrt),) + np.shape(t)[1:])
                rows[i] = [t[j] for j in range(len(wrt))]
        meter.details["tangent width"] = len(wrt)
    else:
        values = None
        for j, name in enumerate(wrt):
            values, tangents = sweep(plan, bound, {name: np.float64(1.0)}, meter)
            for i, t in enumerate(tangents):
                rows[i][j] = t
                meter.hold(nbytes(t))  # the column is kept until all sweeps are done
        if values is None:  # nothing to differentiate: still report the value
            values = sweep(plan, bound, {}, meter)[0]
    return Computed(values, rows, remember(plan, "forward", key, meter))


def _tensor_jacobian(graph, bound: dict, wrt: tuple[str, ...], batch: bool) -> Computed:
    """Jacobian blocks ∂outputᵢ/∂variableⱼ of a tensor graph, shaped output shape + variable shape: one sweep
    per entry of each variable (a one-hot tangent), or per variable one sweep whose tangents carry a leading
    axis with one direction per entry."""
    meter = Meter("forward")
    plan = graph.plan
    sizes = [bound[name].size for name in wrt]
    _check_memory(plan, bound, max(sizes, default=1) if batch else 1, len(plan.outputs) * sum(sizes),
                  UNBATCH if batch else FEWER_POINTS)
    estimate.check(f"forward mode over {sum(sizes):,} tensor entries ({len(wrt)} variables)",
                   estimate.forward_gradient_work(plan, bound, wrt, batch),
                   estimate.reverse_alternative(plan, bound, wrt, len(plan.outputs), "the Jacobian"),
                   "differentiate by fewer variables")
    rows: list[list] = [[None] * len(wrt) for _ in plan.outputs]
    values = None
    for j, name in enumerate(wrt):
        shape, size = bound[name].shape, bound[name].size
        if batch:
            seed = np.eye(size).reshape((size,) + shape)
            values, tangents = sweep(plan, bound, {name: seed}, meter, lead=1)
            columns = [None if t is None else np.moveaxis(np.broadcast_to(t, (size,) + np.shape(v)), 0, -1)
                       for t, v in zip(tangents, values, strict=True)]
            meter.details["tangent width"] = max(meter.details.get("tangent width", 0), size)
        else:
            per_entry = []
            for k in range(size):
                seed = np.zeros(shape)
                seed.flat[k] = 1.0
                values, tangents = sweep(plan, bound, {name: seed}, meter)
                per_entry.append(tangents)
                meter.hold(sum(nbytes(t) for t in tangents))  # kept until the block is assembled
            columns = [None if all(e[i] is None for e in per_entry) else np.stack(
                [np.zeros(np.shape(values[i])) if e[i] is None else np.broadcast_to(e[i], np.shape(values[i]))
                 for e in per_entry], axis=-1) for i in range(len(plan.outputs))]
        for i, column in enumerate(columns):
            if column is not None:
                rows[i][j] = column.reshape(np.shape(values[i]) + shape)
    if values is None:  # nothing to differentiate: still report the value
        values = sweep(plan, bound, {}, meter)[0]
    return Computed(values, rows, meter.finish())


def node_tangents(graph, bound: dict, tangents: dict) -> tuple[list, list]:
    """Every node's value and tangent along ``tangents`` ({variable: direction}), by slot of ``graph.plan``: what
    a picture of the forward sweep shows (None: the node does not depend on the direction)."""
    return sweep(graph.plan, bound, tangents, Meter("forward"), every_node=True)


def jvp(graph, bound: dict, tangents: dict) -> Computed:
    """J·v in one sweep: forward mode's native product."""
    meter = Meter("forward")
    _check_memory(graph.plan, bound, 1, len(graph.plan.outputs))
    values, out_tangents = sweep(graph.plan, bound, tangents, meter)
    return Computed(values, out_tangents, meter.finish())


def _nested_seed(value, levels: list[int], tangent_of) -> object:
    """Wrap a value in duals of the given levels (innermost first); ``tangent_of(level)`` gives each seed."""
    x = value
    for level in levels:
        seed = tangent_of(level)
        x = Dual(x, seed, level) if seed is not None else x
    return x


def _coefficient(x, levels: list[int]):
    """The coefficient of ε_levels[-1]·…·ε_levels[0] in a nested dual (None when it is zero)."""
    for level in reversed(levels):
        if not isinstance(x, Dual) or x.level != level:
            return None
        x = x.tangent
    return x


def _strip(x):
    """The plain value under all dual levels."""
    while isinstance(x, Dual):
        x = x.value
    return x


def derivative(graph, bound: dict, wrt: str, order: int) -> Computed:
    """dᵏf/dxᵏ in one sweep of k-fold nested duals (2ᵏ components each)."""
    meter = Meter("forward")
    plan = graph.plan
    _check_memory(plan, bound, 2**order - 1, 1,
                  f"use a lower order (order {order}'s dual numbers carry {2**order} components per value) or "
                  f"{FEWER_POINTS}")
    estimate.check(f"forward mode's order-{order} dual numbers ({2**order} components each)",
                   estimate.sweep_work(plan, (wrt,), order, estimate.elements_of(plan, bound)), None,
                   "use a lower order or fewer points")
    levels = list(range(1, order + 1))
    values = dict(bound)
    values[wrt] = _nested_seed(bound[wrt], levels, lambda level: np.float64(1.0))
    outs, _ = sweep(graph.plan, values, {}, meter)
    meter.details["nesting depth"] = order
    result = _coefficient(outs[0], levels)
    return Computed([_strip(outs[0])], _strip(result) if result is not None else None, meter.finish())


def _tensor_hessian(graph, bound: dict, wrt: tuple[str, ...]) -> Computed:
    """Forward-over-forward on a tensor graph: one sweep of second-order duals per pair of entries p ≤ q."""
    meter = Meter("forward")
    entries = [(name, k) for name in wrt for k in range(bound[name].size)]
    n = len(entries)
    _check_memory(graph.plan, bound, 3, 1)
    matrix = np.zeros((n, n))

    def one_hot(name, k):
        seed = np.zeros(bound[name].shape)
        seed.flat[k] = 1.0
        return seed

    value = None
    for p in range(n):
        for q in range(p, n):
            values = dict(bound)
            (name_p, k_p), (name_q, k_q) = entries[p], entries[q]
            values[name_q] = Dual(bound[name_q], one_hot(name_q, k_q), 1)
            values[name_p] = Dual(values[name_p], one_hot(name_p, k_p), 2)
            outs, _ = sweep(graph.plan, values, {}, meter)
            value = _strip(outs[0])
            h = _coefficient(outs[0], [1, 2])
            matrix[p, q] = matrix[q, p] = 0.0 if h is None else float(np.sum(_strip(h)))
    if value is None:
        value = sweep(graph.plan, bound, {}, meter)[0][0]
    return Computed([value], split_blocks(matrix, [bound[name].shape for name in wrt]), meter.finish())


def hessian(graph, bound: dict, wrt: tuple[str, ...], batch: bool = False) -> Computed:
    """Forward-over-forward: one sweep of second-order duals per pair i ≤ j (or one batched sweep)."""
    if graph.is_tensor:
        if batch:
            raise MethodError("batched tangents for a tensor graph's Hessian are not supported; use batch=False "
                              "(one sweep per pair of entries) or method='reverse'")
        return _tensor_hessian(graph, bound, wrt)
    meter = Meter("forward")
    n = len(wrt)
    _check_memory(graph.plan, bound, (2 * n + n * n) if batch else 3, n * n, UNBATCH if batch else FEWER_POINTS)
    if not batch:
        estimate.check(f"a forward-over-forward Hessian in {n} variables ({n * (n + 1) // 2} sweeps)",
                       estimate.forward_hessian_work(graph.plan, bound, wrt),
                       estimate.reverse_alternative(graph.plan, bound, wrt, n, "the Hessian"),
                       "use method='reverse'")
    rows: list[list] = [[None] * n for _ in range(n)]
    batch_ndim = max((a.ndim for a in bound.values()), default=0)
    value = None
    if batch and n:
        values = dict(bound)
        for j, name in enumerate(wrt):
            inner = _one_hot(n, j, batch_ndim, axis=0, axes=2)
            outer = _one_hot(n, j, batch_ndim, axis=1, axes=2)
            values[name] = Dual(Dual(bound[name], inner, 1), outer, 2)
        outs, _ = sweep(graph.plan, values, {}, meter)
        value = _strip(outs[0])
        h = _coefficient(outs[0], [1, 2])
        if h is not None:
            h = np.broadcast_to(_strip(h), (n, n) + np.shape(_strip(h))[2:])
            rows = [[h[i, j] for j in range(n)] for i in range(n)]
        meter.details["tangent width"] = n * n
    else:
        for i in range(n):
            for j in range(i, n):
                values = dict(bound)
                values[wrt[j]] = Dual(bound[wrt[j]], np.float64(1.0), 1)
                values[wrt[i]] = Dual(values[wrt[i]], np.float64(1.0), 2)
                outs, _ = sweep(graph.plan, values, {}, meter)
                value = _strip(outs[0])
                h = _coefficient(outs[0], [1, 2])
                rows[i][j] = rows[j][i] = _strip(h) if h is not None else None
        if value is None:
            value = sweep(graph.plan, bound, {}, meter)[0][0]
    return Computed([value], rows, meter.finish())


def hvp(graph, bound: dict, wrt: tuple[str, ...], vector: dict) -> Computed:
    """H·v by forward-over-forward: per entry i of the variables, one sweep of second-order duals whose inner
    tangent is v and outer tangent eᵢ; the ε₁ε₂ coefficient is (H·v)ᵢ. That is one sweep per entry — n times
    what reverse mode's two sweeps cost, which is the point of showing it."""
    meter = Meter("forward")
    plan = graph.plan
    entries = [(name, k) for name in wrt for k in range(bound[name].size if plan.tensor else 1)]
    _check_memory(plan, bound, 3, 1)
    estimate.check(f"forward-over-forward H·v in {len(entries)} entries ({len(entries)} sweeps)",
                   estimate.sweep_work(plan, wrt, 2, estimate.elements_of(plan, bound)) * len(entries),
                   estimate.reverse_alternative(plan, bound, wrt, 1, "H·v"), "or use method='reverse'")
    inner = dict(bound)
    for name, direction in vector.items():
        inner[name] = Dual(bound[name], direction, 1)
    columns: dict[str, list] = {name: [] for name in wrt}
    value = None
    for name, k in entries:
        seed = np.float64(1.0)
        if plan.tensor:
            seed = np.zeros(bound[name].shape)
            seed.flat[k] = 1.0
        values = dict(inner)
        values[name] = Dual(inner[name], seed, 2)
        outs, _ = sweep(plan, values, {}, meter)
        value = _strip(outs[0])
        h = _coefficient(outs[0], [1, 2])
        h = None if h is None else _strip(h)
        columns[name].append(float(np.sum(h)) if plan.tensor and h is not None else h)
    if value is None:
        value = sweep(plan, bound, {}, meter)[0][0]
    products = []
    for name in wrt:
        entries_of = columns[name]
        if all(h is None for h in entries_of):
            products.append(None)
        elif plan.tensor:
            products.append(np.array([0.0 if h is None else h for h in entries_of]).reshape(bound[name].shape))
        else:
            products.append(entries_of[0])
    return Computed([value], products, meter.finish())
