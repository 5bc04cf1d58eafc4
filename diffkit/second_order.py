"""Second order at first-order cost: L-BFGS and Hessian-free Newton-CG, and the oracle they query.

Both work on the parameters flattened into one vector (each parameter ``ravel()``-ed, in the dict's order, as
``Newton`` does) and never form a Hessian:

* ``LBFGS`` keeps the last ``memory`` pairs (s, y) = (step, change of gradient) and applies their inverse-Hessian
  approximation to the gradient by the two-loop recursion, then searches along that direction for a step
  satisfying the strong Wolfe conditions (which keep every new pair's curvature sᵀy positive), with a
  backtracking Armijo search as a fallback.
* ``NewtonCG`` solves H·p = −g approximately by conjugate gradients, each iteration one Hessian-vector product
  (``dk.hvp``: about two gradients' work, whatever the number of parameters), stopping early at a residual
  tolerance min(½, √‖g‖)·‖g‖ (so steps become exact Newton steps near the minimum) or at negative curvature,
  then line-searches as L-BFGS does.

They need more than a gradient per step — trial points for the line search, products H·v — so their ``step``
takes an ``oracle`` (``Oracle``), which ``dk.optim.minimize`` builds from the expression. The oracle counts what
it computed: the lecture's warning that second-order methods need accurate (full-batch) gradients is about
exactly these counts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

import numpy as np

from . import line_search
from .errors import BindingError
from .optim import Optimizer, _like, _positive, _whole


class Oracle:
    """f, ∇f and H·v of one scalar expression at parameter dicts, counting each (``gradients``, ``hvps``).

    ``method`` and ``options`` go to ``dk.gradient`` and ``dk.hvp``. The last gradient is remembered, so asking
    again at the same point (a line search's accepted step, then the optimizer's next step) costs nothing.
    """

    def __init__(self, expr, method: str = "reverse", **options):
        from . import api
        from .convert import as_graph

        self._api = api
        self.graph = as_graph(expr)
        self.method, self.options = method, options
        self.gradients = 0
        self.hvps = 0
        self._last: tuple | None = None

    def value_and_grad(self, params: Mapping) -> tuple[float, dict]:
        key = _key(params)
        if self._last is not None and self._last[0] == key:
            return self._last[1], self._last[2]
        result = self._api.gradient(self.graph, at=dict(params), method=self.method, **self.options)
        self.gradients += 1
        value, grads = float(result.value), dict(result.gradient)
        self._last = (key, value, grads)
        return value, grads

    def hvp(self, params: Mapping, vector: Mapping) -> dict:
        self.hvps += 1
        return dict(self._api.hvp(self.graph, at=dict(params), vector=dict(vector), method=self.method,
                                  **self.options).hvp)


def _key(params: Mapping) -> tuple:
    return tuple((name, np.asarray(value, dtype=np.float64).tobytes()) for name, value in params.items())


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
        self.memory = _whole(memory, "LBFGS: memory", 1)
        self.pairs: deque = deque(maxlen=self.memory)

    def reset(self) -> None:
        super().reset()
        self.pairs = deque(maxlen=self.memory)

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

    CG stops at a residual below min(½, √‖g‖)·‖g‖ (superlinear convergence near the minimum), after
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
        norm = float(np.linalg.norm(g))
        tolerance = min(0.5, np.sqrt(norm)) * norm
        p = np.zeros_like(g)
        r = g.copy()  # residual H·p + g
        d = -r
        self.last_cg = 0
        limit = self.max_cg if self.max_cg is not None else max(1, g.size)
        params = flat.params(x)
        for iteration in range(limit):
            Hd = flat.vector(oracle.hvp(params, flat.params(d)))
            self.last_cg += 1
            curvature = float(d @ Hd)
            if curvature <= 0:
                return -g if iteration == 0 else p
            alpha = float(r @ r) / curvature
            p = p + alpha * d
            r_new = r + alpha * Hd
            if np.linalg.norm(r_new) <= tolerance:
                return p
            beta = float(r_new @ r_new) / float(r @ r)
            d = -r_new + beta * d
            r = r_new
        return p

    def _hyper(self) -> str:
        return "" if self.max_cg is None else f"max_cg={self.max_cg}"


__all__ = ["LBFGS", "NewtonCG", "Oracle"]
