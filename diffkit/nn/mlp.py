"""A vectorized multi-layer perceptron whose loss is a diffkit tensor graph.

``ŷ = out(a_L)``, ``a_{k+1} = ψ(a_k W_k + b_k)``, ``a_0 = X`` (rows are samples, as in the lecture's ``X W``).
The loss graph has the variables ``X``, ``Y`` and the parameters ``W1, b1, W2, b2, ...``; reverse mode on it *is*
backprop, and forward mode, finite differences and SymPy differentiate the very same graph to check it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .. import api
from .. import options as check
from ..binding import as_float_array
from ..errors import BindingError, MethodError
from ..graph import Graph
from ..limits import amount, check_memory
from ..result import Result
from ..trace import functions as fn
from ..trace import trace
from . import init as initializers
from . import normalize
from .activations import ACTIVATIONS, OUTPUTS, choose
from .losses import LOSSES, check_targets, class_labels

# The least-squares losses as ½‖r‖²: the factor that makes r = factor·(ŷ − y) from a batch's sample count (mse is
# a mean over samples of a sum over outputs, (1/N)·Σ(ŷ − y)² = ½‖√(2/N)·(ŷ − y)‖²; sse is the sum itself).
_RESIDUAL_SCALE = {"mse": lambda samples: math.sqrt(2.0 / samples), "sse": lambda samples: math.sqrt(2.0)}
# Residual graphs traced per batch size (a training run has at most two: the batch and the last, shorter one).
_RESIDUAL_GRAPHS_KEPT = 4


class MLP:
    """A fully connected network: ``MLP([64, 128, 10], activation="relu", output="softmax",
    loss="cross_entropy", init="kaiming", l2=1e-4, seed=0)``.

    ``output`` defaults to what the loss implies (softmax for cross_entropy, sigmoid for binary_cross_entropy,
    else linear). ``l1``/``l2`` add ``l1·Σ|W|`` and ``l2·ΣW²`` over the weights (not the biases); both together
    make the elastic net.

    ``normalization="layer"`` or ``"batch"`` normalizes every hidden layer's pre-activations, with learned
    ``gamma{k}``/``beta{k}``; ``dropout=p`` drops hidden activations with probability p in training (inverted
    dropout); batch norm's running averages use ``momentum``. Training (``gradient``, ``hessian``,
    ``loss_graph``, ``nn.train``) uses batch statistics and dropout masks; evaluation (``forward``, ``predict``,
    ``loss``, ``accuracy``) uses the running averages and no dropout. See ``diffkit.nn.normalize``.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "relu",
        output: str | None = None,
        loss: str = "mse",
        bias: bool = True,
        init: str | None = None,
        l1: float = 0.0,
        l2: float = 0.0,
        seed: int | None = 0,
        normalization: str | None = None,
        dropout: float = 0.0,
        momentum: float = 0.1,
    ):
        self.sizes = _check_sizes(sizes)
        seed = check_seed(seed)
        self.activation = activation
        choose(ACTIVATIONS, activation, "activation")
        self.loss_name = loss
        loss_fn, from_logits, implied = choose(LOSSES, loss, "loss")
        if output is None:
            output = implied or "linear"
        choose(OUTPUTS, output, "output")
        init = check.choice("init", init, initializers.SCHEMES, allow_none=True)
        if from_logits and output != implied:
            raise BindingError(f"loss {loss!r} is computed from logits and implies output={implied!r}, "
                               f"not {output!r}")
        self.output = output
        self.bias = check.flag("bias", bias)
        self.l1 = _non_negative(l1, "l1")
        self.l2 = _non_negative(l2, "l2")
        self.init = init or ("kaiming" if activation == "relu" else "xavier")
        self.normalization = check.choice("normalization", normalization, normalize.NORMALIZATIONS, allow_none=True)
        self.dropout = check.number("dropout", dropout, low=0, high=0.99, what="a probability in [0, 0.99]")
        self.momentum = check.number("momentum", momentum, low=0, high=1, what="a number in [0, 1]")
        _check_parameter_memory(self.sizes, self.bias)  # before drawing: MLP([2, 10**6, 10**6]) is 8 TB
        rng = np.random.default_rng(seed)
        self._params: dict[str, np.ndarray] = {}
        for k, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True), start=1):
            self._params[f"W{k}"] = initializers.weights(self.init, n_in, n_out, rng)
            if self.bias:
                self._params[f"b{k}"] = np.zeros(n_out)
            if self.normalization and k < len(self.sizes) - 1:
                self._params[f"gamma{k}"] = np.ones(n_out)
                self._params[f"beta{k}"] = np.zeros(n_out)
        self.parameter_names = tuple(self._params)
        hidden = range(1, len(self.sizes) - 1)
        # dropout masks (data of the training graph) and batch norm's running averages (data of evaluation)
        self._mask_names = tuple(f"D{k}" for k in hidden) if self.dropout else ()
        self._running = ({name: (np.zeros if name.startswith("mean") else np.ones)(self.sizes[k])
                          for k in hidden for name in (f"mean{k}", f"var{k}")}
                         if self.normalization == "batch" else {})
        self._dropout_rng = np.random.default_rng(None if seed is None else (seed, 1))
        self._loss_graph = self._build_loss(loss_fn, from_logits, training=True)
        self._eval_loss_graph = (self._build_loss(loss_fn, from_logits, training=False)
                                 if self._mask_names or self._running else self._loss_graph)
        self._layers_graph = self._build_layers()
        self._statistics_graph = self._build_statistics() if self._running else None
        self._residual_graphs: dict[int, Graph] = {}  # sample count -> residual graph, traced when first asked

    # --- the graphs ---------------------------------------------------------------------------------------

    def _logits(self, X, params: dict, keep: list | None = None, training: bool = False, data: dict | None = None,
                statistics: list | None = None, pre: list | None = None):
        """The output layer's pre-activations. ``training``: batch statistics and the dropout masks ``data["Dk"]``;
        else batch norm reads the running averages ``data["meank"]``, ``data["vark"]``. ``keep`` collects the
        hidden activations, ``pre`` their pre-activations ``a W + b`` (before normalization), ``statistics`` each
        batch-normalized layer's batch mean and variance."""
        a = X
        layers = len(self.sizes) - 1
        for k in range(1, layers + 1):
            z = a @ params[f"W{k}"]
            if self.bias:
                z = z + params[f"b{k}"]
            if k == layers:
                return z
            if pre is not None:
                pre.append(z)
            z = self._normalized(z, k, params, training, data, statistics)
            a = ACTIVATIONS[self.activation](z)
            if training and self._mask_names:
                a = a * data[f"D{k}"]
            if keep is not None:
                keep.append(a)
        return a

    def _normalized(self, z, k: int, params: dict, training: bool, data: dict | None, statistics: list | None):
        if self.normalization == "layer":
            return normalize.layer_norm(z, params[f"gamma{k}"], params[f"beta{k}"])
        if self.normalization == "batch":
            if statistics is not None:
                mean = fn.mean(z, axis=0)
                statistics += [mean, fn.mean((z - mean) * (z - mean), axis=0)]
            given = None if training else (data[f"mean{k}"], data[f"var{k}"])
            return normalize.batch_norm(z, params[f"gamma{k}"], params[f"beta{k}"], given)
        return z

    def _penalty(self, params: dict):
        """l2·ΣW² + l1·Σ|W| over the weights, or None without regularization (no node for a zero)."""
        total = None
        for name, W in params.items():
            if not name.startswith("W"):
                continue
            terms = ([self.l2 * fn.sum(W * W)] if self.l2 else []) + ([self.l1 * fn.sum(fn.abs(W))] if self.l1 else [])
            for term in terms:
                total = term if total is None else total + term
        return total

    def _build_loss(self, loss_fn, from_logits: bool, training: bool, layers: bool = False) -> Graph:
        """The loss graph; ``layers=True`` adds every hidden layer's pre-activation and activation as outputs
        (loss, z1, a1, z2, a2, ...), the same nodes the loss is computed from."""
        names = self.parameter_names
        extra = self._mask_names if training else tuple(self._running)

        def loss(X, Y, *values):
            data = dict(zip(extra, values[:len(extra)], strict=True))
            params = dict(zip(names, values[len(extra):], strict=True))
            hidden, pre = [], []
            logits = self._logits(X, params, keep=hidden, pre=pre, training=training, data=data)
            prediction = logits if from_logits else OUTPUTS[self.output](logits)
            data_loss = loss_fn(prediction, Y)
            penalty = self._penalty(params)
            total = data_loss if penalty is None else data_loss + penalty
            if not layers:
                return total
            return (total, *(node for pair in zip(pre, hidden, strict=True) for node in pair))

        return trace(loss, ["X", "Y", *extra, *names])

    def _build_residuals(self, samples: int) -> Graph:
        """The residuals of the loss on ``samples`` rows: the outputs' errors scaled so that ½‖r‖² is the data
        loss, then, with l2, √(2·l2)·W for each weight (½‖√(2·l2)·W‖² = l2·ΣW², the penalty)."""
        names, scale = self.parameter_names, _RESIDUAL_SCALE[self.loss_name](samples)
        penalty = math.sqrt(2.0 * self.l2)

        def residuals(X, Y, *values):
            params = dict(zip(names, values, strict=True))
            errors = (OUTPUTS[self.output](self._logits(X, params, training=True)) - Y) * scale
            weights = [penalty * params[name] for name in names if name.startswith("W")] if self.l2 else []
            return (errors, *weights)

        return trace(residuals, ["X", "Y", *names])

    def _build_layers(self) -> Graph:
        """One graph whose outputs are every hidden layer's activations and then the network's output."""
        names = self.parameter_names

        running = tuple(self._running)

        def layers(X, *values):
            hidden: list = []
            data = dict(zip(running, values[:len(running)], strict=True))
            params = dict(zip(names, values[len(running):], strict=True))
            logits = self._logits(X, params, keep=hidden, data=data)
            return (*hidden, OUTPUTS[self.output](logits))

        return trace(layers, ["X", *running, *names])

    def _build_statistics(self) -> Graph:
        """The batch mean and variance of every batch-normalized layer, in training mode (for the running
        averages): outputs mean1, var1, mean2, ..."""
        names = self.parameter_names

        def statistics(X, *values):
            data = dict(zip(self._mask_names, values[:len(self._mask_names)], strict=True))
            params = dict(zip(names, values[len(self._mask_names):], strict=True))
            found: list = []
            self._logits(X, params, training=True, data=data, statistics=found)
            return tuple(found)

        return trace(statistics, ["X", *self._mask_names, *names])

    # --- parameters ---------------------------------------------------------------------------------------

    def parameters(self) -> dict[str, np.ndarray]:
        """The parameters as a dict of arrays (copies: changing them does not change the network)."""
        return {name: value.copy() for name, value in self._params.items()}

    def set_parameters(self, params: Mapping[str, object]) -> None:
        """Replace the parameters (checked: same names and shapes; copied in)."""
        if not isinstance(params, Mapping) or set(params) != set(self._params):
            got = sorted(params) if isinstance(params, Mapping) else type(params).__name__
            raise BindingError(f"parameters must be a dict with keys {list(self._params)}, got {got}")
        new = {}
        for name, old in self._params.items():
            value = as_float_array(params[name], name)
            if value.shape != old.shape:
                raise BindingError(f"parameter {name} must have shape {old.shape}, got {value.shape}")
            new[name] = value.copy()
        self._params = new

    def _take(self, params: dict[str, np.ndarray]) -> None:
        """Adopt new parameters without copying them: for the training loop, whose optimizer returns fresh
        arrays nobody else holds (shapes still checked)."""
        for name, old in self._params.items():
            if np.shape(params[name]) != old.shape:
                raise BindingError(f"parameter {name} must have shape {old.shape}, got {np.shape(params[name])}")
        self._params = {name: params[name] for name in self._params}

    @property
    def parameter_count(self) -> int:
        return sum(v.size for v in self._params.values())

    # --- data ---------------------------------------------------------------------------------------------

    def _inputs(self, X) -> np.ndarray:
        X = as_float_array(X, "X")
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise BindingError(f"X must have shape (samples, {self.sizes[0]}), got {X.shape}")
        bad = ~np.isfinite(X)
        if bad.any():  # nan in, nan out: every loss and gradient after it would be nan without a word
            row, column = np.argwhere(bad)[0]
            raise BindingError(f"X holds {X[row, column]} (row {row}, column {column}): inputs must be finite "
                               "numbers; drop or fill the missing ones")
        return X

    def targets(self, y, samples: int) -> np.ndarray:
        """Targets as the loss graph takes them: one-hot rows for cross_entropy (from class labels or one-hot),
        a column for one output, else (samples, outputs)."""
        width = self.sizes[-1]
        if self.loss_name == "cross_entropy":
            y_array = np.asarray(y)
            if y_array.ndim == 1:
                count = y_array.shape[0]
                if count != samples:
                    raise BindingError(f"y has {count} label{'s' * (count != 1)} for {samples} samples: give one "
                                       "label per row of X")
                return np.eye(width)[class_labels(y_array, width)]
        Y = as_float_array(y, "y")
        if Y.ndim == 1 and width == 1:
            Y = Y[:, None]
        if Y.ndim >= 1 and Y.shape[0] != samples:
            raise BindingError(f"y has {Y.shape[0]} row{'s' * (Y.shape[0] != 1)} for {samples} samples: give one "
                               "target per row of X")
        if Y.shape != (samples, width):
            raise BindingError(f"y must have shape ({samples}, {width})"
                               + (f" or ({samples},)" if width == 1 or self.loss_name == "cross_entropy" else "")
                               + f", got {Y.shape}")
        check_targets(self.loss_name, Y)
        return Y

    def _point(self, X, y, masks: Mapping | None = None) -> dict:
        """Where the training graph is evaluated: the data, the dropout masks (drawn when not given) and the
        parameters."""
        X = self._inputs(X)
        return {"X": X, "Y": self.targets(y, X.shape[0]), **self._masks(X.shape[0], masks), **self._params}

    def _eval_point(self, X, y) -> dict:
        X = self._inputs(X)
        return {"X": X, "Y": self.targets(y, X.shape[0]), **self._running, **self._params}

    def _masks(self, samples: int, masks: Mapping | None) -> dict:
        if not self._mask_names:
            if masks:
                raise BindingError("masks= is for a network with dropout; this one has dropout=0")
            return {}
        if masks is None:
            return self.dropout_masks(samples)
        if not isinstance(masks, Mapping) or set(masks) != set(self._mask_names):
            got = sorted(masks) if isinstance(masks, Mapping) else type(masks).__name__
            raise BindingError(f"masks must be a dict with keys {list(self._mask_names)}, got {got}")
        checked = {}
        for name in self._mask_names:
            value = as_float_array(masks[name], name)
            width = self.sizes[int(name[1:])]
            if value.shape != (samples, width):
                raise BindingError(f"mask {name} must have shape ({samples}, {width}), got {value.shape}")
            checked[name] = value
        return checked

    def dropout_masks(self, samples: int) -> dict[str, np.ndarray]:
        """Fresh dropout masks for a batch of ``samples`` rows, from the network's seeded generator: 0 with
        probability ``dropout``, else 1/(1 − dropout). Give them back as ``masks=`` to differentiate one graph
        several ways."""
        samples = check.number("samples", samples, low=1, integer=True, what="a positive whole number")
        shapes = {name: (samples, self.sizes[int(name[1:])]) for name in self._mask_names}
        return normalize.dropout_masks(self._dropout_rng, self.dropout, shapes)

    def unit_masks(self, samples: int) -> dict[str, np.ndarray] | None:
        """Masks that keep every unit (for estimates and checks that must not draw); None without dropout."""
        return {name: np.ones((samples, self.sizes[int(name[1:])])) for name in self._mask_names} or None

    def running_statistics(self) -> dict[str, np.ndarray]:
        """Batch norm's running means and variances (``mean1``, ``var1``, ...; copies), empty without it."""
        return {name: value.copy() for name, value in self._running.items()}

    def observe(self, X, masks: Mapping | None = None) -> None:
        """Update batch norm's running averages with the batch X (``nn.train`` calls it at every step, before the
        step, as a training forward pass would); nothing without batch norm."""
        if self._statistics_graph is None:
            return
        X = self._inputs(X)
        outs = self._statistics_graph.evaluate({"X": X, **self._masks(X.shape[0], masks), **self._params})
        outs = outs if isinstance(outs, tuple) else (outs,)
        self._running = normalize.updated_statistics(self._running, dict(zip(self._running, outs, strict=True)),
                                                     self.momentum, X.shape[0])

    # --- computing ----------------------------------------------------------------------------------------

    def forward(self, X) -> np.ndarray:
        """The network's output for each row of X (probabilities for sigmoid/softmax outputs)."""
        outs = self._layers_graph.evaluate({"X": self._inputs(X), **self._running, **self._params})
        return outs[-1] if isinstance(outs, tuple) else outs

    __call__ = forward

    def hidden(self, X, layer: int = 1) -> np.ndarray:
        """The activations of hidden layer ``layer`` (1 = the first), e.g. the 8-3-8 encoder's code."""
        layers = len(self.sizes) - 2
        layer = check.number("layer", layer, low=1, high=layers, integer=True, what=f"1..{layers} (the hidden layers)")
        return self._layers_graph.evaluate({"X": self._inputs(X), **self._running, **self._params})[layer - 1]

    def loss(self, X, y) -> float:
        """The loss in evaluation mode (batch norm's running averages, no dropout)."""
        return float(self._eval_loss_graph.evaluate(self._eval_point(X, y)))

    def loss_graph(self, X=None, y=None, masks: Mapping | None = None) -> Graph:
        """The training loss as a diffkit Graph. With data, X and Y (and the dropout masks, drawn when not
        given) are fixed into it and only the parameters remain variables
        (``dk.compare(net.loss_graph(X, y), at=net.parameters())``)."""
        if X is None and y is None:
            return self._loss_graph
        point = self._point(X, y, masks)
        return self._loss_graph.with_data(**{name: point[name] for name in ("X", "Y", *self._mask_names)})

    def layers_graph(self, X, y, masks: Mapping | None = None) -> Graph:
        """The training loss on (X, y) with every hidden layer's pre-activation ``z_k = a_{k-1} W_k + b_k`` (before
        normalization) and activation ``a_k`` as further outputs: (loss, z1, a1, z2, a2, ...). Reverse mode's
        adjoints of these nodes (``diffkit.methods.reverse.node_adjoints``) are backprop's per-layer δ_k; the
        activations-vs-depth study reads them. Built on each call (a probe, not a training step)."""
        loss_fn, from_logits, _ = LOSSES[self.loss_name]
        point = self._point(X, y, masks)
        graph = self._build_loss(loss_fn, from_logits, training=True, layers=True)
        return graph.with_data(**{name: point[name] for name in ("X", "Y", *self._mask_names)})

    def check_least_squares(self, who: str) -> None:
        """Refuse a least-squares method (``who``: e.g. "GaussNewton") on a loss that is no sum of squares: a
        cross-entropy, mae, huber, log_cosh, or any loss with an l1 penalty (Σ|W| is no square)."""
        if self.loss_name not in _RESIDUAL_SCALE:
            raise MethodError(f"{who} needs a least-squares loss ½‖r‖² (loss='mse' or 'sse'), but this network's "
                              f"loss is {self.loss_name!r}: train it with newtoncg or lbfgs "
                              "(second_order.NewtonCG, LBFGS), which need only the loss and its gradient")
        if self.l1:
            raise MethodError(f"{who} needs a least-squares loss ½‖r‖², but this network has l1={self.l1:g} (the "
                              "penalty l1·Σ|W| is no sum of squares): use l2 instead, or train with newtoncg or "
                              "lbfgs")
        if self.dropout:
            raise MethodError(f"{who} needs one least-squares loss per step, but dropout draws new masks: train a "
                              "network with dropout=0, or use a first-order optimizer")

    def residual_graph(self, X, y) -> Graph:
        """The residuals r of the loss on (X, y) as a Graph of the parameters, with ½‖r‖² = ``loss(X, y)``: for
        mse the outputs' errors times √(2/samples) (an array of shape (samples, outputs)), for sse times √2, and,
        with l2, one more output √(2·l2)·W per weight matrix. ``second_order.ResidualOracle`` takes it, for
        Gauss-Newton and Levenberg-Marquardt. Other losses raise a MethodError."""
        self.check_least_squares("residual_graph")
        point = self._point(X, y)
        samples = point["X"].shape[0]
        if samples == 0:  # mse would be a mean of nothing
            raise BindingError(f"X has no samples (shape {point['X'].shape}): residuals need at least one row")
        graph = self._residual_graphs.get(samples)
        if graph is None:
            if len(self._residual_graphs) >= _RESIDUAL_GRAPHS_KEPT:
                self._residual_graphs.clear()
            graph = self._residual_graphs[samples] = self._build_residuals(samples)
        return graph.with_data(X=point["X"], Y=point["Y"])

    def gradient(self, X, y, method: str = "reverse", masks: Mapping | None = None, **options) -> Result:
        """∂loss/∂parameter for every parameter by one of the four methods; ``result["W1"]``, ``result.cost``.
        The training loss: batch statistics, and dropout ``masks`` (drawn when not given)."""
        return api.gradient(self._loss_graph, self._point(X, y, masks), method=method, wrt=self.parameter_names,
                            **options)

    def hessian(self, X, y, method: str = "reverse", masks: Mapping | None = None, **options) -> Result:
        """The training loss's Hessian over all parameter entries (each parameter raveled, in
        ``parameter_names`` order)."""
        return api.hessian(self._loss_graph, self._point(X, y, masks), method=method, wrt=self.parameter_names,
                           **options)

    def predict(self, X) -> np.ndarray:
        """Class labels (softmax: the arg max; sigmoid: 0/1 per output), or the outputs for regression."""
        out = self.forward(X)
        if self.output == "softmax":
            return np.argmax(out, axis=1)
        if self.output == "sigmoid":
            labels = (out > 0.5).astype(np.int64)
            return labels[:, 0] if labels.shape[1] == 1 else labels
        return out

    def accuracy(self, X, y) -> float:
        """Fraction of samples classified right (for several sigmoid outputs: all of a sample's bits right)."""
        if self.output == "linear":
            raise BindingError("accuracy is for classifiers (sigmoid or softmax output); this network regresses")
        predicted = self.predict(X)
        if self.output == "softmax":
            y_array = np.asarray(y)
            labels = (class_labels(y_array, self.sizes[-1]) if y_array.ndim == 1
                      else np.argmax(self.targets(y_array, predicted.shape[0]), axis=1))
            return float(np.mean(predicted == labels))
        truth = (self.targets(y, predicted.shape[0]) > 0.5).astype(np.int64)
        truth = truth[:, 0] if truth.shape[1] == 1 else truth
        right = predicted == truth
        return float(np.mean(right if right.ndim == 1 else np.all(right, axis=1)))

    def __repr__(self) -> str:
        extras = (f", normalization={self.normalization!r}" if self.normalization else "") + (
            f", dropout={self.dropout:g}" if self.dropout else "")
        return (f"MLP({'-'.join(map(str, self.sizes))}, activation={self.activation!r}, output={self.output!r}, "
                f"loss={self.loss_name!r}{extras}, {self.parameter_count:,} parameters)")


def _check_sizes(sizes) -> tuple[int, ...]:
    if isinstance(sizes, np.ndarray) and sizes.ndim == 1:
        sizes = sizes.tolist()
    if isinstance(sizes, str) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise check.OptionError(f"sizes must list at least an input and an output width, e.g. [2, 3, 1]; got "
                                f"{check.shown(sizes)}")
    try:
        return tuple(check.number("layer widths", s, low=1, integer=True, what="positive integers (e.g. [2, 3, 1])")
                     for s in sizes)
    except check.OptionError as exc:
        raise check.OptionError(f"{exc} in {check.shown(list(sizes))}") from None


def check_seed(seed, name: str = "seed") -> int | None:
    """A seed for ``np.random.default_rng``: None (fresh entropy) or a whole number >= 0 (not a bool, which
    NumPy would take as 0 or 1 without a word)."""
    return check.seed(name, seed)


def _check_parameter_memory(sizes: tuple[int, ...], bias: bool) -> None:
    """Refuse a network whose weights alone exceed ``dk.limits.memory_bytes``, before allocating them (training
    needs several times this for gradients and optimizer state; this checks the least it could need)."""
    count = sum((n_in + bias) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True))
    shape = '-'.join(str(s) if s < 10**15 else amount(s) for s in sizes)
    check_memory(f"MLP({shape}) with {amount(count)} parameters", 8 * count,
                 "use narrower or fewer layers, or raise the budget (dk.limits.memory_bytes = ...) if the machine "
                 "has the memory")


def _non_negative(value, name: str) -> float:
    return check.number(name, value, low=0, what="a non-negative number")
