"""Evaluation: a plan executed step by step on NumPy values."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from . import domain
from .plan import Plan


def run_plan(plan: Plan, bound: Mapping[str, object], on_step: Callable | None = None, check: bool = True) -> list:
    """Execute a plan: every slot's value, in slot order (works for float and complex inputs alike).

    ``on_step(step, value, args)`` is called after each step, for callers that meter the work. ``check=False``
    skips the primitives' shape checks, for callers that ran this plan on these shapes before.
    """
    values: list = [None] * plan.size
    for name, slot in plan.variables.items():
        values[slot] = bound[name]
    for slot, value in plan.constants:
        values[slot] = constant_value(value)
    watch = domain.current()
    for step in plan.steps:
        if watch is not None:
            watch.where = step.primitive.name
        args = [values[a] for a in step.args]
        if check:
            step.check_shapes(args)
        try:
            values[step.out] = step.primitive.numpy(*args, **step.params)
        except ValueError as exc:  # shapes NumPy cannot broadcast or multiply: say where
            raise step.failed(args, exc) from None
        if on_step is not None:
            on_step(step, values[step.out], args)
    return values


def constant_value(value):
    """A constant node's value as the engines use it: a float64 scalar, or the (read-only) array itself."""
    return value if isinstance(value, np.ndarray) else np.float64(value)


def as_result(value):
    """A computed value as returned to users: a Python float for a scalar, else an array of our own."""
    array = np.asarray(value)
    if array.ndim == 0:
        return array.item()
    return np.array(array, copy=True)

