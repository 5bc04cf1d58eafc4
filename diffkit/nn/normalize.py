"""Normalization and dropout for the MLP's hidden layers, built from diffkit's primitives.

* **Layer normalization** normalizes each sample over its features: ``(z − mean) / √(var + ε)``, then scales by
  ``gamma`` and shifts by ``beta`` (learned, one per feature). The same in training and evaluation.
* **Batch normalization** normalizes each feature over the batch. In training it uses the batch's own mean and
  (biased) variance — the gradient flows through them — and keeps running averages, updated after every step with
  ``momentum`` (PyTorch's convention: ``running = (1 − momentum)·running + momentum·batch``, the variance unbiased
  by n/(n − 1)); evaluation uses the running averages, so one sample's output does not depend on the others.
* **Dropout** multiplies each hidden activation by a mask drawn per step: 0 with probability ``p``, else
  ``1/(1 − p)`` (inverted dropout: evaluation then needs no rescaling and uses no mask). Masks are data of the
  loss graph, drawn from the network's own seeded generator, so a training run is reproducible and every
  method differentiates the very same graph.

ε is 1e-5, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..trace import functions as fn

EPSILON = 1e-5
NORMALIZATIONS = ("layer", "batch")


def layer_norm(z, gamma, beta):
    """Each row of z normalized over its features, then scaled and shifted."""
    mean = fn.broadcast_like(fn.mean(z, axis=1), z, axis=1)
    centred = z - mean
    variance = fn.broadcast_like(fn.mean(centred * centred, axis=1), z, axis=1)
    return centred / fn.sqrt(variance + EPSILON) * gamma + beta


def batch_norm(z, gamma, beta, statistics=None):
    """Each column of z normalized over the batch (``statistics=None``, training) or by given running
    ``(mean, variance)`` (evaluation), then scaled and shifted."""
    if statistics is None:
        mean = fn.mean(z, axis=0)
        centred = z - mean
        variance = fn.mean(centred * centred, axis=0)
    else:
        mean, variance = statistics
        centred = z - mean
    return centred / fn.sqrt(variance + EPSILON) * gamma + beta


def dropout_masks(rng: np.random.Generator, p: float, shapes: dict[str, tuple]) -> dict[str, np.ndarray]:
    """One inverted-dropout mask per hidden layer: 0 with probability p, else 1/(1 − p)."""
    keep = 1.0 - p
    return {name: (rng.random(shape) < keep) / keep for name, shape in shapes.items()}


def updated_statistics(running: dict, batch: dict, momentum: float, samples: int) -> dict:
    """The running means and variances after one training step (the batch variance unbiased, as PyTorch does)."""
    unbias = samples / (samples - 1) if samples > 1 else 1.0
    new = {}
    for name, value in running.items():
        observed = batch[name] * unbias if name.startswith("var") else batch[name]
        new[name] = (1.0 - momentum) * value + momentum * observed
    return new
