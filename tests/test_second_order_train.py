"""Gauss-Newton and Levenberg-Marquardt in ``nn.train``: an MLP's least-squares loss as ½‖r‖² of its residual
graph, training with them, what they are charged in ``History.gradients``, and the clear refusal for losses that
are no sum of squares."""

from __future__ import annotations

import numpy as np
import pytest

import diffkit as dk
from diffkit import nn, optim
from diffkit.second_order import GaussNewton, LevenbergMarquardt, ResidualOracle

LEAST_SQUARES = [GaussNewton, LevenbergMarquardt]


def _sine():
    """sin on 64 evenly spaced points of [-π, π]: a small regression problem."""
    X = np.linspace(-np.pi, np.pi, 64)[:, None]
    return X, np.sin(X[:, 0])


def _half_square(net, X, y) -> float:
    oracle = ResidualOracle(net.residual_graph(X, y))
    r = oracle.residuals(net.parameters())
    return 0.5 * float(r @ r)


@pytest.mark.parametrize("loss", ["mse", "sse"])
@pytest.mark.parametrize("l2", [0.0, 0.03])
def test_half_the_squared_residuals_is_the_loss(loss, l2):
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(20, 4)), rng.normal(size=(20, 3))  # several outputs: mse sums them, means samples
    net = nn.MLP([4, 6, 5, 3], activation="tanh", loss=loss, l2=l2, seed=2)
    for rows in (slice(None), slice(0, 7)):  # the whole data and a batch of another size
        expected = net.loss(X[rows], Y[rows])
        assert _half_square(net, X[rows], Y[rows]) == pytest.approx(expected, rel=1e-12, abs=0)
    outputs = len(net.residual_graph(X, Y).outputs)
    assert outputs == (1 + 3 if l2 else 1)  # the errors, then √(2·l2)·W for each weight matrix (not the biases)


def test_the_residuals_gradient_is_the_loss_gradient():
    X, y = _sine()
    net = nn.MLP([1, 8, 1], activation="tanh", l2=1e-2, seed=0)
    value, grads = ResidualOracle(net.residual_graph(X, y)).value_and_grad(net.parameters())
    reference = net.gradient(X, y)
    assert value == pytest.approx(float(reference.value), rel=1e-12)
    for name in net.parameter_names:
        np.testing.assert_allclose(grads[name], reference.gradient[name], rtol=1e-10, atol=1e-14)


def _train(optimizer, epochs=5, **net_options):
    X, y = _sine()
    net = nn.MLP([1, 8, 1], activation="tanh", seed=0, **net_options)
    start = net.loss(X, y)
    return start, nn.train(net, X, y, optimizer, epochs=epochs, progress=False)


@pytest.mark.parametrize("optimizer", LEAST_SQUARES)
def test_least_squares_training_beats_as_many_steps_of_gradient_descent(optimizer):
    start, history = _train(optimizer())
    _, descent = _train(optim.GD(lr=0.1))
    assert history.steps == descent.steps == 5  # full batch: one step an epoch
    assert history.loss[-1] < start / 10
    assert history.loss[-1] < descent.loss[-1] / 2  # GD(lr=0.1) is still above 0.12 here, both near 0.025
    assert _train(optimizer())[1].loss == history.loss  # seeded: the same run twice


@pytest.mark.parametrize("optimizer", LEAST_SQUARES)
def test_least_squares_training_with_l2_and_mini_batches(optimizer):
    X, y = _sine()
    net = nn.MLP([1, 8, 1], activation="tanh", l2=1e-3, seed=0)
    start = net.loss(X, y)
    history = nn.train(net, X, y, optimizer(), epochs=3, batch_size=20, progress=False)  # batches 20, 20, 20, 4
    # (undamped Gauss-Newton steps fit each batch, not the data: 1.0 -> 0.58 here; Levenberg-Marquardt -> 0.06)
    assert history.steps == 12 and history.loss[-1] < 0.75 * start


@pytest.mark.parametrize("optimizer", LEAST_SQUARES)
def test_history_counts_each_gauss_newton_product_as_two_gradients(optimizer):
    X, y = _sine()
    net = nn.MLP([1, 8, 1], activation="tanh", seed=0)
    replay, twin = optimizer(max_cg=5), nn.MLP([1, 8, 1], activation="tanh", seed=0)
    history = nn.train(net, X, y, optimizer(max_cg=5), epochs=1, shuffle=False, progress=False)
    # The same single full-batch step by hand: what its oracle computed is what the history was charged.
    oracle = ResidualOracle(twin.residual_graph(X, y))
    stepped = replay.step(twin.parameters(), oracle.value_and_grad(twin.parameters())[1], oracle=oracle)
    for name in net.parameter_names:
        np.testing.assert_array_equal(stepped[name], net.parameters()[name])
    assert history.gradients == [oracle.jvps + oracle.vjps]
    # Levenberg-Marquardt's first damping estimate ‖Jg‖² is a JVP alone; every other JVP is half a product JᵀJ·v
    products = oracle.jvps - (optimizer is LevenbergMarquardt)
    assert products >= 1 and history.gradients[0] >= 1 + 2 * products  # the gradient Jᵀr, then 2 a product


@pytest.mark.parametrize("optimizer", LEAST_SQUARES)
@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy", "mae"])
def test_a_loss_that_is_no_sum_of_squares_is_refused_before_training(optimizer, loss):
    X = np.zeros((4, 2))
    net = nn.MLP([2, 3, 2], loss=loss, seed=0)
    before = net.parameters()
    # y is not even looked at: the refusal comes first, before any data check or training work
    with pytest.raises(dk.MethodError, match=rf"{optimizer.__name__} needs a least-squares loss .*loss='mse'.*"
                                             rf"loss is '{loss}': train it with newtoncg or lbfgs"):
        nn.train(net, X, "not targets", optimizer(), progress=False)
    assert all(np.array_equal(before[k], v) for k, v in net.parameters().items())
    with pytest.raises(dk.MethodError, match=f"loss is '{loss}'"):
        net.residual_graph(X, np.zeros((4, 2)))


def test_an_l1_penalty_is_refused_for_least_squares():
    X, y = _sine()
    with pytest.raises(dk.MethodError, match=r"GaussNewton needs a least-squares loss .*l1=0\.001.*use l2"):
        nn.train(nn.MLP([1, 4, 1], l1=1e-3), X, y, GaussNewton(), progress=False)


def test_least_squares_products_are_not_taken_by_another_method():
    X, y = _sine()
    with pytest.raises(dk.MethodError, match="LevenbergMarquardt computes its products .* method='numeric'"):
        nn.train(nn.MLP([1, 4, 1]), X, y, LevenbergMarquardt(), method="numeric", progress=False)


def test_residuals_of_no_samples_are_refused():
    net = nn.MLP([1, 4, 1])
    with pytest.raises(dk.BindingError, match="no samples"):
        net.residual_graph(np.zeros((0, 1)), np.zeros(0))
