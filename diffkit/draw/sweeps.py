"""Reverse mode step by step: the forward sweep filling in values, then the backward sweep passing adjoints.

``draw_sweeps(g, at)`` gives one frame per step, as a grid of panels (a figure, or a .png) or as an animated GIF.
The backward frames follow the engine's own sweep (``Plan.backward_program``): each step takes its node's adjoint
and adds adjoint × local partial to each argument's adjoint, so a node used twice (fan-out) is seen receiving two
contributions before its adjoint is complete.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .. import options as check
from ..backward import Adjoints
from ..backward import backward as walk_backward
from ..convert import as_graph
from ..errors import BindingError, MethodError
from ..graph import Graph
from ..keywords import checked_keywords
from . import style
from .dag import (
    Geometry,
    Line,
    Scene,
    _checked_precision,
    default_title,
    draw_key,
    draw_legend,
    forward_values,
    key_entries,
    key_layout,
    label_line,
    partial_text,
    point_text,
    render,
    role_entries,
    save,
)
from .layout import layered_layout

if TYPE_CHECKING:  # matplotlib loads when a picture is drawn, not on import
    from matplotlib.figure import Figure

MAX_PANEL_STEPS = 12  # a grid of panels is drawn for graphs of up to this many steps; beyond, write a GIF
_PANEL_SCALE = 0.85


@dataclass(frozen=True)
class Frame:
    """One picture of the sweeps: what is written on the graph, and what the step did."""

    scene: Scene
    phase: str  # "forward" or "backward"


@checked_keywords
def draw_sweeps(graph_or_expr, at, wrt=None, path: str | os.PathLike | None = None, precision: int = 4,
                fps: float = 1) -> Figure:
    """Reverse mode at ``at`` as a sequence of frames: the forward sweep, then the backward sweep.

    Frames, in order:

    * 1 frame with the inputs' values (variables and constants);
    * 1 frame per forward step (``len(graph.plan.steps)``), each adding one node's value, in topological order;
    * 1 frame with the first output's seed adjoint 1;
    * 1 frame per backward step that has a derivative to pass on — the steps of ``plan.backward_program(wrt)``
      (nodes depending on a ``wrt`` variable) whose adjoint is not zero — each highlighting its node and adding
      adjoint × local partial to its arguments' adjoints (the partials are written on the edges).

    So ``frames = len(plan.steps) + backward steps + 2``; when every step depends on a variable (as in
    ``log(x1) + x1*x2 - sin(x2)``: 5 + 5 + 2 = 12) that is ``2 * len(plan.steps) + 2``.

    ``wrt``: the variables to differentiate by (a name or a list; default all). ``path`` ending in ``.gif``
    writes an animated GIF (``fps`` frames per second) and returns the figure, showing the last frame. Otherwise
    the frames are panels of one figure (saved to ``path`` if given: .png, .svg, .pdf), for graphs of up to
    ``MAX_PANEL_STEPS`` steps; larger graphs raise MethodError (write a GIF instead).
    """
    path = check.path("path", path)
    graph = as_graph(graph_or_expr)
    precision = _checked_precision(precision)
    fps = check.number("fps", fps, low=0, low_open=True, what="a positive number of frames per second")
    if at is None:
        raise BindingError("draw_sweeps needs a point: give at={variable: value, ...}")
    names = _checked_wrt(graph, wrt)
    gif = path is not None and os.fspath(path).lower().endswith(".gif")
    if not gif and len(graph.plan.steps) > MAX_PANEL_STEPS:
        raise MethodError(
            f"this graph has {len(graph.plan.steps)} steps; a grid of panels is drawn for up to {MAX_PANEL_STEPS}: "
            "write an animation instead, e.g. draw_sweeps(..., path='sweeps.gif')"
        )
    layout = layered_layout(graph)
    frames = sweep_frames(graph, at, names, precision)
    sizing = _sizing_scene(frames)
    if gif:
        return _animation(graph, layout, frames, sizing, path, fps)
    fig = _panels(graph, layout, frames, sizing)
    if path is not None:
        save(fig, path)
    return fig


def frame_count(graph: Graph, at, wrt=None) -> int:
    """How many frames ``draw_sweeps`` makes for this graph and point."""
    graph = as_graph(graph)
    return len(sweep_frames(graph, at, _checked_wrt(graph, wrt), 4))


def _checked_wrt(graph: Graph, wrt) -> tuple[str, ...]:
    if wrt is not None and not isinstance(wrt, str | list | tuple):
        raise check.OptionError(f"wrt must be a variable's name or a list of them, got {check.shown(wrt)}")
    names = graph.variables if wrt is None else ((wrt,) if isinstance(wrt, str) else tuple(wrt))
    unknown = [n for n in names if n not in graph.variables]
    if unknown:
        raise BindingError(f"not variables of the graph: {', '.join(map(str, unknown))}; its variables: "
                           f"{', '.join(graph.variables) or 'none'}")
    if not names:
        raise BindingError("the graph has no variables to differentiate by")
    return tuple(names)


# --- the frames -----------------------------------------------------------------------------------------------


def sweep_frames(graph: Graph, at, wrt: tuple[str, ...], precision: int) -> list[Frame]:
    """Every frame's scene (see ``draw_sweeps`` for the sequence)."""
    plan = graph.plan
    bound = graph.bind(at)
    values = forward_values(graph, bound)
    title = default_title(graph)
    where = point_text(graph, bound, precision)
    labels = {node: label_line(graph, node) for node in plan.nodes}
    value_lines = {node: Line(f"= {style.fmt(v, precision)}", style.VALUE_COLOR, style.FONT_SIZE, "value")
                   for node, v in zip(plan.nodes, values, strict=True)}
    blank: dict[str, Line | None] = dict.fromkeys(plan.nodes)
    legend = [("value", "= forward value"), ("adjoint", f"adj = ∂{graph.output_names[0]}/∂node"),
              ("partial", "edge: local partial ∂node/∂arg")]

    def scene(shown_values, adjoints, subtitle, highlight=None, hot=None, edge_labels=None) -> Scene:
        lines = {node: [labels[node], value_lines[node] if node in shown_values else None, adjoints[node]]
                 for node in plan.nodes}
        return Scene(lines, dict(edge_labels or {}), dict(highlight or {}), dict(hot or {}), legend, title,
                     subtitle)

    frames = []
    shown = {node for node in plan.nodes if graph.nx.nodes[node]["op"] in ("var", "const")}
    frames.append(Frame(scene(set(shown), blank, f"forward sweep: inputs at {where}"), "forward"))
    S = len(plan.steps)
    for k, step in enumerate(plan.steps, 1):
        shown.add(step.node)
        hot = {(graph.nx.nodes[step.node]["args"][i], step.node, i): style.VALUE_COLOR
               for i in range(len(step.args))}
        text = f"forward {k}/{S}: {_expression(graph, step.node)} = {style.fmt(values[step.out], precision)}"
        frames.append(Frame(scene(set(shown), blank, text, {step.node: style.VALUE_COLOR}, hot), "forward"))

    # The backward sweep, as the engine runs it, with a snapshot after each step.
    output = plan.outputs[0]
    seed = np.ones(np.shape(values[output])) if np.ndim(values[output]) else np.float64(1.0)
    adjoints: list = [None] * plan.size
    adjoints[output] = seed
    name = graph.output_names[0]

    def adjoint_lines(adjoints: list):
        return {node: None if a is None else Line(f"adj = {style.fmt(a, precision)}", style.ADJOINT_COLOR,
                                                  style.FONT_SIZE, "adjoint")
                for node, a in zip(plan.nodes, adjoints, strict=True)}

    out_node = plan.nodes[output]
    frames.append(Frame(scene(shown, adjoint_lines(adjoints), f"backward sweep: seed adj = 1 at the output {name}",
                              {out_node: style.ADJOINT_COLOR}), "backward"))
    steps = []  # (step, adjoints after it, partials written, edges that carried something)

    def snapshot(step, current, passed):  # after each backward step of the engine's own walker
        args = [values[a] for a in step.args]
        partials = {(plan.nodes[a], step.node, i): partial_text(step.primitive, i, values[step.out], args, precision)
                    for i, a in _targets[step.out]}
        hot = {(plan.nodes[a], step.node, i): style.ADJOINT_COLOR for i, a in passed}
        receivers = ", ".join(dict.fromkeys(labels[plan.nodes[a]].text for _, a in _targets[step.out])) or "nothing"
        steps.append((step, adjoint_lines(current), partials, hot, receivers))

    _targets = {step.out: targets for step, targets, _ in plan.backward_program(wrt)}
    with np.errstate(all="ignore"):  # a picture shows nan where a value is nan; the methods warn about it
        walk_backward(plan, values, {output: seed}, wrt, Adjoints(plan.tensor), keep_all=True, on_step=snapshot)
    edge_labels: dict = {}
    for b, (step, lines, partials, hot, receivers) in enumerate(steps, 1):
        edge_labels.update(partials)
        text = f"backward {b}/{len(steps)}: {_expression(graph, step.node)} passes adj × partial to {receivers}"
        frames.append(Frame(scene(shown, lines, text, {step.node: style.ADJOINT_COLOR}, hot, edge_labels),
                            "backward"))
    return frames


def _expression(graph: Graph, node: str) -> str:
    return graph.expression(node, limit=32)


def _sizing_scene(frames: list[Frame]) -> Scene:
    """A scene with, per node and line, the widest text any frame writes there: boxes then keep one size."""
    from .dag import text_width

    first = frames[0].scene
    lines: dict[str, list] = {}
    for node in first.lines:
        slots = []
        for k in range(len(first.lines[node])):
            found = [f.scene.lines[node][k] for f in frames if f.scene.lines[node][k] is not None]
            slots.append(max(found, key=lambda line: text_width(line.text, line.size), default=None))
        lines[node] = slots
    edge_labels = {}
    for f in frames:
        edge_labels.update(f.scene.edge_labels)
    subtitle = max((f.scene.subtitle for f in frames), key=lambda t: text_width(t, style.FONT_SIZE))
    return replace(first, lines=lines, edge_labels=edge_labels, subtitle=subtitle)


# --- output ---------------------------------------------------------------------------------------------------


def _animation(graph, layout, frames: list[Frame], sizing: Scene, path, fps) -> Figure:
    from matplotlib.animation import FuncAnimation, PillowWriter
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    geometry = Geometry.of(graph, layout, sizing)
    fig = style.figure(figsize=geometry.figsize, dpi=style.DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))

    def show(k: int):
        ax.clear()
        render(ax, graph, layout, geometry, frames[k].scene)
        return []

    animation = FuncAnimation(fig, show, frames=len(frames), interval=1000 / fps, blit=False,
                              cache_frame_data=False, repeat=False)
    animation.save(os.fspath(path), writer=PillowWriter(fps=fps), dpi=style.DPI)
    return fig


def _panels(graph, layout, frames: list[Frame], sizing: Scene) -> Figure:
    """All frames as a grid of panels, read left to right, top to bottom, with one legend."""
    from matplotlib.patches import Rectangle

    s = _PANEL_SCALE
    panel_scene = replace(sizing, title="")
    geometry = Geometry.of(graph, layout, panel_scene, scale=s, legend=False)
    width, height = geometry.figsize
    count = len(frames)
    columns = max(1, min(count, round(np.sqrt(count * 1.8 * height / width))))
    rows = -(-count // columns)
    gap, side = 0.15, 0.15
    fig_width = columns * width + (columns - 1) * gap + 2 * side
    keys = key_layout(key_entries(frames[-1].scene), fig_width - 0.5, 1.0)
    top, bottom = 0.55, 0.45 + 0.2 * len(keys)
    fig_height = rows * height + (rows - 1) * gap + top + bottom
    fig = style.figure(figsize=(fig_width, fig_height), dpi=style.DPI)
    for k, frame in enumerate(frames):
        row, column = divmod(k, columns)
        left = side + column * (width + gap)
        lower = fig_height - top - (row + 1) * height - row * gap
        ax = fig.add_axes((left / fig_width, lower / fig_height, width / fig_width, height / fig_height))
        render(ax, graph, layout, geometry, replace(frame.scene, title=""), legend=False)
        colour = style.VALUE_COLOR if frame.phase == "forward" else style.ADJOINT_COLOR
        ax.add_patch(Rectangle((0.002, 0.002), 0.996, 0.996, transform=ax.transAxes, facecolor="none",
                               edgecolor=colour, linewidth=1.0, alpha=0.6, zorder=0, clip_on=False))
    fig.text(fig_width / 2, fig_height - 0.3, f"reverse mode step by step:  {frames[0].scene.title}", ha="center",
             va="center", fontsize=style.FONT_SIZE + 2, fontweight="bold", color="#333333",
             transform=fig.dpi_scale_trans)
    key_top = 0.1 + 0.2 * len(keys)
    draw_key(fig, keys, fig_width / 2, key_top, 1.0, fig.dpi_scale_trans)
    draw_legend(fig, graph, len(role_entries(graph)), 1.0, loc="lower center",
                bbox_to_anchor=(fig_width / 2, key_top + 0.05), bbox_transform=fig.dpi_scale_trans)
    return fig


__all__ = ["MAX_PANEL_STEPS", "draw_sweeps", "frame_count"]
