"""Resource limits, in one place: ``dk.limits.memory_bytes = 4 * 2**30`` changes them for the session.

They exist so that no input makes diffkit exhaust memory or run without end: each method estimates what a
request needs before it starts and refuses, with a diffkit error that says what to do instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import options
from .errors import ResourceError


@dataclass
class Limits:
    """The budgets every request is checked against; change one on ``dk.limits`` for the session.

    Attributes:
        memory_bytes: arrays one request may hold (values, tape, tangents); past it, ``ResourceError``.
        graph_nodes: nodes one graph may have.
        symbolic_size: tree nodes of a symbolic derivative; past it, ``SwellError``.
        symbolic_depth: graph levels the symbolic method accepts (SymPy recurses once per level).
        symbolic_seconds: a last-resort wall-clock guard for SymPy's differentiation and compilation; the sizes
            above decide what is computed, this only stops a run that would hang (its SwellError says the time
            guard fired).
        symbolic_entries: scalar operations of a tensor graph written out entry by entry for SymPy.
        symbolic_variables: scalar entries a symbolic tensor gradient differentiates by.
        work_operations: scalar operations one request may do, estimated before it starts (a primitive
            application also counts ``CALL_OPERATIONS`` for its call); past it, ``ResourceError``.
    """

    memory_bytes: int = 2 * 1024**3  # arrays one request may hold (values, tape, tangents)
    graph_nodes: int = 5_000_000  # nodes one graph may have
    symbolic_size: int = 200_000  # tree nodes of a symbolic derivative (past this: SwellError)
    symbolic_depth: int = 400  # graph levels the symbolic method accepts (SymPy recurses per level)
    symbolic_seconds: float = 60.0  # last-resort wall-clock guard for SymPy (sizes decide what is computed)
    symbolic_entries: int = 20_000  # scalar operations of a tensor graph written out entry by entry for SymPy
    symbolic_variables: int = 500  # scalar entries a symbolic tensor gradient differentiates by
    work_operations: float = 3e9  # scalar operations one request may do (roughly 3-30 s of work)

    def __setattr__(self, name: str, value) -> None:
        """Refuse a budget that is not one (``dk.limits.memory_bytes = "x"`` or ``-1``), or a misspelled name:
        every request compares against these, so a bad one would fail later, far from the assignment."""
        if name not in self.__dataclass_fields__:
            raise options.OptionError(f"dk.limits has no {name!r}{options.suggestion(name, self.__dataclass_fields__)}"
                                      f" (it has: {', '.join(self.__dataclass_fields__)})")
        if name == "symbolic_seconds":
            value = options.seconds(f"dk.limits.{name}", value, allow_none=False)
        elif name == "work_operations":  # a count of operations, written 3e9 as often as 3_000_000_000
            value = options.number(f"dk.limits.{name}", value, low=1)
        else:
            value = options.positive_int(f"dk.limits.{name}", value)
        super().__setattr__(name, value)


limits = Limits()


def check_memory(what: str, nbytes: float, advice: str) -> None:
    """Refuse a request whose estimated arrays exceed the memory budget (``nbytes`` may be an int past float64's
    range, from a count such as epochs=10**400)."""
    if nbytes > limits.memory_bytes:
        nbytes = _as_float(nbytes)
        raise ResourceError(
            f"{what} would hold about {_gib(nbytes)} of arrays, over the budget of {_gib(limits.memory_bytes)} "
            f"(dk.limits.memory_bytes); {advice}"
        )


# What one primitive application costs beyond its elements, in scalar operations: a NumPy call from Python
# takes about 5 µs, about what 5,000 elementwise operations take. Work on few points is dominated by it.
CALL_OPERATIONS = 5000


def work_operations(applications: float, flops: float) -> float:
    """The work of ``applications`` primitive applications doing ``flops`` in all, in scalar operations (the
    figure ``dk.limits.work_operations`` bounds; ``Cost.work_operations`` gives it for work done)."""
    return float(flops) + CALL_OPERATIONS * float(applications)


def check_work(what: str, operations: float, advice: str) -> None:
    """Refuse a request whose estimated work exceeds the budget, before any of it is done."""
    if operations > limits.work_operations:
        raise ResourceError(
            f"{what} would take about {operations:.2g} operations, over the budget of "
            f"{limits.work_operations:.2g} (dk.limits.work_operations); {advice}, or raise "
            "dk.limits.work_operations"
        )


def amount(n: int) -> str:
    """A count for a message: 1,234,567, or "about 10^400" for one too long to read digit by digit."""
    return f"{n:,}" if abs(n) < 10**15 else f"about 10^{len(str(abs(int(n)))) - 1}"


def _as_float(n) -> float:
    try:
        return float(n)
    except OverflowError:  # an int past float64: more than any budget
        return math.inf


def _gib(n: float) -> str:
    if n >= 1024**5:  # past a PiB the digits before the point say nothing: 8.94e+16 GiB
        return f"{n / 1024**3:.3g} GiB"
    return f"{n / 1024**3:.2f} GiB" if n >= 1024**3 else f"{n / 1024**2:.1f} MiB"
