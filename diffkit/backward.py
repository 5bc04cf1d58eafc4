"""The backward walker: one reverse sweep over a plan, serving every use of reverse mode.

Each node holds its adjoint v̄ = Σ over the nodes j that use it of v̄ⱼ · ∂vⱼ/∂v, and a step sends v̄ · ∂v/∂argᵢ
to each argument — message passing with only local partials. What the adjoints *are* is the algebra's business:

* ``Adjoints`` — NumPy arrays (or dual numbers, for forward-over-reverse): gradients, and pictures of the sweep;
* a metered algebra (``methods.reverse``) — the same arithmetic, reporting operations and memory to a Meter;
* an emitting algebra (``methods.reverse``) — graph handles: the sweep writes its gradient as a new graph.

The walker itself never counts, never draws and never builds: it visits ``plan.backward_program(wrt)``, asks the
algebra for each contribution, accumulates, releases spent adjoints and calls ``on_step`` for snapshots.
"""

from __future__ import annotations

from collections.abc import Callable

from . import domain
from .ops import NUMPY, is_constant
from .plan import Plan
from .tensor_ops import shape_of


class Adjoints:
    """How adjoints combine with local partials: NumPy arithmetic (``rules``: the namespace the partial rules
    run in, ``NUMPY`` or dual arithmetic). Subclasses meter the work or emit graph nodes; the hooks ``kept``
    and ``spent`` say when an adjoint starts and stops being held (for memory accounting)."""

    def __init__(self, tensor: bool, rules=NUMPY):
        self.tensor = tensor  # a tensor graph: contributions to broadcast arguments are summed back
        self.rules = rules

    def contribution(self, step, i: int, g, out, args: list):
        """ḡ·∂out/∂argsᵢ summed back to the argument's shape; None where the partial is the structural 0."""
        primitive = step.primitive
        if primitive.tensor:
            return primitive.vjp(self.tensor_rules(), g, out, args, i, **step.params)
        partial = primitive.partials[i](self.rules, out, *args)
        if is_constant(partial, 0):
            return None
        self.formed(primitive, i, out)
        if is_constant(partial, 1):  # structural ±1: no multiplication
            contribution = g
        elif is_constant(partial, -1):
            contribution = self.negate(g)
        else:
            contribution = self.multiply(g, partial)
        return self.summed_back(contribution, args[i])

    def tensor_rules(self):
        """The namespace a tensor primitive's vector-Jacobian product runs in."""
        return self.rules

    def formed(self, primitive, i: int, out) -> None:
        """A (non-constant) partial rule was evaluated."""

    def negate(self, g):
        return -g

    def multiply(self, g, partial):
        return g * partial

    def summed_back(self, contribution, arg):
        if self.tensor and shape_of(contribution) != shape_of(arg):
            return self.tensor_rules().sum_like(contribution, arg)
        return contribution

    def accumulate(self, previous, contribution):
        """A second (third, …) contribution to the same adjoint (fan-out)."""
        return previous + contribution

    def kept(self, adjoint) -> None:
        """The sweep now holds this adjoint."""

    def spent(self, adjoint) -> None:
        """The sweep no longer holds this adjoint."""


def backward(plan: Plan, values: list, seeds: dict, wrt: tuple[str, ...], algebra: Adjoints,
             keep_all: bool = False, on_step: Callable | None = None) -> list:
    """One backward sweep from the output adjoints ``seeds`` ({slot: adjoint}).

    Returns each ``wrt`` variable's adjoint (None: no dependence), or with ``keep_all=True`` every slot's adjoint
    (none released: what pictures of the sweep show). ``on_step(step, adjoints, passed)`` is called after each
    step that had an adjoint to pass on; ``passed`` lists the (position, slot) pairs that received something.
    """
    adjoints: list = [None] * plan.size
    for slot, seed in seeds.items():
        adjoints[slot] = seed
        algebra.kept(seed)
    watch = domain.current()
    for step, targets, release in plan.backward_program(wrt):
        g = adjoints[step.out]
        if g is None:
            continue
        args = [values[a] for a in step.args]
        out = values[step.out]
        if watch is not None:
            watch.where = step.primitive.derivative_label  # its derivative rule, and the adjoint products
        passed = []
        for i, a in targets:
            contribution = algebra.contribution(step, i, g, out, args)
            if contribution is None:
                continue
            previous = adjoints[a]
            if previous is None:
                adjoints[a] = contribution
                algebra.kept(contribution)
            else:
                adjoints[a] = algebra.accumulate(previous, contribution)
                algebra.kept(adjoints[a])
                algebra.spent(previous)
            passed.append((i, a))
        if on_step is not None:
            on_step(step, adjoints, passed)
        if release and not keep_all:  # an intermediate's adjoint is spent once passed on
            algebra.spent(g)
            adjoints[step.out] = None
    if keep_all:
        return adjoints
    return [adjoints[plan.variables[name]] if name in plan.variables else None for name in wrt]


__all__ = ["Adjoints", "backward"]
