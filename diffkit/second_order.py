"""Second order at first-order cost: L-BFGS and Hessian-free Newton-CG, and the oracle they query.

Both work on the parameters flattened into one vector (each parameter ``ravel()``-ed, in the dict's order, as
``Newton`` does) and never form a Hessian:

* ``LBFGS`` keeps the last ``memory`` pairs (s, y) = (step, change of gradient) and applies their inverse-Hessian
  approximation to the gradient by the two-loop recursion, then searches along that direction for a step
  satisfying the strong Wolfe conditions (which keep every new pair's curvature sᵀy positive), with a
  backtracking Armijo search as a fallback.
* ``NewtonCG`` solves H·p = −g approximately by conjugate gradients, each iteration one Hessian-vector product
  (``dk.hvp``: about two gradients' work, whatever the number of parameters), stopping early at a residual
  tolerance min(½, √‖g‖₁)·‖g‖₁ (so steps become exact Newton steps near the minimum) or at negative curvature,
  then line-searches as L-BFGS does.

They need more than a gradient per step — trial points for the line search, products H·v — so their ``step``
takes an ``oracle`` (``Oracle``), which ``dk.optim.minimize`` builds from the expression. The oracle counts what
it computed: the lecture's warning that second-order methods need accurate (full-batch) gradients is about
exactly these counts.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Mapping

import numpy as np

from . import line_search
from . import options as check
from .errors import BindingError
from .optim import Optimizer, _like, _positive, _whole, register_optimizers
from .oracle import Oracle, ResidualOracle


class _Flat:
    """Parameter dicts <-> one flat vector (each parameter raveled, in dict order)."""

    def __init__(self, params: Mapping):
        self.names = list(params)
        self.shapes = [np.shape(params[name]) for name in self.names]
        self.originals = dict(params)

    def vector(self, values: Mapping) -> np.ndarray:
        if not self.names:
            return np.zeros(0)
        return np.concatenate([np.asarray(values[name], dtype=np.float64).ravel() for name in self.names])

    def params(self, x: np.ndarray) -> dict:
        out, start = {}, 0
        for name, shape in zip(self.names, self.shapes, strict=True):
            size = int(np.prod(shape))
            out[name] = _like(self.originals[name], x[start:start + size].reshape(shape))
            start += size
        return out


class _Searching(Optimizer):
    """An optimizer that queries an oracle and searches along its direction (no learning-rate schedule, no
    weight decay: the line search chooses the step; ``lr`` is its first trial step)."""

    needs_oracle = True

    def __init__(self, lr: float = 1.0, c1: float = 1e-4, c2: float = 0.9, max_evaluations: int = 30):
        super().__init__(lr)
        self.c1 = _positive(c1, f"{self.name}: c1")
        self.c2 = _positive(c2, f"{self.name}: c2")
        if not 0 < self.c1 < self.c2 < 1:
            raise BindingError(f"{self.name}: the Wolfe constants need 0 < c1 < c2 < 1, got c1={c1!r}, c2={c2!r}")
        self.max_evaluations = _whole(max_evaluations, f"{self.name}: max_evaluations", 1)
        self.last_search: str | None = None  # "wolfe", "armijo" or "none" (no step found: the point is kept)

    def step(self, params: Mapping, grads: Mapping, hessian=None, oracle: Oracle | None = None) -> dict:
        if oracle is None:
            raise BindingError(f"{self.name}.step needs oracle= (a diffkit.second_order.Oracle of the loss: its "
                               "line search evaluates trial points); dk.optim.minimize gives one")
        names, values, gradients = self._check(params, grads)
        flat = _Flat({name: params[name] for name in names})
        x, g = flat.vector(values), flat.vector(gradients)
        value, _ = oracle.value_and_grad(flat.params(x))
        d = self._direction(x, g, flat, oracle)
        if not g @ d < 0:  # not a descent direction (a broken curvature model): steepest descent instead
            self._forget()
            d = -g
        if not np.any(d):
            self.t += 1
            return flat.params(x)
        found = self._search(x, d, value, g @ d, flat, oracle)
        self.t += 1
        if found is None:
            self.last_search = "none"
            return flat.params(x)
        x_new = x + found.alpha * d
        _, grads_new = oracle.value_and_grad(flat.params(x_new))  # remembered from the search: no new work
        self._accepted(x_new - x, flat.vector(grads_new) - g)
        return flat.params(x_new)

    def _search(self, x, d, value, slope, flat: _Flat, oracle: Oracle):
        def phi(alpha: float) -> tuple[float, float]:
            trial_value, trial_grads = oracle.value_and_grad(flat.params(x + alpha * d))
            return trial_value, float(flat.vector(trial_grads) @ d)

        alpha1 = self._first_trial(x, d)
        found = line_search.strong_wolfe(phi, value, slope, alpha1, self.c1, self.c2, self.max_evaluations)
        self.last_search = "wolfe"
        if found is None:
            found = line_search.armijo(phi, value, slope, alpha1, self.c1)
            self.last_search = "armijo"
        return found

    def _first_trial(self, x, d) -> float:
        return self.lr

    def _direction(self, x, g, flat: _Flat, oracle: Oracle) -> np.ndarray:
        raise NotImplementedError

    def _accepted(self, s: np.ndarray, y: np.ndarray) -> None:
        """A step s was taken and the gradient changed by y."""

    def _forget(self) -> None:
        """Drop the curvature model (after a direction that did not descend)."""


class LBFGS(_Searching):
    """Limited-memory BFGS: the two-loop recursion over the last ``memory`` (s, y) pairs, then a strong Wolfe
    line search (backtracking Armijo if it fails). The first step, with no pairs yet, is steepest descent of
    length ``lr`` (scaled to a unit step: α₁ = lr/‖g‖); later ones start from α = lr."""

    def __init__(self, lr: float = 1.0, memory: int = 10, c1: float = 1e-4, c2: float = 0.9,
                 max_evaluations: int = 30):
        super().__init__(lr, c1, c2, max_evaluations)
        # At most sys.maxsize: the deque of pairs takes its length as a C integer (10**400 was an OverflowError).
        self.memory = check.number("LBFGS: memory", memory, low=1, high=sys.maxsize, integer=True,
                                   what="a whole number >= 1 (and at most sys.maxsize)")
        self.pairs: deque = deque(maxlen=self.memory)

    def reset(self) -> None:
        super().reset()
        self.pairs = deque(maxlen=self.memory)

    def __copy__(self) -> LBFGS:
        """A copy that goes on independently: its own history of pairs (a shared deque would be appended to by
        both optimizers; the pairs' arrays themselves are never changed in place)."""
        twin = super().__copy__()
        twin.pairs = deque(self.pairs, maxlen=self.memory)
        return twin

    def _forget(self) -> None:
        self.pairs.clear()

    def _direction(self, x, g, flat, oracle) -> np.ndarray:
        """−H·g with H the L-BFGS inverse-Hessian approximation (Nocedal & Wright, algorithm 7.4)."""
        q = g.copy()
        alphas = []
        for s, y, rho in reversed(self.pairs):
            a = rho * (s @ q)
            alphas.append(a)
            q -= a * y
        if self.pairs:
            s, y, _ = self.pairs[-1]
            q *= (s @ y) / (y @ y)  # H₀ = γI, γ = sᵀy / yᵀy: the scale of the latest curvature
        for (s, y, rho), a in zip(self.pairs, reversed(alphas), strict=True):
            b = rho * (y @ q)
            q += (a - b) * s
        return -q

    def _first_trial(self, x, d) -> float:
        if self.pairs:
            return self.lr
        norm = float(np.linalg.norm(d))
        return self.lr / norm if norm > 0 else self.lr

    def _accepted(self, s, y) -> None:
        curvature = float(s @ y)
        # The strong Wolfe conditions make sᵀy > 0; a pair without it would break the model's positivity.
        if curvature > 1e-10 * float(y @ y):
            self.pairs.append((s, y, 1.0 / curvature))

    def _hyper(self) -> str:
        return f"memory={self.memory}"


class NewtonCG(_Searching):
    """Hessian-free (truncated) Newton: conjugate gradients on H·p = −g with Hessian-vector products only,
    then a line search from the full step α = 1 (Nocedal & Wright, algorithm 7.1).

    CG stops at a residual below min(½, √‖g‖₁)·‖g‖₁ (superlinear convergence near the minimum), after
    ``max_cg`` iterations (default: the number of parameters), or where it meets a direction of non-positive
    curvature (then the last iterate, or −g on the first iteration): H is never formed, and memory stays O(n).
    ``last_cg`` is the number of H·v products of the last step.
    """

    def __init__(self, lr: float = 1.0, max_cg: int | None = None, c1: float = 1e-4, c2: float = 0.9,
                 max_evaluations: int = 30):
        super().__init__(lr, c1, c2, max_evaluations)
        self.max_cg = None if max_cg is None else _whole(max_cg, "NewtonCG: max_cg", 1)
        self.last_cg = 0

    def _direction(self, x, g, flat, oracle) -> np.ndarray:
        params = flat.params(x)
        norm = float(np.sum(np.abs(g)))
        p, self.last_cg, bent = conjugate_gradients(
            lambda d: flat.vector(oracle.hvp(params, flat.params(d))), -g, min(0.5, np.sqrt(norm)) * norm,
            self.max_cg if self.max_cg is not None else max(1, g.size))
        if bent is not None and self.last_cg == 1:  # no positive curvature along −g: steepest descent, with the
            # length the curvature's size suggests (gᵀg / |gᵀHg|), not a unit step of ‖g‖
            return -g * (float(g @ g) / abs(bent)) if bent < 0 else -g
        return p

    def _hyper(self) -> str:
        return "" if self.max_cg is None else f"max_cg={self.max_cg}"


def _needs_residuals(optimizer, oracle) -> None:
    if not isinstance(oracle, ResidualOracle):
        raise BindingError(f"{optimizer.name}.step needs oracle= a diffkit.second_order.ResidualOracle of the "
                           "residuals (a least-squares loss ½‖r‖²); dk.optim.least_squares gives one")


class GaussNewton(_Searching):
    """Gauss-Newton for least squares ½‖r‖²: CG on JᵀJ·p = −Jᵀr (products through one JVP and one VJP), then
    a line search from the full step. Needs a ``ResidualOracle``."""

    needs_residuals = True

    def __init__(self, lr: float = 1.0, max_cg: int | None = None, c1: float = 1e-4, c2: float = 0.9,
                 max_evaluations: int = 30):
        super().__init__(lr, c1, c2, max_evaluations)
        self.max_cg = None if max_cg is None else _whole(max_cg, "GaussNewton: max_cg", 1)
        self.last_cg = 0

    def step(self, params, grads, hessian=None, oracle=None):
        _needs_residuals(self, oracle)
        return super().step(params, grads, hessian, oracle)

    def _direction(self, x, g, flat, oracle) -> np.ndarray:
        params = flat.params(x)
        norm = float(np.sum(np.abs(g)))
        p, self.last_cg, _ = conjugate_gradients(
            lambda d: flat.vector(oracle.gauss_newton(params, flat.params(d))), -g, 1e-10 * norm,
            self.max_cg if self.max_cg is not None else max(1, g.size))
        return p


class LevenbergMarquardt(Optimizer):
    """Levenberg-Marquardt for least squares ½‖r‖²: (JᵀJ + λI)·p = −Jᵀr by CG on products (one JVP and one VJP
    each), accepted when the loss falls; λ follows the gain ratio ρ = actual / predicted decrease (Nielsen's
    update: λ·max(⅓, 1 − (2ρ − 1)³) after a success, λ·ν with ν doubling after each failure). Large λ is a
    short gradient step, small λ a Gauss-Newton step. Needs a ``ResidualOracle``.

    ``damping``: the first λ (default 10⁻³ times a Rayleigh-quotient estimate of JᵀJ's scale, ‖Jg‖²/‖g‖²).
    ``last_damping`` is λ after the last step.
    """

    needs_oracle = True
    needs_residuals = True

    def __init__(self, damping: float | None = None, max_cg: int | None = None, max_tries: int = 40):
        super().__init__(1.0)
        self.damping = None if damping is None else _positive(damping, "LevenbergMarquardt: damping")
        self.max_cg = None if max_cg is None else _whole(max_cg, "LevenbergMarquardt: max_cg", 1)
        self.max_tries = _whole(max_tries, "LevenbergMarquardt: max_tries", 1)
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.last_damping = self.damping
        self._nu = 2.0

    def step(self, params, grads, hessian=None, oracle=None) -> dict:
        _needs_residuals(self, oracle)
        names, values, gradients = self._check(params, grads)
        flat = _Flat({name: params[name] for name in names})
        x, g = flat.vector(values), flat.vector(gradients)
        self.t += 1
        if not np.any(g):
            return flat.params(x)
        point = flat.params(x)
        value = 0.5 * float(oracle.residuals(point) @ oracle.residuals(point))
        lam = self.last_damping
        if lam is None:
            lam = 1e-3 * float(np.sum(oracle.jvp(point, flat.params(g)) ** 2)) / float(g @ g)
        limit = self.max_cg if self.max_cg is not None else max(1, g.size)
        for _ in range(self.max_tries):
            p, _, _ = conjugate_gradients(
                lambda d, lam=lam: flat.vector(oracle.gauss_newton(point, flat.params(d))) + lam * d, -g,
                1e-10 * float(np.sum(np.abs(g))), limit)
            trial = flat.params(x + p)
            r = oracle.residuals(trial)
            new_value = 0.5 * float(r @ r)
            predicted = 0.5 * float(p @ (lam * p - g))
            if not predicted > 1e-15 * abs(value):  # the model promises nothing the loss's rounding can show
                break
            gain = (value - new_value) / predicted
            if np.isfinite(new_value) and gain > 0:
                self.last_damping = lam * max(1 / 3, 1 - (2 * gain - 1) ** 3)
                self._nu = 2.0
                return trial
            lam *= self._nu
            self._nu *= 2
        self.last_damping = lam
        return flat.params(x)  # no decrease found: stay (the loss is at a minimum to rounding)

    def _hyper(self) -> str:
        return "" if self.damping is None else f"damping={self.damping!r}"


def conjugate_gradients(product, b: np.ndarray, tolerance: float, limit: int) -> tuple[np.ndarray, int, float | None]:
    """Approximately solve A·p = b with products ``product(d)`` = A·d only (A symmetric): returns (p, the
    products used, and the curvature dᵀA·d ≤ 0 of the direction that stopped it, if one did — then p is the last
    iterate, zero if it was the first). Stops when ‖A·p − b‖₁ ≤ ``tolerance`` or after ``limit`` products (the
    1-norm, as SciPy's Newton-CG measures it: with it, iteration counts match SciPy's on Rosenbrock)."""
    p = np.zeros_like(b)
    r = -b.copy()  # the residual A·p − b
    d = b.copy()
    for used in range(1, limit + 1):
        Ad = product(d)
        curvature = float(d @ Ad)
        if curvature <= 0:
            return p, used, curvature
        alpha = float(r @ r) / curvature
        p = p + alpha * d
        r_new = r + alpha * Ad
        if np.sum(np.abs(r_new)) <= tolerance:
            return p, used, None
        d = -r_new + (float(r_new @ r_new) / float(r @ r)) * d
        r = r_new
    return p, limit, None


# ``diffkit.optim.by_name`` (and ``diffkit train --optimizer``) offer the ones that need only a loss.
OPTIMIZERS = {"lbfgs": LBFGS, "newtoncg": NewtonCG}
register_optimizers(**OPTIMIZERS)

__all__ = ["LBFGS", "OPTIMIZERS", "GaussNewton", "LevenbergMarquardt", "NewtonCG", "Oracle", "ResidualOracle",
           "conjugate_gradients"]
