"""SymPy simplifies as it builds (x/x is 1, log(x) - log(x) is 0): where the graph is undefined, the symbolic
method must still say so — nan and a DomainWarning, as the float methods give — not a finite number silently."""

import numpy as np
import pytest

import diffkit as dk

CANCELLED = ["x/x", "log(x) - log(x)", "x*(1/x)", "sqrt(x)/sqrt(x)", "exp(x) - exp(x) + x"]
POINTS = {"x/x": 0.0, "log(x) - log(x)": 0.0, "x*(1/x)": 0.0, "sqrt(x)/sqrt(x)": -1.0,
          "exp(x) - exp(x) + x": 1000.0}


@pytest.mark.parametrize("expr", CANCELLED)
def test_undefined_point_is_nan_with_a_warning(expr):
    at = {"x": POINTS[expr]}
    with pytest.warns(dk.DomainWarning):
        symbolic = dk.gradient(expr, at=at, method="symbolic")
    reverse = dk.gradient(expr, at=at, method="reverse", errors="ignore")
    assert np.isnan(symbolic.value) and np.isnan(reverse.value)
    assert np.isnan(symbolic.gradient["x"]) and np.isnan(reverse.gradient["x"])


@pytest.mark.parametrize("expr", CANCELLED)
def test_defined_points_keep_sympys_answer(expr):
    at = {"x": np.array([POINTS[expr], 2.0])}
    symbolic = dk.gradient(expr, at=at, method="symbolic", errors="ignore")
    reverse = dk.gradient(expr, at=at, method="reverse", errors="ignore")
    assert np.isnan(symbolic.value[0])
    np.testing.assert_allclose(symbolic.value[1], reverse.value[1], rtol=1e-12)
    np.testing.assert_allclose(symbolic.gradient["x"][1], reverse.gradient["x"][1], rtol=1e-12, atol=1e-15)


def test_only_the_variables_that_reach_the_trouble_are_nan():
    at = {"x": 0.0, "y": 1.0}
    r = dk.gradient("x/x + y", at=at, method="symbolic", errors="ignore")
    assert np.isnan(r.gradient["x"]) and r.gradient["y"] == 1.0
    h = dk.hessian("x/x + y", at=at, method="symbolic", errors="ignore").hessian
    assert np.isnan(h[0, 0]) and h[0, 1] == h[1, 0] == h[1, 1] == 0.0
    d = dk.derivative("x/x", wrt="x", at={"x": 0.0}, order=3, method="symbolic", errors="ignore")
    assert np.isnan(d.derivative)


def test_the_check_is_work_counted_and_said():
    cost = dk.gradient("x/x + y", at={"x": 2.0, "y": 1.0}, method="symbolic").cost
    assert "graph evaluated" in cost.details and "div" in cost.details["graph evaluated"]
    plain = dk.gradient("x*y + y", at={"x": 2.0, "y": 1.0}, method="symbolic").cost
    assert "graph evaluated" not in plain.details  # nothing cancelled: no extra work
