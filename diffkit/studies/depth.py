"""The lecture's vanishing- and exploding-gradient argument, measured: per-layer statistics of a deep MLP.

``activations_vs_depth`` builds, for each activation, initialization and normalization asked for, an MLP of
``depth`` hidden layers of ``width`` units (64 digit pixels in, 10 classes out, cross-entropy), runs one forward
and one reverse-mode backward sweep on one fixed, seeded batch, and records for every hidden layer k:

* the mean and standard deviation of its activations a_k, and the fraction of them *saturated* — where the
  activation's slope is below 1% of its largest (tanh: |a| > 0.995; sigmoid: a < 0.0025 or a > 0.9975; relu:
  a = 0, a dead unit for that sample);
* the norm (Frobenius) and the standard deviation of the loss's gradient with respect to the layer's weights W_k
  and to its pre-activations z_k = a_{k-1} W_k + b_k (before normalization: backprop's δ_k).

Every gradient is reverse mode's own adjoint on the loss graph (``MLP.layers_graph``, whose extra outputs are the
z_k and a_k nodes the loss is computed from), so ∂L/∂W_k = a_{k-1}ᵀ δ_k holds exactly.

    >>> from diffkit.studies import depth
    >>> res = depth.activations_vs_depth(depth=3, activations=("sigmoid",), inits=("default",), data="synthetic")
    >>> res.configurations
    [('sigmoid', 'default', 'none'), ('sigmoid', 'default', 'layer')]
    >>> [f"{x:.2g}" for x in res.curve(("sigmoid", "default", "none"), "weight_gradient_norm")]
    ['0.0093', '0.035', '0.15']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import datasets, nn
from .. import options as check
from ..methods.reverse import node_adjoints

ACTIVATIONS = ("tanh", "sigmoid", "relu")
# "small" and "large" are the naive draws 0.01·N(0, 1) and N(0, 1), whatever the widths; "default" is the MLP's
# own choice (Xavier for tanh and sigmoid, He for relu); the others are diffkit's schemes by name.
_NAIVE = {"small": 0.01, "large": 1.0}
INITS = ("small", "large", "default", "normal", "xavier", "kaiming")
NORMALIZATIONS = ("none", "layer", "batch")
DATA = ("digits", "synthetic")
MAX_DEPTH = 100  # guards against a mistyped size, not budgets (one network 100 x 256 takes about 10-20 s)
MAX_WIDTH = 1024
_SLOPE = 0.01  # "saturated": the activation's slope below this fraction of its largest
_INPUTS, _CLASSES = 64, 10  # the digits' 8x8 pixels and classes; the synthetic batch has the same shape
STATISTICS = ("activation_mean", "activation_std", "saturated", "weight_gradient_norm", "weight_gradient_std",
              "preactivation_gradient_norm", "preactivation_gradient_std")


@dataclass
class DepthStudy:
    """One row per configuration and hidden layer: ``{activation, init, normalization, layer, <STATISTICS>}``,
    with the network's depth and width, the batch's data and size, and the seed."""

    depth: int
    width: int
    data: str
    samples: int
    seed: int
    rows: list[dict] = field(default_factory=list)

    @property
    def configurations(self) -> list[tuple[str, str, str]]:
        """(activation, init, normalization) of every network, in the order run."""
        return list(dict.fromkeys((r["activation"], r["init"], r["normalization"]) for r in self.rows))

    def curve(self, configuration: tuple[str, str, str], statistic: str) -> np.ndarray:
        """One statistic of one configuration, layer by layer (layer 1 first)."""
        statistic = check.choice("statistic", statistic, STATISTICS)
        return np.array([r[statistic] for r in self.rows
                         if (r["activation"], r["init"], r["normalization"]) == tuple(configuration)])


def batch(data: str = "digits", samples: int = 256, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The study's fixed batch (X, labels): the first ``samples`` rows of the seeded, standardized digits training
    split, or (``"synthetic"``) standard-normal inputs of the same shape labelled by a seeded random linear map."""
    data = check.choice("data", data, DATA)
    samples = check.number("samples", samples, low=2, integer=True,
                           what="a whole number >= 2 (batch normalization needs two samples)")
    if data == "digits":
        X, y, _, _ = datasets.digits(seed=seed)
    else:
        rng = np.random.default_rng(seed)
        teacher = rng.standard_normal((_INPUTS, _CLASSES))  # drawn first: the same labelling for any batch size
        X = rng.standard_normal((samples, _INPUTS))
        y = np.argmax(X @ teacher, axis=1)
    if samples > len(X):
        raise check.OptionError(f"samples must be at most the {len(X):,} rows of the {data} training data, got "
                                f"{samples:,}")
    return X[:samples], y[:samples]


def network(activation: str, init: str, normalization: str, depth: int, width: int, seed: int = 0) -> nn.MLP:
    """The study's MLP for one configuration: 64 inputs, ``depth`` hidden layers of ``width``, 10 outputs."""
    sizes = [_INPUTS, *[width] * depth, _CLASSES]
    scheme = None if init in ("default", *_NAIVE) else init
    net = nn.MLP(sizes, activation=activation, loss="cross_entropy", init=scheme, seed=seed,
                 normalization=None if normalization == "none" else normalization)
    if init in _NAIVE:  # the naive draws: one fixed scale for every layer, the same draws as the other schemes
        rng = np.random.default_rng(seed)
        params = net.parameters()
        for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
            params[f"W{k}"] = _NAIVE[init] * rng.standard_normal((n_in, n_out))
        net.set_parameters(params)
    return net


def layer_statistics(net: nn.MLP, X: np.ndarray, y: np.ndarray) -> list[dict]:
    """One forward and one backward sweep of ``net``'s training loss on (X, y): per hidden layer the
    ``STATISTICS`` (see the module's docstring), from reverse mode's adjoints of the z_k, a_k and W_k nodes."""
    graph = net.layers_graph(X, y)
    plan = graph.plan
    with np.errstate(over="ignore", under="ignore"):  # a large init overflows exp in sigmoid: a finding, shown
        values, adjoints = node_adjoints(graph, graph.bind(net.parameters()))
    rows = []
    for k in range(1, len(net.sizes) - 1):
        z_slot, a_slot = plan.outputs[2 * k - 1], plan.outputs[2 * k]
        a = np.asarray(values[a_slot])
        weight = _or_zeros(adjoints[plan.variables[f"W{k}"]], net.sizes[k - 1:k + 1])
        delta = _or_zeros(adjoints[z_slot], np.shape(values[z_slot]))
        rows.append({"layer": k, "activation_mean": float(np.mean(a)), "activation_std": float(np.std(a)),
                     "saturated": float(np.mean(_slope(net.activation, a) < _SLOPE)),
                     "weight_gradient_norm": float(np.linalg.norm(weight)),
                     "weight_gradient_std": float(np.std(weight)),
                     "preactivation_gradient_norm": float(np.linalg.norm(delta)),
                     "preactivation_gradient_std": float(np.std(delta))})
    return rows


def _slope(activation: str, a: np.ndarray) -> np.ndarray:
    """The activation's slope at each unit as a fraction of its largest, from the activation's value."""
    if activation == "tanh":
        return 1.0 - a * a
    if activation == "sigmoid":
        return 4.0 * a * (1.0 - a)
    return (a > 0).astype(float)  # relu: slope 0 at and below 0 (diffkit's convention at 0)


def _or_zeros(adjoint, shape) -> np.ndarray:
    """An adjoint as an array: None (the loss does not depend on the node) is zeros."""
    return np.zeros(shape) if adjoint is None else np.asarray(adjoint)


def activations_vs_depth(depth: int = 12, width: int = 32, activations: Sequence[str] = ACTIVATIONS,
                         inits: Sequence[str] = ("small", "default", "large"),
                         normalizations: Sequence = ("none", "layer"),
                         data: str = "digits", samples: int = 256, seed: int = 0) -> DepthStudy:
    """Per-layer activation and gradient statistics of every (activation, init, normalization) network; see the
    module's docstring. ``normalizations`` take "none" (or None), "layer", "batch"."""
    depth = check.positive_int("depth", depth, high=MAX_DEPTH)
    width = check.positive_int("width", width, high=MAX_WIDTH)
    activations = check.names("activations", activations, ACTIVATIONS)
    inits = check.names("inits", inits, INITS)
    if isinstance(normalizations, list | tuple):  # None is a name here: "no normalization"
        normalizations = ["none" if name is None else name for name in normalizations]
    normalizations = check.names("normalizations", normalizations, NORMALIZATIONS)
    seed = check.seed("seed", seed, allow_none=False)
    X, y = batch(data, samples, seed)  # checks data and samples
    study = DepthStudy(depth, width, data, samples, seed)
    for activation in activations:
        for init in inits:
            for normalization in normalizations:
                net = network(activation, init, normalization, depth, width, seed)
                for row in layer_statistics(net, X, y):
                    study.rows.append({"activation": activation, "init": init, "normalization": normalization,
                                       **row})
    return study


def _g(x: float) -> str:
    """At most three significant digits: seeded numbers, but the last digits of a sum depend on its order."""
    return f"{x:.3g}"


def report(study: DepthStudy, every_layer: bool = False) -> str:
    """Per configuration: the first and last hidden layer's activation std and gradient norms, the ratio of the
    first layer's weight-gradient norm to the last's, and the most saturated layer; ``every_layer`` adds a
    table of every layer."""
    from ..text import text_table

    last = study.depth
    lines = [f"activations and gradients across depth: MLP 64-{study.width}x{study.depth}-10, cross-entropy, one "
             f"batch of {study.samples} {study.data} samples (seed {study.seed})", ""]
    rows = []
    for configuration in study.configurations:
        act = study.curve(configuration, "activation_std")
        weight = study.curve(configuration, "weight_gradient_norm")
        delta = study.curve(configuration, "preactivation_gradient_norm")
        ratio = weight[0] / weight[-1] if weight[-1] else float("inf")
        saturated = study.curve(configuration, "saturated")
        rows.append([*configuration, _g(act[0]), _g(act[-1]), _g(weight[0]), _g(weight[-1]), _g(ratio),
                     _g(delta[0]), _g(delta[-1]), f"{100 * saturated.max():.0f}%"])
    lines.extend(text_table(["activation", "init", "norm", "std a_1", f"std a_{last}", "|dW_1|", f"|dW_{last}|",
                             f"|dW_1|/|dW_{last}|", "|dz_1|", f"|dz_{last}|", "saturated (most)"], rows))
    lines.append("")
    lines.append("|dW_k|, |dz_k|: Frobenius norms of the loss's gradient with respect to layer k's weights and "
                 "pre-activations; saturated: units whose slope is below 1% of its largest")
    if every_layer:
        lines.append("")
        detail = [[r["activation"], r["init"], r["normalization"], str(r["layer"]),
                   *(_g(r[name]) for name in STATISTICS)] for r in study.rows]
        lines.extend(text_table(["activation", "init", "norm", "layer", "mean a", "std a", "saturated", "|dW|",
                                 "std dW", "|dz|", "std dz"], detail))
    return "\n".join(lines)


# Colours by activation (the Okabe-Ito palette of the other study plots), line styles by normalization, markers by
# initialization: one line per configuration, told apart by all three.
_COLORS = {"tanh": "#0072B2", "sigmoid": "#E69F00", "relu": "#009E73"}
_LINES = {"none": "-", "layer": "--", "batch": ":"}
_MARKERS = dict(zip(INITS, "ovsD^x", strict=True))


def plot(study: DepthStudy, path=None):
    """Three panels against the layer index (log scales): the activations' std, the weight-gradient norm and the
    pre-activation-gradient norm; saved to ``path`` when given. Returns the figure."""
    from ..draw.style import figure, save_figure

    fig = figure(figsize=(16, 4.8))
    axes = fig.subplots(1, 3)
    panels = (("activation_std", "std of the activations a_k"),
              ("weight_gradient_norm", "‖∂L/∂W_k‖ (weights)"),
              ("preactivation_gradient_norm", "‖∂L/∂z_k‖ (pre-activations)"))
    layers = np.arange(1, study.depth + 1)
    for configuration in study.configurations:
        activation, init, normalization = configuration
        for ax, (statistic, _) in zip(axes, panels, strict=True):
            ys = study.curve(configuration, statistic)
            keep = ys > 0  # a log axis cannot show a zero (every unit dead, or an underflow)
            ax.plot(layers[keep], ys[keep], color=_COLORS[activation], linestyle=_LINES[normalization],
                    marker=_MARKERS[init], markersize=3, label=f"{activation}, {init} init, {normalization}")
    for ax, (_, title) in zip(axes, panels, strict=True):
        ax.set_yscale("log")
        ax.set_xlabel("hidden layer k (1 = next to the input)")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel(f"MLP 64-{study.width}x{study.depth}-10, {study.samples} {study.data} samples")
    axes[2].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.subplots_adjust(right=0.83, wspace=0.3)
    if path is not None:
        save_figure(fig, path)
    return fig


__all__ = ["ACTIVATIONS", "DATA", "INITS", "MAX_DEPTH", "MAX_WIDTH", "NORMALIZATIONS", "STATISTICS", "DepthStudy",
           "activations_vs_depth", "batch", "layer_statistics", "network", "plot", "report"]
