"""Numerical differentiation: finite differences over whole evaluations of the graph.

Schemes for first derivatives (``h`` is the step, ε = 2.2e-16 the float64 machine epsilon):

=============  ==========================================  ==================  ==============================
scheme         formula                                     automatic step       evaluations per variable
=============  ==========================================  ==================  ==============================
``forward``    (f(x+h) - f(x)) / h                          ε^(1/2)·max(1,|x|)   1 (plus one shared f(x))
``central``    (f(x+h) - f(x-h)) / 2h          (default)    ε^(1/3)·max(1,|x|)   2
``richardson`` (4·D(h/2) - D(h)) / 3, D central             ε^(1/5)·max(1,|x|)   4
``complex``    Im f(x + ih) / h                             1e-20 (no cancellation)  1 (complex arithmetic)
=============  ==========================================  ==================  ==============================

The automatic steps balance truncation error (O(hᵖ)) against round-off (O(ε/h)). Each step is rounded so that
x+h is exactly representable, which removes one source of error. The complex step is exact to machine precision
for analytic expressions and is refused for abs, relu, maximum and the like.

Points of a batch are independent (the primitives are elementwise), so perturbing a variable perturbs every
point at once: a gradient in n variables costs the same 2n evaluations for one point or a million.
Second derivatives use second differences with step ε^(1/4)·max(1,|x|).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..binding import points_of
from ..cost import Meter
from ..errors import MethodError
from ..evaluation import run_plan
from ..graph import Graph
from ..limits import check_memory
from ..result import Computed, split_blocks

EPS = np.finfo(np.float64).eps
SCHEMES = ("central", "forward", "richardson", "complex")
_STEP_POWER = {"forward": 1 / 2, "central": 1 / 3, "richardson": 1 / 5}
COMPLEX_STEP = 1e-20
# Arithmetic of the difference quotients themselves, per derivative entry (the evaluations are metered apart).
_QUOTIENT_OPS = {
    "forward": Counter(sub=1, div=1),
    "central": Counter(sub=1, div=1),
    "complex": Counter(div=1),
    "richardson": Counter(sub=3, div=3, mul=1),
}


def automatic_step(x: np.ndarray, power: float) -> np.ndarray:
    """ε^power · max(1, |x|), rounded so that x + h - x == h exactly."""
    h = EPS**power * np.maximum(1.0, np.abs(x))
    return (x + h) - x


def _evaluator(graph: Graph, meter: Meter):
    """f(bound) -> output values, counting each whole evaluation and its operations."""
    plan = graph.plan

    profile: Counter = Counter()  # the first evaluation's work, {(primitive, work): steps}

    def count(step, out, args):
        work = step.primitive.work_of(out, args, step.params)
        meter.op(step.primitive, work)
        if meter.evaluations == 1:  # recorded once: every evaluation at these shapes does the same work
            profile[(step.primitive, work)] += 1

    def evaluate(bound: dict) -> list:
        # run_plan keeps every intermediate of an evaluation
        check_memory("a numeric evaluation", 8.0 * plan.size * points_of(bound), "differentiate fewer points at once")
        meter.evaluations += 1
        values = run_plan(plan, bound, on_step=count)
        # An evaluation briefly holds its intermediates (run_plan keeps them all until it returns) and the
        # perturbed copy of one input. What the caller keeps of its outputs, the caller accounts for.
        transient = sum(np.asarray(values[step.out]).nbytes for step in plan.steps)
        transient += max((np.asarray(v).nbytes for v in bound.values()), default=0)
        meter.hold(transient)
        meter.hold(-transient)
        return [values[s] for s in plan.outputs]

    # A batched evaluator meters each of its evaluations like the first one (``_batched``).
    evaluate.profile = profile
    return evaluate


def _batched(graph: Graph, f, bound: dict, wrt: tuple[str, ...], scheme: str, step, value: list,
             error_estimate: bool, meter: Meter):
    """An evaluator that answers the difference quotients' requests from one batched evaluation.

    The points a gradient perturbs depend only on the point and the steps, never on f's values, so a dry run of
    the quotients (on stand-in values) lists them; they are stacked along a new leading axis and evaluated
    together (in chunks that fit in memory), since the primitives are elementwise. The returned evaluator then
    hands out the results in the order they are asked for, metering each as a whole evaluation of its own — the
    numeric method's work is 2n evaluations however they are run.
    """
    requests: list[tuple[str, np.ndarray]] = []  # (the variable perturbed, its perturbed value)

    with np.errstate(all="ignore"):
        for name in wrt:
            def dry_run(point: dict, name=name) -> list:
                requests.append((name, point[name]))  # the quotients for `name` move `name` alone
                return value

            _first_derivatives(dry_run, bound, name, scheme, step, value, error_estimate, [])
    profile = f.profile  # each evaluation does what the one at the point itself did
    answers, peak = _evaluate_together(graph, bound, requests, value)
    # Memory as it is really held: the batch's intermediates while it ran, then every answer until its
    # quotient is formed.
    meter.hold(peak)
    meter.hold(-peak)
    meter.hold(sum(_nbytes(answer) for answer in answers))
    queue = iter(answers)

    def replay(point: dict) -> list:
        meter.evaluations += 1
        for (primitive, work), count in profile.items():
            meter.op(primitive, work, count)
        answer = next(queue)
        meter.hold(-_nbytes(answer))
        return answer

    return replay


def _nbytes(outputs: list) -> int:
    return sum(np.asarray(o).nbytes for o in outputs)


def _evaluate_together(graph: Graph, bound: dict, requests: list[tuple[str, np.ndarray]],
                       value: list) -> tuple[list, int]:
    """Each request's outputs — the point with one variable moved — from evaluations of many requests at once,
    stacked along a new leading axis in chunks of about ``CHUNK_BYTES`` of intermediates; and the peak bytes."""
    plan = graph.plan
    ndim = max((np.ndim(v) for v in bound.values()), default=0)
    aligned = {name: np.reshape(v, (1,) * (ndim - np.ndim(v)) + np.shape(v)) for name, v in bound.items()}
    chunk = max(1, CHUNK_BYTES // (8 * max(1, points_of(bound)) * max(plan.size, 1)))
    answers: list[list] = []
    moved_bytes = sum(np.asarray(moved).nbytes for _, moved in requests)  # held until the batch is done
    peak = 0  # the most bytes held at once: a chunk's inputs and intermediates, and the answers so far
    for start in range(0, len(requests), chunk):
        part = requests[start:start + chunk]
        stacked = {name: np.repeat(v[None], len(part), axis=0) for name, v in aligned.items()}
        for k, (name, moved) in enumerate(part):
            stacked[name][k] = np.reshape(moved, aligned[name].shape)
        values = run_plan(plan, stacked, check=start == 0)
        held = sum(np.asarray(values[step.out]).nbytes for step in plan.steps)
        held += sum(a.nbytes for a in stacked.values()) + sum(_nbytes(answer) for answer in answers) + moved_bytes
        peak = max(peak, held)
        outs = [values[s] for s in plan.outputs]
        answers.extend([o if np.ndim(o) == 0 else _one(o[k], np.shape(v)) for o, v in zip(outs, value, strict=True)]
                       for k in range(len(part)))
    return answers, peak


def _one(entry, shape: tuple):
    """One request's output from its row of the batch, shaped as an evaluation on its own gives it."""
    return entry if not shape and np.ndim(entry) == 0 else np.reshape(entry, shape)


def _check_scheme(graph: Graph, scheme: str) -> None:
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise MethodError(f"unknown numeric scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    if scheme == "complex":
        rough = sorted({s.primitive.name for s in graph.plan.steps if not s.primitive.smooth})
        if rough:
            raise MethodError(
                f"the complex step needs an analytic expression, but it uses {', '.join(rough)}; "
                "use scheme='central' or 'richardson'"
            )


_BRANCH_RTOL = 1e-10  # Re f(x + ih) must equal f(x) this closely (it does to O(h²): 1e-40 at the default step)


def _off_branch_to_nan(derivative, real_part, value, step):
    """Complex-step derivatives are only meaningful where f is real and analytic: off the real domain (log of a
    negative number, a branch cut) Im f(x + ih)/h is a huge made-up number, so there the answer is nan.

    The test is that Re f(x + ih) is f(x). A step the user chose can fail it with f real and analytic, by
    its O(h²) truncation (a step of 1e-3): that is refused, not answered with a silent nan.
    """
    with np.errstate(invalid="ignore"):
        close = np.isclose(real_part, value, rtol=_BRANCH_RTOL, atol=1e-300)
        finite = np.isfinite(value)
        if step is not None and np.any(finite & ~close & np.isfinite(real_part)):
            deviation = float(np.max(np.abs(real_part - value)[finite & ~close] /
                                     np.maximum(np.abs(value[finite & ~close]), 1e-300)))
            raise MethodError(
                f"complex step={step:g} is too large for this function: Re f(x + ih) differs from f(x) by "
                f"{deviation:.1e} (relative), past the {_BRANCH_RTOL:g} that tells an analytic point from one "
                f"off the real branch (it grows as h²); use a tiny step such as {COMPLEX_STEP:g} (the default: "
                "leave step= out)"
            )
    return np.where(finite & close, derivative, np.nan)


def _check_complex_precision(imaginary, step) -> None:
    """Refuse a complex step so small that Im f(x + ih) ≈ h·f'(x) is a subnormal number (fewer than 53 bits)."""
    magnitude = np.abs(imaginary)
    if np.any((magnitude > 0) & (magnitude < np.finfo(np.float64).tiny)):
        raise MethodError(
            f"complex step={step:g} is too small: Im f(x + ih) ≈ h·f'(x) falls below {np.finfo(np.float64).tiny:.1e}, "
            f"where floats lose precision, so the derivative would be inexact; use a step such as {COMPLEX_STEP:g} "
            "(the default: leave step= out)"
        )


def _check_step_against(x: np.ndarray, h, name: str, power: float) -> None:
    """Refuse a step that vanishes against a value (x + h == x): the difference would be 0, the derivative 0.

    Also a step mostly rounded away (x + h - x differs from h by more than half of it): the quotient divides
    by h a difference taken over another step, and the derivative is off by that factor.
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        taken = np.broadcast_to((x + h) - x, np.broadcast_shapes(x.shape, np.shape(h)))
        bad = np.isfinite(x) & (np.abs(taken - h) > 0.5 * np.abs(h))
    if np.any(bad):
        index = tuple(np.argwhere(bad)[0])
        value = float(np.broadcast_to(x, bad.shape)[index])
        step = float(np.broadcast_to(h, bad.shape)[index])
        sensible = float(automatic_step(np.float64(value), power))
        what = (f"vanishes against {name}={value:g}: in float64 {name} + step == {name}, so the difference is 0 "
                "and the derivative a silent 0" if taken[index] == 0 else
                f"is mostly rounded away against {name}={value:g}: in float64 ({name} + step) - {name} is "
                f"{float(taken[index]):g}, so the quotient would be off by that factor")
        raise MethodError(
            f"step={step:g} {what}; use a step of about {sensible:.1e} for {name}={value:g} "
            "(the automatic step: leave step= out)"
        )


def check_step(step) -> None:
    if step is None:
        return
    if isinstance(step, bool) or not isinstance(step, int | float | np.floating | np.integer) or not (
        np.isfinite(step) and step > 0
    ):
        raise MethodError(f"step must be a positive finite number, got {step!r}")


def _shifted(bound: dict, name: str, delta) -> dict:
    shifted = dict(bound)
    shifted[name] = bound[name] + delta
    return shifted


# A numeric gradient in at least BATCH_VARIABLES variables at up to BATCH_POINTS points evaluates its perturbed
# points together, in chunks whose intermediates take about CHUNK_BYTES.
BATCH_VARIABLES = 8
BATCH_POINTS = 64
CHUNK_BYTES = 1 << 24

CANCELLATION_DIGITS = 6  # fewer significant digits than this left in a difference: reported


def _cancellation(plus: list, minus: list, name: str, diagnostics: list) -> None:
    """Report when f(x+h) - f(x-h) cancels: the difference keeps log10(|Δf| / (ε·|f|)) significant digits."""
    worst = np.inf
    for p, m in zip(plus, minus, strict=True):
        p, m = np.asarray(p, dtype=float), np.asarray(m, dtype=float)
        difference = np.abs(p - m)
        scale = np.maximum(np.abs(p), np.abs(m))
        usable = np.isfinite(difference) & (difference > 0) & (scale > 0)  # Δf = 0: no dependence, nothing lost
        if usable.any():
            worst = min(worst, float(np.min(np.log10(difference[usable] / (EPS * scale[usable])))))
    if worst < CANCELLATION_DIGITS:
        diagnostics.append(
            f"cancellation in the difference for {name}: about {max(worst, 0):.0f} of 16 significant "
            "digits survive (f changes little over the step compared with its size)"
        )


def _first_derivatives(f, bound: dict, name: str, scheme: str, step, value, error_estimate: bool,
                       diagnostics: list):
    """∂outputs/∂name for every output (a list), and an error estimate per output (or None)."""
    x = bound[name]
    if scheme == "complex":
        h = COMPLEX_STEP if step is None else float(step)  # a float32 step would make the evaluation complex64
        outs = f(_shifted(bound, name, 1j * h))
        for o in outs:
            _check_complex_precision(np.imag(o), h)
        derivs = [_off_branch_to_nan(np.imag(o) / h, np.real(o), v, step)
                  for o, v in zip(outs, value, strict=True)]
        return derivs, [np.abs(d) * EPS for d in derivs] if error_estimate else None
    h = automatic_step(x, _STEP_POWER[scheme]) if step is None else np.float64(step)
    if step is not None:
        _check_step_against(x, h, name, _STEP_POWER[scheme])
    if scheme == "forward":
        plus = f(_shifted(bound, name, h))
        _cancellation(plus, value, name, diagnostics)
        derivs = [(p - v) / h for p, v in zip(plus, value, strict=True)]
        if not error_estimate:
            return derivs, None
        double = f(_shifted(bound, name, 2 * h))  # D(2h) - D(h) ≈ the truncation error of D(h)
        return derivs, [np.abs((d2 - v) / (2 * h) - d) for d2, v, d in zip(double, value, derivs, strict=True)]

    def central(hh):
        plus, minus = f(_shifted(bound, name, hh)), f(_shifted(bound, name, -hh))
        _cancellation(plus, minus, name, diagnostics)
        return [(p - m) / (2 * hh) for p, m in zip(plus, minus, strict=True)]

    if scheme == "central":
        derivs = central(h)
        if not error_estimate:
            return derivs, None
        coarse = central(2 * h)  # truncation error is O(h²): D(2h) - D(h) ≈ 3 × the error of D(h)
        rounding = [EPS * np.abs(v) / h for v in value]
        return derivs, [np.abs(c - d) / 3 + r for c, d, r in zip(coarse, derivs, rounding, strict=True)]
    # richardson: two central differences, extrapolated to cancel the h² term
    half = (x + h / 2) - x
    coarse, fine = central(h), central(half)
    derivs = [(4 * b - a) / 3 for a, b in zip(coarse, fine, strict=True)]
    return derivs, [np.abs(d - b) for d, b in zip(derivs, fine, strict=True)] if error_estimate else None


def jacobian(
    graph: Graph, bound: dict, wrt: tuple[str, ...], scheme: str = "central", step=None, error_estimate=False
) -> Computed:
    """All ∂outputᵢ/∂variableⱼ by finite differences: evaluations grow with the number of variables."""
    _check_scheme(graph, scheme)
    check_step(step)
    meter = Meter("numeric")
    f = _evaluator(graph, meter)
    value = f(bound)
    meter.hold(sum(np.asarray(v).nbytes for v in value))  # kept: the value, for the result and the quotients
    if graph.is_tensor:
        return _tensor_jacobian(f, bound, wrt, scheme, step, value, error_estimate, meter)
    # Many variables at a few points: the perturbed points as one batch (complex ones stay apart). At many
    # points each evaluation is already one long NumPy call per node, and a batch would only hold more memory;
    # with few variables there are too few evaluations for their Python overhead to matter.
    if scheme != "complex" and len(wrt) >= BATCH_VARIABLES and points_of(bound) <= BATCH_POINTS:
        f = _batched(graph, f, bound, wrt, scheme, step, value, error_estimate, meter)
    rows: list[list] = [[None] * len(wrt) for _ in value]
    errors: list[list] | None = [[None] * len(wrt) for _ in value] if error_estimate else None
    diagnostics: list[str] = []
    for j, name in enumerate(wrt):
        derivs, errs = _first_derivatives(f, bound, name, scheme, step, value, error_estimate, diagnostics)
        for i, d in enumerate(derivs):
            rows[i][j] = d
            meter.ops(_QUOTIENT_OPS[scheme], np.size(d))  # forming the difference quotient(s)
            meter.hold(np.asarray(d).nbytes)
            if errors is not None:
                errors[i][j] = errs[i]
    meter.details["scheme"] = scheme
    return Computed(value, rows, meter.finish(), errors, list(dict.fromkeys(diagnostics)))


def _entry_function(f, bound: dict, name: str, k: int):
    """f as a function of one entry of a tensor variable (the others held): perturbing it perturbs that entry
    only. Complex entries (the complex step) make a complex copy of the tensor."""
    base = bound[name]

    def f_entry(entry_bound: dict) -> list:
        x = entry_bound[name]
        full = base.astype(np.result_type(base, x), copy=True)
        full.flat[k] = x
        return f({**bound, name: full})

    return f_entry


def _tensor_jacobian(f, bound: dict, wrt: tuple[str, ...], scheme: str, step, value: list, error_estimate: bool,
                     meter: Meter) -> Computed:
    """Jacobian blocks of a tensor graph (output shape + variable shape): each entry of each variable is
    perturbed on its own, so a gradient costs two evaluations (central scheme) per entry."""
    rows: list[list] = [[None] * len(wrt) for _ in value]
    errors: list[list] | None = [[None] * len(wrt) for _ in value] if error_estimate else None
    diagnostics: list[str] = []
    for j, name in enumerate(wrt):
        shape = bound[name].shape
        columns, column_errors = [], []
        for k in range(bound[name].size):
            f_entry = _entry_function(f, bound, name, k)
            entry = {name: np.float64(bound[name].flat[k])}
            label = f"{name}[{', '.join(map(str, np.unravel_index(k, shape)))}]" if shape else name
            notes: list[str] = []
            derivs, errs = _first_derivatives(f_entry, entry, name, scheme, step, value, error_estimate, notes)
            diagnostics.extend(note.replace(f"for {name}:", f"for {label}:") for note in notes)
            columns.append(derivs)
            column_errors.append(errs)
            for d in derivs:
                meter.ops(_QUOTIENT_OPS[scheme], np.size(d))
                meter.hold(np.asarray(d).nbytes)
        for i, v in enumerate(value):
            out_shape = np.shape(v)
            rows[i][j] = np.stack([np.broadcast_to(c[i], out_shape) for c in columns], axis=-1).reshape(
                out_shape + shape)
            if errors is not None:
                errors[i][j] = np.stack([np.broadcast_to(e[i], out_shape) for e in column_errors],
                                        axis=-1).reshape(out_shape + shape)
    meter.details["scheme"] = scheme
    meter.details["entries perturbed"] = sum(bound[name].size for name in wrt)
    if len(diagnostics) > 5:  # one line per entry would bury the message
        diagnostics[5:] = [f"... and {len(diagnostics) - 5} more entries with cancellation"]
    return Computed(value, rows, meter.finish(), errors, diagnostics)


def jvp(graph: Graph, bound: dict, tangents: dict, step=None) -> Computed:
    """J·v from one central difference along v: two evaluations, whatever the number of variables."""
    check_step(step)
    meter = Meter("numeric")
    f = _evaluator(graph, meter)
    value = f(bound)
    directions = {k: np.asarray(v, dtype=float) for k, v in tangents.items()}
    if step is None and graph.is_tensor:  # tensors of different shapes: one step for the whole direction
        scale = max([1.0] + [float(np.max(np.abs(bound[k]), initial=0.0)) for k in directions])
        length = max([0.0] + [float(np.max(np.abs(v), initial=0.0)) for v in directions.values()])
        h = EPS ** (1 / 3) * scale / (length if length > 0 else 1.0)
    elif step is None:
        scale = np.maximum(1.0, np.max([np.abs(bound[k]) for k in directions], axis=0)) if directions else 1.0
        length = np.max([np.abs(v) for v in directions.values()], axis=0) if directions else 1.0
        h = EPS ** (1 / 3) * scale / np.where(length > 0, length, 1.0)
    else:
        h = np.float64(step)
        for k, direction in directions.items():
            _check_step_against(bound[k], h * direction, k, 1 / 3)
    plus = f({k: bound[k] + h * directions[k] if k in directions else bound[k] for k in bound})
    minus = f({k: bound[k] - h * directions[k] if k in directions else bound[k] for k in bound})
    meter.details["scheme"] = "central"
    return Computed(value, [(p - m) / (2 * h) for p, m in zip(plus, minus, strict=True)], meter.finish())


def hessian(graph: Graph, bound: dict, wrt: tuple[str, ...], step=None) -> Computed:
    """Second differences: 1 + 2n + 4·n(n-1)/2 evaluations for n variables."""
    check_step(step)
    meter = Meter("numeric")
    f = _evaluator(graph, meter)
    if graph.is_tensor:
        return _tensor_hessian(f, bound, wrt, step, meter)
    rows = _second_differences(f, bound, wrt, step)
    meter.details["scheme"] = "second differences"
    return Computed([f(bound)[0]], rows, meter.finish())


def _tensor_hessian(f, bound: dict, wrt: tuple[str, ...], step, meter: Meter) -> Computed:
    """Second differences over every entry of the tensors in ``wrt``: blocks shaped variable i + variable j."""
    entries = [(name, k) for name in wrt for k in range(bound[name].size)]
    labels = [f"{name}#{k}" for name, k in entries]

    def f_entries(scalars: dict) -> list:
        arrays = {name: bound[name].copy() for name in wrt}
        for label, (name, k) in zip(labels, entries, strict=True):
            arrays[name].flat[k] = scalars[label]
        return f({**bound, **arrays})

    point = {label: np.float64(bound[name].flat[k]) for label, (name, k) in zip(labels, entries, strict=True)}
    flat = _second_differences(f_entries, point, tuple(labels), step)
    matrix = np.array([[0.0 if x is None else float(np.asarray(x).item()) for x in row] for row in flat])
    rows = split_blocks(matrix, [bound[name].shape for name in wrt])
    meter.details["scheme"] = "second differences"
    meter.details["entries perturbed"] = len(entries)
    return Computed([f(bound)[0]], rows, meter.finish())


def _second_differences(f, bound: dict, wrt: tuple[str, ...], step) -> list[list]:
    """∂²f/∂aᵢ∂aⱼ by central second differences (f returns a one-output list)."""
    (value,) = f(bound)
    n = len(wrt)
    h = {name: automatic_step(bound[name], 1 / 4) if step is None else np.float64(step) for name in wrt}
    if step is not None:
        for name in wrt:
            _check_step_against(bound[name], h[name], name, 1 / 4)
    rows: list[list] = [[None] * n for _ in range(n)]
    for i, a in enumerate(wrt):
        (plus,) = f(_shifted(bound, a, h[a]))
        (minus,) = f(_shifted(bound, a, -h[a]))
        rows[i][i] = (plus - 2 * value + minus) / (h[a] * h[a])
        for j in range(i + 1, n):
            b = wrt[j]
            corners = []
            for sa, sb in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                (c,) = f(_shifted(_shifted(bound, a, sa * h[a]), b, sb * h[b]))
                corners.append(c)
            rows[i][j] = rows[j][i] = (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * h[a] * h[b])
    return rows


def derivative(graph: Graph, bound: dict, wrt: str, order: int, scheme: str = "central", step=None) -> Computed:
    """First or second derivative in one variable; higher orders are refused (round-off would swamp them)."""
    if order == 1:
        computed = jacobian(graph, bound, (wrt,), scheme=scheme, step=step)
        return Computed(computed.value, computed.derivative[0][0], computed.cost)
    if order == 2:
        _check_scheme(graph, scheme)
        if scheme != "central":
            raise MethodError("second derivatives use central second differences; scheme= applies to order 1")
        computed = hessian(graph, bound, (wrt,), step=step)
        return Computed(computed.value, computed.derivative[0][0], computed.cost)
    raise MethodError(
        f"the numeric method gives derivatives of order 1 and 2, not {order}: each order divides round-off "
        "by another factor of h. Use method='forward', 'reverse' or 'symbolic'."
    )


def hvp(graph: Graph, bound: dict, wrt: tuple[str, ...], vector: dict, step=None) -> Computed:
    """H·v as a central difference of gradients along v: (∇f(x + h·v) − ∇f(x − h·v)) / 2h.

    The gradients are reverse mode's (two sweeps each), so the product costs four gradients whatever the number
    of variables — the differences of gradients numdifftools and SciPy take when given a gradient. The step
    along v is ε^(1/3)·max(1, |x|) / |v| (the largest entries, per point), or ``step``; the same difference at
    2h gives the error estimate |D(h) − D(2h)|/3 (truncation) plus rounding: each gradient is taken to be off by
    (2 + the graph's depth)·ε times the size of its terms — its own size, or, where it cancels, how much it
    changes over the point's scale, |H·v|/|v|·max(1, |x|) (which also covers rounding x ± h·v) — over 2h.
    """
    from . import reverse  # numeric differences of the exact gradients: reverse mode supplies those

    meter = Meter("numeric")
    moved = [name for name in wrt if name in vector]
    entries = sum(bound[name].size for name in wrt) if graph.is_tensor else points_of(bound) * len(wrt)
    reach = _largest(bound, moved, graph.is_tensor)
    speed = _largest(vector, moved, graph.is_tensor)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = (EPS ** (1 / 3) * np.maximum(1.0, reach) if step is None else np.float64(step)) / speed
    h = np.where(np.isfinite(h) & (speed > 0), h, 0.0)  # no direction at a point: H·v is 0 there
    plan = graph.plan
    values = run_plan(plan, bound, on_step=lambda s, out, args: meter.op(s.primitive, s.primitive.work_of(
        out, args, s.params)))  # f itself, for the Result's value: one evaluation
    meter.evaluations = 1
    gradients = {}
    for factor in (1, -1, 2, -2):
        shifted = dict(bound)
        for name in moved:
            shifted[name] = bound[name] + factor * h * vector[name]
        computed = reverse.jacobian(graph, shifted, wrt)
        _add(meter, computed.cost)
        gradients[factor] = [_zero_if_none(d) for d in computed.derivative[0]]
        meter.hold(sum(np.asarray(g).nbytes for g in gradients[factor]))  # kept until the differences
    meter.details["gradients differenced"] = 4
    meter.details["step along v"] = float(np.max(h)) if np.ndim(h) else float(h)
    meter.ops(Counter(sub=3, div=2, mul=2, abs=1, add=1), entries)  # the two differences and the estimate
    products, errors = [], []
    ulps = 2 + _depth(plan)  # rounding accumulates along the longest chain of operations: about ε per step
    with np.errstate(divide="ignore", invalid="ignore"):
        for i, _ in enumerate(wrt):
            near = (gradients[1][i] - gradients[-1][i]) / (2 * h)
            far = (gradients[2][i] - gradients[-2][i]) / (4 * h)
            # each gradient rounded by (2 + depth)·ε times the size of its terms: itself, or where it cancels,
            # what it changes by over the point's scale (|H·v|/|v|·|x|, which also covers rounding x ± h·v)
            terms = np.abs(near) * np.maximum(1.0, reach) / speed
            rounding = ulps * EPS * (np.abs(gradients[1][i]) + np.abs(gradients[-1][i]) + 2 * terms) / (2 * h)
            products.append(np.where(h > 0, near, 0.0))
            errors.append(np.where(h > 0, np.abs(near - far) / 3 + rounding, 0.0))
    return Computed([values[plan.outputs[0]]], products, meter.finish(), error_estimate=errors)


def _depth(plan) -> int:
    """The longest chain of steps from a variable to an output (worked out once per plan)."""
    def make() -> int:
        depth = [0] * plan.size
        for step in plan.steps:
            depth[step.out] = 1 + max((depth[a] for a in step.args), default=0)
        return max((depth[s] for s in plan.outputs), default=0)
    return plan.memo(("depth",), make)


def _largest(values: dict, names: list, tensor: bool):
    """max |value| over the named variables: per point of a batch, over every entry of a tensor graph's."""
    if not names:
        return np.float64(0.0)
    if tensor:
        return np.float64(max(float(np.max(np.abs(values[name]), initial=0.0)) for name in names))
    largest = np.abs(values[names[0]])
    for name in names[1:]:  # shapes differ across a batch's variables: they broadcast
        largest = np.maximum(largest, np.abs(values[name]))
    return largest


def _zero_if_none(d):
    return np.float64(0.0) if d is None else d


def _add(meter: Meter, cost) -> None:
    """Charge a gradient's counted work to the numeric method's meter."""
    for name, count in cost.operations.items():
        meter.operations[name] += count
    meter.flops += cost.flops
    meter.forward_sweeps += cost.forward_sweeps
    meter.backward_sweeps += cost.backward_sweeps
    meter.hold(cost.memory_bytes)  # a gradient's own working memory, given back when it is done
    meter.hold(-cost.memory_bytes)
