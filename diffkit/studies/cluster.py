"""A study's cells as tasks on a Dask cluster: ``studies.run(..., client=)``.

Each (size, method) cell builds its problem on a worker and measures it there, as the local run does; cells are
gathered as they finish and put back in the local run's order, so the rows — and every counted figure in them
— are the local run's (seconds differ, being seconds). A method cut off at some size has its cells at larger
sizes cancelled and reported as skipped, as locally. A cell that raises is retried once; a worker that dies has
its cells rescheduled by the scheduler; a cell that still fails is reported in its row (``reason`` "failed: ...",
no figures) and the rest of the study completes.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..tasks import TaskRun
from .cells import FAILED, base_row, cell_work, empty_row, measured_row, skipped_row
from .families import FAMILIES, Family

_BASE = ("inputs", "outputs", "function_flops", "function_operations")


def study_cell(family, variant: str, size: int, seed: int, options: dict, method: str, repeats: int,
               budget: float | None, symbolic_size: int | None) -> dict:
    """One cell's row, built and measured where it runs (a worker), exactly as the local run builds it."""
    fam = FAMILIES[family] if isinstance(family, str) else family
    problem = fam(size, variant, seed, **options)
    return measured_row(fam, base_row(fam, variant, size, problem), problem, method, repeats, budget, symbolic_size)


def run_cells(client, fam: Family, variant: str, sizes: Sequence[int], methods: Sequence[str], seed: int,
              options: dict, repeats: int, budget: float | None, symbolic_size: int | None, bar) -> list[dict]:
    """Every (size, method) cell on the cluster; the rows in the local run's order (sizes, then methods)."""
    # A family of FAMILIES travels by name (its builders need not pickle); another Family object as it is.
    family = fam.name if FAMILIES.get(fam.name) is fam else fam
    cells = [(size, method) for size in sizes for method in methods]
    # The heaviest cells first (by the estimate that vets a study before it starts): a large cell started last
    # would leave the other workers idle while it runs. A cut-off found later cancels only what has not started.
    scales = {size: fam.scale(size, variant, **options) for size in sizes}
    priorities = [int(min(cell_work(fam.verb, method, scales[size]).operations, 1e18)) for size, method in cells]
    run = TaskRun(client, study_cell, cells,
                  [(family, variant, size, seed, options, method, repeats, budget, symbolic_size)
                   for size, method in cells], priorities)
    found: dict[tuple[int, str], dict] = {}
    failed: dict[tuple[int, str], str] = {}
    cut: dict[str, int] = {}  # method -> the smallest size it was cut off at, so far
    try:
        for outcome in run:
            size, method = outcome.key
            bar.set_postfix_str(f"{fam.symbol}={size} {method}", refresh=False)
            bar.update()
            if outcome.failure is not None:
                failed[outcome.key] = outcome.failure
                continue
            found[outcome.key] = outcome.value
            if outcome.value["cut_off"] and size < cut.get(method, size + 1):
                cut[method] = size
                for later in sizes:  # the local run would not compute these: neither does the cluster
                    if later > size and (later, method) not in found:
                        run.cancel((later, method))
    except BaseException:  # Ctrl-C: leave nothing computing on the cluster for nobody
        run.cancel_all()
        raise
    bar.update(len(cells) - len(found) - len(failed))  # the cancelled cells
    return _rows(fam, variant, sizes, methods, found, failed, cut)


def _rows(fam: Family, variant: str, sizes, methods, found: dict, failed: dict, cut: dict) -> list[dict]:
    """The rows as the local run writes them: skipped past a cut-off, a failed cell with its reason."""
    rows = []
    for size in sizes:
        skipped = {m for m in methods if m in cut and cut[m] < size}
        base = base_row(fam, variant, size, None)
        measured = [found[(size, m)] for m in methods if m not in skipped and (size, m) in found]
        if measured:  # the local run built this size's problem
            base.update({name: measured[0][name] for name in _BASE})
        for method in methods:
            if method in skipped:
                rows.append(skipped_row(fam, base, method, cut[method]))
            elif (size, method) in found:
                rows.append(found[(size, method)])
            else:
                rows.append({**base, **empty_row(method), "reason": FAILED + failed[(size, method)]})
    return rows
