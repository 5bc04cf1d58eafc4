"""A picture of a (small) MLP: layers of neurons, every weight a line whose width is |w| and colour its sign.

    >>> from diffkit import nn
    >>> from diffkit.draw.mlp import draw_mlp
    >>> fig = draw_mlp(nn.MLP([8, 3, 8], activation="sigmoid", loss="binary_cross_entropy"), path="encoder.png")
    >>> len(fig.axes[0].patches)                        # 8 + 3 + 8 neurons and 2 bias units
    21

Neurons are ``matplotlib.patches.Circle`` patches (one per neuron), bias units small squares ("1", feeding the
next layer with weights b_k). The weights of layer k form one ``LineCollection`` with gid ``"W{k}"``, its
biases one with gid ``"b{k}"`` (a segment per weight). Builds a ``matplotlib.figure.Figure`` directly,
never pyplot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import options as check
from ..errors import BindingError, DiffkitError
from ..keywords import checked_keywords
from . import style

if TYPE_CHECKING:  # matplotlib loads when a picture is drawn, not on import
    from matplotlib.figure import Figure

__all__ = ["draw_mlp"]

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_CMAP = "RdBu_r"  # blue negative, red positive
_LAYER_GAP = 4.0  # horizontal distance between layers, in neuron spacings


def _sub(i: int) -> str:
    return str(i).translate(_SUBSCRIPTS)


@checked_keywords
def draw_mlp(net, path=None, max_neurons: int = 64, title: str | None = None) -> Figure:
    """The network ``net`` (an ``nn.MLP``) as layers of neurons joined by its weights.

    Inputs are labelled x₁, x₂, ..., outputs y₁, y₂, ...; under each layer its size and activation. Each
    weight is a line from neuron i of layer k−1 to neuron j of layer k (W_k[i, j]); its width grows with |w|
    and its colour runs from blue (negative) through white to red (positive), on one scale for all weights
    and biases (the colour bar). With biases, each layer but the last has a bias unit (a square "1") whose
    lines to the next layer are the biases b_k.

    A layer wider than ``max_neurons`` makes the picture unreadable, so it raises DiffkitError: draw the
    tensor-level loss graph instead, ``dk.draw(net.loss_graph())``.
    """
    from matplotlib import colors as mcolors
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Circle, Rectangle

    from ..nn.mlp import MLP

    if not isinstance(net, MLP):
        raise BindingError(f"draw_mlp needs a diffkit.nn.MLP, got {type(net).__name__}")
    max_neurons = check.positive_int("max_neurons", max_neurons)
    path = check.path("path", path)
    title = check.text("title", title)
    sizes = list(net.sizes)
    widest = max(sizes)
    if widest > max_neurons:
        raise DiffkitError(
            f"draw_mlp: this network ({'-'.join(map(str, sizes))}) has a layer of {widest} neurons, more than "
            f"max_neurons={max_neurons}; a picture of every neuron and weight would be unreadable. Draw the "
            f"tensor-level loss graph instead, dk.draw(net.loss_graph()), or raise max_neurons")
    params = net.parameters()
    layers = len(sizes) - 1
    bias = bool(net.bias)

    # Geometry: neuron spacing 1, each column centred on y = 0 (top neuron first), layers ``gap`` apart; a
    # layer's bias unit sits one spacing above its column, like an extra neuron that is always 1.
    gap = max(_LAYER_GAP, 0.35 * widest)
    ys = [(n - 1) / 2 - np.arange(n) for n in sizes]
    xs = [k * gap for k in range(len(sizes))]
    radius = 0.32
    top = (widest - 1) / 2
    bias_ys = [(n - 1) / 2 + 1.25 for n in sizes]

    magnitude = max((float(np.max(np.abs(v))) for v in params.values() if v.size), default=0.0) or 1.0
    norm = mcolors.Normalize(-magnitude, magnitude)
    cmap = _colormap()
    segments_per_layer = max(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    thin = 0.25 if segments_per_layer > 400 else 0.4
    thick = 2.0 if segments_per_layer > 400 else 4.0

    bottom = -top - radius - 0.6  # layer labels hang below the tallest column
    x_low, x_high = xs[0] - 1.8, xs[-1] + 1.8
    y_low, y_high = bottom - 1.8, max(bias_ys[:-1] if bias else [top]) + (1.0 if bias else 0.6)
    scale = min(0.42, 12.5 / (y_high - y_low), 12.0 / (x_high - x_low))  # inches per unit
    fig = style.figure(figsize=(max((x_high - x_low) * scale + 1.4, 6.4), (y_high - y_low) * scale + 0.5),
                       dpi=style.DPI, layout="constrained")
    ax = fig.subplots()

    def lines(x0, y0s, x1, y1s, W, gid):
        segs, values = [], []
        for i, ya in enumerate(y0s):
            for j, yb in enumerate(y1s):
                segs.append([(x0, ya), (x1, yb)])
                values.append(W[i, j])
        values = np.asarray(values)
        order = np.argsort(np.abs(values), kind="stable")  # the strongest weights on top
        segs, values = [segs[i] for i in order], values[order]
        collection = LineCollection(segs, colors=cmap(norm(values)), linewidths=thin + (thick - thin) * np.abs(values)
                                    / magnitude, zorder=1, capstyle="round")
        collection.set_gid(gid)
        ax.add_collection(collection)

    for k in range(1, layers + 1):
        lines(xs[k - 1], ys[k - 1], xs[k], ys[k], params[f"W{k}"], f"W{k}")
        if bias:
            lines(xs[k - 1], [bias_ys[k - 1]], xs[k], ys[k], params[f"b{k}"][None, :], f"b{k}")

    face = {0: style.NODE_COLORS["variable"], len(sizes) - 1: style.NODE_COLORS["output"]}
    label_size = style.SMALL_FONT_SIZE if widest <= 24 else max(style.SMALL_FONT_SIZE - 2, 5)
    every = 1 if widest <= 24 else int(np.ceil(widest / 16))
    for k, (x, column) in enumerate(zip(xs, ys, strict=True)):
        for i, y in enumerate(column):
            ax.add_patch(Circle((x, y), radius, facecolor=face.get(k, style.NODE_COLORS["operation"]),
                                edgecolor=style.EDGE_COLOR, linewidth=0.9, zorder=3))
            labelled = i % every == 0 or i == len(column) - 1
            if k == 0 and labelled:
                ax.text(x - radius - 0.25, y, f"x{_sub(i + 1)}", ha="right", va="center", fontsize=label_size)
            elif k == len(sizes) - 1 and labelled:
                ax.text(x + radius + 0.25, y, f"y{_sub(i + 1)}", ha="left", va="center", fontsize=label_size)
        if bias and k < layers:
            bx, bias_y, side = x, bias_ys[k], 0.5
            ax.add_patch(Rectangle((bx - side / 2, bias_y - side / 2), side, side, facecolor=style.NODE_COLORS[
                "constant"], edgecolor=style.EDGE_COLOR, linewidth=0.9, zorder=3))
            ax.text(bx, bias_y, "1", ha="center", va="center", fontsize=style.SMALL_FONT_SIZE - 1, zorder=4)
            ax.text(bx, bias_y + side / 2 + 0.12, f"bias → b{_sub(k + 1)}", ha="center", va="bottom",
                    fontsize=style.SMALL_FONT_SIZE, color="#444444")

    for k, x in enumerate(xs):
        if k == 0:
            name, what = "input", f"{sizes[0]}"
        elif k == len(sizes) - 1:
            name, what = "output", f"{sizes[k]} · {net.output}"
        else:
            name, what = (f"hidden {k}" if layers > 2 else "hidden"), f"{sizes[k]} · {net.activation}"
        ax.text(x, bottom, f"{name}\n{what}", ha="center", va="top", fontsize=style.FONT_SIZE, linespacing=1.3)

    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_aspect("equal", adjustable="box")
    ax.axis("off")

    mappable = ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(mappable, ax=ax, shrink=min(0.7, 3.0 / fig.get_figheight() + 0.25), aspect=22, pad=0.02)
    bar.set_label("weight (line width ∝ |w|)", fontsize=style.SMALL_FONT_SIZE)
    bar.ax.tick_params(labelsize=style.SMALL_FONT_SIZE, length=2)
    bar.outline.set_visible(False)

    if title is None:
        title = f"MLP {'-'.join(map(str, sizes))}: {net.parameter_count:,} parameters, loss {net.loss_name}"
    if title:
        fig.suptitle(title, fontsize=style.FONT_SIZE + 1)
    style.save_figure(fig, path)
    return fig


def _colormap():
    """RdBu_r without its palest centre, so that a weight near 0 is still visible on white."""
    from matplotlib import colormaps
    from matplotlib import colors as mcolors

    base = colormaps[_CMAP]
    return mcolors.LinearSegmentedColormap.from_list(
        "diffkit_weights", [base(0.0), base(0.3), "#D9D9D9", base(0.7), base(1.0)])
