"""diffkit's reader against the ast-based parser it replaced: the same graphs, node for node, and the same refusals.

The old parser's verdicts were recorded in tests/golden/parse_graphs.json by tests/golden/record_parse_graphs.py
for: the corpus, chosen texts, 2,000 random trees printed with random brackets, blanks, signs and literal
spellings, chosen errors, and 4,000 hostile token soups and mutations of valid expressions. A graph is recorded
as a digest of its structure (node ids in order with their attributes, edges, outputs).

Valid text must give the same graph. Any text must be refused by both or read alike; the chosen errors must give
the same message and column. (Among the soups, messages agreed for 93%: where both refuse, the reader sometimes
names a refused construct, say a comprehension, where Python's parser first met a syntax error further on.)
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
from pathlib import Path

import pytest
from grammar import expressions
from hypothesis import given, settings

import diffkit as dk

RECORDING = Path(__file__).parent / "golden" / "parse_graphs.json"


@functools.cache
def recording(group: str) -> list:
    return json.loads(RECORDING.read_text())[group]


def structure(graph: dk.Graph) -> str:
    """A digest of everything that makes two graphs the same, node for node."""
    nodes = [(node, sorted((k, repr(v)) for k, v in data.items())) for node, data in graph.nx.nodes(data=True)]
    edges = [(a, b, sorted(data.items())) for a, b, data in graph.nx.edges(data=True)]
    text = repr((nodes, edges, graph.outputs, graph.output_names))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def outcome(parse, texts) -> list:
    try:
        return ["graph", structure(parse(texts))]
    except dk.ParseError as exc:
        return ["error", [exc.reason, exc.column]]


# --- texts (the recording script draws from these too) -------------------------------------------------------

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


CHOSEN_GRAPHS = (
    "-3 * x", "-(3)", "--3", "-+3", "+-3", "-pi", "(-3)**2", "2**-1", "-x**2", "2^3^2", "x**-y**z",
    "x - y - z", "x / y / z", "-x*y", "-x^-y", "(sin)(x)", "((max))(x, y)", "max(x, y,)", "sin(x,)",
    " \t x + 1 \x0b", "\x0cx", "x\n", "1_0.5e1_0 * x", "9" * 300 + "*x", "0x" + "f" * 200, "5.*x", "x*.5",
    "v0 + v1 * c0 + sin(v2)", "x + x + x", "sin(x)*sin(x)", "e**x + pi", "0*x + 0.0*y - -0.0",
    "log(x1) + x1*x2 - sin(x2)", "sqrt(1 + x**2) / (2 + cos(y))", "+x - -y", "tan(0.5*sin(theta_0)) + x10 - x2",
    "x + (sin)(x)", "((x))", "x + (x)",
)
CHOSEN_ERRORS = (
    "x.real", "x[0]", "lambda: 1", "x if y else z", "x < y", "x // y", "x % y", "[x for x in y]", "{x: 1}",
    "{x}", "()", "(x, y)", "x, y", "sin(x=1)", "sin(*x)", "sin(**x)", "2j * x", "True * x", "None", "...",
    "sin + 1", "__class__ + 1", "1e400 * x", "9" * 400 + "*x", "(((x", "x +", "import os", "x y", "x ** * 2",
    "2x", "2 x + 1", "2.5x**2", "sin(x)cos(x)", "2(x+1)", "(x+1)(x-1)", "x(y+1)", "sn(x) + 1", "x + expp(y)",
    "coth(x)", "sec(x)", "sin(x, y)", "maximum(x)", "max()", "x)", "(x]", "x +* y", "007", "x & y", "~x",
    "not x", "x and y", "x is y", "x in y", "(x := 1)", "await x", "(yield)", "sin.__globals__", "x" * 300,
    "-sin", "sn(x) +", "x // sn(y)", "sn(y) // x", "(x)(y)", "(sin)(x, y)", "sin(x)(1)", "x + (x)(y)",
    "x + (pi)(y)", "x*(x := 1)", "x + ( x )( y )",
)


# --- the checks -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("group", ["corpus", "chosen graphs", "random trees", "one graph of 20 corpus expressions"])
def test_the_same_graphs_as_the_ast_parser(group):
    for text, kind, recorded in recording(group):
        texts = text if isinstance(text, list) else [text]
        if group != "random trees":
            assert kind == "graph", text
        assert outcome(dk.parse_many, texts) == [kind, recorded], text


def test_the_same_errors_as_the_ast_parser():
    for text, kind, recorded in recording("chosen errors"):
        assert kind == "error"
        assert outcome(dk.parse_many, [text]) == [kind, recorded], text


def test_hostile_text_refused_by_both_or_read_alike():
    for text, kind, recorded in recording("soups and mutations"):
        new_kind, new = outcome(dk.parse_many, [text])
        assert new_kind == kind, (text, recorded, new)
        if kind == "graph":
            assert new == recorded, text


def test_the_recording_covers_what_it_says():
    kinds = {group: [kind for _, kind, _ in recording(group)] for group in ("random trees", "soups and mutations")}
    assert len(kinds["random trees"]) == 2000 and len(kinds["soups and mutations"]) == 4000
    assert kinds["random trees"].count("graph") == 2000
    assert 0 < kinds["soups and mutations"].count("graph") < 4000
    assert [text for text, _, _ in recording("chosen errors")] == list(CHOSEN_ERRORS)


@settings(max_examples=300, deadline=None)
@given(expressions(max_leaves=12))
def test_grammar_expressions_evaluate_as_their_python_arithmetic(text):
    """Beyond the recording: every text of the hypothesis grammar reads, with every variable and nothing else."""
    graph = dk.parse(text)
    assert set(graph.variables) <= {"x", "y", "z"}
    assert graph.variables == tuple(sorted(graph.variables))
