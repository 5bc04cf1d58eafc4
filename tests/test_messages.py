"""Messages a person understands: implicit products, missing functions, e and pi, overflowing literals."""

import numpy as np
import pytest
import sympy as sp

import diffkit as dk


@pytest.mark.parametrize("text, fixed, column", [
    ("2x", "2*x", 2),
    ("2 x + 1", "2*x + 1", 3),
    ("2.5x**2", "2.5*x**2", 4),
    ("x y", "x*y", 3),
    ("sin(x)cos(x)", "sin(x)*cos(x)", 7),
    ("2(x+1)", "2*(x+1)", 2),
    ("(x+1)(x-1)", "(x+1)*(x-1)", 6),
])
def test_implicit_multiplication_suggests_the_star(text, fixed, column):
    with pytest.raises(dk.ParseError) as info:
        dk.parse(text)
    assert "implicit multiplication" in str(info.value) and repr(fixed) in str(info.value)
    assert info.value.column == column
    dk.parse(fixed)  # and the suggestion parses


def test_a_number_exponent_is_not_an_implicit_product():
    assert dk.parse("2e3*x").variables == ("x",)


@pytest.mark.parametrize("name, written", [("coth", "1/tanh(x)"), ("sec", "1/cos(x)")])
def test_a_missing_common_function_says_how_to_write_it(name, written):
    with pytest.raises(dk.ParseError, match=r"diffkit has no " + name) as info:
        dk.parse(f"{name}(x)")
    assert written in str(info.value)
    x = 0.7
    assert np.isfinite(dk.gradient(written, at={"x": x}).gradient["x"])


def test_a_call_of_a_variable_suggests_a_product():
    with pytest.raises(dk.ParseError, match=r"write x\*\(\.\.\.\)"):
        dk.parse("x(y+1)")


@pytest.mark.parametrize("name, value, slope", [
    ("log10", 2.0, 1 / (2.0 * np.log(10))),
    ("log2", 3.0, 1 / (3.0 * np.log(2))),
    ("cbrt", -8.0, 1 / 12),  # the real cube root: cbrt(-8) = -2, cbrt'(-8) = 1/(3·4)
])
def test_log10_log2_cbrt_are_primitives_in_every_method(name, value, slope):
    c = dk.compare(f"{name}(x)", at={"x": value})
    assert not c.failures and not c.findings
    for method in ("symbolic", "forward", "reverse"):
        assert c.results[method].gradient["x"] == pytest.approx(slope, rel=1e-14)
    expected = {"log10": np.log10, "log2": np.log2, "cbrt": np.cbrt}[name](value)
    assert getattr(dk, name)(value) == pytest.approx(expected, rel=1e-15)
    assert dk.trace(lambda x: getattr(dk, name)(x) * 2).variables == ("x",)
    second = [dk.derivative(f"{name}(x)", at={"x": value}, wrt="x", order=2, method=m).derivative
              for m in ("symbolic", "forward")]
    assert second[0] == pytest.approx(second[1], rel=1e-12)


def test_sympy_log_base_10_reads_back():
    x = sp.Symbol("x")
    assert dk.gradient(sp.log(x, 10), at={"x": 2.0}).gradient["x"] == pytest.approx(1 / (2 * np.log(10)))


@pytest.mark.parametrize("name", ["e", "pi"])
def test_e_and_pi_are_constants_and_a_value_for_them_says_so(name):
    with pytest.raises(dk.BindingError, match=f"{name} in expression text is a constant"):
        dk.gradient(f"{name}*x", at={"x": 1.0, name: 2.0})
    c = dk.compare(f"{name}*x", at={"x": 1.0})
    constant = {"e": np.e, "pi": np.pi}[name]
    for result in c.results.values():
        assert result.gradient["x"] == pytest.approx(constant, rel=1e-9)


def test_a_constant_too_large_for_a_float_overflows_alike_in_every_method():
    # SymPy's exact 10**400 has no float: the symbolic method reports pow's overflow and gives inf, as the others
    c = dk.compare("10**400*x", at={"x": 1.5})
    assert not c.failures
    for method in ("symbolic", "forward", "reverse"):  # numeric differences inf - inf: nan, reported too
        assert c.results[method].diagnostics == ["pow: overflow (result ±inf)"]
        assert c.results[method].value == np.inf and c.results[method].gradient["x"] == np.inf
    with pytest.raises(dk.DomainError, match="symbolic method: pow: overflow"):
        dk.gradient("10**400*x", at={"x": 1.5}, method="symbolic", errors="raise")


@pytest.mark.parametrize("text, column", [("x +\r y", 4), ("x \t+ $", 6), ("x+\x00", 3)])
def test_the_caret_stands_under_the_character_whatever_control_characters_the_text_holds(text, column):
    """A tab or carriage return echoed as is would move (or overwrite) the line above the caret."""
    with pytest.raises(dk.ParseError) as caught:
        dk.parse(text)
    assert caught.value.column == column
    _, echoed, caret = str(caught.value).split("\n")
    assert echoed.isprintable() and len(echoed) == 2 + len(text)
    assert caret.index("^") == 2 + column - 1
