"""Layer normalization, batch normalization and dropout in the MLP: four methods agree on the training loss,
PyTorch agrees on the gradients and the running averages, evaluation mode uses no batch statistics and no
masks, and a training run with them is reproducible."""

import numpy as np
import pytest

import diffkit as dk
from diffkit.errors import BindingError, DiffkitError, MethodError

rng = np.random.default_rng(5)
X = rng.normal(size=(12, 4))
y = rng.integers(0, 3, size=12)
SIZES = [4, 6, 5, 3]


def net_with(normalization, dropout=0.0, **options):
    return dk.nn.MLP(SIZES, activation="tanh", loss="cross_entropy", seed=3, normalization=normalization,
                     dropout=dropout, **options)


def largest_gap(a: dict, b: dict) -> float:
    """The largest difference relative to the gradient's scale: batch norm makes the hidden biases' gradients
    exactly zero (the batch mean removes them), where a relative discrepancy would compare rounding errors."""
    return max(np.max(np.abs(a[name] - b[name])) / (1 + np.max(np.abs(b[name]))) for name in a)


@pytest.mark.parametrize("dropout", [0.0, 0.4])
@pytest.mark.parametrize("normalization", ["layer", "batch"])
def test_three_methods_agree_on_the_training_loss(normalization, dropout):
    net = net_with(normalization, dropout)
    masks = net.dropout_masks(len(X)) if dropout else None  # one draw: every method differentiates one graph
    reverse = net.gradient(X, y, method="reverse", masks=masks).gradient
    for method in ("numeric", "forward"):
        other = net.gradient(X, y, method=method, masks=masks).gradient
        assert largest_gap(other, reverse) <= (1e-8 if method == "numeric" else 1e-12), method
    assert set(reverse) >= {"gamma1", "beta1", "gamma2", "beta2"}


@pytest.mark.parametrize("normalize", [dk.nn.normalize.layer_norm, dk.nn.normalize.batch_norm],
                         ids=["layer", "batch"])
def test_symbolic_agrees_on_one_normalized_layer(normalize):
    """SymPy writes every entry out: each normalized entry depends on a whole row (layer) or column (batch)
    through the mean and the square root of the variance, so a whole MLP swells past the symbolic budget; one
    small layer is what it can check."""
    Xs, C = X[:3, :2], rng.normal(size=(3, 3))
    graph = dk.trace(lambda W, gamma, beta: dk.sum(dk.tanh(normalize(Xs @ W, gamma, beta)) * C))
    at = {"W": rng.normal(size=(2, 3)), "gamma": 1 + 0.1 * rng.normal(size=3), "beta": rng.normal(size=3)}
    reverse = dk.gradient(graph, at=at).gradient
    for method in ("symbolic", "numeric", "forward"):
        assert largest_gap(dk.gradient(graph, at=at, method=method).gradient, reverse) <= (
            1e-8 if method == "numeric" else 1e-12), method


def test_batch_statistics_carry_the_gradient_through_the_mean_and_variance():
    """Batch norm's output sums to beta over the batch, whatever W1 is: so Σ over a column's outputs has no
    gradient in W1 — true only when the mean's own derivative is kept."""
    Xs = X[:5]
    graph = dk.trace(lambda W1, gamma1, beta1: dk.sum(dk.nn.normalize.batch_norm(Xs @ W1, gamma1, beta1)))
    at = {name: net_with("batch").parameters()[name] for name in ("W1", "gamma1", "beta1")}
    for method in ("numeric", "forward", "reverse"):
        gradient = dk.gradient(graph, at=at, method=method).gradient
        assert np.max(np.abs(gradient["W1"])) <= (1e-8 if method == "numeric" else 1e-12), method
        assert np.allclose(gradient["beta1"], len(Xs))


def _torch_twin(net, torch):
    """The same network in PyTorch, from diffkit's parameters (z = a @ W + b)."""
    params = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in net.parameters().items()}
    norms = {}
    for k in (1, 2):
        if net.normalization == "batch":
            bn = torch.nn.BatchNorm1d(SIZES[k], eps=1e-5, momentum=net.momentum, dtype=torch.float64)
            with torch.no_grad():
                bn.weight.copy_(params[f"gamma{k}"])
                bn.bias.copy_(params[f"beta{k}"])
            norms[k] = bn
    return params, norms


def _torch_loss(net, params, norms, X_, y_, masks, torch):
    a = torch.tensor(X_, dtype=torch.float64)
    for k in (1, 2):
        z = a @ params[f"W{k}"] + params[f"b{k}"]
        if net.normalization == "layer":
            z = torch.nn.functional.layer_norm(z, (SIZES[k],), params[f"gamma{k}"], params[f"beta{k}"], eps=1e-5)
        else:
            bn = norms[k]
            z = torch.nn.functional.batch_norm(z, bn.running_mean, bn.running_var, params[f"gamma{k}"],
                                               params[f"beta{k}"], training=True, momentum=net.momentum, eps=1e-5)
        a = torch.tanh(z)
        if masks is not None:
            a = a * torch.tensor(masks[f"D{k}"], dtype=torch.float64)
    logits = a @ params["W3"] + params["b3"]
    return torch.nn.functional.cross_entropy(logits, torch.tensor(y_))


@pytest.mark.parametrize("dropout", [0.0, 0.4])
@pytest.mark.parametrize("normalization", ["layer", "batch"])
def test_torch_agrees_on_the_gradient_and_the_running_averages(normalization, dropout):
    torch = pytest.importorskip("torch")
    net = net_with(normalization, dropout)
    masks = net.dropout_masks(len(X)) if dropout else None
    params, norms = _torch_twin(net, torch)
    loss = _torch_loss(net, params, norms, X, y, masks, torch)
    loss.backward()
    ours = net.gradient(X, y, masks=masks)
    assert float(ours.value) == pytest.approx(loss.item(), rel=1e-12)
    theirs = {k: p.grad.numpy() for k, p in params.items()}
    assert largest_gap(ours.gradient, theirs) <= 1e-10
    if normalization == "batch":  # PyTorch's forward pass updated its running averages; ours is observe()
        net.observe(X, masks)
        running = net.running_statistics()
        for k in (1, 2):
            np.testing.assert_allclose(running[f"mean{k}"], norms[k].running_mean.numpy(), rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(running[f"var{k}"], norms[k].running_var.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("normalization", ["layer", "batch"])
def test_evaluation_mode_treats_each_sample_alone_and_draws_no_masks(normalization):
    net = net_with(normalization, dropout=0.5)
    net.observe(X, net.unit_masks(len(X)))  # running averages that are not the initial 0 and 1
    together = net.forward(X)
    alone = np.vstack([net.forward(X[i:i + 1]) for i in range(len(X))])
    np.testing.assert_allclose(together, alone, rtol=1e-13, atol=1e-15)
    assert net.loss(X, y) == net.loss(X, y)  # no dropout draw in evaluation
    if normalization == "batch":  # evaluation normalizes by the running averages, not the batch's own
        assert not np.allclose(net.forward(X), net_with("batch", dropout=0.5).forward(X))


def test_dropout_masks_are_inverted_seeded_and_given_back():
    net = net_with(None, dropout=0.25)
    masks = net.dropout_masks(4000)
    for mask in masks.values():
        assert set(np.unique(mask)) == {0.0, 1 / 0.75}
        assert abs(np.mean(mask) - 1.0) < 0.03  # inverted: the expected activation is unchanged
    again = net_with(None, dropout=0.25).dropout_masks(4000)
    assert all(np.array_equal(masks[k], again[k]) for k in masks)
    first = net.gradient(X, y, masks=net.dropout_masks(len(X)))
    assert not np.allclose(first.gradient["W1"], net.gradient(X, y).gradient["W1"])  # a fresh draw


def test_training_with_normalization_and_dropout_is_reproducible_and_learns():
    def run():
        net = net_with("batch", dropout=0.1)
        history = dk.nn.train(net, X, y, optimizer=dk.optim.Adam(lr=0.05), epochs=30, batch_size=6)
        return net, history

    (net, first), (_, second) = run(), run()
    assert first.loss == second.loss
    assert first.loss[-1] < 0.6 * first.loss[0]
    assert not np.allclose(net.running_statistics()["mean1"], 0.0)


@pytest.mark.parametrize("options, message", [
    ({"normalization": "group"}, "normalization"),
    ({"dropout": 1.0}, "dropout"),
    ({"dropout": -0.1}, "dropout"),
    ({"momentum": 2.0}, "momentum"),
])
def test_bad_settings_are_named(options, message):
    with pytest.raises(DiffkitError, match=message):
        dk.nn.MLP(SIZES, **options)


def test_bad_masks_and_least_squares_with_dropout_are_refused():
    net = net_with("layer", dropout=0.2)
    with pytest.raises(BindingError, match=r"mask D1 must have shape \(12, 6\)"):
        net.gradient(X, y, masks={"D1": np.ones((3, 6)), "D2": np.ones((12, 5))})
    with pytest.raises(BindingError, match="masks must be a dict with keys"):
        net.gradient(X, y, masks={"D1": np.ones((12, 6))})
    with pytest.raises(BindingError, match="dropout=0"):
        net_with("layer").gradient(X, y, masks={"D1": np.ones((12, 6))})
    with pytest.raises(MethodError, match="dropout draws new masks"):
        dk.nn.MLP(SIZES, loss="mse", dropout=0.2).check_least_squares("GaussNewton")
