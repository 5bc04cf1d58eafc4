"""Special functions NumPy lacks, vectorized over float64 arrays: erf, lgamma, digamma and polygamma.

SciPy is not a dependency, so they are written here:

* ``erf`` and ``lgamma`` apply the C library's ``erf`` and ``lgamma`` (through Python's ``math``) to each
  element. They are accurate to about one unit in the last place, and about 15 times slower than ``np.exp``
  per element (0.2 s for a million elements), which keeps them usable on the batches diffkit evaluates.
* ``polygamma(n, x)``, the n-th derivative of digamma ψ = Γ'/Γ, is shifted by the recurrence
  ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) − (−1)ⁿ·n!/x^(n+1) until x ≥ 20 + n, then summed by its asymptotic series (ten
  Bernoulli terms, far below ε there); x < 0 is reflected to 1 − x. Measured against mpmath on 400 points in
  (−30, 30) for n = 0..4: relative error ≤ 1.2e-15 (digamma: 1.8e-15 of max(1, |ψ|), since ψ has a root at
  1.4616... where only absolute accuracy is possible).

These take real arguments only: the numeric method's complex step refuses them by name (``REAL_ONLY``).
At a pole (x = 0, −1, −2, ...) lgamma is inf and polygamma is nan, each raising NumPy's own floating-point
signal (division by zero, invalid value) so that diffkit reports it as it reports log(0).
"""

from __future__ import annotations

import math

import numpy as np

# Primitives implemented only for real arguments (no complex form here).
REAL_ONLY = ("erf", "lgamma", "digamma", "polygamma")

_erf_each = np.frompyfunc(math.erf, 1, 1)
_lgamma_each = np.frompyfunc(math.lgamma, 1, 1)

# Bernoulli numbers B₂ₖ, k = 1..10, for the asymptotic series.
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798, -174611 / 330)
_SHIFT = 20.0  # the series is summed at x >= _SHIFT + n, where its tenth term is far below ε


def _real(x) -> np.ndarray:
    x = np.asarray(x)
    if np.iscomplexobj(x):  # reached only by a direct call: the numeric method refuses these first
        raise TypeError("erf, lgamma, digamma and polygamma take real arguments only")
    return x.astype(np.float64, copy=False)


def _shaped(values, x: np.ndarray):
    """An object array's results as float64, a 0-d result as a NumPy scalar (as NumPy's own ufuncs give it)."""
    out = np.asarray(values, dtype=np.float64)
    return out[()] if x.ndim == 0 else out


def _poles(x: np.ndarray) -> np.ndarray:
    """Where Γ has its poles: x = 0, −1, −2, ..."""
    return (x <= 0) & (x == np.floor(x))


def erf(x):
    """The error function (2/√π)∫₀ˣ exp(−t²) dt, elementwise."""
    x = _real(x)
    return _shaped(_erf_each(x), x)


def lgamma(x):
    """log|Γ(x)|, elementwise (as C's lgamma and torch.lgamma): inf at the poles, with NumPy's division-by-zero
    signal."""
    x = _real(x)
    poles = _poles(x)
    if not poles.any():
        return _shaped(_lgamma_each(x), x)
    with np.errstate(divide="ignore"):  # the pole's signal is raised below, once, in the caller's error state
        values = np.asarray(_lgamma_each(np.where(poles, 1.0, x)), dtype=np.float64)
    infinite = np.divide(1.0, np.where(poles, 0.0, 1.0))  # inf at the poles, raising "divide by zero"
    return _shaped(np.where(poles, infinite, values), x)


def _cot_derivative(n: int) -> np.polynomial.Polynomial:
    """Pₙ with dⁿ/dyⁿ cot(y) = Pₙ(cot y): P₀(c) = c and P_{k+1}(c) = −(1 + c²)·P_k'(c)."""
    p = np.polynomial.Polynomial([0.0, 1.0])
    for _ in range(n):
        p = -np.polynomial.Polynomial([1.0, 0.0, 1.0]) * p.deriv()
    return p


def _cot_pi(x: np.ndarray) -> np.ndarray:
    """cot(πx) with the argument reduced exactly to r = x − round(x) ∈ [−½, ½] (cot has period π), and, for
    |r| ≥ ¼, as tan(π(½ − |r|)) so that half-integers give exactly 0 (1/tan(π/2) is 6e-17)."""
    r = x - np.round(x)
    small = np.abs(r) < 0.25
    return np.where(small, 1.0 / np.tan(np.pi * np.where(small, r, 0.1)),
                    np.sign(r) * np.tan(np.pi * (0.5 - np.abs(r))))


def _polygamma_positive(n: int, x: np.ndarray) -> np.ndarray:
    """ψ⁽ⁿ⁾(x) for x > 0: the recurrence up to x ≥ _SHIFT + n, then the asymptotic series."""
    sign = 1.0 if n % 2 else -1.0  # (−1)^(n+1)
    factorial = math.factorial(n)
    limit = _SHIFT + n
    total = np.zeros_like(x)
    for _ in range(int(limit) + 1):
        low = x < limit
        if not low.any():
            break
        step = np.where(low, x, 1.0)
        term = -1.0 / step if n == 0 else sign * factorial / step ** (n + 1)
        total = np.where(low, total + term, total)
        x = np.where(low, x + 1.0, x)
    inverse = 1.0 / x
    inverse2 = inverse * inverse
    if n == 0:  # ψ(x) ~ log x − 1/(2x) − Σ B₂ₖ / (2k·x²ᵏ)
        series = np.log(x) - 0.5 * inverse
        power = inverse2
        for k, b in enumerate(_B2K, start=1):
            series = series - b / (2 * k) * power
            power = power * inverse2
        return series + total
    # ψ⁽ⁿ⁾(x) ~ (−1)^(n+1) [(n−1)!/xⁿ + n!/(2x^(n+1)) + Σ B₂ₖ (2k+n−1)! / ((2k)! x^(2k+n))]
    first = inverse**n
    series = math.factorial(n - 1) * first + 0.5 * factorial * first * inverse
    power = first * inverse2
    for k, b in enumerate(_B2K, start=1):
        series = series + b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) * power
        power = power * inverse2
    return sign * series + total


def polygamma(n, x):
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n = 0: digamma itself), elementwise; nan at the poles.

    ``n`` is a whole number >= 0 (one for all of x, or one per element)."""
    x = _real(x)
    orders = np.asarray(n)
    if orders.ndim:  # an order per element: one pass per distinct order
        shape = np.broadcast_shapes(orders.shape, x.shape)
        orders, xs = np.broadcast_to(orders, shape), np.broadcast_to(x, shape)
        out = np.empty(shape)
        for order in np.unique(orders):
            here = orders == order
            out[here] = polygamma(int(order), xs[here])
        return out
    n = int(orders)
    poles = _poles(x)
    positive = x > 0
    with np.errstate(all="ignore"):  # the unused branch of each np.where may overflow; it is discarded
        out = _polygamma_positive(n, np.where(positive, x, 1.0))
        if not positive.all():
            # reflection: ψ⁽ⁿ⁾(1 − x) + (−1)^(n+1) ψ⁽ⁿ⁾(x) = (−1)ⁿ π dⁿ/dxⁿ cot(πx)
            xn = np.where(positive | poles, 0.5, x)
            derivative = np.pi**n * _cot_derivative(n)(_cot_pi(xn))
            sign = 1.0 if n % 2 else -1.0  # (−1)^(n+1), its own inverse
            reflected = sign * ((-1.0) ** n * np.pi * derivative - _polygamma_positive(n, 1.0 - xn))
            out = np.where(positive, out, reflected)
    if poles.any():
        out = np.where(poles, np.divide(0.0, np.where(poles, 0.0, 1.0)), out)  # nan, raising "invalid value"
    return out[()] if x.ndim == 0 else out


def digamma(x):
    """ψ(x) = Γ'(x)/Γ(x), elementwise; nan at the poles."""
    return polygamma(0, x)
