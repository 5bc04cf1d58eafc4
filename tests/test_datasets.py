"""Tests of diffkit.datasets: shapes, dtypes, determinism, class balance, values and argument errors."""

import sys

import numpy as np
import pytest

from diffkit import datasets
from diffkit.errors import BindingError, DiffkitError


def test_xor_values_exact():
    X, y = datasets.xor()
    assert X.dtype == np.float64 and X.shape == (4, 2)
    assert y.dtype == np.int64 and y.shape == (4,)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, X[:, 0] != X[:, 1])


@pytest.mark.parametrize("n", [1, 3, 8])
def test_encoder_is_identity(n):
    X, Y = datasets.encoder(n)
    assert X.dtype == Y.dtype == np.float64
    np.testing.assert_array_equal(X, np.eye(n))
    np.testing.assert_array_equal(Y, np.eye(n))
    assert datasets.encoder()[0].shape == (8, 8)


def test_sine_without_noise_is_exact():
    X, y = datasets.sine(50)
    assert X.shape == y.shape == (50, 1) and X.dtype == y.dtype == np.float64
    assert X[0, 0] == -np.pi and X[-1, 0] == np.pi
    np.testing.assert_array_equal(np.diff(X[:, 0]) > 0, True)
    np.testing.assert_array_equal(y, np.sin(X))


def test_sine_noise_is_seeded():
    X, y = datasets.sine(100, noise=0.2, seed=1)
    np.testing.assert_array_equal(y, datasets.sine(100, noise=0.2, seed=1)[1])
    assert not np.array_equal(y, datasets.sine(100, noise=0.2, seed=2)[1])
    residual = y - np.sin(X)
    assert 0.1 < residual.std() < 0.3


@pytest.mark.parametrize("make", [datasets.moons, datasets.spirals])
@pytest.mark.parametrize("n", [1, 7, 200])
def test_classification_shapes_and_dtypes(make, n):
    X, y = make(n)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("make", [datasets.moons, datasets.spirals])
def test_determinism(make):
    X1, y1 = make(100, seed=3)
    X2, y2 = make(100, seed=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make(100, seed=4)
    assert not np.array_equal(X1, X3)


def test_no_global_random_state():
    np.random.seed(0)
    before = np.random.random()
    np.random.seed(0)
    datasets.moons(50)
    datasets.spirals(50)
    datasets.sine(50, noise=1.0)
    assert np.random.random() == before


@pytest.mark.parametrize("n", [1, 2, 101, 200])
def test_moons_balanced_and_bounded(n):
    X, y = datasets.moons(n, noise=0.0)
    assert np.sum(y == 0) == n // 2 and np.sum(y == 1) == n - n // 2
    assert set(np.unique(y)) <= {0, 1}
    assert np.all(X[:, 0] >= -1 - 1e-12) and np.all(X[:, 0] <= 2 + 1e-12)
    assert np.all(X[:, 1] >= -0.5 - 1e-12) and np.all(X[:, 1] <= 1 + 1e-12)
    # Noise-free points lie on their circle: radius 1 around (0, 0) and (1, 0.5).
    centre = np.where(y[:, None] == 0, [0.0, 0.0], [1.0, 0.5])
    np.testing.assert_allclose(np.linalg.norm(X - centre, axis=1), 1.0)


def test_moons_noise_stays_near_the_moons():
    X, _ = datasets.moons(500, noise=0.1)
    assert np.all(np.abs(X) < 3)


@pytest.mark.parametrize("classes", [2, 3, 5])
def test_spirals_labels_balanced_and_bounded(classes):
    n = 203
    X, y = datasets.spirals(n, classes=classes, noise=0.0)
    assert y.min() == 0 and y.max() == classes - 1
    counts = np.bincount(y, minlength=classes)
    assert counts.sum() == n and counts.max() - counts.min() <= 1
    assert np.all(np.linalg.norm(X, axis=1) <= 1 + 1e-12)
    noisy, _ = datasets.spirals(n, classes=classes, noise=0.1)
    assert np.all(np.linalg.norm(noisy, axis=1) < 2)


def test_spirals_arms_are_distinct():
    X, y = datasets.spirals(100, noise=0.0)
    arm0, arm1 = X[y == 0], X[y == 1]
    distances = np.linalg.norm(arm0[:, None, :] - arm1[None, :, :], axis=2)
    assert distances.min() > 1e-6


def test_one_hot():
    out = datasets.one_hot([2, 0, 1, 2])
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert datasets.one_hot(np.array([0, 1], dtype=np.uint8), classes=4).shape == (2, 4)
    np.testing.assert_array_equal(datasets.one_hot(np.array([1.0, 0.0])), [[0, 1], [1, 0]])
    assert datasets.one_hot([], classes=3).shape == (0, 3)
    labels = np.random.default_rng(0).integers(0, 10, 50)
    np.testing.assert_array_equal(datasets.one_hot(labels, 10).argmax(axis=1), labels)
    np.testing.assert_array_equal(datasets.one_hot(labels, 10).sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "labels, classes, match",
    [
        ([0, -1], None, "non-negative"),
        ([0.5, 1.0], None, "integers"),
        ([0.0, np.nan], None, "integers"),
        (["a", "b"], None, "integers"),
        ([True, False], None, "integers"),
        ([[0, 1]], None, "1-D"),
        (3, None, "1-D"),
        ([0, 3], 3, "below classes"),
        ([0, 1], 0, "classes"),
        ([0, 1], 2.0, "classes"),
    ],
)
def test_one_hot_errors(labels, classes, match):
    with pytest.raises(BindingError, match=match):
        datasets.one_hot(labels, classes)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: datasets.encoder(0), "n"),
        (lambda: datasets.encoder(2.5), "n"),
        (lambda: datasets.sine(0), "n"),
        (lambda: datasets.sine(True), "n"),
        (lambda: datasets.sine(10, noise=-0.1), "noise"),
        (lambda: datasets.sine(10, noise=float("nan")), "noise"),
        (lambda: datasets.moons(-5), "n"),
        (lambda: datasets.moons(10, noise=float("inf")), "noise"),
        (lambda: datasets.moons(10, seed=-1), "seed"),
        (lambda: datasets.moons(10, seed=1.5), "seed"),
        (lambda: datasets.spirals(10, classes=1), "classes"),
        (lambda: datasets.spirals(10, turns=0), "turns"),
        (lambda: datasets.spirals(10, noise=-1), "noise"),
        (lambda: datasets.spirals("10"), "n"),
        (lambda: datasets.digits(test_size=0), "test_size"),
        (lambda: datasets.digits(test_size=1), "test_size"),
        (lambda: datasets.digits(test_size=1.5), "test_size"),
    ],
)
def test_bad_arguments(call, name):
    with pytest.raises(BindingError, match=rf"^{name} must be"):
        call()


def test_digits():
    pytest.importorskip("sklearn")
    X_train, y_train, X_test, y_test = datasets.digits()
    assert X_train.shape[0] + X_test.shape[0] == 1797
    assert X_train.shape[1] == X_test.shape[1] == 64
    assert X_train.dtype == X_test.dtype == np.float64
    assert y_train.dtype == y_test.dtype == np.int64
    assert set(y_train) == set(y_test) == set(range(10))
    assert abs(X_test.shape[0] / 1797 - 0.25) < 0.01
    # standardized with the training set's statistics: mean 0, and standard deviation 1 except constant pixels
    assert np.allclose(X_train.mean(axis=0), 0.0, atol=1e-12)
    spread = X_train.std(axis=0)
    assert np.all(np.isclose(spread, 1.0) | np.isclose(spread, 0.0))
    X_unit, _, X_unit_test, _ = datasets.digits(scale="unit")
    for X in (X_unit, X_unit_test):
        assert X.min() >= 0.0 and X.max() <= 1.0
    assert X_unit.max() == 1.0
    assert np.array_equal(datasets.digits(scale=True)[0], X_unit)
    with pytest.raises(BindingError, match="scale must be"):
        datasets.digits(scale="minmax")


def test_digits_determinism_and_options():
    pytest.importorskip("sklearn")
    first = datasets.digits(test_size=0.2, seed=5)
    for a, b in zip(first, datasets.digits(test_size=0.2, seed=5), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[1], datasets.digits(test_size=0.2, seed=6)[1])
    X_train, _, X_test, _ = datasets.digits(seed=5, scale=False)
    assert X_train.max() == 16.0 and np.all(X_train == np.round(X_train))
    # Train and test sets together hold every image exactly once.
    full = pytest.importorskip("sklearn.datasets").load_digits().data

    def rows_sorted(a):
        return a[np.lexsort(a.T[::-1])]

    np.testing.assert_array_equal(rows_sorted(np.vstack([X_train, X_test])), rows_sorted(full))


def test_digits_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(DiffkitError, match=r"diffkit\[datasets\]") as info:
        datasets.digits()
    assert info.value.__cause__ is None and info.value.__suppress_context__
