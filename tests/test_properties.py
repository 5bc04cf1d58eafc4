"""Algebraic identities of derivatives, checked for every method on random expressions.

Hypothesis writes random expressions f, g, u as text (the grammar below follows tests/test_random_expressions.py:
every template is defined, finite and smooth at every real point, whatever it is applied to), composes them into
new text, and checks at a seeded point that each method's derivatives obey the identities of calculus:

1. linearity            grad(a*f + b*g) == a*grad(f) + b*grad(g)
2. product rule         grad(f*g) == f*grad(g) + g*grad(f)
3. chain rule           grad(h(f)) == h'(f)*grad(f) for unary primitives h, and for f(u(x, y), y) (f's first
                        variable replaced, as text, by an inner expression u) the multivariate chain rule
4. Hessians             H == H.T, and H == the Jacobian of reverse mode's gradient graph
5. jvp / vjp            u . jvp(v) == u . J v == vjp(u) . v for random u, v (two outputs)
6. higher order         derivative(order=2) == diag(H); order 3 agrees across forward, reverse and symbolic, and
                        equals order 2 of the gradient graph

Each side of an identity is computed by the same method, so this is a different check from
tests/test_random_expressions.py (which compares methods with each other): a method that is consistent with
the others but not with calculus, or that is self-consistent only for some shapes of graph, fails here.

Tolerances
----------
Exact methods (symbolic, forward, reverse): 1e-10 relative, measured with ``dk.discrepancy`` (``relative``).
Round-off is relative to what is added up, not to the result, so the denominator also holds the identity's
terms (a*grad f + b*grad g may cancel to nearly 0) and the size of the terms inside each derivative
(``round_off``: d/dx of 1.0*(x - x) + 1e-278*x is 1e-278, and reverse mode's 0 is within its round-off).
Hessian symmetry: exact where the method mirrors (symbolic, forward, numeric), 1e-12 for reverse mode.

The numeric method: 1e-6 relative (the corpus' numeric tolerance), or, where that is out of its reach, within
10x its own error model propagated through the identity (``central_difference_error`` and friends: truncation
h**2/6*|f'''| plus round-off R(f)/h per central difference, as in tests/test_random_expressions.py, with R(f)
the rounding error of evaluating f). Linearity is held to its round-off model alone, as both sides take the
same differences; derivative(order=2) and the Hessian's diagonal are the same second difference, exactly equal.

Hypothesis' statistics (``--hypothesis-show-statistics``) count the examples in each branch and, through
``target``, show the largest discrepancy found per property and method.

``PROPERTY_EXAMPLES`` (env ``DIFFKIT_PROPERTY_EXAMPLES``, default 40, so the README's test command stays within
its five minutes) sets the examples of each of the seven property tests; CI runs the file again with 150 (about
two minutes on two cores); ``DIFFKIT_PROPERTY_EXAMPLES=4000 python3 -m pytest tests/test_properties.py`` is a long
local run (28,000 examples).
"""

from __future__ import annotations

import os
import re
from itertools import combinations

import numpy as np
import pytest
from grammar import VARIABLES
from grammar import expressions as grammar_expressions
from hypothesis import assume, event, given, settings, target
from hypothesis import strategies as st

import diffkit as dk
from diffkit import ops

PROPERTY_EXAMPLES = int(os.environ.get("DIFFKIT_PROPERTY_EXAMPLES", "40"))

EXACT = ("symbolic", "forward", "reverse")
EXACT_TOL = 1e-10
SYMMETRY_TOL = 1e-12  # reverse mode's Hessian rows are independent backward sweeps: H[i, j] and H[j, i] differ
NUMERIC_TOL = 1e-6
MODEL_MARGIN = 10.0
EPS = float(np.finfo(np.float64).eps)
TINY = float(np.finfo(np.float64).smallest_subnormal)

def expressions(max_leaves: int = 5, variables=VARIABLES):
    """The shared grammar (tests/grammar.py), smaller by default: each property composes several of them."""
    return grammar_expressions(max_leaves=max_leaves, variables=variables)


# Points (and random vectors) come from a seed, as in tests/test_random_expressions.py: generic coordinates in
# [-2, 2] rather than hypothesis' favourite floats (0, 1, x == y), where a mathematically-zero derivative is an
# exact 0 in one method and 1e-17 in another.
seeds = st.integers(min_value=0, max_value=2**32 - 1)
# Coefficients for linearity: finite floats in [-4, 4], hypothesis' special values included (0, -0.0, integers,
# 1e-50), but none below 1e-100 (those become 0), so that a*f' stays clear of the underflow range: below 2.2e-308
# float64 keeps absolute, not relative, precision (found with b = 2.2e-313: b*g' = 6e-314 carries an error of
# 2.5e-324, 4e-11 of itself, which the numeric method then divides by h), and relative tolerances mean nothing.
constants = st.floats(min_value=-4.0, max_value=4.0, allow_nan=False, allow_infinity=False).map(
    lambda c: c if abs(c) >= 1e-100 else 0.0)


def point_for(names, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    coordinates = rng.uniform(-2.0, 2.0, size=len(VARIABLES))
    return {v: float(c) for v, c in zip(VARIABLES, coordinates, strict=True) if v in names}


def restrict(point: dict, graph: dk.Graph) -> dict:
    return {v: point[v] for v in graph.variables}


def grad(graph: dk.Graph, point: dict, method: str, names) -> np.ndarray:
    """The gradient as a vector over ``names`` (0 for a name the expression does not use)."""
    g = dk.gradient(graph, at=restrict(point, graph), method=method).gradient
    return np.array([g.get(n, 0.0) for n in names], dtype=float)


# --- what floating point can resolve ---------------------------------------------------------------------------
#
# Every method computes a derivative as a sum of terms, one per path from the variable to the output, each a
# product of local partials. When the terms cancel, no float64 method resolves the result better than about
# eps * (sum of |terms|), whatever its rule: the gradient of 1.0*(x - x) + 1e-278*x is 1e-278 exactly, but
# reverse mode adds the three adjoint contributions as (1.0 + 1e-278) - 1.0 = 0 (found by the linearity test),
# and d/dx [sin(x) - sinh(arctan(x))] = cos(x) - cosh(arctan(x))/(1 + x**2) is 8e-7 near x = 0.047 from two
# terms of size 1 (found by tests/test_random_expressions.py). Likewise an evaluation of f is only good to about
# eps * sum over its steps of |value of the step| * |df/d(step)|: log(1 + f**2) rounds at the size of the 1,
# not of the result. ``round_off`` computes both first-order (Wilkinson) bounds on the graph, with the primitive
# table's partial rules in NumPy (diffkit.ops.NUMPY, as forward and reverse mode read them): they enter the
# tolerances only as the scale that round-off is measured against.


def round_off(graph: dk.Graph, point: dict, names) -> tuple[np.ndarray, np.ndarray]:
    """(rounding, paths) of each output of ``graph`` at ``point``.

    paths[o, j]: sum over the paths from variable names[j] to output o of |product of local partials|, the size
    of the terms that make up d(output o)/d(names[j]) (0 for a name the graph does not use);
    rounding[o]: sum over the steps k of (eps*|v_k| + tiny)*paths(v_k -> o), the first-order bound on the
    rounding error of evaluating output o (tiny: the subnormal spacing, the absolute error of an underflow).
    Constant subexpressions are exact inputs here (both sides of an identity share them).
    """
    plan = graph.plan
    values: list = [None] * len(plan.nodes)
    paths = [None] * len(plan.nodes)
    for slot, value in plan.constants:
        values[slot] = np.float64(value)
    for name, slot in plan.variables.items():
        values[slot] = np.float64(point[name])
        paths[slot] = np.array([1.0 if n == name else 0.0 for n in names])
    partials = {}
    with np.errstate(all="ignore"):
        for step in plan.steps:
            args = [values[a] for a in step.args]
            values[step.out] = out = step.primitive.numpy(*args)
            active = [i for i, a in enumerate(step.args) if paths[a] is not None]
            if active:
                partials[step.out] = [(step.args[i], abs(float(step.primitive.partials[i](ops.NUMPY, out, *args))))
                                      for i in active]
                paths[step.out] = sum(p * paths[a] for a, p in partials[step.out])
    rounding = np.zeros(len(plan.outputs))
    for o, slot in enumerate(plan.outputs):
        weight = np.zeros(len(plan.nodes))  # paths from each slot to this output
        weight[slot] = 1.0
        for step in reversed(plan.steps):
            if step.out in partials and weight[step.out]:
                rounding[o] += (EPS * abs(float(values[step.out])) + TINY) * weight[step.out]
                for a, p in partials[step.out]:
                    weight[a] += weight[step.out] * p
    table = np.array([paths[slot] if paths[slot] is not None else np.zeros(len(names)) for slot in plan.outputs])
    assert np.all(np.isfinite(table)) and np.all(np.isfinite(rounding)), (graph, point)
    return rounding, table


def paths(graph: dk.Graph, point: dict, names) -> np.ndarray:
    """round_off's paths of a single-output graph, as a vector over ``names``."""
    return round_off(graph, point, names)[1][0]


def rounding(graph: dk.Graph, point: dict) -> float:
    """round_off's rounding of a single-output graph's value."""
    return float(round_off(graph, point, ())[0][0])


# --- measuring ------------------------------------------------------------------------------------------------


def relative(lhs, rhs, *terms) -> float:
    """``dk.discrepancy(lhs, rhs)`` with the identity's terms in the denominator.

    dk.discrepancy(A, B) = max|A - B| / max(max|A|, max|B|). Appending the terms to both arguments adds
    entries with no difference, so this is max|lhs - rhs| / max(|lhs|, |rhs|, |each term|): the same norm-wise
    relative measure, against the size of what the identity adds up rather than of its (possibly cancelled)
    result.
    """
    lhs, rhs = np.ravel(np.asarray(lhs, dtype=float)), np.ravel(np.asarray(rhs, dtype=float))
    assert np.all(np.isfinite(lhs)) and np.all(np.isfinite(rhs)), (lhs, rhs)
    extra = [np.ravel(np.asarray(t, dtype=float)) for t in terms]
    return dk.discrepancy(np.concatenate([lhs, *extra]), np.concatenate([rhs, *extra]))


class Observations:
    """The largest discrepancy of each kind within one example, reported to hypothesis' ``target`` at the end.

    Targeting steers the search toward larger discrepancies, and ``--hypothesis-show-statistics`` prints the
    highest score per label: the largest relative discrepancy per property and method (for the numeric
    method: the relative discrepancy where it is held to 1e-6, and error / allowance where its error model
    is used instead, 1 being the limit).
    """

    def __init__(self):
        self.worst: dict[str, float] = {}

    def __enter__(self):
        return self

    def __exit__(self, kind, *_):
        if kind is None:
            for label, value in self.worst.items():
                target(value, label=label)

    def note(self, label: str, value: float) -> None:
        self.worst[label] = max(self.worst.get(label, 0.0), float(value))

    def exact(self, what: str, method: str, lhs, rhs, *terms, size=None, tol: float = EXACT_TOL) -> None:
        """``relative(lhs, rhs, *terms, size) <= tol``; ``size`` is round_off's paths for the derivatives compared
        (the size of the terms every method adds up to get them), which counts where they cancel."""
        if size is not None:
            others = max(np.max(np.abs(np.asarray(x, dtype=float)), initial=0.0) for x in (lhs, rhs, *terms))
            if np.max(size, initial=0.0) > 100 * others:
                event(f"{what}: the derivative cancels (its terms > 100x its size)")
            terms = (*terms, size)
        d = relative(lhs, rhs, *terms)
        self.note(f"{what}: {method}", d)
        assert d <= tol, f"{what}, {method}: relative discrepancy {d:.3e} > {tol:g}\nlhs {lhs}\nrhs {rhs}"

    def numeric(self, what: str, lhs, rhs, terms, model, floor: float = NUMERIC_TOL) -> None:
        """Within ``floor`` (1e-6) relative, or, where that is beyond the method, within MODEL_MARGIN x its error
        model: |lhs - rhs| <= floor*scale + MODEL_MARGIN*model, entry by entry.

        ``model`` is a callable (called only when needed: it takes third derivatives) giving the expected
        absolute error of each entry of lhs - rhs. With ``floor=0`` the model alone decides.
        """
        lhs, rhs = np.ravel(np.asarray(lhs, dtype=float)), np.ravel(np.asarray(rhs, dtype=float))
        assert np.all(np.isfinite(lhs)) and np.all(np.isfinite(rhs)), (lhs, rhs)
        scale = max(np.max(np.abs(np.asarray(x, dtype=float)), initial=0.0) for x in (lhs, rhs, *terms))
        error = np.abs(lhs - rhs)
        if floor and np.all(error <= floor * scale):
            event(f"{what}, numeric: within {floor:g} relative")
            self.note(f"{what}: numeric (relative)", relative(lhs, rhs, *terms))
            return
        expected = np.ravel(np.asarray(model(), dtype=float))
        if floor:
            event(f"{what}, numeric: beyond {floor:g} relative, checked against its error model")
        allowed = floor * scale + MODEL_MARGIN * expected
        with np.errstate(divide="ignore", invalid="ignore"):
            self.note(f"{what}: numeric (error / allowance)", np.max(np.where(error > 0, error / allowed, 0.0)))
        assert np.all(error <= allowed), (
            f"{what}, numeric: error {error} exceeds {floor:g} relative + {MODEL_MARGIN:g}x the error model "
            f"{expected}\nlhs {lhs}\nrhs {rhs}"
        )


# --- the numeric method's error model ---------------------------------------------------------------------------
#
# A central difference in v with the documented automatic step h = eps^(1/3)*max(1, |v|) errs by about
#     truncation h**2/6 * |d3f/dv3|  +  round-off R(f)/h,
# where R(f) is the rounding error of one evaluation of f (``rounding``: eps*|f| when nothing cancels, as in
# tests/test_random_expressions.py, but eps*1 for log(1 + f**2) with f**2 < eps, where the central difference of
# a derivative of 1e-10 was off by 1.3e-12: found by the chain rule). A second difference (step
# h = eps^(1/4)*max(1, |v|)) errs by about h**2/12*|d4f/dv4| + 4*R(f)/h**2 on the diagonal, and
# h_a**2/6*|f_aaab| + h_b**2/6*|f_abbb| + R(f)/(h_a*h_b) off it (R(f), not eps*|f|: the numeric Hessian of
# 2.5*x - 3*y, where f = -0.10 from terms of size 4, was 6e-8 instead of 0). Derivatives in the models come from
# reverse mode (its third derivatives are checked against forward and symbolic mode in test_higher_order).


def central_step(x: float) -> float:
    return EPS ** (1 / 3) * max(1.0, abs(x))


def second_step(x: float) -> float:
    return EPS ** (1 / 4) * max(1.0, abs(x))


def third(graph: dk.Graph, point: dict, v: str) -> float:
    return float(dk.derivative(graph, wrt=v, order=3, at=restrict(point, graph), method="reverse").derivative)


def central_difference_error(graph: dk.Graph, point: dict, names) -> np.ndarray:
    """Expected error of the numeric gradient of ``graph``, per name (0 for names it does not use)."""
    noise = rounding(graph, point)
    out = np.zeros(len(names))
    for k, v in enumerate(names):
        if v in graph.variables:
            h = central_step(point[v])
            out[k] = h * h / 6 * abs(third(graph, point, v)) + noise / h
    return out


# --- 1. linearity -----------------------------------------------------------------------------------------------
#
# For the numeric method linearity is nearly exact: the automatic step depends only on the point, so both sides
# take the same central difference of the same values of f and g (computed by the same operations), and their
# truncation and rounding errors cancel identically. What remains is the rounding of a*f + b*g before the
# difference, about 2*eps*(|a*f| + |b*g|)/h per entry, plus that of the products a*f', b*g'. That model alone is
# the tolerance (no 1e-6).


def linearity_round_off(f: dk.Graph, g: dk.Graph, a: float, b: float, point: dict, names, df, dg) -> np.ndarray:
    size = abs(a * float(f.evaluate(restrict(point, f)))) + abs(b * float(g.evaluate(restrict(point, g))))
    steps = np.array([central_step(point[v]) for v in names])
    return (2 * EPS * size + 4 * TINY) / steps + 2 * EPS * (np.abs(a * df) + np.abs(b * dg))


@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
@given(f=expressions(), g=expressions(), a=constants, b=constants, seed=seeds)
def test_linearity(f, g, a, b, seed):
    fg, gg = dk.parse(f), dk.parse(g)
    combined = dk.parse(f"({a!r})*({f}) + ({b!r})*({g})")
    names = tuple(v for v in VARIABLES if v in fg.variables or v in gg.variables)
    point = point_for(names, seed)
    size = paths(combined, point, names)
    with Observations() as check:
        for m in dk.METHODS:
            lhs = grad(combined, point, m, names)
            df, dg = grad(fg, point, m, names), grad(gg, point, m, names)
            af, bg = a * df, b * dg
            if m == "numeric":
                check.numeric("linearity", lhs, af + bg, (af, bg),
                              lambda df=df, dg=dg: linearity_round_off(fg, gg, a, b, point, names, df, dg),
                              floor=0.0)
            else:
                check.exact("linearity", m, lhs, af + bg, af, bg, size=size)


# --- 2. product rule --------------------------------------------------------------------------------------------


@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
@given(f=expressions(), g=expressions(), seed=seeds)
def test_product_rule(f, g, seed):
    fg, gg = dk.parse(f), dk.parse(g)
    product = dk.parse(f"({f})*({g})")
    names = product.variables
    point = point_for(names, seed)
    fv, gv = float(fg.evaluate(restrict(point, fg))), float(gg.evaluate(restrict(point, gg)))
    size = paths(product, point, names)
    with Observations() as check:
        for m in dk.METHODS:
            lhs = grad(product, point, m, names)
            f_dg, g_df = fv * grad(gg, point, m, names), gv * grad(fg, point, m, names)
            if m == "numeric":
                check.numeric(
                    "product rule", lhs, f_dg + g_df, (f_dg, g_df),
                    lambda: central_difference_error(product, point, names)
                    + abs(fv) * central_difference_error(gg, point, names)
                    + abs(gv) * central_difference_error(fg, point, names),
                )
            else:
                check.exact("product rule", m, lhs, f_dg + g_df, f_dg, g_df, size=size)


# --- 3. chain rule ----------------------------------------------------------------------------------------------

# h: template, h'(u) in NumPy, and the largest |u| (or None) where h(u) is used.
# exp overflows past u ~ 709. tanh: SymPy differentiates it to 1 - tanh(u)**2, which cancels once tanh saturates
# (relative error eps/sech(u)**2, over 1e-10 past |u| ~ 7.5): a documented limitation of the symbolic method
# (docs/conventions.md; strict xfail in tests/test_corpus.py), so the symbolic method skips tanh past |u| = 5.
OUTER = {
    "sin": ("sin({0})", np.cos, None),
    "exp": ("exp({0})", np.exp, 700.0),
    "tanh": ("tanh({0})", lambda u: 1.0 / np.cosh(u) ** 2, None),
    "log(1+u^2)": ("log(1 + ({0})**2)", lambda u: 2 * u / (1 + u * u), None),
    "arctan": ("arctan({0})", lambda u: 1 / (1 + u * u), None),
    "sqrt(1+u^2)": ("sqrt(1 + ({0})**2)", lambda u: u / np.sqrt(1 + u * u), None),
}
TANH_SYMBOLIC_LIMIT = 5.0  # eps/sech(5)**2 = 1.2e-12


@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
@given(h=st.sampled_from(sorted(OUTER)), f=expressions(), seed=seeds)
def test_chain_rule_outer(h, f, seed):
    """d/dv h(f) = h'(f) * df/dv, with h' written out in NumPy."""
    template, h_prime, limit = OUTER[h]
    fg = dk.parse(f)
    composed = dk.parse(template.format(f))
    names = fg.variables
    point = point_for(names, seed)
    fv = float(fg.evaluate(point))
    if limit is not None:
        assume(abs(fv) <= limit)
    slope = float(h_prime(fv))
    size = paths(composed, point, names)
    with Observations() as check:
        for m in dk.METHODS:
            if m == "symbolic" and h == "tanh" and abs(fv) > TANH_SYMBOLIC_LIMIT:
                event("chain rule h(f), symbolic: tanh saturated, skipped (documented limitation)")
                continue
            lhs = grad(composed, point, m, names)
            rhs = slope * grad(fg, point, m, names)
            if m == "numeric":
                check.numeric(
                    "chain rule h(f)", lhs, rhs, (rhs,),
                    lambda: central_difference_error(composed, point, names)
                    + abs(slope) * central_difference_error(fg, point, names),
                )
            else:
                check.exact("chain rule h(f)", m, lhs, rhs, size=size)


def substitute(text: str, name: str, replacement: str) -> str:
    """``text`` with the variable ``name`` replaced by ``(replacement)`` (whole identifiers only)."""
    return re.sub(rf"\b{name}\b", lambda _: f"({replacement})", text)


@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
@given(f=expressions(variables=("t", "y")), u=expressions(max_leaves=3, variables=("x", "y")), seed=seeds)
def test_chain_rule_substitution(f, u, seed):
    """F(x, y) = f(u(x, y), y): dF/dx = f_t*u_x and dF/dy = f_t*u_y + f_y, with f's gradient taken at (u, y)."""
    fg, ug = dk.parse(f), dk.parse(u)
    composed = dk.parse(substitute(f, "t", u))
    if "t" not in fg.variables:
        event("chain rule f(u): f does not use t")
    names = ("x", "y")
    point = point_for(names, seed)
    inner = {"t": float(ug.evaluate(restrict(point, ug))), "y": point["y"]}
    size = paths(composed, point, names)
    with Observations() as check:
        for m in dk.METHODS:
            lhs = grad(composed, point, m, names)
            f_t, f_y = grad(fg, inner, m, ("t", "y"))
            u_grad = grad(ug, point, m, names)
            through_u, direct = f_t * u_grad, np.array([0.0, f_y])
            if m == "numeric":
                def model(f_t=f_t, u_grad=u_grad):
                    ft_error, fy_error = central_difference_error(fg, inner, ("t", "y"))
                    return (central_difference_error(composed, point, names)
                            + abs(f_t) * central_difference_error(ug, point, names)
                            + np.abs(u_grad) * ft_error + np.array([0.0, fy_error]))

                check.numeric("chain rule f(u)", lhs, through_u + direct, (through_u, direct), model)
            else:
                check.exact("chain rule f(u)", m, lhs, through_u + direct, through_u, direct, size=size)


# --- 4. Hessians ------------------------------------------------------------------------------------------------


def numeric_hessian_error(graph: dk.Graph, gradient: dk.Graph, point: dict) -> np.ndarray:
    """Expected error of (numeric Hessian) - (numeric Jacobian of the gradient graph), entry by entry.

    Second differences (see the model above) plus central differences of each gradient entry g_i = df/dx_i in
    x_j: h_j**2/6*|d3 g_i/dx_j3| + R(g_i)/h_j. The fourth derivatives d3 g_i/dx_j3 = f_ijjj are reverse mode's
    third derivatives of gradient_graph(f, wrt=[x_i]).
    """
    names = graph.variables
    n = len(names)
    noise = rounding(graph, point)
    slope_noise = round_off(gradient, point, ())[0]
    fourth = np.zeros((n, n))  # fourth[i, j] = |d3/dx_j3 of df/dx_i|
    for i, a in enumerate(names):
        component = dk.gradient_graph(graph, wrt=[a])
        for j, b in enumerate(names):
            if b in component.variables:
                fourth[i, j] = abs(third(component, point, b))
    h2 = np.array([second_step(point[v]) for v in names])
    h1 = np.array([central_step(point[v]) for v in names])
    error = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            error[i, j] = h1[j] ** 2 / 6 * fourth[i, j] + slope_noise[i] / h1[j]
            if i == j:
                error[i, i] += h2[i] ** 2 / 12 * fourth[i, i] + 4 * noise / h2[i] ** 2
            else:
                error[i, j] += (h2[i] ** 2 / 6 * fourth[j, i] + h2[j] ** 2 / 6 * fourth[i, j]
                                + noise / (h2[i] * h2[j]))
    return error


@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
@given(f=expressions(), seed=seeds)
def test_hessian_symmetric_and_jacobian_of_gradient(f, seed):
    graph = dk.parse(f)
    names = graph.variables
    gradient = dk.gradient_graph(graph)
    point = point_for(names, seed)
    size = round_off(gradient, point, names)[1]  # size[i, j]: the terms of d2f/dx_i dx_j
    with Observations() as check:
        for m in dk.METHODS:
            hess = dk.hessian(graph, at=point, method=m).hessian
            assert np.all(np.isfinite(hess)), (m, hess)
            if m == "reverse":
                # one backward sweep over the gradient graph per row: symmetric up to round-off
                check.exact("symmetry", m, hess, hess.T, size=np.maximum(size, size.T), tol=SYMMETRY_TOL)
            else:
                # symbolic differentiates i <= j and mirrors, forward and numeric fill both entries of a pair
                assert np.array_equal(hess, hess.T), (m, hess)
            jac = dk.jacobian(gradient, at=restrict(point, gradient), method=m, wrt=names).jacobian
            if m == "numeric":
                check.numeric("hessian = jacobian(gradient graph)", hess, jac, (),
                              lambda: numeric_hessian_error(graph, gradient, point))
            else:
                check.exact("hessian = jacobian(gradient graph)", m, hess, jac, size=size)


# --- 5. jvp and vjp ---------------------------------------------------------------------------------------------


def directional_third(text: str, point: dict, direction: dict) -> float:
    """d3/ds3 f(point + s*direction) at s = 0, by reverse mode on the text with each variable v -> v + d_v*s."""
    for v, d in direction.items():
        text = substitute(text, v, f"{v} + ({d!r})*s")
    graph = dk.parse(text)
    if "s" not in graph.variables:
        return 0.0
    at = {v: point[v] for v in graph.variables if v != "s"} | {"s": 0.0}
    return float(dk.derivative(graph, wrt="s", order=3, at=at, method="reverse").derivative)


def numeric_jvp_error(texts, graphs, point: dict, u, v, names) -> float:
    """Expected error of u . jvp(v) - u . J v for the numeric method.

    jvp is one central difference along v with step h = eps^(1/3)*max(1, max|x|)/max|v| (diffkit's rule):
    h**2/6*|d3 F_i/ds3| + R(F_i)/h per output; J v adds the gradient's model, weighted by |v|.
    """
    tangents = dict(zip(names, v.tolist(), strict=True))
    step = EPS ** (1 / 3) * max(1.0, max(abs(point[n]) for n in names)) / np.max(np.abs(v))
    total = 0.0
    for ui, text, graph in zip(u, texts, graphs, strict=True):
        jvp_error = step**2 / 6 * abs(directional_third(text, point, tangents)) + rounding(graph, point) / step
        total += abs(ui) * (jvp_error + central_difference_error(graph, point, names) @ np.abs(v))
    return total


@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
@given(f=expressions(), g=expressions(), seed=seeds)
def test_jvp_vjp_consistency(f, g, seed):
    """For outputs (f, g): u . jvp(v) == u . J v == vjp(u) . v, with u, v drawn from the seed."""
    texts = [f, g]
    graphs = [dk.parse(t) for t in texts]
    names = tuple(v for v in VARIABLES if any(v in gr.variables for gr in graphs))
    point = point_for(names, seed)
    rng = np.random.default_rng([seed, 1])
    u = rng.uniform(-1.0, 1.0, size=2)
    v = rng.uniform(-1.0, 1.0, size=len(names))
    tangents = dict(zip(names, v.tolist(), strict=True))
    size = (np.abs(u)[:, None] * np.array([paths(gr, point, names) for gr in graphs]) * np.abs(v)[None, :]).ravel()
    with Observations() as check:
        for m in dk.METHODS:
            jv = np.array(dk.jvp(texts, at=point, tangents=tangents, method=m).derivative, dtype=float)
            uj = dk.vjp(texts, at=point, cotangents=list(u), method=m).derivative
            uj = np.array([uj[n] for n in names])
            jac = dk.jacobian(texts, at=point, method=m).jacobian
            assert jac.shape == (2, len(names)), (m, jac.shape)
            terms = (u[:, None] * jac * v[None, :]).ravel()  # the products u_i J_ij v_j every side adds up
            ujv = terms.sum()
            # vjp contracts the Jacobian (the numeric one too): only the order of the sums differs
            check.exact("vjp(u) . v = u . J v", m, uj @ v, ujv, terms, size=size)
            if m == "numeric":
                check.numeric("u . jvp(v) = u . J v", u @ jv, ujv, (terms,),
                              lambda: numeric_jvp_error(texts, graphs, point, u, v, names))
            else:
                check.exact("u . jvp(v) = u . J v", m, u @ jv, ujv, terms, size=size)


# --- 6. higher order --------------------------------------------------------------------------------------------


@settings(max_examples=max(1, PROPERTY_EXAMPLES // 4), deadline=None)
@given(f=expressions(max_leaves=4, variables=("x", "y")), seed=seeds)
def test_higher_order(f, seed):
    """The higher-order properties on a quarter of the examples (the slowest property: ~0.3 s an example);
    ``test_higher_order_in_full`` (marked slow, run by CI) takes them all."""
    check_higher_order(f, seed)


@pytest.mark.slow
@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
@given(f=expressions(max_leaves=4, variables=("x", "y")), seed=seeds)
def test_higher_order_in_full(f, seed):
    check_higher_order(f, seed)


def check_higher_order(f, seed):
    """derivative(order=2) == diag(hessian) for every method; order 3 (in one variable, drawn) agrees across the
    exact methods and equals order 2 of reverse mode's gradient graph; the numeric method refuses order 3."""
    graph = dk.parse(f)
    names = graph.variables
    point = point_for(names, seed)
    v = names[seed % len(names)]
    size2 = np.diag(round_off(dk.gradient_graph(graph), point, names)[1])
    component = dk.gradient_graph(graph, wrt=[v])  # df/dv
    size3 = 0.0
    if v in component.variables:
        size3 = paths(dk.gradient_graph(component, wrt=[v]), point, (v,))
    with Observations() as check:
        for m in dk.METHODS:
            hess = dk.hessian(graph, at=point, method=m).hessian
            second = [dk.derivative(graph, wrt=w, order=2, at=point, method=m).derivative for w in names]
            if m == "numeric":  # the same second difference with the same step, both ways
                check.exact("order 2 = diag(hessian)", m, second, np.diag(hess), tol=0.0)
            else:
                check.exact("order 2 = diag(hessian)", m, second, np.diag(hess), size=size2)
        with pytest.raises(dk.MethodError):
            dk.derivative(graph, wrt=v, order=3, at=point, method="numeric")
        thirds = {m: float(dk.derivative(graph, wrt=v, order=3, at=point, method=m).derivative) for m in EXACT}
        for a, b in combinations(EXACT, 2):
            check.exact("order 3 across methods", f"{a} vs {b}", thirds[a], thirds[b], size=size3)
        # Forward and reverse only: SymPy re-deriving the (larger) gradient graph was half this test's time, and
        # the symbolic method's view of gradient graphs is already checked by the Hessian test above.
        for m in ("forward", "reverse"):
            via = 0.0
            if v in component.variables:
                via = float(dk.derivative(component, wrt=v, order=2, at=restrict(point, component),
                                          method=m).derivative)
            check.exact("order 3 = order 2 of gradient graph", m, thirds[m], via, size=size3)


# --- documented limitations met on the way ---------------------------------------------------------------------


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="documented limitation: the symbolic method evaluates softplus as SymPy's log(1 + exp(a)), "
                          "which keeps only absolute precision for a << 0 (docs/conventions.md)")
def test_limitation_symbolic_softplus_relative_precision():
    """Why the grammar bounds softplus' argument below: the product rule for softplus(x)*softplus(x) at x = -37,
    where softplus(x) = 8.5e-17. Forward and reverse mode (diffkit's stable softplus) are checked first."""
    x = -37.0
    s = np.logaddexp(0.0, x)
    expected = 2 * s / (1 + np.exp(-x))  # 2*softplus(x)*sigmoid(x) = 1.456e-32
    for m in ("forward", "reverse", "symbolic"):
        got = dk.gradient("softplus(x)*softplus(x)", at={"x": x}, method=m).gradient["x"]
        assert dk.discrepancy(got, expected) <= EXACT_TOL, f"{m}: {got!r}, expected {expected!r}"  # symbolic: 0.0
