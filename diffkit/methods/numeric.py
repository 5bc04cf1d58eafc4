"""Numerical differentiation: finite differences over whole evaluations of the graph.

Schemes for first derivatives (``h`` is the step, ε = 2.2e-16 the float64 machine epsilon):

=============  ==========================================  ==================  ==============================
scheme         formula                                     first trial step     evaluations per variable
=============  ==========================================  ==================  ==============================
``forward``    (f(x+h) - f(x)) / h                          ε^(1/2)·max(1,|x|)   1 (plus one shared f(x))
``central``    (f(x+h) - f(x-h)) / 2h          (default)    ε^(1/3)·max(1,|x|)   2
``richardson`` (4·D(h/2) - D(h)) / 3, D central             ε^(1/5)·max(1,|x|)   4
``complex``    Im f(x + ih) / h                             1e-20 (no cancellation)  1 (complex arithmetic)
=============  ==========================================  ==================  ==============================

The automatic steps balance truncation error (O(hᵖ)) against round-off (O(ε/h)). Each step is rounded so that
x+h is exactly representable, which removes one source of error. The table's step is only the first trial: it
shrinks, point by point, where a trial moves a guarded argument (of log, sqrt, a denominator, exp, sin, tan, ...)
too far for that primitive's own scale, or leaves its domain ("Step selection" below). Every scheme can report
an error estimate, truncation plus round-off (richardson always does). The complex step is exact to machine precision
for analytic expressions and is refused for abs, relu, maximum and the like.

Points of a batch are independent (the primitives are elementwise), so perturbing a variable perturbs every
point at once: a gradient in n variables costs the same 2n evaluations for one point or a million.
Second derivatives use second differences with step ε^(1/4)·max(1,|x|).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .. import domain
from ..binding import points_of
from ..cost import Meter
from ..errors import MethodError
from ..evaluation import run_plan
from ..graph import Graph
from ..limits import check_memory
from ..result import Computed, split_blocks
from ..special import REAL_ONLY

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


class Outputs(list):
    """One evaluation's outputs; in ``moved`` how far it moved the guarded arguments and in ``amplified`` how
    much their rounding is amplified (``Movement.of``)."""

    __slots__ = ("moved", "amplified")  # no __dict__: a batch holds hundreds of these


class Movement:
    """How far an evaluation moves the guarded arguments from their values at the point itself, per point:
    the largest |a - a₀| / s(a₀) over the guards (inf where an argument or an output turned nan/inf).

    It keeps a₀ for each guard (``nbytes``: metered as held, except arrays that are the inputs themselves) and
    works in place, so that checking a trial costs about one array of the points' size.

    It also measures how much the guarded arguments' own rounding is amplified, for the error estimate: an
    intermediate a is rounded to ε·|a| however exactly x + h is represented (b = exp(-x) = 90 carries an error
    of 90·ε into sin(b)), which is what x would have to move by ε·|a|·h/|Δa| to cause. Its effect on a
    difference quotient is then about |f'|·ε·|a|/|Δa|; ``amplified`` is the largest |a|/|Δa| over the guarded
    arguments that are not computed exactly (an input's x + h is exact, and so is -x). It takes f to depend on
    x through a, as in a chain (∂f/∂a ≈ f'·h/Δa); where other paths carry x as well it is an approximation.

    ``whole``: one movement for the whole evaluation (a tensor graph, whose intermediates have shapes of their
    own, e.g. a hidden layer's and the output layer's, and whose entries are perturbed one at a time), not one
    per point (a graph of elementwise primitives, whose values all broadcast to the points' shape).
    """

    def __init__(self, plan, values: list, whole: bool = False):
        self.whole = whole
        inputs = [values[slot] for slot in plan.variables.values()]
        self.exact = _exact_slots(plan)
        self.guarded = []  # (kind, slot, a₀, partner's value or None, mask of unusable points or None)
        self.nbytes = 0
        with np.errstate(all="ignore"):
            for kind, slot, other in _guards(plan):
                a0 = values[slot]
                partner = None if other is None else values[other]
                scale = _scale(kind, a0, partner)
                usable = np.isfinite(a0) & np.isfinite(scale) & (scale > 0)  # not at a singular point itself
                if not np.any(usable):
                    continue
                self.guarded.append((kind, slot, a0, partner, None if np.all(usable) else ~usable))
                self.nbytes += sum(np.asarray(v).nbytes for v in (a0, partner) if v is not None
                                   and not any(v is i for i in inputs))
        self.outputs = list(plan.outputs)
        self.base = [values[slot] for slot in plan.outputs]  # the value at the point, which the caller keeps

    def of(self, values: list) -> tuple:
        """The movement of an evaluation (``values``: all its slots) from the one at the point itself, and the
        amplification of the guarded arguments' rounding (0 where none is amplified: the usual case)."""
        moved = None
        amplified = np.float64(0.0)
        with np.errstate(all="ignore"):
            for kind, slot, a0, partner, unusable in self.guarded:
                if values[slot] is a0:  # an input this evaluation did not move
                    continue
                d = np.subtract(values[slot], a0)  # the one new array: the rest is done in place
                d = np.abs(d, out=d) if isinstance(d, np.ndarray) else np.abs(d)
                if slot not in self.exact:
                    amplified = self._amplified(amplified, a0, d, unusable)
                if kind != "absolute":  # (whose scale is 1)
                    d /= np.abs(a0) if kind == "relative" else _scale(kind, a0, partner)
                if not np.all(np.isfinite(d)):  # an argument lost (nan, inf): as far as can be
                    d = np.where(np.isfinite(d), d, np.inf)
                if unusable is not None:
                    d = np.where(unusable, 0.0, d)
                if self.whole:
                    d = np.max(d, initial=0.0)
                if moved is None:
                    moved = d
                elif np.shape(moved) == np.shape(d) and isinstance(moved, np.ndarray):
                    np.maximum(moved, d, out=moved)
                else:
                    moved = np.maximum(moved, d)
                del d  # before the next guard's is made
            for slot, v0 in zip(self.outputs, self.base, strict=True):  # an output lost where f(x) is finite
                v = values[slot]
                if not np.all(np.isfinite(v)):
                    lost = np.where(np.isfinite(v0) & ~np.isfinite(v), np.inf, 0.0)
                    if self.whole:
                        lost = np.max(lost, initial=0.0)
                    moved = lost if moved is None else np.maximum(moved, lost)
        return np.float64(0.0) if moved is None else moved, amplified

    def _amplified(self, amplified, a0, moved, unusable):
        """The larger of ``amplified`` and |a₀|/|Δa| (``moved``), where Δa is finite and not 0 (an argument
        that does not move with x at all contributes no rounding to the difference)."""
        ratio = np.where(np.isfinite(moved) & (moved > 0), np.abs(a0) / np.where(moved > 0, moved, 1.0), 0.0)
        if unusable is not None:
            ratio = np.where(unusable, 0.0, ratio)
        if self.whole:
            ratio = np.max(ratio, initial=0.0)
        return np.maximum(amplified, ratio)


_EXACT = ("neg", "abs")  # primitives whose result is exact when their argument is: no rounding of their own


def _power_of_two(value) -> bool:
    """Is ``value`` a scalar ±2ᵏ (multiplying or dividing by it is exact, barring overflow and underflow)?"""
    if np.ndim(value) != 0 or not np.isfinite(value) or value == 0:
        return False
    mantissa, _ = np.frexp(abs(float(value)))
    return mantissa == 0.5


def _exact_slots(plan) -> set:
    """The slots whose values carry no rounding: the inputs, exact primitives (-x, |x|) of exact slots, and
    exact slots times or over a constant power of two (2·x in tan(2·x))."""
    exact = set(plan.variables.values())
    twos = {slot for slot, value in plan.constants if _power_of_two(value)}
    for step in plan.steps:
        name, args = step.primitive.name, step.args
        if name in _EXACT and all(a in exact for a in args):
            exact.add(step.out)
        elif name == "mul" and len(args) == 2 and ((args[0] in twos and args[1] in exact)
                                                   or (args[1] in twos and args[0] in exact)):
            exact.add(step.out)
        elif name == "div" and len(args) == 2 and args[0] in exact and args[1] in twos:
            exact.add(step.out)
    return exact


def _evaluator(graph: Graph, meter: Meter):
    """f(bound) -> output values (``Outputs``), counting each whole evaluation and its operations."""
    plan = graph.plan
    movement: list[Movement] = []  # from the first evaluation, the one at the point itself

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
        outputs = Outputs(values[s] for s in plan.outputs)
        if movement:
            outputs.moved, outputs.amplified = movement[0].of(values)
        else:  # the point itself, which moves nothing: its guarded arguments are kept, and held
            movement.append(Movement(plan, values, whole=graph.is_tensor))
            meter.hold(movement[0].nbytes)
            outputs.moved = outputs.amplified = np.float64(0.0)
        return outputs

    # A batched run meters each of its evaluations like the first one (``_run_batched``).
    evaluate.profile = profile
    evaluate.movement = movement
    return evaluate


class Round(list):
    """The points a quotient generator asks f at; ``retry`` when they replace the previous round's, whose step
    was too large: the floating-point signals that round raised (nan from log of a negative trial point) are
    then withdrawn, since no answer uses it."""

    __slots__ = ("retry",)  # no __dict__: a batch holds one per variable


def _signals():
    """The running domain watch's events so far (to withdraw a rejected trial's), or None without a watch."""
    watch = domain.current()
    return None if watch is None else dict(watch.events)


def _withdraw(snapshot) -> None:
    watch = domain.current()
    if watch is not None and snapshot is not None:
        watch.events = dict(snapshot)


def _run(quotients, f, bound: dict, name: str):
    """Answer a quotient generator's requests (values of ``name``) one evaluation at a time; what it returns."""
    try:
        request = next(quotients)
        while True:
            before = _signals()
            answers = [f({**bound, name: moved}) for moved in request]
            request = quotients.send(answers)
            if getattr(request, "retry", False):
                _withdraw(before)
    except StopIteration as stop:
        return stop.value


def _run_batched(graph: Graph, f, bound: dict, quotients: dict, value: Outputs, meter: Meter, done) -> None:
    """Answer the quotient generators of all variables together, round by round, from batched evaluations.

    Each round gathers every variable's pending requests (the points with that variable moved), stacks them
    along a new leading axis and evaluates them together (in chunks that fit in memory), since the primitives
    are elementwise. Each answer is metered as a whole evaluation of its own: the numeric method's work is the
    same however it is run, and the steps are the same as one at a time, since each generator sees the same
    answers. ``done(name, result)`` is called as each variable's quotients are formed.
    """
    profile = f.profile  # each evaluation does what the one at the point itself did
    pending = {name: next(q) for name, q in quotients.items()}
    first = True
    while pending:
        before = _signals()
        requests = [(name, moved) for name, values in pending.items() for moved in values]
        answers, peak = _evaluate_together(graph, bound, requests, value, f.movement[0], first)
        first = False
        # Memory as it is really held: the batch's intermediates while it ran, then every answer until its
        # quotient is formed.
        meter.hold(peak)
        meter.hold(-peak)
        meter.hold(sum(_nbytes(answer) for answer in answers))
        queue = iter(answers)
        following = {}
        for name, points in pending.items():
            mine = [next(queue) for _ in points]
            for answer in mine:
                meter.evaluations += 1
                for (primitive, work), count in profile.items():
                    meter.op(primitive, work, count)
                meter.hold(-_nbytes(answer))
            try:
                following[name] = quotients[name].send(mine)
            except StopIteration as stop:
                done(name, stop.value)
        # The round's signals come from one batch: withdrawn only when every variable in it retries (a
        # signal of a retried row may stay, when others accepted theirs: a warning too many, never one too few).
        if len(following) == len(pending) and all(getattr(r, "retry", False) for r in following.values()):
            _withdraw(before)
        pending, answers, queue, mine = following, None, None, None  # this round's answers are all used


def _nbytes(outputs: Outputs) -> int:
    """Bytes an answer holds: its outputs, how far it moved the guarded arguments and their amplification."""
    return (sum(np.asarray(o).nbytes for o in outputs) + np.asarray(outputs.moved).nbytes
            + np.asarray(outputs.amplified).nbytes)


def _evaluate_together(graph: Graph, bound: dict, requests: list[tuple[str, np.ndarray]],
                       value: Outputs, movement: Movement, check: bool = True) -> tuple[list, int]:
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
        values = run_plan(plan, stacked, check=check and start == 0)
        held = sum(np.asarray(values[step.out]).nbytes for step in plan.steps)
        held += sum(a.nbytes for a in stacked.values()) + sum(_nbytes(answer) for answer in answers) + moved_bytes
        peak = max(peak, held)
        outs = [values[s] for s in plan.outputs]
        shifts, amplified = movement.of(values)
        if 0 < np.ndim(shifts) <= ndim:  # guarded arguments that no variable moves: no leading axis
            shifts = np.broadcast_to(shifts, (len(part),) + np.shape(shifts))
        if 0 < np.ndim(amplified) <= ndim:
            amplified = np.broadcast_to(amplified, (len(part),) + np.shape(amplified))
        for k in range(len(part)):
            answer = Outputs(o if np.ndim(o) == 0 else _one(o[k], np.shape(v))
                             for o, v in zip(outs, value, strict=True))
            answer.moved = shifts if np.ndim(shifts) == 0 else shifts[k]
            answer.amplified = amplified if np.ndim(amplified) == 0 else amplified[k]
            answers.append(answer)
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
        real = sorted({s.primitive.name for s in graph.plan.steps if s.primitive.name in REAL_ONLY})
        if real:
            raise MethodError(
                f"the complex step needs every function for complex arguments, but diffkit computes "
                f"{', '.join(real)} for real arguments only; use scheme='central' or 'richardson'"
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


# --- Step selection ----------------------------------------------------------------------------------------------
#
# The default step ε^p·max(1,|x|) is right where the function's features are of size max(1,|x|). Some primitives
# say otherwise about their argument a: log, sqrt and a denominator change by their whole value over |Δa| ≈ |a|
# (and have a singularity at 0), exp/sin/cos over |Δa| ≈ 1, tan over |Δa| ≈ |cos a| (its distance to a pole). A
# "guard" records such an argument and its scale s(a); a step is accepted when every guarded argument moves by
# |Δa| ≤ TOLERANCE·ε^p·s(a) at the trial points. Otherwise the step shrinks to what gives |Δa| = ε^p·s(a), the
# step the default rule would pick for that primitive on its own, and the trial is evaluated again. Δa is read
# off the trial evaluations themselves (every node's value is at hand), so no derivative is needed.

TOLERANCE = 8.0  # a guarded argument may move this many times its ideal step before the step shrinks
RETRIES = 4  # at most this many shrunken trials per variable (each metered as the evaluations it costs)
NONFINITE_SHRINK = 1 / 16  # a trial that is nan/inf where f(x) is finite, with no better measure: shrink by this
FLOOR_ULPS = 64.0  # no step below this many units in the last place of x: round-off would be all that is left
ROUNDING_ULPS = 2.0  # relative error assumed of each evaluation of f, in units of ε, for the error estimate

_RELATIVE = ("log", "log10", "log2", "sqrt", "cbrt")  # scale |a|: singular at 0
_ABSOLUTE = ("exp", "expm1", "sin", "cos", "sinh", "cosh", "tanh", "sech", "sigmoid", "softplus", "erf")  # scale 1
_GAMMA = ("lgamma", "digamma")  # scale: distance to the nearest pole (x = 0, -1, ...), or x for x > 0


def _guards(plan) -> tuple:
    """The plan's guarded arguments: (kind, argument slot, other slot or None), worked out once per plan."""
    def make():
        guards = []
        for step in plan.steps:
            name = step.primitive.name
            if name in _RELATIVE:
                guards.append(("relative", step.args[0], None))
            elif name in _ABSOLUTE:
                guards.append(("absolute", step.args[0], None))
            elif name in _GAMMA:
                guards.append(("gamma", step.args[0], None))
            elif name == "polygamma":
                guards.append(("gamma", step.args[1], None))
            elif name == "log1p":  # singular at -1
                guards.append(("shifted", step.args[0], None))
            elif name == "tan":
                guards.append(("pole", step.args[0], None))
            elif name in ("arcsin", "arccos", "arctanh"):
                guards.append(("unit", step.args[0], None))
            elif name == "arccosh":
                guards.append(("above one", step.args[0], None))
            elif name in ("arctan", "arcsinh"):
                guards.append(("wide", step.args[0], None))
            elif name == "hypot":  # a cone's tip at the origin: both arguments scaled by the radius
                guards.append(("radius", step.args[0], step.args[1]))
                guards.append(("radius", step.args[1], step.args[0]))
            elif name == "arctan2":  # singular at the origin; y also jumps across 0 where x < 0
                guards.append(("cut", step.args[0], step.args[1]))
                guards.append(("radius", step.args[1], step.args[0]))
            elif name == "div":
                guards.append(("relative", step.args[1], None))
            elif name == "pow":
                guards.append(("base", step.args[0], step.args[1]))
                guards.append(("exponent", step.args[1], step.args[0]))
        return tuple(guards)

    return plan.memo(("numeric guards",), make)


def _scale(kind: str, a, other):
    """s(a): how far the guarded argument may move, per unit of ε^p (inf: no limit from this guard)."""
    a = np.asarray(a, dtype=float)
    if kind == "relative":
        return np.abs(a)
    if kind == "absolute":
        return np.float64(1.0)
    if kind == "pole":
        return np.abs(np.cos(a))
    if kind == "unit":
        return np.maximum(1.0 - np.abs(a), 0.0)
    if kind == "wide":
        return np.maximum(1.0, np.abs(a))
    if kind == "shifted":
        return np.abs(1.0 + a)
    if kind == "above one":
        return np.maximum(np.abs(a) - 1.0, 0.0)
    if kind == "gamma":
        return np.where(a > 0, a, np.abs(a - np.round(a)))
    other = np.asarray(other, dtype=float)
    if kind == "radius":
        return np.hypot(a, other)
    if kind == "cut":  # arctan2's y: the radius, and where x < 0 no further than |y| (the jump at y = 0)
        return np.where(other < 0, np.minimum(np.hypot(a, other), np.abs(a)), np.hypot(a, other))
    if kind == "base":  # a**b: as singular as a relative argument, b times over, unless b is a whole power
        whole = (other >= 0) & (other == np.round(other))
        return np.where(whole, np.inf, np.abs(a) / np.maximum(1.0, np.abs(other)))
    # exponent: a**b = exp(b·log a), so b may move by 1/|log a|
    return 1.0 / np.abs(np.log(np.abs(other)))


def _reduce_to(factor, shape: tuple):
    """The smallest factor over the axes a variable of ``shape`` is broadcast along (one step per point)."""
    factor = np.asarray(factor, dtype=float)
    while factor.ndim > len(shape):
        factor = factor.min(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and factor.shape[axis] > 1:
            factor = factor.min(axis=axis, keepdims=True)
    return np.broadcast_to(factor, shape) if factor.shape != shape else factor


def _shrink_factor(trials: list, power: float, shape: tuple):
    """Per point: 1 where the trials are acceptable, else the factor that brings the step to its ideal size;
    None when every point is acceptable (the usual case, answered without arrays of the points' size)."""
    rho = EPS**power
    if all(np.max(trial.moved) <= TOLERANCE * rho for trial in trials):
        return None
    factor = np.ones(shape)
    with np.errstate(all="ignore"):
        for trial in trials:
            ratio = np.asarray(trial.moved, dtype=float) / rho
            here = np.where(ratio > TOLERANCE, np.where(np.isinf(ratio), NONFINITE_SHRINK, 1.0 / ratio), 1.0)
            factor = np.minimum(factor, _reduce_to(here, shape))
    return factor


def _floor(x):
    """The smallest step taken: FLOOR_ULPS units in the last place of x (of the smallest normal number at 0)."""
    return FLOOR_ULPS * np.spacing(np.maximum(np.abs(x), np.finfo(np.float64).tiny))


def _offsets(scheme: str, x, h) -> list:
    """The moves of x a scheme evaluates f at, in the order it evaluates them."""
    if scheme == "forward":
        return [h]
    if scheme == "central":
        return [h, -h]
    half = (x + h / 2) - x
    return [h, -h, half, -half]


def _trials(bound: dict, name: str, scheme: str, h, diagnostics: list):
    """Choose the step for ``name`` (generator: yields the points to evaluate, receives their outputs).

    Returns the step, the outputs at the scheme's points for it, and the points whose step could not be made
    small enough (a mask, or None when there are none). Where nothing constrains the step, this is the default
    step and one round of the scheme's own evaluations: no extra cost.
    """
    x = bound[name]
    power = _STEP_POWER[scheme]
    shape = np.shape(x)
    for attempt in range(RETRIES + 1):
        trial = Round(x + d for d in _offsets(scheme, x, h))
        trial.retry = attempt > 0
        outs = yield trial
        factor = _shrink_factor(outs[:2] if scheme != "forward" else outs, power, shape)
        for out in outs:
            out.moved = None  # read: not held while the quotients are formed
        if factor is None:
            return h, outs, None
        smaller = np.maximum(np.where(factor < 1.0, h * factor, h), _floor(x))
        smaller = (x + smaller) - x
        if attempt == RETRIES or np.array_equal(smaller, h):
            break
        h, outs = smaller, None  # the rejected outputs are not kept while the next trial runs
    at_floor = np.any(np.asarray(h) <= _floor(x))
    diagnostics.append(
        f"step for {name}: " + (f"at its floor of {FLOOR_ULPS:g} ulps of {name}" if at_floor else
                                f"still too large after {RETRIES} reductions")
        + ": f is not smooth at the scale float64 resolves there (its error estimate is inf there)"
    )
    return h, outs, factor < 1.0


def _vouched(errors: list, unresolved) -> list:
    """The error estimates, inf where the step stayed too large (``_trials``): there the trial points may lie
    across a singularity (tan within 64 ulps of a pole), and D(2h) - D(h) says nothing about the error."""
    if unresolved is None:
        return errors
    return [np.where(unresolved, np.inf, e) for e in errors]


def _rounding(outs: list, h, weight: float, derivs: list, trials: list) -> list:
    """The round-off in a difference quotient, per output: weight · ROUNDING_ULPS·ε·(max|f| / h + |f'|·A).

    max|f| / h is f's own rounding; A, the largest amplification the ``trials`` at step h measured
    (``Movement``), is the rounding of an intermediate that f magnifies (sin(b) at b = 90: 90 ε, not ε).
    """
    amplified = np.max([np.asarray(t.amplified, dtype=float) for t in trials], axis=0)
    return [weight * ROUNDING_ULPS * EPS * (np.max([np.abs(o[i]) for o in outs], axis=0) / np.abs(h)
                                            + np.abs(d) * amplified)
            for i, d in enumerate(derivs)]


def _first_derivatives(bound: dict, name: str, scheme: str, step, value: Outputs, error_estimate: bool,
                       diagnostics: list):
    """∂outputs/∂name for every output (a list), and an error estimate per output (or None).

    A generator: it yields the values of ``name`` it needs f at (a list) and is sent their outputs, so that
    one variable at a time (``_run``) and all variables batched (``_run_batched``) take the same steps.
    Richardson's estimate is always returned (it costs nothing extra); the others' only on request.
    """
    x = bound[name]
    if scheme == "complex":
        h = COMPLEX_STEP if step is None else float(step)  # a float32 step would make the evaluation complex64
        (outs,) = yield [x + 1j * h]
        for o in outs:
            _check_complex_precision(np.imag(o), h)
        derivs = [_off_branch_to_nan(np.imag(o) / h, np.real(o), v, step)
                  for o, v in zip(outs, value, strict=True)]
        return derivs, [np.abs(d) * EPS for d in derivs] if error_estimate else None
    if step is None:
        h0 = automatic_step(x, _STEP_POWER[scheme])
        h, outs, unresolved = yield from _trials(bound, name, scheme, h0, diagnostics)
    else:
        unresolved = None  # the user's step: used as given
        h = np.float64(step)
        _check_step_against(x, h, name, _STEP_POWER[scheme])
        outs = yield [x + d for d in _offsets(scheme, x, h)]
    if scheme == "forward":
        (plus,) = outs
        _cancellation(plus, value, name, diagnostics)
        derivs = [(p - v) / h for p, v in zip(plus, value, strict=True)]
        if not error_estimate:
            return derivs, None
        (double,) = yield [x + 2 * h]  # D(2h) - D(h) ≈ the truncation error of D(h)
        rounding = _rounding([plus, value], h, 2.0, derivs, [plus])
        return derivs, _vouched([np.abs((d2 - v) / (2 * h) - d) + r
                                 for d2, v, d, r in zip(double, value, derivs, rounding, strict=True)], unresolved)

    def central(plus, minus, hh):
        _cancellation(plus, minus, name, diagnostics)
        return [(p - m) / (2 * hh) for p, m in zip(plus, minus, strict=True)]

    if scheme == "central":
        plus, minus = outs
        derivs = central(plus, minus, h)
        if not error_estimate:
            return derivs, None
        wide = yield [x + 2 * h, x - 2 * h]
        coarse = central(*wide, 2 * h)  # truncation error is O(h²): D(2h) - D(h) ≈ 3 × the error of D(h)
        rounding = _rounding([plus, minus, value], h, 1.0, derivs, [plus, minus])
        return derivs, _vouched([np.abs(c - d) / 3 + r for c, d, r in zip(coarse, derivs, rounding, strict=True)],
                                unresolved)
    # richardson: two central differences, extrapolated to cancel the h² term. Its error is bounded by the fine
    # difference's (|R - D(h/2)|, far larger than R's own truncation) plus round-off: (4·2u + u)/3 = 3u·|f|/h.
    plus, minus, plus_half, minus_half = outs
    coarse, fine = central(plus, minus, h), central(plus_half, minus_half, (x + h / 2) - x)
    derivs = [(4 * b - a) / 3 for a, b in zip(coarse, fine, strict=True)]
    rounding = _rounding([plus, minus, plus_half, minus_half, value], h, 3.0, derivs, [plus, minus])
    return derivs, _vouched([np.abs(d - b) + r + 4 * EPS * np.abs(d)
                             for d, b, r in zip(derivs, fine, rounding, strict=True)], unresolved)


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
    rows: list[list] = [[None] * len(wrt) for _ in value]
    estimated = error_estimate or scheme == "richardson"  # richardson's estimate comes free
    errors: list[list] | None = [[None] * len(wrt) for _ in value] if estimated else None
    diagnostics: list[str] = []
    column = {name: j for j, name in enumerate(wrt)}

    def done(name: str, result) -> None:
        derivs, errs = result
        for i, d in enumerate(derivs):
            rows[i][column[name]] = d
            meter.ops(_QUOTIENT_OPS[scheme], np.size(d))  # forming the difference quotient(s)
            meter.hold(np.asarray(d).nbytes)
            if errors is not None:
                errors[i][column[name]] = errs[i]

    def quotients(name: str):
        return _first_derivatives(bound, name, scheme, step, value, error_estimate, diagnostics)

    # Many variables at a few points: the perturbed points as one batch (complex ones stay apart). At many
    # points each evaluation is already one long NumPy call per node, and a batch would only hold more memory;
    # with few variables there are too few evaluations for their Python overhead to matter.
    if scheme != "complex" and len(wrt) >= BATCH_VARIABLES and points_of(bound) <= BATCH_POINTS:
        _run_batched(graph, f, bound, {name: quotients(name) for name in wrt}, value, meter, done)
    else:
        for name in wrt:
            done(name, _run(quotients(name), f, bound, name))
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


def _blocked(columns: list, i: int, out_shape: tuple, shape: tuple) -> np.ndarray:
    """Output i's block, out_shape + the variable's shape, from one column per entry of the variable (none for
    an empty variable: an empty block)."""
    if not columns:
        return np.zeros(out_shape + shape)
    return np.stack([np.broadcast_to(c[i], out_shape) for c in columns], axis=-1).reshape(out_shape + shape)


def _tensor_jacobian(f, bound: dict, wrt: tuple[str, ...], scheme: str, step, value: list, error_estimate: bool,
                     meter: Meter) -> Computed:
    """Jacobian blocks of a tensor graph (output shape + variable shape): each entry of each variable is
    perturbed on its own, so a gradient costs two evaluations (central scheme) per entry."""
    rows: list[list] = [[None] * len(wrt) for _ in value]
    estimated = error_estimate or scheme == "richardson"  # richardson's estimate comes free
    errors: list[list] | None = [[None] * len(wrt) for _ in value] if estimated else None
    diagnostics: list[str] = []
    for j, name in enumerate(wrt):
        shape = bound[name].shape
        columns, column_errors = [], []
        for k in range(bound[name].size):
            f_entry = _entry_function(f, bound, name, k)
            entry = {name: np.float64(bound[name].flat[k])}
            label = f"{name}[{', '.join(map(str, np.unravel_index(k, shape)))}]" if shape else name
            notes: list[str] = []
            quotients = _first_derivatives(entry, name, scheme, step, value, error_estimate, notes)
            derivs, errs = _run(quotients, f_entry, entry, name)
            diagnostics.extend(note.replace(f"for {name}:", f"for {label}:") for note in notes)
            columns.append(derivs)
            column_errors.append(errs)
            for d in derivs:
                meter.ops(_QUOTIENT_OPS[scheme], np.size(d))
                meter.hold(np.asarray(d).nbytes)
        for i, v in enumerate(value):
            out_shape = np.shape(v)
            rows[i][j] = _blocked(columns, i, out_shape, shape)
            if errors is not None:
                errors[i][j] = _blocked(column_errors, i, out_shape, shape)
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
    2h gives the error estimate |D(h) − D(2h)| plus rounding. (Richardson's |D(h) − D(2h)|/3 is the truncation
    error alone; where the gradient is ill-conditioned — acosh near 1 — its rounding noise, which the difference
    also carries, would be underestimated three times, so the whole difference is kept.) Each gradient is taken
    to be off by (2 + the graph's depth)·ε times the size of its terms — its own size, or, where it cancels, how
    much it changes over the point's scale, |H·v|/|v|·max(1, |x|) (which also covers rounding x ± h·v) — over 2h.
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
        meter.add(computed.cost)  # each gradient's counted work, its memory given back when it is done
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
            errors.append(np.where(h > 0, np.abs(near - far) + rounding, 0.0))
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
