"""dk.sweep_table: each node's value, tangents and adjoint — checked against the lecture and the methods."""

import math

import numpy as np
import pytest

import diffkit as dk

LECTURE = "log(x1) + x1*x2 - sin(x2)"
AT = {"x1": 2.0, "x2": 5.0}


def rows_by_node(table):
    return {row["node"]: row for row in table.rows}


def test_the_lecture_trace():
    rows = rows_by_node(dk.sweep_table(LECTURE, at=AT))
    assert rows["x1"]["adjoint"] == 5.5  # 0.5 through log + 5 through the product: summed over paths
    assert rows["x2"]["adjoint"] == pytest.approx(2 - math.cos(5))
    assert rows["v1"]["computes"] == "log(x1)" and rows["v1"]["d/dx1"] == 0.5 and rows["v1"]["d/dx2"] == 0
    assert rows["v2"]["computes"] == "x1 * x2" and (rows["v2"]["d/dx1"], rows["v2"]["d/dx2"]) == (5.0, 2.0)
    last = rows["v5"]
    assert last["value"] == pytest.approx(math.log(2) + 10 - math.sin(5)) and last["adjoint"] == 1.0
    assert (last["d/dx1"], last["d/dx2"]) == (rows["x1"]["adjoint"], rows["x2"]["adjoint"])


def test_every_column_agrees_with_the_verbs():
    # a node's tangent column is its own gradient by forward mode; the output's adjoint row is the gradient
    expr = "exp(x*y) / (1 + y**2) + x"
    at = {"x": 0.3, "y": -1.2}
    table = dk.sweep_table(expr, at=at)
    out = table.rows[-1]
    grad = dk.gradient(expr, at=at, method="forward").gradient
    assert out["d/dx"] == pytest.approx(grad["x"]) and out["d/dy"] == pytest.approx(grad["y"])
    inputs = rows_by_node(table)
    assert inputs["x"]["adjoint"] == pytest.approx(grad["x"]) and inputs["y"]["adjoint"] == pytest.approx(grad["y"])


def test_constants_are_named_in_place_and_prints_one_line_per_node():
    text = str(dk.sweep_table("2 / sin(exp(-x))", at={"x": -4.499}))
    assert "2 / v3" in text and "-x" in text
    assert len(text.splitlines()) == 2 + 2 + 1 + 4  # title, blank, header, rule; x; four operations


def test_multiple_outputs_are_refused():
    with pytest.raises(dk.MethodError, match="single output"):
        dk.sweep_table(dk.parse_many(["x", "x*y"]), at={"x": 1.0, "y": 2.0})


def test_a_batch_shows_arrays():
    table = dk.sweep_table("x*y", at={"x": np.arange(3.0), "y": 2.0})
    assert "array(3,)" in str(table)


def test_one_output_of_a_gradient_graph_differentiates_again():
    g = dk.gradient_graph(LECTURE)
    assert g.output("dy/dx2").expression() == "-cos(x2) + x1"
    again = dk.gradient(g.output(0), at=AT).gradient  # d/dx of dy/dx1 = x2 + 1/x1: a row of the Hessian
    hessian = dk.hessian(LECTURE, at=AT).hessian
    assert [again["x1"], again["x2"]] == pytest.approx(hessian[0])
    assert g.output(-1).output_names == ("dy/dx2",)
    with pytest.raises(dk.BindingError, match="from 0 to 1"):
        g.output(2)
    with pytest.raises(dk.BindingError, match="no output named 'z'"):
        g.output("z")


def test_tensor_graphs_are_refused_not_summed():
    # one seed per variable would give directional derivatives along all-ones, not the gradient's entries
    from diffkit import datasets, nn

    X, y = datasets.xor()
    net = nn.MLP([2, 2, 1], activation="tanh", loss="binary_cross_entropy", seed=0)
    with pytest.raises(dk.MethodError, match="scalar variables"):
        dk.sweep_table(net.loss_graph(X, y), at=net.parameters())
