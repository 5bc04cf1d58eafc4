"""A corpus of expressions, each differentiated four ways and its disagreements diagnosed: ``dk.crosscheck``.

    >>> import diffkit as dk
    >>> check = dk.crosscheck(["x*y + sin(x)", "sqrt(x)", "log(x", "x**2 + z"], at={"x": 0.0, "y": 2.0})
    >>> check.counts
    {'agree': 1, 'disagree': 1, 'failed': 0, 'invalid': 2, 'error': 0}
    >>> check.worst()[0]["expression"]
    'sqrt(x)'

Each expression is text, parsed (never executed) and compared by ``dk.compare`` at the variables of ``at`` it
uses; its record says how it came out (``OUTCOMES``), the largest discrepancy, the findings of the existing
diagnosis, and each method's counted costs. With ``out=`` every record is appended to a JSON-lines file as it
arrives, so an interrupted run loses nothing done and a re-run skips it. With ``client=`` (a
``distributed.Client``) the expressions run as tasks on a Dask cluster, in batches, gathered as they finish.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import options as check
from .compare import compare
from .errors import BindingError, DiffkitError, ParseError
from .journal import Journal, writable
from .keywords import checked_keywords
from .parse import parse
from .progress import bar as progress_bar
from .text import format_value

# How an expression came out: every method agreed; some disagreed (the diagnosis says why); a method could not
# answer (cut off or failed, the others agreeing); the expression or point was not valid (nothing could run);
# an unexpected exception (a bug in diffkit: please report the expression).
OUTCOMES = ("agree", "disagree", "failed", "invalid", "error")


@dataclass
class CrossCheck:
    """The records of a cross-check (one per expression, in the corpus's order) and what was lost, if anything.

    ``lost``: expressions whose task failed on the cluster even after a retry (a worker dying twice); they are
    not written to ``out``, so running again computes them.
    """

    at: dict
    records: list[dict]
    lost: list[dict] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """{outcome: number of expressions}, every outcome of ``OUTCOMES`` present."""
        counts = dict.fromkeys(OUTCOMES, 0)
        for record in self.records:
            counts[record["outcome"]] += 1
        return counts

    def worst(self, count: int = 5) -> list[dict]:
        """The ``count`` largest disagreements, largest first (nan, one side not a number, counts as largest)."""
        count = check.positive_int("count", count)
        found = [r for r in self.records if r["outcome"] == "disagree"]
        found.sort(key=lambda r: (-(math.inf if r["largest"] is None else r["largest"]), r["index"]))
        return found[:count]

    def report(self, worst: int = 5) -> str:
        """The counts by outcome, the worst disagreements with their likely causes, the failures and the invalid."""
        worst = check.positive_int("worst", worst)
        point = ", ".join(f"{k}={format_value(v)}" for k, v in self.at.items()) or "no variables"
        lines = [f"cross-check of {len(self.records) + len(self.lost)} expressions at {point}", ""]
        lines += [f"  {outcome:<9} {n}" for outcome, n in self.counts.items()]
        if self.lost:
            lines.append(f"  {'lost':<9} {len(self.lost)} (their tasks failed on the cluster; run again)")
        disagreements = self.worst(worst)
        if disagreements:
            lines += ["", "worst disagreements:"]
            for r in disagreements:
                size = "nan" if r["largest"] is None else f"{r['largest']:.2e}"
                lines.append(f"  #{r['index']}  {r['expression']}  {size} ({' vs '.join(r['pair'])})")
                lines += [f"      {finding}" for finding in r["findings"]]
        for outcome, title in (("failed", "methods that could not answer"), ("invalid", "invalid"),
                               ("error", "unexpected errors (please report these)")):
            chosen = [r for r in self.records if r["outcome"] == outcome]
            if chosen:
                lines += ["", f"{title}:"]
                for r in chosen[:worst]:
                    reason = r["error"] or "; ".join(f"{m} {why}" for m, why in r["failures"].items())
                    lines.append(f"  #{r['index']}  {r['expression']}: {reason}")
                if len(chosen) > worst:
                    lines.append(f"  ... and {len(chosen) - worst} more")
        lines += [f"  lost #{r['index']}  {r['expression']}: {r['reason']}" for r in self.lost[:worst]]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {outcome}" for outcome, n in self.counts.items() if n)
        return f"<CrossCheck of {len(self.records)} expressions: {counts or 'none'}>"


def check_one(index: int, text: str, at: dict) -> dict:
    """One expression's record: parsed, compared four ways at the variables of ``at`` it uses, diagnosed."""
    record = {"index": index, "expression": text, "outcome": "agree", "largest": None, "pair": None,
              "findings": [], "failures": {}, "error": None, "methods": {}}
    try:
        graph = parse(text)
        comparison = compare(graph, at={k: v for k, v in at.items() if k in graph.variables})
    except DiffkitError as exc:  # unreadable text, a variable with no value, nothing to differentiate by
        message = exc.reason if isinstance(exc, ParseError) else str(exc)
        return {**record, "outcome": "invalid", "error": " ".join(message.split())}
    except Exception as exc:  # noqa: BLE001 — a bug the corpus found: reported as its outcome, not a crash
        return {**record, "outcome": "error", "error": f"{type(exc).__name__}: {' '.join(str(exc).split())}"}
    pair, largest = comparison.largest_discrepancy
    record.update(pair=list(pair) if pair else None, largest=largest if math.isfinite(largest) else None,
                  findings=[str(f) for f in comparison.findings],
                  failures={m: str(f) for m, f in comparison.failures.items()},
                  methods={m: _figures(r.cost) for m, r in comparison.results.items()})
    record["outcome"] = "disagree" if comparison.findings else "failed" if comparison.failures else "agree"
    return record


def check_batch(items: list[tuple[int, str]], at: dict) -> list[dict]:
    """Records of several expressions: one task on a cluster (a task per expression would cost more in
    scheduling than the expression does)."""
    return [check_one(index, text, at) for index, text in items]


def _figures(cost) -> dict:
    return {"operations": cost.total_operations, "flops": cost.flops, "sweeps": cost.sweeps,
            "evaluations": cost.evaluations, "memory_bytes": cost.memory_bytes}


@checked_keywords
def crosscheck(expressions: Sequence[str], at: dict | None = None, client=None, out=None,
               progress: bool | None = None) -> CrossCheck:
    """Differentiate every expression four ways at ``at`` and diagnose the disagreements.

    Args:
        expressions: a list of expression texts (parsed through a whitelist, never executed).
        at: the point, {variable: number}; each expression is taken at the variables it uses.
        client: a ``distributed.Client`` to run on a Dask cluster (``pip install 'diffkit[distributed]'``);
            None runs here, one expression after another.
        out: a JSON-lines file the records are appended to as they arrive; when it already holds records of the
            same expressions at the same point, those are read back and not computed again.
        progress: a bar over the expressions (None: on a terminal).

    Returns:
        A ``CrossCheck``: ``.records`` (one per expression, in order), ``.counts`` by outcome, ``.worst()``,
        ``.report()``.
    """
    expressions = _checked_expressions(expressions)
    at = _checked_point(at)
    progress = check.flag("progress", progress, allow_none=True, none_means="a bar on a terminal")
    if client is not None:
        from .tasks import checked_client

        client = checked_client(client)
    journal = None
    if out is not None:
        out = check.path("out", out)
        writable(out)
        journal = Journal(out, _header(expressions, at))
    try:
        done = {r["index"]: r for r in journal.done} if journal else {}
        pending = [(i, text) for i, text in enumerate(expressions) if i not in done]
        found: dict[int, dict] = dict(done)
        lost: list[dict] = []
        with progress_bar(total=len(pending), progress=progress, desc="cross-check", unit="expr") as bar:
            def keep(record: dict) -> None:
                found[record["index"]] = record
                if journal:
                    journal.append(record)
                bar.update()

            if client is None:
                for index, text in pending:
                    keep(check_one(index, text, at))
            else:
                lost = _on_cluster(client, pending, at, keep)
    finally:
        if journal:
            journal.close()
    return CrossCheck(at, [found[i] for i in sorted(found)], lost)


def _on_cluster(client, pending: list[tuple[int, str]], at: dict, keep) -> list[dict]:
    """The pending expressions as batches of tasks on the cluster, each batch's records kept as it finishes."""
    from .tasks import TaskRun, workers

    size = max(1, min(50, math.ceil(len(pending) / (16 * workers(client)))))  # ~16 batches a worker: balanced
    batches = [pending[i:i + size] for i in range(0, len(pending), size)]
    run = TaskRun(client, check_batch, range(len(batches)), [(batch, at) for batch in batches])
    lost = []
    try:
        for outcome in run:
            if outcome.failure is None:
                for record in outcome.value:
                    keep(record)
            else:
                lost += [{"index": i, "expression": text, "reason": outcome.failure} for i, text in
                         batches[outcome.key]]
    except BaseException:  # Ctrl-C: leave nothing computing on the cluster for nobody
        run.cancel_all()
        raise
    return sorted(lost, key=lambda r: r["index"])


def _header(expressions: list[str], at: dict) -> dict:
    digest = hashlib.sha256(json.dumps(expressions, ensure_ascii=False).encode("utf-8")).hexdigest()
    return {"diffkit": "crosscheck", "at": at, "expressions": len(expressions), "sha256": digest}


def _checked_expressions(expressions) -> list[str]:
    if isinstance(expressions, str):
        raise BindingError("expressions must be a list of expression texts, got one string: wrap it in a list, "
                           "or read a file's lines (diffkit crosscheck FILE)")
    if not isinstance(expressions, Sequence):
        raise BindingError(f"expressions must be a list of expression texts, got {check.shown(expressions)}")
    for i, text in enumerate(expressions):
        if not isinstance(text, str):
            raise BindingError(f"expressions[{i}] must be expression text (a str), got {check.shown(text)}")
    return list(expressions)


def _checked_point(at) -> dict:
    if at is None:
        return {}
    if not isinstance(at, dict):
        raise BindingError(f"at must be a dict {{variable: number}}, e.g. {{'x': 1.0}}, got {check.shown(at)}")
    point = {}
    for name, value in at.items():
        if not isinstance(name, str) or not name:
            raise BindingError(f"at's keys must be variable names, got {check.shown(name)}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise BindingError(f"at[{name!r}] must be a finite number (one point for every expression), got "
                               f"{check.shown(value)}")
        point[name] = float(value)
    return point
