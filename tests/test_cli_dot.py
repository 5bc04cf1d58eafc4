"""`diffkit graph --format dot`: Graphviz DOT text with every node, its label, and the arguments in order."""

import os
import re
import subprocess
import sys

import pytest

import diffkit as dk
from diffkit.cli import main

NODE = re.compile(r'^  "([^"\\]*)" \[label="((?:[^"\\]|\\.)*)", shape=(\w+)(, peripheries=2)?\];$')
EDGE = re.compile(r'^  "([^"\\]*)" -> "([^"\\]*)"(?: \[label="(\d+)"\])?;$')
EXPRESSION = "x**2/y - sin(x) + 3"


def parsed(dot: str):
    """(nodes {id: (label, shape, output?)}, edges [(arg, node, position label or None)]) of diffkit's DOT; every
    line must be a header line, a node, an edge or the closing brace."""
    lines = dot.strip().splitlines()
    assert lines[0] == "digraph diffkit {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if line in ("  rankdir=LR;", '  node [fontname="Helvetica"];'):
            continue
        if match := NODE.match(line):
            ident, label, shape, output = match.groups()
            assert ident not in nodes
            nodes[ident] = (label, shape, bool(output))
        elif match := EDGE.match(line):
            edges.append(match.groups())
        else:
            pytest.fail(f"not a DOT statement diffkit writes: {line!r}")
    return nodes, edges


def test_dot_goes_to_standard_output_with_every_node_and_ordered_edge(capsys):
    assert main(["graph", EXPRESSION, "--format", "dot"]) == 0
    nodes, edges = parsed(capsys.readouterr().out)
    graph = dk.parse(EXPRESSION)
    assert set(nodes) == set(graph.plan.nodes)
    for node, (label, shape, output) in nodes.items():
        data = graph.nx.nodes[node]
        assert label == data["label"] and output == (node in graph.outputs)
        assert shape == {"var": "ellipse", "const": "plaintext"}.get(data["op"], "box")
    expected = [(arg, node) for node in graph.plan.nodes for arg in graph.nx.nodes[node].get("args", ())]
    assert [(arg, node) for arg, node, _ in edges] == expected  # each node's arguments, in order
    for arg, node, position in edges:
        if graph.nx.nodes[node]["op"] in ("sub", "div", "pow"):  # order matters: the position is written
            assert graph.nx.nodes[node]["args"][int(position)] == arg
        else:
            assert position is None
    assert sum(output for _, _, output in nodes.values()) == 1


def test_dot_is_the_same_on_every_run_and_in_a_file(tmp_path, capsys):
    runs = set()
    for seed in ("0", "1", "12345"):  # set and dict orders may not leak in: the hash seed changes them
        done = subprocess.run([sys.executable, "-m", "diffkit", "graph", EXPRESSION, "--format", "dot"],
                              capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONHASHSEED": seed})
        assert done.returncode == 0, done.stderr
        runs.add(done.stdout)
    assert len(runs) == 1
    path = tmp_path / "new" / "graph.gv"
    assert main(["graph", EXPRESSION, "-o", str(path)]) == 0  # the suffix names the format
    assert capsys.readouterr().out == f"wrote {path}\n"
    assert path.read_text() == runs.pop()


def test_a_node_used_twice_by_one_operation_has_both_edges(capsys):
    assert main(["graph", "sin(x)*sin(x)", "--format", "dot"]) == 0
    nodes, edges = parsed(capsys.readouterr().out)
    assert sorted(label for label, _, _ in nodes.values()) == ["*", "sin", "x"]  # sin(x) once: shared
    sine = next(node for node, (label, _, _) in nodes.items() if label == "sin")
    assert sum(arg == sine for arg, _, _ in edges) == 2 and len(edges) == 3


@pytest.mark.parametrize("argv, message", [
    (["--format", "dot", "-o", "g.png"], "--format dot does not match -o 'g.png': name the file .dot or .gv"),
    (["--format", "svg", "-o", "g.png"], "--format svg does not match -o 'g.png': name the file .svg"),
    (["--format", "png"], "give -o FILE for the picture"),
    ([], "give -o FILE for the picture (.png, .svg or .pdf), or --format dot"),
    (["-o", "g.txt"], "must end in .png, .svg or .pdf (a picture) or .dot or .gv"),
    (["--format", "dot", "--at", "x=1,y=2", "--show", "values"], "DOT holds the structure only"),
])
def test_the_format_and_the_file_must_agree(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "x*y", *argv]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing written
