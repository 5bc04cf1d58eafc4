"""Linear algebra (issue 15): matrix_trace, dot, outer, einsum, inv, det, logabsdet (and slogdet), solve, cholesky.

Each entry is one ``Primitive`` written as ``tensor_ops``'s matmul is: a NumPy value, a reading on object arrays
of SymPy expressions (``sympy.Matrix`` for small matrices), a JVP and a VJP built from table primitives through
``xp`` (so gradient graphs can be differentiated again), a work count, a shape rule and a check.

The rules are the standard matrix-calculus ones, with X = A⁻¹:

* d inv = −X·dA·X, VJP −Xᵀ·g·Xᵀ;   d det = det·tr(X·dA), VJP g·det·Xᵀ;   d log|det| = tr(X·dA), VJP g·Xᵀ;
* solve: x = A⁻¹b, dx = A⁻¹(db − dA·x); VJP ḡb = A⁻ᵀg, ḡA = −ḡb·xᵀ;
* cholesky: L = chol(S) of S = ½(A + Aᵀ), dL = L·Φ(L⁻¹·dS·L⁻ᵀ) with Φ the lower triangle, diagonal halved
  (``tril_half``, its own adjoint); VJP sym(L⁻ᵀ·Φ(Lᵀ·L̄)·L⁻¹).

Conventions (docs/conventions.md, "Linear algebra"):

* Square-matrix primitives take one 2-D matrix; shapes that do not fit are refused naming the shape.
* An exactly singular matrix (LAPACK finds a zero pivot) is not an exception: inv and solve give inf and raise
  NumPy's "divide by zero" signal, so diffkit's floating-point watch reports it against the primitive (warn, or
  DomainError under errors="raise") as it reports log(0); log|det| is −inf with the same signal; det is 0, and
  its gradient (det·A⁻ᵀ = 0·inf) is nan with the signals reported. A matrix that is not positive definite gives
  cholesky nan and NumPy's "invalid value" signal, as sqrt(−1) does.
* cholesky reads the symmetric part ½(A + Aᵀ) of its argument (NumPy reads the lower triangle only): for a
  symmetric A the value is NumPy's, and every entry's derivative is that of the symmetric part, which is what
  the symmetrized VJP computes and what a finite difference of one entry measures.
* ``slogdet(a)`` returns (sign, logabsdet): the sign as ``det_sign``, piecewise constant with no derivative
  (as ``sign`` and the comparisons), and the differentiable ``logabsdet``.
* Work is the standard LAPACK flop count: LU 2n³/3, inverse 2n³, Cholesky n³/3, each triangular solve pair
  2n² per right-hand side. The rules use general solves (there is no triangular-solve primitive), so cholesky's
  JVP and VJP count LU factorizations a triangular solve would not need.
* The complex step works through all of them except det_sign (a jump): inv, det and solve are rational, log|det|
  is continued as log(s·det) with s the real sign, and cholesky runs its own unpivoted recurrence on complex
  symmetric matrices (NumPy's would conjugate).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import sympy as sp

from .primitive import ARITHMETIC, TRANSCENDENTAL, Primitive
from .tensor_ops import (
    _NO_DERIVATIVE,
    _known_ndim,
    _matmul_jvp,
    _matmul_shape,
    _matmul_vjp,
    _matmul_work,
    _sum_of,
    ndim_of,
    shape_of,
)

# --- Checks: the shapes each primitive takes, named in the message -------------------------------------------


def _check_square(name: str):
    def check(a, *rest, **params):
        shape = shape_of(a)
        if len(shape) != 2:
            stack = "; apply it to each matrix of a stack" if len(shape) > 2 else ""
            return f"{name} needs a square matrix (a 2-D array), got shape {shape}{stack}"
        if shape[0] != shape[1]:
            return f"{name} needs a square matrix, got shape {shape} ({shape[0]} rows, {shape[1]} columns)"
        return None

    return check


_check_inv = _check_square("inv")
_check_det = _check_square("det")
_check_logabsdet = _check_square("logabsdet")
_check_det_sign = _check_square("det_sign")
_check_cholesky = _check_square("cholesky")


_check_solve_matrix = _check_square("solve")


def _check_solve(a, b) -> str | None:
    problem = _check_solve_matrix(a)
    if problem is not None:
        return problem
    n, shape = shape_of(a)[0], shape_of(b)
    if len(shape) not in (1, 2):
        return f"solve(a, b) needs b a vector or a matrix (1-D or 2-D), got shape {shape}"
    if shape[0] != n:
        return f"solve(a, b): b's {shape[0]} rows do not match a's {n} (shapes {shape_of(a)} and {shape})"
    return None


def _check_trace(a) -> str | None:
    if ndim_of(a) != 2:
        return f"matrix_trace (np.trace) needs a 2-D array, got shape {shape_of(a)}"
    return None


def _check_diagonal_like(g, like) -> str | None:
    if ndim_of(g) != 0 or ndim_of(like) != 2:
        return f"diagonal_like(g, like) needs a number g and a matrix like, got shapes {shape_of(g)}, {shape_of(like)}"
    return None


_check_tril_half = _check_square("tril_half")


def _check_dot(a, b) -> str | None:
    for s in (shape_of(a), shape_of(b)):
        if len(s) not in (1, 2):
            return (f"dot takes vectors or matrices (1-D or 2-D arrays), got shape {s}; for a number use *, for "
                    "more axes dk.matmul of reshaped arrays")
    if shape_of(a)[-1] != shape_of(b)[0]:
        return f"dot of shapes {shape_of(a)} and {shape_of(b)}: {shape_of(a)[-1]} entries against {shape_of(b)[0]}"
    return None


def _check_outer(a, b) -> str | None:
    for s in (shape_of(a), shape_of(b)):
        if len(s) != 1:
            return f"outer takes two vectors (1-D arrays), got shape {s}; flatten with x.reshape(-1)"
    return None


# --- Shape rules ---------------------------------------------------------------------------------------------


def _square(a: tuple, name: str) -> int:
    if len(a) != 2 or a[0] != a[1]:
        raise ValueError(f"{name} needs a square matrix, got shape {a}")
    return a[0]


def _solve_shape(a, b):
    n = _square(a, "solve")
    if len(b) not in (1, 2) or b[0] != n:
        raise ValueError(f"solve of a matrix of shape {a} and b of shape {b}")
    return b


def _dot_shape(a, b):
    if len(a) not in (1, 2) or len(b) not in (1, 2):
        raise ValueError(f"dot takes vectors or matrices, got shapes {a} and {b}")
    return _matmul_shape(a, b)


def _outer_shape(a, b):
    if len(a) != 1 or len(b) != 1:
        raise ValueError(f"outer takes two vectors, got shapes {a} and {b}")
    return a + b


def _trace_shape(a):
    if len(a) != 2:
        raise ValueError(f"matrix_trace needs a 2-D array, got shape {a}")
    return ()


def _diagonal_like_shape(g, like):
    if g != () or len(like) != 2:
        raise ValueError(f"diagonal_like of shapes {g} and {like}")
    return like


# --- NumPy values --------------------------------------------------------------------------------------------


def _infinite(shape) -> np.ndarray:
    """inf of this shape, raising NumPy's "divide by zero" signal (the watch names the primitive)."""
    return np.divide(np.ones(shape), 0.0)


def _not_a_number(shape) -> np.ndarray:
    """nan of this shape, raising NumPy's "invalid value" signal (as sqrt(-1) does)."""
    return np.sqrt(np.full(shape, -1.0))


def _inv(a):
    a = np.asarray(a)
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:  # exactly singular: inf, as 1/0 (the docstring's convention)
        return _infinite(a.shape)


def _solve(a, b):
    a, b = np.asarray(a), np.asarray(b)
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:  # exactly singular: inf in x's shape (a stack of right-hand sides included)
        return _infinite(b.shape if b.ndim == 1 else np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:])


def _det(a):
    return np.linalg.det(np.asarray(a))


def _real_sign(a):
    """The sign of det(a), of its real part for the complex step (0 for a singular matrix)."""
    sign, _ = np.linalg.slogdet(np.asarray(a))
    return np.sign(sign.real) if np.iscomplexobj(sign) else sign


def _det_sign(a):
    return np.asarray(_real_sign(a), dtype=np.float64)[()]


def _logabsdet(a):
    a = np.asarray(a)
    sign, value = np.linalg.slogdet(a)
    if np.iscomplexobj(a):  # the analytic continuation log(s·det), s the real sign: s·sign ≈ 1, its log small
        s = np.sign(sign.real)
        return value + np.log(np.where(s == 0, 1.0, sign * s))
    singular = sign == 0
    if np.any(singular):  # log(0) = -inf, with log's own "divide by zero" signal
        return np.where(singular, np.log(np.where(singular, 0.0, 1.0)), value)[()]
    return value


def _symmetric_part(a):
    return (a + np.swapaxes(a, -1, -2)) / 2


def _cholesky_complex(s):
    """The unpivoted Cholesky recurrence on a complex symmetric matrix (L·Lᵀ = S, no conjugates): the analytic
    continuation the complex step needs. nan with the "invalid value" signal if a pivot's real part is not > 0."""
    n = s.shape[-1]
    lower = np.zeros_like(s)
    for j in range(n):
        pivot = s[j, j] - lower[j, :j] @ lower[j, :j]
        if not pivot.real > 0:
            return _not_a_number(s.shape)
        lower[j, j] = np.sqrt(pivot)
        lower[j + 1:, j] = (s[j + 1:, j] - lower[j + 1:, :j] @ lower[j, :j]) / lower[j, j]
    return lower


def _cholesky(a):
    s = _symmetric_part(np.asarray(a))
    if np.iscomplexobj(s):
        return _cholesky_complex(s)
    try:
        return np.linalg.cholesky(s)
    except np.linalg.LinAlgError:  # not positive definite: nan, as sqrt of a negative number
        return _not_a_number(s.shape)


def _trace(a):
    return np.trace(a, axis1=-2, axis2=-1)  # the last two axes: batched tangents carry leading ones


def _diagonal_like(g, like):
    """g times the identity of like's shape; a g with leading (batched-tangent) axes gives a stack."""
    return np.asarray(g)[..., None, None] * np.eye(*shape_of(like)[-2:])


def _tril_half(a):
    """Φ(a): the lower triangle with the diagonal halved, over the last two axes (object arrays too)."""
    a = np.asarray(a)
    out = np.tril(a)
    n = a.shape[-1]
    half = sp.Rational(1, 2) if a.dtype == object else 0.5
    out[..., range(n), range(n)] = out[..., range(n), range(n)] * half
    return out


# --- SymPy readings (small matrices: the symbolic method writes tensor graphs out entry by entry) -------------


def _matrix(a) -> sp.Matrix:
    return sp.Matrix(np.asarray(a, dtype=object).tolist())


def _objects(m: sp.Matrix, shape) -> np.ndarray:
    return np.array(m.tolist(), dtype=object).reshape(shape)


def _sympy_det(a):
    return _matrix(a).det(method="berkowitz")  # division-free: a polynomial in the entries


def _sympy_inv(a):
    m = _matrix(a)
    return _objects(m.adjugate(method="berkowitz") / m.det(method="berkowitz"), np.shape(a))


def _sympy_solve(a, b):
    m = _matrix(a)
    x = m.adjugate(method="berkowitz") * _matrix(np.reshape(b, (np.shape(b)[0], -1))) / m.det(method="berkowitz")
    return _objects(x, np.shape(b))


def _sympy_logabsdet(a):
    return sp.log(_sympy_det(a) ** 2) / 2  # log|d| without Abs: its derivative is d'/d for a real d


def _sympy_cholesky(a):
    a = np.asarray(a, dtype=object)
    return _objects(_matrix(_symmetric_part(a)).cholesky(hermitian=False), a.shape)


def _sympy_diagonal_like(g, like):
    shape = np.shape(like)
    out = np.full(shape, sp.Integer(0), dtype=object)
    for k in range(min(shape)):
        out[k, k] = g[()] if isinstance(g, np.ndarray) else g
    return out


# --- Rules ---------------------------------------------------------------------------------------------------


def _sum_last_two(xp, a):
    return xp.sum(a, axis=(-2, -1))


def _inv_jvp(xp, out, args, tangents, lead):
    return xp.neg(xp.matmul(out, xp.matmul(tangents[0], out)))  # leading tangent axes: a stack of matrices


def _inv_vjp(xp, g, out, args, i):
    inverse_t = xp.transpose(out)
    return xp.neg(xp.matmul(inverse_t, xp.matmul(g, inverse_t)))


def _log_det_jvp(xp, a, t):
    """tr(A⁻¹·dA) = Σ A⁻ᵀ ∘ dA (one value per leading tangent axis)."""
    return _sum_last_two(xp, xp.mul(xp.transpose(xp.inv(a)), t))


def _det_jvp(xp, out, args, tangents, lead):
    return xp.mul(out, _log_det_jvp(xp, args[0], tangents[0]))


def _det_vjp(xp, g, out, args, i):
    return xp.mul(xp.mul(g, out), xp.transpose(xp.inv(args[0])))


def _logabsdet_jvp(xp, out, args, tangents, lead):
    return _log_det_jvp(xp, args[0], tangents[0])


def _logabsdet_vjp(xp, g, out, args, i):
    return xp.mul(g, xp.transpose(xp.inv(args[0])))


def _no_jvp(xp, out, args, tangents, lead, **params):
    return None  # never asked: det_sign's argument is not differentiable


def _no_vjp(xp, g, out, args, i, **params):
    return None


def _solve_rows(xp, a, rows):
    """A⁻¹ applied to each vector of a stack (the leading axes of a batched tangent of a vector b)."""
    shape = shape_of(rows)
    flat = xp.reshape(rows, shape=(-1, shape[-1]))
    return xp.reshape(xp.transpose(xp.solve(a, xp.transpose(flat))), shape=shape)


def _solve_jvp(xp, out, args, tangents, lead):
    a, b = args
    ta, tb = tangents
    r = _sum_of(xp, [tb, None if ta is None else xp.neg(xp.matmul(ta, out))])  # db − dA·x
    if lead and ndim_of(b) == 1:  # a stack of vectors: NumPy's solve would read it as a matrix
        return _solve_rows(xp, a, r)
    return xp.solve(a, r)


def _outer_with(xp, g, a, x):
    """g·xᵀ (an outer product for a vector x): matmul's left cotangent, the companion where x's rank is unknown."""
    if _known_ndim(x) == 2:
        return xp.matmul(g, xp.transpose(x))
    return xp.matmul_grad_left(g, a, x)


def _solve_vjp(xp, g, out, args, i):
    a = args[0]
    gb = xp.solve(xp.transpose(a), g)  # A⁻ᵀ g
    return gb if i == 1 else xp.neg(_outer_with(xp, gb, a, out))


def _cholesky_jvp(xp, out, args, tangents, lead):
    t = tangents[0]
    ts = xp.mul(0.5, xp.add(t, xp.transpose(t)))  # the symmetric part, which cholesky reads
    left = xp.solve(out, ts)  # L⁻¹·dS (leading tangent axes broadcast against L)
    middle = xp.transpose(xp.solve(out, xp.transpose(left)))  # L⁻¹·dS·L⁻ᵀ
    return xp.matmul(out, xp.tril_half(middle))


def _cholesky_vjp(xp, g, out, args, i):
    p = xp.tril_half(xp.matmul(xp.transpose(out), g))  # Φ(Lᵀ·L̄)
    right = xp.solve(xp.transpose(out), p)  # L⁻ᵀ·P
    whole = xp.transpose(xp.solve(xp.transpose(out), xp.transpose(right)))  # L⁻ᵀ·P·L⁻¹
    return xp.mul(0.5, xp.add(whole, xp.transpose(whole)))  # symmetrized: cholesky reads ½(A + Aᵀ)


def _outer_jvp(xp, out, args, tangents, lead):
    a, b = args
    ta, tb = tangents
    return _sum_of(xp, [
        None if ta is None else xp.mul(xp.expand_dims(ta, axis=-1), b),
        None if tb is None else xp.mul(xp.expand_dims(a, axis=-1), xp.expand_dims(tb, axis=-2)),
    ])


def _outer_vjp(xp, g, out, args, i):
    a, b = args
    return xp.matmul(g, b) if i == 0 else xp.matmul(a, g)


# --- Work: standard flop counts (flops weight 1: work is flops) ---------------------------------------------


def _stack(x) -> int:
    """How many matrices an argument holds (more than one only under batched tangents)."""
    shape = shape_of(x)
    return int(np.prod(shape[:-2])) if len(shape) > 2 else 1


def _lu(n: int) -> int:
    return -(-2 * n**3 // 3)  # 2n³/3, rounded up


def _inv_work(out, a):
    return 2 * shape_of(a)[-1] ** 3


def _det_work(out, a):
    return _lu(shape_of(a)[-1]) + shape_of(a)[-1]  # LU, then the product of the diagonal


def _logabsdet_work(out, a):
    n = shape_of(a)[-1]
    return _lu(n) + n * TRANSCENDENTAL  # LU, then a log per pivot


def _solve_work(out, a, b):
    n = shape_of(a)[-1]
    columns = max(int(np.size(b)) // max(n, 1), 1)
    return _lu(n) + 2 * n * n * columns  # LU, then a forward and a back substitution per column


def _cholesky_work(out, a):
    n = shape_of(a)[-1]
    return -(-(n**3) // 3) + n * n + n * TRANSCENDENTAL  # n³/3, the symmetric part, n square roots


def _trace_work(out, a):
    return min(shape_of(a)[-2:]) * _stack(a)


def _diagonal_like_work(out, g, like):
    return int(np.size(g)) * min(shape_of(like)[-2:])  # one product per diagonal entry


def _tril_half_work(out, a):
    return shape_of(a)[-1] * _stack(a)  # the diagonal halved; the rest is data movement


def _outer_work(out, a, b):
    return int(np.size(out))


# --- einsum: binary contractions, their subscripts a node parameter ------------------------------------------
#
# A node holds two operands and explicit subscripts "ij,jk->ik". One operand is a contraction with the number 1
# ("ij,->ji"), several a left-to-right chain of binary nodes keeping the indices still needed (einsum_all).
# The VJP of an operand is the contraction of the cotangent with the other operand onto this operand's indices
# (broadcast back along an index only this operand has), so it is an einsum too and differentiates again.
# Not supported: ellipses and an index repeated within one operand (a diagonal).


def _einsum_parts(subscripts: str) -> tuple[list[str], str]:
    inputs, output = subscripts.split("->")
    return inputs.split(","), output


def normal_subscripts(subscripts, count: int) -> str:
    """NumPy's subscripts for ``count`` operands in explicit form ("ij,jk" -> "ij,jk->ik"), checked; ValueError
    naming the problem."""
    if not isinstance(subscripts, str):
        raise ValueError(f"einsum's subscripts must be a string such as 'ij,jk->ik', got {subscripts!r}")
    text = subscripts.replace(" ", "")
    if "." in text:
        raise ValueError("einsum with an ellipsis (...) is not supported; name every axis with a letter")
    if text.count("->") > 1 or any(not (c.isascii() and c.isalpha()) for c in text.replace("->", "").replace(",", "")):
        raise ValueError(f"einsum's subscripts {subscripts!r} must be letters, commas and one '->'")
    lhs, _, rhs = text.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != count:
        raise ValueError(f"einsum's subscripts {subscripts!r} name {len(inputs)} operand(s), but {count} were given")
    letters = "".join(inputs)
    if "->" not in text:  # NumPy's implicit output: the indices that appear once, in alphabetical order
        rhs = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    for part in inputs:
        repeated = sorted({c for c in part if part.count(c) > 1})
        if repeated:
            raise ValueError(f"einsum's operand '{part}' repeats the index {repeated[0]} (a diagonal), which is not "
                             "supported; use dk.matrix_trace (np.trace) or index the diagonal")
    if len(set(rhs)) != len(rhs) or any(c not in letters for c in rhs):
        raise ValueError(f"einsum's output '{rhs}' must name distinct indices of the operands")
    return f"{','.join(inputs)}->{rhs}"


def _index_sizes(shapes, subscripts: str) -> dict[str, int]:
    inputs, _ = _einsum_parts(subscripts)
    sizes: dict[str, int] = {}
    for part, shape in zip(inputs, shapes, strict=True):
        if len(part) != len(shape):
            raise ValueError(f"einsum's operand '{part}' names {len(part)} axes, but its shape is {tuple(shape)}")
        for c, n in zip(part, shape, strict=True):
            if sizes.setdefault(c, n) != n:
                raise ValueError(f"einsum's index {c} has lengths {sizes[c]} and {n} (subscripts {subscripts!r})")
    return sizes


def _einsum_shape(a, b, subscripts="->"):
    sizes = _index_sizes((a, b), subscripts)
    return tuple(sizes[c] for c in _einsum_parts(subscripts)[1])


def _check_einsum(a, b, subscripts="->") -> str | None:
    try:
        _einsum_shape(shape_of(a), shape_of(b), subscripts)
    except ValueError as exc:
        return str(exc)
    return None


def _einsum_work(out, a, b, subscripts="->"):
    inputs, _ = _einsum_parts(subscripts)
    extra = max(ndim_of(a) - len(inputs[0]), ndim_of(b) - len(inputs[1]), 0)  # batched-tangent axes
    lead = shape_of(a)[:extra] if ndim_of(a) - len(inputs[0]) == extra else shape_of(b)[:extra]
    shapes = (shape_of(a)[ndim_of(a) - len(inputs[0]):], shape_of(b)[ndim_of(b) - len(inputs[1]):])
    return int(np.prod(lead)) * int(np.prod(list(_index_sizes(shapes, subscripts).values())))


def _lead_letters(subscripts: str, lead: int) -> str:
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in subscripts]
    return "".join(free[:lead])


def _einsum_jvp(xp, out, args, tangents, lead, subscripts="->"):
    (sa, sb), so = _einsum_parts(subscripts)
    z = _lead_letters(subscripts, lead)  # leading tangent axes ride along as an index of their own
    a, b = args
    ta, tb = tangents
    return _sum_of(xp, [
        None if ta is None else xp.einsum(ta, b, subscripts=f"{z}{sa},{sb}->{z}{so}"),
        None if tb is None else xp.einsum(a, tb, subscripts=f"{sa},{z}{sb}->{z}{so}"),
    ])


def _einsum_vjp(xp, g, out, args, i, subscripts="->"):
    inputs, so = _einsum_parts(subscripts)
    mine, theirs = inputs[i], inputs[1 - i]
    kept = "".join(c for c in mine if c in so or c in theirs)
    partial = xp.einsum(g, args[1 - i], subscripts=f"{so},{theirs}->{kept}")
    if kept == mine:
        return partial
    gone = tuple(k for k, c in enumerate(mine) if c not in kept)  # summed within this operand alone
    return xp.broadcast_like(partial, args[i], axis=gone)


def einsum_all(xp, subscripts, *operands):
    """np.einsum(subscripts, *operands) in the namespace ``xp``: binary einsum nodes, left to right."""
    if not operands:
        raise ValueError("einsum needs at least one operand")
    inputs, output = _einsum_parts(normal_subscripts(subscripts, len(operands)))
    if len(operands) == 1:
        return xp.einsum(operands[0], 1.0, subscripts=f"{inputs[0]},->{output}")
    current, held = operands[0], inputs[0]
    for k in range(1, len(operands)):
        needed = set(output).union(*inputs[k + 1:])
        joined = "".join(dict.fromkeys(held + inputs[k]))
        result = output if k == len(operands) - 1 else "".join(c for c in joined if c in needed)
        current = xp.einsum(current, operands[k], subscripts=f"{held},{inputs[k]}->{result}")
        held = result
    return current


# --- slogdet: two primitives, as NumPy's tuple ---------------------------------------------------------------

SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])


def slogdet(xp, a) -> SlogdetResult:
    """np.linalg.slogdet in the namespace ``xp``: (det_sign(a), logabsdet(a)); the sign has no derivative."""
    return SlogdetResult(xp.det_sign(a), xp.logabsdet(a))


# --- The table -----------------------------------------------------------------------------------------------

_A = ARITHMETIC

LINALG_PRIMITIVES: list[Primitive] = [
    Primitive(
        "matrix_trace", 1, _trace, lambda a: np.trace(np.asarray(a, dtype=object)), (), _A,
        jvp=lambda xp, out, args, tangents, lead: xp.matrix_trace(tangents[0]),
        vjp=lambda xp, g, out, args, i: xp.diagonal_like(g, args[0]),
        work=_trace_work, check=_check_trace, shape=_trace_shape,
        doc="The sum of a matrix's diagonal (np.trace; dk.trace is the tracer). VJP: g times the identity "
            "(diagonal_like).",
    ),
    Primitive(
        "diagonal_like", 2, _diagonal_like, _sympy_diagonal_like, (), _A,
        jvp=lambda xp, out, args, tangents, lead: xp.diagonal_like(tangents[0], args[1]),
        vjp=lambda xp, g, out, args, i: xp.matrix_trace(g),
        work=_diagonal_like_work, differentiable=_NO_DERIVATIVE, check=_check_diagonal_like,
        shape=_diagonal_like_shape,
        doc="diagonal_like(g, like): g times the identity of like's shape (matrix_trace's adjoint; like only "
            "supplies the shape).",
    ),
    Primitive(
        "dot", 2, np.dot, lambda a, b: np.dot(a, b), (), 2 * _A,
        jvp=_matmul_jvp, vjp=_matmul_vjp, work=_matmul_work, check=_check_dot, shape=_dot_shape,
        doc="np.dot of vectors and matrices (1-D or 2-D), which is matmul there; 2mnk flops, matmul's rules.",
    ),
    Primitive(
        "outer", 2, np.outer, lambda a, b: np.outer(a, b), (), _A,
        jvp=_outer_jvp, vjp=_outer_vjp, work=_outer_work, check=_check_outer, shape=_outer_shape,
        doc="The outer product a·bᵀ of two vectors (mn flops). VJPs g·b and aᵀ·g.",
    ),
    Primitive(
        "inv", 1, _inv, _sympy_inv, (), _A,
        jvp=_inv_jvp, vjp=_inv_vjp, work=_inv_work, check=_check_inv, shape=lambda a: (_square(a, "inv"),) * 2,
        doc="The inverse of a square matrix (2n³ flops); d inv = −X·dA·X. Singular: inf, with the divide-by-zero "
            "signal.",
    ),
    Primitive(
        "det", 1, _det, _sympy_det, (), _A,
        jvp=_det_jvp, vjp=_det_vjp, work=_det_work, check=_check_det,
        shape=lambda a: (_square(a, "det"), ())[1],
        doc="The determinant (LU: 2n³/3 flops); VJP g·det·A⁻ᵀ (nan at a singular matrix, the signals reported).",
    ),
    Primitive(
        "logabsdet", 1, _logabsdet, _sympy_logabsdet, (), _A,
        jvp=_logabsdet_jvp, vjp=_logabsdet_vjp, work=_logabsdet_work, check=_check_logabsdet,
        shape=lambda a: (_square(a, "logabsdet"), ())[1],
        doc="log|det A| (np.linalg.slogdet's second value, without overflow); VJP g·A⁻ᵀ. −inf when singular.",
    ),
    Primitive(
        "det_sign", 1, _det_sign, lambda a: sp.sign(_sympy_det(a)), (), _A, smooth=False,
        jvp=_no_jvp, vjp=_no_vjp, differentiable=(False,), work=lambda out, a: _lu(shape_of(a)[-1]),
        check=_check_det_sign, shape=lambda a: (_square(a, "det_sign"), ())[1],
        doc="The sign of det A (np.linalg.slogdet's first value: ±1, 0 when singular); piecewise constant, no "
            "derivative (as sign).",
    ),
    Primitive(
        "solve", 2, _solve, _sympy_solve, (), _A,
        jvp=_solve_jvp, vjp=_solve_vjp, work=_solve_work, check=_check_solve, shape=_solve_shape,
        doc="x = A⁻¹b for a vector or matrix b (LU and substitutions: 2n³/3 + 2n²k flops); VJPs A⁻ᵀg and "
            "−(A⁻ᵀg)·xᵀ. Singular: inf, with the divide-by-zero signal.",
    ),
    Primitive(
        "cholesky", 1, _cholesky, _sympy_cholesky, (), _A,
        jvp=_cholesky_jvp, vjp=_cholesky_vjp, work=_cholesky_work, check=_check_cholesky,
        shape=lambda a: (_square(a, "cholesky"),) * 2,
        doc="The lower Cholesky factor L of ½(A + Aᵀ) (= A when symmetric; n³/3 flops); dL = L·Φ(L⁻¹dAL⁻ᵀ), "
            "the VJP symmetrized. Not positive definite: nan, with the invalid-value signal.",
    ),
    Primitive(
        "einsum", 2, lambda a, b, subscripts="->": np.einsum(subscripts, a, b),
        lambda a, b, subscripts="->": np.einsum(subscripts, a, b), (), 2 * _A,
        jvp=_einsum_jvp, vjp=_einsum_vjp, params=("subscripts",), work=_einsum_work, check=_check_einsum,
        shape=_einsum_shape,
        doc="einsum(a, b, subscripts='ij,jk->ik'): one binary contraction (np.einsum; dk.einsum('ij,jk,kl', ...) "
            "chains them). 2 flops per term of the full index product. VJP: the cotangent contracted with the "
            "other operand.",
    ),
    Primitive(
        "tril_half", 1, _tril_half, _tril_half, (), _A,
        jvp=lambda xp, out, args, tangents, lead: xp.tril_half(tangents[0]),
        vjp=lambda xp, g, out, args, i: xp.tril_half(g),
        work=_tril_half_work, check=_check_tril_half, shape=lambda a: (_square(a, "tril_half"),) * 2,
        doc="Φ(A): the lower triangle with the diagonal halved (in cholesky's rules); linear and its own adjoint.",
    ),
]
