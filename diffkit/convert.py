"""Everything a user may pass as an expression, turned into a Graph: text, SymPy, functions, lists of these.

``from_sympy`` walks an existing SymPy object (it never calls ``sympify`` on text). SymPy stores ``x - y`` as
``x + (-1)*y`` and ``x/y`` as ``x*y**-1``; the walk writes these back as subtraction and division so that the
graph's operations are the ones a person would count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy as sp

from .builder import GraphBuilder
from .errors import ConversionError
from .graph import Graph
from .keywords import checked_keywords
from .ops import PRIMITIVES, SYMPY_CLASSES
from .parse import parse, parse_many
from .trace import trace


def _negated(term: sp.Expr) -> sp.Expr | None:
    """-term when the term carries a minus sign SymPy-style (a negative coefficient), else None."""
    coefficient, rest = term.as_coeff_Mul()
    if coefficient.is_Number and coefficient < 0:
        return -term
    return None


def _operands(expr: sp.Basic) -> list[sp.Basic]:
    """The sub-expressions to convert before ``expr`` itself (in the form ``_combine`` expects)."""
    if expr.is_Add:
        terms = list(expr.args)
        return [_negated(t) if (i and _negated(t) is not None) else t for i, t in enumerate(terms)]
    if expr.is_Mul:
        if _negated(expr) is not None:
            return [_negated(expr)]
        numerator, denominator = _split_fraction(expr)
        return numerator + denominator
    if expr.is_Pow:
        if expr.exp == sp.Rational(1, 2):
            return [expr.base]
        if expr.exp.is_Number and expr.exp < 0:
            return [expr.base, -expr.exp]
        return [expr.base, expr.exp]
    if isinstance(expr, sp.Heaviside):
        return [expr.args[0]]
    if type(expr) in _RECIPROCALS:
        return [_RECIPROCALS[type(expr)](expr.args[0])]
    return list(expr.args)


# SymPy functions diffkit writes as the reciprocal of one of its primitives.
_RECIPROCALS = {sp.cot: sp.tan, sp.sec: sp.cos, sp.csc: sp.sin}


def _split_fraction(expr: sp.Mul) -> tuple[list, list]:
    """Factors of a product split into numerator and denominator (x*y**-2 -> [x], [y**2])."""
    numerator, denominator = [], []
    for factor in expr.args:
        if factor.is_Pow and factor.exp.is_Number and factor.exp < 0:
            denominator.append(factor.base ** (-factor.exp))
        elif factor.is_Rational and factor.q != 1:
            if factor.p != 1:
                numerator.append(sp.Integer(factor.p))
            denominator.append(sp.Integer(factor.q))
        else:
            numerator.append(factor)
    return numerator, denominator


def _combine(expr: sp.Basic, nodes: list[str], builder: GraphBuilder) -> str:
    apply = builder.apply
    P = PRIMITIVES
    if expr.is_Add:
        result = nodes[0]
        for term, node in zip(expr.args[1:], nodes[1:], strict=True):
            result = apply(P["sub"] if _negated(term) is not None else P["add"], result, node)
        return result
    if expr.is_Mul:
        if _negated(expr) is not None:
            return apply(P["neg"], nodes[0])
        numerator, denominator = _split_fraction(expr)
        top = nodes[: len(numerator)] or [builder.constant(1.0)]
        result = top[0]
        for node in top[1:]:
            result = apply(P["mul"], result, node)
        for node in nodes[len(numerator) :]:
            result = apply(P["div"], result, node)
        return result
    if expr.is_Pow:
        if expr.exp == sp.Rational(1, 2):
            return apply(P["sqrt"], nodes[0])
        if expr.exp.is_Number and expr.exp < 0:
            if expr.exp == -1:
                power = nodes[0]
            elif expr.exp == sp.Rational(-1, 2):  # 1/sqrt(x): the primitive a person would write
                power = apply(P["sqrt"], nodes[0])
            else:
                power = apply(P["pow"], nodes[0], nodes[1])
            return apply(P["div"], builder.constant(1.0), power)
        return apply(P["pow"], nodes[0], nodes[1])
    if isinstance(expr, sp.Heaviside):
        h0 = expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
        if h0 == 0:
            return apply(P["heaviside"], nodes[0])
        if h0 == sp.Rational(1, 2):  # Heaviside with H(0) = ½ is (1 + sign(x)) / 2 exactly
            one_plus = apply(P["add"], builder.constant(1.0), apply(P["sign"], nodes[0]))
            return apply(P["div"], one_plus, builder.constant(2.0))
        raise ConversionError(f"Heaviside with H(0) = {h0} has no diffkit counterpart (H(0) = 0 or 1/2 only)")
    if type(expr) in _RECIPROCALS:  # cot, sec, csc: 1/tan, 1/cos, 1/sin
        return apply(P["div"], builder.constant(1.0), nodes[0])
    name = SYMPY_CLASSES.get(type(expr))
    if name is None or (name not in ("maximum", "minimum") and len(nodes) != 1):
        raise ConversionError(f"SymPy {type(expr).__name__} has no diffkit primitive ({expr})")
    if len(nodes) == 1:
        return apply(P[name], nodes[0])
    result = nodes[0]
    for node in nodes[1:]:  # Max/Min of several arguments fold pairwise
        result = apply(P[name], result, node)
    return result


def _leaf(expr: sp.Basic, builder: GraphBuilder) -> str:
    if expr.is_Symbol:
        return builder.variable(expr.name)
    if expr is sp.pi or expr is sp.E:
        return builder.constant(float(expr))
    if expr.is_Number:
        if not expr.is_real or expr in (sp.oo, -sp.oo, sp.zoo, sp.nan):
            raise ConversionError(f"SymPy number {expr} is not a finite real number")
        return builder.constant(float(expr))
    raise ConversionError(f"SymPy {type(expr).__name__} has no diffkit counterpart ({expr})")


def _number(value: int | float) -> sp.Expr:
    return sp.Integer(value) if isinstance(value, int) else sp.Float(value)


def _variable_names(roots: list[sp.Basic]) -> set[str]:
    """The variables' names; two different Symbols of one name (``Symbol("x")`` and ``Symbol("x", real=True)``)
    would become one variable silently, so they are refused."""
    symbols = {s for root in roots for s in root.free_symbols}
    names = {s.name for s in symbols}
    if len(names) < len(symbols):
        twice = sorted(n for n in names if sum(s.name == n for s in symbols) > 1)
        raise ConversionError(f"two different SymPy Symbols share the name {twice[0]!r} (different assumptions?); "
                              "use one Symbol per name")
    return names


@checked_keywords
def from_sympy(exprs: sp.Basic | Sequence[sp.Basic]) -> Graph:
    """A SymPy expression (or list of them) as a Graph, walked without recursion.

    Any expression of diffkit's primitives converts: a bare Symbol, numbers (Integer, Rational, Float, pi, E),
    sums, products, powers (``x**(1/2)`` is sqrt) and the functions diffkit has (sin, exp, log, Abs, Max, ...;
    cot, sec, csc as reciprocals). A variable is named after its Symbol.

    Examples:
        >>> import sympy as sp
        >>> x, y = sp.symbols("x y")
        >>> from_sympy(x).variables, str(from_sympy(sp.Rational(1, 2) * x**2 + sp.cot(y)))
        (('x',), 'x**2/2 + 1/tan(y)')
    """
    many = isinstance(exprs, list | tuple)
    roots = [_number(e) if isinstance(e, int | float) else e for e in (exprs if many else [exprs])]
    for root in roots:
        if not isinstance(root, sp.Basic):
            raise ConversionError(f"expected a SymPy expression, got {type(root).__name__}")
        # A Symbol is a SymPy Boolean too (it may stand for True/False), so the test is "is it an Expr".
        if not isinstance(root, sp.Expr):
            raise ConversionError(f"{root} is not an expression with a numeric value")
    names = _variable_names(roots)
    builder = GraphBuilder(simplify=False, reserved=names)
    done: dict[sp.Basic, str] = {}
    for root in roots:
        stack = [(root, False)]
        while stack:
            expr, ready = stack.pop()
            if expr in done:
                continue
            if not expr.args or expr.is_Number or expr.is_Symbol:
                done[expr] = _leaf(expr, builder)
                continue
            operands = _operands(expr)
            if ready:
                done[expr] = _combine(expr, [done[o] for o in operands], builder)
            else:
                stack.append((expr, True))
                stack.extend((o, False) for o in reversed(operands) if o not in done)
    outputs = [done[root] for root in roots]
    return builder.finish(outputs, [f"y{i}" for i in range(len(roots))] if many else ["y"])


@checked_keywords
def as_graph(expr) -> Graph:
    """Whatever a user passed as an expression, as a Graph (a Graph passes through unchanged)."""
    if isinstance(expr, Graph):
        return expr
    if isinstance(expr, str):
        return parse(expr)
    if isinstance(expr, sp.Basic):
        return from_sympy(expr)
    if isinstance(expr, list | tuple) and expr:
        if all(isinstance(e, str) for e in expr):
            return parse_many(list(expr))
        if all(isinstance(e, sp.Basic) for e in expr):
            return from_sympy(list(expr))
        raise ConversionError("a list of expressions must be all strings or all SymPy expressions")
    if isinstance(expr, Callable):
        return trace(expr)
    raise ConversionError(
        f"cannot use a {type(expr).__name__} as an expression; give a string, a SymPy expression, a Graph, "
        "a function of diffkit operations, or a list of expressions"
    )
