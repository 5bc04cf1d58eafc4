"""Running a study: every method on every size of a family, its costs counted and timed, under a budget.

    >>> from diffkit import studies
    >>> res = studies.run("gradient_vs_inputs", sizes=[16, 32, 64, 128], methods=["forward", "reverse"], repeats=1,
    ...                   budget_seconds=None, progress=False)   # no time guard: the same rows on every machine
    >>> round(res.fit("flops")["reverse"], 1)            # ≈ 1: reverse mode's cost grows like the function's
    1.0
    >>> res.to_csv("cost.csv")

The counted figures (operations, flops, sweeps, evaluations, memory, expression sizes) depend only on the graph
and the point's shapes, so they are taken from one run; seconds are the median of ``repeats`` timed runs. A
method that raises SwellError or ResourceError at some size, or whose run takes longer than ``budget_seconds``,
is *cut off* there: its row says so and why, and it is skipped (rows with ``cut_off=True``) at every larger size.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import api, estimate
from .. import options as check
from ..errors import BindingError, ResourceError
from ..limits import amount, check_memory, check_work, limits
from ..progress import bar as progress_bar
from .cells import FAILED, base_row, cell_work, measured_row, skipped_row
from .families import Family, family_of

# The columns of a study's rows, in order, and how a CSV cell is read back.
COLUMNS = {
    "family": str, "variant": str, "size": int, "method": str, "inputs": int, "outputs": int,
    "flops": int, "function_flops": int, "ratio": float, "operations": int, "function_operations": int,
    "forward_sweeps": int, "backward_sweeps": int, "evaluations": int, "memory_bytes": int,
    "seconds": float, "runs": int, "expression_size": int, "dag_size": int, "cut_off": bool, "reason": str,
}

# Figures a study can be plotted and fitted by. "sweeps" counts passes over the function: forward plus backward
# sweeps, or evaluations for the numeric and symbolic methods (which do not sweep).
METRICS = ("flops", "seconds", "memory_bytes", "operations", "sweeps", "expression_size")
FIT_METRICS = (*METRICS, "dag_size", "ratio")

def metric(row: dict, y: str):
    """One row's figure ``y`` (None where the method did not produce it)."""
    if y == "sweeps":
        if row.get("forward_sweeps") is None:
            return None
        sweeps = row["forward_sweeps"] + row["backward_sweeps"]
        return sweeps if sweeps else row["evaluations"]
    return row.get(y)


def check_metric(y: str, allowed: Sequence[str] = METRICS) -> str:
    if not isinstance(y, str) or y not in allowed:
        raise check.OptionError(f"unknown figure y={check.shown(y)}; choose one of {', '.join(allowed)}")
    return y


@dataclass
class StudyResult:
    """A study's rows (one per size and method, cut-off ones included) and the settings that made them."""

    rows: list[dict]
    family: str
    variant: str | None = None
    settings: dict = field(default_factory=dict)

    @property
    def methods(self) -> list[str]:
        """The methods studied, in the order they were run."""
        return list(dict.fromkeys(row["method"] for row in self.rows))

    @property
    def sizes(self) -> list[int]:
        return sorted({row["size"] for row in self.rows})

    def points(self, method: str, y: str = "flops") -> tuple[list[int], list[float]]:
        """(sizes, figures) of a method's rows that are not cut off and have the figure."""
        check.choice("method", method, self.methods)
        check_metric(y, FIT_METRICS)
        sizes, values = [], []
        for row in self.rows:
            value = metric(row, y)
            if row["method"] == method and not row["cut_off"] and value is not None:
                sizes.append(row["size"])
                values.append(value)
        return sizes, values

    def cut_offs(self) -> dict[str, dict]:
        """{method: the row where it was cut off} (the smallest size; later sizes were skipped)."""
        first: dict[str, dict] = {}
        for row in sorted(self.rows, key=lambda r: r["size"]):
            if row["cut_off"] and row["method"] not in first:
                first[row["method"]] = row
        return first

    def failures(self) -> list[dict]:
        """The rows of cells that failed on a cluster even after a retry (reason "failed: ..."; no figures)."""
        return [row for row in self.rows if (row.get("reason") or "").startswith(FAILED)]

    def fit(self, y: str = "flops") -> dict[str, float | None]:
        """{method: exponent}: the least-squares slope of log y against log size over the points not cut off
        (positive figures only); None where fewer than 3 points remain."""
        check_metric(y, FIT_METRICS)
        return {method: fit_exponent(*self.points(method, y)) for method in self.methods}

    def to_csv(self, path) -> None:
        """One line per row, the columns of ``COLUMNS``; empty cells for figures a method did not produce."""
        path = check.path("path", path, allow_none=False)  # not an int: open(1) would write to, then close, stdout
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=list(COLUMNS), extrasaction="ignore")
            writer.writeheader()
            for row in self.rows:
                writer.writerow({k: "" if row.get(k) is None else row[k] for k in COLUMNS})

    def to_json(self, path) -> None:
        """The rows with the family, variant and settings."""
        path = check.path("path", path, allow_none=False)
        data = {"family": self.family, "variant": self.variant, "settings": self.settings, "rows": self.rows}
        Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")

    def __repr__(self) -> str:
        cut = ", ".join(f"{m} at {r['size']}" for m, r in self.cut_offs().items()) or "none"
        return (f"<StudyResult {self.family} ({self.variant}): {len(self.sizes)} sizes × {len(self.methods)} "
                f"methods, cut off: {cut}>")

    def _repr_png_(self) -> bytes | None:
        """Jupyter shows a study as its plot (``studies.plot``); None (the text repr) when it has no rows."""
        picture = _PICTURE.get("plot")
        return picture(self)._repr_png_() if self.rows and picture is not None else None


# How a notebook shows a StudyResult: ``studies.plot`` builds on this module, so it registers its plot here.
_PICTURE: dict[str, Callable] = {}


def register_picture(plot: Callable) -> None:
    """Let ``StudyResult._repr_png_`` draw ``plot(result)`` (called by ``diffkit.studies.plot``)."""
    _PICTURE["plot"] = plot


def fit_exponent(sizes: Sequence[float], values: Sequence[float]) -> float | None:
    """Slope of log(value) against log(size) by least squares; None with fewer than 3 usable points."""
    pairs = [(float(s), float(v)) for s, v in zip(sizes, values, strict=True)
             if s is not None and v is not None and s > 0 and v > 0 and np.isfinite(v)]
    if len(pairs) < 3 or len({s for s, _ in pairs}) < 2:
        return None
    x = np.log([s for s, _ in pairs])
    z = np.log([v for _, v in pairs])
    return float(np.polyfit(x, z, 1)[0])


def load(path) -> StudyResult:
    """A study written by ``to_json`` or ``to_csv``, read back (a CSV has no settings)."""
    path = Path(check.path("path", path, allow_none=False))
    if not path.is_file():
        raise check.OptionError(f"no study file at {str(path)!r} (give the path to_json or to_csv wrote)")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            return StudyResult(data["rows"], data["family"], data.get("variant"), data.get("settings", {}))
        rows = []
        with open(path, newline="", encoding="utf-8") as file:
            for record in csv.DictReader(file):
                rows.append({name: _cell(record.get(name, ""), kind) for name, kind in COLUMNS.items()})
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:  # not JSON, not a study's columns
        raise BindingError(f"{str(path)!r} is not a study written by to_json or to_csv ({exc})") from None
    if not rows:
        raise BindingError(f"{path} holds no study rows")
    return StudyResult(rows, rows[0]["family"], rows[0]["variant"])


def _cell(text: str, kind: type):
    if text == "":
        return None
    if kind is bool:
        return text == "True"
    return kind(text)


# --- running ----------------------------------------------------------------------------------------------------

def run(family, sizes: Sequence[int] | None = None, methods: Sequence[str] | str = api.METHODS, repeats: int = 5,
        seed: int = 0, budget_seconds: float | None = 30, progress: bool | None = None, variant: str | None = None,
        symbolic_size: int | None = None, client=None, **options) -> StudyResult:
    """Run ``family`` (a name of ``FAMILIES`` or a Family) at each size by each method.

    ``sizes``: whole numbers (the family's defaults when None), run in increasing order. ``repeats``: timed runs
    per (size, method), the median reported; fewer when they would together exceed ``budget_seconds``.
    What is computed is decided by sizes: a method that raises SwellError (its derivative past ``symbolic_size``
    tree nodes, default ``dk.limits.symbolic_size``) or ResourceError is cut off at that size and skipped at
    larger ones, the same on every machine. ``budget_seconds`` is only a last-resort time guard: a run that
    takes longer (or SymPy work that would: it is stopped then) is cut off too, with a reason saying the time
    guard fired (that cut-off depends on the machine); None: no time guard.
    ``variant`` and ``options`` choose the family's function (``FAMILIES[name].variants``, ``.options``).
    ``progress``: a bar over the (size, method) pairs (None: on a terminal or a notebook with widgets).
    ``client``: a ``distributed.Client`` to run the (size, method) cells as tasks on a Dask cluster (``pip install
    'diffkit[distributed]'``): the same rows and counted figures as here; a cell that fails even after a retry
    (its worker dying twice) is reported in its row (reason "failed: ...") and the rest completes.
    """
    fam = family_of(family)
    variant = fam.variant(variant)
    methods = _checked_methods(methods)
    sizes = _checked_sizes(fam, sizes, variant, options)
    repeats = _whole(repeats, "repeats", 1)
    # Each timed run's seconds are kept for the median: refuse a count they could not be kept for (repeats=10**400
    # with budget_seconds=None would otherwise run until stopped).
    check_memory(f"{amount(repeats)} timed runs per size and method", 32 * repeats,
                 "ask for fewer repeats (the median of a few runs is as steady)")
    seed = _whole(seed, "seed", 0)
    budget_seconds = check.number("budget_seconds", budget_seconds, low=0, low_open=True, allow_none=True,
                                  what="a positive number of seconds, or None for no time guard")
    if budget_seconds is not None:
        check.seconds("budget_seconds", budget_seconds)  # it becomes the symbolic method's seconds=: capped there
    symbolic_size = check.positive_int("symbolic_size", symbolic_size, allow_none=True)
    progress = check.flag("progress", progress, allow_none=True, none_means="a bar on a terminal")
    for size in sizes:  # every cell estimated before any is built: a study that cannot finish does not start
        check_cells(fam, size, variant, methods, options)
    settings = {"sizes": sizes, "methods": methods, "repeats": repeats, "seed": seed,
                "budget_seconds": budget_seconds, "symbolic_size": symbolic_size, "options": dict(options),
                "verb": fam.verb}
    if client is not None:
        from ..tasks import checked_client
        from .cluster import run_cells

        client = checked_client(client)
        with progress_bar(total=len(sizes) * len(methods), progress=progress, desc=fam.name, unit="run") as bar:
            rows = run_cells(client, fam, variant, sizes, methods, seed, dict(options), repeats, budget_seconds,
                             symbolic_size, bar)
        return StudyResult(rows, fam.name, variant, settings)
    rows: list[dict] = []
    cut: dict[str, int] = {}  # method -> the size it was cut off at
    with progress_bar(total=len(sizes) * len(methods), progress=progress, desc=fam.name, unit="run") as bar:
        for size in sizes:
            problem = fam(size, variant, seed, **options) if any(m not in cut for m in methods) else None
            base = base_row(fam, variant, size, problem)
            for method in methods:
                bar.set_postfix_str(f"{fam.symbol}={size} {method}", refresh=False)
                if method in cut:
                    rows.append(skipped_row(fam, base, method, cut[method]))
                else:
                    row = measured_row(fam, base, problem, method, repeats, budget_seconds, symbolic_size)
                    if row["cut_off"]:
                        cut[method] = size
                    rows.append(row)
                bar.update()
    return StudyResult(rows, fam.name, variant, settings)


def check_cells(fam: Family, size: int, variant: str, methods: Sequence[str], options: dict) -> None:
    """Refuse a study at ``size`` before building anything: its graph would be over ``dk.limits.graph_nodes`` or
    take more than ``dk.limits.work_operations`` to build, or every method is estimated over the budget."""
    scale = fam.scale(size, variant, **options)
    cell = f"the {fam.name} study at {fam.symbol} = {size:,}"
    advice = "use smaller sizes"
    if scale.nodes > limits.graph_nodes:
        raise ResourceError(f"{cell} would build a graph of about {scale.nodes:.2g} nodes, over the budget of "
                            f"{limits.graph_nodes:,} (dk.limits.graph_nodes); {advice}, or raise "
                            "dk.limits.graph_nodes")
    build = estimate.build_work(scale.nodes) + estimate.Work(0.0, scale.setup)
    check_work(f"{cell}: building its graph of about {scale.nodes:.2g} nodes"
               + (f" and its {scale.inputs:.2g} parameters and data" if scale.setup else ""), build.operations, advice)
    works = {method: (build + cell_work(fam.verb, method, scale)).operations for method in methods}
    cheapest = min(works, key=works.get)
    check_work(f"{cell} by {cheapest}, the cheapest of the methods asked for,", works[cheapest],
               f"every method asked for is over the budget at this size; {advice}")


def _checked_methods(methods) -> list[str]:
    if isinstance(methods, str):
        methods = [methods]
    if not isinstance(methods, list | tuple):
        raise check.OptionError(f"methods must be a list of method names, got {check.shown(methods)}")
    unknown = [m for m in methods if not isinstance(m, str) or m not in api.METHODS]
    if unknown or not methods:
        what = f"unknown method(s) {', '.join(map(check.shown, unknown))}" if unknown else "no methods given"
        close = check.suggestion(unknown[0], api.METHODS) if unknown and isinstance(unknown[0], str) else ""
        raise check.OptionError(f"{what}; choose from {', '.join(api.METHODS)}{close}")
    return list(dict.fromkeys(methods))


def _checked_sizes(fam: Family, sizes, variant: str, options: dict) -> list[int]:
    if sizes is None:
        sizes = fam.sizes
    if isinstance(sizes, str) or not isinstance(sizes, Sequence | np.ndarray) or len(sizes) == 0:
        raise check.OptionError(f"sizes must be a non-empty list of whole numbers ({fam.symbol} = {fam.meaning}), "
                                f"got {check.shown(sizes)}")
    for size in sizes:
        fam.check(size, variant, **options)
    return sorted({int(s) for s in sizes})


def _whole(value, name: str, least: int) -> int:
    return check.number(name, value, low=least, integer=True, what=f"a whole number ≥ {least}")
