"""A numeric gradient in many variables evaluates its perturbed points as one batch (diffkit/methods/numeric.py,
``_batched``): the same quotients and counts as one evaluation at a time, memory reported as really held."""

import tracemalloc

import numpy as np
import pytest

import diffkit as dk
from diffkit.methods import numeric


def rosenbrock_graph(n: int) -> dk.Graph:
    text = " + ".join(f"100*(x{i + 1} - x{i}**2)**2 + (1 - x{i})**2" for i in range(n - 1))
    return dk.parse(text)


def point(graph: dk.Graph, points: int = 1, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    if points == 1:
        return {name: float(rng.uniform(-1, 1)) for name in graph.variables}
    return {name: rng.uniform(-1, 1, points) for name in graph.variables}


def one_at_a_time(monkeypatch, graph, at, **options):
    with monkeypatch.context() as patch:
        patch.setattr(numeric, "BATCH_POINTS", 0)  # no batch: every perturbed point evaluated on its own
        return dk.gradient(graph, at=at, method="numeric", **options)


@pytest.mark.parametrize("scheme", ["central", "forward", "richardson"])
@pytest.mark.parametrize("points", [1, 5])
def test_the_batch_gives_the_same_gradient_and_counts(monkeypatch, scheme, points):
    graph = rosenbrock_graph(30)
    at = point(graph, points)
    batched = dk.gradient(graph, at=at, method="numeric", scheme=scheme, error_estimate=True)
    alone = one_at_a_time(monkeypatch, graph, at, scheme=scheme, error_estimate=True)
    for name in graph.variables:
        # the same quotients of the same values, up to how NumPy rounds a function over an array or a scalar
        np.testing.assert_allclose(batched.gradient[name], alone.gradient[name], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(batched.error_estimate[name], alone.error_estimate[name], rtol=1e-3, atol=1e-9)
    assert batched.cost.evaluations == alone.cost.evaluations
    assert batched.cost.operations == alone.cost.operations and batched.cost.flops == alone.cost.flops
    assert batched.diagnostics == alone.diagnostics


def test_the_batch_is_accurate():
    graph = rosenbrock_graph(200)
    at = point(graph)
    exact = dk.gradient(graph, at=at, method="reverse").gradient
    result = dk.gradient(graph, at=at, method="numeric", scheme="richardson")
    assert max(abs(result.gradient[k] - exact[k]) / max(1.0, abs(exact[k])) for k in exact) < 1e-8


@pytest.mark.parametrize("n, points", [(40, 64), (200, 1)])
def test_reported_memory_is_what_the_batch_holds(n, points):
    graph = dk.parse(" + ".join(f"sin(x{i}) * x{(i + 1) % n}" for i in range(n)))
    bound = graph.bind({f"x{i}": np.linspace(0, 1, points) + i for i in range(n)})
    numeric.jacobian(graph, bound, graph.variables)  # warm: one-time allocations out of the measurement
    tracemalloc.start()
    try:
        computed = numeric.jacobian(graph, bound, graph.variables)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 0.75 * peak <= computed.cost.memory_bytes <= 1.1 * peak


def test_many_points_and_few_variables_are_not_batched(monkeypatch):
    calls = []
    real = numeric._evaluate_together
    monkeypatch.setattr(numeric, "_evaluate_together", lambda *args: calls.append(1) or real(*args))
    graph = rosenbrock_graph(numeric.BATCH_VARIABLES)
    dk.gradient(graph, at=point(graph, points=numeric.BATCH_POINTS + 1), method="numeric")
    assert not calls
    dk.gradient(graph, at=point(graph, points=numeric.BATCH_POINTS), method="numeric")
    assert calls == [1]
    few = rosenbrock_graph(numeric.BATCH_VARIABLES - 1)
    dk.gradient(few, at=point(few), method="numeric")
    assert calls == [1]
