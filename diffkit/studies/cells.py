"""One cell of a study: a (size, method) pair measured — its problem's base figures, the method's counted costs
from its first run, the median seconds of its timed runs. The local run (``runner``) and a cluster's workers
(``cluster``) build every row here, so their rows are the same."""

from __future__ import annotations

import statistics
import time

import numpy as np

from .. import api, estimate
from ..errors import ResourceError, SwellError
from ..evaluation import run_plan
from ..graph import Graph
from .families import Family, Problem, Scale

FAILED = "failed: "  # how the reason of a cell that failed on a cluster starts (studies.run(..., client=))

VERBS = {"gradient": api.gradient, "jacobian": api.jacobian, "hessian": api.hessian, "hvp": api.hvp}


def function_flops(graph: Graph, at=None) -> int:
    """Flops of one plain evaluation of the graph at ``at``: Σ over its steps of flop weight × work, counted the
    way the methods count theirs (so a method's flops divided by this is its cost in evaluations)."""
    bound = graph.bind(at)
    counted = 0

    def count(step, out, args):
        nonlocal counted
        counted += step.primitive.flops * step.primitive.work_of(out, args, step.params)

    with np.errstate(all="ignore"):
        run_plan(graph.plan, bound, on_step=count)
    return int(counted)


def cell_work(verb: str, method: str, scale: Scale) -> estimate.Work:
    """A rough estimate of one method's work on a family's problem, from its scale alone (the graph is not
    built yet): one evaluation's work f, times the passes the method makes. The methods estimate their work
    exactly before they start, and refuse what is over the budget (the study's cut-offs); this estimate only
    tells a study that could not finish at all, so it errs low."""
    f = estimate.Work(scale.steps, scale.flops)
    n = scale.inputs
    visits = estimate.Work(0.0, 0.0, estimate.VISIT_OPERATIONS * scale.steps)  # a backward sweep's passes
    if method == "symbolic":  # SymPy writes at least one node for each of the graph's (its own budgets decide)
        return estimate.build_work(scale.nodes)
    if verb == "hvp":  # about two gradients (reverse), four (numeric), a second-order sweep per input (forward)
        return {"reverse": f * 4, "numeric": f * 9, "forward": f * (3 * n)}[method]
    if verb == "hessian":
        return {"reverse": estimate.build_work(scale.nodes) + f * 2 + visits * (2 * n),
                "forward": f * (n * (n + 1) / 2),
                "numeric": f * (2 * n * n + 2)}[method]
    if method == "reverse":
        return f * 2 + visits * scale.outputs
    if method == "forward":
        return f * n
    evaluations = 2 * n + 1
    batching = api.NUMERIC_BATCHING
    if scale.flops < scale.steps * 4 and n >= batching.variables:  # a scalar graph at one point: batched
        chunks = -(-(evaluations - 1) // max(1, batching.chunk_bytes // (8 * scale.nodes)))
        return estimate.Work(scale.steps * (1 + chunks), scale.flops * evaluations)
    return f * evaluations


def base_row(fam: Family, variant: str, size: int, problem: Problem | None) -> dict:
    row = {"family": fam.name, "variant": variant, "size": size, "inputs": None, "outputs": None,
           "function_flops": None, "function_operations": None}
    if problem is not None:
        row.update(inputs=problem.inputs, outputs=problem.outputs,
                   function_flops=function_flops(problem.graph, problem.at),
                   function_operations=problem.graph.operations)
    return row


def empty_row(method: str) -> dict:
    return {"method": method, "flops": None, "ratio": None, "operations": None, "forward_sweeps": None,
            "backward_sweeps": None, "evaluations": None, "memory_bytes": None, "seconds": None, "runs": 0,
            "expression_size": None, "dag_size": None, "cut_off": False, "reason": None}


def skipped_row(fam: Family, base: dict, method: str, cut_at: int) -> dict:
    """The row of a method past the size it was cut off at: not run."""
    return {**base, **empty_row(method), "cut_off": True, "reason": f"skipped: cut off at {fam.symbol} = {cut_at}"}


def measure(verb, problem: Problem, method: str, repeats: int, budget: float | None,
             symbolic_size: int | None = None) -> dict:
    """One (size, method) pair: the counted figures of the first run, the median seconds of the timed runs."""
    row = empty_row(method)
    options = {"seconds": budget} if method == "symbolic" and budget is not None else {}
    if method == "symbolic" and symbolic_size is not None:
        options["max_size"] = symbolic_size
    times: list[float] = []
    result = None
    while len(times) < repeats:
        if times and budget is not None and sum(times) + times[-1] > budget:
            break  # another run would take the pair past its budget
        fresh_sympy(method)
        started = time.perf_counter()
        try:
            direction = {"vector": problem.vector} if problem.vector is not None else {}
            result_now = verb(problem.graph, problem.at, method=method, wrt=problem.wrt, **direction, **options)
        except (SwellError, ResourceError) as exc:
            if result is None:  # refused at its first run: cut off, nothing measured
                row.update(cut_off=True, reason=f"{type(exc).__name__}: {exc}")
                return row
            break  # a repeat that ran into the SymPy time budget: keep the runs that finished
        finally:
            fresh_sympy(method)
        times.append(time.perf_counter() - started)
        result = result if result is not None else result_now
        if budget is not None and times[0] > budget:
            break
    cost = result.cost
    row.update(flops=cost.flops, operations=cost.total_operations, forward_sweeps=cost.forward_sweeps,
               backward_sweeps=cost.backward_sweeps, evaluations=cost.evaluations, memory_bytes=cost.memory_bytes,
               seconds=statistics.median(times), runs=len(times),
               expression_size=cost.details.get("derivative tree size"),
               dag_size=cost.details.get("after CSE (DAG size)"))
    if budget is not None and times[0] > budget:
        row.update(cut_off=True, reason=f"time guard fired: took {times[0]:.3g} s, over the budget of {budget:g} s "
                                        "(budget_seconds, a last-resort guard: this cut-off depends on the machine)")
    return row


def fresh_sympy(method: str) -> None:
    """SymPy caches what it differentiated: each timed symbolic run starts from an empty cache, as a first
    request would (and the memory is given back after)."""
    if method == "symbolic":
        from sympy.core.cache import clear_cache

        clear_cache()


def measured_row(fam: Family, base: dict, problem: Problem, method: str, repeats: int, budget: float | None,
                 symbolic_size: int | None) -> dict:
    """A cell's whole row: the size's base figures, the method's measured ones, and their ratio."""
    row = {**base, **measure(VERBS[fam.verb], problem, method, repeats, budget, symbolic_size)}
    if row["flops"] is not None and base["function_flops"]:
        row["ratio"] = row["flops"] / base["function_flops"]
    return row
