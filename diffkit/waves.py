"""Waves: a graph of many scalar nodes run as a few NumPy calls instead of one Python step per node.

The steps of one primitive at one level (the longest path from the inputs) do not depend on each other, so they
run as one NumPy call over gathered slots: ``values[outs] = primitive(values[args₀], values[args₁])``. The
backward sweep visits the same waves last level first and scatters each wave's contributions into the adjoints
with a sum over fan-out (``np.bincount``), which is complete for a node before any wave reads it, because every
user of a node sits at a higher level.

A Python loop's ``total = total + term`` is a chain n levels deep, which no wave can batch: compilation first
flattens each left-leaning chain of single-use additions into one n-ary sum, evaluated left to right
(``np.add.accumulate``), so it rounds exactly as the chain does; its terms then form a few wide levels.

Waves are a strategy, not a method: they serve one point of scalar variables (every value a float64 scalar) in
a graph of elementwise primitives, and they change no reported work figure (the cost is counted from the
step-by-step sweep the first time a request is seen). Two things differ from that sweep: the order in which
fan-out contributions are summed (by rounding), and the memory really held — three float vectors of the plan's
size (values, adjoints, one scatter buffer), about 2.5× the counted figure, which the cost does not show yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from . import domain
from .ops import NUMPY, is_constant
from .plan import Plan

# Below this many steps a plan runs step by step: a wave's NumPy calls cost more than a few Python steps.
MIN_STEPS = 64
MIN_WIDTH = 8  # steps per wave, on average, below which waves cost more than they save
_SUM = "sum of terms"  # the n-ary sum a flattened chain of additions becomes


@dataclass(frozen=True)
class Wave:
    """Steps of one primitive at one level: output slots and, per argument position, the argument slots."""

    primitive: object  # a Primitive, or None for flattened sums
    outs: np.ndarray
    args: tuple[np.ndarray, ...]  # flattened sums: each sum's terms' slots, left to right


@dataclass(frozen=True)
class Waves:
    """A plan as waves, in level order, and its backward programme per ``wrt``."""

    size: int
    variables: np.ndarray  # slots, in plan.variables order
    constants: np.ndarray
    constant_values: np.ndarray
    forward: tuple[Wave, ...]
    outputs: tuple[int, ...]


@dataclass(frozen=True)
class BackwardWave:
    """A wave's steps that depend on the variables differentiated by, and per argument position the members
    whose argument does too (only those get a partial: a partial towards a constant may not even be finite)."""

    primitive: object
    outs: np.ndarray
    positions: tuple[tuple[int, np.ndarray, tuple[np.ndarray, ...], np.ndarray], ...]  # (i, members, args, slots)


def applies(plan: Plan) -> bool:
    """Can (and should) this plan run as waves? Elementwise primitives only, enough steps, and waves wide
    enough on average that a gathered NumPy call does the work of several Python steps (a deep chain of
    one-node levels runs faster step by step)."""
    if plan.tensor or len(plan.steps) < MIN_STEPS:
        return False
    return len(plan.steps) >= MIN_WIDTH * len(plan.memo(("waves",), lambda: compile_waves(plan)).forward)


def compile_waves(plan: Plan) -> Waves:
    """Group a plan's steps into waves, flattening chains of additions first."""
    uses = defaultdict(int)
    for step in plan.steps:
        for a in step.args:
            uses[a] += 1
    for slot in plan.outputs:
        uses[slot] += 1  # an output's value is read: it cannot be folded into a bigger sum
    by_out = {step.out: step for step in plan.steps}

    def chained(slot: int) -> bool:
        step = by_out.get(slot)
        return step is not None and step.primitive.name == "add" and uses[slot] == 1

    folded = {step.args[0] for step in plan.steps if step.primitive.name == "add" and chained(step.args[0])}
    level = [0] * plan.size
    groups: dict[tuple, list] = defaultdict(list)
    for step in plan.steps:
        if step.out in folded:
            continue  # an inner link of a chain: computed inside its chain's sum
        if step.primitive.name == "add" and step.args[0] in folded:
            terms, link = [step.args[1]], step.args[0]
            while link in folded:  # walk down the left-leaning chain
                inner = by_out[link]
                terms.append(inner.args[1])
                link = inner.args[0]
            terms.append(link)
            terms.reverse()  # left to right, the order the chain adds them
            level[step.out] = 1 + max(level[t] for t in terms)
            groups[(level[step.out], _SUM)].append((step.out, tuple(terms)))
        else:
            level[step.out] = 1 + max((level[a] for a in step.args), default=0)
            groups[(level[step.out], step.primitive.name)].append(step)
    waves = []
    for (_, name), members in sorted(groups.items(), key=lambda item: item[0]):
        if name == _SUM:
            outs = np.array([out for out, _ in members], dtype=np.intp)
            waves.append(Wave(None, outs, tuple(np.array(terms, dtype=np.intp) for _, terms in members)))
        else:
            primitive = members[0].primitive
            outs = np.array([s.out for s in members], dtype=np.intp)
            args = tuple(np.array([s.args[i] for s in members], dtype=np.intp) for i in range(primitive.arity))
            waves.append(Wave(primitive, outs, args))
    constants = np.array([slot for slot, _ in plan.constants], dtype=np.intp)
    values = np.array([float(value) for _, value in plan.constants], dtype=np.float64)
    return Waves(plan.size, np.array(list(plan.variables.values()), dtype=np.intp), constants, values,
                 tuple(waves), plan.outputs)


def backward_waves(waves: Waves, active: list[bool]) -> tuple[BackwardWave, ...]:
    """The waves a backward sweep visits, last first, restricted to what depends on the active slots."""
    is_active = np.array(active, dtype=bool)
    program = []
    for wave in reversed(waves.forward):
        if wave.primitive is None:
            program.append(BackwardWave(None, wave.outs, tuple((0, None, (), terms) for terms in wave.args)))
            continue
        live = is_active[wave.outs]
        if not live.any():
            continue
        differentiable = wave.primitive.differentiable or (True,) * wave.primitive.arity
        positions = []
        for i, slots in enumerate(wave.args):
            members = np.flatnonzero(live & is_active[slots]) if differentiable[i] else np.array([], dtype=np.intp)
            if len(members):
                positions.append((i, members, tuple(a[members] for a in wave.args), slots[members]))
        program.append(BackwardWave(wave.primitive, wave.outs, tuple(positions)))
    return tuple(program)


def run_forward(waves: Waves, point: np.ndarray) -> np.ndarray:
    """Every slot's value, given the variables' values (one float each, in ``plan.variables`` order)."""
    values = np.empty(waves.size)
    values[waves.variables] = point
    values[waves.constants] = waves.constant_values
    watch = domain.current()
    for wave in waves.forward:
        if watch is not None:
            watch.where = "add" if wave.primitive is None else wave.primitive.name
        if wave.primitive is None:
            for out, terms in zip(wave.outs, wave.args, strict=True):
                values[out] = np.add.accumulate(values[terms])[-1]  # left to right, as the chain rounds
        else:
            values[wave.outs] = wave.primitive.numpy(*(values[a] for a in wave.args))
    return values


def run_backward(waves: Waves, program: tuple[BackwardWave, ...], values: np.ndarray, seed_slot: int) -> np.ndarray:
    """Every slot's adjoint of one output (seeded 1), the waves visited last level first."""
    adjoints = np.zeros(waves.size)
    adjoints[seed_slot] = 1.0
    watch = domain.current()
    for wave in program:
        if wave.primitive is None:  # a sum passes its adjoint to every term unchanged
            for out, (_, _, _, terms) in zip(wave.outs, wave.positions, strict=True):
                adjoints += np.bincount(terms, weights=np.full(len(terms), adjoints[out]), minlength=waves.size)
            continue
        primitive = wave.primitive
        if watch is not None:
            watch.where = primitive.derivative_label
        for i, members, args, slots in wave.positions:
            outs = wave.outs[members]
            partial = primitive.partials[i](NUMPY, values[outs], *(values[a] for a in args))
            if is_constant(partial, 0):
                continue
            g = adjoints[outs]
            contribution = g if is_constant(partial, 1) else -g if is_constant(partial, -1) else g * partial
            adjoints += np.bincount(slots, weights=np.broadcast_to(contribution, slots.shape), minlength=waves.size)
    return adjoints
