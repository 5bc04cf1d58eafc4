"""Every node's value, tangents and adjoint at one point: the lecture's forward and reverse trace as a table.

    >>> import diffkit as dk
    >>> print(dk.sweep_table("log(x1) + x1*x2 - sin(x2)", at={"x1": 2.0, "x2": 5.0}))
    forward and reverse sweeps of y = log(x1) + x1*x2 - sin(x2)   at x1=2, x2=5
    <BLANKLINE>
    node  computes  value          d/dx1  d/dx2         adjoint dy/dnode
    ----  --------  -------------  -----  ------------  ----------------
    x1    input     2              1      0             5.5
    x2    input     5              0      1             1.716337815
    v1    log(x1)   0.6931471806   0.5    0             1
    v2    x1 * x2   10             5      2             1
    v3    sin(x2)   -0.9589242747  0      0.2836621855  -1
    v4    v1 + v2   10.69314718    5.5    2             1
    v5    v4 - v3   11.65207146    5.5    1.716337815   1

Forward mode fills the ``d/dx`` columns one sweep per variable (each column is one sweep); reverse mode fills the
adjoint column in one backward sweep. Where a node feeds several others (x1 and x2 here) its adjoint is the sum
over its paths: 5.5 = 0.5 (through log) + 5 (through the product).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .convert import as_graph
from .errors import MethodError
from .keywords import checked_keywords
from .methods.forward import node_tangents
from .methods.reverse import node_adjoints
from .text import format_value, html_table, text_table


@dataclass
class SweepTable:
    """One row per variable and per operation, in evaluation order; ``print`` it for the table."""

    expression: str
    output: str
    at: dict
    variables: tuple[str, ...]
    rows: list[dict]  # {"node", "computes", "value", "d/d<variable>"..., "adjoint"}

    def __str__(self) -> str:
        return "\n".join([self._title(), "", *text_table(*self._grid())])

    def _repr_html_(self) -> str:
        """Jupyter shows the table."""
        return html_table(*self._grid(), caption=self._title())

    def _title(self) -> str:
        point = ", ".join(f"{k}={format_value(v)}" for k, v in self.at.items())
        return f"forward and reverse sweeps of {self.output} = {self.expression}   at {point}"

    def _grid(self) -> tuple[list[str], list[list[str]]]:
        """The header and one row of cells per node."""
        header = ["node", "computes", "value", *(f"d/d{v}" for v in self.variables), f"adjoint d{self.output}/dnode"]
        keys = ["node", "computes", "value", *(f"d/d{v}" for v in self.variables), "adjoint"]
        cells = [[row[k] if isinstance(row[k], str) else format_value(row[k]) for k in keys] for row in self.rows]
        return header, cells


@checked_keywords
def sweep_table(expr, at=None) -> SweepTable:
    """Each node's forward value, its tangent d(node)/dv for every variable v (forward mode, one sweep per
    variable) and its adjoint ∂y/∂node (reverse mode, one backward sweep), for a scalar expression at a point.

    Nodes are named as in the lecture's traces: the variables, then ``v1, v2, ...`` in evaluation order;
    ``computes`` says what each one applies to which. A derivative that does not flow to a node is 0.
    """
    graph = as_graph(expr)
    if not graph.is_scalar_output:
        raise MethodError(f"sweep_table needs a single output; this expression has {len(graph.outputs)}")
    if graph.is_tensor:  # a tangent per variable is a whole array there: a table of numbers cannot show it
        raise MethodError("sweep_table is for scalar variables (or batches of points); for a tensor graph draw "
                          "its adjoints with dk.draw(g, at=..., show='adjoints') or take dk.gradient")
    bound = graph.bind(at)
    plan = graph.plan
    with np.errstate(all="ignore"):  # the table shows infinities and nans as they are
        values, adjoints = node_adjoints(graph, bound)
        tangents = {v: node_tangents(graph, bound, {v: np.float64(1.0)})[1] for v in graph.variables}
    names = {slot: name for name, slot in plan.variables.items()}
    names.update({slot: format_value(value) for slot, value in plan.constants})
    computes = {}
    for number, step in enumerate(plan.steps, start=1):
        names[step.out] = f"v{number}"
        computes[step.out] = _computes(step, names)
    rows = []
    for slot in [plan.variables[v] for v in graph.variables] + [step.out for step in plan.steps]:
        row = {"node": names[slot], "computes": computes.get(slot, "input"), "value": values[slot]}
        for v in graph.variables:
            row[f"d/d{v}"] = _or_zero(tangents[v][slot])
        row["adjoint"] = _or_zero(adjoints[slot])
        rows.append(row)
    point = {name: value for name, value in bound.items() if name in graph.variables}
    return SweepTable(graph.expression(graph.outputs[0]), graph.output_names[0], point, graph.variables, rows)


def _computes(step, names: dict) -> str:
    args = [names[a] for a in step.args]
    primitive = step.primitive
    if primitive.infix and len(args) == 2:
        return f"{args[0]} {primitive.infix} {args[1]}"
    if primitive.name == "neg":
        return f"-{args[0]}"
    return f"{primitive.name}({', '.join(args)})"


def _or_zero(x):
    return np.float64(0.0) if x is None else x
