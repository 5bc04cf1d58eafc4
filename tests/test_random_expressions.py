"""Random expressions, written as text by hypothesis and parsed with ``dk.parse``, differentiated four ways.

The grammar is designed so that no domain problem can arise at any real point, whatever the nesting:

* every risky argument is wrapped so it is safe: ``log(1 + A**2)``, ``ln(2 + sin(A))``, ``sqrt(2 + cos(A))``,
  ``arcsin(0.5*tanh(A))``, ``tan(tanh(A))`` (|tanh| < 1 < pi/2), ``A/(2 + cos(B))``, real and variable powers
  only of bases >= 0.5, and ``exp``/``sinh``/``cosh`` only of bounded arguments (so nothing overflows);
* the non-smooth primitives (abs, relu, maximum, minimum, sign, heaviside) only ever see arguments at least 0.5
  away from their kink (``abs(tanh(A) - 1.5)``, ``maximum(sin(A), 1.5 + cos(B))``, ...), so every method
  differentiates the same smooth branch and the finite-difference step never crosses a kink;
* constants appear only as coefficients next to a variable-dependent operand, never alone inside a function:
  a constant subexpression such as ``sin(pi)`` is exactly 0 for SymPy but 1.2e-16 in floating point, which
  would make a mathematically zero derivative look like a 100% relative disagreement;
* growth is capped: integer powers, products and ratios of unbounded operands are limited by the number of
  leaves (at most MAX_LEAVES), so values stay moderate and the central difference stays accurate.

Tolerances are those of the corpus (tests/test_corpus.py): symbolic, forward and reverse agree to 1e-10
relative (``dk.discrepancy``), the numeric central difference agrees with reverse mode to 1e-6.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st

import diffkit as dk

EXACT = ("symbolic", "forward", "reverse")
EXACT_TOL = 1e-10
NUMERIC_TOL = 1e-6
EPS = np.finfo(np.float64).eps
VARIABLES = ("x", "y", "z")
MAX_LEAVES = 8

# Coefficients: a few integers and reals, the constants pi and e.
COEFFICIENTS = ("0.5", "2", "3", "1.5", "0.25", "2.5", "pi", "e")

# One operand {0}; every template is defined, finite and smooth for every real value of {0}.
UNARY = (
    "sin({0})", "cos({0})", "tanh({0})", "arctan({0})", "atan({0})", "sigmoid({0})", "softplus({0})",
    "-({0})",
    "exp(sin({0}))", "exp(-({0})**2)", "exp(0.5*tanh({0}))",
    "log(1 + ({0})**2)", "ln(2 + sin({0}))", "log(sigmoid(tanh({0})))",
    "sqrt(1 + ({0})**2)", "sqrt(2 + cos({0}))",
    "arcsin(0.5*tanh({0}))", "asin(0.9*sin({0}))", "arccos(0.5*tanh({0}))", "acos(0.9*cos({0}))",
    "tan(tanh({0}))", "tan(0.5*sin({0}))",
    "sinh(tanh({0}))", "cosh(sin({0}))", "sinh(arctan({0}))",
    "({0})**2", "({0})^3", "(1 + ({0})**2)**0.75", "(1.5 + cos({0}))**(-1.5)", "(2 + sin({0}))**2.5",
    "1/(1 + ({0})**2)",
    # non-smooth primitives, always at least 0.5 away from their kinks
    "abs(tanh({0}) - 1.5)", "abs(1.5 + sin({0}))", "relu(1.5 + tanh({0}))", "relu(tanh({0}) - 1.5) + ({0})",
    "heaviside(2 + sin({0}))*({0})", "heaviside(sin({0}) - 2) + cos({0})",
)

# sign's argument is a bare variable {v}: the symbolic method crashes on sign(u) when SymPy cannot prove u
# real (u = log(...), sqrt(...), (...)**1.5, asin(...), which this grammar produces everywhere) -- a diffkit
# bug reproduced and marked xfail in tests/test_corpus.py (SYMBOLIC_SIGN_BUG). One operand {0}, one variable {v}.
SIGNED = ("sign(tanh({v}) - 1.5)*({0})", "sign(2 + cos({v}))*sin({0})")

# One operand {0} and one coefficient {c}.
SCALED = ("{c}*({0})", "({0}) + {c}", "({0}) - {c}", "({0})/{c}", "{c}/(2 + sin({0}))", "sin({c}*({0}))")

# Two operands {0}, {1}.
BINARY = (
    "({0}) + ({1})", "({0}) - ({1})", "({0})*({1})", "({0})*({1})",
    "({0})/(2 + cos({1}))", "({0})/(1 + ({1})**2)", "arctan(({0})/(1 + ({1})**2))",
    "sin(({0})*({1}))", "log(1 + ({0})**2 + ({1})**2)",
    "maximum(sin({0}), 1.5 + cos({1}))", "max(tanh({0}), tanh({1}) + 3)",
    "minimum(tanh({0}) - 3, tanh({1}))", "min(sin({0}), cos({1}) + 2.5)",
)
# Variable exponents (powers whose exponent depends on a variable). Kept apart: see HESSIAN_BINARY.
VARIABLE_POWERS = ("(2 + sin({0}))**tanh({1})", "(1 + ({0})**2)**(0.5*sin({1}))", "(1.5 + tanh({0}))^cos({1})")


def expressions(binary=BINARY + VARIABLE_POWERS, max_leaves: int = MAX_LEAVES,
                variables=VARIABLES) -> st.SearchStrategy[str]:
    """Expression text over the variables (x, y, z) built recursively from the safe templates above."""
    leaves = st.sampled_from(variables)

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        unary = st.builds(lambda t, a: t.format(a), st.sampled_from(UNARY), children)
        signed = st.builds(lambda t, v, a: t.format(a, v=v), st.sampled_from(SIGNED), leaves, children)
        scaled = st.builds(lambda t, c, a: t.format(a, c=c), st.sampled_from(SCALED),
                           st.sampled_from(COEFFICIENTS), children)
        two = st.builds(lambda t, a, b: t.format(a, b), st.sampled_from(binary), children, children)
        return st.one_of(unary, signed, scaled, two)

    return st.recursive(leaves, extend, max_leaves=max_leaves)


# A point: hypothesis draws a seed, NumPy turns it into generic coordinates in [-2, 2]. Hypothesis' own float
# strategy favours special values (0, ±1, x == y), where mathematically-zero derivatives come out as exact zeros
# in one method and as 1e-17 in another (a meaningless 100% relative discrepancy); seeded uniform points avoid
# these coincidences while staying reproducible and shrinkable (by seed).
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def point_for(graph: dk.Graph, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    coordinates = rng.uniform(-2.0, 2.0, size=len(VARIABLES))
    return {v: float(c) for v, c in zip(VARIABLES, coordinates, strict=True) if v in graph.variables}


def parse_with_a_variable(text: str) -> dk.Graph:
    """The parsed expression; the grammar's leaves are variables, so every expression has at least one."""
    graph = dk.parse(text)
    assert graph.variables, text
    return graph


def test_grammar_is_well_formed():
    """Every template parses with a variable in each slot, and all of them together use every primitive."""
    used = set()
    for template in UNARY + SIGNED + SCALED + BINARY + VARIABLE_POWERS:
        text = template.format("x", "y", c="2", v="z")
        graph = dk.parse(text)
        used |= {step.primitive.name for step in graph.plan.steps}
        assert np.isfinite(graph.evaluate({v: 0.3 for v in graph.variables})), text
    assert set(dk.PRIMITIVES) <= used, set(dk.PRIMITIVES) - used


# The numeric method's round-off floor. A central difference divides the rounding error of f(x+h) - f(x-h),
# about eps*|f|, by 2h with h >= eps^(1/3) (the automatic step is eps^(1/3)*max(1, |x|)): an absolute error of
# up to eps^(2/3)*|f| ~ 3.7e-11*|f| that no step can remove. Where the gradient is tiny compared with f (near a
# stationary point, or a saturated tanh/sigmoid: measured about 3% of random examples), this floor alone exceeds
# 1e-6 of the gradient, and the 1e-6 relative check would test the floating-point format, not diffkit: two
# such examples failed it at 5e-5 and 2e-3 while their errors were 0.2x and 0.02x the floor. Those examples are
# checked against the floor instead (with a 10x margin); every other example is held to 1e-6 relative.
ROUND_OFF_BOUND = 1e-7  # floor / gradient scale above which 1e-6 relative is not attainable with margin


def round_off_floor(value: float) -> float:
    return EPS ** (2 / 3) * abs(value)


@settings(max_examples=300, deadline=None)
@given(text=expressions(), seed=seeds)
def test_random_gradients_agree(text, seed):
    graph = parse_with_a_variable(text)
    point = point_for(graph, seed)
    results = {m: dk.gradient(graph, at=point, method=m) for m in dk.METHODS}
    answers = {m: r.as_array() for m, r in results.items()}
    for m, a in answers.items():
        assert a.shape == (len(graph.variables),), m
        assert np.all(np.isfinite(a)), f"{m}: {a}"
    for a, b in combinations(EXACT, 2):
        d = dk.discrepancy(answers[a], answers[b])
        assert d <= EXACT_TOL, f"{a} vs {b}: {d:.3e}\n{answers}"
    value = graph.evaluate(point)
    for m, r in results.items():
        assert abs(r.value - value) <= 1e-12 * max(1.0, abs(value)), m
    scale = np.max(np.abs(answers["reverse"]), initial=0.0)
    floor = round_off_floor(value)
    if floor <= ROUND_OFF_BOUND * scale:
        event("numeric: checked to 1e-6 relative")
        d = dk.discrepancy(answers["numeric"], answers["reverse"])
        assert d <= NUMERIC_TOL, f"numeric vs reverse: {d:.3e}\n{answers}"
    else:
        event("numeric: gradient below the round-off floor, checked against the floor")
        error = np.max(np.abs(answers["numeric"] - answers["reverse"]))
        assert error <= NUMERIC_TOL * scale + 10 * floor, f"numeric error {error:.3e}, floor {floor:.3e}\n{answers}"


# Hessians of random expressions: forward mode's nested duals crash on a power whose base carries no tangent at
# the level being differentiated (a known diffkit bug, reproduced and marked xfail in tests/test_corpus.py:
# FORWARD_POW_BUG). A variable exponent with a base independent of one of the variables triggers it, so the
# Hessian grammar leaves VARIABLE_POWERS out; the gradient test above covers them.
@settings(max_examples=100, deadline=None)
@given(text=expressions(binary=BINARY, max_leaves=6), seed=seeds)
def test_random_hessians_agree(text, seed):
    graph = parse_with_a_variable(text)
    point = point_for(graph, seed)
    n = len(graph.variables)
    answers = {m: dk.hessian(graph, at=point, method=m).hessian for m in EXACT}
    for m, h in answers.items():
        assert h.shape == (n, n), m
        assert np.all(np.isfinite(h)), f"{m}: {h}"
    for a, b in combinations(EXACT, 2):
        d = dk.discrepancy(answers[a], answers[b])
        assert d <= EXACT_TOL, f"{a} vs {b}: {d:.3e}\n{answers}"


# One variable: every subexpression depends on x, so no power has a tangent-free base and the forward-mode pow
# bug cannot trigger; variable exponents are included.
@settings(max_examples=50, deadline=None)
@given(text=expressions(max_leaves=5, variables=("x",)), seed=seeds)
def test_random_third_derivatives_agree(text, seed):
    graph = parse_with_a_variable(text)
    point = point_for(graph, seed)
    answers = {m: dk.derivative(graph, wrt="x", order=3, at=point, method=m).derivative for m in EXACT}
    for m, a in answers.items():
        assert np.isfinite(a), m
    for a, b in combinations(EXACT, 2):
        d = dk.discrepancy(answers[a], answers[b])
        assert d <= EXACT_TOL, f"{a} vs {b}: {d:.3e}\n{answers}"


@settings(max_examples=100, deadline=None)
@given(text=expressions(max_leaves=6), seeds=st.lists(seeds, min_size=5, max_size=5))
def test_random_batch_equals_points(text, seeds):
    """A batch of points gives gradients of the batch's shape, equal to the points taken one at a time."""
    graph = parse_with_a_variable(text)
    points = [point_for(graph, s) for s in seeds]
    batch = {v: np.array([p[v] for p in points]) for v in graph.variables}
    for m in ("reverse", "forward", "numeric"):
        batched = dk.gradient(graph, at=batch, method=m).as_array()
        assert batched.shape == (len(graph.variables), len(points)), m
        for k, p in enumerate(points):
            single = dk.gradient(graph, at=p, method=m).as_array()
            tol = 1e-9 if m == "numeric" else 1e-13
            assert dk.discrepancy(batched[:, k], single) <= tol, (m, k)
