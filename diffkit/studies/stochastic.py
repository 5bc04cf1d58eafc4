"""The lecture's warning, measured: second-order methods need accurate gradients, so mini-batches undo them.

``stochastic_second_order`` trains one problem with gradient descent, Adam, Newton, Newton-CG and L-BFGS, each
full-batch and on mini-batches, and records per epoch the loss over all the training data and the gradient
evaluations spent so far (an H·v counted as 2, a Hessian as one per parameter: what each costs by reverse mode).
Plotted against epochs the second-order methods look fast; plotted against gradient evaluations, and with
mini-batches, the picture changes: their curvature estimates — built from differences of gradients or from H·v
on a batch — follow the batch's noise.

    >>> from diffkit.studies import stochastic
    >>> res = stochastic.stochastic_second_order("logistic", epochs=3, optimizers=("gd", "lbfgs"))
    >>> sorted({(row["optimizer"], row["batch"]) for row in res.rows})[:2]
    [('gd', 'full'), ('gd', 'mini-batch 32')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import datasets, nn, optim, second_order
from .. import options as check
from ..errors import DiffkitError

# Each optimizer as the study runs it: its constructor and a learning rate for the problem's scale (the
# second-order methods choose their step by line search or take the Newton step: lr is their first trial).
_OPTIMIZERS = {
    "gd": lambda: optim.GD(lr=0.5),
    "adam": lambda: optim.Adam(lr=0.05),
    "newton": lambda: optim.Newton(lr=1.0, damping=1e-3),
    "newtoncg": lambda: second_order.NewtonCG(),
    "lbfgs": lambda: second_order.LBFGS(),
}
PROBLEMS = ("logistic", "digits")
OPTIMIZERS = tuple(_OPTIMIZERS)  # the names ``optimizers=`` takes
MAX_EPOCHS = 10_000  # a guard against a mistyped count, not a budget: 20 epochs show everything


@dataclass
class StochasticStudy:
    """Rows ``{optimizer, batch, epoch, loss, gradients}`` (epoch 0 is the start) and the runs that could not be
    made (``refused``: {(optimizer, batch): reason}), with the problem's name and size."""

    problem: str
    parameters: int
    rows: list[dict] = field(default_factory=list)
    refused: dict = field(default_factory=dict)

    def curve(self, optimizer: str, batch: str, x: str = "epoch") -> tuple[np.ndarray, np.ndarray]:
        """(x, loss) of one run, x "epoch" or "gradients"."""
        rows = [r for r in self.rows if r["optimizer"] == optimizer and r["batch"] == batch]
        return np.array([r[x] for r in rows], dtype=float), np.array([r["loss"] for r in rows])


def _problem(name: str, seed: int):
    """(network, X, y) for a problem: logistic regression on two noisy moons, or a 64-16-10 MLP on digits."""
    if name == "logistic":
        X, y = datasets.moons(400, noise=0.25, seed=seed)
        return nn.MLP([2, 1], loss="binary_cross_entropy", l2=1e-3, seed=seed), X, y
    X, y, _, _ = datasets.digits(seed=seed)
    return nn.MLP([64, 16, 10], activation="tanh", loss="cross_entropy", l2=1e-4, seed=seed), X, y


def stochastic_second_order(problem: str = "logistic", optimizers: Sequence[str] = OPTIMIZERS,
                            batch_size: int = 32, epochs: int = 20, seed: int = 0) -> StochasticStudy:
    """Train ``problem`` ("logistic" or "digits") with each optimizer, full-batch and in mini-batches of
    ``batch_size``, for ``epochs`` epochs from the same start; see the module's docstring."""
    problem = check.choice("problem", problem, PROBLEMS)
    names = check.names("optimizers", optimizers, OPTIMIZERS)
    batch_size = check.positive_int("batch_size", batch_size)
    epochs = check.positive_int("epochs", epochs, high=MAX_EPOCHS)
    seed = check.seed("seed", seed)
    net, X, y = _problem(problem, seed)
    if batch_size >= len(X):  # one batch of every sample is the full-batch run, mislabelled as a mini-batch one
        raise check.OptionError(f"batch_size must be below the {len(X):,} training samples of {problem} (a batch of "
                                f"all of them is the full-batch run, made anyway), got {check.shown(batch_size)}")
    study = StochasticStudy(problem, net.parameter_count)
    start = {name: value.copy() for name, value in net.parameters().items()}
    for name in names:
        for label, size in (("full", None), (f"mini-batch {batch_size}", batch_size)):
            net.set_parameters(start)
            if name == "newton" and net.parameter_count > 1000:
                study.refused[name, label] = (f"a Hessian of {net.parameter_count:,} parameters at every step "
                                              "(that many gradients each): use newtoncg")
                continue
            study.rows.append({"optimizer": name, "batch": label, "epoch": 0, "loss": net.loss(X, y),
                               "gradients": 0})
            try:
                history = nn.train(net, X, y, optimizer=_OPTIMIZERS[name](), epochs=epochs, batch_size=size,
                                   seed=seed, progress=False)
            except DiffkitError as exc:  # a divergence is a finding, not a failure of the study
                study.refused[name, label] = f"{type(exc).__name__}: {exc}"
                continue
            for epoch, (loss, spent) in enumerate(zip(history.loss, history.gradients, strict=True), start=1):
                study.rows.append({"optimizer": name, "batch": label, "epoch": epoch, "loss": loss,
                                   "gradients": spent})
    return study


def report(study: StochasticStudy) -> str:
    """The final loss of every run and the gradient evaluations it spent, as a table."""
    from ..text import text_table

    lines = [f"{study.problem} ({study.parameters:,} parameters): loss over all training data after training", ""]
    rows = []
    for (name, batch) in dict.fromkeys((r["optimizer"], r["batch"]) for r in study.rows):
        last = [r for r in study.rows if r["optimizer"] == name and r["batch"] == batch][-1]
        rows.append([name, batch, f"{last['loss']:.4g}", f"{last['gradients']:,.0f}", str(last["epoch"])])
    lines.extend(text_table(["optimizer", "batches", "final loss", "gradient evaluations", "epochs"], rows))
    for (name, batch), reason in study.refused.items():
        lines.append(f"not run: {name}, {batch}: {reason}")
    return "\n".join(lines)


def plot(study: StochasticStudy, path=None):
    """Two panels, loss against epochs and against gradient evaluations (log scales), full-batch runs solid and
    mini-batch runs dashed; saved to ``path`` when given. Returns the figure."""
    from ..draw.style import figure, save_figure

    fig = figure(figsize=(14, 4.5))
    axes = fig.subplots(1, 2)
    colors = dict(zip(_OPTIMIZERS, ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00"), strict=True))
    for (name, batch) in dict.fromkeys((r["optimizer"], r["batch"]) for r in study.rows):
        for ax, x in zip(axes, ("epoch", "gradients"), strict=True):
            xs, losses = study.curve(name, batch, x)
            keep = xs > 0  # log axes: the start (0 epochs, 0 evaluations) is left out
            ax.plot(xs[keep], losses[keep], color=colors[name], linestyle="-" if batch == "full" else "--",
                    marker="o", markersize=3, label=f"{name}, {batch}")
    for ax, label in zip(axes, ("epochs", "gradient evaluations (H·v = 2, Hessian = parameters)"), strict=True):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("training loss")
        ax.grid(True, alpha=0.3)
    axes[0].set_title(f"{study.problem}: loss against epochs")
    axes[1].set_title("the same runs against what they computed")
    axes[1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.subplots_adjust(right=0.8, wspace=0.3)
    if path is not None:
        save_figure(fig, path)
    return fig


__all__ = ["MAX_EPOCHS", "OPTIMIZERS", "PROBLEMS", "StochasticStudy", "plot", "report", "stochastic_second_order"]
