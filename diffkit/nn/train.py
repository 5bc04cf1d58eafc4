"""Training loop: epochs of seeded, shuffled mini-batches, gradients by any of the four methods, an optimizer
from ``diffkit.optim``, validation and a history of loss and accuracy, with a progress bar."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import BindingError
from ..keywords import checked_keywords
from ..optim import Optimizer
from ..progress import bar as progress_bar
from .mlp import MLP


@dataclass
class History:
    """Per epoch: training loss (over all training data, at the epoch's end), accuracy for classifiers, the same
    on the validation data when given, and the seconds the epoch took."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    steps: int = 0

    def __repr__(self) -> str:
        last = f"loss {self.loss[-1]:.4g}" if self.loss else "not trained"
        if self.accuracy:
            last += f", accuracy {self.accuracy[-1]:.3f}"
        if self.val_accuracy:
            last += f", validation accuracy {self.val_accuracy[-1]:.3f}"
        return f"<History {len(self.loss)} epochs, {self.steps} steps: {last}>"


@checked_keywords
def train(
    net: MLP,
    X,
    y,
    optimizer: Optimizer,
    epochs: int = 10,
    batch_size: int | None = None,
    validation: tuple | None = None,
    shuffle: bool = True,
    seed: int | None = 0,
    progress: bool | None = None,
    method: str = "reverse",
    **options,
) -> History:
    """Train ``net`` in place and return its History.

    ``batch_size=None`` is full-batch gradient descent; smaller batches make it stochastic (SGD), drawn in a
    seeded random order each epoch. ``method`` chooses how gradients are computed (backprop by default; the
    others are for demonstrating what they cost). Newton's method gets the loss's Hessian from diffkit too.
    """
    if not isinstance(net, MLP):
        raise BindingError(f"train needs an nn.MLP, got {type(net).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise BindingError(f"optimizer must be one of diffkit.optim's optimizers, got {type(optimizer).__name__}")
    epochs = _count(epochs, "epochs")
    X = net._inputs(X)
    samples = X.shape[0]
    Y = net.targets(y, samples)  # checked here, once, so a bad label fails before any training
    batch_size = samples if batch_size is None else min(_count(batch_size, "batch_size"), samples)
    if validation is not None:
        if not isinstance(validation, tuple | list) or len(validation) != 2:
            raise BindingError("validation must be a pair (X_val, y_val)")
        X_val = net._inputs(validation[0])
        Y_val = net.targets(validation[1], X_val.shape[0])
    classifier = net.output != "linear"
    rng = np.random.default_rng(seed)
    history = History()
    optimizer.reset()
    bar = progress_bar(range(epochs), progress=progress, desc="training", unit="epoch", leave=False)
    for _ in bar:
        started = time.perf_counter()
        order = rng.permutation(samples) if shuffle else np.arange(samples)
        for start in range(0, samples, batch_size):
            batch = order[start:start + batch_size]
            # The network's own arrays go to the optimizer, which never modifies what it is given and returns
            # fresh ones: no copies either way.
            grads = net.gradient(X[batch], Y[batch], method=method, **options).gradient
            hessian = net.hessian(X[batch], Y[batch], **options).hessian if optimizer.needs_hessian else None
            net._take(optimizer.step(net._params, grads, hessian=hessian))
            history.steps += 1
        history.seconds.append(time.perf_counter() - started)
        history.loss.append(net.loss(X, Y))
        if classifier:
            history.accuracy.append(net.accuracy(X, Y))
        if validation is not None:
            history.val_loss.append(net.loss(X_val, Y_val))
            if classifier:
                history.val_accuracy.append(net.accuracy(X_val, Y_val))
        bar.set_postfix(loss=f"{history.loss[-1]:.4g}", refresh=False)  # drawn at the bar's own rate
    return history


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise BindingError(f"{name} must be a positive integer, got {value!r}")
    return int(value)

