"""Graphs, Results, Costs, MLPs, optimizers and histories pickle, copy and deep-copy at any time — before and
after first use — and come back equal: what multiprocessing and distributed runs need."""

import copy
import dataclasses
import pickle

import numpy as np
import pytest

import diffkit as dk
from diffkit.optim import OPTIMIZERS
from diffkit.oracle import Oracle

ROUND_TRIPS = {
    "pickle": lambda obj: pickle.loads(pickle.dumps(obj)),
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
}
AT = {"x": 0.7, "y": -1.3}


def same_graph(a: dk.Graph, b: dk.Graph) -> None:
    assert a.outputs == b.outputs and a.output_names == b.output_names and a.variables == b.variables
    assert sorted(a.nx.nodes) == sorted(b.nx.nodes) and sorted(a.nx.edges) == sorted(b.nx.edges)
    for node in a.nx.nodes:
        left, right = a.nx.nodes[node], b.nx.nodes[node]
        assert left.keys() == right.keys()
        for key in left:
            assert np.array_equal(left[key], right[key]) if key == "value" else left[key] == right[key]
    assert a.data.keys() == b.data.keys() and all(np.array_equal(a.data[k], b.data[k]) for k in a.data)


def same_figures(a: dk.Cost, b: dk.Cost) -> None:
    """Every figure of two costs but the time taken."""
    assert dataclasses.replace(a, seconds=0.0) == dataclasses.replace(b, seconds=0.0)


def same_result(a: dk.Result, b: dk.Result) -> None:
    assert (a.method, a.kind, a.variables, a.outputs) == (b.method, b.kind, b.variables, b.outputs)
    np.testing.assert_array_equal(a.value, b.value)
    for name in a.variables:
        np.testing.assert_array_equal(a.gradient[name], b.gradient[name])
    same_figures(a.cost, b.cost)


@pytest.mark.parametrize("trip", ROUND_TRIPS)
@pytest.mark.parametrize("used", [False, True], ids=["fresh", "after use"])
def test_graphs(trip, used):
    graph = dk.parse("x*y + sin(x)/y")
    if used:  # the first evaluation compiles and caches the plan (which holds the rules' functions)
        graph.evaluate(AT)
        dk.gradient(graph, at=AT)
    back = ROUND_TRIPS[trip](graph)
    same_graph(graph, back)
    assert back.evaluate(AT) == graph.evaluate(AT)
    assert dk.gradient(back, at=AT).gradient == dk.gradient(graph, at=AT).gradient


@pytest.mark.parametrize("trip", ROUND_TRIPS)
def test_gradient_graphs_and_graphs_with_data(trip):
    emitted = dk.gradient_graph("x**3 * y")
    emitted.evaluate(AT)
    same_graph(emitted, ROUND_TRIPS[trip](emitted))
    fixed = dk.trace(lambda w, X: dk.functions.sum(w * X)).with_data(X=np.arange(3.0))
    fixed.evaluate({"w": np.ones(3)})
    back = ROUND_TRIPS[trip](fixed)
    same_graph(fixed, back)
    assert back.evaluate({"w": np.ones(3)}) == 3.0


@pytest.mark.parametrize("trip", ROUND_TRIPS)
@pytest.mark.parametrize("method", dk.METHODS)
def test_results_and_costs(trip, method):
    result = dk.gradient("x*y + sin(x)/y", at=AT, method=method)
    back = ROUND_TRIPS[trip](result)
    same_result(result, back)
    assert back.cost == result.cost  # the same object's figures, its time included


@pytest.mark.parametrize("trip", ROUND_TRIPS)
def test_mlps_after_training(trip):
    X, y = dk.datasets.xor()
    net = dk.nn.MLP([2, 4, 1], activation="tanh", output="sigmoid", seed=0)
    history = dk.nn.train(net, X, y, dk.optim.Adam(lr=0.1), epochs=3)
    back = ROUND_TRIPS[trip](net)
    assert back.loss(X, y) == net.loss(X, y)
    same_result(back.gradient(X, y), net.gradient(X, y))
    copied = ROUND_TRIPS[trip](history)
    assert copied.loss == history.loss and copied.steps == history.steps


@pytest.mark.parametrize("trip", ROUND_TRIPS)
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizers_mid_run(trip, name):
    """An optimizer pickled between steps carries its state (moments, step count) and steps the same."""
    optimizer = dk.optim.by_name(name, lr=0.05)
    params, grads = {"w": np.array([1.0, -2.0])}, {"w": np.array([0.5, 0.25])}
    hessian = np.eye(2) * 3.0 if optimizer.needs_hessian else None
    extra = {"hessian": hessian}
    if getattr(optimizer, "needs_oracle", False):  # L-BFGS, Newton-CG: the loss's gradients, from its oracle
        oracle = Oracle(dk.trace(lambda w: dk.sum(dk.exp(w) + w**4)))
        extra = {"oracle": oracle}
        grads = oracle.value_and_grad(params)[1]
    params = optimizer.step(params, grads, **extra)
    if "oracle" in extra:
        grads = extra["oracle"].value_and_grad(params)[1]
    back = ROUND_TRIPS[trip](optimizer)
    ours, theirs = optimizer.step(params, grads, **extra), back.step(params, grads, **extra)
    np.testing.assert_array_equal(ours["w"], theirs["w"])


@pytest.mark.parametrize("trip", ROUND_TRIPS)
def test_sympy_forms_with_opaque_constants(trip):
    """x/0 and log(0) are held as opaque constants in the SymPy form (as the float methods hold them); the
    expression still pickles and copies."""
    expr = dk.parse("x/0 + log(0)*y").to_sympy()
    back = ROUND_TRIPS[trip](expr)
    assert str(back) == str(expr)


def test_a_graph_travels_without_its_compiled_plan():
    """What a worker receives is the structure; the plan is compiled again there, on first use."""
    fresh = dk.parse("x*y + sin(x)/y")
    used = dk.parse("x*y + sin(x)/y")
    dk.gradient(used, at=AT)
    assert "plan" in used.__dict__
    assert len(pickle.dumps(used)) == len(pickle.dumps(fresh))
    back = pickle.loads(pickle.dumps(used))
    assert "plan" not in back.__dict__ and back.evaluate(AT) == used.evaluate(AT)


@pytest.mark.parametrize("trip", ROUND_TRIPS)
def test_study_results_and_cross_checks(trip):
    """What a cluster sends back: a study's rows and a cross-check's records."""
    study = dk.studies.run("gradient_vs_inputs", sizes=[2, 4], methods=["reverse"], repeats=1, budget_seconds=None,
                           progress=False)
    back = ROUND_TRIPS[trip](study)
    assert back.rows == study.rows and back.settings == study.settings
    check = dk.crosscheck(["x*y", "sqrt(x)", "log(x"], at={"x": 0.0, "y": 1.0})
    copied = ROUND_TRIPS[trip](check)
    assert copied.records == check.records and copied.report() == check.report()
