"""What a differentiation method did: operations by primitive, flops, sweeps or evaluations, memory, seconds.

Counting is derived, not declared: the cost of evaluating a partial rule is found by tracing the rule once
(with graph handles) and counting the primitives it applies; a sweep then records, per step, the primitive
itself, the rules it evaluated and the multiply/add work of combining tangents or adjoints. Partials that are
the constants 0, ±1 cost nothing to form, and a ±1 costs no multiplication (a -1 costs a negation).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from .builder import GraphBuilder
from .limits import work_operations
from .ops import NUMPY, PRIMITIVES, Primitive
from .text import html_table


@dataclass
class Cost:
    """The work one method did for one request: every ``Result`` carries one as ``result.cost``.

    Attributes:
        method: the method that did the work.
        operations: primitive applications by primitive name (``total_operations`` sums them).
        flops: Σ primitive flop weight × elements (a matmul counts 2mnk).
        forward_sweeps: passes over the graph in evaluation order (values, tangents).
        backward_sweeps: passes in reverse order (adjoints).
        evaluations: whole-function evaluations (numeric method; symbolic: calls of the compiled derivative).
        memory_bytes: peak bytes the method held beyond the inputs (tape, tangents, adjoints).
        seconds: wall-clock time of the request.
        details: method-specific figures (symbolic expression sizes, numeric steps, ...).
    """

    method: str
    operations: dict[str, int] = field(default_factory=dict)  # primitive applications, by primitive name
    flops: int = 0  # Σ primitive flop weight × elements
    forward_sweeps: int = 0  # passes over the graph in evaluation order (values, tangents)
    backward_sweeps: int = 0  # passes in reverse order (adjoints)
    evaluations: int = 0  # whole-function evaluations (numeric method; symbolic: compiled-function calls)
    memory_bytes: int = 0  # peak bytes the method held beyond the inputs (tape, tangents, adjoints)
    seconds: float = 0.0
    details: dict = field(default_factory=dict)  # method-specific figures (expression sizes, steps, ...)

    def charge(self, primitive: str, elements: int, count: int = 1) -> None:
        """Add work done after the method finished (e.g. contracting its Jacobian into a product)."""
        if count > 0:
            self.operations[primitive] = self.operations.get(primitive, 0) + count
            self.flops += PRIMITIVES[primitive].flops * elements * count

    def again(self, seconds: float) -> Cost:
        """The same work done again (a repeated request on the same shapes), taking ``seconds`` this time."""
        return Cost(self.method, dict(self.operations), self.flops, self.forward_sweeps, self.backward_sweeps,
                    self.evaluations, self.memory_bytes, seconds, dict(self.details))

    @property
    def sweeps(self) -> int:
        """Passes over the graph in both directions."""
        return self.forward_sweeps + self.backward_sweeps

    @property
    def work_operations(self) -> float:
        """The work done in the units ``dk.limits.work_operations`` bounds: flops plus a call's cost per
        primitive application (what methods estimate before they start)."""
        return work_operations(self.total_operations, self.flops)

    @property
    def total_operations(self) -> int:
        """Primitive applications of every kind."""
        return sum(self.operations.values())

    def summary(self) -> str:
        """One line: the figures a reader compares across methods."""
        parts = [f"{self.total_operations} ops", f"{self.flops} flops"]
        if self.evaluations:
            parts.append(f"{self.evaluations} evaluation{'s' if self.evaluations != 1 else ''}")
        if self.sweeps:
            parts.append(f"{self.forward_sweeps} fwd + {self.backward_sweeps} bwd sweeps")
        parts.append(f"{format_bytes(self.memory_bytes)}")
        parts.append(f"{self.seconds * 1e3:.3g} ms")
        return ", ".join(parts)

    def __str__(self) -> str:
        ops = ", ".join(f"{name} {count}" for name, count in sorted(self.operations.items()))
        lines = [f"{self.method}: {self.summary()}", f"  operations: {ops or 'none'}"]
        lines += [f"  {key}: {value}" for key, value in self.details.items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Jupyter shows a cost as a small table of its figures, operations by primitive and details."""
        ops = ", ".join(f"{name} {count}" for name, count in sorted(self.operations.items()))
        rows = [["operations", f"{self.total_operations} ({ops or 'none'})"], ["flops", str(self.flops)],
                ["sweeps", f"{self.forward_sweeps} fwd + {self.backward_sweeps} bwd"],
                ["evaluations", str(self.evaluations)], ["memory", format_bytes(self.memory_bytes)],
                ["time", f"{self.seconds * 1e3:.3g} ms"], *([key, str(value)] for key, value in self.details.items())]
        return html_table(["", self.method], rows, caption=f"cost of the {self.method} method")


def format_bytes(n: int) -> str:
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}"


class Meter:
    """Accumulates a Cost while a method runs; the method reports what it does, the meter adds it up.

    ``counting=False`` makes every report a no-op, for a request whose work is already known (see
    ``counted_once``); sweeps and evaluations are still counted, and the time is always measured.
    """

    def __init__(self, method: str, counting: bool = True):
        self.method = method
        self.counting = counting
        self._numpy = None
        self.operations: Counter[str] = Counter()
        self.flops = 0
        self.forward_sweeps = 0
        self.backward_sweeps = 0
        self.evaluations = 0
        self.details: dict = {}
        self._held = 0
        self._peak = 0
        self._start = time.perf_counter()

    def op(self, primitive: Primitive | str, elements: int, count: int = 1) -> None:
        """Record ``count`` applications of a primitive over ``elements`` elements each."""
        if not self.counting:
            return
        p = PRIMITIVES[primitive] if isinstance(primitive, str) else primitive
        self.operations[p.name] += count
        self.flops += p.flops * elements * count

    def ops(self, counts: Counter, elements: int) -> None:
        for name, count in counts.items():
            self.op(name, elements, count)

    def add(self, cost: Cost) -> None:
        """Charge the counted work of a request this one made (a gradient inside a numeric H·v): its
        operations, flops and sweeps, and its memory held for the time it ran, then given back."""
        self.forward_sweeps += cost.forward_sweeps  # counted even by a silent meter, as sweeps always are
        self.backward_sweeps += cost.backward_sweeps
        if not self.counting:
            return
        for name, count in cost.operations.items():
            self.operations[name] += count
        self.flops += cost.flops
        self.hold(cost.memory_bytes)
        self.hold(-cost.memory_bytes)

    def hold(self, nbytes: int) -> None:
        """The method now keeps ``nbytes`` more memory (negative: releases it)."""
        if not self.counting:
            return
        self._held += nbytes
        self._peak = max(self._peak, self._held)

    @property
    def numpy(self):
        """The NumPy math namespace, each application recorded on this meter (tensor rules run in it, so their
        matmuls and sums are counted with their real shapes)."""
        if not self.counting:
            return NUMPY
        if self._numpy is None:
            self._numpy = _MeteredNumpy(self)
        return self._numpy

    def finish(self) -> Cost:
        return Cost(
            method=self.method,
            operations=dict(sorted(self.operations.items())),
            flops=int(self.flops),
            forward_sweeps=self.forward_sweeps,
            backward_sweeps=self.backward_sweeps,
            evaluations=self.evaluations,
            memory_bytes=int(self._peak),
            seconds=time.perf_counter() - self._start,
            details=self.details,
        )


class _MeteredNumpy:
    """``meter.numpy``: one metered function per primitive, made when a rule first asks for it."""

    def __init__(self, meter: Meter):
        self._meter = meter

    def __getattr__(self, name: str):
        if name not in PRIMITIVES:
            raise AttributeError(name)
        primitive, meter = PRIMITIVES[name], self._meter

        def apply(*args, **params):
            out = primitive.numpy(*args, **params)
            meter.op(primitive, primitive.work_of(out, args, params))
            return out

        setattr(self, name, apply)
        return apply


_KNOWN_COSTS = 16  # costs remembered per plan (one per distinct set of shapes)


def counted_once(plan, method: str, key: tuple) -> Meter:
    """A meter for a request: counting, unless the same plan already did the same request on the same shapes.

    The work a method does — operations, flops, sweeps, memory — depends only on the graph, the shapes and what
    is differentiated, never on the values, so a repeated request (a training step) need not count it again:
    it runs with a silent meter (no bookkeeping, no shape checks) and ``remember`` reports the cost counted the
    first time, with this request's own time.
    """
    return Meter(method, counting=("cost", method, key) not in plan._cache)


def remember(plan, method: str, key: tuple, meter: Meter) -> Cost:
    """The request's cost: counted now (and kept for next time), or the one counted before, timed anew."""
    entry = ("cost", method, key)
    if not meter.counting:
        return plan._cache[entry].again(time.perf_counter() - meter._start)
    cost = meter.finish()
    costs = [k for k in plan._cache if k[:1] == ("cost",)]
    if len(costs) >= _KNOWN_COSTS:
        del plan._cache[costs[0]]
    plan._cache[entry] = cost.again(cost.seconds)
    return cost


@cache
def rule_operations(name: str, argument: int) -> Counter:
    """Primitive applications needed to evaluate one partial rule, found by tracing it with graph handles."""
    from .trace import Expr, functions  # trace builds on graph; imported here to keep module import light

    primitive = PRIMITIVES[name]
    builder = GraphBuilder(simplify=False)
    args = [Expr(builder, builder.variable(f"a{i}")) for i in range(primitive.arity)]
    out = Expr(builder, builder.variable("out"))
    partial = primitive.partials[argument](functions, out, *args)
    if not isinstance(partial, Expr):
        return Counter()  # a constant partial: nothing to compute
    return Counter(data["op"] for _, data in builder.nx.nodes(data=True) if data["op"] in PRIMITIVES)


def record_partial(meter: Meter, primitive: Primitive, argument: int, elements: int) -> None:
    """Count forming a partial: its rule's operations (none for a rule that returns a constant)."""
    meter.ops(rule_operations(primitive.name, argument), elements)
