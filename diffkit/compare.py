"""All four methods on one expression, side by side: answers, discrepancies and costs."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from .api import METHODS, _Request, gradient, jacobian
from .cost import format_bytes
from .diagnose import Finding, diagnose
from .errors import BindingError, MethodError
from .keywords import checked_keywords
from .result import Result
from .text import format_value, text_table


def discrepancy(a, b) -> float:
    """Relative discrepancy of two derivatives: max|a - b| / max(max|a|, max|b|), over all entries and points.

    Norm-wise rather than entry-wise, so an entry that is 0 in one method and 1e-12 in another (numeric noise
    around a true zero) does not count as a 100% disagreement. 0 when both are all zeros; nan if either is.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        same = np.array_equal(a, b, equal_nan=True)
        return 0.0 if same else float("nan")
    if scale == 0.0:
        return 0.0
    return float(np.max(np.abs(a - b)) / scale)


@dataclass
class Comparison:
    """The four results for one request; ``print`` it for a table."""

    expression: str
    at: dict
    results: dict[str, Result]
    discrepancies: dict[tuple[str, str], float] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)  # methods that disagree, with likely causes

    @property
    def largest_discrepancy(self) -> tuple[tuple[str, str] | None, float]:
        """The pair of methods that disagree most, and by how much (relative); (None, 0.0) for one method."""
        if not self.discrepancies:
            return None, 0.0
        pair = max(self.discrepancies, key=lambda k: np.nan_to_num(self.discrepancies[k], nan=np.inf))
        return pair, self.discrepancies[pair]

    def rows(self) -> list[dict]:
        """One dict per method: its answers (``d/dx`` columns, or ``jacobian``) and its cost, as plain values."""
        rows = []
        for method, r in self.results.items():
            c = r.cost
            if r.kind == "gradient":
                answers = {f"d/d{v}": r.gradient[v] for v in r.variables}
            else:
                answers = _jacobian_entries(r)
            rows.append({"method": method, **answers, "operations": c.total_operations, "flops": c.flops,
                         "forward_sweeps": c.forward_sweeps, "backward_sweeps": c.backward_sweeps,
                         "evaluations": c.evaluations, "memory_bytes": c.memory_bytes, "seconds": c.seconds})
        return rows

    def table(self, timing: bool = True) -> str:
        """The printable table; ``timing=False`` leaves out the time column, the only one that varies per run."""
        first = next(iter(self.results.values()))
        point = ", ".join(f"{k}={format_value(v)}" for k, v in self.at.items())
        lines = [f"f = {self.expression}   at {point}", f"value: {format_value(first.value)}", ""]
        rows = self.rows()
        names = [name for name in rows[0] if name != "method" and name not in _COST_COLUMNS]
        header = ["method", *names, "ops", "flops", "sweeps / evals", "memory"] + (["time"] if timing else [])
        cells = []
        for row in rows:
            evals = row["evaluations"]
            work = (f"{row['forward_sweeps']} fwd + {row['backward_sweeps']} bwd"
                    if row["forward_sweeps"] + row["backward_sweeps"] else f"{evals} eval{'s' * (evals != 1)}")
            line = [row["method"], *(format_value(row[name]) for name in names), str(row["operations"]),
                    str(row["flops"]), work, format_bytes(row["memory_bytes"])]
            cells.append(line + ([f"{row['seconds'] * 1e3:.2f} ms"] if timing else []))
        lines += text_table(header, cells)
        pair, worst = self.largest_discrepancy
        if pair is not None:
            lines += ["", f"largest relative discrepancy: {worst:.2e} ({pair[0]} vs {pair[1]})"]
        numeric = self.results.get("numeric")
        if numeric is not None and numeric.error_estimate is not None:
            parts = numeric.error_estimate  # {variable: estimate} for a gradient, one array for a Jacobian
            parts = parts.values() if isinstance(parts, dict) else [parts]
            with warnings.catch_warnings():  # an all-nan estimate prints as nan, without NumPy's warning
                warnings.simplefilter("ignore", RuntimeWarning)
                estimate = max(float(np.nanmax(np.abs(np.asarray(v)), initial=0.0)) for v in parts)
            lines.append(f"numeric method's own error estimate: {estimate:.1e} (absolute)")
        lines += [f"note: {finding}" for finding in self.findings]
        diagnostics = {m: r.diagnostics for m, r in self.results.items() if r.diagnostics}
        lines += [f"{m}: {'; '.join(d)}" for m, d in diagnostics.items()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


_COST_COLUMNS = ("operations", "flops", "forward_sweeps", "backward_sweeps", "evaluations", "memory_bytes", "seconds")


def _jacobian_entries(r: Result) -> dict:
    """A small Jacobian's entries as columns ``df1/dx``; a large or batched one as one ``jacobian`` column."""
    jac = np.asarray(r.jacobian)
    if jac.ndim != 2 or jac.size > 8:
        return {"jacobian": jac}
    return {f"df{i + 1}/d{v}": jac[i, j] for i in range(jac.shape[0]) for j, v in enumerate(r.variables)}


@checked_keywords
def compare(expr, at=None, methods=METHODS, wrt=None, options: dict | None = None, errors: str = "ignore"
            ) -> Comparison:
    """Differentiate with every method (gradient for one output, Jacobian for several) and compare.

    ``options`` maps a method name to its options, e.g. ``{"numeric": {"scheme": "richardson"}}``; by default
    the numeric method also estimates its own error. Domain trouble is reported in the table and in
    ``findings`` (``errors="warn"`` or ``"raise"`` to have it warned or raised as well).
    """
    chosen = {m: {"errors": errors} for m in METHODS}
    for m, extra in (options or {}).items():
        chosen.setdefault(m, {}).update(extra)
    chosen["numeric"] = {"error_estimate": True, **chosen.get("numeric", {})}  # compare diagnoses: estimate
    methods = tuple(methods)
    if not methods or any(m not in METHODS for m in methods):
        raise MethodError(f"compare needs methods from {', '.join(METHODS)}, got {methods!r}")
    request = _Request(expr, at, wrt)
    if not request.wrt:
        raise BindingError("the expression has no variables to differentiate by")
    verb = gradient if request.graph.is_scalar_output else jacobian
    point = {k: v for k, v in request.bound.items() if k not in request.graph.data}  # data stays in the graph
    results = {m: verb(request.graph, point, method=m, wrt=request.wrt, **chosen.get(m, {})) for m in methods}
    discrepancies = {(a, b): discrepancy(results[a].as_array(), results[b].as_array())
                     for a, b in combinations(results, 2)}
    findings = diagnose(results, discrepancy, request.graph, request.bound)
    at_shown = {k: (v.item() if v.ndim == 0 else v.copy()) for k, v in point.items()}
    return Comparison(str(request.graph), at_shown, results, discrepancies, findings)
