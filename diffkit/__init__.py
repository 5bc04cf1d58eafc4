"""diffkit: symbolic, numeric, forward-mode and reverse-mode differentiation on one computation graph.

    >>> import diffkit as dk
    >>> r = dk.gradient("log(x1) + x1*x2 - sin(x2)", at={"x1": 2.0, "x2": 5.0}, method="reverse")
    >>> round(r.gradient["x1"], 6), round(r.gradient["x2"], 6)
    (5.5, 1.716338)
"""

from .api import (
    MAX_ORDER,
    METHODS,
    derivative,
    grad,
    gradient,
    gradient_graph,
    hessian,
    hvp,
    jacobian,
    jvp,
    value_and_grad,
    vjp,
)
from .compare import Comparison, compare, discrepancy
from .convert import as_graph, from_sympy
from .cost import Cost
from .crosscheck import CrossCheck, crosscheck
from .errors import (
    BindingError,
    ConversionError,
    DiffkitError,
    DomainError,
    DomainWarning,
    MethodError,
    OptionError,
    ParseError,
    ResourceError,
    SwellError,
)
from .gradcheck import check_gradient
from .graph import Graph
from .limits import limits
from .ops import PRIMITIVES
from .parse import parse, parse_many
from .result import Result
from .sweep_table import SweepTable, sweep_table
from .trace import Expr, functions, trace
from .transforms import jacfwd, jacrev

# dk.sin, dk.exp, dk.matmul, dk.sum, ...: work on numbers and arrays, and record nodes inside dk.trace.
globals().update(vars(functions))

from . import datasets, nn, optim, second_order, studies  # noqa: E402 (they build on everything above)
from .draw import draw, draw_history, draw_mlp, draw_optimizers, draw_sweeps  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "MAX_ORDER", "METHODS", "PRIMITIVES", "BindingError", "Comparison", "ConversionError", "Cost", "CrossCheck",
    "DiffkitError", "DomainError", "DomainWarning", "Expr", "Graph", "MethodError", "OptionError", "ParseError",
    "ResourceError",
    "Result",
    "SweepTable", "SwellError", "as_graph", "check_gradient", "compare", "crosscheck", "datasets", "derivative",
    "discrepancy",
    "draw", "draw_history", "draw_mlp", "draw_optimizers", "draw_sweeps", "from_sympy", "grad", "gradient",
    "gradient_graph", "hessian", "hvp", "jacfwd", "jacobian", "jacrev", "jvp", "limits", "nn", "optim", "parse",
    "parse_many", "second_order", "studies", "sweep_table", "trace", "value_and_grad", "vjp",
    *vars(functions),
]
