"""The benchmark tasks, each written once against a NumPy-compatible module ``xp``.

With ``xp = numpy`` the same function computes the primal on arrays and, called on diffkit's traced values (NumPy
hands them to diffkit through ``__array_function__`` / ``__array_ufunc__``), records diffkit's graph; with
``jax.numpy`` or ``autograd.numpy`` it is the peers' program. Nothing here imports diffkit.

Each task is ``(name, program, make)``: ``make(rng, scale)`` returns ``(params, data)``, two dicts of arrays; the
gradient is taken with respect to ``params``; ``program(xp, **params, **data)`` returns a scalar.
"""

import math

import numpy as np


def _logsumexp(xp, a, axis):
    """log Σ exp(a) over one axis, kept, shifted by the maximum as every careful program writes it."""
    m = xp.max(a, axis=axis, keepdims=True)
    return m + xp.log(xp.sum(xp.exp(a - m), axis=axis, keepdims=True))


def _sigmoid(xp, a):
    return 1 / (1 + xp.exp(-a))


def least_squares(xp, w, X, y):
    """½‖Xw − y‖²."""
    r = X @ w - y
    return 0.5 * xp.sum(r * r)


def logsumexp(xp, x):
    """log Σ exp(x) over 10⁶ values, stably."""
    m = xp.max(x)
    return m + xp.log(xp.sum(xp.exp(x - m)))


def gmm(xp, means, log_scales, logits, X):
    """Log-likelihood of data under a mixture of k diagonal Gaussians in d dimensions."""
    n, d = X.shape
    k = means.shape[0]
    z = (X.reshape(n, 1, d) - means.reshape(1, k, d)) * xp.exp(-log_scales).reshape(1, k, d)
    log_pdf = -0.5 * xp.sum(z * z, axis=2) - xp.sum(log_scales, axis=1) - 0.5 * d * math.log(2 * math.pi)
    log_weights = logits - _logsumexp(xp, logits, 0)
    return xp.sum(_logsumexp(xp, log_pdf + log_weights, 1))


def lstm(xp, E, W, U, b, V, tokens, targets):
    """Cross-entropy of an LSTM language model over a sequence (one-hot tokens, T steps, a batch)."""
    steps, batch, _ = tokens.shape
    hidden = U.shape[0]
    h = xp.zeros((batch, hidden))
    c = xp.zeros((batch, hidden))
    total = 0.0
    for t in range(steps):
        z = (tokens[t] @ E) @ W + h @ U + b
        i = _sigmoid(xp, z[:, :hidden])
        f = _sigmoid(xp, z[:, hidden:2 * hidden])
        o = _sigmoid(xp, z[:, 2 * hidden:3 * hidden])
        g = xp.tanh(z[:, 3 * hidden:])
        c = f * c + i * g
        h = o * xp.tanh(c)
        logits = h @ V
        total = total - xp.sum(targets[t] * (logits - _logsumexp(xp, logits, 1)))
    return total / (steps * batch)


def attention(xp, Wq, Wk, Wv, Wo, X, R):
    """One self-attention block (one head) on a batch of sequences, read out by a fixed random projection."""
    width = X.shape[-1]
    q, k, v = X @ Wq, X @ Wk, X @ Wv
    scores = (q @ xp.swapaxes(k, -1, -2)) / math.sqrt(width)
    weights = xp.exp(scores - _logsumexp(xp, scores, -1))
    return xp.sum(((weights @ v) @ Wo) * R)


def mlp(xp, W1, b1, W2, b2, X, Y):
    """The digits MLP's loss: tanh hidden layer, softmax cross-entropy."""
    logits = xp.tanh(X @ W1 + b1) @ W2 + b2
    return -xp.sum(Y * (logits - _logsumexp(xp, logits, 1))) / X.shape[0]


def _one_hot(rng, shape, classes):
    return np.eye(classes)[rng.integers(classes, size=shape)]


def _normal(rng, *shape, scale=1.0):
    return rng.normal(size=shape) * scale


def make_least_squares(rng, scale):
    n, d = (1000, 100) if scale == "full" else (6, 3)
    return {"w": _normal(rng, d)}, {"X": _normal(rng, n, d), "y": _normal(rng, n)}


def make_logsumexp(rng, scale):
    return {"x": _normal(rng, 10**6 if scale == "full" else 5)}, {}


def make_gmm(rng, scale):
    d, k, n = (20, 50, 1000) if scale == "full" else (2, 3, 4)
    return ({"means": _normal(rng, k, d), "log_scales": _normal(rng, k, d, scale=0.1), "logits": _normal(rng, k)},
            {"X": _normal(rng, n, d)})


def make_lstm(rng, scale):
    steps, batch, vocab, hidden = (10, 16, 50, 64) if scale == "full" else (2, 2, 3, 2)
    params = {"E": _normal(rng, vocab, hidden, scale=0.3), "W": _normal(rng, hidden, 4 * hidden, scale=0.3),
              "U": _normal(rng, hidden, 4 * hidden, scale=0.3), "b": _normal(rng, 4 * hidden, scale=0.1),
              "V": _normal(rng, hidden, vocab, scale=0.3)}
    return params, {"tokens": _one_hot(rng, (steps, batch), vocab), "targets": _one_hot(rng, (steps, batch), vocab)}


def make_attention(rng, scale):
    batch, length, width = (8, 128, 64) if scale == "full" else (2, 3, 2)
    params = {name: _normal(rng, width, width, scale=1 / math.sqrt(width)) for name in ("Wq", "Wk", "Wv", "Wo")}
    return params, {"X": _normal(rng, batch, length, width), "R": _normal(rng, batch, length, width)}


def make_mlp(rng, scale):
    n, d, hidden, classes = (500, 64, 64, 10) if scale == "full" else (4, 3, 3, 2)
    params = {"W1": _normal(rng, d, hidden, scale=1 / math.sqrt(d)), "b1": np.zeros(hidden),
              "W2": _normal(rng, hidden, classes, scale=1 / math.sqrt(hidden)), "b2": np.zeros(classes)}
    return params, {"X": _normal(rng, n, d), "Y": _one_hot(rng, n, classes)}


TASKS = [
    ("least squares (1000 x 100)", least_squares, make_least_squares),
    ("logsumexp (10^6 values)", logsumexp, make_logsumexp),
    ("GMM log-likelihood (d=20, k=50, n=1000)", gmm, make_gmm),
    ("LSTM LM (T=10, batch 16, hidden 64, vocab 50)", lstm, make_lstm),
    ("self-attention (batch 8, length 128, width 64)", attention, make_attention),
    ("digits-size MLP (500 x 64 -> 64 -> 10)", mlp, make_mlp),
]
