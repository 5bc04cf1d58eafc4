"""Why methods disagree: which one is off, and the likely cause.

Used by ``dk.compare``. The exact methods (symbolic, forward, reverse) should agree to rounding; the numeric
method to within its own error estimate. When they do not, the usual causes are: a non-differentiable point
(a kink of abs/relu/max...), the numeric method's truncation or round-off (cancellation), a domain boundary
(nan/inf values), or SymPy's formula evaluated as written (overflow or cancellation that diffkit's stable
rules avoid).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .evaluation import run_plan
from .graph import Graph

EXACT = ("symbolic", "forward", "reverse")
EXACT_AGREEMENT = 1e-8  # relative discrepancy under which two exact methods agree
NUMERIC_AGREEMENT = 1e-6  # ... and the numeric method, unless its own error estimate says more


@dataclass
class Finding:
    """One method that disagrees with the others, by how much, and the likely causes."""

    method: str
    discrepancy: float
    causes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        causes = "; ".join(self.causes) if self.causes else "no known cause: please report this expression"
        if self.discrepancy != self.discrepancy:  # nan: one side is not a number at all
            return f"{self.method} gives nan where the others give numbers: {causes}"
        return f"{self.method} is off by {self.discrepancy:.1e} (relative): {causes}"


def kinks(graph: Graph, bound: dict) -> list[str]:
    """Non-smooth primitives evaluated exactly at a kink: abs/relu/sign/heaviside at 0, maximum/minimum at a tie."""
    with np.errstate(all="ignore"):
        values = run_plan(graph.plan, bound)
    found = []
    for step in graph.plan.steps:
        if step.primitive.smooth:
            continue
        args = [values[a] for a in step.args]
        at_kink = np.any(args[0] == 0) if len(args) == 1 else np.any(args[0] == args[1])
        if at_kink:
            where = "0" if len(args) == 1 else "a tie"
            found.append(f"{step.primitive.name} at {where}")
    return list(dict.fromkeys(found))


def _relative_error_estimate(result, scale: float) -> float:
    """The numeric method's own error estimate, relative to the derivative's size (0 when absent)."""
    estimate = result.error_estimate
    if estimate is None or scale == 0:
        return 0.0
    values = list(estimate.values()) if isinstance(estimate, dict) else [estimate]
    finite = [np.abs(a[np.isfinite(a)]) for a in (np.asarray(v, dtype=float) for v in values)]
    largest = max((float(np.max(a, initial=0.0)) for a in finite), default=0.0)
    return largest / scale


def diagnose(results: dict, discrepancy, graph: Graph, bound: dict) -> list[Finding]:
    """The methods that disagree with the rest, each with the likely causes."""
    arrays = {m: r.as_array() for m, r in results.items()}
    exact = [m for m in EXACT if m in results]
    if not exact:
        return []
    # The reference is the exact method that agrees with most other exact methods (reverse on a tie).
    def agreements(m):
        return sum(discrepancy(arrays[m], arrays[o]) <= EXACT_AGREEMENT for o in exact if o != m)

    reference = max(reversed(exact), key=agreements)
    scale = float(np.nanmax(np.abs(arrays[reference]), initial=0.0))
    at_kinks = kinks(graph, bound)
    findings = []
    for method, result in results.items():
        if method == reference:
            continue
        d = discrepancy(arrays[method], arrays[reference])
        allowed = NUMERIC_AGREEMENT if method == "numeric" else EXACT_AGREEMENT
        if not (d > allowed or np.isnan(d)):
            continue
        findings.append(Finding(method, d, _causes(method, result, results[reference], scale, at_kinks)))
    return findings


def _causes(method, result, reference, scale: float, at_kinks: list[str]) -> list[str]:
    causes = []
    if at_kinks:
        causes.append(
            f"non-differentiable point ({', '.join(at_kinks)}): "
            + ("finite differences average the slopes on either side"
               if method == "numeric" else "the methods' conventions for the kink differ")
        )
    own = [m for m in result.diagnostics if m not in reference.diagnostics]
    if method == "numeric":
        if any("cancellation" in m for m in own):
            causes.append("round-off: the difference f(x+h) − f(x−h) cancels")
        relative = _relative_error_estimate(result, scale)
        if relative > NUMERIC_AGREEMENT and not any("cancellation" in m for m in own):
            causes.append(f"step-size truncation: the method estimates its own error at {relative:.1e} (relative); "
                          "scheme='richardson' or 'complex', or a step= suited to the function's scale, helps")
        elif relative > NUMERIC_AGREEMENT:
            causes.append(f"the method estimates its own error at {relative:.1e} (relative)")
        if any("outside its domain" in m or "division" in m for m in own):
            causes.append("domain boundary: a step x ± h leaves the function's domain")
        if any(m.startswith("step for ") for m in own):  # _trials: the step stayed too large
            causes.append("no step is small enough: f is not smooth at the scale float64 resolves there "
                          "(e.g. a pole within a few ulps), so the method's error estimate is inf")
    elif method == "symbolic" and own:
        causes.append("SymPy's formula, evaluated as written, overflows or leaves the domain where diffkit's "
                      "stable implementation does not: " + "; ".join(own))
    elif method == "symbolic":
        causes.append("SymPy evaluates its own (simplified, unstabilized) formula, e.g. 1 − tanh² once tanh saturates")
    if result.diagnostics and not own and not at_kinks:
        causes.append("domain boundary: " + "; ".join(result.diagnostics))
    return causes
