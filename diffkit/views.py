"""Other views of a graph: infix text, Graphviz DOT, the SymPy expression, and (for Jupyter) its diagram.

The diagram is drawn by ``diffkit.draw``, a higher layer: it registers its renderer here (``register_svg``) when
it is imported, so this module never imports drawing code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import networkx as nx
import sympy as sp

from . import options as check
from .errors import BindingError, ConversionError
from .ops import PRIMITIVES, SYMPY_CONSTANTS, float_number, sympy_apply
from .plan import CONST, VAR, ancestors_of_all
from .tensor_ops import index_text

if TYPE_CHECKING:
    from .graph import Graph

_SVG: dict[str, Callable] = {}  # "render": graph -> SVG text, registered by diffkit.draw


def register_svg(render: Callable) -> None:
    """Let Jupyter show graphs as diagrams: ``render(graph)`` returns SVG text (called by ``diffkit.draw``)."""
    _SVG["render"] = render


def svg(graph: Graph) -> str | None:
    """The graph's diagram as SVG text, or None when no renderer is registered (plain repr then)."""
    render = _SVG.get("render")
    return render(graph) if render is not None else None


def to_sympy(graph: Graph):
    """The SymPy expression (or list of them, one per output) a graph computes."""
    if graph.is_tensor:
        raise ConversionError(
            "this graph has tensor operations; its SymPy form needs concrete shapes "
            "(method='symbolic' writes it out entry by entry at the given point)"
        )
    exprs = node_sympy(graph)
    result = [exprs[o] for o in graph.outputs]
    return result[0] if graph.is_scalar_output else result


def node_sympy(graph: Graph) -> dict:
    """Every node's SymPy expression, {node: expression}, in the plan's order (a scalar graph)."""
    exprs = {}
    symbols = {name: sympy_symbol(name) for name in graph.plan.variables}
    for node in graph.plan.nodes:
        data = graph.nx.nodes[node]
        if data["op"] == VAR:
            exprs[node] = symbols[node]
        elif data["op"] == CONST:
            exprs[node] = sympy_number(data["value"])
        else:
            exprs[node] = sympy_apply(PRIMITIVES[data["op"]], [exprs[a] for a in data["args"]])
    return exprs


def expression(graph: Graph, node: str | None = None, limit: int = 2000) -> str:
    """Infix text of an output (or any node), shared subexpressions written out; cut at ``limit`` chars."""
    limit = check.positive_int("limit", limit)
    target = node if node is not None else graph.outputs[0]
    if not isinstance(target, str) or target not in graph.nx:
        shown = ", ".join(graph.outputs)
        raise BindingError(f"node must be the name of one of the graph's nodes (its outputs: {shown}), got "
                           f"{check.shown(target)}")
    needed = ancestors_of_all(graph.nx, [target])
    texts: dict[str, tuple[str, int]] = {}
    for n in nx.topological_sort(graph.nx):
        if n in needed:
            texts[n] = _infix(graph.nx.nodes[n], texts, limit)
    return texts[target][0]


def to_dot(graph: Graph) -> str:
    """Graphviz DOT text: inputs on the left, outputs on the right, argument positions on the edges of
    non-commutative operations (for those who have graphviz: ``dot -Tsvg``)."""
    lines = ["digraph diffkit {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for node in graph.plan.nodes:
        data = graph.nx.nodes[node]
        shape = {VAR: "ellipse", CONST: "plaintext"}.get(data["op"], "box")
        extra = ", peripheries=2" if node in graph.outputs else ""
        lines.append(f'  "{_dot_escape(node)}" [label="{_dot_escape(node_text(data))}", shape={shape}{extra}];')
    for node in graph.plan.nodes:
        data = graph.nx.nodes[node]
        if data["op"] in (VAR, CONST):
            continue
        ordered = data["op"] in ("sub", "div", "pow", "matmul", "maximum", "minimum")  # not commutative
        for position, arg in enumerate(data["args"]):
            label = f' [label="{position}"]' if ordered else ""
            lines.append(f'  "{_dot_escape(arg)}" -> "{_dot_escape(node)}"{label};')
    lines.append("}")
    return "\n".join(lines)


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
    elif op == "index":  # as NumPy writes it: x[1:, 0]
        text, p = args[0]
        text = f"{text if p == 9 else f'({text})'}[{index_text(dict(data.get('params', ())).get('index', ()))}]"
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
        params = [f"{k}={_param_text(k, v)}" for k, v in data.get("params", ())]
        text = f"{op}({', '.join([a for a, _ in args] + params)})"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text, mine


def node_text(data) -> str:
    """A node's label with its parameters: ``sum(axis=1)``; an index node as its brackets, ``[1:, 0]``."""
    params = data.get("params", ())
    if data["op"] == "index":
        return f"[{index_text(dict(params).get('index', ()))}]"
    return data["label"] + (f"({', '.join(f'{k}={_param_text(k, v)}' for k, v in params)})" if params else "")


def _param_text(name: str, value) -> str:
    """A node parameter as shown: an index between brackets (``[1:, 0]``), anything else as Python prints it."""
    return f"[{index_text(value)}]" if name == "index" else str(value)


def _dot_escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"')


def sympy_symbol(name: str) -> sp.Symbol:
    """A variable as SymPy sees it: real, since every diffkit value is."""
    return sp.Symbol(name, real=True)


def sympy_number(value: float) -> sp.Expr:
    """A constant as SymPy sees it: integers exact, pi and e symbolic, others (inf too) as floats."""
    if value in SYMPY_CONSTANTS:
        return SYMPY_CONSTANTS[value]
    if float(value).is_integer() and abs(value) < 2**53:
        return sp.Integer(int(value))
    return float_number(float(value))
