"""The grammar of random expression text shared by the hypothesis suites (random expressions, properties).

Every template is defined, finite and smooth at every real value of its operands, whatever the nesting:

* risky arguments are wrapped so they are safe: ``log(1 + A**2)``, ``ln(2 + sin(A))``, ``sqrt(2 + cos(A))``,
  ``arcsin(0.5*tanh(arctan(A)))``, ``tan(tanh(arctan(A)))`` (|tanh(arctan(A))| < 0.92 < pi/2),
  ``A/(2 + cos(B))``, real and variable powers only of bases >= 0.5, and ``exp``/``sinh``/``cosh`` only of
  bounded arguments (so nothing overflows);
* the non-smooth primitives (abs, relu, maximum, minimum, clip, sign, heaviside) only ever see arguments at least
  0.5 away from their kink, and floor, ceil, round, trunc, mod, fmod at least 0.3 away from their jumps (mod's
  and fmod's quotient a/b stays within (1.14, 1.37) in size), so every method differentiates the same smooth
  branch and no finite-difference step crosses a kink; lgamma and digamma stay 0.1 away from their poles, and
  arctan2 away from its jump (x > 0 or y > 0);
* the saturating functions get bounded arguments: tanh at most pi, sigmoid at most 6*pi, softplus in [-2.47, 2].
  Deeper saturation reaches the symbolic method's documented limitations (SymPy's formulas evaluated as
  written: tanh' = 1 - tanh**2 cancels, log(1 + exp(a)) keeps only absolute precision for a << 0, and
  sigmoid/softplus overflow past |a| ~ 709; docs/conventions.md), reproduced as strict xfails elsewhere;
* constants appear only as coefficients next to a variable-dependent operand, never alone inside a function:
  ``sin(pi)`` is exactly 0 for SymPy but 1.2e-16 in floating point, which would make a mathematically zero
  derivative look like a 100% relative disagreement.
"""

from hypothesis import strategies as st

VARIABLES = ("x", "y", "z")

COEFFICIENTS = ("0.5", "2", "3", "1.5", "0.25", "2.5", "pi", "e")

UNARY = (
    "sin({0})", "cos({0})", "arctan({0})", "atan({0})", "tanh(arctan({0}))", "tanh(2*arctan({0}))",
    "sigmoid(12*arctan({0}))", "softplus(2*sin({0}))", "softplus(-arctan({0})**2)",
    "-({0})",
    "exp(sin({0}))", "exp(-({0})**2)", "exp(0.5*tanh(arctan({0})))",
    "log(1 + ({0})**2)", "ln(2 + sin({0}))", "log(sigmoid(arctan({0})))",
    "log10(2 + sin({0}))", "log2(1 + ({0})**2)", "cbrt(2 + sin({0}))", "cbrt(sin({0}) - 2)",
    "sqrt(1 + ({0})**2)", "sqrt(2 + cos({0}))",
    "arcsin(0.5*tanh(arctan({0})))", "asin(0.9*sin({0}))", "arccos(0.6*arctan({0}))", "acos(0.9*cos({0}))",
    "tan(tanh(arctan({0})))", "tan(0.5*sin({0}))",
    "sinh(tanh(arctan({0})))", "cosh(sin({0}))", "sinh(arctan({0}))", "sech(3*arctan({0}))",
    "({0})**2", "({0})^3", "(1 + ({0})**2)**0.75", "(1.5 + cos({0}))**(-1.5)", "(2 + sin({0}))**2.5",
    "1/(1 + ({0})**2)",
    "abs(tanh(arctan({0})) - 1.5)", "abs(1.5 + sin({0}))",
    "sign(tanh(arctan({0})) - 1.5)*({0})", "sign(2 + cos({0}))*sin({0})",
    "relu(1.5 + tanh(arctan({0})))", "relu(tanh(arctan({0})) - 1.5) + ({0})",
    "heaviside(2 + sin({0}))*({0})", "heaviside(sin({0}) - 2) + cos({0})",
    "log1p(({0})**2)", "log1p(0.5*sin({0}))", "expm1(0.5*sin({0}))", "expm1(-({0})**2)", "hypot(1, {0})",
    "arcsinh({0})", "asinh(2*sin({0}))", "arccosh(1.5 + ({0})**2)", "acosh(2 + sin({0}))",
    "arctanh(0.5*tanh(arctan({0})))", "atanh(0.9*sin({0}))",
    "erf({0})", "erf(0.5*({0}) - 1)", "lgamma(1 + ({0})**2)", "lgamma(0.4*sin({0}) - 2.5)",
    "digamma(1.5 + ({0})**2)", "digamma(0.4*sin({0}) - 1.5)", "polygamma(1, 1 + ({0})**2)",
    "polygamma(2, 2 + sin({0}))",
    "clip(tanh(arctan({0})), -2, 2)", "clip(2 + sin({0}), -1, 0.5)*({0})",
    "floor(0.1*tanh(arctan({0})) + 2.5)*({0})", "ceil(0.1*sin({0}) - 1.5) + ({0})",
    "round(0.1*sin({0}) + 3)*({0})", "trunc(0.1*sin({0}) - 2.5)*({0})",
)
SCALED = ("{c}*({0})", "({0}) + {c}", "({0}) - {c}", "({0})/{c}", "{c}/(2 + sin({0}))", "sin({c}*({0}))")
BINARY = (
    "({0}) + ({1})", "({0}) - ({1})", "({0})*({1})",
    "({0})/(2 + cos({1}))", "({0})/(1 + ({1})**2)", "arctan(({0})/(1 + ({1})**2))",
    "sin(({0})*({1}))", "log(1 + ({0})**2 + ({1})**2)",
    "maximum(sin({0}), 1.5 + cos({1}))", "max(tanh(arctan({0})), tanh(arctan({1})) + 3)",
    "minimum(tanh(arctan({0})) - 3, tanh(arctan({1})))", "min(sin({0}), cos({1}) + 2.5)",
    "hypot({0}, 1 + ({1})**2)", "arctan2({0}, 2 + cos({1}))", "atan2(1 + ({0})**2, {1})",
    "mod(0.1*sin({0}) + 2.5, 2 + 0.1*cos({1}))", "fmod(0.1*sin({0}) - 2.5, 2 + 0.1*cos({1}))",
    "(2 + sin({0}))**arctan({1})", "(1 + ({0})**2)**(0.5*sin({1}))", "(1.5 + tanh(arctan({0})))^cos({1})",
)


def expressions(max_leaves: int = 8, variables=VARIABLES) -> st.SearchStrategy[str]:
    """Expression text over ``variables``, built recursively from the safe templates above."""

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        unary = st.builds(lambda t, a: t.format(a), st.sampled_from(UNARY), children)
        scaled = st.builds(lambda t, c, a: t.format(a, c=c), st.sampled_from(SCALED),
                           st.sampled_from(COEFFICIENTS), children)
        two = st.builds(lambda t, a, b: t.format(a, b), st.sampled_from(BINARY), children, children)
        return st.one_of(unary, scaled, two)

    return st.recursive(st.sampled_from(variables), extend, max_leaves=max_leaves)
