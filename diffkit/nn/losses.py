"""Losses of an MLP, written with diffkit's primitives on the network's final pre-activations ("logits").

Regression losses compare the output (after the output layer) with targets; both cross-entropies are computed
from the logits directly — ``softplus(z) - y·z`` and ``-Σ y·log_softmax(z)`` — which stays finite and accurate
for logits of ±1000, where ``log(sigmoid(z))`` or ``log(softmax(z))`` would give -inf. Every loss is a mean over
samples (``sse``, the lecture's Σ(ŷ - y)², is the sum).

Targets are checked before they meet a loss (``check_targets``, which ``MLP`` calls on every y it is given, and
each loss itself when called on arrays): a label outside [0, 1] makes binary cross-entropy negative, a one-hot
row that is no distribution or a target of the wrong shape gives a plausible-looking wrong number, not an error.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import BindingError
from ..trace import functions as fn

# How far a one-hot/soft target row may sum from 1: rounding of float32 probabilities (~1e-7 per entry), not
# a looser notion of "distribution"; a row summing to 0.9 or 2 is refused.
_ROW_SUM_TOLERANCE = 1e-6


def check_targets(loss: str, target) -> None:
    """Refuse targets ``loss`` would turn into a wrong number: non-finite entries for every loss, values outside
    [0, 1] for binary cross-entropy, rows that are not distributions for cross-entropy (2-D targets)."""
    try:
        Y = np.asarray(target, dtype=float)
    except (TypeError, ValueError) as exc:  # ragged lists, strings: not a table of numbers
        raise BindingError(f"the targets y are not numbers in rows of equal length ({exc}); give a NumPy array "
                           "of floats") from None
    bad = ~np.isfinite(Y)
    if bad.any():
        where, row = _first(bad)
        raise BindingError(f"y holds {Y[where]} (row {row}): every target must be a finite number; drop or fill "
                           "the missing ones")
    if loss == "binary_cross_entropy":
        outside = (Y < 0) | (Y > 1)
        if outside.any():
            where, row = _first(outside)
            raise BindingError(f"binary_cross_entropy needs targets in [0, 1] (labels 0/1 or probabilities), got "
                               f"{_number(Y[where])} (row {row}; targets "
                               f"span {_number(Y.min())}..{_number(Y.max())}); map -1/+1 labels to 0/1 with "
                               "(y + 1) / 2, or use loss='cross_entropy' for class labels 0..k-1")
    if loss == "cross_entropy" and Y.ndim == 2:
        sums = Y.sum(axis=1)
        wrong = (Y < 0).any(axis=1) | (np.abs(sums - 1) > _ROW_SUM_TOLERANCE)
        if wrong.any():
            row = int(np.argmax(wrong))
            raise BindingError(f"cross_entropy needs each target row to be a distribution over the classes (entries "
                               f">= 0 summing to 1), but row {row} is {np.array2string(Y[row], precision=4)} (sum "
                               f"{_number(sums[row])}); give class labels 0..k-1 or one-hot rows "
                               "(dk.datasets.one_hot)")


def class_labels(y, classes: int) -> np.ndarray:
    """Class labels checked: whole numbers in 0..classes-1 (integer-valued floats accepted), as int64."""
    y = np.asarray(y)
    whole = y.dtype.kind in "iu" or (y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(np.mod(y, 1) == 0))
    if not whole:
        flat = y.ravel()
        shown = next((v.item() if isinstance(v, np.generic) else v for v in flat
                      if y.dtype.kind != "f" or not np.isfinite(v) or v % 1), None)
        raise BindingError(f"class labels must be whole numbers 0..{classes - 1}, got {shown!r} (dtype {y.dtype}); "
                           "for soft targets give one row per sample (a distribution over the classes)")
    labels = y.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        offending = labels[(labels < 0) | (labels >= classes)][0]
        raise BindingError(f"class labels must lie in 0..{classes - 1} (the network has {classes} outputs), got "
                           f"{offending} (labels span {labels.min()}..{labels.max()}); give the network one output "
                           "per class, or renumber the classes from 0")
    return labels


def _first(mask: np.ndarray) -> tuple[tuple, int]:
    """The index of the first True entry of ``mask`` and its row (0 for a scalar)."""
    where = np.unravel_index(int(np.argmax(mask)), mask.shape)
    return where, int(where[0]) if where else 0


def _number(x) -> str:
    return f"{float(x):.10g}"


def _checked(name: str, output, target) -> None:
    """On arrays (not while tracing a graph, whose handles have no values yet), refuse a target whose shape differs
    from the output's — NumPy would broadcast (4, 2) against (4, 1) into a wrong loss — and bad values."""
    if isinstance(output, np.ndarray) and isinstance(target, np.ndarray | list | tuple | float | int):
        if np.shape(output) != np.shape(target):
            raise BindingError(f"{name} compares outputs of shape {np.shape(output)} with targets of shape "
                               f"{np.shape(target)}; NumPy would broadcast them into a wrong loss: give targets of "
                               f"shape {np.shape(output)}")
        check_targets(name, target)


def sse(output, target):
    """Σ (ŷ - y)²: the lecture's two-layer-net loss."""
    _checked("sse", output, target)
    return fn.sum((output - target) ** 2)


def mse(output, target):
    """Mean over samples of Σ over outputs of (ŷ - y)²."""
    _checked("mse", output, target)
    return fn.mean(fn.sum((output - target) ** 2, axis=1))


def mae(output, target):
    """Mean over samples of Σ |ŷ - y|."""
    _checked("mae", output, target)
    return fn.mean(fn.sum(fn.abs(output - target), axis=1))


def huber(output, target, delta: float = 1.0):
    """½r² for |r| ≤ δ, δ(|r| - ½δ) beyond: quadratic near 0, linear in the tails (written without branches)."""
    _checked("huber", output, target)
    size = fn.abs(output - target)
    inner = fn.minimum(size, delta)
    return fn.mean(fn.sum(0.5 * inner**2 + delta * (size - inner), axis=1))


def log_cosh(output, target):
    """log cosh r, as |r| + softplus(-2|r|) - log 2 so that large residuals do not overflow cosh."""
    _checked("log_cosh", output, target)
    size = fn.abs(output - target)
    return fn.mean(fn.sum(size + fn.softplus(-2 * size) - math.log(2.0), axis=1))


def binary_cross_entropy(logits, target):
    """-[y log σ(z) + (1-y) log(1-σ(z))] = softplus(z) - y·z, from logits; targets in [0, 1]."""
    _checked("binary_cross_entropy", logits, target)
    return fn.mean(fn.sum(fn.softplus(logits) - target * logits, axis=1))


def cross_entropy(logits, target):
    """-Σ y·log softmax(z) over classes (targets one-hot, or rows of probabilities), from logits."""
    _checked("cross_entropy", logits, target)
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
