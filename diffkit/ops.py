"""The primitive table: every operation diffkit knows, each written once.

A primitive carries its vectorized NumPy implementation, its SymPy counterpart, its flop cost per element and
its derivative rule. Elementwise primitives state their derivative as *local partials* ∂out/∂argᵢ, written
against a math namespace ``xp`` whose functions are the primitives themselves. The same rule therefore runs

* on NumPy arrays (``NUMPY``)          -> forward and reverse sweeps over numbers,
* on dual numbers (``diffkit.dual``)   -> nested forward mode for higher derivatives,
* on graph handles (``diffkit.trace``) -> reverse mode emitting its gradient as a new graph.

Partials that are the constants 0, 1 or -1 are written as plain Python numbers, so the engines can skip the
multiplication (and a zero partial means the argument gets no derivative at all).

Adding a primitive means adding one ``Primitive(...)`` entry below and nothing anywhere else.

Non-differentiable points follow one convention in every method (see ``docs/conventions.md``):
``abs'(0) = sign(0) = 0``, ``relu'(0) = 0``, and ``maximum``/``minimum`` split a tie evenly (½ each), which is
also what SymPy's ``Heaviside(0) = ½`` gives for ``Max``/``Min``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import sympy as sp

from . import domain
from .linalg import LINALG_PRIMITIVES
from .primitive import ARITHMETIC, TRANSCENDENTAL, Primitive, is_constant  # noqa: F401 (re-exported)
from .reductions import REDUCTIONS_PRIMITIVES
from .shaping import SHAPING_PRIMITIVES
from .tensor_ops import TENSOR_PRIMITIVES

# --- NumPy implementations that need more than one call -------------------------------------------------


def _sigmoid(x):
    """Logistic function, stable for large |x| (never evaluates exp of a large positive number)."""
    x = np.asarray(x)
    if np.iscomplexobj(x):
        return 1.0 / (1.0 + np.exp(-x))
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(x):
    """log(1 + exp(x)), stable for large |x|."""
    x = np.asarray(x)
    if np.iscomplexobj(x):
        return np.log1p(np.exp(x))
    return np.logaddexp(0.0, x)


def _sech(x):
    """1 / cosh(x), without overflow: 2e / (1 + e²) with e = exp(-|x|) <= 1 (cosh itself overflows past 710)."""
    x = np.asarray(x)
    # complex x (the numeric method's complex step): the same form with e = exp(-x·sign(Re x)), |e| <= 1
    e = np.exp(-x * np.where(x.real < 0, -1.0, 1.0)) if np.iscomplexobj(x) else np.exp(-np.abs(x))
    return 2.0 * e / (1.0 + e * e)


def _tanh_partial(xp, o, a):
    """tanh' = sech(a)², not 1 - tanh(a)²: the difference cancels to 0 once tanh(a) rounds to ±1 (|a| > 19),
    while sech² keeps full relative accuracy and never overflows. One sech and one product: cheap in every
    arithmetic, dual numbers included (an earlier 4·σ(2a)·σ(-2a) cost two sigmoids and four products)."""
    s = xp.sech(a)
    return s * s


def _heaviside(x):
    """Step function with H(0) = 0 (the relu'(0) = 0 convention), nan kept nan.

    Written as a comparison rather than ``np.heaviside``, which is ~10x slower and made relu' the most
    expensive step of an MLP's backward sweep."""
    x = np.asarray(x)
    if np.iscomplexobj(x):
        return np.heaviside(x.real, 0.0)
    step = np.greater(x, 0.0).astype(np.float64)
    if step.ndim == 0:
        return np.float64(np.nan) if np.isnan(x) else step[()]
    nan = np.isnan(x)
    if nan.any():
        step[nan] = np.nan
    return step


# --- SymPy counterparts that SymPy does not have ------------------------------------------------------------


class ReLU(sp.Function):
    """relu(x) = max(x, 0) for SymPy, with the derivative convention relu'(0) = 0."""

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return sp.Max(x, 0)
        return None

    def fdiff(self, argindex=1):
        return sp.Heaviside(self.args[0], 0)


class RealAbs(sp.Function):
    """|x| for a real x. SymPy's Abs cannot always prove its argument real (sqrt(2 + cos(x)) might be complex
    to it) and then differentiates with the complex formula; diffkit's values are real, so abs' = sign."""

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return sp.Abs(x)
        return None

    def fdiff(self, argindex=1):
        return RealSign(self.args[0])


class RealSign(sp.Function):
    """sign(x) for a real x, with derivative 0 (sign is flat away from 0; the convention takes 0 at 0 too)."""

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return sp.sign(x)
        return None

    def fdiff(self, argindex=1):
        return sp.S.Zero


class RealCbrt(sp.Function):
    """The real cube root (cbrt(-8) = -2, as np.cbrt). SymPy's cbrt is x**(1/3), the complex principal root,
    which is not real for x < 0; cbrt' = 1 / (3·cbrt(x)²)."""

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return sp.real_root(x, 3)
        return None

    def fdiff(self, argindex=1):
        return 1 / (3 * RealCbrt(self.args[0]) ** 2)


# How lambdify evaluates diffkit's own SymPy functions.
SYMPY_NUMPY_MODULES = [
    {"ReLU": lambda x: np.maximum(x, 0.0), "RealAbs": np.abs, "RealSign": np.sign, "RealCbrt": np.cbrt},
    "numpy",
]


def _pow_base_partial(xp, out, a, b):
    """∂(a**b)/∂a = b·a^(b-1). For the exponent 0, a**0 is constant: the partial is a true zero (written as
    the int 0), where the formula would give 0·a^-1 = nan at a = 0 (reached by the third derivative of x**2)."""
    if isinstance(b, int | float) and b == 0:  # a plain number (graph handles and duals are neither)
        return 0
    return b * a ** (b - 1)


# SymPy computes integer powers of exact numbers exactly: 9**9**9 is a 369-million-digit integer, computed in C
# where no time budget can interrupt it, and 2**2**2**2**2**2 exhausts memory. No exact number past this many
# bits is built: its size is estimated first (bits ≈ exponent·log2|base|), and past it the power is computed in
# float64, as the other methods compute it.
MAX_EXACT_BITS = 10_000
FLOAT_MAX = sp.Integer(int(np.finfo(np.float64).max))


class Opaque(sp.Dummy):
    """A float constant SymPy must not fold: inf, nan, or a zero divisor, as the float methods hold them.

    SymPy's own ∞ and nan absorb what they touch (oo + x is oo, whose derivative is 0; x/0 is zoo·x), where the
    float methods give inf + x the derivative 1 and x/0 NumPy's ±inf. As a symbol, the constant differentiates
    as they do; the compiled derivative takes its ``value`` as an argument, so NumPy computes with it (and
    reports what it does). Each is its own symbol, so inf/inf stays nan, not 1.
    """

    def __new__(cls, value: float):
        name = "inf" if value > 0 else "zero" if value == 0 else "nan"  # printed _inf, _zero, _nan
        constant = super().__new__(cls, name, **({"positive": True} if value > 0 else {"real": True}))
        constant.value = value
        return constant

    def __reduce_ex__(self, protocol):
        """Pickled and copied by value (a new, equally opaque constant), as ``__new__`` takes it."""
        return type(self), (self.value,)


def float_number(value: float) -> sp.Expr:
    """A float as SymPy sees it: a Float, or an Opaque constant (±inf, nan)."""
    if math.isfinite(value):
        return sp.Float(value)
    return -Opaque(math.inf) if value == -math.inf else Opaque(value)


def _number_value(expr: sp.Expr) -> float | None:
    """The float of a number SymPy holds (an exact or Float number, pi, e, ±Opaque), None for anything else."""
    if isinstance(expr, Opaque):
        return expr.value
    if expr.is_Mul and len(expr.args) == 2 and expr.args[0] == -1 and isinstance(expr.args[1], Opaque):
        return -expr.args[1].value
    if (expr.is_Number or expr.is_NumberSymbol) and expr.is_finite:
        return _as_float(expr)
    return None


def sympy_apply(primitive: Primitive, args: list) -> sp.Expr:
    """An elementwise primitive's SymPy rule, with the float methods' values where SymPy's differ.

    On numbers, SymPy folds what NumPy flags: 1/0 to zoo, log(0) to zoo, sqrt(-1) to I. There the value is
    NumPy's (±inf, nan), an Opaque constant, and NumPy's signal is reported as the float methods report it
    (``div: division by zero``). A zero divisor of a non-number stays opaque (x/0 is NumPy's x/0 when
    compiled). Exact numbers stay bounded (``bounded``).
    """
    numbers = [_number_value(a) for a in args]
    if all(n is not None for n in numbers):
        events: list[str] = []
        with np.errstate(all="call", under="ignore", call=lambda kind, flag: events.append(kind)):
            value = float(primitive.numpy(*[np.float64(n) for n in numbers]))
        if events:
            for kind in dict.fromkeys(events):
                domain.flag(primitive.name, kind)
            return float_number(value)
    elif primitive.name == "div" and numbers[1] == 0:
        args = [args[0], Opaque(0.0)]
    return bounded(primitive.sympy(*args), primitive.name)


def _exact_bits(number: sp.Rational) -> float:
    """Bits of an exact number's numerator or denominator, whichever is longer."""
    return float(max(int(number.p).bit_length(), int(number.q).bit_length()))


def _as_float(number: sp.Expr) -> float:
    """A SymPy number as a float: ±inf when it is too large for one."""
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf


def sympy_power(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """a**b for SymPy, never building an exact number past MAX_EXACT_BITS (see ``bounded``).

    Two powers would build one: a power of exact numbers (2**65536), and a power of a product with an exact
    coefficient, which SymPy distributes ((3·x)**10**6 = 3**10**6 · x**10**6). Past the bound, the first is
    NumPy's float64 power (inf on overflow, reported as pow's, as the float methods report it), the second
    takes the coefficient as a SymPy Float (53 bits, any exponent; one past a float is reported when compiled).
    """
    if not b.is_Number or b in (sp.oo, -sp.oo, sp.nan, sp.zoo):
        return a**b
    coefficient, rest = a.as_coeff_Mul()
    if not coefficient.is_Rational or abs(coefficient) in (0, 1):
        return a**b
    try:
        bits = _exact_bits(coefficient) * abs(float(b))
    except OverflowError:  # an exponent too large for a float
        bits = math.inf
    if bits <= MAX_EXACT_BITS:
        return bounded(a**b, "pow")
    if rest != 1:
        return (sp.Float(coefficient) * rest) ** b
    base, exponent = _as_float(coefficient), _number_value(b)
    with np.errstate(all="ignore"):
        value = float(np.power(np.float64(base), np.float64(exponent)))
    if math.isnan(value):
        domain.flag("pow", "invalid value")
    elif math.isinf(value) and math.isfinite(base):
        domain.flag("pow", "overflow")
    return float_number(value)


def bounded(expr: sp.Expr, name: str) -> sp.Expr:
    """A primitive's SymPy result, a number past a float's range or MAX_EXACT_BITS as its float.

    An exact number a float cannot hold (10**400) is inf for the float methods, which report the primitive
    that made it as overflowing; here it becomes an ``Opaque`` inf with the same report. Only powers grow exact
    numbers fast (guarded before they compute, in ``sympy_power``); sums and products of bounded numbers are
    at most twice as long, so checking each result keeps every exact number of a graph bounded.
    """
    if expr.is_Float and expr.is_finite and math.isinf(float(expr)):  # 1e300*1e300: a Float past a float's range
        domain.flag(name, "overflow")
        return float_number(float(expr))
    if not expr.is_Rational or (_exact_bits(expr) <= MAX_EXACT_BITS and abs(expr) <= FLOAT_MAX):
        return expr
    value = _as_float(expr)
    if math.isinf(value):
        domain.flag(name, "overflow")
    return float_number(value)


def _split_tie(first_wins: bool):
    """Partial of maximum/minimum: 1 where this argument wins, 0 where it loses, ½ at a tie."""
    if first_wins:
        return lambda xp, out, a, b: (1 + xp.sign(a - b)) / 2
    return lambda xp, out, a, b: (1 - xp.sign(a - b)) / 2


# --- The table ------------------------------------------------------------------------------------------------

_T = TRANSCENDENTAL
_A = ARITHMETIC

PRIMITIVES_LIST: list[Primitive] = [
    # arithmetic
    Primitive("add", 2, np.add, lambda a, b: a + b, (lambda xp, o, a, b: 1, lambda xp, o, a, b: 1), _A, "+"),
    Primitive("sub", 2, np.subtract, lambda a, b: a - b, (lambda xp, o, a, b: 1, lambda xp, o, a, b: -1), _A, "-"),
    Primitive("mul", 2, np.multiply, lambda a, b: a * b, (lambda xp, o, a, b: b, lambda xp, o, a, b: a), _A, "*"),
    Primitive(
        "div", 2, np.divide, lambda a, b: a / b,
        (lambda xp, o, a, b: 1 / b, lambda xp, o, a, b: -o / b), _A, "/",
    ),
    Primitive("neg", 1, np.negative, lambda a: -a, (lambda xp, o, a: -1,), _A, "-"),
    Primitive(
        "pow", 2, np.power, sympy_power,
        (_pow_base_partial, lambda xp, o, a, b: o * xp.log(a)), _T, "**",
        doc="a**b; the partial in b is only formed when b depends on a variable.",
    ),
    # exponentials and logarithms
    Primitive("exp", 1, np.exp, sp.exp, (lambda xp, o, a: o,), _T),
    Primitive("log", 1, np.log, sp.log, (lambda xp, o, a: 1 / a,), _T, aliases=("ln",)),
    Primitive("log10", 1, np.log10, lambda a: sp.log(a, 10), (lambda xp, o, a: 1 / (a * math.log(10)),), _T,
              doc="Base-10 logarithm."),
    Primitive("log2", 1, np.log2, lambda a: sp.log(a, 2), (lambda xp, o, a: 1 / (a * math.log(2)),), _T,
              doc="Base-2 logarithm."),
    Primitive("sqrt", 1, np.sqrt, sp.sqrt, (lambda xp, o, a: 0.5 / o,), _A),
    Primitive("cbrt", 1, np.cbrt, RealCbrt, (lambda xp, o, a: 1 / (3 * o * o),), _T,
              doc="Real cube root: cbrt(-8) = -2 (not (-8)**(1/3), which is nan on the real line)."),
    # trigonometry
    Primitive("sin", 1, np.sin, sp.sin, (lambda xp, o, a: xp.cos(a),), _T),
    Primitive("cos", 1, np.cos, sp.cos, (lambda xp, o, a: -xp.sin(a),), _T),
    Primitive("tan", 1, np.tan, sp.tan, (lambda xp, o, a: 1 + o * o,), _T),
    Primitive("arcsin", 1, np.arcsin, sp.asin, (lambda xp, o, a: 1 / xp.sqrt(1 - a * a),), _T, aliases=("asin",)),
    Primitive("arccos", 1, np.arccos, sp.acos, (lambda xp, o, a: -1 / xp.sqrt(1 - a * a),), _T, aliases=("acos",)),
    Primitive("arctan", 1, np.arctan, sp.atan, (lambda xp, o, a: 1 / (1 + a * a),), _T, aliases=("atan",)),
    # hyperbolic
    Primitive("sinh", 1, np.sinh, sp.sinh, (lambda xp, o, a: xp.cosh(a),), _T),
    Primitive("cosh", 1, np.cosh, sp.cosh, (lambda xp, o, a: xp.sinh(a),), _T),
    Primitive("tanh", 1, np.tanh, sp.tanh, (_tanh_partial,), _T),
    # priced as 1 / cosh: its stable form is one exponential and a few arithmetic steps, like sigmoid's
    Primitive("sech", 1, _sech, sp.sech, (lambda xp, o, a: -o * xp.tanh(a),), _T + 1,
              doc="Hyperbolic secant 1 / cosh(x), evaluated without overflow; sech' = -sech·tanh."),
    # neural-network activations
    Primitive(
        "sigmoid", 1, _sigmoid, lambda a: 1 / (1 + sp.exp(-a)), (lambda xp, o, a: o * xp.sigmoid(-a),), _T + 2,
        doc="1 / (1 + exp(-x)), evaluated stably. σ' = σ(x)·σ(-x): σ(1-σ) would cancel once σ rounds to 1.",
    ),
    Primitive(
        "softplus", 1, _softplus, lambda a: sp.log(1 + sp.exp(a)), (lambda xp, o, a: xp.sigmoid(a),), 2 * _T + 1,
        doc="log(1 + exp(x)), evaluated stably.",
    ),
    # relu' = sign(relu(a)): 1 where a > 0, 0 at and below 0 (the convention), nan for nan — the same as
    # heaviside(a), and one fast pass over the output (an MLP's backward sweep applies it to every hidden unit).
    Primitive("relu", 1, lambda a: np.maximum(a, 0.0), ReLU, (lambda xp, o, a: xp.sign(o),), _A, smooth=False,
              doc="max(x, 0); relu'(0) = 0."),
    # piecewise
    Primitive("abs", 1, np.abs, RealAbs, (lambda xp, o, a: xp.sign(a),), _A, smooth=False, doc="abs'(0) = 0."),
    Primitive(
        "maximum", 2, np.maximum, lambda a, b: sp.Max(a, b, evaluate=False), (_split_tie(True), _split_tie(False)),
        _A, aliases=("max",),
        smooth=False, doc="Elementwise maximum; a tie splits the derivative ½ / ½.",
    ),
    Primitive(
        "minimum", 2, np.minimum, lambda a, b: sp.Min(a, b, evaluate=False), (_split_tie(False), _split_tie(True)),
        _A, aliases=("min",),
        smooth=False, doc="Elementwise minimum; a tie splits the derivative ½ / ½.",
    ),
    Primitive("sign", 1, np.sign, RealSign, (lambda xp, o, a: 0,), _A, smooth=False, doc="sign(0) = 0."),
    Primitive(
        "heaviside", 1, _heaviside, lambda a: sp.Heaviside(a, 0), (lambda xp, o, a: 0,), _A, smooth=False,
        doc="Step function, 1 for x > 0 and 0 for x <= 0 (the derivative of relu).",
    ),
]

# Tensor primitives (matmul, sum, softmax, ...) join the same table; their rules live in tensor_ops.
ELEMENTWISE_LIST = list(PRIMITIVES_LIST)
PRIMITIVES_LIST += TENSOR_PRIMITIVES + REDUCTIONS_PRIMITIVES + LINALG_PRIMITIVES + SHAPING_PRIMITIVES

PRIMITIVES: dict[str, Primitive] = {p.name: p for p in PRIMITIVES_LIST}

# Every name a user may call in an expression: primitive names and their aliases. Tensor primitives take
# keyword parameters (axis=...) that expression text has no syntax for; they are used from traced functions.
FUNCTIONS: dict[str, Primitive] = {}
for _p in ELEMENTWISE_LIST:
    if _p.infix is None:
        FUNCTIONS[_p.name] = _p
        for _alias in _p.aliases:
            FUNCTIONS[_alias] = _p

# Named constants an expression may use.
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
SYMPY_CONSTANTS: dict[float, sp.Expr] = {math.pi: sp.pi, math.e: sp.E}


# SymPy classes -> primitive names, derived from the table (a primitive whose SymPy counterpart is a class),
# plus SymPy's own Abs and sign, which users' SymPy expressions contain. Used to read SymPy back into graphs and
# to price the operations of a SymPy expression.
SYMPY_CLASSES: dict[type, str] = {
    **{p.sympy: p.name for p in PRIMITIVES_LIST if isinstance(p.sympy, type)},
    sp.Abs: "abs",
    sp.sign: "sign",
    sp.Max: "maximum",  # built unevaluated (pairwise, as in the graph), so a three-way tie splits as AD does
    sp.Min: "minimum",
}


class PrimitiveArithmetic:
    """Python's arithmetic operators as primitive applications, for value types that stand for graph values
    (dual numbers, graph handles). A subclass says how to apply a primitive in ``_apply_primitive``."""

    __slots__ = ()
    __array_priority__ = 1000  # numpy scalars on the left defer to the reflected operators below

    def _apply_primitive(self, name: str, *args):
        raise NotImplementedError

    def __add__(self, other):
        return self._apply_primitive("add", self, other)

    def __radd__(self, other):
        return self._apply_primitive("add", other, self)

    def __sub__(self, other):
        return self._apply_primitive("sub", self, other)

    def __rsub__(self, other):
        return self._apply_primitive("sub", other, self)

    def __mul__(self, other):
        return self._apply_primitive("mul", self, other)

    def __rmul__(self, other):
        return self._apply_primitive("mul", other, self)

    def __truediv__(self, other):
        return self._apply_primitive("div", self, other)

    def __rtruediv__(self, other):
        return self._apply_primitive("div", other, self)

    def __pow__(self, other):
        return self._apply_primitive("pow", self, other)

    def __rpow__(self, other):
        return self._apply_primitive("pow", other, self)

    def __neg__(self):
        return self._apply_primitive("neg", self)

    def __matmul__(self, other):
        return self._apply_primitive("matmul", self, other)

    def __rmatmul__(self, other):
        return self._apply_primitive("matmul", other, self)

    @property
    def T(self):  # noqa: N802 (NumPy's spelling)
        return self._apply_primitive("transpose", self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self._apply_primitive("abs", self)


_NAMESPACES: list[tuple[SimpleNamespace, Callable[[Primitive], Callable]]] = []


def namespace(implementation_of: Callable[[Primitive], Callable]) -> SimpleNamespace:
    """A math namespace with one function per primitive name, as the partial rules expect; it gains a function
    for every primitive registered later (``register``)."""
    space = SimpleNamespace(**{p.name: implementation_of(p) for p in PRIMITIVES_LIST})
    _NAMESPACES.append((space, implementation_of))
    return space


def register(primitive: Primitive) -> Primitive:
    """Add a primitive to the table at run time — one entry, and every table derived from it follows: the
    parser's function names, SymPy's classes, and the math namespaces (NumPy, SymPy, dual numbers, graph
    handles), so it parses, traces, draws and differentiates four ways like a built-in one."""
    if not isinstance(primitive, Primitive):
        raise TypeError(f"register takes a Primitive, got {type(primitive).__name__}")
    taken = [name for name in (primitive.name, *primitive.aliases) if name in PRIMITIVES or name in FUNCTIONS]
    if taken:
        raise ValueError(f"a primitive named {taken[0]!r} exists already")
    PRIMITIVES_LIST.append(primitive)
    PRIMITIVES[primitive.name] = primitive
    if not primitive.tensor:
        ELEMENTWISE_LIST.append(primitive)
        if primitive.infix is None:
            FUNCTIONS.update({name: primitive for name in (primitive.name, *primitive.aliases)})
    if isinstance(primitive.sympy, type):
        SYMPY_CLASSES[primitive.sympy] = primitive.name
        if getattr(sp, primitive.sympy.__name__, None) is not primitive.sympy:  # a class of the user's own:
            SYMPY_NUMPY_MODULES[0][primitive.sympy.__name__] = primitive.numpy  # lambdify needs its NumPy name
    for space, implementation_of in _NAMESPACES:
        setattr(space, primitive.name, implementation_of(primitive))
    return primitive


NUMPY = namespace(lambda p: p.numpy)
SYMPY = namespace(lambda p: p.sympy)
