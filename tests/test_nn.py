"""The MLP: its gradients agree across the four methods for every activation and loss, training reaches the
lecture examples' results, and bad networks or data get clear errors."""

import itertools

import numpy as np
import pytest

import diffkit as dk
from diffkit import datasets, nn, optim
from diffkit.errors import BindingError, SwellError

EXACT = 1e-10
NUMERIC = 1e-6
ACTIVATIONS = ("sigmoid", "tanh", "relu", "softplus", "linear")
LOSSES = ("sse", "mse", "mae", "huber", "log_cosh", "binary_cross_entropy", "cross_entropy")


def data_for(net: nn.MLP, samples: int, seed: int):
    """Random data, and random parameters: biases start at zero, and a zero bias after a dead ReLU layer puts
    pre-activations exactly on relu's kink, where central differences see slope ½ and the convention says 0."""
    rng = np.random.default_rng(seed)
    net.set_parameters({name: rng.normal(size=value.shape) for name, value in net.parameters().items()})
    X = rng.normal(size=(samples, net.sizes[0]))
    if net.loss_name == "cross_entropy":
        y = rng.integers(0, net.sizes[-1], size=samples)
    elif net.loss_name == "binary_cross_entropy":
        y = rng.integers(0, 2, size=(samples, net.sizes[-1])).astype(float)
    else:
        y = rng.normal(size=(samples, net.sizes[-1]))
    return X, y


def flat(result, net) -> np.ndarray:
    """A gradient as one vector over all parameters."""
    return np.concatenate([np.ravel(result[name]) for name in net.parameter_names])


# Every activation × loss; bias, penalties and depth vary along the product so each appears in several cases.
CASES = [
    (activation, loss, index % 2 == 0, (1e-3, 0.0, 0.0, 2e-3)[index % 4], (0.0, 1e-3, 0.0, 1e-3)[index % 4],
     ([3, 4, 2], [3, 5, 4, 2], [2, 3, 3, 3, 2])[index % 3])
    for index, (activation, loss) in enumerate(itertools.product(ACTIVATIONS, LOSSES))
]


@pytest.mark.parametrize("activation, loss, bias, l1, l2, sizes", CASES,
                         ids=[f"{c[0]}-{c[1]}-{'-'.join(map(str, c[5]))}" for c in CASES])
def test_mlp_gradients_agree_across_methods(activation, loss, bias, l1, l2, sizes):
    net = nn.MLP(sizes, activation=activation, loss=loss, bias=bias, l1=l1, l2=l2, seed=len(sizes))
    X, y = data_for(net, samples=6, seed=sum(sizes))
    results = {m: net.gradient(X, y, method=m) for m in ("numeric", "forward", "reverse")}
    reference = results["reverse"]
    assert set(reference.gradient) == set(net.parameter_names)
    assert reference.value == pytest.approx(net.loss(X, y), rel=1e-14)
    for method, result in results.items():
        if method == "numeric":  # relative to the whole gradient: a parameter's may be exactly 0 (signs cancel)
            d = dk.discrepancy(flat(result, net), flat(reference, net))
            assert d <= NUMERIC, f"numeric vs reverse: {d:.2e}"
            continue
        for name in net.parameter_names:
            d = dk.discrepancy(result[name], reference[name])
            assert d <= EXACT, f"{method} vs reverse on {name}: {d:.2e}"


@pytest.mark.parametrize("activation, loss", list(itertools.product(ACTIVATIONS, LOSSES)))
def test_symbolic_agrees_on_small_mlps(activation, loss):
    """SymPy on the loss written out entry by entry (small nets: its expressions swell with depth and data)."""
    net = nn.MLP([2, 2, 2], activation=activation, loss=loss, l2=1e-3, seed=1)
    X, y = data_for(net, samples=3, seed=2)
    symbolic, reverse = net.gradient(X, y, method="symbolic"), net.gradient(X, y)
    assert symbolic.value == pytest.approx(reverse.value, rel=1e-13)
    for name in net.parameter_names:
        assert dk.discrepancy(symbolic[name], reverse[name]) <= EXACT, name


def test_symbolic_covers_small_networks_and_refuses_large_ones():
    small = nn.MLP([2, 3, 2], activation="tanh", loss="cross_entropy", seed=1)
    X, y = data_for(small, 5, 0)
    symbolic = small.gradient(X, y, method="symbolic")
    reverse = small.gradient(X, y)
    assert max(dk.discrepancy(symbolic[n], reverse[n]) for n in small.parameter_names) <= EXACT
    assert symbolic.cost.details["scalar variables"] == small.parameter_count
    big = nn.MLP([64, 128, 10], loss="cross_entropy")
    X, y = data_for(big, 8, 0)
    with pytest.raises(SwellError, match="symbolic method is for small networks"):
        big.gradient(X, y, method="symbolic")


def test_batched_forward_mode_equals_one_sweep_per_entry():
    net = nn.MLP([3, 4, 2], activation="softplus", loss="mse", l2=1e-2)
    X, y = data_for(net, 5, 3)
    loop = net.gradient(X, y, method="forward")
    batch = net.gradient(X, y, method="forward", batch=True)
    assert loop.cost.forward_sweeps == net.parameter_count
    assert batch.cost.forward_sweeps == len(net.parameter_names)
    for name in net.parameter_names:
        assert dk.discrepancy(loop[name], batch[name]) <= EXACT


def test_backprop_matches_the_lecture_formulas():
    """Softmax regression's gradient is Xᵀ(S - I_y)/N; the two-layer ReLU net's is the lecture's recursion."""
    rng = np.random.default_rng(5)
    X, labels = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8)
    net = nn.MLP([4, 3], loss="cross_entropy", bias=False)
    theta = net.parameters()["W1"]
    Z = X @ theta
    S = np.exp(Z - Z.max(axis=1, keepdims=True))
    S /= S.sum(axis=1, keepdims=True)
    expected = X.T @ (S - np.eye(3)[labels]) / 8
    assert dk.discrepancy(net.gradient(X, labels)["W1"], expected) <= 1e-14

    two_layer = nn.MLP([6, 5, 2], activation="relu", loss="sse", bias=False, seed=2)
    W1, W2 = two_layer.parameters()["W1"], two_layer.parameters()["W2"]
    X, Y = rng.normal(size=(7, 6)), rng.normal(size=(7, 2))
    h = X @ W1
    a = np.maximum(h, 0)
    g = 2 * (a @ W2 - Y)
    g_h = g @ W2.T
    g_h[h < 0] = 0
    grad = two_layer.gradient(X, Y)
    assert dk.discrepancy(grad["W2"], a.T @ g) <= 1e-14
    assert dk.discrepancy(grad["W1"], X.T @ g_h) <= 1e-14


def test_loss_graph_with_data_compares_four_ways():
    net = nn.MLP([2, 3, 1], activation="tanh", loss="binary_cross_entropy", seed=4)
    X, y = datasets.xor()
    graph = net.loss_graph(X, y)
    assert graph.variables == net.parameter_names
    comparison = dk.compare(graph, at=net.parameters())
    assert set(comparison.results) == set(dk.METHODS)
    for (a, b), d in comparison.discrepancies.items():
        assert d <= (NUMERIC if "numeric" in (a, b) else EXACT), (a, b, d)
    assert not comparison.findings
    text = str(comparison)
    assert "W1" in text and "reverse" in text


def test_logits_of_a_thousand_give_finite_losses_and_gradients():
    for loss, y in (("binary_cross_entropy", np.array([[1.0], [0.0]])), ("cross_entropy", np.array([1, 0]))):
        net = nn.MLP([1, 2 if loss == "cross_entropy" else 1], loss=loss, bias=False)
        net.set_parameters({"W1": np.full((1, net.sizes[-1]), 1000.0) * np.array([1.0, -1.0][: net.sizes[-1]])})
        X = np.array([[1.0], [1.0]])
        result = net.gradient(X, y)
        assert np.isfinite(result.value) and result.value > 100  # confidently wrong on one sample: about 1000
        assert np.all(np.isfinite(result["W1"]))


def test_newton_on_the_loss_hessian():
    net = nn.MLP([2, 1], activation="linear", loss="mse", seed=0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    y = X @ np.array([[1.5], [-2.0]]) + 0.5
    history = nn.train(net, X, y, optimizer=optim.Newton(lr=1.0), epochs=1, progress=False)
    # least squares is quadratic: one Newton step lands on the solution
    assert history.loss[-1] == pytest.approx(0.0, abs=1e-20)
    assert np.allclose(net.parameters()["W1"], [[1.5], [-2.0]]) and np.allclose(net.parameters()["b1"], [0.5])
    hessians = {m: net.hessian(X, y, method=m).hessian for m in dk.METHODS}
    for method, h in hessians.items():
        tolerance = 1e-6 if method == "numeric" else EXACT
        assert dk.discrepancy(h, hessians["reverse"]) <= tolerance, method


# --- training reaches the lecture examples' results ------------------------------------------------------------


def test_xor_is_learned_perfectly():
    X, y = datasets.xor()
    net = nn.MLP([2, 4, 1], activation="tanh", loss="binary_cross_entropy", seed=0)
    history = nn.train(net, X, y, optimizer=optim.Adam(lr=0.1), epochs=300, progress=False)
    assert net.accuracy(X, y) == 1.0
    assert history.loss[-1] < history.loss[0] / 10
    assert history.steps == 300


def test_logistic_regression_cannot_learn_xor():
    X, y = datasets.xor()
    net = nn.MLP([2, 1], loss="binary_cross_entropy", seed=0)
    nn.train(net, X, y, optimizer=optim.Adam(lr=0.1), epochs=300, progress=False)
    assert net.accuracy(X, y) <= 0.75  # not linearly separable


def test_encoder_8_3_8_reconstructs_every_pattern_with_a_binary_like_code():
    X, Y = datasets.encoder()
    net = nn.MLP([8, 3, 8], activation="sigmoid", loss="binary_cross_entropy", seed=0)
    nn.train(net, X, Y, optimizer=optim.Adam(lr=0.05), epochs=2000, progress=False)
    assert np.array_equal(np.argmax(net.forward(X), axis=1), np.arange(8))
    assert net.accuracy(X, Y) == 1.0
    code = net.hidden(X)
    assert code.shape == (8, 3)
    assert len({tuple(row) for row in np.round(code, 1)}) == 8  # eight distinct codes


def test_one_hidden_relu_layer_approximates_sine():
    X, y = datasets.sine(n=100)
    net = nn.MLP([1, 32, 1], activation="relu", loss="mse", seed=0)
    nn.train(net, X, y, optimizer=optim.Adam(lr=0.01), epochs=2000, progress=False)
    assert np.max(np.abs(net.forward(X) - y)) < 0.1  # documented: max error below 0.1 on [-π, π]


def test_moons_minibatch_sgd_with_validation():
    X, y = datasets.moons(n=300, noise=0.1, seed=0)
    net = nn.MLP([2, 16, 2], activation="tanh", loss="cross_entropy", seed=0)
    history = nn.train(net, X[:200], y[:200], optimizer=optim.Momentum(lr=0.1), epochs=60, batch_size=20,
                       validation=(X[200:], y[200:]), progress=False)
    assert history.steps == 60 * 10
    assert len(history.val_accuracy) == 60
    assert history.val_accuracy[-1] >= 0.95


def test_digits_example_reaches_97_percent():
    """The example of docs/mlp.md (benchmarks/digits_mlp.py runs it over several seeds)."""
    pytest.importorskip("sklearn")
    X_train, y_train, X_test, y_test = datasets.digits(seed=0)
    net = nn.MLP([64, 128, 10], activation="relu", output="softmax", loss="cross_entropy", init="kaiming",
                 l2=1e-4, seed=0)
    steps = 40 * 22
    assert len(X_train) == 1347 and int(np.ceil(1347 / 64)) == 22
    history = nn.train(net, X_train, y_train, optimizer=optim.Adam(lr=3e-3, schedule=optim.cosine(steps)),
                       epochs=40, batch_size=64, validation=(X_test, y_test), progress=False)
    assert net.accuracy(X_test, y_test) >= 0.97
    assert history.val_accuracy[-1] == net.accuracy(X_test, y_test)


def test_training_is_reproducible_and_leaves_the_data_alone():
    X, y = datasets.moons(n=40, seed=1)
    X0, y0 = X.copy(), y.copy()
    runs = []
    for _ in range(2):
        net = nn.MLP([2, 5, 2], activation="relu", loss="cross_entropy", seed=3)
        nn.train(net, X, y, optimizer=optim.SGD(lr=0.1), epochs=3, batch_size=8, seed=11, progress=False)
        runs.append(net.parameters())
    for name in runs[0]:
        assert np.array_equal(runs[0][name], runs[1][name])
    assert np.array_equal(X, X0) and np.array_equal(y, y0)


def test_parameters_are_copies():
    net = nn.MLP([2, 2])
    params = net.parameters()
    params["W1"][:] = 99.0
    assert not np.any(net.parameters()["W1"] == 99.0)


def test_initializations_have_their_variance():
    for init, variance in (("kaiming", 2 / 400), ("xavier", 2 / 600), ("normal", 1 / 400),
                           ("kaiming_uniform", 2 / 400), ("xavier_uniform", 2 / 600)):
        W = nn.MLP([400, 200], init=init, seed=0).parameters()["W1"]
        assert np.var(W) == pytest.approx(variance, rel=0.02), init
    assert np.all(nn.MLP([3, 2]).parameters()["b1"] == 0)


def test_check_gradient_accepts_diffkit_backprop():
    net = nn.MLP([3, 4, 2], activation="tanh", loss="cross_entropy", seed=0)
    X, y = data_for(net, 6, 1)

    def loss(params):
        net.set_parameters(params)
        return net.loss(X, y)

    def grad(params):
        net.set_parameters(params)
        return net.gradient(X, y).gradient

    report = dk.check_gradient(loss, grad, net.parameters())
    assert report.ok, str(report)


# --- errors ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, message", [
    ({"sizes": [3]}, "at least an input and an output"),
    ({"sizes": [3, 0, 1]}, "positive integers"),
    ({"sizes": [3, 2], "activation": "swish"}, "unknown activation 'swish'"),
    ({"sizes": [3, 2], "loss": "hinge"}, "unknown loss 'hinge'"),
    ({"sizes": [3, 2], "loss": "cross_entropy", "output": "sigmoid"}, "implies output='softmax'"),
    ({"sizes": [3, 2], "init": "zeros"}, "unknown init 'zeros'"),
    ({"sizes": [3, 2], "l2": -1}, "l2 must be a non-negative number"),
])
def test_bad_networks_are_refused(kwargs, message):
    with pytest.raises(BindingError, match=message):
        nn.MLP(**kwargs)


def test_bad_data_is_refused_with_the_expected_shape():
    net = nn.MLP([3, 4, 2], loss="cross_entropy")
    X = np.ones((5, 3))
    with pytest.raises(BindingError, match=r"X must have shape \(samples, 3\), got \(5, 4\)"):
        net.gradient(np.ones((5, 4)), np.zeros(5, dtype=int))
    with pytest.raises(BindingError, match=r"labels must lie in 0..1"):
        net.gradient(X, np.array([0, 1, 2, 0, 1]))
    with pytest.raises(BindingError, match="4 labels for 5 samples"):
        nn.train(net, X, np.zeros(4, dtype=int), optimizer=optim.GD(lr=0.1), progress=False)
    with pytest.raises(BindingError, match="whole numbers"):
        net.loss(X, np.full(5, 0.5))
    regression = nn.MLP([3, 2], loss="mse")
    with pytest.raises(BindingError, match=r"y must have shape \(5, 2\)"):
        regression.loss(X, np.ones(5))
    with pytest.raises(BindingError, match="parameter W1 must have shape"):
        regression.set_parameters({"W1": np.ones((2, 3)), "b1": np.ones(2)})
    with pytest.raises(BindingError, match="epochs must be a positive integer"):
        nn.train(regression, X, np.ones((5, 2)), optimizer=optim.GD(lr=0.1), epochs=0, progress=False)
    with pytest.raises(BindingError, match="accuracy is for classifiers"):
        regression.accuracy(X, np.ones((5, 2)))
