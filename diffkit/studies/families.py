"""Families of functions indexed by a size, for cost-scaling studies.

A family turns a size (the number of inputs n, a depth k, a width w, ...) into a ``Problem``: a graph, a
point, the variables to differentiate by and a line saying what was built. It also says which verb a study
runs on it (gradient, jacobian or hessian) and what theory predicts for each method's cost, drawn as dashed
references in the plots:

    >>> from diffkit.studies import FAMILIES
    >>> problem = FAMILIES["gradient_vs_inputs"](8, variant="rosenbrock", seed=0)
    >>> problem.inputs, problem.graph.operations
    (8, 55)

Points, constants and data are drawn from ``numpy.random.default_rng([seed, size])``: a study is reproducible,
and each size's problem does not depend on which other sizes were run.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .. import options as check
from ..errors import BindingError
from ..graph import Graph
from ..limits import amount, check_memory
from ..nn import MLP
from ..trace import functions as fn
from ..trace import trace


@dataclass(frozen=True)
class Problem:
    """One member of a family: what a study differentiates at one size."""

    graph: Graph
    at: dict  # the point: {variable: value}
    wrt: tuple[str, ...] | None  # the variables differentiated by (None: all of the graph's)
    inputs: int  # scalar entries differentiated by (n of the lecture's "n sweeps")
    outputs: int  # scalar outputs (m)
    description: str  # what was built, e.g. "MLP 3-3-1 (16 parameters), batch 8"
    vector: dict | None = None  # the direction of an H·v study: {variable: value}


@dataclass(frozen=True)
class Scale:
    """What a family builds at one size, worked out arithmetically before building it (the study's work
    estimate): graph nodes and steps (primitive applications of one evaluation), the entries differentiated by
    and the outputs, one evaluation's flops, and ``setup`` flops of data made along (an MLP's parameters)."""

    nodes: float
    steps: float
    inputs: float
    outputs: float
    flops: float
    setup: float = 0.0


@dataclass(frozen=True)
class Theory:
    """What theory predicts for one method's figure, up to a constant factor.

    ``growth(row)`` computes the prediction from a study row (its ``size``, ``function_flops``, ``inputs``,
    ``outputs``), so "reverse ∝ f" uses the function's own measured flops; ``exponent`` is the power of the
    size it amounts to, where it is one ("n·f" with f ∝ n is n²), for the report. An ``exact`` theory is the
    figure itself (sweeps: "2n + 1"), drawn as it is instead of scaled to the measured points.
    """

    label: str
    growth: Callable[[Mapping], float]
    exponent: float | None = None
    exact: bool = False  # the prediction itself (sweeps, evaluations), not a growth up to a constant
    exponential: bool = False  # no power of the size fits it: reported as a growth factor per step


# Which figure a theory is about: cost (flops, operations, seconds), passes over the function, expression sizes.
COST, SWEEPS, TREE, DAG = "cost", "sweeps", "expression_size", "dag_size"


_LARGEST_SIZE = 2**53  # the largest whole number every float holds exactly


class Family:
    """A family of problems indexed by a size: ``family(size, variant=None, seed=0, **options) -> Problem``.

    ``verb`` is what a study runs on it (gradient, jacobian, hessian); ``symbol`` and ``meaning`` say what the
    size is ("n", "inputs"); ``variants`` name the functions it offers (the first is the default); ``sizes`` are
    the default sizes of a study; ``theory(variant)`` gives {figure: {method: Theory}}.
    """

    def __init__(self, name: str, build: Callable, *, verb: str, symbol: str, meaning: str, title: str,
                 variants: tuple[str, ...], sizes: tuple[int, ...], minimum: int,
                 theory: Callable[[str], dict], scale: Callable[..., Scale], check: Callable | None = None):
        self.name = name
        self._build = build
        self.verb = verb
        self.symbol = symbol
        self.meaning = meaning
        self.title = title
        self.variants = variants
        self.sizes = sizes
        self.minimum = minimum
        self._theory = theory
        self._check = check
        self._scale = scale
        self.options = tuple(p for p in inspect.signature(build).parameters if p not in ("size", "variant", "rng"))
        self.__doc__ = inspect.getdoc(build)

    def variant(self, variant: str | None) -> str:
        """The variant's name, checked (None: the default)."""
        if variant is None:
            return self.variants[0]
        if not isinstance(variant, str) or variant not in self.variants:
            raise check.OptionError(f"unknown variant {check.shown(variant)} of the {self.name} family; choose one of "
                               f"{', '.join(self.variants)}")
        return variant

    def check(self, size, variant: str | None = None, **options) -> None:
        """Refuse a size or option this family cannot build, with a message saying what it takes."""
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            takes = ", ".join(self.options) or "no options"
            raise BindingError(f"option(s) {', '.join(unknown)} not understood by the {self.name} family "
                               f"(it takes: {takes})")
        # How large a size may be is the work estimate's to say (studies.runner.check_cells refuses what would be
        # over dk.limits); it estimates in floats, so a size must at least be one exactly (10**400 is not).
        try:
            check.number("size", size, low=self.minimum, high=_LARGEST_SIZE, integer=True)
        except check.OptionError:
            raise check.OptionError(f"sizes of the {self.name} family are whole numbers ≥ {self.minimum} "
                                    f"({self.symbol} = {self.meaning}; at most 2**53), got {check.shown(size)}"
                                    ) from None
        if self._check is not None:
            self._check(int(size), self.variant(variant), **options)

    def __call__(self, size: int, variant: str | None = None, seed: int = 0, **options) -> Problem:
        self.check(size, variant, **options)
        rng = np.random.default_rng([int(seed), int(size)])
        return self._build(int(size), self.variant(variant), rng, **options)

    def scale(self, size: int, variant: str | None = None, **options) -> Scale:
        """What ``self(size, variant, **options)`` would build, estimated without building it (within 2×)."""
        self.check(size, variant, **options)
        return self._scale(int(size), self.variant(variant), **options)

    def theory(self, variant: str | None = None) -> dict[str, dict[str, Theory]]:
        """{figure: {method: Theory}} for a variant; figures are "cost", "sweeps", "expression_size", "dag_size"."""
        return self._theory(self.variant(variant))

    def __repr__(self) -> str:
        return f"<study family {self.name}: {self.verb} against {self.symbol} = {self.meaning}>"


# --- building blocks --------------------------------------------------------------------------------------------

def total(terms: list):
    """Σ terms as a balanced tree of additions: depth log₂(n), not n (SymPy recurses per level of a graph)."""
    terms = list(terms)
    while len(terms) > 1:
        paired = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        terms = paired + ([terms[-1]] if len(terms) % 2 else [])
    return terms[0]


def _names(n: int) -> list[str]:
    return [f"x{i}" for i in range(n)]


def _point(rng, n: int, low: float, high: float) -> dict:
    return {name: float(v) for name, v in zip(_names(n), rng.uniform(low, high, n), strict=True)}


def _f(row) -> float:
    return row["function_flops"]


def _n(row) -> float:
    return row["inputs"]


def _mlp_problem(sizes: list[int], batch: int, rng, what: str) -> Problem:
    """An MLP's loss (tanh hidden layers, linear output, mean squared error) on seeded data; the variables are
    the parameters."""
    net = MLP(sizes, activation="tanh", loss="mse", seed=int(rng.integers(2**31)))  # checks its weights' memory
    # The batch's inputs and targets, before they are drawn (batch=10**400 would be NumPy's ValueError).
    check_memory(f"a batch of {amount(batch)} samples for the MLP", 8 * batch * (sizes[0] + sizes[-1]),
                 "use a smaller batch, or raise dk.limits.memory_bytes")
    X = rng.normal(size=(batch, sizes[0]))
    Y = rng.normal(size=(batch, sizes[-1]))
    graph = net.loss_graph(X, Y)
    shape = "-".join(map(str, sizes))
    return Problem(graph, net.parameters(), tuple(net.parameter_names), net.parameter_count, 1,
                   f"MLP {shape} ({net.parameter_count:,} parameters), batch {batch}{what}")


def mlp_shape(parameters: int) -> tuple[int, int]:
    """(inputs d, hidden width h) of a d-h-1 MLP with about ``parameters`` parameters, h(d + 2) + 1 of them.

    Both grow like √P (h = round(√P)), so the network's shape, and with it the share of its flops that each
    kind of operation has, changes smoothly along a study; small counts that this misses by over 10 % are
    matched as closely as possible instead."""
    # At least 4 (a 1-1-1 network has 4 parameters); at most what a study could build (a float's worth).
    parameters = check.number("parameters", parameters, low=4, high=2**53, integer=True)
    h = max(1, round(parameters**0.5))
    d = max(1, round((parameters - 1) / h - 2))
    if abs(h * (d + 2) + 1 - parameters) <= 0.1 * parameters:
        return d, h
    best = None
    for h in range(1, parameters + 1):
        d = max(1, round((parameters - 1) / h - 2))
        count = h * (d + 2) + 1
        key = (abs(count - parameters), abs(d - h))
        if best is None or key < best[0]:
            best = (key, d, h)
    return best[1], best[2]


# --- gradient_vs_inputs -----------------------------------------------------------------------------------------

def _gradient_vs_inputs(size: int, variant: str, rng, batch: int = 8) -> Problem:
    """f: Rⁿ → R, its gradient in n = the number of inputs.

    Variants: ``sum_of_products`` Σ xᵢ·xᵢ₊₁ (the default), ``rosenbrock`` Σ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², and
    ``mlp``: the loss of a d-h-1 MLP (tanh, mean squared error, ``batch`` samples) with about n parameters, the
    gradient taken by the parameters (the size is the requested count; the description gives the actual one).
    Theory: reverse ≈ c·f whatever n is; forward (n sweeps) and numeric (2n + 1 evaluations) ∝ n·f; the symbolic
    derivatives of the two sums have constant size per input, so ∝ f too (an MLP it cannot afford for long).
    """
    if variant == "mlp":
        d, h = mlp_shape(size)
        return _mlp_problem([d, h, 1], batch, rng, "")
    names = _names(size)
    if variant == "sum_of_products":
        graph = trace(lambda *x: total([x[i] * x[i + 1] for i in range(size - 1)]), names)
        at, what = _point(rng, size, 0.5, 1.5), f"Σ xᵢ·xᵢ₊₁ over {size} inputs"
    else:
        graph = trace(lambda *x: total([100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2
                                        for i in range(size - 1)]), names)
        at, what = _point(rng, size, -1.2, 1.2), f"Rosenbrock's function of {size} inputs"
    return Problem(graph, at, None, size, 1, what)


def _check_gradient_vs_inputs(size: int, variant: str, batch: int = 8) -> None:
    if size < 2 or (variant == "mlp" and size < 4):
        least = 4 if variant == "mlp" else 2
        raise BindingError(f"the {variant} variant needs n ≥ {least}, got {size}")
    _check_batch(batch)


def _gradient_sweeps(n: str) -> dict:
    """Passes over the function for one gradient in ``n`` inputs (or parameters), exactly."""
    return {
        "reverse": Theory("2", lambda r: 2.0, 0, exact=True),
        "forward": Theory(n, _n, 1, exact=True),
        "numeric": Theory(f"2{n} + 1", lambda r: 2 * _n(r) + 1, 1, exact=True),
        "symbolic": Theory("1", lambda r: 1.0, 0, exact=True),
    }


def _gradient_theory(variant: str) -> dict:
    cost = {
        "reverse": Theory("f", _f, 1),
        "forward": Theory("n·f", lambda r: _n(r) * _f(r), 2),
        "numeric": Theory("n·f", lambda r: _n(r) * _f(r), 2),
    }
    if variant != "mlp":
        cost["symbolic"] = Theory("f", _f, 1)
    return {COST: cost, SWEEPS: _gradient_sweeps("n")}


# --- jacobian_shape ---------------------------------------------------------------------------------------------

TRUNK_WIDTH = 8


def _jacobian_shape(size: int, variant: str, rng, nm: int = 64) -> Problem:
    """f: Rⁿ → Rᵐ at a fixed n·m (``nm``, 64 by default): the size is n, and m = n·m / n.

    Variants: ``sines`` yⱼ = Σᵢ sin(cᵢⱼ·xᵢ) (the default), and ``trunk`` yⱼ = Σₖ bⱼₖ·tanh(Σᵢ aₖᵢ·xᵢ) with 8 hidden
    units that every output shares. Forward mode needs n sweeps and reverse mode 1 + m (one recorded forward
    sweep, one backward sweep per output): they cross at n = m. In flops, reverse mode's backward sweeps touch
    only the nodes their output depends on, so on ``sines`` (each output its own terms) they cost about f
    together, while ``trunk`` makes every sweep pay for the whole shared trunk (m·f).
    """
    m = nm // size
    names = _names(size)
    if variant == "sines":
        C = rng.uniform(0.5, 1.5, size=(size, m))
        graph = trace(lambda *x: [total([fn.sin(x[i] * float(C[i, j])) for i in range(size)]) for j in range(m)],
                      names)
        what = f"yⱼ = Σᵢ sin(cᵢⱼ·xᵢ), {size} inputs, {m} outputs"
    else:
        A = rng.normal(size=(TRUNK_WIDTH, size)) / np.sqrt(size)
        B = rng.normal(size=(m, TRUNK_WIDTH)) / np.sqrt(TRUNK_WIDTH)

        def f(*x):
            hidden = [fn.tanh(total([x[i] * float(A[k, i]) for i in range(size)])) for k in range(TRUNK_WIDTH)]
            return [total([hidden[k] * float(B[j, k]) for k in range(TRUNK_WIDTH)]) for j in range(m)]

        graph = trace(f, names)
        what = f"yⱼ = Σₖ bⱼₖ·tanh(Σᵢ aₖᵢ·xᵢ), {size} inputs, {m} outputs, {TRUNK_WIDTH} shared hidden units"
    return Problem(graph, _point(rng, size, -1.0, 1.0), None, size, m, what)


def _check_jacobian_shape(size: int, variant: str, nm: int = 64) -> None:
    _whole_option("nm", nm, "a positive whole number (n·m)")
    if nm % size:
        raise BindingError(f"n must divide n·m = {nm} (m = n·m / n outputs), got n = {size}")


def _jacobian_theory(variant: str) -> dict:
    def m(r):
        return r["outputs"]

    cost = {
        "forward": Theory("n·f", lambda r: _n(r) * _f(r)),
        "numeric": Theory("n·f", lambda r: _n(r) * _f(r)),
        "symbolic": Theory("f", _f),
        "reverse": Theory("f", _f) if variant == "sines" else Theory("m·f", lambda r: m(r) * _f(r)),
    }
    sweeps = {
        "forward": Theory("n", _n, 1, exact=True),
        "reverse": Theory("1 + m", lambda r: 1 + m(r), exact=True),
        "numeric": Theory("2n + 1", lambda r: 2 * _n(r) + 1, 1, exact=True),
        "symbolic": Theory("1", lambda r: 1.0, 0, exact=True),
    }
    return {COST: cost, SWEEPS: sweeps}


# --- depth ------------------------------------------------------------------------------------------------------

def _depth(size: int, variant: str, rng) -> Problem:
    """Nested compositions of depth k, one input: expression swell.

    Variants: ``sin_cos`` sin(cos(sin(…x))) with k functions (the default), and ``logistic``, the logistic map
    l₀ = x, lₖ₊₁ = 4·lₖ·(1 − lₖ), k steps. Automatic differentiation does a constant amount of work per level
    (operations ∝ k); the symbolic derivative written out as a tree grows as k² for the chain (the chain rule
    repeats every inner expression) and as k·2ᵏ for the logistic map (lₖ appears twice in lₖ₊₁, and the product
    rule writes out both factors), while CSE shares it back down to a DAG. Study it with ``y="expression_size"``:
    tree size, DAG size after CSE and AD's operations.
    """
    if variant == "sin_cos":
        def f(x):
            for i in range(size):
                x = fn.sin(x) if i % 2 == 0 else fn.cos(x)
            return x

        at, what = {"x": float(rng.uniform(0.2, 1.2))}, f"sin(cos(sin(…x))), {size} levels"
    else:
        def f(x):
            for _ in range(size):
                x = 4 * x * (1 - x)
            return x

        at, what = {"x": float(rng.uniform(0.1, 0.4))}, f"the logistic map, {size} steps"
    return Problem(trace(f, ["x"]), at, None, 1, 1, what)


def _depth_theory(variant: str) -> dict:
    def k(r):
        return r["size"]

    linear = {method: Theory("k", k, 1) for method in ("reverse", "forward", "numeric")}
    if variant == "sin_cos":
        tree = Theory("k²", lambda r: k(r) ** 2, 2)
        cost = {**linear, "symbolic": Theory("k", k, 1)}
    else:
        tree = Theory("k·2ᵏ", lambda r: k(r) * 2.0 ** k(r), exponential=True)  # D(k+1) = 2·D(k) + 2·T(k), T ∝ 2ᵏ
        cost = dict(linear)
    return {COST: cost, TREE: {"symbolic": tree, **linear}, DAG: {"symbolic": Theory("k", k, 1)}}


# --- mlp_width and mlp_depth ------------------------------------------------------------------------------------

def _mlp_width(size: int, variant: str, rng, inputs: int = 4, outputs: int = 2, batch: int = 8) -> Problem:
    """An MLP with one hidden layer of width w (the size): d-w-o with d = ``inputs``, o = ``outputs``, on
    ``batch`` samples; tanh, mean squared error; the gradient by all P = (d + 1)·w + (w + 1)·o parameters.

    The function's flops grow ∝ w and so does P: reverse mode ≈ c·f (∝ w), forward mode (P sweeps) and the
    numeric method (2P + 1 evaluations) ∝ P·f (∝ w²). The symbolic method writes the network out entry by
    entry and differentiates each parameter: it runs into its budget after the smallest widths — that is the
    point.
    """
    return _mlp_problem([inputs, size, outputs], batch, rng, "")


def _mlp_depth(size: int, variant: str, rng, width: int = 8, inputs: int = 4, outputs: int = 2,
               batch: int = 8) -> Problem:
    """An MLP with L hidden layers (the size) of ``width`` units each: d-w-…-w-o on ``batch`` samples; tanh,
    mean squared error; the gradient by all its parameters (P ∝ L).

    Theory as for ``mlp_width``: reverse ≈ c·f (∝ L), forward and numeric ∝ P·f (∝ L²); symbolic swells with
    depth and meets its budget at once.
    """
    return _mlp_problem([inputs, *([width] * size), outputs], batch, rng, "")


def _check_mlp(size: int, variant: str, inputs: int = 4, outputs: int = 2, batch: int = 8, width: int = 8) -> None:
    for name, value in (("inputs", inputs), ("outputs", outputs), ("width", width)):
        _whole_option(name, value, "a positive whole number")
    _check_batch(batch)


def _check_batch(batch) -> None:
    _whole_option("batch", batch, "a positive whole number of samples")


def _whole_option(name: str, value, what: str) -> int:
    """A family's whole-number option, >= 1 and at most 2**53 like a size (the work estimate computes in floats;
    how large is too large for the budget is its to say)."""
    return check.number(name, value, low=1, high=_LARGEST_SIZE, integer=True, what=f"{what}, at most 2**53")


def _mlp_theory(variant: str) -> dict:
    cost = {
        "reverse": Theory("f", _f, 1),
        "forward": Theory("P·f", lambda r: _n(r) * _f(r), 2),
        "numeric": Theory("P·f", lambda r: _n(r) * _f(r), 2),
    }
    return {COST: cost, SWEEPS: _gradient_sweeps("P")}


# --- hessian_vs_inputs ------------------------------------------------------------------------------------------

def _hessian_vs_inputs(size: int, variant: str, rng) -> Problem:
    """The Hessian of f: Rⁿ → R in n = the number of inputs.

    Variants: ``log_sum_exp`` log Σ exp(xᵢ) (the default; a dense Hessian, every entry depends on every input)
    and ``rosenbrock`` (tridiagonal). Reverse is reverse-over-reverse (the gradient emitted as a graph, then one
    backward sweep per input: ∝ n·f), forward is forward-over-forward (one sweep of second-order duals per pair
    i ≤ j: ∝ n²·f), numeric takes 2n² + 2 evaluations (∝ n²·f); symbolic writes out n² second derivatives, each
    holding the whole sum for log_sum_exp (tree ∝ n³, after CSE ∝ n²).
    """
    names = _names(size)
    if variant == "log_sum_exp":
        graph = trace(lambda *x: fn.log(total([fn.exp(xi) for xi in x])), names)
        return Problem(graph, _point(rng, size, -1.0, 1.0), None, size, 1, f"log Σ exp(xᵢ) over {size} inputs")
    graph = trace(lambda *x: total([100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(size - 1)]),
                  names)
    return Problem(graph, _point(rng, size, -1.2, 1.2), None, size, 1, f"Rosenbrock's function of {size} inputs")


def _check_hessian(size: int, variant: str) -> None:
    if variant == "rosenbrock" and size < 2:
        raise BindingError(f"the rosenbrock variant needs n ≥ 2, got {size}")


def _hessian_theory(variant: str) -> dict:
    dense = variant == "log_sum_exp"
    cost = {
        "reverse": Theory("n·f", lambda r: _n(r) * _f(r), 2) if dense else Theory("f", _f, 1),
        "forward": Theory("n²·f", lambda r: _n(r) ** 2 * _f(r), 3),
        "numeric": Theory("n²·f", lambda r: _n(r) ** 2 * _f(r), 3),
        "symbolic": Theory("n²", lambda r: _n(r) ** 2, 2) if dense else Theory("n", _n, 1),
    }
    sweeps = {
        "reverse": Theory("n + 2", lambda r: _n(r) + 2, 1, exact=True),
        "forward": Theory("n(n + 1)/2", lambda r: _n(r) * (_n(r) + 1) / 2, 2, exact=True),
        "numeric": Theory("2n² + 2", lambda r: 2 * _n(r) ** 2 + 2, 2, exact=True),
        "symbolic": Theory("1", lambda r: 1.0, 0, exact=True),
    }
    theory = {COST: cost, SWEEPS: sweeps}
    if dense:
        theory[TREE] = {"symbolic": Theory("n³", lambda r: _n(r) ** 3, 3)}
        theory[DAG] = {"symbolic": Theory("n²", lambda r: _n(r) ** 2, 2)}
    return theory


# --- hvp_vs_inputs ----------------------------------------------------------------------------------------------

def _hvp_vs_inputs(size: int, variant: str, rng) -> Problem:
    """One Hessian-vector product H·v of f: Rⁿ → R in n = the number of inputs, v a random direction.

    The functions of ``hessian_vs_inputs`` (``log_sum_exp``, whose Hessian is dense, and ``rosenbrock``), so the
    two studies side by side show the point: a full Hessian costs about n gradients, one H·v a small constant
    number of them. Reverse is forward-over-reverse (one tangent sweep, one dual backward sweep: ∝ f), numeric
    differences four reverse-mode gradients along v (∝ f), forward is forward-over-forward (a sweep of
    second-order duals per input: ∝ n·f), symbolic differentiates the symbolic gradient along v (n derivatives,
    each holding the whole sum for log_sum_exp: ∝ n²).
    """
    problem = _hessian_vs_inputs(size, variant, rng)
    vector = {name: float(v) for name, v in zip(problem.graph.variables, rng.normal(size=size), strict=True)}
    return Problem(problem.graph, problem.at, None, size, 1, f"H·v of {problem.description}", vector)


def _hvp_theory(variant: str) -> dict:
    cost = {
        "reverse": Theory("f", _f, 1),
        "numeric": Theory("f", _f, 1),
        "forward": Theory("n·f", lambda r: _n(r) * _f(r), 2),
        # SymPy writes each of the n entries with the whole sum in it (its CSE does not collapse them to one)
        "symbolic": Theory("n²", lambda r: _n(r) ** 2, 2),
    }
    sweeps = {
        "reverse": Theory("2", lambda r: 2.0, 0, exact=True),
        "numeric": Theory("8 (4 gradients)", lambda r: 8.0, 0, exact=True),
        "forward": Theory("n", _n, 1, exact=True),
        "symbolic": Theory("1", lambda r: 1.0, 0, exact=True),
    }
    return {COST: cost, SWEEPS: sweeps}


# --- scales: what each family builds at a size, counted from its code above (tests compare them with builds) ---

def _mlp_scale(sizes: list[int], batch: int) -> Scale:
    """d-h-…-o: per layer a matmul, a bias and an activation (about 5 nodes and 3 steps), and the loss; per
    sample a multiply-add per parameter, a tanh per hidden unit, the loss per output."""
    parameters = sum((a + 1) * b for a, b in zip(sizes, sizes[1:], strict=False))
    return _mlp_scale_of(sizes[0], parameters, len(sizes) - 1, sum(sizes[1:-1]), sizes[-1], batch)


def _mlp_scale_of(inputs: int, parameters: int, layers: int, hidden: int, outputs: int, batch: int) -> Scale:
    """``_mlp_scale`` from the network's totals (``hidden``: the hidden units of all layers)."""
    return Scale(nodes=5 * layers + 11, steps=3 * layers + 6, inputs=parameters, outputs=1,
                 flops=batch * (2 * parameters + 9 * hidden + 20 * outputs),  # activations, the loss
                 setup=10 * (parameters + batch * inputs))


def _gradient_vs_inputs_scale(size: int, variant: str, batch: int = 8) -> Scale:
    if variant == "mlp":
        d, h = mlp_shape(size)
        return _mlp_scale([d, h, 1], batch)
    if variant == "sum_of_products":  # n variables, n - 1 products, n - 2 sums
        return Scale(nodes=3 * size - 3, steps=2 * size - 3, inputs=size, outputs=1, flops=2 * size - 3)
    return _rosenbrock_scale(size)


def _rosenbrock_scale(size: int) -> Scale:
    """n - 1 terms 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², 8 steps each with their sum."""
    return Scale(nodes=9 * (size - 1) + 3, steps=8 * (size - 1), inputs=size, outputs=1, flops=35 * (size - 1))


def _jacobian_shape_scale(size: int, variant: str, nm: int = 64) -> Scale:
    m = nm // size
    if variant == "sines":  # per pair (i, j): a constant, a product, a sine and a sum
        return Scale(nodes=4 * nm + size, steps=3 * nm, inputs=size, outputs=m, flops=12 * nm)
    width = TRUNK_WIDTH  # per hidden unit: a product and a sum per input; per output: the same per hidden unit
    return Scale(nodes=3 * width * (size + m) + size, steps=2 * width * (size + m), inputs=size, outputs=m,
                 flops=2 * width * (size + m) + 10 * width)


def _depth_scale(size: int, variant: str) -> Scale:
    if variant == "sin_cos":
        return Scale(nodes=size + 1, steps=size, inputs=1, outputs=1, flops=10 * size)
    return Scale(nodes=3 * size + 3, steps=3 * size, inputs=1, outputs=1, flops=3 * size)  # 4·l·(1 - l)


def _mlp_width_scale(size: int, variant: str, inputs: int = 4, outputs: int = 2, batch: int = 8) -> Scale:
    return _mlp_scale([inputs, size, outputs], batch)


def _mlp_depth_scale(size: int, variant: str, width: int = 8, inputs: int = 4, outputs: int = 2,
                     batch: int = 8) -> Scale:
    # In closed form, not from the list of widths: mlp_depth at L = 10**15 is refused, not a MemoryError.
    parameters = (inputs + 1) * width + (size - 1) * (width + 1) * width + (width + 1) * outputs
    return _mlp_scale_of(inputs, parameters, size + 1, size * width, outputs, batch)


def _hessian_scale(size: int, variant: str) -> Scale:
    if variant == "log_sum_exp":  # n exponentials, n - 1 sums, a log
        return Scale(nodes=3 * size, steps=2 * size, inputs=size, outputs=1, flops=11 * size)
    return _rosenbrock_scale(size)


# --- the registry -----------------------------------------------------------------------------------------------

FAMILIES: dict[str, Family] = {
    family.name: family for family in (
        Family("gradient_vs_inputs", _gradient_vs_inputs, verb="gradient", symbol="n", meaning="inputs",
               title="Gradient of f: Rⁿ → R against the number of inputs",
               variants=("sum_of_products", "rosenbrock", "mlp"), sizes=(2, 4, 8, 16, 32, 64, 128, 256),
               minimum=2, theory=_gradient_theory, scale=_gradient_vs_inputs_scale,
               check=_check_gradient_vs_inputs),
        Family("jacobian_shape", _jacobian_shape, verb="jacobian", symbol="n", meaning="inputs, at fixed n·m",
               title="Jacobian of f: Rⁿ → Rᵐ at fixed n·m", variants=("sines", "trunk"),
               sizes=(1, 2, 4, 8, 16, 32, 64), minimum=1, theory=_jacobian_theory, scale=_jacobian_shape_scale,
               check=_check_jacobian_shape),
        Family("depth", _depth, verb="gradient", symbol="k", meaning="levels of nesting",
               title="Expression swell: derivatives of nested compositions", variants=("sin_cos", "logistic"),
               sizes=(1, 2, 4, 8, 16, 32, 64), minimum=1, theory=_depth_theory, scale=_depth_scale),
        Family("mlp_width", _mlp_width, verb="gradient", symbol="w", meaning="hidden units (one layer)",
               title="MLP loss gradient against the hidden layer's width", variants=("tanh",),
               sizes=(1, 2, 4, 8, 16, 32, 64, 128), minimum=1, theory=_mlp_theory, scale=_mlp_width_scale,
               check=_check_mlp),
        Family("mlp_depth", _mlp_depth, verb="gradient", symbol="L", meaning="hidden layers",
               title="MLP loss gradient against the number of hidden layers", variants=("tanh",),
               sizes=(1, 2, 4, 8, 16), minimum=1, theory=_mlp_theory, scale=_mlp_depth_scale, check=_check_mlp),
        Family("hessian_vs_inputs", _hessian_vs_inputs, verb="hessian", symbol="n", meaning="inputs",
               title="Hessian of f: Rⁿ → R against the number of inputs", variants=("log_sum_exp", "rosenbrock"),
               sizes=(2, 4, 8, 16, 32), minimum=1, theory=_hessian_theory, scale=_hessian_scale,
               check=_check_hessian),
        Family("hvp_vs_inputs", _hvp_vs_inputs, verb="hvp", symbol="n", meaning="inputs",
               title="Hessian-vector product of f: Rⁿ → R against the number of inputs",
               variants=("log_sum_exp", "rosenbrock"), sizes=(2, 4, 8, 16, 32, 64, 128), minimum=1,
               theory=_hvp_theory, scale=_hessian_scale, check=_check_hessian),
    )
}


def family_of(name) -> Family:
    """A family by name (or a Family itself), with a message naming the known ones."""
    if isinstance(name, Family):
        return name
    if not isinstance(name, str) or name not in FAMILIES:
        close = difflib.get_close_matches(name, list(FAMILIES), n=1) if isinstance(name, str) else []
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise check.OptionError(f"unknown study family {check.shown(name)}; {hint}choose one of "
                                f"{', '.join(FAMILIES)}")
    return FAMILIES[name]
