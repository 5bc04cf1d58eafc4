"""Diagrams of computation graphs with matplotlib: the structure, and the numbers each method puts on it.

``draw(g)`` shows the nodes the outputs depend on in layers, inputs on the left and outputs on the right (see
``layout``). With a point (``at``) it can write on every node its forward value, its adjoint ∂y/∂node (reverse
mode, with the local partial ∂node/∂arg on every edge the backward sweep uses) or its tangent d node/d x (forward
mode). Nodes used more than once (*fan-out*: where adjoints sum over paths) have a green border.

Everything is drawn on ``matplotlib.figure.Figure`` objects, never through pyplot: drawing works headless and
leaves matplotlib's global state alone. Geometry is laid out in inches, so a figure made here shows its text at
the sizes of ``style`` at 100% zoom whatever the graph's size.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .. import options as check
from ..convert import as_graph
from ..errors import BindingError, MethodError
from ..evaluation import run_plan
from ..graph import Graph
from ..keywords import checked_keywords
from ..methods.reverse import ADJOINT_PART, GRADIENT_NAMES
from ..ops import NUMPY
from ..plan import CONST, VAR
from ..views import node_text
from . import style
from .layout import Layout, layered_layout

if TYPE_CHECKING:  # matplotlib loads when a picture is drawn, not on import
    from matplotlib.figure import Figure

SHOWS = ("values", "adjoints", "tangents")
NON_COMMUTATIVE = ("sub", "div", "pow", "matmul", "maximum", "minimum")
POSITION_TEXT = ("1st", "2nd", "3rd")

# Geometry, in inches at scale 1.
_PAD_X = 0.12  # text to box side
_PAD_Y = 0.07  # text to box top and bottom
_LINE = 1.3  # line height, in font sizes
_MIN_WIDTH = 0.5
_LAYER_GAP = 0.6  # between the boxes of adjacent layers (arrows)
_ROW_GAP = 0.3  # between boxes of one layer
_DUMMY_GAP = 0.16  # next to an edge passing through a layer
_MARGIN = 0.2
_LEGEND_ROW = 0.22  # a row of the legend of node colours
_KEY_ROW = 0.2  # a row of the key to the numbers
_KEY_GAP = 0.35  # between the key's entries
_PLAIN_GREY = "#333333"
_ADJOINT_BORDER = {"edgecolor": style.ADJOINT_COLOR, "linestyle": "--", "linewidth": 1.4}
_POSITION_GREY = "#777777"


# --- what to draw ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of text in a node's box."""

    text: str
    color: str
    size: float
    kind: str  # "label", "value", "adjoint", "tangent"
    weight: str = "normal"


@dataclass
class Scene:
    """The text of a diagram: lines per node (None: a line left blank), edge labels, highlights, legend."""

    lines: dict[str, list[Line | None]]
    edge_labels: dict[tuple[str, str, int], str] = field(default_factory=dict)
    highlight: dict[str, str] = field(default_factory=dict)  # node -> border colour
    hot_edges: dict[tuple[str, str, int], str] = field(default_factory=dict)  # edge -> colour
    legend: list[tuple[str, str]] = field(default_factory=list)  # the key to the numbers: (kind, text)
    title: str = ""
    subtitle: str = ""


@checked_keywords
def draw(graph_or_expr, at=None, show: str | None = None, wrt: str | None = None, precision: int = 4,
         path: str | os.PathLike | None = None, ax=None, title: str | None = None) -> Figure:
    """Draw a computation graph as a layered diagram and return the matplotlib Figure.

    ``graph_or_expr`` is anything ``dk.as_graph`` accepts (text, a Graph, a SymPy expression, a function).
    ``show`` chooses what is written on the nodes:

    * ``None``: the structure only (with ``at`` given, the values, as for "values");
    * ``"values"``: each node's forward value at ``at`` ("= 11.65");
    * ``"adjoints"``: each node's adjoint ∂y/∂node at ``at`` ("adj = 5.5", y the first output), the local partial
      ∂node/∂arg on each edge the backward sweep uses ("VJP" on edges into tensor primitives), and the values;
    * ``"tangents"``: each node's tangent d node/d wrt at ``at`` ("d/dx1 = 5.5"; forward mode, seeded with 1 —
      for a tensor variable the direction of all ones), and the values.

    Numbers show ``precision`` significant digits; arrays show their shape. ``path`` also saves the figure (the
    format from the suffix: .png, .svg, .pdf). ``ax`` draws into an existing Axes instead of a new Figure (the
    diagram, text included, is then scaled to fit that Axes). ``title`` replaces the default title (the
    expression; "" for none); the line saying what the numbers are stays.

    Raises MethodError for an unknown ``show`` or a bad ``precision``, BindingError when ``at`` or ``wrt`` is
    missing or wrong, and DiffkitError for graphs of more than ``layout.MAX_NODES`` nodes.
    """
    path = check.path("path", path)
    title = check.text("title", title)
    graph = as_graph(graph_or_expr)
    show = _checked_show(show, at, wrt)
    precision = _checked_precision(precision)
    layout = layered_layout(graph)
    scene = annotated(graph, at, show, wrt, precision)
    if title is not None:
        scene.title = title
    geometry = Geometry.of(graph, layout, scene)
    if ax is not None:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise check.OptionError(f"ax must be a matplotlib Axes to draw into (or None for a new figure), got "
                                    f"{check.shown(ax)}")
    if ax is None:
        fig = style.figure(figsize=geometry.figsize, dpi=style.DPI)
        ax = fig.add_axes((0, 0, 1, 1))
    else:  # fit the diagram (text included) to the Axes
        fig = ax.figure
        box = ax.get_position()
        width, height = fig.get_size_inches()
        scale = min(box.width * width / geometry.figsize[0], box.height * height / geometry.figsize[1])
        geometry = Geometry.of(graph, layout, scene, scale=scale)
    render(ax, graph, layout, geometry, scene)
    if path is not None:
        save(fig, path)
    return fig


def to_svg(graph_or_expr) -> str:
    """The structure diagram of ``draw(graph)`` as SVG text (for Jupyter's ``_repr_svg_``)."""
    buffer = io.StringIO()
    draw(graph_or_expr).savefig(buffer, format="svg")
    return buffer.getvalue()


def save(fig: Figure, path) -> None:
    """Save a figure; the format comes from the file's suffix."""
    style.save_figure(fig, path, error=MethodError)


# --- checks ---------------------------------------------------------------------------------------------------


def _checked_show(show, at, wrt) -> str | None:
    if show is not None and (not isinstance(show, str) or show not in SHOWS):
        raise check.OptionError(f"unknown show={check.shown(show)}; choose one of None (structure only), "
                          f"{', '.join(repr(s) for s in SHOWS)}")
    if show is None and at is not None:
        show = "values"
    if show is not None and at is None:
        raise BindingError(f"show={show!r} needs a point: give at={{variable: value, ...}}")
    if wrt is not None and show != "tangents":
        raise MethodError("wrt is used with show='tangents' (a tangent is taken along one variable)")
    return show


def _checked_precision(precision) -> int:
    return check.number("precision", precision, low=1, integer=True,
                        what="a positive whole number of significant digits")


def checked_variable(graph: Graph, wrt, what: str = "show='tangents'") -> str:
    """One variable of the graph, by name."""
    names = ", ".join(graph.variables) or "none"
    if wrt is None:
        raise BindingError(f"{what} needs wrt: the variable to differentiate by (one of: {names})")
    if not isinstance(wrt, str) or wrt not in graph.variables:
        raise BindingError(f"wrt={wrt!r} is not a variable of the graph; its variables: {names}")
    return wrt


# --- numbers on the graph -------------------------------------------------------------------------------------


def role(graph: Graph, node: str) -> str:
    """"output", "variable", "constant", "operation" or "adjoint" (an operation a gradient graph added): the key
    of the node's colour in style.NODE_COLORS."""
    if node in graph.outputs:
        return "output"
    op = graph.nx.nodes[node]["op"]
    if op not in (VAR, CONST) and is_adjoint(graph, node):
        return "adjoint"
    return {VAR: "variable", CONST: "constant"}.get(op, "operation")


def is_adjoint(graph: Graph, node: str) -> bool:
    """Whether the node belongs to the adjoint computation reverse mode added (``dk.gradient_graph``)."""
    return bool(graph.nx.nodes[node].get(ADJOINT_PART))


def adjoint_nodes(graph: Graph) -> list[str]:
    return [node for node in graph.plan.nodes if is_adjoint(graph, node)]


def gradient_outputs(graph: Graph) -> set[str]:
    """The output nodes that are a gradient graph's gradients (by the names ``dk.gradient_graph`` gave them)."""
    names = set(graph.nx.graph.get(GRADIENT_NAMES, ()))
    return {node for name, node in zip(graph.output_names, graph.outputs, strict=True) if name in names}


def node_label(data: Mapping) -> str:
    """A node's label with its parameters: ``sum(axis=1)``, ``[1:, 0]`` (as the DOT export writes them)."""
    return node_text(data)


def label_line(graph: Graph, node: str) -> Line:
    """The node's label; operator symbols (+, -, *, /, @, **) a little larger, as thin glyphs read small."""
    text = node_label(graph.nx.nodes[node])
    symbol = graph.nx.nodes[node]["op"] not in (VAR, CONST) and not any(c.isalnum() for c in text)
    return Line(text, "#000000", style.FONT_SIZE + (3 if symbol else 0), "label")


def value_line(value, precision: int, primary: bool) -> Line:
    size = style.FONT_SIZE if primary else style.SMALL_FONT_SIZE
    return Line(f"= {style.fmt(value, precision)}", style.VALUE_COLOR, size, "value")


def adjoint_line(adjoint, precision: int) -> Line:
    return Line(f"adj = {style.fmt(adjoint, precision)}", style.ADJOINT_COLOR, style.FONT_SIZE, "adjoint")


def partial_text(primitive, i: int, out, args: list, precision: int) -> str:
    """The local partial ∂out/∂args[i] at the point, as an edge label ("VJP" for tensor primitives)."""
    if primitive.tensor:
        return "VJP"
    with np.errstate(all="ignore"):
        partial = primitive.partials[i](NUMPY, out, *args)
    if type(partial) is int:  # a structural constant
        return str(partial)
    return style.fmt(partial, precision)


def point_text(graph: Graph, bound: Mapping, precision: int) -> str:
    return ", ".join(f"{name} = {style.fmt(bound[name], precision)}" for name in graph.variables)


def default_title(graph: Graph) -> str:
    limit = max(30, 110 // len(graph.outputs))
    return ";  ".join(f"{name} = {graph.expression(node, limit=limit)}"
                      for name, node in zip(graph.output_names, graph.outputs, strict=True))


def _gradient_titles(graph: Graph, scene: Scene) -> None:
    """A gradient graph's titles: the original function above, the gradient it computes below."""
    pairs = list(zip(graph.output_names, graph.outputs, strict=True))
    gradient = gradient_outputs(graph)
    original = [(name, node) for name, node in pairs if node not in gradient]
    derived = [(name, node) for name, node in pairs if node in gradient]
    limit = max(30, 110 // max(len(derived), 1))
    gradient = ";  ".join(f"{name} = {graph.expression(node, limit=limit)}" for name, node in derived)
    if original:
        scene.title = ";  ".join(f"{name} = {graph.expression(node, limit=110)}" for name, node in original)
        scene.subtitle = f"extended by reverse mode's gradient (dashed): {gradient}"
    else:
        scene.title = gradient
        scene.subtitle = "reverse mode's gradient graph (adjoint computation dashed)"


def forward_values(graph: Graph, bound: Mapping) -> list:
    with np.errstate(all="ignore"):
        return run_plan(graph.plan, bound)


def annotated(graph: Graph, at, show: str | None, wrt, precision: int) -> Scene:
    """The text of a diagram: labels, and the numbers ``show`` asks for at ``at``."""
    plan = graph.plan
    lines = {node: [label_line(graph, node)] for node in plan.nodes}
    scene = Scene(lines, title=default_title(graph))
    if adjoint_nodes(graph):
        _gradient_titles(graph, scene)
    if show is None:
        return scene
    if show == "tangents":
        wrt = checked_variable(graph, wrt)
    bound = graph.bind(at)
    where = f"at {point_text(graph, bound, precision)}"
    if show == "values":
        for node, value in zip(plan.nodes, forward_values(graph, bound), strict=True):
            lines[node].append(value_line(value, precision, primary=True))
        scene.subtitle = f"forward values {where}"
        scene.legend = [("value", "= forward value")]
    elif show == "adjoints":
        from ..methods.reverse import node_adjoints

        with np.errstate(all="ignore"):
            values, adjoints = node_adjoints(graph, bound)
        for node, value, adjoint in zip(plan.nodes, values, adjoints, strict=True):
            lines[node].append(value_line(value, precision, primary=False))
            lines[node].append(adjoint_line(adjoint, precision) if adjoint is not None else None)
        for step, targets, _ in plan.backward_program(tuple(graph.variables)):
            if adjoints[step.out] is None:
                continue
            args = [values[a] for a in step.args]
            for i, a in targets:
                key = (plan.nodes[a], step.node, i)
                scene.edge_labels[key] = partial_text(step.primitive, i, values[step.out], args, precision)
        y = graph.output_names[0]
        scene.subtitle = f"reverse mode: adjoints ∂{y}/∂node {where}"
        scene.legend = [("value", "= forward value"), ("adjoint", f"adj = ∂{y}/∂node"),
                        ("partial", "edge: local partial ∂node/∂arg")]
    else:
        from ..methods.forward import node_tangents

        with np.errstate(all="ignore"):
            values, tangents = node_tangents(graph, bound, {wrt: np.float64(1.0)})
        for node, value, tangent in zip(plan.nodes, values, tangents, strict=True):
            lines[node].append(value_line(value, precision, primary=False))
            lines[node].append(Line(f"d/d{wrt} = {style.fmt(0.0 if tangent is None else tangent, precision)}",
                                    style.VALUE_COLOR, style.FONT_SIZE, "tangent"))
        scene.subtitle = f"forward mode: tangents d node/d{wrt} {where}"
        scene.legend = [("value", "= forward value"), ("tangent", f"d/d{wrt} = tangent")]
    return scene


# --- geometry -------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _text_to_path():
    from matplotlib.textpath import TextToPath

    return TextToPath()


@lru_cache(maxsize=4096)
def text_width(text: str, size: float, weight: str = "normal") -> float:
    """Width of a line of text in inches."""
    from matplotlib.font_manager import FontProperties

    if not text:
        return 0.0
    width, _, _ = _text_to_path().get_text_width_height_descent(text, FontProperties(size=size, weight=weight),
                                                                ismath=False)
    return width / 72.0


def _line_height(size: float) -> float:
    return size * _LINE / 72.0


@dataclass
class Geometry:
    """Where everything goes, in inches (times ``scale``): box centres and sizes, line offsets, bounds."""

    centre: dict[str, tuple[float, float]]  # real nodes and dummies
    half_width: dict[str, float]  # dummies: half the width of their layer (an edge crosses it straight)
    size: dict[str, tuple[float, float]]  # real nodes: (width, height)
    line_y: dict[str, list[float]]  # per node: each line's offset from the box centre
    bounds: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax of the diagram (title, legend excluded)
    scale: float
    top: float  # room above the diagram for the title
    bottom: float  # room below for the legend
    legend_columns: int
    key_rows: list  # the key to the numbers, in rows (see key_layout)
    routes: dict = field(default_factory=dict)  # edge -> the points it passes: start, (dummy sides), end
    label_at: dict = field(default_factory=dict)  # edge -> where its label (a local partial) goes

    @property
    def figsize(self) -> tuple[float, float]:
        xmin, xmax, ymin, ymax = self.bounds
        return (xmax - xmin, ymax - ymin + self.top + self.bottom)

    @property
    def limits(self) -> tuple[float, float, float, float]:
        xmin, xmax, ymin, ymax = self.bounds
        return (xmin, xmax, ymin - self.bottom, ymax + self.top)

    @classmethod
    def of(cls, graph: Graph, layout: Layout, scene: Scene, scale: float = 1.0, legend: bool = True) -> Geometry:
        s = scale
        size, line_y = {}, {}
        slots = max(len(lines) for lines in scene.lines.values())
        line_sizes = []  # the font size of each line slot: the largest found in it
        for k in range(slots):
            found = [lines[k].size for lines in scene.lines.values() if len(lines) > k and lines[k] is not None]
            line_sizes.append(max(found) if found else style.SMALL_FONT_SIZE)
        heights = [_line_height(f) * s for f in line_sizes]
        for node, lines in scene.lines.items():
            width = max((text_width(line.text, line.size, line.weight) for line in lines if line is not None),
                        default=0.0) * s
            # a box is as tall as its lines, up to the last one it ever shows (constants have no adjoint)
            used = max((k + 1 for k, line in enumerate(lines) if line is not None), default=1)
            box_height = sum(heights[:used]) + 2 * _PAD_Y * s
            size[node] = (max(width + 2 * _PAD_X * s, _MIN_WIDTH * s), box_height)
            offsets, y = [], box_height / 2 - _PAD_Y * s
            for h in heights[:used]:
                offsets.append(y - h / 2)
                y -= h
            line_y[node] = offsets

        # Layers left to right: room for the widest box, and between layers for arrows and edge labels.
        widest_label = max((text_width(t, style.SMALL_FONT_SIZE) for t in scene.edge_labels.values()), default=0.0)
        gap = max(_LAYER_GAP, widest_label + 0.45) * s
        centre: dict[str, tuple[float, float]] = {}
        half_width: dict[str, float] = {}
        x = 0.0
        for index, layer in enumerate(layout.layers):
            width = max((size[n][0] for n in layer if n in size), default=0.0)
            if index:
                x += gap + width / 2
            else:
                x = width / 2
            items = [(n, size[n][1] if n in size else 0.0) for n in layer]
            ys, y = [], 0.0
            for k, (node, height) in enumerate(items):
                if k:
                    previous = items[k - 1]
                    both_real = node in size and previous[0] in size
                    y -= (previous[1] + height) / 2 + (_ROW_GAP if both_real else _DUMMY_GAP) * s
                ys.append(y)
            shift = -(ys[0] + ys[-1]) / 2 if ys else 0.0
            for (node, _), y in zip(items, ys, strict=True):
                centre[node] = (x, y + shift)
                if node not in size:
                    half_width[node] = width / 2
            x += width / 2

        # Bounds: boxes, output names on the right.
        names = _output_names(graph)
        xs0, xs1, ys0, ys1 = [], [], [], []
        for node, (w, h) in size.items():
            cx, cy = centre[node]
            right = cx + w / 2
            if node in names:
                right += 0.1 * s + text_width(names[node], style.FONT_SIZE, "bold") * s
            xs0.append(cx - w / 2)
            xs1.append(right)
            ys0.append(cy - h / 2)
            ys1.append(cy + h / 2)
        for _, cy in centre.values():
            ys0.append(cy)
            ys1.append(cy)
        m = _MARGIN * s
        xmin, xmax, ymin, ymax = min(xs0) - m, max(xs1) + m, min(ys0) - m, max(ys1) + m

        # Title above (and wide enough), legend below.
        title_lines = [(scene.title, style.FONT_SIZE + 1, "bold"), (scene.subtitle, style.FONT_SIZE, "normal")]
        title_lines = [t for t in title_lines if t[0]]
        top = sum(_line_height(size) for _, size, _ in title_lines) * s + (0.12 * s if title_lines else 0.0)
        title_width = max((text_width(t, size, w) for t, size, w in title_lines), default=0.0) * s
        entries = [text for text, _ in role_entries(graph)] if legend else []
        entry_widths = [text_width(text, style.SMALL_FONT_SIZE) * s + 0.55 * s for text in entries]
        keys = key_entries(scene) if legend else []
        key_widths = [text_width(text, style.SMALL_FONT_SIZE) * s for text, _ in keys]
        minimum_width = max(title_width, max(entry_widths, default=0.0), max(key_widths, default=0.0),
                            2.5 * s) + 2 * m + 0.2 * s
        if xmax - xmin < minimum_width:
            extra = (minimum_width - (xmax - xmin)) / 2
            xmin, xmax = xmin - extra, xmax + extra
        columns, rows = _legend_grid(entry_widths, xmax - xmin - 2 * m)
        key_rows = key_layout(keys, xmax - xmin - 2 * m, s)
        bottom = (rows * _LEGEND_ROW + len(key_rows) * _KEY_ROW) * s + (0.05 * s if rows or key_rows else 0.0)
        routes = _routes(layout, centre, size, half_width)
        label_at = _place_labels(graph, layout, routes, scene.edge_labels, s)
        return cls(centre, half_width, size, line_y, (xmin, xmax, ymin, ymax), s, top, bottom, columns, key_rows,
                   routes, label_at)


def _legend_grid(widths: list[float], room: float) -> tuple[int, int]:
    """Columns and rows of a legend whose entries (of these widths) fit the room."""
    if not widths:
        return 0, 0
    for columns in range(len(widths), 0, -1):
        rows = -(-len(widths) // columns)
        column_widths = [max(widths[c::columns]) for c in range(columns)]
        if sum(column_widths) <= room or columns == 1:
            return columns, rows
    return 1, len(widths)


def key_layout(keys: list[tuple[str, str]], room: float, s: float) -> list[list[tuple[str, str, float]]]:
    """The key's entries (text, colour) in rows that fit the room, each entry with its width."""
    rows: list[list[tuple[str, str, float]]] = []
    used = 0.0
    for text, colour in keys:
        width = text_width(text, style.SMALL_FONT_SIZE) * s
        if rows and used + _KEY_GAP * s + width <= room:
            rows[-1].append((text, colour, width))
            used += _KEY_GAP * s + width
        else:
            rows.append([(text, colour, width)])
            used = width
    return rows


def draw_key(artist, rows: list, x_centre: float, y_top: float, s: float, transform) -> None:
    """Write the key's rows, centred on ``x_centre`` below ``y_top`` (inches, in ``transform``'s units);
    ``artist`` is an Axes or a Figure."""
    y = y_top
    for row in rows:
        y -= _KEY_ROW * s / 2
        x = x_centre - (sum(w for _, _, w in row) + _KEY_GAP * s * (len(row) - 1)) / 2
        for text, colour, width in row:
            artist.text(x, y, text, ha="left", va="center", fontsize=style.SMALL_FONT_SIZE * s, color=colour,
                        transform=transform, parse_math=False, gid="key")
            x += width + _KEY_GAP * s
        y -= _KEY_ROW * s / 2


def _output_names(graph: Graph) -> dict[str, str]:
    names: dict[str, list[str]] = {}
    for name, node in zip(graph.output_names, graph.outputs, strict=True):
        names.setdefault(node, []).append(name)
    return {node: ", ".join(n) for node, n in names.items()}


def _fanout(graph: Graph) -> set[str]:
    """Nodes used more than once (counting ``x*x`` twice): their adjoints sum contributions over paths.
    Constants are left out: no adjoint flows into them."""
    uses = Counter(arg for node in graph.plan.nodes for arg in graph.nx.nodes[node].get("args", ()))
    return {node for node, count in uses.items() if count > 1 and graph.nx.nodes[node]["op"] != CONST}


def role_entries(graph: Graph) -> list[tuple[str, dict]]:
    """The legend of node colours (and of the fan-out border, when some node has it): (text, Patch keywords)."""
    roles = {role(graph, n) for n in graph.plan.nodes}
    entries = [(key, {"facecolor": style.NODE_COLORS[key], "edgecolor": style.EDGE_COLOR})
               for key in ("variable", "constant", "operation", "output") if key in roles]
    if adjoint_nodes(graph):
        entries.append(("adjoint computation (reverse mode)", {"facecolor": style.NODE_COLORS["adjoint"],
                                                               **_ADJOINT_BORDER}))
    if _fanout(graph):
        entries.append(("fan-out: adjoints sum over paths",
                        {"facecolor": "white", "edgecolor": style.FANOUT_COLOR, "linewidth": 2}))
    return entries


def key_entries(scene: Scene) -> list[tuple[str, str]]:
    """The key to the numbers: each kind of text in its own colour."""
    colours = {"value": style.VALUE_COLOR, "tangent": style.VALUE_COLOR, "adjoint": style.ADJOINT_COLOR,
               "partial": style.ADJOINT_COLOR}
    return [(text, colours[kind]) for kind, text in scene.legend]


def draw_legend(artist, graph: Graph, columns: int, s: float, **where) -> None:
    """The legend of node colours on an Axes or a Figure."""
    from matplotlib.patches import Patch

    handles = [Patch(label=text, **kw) for text, kw in role_entries(graph)]
    artist.legend(handles=handles, ncol=columns, frameon=False, fontsize=style.SMALL_FONT_SIZE * s,
                  handlelength=1.4, handleheight=0.9, columnspacing=1.2, borderaxespad=0.0, handletextpad=0.5,
                  **where)


# --- rendering ------------------------------------------------------------------------------------------------


def render(ax, graph: Graph, layout: Layout, geometry: Geometry, scene: Scene, legend: bool = True) -> None:
    """Draw a scene into an Axes whose data units are inches (times ``geometry.scale``)."""
    from matplotlib.patches import FancyBboxPatch

    s = geometry.scale
    ax.set_axis_off()
    xmin, xmax, ymin, ymax = geometry.limits
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    fanout = _fanout(graph)
    _draw_edges(ax, graph, layout, geometry, scene)
    names = _output_names(graph)
    gradient = gradient_outputs(graph)
    for node in graph.plan.nodes:
        cx, cy = geometry.centre[node]
        w, h = geometry.size[node]
        adjoint = is_adjoint(graph, node)
        border, width = style.EDGE_COLOR, 1.0
        if node in fanout:
            border, width = style.FANOUT_COLOR, 2.0
        if adjoint:  # the part a node belongs to matters more in a gradient graph than its fan-out
            border, width = _ADJOINT_BORDER["edgecolor"], _ADJOINT_BORDER["linewidth"]
        if node in scene.highlight:
            border, width = scene.highlight[node], 3.0
        ax.add_patch(FancyBboxPatch(
            (cx - w / 2, cy - h / 2), w, h, boxstyle=f"round,pad=0,rounding_size={0.07 * s}",
            facecolor=style.NODE_COLORS[role(graph, node)], edgecolor=border, linewidth=width * s, zorder=3,
            linestyle="--" if adjoint else "-", gid=f"node:{node}",
        ))
        for line, dy in zip(scene.lines[node], geometry.line_y[node], strict=False):
            if line is None or not line.text:
                continue
            ax.text(cx, cy + dy, line.text, ha="center", va="center", fontsize=line.size * s, color=line.color,
                    fontweight=line.weight, zorder=4, gid=f"{line.kind}:{node}", parse_math=False)
        if node in names:
            ax.text(cx + w / 2 + 0.1 * s, cy, names[node], ha="left", va="center", fontsize=style.FONT_SIZE * s,
                    fontweight="bold", color=style.ADJOINT_COLOR if node in gradient else _PLAIN_GREY, zorder=4,
                    gid=f"output:{node}", parse_math=False)
    # title, subtitle, legend and key
    y = ymax - 0.06 * s
    for text, size, weight in ((scene.title, style.FONT_SIZE + 1, "bold"), (scene.subtitle, style.FONT_SIZE, "normal")):
        if text:
            y -= _line_height(size) * s / 2
            ax.text((xmin + xmax) / 2, y, text, ha="center", va="center", fontsize=size * s, fontweight=weight,
                    color=_PLAIN_GREY, zorder=5, parse_math=False, gid="title")
            y -= _line_height(size) * s / 2
    if legend:
        key_height = len(geometry.key_rows) * _KEY_ROW * s
        bottom = ymin + 0.05 * s
        draw_key(ax, geometry.key_rows, (xmin + xmax) / 2, bottom + key_height, s, ax.transData)
        if geometry.legend_columns:
            draw_legend(ax, graph, geometry.legend_columns, s, loc="lower center",
                        bbox_to_anchor=((xmin + xmax) / 2, bottom + key_height + 0.02 * s),
                        bbox_transform=ax.transData)


def _attach_points(layout: Layout, centre: dict, size: dict) -> dict[tuple, tuple[tuple, tuple]]:
    """For each edge, where it leaves its argument's box (right side) and enters its node's box (left side):
    spread over the side in the order of the other ends, so arrows neither overlap nor cross at the boxes."""
    outgoing: dict[str, list] = {}
    incoming: dict[str, list] = {}
    for edge in layout.edges:
        key = (edge.arg, edge.node, edge.position)
        first = edge.via[0] if edge.via else edge.node
        last = edge.via[-1] if edge.via else edge.arg
        outgoing.setdefault(edge.arg, []).append((-centre[first][1], edge.position, key))
        incoming.setdefault(edge.node, []).append((-centre[last][1], edge.position, key))
    starts, ends = {}, {}
    for table, side, result in ((outgoing, 1, starts), (incoming, -1, ends)):
        for node, items in table.items():
            items.sort()
            cx, cy = centre[node]
            w, h = size[node]
            spread = 0.3 * h
            for k, (_, _, key) in enumerate(items):
                dy = spread * (1 - 2 * k / (len(items) - 1)) if len(items) > 1 else 0.0
                result[key] = (cx + side * w / 2, cy + dy)
    return {key: (starts[key], ends[key]) for key in starts}


def _routes(layout: Layout, centre: dict, size: dict, half_width: dict) -> dict[tuple, list]:
    """Each edge's points: its start, both sides of every layer it crosses (straight, between that layer's
    boxes), its end. Between consecutive pairs of points it crosses a gap between layers."""
    ends = _attach_points(layout, centre, size)
    routes = {}
    for edge in layout.edges:
        key = (edge.arg, edge.node, edge.position)
        start, end = ends[key]
        points = [start]
        for dummy in edge.via:
            (x, y), half = centre[dummy], half_width[dummy]
            points += [(x - half, y), (x + half, y)]
        points.append(end)
        routes[key] = points
    return routes


def _curve(p0, p1, t):
    """The point at ``t`` (a number or an array) of the S-curve from p0 to p1 (a cubic leaving and arriving
    horizontally)."""
    (x0, y0), (x1, y1) = p0, p1
    a, b, c = 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
    return (x0 + (x1 - x0) * ((a + b) / 2 + c), y0 + (y1 - y0) * (b + c))


_LABEL_T = (0.5, 0.62, 0.38, 0.72, 0.28)  # where on its last curve an edge label may go, in order of preference


def _place_labels(graph: Graph, layout: Layout, routes: dict, labels: Mapping, s: float) -> dict:
    """Where each edge label goes: on the last curve of its edge (the gap before the node whose partial it is),
    at the first place that overlaps no label placed before it, no position mark, and as few other edges as
    possible (two curves through one gap tend to cross at their middles)."""
    if not labels:
        return {}
    height = _line_height(style.SMALL_FONT_SIZE) * s
    pad = 0.05 * s
    ts = np.linspace(0.0, 1.0, 25)
    curves: dict[int, list] = {}  # the curves crossing each gap: (edge, samples)
    for edge in layout.edges:
        key = (edge.arg, edge.node, edge.position)
        points = routes[key]
        for j, (p0, p1) in enumerate(zip(points[::2], points[1::2], strict=True)):
            curves.setdefault(layout.layer_of[edge.arg] + j, []).append((key, np.array(_curve(p0, p1, ts)).T))
    samples = {gap: (np.stack([c for _, c in found]), {k: i for i, (k, _) in enumerate(found)})
               for gap, found in curves.items()}
    taken: dict[int, list] = {}  # per gap, the boxes already used: labels and position marks
    for edge in layout.edges:
        if graph.nx.nodes[edge.node]["op"] in NON_COMMUTATIVE:
            x, y = routes[(edge.arg, edge.node, edge.position)][-1]
            w = text_width(POSITION_TEXT[edge.position], style.SMALL_FONT_SIZE - 1) * s
            taken.setdefault(layout.layer_of[edge.node] - 1, []).append((x - 0.05 * s - w, x - 0.05 * s, y,
                                                                         y + 0.15 * s))
    placed = {}
    for edge in layout.edges:
        key = (edge.arg, edge.node, edge.position)
        if not labels.get(key):
            continue
        gap = layout.layer_of[edge.node] - 1
        points = routes[key]
        p0, p1 = points[-2], points[-1]
        half_w = text_width(labels[key], style.SMALL_FONT_SIZE) * s / 2 + pad
        half_h = height / 2 + pad / 2
        others, index = samples[gap]
        mine = index[key]
        boxes = taken.setdefault(gap, [])
        best = None
        for rank, t in enumerate(_LABEL_T):
            x, y = _curve(p0, p1, t)
            box = (x - half_w, x + half_w, y - half_h, y + half_h)
            clashes = sum(1 for b in boxes if _overlap(box, b))
            inside = ((others[..., 0] >= box[0]) & (others[..., 0] <= box[1])
                      & (others[..., 1] >= box[2]) & (others[..., 1] <= box[3])).any(axis=1)
            inside[mine] = False
            score = (clashes, int(inside.sum()), rank)
            if best is None or score < best[0]:
                best = (score, (x, y), box)
        placed[key] = best[1]
        boxes.append(best[2])
    return placed


def _overlap(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def _draw_edges(ax, graph: Graph, layout: Layout, geometry: Geometry, scene: Scene) -> None:
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    s = geometry.scale
    for edge in layout.edges:
        key = (edge.arg, edge.node, edge.position)
        points = geometry.routes[key]
        vertices, codes = [points[0]], [Path.MOVETO]
        for k, ((x0, y0), (x1, y1)) in enumerate(zip(points, points[1:], strict=False)):
            if k % 2:  # through a layer
                vertices.append((x1, y1))
                codes.append(Path.LINETO)
            else:  # across a gap between layers: an S-curve leaving and arriving horizontally
                dx = (x1 - x0) / 2
                vertices += [(x0 + dx, y0), (x1 - dx, y1), (x1, y1)]
                codes += [Path.CURVE4] * 3
        colour = scene.hot_edges.get(key, style.EDGE_COLOR)
        hot = key in scene.hot_edges
        ax.add_patch(FancyArrowPatch(
            path=Path(vertices, codes), arrowstyle="-|>", mutation_scale=11 * s, color=colour,
            linewidth=(2.2 if hot else 1.1) * s, zorder=2 if hot else 1, gid=f"edge:{edge.arg}->{edge.node}",
        ))
        end = points[-1]
        if graph.nx.nodes[edge.node]["op"] in NON_COMMUTATIVE:
            ax.text(end[0] - 0.05 * s, end[1] + 0.025 * s, POSITION_TEXT[edge.position], ha="right", va="bottom",
                    fontsize=(style.SMALL_FONT_SIZE - 1) * s, color=_POSITION_GREY, style="italic", zorder=4,
                    gid=f"position:{edge.arg}->{edge.node}", parse_math=False)
        label = scene.edge_labels.get(key)
        if label:
            x, y = geometry.label_at[key]
            ax.text(x, y, label, ha="center", va="center", fontsize=style.SMALL_FONT_SIZE * s,
                    color=style.ADJOINT_COLOR, zorder=5, gid=f"partial:{edge.arg}->{edge.node}@{edge.position}",
                    parse_math=False,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.9})


__all__ = ["SHOWS", "draw", "to_svg"]
