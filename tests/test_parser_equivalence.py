"""diffkit's reader against the ast-based parser it replaced: the same graphs, node for node, and the same refusals.

Valid text (the corpus, the hypothesis grammar, random trees printed with random brackets, signs and literal
spellings) must give graphs equal in node ids, order, attributes and edges. Any text (token soups, mutations)
must be refused by both or accepted by both with equal graphs; texts past the old parser's own limits
(~3,000 terms, 200 brackets) are left out, as are the few where their errors are known to differ.
"""

from __future__ import annotations

import random

import pytest
from ast_reference import parse_many as old_parse_many
from grammar import expressions
from hypothesis import given, settings
from hypothesis import strategies as st
from test_corpus import CORPUS
from test_fuzz_parse import HOSTILE_TOKENS, SEEDS, mutated_expressions

import diffkit as dk


def structure(graph: dk.Graph) -> tuple:
    nodes = [(node, tuple(sorted((k, repr(v)) for k, v in data.items()))) for node, data in graph.nx.nodes(data=True)]
    edges = [(a, b, tuple(sorted(data.items()))) for a, b, data in graph.nx.edges(data=True)]
    return nodes, edges, graph.outputs, graph.output_names


def outcome(parse, texts):
    try:
        return "graph", structure(parse(texts))
    except dk.ParseError as exc:
        return "error", (exc.reason, exc.column)


def assert_same_graph(*texts):
    old, new = outcome(old_parse_many, list(texts)), outcome(dk.parse_many, list(texts))
    assert old[0] == "graph", (texts, old)
    assert new == old, texts


def assert_same_verdict(text):
    """Both refuse, or both read the same graph; returns whether the error messages agree too."""
    old, new = outcome(old_parse_many, [text]), outcome(dk.parse_many, [text])
    assert new[0] == old[0], (text, old, new)
    if old[0] == "graph":
        assert new == old, text
    return new == old


# --- random trees, printed with random spellings ----------------------------------------------------------------

_LEAVES = ("x", "y", "x1", "v0", "c1", "theta_0", "pi", "e", "2", "0.5", "1e-3", "3.", ".25", "1_000", "0x1F",
           "0o17", "0b101", "1E+2", "007.5", "0", "00", "2.5e-3")
_FUNCTIONS = ("sin", "cos", "exp", "log", "ln", "sqrt", "tanh", "abs", "relu", "sigmoid", "atan", "arcsin")
_BINARY_FUNCTIONS = ("maximum", "minimum", "max", "min")


def random_text(rng: random.Random, depth: int = 0) -> str:
    """An expression tree written out with brackets, blanks, signs and ^ or ** chosen at random."""
    roll = rng.random()
    if depth > 4 or roll < 0.25:
        text = rng.choice(_LEAVES)
    elif roll < 0.55:
        left, right = random_text(rng, depth + 1), random_text(rng, depth + 1)
        op = rng.choice(("+", "-", "*", "/", "**", "^"))
        gap = rng.choice(("", " ", "  ", "\t"))
        text = f"{left}{gap}{op}{gap}{right}"
    elif roll < 0.7:
        text = rng.choice(("-", "+", "- ", "--", "-+", "+-")) + random_text(rng, depth + 1)
    elif roll < 0.85:
        text = f"{rng.choice(_FUNCTIONS)}({random_text(rng, depth + 1)}{rng.choice(('', ',', ' '))})"
    else:
        a, b = random_text(rng, depth + 1), random_text(rng, depth + 1)
        text = f"{rng.choice(_BINARY_FUNCTIONS)}({a},{rng.choice(('', ' '))}{b})"
    if rng.random() < 0.3:
        text = f"({text})"
    return text


def test_random_trees_give_the_same_graphs():
    rng = random.Random(20261203)
    for _ in range(3000):
        text = random_text(rng)
        assert_same_verdict(text)


def test_corpus_gives_the_same_graphs():
    for entry in CORPUS:
        assert_same_graph(entry.expr)
    assert_same_graph(*[entry.expr for entry in CORPUS[:20]])  # parse_many shares nodes across expressions


@pytest.mark.parametrize("text", [
    *SEEDS, "-3 * x", "-(3)", "--3", "-+3", "+-3", "-pi", "(-3)**2", "2**-1", "-x**2", "2^3^2", "x**-y**z",
    "x - y - z", "x / y / z", "-x*y", "-x^-y", "(sin)(x)", "((max))(x, y)", "max(x, y,)", "sin(x,)",
    " \t x + 1 \x0b", "\x0cx", "x\n", "1_0.5e1_0 * x", "9" * 300 + "*x", "0x" + "f" * 200, "5.*x", "x*.5",
    "v0 + v1 * c0 + sin(v2)", "x + x + x", "sin(x)*sin(x)", "e**x + pi", "0*x + 0.0*y - -0.0",
])
def test_chosen_texts_give_the_same_graphs(text):
    assert_same_graph(text)


@settings(max_examples=300, deadline=None)
@given(expressions(max_leaves=12))
def test_grammar_expressions_give_the_same_graphs(text):
    assert_same_graph(text)


# --- refusals ---------------------------------------------------------------------------------------------------

_SOUP = st.lists(st.sampled_from(HOSTILE_TOKENS + ("x", "+", "(", ")", "sin(", ",")), max_size=12).map(" ".join)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(_SOUP, mutated_expressions()))
def test_any_text_is_refused_by_both_or_read_alike(text):
    assert_same_verdict(text)


@pytest.mark.parametrize("text", [
    "x.real", "x[0]", "lambda: 1", "x if y else z", "x < y", "x // y", "x % y", "[x for x in y]", "{x: 1}",
    "{x}", "()", "(x, y)", "x, y", "sin(x=1)", "sin(*x)", "sin(**x)", "2j * x", "True * x", "None", "...",
    "sin + 1", "__class__ + 1", "1e400 * x", "9" * 400 + "*x", "(((x", "x +", "import os", "x y", "x ** * 2",
    "2x", "2 x + 1", "2.5x**2", "sin(x)cos(x)", "2(x+1)", "(x+1)(x-1)", "x(y+1)", "sn(x) + 1", "x + expp(y)",
    "asinh(x)", "sec(x)", "sin(x, y)", "maximum(x)", "max()", "x)", "(x]", "x +* y", "007", "x & y", "~x",
    "not x", "x and y", "x is y", "x in y", "(x := 1)", "await x", "(yield)", "sin.__globals__", "x" * 300,
    "-sin", "sn(x) +", "x // sn(y)", "sn(y) // x", "(x)(y)", "(sin)(x, y)", "sin(x)(1)",
])
def test_chosen_errors_are_the_same(text):
    assert_same_verdict(text)
    assert outcome(dk.parse_many, [text]) == outcome(old_parse_many, [text])
