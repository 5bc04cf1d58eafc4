"""matmul of stacks of matrices (NumPy's N-D @, batch axes broadcasting): NumPy's values, one gradient by every
method, second order (Hessians four ways, H·v by its routes), batched tangents, torch's gradient, and clear
refusals of what does not fit."""

import numpy as np
import pytest

import diffkit as dk
from diffkit.errors import DiffkitError

EXACT = 1e-12
rng = np.random.default_rng(17)

# (a's shape, b's shape): equal batches, one operand without a batch, batch axes of length 1 broadcasting
SHAPES = [((2, 3, 2), (2, 2, 4)), ((2, 3, 2), (2, 4)), ((3, 2), (2, 2, 4)), ((4, 1, 3, 2), (5, 2, 3))]
IDS = [f"{a} @ {b}" for a, b in SHAPES]


def point(sa, sb):
    return {"a": rng.normal(size=sa), "b": rng.normal(size=sb)}


def loss(a, b):
    return dk.sum(dk.sin(a @ b))


def numpy_loss(a, b):
    return np.sum(np.sin(a @ b))


@pytest.mark.parametrize("sa, sb", SHAPES, ids=IDS)
def test_values_and_gradients_agree(sa, sb):
    at = point(sa, sb)
    g = dk.trace(loss)
    assert float(g.evaluate(at)) == pytest.approx(numpy_loss(**at), rel=1e-12)
    reverse = dk.gradient(g, at=at, method="reverse").gradient
    for name in at:  # an oracle outside diffkit: central differences of the NumPy program
        expected = np.zeros_like(at[name])
        for idx in np.ndindex(at[name].shape):
            up = {k: v.copy() for k, v in at.items()}
            down = {k: v.copy() for k, v in at.items()}
            up[name][idx] += 1e-6
            down[name][idx] -= 1e-6
            expected[idx] = (numpy_loss(**up) - numpy_loss(**down)) / 2e-6
        assert reverse[name].shape == at[name].shape
        assert dk.discrepancy(reverse[name], expected) <= 1e-8
    for method, options in [("forward", {}), ("forward", {"batch": True}), ("numeric", {})]:
        r = dk.gradient(g, at=at, method=method, **options).gradient
        tolerance = 1e-8 if method == "numeric" else EXACT
        assert all(dk.discrepancy(r[k], reverse[k]) <= tolerance for k in at), (method, options)
    written = dk.gradient_graph(g).evaluate(at)  # the companions, with shapes unknown while it was written
    assert all(dk.discrepancy(w, reverse[k]) <= EXACT for w, k in zip(written, at, strict=True))


def test_symbolic_agrees_on_a_small_stack():
    at = point((2, 2, 1), (1, 2))
    g = dk.trace(loss)
    symbolic = dk.gradient(g, at=at, method="symbolic").gradient
    reverse = dk.gradient(g, at=at, method="reverse").gradient
    assert all(dk.discrepancy(symbolic[k], reverse[k]) <= EXACT for k in at)


@pytest.mark.parametrize("sa, sb", SHAPES[1:], ids=IDS[1:])
def test_second_order(sa, sb):
    at = point(sa, sb)
    g = dk.trace(loss)
    forward = np.asarray(dk.hessian(g, at=at, method="forward").hessian)
    assert dk.discrepancy(np.asarray(dk.hessian(g, at=at, method="reverse").hessian), forward) <= EXACT
    assert dk.discrepancy(np.asarray(dk.hessian(g, at=at, method="numeric").hessian), forward) <= 1e-5
    v = point(sa, sb)
    expected = forward @ np.concatenate([v["a"].ravel(), v["b"].ravel()])
    for options in ({}, {"over": "reverse"}):
        hv = dk.hvp(g, at=at, vector=v, method="reverse", **options)
        flat = np.concatenate([np.ravel(hv.hvp[k]) for k in ("a", "b")])
        assert dk.discrepancy(flat, expected) <= 1e-11, options


def test_attention_scores_against_torch():
    torch = pytest.importorskip("torch")
    X, R = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    Wq, Wk = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))

    def ours(wq, wk):
        scores = (X @ wq) @ np.swapaxes(X @ wk, -1, -2)
        return dk.sum((dk.softmax(scores, axis=-1) @ X) * R)

    g = dk.trace(ours, shapes={"wq": (4, 4), "wk": (4, 4)})
    r = dk.gradient(g, at={"wq": Wq, "wk": Wk}, method="reverse").gradient
    tq, tk = (torch.tensor(w, requires_grad=True) for w in (Wq, Wk))
    tX = torch.tensor(X)
    scores = (tX @ tq) @ torch.transpose(tX @ tk, -1, -2)
    (torch.softmax(scores, dim=-1) @ tX * torch.tensor(R)).sum().backward()
    assert dk.discrepancy(r["wq"], tq.grad.numpy()) <= EXACT
    assert dk.discrepancy(r["wk"], tk.grad.numpy()) <= EXACT


@pytest.mark.parametrize("sa, sb, match", [
    ((2, 3, 2), (2,), "vector with a stack of matrices"),
    ((2,), (2, 2, 3), "vector with a stack of matrices"),
    ((2, 3, 2), (3, 2, 4), "do not broadcast"),
    ((2, 3, 2), (2, 3, 4), "do not match"),
])
def test_misfits_are_refused(sa, sb, match):
    with pytest.raises(DiffkitError, match=match):
        dk.gradient(dk.trace(loss), at=point(sa, sb))
