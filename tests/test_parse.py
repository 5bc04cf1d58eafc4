"""The parser: what it reads, what it refuses, and how it says so."""

import math
import sys

import pytest

import diffkit as dk


def ops_of(graph):
    return sorted(graph.nx.nodes[s.node]["op"] for s in graph.plan.steps)


@pytest.mark.parametrize(
    "text, at, expected",
    [
        ("log(x1) + x1*x2 - sin(x2)", {"x1": 2.0, "x2": 5.0}, math.log(2) + 10 - math.sin(5)),
        ("x^2 + 1", {"x": 3.0}, 10.0),
        ("2^3^2", {}, 2.0**9),  # power is right-associative, with ^ as with **
        ("-x**2", {"x": 3.0}, -9.0),  # unary minus binds looser than power
        ("1e-3 * x", {"x": 2.0}, 2e-3),
        ("pi * e", {}, math.pi * math.e),
        ("ln(x) - log(x)", {"x": 7.0}, 0.0),
        ("asin(x) - arcsin(x) + atan(x) - arctan(x) + acos(x) - arccos(x)", {"x": 0.3}, 0.0),
        ("max(x, y) + min(x, y)", {"x": 1.0, "y": 4.0}, 5.0),
        ("x - y - z", {"x": 1.0, "y": 2.0, "z": 3.0}, -4.0),  # left-associative, not x - (y - z)
        ("x / y / z", {"x": 8.0, "y": 2.0, "z": 2.0}, 2.0),
        ("+x", {"x": 2.0}, 2.0),
        ("sigmoid(0) + relu(-1) + softplus(0)", {}, 0.5 + 0.0 + math.log(2)),
        ("abs(x) + sign(x) + heaviside(x)", {"x": -2.0}, 2.0 - 1.0 + 0.0),
    ],
)
def test_parses_and_evaluates(text, at, expected):
    assert dk.parse(text).evaluate(at) == pytest.approx(expected, rel=1e-14, abs=1e-14)


def test_variables_in_natural_order():
    assert dk.parse("x10 + x2 + x1 + y").variables == ("x1", "x2", "x10", "y")


def test_identical_subexpressions_are_one_node():
    g = dk.parse("sin(x*y) + cos(x*y) * (x*y)")
    assert ops_of(g).count("mul") == 2  # x*y once, then cos(..)*(x*y)
    shared = next(s.node for s in g.plan.steps if s.primitive.name == "mul" and g.nx.out_degree(s.node) == 3)
    assert g.nx.out_degree(shared) == 3


def test_x_times_x_keeps_both_argument_positions():
    g = dk.parse("x*x")
    (step,) = g.plan.steps
    assert g.nx.nodes[step.node]["args"] == ("x", "x")
    assert g.nx.edges["x", step.node]["positions"] == (0, 1)


def test_subtraction_keeps_its_argument_order():
    g = dk.parse("x - y")
    assert g.evaluate({"x": 5.0, "y": 2.0}) == 3.0
    (step,) = g.plan.steps
    assert g.nx.nodes[step.node]["args"] == ("x", "y")


def test_negative_literal_is_a_constant():
    assert dk.parse("-3 * x").operations == 1


def test_several_expressions_share_nodes():
    g = dk.parse_many(["x*y", "sin(x*y) + y"])
    assert g.operations == 3
    assert g.evaluate({"x": 2.0, "y": 3.0}) == pytest.approx((6.0, math.sin(6) + 3))


def test_node_ids_are_deterministic():
    a, b = dk.parse("exp(-x) * y + 2"), dk.parse("exp(-x) * y + 2")
    assert list(a.nx.nodes(data="op")) == list(b.nx.nodes(data="op"))
    assert set(a.nx.nodes) == {"x", "y", "c0", "v0", "v1", "v2", "v3"}


def test_variable_named_like_an_internal_id_does_not_clash():
    g = dk.parse("sin(x) + v0 * c0")
    assert set(g.variables) == {"x", "v0", "c0"}
    assert g.evaluate({"x": 0.0, "v0": 2.0, "c0": 3.0}) == 6.0


@pytest.mark.parametrize(
    "text, fragment, column",
    [
        ("sn(x) + 1", "unknown function 'sn'; did you mean 'sin'?", 1),
        ("x + expp(y)", "did you mean 'exp'?", 5),
        ("x + foo(y)", "unknown function 'foo'", 5),
        ("sin(x, y)", "sin() takes 1 argument, got 2", 1),
        ("maximum(x)", "maximum() takes 2 arguments, got 1", 1),
        ("x.real", "attribute access", 1),
        ("x[0]", "indexing", 1),
        ("lambda: 1", "lambda", 1),
        ("x if y else z", "conditional expression", 1),
        ("x < y", "comparison", 1),
        ("x // y", "operator '//' is not supported", 1),
        ("x % y", "operator '%' is not supported", 1),
        ("[x for x in y]", "comprehension", 1),
        ("f'{x}'", "strings are not part", 2),
        ("sin(x=1)", "takes no keyword arguments", 7),
        ("sin(*x)", "starred", 5),
        ("'text'", "strings are not part", 1),
        ("2j * x", "complex number literal", 1),
        ("True * x", "bool literal", 1),
        ("sin + 1", "'sin' is a function", 1),
        ("__class__ + 1", "dunder", 1),
        ("1e400 * x", "too large for a float", 1),
        ("(((x", "never closed", 3),  # the innermost open bracket
        ("x +", "ends too early", 4),  # the caret just past the end, where an operand is missing
        ("import os", "unexpected 'import'", 1),
        ("x +  # y", "no comments", 6),
        ("x y", "unexpected 'y'", 3),
        ("x ** * 2", "unexpected '*'", 6),
        ("", "empty expression", None),
        ("x\n+ y", "one line", None),
        ("x + \u00e9", "must be ASCII", 5),
        ("sin(x) + 'a'", "strings are not part", 10),
    ],
)
def test_bad_input_names_what_and_where(text, fragment, column):
    with pytest.raises(dk.ParseError) as info:
        dk.parse(text)
    assert fragment in str(info.value)
    if column is not None:
        assert info.value.column == column


def test_parse_error_is_a_value_error_with_a_caret():
    with pytest.raises(ValueError) as info:
        dk.parse("x + sn(y)")
    assert str(info.value).splitlines()[1:] == ["  x + sn(y)", "      ^^"]


def test_columns_count_characters_not_bytes():
    with pytest.raises(dk.ParseError) as info:
        dk.parse("1 + ü + sn(x)")  # ü is two bytes in UTF-8
    assert info.value.column == 5  # the ü itself, refused as non-ASCII


def test_columns_after_a_caret_map_back_to_the_original_text():
    with pytest.raises(dk.ParseError) as info:
        dk.parse("x^2 + sn(x)")
    assert info.value.column == 7


def test_calls_into_python_are_refused_not_executed(tmp_path):
    marker = tmp_path / "touched"
    for text in [f"__import__('os').system('touch {marker}')", f"open('{marker}', 'w')", "exec('1')"]:
        with pytest.raises(dk.ParseError):
            dk.parse(text)
    assert not marker.exists()


@pytest.mark.parametrize(
    "text",
    [
        "(" * 10_000 + "x" + ")" * 10_000,
        "sin(" * 5_000 + "x" + ")" * 5_000,
        "-" * 100_000 + "x",
        "1" * 1_000_000,
        "x" * 1_000_001,
    ],
    ids=["10k parentheses", "5k nested calls", "100k unary minus", "1MB integer", "over 1MB"],
)
def test_huge_or_deep_input_is_a_parse_error_never_a_recursion_error(text):
    with pytest.raises(dk.ParseError):
        dk.parse(text)


def test_deep_nesting_is_refused_by_a_limit_that_says_so():
    with pytest.raises(dk.ParseError, match="nested too deeply: more than 4,000") as info:
        dk.parse("(" * 10_000 + "x" + ")" * 10_000)
    assert info.value.column == 4_001  # the bracket past the limit


def test_nesting_within_the_limit_parses():
    for text in ["(" * 3_000 + "x" + ")" * 3_000, "-" * 3_000 + "x", "sin(" * 1_000 + "x" + ")" * 1_000]:
        assert dk.parse(text).variables == ("x",)


def test_a_sum_of_30000_terms_parses():
    """Python's parser refused a sum of ~3,000 terms (it recursed per term); diffkit's reader does not recurse.

    (This test used to expect a 300,000-term sum refused; benchmarks/parse_limits.py times a 500,000-term one.)
    """
    g = dk.parse("+".join(["x"] * 30_000))
    assert g.operations == 29_999


def test_a_long_flat_expression_parses():
    g = dk.parse("+".join(f"x{i}" for i in range(2000)))
    assert len(g.variables) == 2000
    assert g.evaluate({f"x{i}": 1.0 for i in range(2000)}) == 2000.0


def test_non_string_is_refused():
    with pytest.raises(dk.ParseError):
        dk.parse(42)


def test_reading_does_not_recurse():
    """With the recursion limit a fixed margin above the caller's depth, deep and long text still reads:
    the reader's call depth does not grow with the nesting (a recursive parser would hit the limit)."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    texts = ["(" * 3_000 + "x" + ")" * 3_000, "-" * 3_000 + "x", "x**" * 3_000 + "x",
             "sin(" * 2_000 + "x" + ")" * 2_000, "+".join(["x"] * 20_000)]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 60)
    try:
        graphs = [dk.parse(text) for text in texts]
    finally:
        sys.setrecursionlimit(limit)
    assert [len(g.nx) for g in graphs] == [1, 3_001, 3_001, 2_001, 20_000]
