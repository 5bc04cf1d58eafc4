"""Waves (diffkit/waves.py): a graph of many scalar nodes at one point runs as a few NumPy calls. They must give
the step-by-step sweep's numbers (up to the order fan-out contributions are summed in), its warnings, and its
costs exactly."""

import warnings

import numpy as np
import pytest

import diffkit as dk
from diffkit import waves
from diffkit.methods import reverse

N = 200


def sum_of_products(*x):
    total = x[0] * x[1]
    for i in range(1, len(x) - 1):
        total = total + x[i] * x[i + 1]
    return total


def rosenbrock(*x):
    total = 0.0
    for i in range(len(x) - 1):
        total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return total


def mixed(*x):
    """Fan-out, shared subexpressions, every kind of elementwise primitive, terms that are not products."""
    fn = dk.functions
    total = fn.sin(x[0]) * fn.exp(-x[1] ** 2)
    for i in range(2, len(x)):
        shared = fn.tanh(x[i] * x[i - 1])
        term = fn.sqrt(shared**2 + 1.0) / (2.0 + fn.cos(x[i - 2])) - shared * fn.log(1.0 + x[i] ** 2)
        total = total + fn.maximum(term, -0.5) + fn.sigmoid(shared) * fn.softplus(x[i]) - x[i] ** 3
    return total


def graph_and_point(f, n=N, seed=0):
    names = [f"x{i}" for i in range(n)]
    graph = dk.trace(f, variables=names)
    x = np.random.default_rng(seed).uniform(-1.5, 1.5, n)
    return graph, {name: float(v) for name, v in zip(names, x, strict=True)}


def step_by_step(graph, at):
    """The reverse gradient by the per-node sweep (what the first, counted call runs)."""
    plan = graph.plan
    bound = graph.bind(at)
    meter = dk.cost.Meter("reverse")
    values = reverse.record(plan, bound, meter)
    (row,) = [reverse.backward(plan, values, {plan.outputs[0]: np.float64(1.0)}, graph.variables, meter)]
    return values[plan.outputs[0]], dict(zip(graph.variables, row, strict=True))


@pytest.fixture
def wave_runs(monkeypatch):
    """How many times the waves ran (so a test knows which strategy served it)."""
    runs = []
    real = waves.run_forward
    monkeypatch.setattr(waves, "run_forward", lambda *args: runs.append(1) or real(*args))
    return runs


@pytest.mark.parametrize("f", [sum_of_products, rosenbrock, mixed])
def test_waves_match_the_step_by_step_sweep(f, wave_runs):
    graph, at = graph_and_point(f)
    assert waves.applies(graph.plan)
    first = dk.gradient(graph, at=at)  # counted, step by step
    assert not wave_runs
    again = dk.gradient(graph, at=at)  # known cost: waves
    assert wave_runs == [1]
    value, gradient = step_by_step(graph, at)
    assert again.value == first.value == value  # the forward values, sums included, round the same
    for name in graph.variables:
        assert again.gradient[name] == pytest.approx(gradient[name], rel=1e-14, abs=1e-14)
        assert first.gradient[name] == gradient[name]


def test_chains_of_additions_become_one_wide_sum():
    graph, _ = graph_and_point(sum_of_products)
    tables = waves.compile_waves(graph.plan)
    # 199 products in one wave, then one sum of 199 terms (not a chain of 198 additions, 198 levels deep)
    assert [(w.primitive.name if w.primitive else "sum", len(w.outs)) for w in tables.forward] == [("mul", 199),
                                                                                                ("sum", 1)]
    assert len(tables.forward[1].args[0]) == 199


@pytest.mark.parametrize("f", [sum_of_products, rosenbrock, mixed])
def test_the_cost_is_the_counted_one(f):
    graph, at = graph_and_point(f)
    first, again = dk.gradient(graph, at=at).cost, dk.gradient(graph, at=at).cost
    assert (first.operations, first.flops, first.memory_bytes, first.sweeps) == (
        again.operations, again.flops, again.memory_bytes, again.sweeps)


def test_a_partial_towards_a_constant_is_not_formed():
    """sqrt(0) of constants and x**c: the step-by-step sweep forms no partial towards what does not depend on
    the variables (an inf there would be a false warning), and neither do waves."""
    def f(*x):
        total = x[0] ** 2.5
        for i in range(1, len(x)):
            total = total + x[i] ** 2.5 * dk.functions.sqrt(0.0 * 1.0) + dk.functions.log(x[i] ** 2)
        return total

    graph, at = graph_and_point(f, n=80)
    at = {name: abs(v) + 0.1 for name, v in at.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dk.gradient(graph, at=at)
        result = dk.gradient(graph, at=at)
    assert result.gradient["x0"] == pytest.approx(2.5 * at["x0"] ** 1.5)


def test_domain_trouble_is_reported_as_step_by_step():
    def f(*x):
        total = dk.functions.log(x[0])
        for i in range(1, len(x)):
            total = total + x[i] * x[i - 1]
        return total

    graph, at = graph_and_point(f, n=80)
    at["x0"] = -1.0
    with pytest.warns(dk.DomainWarning, match="log") as first:
        dk.gradient(graph, at=at)
    with pytest.warns(dk.DomainWarning, match="log") as again:
        dk.gradient(graph, at=at)
    assert [str(w.message) for w in first] == [str(w.message) for w in again]


def test_small_graphs_and_batches_run_step_by_step(wave_runs):
    assert not waves.applies(dk.parse("x*y + sin(x)").plan)
    graph, _ = graph_and_point(sum_of_products)
    batch = {name: np.linspace(0, 1, 3) for name in graph.variables}
    dk.gradient(graph, at=batch)
    result = dk.gradient(graph, at=batch)  # a batch of points is not one point: the per-node sweep serves it
    assert result.gradient["x0"] == pytest.approx(np.linspace(0, 1, 3))
    assert not wave_runs
