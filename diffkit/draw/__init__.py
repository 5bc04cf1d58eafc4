"""Pictures: the computation DAG with its forward values, tangents and backward adjoints, the sweeps step by step,
MLPs as layers of neurons, optimizer trajectories on contour plots, and training curves.

Everything returns a matplotlib ``Figure`` (built without pyplot, so it works headless under Agg) and writes a
file when given ``path=`` (.png, .svg, .pdf; .gif for the sweeps). One visual style throughout (``style``).
"""

from .. import views
from .dag import SHOWS, draw, to_svg
from .mlp import draw_mlp
from .optimizers import QUADRATIC, ROSENBROCK, draw_history, draw_optimizers
from .sweeps import draw_sweeps

# Jupyter shows a Graph as its diagram: the graph layer cannot import drawing code, so drawing registers itself.
views.register_svg(to_svg)

__all__ = ["QUADRATIC", "ROSENBROCK", "SHOWS", "draw", "draw_history", "draw_mlp", "draw_optimizers", "draw_sweeps",
           "to_svg"]
