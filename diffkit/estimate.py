"""Work estimates made before a method starts: primitive applications, flops and bytes, from the plan.

A step's cost in a sweep depends on its primitive, on which of its arguments carry tangents and on the order of
the dual numbers flowing through it. That cost per element is measured once per (primitive, active arguments,
order) by applying the step to one-element dual numbers under a meter, exactly as a sweep would, and cached;
a request's estimate is then the sum over its steps times the points and the sweeps. Nested duals are
probed dense (every component a number), which is what they become after a few steps of a real graph.

Tensor graphs are estimated more roughly (every step counted over the largest input's size): their matmuls'
work is not elementwise.

Sections: forward mode (sweeps, Jacobians, Hessians); the numeric method (evaluations per scheme, batched
chunks); reverse mode (backward sweeps that visit only what their output depends on, gradient graphs written,
forward-over-reverse); memory (the arrays each method holds at its peak). ``Work.overhead`` is work that
``Cost`` does not count but time does (a backward sweep passing over steps, graph nodes written).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from .binding import points_of
from .cost import Meter
from .dual import _METER, Dual, dual_apply, forward_step
from .limits import check_memory, check_work, work_operations
from .ops import PRIMITIVES
from .plan import Plan


@dataclass(frozen=True)
class Work:
    """Estimated work: primitive applications and flops as ``Cost`` counts them, and ``overhead``: work in scalar
    operations that ``Cost`` does not count (a backward sweep passing over steps its output does not depend on,
    graph nodes written from Python)."""

    applications: float
    flops: float
    overhead: float = 0.0

    @property
    def operations(self) -> float:
        return work_operations(self.applications, self.flops) + self.overhead

    def __add__(self, other: Work) -> Work:
        return Work(self.applications + other.applications, self.flops + other.flops,
                    self.overhead + other.overhead)

    def __sub__(self, other: Work) -> Work:
        """What ``self`` does beyond ``other`` (a tangent sweep beyond the plain one)."""
        return Work(self.applications - other.applications, self.flops - other.flops,
                    self.overhead - other.overhead)

    def __mul__(self, factor: float) -> Work:
        """The work done ``factor`` times (sweeps)."""
        return Work(self.applications * factor, self.flops * factor, self.overhead * factor)

    def over(self, elements: float) -> Work:
        """Per-element work done over ``elements`` elements at once (the applications stay as many)."""
        return Work(self.applications, self.flops * elements, self.overhead)


NONE = Work(0.0, 0.0)


def _dense(level: int, value: float):
    """A one-element nested dual of ``level`` levels with every component a number."""
    if level == 0:
        return np.float64(value)
    return Dual(_dense(level - 1, value), _dense(level - 1, 0.3), level)


def _seeded(level: int, value: float):
    """A variable as an order-``level`` sweep seeds it: x + ε₁ + … + ε_level, each level's tangent the number 1
    (not yet dense: the components multiply out only as the sweep goes on)."""
    if level == 0:
        return np.float64(value)
    return Dual(_seeded(level - 1, value), np.float64(1.0), level)


@cache
def step_cost(name: str, active: tuple[bool, ...], order: int, seeded: tuple[bool, ...] = ()) -> tuple[int, int]:
    """(applications, flops per element) of one application of primitive ``name`` in a forward sweep whose
    active arguments are dual numbers of ``order`` nested levels (order 0: plain values). ``seeded`` marks the
    arguments that are the seeded variables themselves (sparse duals: a step on them costs less)."""
    primitive = PRIMITIVES[name]
    meter = Meter("estimate")
    token = _METER.set(meter)
    seeded = seeded or (False,) * len(active)
    try:
        with np.errstate(all="ignore"):
            args = [(_seeded if s else _dense)(order if a else 0, 0.5 + 0.1 * i)
                    for i, (a, s) in enumerate(zip(active, seeded, strict=True))]
            if order == 0 or not any(active):
                forward_step(primitive, args, [None] * len(args), meter)
            elif order == 1:
                forward_step(primitive, [_dense(0, 0.5 + 0.1 * i) for i in range(len(active))],
                             [np.float64(0.3) if a else None for a in active], meter)
            else:
                dual_apply(primitive, *args)
    finally:
        _METER.reset(token)
    cost = meter.finish()
    return cost.total_operations, cost.flops


@cache
def tangent_split(name: str, active: tuple[bool, ...]) -> tuple[float, float]:
    """(flops on the value, flops per tangent entry) of one first-order step of primitive ``name``: the partials
    are formed once on the value, their products and sums on every entry of a batched tangent. Probed with
    tangents one and two entries wide; the difference is the per-entry part."""
    primitive = PRIMITIVES[name]

    def flops(width: int) -> float:
        meter = Meter("estimate")
        token = _METER.set(meter)
        try:
            with np.errstate(all="ignore"):
                forward_step(primitive, [_dense(0, 0.5 + 0.1 * i) for i in range(len(active))],
                             [np.full(width, 0.3) if a else None for a in active], meter)
        finally:
            _METER.reset(token)
        return meter.finish().flops

    one, two = flops(1), flops(2)
    return one - (two - one), two - one


def sweep_work(plan: Plan, wrt: tuple[str, ...], order: int, elements: float) -> Work:
    """One forward sweep whose tangents (duals of ``order`` levels) start at the variables in ``wrt``."""
    return plan.memo(("sweep work", tuple(wrt), order), lambda: _sweep_work(plan, tuple(wrt), order)).over(elements)


def _sweep_work(plan: Plan, wrt: tuple[str, ...], order: int) -> Work:
    active = plan.active(wrt)
    variables = {plan.variables[name] for name in wrt if name in plan.variables}
    total = NONE
    for step in plan.steps:
        pattern = tuple(active[a] for a in step.args) if active[step.out] else (False,) * len(step.args)
        seeded = tuple(a in variables for a in step.args) if order >= 2 else ()
        total += _step(step, pattern, order if active[step.out] else 0, seeded)
    return total


def _step(step, pattern: tuple[bool, ...], order: int, seeded: tuple[bool, ...] = ()) -> Work:
    if step.primitive.tensor:  # a tensor primitive's JVP rule: about one application per active argument
        n = 1 + (sum(pattern) if order else 0)
        return Work(n, n * step.primitive.flops)
    return Work(*step_cost(step.primitive.name, pattern, order, seeded if any(seeded) else ()))


def _dependencies(plan: Plan, wrt: tuple[str, ...]) -> list[tuple]:
    """For each step: (step, how many variables of ``wrt`` it depends on, which arguments depend on any)."""
    def make():
        index = {name: k for k, name in enumerate(wrt)}
        depends = [0] * plan.size
        for name, slot in plan.variables.items():
            if name in index:
                depends[slot] = 1 << index[name]
        rows = []
        for step in plan.steps:
            bits = 0
            for a in step.args:
                bits |= depends[a]
            depends[step.out] = bits
            rows.append((step, bits.bit_count(), tuple(depends[a] != 0 for a in step.args)))
        return rows

    return plan.memo(("dependencies", tuple(wrt)), make)


def forward_jacobian_work(plan: Plan, bound: dict, wrt: tuple[str, ...], batch: bool) -> Work:
    """A sweep per variable (a step costs first-order work in the sweeps of the variables it depends on), or
    one sweep with tangents ``len(wrt)`` wide."""
    n = len(wrt)
    total = NONE
    for step, d, pattern in _dependencies(plan, wrt):
        plain = _step(step, (False,) * len(step.args), 0)
        if not d:
            total += plain * (1 if batch else max(n, 1))
            continue
        first = _step(step, pattern, 1)
        if batch and not step.primitive.tensor:  # one application each: partials on the value, products on
            on_value, per_entry = tangent_split(step.primitive.name, pattern)  # n-wide tangents
            total += Work(first.applications, on_value + per_entry * n)
        elif batch:
            total += Work(first.applications, plain.flops + (first.flops - plain.flops) * n)
        else:
            total += plain * (n - d) + first * d
    return total.over(elements_of(plan, bound))


def elements_of(plan: Plan, bound: dict) -> int:
    return points_of(bound, plan.tensor)


def reverse_work(plan: Plan, bound: dict, wrt: tuple[str, ...], backward_sweeps: int) -> Work:
    """A recorded forward sweep and ``backward_sweeps`` backward sweeps (each about a first-order forward
    sweep's partials, multiplications and sums)."""
    elements = elements_of(plan, bound)
    values = sweep_work(plan, (), 0, elements)
    tangents = sweep_work(plan, wrt, 1, elements)
    extra = Work(tangents.applications - values.applications, tangents.flops - values.flops)
    return values + extra * backward_sweeps


def forward_hessian_work(plan: Plan, bound: dict, wrt: tuple[str, ...]) -> Work:
    """Forward-over-forward: a sweep per pair i ≤ j. A step costs second-order work in the sweeps of the pairs
    of variables it depends on, first-order work in those of pairs with one of them, a plain step otherwise."""
    n = len(wrt)
    pairs = n * (n + 1) / 2
    total = NONE
    for step, d, pattern in _dependencies(plan, wrt):
        both, one = d * (d - 1) / 2 + d, d * (n - d)
        total += _step(step, pattern, 2) * both + _step(step, pattern, 1) * one
        total += _step(step, (False,) * len(step.args), 0) * (pairs - both - one)
    return total.over(elements_of(plan, bound))


def check(what: str, work: Work, cheaper: str | None, advice: str) -> None:
    """Refuse ``work`` over ``dk.limits.work_operations``, naming a cheaper way when there is one (then "or
    ``advice``")."""
    check_work(what, work.operations, f"{cheaper}; or {advice}" if cheaper else advice)


def cheaper(text: str, alternative: Work, work: Work) -> str | None:
    """``text`` (another way to do the request) when its work is less than ``work``; None otherwise."""
    return text if alternative.operations < work.operations else None


def reverse_alternative(plan: Plan, bound: dict, wrt: tuple[str, ...], sweeps: int, what: str) -> str:
    """"method='reverse' needs N sweeps: about X operations" for the same request: a Jacobian's backward sweep
    per output, or a Hessian's gradient graph and its ``sweeps`` backward sweeps (about its recorded sweep and
    a gradient's work again, and at least the passes over the graph's own steps)."""
    if what == "the Hessian":
        work = emitting_work(plan, wrt, sweeps) + reverse_jacobian_work(plan, bound, wrt, plan.outputs[:1]) * 2
    else:
        work = reverse_jacobian_work(plan, bound, wrt)
    return f"method='reverse' needs {1 + sweeps} sweeps for {what}: about {work.operations:.2g} operations"


# --- the numeric method -------------------------------------------------------------------------------------------
# Counted as diffkit.methods.numeric does its work (that module sits above this one, so the figures are repeated
# here): evaluations of the whole graph per variable (per entry of a tensor variable) for a first derivative,
# by scheme; the extra ones error_estimate=True takes (a coarser quotient); and the primitive applications
# that form one difference quotient per output entry.
NUMERIC_EVALUATIONS = {"forward": 1, "central": 2, "richardson": 4, "complex": 1}
ERROR_EVALUATIONS = {"forward": 1, "central": 2, "richardson": 0, "complex": 0}
QUOTIENT_OPERATIONS = {"forward": {"sub": 1, "div": 1}, "central": {"sub": 1, "div": 1}, "complex": {"div": 1},
                       "richardson": {"sub": 3, "div": 3, "mul": 1}}


def _quotient(scheme: str, elements: float) -> Work:
    """Forming one difference quotient over ``elements`` entries."""
    counts = QUOTIENT_OPERATIONS[scheme]
    return Work(sum(counts.values()), elements * sum(PRIMITIVES[name].flops * k for name, k in counts.items()))


@dataclass(frozen=True)
class Batching:
    """When the numeric method evaluates a gradient's perturbed points together (``numeric.BATCH_VARIABLES``
    variables or more at ``numeric.BATCH_POINTS`` points or fewer, in chunks of about ``chunk_bytes`` of
    intermediates): then a chunk of evaluations is one application per step, not one per evaluation."""

    variables: int
    points: int
    chunk_bytes: int

    def chunk(self, plan: Plan, points: int) -> int:
        """Evaluations run together in one pass over the plan (as ``numeric._evaluate_together`` chunks them)."""
        return max(1, self.chunk_bytes // (8 * max(1, points) * max(plan.size, 1)))


def numeric_evaluations(verb: str, n: int, scheme: str = "central", error_estimate: bool = False,
                        order: int = 1) -> int:
    """Whole evaluations of the graph a numeric request makes for ``n`` variables (scalar entries)."""
    if verb == "jvp":
        return 3  # the value and one central difference along the direction
    if verb == "hessian" or (verb == "derivative" and order == 2):
        return 2 * n * n + 2  # second differences: 2 per diagonal entry, 4 per pair, and the value twice
    per_variable = NUMERIC_EVALUATIONS[scheme] + (ERROR_EVALUATIONS[scheme] if error_estimate else 0)
    return 1 + per_variable * n


def numeric_work(plan: Plan, bound: dict, verb: str, wrt: tuple[str, ...], scheme: str = "central",
                 error_estimate: bool = False, order: int = 1, batching: Batching | None = None) -> Work:
    """The numeric method's work: its evaluations, each a plain sweep, and its difference quotients.

    With ``batching`` (a scalar graph's first derivatives in many variables at a few points), the perturbed
    points are evaluated a chunk at a time: the flops are the same, the applications one per step per chunk.
    ``Cost`` still meters those evaluations one by one, so its operations are then more than were applied.
    """
    points = elements_of(plan, bound)
    n = sum(int(np.size(bound[name])) for name in wrt) if plan.tensor else len(wrt)
    evaluations = numeric_evaluations(verb, n, scheme, error_estimate, order)
    one = sweep_work(plan, (), 0, points)
    work = one * evaluations
    if verb not in ("hessian", "jvp") and order == 1:
        work += _quotient(scheme, points) * (len(plan.outputs) * n)  # one per output and variable
        if (batching is not None and not plan.tensor and scheme != "complex" and n >= batching.variables
                and points <= batching.points):
            chunks = -(-(evaluations - 1) // batching.chunk(plan, points))
            work = Work(work.applications - one.applications * (evaluations - 1 - chunks), work.flops)
    return work


def check_numeric(verb: str, graph, bound: dict, wrt, *rest, batching: Batching | None = None, **options) -> None:
    """Refuse a numeric request whose evaluations would take more than ``dk.limits.work_operations``.

    Called with a numeric verb's own arguments (``jacobian(graph, bound, wrt, ...)``, ``hessian``,
    ``derivative(graph, bound, wrt, order)``, ``jvp(graph, bound, tangents)``) before it starts."""
    plan = graph.plan
    if verb == "hvp":  # differences of four reverse-mode gradients, and the value
        check("the numeric method's H·v (four reverse-mode gradients)",
              reverse_jacobian_work(plan, bound, tuple(wrt), plan.outputs[:1]) * 4
              + sweep_work(plan, (), 0, elements_of(plan, bound)), None, "differentiate at fewer points")
        return
    order = rest[0] if verb == "derivative" else 1
    if verb == "derivative":
        wrt = (wrt,)
    elif verb == "jvp":
        wrt = tuple(wrt)  # the tangents' variables (a dict): the work does not depend on them
    scheme = options.get("scheme", "central")
    work = numeric_work(plan, bound, verb, tuple(wrt), scheme, bool(options.get("error_estimate")), order,
                        batching)
    n = sum(int(np.size(bound[name])) for name in wrt) if plan.tensor else len(wrt)
    evaluations = numeric_evaluations(verb, n, scheme, bool(options.get("error_estimate")), order)
    second = verb == "hessian" or order == 2
    what = (f"the numeric method's {evaluations:,} evaluations ({'second differences' if second else scheme}, "
            f"{n:,} variable{'s' if n != 1 else ''})")
    cheaper = None
    if verb in ("jacobian", "hessian") and n > 1:
        sweeps = len(plan.outputs) if verb == "jacobian" else n
        cheaper = reverse_alternative(plan, bound, tuple(wrt), sweeps,
                                      "the Jacobian" if verb == "jacobian" else "the Hessian")
    check(what, work, cheaper, "differentiate by fewer variables or at fewer points")
    check_memory(f"the numeric method over {n:,} variable{'s' if n != 1 else ''}",
                 numeric_memory(plan, bound, verb, n, order), "differentiate by fewer variables or at fewer points")


# --- reverse mode -------------------------------------------------------------------------------------------------
# Writing one node of a graph from Python (a gradient graph emitted for a Hessian or a higher derivative, a
# study's function traced): about 20 µs, what 20,000 elementwise operations take (see CALL_OPERATIONS).
BUILD_OPERATIONS = 20_000
# A backward sweep passing over a step its output does not depend on (a Python loop's turn): about 0.3 µs.
VISIT_OPERATIONS = 300


def build_work(nodes: float) -> Work:
    """Writing ``nodes`` graph nodes."""
    return Work(0.0, 0.0, nodes * BUILD_OPERATIONS)


def emitting_work(plan: Plan, wrt: tuple[str, ...], sweeps: int) -> Work:
    """Writing the gradient of ``plan`` as a graph (about a node per node), and a lower bound on what follows:
    ``sweeps`` backward sweeps over the gradient graph, each passing at least over the steps of ``plan`` that
    depend on ``wrt`` (the gradient graph holds them all). Known before the gradient graph is written."""
    active = plan.active(wrt)
    passes = VISIT_OPERATIONS * sweeps * sum(active[step.out] for step in plan.steps)
    return build_work(plan.size) + Work(0.0, 0.0, passes)


def _backward_step(step, pattern: tuple[bool, ...]) -> Work:
    """One step of a backward sweep: about what its first-order tangent work adds to its plain evaluation (its
    partials, their products with the adjoint and the sums)."""
    return _step(step, pattern, 1) - _step(step, (False,) * len(step.args), 0)


def _reach(plan: Plan, outputs: tuple[int, ...], sweeps: tuple[int, ...]) -> list[int]:
    """For each step: how many backward sweeps visit it — those of the ``outputs`` that depend on it, output k
    taking ``sweeps[k]`` of them (a backward sweep from an output visits only the steps it depends on)."""
    def make():
        reach = [0] * plan.size
        for k, slot in enumerate(outputs):
            reach[slot] |= 1 << k
        counts = [0] * len(plan.steps)
        ones = set(sweeps) <= {1}
        for index in range(len(plan.steps) - 1, -1, -1):
            step = plan.steps[index]
            bits = reach[step.out]
            counts[index] = bits.bit_count() if ones else _weighted(bits, sweeps)
            for a in step.args:
                reach[a] |= bits
        return counts

    return plan.memo(("reach", tuple(outputs), tuple(sweeps)), make)


def _weighted(bits: int, weights: tuple[int, ...]) -> int:
    """Σ weights[k] over the bits k set."""
    return sum(weight for k, weight in enumerate(weights) if bits >> k & 1)


def reverse_jacobian_work(plan: Plan, bound: dict, wrt: tuple[str, ...], outputs: tuple[int, ...] | None = None,
                          recorded: bool = True, sweeps: tuple[int, ...] | None = None) -> Work:
    """A recorded forward sweep (``recorded``) and backward sweeps from ``outputs`` (default: all), ``sweeps[k]``
    of them from output k (default one each: a tensor output with more entries takes one per entry), each
    visiting the steps its output depends on and that depend on ``wrt``."""
    outputs = plan.outputs if outputs is None else outputs
    sweeps = (1,) * len(outputs) if sweeps is None else sweeps
    elements = elements_of(plan, bound)
    total = sweep_work(plan, (), 0, elements) if recorded else NONE
    active = plan.active(wrt)
    backward = NONE
    for step, reached in zip(plan.steps, _reach(plan, tuple(outputs), tuple(sweeps)), strict=True):
        if reached and active[step.out]:
            backward += _backward_step(step, tuple(active[a] for a in step.args)) * reached
    # every sweep passes over every step that depends on wrt, whether its output reaches it or not
    passes = Work(0.0, 0.0, VISIT_OPERATIONS * sum(active[step.out] for step in plan.steps) * sum(sweeps))
    return total + backward.over(elements) + passes


def forward_over_reverse_work(plan: Plan, bound: dict, wrt: tuple[str, ...]) -> Work:
    """Per variable v (per entry of a tensor variable): a forward sweep carrying v's tangent, recorded, then a
    backward sweep in dual arithmetic — a first-order backward sweep, plus the tangent parts again on the steps
    that depend on v (there the values, partials and adjoints are dual numbers)."""
    elements = elements_of(plan, bound)
    plain = sweep_work(plan, (), 0, elements)
    if plan.tensor:  # few variables, each with many entries: a sweep per entry
        entries = [int(np.size(bound[name])) for name in wrt]
        tangents = sum((sweep_work(plan, (name,), 1, elements) * k for name, k in zip(wrt, entries, strict=True)),
                       NONE)
    else:  # the tangent sweeps of all variables together, from the steps' dependencies (O(steps), not n·steps)
        entries = [1] * len(wrt)
        tangents = forward_jacobian_work(plan, bound, wrt, False)
    n = sum(entries)
    backward = reverse_jacobian_work(plan, bound, wrt, plan.outputs[:1], recorded=False)
    return tangents * 2 - plain * n + backward * n


def hvp_work(plan: Plan, bound: dict, wrt: tuple[str, ...], over: str = "forward") -> Work:
    """H·v by reverse mode. Forward-over-reverse: one recorded sweep carrying the direction's tangent, then one
    backward sweep in dual arithmetic (the tangent parts again on the steps that depend on ``wrt``).
    Reverse-over-reverse: the gradient graph written, then recorded and swept back once — about two gradients."""
    elements = elements_of(plan, bound)
    backward = reverse_jacobian_work(plan, bound, wrt, plan.outputs[:1], recorded=False)
    if over == "forward":
        plain = sweep_work(plan, (), 0, elements)
        return sweep_work(plan, wrt, 1, elements) * 2 - plain + backward
    return emitting_work(plan, wrt, 1) + reverse_jacobian_work(plan, bound, wrt, plan.outputs[:1]) + backward * 2


def forward_alternative(plan: Plan, bound: dict, wrt: tuple[str, ...]) -> str:
    """"method='forward' needs N sweeps: about X operations" for the same Jacobian."""
    work = forward_jacobian_work(plan, bound, wrt, False)
    sweeps = f"{len(wrt)} sweep{'s' if len(wrt) != 1 else ''}"
    return f"method='forward' needs {sweeps} for the Jacobian: about {work.operations:.2g} operations"


def gradient_work(method: str, plan: Plan, bound: dict, wrt: tuple[str, ...]) -> Work:
    """One gradient (or Jacobian) by ``method``, as its own estimate counts it; symbolic as reverse mode (its
    compiled derivative does at least a gradient's work; compiling it is bounded by its own budgets)."""
    if method == "forward":
        return forward_gradient_work(plan, bound, wrt)
    if method == "numeric":
        return numeric_work(plan, bound, "jacobian", wrt)
    return reverse_jacobian_work(plan, bound, wrt)


def forward_gradient_work(plan: Plan, bound: dict, wrt: tuple[str, ...], batch: bool = False) -> Work:
    """Forward mode's sweeps, one per variable — one per entry of each variable of a tensor graph, or with
    ``batch`` one per variable whose tangents carry all its entries."""
    if not plan.tensor:
        return forward_jacobian_work(plan, bound, wrt, batch)
    elements = elements_of(plan, bound)
    plain = sweep_work(plan, (), 0, elements)
    total = NONE if wrt else plain
    for name in wrt:
        entries = int(np.size(bound[name]))
        tangent = sweep_work(plan, (name,), 1, elements)
        total += Work(tangent.applications, plain.flops + (tangent - plain).flops * entries) if batch \
            else tangent * entries
    return total


# --- memory: the arrays a method holds at its peak, as ``Cost.memory_bytes`` measures them -------------------------

def value_sizes(plan: Plan, bound: dict) -> list[float]:
    """Entries of every slot's value: a tensor graph's shapes propagated through its steps by the primitives'
    shape rules (a step whose shape is not known in advance counts as its largest
    argument), a batch of points' broadcast size otherwise."""
    if not plan.tensor:
        return [float(points_of(bound))] * plan.size
    shapes: list = [None] * plan.size
    for name, slot in plan.variables.items():
        shapes[slot] = np.shape(bound[name]) if name in bound else ()
    for slot, value in plan.constants:
        shapes[slot] = np.shape(value)
    for step in plan.steps:
        arguments = [shapes[a] for a in step.args]
        try:
            shape = step.primitive.out_shape(*arguments, **step.params)
        except (ValueError, IndexError, KeyError, TypeError):  # shapes that do not fit: the method will say so
            shape = None
        shapes[step.out] = shape if shape is not None else max(arguments, key=lambda s: int(np.prod(s)))
    return [float(np.prod(shape)) for shape in shapes]


def forward_memory(plan: Plan, bound: dict, width: int, kept: int) -> float:
    """Forward mode: its live intermediates, each with a value and tangents ``width`` wide, and ``kept`` result
    columns, each one per point (in a tensor graph: ``kept`` entries of Jacobian blocks). The variables' own
    tangents are one-hot seeds, too small to count."""
    intermediates = plan.peak_live() - len(plan.variables) - len(plan.constants)
    points = points_of(bound, plan.tensor)
    if plan.tensor:  # the live intermediates at their own sizes: at most the largest ones, as many as live at once
        every = value_sizes(plan, bound)  # once: it walks the whole plan
        sizes = sorted((every[step.out] for step in plan.steps), reverse=True)
        return 8.0 * (sum(sizes[:max(intermediates, 0)]) * (1 + width) + kept)
    return 8.0 * (points * intermediates * (1 + width) + kept * points)


def reverse_memory(plan: Plan, bound: dict) -> float:
    """Reverse mode: the tape keeps every step's value, and the adjoints can at worst be as many again."""
    if plan.tensor:
        sizes = value_sizes(plan, bound)
        return 16.0 * sum(sizes[step.out] for step in plan.steps)
    return 16.0 * plan.size * points_of(bound, plan.tensor)


def numeric_memory(plan: Plan, bound: dict, verb: str, n: int, order: int = 1) -> float:
    """The numeric method: one evaluation's intermediates (an evaluation keeps them all until it returns), the
    value, and the derivatives kept until the result is assembled (n per output, a Hessian's n × n; each one per
    point, or in a tensor graph one number per output entry)."""
    kept = 1 if verb == "jvp" else n * n if verb == "hessian" or order == 2 else n
    points = points_of(bound, plan.tensor)
    return 8.0 * (points * (len(plan.steps) + 1) + len(plan.outputs) * (kept + 1) * (1 if plan.tensor else points))
