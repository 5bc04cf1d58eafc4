"""One visual style for every diffkit picture: colours per method and per role, fonts, number formatting.

Cost plots (issue 4's studies) and diagrams reuse these, so "reverse mode" is the same colour everywhere.
"""

from __future__ import annotations

import math
import os

from .. import options as check
from ..errors import BindingError

# Colour per differentiation method (colour-blind-safe Okabe-Ito palette).
METHOD_COLORS = {
    "symbolic": "#CC79A7",  # reddish purple
    "numeric": "#E69F00",  # orange
    "forward": "#0072B2",  # blue
    "reverse": "#D55E00",  # vermillion
}

# Colour per optimizer, for trajectories and training curves.
OPTIMIZER_COLORS = {
    "GD": "#000000",
    "SGD": "#000000",
    "Momentum": "#56B4E9",
    "Nesterov": "#0072B2",
    "AdaGrad": "#009E73",
    "RMSProp": "#F0E442",
    "Adam": "#D55E00",
    "AdamW": "#D55E00",
    "Newton": "#CC79A7",
}

# Node roles in a graph diagram.
NODE_COLORS = {
    "variable": "#DCEBF7",  # inputs: pale blue
    "constant": "#F2F2F2",  # constants: grey
    "operation": "#FFFFFF",  # primitive applications: white
    "output": "#FBE3D6",  # outputs: pale vermillion
    "adjoint": "#FFF4D1",  # a gradient graph's adjoint computation: pale yellow, with a dashed vermillion border
}
EDGE_COLOR = "#555555"
VALUE_COLOR = "#0072B2"  # forward values and tangents: forward mode's blue
ADJOINT_COLOR = "#D55E00"  # adjoints and local partials: reverse mode's vermillion
FANOUT_COLOR = "#009E73"  # nodes with several consumers, where adjoints sum over paths

FONT_SIZE = 10
SMALL_FONT_SIZE = 8
DPI = 100


def fmt(value, precision: int = 4) -> str:
    """A number for a label: ``precision`` significant digits, integers without ".0", arrays by shape."""
    try:
        import numpy as np

        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return str(value)
    if array.ndim > 0 and array.size != 1:
        return f"array{array.shape}"
    x = float(array.reshape(()))
    if math.isnan(x) or math.isinf(x):
        return str(x)
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.{precision}g}"


def figure_format(path, error: type[Exception] = BindingError) -> str:
    """The format a picture's path names by its suffix: png, svg or pdf (anything else is refused)."""
    path = check.path("path", path, allow_none=False)
    suffix = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if suffix not in ("png", "svg", "pdf"):
        raise error(f"path must end in .png, .svg or .pdf (the format is taken from the suffix), got "
                    f"{os.fspath(path)!r}")
    return suffix


def figure(**options):
    """A new ``matplotlib.figure.Figure`` (``options`` as for Figure), made without pyplot.

    matplotlib is imported here, on the first picture, so that ``import diffkit`` stays quick. No pyplot: the
    figure works headless and leaves pyplot's global state (its list of open figures) alone. Jupyter shows it as
    its picture (``diffkit.draw.figure.Figure._repr_png_``) without ``%matplotlib inline``.
    """
    from .figure import Figure

    options.setdefault("dpi", DPI)
    return Figure(**options)


def save_figure(fig, path, error: type[Exception] = BindingError) -> None:
    """Write a figure to ``path`` (nothing when None), in the format its suffix names: .png, .svg or .pdf."""
    if path is not None:
        fig.savefig(path, format=figure_format(path, error), dpi=DPI)
