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
from sympy.codegen.cfunctions import expm1 as SympyExpm1
from sympy.codegen.cfunctions import hypot as SympyHypot
from sympy.codegen.cfunctions import log1p as SympyLog1p

from . import domain, special
from .linalg import LINALG_PRIMITIVES
from .primitive import ARITHMETIC, TRANSCENDENTAL, Primitive, is_constant  # noqa: F401 (re-exported)
from .reductions import REDUCTIONS_PRIMITIVES
from .shaping import SHAPING_PRIMITIVES
from .tensor_ops import TENSOR_PRIMITIVES

# --- NumPy implementations that need more than one call -------------------------------------------------


def _away_from_zero(x):
    """exp(-|x|) and the sign s of x (s = 1 at 0); for complex x (the numeric method's complex step) the
    analytic continuation exp(-s·x), with s the sign of Re x, so that |e| <= 1 never overflows."""
    s = np.where(x.real < 0, -1.0, 1.0)
    return np.exp(-x * s) if np.iscomplexobj(x) else np.exp(-np.abs(x)), s


def _sigmoid(x):
    """Logistic function, stable for large |x| (never evaluates exp of a large positive number), complex
    arguments included: 1/(1 + e) for Re x >= 0 and e/(1 + e) below, e = exp(-|x|)."""
    x = np.asarray(x)
    e, s = _away_from_zero(x)
    return np.where(s > 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(x):
    """log(1 + exp(x)), stable for large |x|; for complex x, max(Re x, 0)'s branch plus log1p(exp(-|x|)):
    x + log1p(exp(-x)) for Re x > 0 (the same function), so exp never overflows."""
    x = np.asarray(x)
    if np.iscomplexobj(x):
        e, s = _away_from_zero(x)
        return np.where(s > 0, x, 0.0) + np.log1p(e)
    return np.logaddexp(0.0, x)


def _hypot(a, b):
    """sqrt(a² + b²) without overflow; complex arguments (the complex step) as the same analytic form, scaled
    by the larger real part so that the squares do not overflow (np.hypot takes real numbers only)."""
    a, b = np.asarray(a), np.asarray(b)
    if not (np.iscomplexobj(a) or np.iscomplexobj(b)):
        return np.hypot(a, b)
    scale = np.maximum(np.abs(a.real), np.abs(b.real))
    scale = np.where(scale > 0, scale, 1.0)
    return scale * np.sqrt((a / scale) ** 2 + (b / scale) ** 2)


def _arctan2(y, x):
    """The angle of (x, y) in (-π, π], as np.arctan2. For complex arguments (np.arctan2 takes real ones only):
    the analytic continuation of the branch at the real parts, θ₀ + arctan(v/u), with (u, v) the point turned
    by -θ₀ (u > 0 near it, so arctan's own branch cuts are far away)."""
    y, x = np.asarray(y), np.asarray(x)
    if not (np.iscomplexobj(y) or np.iscomplexobj(x)):
        return np.arctan2(y, x)
    theta = np.arctan2(y.real, x.real)
    c, s = np.cos(theta), np.sin(theta)
    return theta + np.arctan((y * c - x * s) / (x * c + y * s))


def _primal(value):
    """The number under a (nested) dual number: forward mode checks its arguments' values as duals."""
    while hasattr(value, "tangent"):
        value = value.value
    return np.asarray(value)


def _check_clip(a, lo, hi):
    """clip(x, lo, hi) needs lo <= hi (NumPy would return hi everywhere, and no derivative rule fits that)."""
    with np.errstate(invalid="ignore"):
        if np.any(_primal(lo) > _primal(hi)):
            return "clip(x, lo, hi) needs lo <= hi; got a lower bound above the upper one"
    return None


def _check_polygamma(n, x):
    """polygamma's order must be a whole number >= 0 (it is a constant: no derivative is taken in it)."""
    n = _primal(n)
    if np.iscomplexobj(n) or not np.all(np.isfinite(n)) or np.any(n < 0) or np.any(n != np.floor(n)):
        return "polygamma(n, x) needs a whole order n >= 0 (0 is digamma, 1 trigamma, ...)"
    if np.any(n > 20):
        return "polygamma(n, x) supports orders n <= 20"
    return None


def _sech(x):
    """1 / cosh(x), without overflow: 2e / (1 + e²) with e = exp(-|x|) <= 1 (cosh itself overflows past 710)."""
    x = np.asarray(x)
    # complex x (the numeric method's complex step): the same form with e = exp(-x·sign(Re x)), |e| <= 1
    if np.iscomplexobj(x):
        e = np.exp(-x * np.where(x.real < 0, -1.0, 1.0))
        return 2.0 * e / (1.0 + e * e)
    if x.ndim == 0 or x.dtype.kind != "f":
        e = np.exp(-np.abs(x))
        return 2.0 * e / (1.0 + e * e)
    # the same arithmetic in place on one scratch array (tanh's every backward step calls this: half the time of
    # the expression form, the same bits)
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)
    denominator = e * e
    denominator += 1.0
    e *= 2.0
    e /= denominator
    return e


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


def _float_of(function, *args):
    """A number-only SymPy function's value at numbers, as a Float (None, staying unevaluated, elsewhere)."""
    if all(a.is_Number for a in args):
        with np.errstate(all="ignore"):
            value = float(function(*[np.float64(float(a)) for a in args]))
        if math.isfinite(value):
            return sp.Float(value)
    return None


class LogAbsGamma(sp.Function):
    """log|Γ(x)| for a real x (C's and torch's lgamma). SymPy's loggamma is complex for x < 0; the derivative
    of log|Γ| is digamma on both sides of 0."""

    @classmethod
    def eval(cls, x):
        return _float_of(special.lgamma, x)

    def fdiff(self, argindex=1):
        return Digamma(self.args[0])


class Digamma(sp.Function):
    """ψ(x) = Γ'(x)/Γ(x), evaluated by diffkit.special (lambdify has no NumPy digamma)."""

    @classmethod
    def eval(cls, x):
        return _float_of(special.digamma, x)

    def fdiff(self, argindex=1):
        return Polygamma(sp.Integer(1), self.args[0])


class Polygamma(sp.Function):
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma; the order n is a constant (no derivative is taken in it)."""

    @classmethod
    def eval(cls, n, x):
        return _float_of(special.polygamma, n, x) if n.is_Number and n >= 0 else None

    def fdiff(self, argindex=2):
        if argindex != 2:
            raise sp.ArgumentIndexError(self, argindex)
        return Polygamma(self.args[0] + 1, self.args[1])


def _integer_valued(name: str, numpy_function):
    """A SymPy function for floor, ceil, round or trunc: NumPy's value at numbers, derivative 0 (the function is
    flat between its jumps, and the convention takes 0 at them too). SymPy's own floor and ceiling leave their
    derivative unevaluated."""

    def eval(cls, x):
        if x.is_Integer:
            return x
        if x.is_Number and x.is_finite:
            return sp.Integer(int(numpy_function(float(x))))
        return None

    def fdiff(self, argindex=1):
        return sp.S.Zero

    return type(name, (sp.Function,), {"eval": classmethod(eval), "fdiff": fdiff,
                                       "__doc__": f"{numpy_function.__name__} for a real x, with derivative 0."})


RealFloor = _integer_valued("RealFloor", np.floor)
RealCeil = _integer_valued("RealCeil", np.ceil)
RealRound = _integer_valued("RealRound", np.round)  # half to even, as NumPy
RealTrunc = _integer_valued("RealTrunc", np.trunc)


class RealMod(sp.Function):
    """a mod b with the sign of b (np.mod, Python's %): a − b·floor(a/b); ∂/∂a = 1, ∂/∂b = −floor(a/b)."""

    @classmethod
    def eval(cls, a, b):
        if a.is_Rational and b.is_Rational and b != 0:
            return sp.Mod(a, b)
        return _float_of(np.mod, a, b)

    def fdiff(self, argindex=1):
        a, b = self.args
        return sp.S.One if argindex == 1 else -RealFloor(a / b)


class RealFmod(sp.Function):
    """C's fmod, with the sign of a (np.fmod): a − b·trunc(a/b); ∂/∂a = 1, ∂/∂b = −trunc(a/b)."""

    @classmethod
    def eval(cls, a, b):
        if a.is_Rational and b.is_Rational and b != 0:
            return a - b * RealTrunc(a / b)
        return _float_of(np.fmod, a, b)

    def fdiff(self, argindex=1):
        a, b = self.args
        return sp.S.One if argindex == 1 else -RealTrunc(a / b)


class Clip(sp.Function):
    """min(max(x, lo), hi) with lo <= hi, differentiated as the table does (``_clip_partial``): at a bound the
    derivative splits ½ / ½ between x and the bound, as maximum and minimum split a tie."""

    @classmethod
    def eval(cls, a, lo, hi):
        if a.is_Number and lo.is_Number and hi.is_Number:
            return sp.Min(sp.Max(a, lo), hi)
        return None

    def fdiff(self, argindex=1):
        a, lo, hi = self.args
        if argindex == 1:
            return (RealSign(a - lo) - RealSign(a - hi)) / 2
        if argindex == 2:
            return (1 - RealSign(a - lo)) / 2
        return (1 + RealSign(a - hi)) / 2


# How lambdify evaluates diffkit's own SymPy functions (and SymPy's erf, which NumPy lacks).
SYMPY_NUMPY_MODULES = [
    {"ReLU": lambda x: np.maximum(x, 0.0), "RealAbs": np.abs, "RealSign": np.sign, "RealCbrt": np.cbrt,
     "erf": special.erf, "LogAbsGamma": special.lgamma, "Digamma": special.digamma, "Polygamma": special.polygamma,
     "RealFloor": np.floor, "RealCeil": np.ceil, "RealRound": np.round, "RealTrunc": np.trunc,
     "RealMod": np.mod, "RealFmod": np.fmod, "Clip": np.clip},
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


def _clip_partials():
    """∂clip(a, lo, hi) / ∂(a, lo, hi): 1 to whichever of a, lo, hi is the output, ½ / ½ between a and a bound
    it equals (the maximum/minimum tie convention). The three always sum to 1 (clip(a+t, lo+t, hi+t) moves
    with t), also when lo == hi (then a gets 0, the bounds ½ each)."""
    return (
        lambda xp, o, a, lo, hi: (xp.sign(a - lo) - xp.sign(a - hi)) / 2,
        lambda xp, o, a, lo, hi: (1 - xp.sign(a - lo)) / 2,
        lambda xp, o, a, lo, hi: (1 + xp.sign(a - hi)) / 2,
    )


def _hypot_partial(xp, o, a, b):
    """∂hypot(a, b)/∂a = a / hypot(a, b): nan at the origin, where hypot has a cone's tip (as torch gives)."""
    return a / o


def _arctan2_partials():
    """∂arctan2(y, x) = (x, −y) / r², written (x/r)/r with r = hypot(y, x), so that r² cannot overflow (at
    |y| = 1e200 the partial is 1e-200, not 0)."""
    return (
        lambda xp, o, y, x: x / xp.hypot(y, x) / xp.hypot(y, x),
        lambda xp, o, y, x: -y / xp.hypot(y, x) / xp.hypot(y, x),
    )


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
    Primitive("log1p", 1, np.log1p, SympyLog1p, (lambda xp, o, a: 1 / (1 + a),), _T,
              doc="log(1 + x), accurate for tiny x (log1p(1e-20) = 1e-20, where log(1 + x) is 0)."),
    Primitive("expm1", 1, np.expm1, SympyExpm1, (lambda xp, o, a: o + 1,), _T,
              doc="exp(x) - 1, accurate for tiny x; expm1' = exp(x), formed as expm1(x) + 1."),
    Primitive("sqrt", 1, np.sqrt, sp.sqrt, (lambda xp, o, a: 0.5 / o,), _A),
    Primitive("hypot", 2, _hypot, SympyHypot, (_hypot_partial, lambda xp, o, a, b: b / o), _T,
              doc="sqrt(a² + b²) without overflow; its partials a/r, b/r are nan at the origin (a cone's tip)."),
    Primitive("cbrt", 1, np.cbrt, RealCbrt, (lambda xp, o, a: 1 / (3 * o * o),), _T,
              doc="Real cube root: cbrt(-8) = -2 (not (-8)**(1/3), which is nan on the real line)."),
    # trigonometry
    Primitive("sin", 1, np.sin, sp.sin, (lambda xp, o, a: xp.cos(a),), _T),
    Primitive("cos", 1, np.cos, sp.cos, (lambda xp, o, a: -xp.sin(a),), _T),
    Primitive("tan", 1, np.tan, sp.tan, (lambda xp, o, a: 1 + o * o,), _T),
    Primitive("arcsin", 1, np.arcsin, sp.asin, (lambda xp, o, a: 1 / xp.sqrt(1 - a * a),), _T, aliases=("asin",)),
    Primitive("arccos", 1, np.arccos, sp.acos, (lambda xp, o, a: -1 / xp.sqrt(1 - a * a),), _T, aliases=("acos",)),
    Primitive("arctan", 1, np.arctan, sp.atan, (lambda xp, o, a: 1 / (1 + a * a),), _T, aliases=("atan",)),
    Primitive("arctan2", 2, _arctan2, sp.atan2, _arctan2_partials(), _T, aliases=("atan2",),
              doc="arctan2(y, x): the angle of the point (x, y) in (-π, π], as np.arctan2. Its partials "
                  "(x, -y)/r² hold on either side of the jump along the negative x axis."),
    # hyperbolic
    Primitive("sinh", 1, np.sinh, sp.sinh, (lambda xp, o, a: xp.cosh(a),), _T),
    Primitive("cosh", 1, np.cosh, sp.cosh, (lambda xp, o, a: xp.sinh(a),), _T),
    Primitive("tanh", 1, np.tanh, sp.tanh, (_tanh_partial,), _T),
    # 1/sqrt(1 + a²) as 1/hypot(1, a): a² overflows past 1e154, where the partial is still 1e-154
    Primitive("arcsinh", 1, np.arcsinh, sp.asinh, (lambda xp, o, a: 1 / xp.hypot(1.0, a),), _T, aliases=("asinh",)),
    # 1/sqrt(a² - 1) as 1/(sqrt(a - 1)·sqrt(a + 1)): no cancellation next to 1, no overflow
    Primitive("arccosh", 1, np.arccosh, sp.acosh, (lambda xp, o, a: 1 / (xp.sqrt(a - 1) * xp.sqrt(a + 1)),), _T,
              aliases=("acosh",), doc="Inverse hyperbolic cosine, for x >= 1."),
    # 1/(1 - a²) as 1/((1 - a)(1 + a)): exact next to ±1, where 1 - a·a loses digits
    Primitive("arctanh", 1, np.arctanh, sp.atanh, (lambda xp, o, a: 1 / ((1 - a) * (1 + a)),), _T,
              aliases=("atanh",), doc="Inverse hyperbolic tangent, for -1 < x < 1."),
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
    # special functions (diffkit.special: NumPy has none of them)
    Primitive("erf", 1, special.erf, sp.erf, (lambda xp, o, a: (2 / math.sqrt(math.pi)) * xp.exp(-a * a),), _T,
              doc="The error function; erf' = 2/√π·exp(-x²)."),
    Primitive("lgamma", 1, special.lgamma, LogAbsGamma, (lambda xp, o, a: xp.digamma(a),), _T,
              doc="log|Γ(x)| (C's lgamma); lgamma' = digamma, on both sides of 0; inf at x = 0, -1, -2, ..."),
    Primitive("digamma", 1, special.digamma, Digamma, (lambda xp, o, a: xp.polygamma(1.0, a),), _T,
              doc="ψ(x) = Γ'(x)/Γ(x); digamma' = polygamma(1, x) (trigamma); nan at x = 0, -1, -2, ..."),
    Primitive("polygamma", 2, special.polygamma, Polygamma, (lambda xp, o, n, a: 0, lambda xp, o, n, a:
              xp.polygamma(n + 1, a)), _T, differentiable=(False, True), check=_check_polygamma,
              doc="polygamma(n, x): the n-th derivative of digamma. The order n is a constant whole number "
                  "(0 to 20); no derivative is taken in it."),
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
    Primitive("clip", 3, np.clip, Clip, _clip_partials(), 2 * _A, smooth=False, check=_check_clip,
              doc="clip(x, lo, hi) = min(max(x, lo), hi), lo <= hi; derivative 1 inside, 0 outside, ½ at a bound "
                  "(the other ½ to the bound)."),
    Primitive("sign", 1, np.sign, RealSign, (lambda xp, o, a: 0,), _A, smooth=False, doc="sign(0) = 0."),
    # integer-valued: flat between their jumps, derivative 0 everywhere by the convention (as sign)
    Primitive("floor", 1, np.floor, RealFloor, (lambda xp, o, a: 0,), _A, smooth=False, doc="Derivative 0."),
    Primitive("ceil", 1, np.ceil, RealCeil, (lambda xp, o, a: 0,), _A, smooth=False, doc="Derivative 0."),
    Primitive("round", 1, np.round, RealRound, (lambda xp, o, a: 0,), _A, smooth=False,
              doc="Rounds half to even, as np.round (round(2.5) = 2); derivative 0."),
    Primitive("trunc", 1, np.trunc, RealTrunc, (lambda xp, o, a: 0,), _A, smooth=False,
              doc="Rounds toward 0; derivative 0."),
    Primitive("mod", 2, np.mod, RealMod, (lambda xp, o, a, b: 1, lambda xp, o, a, b: -xp.floor(a / b)), _T,
              smooth=False, doc="a mod b with the sign of b (np.mod, Python's %); ∂/∂a = 1, ∂/∂b = -floor(a/b) "
                                "(the derivative of the piece a - b·k the point lies on)."),
    Primitive("fmod", 2, np.fmod, RealFmod, (lambda xp, o, a, b: 1, lambda xp, o, a, b: -xp.trunc(a / b)), _T,
              smooth=False, doc="C's fmod, with the sign of a (np.fmod); ∂/∂a = 1, ∂/∂b = -trunc(a/b)."),
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
