"""Compilation: a graph's nodes flattened once into a ``Plan`` of integer slots and steps in topological order.

A plan is what every engine executes; it also answers the questions sweeps ask again and again (which slots
depend on the variables differentiated by, when each value is last used), once per plan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from .errors import BindingError
from .ops import PRIMITIVES, Primitive

# The kinds of leaf node; every other node's ``op`` is a primitive's name.
VAR = "var"
CONST = "const"

def natural_key(name: str):
    """Sort key putting x2 before x10 (digit runs compared by length, then text: no int() of huge runs)."""
    return [(len(part.lstrip("0")), part.lstrip("0")) if part.isdigit() else (-1, part)
            for part in re.split(r"(\d+)", name)]


@dataclass(frozen=True)
class Step:
    """One primitive application in a plan: ``slots[out] = primitive(*slots[args], **params)``."""

    node: str
    primitive: Primitive
    out: int
    args: tuple[int, ...]
    params: dict = field(default_factory=dict, compare=False)

    def check_shapes(self, values: Sequence) -> None:
        """Refuse arguments whose shapes do not fit the primitive, naming the node (before NumPy does)."""
        message = self.primitive.check(*values, **self.params) if self.primitive.check is not None else None
        if message is not None:
            raise BindingError(f"{self.primitive.name} at node {self.node}: {message}")

    def failed(self, values: Sequence, exc: Exception) -> BindingError:
        shapes = ", ".join(str(np.shape(v)) for v in values)
        return BindingError(f"{self.primitive.name} at node {self.node} cannot combine arguments of shapes "
                            f"{shapes}: {exc}")


@dataclass(frozen=True)
class Plan:
    """A graph flattened for execution: slots hold values, steps fill them in topological order."""

    nodes: tuple[str, ...]  # node id of each slot
    variables: dict[str, int]  # variable name -> slot
    constants: tuple[tuple[int, float], ...]  # (slot, value)
    steps: tuple[Step, ...]
    outputs: tuple[int, ...]
    # Analyses that sweeps ask for again and again (once per sweep), computed once per plan.
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def size(self) -> int:
        return len(self.nodes)

    # Does the plan use tensor primitives (or constant arrays)? Then its arrays are tensors, not batches of
    # points. Set once: the sweeps ask at every step.
    tensor: bool = field(init=False, default=False)

    def __post_init__(self):
        tensor = any(step.primitive.tensor for step in self.steps) or any(
            isinstance(value, np.ndarray) for _, value in self.constants)
        object.__setattr__(self, "tensor", tensor)

    def memo(self, key: tuple, make):
        """What ``make()`` returns, worked out once per plan and ``key`` (an analysis, a strategy's tables)."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def active(self, wrt: Iterable[str]) -> list[bool]:
        """For each slot: does it depend on one of the variables in ``wrt``? Only these need derivatives."""
        key = ("active", tuple(wrt))
        if key not in self._cache:
            self._cache[key] = self._active(key[1])
        return self._cache[key]

    def backward_program(self, wrt: tuple[str, ...]) -> tuple:
        """The steps a backward sweep for ``wrt`` visits, last first: (step, arguments to send adjoints to as
        (position, slot) pairs, release the step's adjoint afterwards?). Worked out once per ``wrt``."""
        key = ("backward", tuple(wrt))
        if key not in self._cache:
            active, outputs = self.active(wrt), set(self.outputs)
            program = []
            for step in reversed(self.steps):
                if not active[step.out]:
                    continue
                differentiable = step.primitive.differentiable or (True,) * len(step.args)
                targets = tuple((i, a) for i, a in enumerate(step.args) if active[a] and differentiable[i])
                program.append((step, targets, step.out not in outputs))
            self._cache[key] = tuple(program)
        return self._cache[key]

    def _active(self, wrt: tuple[str, ...]) -> list[bool]:
        active = [False] * self.size
        for name in wrt:
            if name in self.variables:
                active[self.variables[name]] = True
        for step in self.steps:
            active[step.out] = any(active[a] for a in step.args)
        return active

    def peak_live(self) -> int:
        """The most slots alive at once when each is released after its last use (forward mode's working set)."""
        return self.memo(("peak live",), self._peak_live)

    def _peak_live(self) -> int:
        last = self.last_use()
        variables = set(self.variables.values())  # (a set: `in dict.values()` made this quadratic)
        live = len(self.variables) + len(self.constants)
        peak = live
        for index, step in enumerate(self.steps):
            live += 1
            peak = max(peak, live)
            live -= sum(1 for a in set(step.args) if last[a] == index and a not in variables)
        return peak

    def last_use(self) -> list[int]:
        """For each slot, the index of the last step reading it (-1: none; outputs live to the end)."""
        if "last_use" not in self._cache:
            self._cache["last_use"] = self._last_use()
        return self._cache["last_use"]

    def _last_use(self) -> list[int]:
        last = [-1] * self.size
        for index, step in enumerate(self.steps):
            for a in step.args:
                last[a] = index
        for slot in self.outputs:
            last[slot] = len(self.steps)
        return last


def compile_plan(graph: nx.DiGraph, outputs: Sequence[str]) -> Plan:
    """The plan of the nodes the outputs depend on, variables in natural order (x2 before x10)."""
    order = topological_order(graph, ancestors_of_all(graph, outputs))
    slot = {node: i for i, node in enumerate(order)}
    variables, constants, steps = {}, [], []
    attributes = graph._node  # the node dicts themselves: ``graph.nodes[n]`` builds a view per call
    for node in order:
        data = attributes[node]
        op = data["op"]
        if op == VAR:
            variables[node] = slot[node]
        elif op == CONST:
            constants.append((slot[node], data["value"]))
        else:
            params = data.get("params")
            steps.append(Step(node, PRIMITIVES[op], slot[node], tuple([slot[a] for a in data["args"]]),
                              dict(params) if params else {}))
    ordered_vars = {name: variables[name] for name in sorted(variables, key=natural_key)}
    return Plan(tuple(order), ordered_vars, tuple(constants), tuple(steps), tuple(slot[o] for o in outputs))


def topological_order(graph: nx.DiGraph, needed: set) -> list:
    """The ``needed`` nodes (a set closed under predecessors) in the order ``nx.topological_sort`` gives them.

    The same algorithm (Kahn's, generation by generation, sources in insertion order), run over the graph's
    adjacency dicts and only the needed nodes: networkx's generic generator took a third of compiling a
    500,000-node graph. The order is networkx's exactly, so every plan (and every memory figure, which follows
    the order of the steps) is unchanged. A needed node's predecessors are all needed, so leaving the others
    out changes no needed node's generation or place in it.
    """
    successors, predecessors = graph._succ, graph._pred
    waiting = {}  # node -> predecessors not yet placed
    generation = []
    for node in graph._node:  # insertion order, as networkx visits the sources
        if node in needed:
            count = len(predecessors[node])
            if count:
                waiting[node] = count
            else:
                generation.append(node)
    order = []
    while generation:
        order.extend(generation)
        following = []
        for node in generation:
            for child in successors[node]:
                if child in waiting:
                    waiting[child] -= 1
                    if not waiting[child]:
                        following.append(child)
                        del waiting[child]
        generation = following
    if waiting:
        raise nx.NetworkXUnfeasible("the graph has a cycle: a computation graph must be acyclic")
    return order


def ancestors_of_all(graph: nx.DiGraph, outputs) -> set:
    """Every node some output depends on (outputs included), in one iterative search from all of them."""
    predecessors = graph._pred
    needed = set(outputs)
    stack = list(needed)
    while stack:
        for arg in predecessors[stack.pop()]:
            if arg not in needed:
                needed.add(arg)
                stack.append(arg)
    return needed
