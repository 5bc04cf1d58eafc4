"""The computation graph: a networkx DAG of primitive applications with its outputs, variables and fixed data.

Nodes are variables (id = the variable's name), constants (``c0``, ``c1``, ...) and primitive applications
(``v0``, ``v1``, ...). Each application keeps its ordered argument tuple, because a plain ``DiGraph`` keeps a
single edge for ``x*x`` and cannot tell ``x-y`` from ``y-x``; walks therefore loop over arguments, never over
predecessors. Identical subexpressions are one node (hash-consing, ``diffkit.builder``), so shared work is
visible and done once.

networkx holds the structure (analysis, drawing, DOT text); a ``Plan`` (``diffkit.plan``) — a flat list of
steps over integer slots, compiled once — is what the engines execute (``diffkit.evaluation``).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from functools import cached_property

import networkx as nx
import numpy as np

from . import domain, views
from .binding import bind, frozen, points_of
from .errors import BindingError, ConversionError
from .evaluation import as_result, run_plan
from .limits import check_memory
from .plan import VAR, Plan, compile_plan


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
        self.data = {name: frozen(value, name) for name, value in (data or {}).items()}
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
        return compile_plan(self.nx, self.outputs)

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
        return views.to_sympy(self)

    def expression(self, node: str | None = None, limit: int = 2000) -> str:
        """Infix text of an output (or any node), shared subexpressions written out; cut at ``limit`` chars."""
        return views.expression(self, node, limit)

    def to_dot(self) -> str:
        """Graphviz DOT text: inputs on the left, outputs on the right, argument positions on the edges of
        non-commutative operations (for those who have graphviz: ``dot -Tsvg``)."""
        return views.to_dot(self)

    def _repr_svg_(self) -> str | None:
        """Jupyter shows a graph as its diagram (drawn by ``diffkit.draw``, which registers itself in views)."""
        return views.svg(self)

    def __getstate__(self) -> dict:
        """Pickling (multiprocessing, distributed runs) leaves the compiled plan out: it holds the primitives'
        rule functions, and it is recompiled from the structure on first use."""
        state = dict(self.__dict__)
        state.pop("plan", None)
        return state

    def __str__(self) -> str:
        return "; ".join(self.expression(o, limit=200) for o in self.outputs)

    def __repr__(self) -> str:
        return (
            f"<Graph {self!s} | {self.operations} operations, {len(self)} nodes, "
            f"variables: {', '.join(self.variables) or 'none'}>"
        )

__all__ = ["Graph"]
