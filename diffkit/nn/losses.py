"""Losses of an MLP, written with diffkit's primitives on the network's final pre-activations ("logits").

Regression losses compare the output (after the output layer) with targets; both cross-entropies are computed
from the logits directly — ``softplus(z) - y·z`` and ``-Σ y·log_softmax(z)`` — which stays finite and accurate
for logits of ±1000, where ``log(sigmoid(z))`` or ``log(softmax(z))`` would give -inf. Every loss is a mean over
samples (``sse``, the lecture's Σ(ŷ - y)², is the sum).
"""

from __future__ import annotations

import math

from ..trace import functions as fn


def sse(output, target):
    """Σ (ŷ - y)²: the lecture's two-layer-net loss."""
    return fn.sum((output - target) ** 2)


def mse(output, target):
    """Mean over samples of Σ over outputs of (ŷ - y)²."""
    return fn.mean(fn.sum((output - target) ** 2, axis=1))


def mae(output, target):
    """Mean over samples of Σ |ŷ - y|."""
    return fn.mean(fn.sum(fn.abs(output - target), axis=1))


def huber(output, target, delta: float = 1.0):
    """½r² for |r| ≤ δ, δ(|r| - ½δ) beyond: quadratic near 0, linear in the tails (written without branches)."""
    size = fn.abs(output - target)
    inner = fn.minimum(size, delta)
    return fn.mean(fn.sum(0.5 * inner**2 + delta * (size - inner), axis=1))


def log_cosh(output, target):
    """log cosh r, as |r| + softplus(-2|r|) - log 2 so that large residuals do not overflow cosh."""
    size = fn.abs(output - target)
    return fn.mean(fn.sum(size + fn.softplus(-2 * size) - math.log(2.0), axis=1))


def binary_cross_entropy(logits, target):
    """-[y log σ(z) + (1-y) log(1-σ(z))] = softplus(z) - y·z, from logits."""
    return fn.mean(fn.sum(fn.softplus(logits) - target * logits, axis=1))


def cross_entropy(logits, target):
    """-Σ y·log softmax(z) over classes (targets one-hot), from logits."""
    return -fn.mean(fn.sum(target * fn.log_softmax(logits, axis=1), axis=1))


# name -> (function, takes logits?, the output layer it implies for predictions)
LOSSES = {
    "sse": (sse, False, None),
    "mse": (mse, False, None),
    "mae": (mae, False, None),
    "huber": (huber, False, None),
    "log_cosh": (log_cosh, False, None),
    "binary_cross_entropy": (binary_cross_entropy, True, "sigmoid"),
    "cross_entropy": (cross_entropy, True, "softmax"),
}
