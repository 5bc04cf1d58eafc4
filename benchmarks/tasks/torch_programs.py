"""The same tasks written for PyTorch, whose tensor API differs from NumPy's (dim= for axis=, transpose for
swapaxes, torch.logsumexp). Each line mirrors the NumPy-style program in programs.py."""

import math

import torch


def _logsumexp(a, dim):
    m = torch.amax(a, dim=dim, keepdim=True)
    return m + torch.log(torch.sum(torch.exp(a - m), dim=dim, keepdim=True))


def least_squares(w, X, y):
    r = X @ w - y
    return 0.5 * torch.sum(r * r)


def logsumexp(x):
    m = torch.max(x)
    return m + torch.log(torch.sum(torch.exp(x - m)))


def gmm(means, log_scales, logits, X):
    n, d = X.shape
    k = means.shape[0]
    z = (X.reshape(n, 1, d) - means.reshape(1, k, d)) * torch.exp(-log_scales).reshape(1, k, d)
    log_pdf = -0.5 * torch.sum(z * z, dim=2) - torch.sum(log_scales, dim=1) - 0.5 * d * math.log(2 * math.pi)
    log_weights = logits - _logsumexp(logits, 0)
    return torch.sum(_logsumexp(log_pdf + log_weights, 1))


def lstm(E, W, U, b, V, tokens, targets):
    steps, batch, _ = tokens.shape
    hidden = U.shape[0]
    h = torch.zeros((batch, hidden), dtype=torch.float64)
    c = torch.zeros((batch, hidden), dtype=torch.float64)
    total = 0.0
    for t in range(steps):
        z = (tokens[t] @ E) @ W + h @ U + b
        i = torch.sigmoid(z[:, :hidden])
        f = torch.sigmoid(z[:, hidden:2 * hidden])
        o = torch.sigmoid(z[:, 2 * hidden:3 * hidden])
        g = torch.tanh(z[:, 3 * hidden:])
        c = f * c + i * g
        h = o * torch.tanh(c)
        logits = h @ V
        total = total - torch.sum(targets[t] * (logits - _logsumexp(logits, 1)))
    return total / (steps * batch)


def attention(Wq, Wk, Wv, Wo, X, R):
    width = X.shape[-1]
    q, k, v = X @ Wq, X @ Wk, X @ Wv
    scores = (q @ torch.transpose(k, -1, -2)) / math.sqrt(width)
    weights = torch.exp(scores - _logsumexp(scores, -1))
    return torch.sum(((weights @ v) @ Wo) * R)


def mlp(W1, b1, W2, b2, X, Y):
    logits = torch.tanh(X @ W1 + b1) @ W2 + b2
    return -torch.sum(Y * (logits - _logsumexp(logits, 1))) / X.shape[0]


PROGRAMS = {"least_squares": least_squares, "logsumexp": logsumexp, "gmm": gmm, "lstm": lstm,
            "attention": attention, "mlp": mlp}
