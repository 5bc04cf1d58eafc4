"""Training loop: epochs of seeded, shuffled mini-batches, gradients by any of the four methods, an optimizer
from ``diffkit.optim``, validation and a history of loss and accuracy, with a progress bar."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .. import api, estimate
from .. import options as check
from ..errors import BindingError, DiffkitError, MethodError
from ..keywords import checked_keywords
from ..limits import amount, check_memory
from ..optim import Optimizer
from ..oracle import Oracle, ResidualOracle
from ..progress import bar as progress_bar
from .mlp import MLP, check_seed

# What one epoch adds to a History: a float in a list (a pointer, 8 bytes, and the float object, 24) per series.
_BYTES_PER_RECORD = 32


class DivergenceError(DiffkitError, ArithmeticError):
    """Training stopped because the loss (or a gradient, or a parameter) became nan or infinite.

    ``epoch`` and ``batch``: where (1-based; ``batch`` is None when the loss over all the data at an epoch's end
    was the first non-finite number); ``loss``: the value met. The network keeps its last finite parameters.
    """

    def __init__(self, message: str, epoch: int, batch: int | None, loss: float):
        super().__init__(message)
        self.epoch, self.batch, self.loss = epoch, batch, loss


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
    # gradient evaluations spent by the end of each epoch (an H·v counted as 2, a Hessian as one per parameter:
    # what each costs by reverse mode), so optimizers can be compared by what they computed, not by epochs
    gradients: list[float] = field(default_factory=list)

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
    Gauss-Newton and Levenberg-Marquardt (``second_order``) minimize each batch's loss as ½‖r‖² of the
    network's residuals (``net.residual_graph``): they need loss="mse" or "sse" (no l1), and their products are
    always a forward JVP and a reverse VJP (``method`` stays "reverse").

    The data is checked before the first step (finite, as many targets as samples, at least one sample); when
    the loss, a gradient or a parameter becomes nan or infinite, training stops with a ``DivergenceError`` that
    says at which epoch and batch, and the network keeps its last finite parameters.
    """
    if not isinstance(net, MLP):
        raise BindingError(f"train needs an nn.MLP, got {type(net).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise BindingError(f"optimizer must be one of diffkit.optim's optimizers, got {type(optimizer).__name__}")
    least_squares = getattr(optimizer, "needs_residuals", False)  # Gauss-Newton, Levenberg-Marquardt: ½‖r‖²
    if least_squares:  # a cross-entropy net is refused here, before the data is even looked at
        net.check_least_squares(optimizer.name)
        if method != "reverse":
            raise MethodError(f"{optimizer.name} computes its products J·v by forward mode and Jᵀ·u by reverse "
                              f"mode, not by method={method!r}: leave method at 'reverse'")
    epochs = _count(epochs, "epochs")
    seed = check_seed(seed)
    shuffle = check.flag("shuffle", shuffle)
    progress = check.flag("progress", progress, allow_none=True, none_means="a bar on a terminal")
    options = api.check_options(method, options)  # a bad method or option fails before any training
    X = net._inputs(X)
    samples = X.shape[0]
    if samples == 0:  # no batches: the loop would divide by zero, or train on nothing without a word
        raise BindingError(f"X has no samples (shape {X.shape}): training needs at least one row")
    Y = net.targets(y, samples)  # checked here, once, so a bad label fails before any training
    batch_size = samples if batch_size is None else min(_count(batch_size, "batch_size"), samples)
    if validation is not None:
        if not isinstance(validation, tuple | list) or len(validation) != 2:
            raise BindingError("validation must be a pair (X_val, y_val)")
        X_val = net._inputs(validation[0])
        if X_val.shape[0] == 0:
            raise BindingError("the validation X has no samples: give at least one row, or validation=None")
        Y_val = net.targets(validation[1], X_val.shape[0])
    classifier = net.output != "linear"
    batches = -(-samples // batch_size)
    series = 2 + classifier + (validation is not None) * (1 + classifier)  # loss, seconds, accuracy, val_...
    _check_work(net, (X, Y), batch_size, epochs, method, optimizer.needs_hessian, 1 + classifier,
                None if validation is None else (X_val, Y_val), getattr(optimizer, "needs_oracle", False))
    check_memory(f"training for {amount(epochs)} epochs ({amount(epochs * batches)} steps)",
                 epochs * series * _BYTES_PER_RECORD,
                 "train for fewer epochs (a History keeps a few numbers per epoch), or in several calls of train")
    rng = np.random.default_rng(seed)
    history = History()
    optimizer.reset()
    bar = progress_bar(range(epochs), progress=progress, desc="training", unit="epoch", leave=False)
    spent = 0.0
    searching = getattr(optimizer, "needs_oracle", False)
    for epoch in bar:
        started = time.perf_counter()
        order = rng.permutation(samples) if shuffle else np.arange(samples)
        for number, start in enumerate(range(0, samples, batch_size), start=1):
            batch = order[start:start + batch_size]
            # The network's own arrays go to the optimizer, which never modifies what it is given and returns
            # fresh ones: no copies either way.
            where = (epoch + 1, number, batches)
            masks = net.dropout_masks(len(batch)) if net.dropout else None  # one draw per step, for every query
            net.observe(X[batch], masks)  # batch norm's running averages, with the parameters before the step
            if searching:  # L-BFGS, Newton-CG: they query the batch's loss at trial points and for H·v
                oracle = _oracle(net, X[batch], Y[batch], least_squares, method, options, masks)
                value, grads = oracle.value_and_grad(net._params)
                _finite(value, grads, where, optimizer, "the gradient of {name}")
                stepped = optimizer.step(net._params, grads, oracle=oracle)
                spent += _spent(oracle)
            else:
                result = net.gradient(X[batch], Y[batch], method=method, masks=masks, **options)
                value, grads = float(result.value), result.gradient
                _finite(value, grads, where, optimizer, "the gradient of {name}")
                hessian = (net.hessian(X[batch], Y[batch], masks=masks, **options).hessian if optimizer.needs_hessian
                           else None)
                stepped = optimizer.step(net._params, grads, hessian=hessian)
                spent += 1 + (net.parameter_count if optimizer.needs_hessian else 0)
            _finite(value, stepped, where, optimizer, "parameter {name}, after the optimizer's step,")
            net._take(stepped)
            history.steps += 1
        history.seconds.append(time.perf_counter() - started)
        history.gradients.append(spent)
        history.loss.append(net.loss(X, Y))
        _finite(history.loss[-1], {}, (epoch + 1, None, batches), optimizer, "")
        if classifier:
            history.accuracy.append(net.accuracy(X, Y))
        if validation is not None:
            history.val_loss.append(net.loss(X_val, Y_val))
            if classifier:
                history.val_accuracy.append(net.accuracy(X_val, Y_val))
        bar.set_postfix(loss=f"{history.loss[-1]:.4g}", refresh=False)  # drawn at the bar's own rate
    return history


def _oracle(net: MLP, X: np.ndarray, Y: np.ndarray, least_squares: bool, method: str, options: dict,
            masks: dict | None = None):
    """What a searching optimizer queries on one batch: the loss (``Oracle``), or for Gauss-Newton and
    Levenberg-Marquardt the residuals whose ½‖r‖² is that same loss (``ResidualOracle``)."""
    if least_squares:
        return ResidualOracle(net.residual_graph(X, Y), **options)
    return Oracle(net.loss_graph(X, Y, masks), method=method, **options)


def _spent(oracle) -> int:
    """An oracle's work in gradients: an H·v counts 2 (a forward sweep over a backward one). A ResidualOracle's
    J·v is one forward sweep and its Jᵀ·u one backward sweep, each about a gradient's work, so a Gauss-Newton
    product JᵀJ·v counts 2, like an H·v; its gradients Jᵀr are among its VJPs already (not counted twice).
    Levenberg-Marquardt's trial residuals are evaluations without derivatives, not counted (as the loss each
    epoch's end is not)."""
    if isinstance(oracle, ResidualOracle):
        return oracle.jvps + oracle.vjps
    return oracle.gradients + 2 * oracle.hvps


def _check_work(net: MLP, data: tuple, batch_size: int, epochs: int, method: str, newton: bool,
                evaluations: int, validation: tuple | None, searching: bool = False) -> None:
    """Refuse training whose work — epochs × batches × a step (a gradient, the optimizer's update, and for
    Newton's method a Hessian and its solve), and the loss and accuracy over the data each epoch — would take
    more than ``dk.limits.work_operations``, before the first step."""
    X, Y = data
    graph = net.loss_graph()
    plan, wrt = graph.plan, tuple(net.parameter_names)
    batch = graph.bind(net._point(X[:batch_size], Y[:batch_size], net.unit_masks(batch_size)))
    parameters = net.parameter_count
    step = estimate.gradient_work(method, plan, batch, wrt) + estimate.Work(4 * len(wrt), 10 * parameters)
    if newton:  # a Hessian over all parameter entries, and a dense solve
        step += estimate.forward_over_reverse_work(plan, batch, wrt) + estimate.Work(1, parameters**3 / 3)
    if searching:  # a line search's trial gradients, or Newton-CG's products: at least one more gradient a step
        step += estimate.gradient_work(method, plan, batch, wrt)
    batches = -(-X.shape[0] // batch_size)
    every_epoch = step * batches + _evaluations(graph, net._point(X, Y, net.unit_masks(len(X)))) * evaluations
    if validation is not None:
        X_val, Y_val = validation
        every_epoch += _evaluations(graph, net._point(X_val, Y_val, net.unit_masks(len(X_val)))) * evaluations
    # A count past float64 (epochs=10**400) is more work than any budget: infinite, not an OverflowError.
    times = epochs if epochs < 10**300 else math.inf
    estimate.check(f"training for {amount(epochs)} epochs ({amount(epochs * batches)} steps of about "
                   f"{step.operations:.2g} operations each)", every_epoch * times, None,
                   "train for fewer epochs, or on fewer samples, or in several calls of train")


def _evaluations(graph, point: dict) -> estimate.Work:
    """One evaluation of the loss (or the network's outputs) over all the samples of ``point``."""
    bound = graph.bind(point)
    return estimate.sweep_work(graph.plan, (), 0, estimate.elements_of(graph.plan, bound))


def _finite(loss: float, arrays: dict, where: tuple, optimizer: Optimizer, what: str) -> None:
    """Stop training at the first nan or infinity: in the loss, or in ``arrays`` (gradients or new parameters;
    ``what`` names them, with ``{name}`` for the array's name)."""
    bad = next((name for name, a in arrays.items() if not np.all(np.isfinite(a))), None)
    if np.isfinite(loss) and bad is None:
        return
    epoch, batch, batches = where
    at = f"epoch {epoch}, batch {batch} of {batches}" if batch is not None else f"the end of epoch {epoch}"
    over = " of the batch" if batch is not None else " over all training data"
    found = (f"the loss{over} became {loss}" if not np.isfinite(loss)
             else f"{what.format(name=bad)} became nan or infinite (the loss was {loss:.6g})")
    damping = ", or more damping" if optimizer.needs_hessian else ""  # Newton's steps blow up near singular H
    raise DivergenceError(
        f"training diverged at {at}: {found}; the learning rate is probably too large for this problem: try a "
        f"smaller one, e.g. lr={optimizer.lr / 10:g} (now {optimizer.lr:g}){damping}, or scale the inputs",
        epoch, batch, loss)


def _count(value, name: str) -> int:
    return check.number(name, value, low=1, integer=True, what="a positive integer")
