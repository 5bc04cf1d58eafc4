"""Small, seeded toy datasets for training a NumPy MLP with diffkit's gradients.

Every function is deterministic (randomness comes only from ``np.random.default_rng(seed)``, never from global
state) and returns NumPy arrays: inputs ``X`` are float64 of shape ``(N, D)``; classification labels are int64
class indices of shape ``(N,)``; regression and reconstruction targets are float64 of shape ``(N, D)``.

- ``xor`` -- the four XOR points: the smallest problem no linear model solves; one hidden layer does.
- ``encoder`` -- the 8-3-8 identity encoder: a narrow hidden layer must invent a compact (binary-like) code.
- ``sine`` -- samples of ``sin`` on ``[-pi, pi]``: universal approximation of a smooth 1-D function.
- ``moons`` -- two interleaving half circles: a curved decision boundary in 2-D.
- ``spirals`` -- interleaved spirals: a hard, highly non-linear boundary that needs depth or width.
- ``digits`` -- scikit-learn's bundled 8x8 handwritten digits: a real 10-class problem (needs the
  optional extra, ``pip install "diffkit[datasets]"``).
- ``one_hot`` -- turns class indices into the one-hot targets a softmax/cross-entropy loss expects.

``DATASETS`` maps each dataset's name to its function (``diffkit train`` offers exactly these); ``load(name,
**options)`` calls one by name.
"""

from __future__ import annotations

import math

import numpy as np

from . import options as check
from .errors import BindingError, DiffkitError
from .keywords import suggestion
from .limits import amount, check_memory

__all__ = ["DATASETS", "xor", "encoder", "sine", "moons", "spirals", "digits", "load", "one_hot"]


def _int(value, name: str, minimum: int, maximum: int | None = None) -> int:
    """Check that ``value`` is an integer (not a bool) in ``minimum..maximum``; return it as an int."""
    bounds = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
    return check.number(name, value, low=minimum, high=maximum, integer=True, what=f"an integer {bounds}")


def _real(value, name: str, low: float = 0.0, high: float = math.inf, open_low: bool = False) -> float:
    """Check that ``value`` is a finite real number in ``[low, high)`` (``(low, high)`` if ``open_low``)."""
    interval = f"{'(' if open_low else '['}{low}, {high})"
    return check.number(name, value, low=low, low_open=open_low, high=high, high_open=True,
                        what=f"a finite number in {interval}")


def _room(what: str, entries: int, copies: int, advice: str = "ask for fewer samples") -> None:
    """Refuse a dataset whose arrays (``copies`` float64 arrays of ``entries`` each, the temporaries included)
    exceed ``dk.limits.memory_bytes``, before allocating them: a bare MemoryError otherwise, or swapping.
    (Whole-number arithmetic: n=10**400 is refused, not an OverflowError.)"""
    check_memory(what, 8 * entries * copies, f"{advice}, or raise dk.limits.memory_bytes")


def _rng(seed) -> np.random.Generator:
    return np.random.default_rng(_int(seed, "seed", 0))


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points ``{0, 1}^2`` with labels ``x1 != x2``: X (4, 2) float64, y (4,) int64."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y


def encoder(n: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """The lecture's 8-3-8 encoder: X = Y = identity(n), float64 (n, n).

    A network n-3-n must reproduce each one-hot input at its output through 3 hidden sigmoid units, so the
    hidden layer learns a binary-like code for the n inputs (3 bits suffice for 8).
    """
    n = _int(n, "n", 1)
    _room(f"encoder(n={amount(n)})", n * n, 2)
    return np.eye(n), np.eye(n)


def sine(n: int = 200, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A universal approximation target: X (n, 1) evenly spaced on [-pi, pi], y = sin(X) + noise * N(0, 1).

    With ``noise=0`` the targets equal ``np.sin(X)`` exactly.
    """
    n = _int(n, "n", 1)
    noise = _real(noise, "noise")
    rng = _rng(seed)
    _room(f"sine(n={amount(n)})", n, 4)
    X = np.linspace(-np.pi, np.pi, n).reshape(n, 1)
    y = np.sin(X)
    if noise > 0:
        y = y + noise * rng.standard_normal((n, 1))
    return X, y


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (like scikit-learn's ``make_moons``), shuffled; X (n, 2), y (n,) in {0, 1}.

    Class 0 is the upper moon (n // 2 points), class 1 the lower one (n - n // 2 points); Gaussian noise of
    standard deviation ``noise`` is added to both coordinates.
    """
    n = _int(n, "n", 1)
    noise = _real(noise, "noise")
    rng = _rng(seed)
    _room(f"moons(n={amount(n)})", 2 * n, 5)
    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    X = np.vstack([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    order = rng.permutation(n)
    return X[order], y[order]


def spirals(
    n: int = 200, turns: float = 1.5, noise: float = 0.1, classes: int = 2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms, shuffled; X (n, 2), y (n,) in ``0 .. classes - 1``.

    Each arm winds ``turns`` times around the origin, its radius growing from near 0 to 1; arm ``c`` is rotated by
    ``2 pi c / classes``. The classes are balanced (sizes differ by at most one) and Gaussian noise of standard
    deviation ``noise`` is added to both coordinates.
    """
    n = _int(n, "n", 1)
    turns = _real(turns, "turns", open_low=True)
    noise = _real(noise, "noise")
    # An arm per class, each needing a point: more classes than points would loop over empty arms (10**400 of them).
    classes = _int(classes, "classes", 2, max(n, 2))
    rng = _rng(seed)
    _room(f"spirals(n={amount(n)})", 2 * n, 5)
    points, labels = [], []
    for c in range(classes):
        m = n // classes + (c < n % classes)
        radius = (np.arange(m) + 1.0) / max(m, 1)
        angle = 2.0 * np.pi * (turns * radius + c / classes)
        points.append(radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]))
        labels.append(np.full(m, c, dtype=np.int64))
    X = np.vstack(points) + noise * rng.standard_normal((n, 2))
    y = np.concatenate(labels)
    order = rng.permutation(n)
    return X[order], y[order]


def digits(
    test_size: float = 0.25, seed: int = 0, scale: str | bool = "standard"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits (1797 images, 64 pixels, 10 classes), split into train and test.

    Returns ``(X_train, y_train, X_test, y_test)``. The split is stratified and seeded: of each class, a seeded
    random ``round(test_size * count)`` images (at least one, and never all) go to the test set; both sets are
    then shuffled. ``scale``: ``"standard"`` (default) centres each pixel and divides by its standard deviation,
    both measured on the training set only (a pixel constant there keeps scale 1) — it trains faster and
    generalizes better than raw intensities (measurements in docs/mlp.md); ``"unit"`` or ``True`` divides the
    0..16 intensities by 16 into [0, 1];
    ``False`` keeps them raw. Needs scikit-learn, an
    optional extra: ``pip install "diffkit[datasets]"`` (the data ships with it, nothing is downloaded).
    """
    test_size = _real(test_size, "test_size", 0.0, 1.0, open_low=True)
    # True/False themselves, not 1/0 (which `in` would take for them) nor an array (which `in` cannot compare).
    if not (isinstance(scale, bool) or (isinstance(scale, str) and scale in ("standard", "unit"))):
        raise check.OptionError(f"scale must be 'standard', 'unit' (or True) or False, got {check.shown(scale)}")
    rng = _rng(seed)
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DiffkitError("the digits dataset needs scikit-learn: pip install 'diffkit[datasets]'") from None
    data = load_digits()
    X = np.asarray(data.data, dtype=np.float64)
    y = np.asarray(data.target, dtype=np.int64)
    if scale is True or scale == "unit":
        X = X / 16.0
    train, test = [], []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        k = min(max(round(test_size * len(members)), 1), len(members) - 1)
        test.append(members[:k])
        train.append(members[k:])
    train_idx = rng.permutation(np.concatenate(train))
    test_idx = rng.permutation(np.concatenate(test))
    X_train, X_test = X[train_idx], X[test_idx]
    if scale == "standard":  # statistics of the training set only: the test set stays unseen
        mean, spread = X_train.mean(axis=0), X_train.std(axis=0)
        spread[spread == 0] = 1.0
        X_train, X_test = (X_train - mean) / spread, (X_test - mean) / spread
    return X_train, y[train_idx], X_test, y[test_idx]


# Every dataset by its name: ``diffkit train`` offers these, so the command line cannot miss one.
DATASETS = {"xor": xor, "encoder": encoder, "sine": sine, "moons": moons, "spirals": spirals, "digits": digits}


def load(name: str, **options) -> tuple[np.ndarray, ...]:
    """A dataset by its name in ``DATASETS``, e.g. ``load("moons", noise=0.2)``; ``options`` go to its function
    (``digits`` returns train and test sets, the others ``(X, y)``)."""
    if not isinstance(name, str) or name not in DATASETS:
        close = suggestion(name, DATASETS) if isinstance(name, str) else ""
        raise check.OptionError(f"unknown dataset {check.shown(name)}{close} (the datasets: {', '.join(DATASETS)})")
    return DATASETS[name](**options)


def one_hot(labels, classes: int | None = None) -> np.ndarray:
    """One-hot encode a 1-D array of class indices: float64 (N, classes), row i has a 1 in column labels[i].

    ``classes`` defaults to ``max(labels) + 1``. Labels must be non-negative integers (integer-valued floats are
    accepted) below ``classes``.
    """
    array = np.asarray(labels)
    if array.ndim != 1:
        raise BindingError(f"labels must be a 1-D array of class indices, got shape {array.shape}")
    if array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
        array = array.astype(np.int64)
    if array.size and array.dtype.kind not in "iu":
        raise BindingError(f"labels must be integers (class indices), got dtype {array.dtype}")
    array = array.astype(np.int64)
    if array.size and array.min() < 0:
        raise BindingError(f"labels must be non-negative class indices, got {int(array.min())}")
    needed = int(array.max()) + 1 if array.size else 0
    classes = needed if classes is None else _int(classes, "classes", 1)
    if needed > classes:
        raise BindingError(f"labels must be below classes={classes}, got label {needed - 1}")
    _room(f"one_hot of {array.size:,} labels into {amount(classes)} classes", array.size * classes, 1,
          "give classes= the number of classes, or fewer labels at a time")
    out = np.zeros((array.size, classes))
    out[np.arange(array.size), array] = 1.0
    return out
