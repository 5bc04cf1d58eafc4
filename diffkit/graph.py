"""The computation graph: a networkx DAG of primitive applications, and its compiled execution plan.

Nodes are variables (id = the variable's name), constants (``c0``, ``c1``, ...) and primitive applications
(``v0``, ``v1``, ...). Each application keeps its ordered argument tuple, because a plain ``DiGraph`` keeps a
single edge for ``x*x`` and cannot tell ``x-y`` from ``y-x``; walks therefore loop over arguments, never over
predecessors. Identical subexpressions are one node (hash-consing), so shared work is visible and done once.

networkx holds the structure (analysis, drawing, DOT text); a ``Plan`` — a flat list of steps over integer
slots, compiled once — is what the engines execute.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np
import sympy as sp

from . import domain
from .errors import BindingError, ConversionError, ResourceError
from .limits import check_memory, limits
from .names import by_name
from .ops import CONSTANTS, PRIMITIVES, SYMPY_CONSTANTS, Primitive, is_constant

VAR = "var"
CONST = "const"
_INTERNAL_ID = re.compile(r"([vc])(\d+)")


def natural_key(name: str):
    """Sort key putting x2 before x10 (digit runs compared by length, then text: no int() of huge runs)."""
    return [(len(part.lstrip("0")), part.lstrip("0")) if part.isdigit() else (-1, part)
            for part in re.split(r"(\d+)", name)]


def constant_label(value: float) -> str:
    """How a constant is shown: 2 not 2.0, pi and e by name."""
    for name, known in CONSTANTS.items():
        if value == known:
            return name
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


class GraphBuilder:
    """Adds nodes to a DiGraph with hash-consing: asking for an existing (op, args) returns the existing node.

    With ``simplify=True`` (used when diffkit writes graphs itself, e.g. reverse mode's adjoint graph) it folds
    constants and drops algebraic no-ops (``x*1``, ``x+0``, ``x*0``), so emitted graphs hold only real work.
    Parsing uses ``simplify=False``: the graph of ``2*3*x`` is the expression as written.
    """

    def __init__(self, simplify: bool = False, base: Graph | None = None, reserved: Iterable[str] = ()):
        self.simplify = simplify
        self.nx = nx.DiGraph()
        self._keys: dict[tuple, str] = {}
        self._reserved = set(reserved)
        self._counters = {"v": 0, "c": 0}
        if base is not None:
            self._adopt(base)

    def _adopt(self, graph: Graph) -> None:
        """Start from a copy of an existing graph, so new nodes share its subexpressions."""
        self.nx = graph.nx.copy()
        self._reserved |= set(graph.variables)
        for node, data in self.nx.nodes(data=True):
            self._keys[self._key_of(node, data)] = node
            match = _INTERNAL_ID.fullmatch(node)
            if match and data["op"] != VAR:
                kind, number = match.groups()
                self._counters[kind] = max(self._counters[kind], int(number) + 1)

    @staticmethod
    def _key_of(node: str, data: dict) -> tuple:
        if data["op"] == VAR:
            return (VAR, node)
        if data["op"] == CONST:
            value = data["value"]
            return (CONST, value.shape, value.tobytes()) if isinstance(value, np.ndarray) else (CONST, value)
        return (data["op"], data["args"], data.get("params", ()))

    def _new_id(self, kind: str) -> str:
        if self.nx.number_of_nodes() >= limits.graph_nodes:
            raise ResourceError(
                f"the graph reached {limits.graph_nodes:,} nodes (dk.limits.graph_nodes); build a smaller one"
            )
        while True:
            node = f"{kind}{self._counters[kind]}"
            self._counters[kind] += 1
            if node not in self._reserved and node not in self.nx:
                return node

    def variable(self, name: str) -> str:
        key = (VAR, name)
        if key not in self._keys:
            if name in self.nx:
                raise ConversionError(f"variable name {name!r} clashes with an internal node id")
            self.nx.add_node(name, op=VAR, label=name)
            self._keys[key] = name
        return self._keys[key]

    def constant(self, value) -> str:
        if np.ndim(value) > 0:
            return self._array_constant(value)
        value = float(value)
        if value == 0.0:
            value = 0.0  # one node for 0.0 and -0.0
        key = (CONST, value)
        if key not in self._keys:
            node = self._new_id("c")
            self.nx.add_node(node, op=CONST, value=value, label=constant_label(value))
            self._keys[key] = node
        return self._keys[key]

    def _array_constant(self, value) -> str:
        """A constant array (a mask, fixed weights): our own read-only copy, one node per distinct array."""
        array = _frozen(value, "a constant")
        key = (CONST, array.shape, array.tobytes())
        if key not in self._keys:
            node = self._new_id("c")
            self.nx.add_node(node, op=CONST, value=array, label=f"array{array.shape}")
            self._keys[key] = node
        return self._keys[key]

    def value_of(self, node: str) -> float | None:
        """The number a node stands for, if it is a scalar constant (arrays are not folded)."""
        data = self.nx.nodes[node]
        if data["op"] != CONST or isinstance(data["value"], np.ndarray):
            return None
        return data["value"]

    def apply(self, primitive: Primitive, *args: str, **params) -> str:
        if len(args) != primitive.arity:
            raise ConversionError(f"{primitive.name} takes {primitive.arity} argument(s), got {len(args)}")
        frozen = freeze_params(primitive, params)
        if self.simplify and not primitive.tensor:
            shortcut = self._shortcut(primitive.name, args)
            if shortcut is not None:
                return shortcut
        key = (primitive.name, tuple(args), frozen)
        if key not in self._keys:
            node = self._new_id("v")
            # operators are labelled by their symbol, except negation, whose "-" would read as subtraction
            label = primitive.name if primitive.name == "neg" else (primitive.infix or primitive.name)
            attributes = {"params": frozen} if frozen else {}
            self.nx.add_node(node, op=primitive.name, label=label, args=tuple(args), **attributes)
            for position, arg in enumerate(args):
                if self.nx.has_edge(arg, node):
                    self.nx.edges[arg, node]["positions"] += (position,)
                else:
                    self.nx.add_edge(arg, node, positions=(position,))
            self._keys[key] = node
        return self._keys[key]

    def _shortcut(self, name: str, args: tuple[str, ...]) -> str | None:
        """Constant folding and algebraic identities; None when the node must really be built."""
        values = [self.value_of(a) for a in args]
        if all(v is not None for v in values):
            with np.errstate(all="ignore"):
                folded = float(PRIMITIVES[name].numpy(*[np.float64(v) for v in values]))
            if np.isfinite(folded):
                return self.constant(folded)
            return None
        a = args[0]
        b = args[1] if len(args) > 1 else None
        va = values[0]
        vb = values[1] if len(values) > 1 else None
        neg = PRIMITIVES["neg"]
        if name == "add":
            if va == 0:
                return b
            if vb == 0:
                return a
        elif name == "sub":
            if vb == 0:
                return a
            if va == 0:
                return self.apply(neg, b)
        elif name == "mul":
            if va == 0 or vb == 0:
                return self.constant(0.0)
            if va == 1:
                return b
            if vb == 1:
                return a
            if va == -1:
                return self.apply(neg, b)
            if vb == -1:
                return self.apply(neg, a)
        elif name == "div":
            if vb == 1:
                return a
            if va == 0:
                return self.constant(0.0)
        elif name == "neg":
            data = self.nx.nodes[a]
            if data["op"] == "neg":
                return data["args"][0]
        elif name == "pow":
            if vb == 1:
                return a
            if vb == 0:
                return self.constant(1.0)
        return None

    def finish(
        self, outputs: Sequence[str], names: Sequence[str] | None = None, variables: Sequence[str] | None = None,
        data: Mapping[str, np.ndarray] | None = None,
    ) -> Graph:
        return Graph(self.nx, tuple(outputs), names, variables, data)


def freeze_params(primitive: Primitive, params: dict) -> tuple:
    """A node's keyword parameters checked and made hashable: ((name, value), ...) in a fixed order."""
    unknown = sorted(set(params) - set(primitive.params))
    if unknown:
        takes = ", ".join(primitive.params) or "no keyword parameters"
        raise ConversionError(f"{primitive.name} does not take {', '.join(unknown)} (it takes {takes})")
    frozen = []
    for name in primitive.params:
        if name not in params:
            continue
        value = params[name]
        if name == "axis":
            value = _whole_numbers(value, "axis", allow_none=True)
        elif name == "shape":
            value = _whole_numbers(value, "shape", allow_none=False)
            value = value if isinstance(value, tuple) else (value,)
        elif name == "mean":
            if not isinstance(value, bool | np.bool_):
                raise ConversionError(f"{primitive.name}: mean must be True or False, got {value!r}")
            value = bool(value)
        frozen.append((name, value))
    return tuple(frozen)


def _whole_numbers(value, what: str, allow_none: bool):
    """None, an int, or a tuple of ints, as plain Python values."""
    if value is None and allow_none:
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, tuple | list) and all(
        isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_) for v in value
    ):
        return tuple(int(v) for v in value)
    raise ConversionError(f"{what} must be {'None, ' if allow_none else ''}an integer or a tuple of integers, "
                          f"got {value!r}")


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
        last = self.last_use()
        live = len(self.variables) + len(self.constants)
        peak = live
        for index, step in enumerate(self.steps):
            live += 1
            peak = max(peak, live)
            live -= sum(1 for a in set(step.args) if last[a] == index and a not in self.variables.values())
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


def points_of(bound: Mapping[str, np.ndarray], tensor: bool = False) -> int:
    """How many points a binding describes (the size of the broadcast batch). For the tensors of a tensor
    graph, whose shapes need not broadcast, the largest one's size: a rough per-value figure for memory checks."""
    if not bound:
        return 1
    if tensor:
        return max(np.asarray(v).size for v in bound.values())
    try:
        return int(np.prod(np.broadcast_shapes(*(np.shape(v) for v in bound.values()))))
    except ValueError:
        return max(int(np.size(v)) for v in bound.values())


class Graph:
    """A computation DAG with one or more outputs. ``g.nx`` is the underlying ``networkx.DiGraph``.

    Attributes:
        nx: the ``networkx.DiGraph``: nodes are variables (id = name), constants (``c0``, …) and applications
            (``v0``, …) with attributes ``op``, ``label``, ``value`` (constants) and ``args`` (ordered arguments).
        outputs: the output nodes' ids, in order.
        output_names: a name per output (``y`` for a parsed expression, ``dy/dx1``, … for a gradient graph).
        data: variables fixed to arrays (``with_data``): not differentiated by, not passed by callers.
    """

    def __init__(
        self,
        graph: nx.DiGraph,
        outputs: Sequence[str],
        output_names: Sequence[str] | None = None,
        variables: Sequence[str] | None = None,
        data: Mapping[str, np.ndarray] | None = None,
    ):
        if not outputs:
            raise ConversionError("a graph needs at least one output")
        self.nx = graph
        self.outputs = tuple(outputs)
        for node in self.outputs:
            if node not in graph:
                raise ConversionError(f"output {node!r} is not a node of the graph")
        self.output_names = tuple(output_names) if output_names else tuple(f"y{i}" for i in range(len(outputs)))
        # Declared variables (a traced function's parameters, an original graph's variables for its gradient
        # graph) stay variables even where the outputs do not depend on them.
        self._declared = tuple(variables) if variables is not None else None
        # Data: variables held fixed at given arrays (an MLP loss graph's inputs and targets). They are not
        # variables of the graph any more: nothing differentiates by them and callers do not pass them.
        self.data = {name: _frozen(value, name) for name, value in (data or {}).items()}
        for name in self.data:
            if self.nx.nodes.get(name, {}).get("op") != VAR:
                raise ConversionError(f"data {name!r} is not a variable of the graph")

    def with_data(self, **data) -> Graph:
        """The same graph with some variables fixed to arrays (e.g. a loss graph at one batch of data)."""
        unknown = [name for name in data if name not in self.variables]
        if unknown:
            raise BindingError(f"cannot fix {', '.join(unknown)}: not variables of the graph "
                               f"(its variables: {', '.join(self.variables) or 'none'})")
        kept = [name for name in self.variables if name not in data]
        graph = Graph(self.nx, self.outputs, self.output_names, kept, {**self.data, **data})
        graph.__dict__["plan"] = self.plan  # same structure: share the compiled plan
        return graph

    def output(self, which: int | str = 0) -> Graph:
        """One output as a graph of its own, by position or name — e.g. one entry of a gradient graph, to
        differentiate again. The variables stay the same."""
        if isinstance(which, str):
            if which not in self.output_names:
                raise BindingError(f"no output named {which!r}; the outputs are {', '.join(self.output_names)}")
            which = self.output_names.index(which)
        count = len(self.outputs)
        if isinstance(which, bool) or not isinstance(which, numbers.Integral) or not -count <= which < count:
            raise BindingError(f"output must be a name or a position from 0 to {count - 1}, got {which!r}")
        i = int(which) % count
        return Graph(self.nx, self.outputs[i:i + 1], self.output_names[i:i + 1], self.variables, self.data)

    # --- structure ------------------------------------------------------------------------------------------

    @cached_property
    def plan(self) -> Plan:
        """The execution plan over the nodes the outputs depend on (compiled once)."""
        needed = _ancestors_of_all(self.nx, self.outputs)
        order = [n for n in nx.topological_sort(self.nx) if n in needed]
        slot = {node: i for i, node in enumerate(order)}
        variables, constants, steps = {}, [], []
        for node in order:
            data = self.nx.nodes[node]
            if data["op"] == VAR:
                variables[node] = slot[node]
            elif data["op"] == CONST:
                constants.append((slot[node], data["value"]))
            else:
                steps.append(Step(node, PRIMITIVES[data["op"]], slot[node], tuple(slot[a] for a in data["args"]),
                                  dict(data.get("params", ()))))
        ordered_vars = {name: variables[name] for name in sorted(variables, key=natural_key)}
        return Plan(tuple(order), ordered_vars, tuple(constants), tuple(steps), tuple(slot[o] for o in self.outputs))

    @property
    def variables(self) -> tuple[str, ...]:
        """The variables, in natural order (x2 before x10) unless declared in another order (data excluded)."""
        if self._declared is not None:
            return self._declared
        return tuple(name for name in self.plan.variables if name not in self.data)

    @property
    def operations(self) -> int:
        """Number of primitive applications (shared ones counted once)."""
        return len(self.plan.steps)

    def __len__(self) -> int:
        return self.plan.size

    @property
    def is_scalar_output(self) -> bool:
        return len(self.outputs) == 1

    @property
    def is_tensor(self) -> bool:
        """True when the graph uses tensor primitives (matmul, sum, ...): variables are then whole tensors, and
        a gradient has each variable's shape. Otherwise arrays are batches of independent points."""
        return self.plan.tensor

    # --- evaluation -----------------------------------------------------------------------------------------

    def bind(self, at: Mapping[str, object] | Sequence | float | None) -> dict:
        """Check and convert values for the variables: float arrays, all present, shapes broadcastable. A
        variable is named by its name or by a SymPy Symbol of that name (``{x: 1.0}`` for ``x = Symbol("x")``)."""
        bound = bind(self.variables, at, broadcast=not self.is_tensor)
        bound.update(self.data)
        return bound

    def evaluate(self, at=None, errors: str = "warn"):
        """The output value(s) at the given variable values (a float, an array for a batch, or a tuple).

        ``errors`` says what to do when a primitive leaves its domain: "warn" (DomainWarning), "raise"
        (DomainError) or "ignore"; the value there is nan or ±inf either way.
        """
        domain.check_policy(errors)
        bound = self.bind(at)
        check_memory("evaluating this graph", 8.0 * self.plan.size * points_of(bound), "evaluate fewer points at once")
        with domain.watching() as watch:
            values = run_plan(self.plan, bound)
        domain.apply_policy(watch.messages(), errors, "evaluation", stacklevel=3)
        outs = tuple(as_result(values[s]) for s in self.plan.outputs)
        return outs[0] if self.is_scalar_output else outs

    __call__ = evaluate

    # --- other views ------------------------------------------------------------------------------------------

    def to_sympy(self):
        """The SymPy expression (or list of them, one per output) this graph computes."""
        if self.is_tensor:
            raise ConversionError(
                "this graph has tensor operations; its SymPy form needs concrete shapes "
                "(method='symbolic' writes it out entry by entry at the given point)"
            )
        exprs = {}
        symbols = {name: sympy_symbol(name) for name in self.plan.variables}
        for node in self.plan.nodes:
            data = self.nx.nodes[node]
            if data["op"] == VAR:
                exprs[node] = symbols[node]
            elif data["op"] == CONST:
                exprs[node] = sympy_number(data["value"])
            else:
                exprs[node] = PRIMITIVES[data["op"]].sympy(*[exprs[a] for a in data["args"]])
        result = [exprs[o] for o in self.outputs]
        return result[0] if self.is_scalar_output else result

    def expression(self, node: str | None = None, limit: int = 2000) -> str:
        """Infix text of an output (or any node), shared subexpressions written out; cut at ``limit`` chars."""
        target = node if node is not None else self.outputs[0]
        needed = _ancestors_of_all(self.nx, [target])
        texts: dict[str, tuple[str, int]] = {}
        for n in nx.topological_sort(self.nx):
            if n in needed:
                texts[n] = _infix(self.nx.nodes[n], texts, limit)
        return texts[target][0]

    def to_dot(self) -> str:
        """Graphviz DOT text: inputs on the left, outputs on the right, argument positions on the edges of
        non-commutative operations (for those who have graphviz: ``dot -Tsvg``)."""
        lines = ["digraph diffkit {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
        for node in self.plan.nodes:
            data = self.nx.nodes[node]
            shape = {VAR: "ellipse", CONST: "plaintext"}.get(data["op"], "box")
            extra = ", peripheries=2" if node in self.outputs else ""
            lines.append(f'  "{_dot_escape(node)}" [label="{_dot_escape(_node_text(data))}", shape={shape}{extra}];')
        for node in self.plan.nodes:
            data = self.nx.nodes[node]
            if data["op"] in (VAR, CONST):
                continue
            ordered = data["op"] in ("sub", "div", "pow", "matmul", "maximum", "minimum")  # not commutative
            for position, arg in enumerate(data["args"]):
                label = f' [label="{position}"]' if ordered else ""
                lines.append(f'  "{_dot_escape(arg)}" -> "{_dot_escape(node)}"{label};')
        lines.append("}")
        return "\n".join(lines)

    def _repr_svg_(self) -> str:
        """Jupyter shows a graph as its diagram (diffkit.draw, imported only when a notebook asks)."""
        from .draw import to_svg

        return to_svg(self)

    def __str__(self) -> str:
        return "; ".join(self.expression(o, limit=200) for o in self.outputs)

    def __repr__(self) -> str:
        return (
            f"<Graph {self!s} | {self.operations} operations, {len(self)} nodes, "
            f"variables: {', '.join(self.variables) or 'none'}>"
        )


def _ancestors_of_all(graph: nx.DiGraph, outputs) -> set:
    """Every node some output depends on (outputs included), in one iterative search from all of them."""
    needed = set(outputs)
    stack = list(needed)
    while stack:
        for arg in graph.predecessors(stack.pop()):
            if arg not in needed:
                needed.add(arg)
                stack.append(arg)
    return needed


# Precedence for printing: higher binds tighter.
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "matmul": 2, "neg": 3, "pow": 4}


def _infix(data: dict, texts: dict, limit: int) -> tuple[str, int]:
    op = data["op"]
    if op in (VAR, CONST):
        text = data["label"]
        return text, (9 if not text.startswith("-") else 3)
    args = [texts[a] for a in data["args"]]
    prim = PRIMITIVES[op]
    mine = _PRECEDENCE.get(op, 9)
    if op == "neg":
        text, p = args[0]
        text = f"-({text})" if p <= mine and p != 9 else f"-{text}"
    elif prim.infix:
        (left, lp), (right, rp) = args
        if lp < mine or (op == "pow" and lp <= mine):
            left = f"({left})"
        # right operand of - and / and of ** needs brackets at equal precedence
        if rp < mine or (rp == mine and op in ("sub", "div")):
            right = f"({right})"
        spaced = op in ("add", "sub", "matmul")
        text = f"{left} {prim.infix} {right}" if spaced else f"{left}{prim.infix}{right}"
    else:
        params = [f"{k}={v}" for k, v in data.get("params", ())]
        text = f"{op}({', '.join([a for a, _ in args] + params)})"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text, mine


def _node_text(data: dict) -> str:
    """A node's label with its parameters: ``sum(axis=1)``."""
    params = data.get("params", ())
    return data["label"] + (f"({', '.join(f'{k}={v}' for k, v in params)})" if params else "")


def _dot_escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"')


def _frozen(value, name: str) -> np.ndarray:
    """Data as the graph keeps it: our own float64 copy, read-only, so neither side can change the other's."""
    array = as_float_array(value, name)
    if array.flags.writeable or array.base is not None:  # not already one of our frozen copies
        array = array.copy()
        array.flags.writeable = False
    return array


def sympy_symbol(name: str) -> sp.Symbol:
    """A variable as SymPy sees it: real, since every diffkit value is."""
    return sp.Symbol(name, real=True)


def sympy_number(value: float) -> sp.Expr:
    """A constant as SymPy sees it: integers exact, pi and e symbolic, others as floats."""
    if value in SYMPY_CONSTANTS:
        return SYMPY_CONSTANTS[value]
    if float(value).is_integer() and abs(value) < 2**53:
        return sp.Integer(int(value))
    return sp.Float(value)


# --- binding and execution ------------------------------------------------------------------------------------


def _constant_note(names) -> str:
    """Why a value given for e or pi is refused: in expression text they are constants, not variables."""
    constants = [str(n) for n in names if str(n) in CONSTANTS]
    if not constants:
        return ""
    verb = "is a constant" if len(constants) == 1 else "are constants"
    return (f"; {' and '.join(constants)} in expression text {verb} (e = 2.71828..., pi = 3.14159...), in every "
            "method; for a variable use another name, such as e_ or p")


def bind(variables: Sequence[str], at, broadcast: bool = True) -> dict[str, np.ndarray]:
    """Turn the user's ``at`` into {name: float64 array}, naming whatever is missing, unknown or malformed.

    ``broadcast``: the values are a batch of points, so their shapes must broadcast together (not so for the
    tensors of a tensor graph, whose shapes the primitives check as they run). Keys are names or SymPy Symbols.
    """
    if at is None:
        at = {}
    if isinstance(at, Mapping):
        at = by_name(at)
    if not isinstance(at, Mapping):
        if np.isscalar(at) and len(variables) == 1:
            at = {variables[0]: at}
        elif isinstance(at, Sequence) and not isinstance(at, str) and len(at) == len(variables):
            at = dict(zip(variables, at, strict=True))
        else:
            raise BindingError(
                f"give the variable values as a dict like {{{', '.join(repr(v) + ': ...' for v in variables)}}}"
            )
    missing = [v for v in variables if v not in at]
    unknown = [k for k in at if k not in variables]
    if missing:
        extra = f" (given instead: {', '.join(map(str, unknown))} — a misspelling?)" if unknown else ""
        raise BindingError(f"no value given for variable(s) {', '.join(missing)}{extra}{_constant_note(unknown)}")
    if unknown:
        known = ", ".join(variables) or "none"
        raise BindingError(f"unknown variable(s) {', '.join(map(str, unknown))}; the expression's variables: "
                           f"{known}{_constant_note(unknown)}")
    bound = {}
    for name in variables:
        bound[name] = as_float_array(at[name], name)
    try:
        if broadcast:
            np.broadcast_shapes(*(a.shape for a in bound.values()))
    except ValueError:
        shapes = ", ".join(f"{n}: {a.shape}" for n, a in bound.items())
        raise BindingError(f"the values' shapes do not broadcast together ({shapes})") from None
    return bound


def as_float_array(value, name: str) -> np.ndarray:
    """A user's value as a float64 array. A float64 array is used as it is: diffkit never writes into inputs,
    and results are copied before they are returned (``as_result``), so they never alias a user's array."""
    if type(value) is np.ndarray and value.dtype == np.float64:  # the common case, checked first: it is per call
        return value
    if isinstance(value, bool | np.bool_) or (isinstance(value, np.ndarray) and value.dtype == bool):
        raise BindingError(f"value of {name!r} is a boolean; give a number or an array of numbers")
    try:
        array = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise BindingError(f"value of {name!r} is not a number or array: {exc}") from None
    if np.iscomplexobj(array):
        raise BindingError(f"value of {name!r} is complex; diffkit differentiates real functions")
    if array.dtype.kind not in "iuf":
        raise BindingError(f"value of {name!r} is not numeric (got {type(value).__name__})")
    return array.astype(np.float64, copy=True) if array.dtype != np.float64 else array


def run_plan(plan: Plan, bound: Mapping[str, object], on_step: Callable | None = None, check: bool = True) -> list:
    """Execute a plan: every slot's value, in slot order (works for float and complex inputs alike).

    ``on_step(step, value, args)`` is called after each step, for callers that meter the work. ``check=False``
    skips the primitives' shape checks, for callers that ran this plan on these shapes before.
    """
    values: list = [None] * plan.size
    for name, slot in plan.variables.items():
        values[slot] = bound[name]
    for slot, value in plan.constants:
        values[slot] = constant_value(value)
    watch = domain.current()
    for step in plan.steps:
        if watch is not None:
            watch.where = step.primitive.name
        args = [values[a] for a in step.args]
        if check:
            step.check_shapes(args)
        try:
            values[step.out] = step.primitive.numpy(*args, **step.params)
        except ValueError as exc:  # shapes NumPy cannot broadcast or multiply: say where
            raise step.failed(args, exc) from None
        if on_step is not None:
            on_step(step, values[step.out], args)
    return values


def constant_value(value):
    """A constant node's value as the engines use it: a float64 scalar, or the (read-only) array itself."""
    return value if isinstance(value, np.ndarray) else np.float64(value)


def as_result(value):
    """A computed value as returned to users: a Python float for a scalar, else an array of our own."""
    array = np.asarray(value)
    if array.ndim == 0:
        return array.item()
    return np.array(array, copy=True)


__all__ = ["Graph", "GraphBuilder", "Plan", "Step", "bind", "freeze_params", "run_plan", "is_constant"]
