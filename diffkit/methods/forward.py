"""Forward mode: dual numbers (value, tangent) pushed through the graph by the primitives' partial rules.

One sweep carries one directional derivative, so a gradient in n variables costs n sweeps — or one sweep whose
tangents carry a leading axis of length n (``batch=True``): the same arithmetic, fewer Python-level passes.

Higher derivatives nest dual numbers: a dual whose value and tangent are themselves duals of a lower *level*.
Levels keep the perturbations apart (no "perturbation confusion"): an operation works on the highest level
present and treats lower-level duals as ordinary values, evaluating the partial rules on them — which again
goes through these same rules, one level down.
"""

from __future__ import annotations

import contextvars

import numpy as np

from .. import domain
from ..cost import Meter, record_partial
from ..graph import Plan, points_of
from ..limits import check_memory
from ..ops import NUMPY, PRIMITIVES, Primitive, PrimitiveArithmetic, is_constant, namespace
from ..result import Computed

# The meter that nested dual arithmetic reports to (set for the duration of one request).
_METER: contextvars.ContextVar[Meter | None] = contextvars.ContextVar("diffkit_forward_meter", default=None)


class Dual(PrimitiveArithmetic):
    """A value with a tangent at a given nesting level; arithmetic applies the primitives' rules."""

    __slots__ = ("value", "tangent", "level")

    def __init__(self, value, tangent, level: int):
        self.value = value
        self.tangent = tangent
        self.level = level

    def _apply_primitive(self, name: str, *args):
        return dual_apply(PRIMITIVES[name], *args)

    def __repr__(self) -> str:
        return f"Dual(level={self.level}, value={self.value!r}, tangent={self.tangent!r})"


def dual_apply(primitive: Primitive, *args):
    """Apply a primitive to duals of the highest level present; lower levels ride along as values."""
    levels = [a.level for a in args if isinstance(a, Dual)]
    if not levels:  # a rule applied to plain values (e.g. log of a constant base in pow's rule)
        out = primitive.numpy(*args)
        meter = _METER.get()
        if meter is not None:
            meter.op(primitive, np.size(out))
        return out
    level = max(levels)
    values = [a.value if isinstance(a, Dual) and a.level == level else a for a in args]
    tangents = [a.tangent if isinstance(a, Dual) and a.level == level else None for a in args]
    out, tangent = forward_step(primitive, values, tangents, _METER.get())
    return out if tangent is None else Dual(out, tangent, level)


DUAL = namespace(lambda p: lambda *args: dual_apply(p, *args))


def forward_step(primitive: Primitive, values: list, tangents: list, meter: Meter | None):
    """One primitive application with its tangent: out = f(values), tangent = Σᵢ ∂f/∂valueᵢ · tangentᵢ.

    Work on plain arrays is recorded here; work on lower-level duals is recorded by the dual arithmetic itself.
    """
    nested = any(isinstance(v, Dual) for v in values)
    xp = DUAL if nested else NUMPY
    domain.at(primitive.name)
    out = getattr(xp, primitive.name)(*values)
    count = meter is not None and not nested
    if count:
        meter.op(primitive, np.size(out))
    tangent = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        domain.at(f"{primitive.name}'")  # the derivative rule of this primitive
        partial = primitive.partials[i](xp, out, *values)
        if is_constant(partial, 0):
            continue
        if count:
            record_partial(meter, primitive, i, np.size(out))
        if is_constant(partial, 1):
            contribution = t
        elif is_constant(partial, -1):
            contribution = -t
            if count and not isinstance(t, Dual):
                meter.op("neg", np.size(contribution))
        else:
            contribution = partial * t
            if count and not isinstance(t, Dual):
                meter.op("mul", np.size(contribution))
        if tangent is None:
            tangent = contribution
        else:
            tangent = tangent + contribution
            if count and not isinstance(tangent, Dual):
                meter.op("add", np.size(tangent))
    return out, tangent


def nbytes(x) -> int:
    """Bytes held by a value, a tangent or a (nested) dual."""
    if isinstance(x, Dual):
        return nbytes(x.value) + nbytes(x.tangent)
    return int(np.asarray(x).nbytes) if x is not None else 0


def sweep(plan: Plan, values: dict, tangents: dict, meter: Meter) -> tuple[list, list]:
    """One forward sweep: the outputs' values and tangents, given the variables' values and tangents.

    Intermediates are released after their last use, so memory is what forward mode really needs to hold.
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
            slots_v[slot] = np.float64(value)
        last_use = plan.last_use()
        variable_slots = set(plan.variables.values())
        for index, step in enumerate(plan.steps):
            out, tangent = forward_step(
                step.primitive, [slots_v[a] for a in step.args], [slots_t[a] for a in step.args], meter
            )
            slots_v[step.out], slots_t[step.out] = out, tangent
            meter.hold(nbytes(out) + nbytes(tangent))
            for a in set(step.args):
                if last_use[a] == index and a not in variable_slots:
                    meter.hold(-nbytes(slots_v[a]) - nbytes(slots_t[a]))
                    slots_v[a] = slots_t[a] = None
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


def _check_memory(plan: Plan, bound: dict, width: int, kept: int) -> None:
    """Forward mode holds its live intermediates with tangents ``width`` wide, plus the ``kept`` result columns
    (the variables' own tangents are one-hot seeds, too small to count)."""
    points = points_of(bound)
    intermediates = plan.peak_live() - len(plan.variables) - len(plan.constants)
    check_memory(
        f"forward mode with tangents {width} wide",
        8.0 * points * (intermediates * (1 + width) + kept),
        "use method='reverse' (one backward sweep, whatever the number of variables) or batch=False",
    )


def jacobian(graph, bound: dict, wrt: tuple[str, ...], batch: bool = False) -> Computed:
    """All ∂outputᵢ/∂variableⱼ: one sweep per variable, or one batched sweep."""
    meter = Meter("forward")
    plan = graph.plan
    kept = len(plan.outputs) * len(wrt)
    _check_memory(plan, bound, len(wrt) if batch else 1, kept)
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
    return Computed(values, rows, meter.finish())


def jvp(graph, bound: dict, tangents: dict) -> Computed:
    """J·v in one sweep: forward mode's native product."""
    meter = Meter("forward")
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
    levels = list(range(1, order + 1))
    values = dict(bound)
    values[wrt] = _nested_seed(bound[wrt], levels, lambda level: np.float64(1.0))
    outs, _ = sweep(graph.plan, values, {}, meter)
    meter.details["nesting depth"] = order
    result = _coefficient(outs[0], levels)
    return Computed([_strip(outs[0])], _strip(result) if result is not None else None, meter.finish())


def hessian(graph, bound: dict, wrt: tuple[str, ...], batch: bool = False) -> Computed:
    """Forward-over-forward: one sweep of second-order duals per pair i ≤ j (or one batched sweep)."""
    meter = Meter("forward")
    n = len(wrt)
    _check_memory(graph.plan, bound, (2 * n + n * n) if batch else 3, n * n)
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
