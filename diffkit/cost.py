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
from types import SimpleNamespace

from .graph import GraphBuilder
from .ops import PRIMITIVES, PRIMITIVES_LIST, Primitive


@dataclass
class Cost:
    """The work one method did for one request."""

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

    @property
    def sweeps(self) -> int:
        return self.forward_sweeps + self.backward_sweeps

    @property
    def total_operations(self) -> int:
        return sum(self.operations.values())

    def summary(self) -> str:
        """One line: the figures a reader compares across methods."""
        parts = [f"{self.total_operations} ops", f"{self.flops} flops"]
        if self.evaluations:
            parts.append(f"{self.evaluations} evaluations")
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


def format_bytes(n: int) -> str:
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}"


class Meter:
    """Accumulates a Cost while a method runs; the method reports what it does, the meter adds it up."""

    def __init__(self, method: str):
        self.method = method
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
        p = PRIMITIVES[primitive] if isinstance(primitive, str) else primitive
        self.operations[p.name] += count
        self.flops += p.flops * elements * count

    def ops(self, counts: Counter, elements: int) -> None:
        for name, count in counts.items():
            self.op(name, elements, count)

    def hold(self, nbytes: int) -> None:
        """The method now keeps ``nbytes`` more memory (negative: releases it)."""
        self._held += nbytes
        self._peak = max(self._peak, self._held)

    @property
    def numpy(self) -> SimpleNamespace:
        """The NumPy math namespace, each application recorded on this meter (tensor rules run in it, so their
        matmuls and sums are counted with their real shapes)."""
        if not hasattr(self, "_numpy"):
            self._numpy = SimpleNamespace(**{p.name: self._metered(p) for p in PRIMITIVES_LIST})
        return self._numpy

    def _metered(self, primitive: Primitive):
        def apply(*args, **params):
            out = primitive.numpy(*args, **params)
            self.op(primitive, primitive.work_of(out, args, params))
            return out

        return apply

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
