"""Random MLPs (hypothesis): any architecture, activation, loss and penalty; the methods agree on the gradient,
and the gradient obeys calculus along a random direction.

1. forward (one sweep per entry and batched), numeric and reverse agree (exact methods 1e-10 relative, numeric
   1e-6), and reverse's emitted gradient graph evaluates to the same gradient;
2. directional derivative: ⟨∇L, v⟩ equals forward mode's jvp along v and the central difference along v;
3. a small gradient step decreases a smooth loss by step·‖∇L‖² (the gradient points uphill, and is its size).

``DIFFKIT_MLP_EXAMPLES`` (default 60) sets the examples per test.
"""

from __future__ import annotations

import os

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import diffkit as dk
from diffkit import nn

EXAMPLES = int(os.environ.get("DIFFKIT_MLP_EXAMPLES", "60"))
EXACT = 1e-10
NUMERIC = 1e-6
SMOOTH = ("sigmoid", "tanh", "softplus", "linear")
SMOOTH_LOSSES = ("sse", "mse", "log_cosh", "binary_cross_entropy", "cross_entropy")


@st.composite
def networks(draw, activations=tuple(nn.ACTIVATIONS), losses=tuple(nn.LOSSES)):
    """A random MLP with random parameters and data (biases random too, so no pre-activation sits on a kink)."""
    depth = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 4)) for _ in range(depth + 1)]
    loss = draw(st.sampled_from(losses))
    if loss == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    net = nn.MLP(sizes, activation=draw(st.sampled_from(activations)), loss=loss, bias=draw(st.booleans()),
                 l1=draw(st.sampled_from([0.0, 1e-2])), l2=draw(st.sampled_from([0.0, 1e-2])))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    net.set_parameters({name: rng.normal(size=value.shape) for name, value in net.parameters().items()})
    samples = draw(st.integers(1, 5))
    X = rng.normal(size=(samples, sizes[0]))
    if loss == "cross_entropy":
        y = rng.integers(0, sizes[-1], size=samples)
    elif loss == "binary_cross_entropy":
        y = rng.integers(0, 2, size=(samples, sizes[-1])).astype(float)
    else:
        y = rng.normal(size=(samples, sizes[-1]))
    return net, X, y, rng


@settings(max_examples=EXAMPLES)
@given(networks())
def test_methods_agree_on_random_mlps(case):
    net, X, y, _ = case
    reverse = net.gradient(X, y)
    graph = dk.gradient_graph(net.loss_graph(X, y))
    emitted = graph.evaluate(net.parameters())
    emitted = emitted if isinstance(emitted, tuple) else (emitted,)
    # Discrepancies over the whole gradient: one parameter's part may be tiny (a saturated softmax's p - y) or
    # exactly 0 (mae's signs cancelling), and its round-off is relative to the terms summed, not to itself.
    for method, options in (("forward", {}), ("forward", {"batch": True})):
        other = net.gradient(X, y, method=method, **options)
        assert dk.discrepancy(other.as_array().ravel(), reverse.as_array().ravel()) <= EXACT, (method, options)
    numeric = net.gradient(X, y, method="numeric")
    assert dk.discrepancy(numeric.as_array().ravel(), reverse.as_array().ravel()) <= NUMERIC
    emitted = np.concatenate([np.ravel(np.broadcast_to(value, reverse[name].shape))
                              for name, value in zip(net.parameter_names, emitted, strict=True)])
    assert dk.discrepancy(emitted, reverse.as_array().ravel()) <= EXACT


@settings(max_examples=EXAMPLES)
@given(networks())
def test_directional_derivative_is_the_gradient_along_the_direction(case):
    net, X, y, rng = case
    graph = net.loss_graph(X, y)
    params = net.parameters()
    direction = {name: rng.normal(size=value.shape) for name, value in params.items()}
    along = sum(float(np.sum(net.gradient(X, y)[name] * direction[name])) for name in params)
    forward = dk.jvp(graph, at=params, tangents=direction, method="forward").derivative
    numeric = dk.jvp(graph, at=params, tangents=direction, method="numeric").derivative
    scale = max(abs(along), abs(forward), 1e-300)
    assert abs(forward - along) <= EXACT * scale + 1e-14
    assert abs(numeric - along) <= NUMERIC * max(scale, 1.0)


@settings(max_examples=EXAMPLES)
@given(networks(activations=SMOOTH, losses=SMOOTH_LOSSES))
def test_a_small_gradient_step_decreases_the_loss(case):
    net, X, y, _ = case
    before = net.loss(X, y)
    grad = net.gradient(X, y)
    norm2 = sum(float(np.sum(grad[name] ** 2)) for name in net.parameter_names)
    if norm2 < 1e-12:  # at a stationary point already
        return
    step = 1e-6  # small against any curvature here, so the first-order term dominates
    net.set_parameters({name: value - step * grad[name] for name, value in net.parameters().items()})
    after = net.loss(X, y)
    # first order: L decreases by step·‖∇L‖², up to the O(step²) curvature term and the loss's own rounding
    expected = step * norm2
    rounding = 8 * np.finfo(float).eps * max(abs(before), abs(after))
    assert abs((before - after) - expected) <= 1e-2 * expected + rounding
    assert after < before or expected <= rounding
