"""dk.hvp: H·v by every route, checked against the full Hessian times v (itself checked four ways elsewhere)."""

from __future__ import annotations

import numpy as np
import pytest
from grammar import expressions
from hypothesis import given, settings
from hypothesis import strategies as st

import diffkit as dk

ROUTES = [("reverse", {}), ("reverse", {"over": "reverse"}), ("forward", {}), ("symbolic", {})]
ROUTE_IDS = ["forward-over-reverse", "reverse-over-reverse", "forward-over-forward", "symbolic"]


def _hessian_times(graph, at, vector):
    names = list(graph.variables)
    hessian = dk.hessian(graph, at=at).hessian
    v = np.array([vector.get(name, 0.0) for name in names])
    return dict(zip(names, np.tensordot(hessian, v, axes=([1], [0])), strict=True))


@pytest.mark.parametrize(("method", "options"), ROUTES, ids=ROUTE_IDS)
@settings(max_examples=15, deadline=None)
@given(text=expressions(max_leaves=6), data=st.data())
def test_every_route_is_the_hessian_times_v(method, options, text, data):
    graph = dk.parse(text)
    names = graph.variables
    at = {name: data.draw(st.floats(-1.5, 1.5), label=f"at {name}") for name in names}
    vector = {name: data.draw(st.floats(-2, 2), label=f"v {name}") for name in names
              if data.draw(st.booleans(), label=f"v has {name}")}
    expected = _hessian_times(graph, at, vector)
    result = dk.hvp(graph, at=at, vector=vector, method=method, **options)
    assert result.kind == "hvp" and set(result.hvp) == set(names)
    for name in names:
        assert result.hvp[name] == pytest.approx(expected[name], rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(("method", "options"), ROUTES, ids=ROUTE_IDS)
def test_a_batch_of_points_gives_a_product_per_point(method, options):
    x = np.linspace(0.5, 2.0, 4)
    at, vector = {"x": x, "y": 3.0}, {"x": np.array([1.0, -1.0, 0.5, 2.0]), "y": 0.25}
    result = dk.hvp("x**2 * y + sin(x*y)", at=at, vector=vector, method=method, **options)
    for k in range(4):
        point = {"x": x[k], "y": 3.0}
        expected = _hessian_times(dk.parse("x**2 * y + sin(x*y)"), point, {"x": vector["x"][k], "y": 0.25})
        assert result.hvp["x"][k] == pytest.approx(expected["x"], rel=1e-12)
        assert result.hvp["y"][k] == pytest.approx(expected["y"], rel=1e-12)


@pytest.mark.parametrize(("method", "options"), ROUTES[:3], ids=ROUTE_IDS[:3])
def test_a_tensor_loss(method, options):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 5))
    graph = dk.trace(lambda W, b: dk.sum(dk.tanh(W @ X + b) ** 2))
    at = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=(3, 1))}
    vector = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=(3, 1))}
    hessian = dk.hessian(graph, at=at).hessian
    expected = hessian @ np.concatenate([vector["W"].ravel(), vector["b"].ravel()])
    result = dk.hvp(graph, at=at, vector=vector, method=method, **options)
    assert result.hvp["W"].shape == (3, 4) and result.hvp["b"].shape == (3, 1)
    got = np.concatenate([result.hvp["W"].ravel(), result.hvp["b"].ravel()])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_reverse_mode_costs_a_few_gradients_whatever_the_number_of_variables():
    """The point of H·v: reverse mode's work does not grow with n beyond f's own; forward-over-forward's does."""
    ratios = {}
    for n in (8, 32):
        names = [f"x{i}" for i in range(n)]
        graph = dk.trace(lambda *x: sum(dk.sin(x[i] * x[i + 1]) for i in range(len(x) - 1)), variables=names)
        at = {name: 0.1 * i for i, name in enumerate(names)}
        vector = {name: 1.0 for name in names}
        f_flops = dk.gradient(graph, at=at).cost.flops
        ratios[n] = {route: dk.hvp(graph, at=at, vector=vector, method=m, **o).cost.flops / f_flops
                     for route, (m, o) in zip(ROUTE_IDS[:3], ROUTES[:3], strict=True)}
    for route in ROUTE_IDS[:2]:
        assert ratios[32][route] <= 5 and ratios[32][route] == pytest.approx(ratios[8][route], rel=0.1)
    assert ratios[32]["forward-over-forward"] > 3 * ratios[8]["forward-over-forward"]


def test_no_direction_gives_zeros():
    result = dk.hvp("x*y", at={"x": 1.0, "y": 2.0}, vector={})
    assert result.hvp == {"x": 0.0, "y": 0.0}


def test_a_direction_on_a_variable_outside_wrt_is_refused():
    with pytest.raises(dk.BindingError, match="not among the variables differentiated by"):
        dk.hvp("x*y", at={"x": 1.0, "y": 2.0}, vector={"y": 1.0}, wrt=["x"])


def test_an_unknown_variable_or_missing_vector_is_refused():
    with pytest.raises(dk.BindingError, match="unknown variable"):
        dk.hvp("x*y", at={"x": 1.0, "y": 2.0}, vector={"z": 1.0})
    with pytest.raises(dk.BindingError, match="give vector"):
        dk.hvp("x*y", at={"x": 1.0, "y": 2.0})


def test_a_direction_of_the_wrong_shape_is_refused():
    with pytest.raises(dk.BindingError, match="does not fit the points' shape"):
        dk.hvp("x*y", at={"x": np.ones(3), "y": 2.0}, vector={"x": np.ones(4)})


def test_symbolic_hvp_of_a_tensor_graph_writes_it_out_entry_by_entry():
    graph = dk.trace(lambda w: dk.sum(w * w))  # H = 2I
    v = np.array([1.0, -2.0, 0.5])
    product = dk.hvp(graph, at={"w": np.ones(3)}, vector={"w": v}, method="symbolic").hvp["w"]
    assert np.array_equal(product, 2 * v)


def test_the_users_arrays_are_not_modified():
    x, v = np.array([1.0, 2.0]), np.array([0.5, 0.5])
    before = x.copy(), v.copy()
    for method, options in ROUTES:
        dk.hvp("x**3", at={"x": x}, vector={"x": v}, method=method, **options)
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(v, before[1])



def test_the_transform_of_a_python_function():
    cubes = dk.hvp(lambda x: dk.sum(x**3))
    np.testing.assert_array_equal(cubes(np.array([1.0, 2.0]), vector=np.array([1.0, 1.0])), [6.0, 12.0])
    assert cubes.cost is not None and cubes.cost.backward_sweeps == 1
    assert dk.hvp(lambda x, y: x**2 * y, argnums=(0, 1))(1.0, 3.0, vector=(1.0, 0.0)) == (6.0, 2.0)
    with pytest.raises(dk.BindingError, match="give the direction"):
        cubes(np.ones(2))
    with pytest.raises(dk.BindingError, match="tuple of 2 arrays"):
        dk.hvp(lambda x, y: x * y, argnums=(0, 1))(1.0, 2.0, vector=1.0)
    with pytest.raises(dk.BindingError, match="call it with the direction"):
        dk.hvp(lambda x: x**3, vector={"x": 1.0})


def test_torch_agrees_on_a_tensor_loss():
    torch = pytest.importorskip("torch")
    from torch.autograd.functional import hvp as torch_hvp

    rng = np.random.default_rng(1)
    X, w, v = rng.normal(size=(6, 4)), rng.normal(size=4), rng.normal(size=4)
    ours = dk.hvp(lambda w: dk.sum(dk.log(1 + dk.exp(X @ w))))(w, vector=v)
    X_t = torch.tensor(X, dtype=torch.float64)
    _, theirs = torch_hvp(lambda w: torch.log1p(torch.exp(X_t @ w)).sum(),
                          torch.tensor(w, dtype=torch.float64), torch.tensor(v, dtype=torch.float64))
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-14)


def _measured_peak(call):
    import tracemalloc

    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        call()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_forward_over_reverse_memory_counts_the_dual_adjoints():
    """The backward sweep's adjoints are dual numbers there (value and tangent): counting one as an 8-byte
    object undercounted an MLP's H·v memory by half. The figure must match what is really allocated."""
    rng = np.random.default_rng(0)
    net = dk.nn.MLP([16, 32, 4], seed=0, loss="cross_entropy")
    X, y = rng.normal(size=(64, 16)), rng.integers(0, 4, size=64)
    graph = net.loss_graph(X, y)
    at = net.parameters()
    vector = {name: rng.normal(size=value.shape) for name, value in at.items()}

    def call():
        return dk.hvp(graph, at=at, vector=vector)

    reported = call().cost.memory_bytes
    assert 0.75 <= reported / _measured_peak(call) <= 1.3


def test_hvp_memory_on_a_ten_thousand_parameter_mlp_is_a_few_gradients():
    rng = np.random.default_rng(0)
    net = dk.nn.MLP([64, 128, 16], seed=0, loss="cross_entropy")  # 10,384 parameters
    X, y = rng.normal(size=(32, 64)), rng.integers(0, 16, size=32)
    graph, at = net.loss_graph(X, y), net.parameters()
    vector = {name: rng.normal(size=value.shape) for name, value in at.items()}
    gradient = dk.gradient(graph, at=at).cost
    for options in ({}, {"over": "reverse"}):
        cost = dk.hvp(graph, at=at, vector=vector, **options).cost
        assert cost.memory_bytes <= 4 * gradient.memory_bytes
        assert cost.flops <= 4 * gradient.flops


@settings(max_examples=25, deadline=None)
@given(text=expressions(max_leaves=6), data=st.data())
def test_the_numeric_route_is_within_its_error_estimate(text, data):
    """Differences of gradients: close to H·v, and its error estimate covers the error it makes."""
    graph = dk.parse(text)
    names = graph.variables
    at = {name: data.draw(st.floats(-1.5, 1.5), label=f"at {name}") for name in names}
    vector = {name: data.draw(st.floats(-2, 2), label=f"v {name}") for name in names}
    expected = _hessian_times(graph, at, vector)
    result = dk.hvp(graph, at=at, vector=vector, method="numeric")
    assert result.cost.backward_sweeps == 4 and result.cost.evaluations == 1
    for name in names:
        error = abs(result.hvp[name] - expected[name])
        assert error <= result.error_estimate[name] + 1e-12 * (1 + abs(expected[name]))
        assert error <= 1e-5 * (1 + abs(expected[name]))


def test_the_numeric_route_on_a_batch_and_a_tensor_graph():
    x = np.array([0.5, 1.0, 2.0])
    result = dk.hvp("x**3 * y", at={"x": x, "y": 2.0}, vector={"x": 1.0, "y": 0.5}, method="numeric")
    np.testing.assert_allclose(result.hvp["x"], 12 * x + 1.5 * x**2, rtol=1e-7)
    np.testing.assert_allclose(result.hvp["y"], 3 * x**2, rtol=1e-7)
    w, v = np.array([[0.3], [-0.2]]), np.array([[1.0], [2.0]])
    graph = dk.trace(lambda w: dk.sum(dk.exp(w) * w))
    tensor = dk.hvp(graph, at={"w": w}, vector={"w": v}, method="numeric")
    np.testing.assert_allclose(tensor.hvp["w"], (2 + w) * np.exp(w) * v, rtol=1e-7)


def _counted(work) -> float:
    """An estimate as Cost counts work (without the overhead Cost does not see)."""
    from diffkit.limits import work_operations

    return work_operations(work.applications, work.flops)


@pytest.mark.parametrize(("text", "at"), [
    ("x**2 * y + sin(x*y)", {"x": 1.0, "y": 3.0}),
    ("log(x1) + x1*x2 - sin(x2)", {"x1": 2.0, "x2": 5.0}),
    ("exp(-x)*tanh(y)", {"x": np.linspace(0, 1, 200), "y": 0.5}),
    (" + ".join(f"sin(x{i}*x{i + 1})" for i in range(30)), {f"x{i}": 0.1 * i for i in range(31)}),
])
def test_work_estimates_are_within_two_times_of_the_counted_cost(text, at):
    from diffkit import estimate

    graph = dk.parse(text)
    bound, wrt = graph.bind(at), tuple(graph.variables)
    vector = {name: 1.0 for name in wrt}
    for over in ("forward", "reverse"):
        measured = dk.hvp(graph, at=at, vector=vector, over=over).cost.work_operations
        assert 0.5 <= _counted(estimate.hvp_work(graph.plan, bound, wrt, over)) / measured <= 2
    measured = dk.hvp(graph, at=at, vector=vector, method="numeric").cost.work_operations
    predicted = (estimate.reverse_jacobian_work(graph.plan, bound, wrt, graph.plan.outputs[:1]) * 4
                 + estimate.sweep_work(graph.plan, (), 0, estimate.elements_of(graph.plan, bound)))
    assert 0.5 <= _counted(predicted) / measured <= 2


@pytest.mark.parametrize(("method", "options"), [("reverse", {}), ("reverse", {"over": "reverse"}),
                                                 ("forward", {}), ("numeric", {})])
def test_too_much_work_is_refused_before_it_starts(method, options, monkeypatch):
    monkeypatch.setattr(dk.limits, "work_operations", 1e5)
    x = np.linspace(0.1, 1.0, 100_000)
    with pytest.raises(dk.ResourceError, match="work_operations"):
        dk.hvp("sin(x)*exp(y)", at={"x": x, "y": 0.5}, vector={"x": 1.0}, method=method, **options)
