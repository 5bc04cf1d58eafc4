"""Pictures and text of a study: log-log cost curves with fitted exponents and theory, and a report table.

    >>> from diffkit import studies
    >>> res = studies.run("gradient_vs_inputs", sizes=[2, 4, 8], methods=["forward", "reverse"], progress=False)
    >>> fig = studies.plot(res, y="flops", path="cost.png")    # .png, .svg or .pdf by suffix
    >>> print(studies.report(res))                              # doctest: +ELLIPSIS
    gradient_vs_inputs...

The figure is a ``matplotlib.figure.Figure`` built without pyplot, in diffkit's one visual style (the
methods' colours of ``diffkit.draw.style``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import options as check
from ..cost import format_bytes
from ..draw import style
from ..errors import BindingError
from .families import COST, DAG, FAMILIES, SWEEPS, TREE, Family, Theory
from .runner import FAILED, FIT_METRICS, METRICS, StudyResult, check_metric, fit_exponent, metric, register_picture

if TYPE_CHECKING:  # matplotlib loads when a picture is drawn, not on import
    from matplotlib.figure import Figure

_LABELS = {
    "flops": "flops (counted)",
    "seconds": "seconds (median of the timed runs)",
    "memory_bytes": "peak memory held (bytes)",
    "operations": "primitive operations",
    "sweeps": "sweeps (numeric, symbolic: evaluations)",
    "expression_size": "expression nodes / operations",
    "dag_size": "DAG nodes after CSE",
    "ratio": "flops / the function's flops",
}
_FUNCTION_COLOR = "#7F7F7F"
# One marker per method, so lines that coincide (forward and reverse with one input) both stay visible.
_MARKERS = {"symbolic": "D", "numeric": "^", "forward": "s", "reverse": "o"}
_MARKER_SIZE = {"D": 4.5, "^": 6, "s": 6.5, "o": 5, "v": 5.5}
_GRID = "#E5E5E5"


@dataclass(frozen=True)
class _Series:
    """One line of a plot: a method's figure (or, for expression sizes, one of the symbolic method's two)."""

    method: str
    figure: str  # the row figure it shows
    name: str  # legend name
    theory_group: str | None
    linestyle: str = "-"
    marker: str = "o"


def _series(res: StudyResult, y: str) -> list[_Series]:
    if y != "expression_size":
        group = {"flops": COST, "operations": COST, "seconds": COST, "sweeps": SWEEPS, "dag_size": DAG}.get(y)
        return [_Series(m, y, m, group, marker=_MARKERS.get(m, "o")) for m in res.methods]
    series = []
    for m in res.methods:
        if m == "symbolic":
            series += [_Series(m, "expression_size", "symbolic tree (no CSE)", TREE, marker="D"),
                       _Series(m, "dag_size", "symbolic after CSE", DAG, ":", "v")]
        else:
            series.append(_Series(m, "operations", f"{m} operations", TREE, marker=_MARKERS.get(m, "o")))
    return series


def _theory(family: Family | None, res: StudyResult, s: _Series, y: str) -> Theory | None:
    if family is None or s.theory_group is None or (y == "seconds" and s.method == "symbolic"):
        return None  # symbolic's seconds are SymPy's differentiation and compilation, not the flops it evaluates
    try:
        table = family.theory(res.variant)
    except BindingError:
        return None
    found = table.get(s.theory_group, {}).get(s.method)
    if found is None and s.figure == "operations":
        found = table.get(COST, {}).get(s.method)
    return found


def _family(res: StudyResult) -> Family | None:
    return FAMILIES.get(res.family)


def _exponent_text(symbol: str, exponent: float | None) -> str:
    if exponent is None:
        return "too few points to fit"
    return f"{symbol}^{0.0 if abs(exponent) < 0.005 else exponent:.2f}"


def growth_per_step(sizes, values) -> float | None:
    """The mean growth factor per unit of size, for figures that grow exponentially (None: too few points)."""
    points = [(n, v) for n, v in zip(sizes, values, strict=True) if v and v > 0]
    if len(points) < 2 or points[-1][0] == points[0][0]:
        return None
    (n0, v0), (n1, v1) = points[0], points[-1]
    return (v1 / v0) ** (1 / (n1 - n0))


def _fitted_text(symbol: str, sizes, values, exponential: bool) -> str:
    """How a line grows, as the report and the legend say it: ``k^1.00``, or ``×3.18 per step`` if exponential."""
    if not exponential:
        return _exponent_text(symbol, fit_exponent(sizes, values))
    factor = growth_per_step(sizes, values)
    return "too few points to fit" if factor is None else f"×{factor:.2f} per step"


def fits(res: StudyResult, y: str = "flops") -> list[dict]:
    """How each line of the study grows, as the report and the plot's legend say it: one dict per series with
    ``series``, ``method``, ``figure``, ``exponent`` (the slope of log figure against log size; None where theory
    is exponential or there are too few points), ``growth_per_step`` (exponential theories only) and ``theory``
    (its label, or None)."""
    check_metric(y, FIT_METRICS)
    family = _family(res)
    out = []
    for s in _series(res, y):
        predicted = _theory(family, res, s, y) if family and family.theory(res.variant) else None
        sizes, values = res.points(s.method, s.figure)
        exponential = predicted is not None and predicted.exponential
        out.append({"series": s.name, "method": s.method, "figure": s.figure,
                    "exponent": None if exponential else fit_exponent(sizes, values),
                    "growth_per_step": growth_per_step(sizes, values) if exponential else None,
                    "theory": predicted.label if predicted is not None else None})
    return out


def _short(reason: str, limit: int = 95) -> str:
    """A cut-off reason in one short line: its first clause."""
    text = reason.split(";")[0].split(" (dk.limits")[0].strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plot(res: StudyResult, y: str = "flops", path=None, theory: bool = True, title: str | None = None,
         xscale: str = "log", figsize: tuple[float, float] = (10.0, 5.2)) -> Figure:
    """A log-log picture of figure ``y`` against the size: one line per method with its fitted exponent in the
    legend, dashed theory references, ✕ where a method was cut off (with a note why).

    ``y``: "flops", "seconds", "memory_bytes", "operations", "sweeps" or "expression_size" (the symbolic
    derivative's tree size and its DAG size after CSE, against the other methods' operations). ``theory``: draw
    the family's predictions (exact ones as they are, growth laws scaled to the point at the largest size).
    ``xscale="linear"`` shows exponential growth (the logistic map's swell) as a straight line. ``figsize``:
    (width, height) in inches; the legend stays beside the axes at any size.

    Raises BindingError for a StudyResult without rows (nothing to plot).
    """
    from matplotlib.lines import Line2D

    if not isinstance(res, StudyResult):
        raise BindingError(f"plot takes a StudyResult (from studies.run or studies.load), got {type(res).__name__}")
    check_metric(y, METRICS)
    if not res.rows:
        raise BindingError(f"nothing to plot: this StudyResult ({res.family}) has no rows, so there is no size "
                           "and no method to draw; run the study with studies.run(family, sizes=[...]) (or load "
                           "a saved one with studies.load) first")
    xscale = check.choice("xscale", xscale, ("log", "linear"))
    theory = check.flag("theory", theory)
    path, title = check.path("path", path), check.text("title", title)
    family = _family(res)
    symbol = family.symbol if family else "n"
    fig = style.figure(figsize=_checked_figsize(figsize), dpi=style.DPI)
    ax = fig.add_subplot()
    plotted: list[float] = []
    for s in _series(res, y):
        color = style.METHOD_COLORS.get(s.method, "#333333")
        sizes, values = res.points(s.method, s.figure)
        keep = [(n, v) for n, v in zip(sizes, values, strict=True) if v is not None and v > 0]
        if not keep:
            continue
        xs, vs = zip(*keep, strict=True)
        plotted += vs
        predicted = _theory(family, res, s, y) if theory else None
        exponential = predicted is not None and predicted.exponential
        label = f"{s.name}: {_fitted_text(symbol, xs, vs, exponential)}"
        if predicted is not None and _draw_theory(ax, res, s, predicted, xs, vs, color):
            theory_text = f"(theory {'=' if predicted.exact else '∝'} {predicted.label})"
            # the legend sits beside the axes in a fixed width: a long label takes a second line
            label += f"\n    {theory_text}" if len(label) + len(theory_text) > 50 else f"   {theory_text}"
        ax.plot(xs, vs, color=color, lw=1.7, ls=s.linestyle, marker=s.marker, ms=_MARKER_SIZE.get(s.marker, 5),
                label=label, zorder=3.5 if s.figure == "dag_size" else 3)  # the DAG runs along AD's operations
    if y == "flops":
        plotted += _draw_function(ax, res)
    notes = _draw_cut_offs(ax, res, y, symbol)
    _axes(ax, res, y, family, plotted, xscale)
    handles, labels = ax.get_legend_handles_labels()
    if theory and any(isinstance(h, Line2D) and h.get_linestyle() == "--" for h in ax.get_lines()):
        handles.append(Line2D([], [], color="#555555", lw=1.1, ls="--"))
        labels.append("theory (=: exact; ∝: scaled to\nthe point at the largest size)")
    legend = None
    if handles:  # beside the axes: cost curves fill every corner of a log-log plot sooner or later
        legend = ax.legend(handles, labels, fontsize=style.SMALL_FONT_SIZE, loc="upper right",
                           bbox_to_anchor=(1.0 - _EDGE, 0.92), bbox_transform=fig.transFigure, frameon=False,
                            title=f"fitted slope of log y against log {symbol}",
                            title_fontsize=style.SMALL_FONT_SIZE, alignment="left", borderaxespad=0.0)
    head = title or (f"{family.title} ({res.variant})" if family else f"{res.family} ({res.variant})")
    ax.set_title(head, fontsize=style.FONT_SIZE + 1, loc="left")
    line = 0.034
    for i, note in enumerate(notes):
        fig.text(0.015, 0.02 + line * (len(notes) - 1 - i), note, fontsize=style.SMALL_FONT_SIZE, color="#333333")
    fig.subplots_adjust(left=0.08, right=0.67, top=0.92, bottom=0.11 + line * len(notes))
    if legend is not None:
        fit_beside(fig, ax, legend)
    _save(fig, path)
    return fig


_EDGE = 0.01  # the legend's distance from the figure's right side, as a fraction of its width
_GAP_INCHES = 0.25  # between the axes (their tick labels included) and the legend


def fit_beside(fig: Figure, ax, legend) -> None:
    """Make room for the legend on the right: measure its width (with Agg's renderer, as the saved picture will
    be drawn) and end the axes that far from the figure's side, so no label reaches into the data whatever the
    figure's size. The axes keep at least a third of the width; a legend wider than the rest is shrunk to fit."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    own = fig.canvas
    renderer = FigureCanvasAgg(fig).get_renderer()  # (this attaches an Agg canvas: the figure's own goes back)
    fig.set_canvas(own)
    width_inches = fig.get_size_inches()[0]
    legend_width = legend.get_window_extent(renderer).width / fig.dpi / width_inches
    right = 1.0 - _EDGE - legend_width - _GAP_INCHES / width_inches
    if right < 0.4:  # too narrow a figure: a smaller font, measured again
        for text in (*legend.get_texts(), legend.get_title()):
            text.set_fontsize(text.get_fontsize() * 0.8)
        legend_width = legend.get_window_extent(renderer).width / fig.dpi / width_inches
        right = max(1.0 - _EDGE - legend_width - _GAP_INCHES / width_inches, 0.4)
    fig.subplots_adjust(right=right)


def _checked_figsize(figsize) -> tuple[float, float]:
    try:
        width, height = (float(v) for v in figsize)
    except (TypeError, ValueError):
        width = height = math.nan
    if not (math.isfinite(width) and math.isfinite(height) and width >= 4 and height >= 2.5):
        raise BindingError(f"figsize must be (width, height) in inches, at least (4, 2.5), got {figsize!r}")
    return width, height


def _draw_theory(ax, res: StudyResult, s: _Series, predicted: Theory, xs, vs, color: str) -> bool:
    """The theory's curve over the method's sizes: exact, or scaled to the point at its largest size."""
    rows = {row["size"]: row for row in res.rows if row["method"] == s.method and row["function_flops"] is not None}
    shape = []
    for n in xs:
        try:
            shape.append(float(predicted.growth(rows[n])) if n in rows else math.nan)
        except (TypeError, KeyError):
            shape.append(math.nan)
    shape = np.asarray(shape)
    good = np.isfinite(shape) & (shape > 0)
    if good.sum() < 2:
        return False
    # an exact theory is drawn as it is; a growth law is scaled to the largest size's point (what it predicts is
    # the asymptote: the smallest sizes carry constant overheads it leaves out)
    last = int(np.flatnonzero(good)[-1])
    scale = 1.0 if predicted.exact else float(vs[last]) / float(shape[last])
    ax.plot(np.asarray(xs)[good], scale * shape[good], color=color, lw=1.1, ls="--", alpha=0.75, zorder=2)
    return True


def _draw_function(ax, res: StudyResult) -> list[float]:
    """The function's own flops, for reading ratios off the picture."""
    per_size = {row["size"]: row["function_flops"] for row in res.rows if row["function_flops"]}
    if not per_size:
        return []
    xs = sorted(per_size)
    ax.plot(xs, [per_size[n] for n in xs], color=_FUNCTION_COLOR, lw=1.2, ls=":", marker=".", ms=4,
            label="f: one evaluation of the function", zorder=2)
    return [per_size[n] for n in xs]


def _draw_cut_offs(ax, res: StudyResult, y: str, symbol: str) -> list[str]:
    """✕ at each method's cut-off: at its figure when it ran (over the time budget), else at the top."""
    notes = []
    unplaced = 0
    for method, row in res.cut_offs().items():
        color = style.METHOD_COLORS.get(method, "#333333")
        value = metric(row, "operations" if y == "expression_size" and method != "symbolic" else y)
        if value is not None and value > 0:
            ax.plot([row["size"]], [value], marker="x", ms=10, mew=2.2, color=color, ls="none", zorder=4)
        else:
            height = 0.955 - 0.06 * unplaced
            unplaced += 1
            ax.plot([row["size"]], [height], marker="x", ms=10, mew=2.2, color=color, ls="none", zorder=4,
                    transform=ax.get_xaxis_transform(), clip_on=False)
            right_half = res.sizes.index(row["size"]) >= len(res.sizes) / 2  # the text goes towards the middle
            ax.annotate(f"{method} cut off", (row["size"], height), xycoords=ax.get_xaxis_transform(),
                        xytext=(-9 if right_half else 9, 0), textcoords="offset points",
                        ha="right" if right_half else "left", va="center", fontsize=style.SMALL_FONT_SIZE,
                        color=color)
        notes.append(f"✕ {method} cut off at {symbol} = {row['size']}: {_short(row['reason'] or '')}")
    return notes


def _axes(ax, res: StudyResult, y: str, family: Family | None, plotted: list[float], xscale: str) -> None:
    from matplotlib.ticker import FixedLocator, NullLocator

    ax.set_xscale(xscale)
    positive = [v for v in plotted if v and v > 0]
    if positive:
        ax.set_yscale("log")
        low, high = min(positive), max(positive)
        ax.set_ylim(low / 2.5, high * 4)  # room above the curves for ✕ of methods cut off before they ran
    sizes = res.sizes
    if xscale == "log":
        ax.set_xlim(sizes[0] / 1.35, sizes[-1] * 1.35)
    else:
        margin = 0.04 * max(sizes[-1] - sizes[0], 1)
        ax.set_xlim(sizes[0] - margin, sizes[-1] + margin)
    if len(sizes) <= 16:
        ax.xaxis.set_major_locator(FixedLocator(sizes))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([str(n) for n in sizes])
    meaning = f"{family.symbol} = {family.meaning}" if family else "size"
    ax.set_xlabel(meaning, fontsize=style.FONT_SIZE)
    ax.set_ylabel(_LABELS[y], fontsize=style.FONT_SIZE)
    ax.grid(True, which="major", color=_GRID, lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=style.SMALL_FONT_SIZE, length=3)


def _save(fig: Figure, path) -> None:
    """Write ``fig`` to ``path`` when given, in the format its suffix names."""
    style.save_figure(fig, path)


# --- the report -------------------------------------------------------------------------------------------------

def _format(value, y: str) -> str:
    if value is None:
        return "·"
    if y == "seconds":
        return f"{value * 1e3:.3g} ms" if value < 1 else f"{value:.3g} s"
    if y == "memory_bytes":
        return format_bytes(value)
    if y == "ratio":
        return _times(value)
    return f"{value:,}" if abs(value) < 1e7 else f"{value:.3g}"


def report(res: StudyResult, y: str = "flops") -> str:
    """The study as text: a table of figure ``y`` (size × method), the fitted exponents beside theory's, the
    methods' flops as multiples of the function's, and what was cut off and why."""
    if not isinstance(res, StudyResult):
        raise BindingError(f"report takes a StudyResult (from studies.run or studies.load), got {type(res).__name__}")
    check_metric(y, FIT_METRICS)
    family = _family(res)
    symbol = family.symbol if family else "n"
    lines = []
    if family:
        lines.append(f"{family.name} ({res.variant}): {family.verb} against {symbol} = {family.meaning}")
    else:
        lines.append(f"{res.family} ({res.variant})")
    series = _series(res, y)
    columns = [s.name for s in series] + (["f (function)"] if y == "flops" else [])
    lines += ["", f"{_LABELS[y]}   (✕ = cut off there, – = skipped after a cut-off)"]
    table = [[symbol, *columns]]
    for size in res.sizes:
        line = [str(size)]
        for s in series:
            row = next((r for r in res.rows if r["size"] == size and r["method"] == s.method), None)
            if row is None:
                line.append("")
            elif row["cut_off"] and (row["reason"] or "").startswith("skipped"):
                line.append("–")
            else:
                text = _format(metric(row, s.figure), s.figure if y == "expression_size" else y)
                line.append((f"✕ {text}" if text != "·" else "✕") if row["cut_off"] else text)
        if y == "flops":
            flops = next((r["function_flops"] for r in res.rows if r["size"] == size and r["function_flops"]), None)
            line.append(_format(flops, "flops"))
        table.append(line)
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        lines.append("  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    lines += ["", f"fitted exponents (slope of log {y} against log {symbol}, points not cut off):"]
    name_width = max(len(s.name) for s in series)
    theories = family.theory(res.variant) if family else {}
    for s in series:
        predicted = _theory(family, res, s, y) if theories else None
        exponential = predicted is not None and predicted.exponential  # a power law would fit a meaningless slope
        text = f"  {s.name:<{name_width}}  {_fitted_text(symbol, *res.points(s.method, s.figure), exponential)}"
        if exponential:
            text += f"   (theory ∝ {predicted.label}: exponential, no power of {symbol} fits)"
        elif predicted is not None:
            power = f", {symbol}^{predicted.exponent:g}" if predicted.exponent is not None else ""
            text += f"   (theory {'=' if predicted.exact else '∝'} {predicted.label}{power})"
        lines.append(text)
    lines += ["", "flops as multiples of one evaluation of the function (f):"]
    for method in res.methods:
        ratios = [r["ratio"] for r in res.rows if r["method"] == method and not r["cut_off"] and r["ratio"]]
        if ratios:
            lines.append(f"  {method:<9} {_times(min(ratios))} – {_times(max(ratios))}")
        else:
            lines.append(f"  {method:<9} ·")
    lines += _target(res, family, symbol)
    cut = res.cut_offs()
    if cut:
        lines += ["", "cut off:"]
        lines += [f"  {m} at {symbol} = {r['size']}: {_short(r['reason'] or '', 200)}" for m, r in cut.items()]
    failed = res.failures()
    if failed:
        lines += ["", "failed on the cluster (after a retry):"]
        lines += [f"  {r['method']} at {symbol} = {r['size']}: {_short(r['reason'][len(FAILED):], 200)}"
                  for r in failed]
    return "\n".join(lines)


def _target(res: StudyResult, family: Family | None, symbol: str) -> list[str]:
    """Whether reverse-mode gradients kept to ≤ 3 × the function's flops (gradient families only)."""
    ratios = [(r["size"], r["ratio"]) for r in res.rows if r["method"] == "reverse" and r["ratio"] is not None]
    if not ratios or family is None or family.verb != "gradient":
        return []
    worst = max(ratios, key=lambda p: p[1])
    over = [n for n, q in ratios if q > 3]
    if over:
        return [f"target reverse ≤ 3·f: does NOT hold at {symbol} = {', '.join(map(str, over))} "
                f"(worst {_times(worst[1])} at {symbol} = {worst[0]})"]
    return [f"target reverse ≤ 3·f: holds at every size (worst {_times(worst[1])} at {symbol} = {worst[0]})"]


def _times(ratio: float) -> str:
    """A flop ratio: two decimals, whole numbers past 100."""
    return f"{ratio:.2f}" if ratio < 100 else f"{ratio:,.0f}"


register_picture(plot)  # a StudyResult in a notebook shows this plot
