"""Numbers are right or flagged: no method returns a zero, a nan or an inexact answer without saying so."""

import math
import warnings

import numpy as np
import pytest

import diffkit as dk
from diffkit.methods.numeric import automatic_step

# --- numeric: a step that vanishes against x -------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["central", "forward", "richardson"])
def test_a_step_that_vanishes_against_x_is_refused(scheme):
    # before: x + 1e-20 == x, so f(x+h) - f(x-h) = 0 and the gradient came back 0, silently
    with pytest.raises(dk.MethodError) as info:
        dk.gradient("x**2 + sin(x)", at={"x": 1.0}, method="numeric", scheme=scheme, step=1e-20)
    message = str(info.value)
    assert "step=1e-20 vanishes against x=1" in message and "x + step == x" in message
    assert "leave step= out" in message
    power = {"central": 1 / 3, "forward": 1 / 2, "richardson": 1 / 5}[scheme]
    assert f"use a step of about {float(automatic_step(np.float64(1.0), power)):.1e} for x=1" in message


def test_the_suggested_step_is_the_automatic_step_there():
    with pytest.raises(dk.MethodError, match=r"about 6\.1e\+24 for x=1e\+30"):
        dk.gradient("x**2", at={"x": np.array([1.0, 1e30])}, method="numeric", step=1e-3)


def test_a_step_mostly_rounded_away_is_refused():
    # 1 + 1.2e-16 rounds to 1 + 2.2e-16: the quotient would divide by a step 1.85 times too small
    with pytest.raises(dk.MethodError, match="mostly rounded away against x=1"):
        dk.gradient("x**2", at={"x": 1.0}, method="numeric", step=1.2e-16)


def test_hessian_and_jvp_steps_are_checked_too():
    with pytest.raises(dk.MethodError, match="step=1e-07 vanishes against y=1e\\+10"):
        dk.hessian("x**2*y", at={"x": 1.0, "y": 1e10}, method="numeric", step=1e-7)
    with pytest.raises(dk.MethodError, match="vanishes against y=1e\\+10"):
        dk.jvp("x**2*y", at={"x": 1.0, "y": 1e10}, tangents={"x": 1.0, "y": 1.0}, method="numeric", step=1e-7)
    # a direction that does not move y cannot vanish against it
    r = dk.jvp("x**2*y", at={"x": 1.0, "y": 1e10}, tangents={"x": 1.0, "y": 0.0}, method="numeric", step=1e-7)
    assert r.derivative == pytest.approx(2e10, rel=1e-6)


@pytest.mark.parametrize("step", [1e-6, 1e-4, np.float32(1e-4)])
def test_a_normal_step_still_works(step):
    r = dk.gradient("x**2 + sin(x)", at={"x": 1.0}, method="numeric", step=step)
    assert r.gradient["x"] == pytest.approx(2 + math.cos(1.0), rel=1e-6)


def test_a_non_finite_value_is_not_a_vanishing_step():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dk.DomainWarning)
        r = dk.gradient("x**2", at={"x": np.array([1.0, np.inf])}, method="numeric", step=1e-3)
    assert r.gradient["x"][0] == pytest.approx(2.0)


# --- numeric: the complex step -----------------------------------------------------------------------------------


@pytest.mark.parametrize("step", [1e-3, np.float32(1e-3)])
def test_a_complex_step_too_large_is_refused_not_a_silent_nan(step):
    # before: Re f(x + ih) is off f(x) by h², the branch check failed, and the gradient came back nan
    with pytest.raises(dk.MethodError, match="complex step=0.001 is too large.*leave step= out"):
        dk.gradient("x**2 + sin(x)", at={"x": 1.0}, method="numeric", scheme="complex", step=step)


def test_a_complex_step_too_small_is_refused_not_inexact():
    # before: Im f(x + ih) was subnormal and the derivative came back 0.5405 for cos(1) = 0.5403
    with pytest.raises(dk.MethodError, match="is too small.*lose precision"):
        dk.gradient("sin(x)", at={"x": 1.0}, method="numeric", scheme="complex", step=1e-320)


@pytest.mark.parametrize("step", [None, 1e-20, np.float32(1e-20), 1e-8])
@pytest.mark.parametrize("value", [1.0, np.float32(1.5), np.array([0.5, 2.0], dtype=np.float32)])
def test_complex_steps_and_float32_values_give_the_derivative(step, value):
    r = dk.gradient("x**2 + sin(x)", at={"x": value}, method="numeric", scheme="complex", step=step)
    x = np.asarray(value, dtype=np.float64)
    np.testing.assert_allclose(r.gradient["x"], 2 * x + np.cos(x), rtol=1e-12)


def test_a_complex_step_off_the_domain_is_still_a_reported_nan():
    r = dk.gradient("log(x)", at={"x": -1.0}, method="numeric", scheme="complex", errors="ignore")
    assert math.isnan(r.gradient["x"]) and r.diagnostics[0].startswith("log: outside its domain")


# --- symbolic: the domain warnings of the float methods --------------------------------------------------------

_DOMAIN_CASES = [
    ("1/x", 0.0), ("log(x)", 0.0), ("log(x)", -1.0), ("sqrt(x)", 0.0), ("exp(x)", 1000.0),
    ("1/0 + x", 1.0), ("log(0) + x", 1.0), ("x*log(0)", 1.0), ("0**-1 + x", 1.0), ("sqrt(-1) + x", 1.0),
    ("log(-1) + x", 1.0), ("exp(1000) + x", 1.0), ("(-8)**(1/3) + x", 1.0), ("arccos(2) + x", 1.0),
    ("x/0", 1.0), ("log(x - x) + x", 1.0),
]


def _with_warnings(text: str, x: float, method: str):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = dk.gradient(text, at={"x": x}, method=method)
    return r, [str(w.message) for w in caught if issubclass(w.category, dk.DomainWarning)]


@pytest.mark.parametrize(("text", "x"), _DOMAIN_CASES)
def test_symbolic_warns_where_reverse_warns(text, x):
    # before: SymPy folded 1/0 and log(0) to zoo (compiled as nan, derivative 0) and sqrt(-1) to I, silently
    symbolic, said = _with_warnings(text, x, "symbolic")
    reverse, reverse_said = _with_warnings(text, x, "reverse")
    assert reverse_said and said, (text, said)
    assert said[0].startswith("symbolic method: ")
    np.testing.assert_equal(symbolic.value, reverse.value)


@pytest.mark.parametrize(("text", "x"), [c for c in _DOMAIN_CASES if "x" not in c[0].replace("+ x", "")])
def test_a_folded_constant_is_reported_under_its_primitive(text, x):
    symbolic, said = _with_warnings(text, x, "symbolic")
    reverse, reverse_said = _with_warnings(text, x, "reverse")
    assert said == [m.replace("reverse method", "symbolic method") for m in reverse_said]
    assert symbolic.gradient["x"] == reverse.gradient["x"] == 1.0  # c + x: the derivative is 1, inf or nan


def test_a_folded_constant_is_reported_under_errors_raise():
    with pytest.raises(dk.DomainError, match="symbolic method: div: division by zero"):
        dk.gradient("1/0 + x", at={"x": 1.0}, method="symbolic", errors="raise")


def test_ordinary_constants_stay_exact_and_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error", dk.DomainWarning)
        r = dk.gradient("log(4)/log(2)*x + sqrt(2)**2", at={"x": 1.0}, method="symbolic")
    assert r.gradient["x"] == pytest.approx(2.0, rel=1e-15) and r.value == pytest.approx(4.0, rel=1e-15)


def test_a_tensor_graph_folds_constants_as_numpy_does():
    g = dk.trace(lambda W, v: dk.sum(dk.log(W * 0 + v * 0) + W * v))
    at = {"W": np.array([1.0, 2.0]), "v": np.array([3.0, 4.0])}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = dk.gradient(g, at=at, method="symbolic")
    said = [str(w.message) for w in caught if issubclass(w.category, dk.DomainWarning)]
    assert said == ["symbolic method: log: division by zero or a pole (result ±inf)"]
    assert r.value == -np.inf
    np.testing.assert_array_equal(r.gradient["W"], at["v"])
