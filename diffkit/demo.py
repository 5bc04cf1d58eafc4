"""The demo: the lecture's worked examples, each differentiated four ways with what every method cost.

``run()`` prints the tables; ``run(directory=...)`` (``diffkit demo -o DIR``) also draws the graphs, runs a cost
study, trains an MLP and writes everything into DIR with an index (``index.html`` and ``index.md``).
"""

from __future__ import annotations

import importlib.util
import time

import numpy as np

from . import datasets, nn, optim
from .api import METHODS, derivative, gradient_graph
from .compare import compare
from .parse import parse
from .report import Report

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
XOR_NET = dict(sizes=[2, 4, 1], activation="tanh", loss="binary_cross_entropy")


def run(out=print, directory=None, study_sizes=(4, 8, 16, 32, 64, 128, 256)) -> Report:
    """Print each lecture example compared four ways, then higher derivatives, a gradient graph and an MLP.

    With ``directory``, the tables (text and CSV), the pictures and a cost study go there too, listed by an index.
    Returns the ``Report`` (its ``files``: everything written).
    """
    report = Report(out, directory)
    started = time.perf_counter()
    for number, (title, text, at, note) in enumerate(EXAMPLES, start=1):
        report.section(f"Example {number}: {title}", note)
        comparison = compare(text, at=at)
        report.table(f"example{number}", str(comparison), comparison.rows())
        if report.writing:
            _draw_example(report, number, text, at)
    _higher_derivatives(report)
    _gradient_graph(report)
    _mlp(report)
    if report.writing:
        _study(report, study_sizes)
        _hvp_study(report)
        _stochastic_study(report)
        _depth_study(report)
        _optimizers(report)
        report.finish(f"diffkit demo, {time.perf_counter() - started:.0f} s")
    return report


def _draw_example(report: Report, number: int, text: str, at: dict) -> None:
    from .draw import draw, draw_sweeps

    graph = parse(text)
    report.picture(f"example{number}_adjoints.png", "forward values and reverse-mode adjoints",
                   lambda path: draw(graph, at=at, show="adjoints", path=path))
    first = graph.variables[0]
    report.picture(f"example{number}_tangents_{first}.png", f"forward-mode tangents d(node)/d{first}",
                   lambda path: draw(graph, at=at, show="tangents", wrt=first, path=path))
    if number == 3:
        report.picture("example3_sweeps.gif", "the forward and backward sweeps, step by step",
                       lambda path: draw_sweeps(graph, at=at, path=path))


def _higher_derivatives(report: Report) -> None:
    text, at = EXAMPLES[1][1], EXAMPLES[1][2]
    report.section("Higher derivatives of 2/sin(exp(-x)) at x = -4.499",
                   "Forward mode nests dual numbers, reverse mode differentiates its own gradient graph again, "
                   "SymPy differentiates the expression k times.")
    methods = ("symbolic", "forward", "reverse")
    rows = []
    for order in (1, 2, 3, 4):
        results = {m: derivative(text, order=order, at=at, method=m) for m in methods}
        rows.append({"order": order, **{m: results[m].derivative for m in methods},
                     **{f"{m}_flops": results[m].cost.flops for m in methods}})
    lines = [f"{'order':<6}" + "".join(f"{m:>24}" for m in methods)]
    lines += [f"{row['order']:<6}" + "".join(f"{row[m]:>24.12g}" for m in methods) for row in rows]
    report.table("higher_derivatives", "\n".join(lines), rows)


def _gradient_graph(report: Report) -> None:
    graph = parse(EXAMPLES[2][1])
    derived = gradient_graph(graph)
    report.section("Reverse mode writes its gradient as a graph",
                   "The gradient graph extends the computation with the adjoint computation; it can be evaluated, "
                   "drawn and differentiated again.")
    lines = [f"f      = {graph}   ({graph.operations} operations)"]
    lines += [f"{name:<6} = {derived.expression(node)}"
              for name, node in zip(derived.output_names, derived.outputs, strict=True)]
    values = derived.evaluate(EXAMPLES[2][2])
    lines.append(f"evaluated at x1=2, x2=5: {tuple(float(np.round(v, 6)) for v in values)}")
    report.text("\n".join(lines))
    if report.writing:
        from .draw import draw

        report.picture("gradient_graph.png", "the graph extended by reverse mode's gradient",
                       lambda path: draw(gradient_graph(graph, with_value=True), path=path))


def _mlp(report: Report) -> None:
    """XOR, which no linear model separates, learned by a 2-4-1 MLP; then its loss differentiated four ways."""
    X, y = datasets.xor()
    report.section("An MLP learns XOR (2-4-1, tanh, binary cross-entropy, Adam)")
    linear = nn.MLP([2, 1], loss="binary_cross_entropy", seed=0)
    nn.train(linear, X, y, optimizer=optim.Adam(lr=0.1), epochs=300, progress=False)
    untrained = nn.MLP(**XOR_NET, seed=0)
    net = nn.MLP(**XOR_NET, seed=0)
    history = nn.train(net, X, y, optimizer=optim.Adam(lr=0.1), epochs=300, progress=False)
    report.text(
        f"logistic regression (no hidden layer): accuracy {linear.accuracy(X, y):.2f} — XOR is not linearly "
        f"separable\nwith a hidden layer: loss {untrained.loss(X, y):.4f} -> {history.loss[-1]:.6f} in "
        f"{history.steps} steps, accuracy {net.accuracy(X, y):.2f}, outputs "
        f"{np.round(net.forward(X)[:, 0], 3).tolist()}")
    report.text(f"The untrained network's loss, differentiated four ways ({untrained.parameter_count} parameters: "
                "forward mode needs one sweep per parameter, reverse mode one backward sweep):")
    comparison = compare(untrained.loss_graph(X, y), at=untrained.parameters())
    report.table("mlp_loss", str(comparison), comparison.rows())
    if report.writing:
        from .draw import draw_history, draw_mlp

        report.picture("xor_network.png", "the trained 2-4-1 network: weights by width and sign",
                       lambda path: draw_mlp(net, path=path))
        report.picture("xor_history.png", "training loss and accuracy per epoch",
                       lambda path: draw_history(history, path=path))


def _study(report: Report, sizes) -> None:
    from . import studies

    report.section("How each method's cost grows with the number of inputs",
                   "A sum of products of n inputs: reverse mode's flops grow like the function's (≈ n), forward "
                   "and numeric like n², symbolic like n after common-subexpression elimination.")
    res = studies.run("gradient_vs_inputs", sizes=list(sizes), methods=METHODS, repeats=3, seed=0,
                      budget_seconds=120, progress=False)  # a last-resort guard: sizes decide the cut-offs
    report.text(studies.report(res), files=[report.save("gradient_vs_inputs.csv", res.to_csv)])
    report.picture("gradient_vs_inputs.png", "flops against n, log-log, fitted exponents and theory",
                   lambda path: studies.plot(res, y="flops", path=path))


def _hvp_study(report: Report) -> None:
    from . import studies

    report.section("One Hessian-vector product against the number of inputs",
                   "H·v of log Σ exp(xᵢ): reverse mode (forward-over-reverse) and the numeric differences of "
                   "gradients stay a constant multiple of the function, forward-over-forward grows like n·f "
                   "(a full Hessian costs about n gradients: see the hessian_vs_inputs study).")
    res = studies.run("hvp_vs_inputs", sizes=[4, 8, 16, 32], methods=METHODS, repeats=1, seed=0,
                      budget_seconds=120, progress=False)
    report.text(studies.report(res), files=[report.save("hvp_vs_inputs.csv", res.to_csv)])
    report.picture("hvp_vs_inputs.png", "H·v flops against n, log-log, fitted exponents and theory",
                   lambda path: studies.plot(res, y="flops", path=path))


def _stochastic_study(report: Report) -> None:
    from .studies import stochastic

    report.section("Second order on mini-batches: the lecture's warning, measured",
                   "Logistic regression trained by GD, Adam, Newton, Newton-CG and L-BFGS, full-batch and on "
                   "mini-batches of 32: on the full data the second-order methods need the fewest steps; on "
                   "mini-batches their curvature follows each batch's noise (see docs/second-order.md).")
    res = stochastic.stochastic_second_order("logistic", epochs=10)
    report.text(stochastic.report(res))
    report.picture("stochastic_second_order.png", "training loss against epochs and against gradient evaluations",
                   lambda path: stochastic.plot(res, path=path))


def _depth_study(report: Report) -> None:
    from .studies import depth

    report.section("Activations and gradients across depth: vanishing and exploding gradients, measured",
                   "MLPs of 12 hidden layers (tanh, sigmoid, relu; weights of 0.01·N(0, 1), Xavier/He, or N(0, 1); "
                   "without and with layer normalization), one forward and one backward sweep on a batch of "
                   "digits: without normalization the gradients vanish or explode layer by layer; layer "
                   "normalization holds tanh and relu within a small factor, not sigmoid (see docs/mlp.md).")
    # the digits ship with scikit-learn, an optional extra: without it the batch is the synthetic one
    res = depth.activations_vs_depth(data="digits" if importlib.util.find_spec("sklearn") else "synthetic")
    report.text(depth.report(res))
    report.picture("activations_vs_depth.png", "activation std and gradient norms against the layer, per network",
                   lambda path: depth.plot(res, path=path))


def _optimizers(report: Report) -> None:
    from .draw import draw_optimizers

    report.section("Seven optimizers on the ill-conditioned quadratic 4x² + (y+3)²/15",
                   "Gradient descent zig-zags and crawls; Newton's method lands on the minimum in one step.")
    report.picture("optimizers.png", "optimizer trajectories and f per step",
                   lambda path: draw_optimizers(values=True, path=path))

