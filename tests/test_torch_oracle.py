"""PyTorch as an independent oracle for diffkit's tensor derivatives.

Everything here is float64 and compared by ``dk.discrepancy`` (max|a - b| / max(max|a|, max|b|)) to 1e-10:
the MLP's loss and every parameter's gradient for each activation × loss (reverse mode, and forward mode on the
one-hidden-layer nets), both cross-entropies at logits of ±1000, the tensor primitives one at a time, and the
Hessian of a tiny net. The torch side is written from the formulas in diffkit/nn (not from diffkit's code), with
torch's own fused losses (``mse_loss``, ``huber_loss``, ``binary_cross_entropy_with_logits``, ``cross_entropy``,
...) wherever one exists. Skipped where torch is not installed.
"""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import diffkit as dk  # noqa: E402 (after the importorskip)
from diffkit import nn  # noqa: E402
from diffkit.nn import losses  # noqa: E402

TOL = 1e-10
N = 7  # samples

ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "softplus", "linear")
LOSS_NAMES = ("sse", "mse", "mae", "huber", "log_cosh", "binary_cross_entropy", "cross_entropy")
PENALTIES = ((0.0, 0.0), (0.0, 1e-3), (1e-3, 0.0), (1e-3, 1e-3))  # (l1, l2)


def _t(array) -> torch.Tensor:
    return torch.tensor(np.asarray(array, dtype=np.float64), dtype=torch.float64)


def _np(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().numpy()


def _assert_close(ours, theirs, what: str) -> None:
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    assert np.all(np.isfinite(ours)), f"{what}: diffkit gives non-finite values {ours}"
    d = dk.discrepancy(ours, theirs)
    assert d <= TOL, f"{what}: discrepancy {d:.3e}\n diffkit {ours!r}\n torch   {theirs!r}"


# --- the torch reference MLP ------------------------------------------------------------------------------------

TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "softplus": F.softplus,  # threshold 20: pre-activations here stay far below it
    "linear": lambda z: z,
}
TORCH_OUTPUTS = {"linear": lambda z: z, "sigmoid": torch.sigmoid, "softmax": lambda z: torch.softmax(z, dim=1)}


def _torch_data_loss(loss: str, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    n = out.shape[0]
    if loss == "sse":
        return F.mse_loss(out, target, reduction="sum")
    if loss == "mse":
        return F.mse_loss(out, target, reduction="sum") / n
    if loss == "mae":
        return F.l1_loss(out, target, reduction="sum") / n
    if loss == "huber":
        return F.huber_loss(out, target, reduction="sum", delta=1.0) / n
    if loss == "log_cosh":
        return torch.log(torch.cosh(out - target)).sum() / n
    if loss == "binary_cross_entropy":
        return F.binary_cross_entropy_with_logits(out, target, reduction="sum") / n
    if loss == "cross_entropy":  # class labels (int64) or class probabilities (one-hot rows)
        return F.cross_entropy(out, target, reduction="mean")
    raise AssertionError(loss)


def torch_mlp_loss(net: nn.MLP, params: dict[str, torch.Tensor], X: torch.Tensor, target) -> torch.Tensor:
    layers = len(net.sizes) - 1
    a = X
    for k in range(1, layers + 1):
        z = a @ params[f"W{k}"]
        if net.bias:
            z = z + params[f"b{k}"]
        a = TORCH_ACTIVATIONS[net.activation](z) if k < layers else z
    from_logits = net.loss_name in ("binary_cross_entropy", "cross_entropy")
    out = a if from_logits else TORCH_OUTPUTS[net.output](a)
    total = _torch_data_loss(net.loss_name, out, target)
    weights = [p for name, p in params.items() if name.startswith("W")]
    if net.l2:
        total = total + net.l2 * sum((W**2).sum() for W in weights)
    if net.l1:
        total = total + net.l1 * sum(W.abs().sum() for W in weights)
    return total


def torch_mlp_gradient(net: nn.MLP, params: dict[str, np.ndarray], X, target):
    """(loss, {name: gradient}) by torch.autograd."""
    leaves = {name: _t(value).requires_grad_(True) for name, value in params.items()}
    value = torch_mlp_loss(net, leaves, _t(X), target)
    grads = torch.autograd.grad(value, list(leaves.values()))
    return value.item(), {name: _np(g) for name, g in zip(leaves, grads, strict=True)}


def _random_parameters(net: nn.MLP, rng: np.random.Generator, scale: float = 0.7) -> dict[str, np.ndarray]:
    """Random weights and (nonzero) biases, so no gradient is trivially zero."""
    return {name: rng.normal(scale=scale, size=value.shape) for name, value in net.parameters().items()}


# --- 1. every activation × every loss ----------------------------------------------------------------------------


def _mlp_cases():
    for i, (activation, loss) in enumerate(itertools.product(ACTIVATION_NAMES, LOSS_NAMES)):
        bias = i % 2 == 0
        l1, l2 = PENALTIES[(i // 2) % 4]
        sizes = [3, 5, 4, 3] if i % 3 == 0 else [3, 5, 3]
        output = None
        if loss not in ("binary_cross_entropy", "cross_entropy"):
            output = {1: "sigmoid", 3: "softmax"}.get(i % 5)
        name = f"{activation}-{loss}-{'-'.join(map(str, sizes))}-{output or 'default'}-bias={bias}-l1={l1}-l2={l2}"
        yield pytest.param(i, activation, loss, sizes, output, bias, l1, l2, id=name)


def _data(loss: str, rng: np.random.Generator, inputs: int, outputs: int):
    """(X, y as the net takes it, target as torch's loss takes it)."""
    X = rng.normal(size=(N, inputs))
    if loss == "cross_entropy":
        labels = rng.permutation(np.arange(N) % outputs)  # every class occurs
        return X, labels, torch.tensor(labels, dtype=torch.int64)
    if loss == "binary_cross_entropy":
        y = rng.integers(0, 2, size=(N, outputs)).astype(float)
    else:
        y = rng.normal(scale=1.5, size=(N, outputs))
    return X, y, _t(y)


@pytest.mark.parametrize("case, activation, loss, sizes, output, bias, l1, l2", list(_mlp_cases()))
def test_mlp_loss_and_gradient_match_torch(case, activation, loss, sizes, output, bias, l1, l2):
    rng = np.random.default_rng(1000 + case)
    net = nn.MLP(sizes, activation=activation, output=output, loss=loss, bias=bias, l1=l1, l2=l2, seed=case)
    params = _random_parameters(net, rng)
    net.set_parameters(params)
    X, y, target = _data(loss, rng, sizes[0], sizes[-1])
    if loss in ("huber", "mae", "log_cosh"):  # the residuals should reach both sides of the kink / both regimes
        r = np.abs(net.forward(X) - y)
        assert np.any(r < 1) and np.any(r > 1)

    theirs_value, theirs = torch_mlp_gradient(net, params, X, target)
    assert set(theirs) == set(net.parameter_names)
    methods = ["reverse", "forward"] if len(sizes) == 3 else ["reverse"]
    for method in methods:
        result = net.gradient(X, y, method=method)
        _assert_close(result.value, theirs_value, f"{method} loss value")
        assert set(result.gradient) == set(net.parameter_names)
        for name in net.parameter_names:
            _assert_close(result.gradient[name], theirs[name], f"{method} d loss / d {name}")
    _assert_close(net.loss(X, y), theirs_value, "net.loss")


def test_cross_entropy_one_hot_targets_match_torch_probabilities():
    rng = np.random.default_rng(7)
    net = nn.MLP([3, 4, 3], activation="tanh", loss="cross_entropy", l2=1e-3)
    params = _random_parameters(net, rng)
    net.set_parameters(params)
    X = rng.normal(size=(N, 3))
    labels = np.arange(N) % 3
    one_hot = np.eye(3)[labels]
    np.testing.assert_array_equal(net.targets(labels, N), one_hot)
    value, theirs = torch_mlp_gradient(net, params, X, _t(one_hot))  # torch's class-probability targets
    for y in (labels, one_hot):
        result = net.gradient(X, y, method="reverse")
        _assert_close(result.value, value, "loss value")
        for name in net.parameter_names:
            _assert_close(result.gradient[name], theirs[name], f"d loss / d {name}")


# --- 2. logits of ±1000 ------------------------------------------------------------------------------------------

HUGE_LOGITS = np.array(
    [[1000.0, -1000.0, 2.0], [-1000.0, 1000.0, -0.5], [1000.0, 1000.0, -1000.0], [0.3, -1.2, 1000.0]]
)


@pytest.mark.parametrize("loss", ["binary_cross_entropy", "cross_entropy"])
def test_cross_entropies_at_huge_logits_match_torch(loss):
    """The loss on the logits alone, differentiated w.r.t. the logits."""
    Z = HUGE_LOGITS
    if loss == "binary_cross_entropy":
        Y = np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])  # right and wrong signs
        target = _t(Y)
    else:
        labels = np.array([0, 0, 2, 1])  # confident-right, confident-wrong, tied-wrong, wrong
        Y, target = np.eye(3)[labels], torch.tensor(labels)
    graph = dk.trace(lambda Z, Y: getattr(losses, loss)(Z, Y))
    z = _t(Z).requires_grad_(True)
    value = _torch_data_loss(loss, z, target)
    (theirs,) = torch.autograd.grad(value, [z])
    assert np.isfinite(value.item()) and value.item() > 100  # confidently wrong somewhere: a loss of ~1000
    for method in ("reverse", "forward"):
        result = dk.gradient(graph, at={"Z": Z, "Y": Y}, wrt=["Z"], method=method)
        _assert_close(result.value, value.item(), f"{loss} {method} value")
        _assert_close(result.gradient["Z"], _np(theirs), f"{loss} {method} d/dZ")


@pytest.mark.parametrize("loss", ["binary_cross_entropy", "cross_entropy"])
def test_mlp_with_huge_logits_matches_torch(loss):
    """A linear 2-3 net whose weights push the logits to ±1000: the loss and every gradient stay finite."""
    net = nn.MLP([2, 3], activation="tanh", loss=loss, bias=True, l2=1e-3)
    params = {"W1": np.array([[1000.0, -1000.0, 1.0], [-1000.0, 1000.0, -2.0]]), "b1": np.array([0.0, 0.5, -0.25])}
    net.set_parameters(params)
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0], [0.2, 0.1]])
    if loss == "binary_cross_entropy":
        y = np.array([[1, 0, 1], [1, 0, 0], [0, 1, 1], [1, 1, 0], [0, 0, 1]], dtype=float)
        target = _t(y)
    else:
        y = np.array([0, 0, 2, 1, 1])
        target = torch.tensor(y)
    value, theirs = torch_mlp_gradient(net, params, X, target)
    assert np.isfinite(value) and value > 100
    result = net.gradient(X, y, method="reverse")
    _assert_close(result.value, value, f"{loss} value")
    for name in net.parameter_names:
        _assert_close(result.gradient[name], theirs[name], f"{loss} d loss / d {name}")


# --- 3. the tensor primitives one at a time -----------------------------------------------------------------------

# name -> (diffkit function, torch function, input shapes, positive inputs?)
PRIMITIVE_CASES = {
    "matmul": (lambda A, B: A @ B, lambda A, B: A @ B, {"A": (4, 3), "B": (3, 5)}, False),
    "matmul-function": (lambda A, B: dk.matmul(A, B), lambda A, B: torch.matmul(A, B), {"A": (2, 4), "B": (4, 3)},
                        False),
    "matmul-chain-transpose": (lambda A, B: A.T @ (A @ B), lambda A, B: A.T @ (A @ B), {"A": (4, 3), "B": (3, 2)},
                               False),
    "transpose": (lambda A: dk.transpose(A), lambda A: A.T, {"A": (4, 3)}, False),
    "transpose-attr": (lambda A: A.T, lambda A: A.T, {"A": (2, 5)}, False),
    "reshape-2x6": (lambda A: dk.reshape(A, shape=(2, 6)), lambda A: A.reshape(2, 6), {"A": (4, 3)}, False),
    "reshape-flat": (lambda A: dk.reshape(A, shape=(12,)), lambda A: A.reshape(12), {"A": (4, 3)}, False),
    "reshape-minus-one": (lambda A: dk.reshape(A, shape=(6, -1)), lambda A: A.reshape(6, -1), {"A": (4, 3)}, False),
    "reshape-then-matmul": (lambda A, B: dk.reshape(A, shape=(3, 4)) @ B, lambda A, B: A.reshape(3, 4) @ B,
                            {"A": (4, 3), "B": (4, 2)}, False),
    "broadcast-add-bias-row": (lambda A, b: A + b, lambda A, b: A + b, {"A": (4, 3), "b": (3,)}, False),
    "broadcast-add-bias-column": (lambda A, b: A + b, lambda A, b: A + b, {"A": (4, 3), "b": (4, 1)}, False),
    "broadcast-affine": (lambda X, W, b: X @ W + b, lambda X, W, b: X @ W + b, {"X": (5, 3), "W": (3, 2), "b": (2,)},
                         False),
    "broadcast-mul-row": (lambda A, b: A * b, lambda A, b: A * b, {"A": (4, 3), "b": (3,)}, False),
    "broadcast-div-column": (lambda A, b: A / b, lambda A, b: A / b, {"A": (4, 3), "b": (4, 1)}, True),
    "broadcast-sub-scalar-array": (lambda A, c: A - c, lambda A, c: A - c, {"A": (4, 3), "c": ()}, False),
    "logsumexp-default": (lambda A: dk.logsumexp(A), lambda A: torch.logsumexp(A, dim=-1), {"A": (4, 3)}, False),
    "softmax-default": (lambda A: dk.softmax(A), lambda A: torch.softmax(A, dim=-1), {"A": (4, 3)}, False),
    "log_softmax-default": (lambda A: dk.log_softmax(A), lambda A: torch.log_softmax(A, dim=-1), {"A": (4, 3)},
                            False),
    "exp": (lambda A: dk.exp(A), torch.exp, {"A": (3, 4)}, False),
    "log": (lambda A: dk.log(A), torch.log, {"A": (3, 4)}, True),
    "sqrt": (lambda A: dk.sqrt(A), torch.sqrt, {"A": (3, 4)}, True),
    "pow": (lambda A: A**3, lambda A: A**3, {"A": (3, 4)}, False),
    "pow-array-exponent": (lambda A, B: A**B, lambda A, B: A**B, {"A": (3, 4), "B": (3, 4)}, True),
    "neg": (lambda A: -A, lambda A: -A, {"A": (3, 4)}, False),
    "sin": (lambda A: dk.sin(A), torch.sin, {"A": (3, 4)}, False),
    "cos": (lambda A: dk.cos(A), torch.cos, {"A": (3, 4)}, False),
    "tanh": (lambda A: dk.tanh(A), torch.tanh, {"A": (3, 4)}, False),
    "sigmoid": (lambda A: dk.sigmoid(A), torch.sigmoid, {"A": (3, 4)}, False),
    "softplus": (lambda A: dk.softplus(A), F.softplus, {"A": (3, 4)}, False),
    "relu": (lambda A: dk.relu(A), torch.relu, {"A": (3, 4)}, False),
    "abs": (lambda A: dk.abs(A), torch.abs, {"A": (3, 4)}, False),
    "maximum": (lambda A, B: dk.maximum(A, B), torch.maximum, {"A": (3, 4), "B": (3, 4)}, False),
    "minimum": (lambda A, B: dk.minimum(A, B), torch.minimum, {"A": (3, 4), "B": (3, 4)}, False),
}
for _axis in (None, 0, 1, (0, 1)):
    _dim = (0, 1) if _axis is None else _axis
    PRIMITIVE_CASES[f"sum-axis={_axis}"] = (
        lambda A, axis=_axis: dk.sum(A, axis=axis), lambda A, dim=_dim: A.sum(dim=dim), {"A": (4, 3)}, False)
    PRIMITIVE_CASES[f"mean-axis={_axis}"] = (
        lambda A, axis=_axis: dk.mean(A, axis=axis), lambda A, dim=_dim: A.mean(dim=dim), {"A": (4, 3)}, False)
for _axis in (0, 1, -1, -2):
    PRIMITIVE_CASES[f"logsumexp-axis={_axis}"] = (
        lambda A, axis=_axis: dk.logsumexp(A, axis=axis), lambda A, dim=_axis: torch.logsumexp(A, dim=dim),
        {"A": (4, 3)}, False)
    PRIMITIVE_CASES[f"softmax-axis={_axis}"] = (
        lambda A, axis=_axis: dk.softmax(A, axis=axis), lambda A, dim=_axis: torch.softmax(A, dim=dim),
        {"A": (4, 3)}, False)
    PRIMITIVE_CASES[f"log_softmax-axis={_axis}"] = (
        lambda A, axis=_axis: dk.log_softmax(A, axis=axis), lambda A, dim=_axis: torch.log_softmax(A, dim=dim),
        {"A": (4, 3)}, False)
PRIMITIVE_CASES["reduce-then-broadcast"] = (  # a reduced axis broadcast back against the array
    lambda A: A - dk.mean(A, axis=0), lambda A: A - A.mean(dim=0), {"A": (4, 3)}, False)
PRIMITIVE_CASES["softmax-of-affine-squared"] = (  # the brief's example, plus a bias
    lambda X, W, b: dk.softmax(X @ W + b, axis=1) ** 2, lambda X, W, b: torch.softmax(X @ W + b, dim=1) ** 2,
    {"X": (5, 3), "W": (3, 4), "b": (4,)}, False)


@pytest.mark.parametrize("name", list(PRIMITIVE_CASES))
def test_tensor_primitive_gradient_matches_torch(name):
    ours, theirs_fn, shapes, positive = PRIMITIVE_CASES[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))  # stable across runs (unlike hash)
    inputs = {v: rng.normal(size=shape) for v, shape in shapes.items()}
    if positive:
        inputs = {v: 0.5 + np.abs(x) for v, x in inputs.items()}
    # The scalar Σ sin(f(...)) · C with a fixed random C, so the cotangent reaching f is non-trivial.
    out = ours(**inputs)  # diffkit's functions compute on arrays too
    C = rng.normal(size=np.shape(out))
    names = list(shapes)
    graph = dk.trace(lambda C, *args: dk.sum(dk.sin(ours(*args)) * C), variables=["C", *names])

    leaves = {v: _t(x).requires_grad_(True) for v, x in inputs.items()}
    torch_out = theirs_fn(*leaves.values())
    _assert_close(out, _np(torch_out), f"{name} value")
    value = (torch.sin(torch_out) * _t(C)).sum()
    grads = torch.autograd.grad(value, list(leaves.values()))
    for method in ("reverse", "forward"):
        result = dk.gradient(graph, at={"C": C, **inputs}, wrt=names, method=method)
        _assert_close(result.value, value.item(), f"{name} {method} value")
        for v, g in zip(names, grads, strict=True):
            _assert_close(result.gradient[v], _np(g), f"{name} {method} d/d{v}")


# --- 4. the Hessian of a tiny net ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sizes, activation, loss, bias, l2",
    [
        pytest.param([2, 3, 1], "tanh", "mse", True, 0.0, id="2-3-1-tanh-mse"),
        pytest.param([2, 3, 1], "sigmoid", "binary_cross_entropy", False, 1e-3, id="2-3-1-sigmoid-bce-l2"),
        pytest.param([2, 3, 3], "softplus", "cross_entropy", True, 0.0, id="2-3-3-softplus-cross_entropy"),
    ],
)
def test_mlp_hessian_matches_torch(sizes, activation, loss, bias, l2):
    rng = np.random.default_rng(42)
    net = nn.MLP(sizes, activation=activation, loss=loss, bias=bias, l2=l2)
    params = _random_parameters(net, rng, scale=0.9)
    net.set_parameters(params)
    X, y, target = _data(loss, rng, sizes[0], sizes[-1])
    if loss == "mse":
        y = y[:, 0]  # one output: the net takes a plain vector of targets
    shapes = [params[name].shape for name in net.parameter_names]
    flat = np.concatenate([params[name].ravel() for name in net.parameter_names])  # C order, parameter_names order

    def loss_of_flat(theta):
        unflat, start = {}, 0
        for name, shape in zip(net.parameter_names, shapes, strict=True):
            size = int(np.prod(shape))
            unflat[name] = theta[start:start + size].reshape(shape)
            start += size
        return torch_mlp_loss(net, unflat, _t(X), target)

    theirs = _np(torch.autograd.functional.hessian(loss_of_flat, _t(flat)))
    assert theirs.shape == (flat.size, flat.size)
    result = net.hessian(X, y, method="reverse")
    ours = np.asarray(result.hessian)
    _assert_close(ours, theirs, f"{'-'.join(map(str, sizes))} {activation} {loss} Hessian")
    assert np.allclose(ours, ours.T, rtol=0, atol=1e-12 * np.max(np.abs(ours)))
