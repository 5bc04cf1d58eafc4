"""Cost-scaling studies: how each method's cost grows with the number of inputs, the shape of a Jacobian, the
depth of an expression, the width and depth of an MLP, and for Hessians.

    >>> from diffkit import studies
    >>> res = studies.run("gradient_vs_inputs", sizes=[16, 32, 64, 128], methods=["numeric", "forward", "reverse"],
    ...                   repeats=1, seed=0, budget_seconds=None, progress=False)   # methods=dk.METHODS: all four
    >>> exponents = res.fit("flops")          # {method: exponent}: reverse ≈ 1, forward and numeric ≈ 2
    >>> round(exponents["reverse"], 1), round(exponents["forward"], 1)
    (1.0, 2.0)
    >>> fig = studies.plot(res, y="flops")    # log-log, fitted exponents, theory dashed, cut-offs marked ✕
    >>> report = studies.report(res)          # the table, the exponents, reverse/function flop ratios
    >>> res.to_csv("cost.csv"); res.to_json("cost.json")
    >>> studies.load("cost.json").rows == res.rows
    True

``FAMILIES`` maps each family's name to it; ``FAMILIES[name].__doc__`` says what it builds and what theory
predicts, ``.variants`` and ``.options`` what can be chosen.
"""

from .cells import function_flops
from .families import FAMILIES, Family, Problem, Theory, mlp_shape
from .plot import fits, plot, report
from .runner import COLUMNS, METRICS, StudyResult, fit_exponent, load, run

__all__ = ["COLUMNS", "FAMILIES", "METRICS", "Family", "Problem", "StudyResult", "Theory", "fit_exponent",
           "fits", "function_flops", "load", "mlp_shape", "plot", "report", "run"]
