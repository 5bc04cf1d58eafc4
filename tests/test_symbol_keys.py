"""SymPy Symbols name variables wherever a name is accepted; results come back keyed as the user named them."""

import numpy as np
import pytest
import sympy as sp

import diffkit as dk

x, y = sp.symbols("x y")


def test_gradient_at_symbol_keys_is_keyed_by_the_symbols():
    r = dk.gradient(x**2 * y, at={x: 1.0, y: 2.0})
    assert r.gradient == {x: 4.0, y: 1.0}
    assert list(r.gradient) == [x, y]
    assert r.gradient["x"] == 4.0 and r[x] == 4.0 and r["y"] == 1.0  # either spelling finds the entry
    assert "x" in r.gradient and x in r.gradient


def test_string_keys_stay_strings():
    r = dk.gradient(x**2 * y, at={"x": 1.0, "y": 2.0})
    assert list(r.gradient) == ["x", "y"]
    assert r.gradient[x] == 4.0


def test_bare_symbol_is_an_expression():
    assert dk.from_sympy(x).variables == ("x",)
    assert dk.gradient(x, at={x: 3.0}).gradient == {x: 1.0}


def test_wrt_tangents_and_other_verbs_take_symbols():
    assert dk.gradient("x**2*y", at={"x": 1.0, "y": 2.0}, wrt=[y]).gradient == {y: 1.0}
    assert dk.jvp(x * y, at={x: 2.0, y: 3.0}, tangents={x: 1.0}).derivative == 3.0
    assert dk.vjp(x * y, at={x: 2.0, y: 3.0}).derivative == {x: 3.0, y: 2.0}
    assert dk.derivative(x**3, wrt=x, at={x: 2.0}).derivative == 12.0
    np.testing.assert_array_equal(dk.hessian(x**2 * y, at={x: 1.0, y: 3.0}, wrt=(x, y)).hessian,
                                  [[6.0, 2.0], [2.0, 0.0]])
    assert dk.grad(x**3 + y)({x: 2.0, y: 0.0}) == {x: 12.0, y: 1.0}
    assert dk.value_and_grad(x**3 + y, wrt=x)({"x": 2.0, y: 0.0}) == (8.0, {x: 12.0})
    assert dk.as_graph(x * y).evaluate({x: 2.0, y: 3.0}) == 6.0
    assert str(dk.gradient_graph(x * y, wrt=x)) == "y"


def test_compare_and_check_gradient_take_symbol_keys():
    table = dk.compare(x**2 * y, at={x: 1.0, y: 2.0})
    assert all(r.gradient[x] == pytest.approx(4.0) for r in table.results.values())
    check = dk.check_gradient(lambda p: float(dk.as_graph(x**2 * y).evaluate(p)),
                              lambda p: dk.gradient(x**2 * y, at=p).gradient, {x: 1.0, y: 2.0})
    assert check.ok


def test_minimize_takes_symbol_keys_in_start():
    bowl = (x - 1) ** 2 + 2 * (y + 2) ** 2
    by_symbol = dk.optim.minimize(bowl, {x: 0.0, y: 0.0}, dk.optim.GD(lr=0.1), steps=200)
    by_name = dk.optim.minimize(bowl, {"x": 0.0, "y": 0.0}, dk.optim.GD(lr=0.1), steps=200)
    np.testing.assert_array_equal(by_symbol.points, by_name.points)  # the same run, whichever the spelling
    assert by_symbol.converged and list(by_symbol.final) == [x, y] and list(by_name.final) == ["x", "y"]
    assert by_symbol.final[x] == pytest.approx(1.0) and by_symbol.final["y"] == pytest.approx(-2.0)
    mixed = dk.optim.minimize("(x - 1)**2 + 2*(y + 2)**2", {x: 0.0, "y": 0.0}, dk.optim.GD(lr=0.1), steps=200)
    np.testing.assert_array_equal(mixed.points, by_name.points)
    with pytest.raises(dk.BindingError, match="minimize: start names the variable 'x' twice"):
        dk.optim.minimize(bowl, {x: 0.0, "x": 1.0, y: 0.0}, dk.optim.GD(lr=0.1))
    with pytest.raises(dk.BindingError, match="missing y"):
        dk.optim.minimize(bowl, {x: 0.0}, dk.optim.GD(lr=0.1))


def test_a_variable_named_twice_is_refused():
    with pytest.raises(dk.BindingError, match="twice"):
        dk.gradient(x * y, at={x: 1.0, "x": 2.0, y: 1.0})


def test_two_symbols_of_one_name_are_refused():
    with pytest.raises(dk.ConversionError, match="share the name 'x'"):
        dk.from_sympy(x + sp.Symbol("x", positive=True))


def test_sympy_functions_diffkit_can_express():
    assert str(dk.as_graph(1 / sp.sqrt(x))) == "1/sqrt(x)"
    r = dk.gradient(sp.cot(x) + sp.sec(y) + sp.Rational(1, 3) * x, at={x: 0.5, y: 0.25})
    assert r[x] == pytest.approx(float(sp.diff(sp.cot(x), x).subs(x, 0.5)) + 1 / 3, rel=1e-12)
    assert r[y] == pytest.approx(float(sp.diff(sp.sec(y), y).subs(y, 0.25)), rel=1e-12)
