"""All four methods on one expression, side by side: answers, discrepancies and costs."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from . import options as check
from .api import METHODS, Request, gradient, jacobian
from .cost import format_bytes
from .diagnose import Finding, diagnose
from .domain import POLICIES
from .errors import BindingError, DiffkitError, MethodError, ResourceError, SwellError
from .keywords import checked_keywords
from .result import Result
from .text import format_value, html_table, text_table

ROUNDING_TIE = 1e-12  # discrepancies this close are the same up to the exact methods' rounding (~1e-15)


@checked_keywords
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
class Failure:
    """A method that could not answer in a comparison: why, and what it had spent (``cost``) when it stopped."""

    method: str
    reason: str
    error: DiffkitError
    cost: object = None  # the Cost measured up to the cut-off, when the method knows it

    @property
    def cut_off(self) -> bool:
        """True when a budget stopped the method (expression swell, memory), not an error in the request."""
        return isinstance(self.error, SwellError | ResourceError)

    def __str__(self) -> str:
        return f"{'cut off' if self.cut_off else 'failed'}: {self.reason}"


@dataclass
class Comparison:
    """The four results for one request; ``print`` it for a table."""

    expression: str
    at: dict
    results: dict[str, Result]
    discrepancies: dict[tuple[str, str], float] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)  # methods that disagree, with likely causes
    failures: dict[str, Failure] = field(default_factory=dict)  # methods that could not answer, and why

    @property
    def largest_discrepancy(self) -> tuple[tuple[str, str] | None, float]:
        """The pair of methods that disagree most, and by how much (relative); (None, 0.0) for one method."""
        if not self.discrepancies:
            return None, 0.0
        size = {pair: float(np.nan_to_num(d, nan=np.inf)) for pair, d in self.discrepancies.items()}
        worst = max(size.values())
        # Pairs within rounding of the largest are tied, and the first in method order is named: which of two
        # exact methods lies farther from the numeric one is decided by their last bits, which differ between
        # machines (another CPU's exp or tanh), and the table must read the same on every machine.
        pair = next(pair for pair, d in size.items() if d >= worst - ROUNDING_TIE)
        return pair, self.discrepancies[pair]

    def rows(self) -> list[dict]:
        """One dict per method: its answers (``d/dx`` columns, or ``jacobian``) and its cost, as plain values."""
        rows = []
        for method in self._methods():
            if method in self.failures:
                rows.append(self._failure_row(self.failures[method]))
                continue
            r = self.results[method]
            c = r.cost
            if r.kind == "gradient":
                answers = {f"d/d{v}": r.gradient[v] for v in r.variables}
            else:
                answers = _jacobian_entries(r)
            rows.append({"method": method, **answers, "operations": c.total_operations, "flops": c.flops,
                         "forward_sweeps": c.forward_sweeps, "backward_sweeps": c.backward_sweeps,
                         "evaluations": c.evaluations, "memory_bytes": c.memory_bytes, "seconds": c.seconds})
        return rows

    def _methods(self) -> list[str]:
        """The methods compared, answered or not, in diffkit's method order."""
        return [m for m in METHODS if m in self.results or m in self.failures]

    @staticmethod
    def _failure_row(failure: Failure) -> dict:
        """A failed method's row: no answers, the reason, and the cost measured up to where it stopped."""
        c = failure.cost
        figures = {name: (getattr(c, name) if c is not None else None) for name in _COST_FIELDS}
        return {"method": failure.method, "failure": str(failure), "operations": c.total_operations if c else None,
                **figures}

    def table(self, timing: bool = True) -> str:
        """The printable table; ``timing=False`` leaves out the time column, the only one that varies per run."""
        timing = check.flag("timing", timing)
        lines = [*self._heading(), ""]
        lines += text_table(*self._grid(timing))
        pair, _ = self.largest_discrepancy
        notes = self._notes()
        if pair is not None:  # a blank line between the table and the discrepancy under it
            lines.append("")
        return "\n".join(lines + notes)

    def _repr_html_(self) -> str:
        """Jupyter shows a comparison as its table (without the time column, so a saved notebook stays the same)."""
        return html_table(*self._grid(timing=False), caption="; ".join(self._heading()), notes=self._notes())

    def __repr__(self) -> str:
        methods = self._methods()
        text = f"<Comparison of {len(methods)} method{'s' * (len(methods) != 1)} on f = {_clipped(self.expression)}"
        pair, worst = self.largest_discrepancy
        if pair is not None:
            text += f": largest discrepancy {worst:.1e} ({pair[0]} vs {pair[1]})"
        text += "".join(f"; {m} {'cut off' if f.cut_off else 'failed'}" for m, f in self.failures.items())
        return text + ">"

    def _heading(self) -> list[str]:
        """The table's first lines: the expression, the point and the value there."""
        first = next(iter(self.results.values()), None)
        point = ", ".join(f"{k}={format_value(v)}" for k, v in self.at.items())
        value = format_value(first.value) if first is not None else "(no method could evaluate it)"
        return [f"f = {self.expression}   at {point}", f"value: {value}"]

    def _grid(self, timing: bool) -> tuple[list[str], list[list[str]]]:
        """The table's header and cells, one row per method (for the text table and the HTML one)."""
        rows = self.rows()
        answered = [row for row in rows if "failure" not in row]
        names = [name for name in (answered[0] if answered else {}) if name != "method" and name not in _COST_COLUMNS]
        header = ["method", *names, "ops", "flops", "sweeps / evals", "memory"] + (["time"] if timing else [])
        cells = []
        for row in rows:
            if "failure" in row:
                cells.append(_failure_cells(row, names, timing))
                continue
            evals = row["evaluations"]
            work = (f"{row['forward_sweeps']} fwd + {row['backward_sweeps']} bwd"
                    if row["forward_sweeps"] + row["backward_sweeps"] else f"{evals} eval{'s' * (evals != 1)}")
            line = [row["method"], *(format_value(row[name]) for name in names), str(row["operations"]),
                    str(row["flops"]), work, format_bytes(row["memory_bytes"])]
            cells.append(line + ([f"{row['seconds'] * 1e3:.2f} ms"] if timing else []))
        return header, cells

    def _notes(self) -> list[str]:
        """What the table's rows do not say: the largest discrepancy, numeric's error estimate, findings, failures."""
        lines = []
        pair, worst = self.largest_discrepancy
        if pair is not None:
            lines.append(f"largest relative discrepancy: {worst:.2e} ({pair[0]} vs {pair[1]})")
        numeric = self.results.get("numeric")
        if numeric is not None and numeric.error_estimate is not None:
            parts = numeric.error_estimate  # {variable: estimate} for a gradient, one array for a Jacobian
            parts = parts.values() if isinstance(parts, dict) else [parts]
            with warnings.catch_warnings():  # an all-nan estimate prints as nan, without NumPy's warning
                warnings.simplefilter("ignore", RuntimeWarning)
                estimate = max(float(np.nanmax(np.abs(np.asarray(v)), initial=0.0)) for v in parts)
            lines.append(f"numeric method's own error estimate: {estimate:.1e} (absolute)")
        lines += [f"note: {finding}" for finding in self.findings]
        lines += [f"{m}: {failure}" for m, failure in self.failures.items()]
        diagnostics = {m: r.diagnostics for m, r in self.results.items() if r.diagnostics}
        lines += [f"{m}: {'; '.join(d)}" for m, d in diagnostics.items()]
        return lines

    def __str__(self) -> str:
        return self.table()


def _clipped(text: str, limit: int = 60) -> str:
    """Long expressions shortened for a one-line repr."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


_COST_FIELDS = ("flops", "forward_sweeps", "backward_sweeps", "evaluations", "memory_bytes", "seconds")
_COST_COLUMNS = ("operations", *_COST_FIELDS)


def _without_prefix(message: str, method: str) -> str:
    """The reason without the "numeric method: " a DomainError starts with: the row already names the method."""
    prefix = f"{method} method: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _failure_cells(row: dict, names: list[str], timing: bool) -> list[str]:
    """A failed method's table cells: "cut off"/"failed" in place of answers; the costs measured until then.

    The symbolic method is cut off before it evaluates anything: its operations show as "-" (none were done,
    and 0 would read as a free derivative); its time is what SymPy spent until the budget stopped it.
    """
    status = row["failure"].split(":", 1)[0]
    method = row["method"] if names else f"{row['method']} ({status})"
    answers = [status] + ["-"] * (len(names) - 1) if names else []
    ran = row["flops"] is not None and row["evaluations"] + row["forward_sweeps"] + row["backward_sweeps"] > 0
    ops, flops = (str(row["operations"]), str(row["flops"])) if ran else ("-", "-")
    memory = format_bytes(row["memory_bytes"]) if ran else "-"
    time_cell = f"{row['seconds'] * 1e3:.2f} ms" if row["seconds"] is not None else "-"
    return [method, *answers, ops, flops, "none", memory] + ([time_cell] if timing else [])


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
    ``findings`` (``errors="warn"`` to have it warned as well).

    A method that cannot answer (symbolic swell past ``dk.limits.symbolic_size``, a memory refusal, a domain
    error under ``errors="raise"``, an option it does not take) does not stop the comparison: its row says
    "cut off" or "failed" with the reason, and ``failures`` holds it; the other methods are compared as usual.
    A bad request (unknown variable, unreadable text, a bad ``at``) still raises: no method could run.
    """
    errors = check.choice("errors=", errors, POLICIES)
    chosen = {m: {"errors": errors} for m in METHODS}
    for m, extra in _checked_options(options).items():
        chosen[m].update(extra)
    chosen["numeric"] = {"error_estimate": True, **chosen.get("numeric", {})}  # compare diagnoses: estimate
    methods = (methods,) if isinstance(methods, str) else methods
    if not isinstance(methods, list | tuple) or not methods or any(m not in METHODS for m in methods):
        raise MethodError(f"compare needs methods from {', '.join(METHODS)}, got {check.shown(methods)}")
    request = Request(expr, at, wrt)
    if not request.wrt:
        raise BindingError("the expression has no variables to differentiate by")
    verb = gradient if request.graph.is_scalar_output else jacobian
    point = {k: v for k, v in request.bound.items() if k not in request.graph.data}  # data stays in the graph
    results, failures = {}, {}
    for m in methods:
        try:
            results[m] = verb(request.graph, point, method=m, wrt=request.wrt, **chosen.get(m, {}))
        except DiffkitError as exc:  # one method failing is part of the comparison, not the end of it
            failures[m] = Failure(m, _without_prefix(str(exc), m), exc, exc.cost)
    discrepancies = {(a, b): discrepancy(results[a].as_array(), results[b].as_array())
                     for a, b in combinations(results, 2)}
    findings = diagnose(results, discrepancy, request.graph, request.bound)
    at_shown = {k: (v.item() if v.ndim == 0 else v.copy()) for k, v in point.items()}
    return Comparison(str(request.graph), at_shown, results, discrepancies, findings, failures)


def _checked_options(options) -> dict:
    """``options`` of ``compare``: None, or a dict {method name: dict of that method's options} (the values are
    checked by the method's verb, which reports a bad one as that method's failure)."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise check.OptionError(f"options must be a dict {{method: {{option: value}}}}, e.g. "
                                f"{{'numeric': {{'scheme': 'richardson'}}}}; got {check.shown(options)}")
    for method, extra in options.items():
        check.choice("method in options", method, METHODS)
        if not isinstance(extra, dict):
            raise check.OptionError(f"options[{method!r}] must be a dict of {method}'s options, got "
                                    f"{check.shown(extra)}")
    return options
