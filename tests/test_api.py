"""The user-facing verbs: known values, shapes, conventions, errors, and what they leave untouched."""

import math

import numpy as np
import pytest
import sympy as sp

import diffkit as dk

METHODS = dk.METHODS
EXACT = ("symbolic", "forward", "reverse")

LECTURE_3 = "log(x1) + x1*x2 - sin(x2)"
AT_3 = {"x1": 2.0, "x2": 5.0}


# --- the lecture's worked examples, by hand --------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_lecture_forward_and_reverse_trace(method):
    r = dk.gradient(LECTURE_3, at=AT_3, method=method)
    assert r.value == pytest.approx(11.652071, abs=5e-7)
    assert r.value == pytest.approx(math.log(2) + 10 - math.sin(5), rel=1e-15)
    assert r.gradient["x1"] == pytest.approx(1 / 2 + 5, rel=1e-9)
    assert r.gradient["x2"] == pytest.approx(2 - math.cos(5), rel=1e-9)
    assert r.gradient["x2"] == pytest.approx(1.716338, abs=5e-7)


@pytest.mark.parametrize("method", METHODS)
def test_lecture_product_of_sums(method):
    at = {"x1": 1.0, "x2": 2.0, "x3": 3.0, "x4": 4.0}
    r = dk.gradient("(x1 + x2) * (x3 + x4)", at=at, method=method)
    assert r.value == 21.0
    assert r.gradient == pytest.approx({"x1": 7.0, "x2": 7.0, "x3": 3.0, "x4": 3.0}, rel=1e-9)


def chain_by_hand(x):
    """The lecture's chain of modules: a = -x, b = exp(a), c = sin(b), d = 2/c, backward by local derivatives."""
    a = -x
    b = math.exp(a)
    c = math.sin(b)
    d = 2 / c
    return d, (-2 / c**2) * math.cos(b) * math.exp(a) * -1, b


@pytest.mark.parametrize("method", EXACT)
def test_lecture_chain_of_modules(method):
    d, dd, b = chain_by_hand(-4.499)
    assert b == pytest.approx(90, abs=0.1)
    r = dk.gradient("2 / sin(exp(-x))", at={"x": -4.499}, method=method)
    assert r.value == pytest.approx(d, rel=1e-14)
    assert r.gradient["x"] == pytest.approx(dd, rel=1e-12)


def test_lecture_chain_numeric_accuracy_depends_on_the_step():
    # This function varies on a scale of 1/90 (b = exp(4.499) ≈ 90), so a step of the size that suits
    # derivatives of order one, ε^(1/3)·|x|, leaves a truncation error: central differences lose ~6e-6
    # (f''' ≈ -4e6 here).
    _, dd, _ = chain_by_hand(-4.499)
    at = {"x": -4.499}
    coarse = float(np.finfo(float).eps ** (1 / 3) * 4.499)
    central = dk.gradient("2 / sin(exp(-x))", at=at, method="numeric", step=coarse).gradient["x"]
    assert 1e-7 < abs(central - dd) / abs(dd) < 1e-5
    # The automatic step sees sin's argument move 90 times as fast as x and shrinks to match (two more
    # evaluations): far more accurate.
    automatic = dk.gradient("2 / sin(exp(-x))", at=at, method="numeric")
    assert abs(automatic.gradient["x"] - dd) / abs(dd) < 1e-8
    assert automatic.cost.evaluations == 5
    # The complex step has no cancellation, so a tiny step is exact to machine precision ...
    complex_step = dk.gradient("2 / sin(exp(-x))", at=at, method="numeric", scheme="complex").gradient["x"]
    assert complex_step == pytest.approx(dd, rel=1e-14)
    # ... and Richardson extrapolation with a step suited to the scale is accurate too.
    richardson = dk.gradient("2 / sin(exp(-x))", at=at, method="numeric", scheme="richardson", step=1e-4)
    assert richardson.gradient["x"] == pytest.approx(dd, rel=1e-8)


def test_logistic_least_squares_error_signals():
    # s = w x + b, y = σ(s), L = ½(y - t)²: δy = y - t, δs = δy σ'(s), δw = δs x, δb = δs
    w, x, b, t = 0.7, 1.5, -0.2, 1.0
    s = w * x + b
    y = 1 / (1 + math.exp(-s))
    delta_s = (y - t) * y * (1 - y)
    for method in METHODS:
        r = dk.gradient("0.5 * (sigmoid(w*x + b) - t)**2", at={"w": w, "x": x, "b": b, "t": t}, method=method,
                        wrt=["w", "b"])
        assert r.gradient["w"] == pytest.approx(delta_s * x, rel=1e-8)
        assert r.gradient["b"] == pytest.approx(delta_s, rel=1e-8)


# --- costs: the counts that are the point of the library -----------------------------------------------------


def test_forward_sweeps_once_per_input_reverse_once_in_all():
    at = {f"x{i}": float(i) for i in range(1, 5)}
    forward = dk.gradient("(x1 + x2) * (x3 + x4)", at=at, method="forward").cost
    reverse = dk.gradient("(x1 + x2) * (x3 + x4)", at=at, method="reverse").cost
    assert (forward.forward_sweeps, forward.backward_sweeps) == (4, 0)
    assert (reverse.forward_sweeps, reverse.backward_sweeps) == (1, 1)
    # reverse: 3 primal operations + 2 multiplications (dy/dz1 = z2, dy/dz2 = z1); the additions pass adjoints on
    assert reverse.operations == {"add": 2, "mul": 3}
    # forward: each of 4 sweeps does the 3 primal operations and one tangent multiplication
    assert forward.operations == {"add": 8, "mul": 8}


@pytest.mark.parametrize("n", [1, 3, 10])
def test_sweep_and_evaluation_counts_grow_as_theory_says(n):
    text = " + ".join(f"sin(x{i}) * x{(i + 1) % n}" for i in range(n))
    at = {f"x{i}": 0.1 * i for i in range(n)}
    assert dk.gradient(text, at=at, method="forward").cost.forward_sweeps == n
    assert dk.gradient(text, at=at, method="forward", batch=True).cost.forward_sweeps == 1
    reverse = dk.gradient(text, at=at, method="reverse").cost
    assert (reverse.forward_sweeps, reverse.backward_sweeps) == (1, 1)
    assert dk.gradient(text, at=at, method="numeric").cost.evaluations == 2 * n + 1
    assert dk.gradient(text, at=at, method="numeric", scheme="forward").cost.evaluations == n + 1
    assert dk.gradient(text, at=at, method="numeric", scheme="richardson").cost.evaluations == 4 * n + 1
    assert dk.gradient(text, at=at, method="symbolic").cost.evaluations == 1


def test_reverse_jacobian_sweeps_backward_once_per_output():
    r = dk.jacobian(["x*y", "x+y", "sin(x)"], at={"x": 1.0, "y": 2.0}, method="reverse")
    assert (r.cost.forward_sweeps, r.cost.backward_sweeps) == (1, 3)


def test_reverse_gradient_flops_within_three_times_the_function():
    text = " + ".join(f"tanh(x{i}) * exp(x{(i + 1) % 20})" for i in range(20))
    at = {f"x{i}": 0.05 * i for i in range(20)}
    value_flops = sum(s.primitive.flops for s in dk.parse(text).plan.steps)
    assert dk.gradient(text, at=at, method="reverse").cost.flops <= 3 * value_flops


def test_cost_scales_with_batch_size():
    small = dk.gradient("x**2 * y", at={"x": np.ones(10), "y": 3.0}).cost
    large = dk.gradient("x**2 * y", at={"x": np.ones(1000), "y": 3.0}).cost
    assert small.operations == large.operations
    assert large.flops > 50 * small.flops


def test_reverse_holds_the_tape_forward_does_not():
    n = 200
    g = dk.trace(lambda x: _chain(x, n))
    at = {"x": np.linspace(0, 1, 10_000)}
    reverse = dk.gradient(g, at=at, method="reverse").cost.memory_bytes
    forward = dk.gradient(g, at=at, method="forward").cost.memory_bytes
    per_array = 10_000 * 8
    assert reverse >= n * per_array  # every intermediate is kept for the backward sweep
    assert forward <= 8 * per_array  # values and tangents are released after their last use


def _chain(x, n):
    for _ in range(n):
        x = dk.sin(x) * 0.9 + 0.1
    return x


def test_symbolic_reports_sizes_before_and_after_cse():
    cost = dk.gradient("exp(sin(x*y)) * sin(x*y)", at={"x": 1.0, "y": 2.0}, method="symbolic").cost
    assert cost.details["derivative tree size"] > cost.details["after CSE (DAG size)"]
    assert cost.details["CSE temporaries"] >= 1


# --- higher derivatives -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", EXACT)
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_derivatives_of_a_polynomial_by_hand(method, order):
    x = 1.7
    expected = [3 * x**4 - 2 * x, 12 * x**3 - 2, 36 * x**2, 72 * x][order - 1]
    r = dk.derivative("0.6 * x**5 - x**2 + 4", order=order, at={"x": x}, method=method)
    assert r.derivative == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("method", EXACT)
def test_fourth_derivative_of_the_lecture_chain_agrees(method):
    reference = dk.derivative("2/sin(exp(-x))", order=4, at={"x": -4.499}, method="symbolic").derivative
    r = dk.derivative("2/sin(exp(-x))", order=4, at={"x": -4.499}, method=method)
    assert r.derivative == pytest.approx(reference, rel=1e-10)


def test_numeric_second_derivative_and_refusal_beyond():
    r = dk.derivative("sin(x)", order=2, at={"x": 0.7}, method="numeric")
    assert r.derivative == pytest.approx(-math.sin(0.7), rel=1e-6)
    with pytest.raises(dk.MethodError, match="order 1 and 2"):
        dk.derivative("sin(x)", order=3, at={"x": 0.7}, method="numeric")


@pytest.mark.parametrize("method", METHODS)
def test_hessian_of_the_ill_conditioned_quadratic(method):
    r = dk.hessian("4*x**2 + (y + 3)**2/15", at={"x": 0.3, "y": -1.0}, method=method)
    np.testing.assert_allclose(r.hessian, [[8, 0], [0, 2 / 15]], rtol=1e-6, atol=1e-7)


def test_forward_hessian_batched_equals_pairwise():
    text, at = "x**2*y + sin(x*y) + exp(z)*x", {"x": 1.0, "y": 3.0, "z": -0.5}
    a = dk.hessian(text, at=at, method="forward").hessian
    b = dk.hessian(text, at=at, method="forward", batch=True)
    np.testing.assert_allclose(b.hessian, a, rtol=1e-14)
    assert b.cost.forward_sweeps == 1


def test_gradient_graph_evaluates_and_differentiates_again():
    gg = dk.gradient_graph(LECTURE_3)
    assert gg.output_names == ("dy/dx1", "dy/dx2")
    assert gg.evaluate(AT_3) == pytest.approx((5.5, 2 - math.cos(5)))
    assert gg.variables == ("x1", "x2")
    r = dk.jacobian(gg, at=AT_3, method="reverse")  # the Hessian, by differentiating the gradient graph
    np.testing.assert_allclose(r.jacobian, [[-0.25, 1.0], [1.0, math.sin(5)]], rtol=1e-14)


def test_gradient_graph_has_no_trivial_nodes():
    gg = dk.gradient_graph("x*y + 3")
    assert str(gg) == "y; x"
    assert gg.operations == 0


# --- batches of points --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_batch_of_points_gives_per_point_gradients(method):
    x = np.linspace(0, 1, 101)
    r = dk.gradient("x**2*y", at={"x": x, "y": 3.0}, method=method)
    tol = dict(rtol=1e-6, atol=1e-8) if method == "numeric" else dict(rtol=1e-14, atol=0)
    np.testing.assert_allclose(r.gradient["x"], 6 * x, **tol)
    np.testing.assert_allclose(r.gradient["y"], x**2, **tol)
    assert r.value.shape == (101,)


def test_batch_hessian_and_jacobian_shapes():
    at = {"x": np.linspace(0.1, 1, 7), "y": np.ones((3, 1))}
    assert dk.hessian("x*y**2", at=at, method="reverse").hessian.shape == (2, 2, 3, 7)
    assert dk.jacobian(["x*y", "x+y", "x"], at=at, method="forward").jacobian.shape == (3, 2, 3, 7)


def test_a_variable_the_output_does_not_reach_has_zero_derivative():
    g = dk.trace(lambda x, y: dk.sin(x))
    for method in METHODS:
        gradient = dk.gradient(g, at={"x": 0.0, "y": 1.0}, method=method).gradient
        assert gradient["y"] == 0.0  # exactly: no path from y, so no method even perturbs its way to it
        assert gradient["x"] == pytest.approx(1.0, rel=1e-9)


# --- non-differentiable points: one convention everywhere ---------------------------------------------------------


@pytest.mark.parametrize("method", EXACT)
@pytest.mark.parametrize(
    "text, at, expected",
    [
        ("abs(x)", {"x": 0.0}, {"x": 0.0}),
        ("relu(x)", {"x": 0.0}, {"x": 0.0}),
        ("maximum(x, y)", {"x": 1.0, "y": 1.0}, {"x": 0.5, "y": 0.5}),
        ("minimum(x, y)", {"x": 1.0, "y": 1.0}, {"x": 0.5, "y": 0.5}),
        ("maximum(x, y)", {"x": 2.0, "y": 1.0}, {"x": 1.0, "y": 0.0}),
        ("sign(x) + heaviside(x)", {"x": 0.0}, {"x": 0.0}),
    ],
)
def test_kinks_follow_one_convention(method, text, at, expected):
    assert dk.gradient(text, at=at, method=method).gradient == expected


@pytest.mark.parametrize("method", EXACT)
def test_second_derivative_of_relu_is_zero_away_from_the_kink(method):
    assert dk.derivative("relu(x)**3", order=2, at={"x": 2.0}, method=method).derivative == pytest.approx(12.0)
    assert dk.derivative("abs(x)", order=2, at={"x": -1.0}, method=method).derivative == 0.0


# --- jvp and vjp -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_jvp_and_vjp(method):
    exprs, at = ["x*y", "sin(x) + y"], {"x": 1.0, "y": 2.0}
    jac = np.array([[2.0, 1.0], [math.cos(1), 1.0]])
    tol = 1e-6 if method == "numeric" else 1e-14
    r = dk.jvp(exprs, at=at, tangents={"x": 1.0, "y": -2.0}, method=method)
    np.testing.assert_allclose(r.derivative, jac @ [1.0, -2.0], rtol=tol)
    r = dk.vjp(exprs, at=at, cotangents=[1.0, 3.0], method=method)
    np.testing.assert_allclose([r.derivative["x"], r.derivative["y"]], np.array([1.0, 3.0]) @ jac, rtol=tol)


def test_native_products_cost_one_sweep():
    at = {f"x{i}": 0.1 * i for i in range(6)}
    text = " * ".join(f"cos(x{i})" for i in range(6))
    assert dk.jvp(text, at=at, tangents={"x0": 1.0}, method="forward").cost.forward_sweeps == 1
    assert dk.jvp(text, at=at, tangents={"x0": 1.0}, method="numeric").cost.evaluations == 3
    assert dk.vjp(text, at=at, method="reverse").cost.backward_sweeps == 1
    assert dk.vjp(text, at=at, method="forward").cost.forward_sweeps == 6


# --- the JAX-style helpers, inputs of every kind ---------------------------------------------------------------


def test_grad_and_value_and_grad():
    g = dk.grad("x**3 * y")
    assert g({"x": 2.0, "y": 1.0}) == {"x": 12.0, "y": 8.0}
    assert g(x=2.0, y=1.0) == {"x": 12.0, "y": 8.0}
    value, grads = dk.value_and_grad("x**3", method="forward")({"x": 2.0})
    assert (value, grads) == (8.0, {"x": 12.0})


def test_sympy_expressions_go_both_ways():
    x, y = sp.symbols("x y", real=True)
    expr = sp.log(x) + x * y - sp.sin(y) + x / (y**2) - sp.sqrt(x) + sp.Max(x, y)
    g = dk.from_sympy(expr)
    at = {"x": 2.0, "y": 5.0}
    assert g.evaluate(at) == pytest.approx(float(expr.subs({x: 2, y: 5})), rel=1e-14)
    assert sp.simplify(g.to_sympy() - expr) == 0
    for method in METHODS:
        r = dk.gradient(expr, at=at, method=method)
        assert r.gradient["y"] == pytest.approx(float(sp.diff(expr, y).subs({x: 2, y: 5})), rel=1e-8)


def test_from_sympy_writes_subtraction_and_division():
    x, y = sp.symbols("x y")
    g = dk.from_sympy(x - y / x)
    assert sorted(s.primitive.name for s in g.plan.steps) == ["div", "sub"]


def test_from_sympy_refuses_what_it_cannot_map():
    x = sp.Symbol("x")
    with pytest.raises(dk.ConversionError, match="gamma"):
        dk.from_sympy(sp.gamma(x))


def test_traced_functions_work_like_text():
    g = dk.trace(lambda x1, x2: dk.log(x1) + x1 * x2 - dk.sin(x2))
    assert g.variables == ("x1", "x2")
    assert dk.gradient(g, at=AT_3).gradient == pytest.approx({"x1": 5.5, "x2": 2 - math.cos(5)})
    assert dk.sin(0.5) == math.sin(0.5)  # the same functions compute on numbers outside a trace


def test_numpy_on_the_left_of_an_operator_is_recorded():
    # `X @ w`, `y - f`, `2.0 * w` with NumPy values on the left: NumPy hands the operation to the handle
    X, y = np.arange(6.0).reshape(2, 3), np.ones((2, 1))
    g = dk.trace(lambda w: dk.sum((y - X @ w) ** 2) * np.float64(0.5))
    w = np.full((3, 1), 0.25)
    assert dk.gradient(g, at={"w": w}).gradient["w"] == pytest.approx(X.T @ (X @ w - y))
    h = dk.trace(lambda x: np.sin(x) * np.exp(x) - np.float64(3) / x)  # NumPy's own functions map to diffkit's
    assert sorted(step.primitive.name for step in h.plan.steps) == ["div", "exp", "mul", "sin", "sub"]


def test_numpy_functions_without_a_primitive_are_refused_by_name():
    with pytest.raises(dk.ConversionError, match="NumPy's spacing cannot be recorded"):
        dk.trace(lambda x: np.spacing(x))
    with pytest.raises(dk.ConversionError, match="NumPy's remainder cannot be recorded"):
        dk.trace(lambda x: np.float64(7.0) % x)
    # functions that would turn a handle into an object array and record something else than they mean
    with pytest.raises(dk.ConversionError, match="NumPy's eigh cannot be recorded in a trace: diffkit has no eigh"):
        dk.trace(lambda w: np.linalg.eigh(w))
    with pytest.raises(dk.ConversionError, match="NumPy's median cannot be recorded"):
        dk.trace(lambda w: np.median(w))
    with pytest.raises(dk.ConversionError, match="use dk.sum or dk.mean for reductions"):
        dk.trace(lambda w: np.add.reduce(w))
    with pytest.raises(dk.ConversionError, match="cannot become a NumPy array"):
        dk.trace(lambda w: np.asarray(w))


def test_traced_python_branching_is_refused():
    with pytest.raises(dk.ConversionError, match="truth value"):
        dk.trace(lambda x: x if x > 0 else -x)


@pytest.mark.parametrize("links", [5_000, pytest.param(50_000, marks=pytest.mark.slow)])
def test_a_long_chain_needs_no_recursion(links):
    """10⁴ nodes (ten times the recursion limit) in the default run; 10⁵ in the slow run."""
    g = dk.trace(lambda x: _chain(x, links))
    assert len(g) > 2 * links
    for method in ("forward", "reverse"):
        r = dk.gradient(g, at={"x": 0.3}, method=method)
        assert math.isfinite(r.gradient["x"])
    with pytest.raises(dk.SwellError):
        dk.gradient(g, at={"x": 0.3}, method="symbolic")


def test_backward_starts_fresh_on_every_call():
    g = dk.parse(LECTURE_3)
    first = dk.gradient(g, at=AT_3).gradient
    assert dk.gradient(g, at=AT_3).gradient == first


# --- inputs untouched, results our own --------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_inputs_are_not_modified_and_results_do_not_alias_them(method):
    x = np.linspace(0.5, 1.5, 5)
    at = {"x": x, "y": 2.0}
    snapshot = x.copy()
    r = dk.gradient("x + 0*y", at=at, method=method)
    np.testing.assert_array_equal(x, snapshot)
    assert at == {"x": x, "y": 2.0}
    assert not np.shares_memory(r.value, x)
    assert not np.shares_memory(r.gradient["x"], x)
    assert dk.parse("x").evaluate({"x": x}) is not x


# --- errors ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error, fragment",
    [
        (lambda: dk.gradient("x*y", at={"x": 1.0}), dk.BindingError, "no value given for variable(s) y"),
        (lambda: dk.gradient("x", at={"x": 1.0, "z": 2.0}), dk.BindingError, "unknown variable(s) z"),
        (lambda: dk.gradient("x*y", at={"x": np.ones(3), "y": np.ones(4)}), dk.BindingError, "x: (3,), y: (4,)"),
        (lambda: dk.gradient("x", at={"x": "one"}), dk.BindingError, "'x' is not numeric"),
        (lambda: dk.gradient("x", at={"x": 1j}), dk.BindingError, "complex"),
        (lambda: dk.gradient("x", at={"x": True}), dk.BindingError, "boolean"),
        (lambda: dk.gradient("x", at={"x": [[1.0], [1.0, 2.0]]}), dk.BindingError, "'x'"),
        (lambda: dk.gradient("x", at={"x": 1.0}, method="magic"), dk.MethodError, "unknown method 'magic'"),
        (lambda: dk.gradient("x", at={"x": 1.0}, method="numeric", scheme="bad"), dk.MethodError, "scheme"),
        (lambda: dk.gradient("x", at={"x": 1.0}, method="forward", step=1), dk.MethodError, "step"),
        (lambda: dk.gradient("abs(x)", at={"x": 1.0}, method="numeric", scheme="complex"), dk.MethodError, "abs"),
        (lambda: dk.gradient(["x", "y"], at={"x": 1.0, "y": 1.0}), dk.MethodError, "jacobian"),
        (lambda: dk.gradient("x", at={"x": 1.0}, wrt="q"), dk.BindingError, "q"),
        (lambda: dk.derivative("x*y", at={"x": 1.0, "y": 1.0}), dk.BindingError, "wrt="),
        (lambda: dk.derivative("x", order=0, at={"x": 1.0}), dk.MethodError, "order"),
        (lambda: dk.derivative("x", order=2.5, at={"x": 1.0}), dk.MethodError, "order"),
        (lambda: dk.gradient(3.5, at={}), dk.ConversionError, "float"),
        (lambda: dk.vjp(["x", "y"], at={"x": 1.0, "y": 1.0}, cotangents=[1.0]), dk.BindingError, "one value per"),
        (lambda: dk.jvp("x", at={"x": 1.0}, tangents={"q": 1.0}), dk.BindingError, "q"),
    ],
)
def test_errors_name_what_is_wrong(call, error, fragment):
    with pytest.raises(error) as info:
        call()
    assert fragment in str(info.value)
    assert isinstance(info.value, dk.DiffkitError)


def test_symbolic_swell_budget():
    text = "x"
    for _ in range(12):
        text = f"sin({text}) * cos({text})"  # the derivative's tree doubles with each level
    with pytest.raises(dk.SwellError, match="budget"):
        dk.gradient(text, at={"x": 0.1}, method="symbolic", max_size=10_000)


def test_complex_step_is_exact_for_analytic_functions():
    r = dk.gradient("exp(x) / sqrt(sin(x)**3 + cos(x)**3)", at={"x": 1.5}, method="numeric", scheme="complex")
    exact = dk.gradient("exp(x) / sqrt(sin(x)**3 + cos(x)**3)", at={"x": 1.5}, method="reverse")
    assert r.gradient["x"] == pytest.approx(exact.gradient["x"], rel=1e-14)


def test_numeric_error_estimate_bounds_the_error():
    # Where truncation is the error (a step too coarse for this function), the estimate finds it closely ...
    coarse = float(np.finfo(float).eps ** (1 / 3) * 4.499)
    r = dk.gradient("2 / sin(exp(-x))", at={"x": -4.499}, method="numeric", error_estimate=True, step=coarse)
    exact = dk.gradient("2 / sin(exp(-x))", at={"x": -4.499}, method="reverse").gradient["x"]
    error = abs(r.gradient["x"] - exact)
    assert error > 0
    assert error / 3 <= r.error_estimate["x"] <= 3 * error + 1e-9  # right to within a small factor
    # ... and where round-off is (the automatic step, 400 times smaller), it bounds it: sin's argument exp(-x) = 90
    # carries a rounding of 90 ε, which the estimate counts (f's own 2 ε alone gave 2.7e-8 against an error of
    # 6.8e-8). The error is a sum of roundings, machine-dependent, so only the bound is checked, and that the
    # bound is still small.
    r = dk.gradient("2 / sin(exp(-x))", at={"x": -4.499}, method="numeric", error_estimate=True)
    error = abs(r.gradient["x"] - exact)
    assert error <= r.error_estimate["x"] <= 1e-8 * abs(exact)


def test_compare_prints_a_table_and_finds_the_largest_discrepancy():
    c = dk.compare(LECTURE_3, at=AT_3)
    text = str(c)
    for method in METHODS:
        assert method in text
    (a, b), worst = c.largest_discrepancy
    assert "numeric" in (a, b)
    assert worst < 1e-6
    assert c.discrepancies[("forward", "reverse")] < 1e-15


def test_the_largest_discrepancy_names_the_same_pair_whatever_the_last_bits():
    # Two exact methods an ulp apart against the numeric one: the tie goes to the first pair in method order, so
    # the table does not name another pair on a machine whose math library rounds differently.
    c = dk.compare(LECTURE_3, at=AT_3)
    numeric_pairs = [pair for pair in c.discrepancies if "numeric" in pair]
    first, later = numeric_pairs[0], numeric_pairs[-1]
    for nudge in (-1e-16, 0.0, 1e-16):
        c.discrepancies = {pair: 1e-9 if pair == first else 1e-9 + nudge if pair == later else 1e-16
                           for pair in c.discrepancies}
        assert c.largest_discrepancy == (first, 1e-9)
    c.discrepancies = {pair: 1e-9 if pair == first else 2e-9 if pair == later else 1e-16 for pair in c.discrepancies}
    assert c.largest_discrepancy == (later, 2e-9)  # a real difference is still found
    c.discrepancies = {**c.discrepancies, later: float("nan")}
    assert c.largest_discrepancy[0] == later  # a method that gave nan disagrees most


# --- regressions: each of these was once wrong -------------------------------------------------------------------


def test_a_partial_that_happens_to_equal_zero_or_one_is_still_used():
    # At a scalar point intermediates are np.float64; a partial equal to 0.0 or 1.0 there is not the rule's
    # structural constant, so the cost (and nan propagation) must not depend on the point.
    low = dk.gradient("exp(x)*exp(y)", at={"x": 0.0, "y": 0.0}).cost.operations
    high = dk.gradient("exp(x)*exp(y)", at={"x": 1.0, "y": 1.0}).cost.operations
    assert low == high
    scalar = dk.gradient("log(exp(x))", at={"x": 1000.0}, errors="ignore")
    array = dk.gradient("log(exp(x))", at={"x": np.array([1000.0])}, errors="ignore")
    assert math.isnan(scalar.gradient["x"]) and np.isnan(array.gradient["x"]).all()  # the same either way
    assert scalar.diagnostics == array.diagnostics
    assert "exp: overflow (result ±inf)" in scalar.diagnostics  # and said, not returned silently


def test_symbolic_stays_on_the_real_line():
    quiet = {"method": "symbolic", "errors": "ignore"}
    assert math.isnan(dk.gradient("log(-1)*x", at={"x": 1.0}, **quiet).gradient["x"])
    assert np.isnan(dk.hessian("(-2)**x", at={"x": 3.0}, **quiet).hessian).all()
    # x/0 is NumPy's on the real line, as in the float methods: d/dx = 1/0 = inf (SymPy alone would say zoo)
    assert dk.gradient("x/0", at={"x": 1.0}, **quiet).gradient["x"] == math.inf
    result = dk.gradient("x*y", at={"x": 1.0, "y": 2}, method="symbolic").gradient
    assert result == {"x": 2.0, "y": 1.0} and all(type(v) is float for v in result.values())


def test_symbolic_handles_variables_named_like_functions():
    g = dk.trace(lambda sin: dk.cos(sin))
    assert dk.gradient(g, at={"sin": 0.7}, method="symbolic").gradient["sin"] == pytest.approx(-math.sin(0.7))


def test_symbolic_abs_of_an_expression_sympy_cannot_prove_real():
    text = "abs(tanh(sqrt(2 + cos(x))) - 1.5)"
    reference = dk.hessian(text, at={"x": 0.4}, method="reverse").hessian
    np.testing.assert_allclose(dk.hessian(text, at={"x": 0.4}, method="symbolic").hessian, reference, rtol=1e-12)


@pytest.mark.parametrize("text, x", [("log(x)", -1.0), ("sqrt(x)", -4.0), ("arcsin(x)", 2.0)])
def test_complex_step_outside_the_domain_is_nan_not_a_made_up_number(text, x):
    r = dk.gradient(text, at={"x": x}, method="numeric", scheme="complex", errors="ignore")
    assert math.isnan(r.gradient["x"])
    assert r.diagnostics[0].startswith(text.split("(")[0] + ": outside its domain")


@pytest.mark.parametrize("method", EXACT)
def test_a_three_way_tie_splits_pairwise_in_every_exact_method(method):
    r = dk.gradient("maximum(maximum(x, y), z)", at={"x": 1.0, "y": 1.0, "z": 1.0}, method=method)
    assert r.gradient == {"x": 0.25, "y": 0.25, "z": 0.5}


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: dk.gradient("x", at={"x": 1.0}, wrt=5), "wrt="),
        (lambda: dk.gradient("x", at={"x": 1.0}, method=["reverse"]), "unknown method"),
        (lambda: dk.gradient("x", at={"x": 1.0}, method="numeric", step=0), "positive finite"),
        (lambda: dk.jvp("x*y", at={"x": np.ones(3), "y": 1.0}, tangents={"x": np.ones(5)}), "(5,)"),
        (lambda: dk.vjp("x", at={"x": np.ones(3)}, cotangents=[np.ones(4)]), "(4,)"),
        (lambda: dk.compare("2"), "no variables"),
        (lambda: dk.compare("x", at={"x": 1.0}, methods=()), "compare needs methods"),
        (lambda: dk.trace(lambda x: np.isnan(x)), "isnan cannot be recorded"),
        (lambda: dk.trace(lambda x: math.sin(x)), "not a number yet"),
        (lambda: dk.derivative("x**2", order=2, at={"x": 1.0}, method="numeric", scheme="bogus"), "bogus"),
        (lambda: dk.parse_many(["x", "y"], names=["a"]), "1 names given for 2"),
    ],
)
def test_more_bad_input_gets_diffkit_errors(call, fragment):
    with pytest.raises(dk.DiffkitError) as info:
        call()
    assert fragment in str(info.value)


def test_abs_records_in_a_trace():
    g = dk.trace(lambda x: abs(x) * 2)
    assert dk.gradient(g, at={"x": -3.0}).gradient == {"x": -2.0}


@pytest.mark.parametrize("method", ["forward", "reverse", "numeric"])
def test_reported_memory_matches_what_is_really_held(method):
    import tracemalloc

    from diffkit.methods import forward, numeric, reverse

    module = {"forward": forward, "reverse": reverse, "numeric": numeric}[method]
    n, points = 6, 200_000
    g = dk.parse(" + ".join(f"sin(x{i}) * x{(i + 1) % n}" for i in range(n)))
    bound = g.bind({f"x{i}": np.linspace(0, 1, points) + i for i in range(n)})
    tracemalloc.start()
    try:
        computed = module.jacobian(g, bound, g.variables)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    reported = computed.cost.memory_bytes
    assert 0.75 * peak <= reported <= 1.1 * peak  # NumPy's own transient temporaries make up the gap


def test_value_and_grad_checks_once_and_keeps_the_last_cost():
    f = dk.value_and_grad("x*y + sin(x)", wrt=["x"])
    assert f.cost is None
    value, grads = f({"x": 0.5, "y": 2.0})
    assert value == pytest.approx(1.0 + np.sin(0.5)) and grads == {"x": pytest.approx(2.0 + np.cos(0.5))}
    assert f.cost.forward_sweeps == 1 and f.cost.backward_sweeps == 1
    with pytest.raises(dk.BindingError, match="not a variable"):
        dk.value_and_grad("x*y", wrt=["z"])
    with pytest.raises(dk.MethodError, match="not understood"):
        dk.value_and_grad("x*y", method="reverse", scheme="central")
    with pytest.raises(dk.MethodError, match="single output"):
        dk.value_and_grad(["x", "y"])
    with pytest.raises(dk.BindingError, match="no value given"):
        f({"x": 1.0})
    with pytest.raises(dk.DomainError):
        dk.value_and_grad("log(x)", errors="raise")({"x": -1.0})
