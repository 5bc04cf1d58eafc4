"""The demo: the lecture's worked examples, each differentiated four ways with what every method cost."""

from __future__ import annotations

import numpy as np

from . import datasets, nn, optim
from .api import derivative, gradient_graph
from .compare import compare
from .parse import parse

EXAMPLES = [
    (
        "Forward vs reverse on a product of sums",
        "(x1 + x2) * (x3 + x4)",
        {"x1": 1.0, "x2": 2.0, "x3": 3.0, "x4": 4.0},
        "Forward mode needs one sweep per input (4); reverse mode one forward and one backward sweep, reusing\n"
        "the adjoints dy/dz1 = z2 and dy/dz2 = z1 for all four inputs.",
    ),
    (
        "A chain of modules",
        "2 / sin(exp(-x))",
        {"x": -4.499},
        "a = -x, b = exp(a), c = sin(b), d = 2/c: the backward pass multiplies the local derivatives\n"
        "-1 · exp(a) · cos(b) · (-2/c²). At x = -4.499, b = exp(4.499) ≈ 90.",
    ),
    (
        "A forward and a reverse trace",
        "log(x1) + x1*x2 - sin(x2)",
        {"x1": 2.0, "x2": 5.0},
        "dy/dx1 = 1/x1 + x2 = 5.5 and dy/dx2 = x1 - cos(x2) ≈ 1.716338: x1 reaches y along two paths\n"
        "(through log and through the product), and reverse mode sums them.",
    ),
]


def run(out=print) -> None:
    """Print each lecture example compared four ways, then higher derivatives and a gradient graph."""
    for number, (title, text, at, note) in enumerate(EXAMPLES, start=1):
        out(f"=== Example {number}: {title} ===")
        out(note)
        out("")
        out(str(compare(text, at=at)))
        out("")

    text, at = EXAMPLES[1][1], EXAMPLES[1][2]
    out("=== Higher derivatives of 2/sin(exp(-x)) at x = -4.499 ===")
    header = f"{'order':<6}" + "".join(f"{m:>24}" for m in ("symbolic", "forward", "reverse"))
    out(header)
    for order in (1, 2, 3, 4):
        values = [derivative(text, order=order, at=at, method=m).derivative for m in ("symbolic", "forward", "reverse")]
        out(f"{order:<6}" + "".join(f"{v:>24.12g}" for v in values))
    out("")

    graph = parse(EXAMPLES[2][1])
    grad_graph = gradient_graph(graph)
    out("=== Reverse mode writes its gradient as a graph ===")
    out(f"f      = {graph}   ({graph.operations} operations)")
    for name, node in zip(grad_graph.output_names, grad_graph.outputs, strict=True):
        out(f"{name:<6} = {grad_graph.expression(node)}")
    values = grad_graph.evaluate(EXAMPLES[2][2])
    out(f"evaluated at x1=2, x2=5: {tuple(float(np.round(v, 6)) for v in values)}")

    out("")
    _mlp(out)


def _mlp(out) -> None:
    """XOR, which no linear model separates, learned by a 2-4-1 MLP; then its loss differentiated four ways."""
    X, y = datasets.xor()
    out("=== An MLP learns XOR (2-4-1, tanh, binary cross-entropy, Adam) ===")
    linear = nn.MLP([2, 1], loss="binary_cross_entropy", seed=0)
    nn.train(linear, X, y, optimizer=optim.Adam(lr=0.1), epochs=300, progress=False)
    net = nn.MLP([2, 4, 1], activation="tanh", loss="binary_cross_entropy", seed=0)
    untrained_loss = net.loss(X, y)
    history = nn.train(net, X, y, optimizer=optim.Adam(lr=0.1), epochs=300, progress=False)
    out(f"logistic regression (no hidden layer): accuracy {linear.accuracy(X, y):.2f} — XOR is not linearly "
        "separable")
    out(f"with a hidden layer: loss {untrained_loss:.4f} -> {history.loss[-1]:.6f} in {history.steps} steps, "
        f"accuracy {net.accuracy(X, y):.2f}, outputs {np.round(net.forward(X)[:, 0], 3).tolist()}")
    out("")
    out(f"The untrained network's loss, differentiated four ways ({net.parameter_count} parameters: forward mode "
        "needs one sweep per parameter, reverse mode one backward sweep):")
    net_untrained = nn.MLP([2, 4, 1], activation="tanh", loss="binary_cross_entropy", seed=0)
    out(str(compare(net_untrained.loss_graph(X, y), at=net_untrained.parameters())))
