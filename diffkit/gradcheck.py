"""Check a hand-written gradient against central differences: the tool for "my backward pass is wrong".

    >>> import numpy as np
    >>> from diffkit.gradcheck import check_gradient
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> def loss(p): return 0.5 * p["w"] @ A @ p["w"]
    >>> def grad(p): return {"w": A @ p["w"]}
    >>> check_gradient(loss, grad, {"w": np.array([1.0, -2.0])}).ok
    True

``params`` is a dict ``{name: array or number}``; ``loss_fn(params)`` returns the scalar loss and ``grad_fn(params)``
returns ``{name: gradient}`` with every gradient shaped like its parameter. ``print`` the result for a report that
names the parameters and entries that disagree.

Method
------
Central differences. Along a unit vector ``v`` the derivative is estimated by
``D(h) = (f(θ + h v) - f(θ - h v)) / 2h = ∂_v f + h² ∂³_v f / 6 + O(h⁴)``: the truncation error is O(h²), while
rounding in ``f`` adds an error of about ``eps |f| / h``. The two balance at ``h ~ eps^(1/3)`` (about 6e-6 in
float64), which is the default step: ``eps^(1/3) * max(1, |θ_i|)`` for coordinate ``i`` (so it is relative for large
entries) and ``eps^(1/3) * max(1, max|θ|)`` for a random direction. For a well-scaled loss the estimate is then good
to roughly ``eps^(2/3) ≈ 4e-11`` relative, far inside the default ``rtol=1e-6``. For a coordinate, the step actually
taken, ``(θ_i + h) - (θ_i - h)`` after rounding, is the denominator.

Two checks are made:

* **Random directions** (``directions`` of them, unit vectors drawn jointly over all parameters from a seeded
  generator): the numeric directional derivative is compared with ``Σ <grad, v>``. Every entry of every parameter
  contributes to that sum, so a wrong entry is caught even when the coordinate check did not sample it, and a whole
  wrong parameter cannot hide; what this check cannot say is *where* the error is. An error ``e`` shifts the
  directional derivative by ``<e, v>``, which relative to the derivative is about ``|e| / |grad|``.
* **Coordinates**: for each parameter, central differences of single entries compared with the matching gradient
  entries, which says *which* entries are wrong. ``coordinates`` is the budget over all parameters: when all
  parameters together have no more entries, every entry is checked; otherwise each parameter gets at least a few
  (``min(size, 10)``, fewer only when the budget is smaller than 10 per parameter, but always one), so a bias or a
  scalar is checked whole, and the rest of the budget is shared in proportion to size, sampling entries with a seeded
  generator.

Errors and verdicts
-------------------
The relative error of an entry (or direction) with analytic value ``a`` and numeric value ``n`` is
``|a - n| / max(|a|, |n|, atol)``: the floor ``atol`` keeps entries that are zero up to numeric noise from showing
as 100% errors. The entry *disagrees* when ``|a - n| > atol + rtol * max(|a|, |n|)``.

The default ``rtol`` suits well-scaled losses; a loss with large third derivatives, or a noisy one, can have a
finite-difference error above it even when the gradient is right. So a disagreeing entry is evaluated again with step
``2h``, and ``est = |D(2h) - D(h)| / 3`` (the Richardson estimate of the error of ``D(h)``, since the error grows by
4 when the step doubles) plus the rounding bound ``eps (|f(θ+h)| + |f(θ-h)|) / 2h`` is taken as the
finite-difference error. The entry *fails* only when ``|a - n| > atol + rtol * max(|a|, |n|) + 10 * est``; otherwise
it is reported as **inconclusive** and does not fail the check. Rounding alone limits the numeric derivative to
about ``eps |f| / h`` absolute: for a loss of 5e4 that is about 1e-6, so gradient entries below 1 can show relative
errors above ``rtol`` although they are right; they too come out inconclusive rather than failed. A kink (ReLU, abs,
max) within one step of the point still fails the entry, since the estimate is not made for that: a smaller
``step=`` then tells.

Cost
----
``grad_fn`` is called once. ``loss_fn`` is called twice per direction and twice per checked coordinate, and twice
more for each entry or direction that disagreed (the ``2h`` re-evaluation), so
``evaluations == 2 * (len(directions) + Σ checked + reevaluated)``, all reported on the result.

The user's arrays are never modified: every call of ``loss_fn`` and ``grad_fn`` receives a new dict of new float64
copies (parameters given as numbers arrive as Python floats), so the functions may even modify what they receive.
Exceptions raised inside ``loss_fn`` or ``grad_fn`` propagate unchanged; values they return that cannot be a loss or
a gradient raise ``diffkit.errors.BindingError`` saying what is wrong.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from . import options as check
from .errors import BindingError, DiffkitError
from .keywords import checked_keywords
from .limits import amount, check_memory

__all__ = ["DirectionCheck", "EntryCheck", "GradientCheck", "ParameterCheck", "check_gradient"]

EPS = float(np.finfo(np.float64).eps)
CBRT_EPS = EPS ** (1.0 / 3.0)
MIN_ENTRIES_PER_PARAMETER = 10  # "a few": every parameter gets at least min(size, this) entries checked
ESTIMATE_FACTOR = 10.0  # a disagreement within this many finite-difference error estimates is inconclusive
MAX_LISTED = 10  # failed / inconclusive entries kept per parameter
SHOWN_IN_REPORT = 5  # of which the report lists this many


class EntryCheck(NamedTuple):
    """One checked gradient entry: its index in the parameter, both values and their relative error."""

    index: tuple[int, ...]
    analytic: float
    numeric: float
    relative_error: float


class DirectionCheck(NamedTuple):
    """One random direction: ``Σ <grad, v>`` against the central difference along ``v``."""

    analytic: float
    numeric: float
    relative_error: float


@dataclass
class ParameterCheck:
    """The coordinate check of one parameter.

    ``failed_entries`` and ``inconclusive_entries`` are sorted worst first and hold at most 10 entries each;
    ``failed_count`` and ``inconclusive_count`` count them all. ``size`` is the parameter's number of entries, of
    which ``checked`` were checked.
    """

    name: Any
    shape: tuple[int, ...]
    checked: int
    failed_entries: list[EntryCheck]
    worst_relative_error: float
    ok: bool
    size: int = 0
    failed_count: int = 0
    inconclusive_entries: list[EntryCheck] = field(default_factory=list)
    inconclusive_count: int = 0


@dataclass
class GradientCheck:
    """The verdict of ``check_gradient``; ``print`` it for a report, or call ``raise_if_failed``.

    ``ok`` is true when no checked entry and no direction failed (inconclusive ones do not fail).
    ``evaluations`` counts the calls of ``loss_fn``: ``2 * (len(directions) + Σ checked + reevaluated)``, where
    ``reevaluated`` is the number of entries and directions that disagreed at step ``h`` and were evaluated again at
    step ``2h`` to estimate the finite-difference error.
    """

    ok: bool
    worst_relative_error: float
    parameters: dict[Any, ParameterCheck]
    directions: list[DirectionCheck]
    evaluations: int
    directions_failed: int = 0
    directions_inconclusive: int = 0
    reevaluated: int = 0
    rtol: float = 1e-6
    atol: float = 1e-8

    def raise_if_failed(self) -> GradientCheck:
        """Raise ``diffkit.errors.DiffkitError`` with the report if the check failed; else return ``self``."""
        if not self.ok:
            raise DiffkitError(str(self))
        return self

    def __str__(self) -> str:
        checked = sum(p.checked for p in self.parameters.values())
        n_dirs = len(self.directions)
        scope = f"{checked} entries and {n_dirs} random direction{'s' if n_dirs != 1 else ''}"
        if self.ok:
            head = f"gradient check ok: worst rel. error {_e(self.worst_relative_error)} over {scope}"
        else:
            bad = [str(p.name) for p in self.parameters.values() if not p.ok]
            parts = [f"{', '.join(bad)} disagree{'s' if len(bad) == 1 else ''}"] if bad else []
            if self.directions_failed:
                parts.append(f"{self.directions_failed} of {n_dirs} random directions disagree")
            head = f"gradient check FAILED: {'; '.join(parts)} (checked {scope})"
        lines = [f"{head}; {self.evaluations} loss evaluations"]

        rows, notes = [], {}
        for p in self.parameters.values():
            shape = "scalar" if p.shape == () else str(p.shape)
            if p.checked == p.size:
                what = f"checked all {p.checked} entr{'y' if p.checked == 1 else 'ies'}"
            else:
                what = f"checked {p.checked} of {p.size} entries"
            rows.append([str(p.name), shape, what, f"worst rel. error {_e(p.worst_relative_error)}", _status(p)])
            shown = p.failed_entries[:SHOWN_IN_REPORT]
            at = [_index(p.name, e.index) for e in shown]
            notes[len(rows) - 1] = [
                f"{a.ljust(max(map(len, at)))}  analytic {_g(e.analytic)}  numeric {_g(e.numeric)}  "
                f"rel. error {_e(e.relative_error)}"
                for a, e in zip(at, shown, strict=True)
            ]
        if n_dirs:
            worst = max(d.relative_error for d in self.directions)
            rows.append(["directions", "", f"checked {n_dirs} random", f"worst rel. error {_e(worst)}", self._dirs()])
        widths = [max(len(r[k]) for r in rows) for k in range(4)]
        for k, row in enumerate(rows):
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[4])
            lines.extend("      " + note for note in notes.get(k, []))

        inconclusive = sum(p.inconclusive_count for p in self.parameters.values()) + self.directions_inconclusive
        if inconclusive:
            lines.append(
                f"  {inconclusive} inconclusive: they disagree by more than rtol but within {ESTIMATE_FACTOR:g}x the"
                " finite-difference error estimate (a loss that is large next to its gradient, e.g. a sum over many"
                " samples, or a strongly curved, noisy or non-smooth one); not counted as failures. A different step="
                " may settle them."
            )
        sampled = any(p.checked < p.size for p in self.parameters.values())
        if self.directions_failed and all(p.ok for p in self.parameters.values()) and sampled:
            lines.append(
                "  every checked entry agrees but the random directions do not: the wrong entries were not sampled;"
                " raise coordinates= to find them."
            )
        lines.append(
            f"  (rel. error = |a - n| / max(|a|, |n|, atol); an entry fails when |a - n| > atol + rtol*max(|a|, |n|),"
            f" rtol={self.rtol:g}, atol={self.atol:g})"
        )
        return "\n".join(lines)

    def _dirs(self) -> str:
        n = len(self.directions)
        if not self.directions_failed:
            extra = f" ({self.directions_inconclusive} inconclusive)" if self.directions_inconclusive else ""
            return "ok" + extra
        worst = max(self.directions, key=lambda d: d.relative_error)
        return (
            f"FAILED: {self.directions_failed} of {n} directional derivatives disagree; "
            f"worst: analytic {_g(worst.analytic)} vs numeric {_g(worst.numeric)}"
        )


@checked_keywords
def check_gradient(
    loss_fn: Callable[[dict], Any],
    grad_fn: Callable[[dict], Mapping],
    params: Mapping,
    *,
    directions: int = 8,
    coordinates: int = 200,
    step: float | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    seed: int | None = 0,
) -> GradientCheck:
    """Check ``grad_fn`` against central differences of ``loss_fn`` at ``params``; see the module docstring.

    ``params``: ``{name: np.ndarray or real number}``. ``loss_fn(params) -> float``; ``grad_fn(params) -> {name:
    gradient of params[name]'s shape}``. ``directions``: number of random directions; ``coordinates``: budget of
    single entries over all parameters. ``step``: a fixed absolute step for every coordinate and direction instead of
    ``eps^(1/3) * max(1, |θ|)``. ``rtol``, ``atol``: see "Errors and verdicts". ``seed``: seeds the directions and
    the sampled entries (``None``: fresh randomness).

    Returns a ``GradientCheck``. Raises ``diffkit.errors.BindingError`` for malformed input or outputs;
    exceptions raised inside ``loss_fn`` or ``grad_fn`` propagate unchanged.
    """
    _check_options(loss_fn, grad_fn, directions, coordinates, step, rtol, atol, seed)
    plist = _parameters(params)
    grads = _gradients(grad_fn(_fresh(plist)), plist)
    ev = _Evaluator(loss_fn, plist)
    dir_seed, coord_seed = np.random.SeedSequence(seed).spawn(2)
    judge = _Judge(rtol, atol)

    # (1) random directions, jointly over all parameters
    dir_results: list[DirectionCheck] = []
    sizes = [p.value.size for p in plist]
    total = sum(sizes)
    if directions and total:
        rng = np.random.default_rng(dir_seed)
        biggest = max(float(np.max(np.abs(p.value), initial=0.0)) for p in plist)
        h = float(step) if step is not None else CBRT_EPS * max(1.0, biggest)
        offsets = np.cumsum([0, *sizes])
        for k in range(directions):
            v = rng.standard_normal(total)
            v /= np.linalg.norm(v)
            parts = [v[offsets[j] : offsets[j + 1]].reshape(p.value.shape) for j, p in enumerate(plist)]
            analytic = float(sum(np.vdot(g, vj) for g, vj in zip(grads, parts, strict=True)))

            def moved(t: float, parts=parts):
                return {j: p.value + t * vj for j, (p, vj) in enumerate(zip(plist, parts, strict=True))}

            where = f"along random direction {k + 1}"
            status, rel, numeric = judge(analytic, lambda s, where=where, moved=moved: _central(ev, moved, s, where), h)
            dir_results.append(DirectionCheck(analytic, numeric, rel))
            judge.tally_direction(status)

    # (2) single coordinates, a budget shared across parameters
    counts = _allocate(sizes, coordinates)
    rng = np.random.default_rng(coord_seed)
    checks: dict[Any, ParameterCheck] = {}
    for j, (p, g, count) in enumerate(zip(plist, grads, counts, strict=True)):
        if count >= p.value.size:
            flat = np.arange(p.value.size)
        else:
            flat = np.sort(rng.choice(p.value.size, size=count, replace=False))
        failed, inconclusive, worst = [], [], 0.0
        for i in flat.tolist():
            index = tuple(int(t) for t in np.unravel_index(i, p.value.shape))
            x = float(p.value.flat[i])
            h = float(step) if step is not None else CBRT_EPS * max(1.0, abs(x))

            def central(s: float, j=j, p=p, i=i, x=x, index=index):
                values = []
                for value, sign in ((x + s, "+"), (x - s, "-")):  # the steps actually taken, after rounding
                    arr = p.value.copy()
                    arr.flat[i] = value
                    values.append(ev({j: arr}, f"at {_index(p.name, index)} {sign} {s:.3g}"))
                width = (x + s) - (x - s)
                return (values[0] - values[1]) / width, values[0], values[1], width

            status, rel, numeric = judge(float(g.flat[i]), central, h)
            worst = max(worst, rel)
            entry = EntryCheck(index, float(g.flat[i]), numeric, rel)
            if status == "failed":
                failed.append(entry)
            elif status == "inconclusive":
                inconclusive.append(entry)
        checks[p.name] = ParameterCheck(
            name=p.name,
            shape=p.value.shape,
            checked=len(flat),
            failed_entries=_worst_first(failed),
            worst_relative_error=worst,
            ok=not failed,
            size=p.value.size,
            failed_count=len(failed),
            inconclusive_entries=_worst_first(inconclusive),
            inconclusive_count=len(inconclusive),
        )

    worst = max([c.worst_relative_error for c in checks.values()] + [d.relative_error for d in dir_results] + [0.0])
    return GradientCheck(
        ok=all(c.ok for c in checks.values()) and not judge.directions_failed,
        worst_relative_error=worst,
        parameters=checks,
        directions=dir_results,
        evaluations=ev.count,
        directions_failed=judge.directions_failed,
        directions_inconclusive=judge.directions_inconclusive,
        reevaluated=judge.reevaluated,
        rtol=float(rtol),
        atol=float(atol),
    )


# --- the comparison --------------------------------------------------------------------------------------------


class _Judge:
    """Compares one analytic value with central differences; re-evaluates at 2h only when they disagree."""

    def __init__(self, rtol: float, atol: float):
        self.rtol, self.atol = float(rtol), float(atol)
        self.floor = self.atol if self.atol > 0 else float(np.finfo(np.float64).tiny)
        self.reevaluated = self.directions_failed = self.directions_inconclusive = 0

    def __call__(self, analytic: float, central: Callable, h: float) -> tuple[str, float, float]:
        numeric, fp, fm, width = central(h)
        diff = abs(analytic - numeric)
        scale = max(abs(analytic), abs(numeric))
        rel = 0.0 if diff == 0 else diff / max(scale, self.floor)
        tol = self.atol + self.rtol * scale
        if diff <= tol:
            return "ok", rel, numeric
        self.reevaluated += 1
        numeric2, _, _, _ = central(2 * h)
        estimate = abs(numeric2 - numeric) / 3 + EPS * (abs(fp) + abs(fm)) / abs(width)
        return ("inconclusive" if diff <= tol + ESTIMATE_FACTOR * estimate else "failed"), rel, numeric

    def tally_direction(self, status: str) -> None:
        self.directions_failed += status == "failed"
        self.directions_inconclusive += status == "inconclusive"


def _central(ev: _Evaluator, moved: Callable, s: float, where: str):
    fp = ev(moved(s), f"{where} (step +{s:.3g})")
    fm = ev(moved(-s), f"{where} (step -{s:.3g})")
    return (fp - fm) / (2 * s), fp, fm, 2 * s


def _allocate(sizes: list[int], budget: int) -> list[int]:
    """How many entries of each parameter to check: all if they fit the budget, else a few each + proportional."""
    if sum(sizes) <= budget:
        return list(sizes)
    if budget <= 0:
        return [0] * len(sizes)
    few = max(1, min(MIN_ENTRIES_PER_PARAMETER, budget // len(sizes)))
    base = [min(n, few) for n in sizes]
    rest = budget - sum(base)
    if rest <= 0:
        return base
    room = [n - b for n, b in zip(sizes, base, strict=True)]
    shares = [rest * r / sum(room) for r in room]
    counts = [min(int(s), r) for s, r in zip(shares, room, strict=True)]
    order = sorted(range(len(sizes)), key=lambda k: shares[k] - counts[k], reverse=True)
    left = rest - sum(counts)
    for k in order:
        if left <= 0:
            break
        if counts[k] < room[k]:
            counts[k] += 1
            left -= 1
    return [b + c for b, c in zip(base, counts, strict=True)]


def _worst_first(entries: list[EntryCheck]) -> list[EntryCheck]:
    key = lambda e: (e.relative_error, abs(e.analytic - e.numeric))  # noqa: E731
    return sorted(entries, key=key, reverse=True)[:MAX_LISTED]


# --- input and output validation ---------------------------------------------------------------------------------


@dataclass
class _Param:
    name: Any
    value: np.ndarray  # a private float64 copy, never handed out
    scalar: bool  # given as a number: the user's functions receive a Python float


class _Evaluator:
    """Calls ``loss_fn`` on fresh copies, checks what it returns, counts the calls."""

    def __init__(self, loss_fn: Callable, params: list[_Param]):
        self.loss_fn, self.params, self.count = loss_fn, params, 0

    def __call__(self, replaced: dict[int, np.ndarray], where: str) -> float:
        args = {}
        for j, p in enumerate(self.params):
            arr = replaced[j] if j in replaced else p.value.copy()
            args[p.name] = float(arr) if p.scalar else arr
        self.count += 1
        return _loss_value(self.loss_fn(args), where)


def _fresh(params: list[_Param]) -> dict:
    return {p.name: float(p.value) if p.scalar else p.value.copy() for p in params}


def _check_options(loss_fn, grad_fn, directions, coordinates, step, rtol, atol, seed) -> None:
    for what, fn in (("loss_fn", loss_fn), ("grad_fn", grad_fn)):
        if not callable(fn):
            raise BindingError(f"{what} must be a function of the params dict, got {type(fn).__name__}")
    for what, n in (("directions", directions), ("coordinates", coordinates)):
        check.number(what, n, low=0, integer=True, what="a non-negative integer")
    if directions == 0 and coordinates == 0:
        raise BindingError("directions=0 and coordinates=0 leave nothing to check")
    check.number("step", step, low=0, low_open=True, allow_none=True, what="a positive finite number or None")
    for what, t in (("rtol", rtol), ("atol", atol)):
        check.number(what, t, low=0, what="a non-negative finite number")
    check.number("seed", seed, low=0, integer=True, allow_none=True, what="a non-negative integer or None")
    # Each direction's verdict is kept on the result (a small object, ~200 bytes): a count it could not hold,
    # such as directions=10**400, is refused before the first evaluation rather than looping until memory ends.
    check_memory(f"check_gradient with {amount(directions)} random directions", 200 * directions,
                 "check fewer directions")


def _parameters(params) -> list[_Param]:
    if not isinstance(params, Mapping):
        raise BindingError(f"params must be a dict {{name: array or number}}, got {type(params).__name__}")
    if not params:
        raise BindingError("params is empty: there is nothing to check")
    out = []
    for name, value in params.items():
        label = f"parameter {name!r}"
        if isinstance(value, np.ndarray):
            arr = _real_array(value, label)
            out.append(_Param(name, np.array(arr, dtype=np.float64), scalar=False))
        elif isinstance(value, (bool, np.bool_)):
            raise BindingError(f"{label} is a boolean ({value}), not a number")
        elif isinstance(value, numbers.Real):
            try:
                number = float(value)
            except OverflowError:
                raise BindingError(f"{label} ({value}) is too large for a float") from None
            out.append(_Param(name, _finite(np.array(number), label), scalar=True))
        elif isinstance(value, numbers.Complex):
            raise BindingError(f"{label} is complex ({value}); only real parameters can be checked")
        else:
            hint = " (convert it with np.asarray)" if isinstance(value, (list, tuple)) else ""
            raise BindingError(f"{label} must be a NumPy array or a real number, got {type(value).__name__}{hint}")
    return out


def _real_array(arr: np.ndarray, label: str) -> np.ndarray:
    return _finite(_real_kind(arr, label), label)


def _real_kind(arr: np.ndarray, label: str) -> np.ndarray:
    kind = arr.dtype.kind
    if kind == "b":
        raise BindingError(f"{label} is a boolean array, not numbers")
    if kind == "c":
        raise BindingError(f"{label} is complex (dtype {arr.dtype}); only real values can be checked")
    if kind not in "iuf":
        raise BindingError(f"{label} has dtype {arr.dtype}, not a real numeric dtype")
    return arr


def _finite(arr: np.ndarray, label: str) -> np.ndarray:
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(t) for t in np.argwhere(bad)[0])
        n = int(bad.sum())
        where = f" at {list(first)}" if first else ""
        raise BindingError(
            f"{label} contains {n} non-finite entr{'y' if n == 1 else 'ies'} (the first is {arr[first]}{where})"
        )
    return arr


def _gradients(grads, params: list[_Param]) -> list[np.ndarray]:
    if not isinstance(grads, Mapping):
        raise BindingError(
            f"grad_fn must return a dict {{name: gradient}} with the keys of params, got {type(grads).__name__}"
        )
    names = [p.name for p in params]
    missing = [n for n in names if n not in grads]
    if missing:
        raise BindingError(f"grad_fn returned no gradient for parameter {', '.join(map(repr, missing))}")
    known = set(names)
    extra = [n for n in grads if n not in known]
    if extra:
        raise BindingError(
            f"grad_fn returned a gradient for {', '.join(map(repr, extra))}, which is not a parameter "
            f"(the parameters are {', '.join(map(repr, names))})"
        )
    out = []
    for p in params:
        g = grads[p.name]
        label = f"the gradient of parameter {p.name!r}"
        if isinstance(g, (bool, np.bool_)):
            raise BindingError(f"{label} is a boolean ({g}), not a number")
        try:
            arr = np.asarray(g)
        except (TypeError, ValueError) as exc:
            raise BindingError(f"{label} is not an array of numbers ({type(g).__name__}: {exc})") from None
        if arr.dtype.kind not in "biufc":
            raise BindingError(f"{label} is not an array of numbers, got {type(g).__name__}")
        _real_kind(arr, label)
        if arr.shape != p.value.shape:
            hint = ""
            if arr.ndim > 1 and arr.shape == p.value.shape[::-1]:
                hint = " (transposed?)"
            elif arr.size == p.value.size:
                hint = " (same number of entries: reshape it?)"
            raise BindingError(
                f"grad_fn returned a gradient of shape {arr.shape} for parameter {p.name!r}, "
                f"whose shape is {p.value.shape}{hint}"
            )
        out.append(np.array(_finite(arr, label), dtype=np.float64))
    return out


def _loss_value(value, where: str) -> float:
    if isinstance(value, (bool, np.bool_)):
        raise BindingError(f"loss_fn returned a boolean ({value}) {where}; it must return the loss as a real number")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        arr = np.asarray(None)
    if arr.dtype.kind == "c":
        raise BindingError(f"loss_fn returned a complex value ({value}) {where}; the loss must be real")
    if arr.dtype.kind not in "iuf":
        raise BindingError(f"loss_fn returned {type(value).__name__} {where}, not a number")
    if arr.ndim:
        hint = "return it with .item() or float(...)" if arr.size == 1 else "sum or average it into one number"
        raise BindingError(f"loss_fn returned an array of shape {arr.shape} {where}, not a scalar loss; {hint}")
    number = float(arr)
    if not math.isfinite(number):
        raise BindingError(
            f"loss_fn returned {number} {where}; the loss must be finite on both sides of the point "
            "(near the edge of the loss's domain, a smaller step= may help)"
        )
    return number


# --- formatting --------------------------------------------------------------------------------------------------


def _status(p: ParameterCheck) -> str:
    if p.ok:
        return "ok" + (f" ({p.inconclusive_count} inconclusive)" if p.inconclusive_count else "")
    worst = p.failed_entries[0]
    return (
        f"FAILED: {p.failed_count} of {p.checked} entries disagree; worst at {_index(None, worst.index)}: "
        f"analytic {_g(worst.analytic)} vs numeric {_g(worst.numeric)}"
    )


def _index(name, index: tuple[int, ...]) -> str:
    text = f"[{', '.join(map(str, index))}]" if index else ""
    if name is None:
        return text or "(scalar)"
    return f"{name}{text}"


def _e(x: float) -> str:
    return f"{x:.2g}"


def _g(x: float) -> str:
    return f"{x:.6g}"
