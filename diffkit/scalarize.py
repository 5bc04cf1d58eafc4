"""A tensor graph written out entry by entry as SymPy expressions, for the symbolic method.

SymPy differentiates scalar expressions, so a tensor graph (a matmul, a softmax) becomes one SymPy expression
per output entry: every entry of a variable we differentiate by is a symbol (``W[0, 1]``), every other
variable's entries are numbers, and each primitive runs on NumPy arrays of SymPy expressions (its ``sympy``
counterpart, broadcast with ``np.frompyfunc`` for elementwise ones). The size of what this writes out grows
with the data and the layer widths, which is why it is refused past ``dk.limits.symbolic_entries``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .errors import SwellError
from .evaluation import run_plan
from .graph import Graph
from .limits import limits
from .ops import sympy_apply
from .views import sympy_number


def entry_label(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{', '.join(map(str, index))}]" if index else name


def check_size(graph: Graph, bound: dict, wrt: tuple[str, ...]) -> None:
    """Refuse, before SymPy starts, a graph whose entry-by-entry form would be too large."""
    entries = sum(bound[name].size for name in wrt)
    work = 0
    if entries <= limits.symbolic_variables:  # else refused already; no need to evaluate
        values = run_plan(graph.plan, bound)
        work = sum(step.primitive.work_of(values[step.out], [values[a] for a in step.args], step.params)
                   for step in graph.plan.steps)
    if work > limits.symbolic_entries or entries > limits.symbolic_variables:
        raise SwellError(
            f"written out entry by entry for SymPy, this tensor graph has {work:,} scalar operations and "
            f"{entries:,} entries to differentiate by, past the symbolic method's limits of "
            f"{limits.symbolic_entries:,} and {limits.symbolic_variables:,} (dk.limits.symbolic_entries, "
            "dk.limits.symbolic_variables); the symbolic method is for small networks: use method='reverse'"
        )


def _bounded_rule(primitive):
    """An elementwise primitive's SymPy rule with the float methods' values where SymPy's differ
    (``ops.sympy_apply``: 1/0, log(0), exact numbers past a float)."""
    return lambda *args: sympy_apply(primitive, list(args))


def _sympy_entries(out):
    """A tensor rule's result with every entry a SymPy number or expression: NumPy's reductions of an empty object
    array give Python's int 0 (np.sum) or 1 (np.prod), which SymPy's later steps cannot take."""
    out = np.asarray(out, dtype=object)
    if any(not isinstance(entry, sp.Basic) for entry in out.flat):
        out = np.frompyfunc(lambda e: e if isinstance(e, sp.Basic) else sympy_number(float(e)), 1, 1)(out)
    return np.asarray(out, dtype=object)


def scalarize(graph: Graph, bound: dict, wrt: tuple[str, ...]):
    """The outputs as arrays of SymPy expressions, the symbols {label: Symbol} and their values {label: x}."""
    plan = graph.plan
    symbols: dict[str, sp.Symbol] = {}
    point: dict[str, np.ndarray] = {}
    slots: list = [None] * plan.size
    for name, slot in plan.variables.items():
        array = bound[name]
        entries = np.empty(array.shape, dtype=object)
        for index in np.ndindex(array.shape):
            if name in wrt:
                label = entry_label(name, index)
                entries[index] = symbols[label] = sp.Symbol(label, real=True)
                point[label] = np.float64(array[index])
            else:
                entries[index] = sympy_number(float(array[index]))
        slots[slot] = entries
    for slot, value in plan.constants:
        if isinstance(value, np.ndarray):
            slots[slot] = np.frompyfunc(lambda v: sympy_number(float(v)), 1, 1)(value).astype(object)
        else:
            slots[slot] = np.array(sympy_number(value), dtype=object)
    for step in plan.steps:
        args = [np.asarray(slots[a], dtype=object) for a in step.args]
        if step.primitive.tensor:
            out = _sympy_entries(step.primitive.sympy(*args, **step.params))
        else:
            # on object arrays the ufunc does no float arithmetic of its own: a signal it sees is one the rule
            # already reported (NumPy's status flags outlive the rule's own errstate)
            with np.errstate(all="ignore"):
                out = np.frompyfunc(_bounded_rule(step.primitive), step.primitive.arity, 1)(*args)
        slots[step.out] = np.asarray(out, dtype=object)
    # symbols in the order of ``wrt``, each variable's entries in C order
    ordered = {label: symbols[label] for name in wrt for index in np.ndindex(bound[name].shape)
               if (label := entry_label(name, index)) in symbols}
    return [slots[s] for s in plan.outputs], ordered, point
