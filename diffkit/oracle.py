"""What the second-order optimizers query: a loss's value, gradient and H·v (``Oracle``), or a least-squares
problem's residuals, J·v and Jᵀ·u (``ResidualOracle``), each counting what it computed.

The optimizers' line searches ask for trial points and ask again at the point they accept, so each oracle
remembers its last answer.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


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


class ResidualOracle:
    """Residuals r(θ) of a least-squares loss ½‖r‖², with J·v (one forward sweep) and Jᵀ·u (one backward sweep).

    ``residuals``: a list of scalar expressions, or a graph (or function) with several outputs or one vector
    output; r is their entries flattened, in order. ``value_and_grad`` gives ½‖r‖² and its gradient Jᵀr, so
    any optimizer can minimize the same loss; ``gauss_newton(params, v)`` is JᵀJ·v, the Gauss-Newton
    approximation of the Hessian times v, through one JVP and one VJP — never J itself.
    """

    def __init__(self, residuals, **options):
        from . import api
        from .convert import as_graph

        self._api = api
        self.graph = as_graph(residuals)
        self.options = options
        self.gradients = 0
        self.jvps = 0
        self.vjps = 0
        self._last: tuple | None = None
        self._shapes: list | None = None  # the outputs' shapes, to cut a flat cotangent back into them

    def residuals(self, params: Mapping) -> np.ndarray:
        key = _key(params)
        if self._last is None or self._last[0] != key:
            values = self.graph.evaluate(dict(params), errors=self.options.get("errors", "warn"))
            values = values if isinstance(values, tuple) else (values,)
            self._shapes = [np.shape(v) for v in values]
            self._last = (key, np.concatenate([np.ravel(v) for v in values]), None)
        return self._last[1]

    def value_and_grad(self, params: Mapping) -> tuple[float, dict]:
        r = self.residuals(params)
        if self._last[2] is None:
            self._last = (*self._last[:2], self.vjp(params, r))
            self.gradients += 1
        return 0.5 * float(r @ r), dict(self._last[2])

    def jvp(self, params: Mapping, vector: Mapping) -> np.ndarray:
        self.jvps += 1
        products = self._api.jvp(self.graph, at=dict(params), tangents=dict(vector), method="forward",
                                 **self.options).derivative
        products = products if isinstance(products, tuple) else (products,)
        return np.concatenate([np.ravel(p) for p in products])

    def vjp(self, params: Mapping, u: np.ndarray) -> dict:
        self.vjps += 1
        if self._shapes is None:  # (the shapes do not change with the parameters' values: learned once)
            self.residuals(params)
        pieces, start = [], 0
        for shape in self._shapes:
            size = int(np.prod(shape))
            pieces.append(u[start:start + size].reshape(shape) if shape else float(u[start]))
            start += size
        return dict(self._api.vjp(self.graph, at=dict(params), cotangents=pieces, method="reverse",
                                  **self.options).derivative)

    def gauss_newton(self, params: Mapping, vector: Mapping) -> dict:
        return self.vjp(params, self.jvp(params, vector))


__all__ = ["Oracle", "ResidualOracle"]
