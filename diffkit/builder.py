"""Building graphs: nodes added with hash-consing, so identical subexpressions are one node."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import networkx as nx
import numpy as np

from .binding import frozen
from .errors import ConversionError, ResourceError
from .graph import Graph
from .limits import limits
from .ops import CONSTANTS, PRIMITIVES, Primitive
from .plan import CONST, VAR
from .shaping import FANCY_INDEXED, FREEZERS, frozen_fancy_index
from .tensor_ops import frozen_index

_INTERNAL_ID = re.compile(r"([vc])(\d+)")


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
        if len(self.nx._node) >= limits.graph_nodes:
            raise ResourceError(
                f"the graph reached {limits.graph_nodes:,} nodes (dk.limits.graph_nodes); build a smaller one"
            )
        while True:
            node = f"{kind}{self._counters[kind]}"
            self._counters[kind] += 1
            if node not in self._reserved and node not in self.nx._node:
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
        array = frozen(value, "a constant")
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
        for arg in args:  # checked first: the shortcuts below read the arguments' nodes
            if arg not in self.nx._succ:  # add_edge would have added a bare node for it, silently
                raise ConversionError(f"argument {arg!r} is not a node of the graph")
        frozen = freeze_params(primitive, params) if params else ()
        if self.simplify and not primitive.tensor:
            shortcut = self._shortcut(primitive.name, args)
            if shortcut is not None:
                return shortcut
        key = (primitive.name, args, frozen)
        node = self._keys.get(key)
        if node is None:
            node = self._new_id("v")
            # operators are labelled by their symbol, except negation, whose "-" would read as subtraction
            label = primitive.name if primitive.name == "neg" else (primitive.infix or primitive.name)
            attributes = {"op": primitive.name, "label": label, "args": args}
            if frozen:
                attributes["params"] = frozen
            self._add_application(node, attributes, args)
            self._keys[key] = node
        return node

    def _add_application(self, node: str, attributes: dict, args: tuple[str, ...]) -> None:
        """The new node and its edges, written into the DiGraph's own dicts.

        Same result as ``add_node`` and ``add_edge``, which check and copy their arguments on every call: that
        took about 80% of parsing a long sum (a 500,000-term expression adds 500,000 nodes one at a time).
        """
        graph = self.nx
        succ, pred = graph._succ, graph._pred
        graph._node[node] = attributes
        succ[node] = {}
        incoming = pred[node] = {}
        for position, arg in enumerate(args):
            edge = incoming.get(arg)
            if edge is not None:  # x*x: one edge that remembers both positions
                edge["positions"] += (position,)
            else:
                edge = {"positions": (position,)}
                succ[arg][node] = edge
                incoming[arg] = edge
        cache = getattr(graph, "__networkx_cache__", None)  # networkx >= 3.3 caches conversions of a graph
        if cache:
            cache.clear()  # as add_edge does: they describe the graph before this node

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
        elif name == "index":
            value = frozen_fancy_index(value) if primitive.name in FANCY_INDEXED else frozen_index(value)
        elif name in FREEZERS:  # the shaping primitives' parameters (shift, reps, pad_width, indices, ...)
            value = FREEZERS[name](value)
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

