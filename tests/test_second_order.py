"""L-BFGS and Hessian-free Newton-CG (diffkit.second_order) and their line searches, against scipy's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import diffkit as dk
from diffkit import line_search
from diffkit.second_order import LBFGS, GaussNewton, LevenbergMarquardt, NewtonCG, Oracle, ResidualOracle


def rosenbrock(n: int) -> str:
    return " + ".join(f"100*(x{i + 1} - x{i}**2)**2 + (1 - x{i})**2" for i in range(n - 1))


def _start(graph) -> dict:
    return {name: (-1.2 if i % 2 == 0 else 1.0) for i, name in enumerate(graph.variables)}


def _run(optimizer, graph, start: dict, gtol: float = 1e-6, steps: int = 3000):
    """Steps until ‖∇f‖ ≤ gtol (what scipy's gtol tests too); returns (point, value, steps, oracle)."""
    oracle, point = Oracle(graph), dict(start)
    for taken in range(steps + 1):
        value, grads = oracle.value_and_grad(point)
        if np.linalg.norm(np.concatenate([np.ravel(g) for g in grads.values()])) <= gtol:
            return point, value, taken, oracle
        point = optimizer.step(point, grads, oracle=oracle)
    raise AssertionError(f"{optimizer} did not converge in {steps} steps")


# --- line searches ----------------------------------------------------------------------------------------------

def _phi(f, df):
    return lambda alpha: (f(alpha), df(alpha))


@pytest.mark.parametrize(("f", "df"), [
    (lambda a: (a - 3.0) ** 2, lambda a: 2 * (a - 3.0)),
    (lambda a: -a / (a * a + 2), lambda a: (a * a - 2) / (a * a + 2) ** 2),
    (lambda a: math.exp(a) - 20 * a, lambda a: math.exp(a) - 20),
    (lambda a: (a - 0.01) ** 2, lambda a: 2 * (a - 0.01)),
])
def test_strong_wolfe_steps_satisfy_both_conditions(f, df):
    c1, c2 = 1e-4, 0.1
    found = line_search.strong_wolfe(_phi(f, df), f(0.0), df(0.0), 1.0, c1, c2)
    assert found is not None
    assert found.value <= f(0.0) + c1 * found.alpha * df(0.0)
    assert abs(found.slope) <= c2 * abs(df(0.0))
    assert found.value == f(found.alpha) and found.slope == df(found.alpha)


def test_strong_wolfe_treats_a_non_finite_trial_as_too_far():
    f = lambda a: math.inf if a > 1.5 else (a - 1.0) ** 2  # noqa: E731
    found = line_search.strong_wolfe(_phi(f, lambda a: 2 * (a - 1.0)), 1.0, -2.0, alpha1=4.0)
    assert found is not None and found.alpha <= 1.5


def test_strong_wolfe_refuses_an_ascent_direction():
    with pytest.raises(ValueError, match="descent direction"):
        line_search.strong_wolfe(_phi(lambda a: a, lambda a: 1.0), 0.0, 1.0)


def test_armijo_backtracks_to_sufficient_decrease():
    found = line_search.armijo(_phi(lambda a: (a - 0.1) ** 2, lambda a: 2 * (a - 0.1)), 0.01, -0.2)
    assert found is not None and found.alpha == 0.125 and found.evaluations == 4


# --- against scipy ------------------------------------------------------------------------------------------------

def _scipy(graph, start, method):
    optimize = pytest.importorskip("scipy.optimize")
    names = list(graph.variables)

    def at(x):
        return dict(zip(names, x, strict=True))

    def fun(x):
        result = dk.gradient(graph, at=at(x))
        return result.value, np.array([result.gradient[n] for n in names])

    def hessp(x, v):
        products = dk.hvp(graph, at=at(x), vector=at(v)).hvp
        return np.array([products[n] for n in names])

    x0 = np.array([start[n] for n in names])
    if method == "L-BFGS-B":
        return optimize.minimize(fun, x0, jac=True, method=method, options={"gtol": 1e-6, "maxiter": 5000})
    return optimize.minimize(fun, x0, jac=True, hessp=hessp, method=method, options={"xtol": 1e-10})


@pytest.mark.parametrize("n", [2, 10])
@pytest.mark.parametrize(("optimizer", "scipy_method"), [(LBFGS, "L-BFGS-B"), (NewtonCG, "Newton-CG")])
def test_rosenbrock_as_scipy_solves_it(n, optimizer, scipy_method):
    graph = dk.parse(rosenbrock(n))
    point, value, steps, _ = _run(optimizer(), graph, _start(graph))
    theirs = _scipy(graph, _start(graph), scipy_method)
    assert value <= 1e-8 and theirs.fun <= 1e-8  # both at the minimum 0, to the tolerance's accuracy
    assert all(abs(point[name] - 1.0) < 1e-4 for name in graph.variables)
    assert steps <= 1.5 * theirs.nit


@pytest.mark.parametrize(("optimizer", "scipy_method"), [(LBFGS, "L-BFGS-B"), (NewtonCG, "Newton-CG")])
def test_logistic_regression_as_scipy_solves_it(optimizer, scipy_method):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X @ [1.5, -2.0, 0.5] + rng.normal(size=40) > 0).astype(float)
    terms = [f"log(1 + exp({' + '.join(f'({X[k, j]:.6f})*w{j}' for j in range(3))})) - "
             f"{y[k]:.0f}*({' + '.join(f'({X[k, j]:.6f})*w{j}' for j in range(3))})" for k in range(40)]
    graph = dk.parse(" + ".join(terms) + " + 0.5*(w0**2 + w1**2 + w2**2)")
    start = {name: 0.0 for name in graph.variables}
    _, value, steps, _ = _run(optimizer(), graph, start)
    theirs = _scipy(graph, start, scipy_method)
    assert value == pytest.approx(theirs.fun, rel=1e-8)
    assert steps <= 1.5 * max(theirs.nit, 1)


# --- behaviour ----------------------------------------------------------------------------------------------------

def test_newton_cg_solves_a_quadratic_with_at_most_n_products_per_step():
    """CG is exact after n products on an n-dimensional quadratic; the forcing tolerance min(½, √‖g‖)·‖g‖ may
    stop it sooner far from the minimum, so a few steps are taken, each of at most n = 2 products."""
    graph = dk.parse("3*x**2 + 2*x*y + 2*y**2 - x + 4*y")
    optimizer = NewtonCG()
    oracle, point = Oracle(graph), {"x": 5.0, "y": -7.0}
    steps = 0
    while max(abs(g) for g in oracle.value_and_grad(point)[1].values()) > 1e-10:
        point = optimizer.step(point, oracle.value_and_grad(point)[1], oracle=oracle)
        steps += 1
        assert 1 <= optimizer.last_cg <= 2 and steps <= 6
    np.testing.assert_allclose([point["x"], point["y"]], np.linalg.solve([[6, 2], [2, 4]], [1, -4]))


def test_newton_cg_on_ten_thousand_parameters_uses_products_only():
    """A 10⁴-parameter tensor problem: Newton-CG converges with H·v products, never an n × n Hessian (whose
    10⁸ entries would be 800 MB); each product's memory is O(n)."""
    n = 10_000
    c = np.linspace(-1, 1, n)
    graph = dk.trace(lambda x: dk.sum((x - c) ** 2 + 0.1 * x**4 + 0.5 * dk.sin(x) ** 2))
    oracle_hvp = dk.hvp(graph, at={"x": np.zeros(n)}, vector={"x": np.ones(n)})
    assert oracle_hvp.cost.memory_bytes <= 64 * 8 * n  # O(n): a few dozen vectors
    point, value, steps, oracle = _run(NewtonCG(max_cg=50), graph, {"x": np.zeros(n)}, gtol=1e-8, steps=30)
    assert steps <= 10 and oracle.hvps > 0
    gradient = dk.gradient(graph, at=point).gradient["x"]
    assert np.max(np.abs(gradient)) <= 1e-8


def test_lbfgs_keeps_its_memory_bounded_and_resets():
    graph = dk.parse(rosenbrock(6))
    optimizer = LBFGS(memory=3)
    _run(optimizer, graph, _start(graph))
    assert len(optimizer.pairs) == 3
    optimizer.reset()
    assert len(optimizer.pairs) == 0 and optimizer.t == 0


def test_the_oracle_remembers_the_last_point():
    oracle = Oracle("x**2 + y**2")
    oracle.value_and_grad({"x": 1.0, "y": 2.0})
    oracle.value_and_grad({"x": 1.0, "y": 2.0})
    assert oracle.gradients == 1


def test_a_step_without_an_oracle_is_refused():
    with pytest.raises(dk.BindingError, match="needs oracle="):
        LBFGS().step({"x": 1.0}, {"x": 2.0})


@pytest.mark.parametrize("bad", [{"c1": 0.9, "c2": 0.1}, {"memory": 0}, {"c1": -1.0}])
def test_bad_hyperparameters_are_refused(bad):
    with pytest.raises(dk.BindingError):
        LBFGS(**bad)


def test_the_callers_parameters_are_not_modified():
    x = np.array([-1.2, 1.0])
    oracle = Oracle(dk.trace(lambda x: dk.sum((x - 1.0) ** 2)))
    before = x.copy()
    new = LBFGS().step({"x": x}, oracle.value_and_grad({"x": x})[1], oracle=oracle)
    np.testing.assert_array_equal(x, before)
    assert new["x"] is not x


# --- least squares ------------------------------------------------------------------------------------------------

def _decay_fit():
    t = np.linspace(0, 4, 12)
    y = 2.5 * np.exp(-1.3 * t) + 0.4 + 0.01 * np.random.default_rng(0).normal(size=t.size)
    return t, y, [f"a*exp(-b*{float(ti)!r}) + c - {float(yi)!r}" for ti, yi in zip(t, y, strict=True)]


def _least_squares(optimizer, oracle, start, steps=50):
    point = dict(start)
    for taken in range(1, steps + 1):
        new = optimizer.step(point, oracle.value_and_grad(point)[1], oracle=oracle)
        if all(np.array_equal(new[name], point[name]) for name in point):  # no decrease left to find
            return point, taken
        point = new
    return point, steps


@pytest.mark.parametrize("optimizer", [LevenbergMarquardt, GaussNewton])
def test_an_exponential_fit_as_scipy_least_squares_finds_it(optimizer):
    optimize = pytest.importorskip("scipy.optimize")
    t, y, residuals = _decay_fit()
    oracle = ResidualOracle(residuals)
    point, steps = _least_squares(optimizer(), oracle, {"a": 1.0, "b": 0.5, "c": 0.0})
    theirs = optimize.least_squares(lambda q: q[0] * np.exp(-q[1] * t) + q[2] - y, [1.0, 0.5, 0.0], method="lm",
                                    xtol=1e-15, ftol=1e-15, gtol=1e-15)
    np.testing.assert_allclose([point["a"], point["b"], point["c"]], theirs.x, rtol=1e-7)
    assert oracle.value_and_grad(point)[0] == pytest.approx(0.5 * theirs.fun @ theirs.fun, rel=1e-10)
    assert steps <= 15 and oracle.jvps > 0 and oracle.vjps > 0


def test_levenberg_marquardt_on_rosenbrock_residuals():
    oracle = ResidualOracle(["10*(y - x**2)", "1 - x"])
    point, _ = _least_squares(LevenbergMarquardt(), oracle, {"x": -1.2, "y": 1.0}, steps=100)
    assert point["x"] == pytest.approx(1.0, abs=1e-8) and point["y"] == pytest.approx(1.0, abs=1e-8)


def test_linear_least_squares_on_a_vector_residual_is_lstsq():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(30, 5)), rng.normal(size=(30, 1))  # (a 1-D matmul is not traceable yet)
    oracle = ResidualOracle(dk.trace(lambda w: X @ w - y))
    point, _ = _least_squares(GaussNewton(), oracle, {"w": np.zeros((5, 1))})
    np.testing.assert_allclose(point["w"], np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-9, atol=1e-12)


def test_least_squares_optimizers_need_a_residual_oracle():
    with pytest.raises(dk.BindingError, match="ResidualOracle"):
        LevenbergMarquardt().step({"x": 1.0}, {"x": 1.0}, oracle=Oracle("x**2"))
