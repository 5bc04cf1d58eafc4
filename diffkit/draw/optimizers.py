"""Pictures of optimization: optimizer trajectories on a contour plot, and training curves of a History.

    >>> from diffkit import datasets, nn, optim
    >>> from diffkit.draw.optimizers import draw_optimizers, draw_history, ROSENBROCK
    >>> fig = draw_optimizers()                       # the lecture's ill-conditioned quadratic, 7 optimizers
    >>> fig = draw_optimizers(ROSENBROCK, values=True, path="rosenbrock.png")
    >>> X, y = datasets.xor()
    >>> net = nn.MLP([2, 4, 1], activation="tanh", loss="binary_cross_entropy", seed=0)
    >>> fig = draw_history(nn.train(net, X, y, optimizer=optim.Adam(lr=0.1), epochs=50, progress=False))

Every function builds a ``matplotlib.figure.Figure`` directly (never pyplot): it works headless, leaves
matplotlib's global state alone, and writes ``path`` (.png, .svg or .pdf, by suffix) when one is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .. import optim
from .. import options as check
from ..errors import BindingError
from ..keywords import checked_keywords
from . import style

if TYPE_CHECKING:  # matplotlib loads when a picture is drawn, not on import
    from matplotlib.figure import Figure

__all__ = ["QUADRATIC", "ROSENBROCK", "default_optimizers", "draw_history", "draw_optimizers"]

# The lecture's ill-conditioned quadratic: Hessian diag(8, 2/15) (condition number 60), minimum at (0, -3).
QUADRATIC = "4*x**2 + (y+3)**2/15"
# Rosenbrock's banana valley: minimum 0 at (1, 1), reached along a long curved valley.
ROSENBROCK = "(1-x)**2 + 100*(y-x**2)**2"

# Colours for extra trajectories (a second optimizer of one class, or an unknown subclass).
_SPARE_COLORS = ("#7F7F7F", "#8C564B", "#17BECF", "#BCBD22", "#9467BD", "#2CA02C", "#1F77B4", "#FF7F0E")
_CONTOUR_LINE = "#A7B3C0"
_TRAIN_COLOR = "#0072B2"
_VALIDATION_COLOR = "#E69F00"
_FLOOR = 1e-16  # on a log axis of values, nothing is shown below this fraction of the largest


@dataclass(frozen=True)
class _Preset:
    """Defaults that make a clear picture of one expression."""

    start: tuple[float, float]
    steps: int
    minimum: tuple[float, float]
    log_levels: bool
    bounds: tuple[float, float, float, float] | None
    optimizers: Callable[[], list[optim.Optimizer]]


def _quadratic_optimizers() -> list[optim.Optimizer]:
    # Hessian diag(8, 2/15): GD is stable for lr < 2/8; lr = 0.2 overshoots in x (factor 1 - 1.6 = -0.6 a step:
    # the zig-zag) while it crawls along y (factor 1 - 0.2*2/15 ≈ 0.973 a step) -- the ill-conditioning.
    # Momentum and Nesterov share lr and momentum, so the picture shows what the look-ahead changes.
    return [
        optim.GD(lr=0.2),
        optim.Momentum(lr=0.05, momentum=0.9),
        optim.Nesterov(lr=0.05, momentum=0.9),
        optim.AdaGrad(lr=1.0),
        optim.RMSProp(lr=0.1),
        optim.Adam(lr=0.2),
        optim.Newton(lr=1.0),
    ]


def _rosenbrock_optimizers() -> list[optim.Optimizer]:
    # The Hessian's large eigenvalue is ~1000-1400 along the path, so GD needs lr < ~0.0015; everyone else is
    # tuned to get well into the valley in 500 steps. Newton is damped (lr = 0.5): undamped it jumps far out.
    return [
        optim.GD(lr=0.0015),
        optim.Momentum(lr=0.001, momentum=0.9),
        optim.Nesterov(lr=0.001, momentum=0.9),
        optim.AdaGrad(lr=1.0),
        optim.RMSProp(lr=0.01),
        optim.Adam(lr=0.1),
        optim.Newton(lr=0.5),
    ]


_PRESETS = {
    QUADRATIC: _Preset((-2.5, 2.0), 50, (0.0, -3.0), False, None, _quadratic_optimizers),
    ROSENBROCK: _Preset((-1.2, 1.0), 500, (1.0, 1.0), True, (-2.0, 2.0, -1.0, 3.0), _rosenbrock_optimizers),
}


def _preset(expr) -> _Preset | None:
    if not isinstance(expr, str):
        return None
    key = re.sub(r"\s+", "", expr)
    return next((p for text, p in _PRESETS.items() if re.sub(r"\s+", "", text) == key), None)


def default_optimizers(expr=QUADRATIC) -> list[optim.Optimizer]:
    """New instances of the optimizers ``draw_optimizers`` uses by default on ``expr``.

    GD, Momentum, Nesterov, AdaGrad, RMSProp, Adam and Newton, with learning rates tuned for the quadratic
    (``QUADRATIC``, also used for any expression without its own preset) or for ``ROSENBROCK``.
    """
    preset = _preset(expr) or _PRESETS[QUADRATIC]
    return preset.optimizers()


# --- small helpers shared by the pictures -------------------------------------------------------------------

def _save(fig: Figure, path) -> None:
    """Write ``fig`` to ``path`` when given, in the format its suffix names."""
    style.save_figure(fig, path)


def _clean(ax) -> None:
    """No chart junk: no top/right spines, small ticks."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=style.SMALL_FONT_SIZE, length=3)


def _pretty(text: str) -> str:
    """Expression text for a title: ``4*x**2 + (y+3)**2/15`` -> ``4x² + (y+3)²/15``."""
    superscripts = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
    text = re.sub(r"\*\*(-?\d+)(?![.\d])", lambda m: m.group(1).translate(superscripts), text)
    text = re.sub(r"(\d)\*(?=[A-Za-z_(])", r"\1", text)
    return text.replace("*", "·")


@lru_cache(maxsize=1)
def _contour_cmap():
    """White to pale blue-grey: the contour levels stay behind the trajectories."""
    from matplotlib import colors as mcolors

    return mcolors.LinearSegmentedColormap.from_list("diffkit_contour", ["#FFFFFF", "#C9D3DE"])


def _is_light(color) -> bool:
    from matplotlib import colors as mcolors

    r, g, b = mcolors.to_rgb(color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.75  # yellow needs an outline on a pale background


# --- draw_optimizers ----------------------------------------------------------------------------------------

def _graph_of(expr):
    from ..convert import as_graph

    graph = as_graph(expr)
    shown = expr if isinstance(expr, str) else None
    if not graph.is_scalar_output:
        raise BindingError(f"draw_optimizers needs an expression with one output; this one has {len(graph.outputs)}")
    if graph.is_tensor:
        raise BindingError("draw_optimizers draws a function of two scalar variables; this graph has tensor "
                           "operations (for a network's training, draw its History with draw_history)")
    variables = graph.variables
    if len(variables) != 2:
        what = f"{len(variables)} variable{'s' if len(variables) != 1 else ''}"
        listed = f" ({', '.join(variables)})" if variables else ""
        raise BindingError(f"draw_optimizers draws a contour plot over exactly two variables; the expression "
                           f"{shown or 'given'!s} has {what}{listed}")
    if shown is None:
        try:
            shown = graph.expression(limit=80)
        except Exception:  # a title is not worth failing for
            shown = f"f({', '.join(variables)})"
    return graph, variables, shown


def _start_point(start, variables, preset) -> dict:
    if start is None:
        if preset is None:
            raise BindingError(f"draw_optimizers: give a start point for this expression, e.g. "
                               f"start={{{variables[0]!r}: 1.0, {variables[1]!r}: 1.0}} or start=(1.0, 1.0)")
        start = preset.start
    if isinstance(start, Mapping):
        if set(start) != set(variables):
            raise BindingError(f"draw_optimizers: start must give exactly the variables {', '.join(variables)}, "
                               f"got {', '.join(map(str, start))}")
        values = [start[v] for v in variables]
    elif isinstance(start, Sequence) and not isinstance(start, str) and len(start) == 2:
        values = list(start)
    else:
        raise BindingError(f"draw_optimizers: start must be a dict {{variable: value}} or a pair "
                           f"({variables[0]}, {variables[1]}), got {start!r}")
    point = {}
    for v, value in zip(variables, values, strict=True):
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise BindingError(f"draw_optimizers: start value of {v!r} must be a real number, got {value!r}")
        if not np.isfinite(value):
            raise BindingError(f"draw_optimizers: start value of {v!r} must be finite, got {value!r}")
        point[v] = float(value)
    return point


def _optimizer_list(optimizers, expr) -> list[tuple[str | None, optim.Optimizer]]:
    """(label or None, optimizer) pairs from None, a sequence of optimizers / names, or a {label: optimizer}."""
    if optimizers is None:
        return [(None, o) for o in default_optimizers(expr)]
    defaults = {o.name: o for o in default_optimizers(expr)}
    if isinstance(optimizers, optim.Optimizer | str):
        optimizers = [optimizers]
    if isinstance(optimizers, Mapping):
        items = [(str(label), o) for label, o in optimizers.items()]
    elif isinstance(optimizers, Sequence):
        items = [(None, o) for o in optimizers]
    else:
        raise BindingError(f"optimizers must be a list of diffkit.optim optimizers (e.g. [optim.Adam(lr=0.1)]) or "
                           f"a dict {{label: optimizer}}, got {type(optimizers).__name__}")
    if not items:
        raise BindingError("optimizers is empty: give at least one optimizer")
    out = []
    for label, o in items:
        if isinstance(o, str):
            if o not in defaults:
                raise BindingError(f"unknown optimizer name {o!r}; by name: {', '.join(defaults)} (with the "
                                   "default learning rates), or pass optimizer objects such as optim.Adam(lr=0.1)")
            o = defaults[o]
        if not isinstance(o, optim.Optimizer):
            raise BindingError(f"optimizers must be diffkit.optim optimizers (e.g. optim.Adam(lr=0.1)), got {o!r}")
        out.append((label, o))
    return out


def _colors(optimizers) -> list[str]:
    used, spare, out = set(), iter(_SPARE_COLORS), []
    for o in optimizers:
        color = next((style.OPTIMIZER_COLORS[c.__name__] for c in type(o).__mro__
                      if c.__name__ in style.OPTIMIZER_COLORS), None)
        if color is None or color in used:
            color = next(spare, "#7F7F7F")
        used.add(color)
        out.append(color)
    return out


def _box(trajectories, start, minimum, bounds) -> tuple[float, float, float, float]:
    if bounds is not None:
        try:
            x0, x1, y0, y1 = (float(b) for b in bounds)
        except (TypeError, ValueError):
            raise BindingError(f"bounds must be (xmin, xmax, ymin, ymax), got {bounds!r}") from None
        if not (np.all(np.isfinite([x0, x1, y0, y1])) and x0 < x1 and y0 < y1):
            raise BindingError(f"bounds must be finite with xmin < xmax and ymin < ymax, got {bounds!r}")
        return x0, x1, y0, y1
    points = [np.array([list(start)])] + [t.points[np.all(np.isfinite(t.points), axis=1)] for t in trajectories]
    if minimum is not None:
        points.append(np.array([minimum]))
    allp = np.concatenate(points)
    low, high = allp.min(axis=0), allp.max(axis=0)
    span = high - low
    span = np.where(span > 0, span, np.maximum(np.abs(high), 1.0))
    span = np.maximum(span, 0.25 * span.max())  # neither side of the box much narrower than the other
    middle = (low + high) / 2
    half = span / 2 * 1.15 + 0.05 * span.max()
    return middle[0] - half[0], middle[0] + half[0], middle[1] - half[1], middle[1] + half[1]


# More contour levels than this cannot be told apart in a picture (and 10**400 of them cannot be allocated).
MAX_LEVELS = 1000


def _checked_levels(levels):
    """``levels``: a whole number of levels in 2..MAX_LEVELS, or a list of at least two finite level values."""
    if isinstance(levels, list | tuple | np.ndarray):
        try:
            values = np.unique(np.asarray(levels, dtype=np.float64))
        except (TypeError, ValueError):
            values = np.array([np.nan])
        if values.ndim != 1 or values.size < 2 or not np.all(np.isfinite(values)):
            raise check.OptionError(f"levels as a list must hold at least two different finite numbers, got "
                                    f"{check.shown(levels)}")
        return values
    return check.number("levels", levels, low=2, high=MAX_LEVELS, integer=True,
                        what=f"a whole number in 2..{MAX_LEVELS} or a list of values")


def _checked_minimum(minimum) -> tuple[float, float]:
    """A known minimizer: a pair (x, y) or a dict {variable: value} of two finite numbers."""
    items = list(minimum.values()) if isinstance(minimum, Mapping) else minimum
    if isinstance(items, list | tuple | np.ndarray) and len(items) == 2:
        try:
            point = tuple(check.number("minimum", m) for m in items)
        except check.OptionError:
            point = None
        if point is not None:
            return point
    raise check.OptionError(f"minimum must be a point (x, y) of finite numbers, got {check.shown(minimum)}")


def _contour_levels(Z: np.ndarray, levels, log: bool):
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise BindingError("draw_optimizers: the expression is not finite anywhere in the plotted box; give bounds")
    if not isinstance(levels, int | np.integer) or isinstance(levels, bool):
        chosen = np.unique(np.asarray(levels, dtype=np.float64))
        return chosen, log and chosen.min() > 0
    if levels < 2:
        raise BindingError(f"levels must be a whole number >= 2 or a list of values, got {levels!r}")
    low, high = float(finite.min()), float(np.percentile(finite, 99.5))
    if high <= low:
        high = low + 1.0
    if log and low >= 0 and high > 0:  # at most four decades: below them, the lowest colour
        return np.geomspace(max(low, high * 1e-4), high, int(levels)), True
    # Square-spaced levels: evenly spaced rings around a quadratic minimum instead of rings crowding the rim.
    return low + (high - low) * np.linspace(0.0, 1.0, int(levels) + 1)[1:] ** 2, False


def _legend_label(label, o: optim.Optimizer, t: optim.Trajectory) -> str:
    name = label or f"{o.name}, lr={style.fmt(o.lr, 3)}"
    final = style.fmt(t.final_value, 3) if np.isfinite(t.final_value) else "diverged"
    return f"{name}: {t.steps} step{'s' if t.steps != 1 else ''}, f = {final}"


@checked_keywords
def draw_optimizers(expr=QUADRATIC, start=None, optimizers=None, steps: int | None = None, bounds=None, path=None,
                    levels=30, title: str | None = None, values: bool = False, minimum=None) -> Figure:
    """Contour plot of a two-variable expression with each optimizer's trajectory from the same start.

    ``expr``: text, SymPy, a Graph or a function of exactly two variables (x on the horizontal axis: the first
    of ``graph.variables``). ``QUADRATIC`` (default) and ``ROSENBROCK`` come with tuned defaults for
    ``start``, ``steps``, ``bounds``, the optimizers and their learning rates, log-spaced levels (Rosenbrock)
    and the known ``minimum``; other expressions need ``start`` and get the quadratic's optimizers.

    ``start``: {variable: value} or a pair. ``optimizers``: a list of ``diffkit.optim`` optimizers (or names of
    the default ones: ``["GD", "Adam"]``), or a dict {legend label: optimizer}; each runs
    ``optim.minimize(expr, start, optimizer, steps)`` (which resets it). ``steps``: the step budget (default:
    50, or 500 on Rosenbrock). ``bounds``: (xmin, xmax, ymin, ymax); by default a box around every trajectory.
    ``levels``: the number of contour levels or their values. ``values=True`` adds a second panel of
    f(θ_t) − f* (or f(θ_t) when the minimum is unknown) against t on a log axis. ``minimum``: a known
    minimizer (x, y), marked with a star.

    Each trajectory is one ``Line2D`` in the contour axes (``fig.axes[0].get_lines()``, in the order of
    ``optimizers``), through every iterate; start, ends and minimum are scatter markers.
    """
    from matplotlib import colors as mcolors
    from matplotlib import patheffects
    from matplotlib.ticker import LogLocator, MaxNLocator

    path, title = check.path("path", path), check.text("title", title)
    values = check.flag("values", values)
    levels = _checked_levels(levels)
    preset = _preset(expr)
    graph, variables, shown = _graph_of(expr)
    point = _start_point(start, variables, preset)
    pairs = _optimizer_list(optimizers, expr)
    if steps is None:
        steps = preset.steps if preset else 50
    if minimum is None and preset is not None:
        minimum = preset.minimum
    if minimum is not None:
        minimum = _checked_minimum(minimum)
    if bounds is None and preset is not None:
        bounds = preset.bounds
    log = preset.log_levels if preset else False

    trajectories = [optim.minimize(graph, point, o, steps=steps) for _, o in pairs]
    colors = _colors([o for _, o in pairs])
    x0, x1, y0, y1 = _box(trajectories, (point[variables[0]], point[variables[1]]), minimum, bounds)

    # The surface, evaluated on a grid (a graph's arrays are batches of independent points).
    X, Y = np.meshgrid(np.linspace(x0, x1, 241), np.linspace(y0, y1, 241))
    Z = np.asarray(graph.evaluate({variables[0]: X, variables[1]: Y}, errors="ignore"), dtype=np.float64)
    Z = np.broadcast_to(Z, X.shape)
    chosen, log = _contour_levels(Z, levels, log)
    f_star = float(graph.evaluate(dict(zip(variables, minimum, strict=True)), errors="ignore")) if minimum else None

    many = max(t.steps for t in trajectories) > 120
    width = 11.5 if values else 8.2
    fig = style.figure(figsize=(width, 5.6), dpi=style.DPI, layout="constrained")
    if values:
        ax, vax = fig.subplots(1, 2, width_ratios=[1.15, 1])
    else:
        ax, vax = fig.subplots(1, 1), None

    norm = mcolors.LogNorm(chosen[0], chosen[-1]) if log else mcolors.Normalize(chosen[0], chosen[-1])
    Zc = np.where(np.isfinite(Z), Z, np.nan)
    if log:
        Zc = np.where(Zc > 0, Zc, chosen[0])
    filled = ax.contourf(X, Y, Zc, levels=chosen, cmap=_contour_cmap(), norm=norm, extend="both")
    ax.contour(X, Y, Zc, levels=chosen, colors=_CONTOUR_LINE, linewidths=0.6, alpha=0.8, negative_linestyles="solid")
    bar = fig.colorbar(filled, ax=ax, shrink=0.8, pad=0.015, aspect=35, spacing="proportional", extend="neither")
    bar.set_label(f"f({', '.join(variables)})", fontsize=style.SMALL_FONT_SIZE)
    bar.ax.tick_params(labelsize=style.SMALL_FONT_SIZE, length=2)
    bar.outline.set_visible(False)
    bar.locator = LogLocator(numticks=8) if log else MaxNLocator(6)
    bar.update_ticks()

    size, width = (1.6, 1.1) if many else (3.2, 1.4)  # hundreds of iterates: thinner, so overlaps stay legible
    for (label, o), t, color in zip(pairs, trajectories, colors, strict=True):
        effects = [patheffects.withStroke(linewidth=width + 0.8, foreground="#666666")] if _is_light(color) else None
        line = ax.plot(t.points[:, 0], t.points[:, 1], color=color, lw=width, marker="o", ms=size,
                       mec="#555555" if _is_light(color) else color, mew=0.4, label=_legend_label(label, o, t),
                       zorder=3, path_effects=effects)[0]
        line.set_gid(f"trajectory:{label or o.name}")
        end = t.points[-1]
        if np.all(np.isfinite(end)):
            ax.scatter([end[0]], [end[1]], s=46, marker="s", color=color, edgecolors="#222222", linewidths=0.8,
                       zorder=4)
    start_xy = (point[variables[0]], point[variables[1]])
    ax.scatter(*start_xy, s=90, marker="o", facecolors="white", edgecolors="black", linewidths=1.6, zorder=5,
               label=f"start ({style.fmt(start_xy[0])}, {style.fmt(start_xy[1])})")
    if minimum is not None:
        ax.scatter(*minimum, s=170, marker="*", color="#FFD700", edgecolors="black", linewidths=0.9, zorder=6,
                   label=f"minimum ({style.fmt(minimum[0])}, {style.fmt(minimum[1])})")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(variables[0], fontsize=style.FONT_SIZE)
    ax.set_ylabel(variables[1], fontsize=style.FONT_SIZE, rotation=0, labelpad=8)
    _clean(ax)
    handles, labels = ax.get_legend_handles_labels()

    if vax is not None:
        _draw_values(vax, pairs, trajectories, colors, f_star)

    legend_kw = dict(fontsize=style.SMALL_FONT_SIZE, frameon=False, handlelength=2.2, borderaxespad=0.2)
    if values:
        fig.legend(handles, labels, loc="outside lower center", ncols=3, **legend_kw)
    else:
        fig.legend(handles, labels, loc="outside right center", ncols=1, **legend_kw)
    fig.suptitle(title if title is not None else f"f({', '.join(variables)}) = {_pretty(shown)}",
                 fontsize=style.FONT_SIZE + 1)
    _save(fig, path)
    return fig


def _draw_values(ax, pairs, trajectories, colors, f_star) -> None:
    """f(θ_t) − f* (or f(θ_t)) against t on a log axis, one line per optimizer.

    Values at or below a floor (an exact 0, say: Newton on a quadratic) are drawn at the floor with a ▼, so
    one optimizer that hits the minimum exactly does not squash everybody else's curves.
    """
    from matplotlib import patheffects
    from matplotlib.ticker import LogLocator, MaxNLocator

    everything = np.concatenate([t.values for t in trajectories])
    everything = everything[np.isfinite(everything)]
    shift = f_star if f_star is not None and np.isfinite(f_star) else 0.0
    gaps = everything - shift
    log = gaps.size > 0 and bool(np.all(gaps >= 0)) and bool(np.any(gaps > 0))
    floor = None
    if log:
        positive = gaps[gaps > 0]
        floor = max(float(positive.min()) / 30, float(positive.max()) * _FLOOR)
    many = max(t.steps for t in trajectories) > 120
    for (label, o), t, color in zip(pairs, trajectories, colors, strict=True):
        v = t.values - shift
        effects = [patheffects.withStroke(linewidth=2.2, foreground="#666666")] if _is_light(color) else None
        low = np.zeros(len(v), dtype=bool)
        if log:
            low = np.isfinite(v) & (v < floor)
            v = np.where(low, floor, v)
        ax.plot(np.arange(len(v)), v, color=color, lw=1.4, marker=None if many else "o", ms=2.2,
                label=label or o.name, path_effects=effects)
        if np.any(low):
            ax.scatter(np.flatnonzero(low), v[low], marker="v", s=28, color=color, edgecolors="#333333",
                       linewidths=0.5, zorder=3)
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(numticks=9))
    what = f"f(θₜ) − f*,  f* = {style.fmt(shift)}" if shift else "f(θₜ)"
    ax.set_ylabel(what + (" (log scale)" if log else ""), fontsize=style.FONT_SIZE)
    clipped = log and np.any(gaps < floor)
    ax.set_title("value at each step" + (f" (▼: below {style.fmt(floor, 2)})" if clipped else ""),
                 fontsize=style.SMALL_FONT_SIZE)
    ax.set_xlabel("step t", fontsize=style.FONT_SIZE)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0, max(max(t.steps for t in trajectories), 1))
    ax.grid(True, which="major", color="#E5E5E5", lw=0.6)
    ax.set_axisbelow(True)
    _clean(ax)


# --- draw_history -------------------------------------------------------------------------------------------

def _histories(history) -> list[tuple[str | None, object]]:
    from ..nn.train import History

    if isinstance(history, History):
        return [(None, history)]
    if isinstance(history, Mapping) and history and all(isinstance(h, History) for h in history.values()):
        return [(str(k), h) for k, h in history.items()]
    raise BindingError(f"draw_history needs a diffkit.nn History (what nn.train returns) or a dict {{label: "
                       f"History}}, got {type(history).__name__}")


@checked_keywords
def draw_history(history, path=None, title: str | None = None) -> Figure:
    """Training curves of ``nn.train``'s History: loss (and validation loss) against epochs, and beside it the
    accuracy (and validation accuracy) when the network is a classifier.

    Training is solid, validation dashed. The loss axis is logarithmic when the loss spans more than two
    decades. ``history`` may also be a dict {label: History} to compare runs (one colour per run, from the
    optimizer colours when the label names an optimizer).
    """
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    path, title = check.path("path", path), check.text("title", title)
    runs = _histories(history)
    if not any(h.loss for _, h in runs):
        raise BindingError("draw_history: the History is empty (no epochs were trained)")
    has_accuracy = any(h.accuracy or h.val_accuracy for _, h in runs)
    fig = style.figure(figsize=(10.0 if has_accuracy else 6.0, 4.2), dpi=style.DPI, layout="constrained")
    axes = fig.subplots(1, 2) if has_accuracy else [fig.subplots(1, 1)]
    loss_ax = axes[0]
    acc_ax = axes[1] if has_accuracy else None

    spare = iter(_SPARE_COLORS)
    losses = []
    for label, h in runs:
        if len(runs) == 1:
            train_color, val_color = _TRAIN_COLOR, _VALIDATION_COLOR
        else:
            train_color = style.OPTIMIZER_COLORS.get(label.split()[0] if label else "", None) or next(spare, "gray")
            val_color = train_color
        prefix = f"{label}: " if label else ""
        epochs = np.arange(1, len(h.loss) + 1)
        series = [(h.loss, h.accuracy, "training", train_color, "-"),
                  (h.val_loss, h.val_accuracy, "validation", val_color, "--")]
        for loss, accuracy, what, color, dash in series:
            if loss:
                losses.extend(loss)
                loss_ax.plot(epochs[:len(loss)], loss, color=color, ls=dash, lw=1.6,
                             label=f"{prefix}{what} (final {style.fmt(loss[-1], 3)})")
            if accuracy and acc_ax is not None:
                acc_ax.plot(epochs[:len(accuracy)], accuracy, color=color, ls=dash, lw=1.6,
                            label=f"{prefix}{what} (final {100 * accuracy[-1]:.1f}%)")

    finite = np.asarray([v for v in losses if np.isfinite(v)])
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
        loss_ax.set_yscale("log")
        loss_ax.set_ylabel("loss (log scale)", fontsize=style.FONT_SIZE)
    else:
        loss_ax.set_ylabel("loss", fontsize=style.FONT_SIZE)
        if finite.size and finite.min() >= 0:
            loss_ax.set_ylim(bottom=0)
    loss_ax.set_title("loss", fontsize=style.FONT_SIZE)
    axes_list = [loss_ax] + ([acc_ax] if acc_ax is not None else [])
    if acc_ax is not None:
        acc_ax.set_title("accuracy", fontsize=style.FONT_SIZE)
        acc_ax.set_ylabel("accuracy", fontsize=style.FONT_SIZE)
        acc_ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        low = min(min(a) for _, h in runs for a in (h.accuracy, h.val_accuracy) if a)
        acc_ax.set_ylim(max(0.0, min(low, 0.9) - 0.05), 1.02)
    longest = max(len(h.loss) for _, h in runs)
    for ax in axes_list:
        ax.set_xlabel("epoch", fontsize=style.FONT_SIZE)
        ax.set_xlim(1, max(longest, 2))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, which="major", color="#E5E5E5", lw=0.6)
        ax.set_axisbelow(True)
        _clean(ax)
        ax.legend(fontsize=style.SMALL_FONT_SIZE, frameon=False, loc="best")
    if title is None and len(runs) == 1:
        h = runs[0][1]
        title = f"training: {len(h.loss)} epochs, {h.steps} steps"
    if title:
        fig.suptitle(title, fontsize=style.FONT_SIZE + 1)
    _save(fig, path)
    return fig
