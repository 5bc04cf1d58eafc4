"""Weight initializations, seeded: each keeps the variance of a layer's outputs near that of its inputs.

``normal``: N(0, 1/n_in) (Var(wᵀx) = 1 for unit inputs); Xavier/Glorot: variance 2/(n_in + n_out), for tanh
and sigmoid; Kaiming/He: 2/n_in, for ReLU, which zeroes half its inputs. ``_uniform`` variants draw from
U(-a, a) with the same variance (a = √(3·variance)). Biases start at zero.
"""

from __future__ import annotations

import numpy as np

from ..errors import BindingError


def _variance(scheme: str, n_in: int, n_out: int) -> float:
    if scheme == "normal":
        return 1.0 / n_in
    if scheme in ("xavier", "glorot"):
        return 2.0 / (n_in + n_out)
    if scheme in ("kaiming", "he"):
        return 2.0 / n_in
    raise AssertionError(scheme)


SCHEMES = ("normal", "xavier", "glorot", "kaiming", "he", "xavier_uniform", "glorot_uniform", "kaiming_uniform",
           "he_uniform")


def weights(scheme: str, n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """An (n_in, n_out) weight matrix drawn by ``scheme``."""
    if scheme not in SCHEMES:
        raise BindingError(f"unknown init {scheme!r}; choose one of {', '.join(SCHEMES)}")
    uniform = scheme.endswith("_uniform")
    variance = _variance(scheme.removesuffix("_uniform"), n_in, n_out)
    if uniform:
        bound = np.sqrt(3.0 * variance)
        return rng.uniform(-bound, bound, size=(n_in, n_out))
    return rng.normal(0.0, np.sqrt(variance), size=(n_in, n_out))
