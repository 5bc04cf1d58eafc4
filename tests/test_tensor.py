"""Tensor primitives (matmul, sums, softmax, ...): every method agrees on their gradients, Jacobians and
Hessians, costs count real shapes, and bad shapes get clear errors."""

import numpy as np
import pytest

import diffkit as dk
from diffkit.errors import BindingError, ConversionError, MethodError, SwellError

EXACT = 1e-12
NUMERIC = 1e-7
rng = np.random.default_rng(7)


def weighted(f, shape_out):
    """A scalar function of f's result with a non-trivial cotangent: Σ sin(f(...)) · R."""
    R = rng.normal(size=shape_out)
    return lambda *args: dk.sum(dk.sin(f(*args)) * R)


A = rng.normal(size=(3, 4))
B = rng.normal(size=(4, 2))
V = rng.normal(size=(4,))

# (name, function, point): each function applies one tensor primitive (inside a weighted sum)
CASES = [
    ("matmul", weighted(lambda a, b: a @ b, (3, 2)), {"a": A, "b": B}),
    ("transpose", weighted(lambda a: a.T, (4, 3)), {"a": A}),
    ("reshape", weighted(lambda a: dk.reshape(a, shape=(2, 6)), (2, 6)), {"a": A}),
    ("sum all", weighted(lambda a: dk.sum(a), ()), {"a": A}),
    ("sum axis 0", weighted(lambda a: dk.sum(a, axis=0), (4,)), {"a": A}),
    ("sum axis 1", weighted(lambda a: dk.sum(a, axis=1), (3,)), {"a": A}),
    ("sum axes (0, 1)", weighted(lambda a: dk.sum(a, axis=(0, 1)), ()), {"a": A}),
    ("mean all", weighted(lambda a: dk.mean(a), ()), {"a": A}),
    ("mean axis 1", weighted(lambda a: dk.mean(a, axis=1), (3,)), {"a": A}),
    ("mean axis -2", weighted(lambda a: dk.mean(a, axis=-2), (4,)), {"a": A}),
    ("logsumexp axis 1", weighted(lambda a: dk.logsumexp(a, axis=1), (3,)), {"a": A}),
    ("logsumexp axis 0", weighted(lambda a: dk.logsumexp(a, axis=0), (4,)), {"a": A}),
    ("softmax axis 1", weighted(lambda a: dk.softmax(a, axis=1), (3, 4)), {"a": A}),
    ("softmax axis 0", weighted(lambda a: dk.softmax(a, axis=0), (3, 4)), {"a": A}),
    ("log_softmax axis 1", weighted(lambda a: dk.log_softmax(a, axis=1), (3, 4)), {"a": A}),
    ("log_softmax axis 0", weighted(lambda a: dk.log_softmax(a, axis=0), (3, 4)), {"a": A}),
    ("bias broadcast", weighted(lambda a, v: a + v, (3, 4)), {"a": A, "v": V}),
    ("row scale", weighted(lambda a, v: a * v * v, (3, 4)), {"a": A, "v": V}),
    ("scalar times matrix", weighted(lambda a, s: s * (a @ B), (3, 2)), {"a": A, "s": 0.7}),
    ("layer", lambda X, W, b: dk.mean(dk.tanh(X @ W + b) ** 2), {"X": A, "W": B, "b": rng.normal(size=2)}),
]


def graph_of(f, point):
    return dk.trace(f, list(point))


@pytest.mark.parametrize("name, f, point", CASES, ids=[c[0] for c in CASES])
def test_gradients_agree_across_methods(name, f, point):
    g = graph_of(f, point)
    assert g.is_tensor
    results = {m: dk.gradient(g, at=point, method=m) for m in dk.METHODS}
    reference = results["reverse"].gradient
    for method, r in results.items():
        tolerance = NUMERIC if method == "numeric" else EXACT
        assert r.value == pytest.approx(results["reverse"].value, rel=1e-12)
        for var in point:
            assert np.shape(r.gradient[var]) == np.shape(point[var])
            d = dk.discrepancy(r.gradient[var], reference[var])
            assert d <= tolerance, f"{name}: {method} vs reverse for {var}: {d:.2e}"
    batched = dk.gradient(g, at=point, method="forward", batch=True).gradient
    complex_step = dk.gradient(g, at=point, method="numeric", scheme="complex").gradient
    for var in point:
        assert dk.discrepancy(batched[var], reference[var]) <= EXACT
        assert dk.discrepancy(complex_step[var], reference[var]) <= EXACT


@pytest.mark.parametrize("name, f, point", CASES[::4], ids=[c[0] for c in CASES[::4]])
def test_gradient_graph_evaluates_to_the_gradient(name, f, point):
    g = graph_of(f, point)
    grad_graph = dk.gradient_graph(g)
    values = grad_graph.evaluate(point)
    values = values if isinstance(values, tuple) else (values,)
    reference = dk.gradient(g, at=point).gradient
    for var, value in zip(g.variables, values, strict=True):
        assert dk.discrepancy(np.broadcast_to(value, np.shape(point[var])), reference[var]) <= EXACT


def test_hessians_agree_across_methods():
    point = {"X": A[:, :3], "W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    f = lambda X, W, b: -dk.mean(dk.log_softmax(dk.tanh(X @ W + b), axis=1) * np.eye(2)[[0, 1, 1]])  # noqa: E731
    g = graph_of(f, point)
    hessians = {m: dk.hessian(g, at=point, wrt=["W", "b"], method=m).hessian for m in dk.METHODS}
    n = 6 + 2
    for method, h in hessians.items():
        assert h.shape == (n, n)
        assert np.allclose(h, h.T, atol=1e-12)
        tolerance = 1e-6 if method == "numeric" else EXACT
        assert dk.discrepancy(h, hessians["reverse"]) <= tolerance, method


def test_forward_hessian_when_a_broadcast_tangent_meets_a_reduction():
    """Regression: b's tangent has b's shape (1,) until something broadcasts it; a sum over axis 1 of a tangent
    that was never broadcast to (20, 1) gave a 0-d tangent and the mean failed. Tensor rules now receive every
    tangent in its argument's full shape."""
    rng_local = np.random.default_rng(3)
    point = {"X": rng_local.normal(size=(20, 2)), "W": rng_local.normal(size=(2, 1)), "b": np.array([0.3]),
             "Y": rng_local.normal(size=(20, 1))}
    g = dk.trace(lambda X, W, b, Y: dk.mean(dk.sum(2 * (X @ W + b - Y), axis=1) ** 2))
    hessians = {m: dk.hessian(g, at=point, wrt=["W", "b"], method=m).hessian for m in dk.METHODS}
    for method, h in hessians.items():
        tolerance = 1e-6 if method == "numeric" else EXACT
        assert dk.discrepancy(h, hessians["reverse"]) <= tolerance, method


def test_jacobian_blocks_have_output_then_variable_shape():
    point = {"a": A, "b": B}
    g = dk.trace(lambda a, b: dk.tanh(a @ b))
    blocks = {m: dk.jacobian(g, at=point, method=m).jacobian for m in ("reverse", "forward", "numeric")}
    assert blocks["reverse"]["a"].shape == (3, 2, 3, 4)
    assert blocks["reverse"]["b"].shape == (3, 2, 4, 2)
    # ∂tanh(ab)_ij/∂b_kl = (1 - tanh²)_ij a_ik δ_jl
    t = np.tanh(A @ B)
    expected = np.einsum("ij,ik,jl->ijkl", 1 - t**2, A, np.eye(2))
    for method, jac in blocks.items():
        tolerance = NUMERIC if method == "numeric" else EXACT
        assert dk.discrepancy(jac["b"], expected) <= tolerance, method


def test_jvp_and_vjp_on_tensors():
    point = {"a": A, "b": B}
    g = dk.trace(lambda a, b: dk.softmax(a @ b, axis=1))
    u = rng.normal(size=(3, 2))
    ta = rng.normal(size=(3, 4))
    blocks = dk.jacobian(g, at=point).jacobian
    expected_jvp = np.tensordot(blocks["a"], ta, axes=2)
    expected_vjp = np.tensordot(u, blocks["b"], axes=2)
    for method in dk.METHODS:
        tolerance = NUMERIC if method == "numeric" else EXACT
        jv = dk.jvp(g, at=point, tangents={"a": ta}, method=method).derivative
        assert dk.discrepancy(jv, expected_jvp) <= tolerance, method
        vj = dk.vjp(g, at=point, cotangents=[u], method=method).derivative
        assert dk.discrepancy(vj["b"], expected_vjp) <= tolerance, method


def test_logits_of_a_thousand_stay_finite():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -999.0, 1000.0]])
    log_p = dk.trace(lambda z: dk.log_softmax(z, axis=1)).evaluate({"z": z})
    assert np.all(np.isfinite(log_p)) and log_p[0, 1] == -2000.0 and log_p[1, 2] == 0.0
    lse = dk.trace(lambda z: dk.sum(dk.logsumexp(z, axis=1)))
    assert lse.evaluate({"z": z}) == pytest.approx(1000.0 + 1000.0, rel=1e-15)
    grad = dk.gradient(lse, at={"z": z}).gradient["z"]
    assert np.allclose(grad, [[1, 0, 0], [0, 0, 1]])


def test_reverse_costs_count_matmul_as_2mnk_and_one_sweep_each_way():
    X, W = rng.normal(size=(64, 100)), rng.normal(size=(100, 10))
    g = dk.trace(lambda X, W: dk.sum(X @ W))
    cost = dk.gradient(g, at={"X": X, "W": W}, wrt=["W"]).cost
    assert cost.forward_sweeps == 1 and cost.backward_sweeps == 1
    assert cost.operations["matmul"] == 2  # forward XW, backward Xᵀ·ḡ (X is not differentiated: no ḡ·Wᵀ)
    # XW: 2·64·100·10, Xᵀḡ: 2·100·64·10; sum: 640 elements; broadcasting ḡ back is free
    assert cost.flops == 2 * (2 * 64 * 100 * 10) + 640
    forward = dk.gradient(g, at={"X": X, "W": W}, wrt=["W"], method="forward").cost
    assert forward.forward_sweeps == W.size


def test_data_fixed_in_a_graph_is_a_copy_and_not_a_variable():
    X = rng.normal(size=(5, 3))
    original = X.copy()
    g = dk.trace(lambda X, W: dk.sum((X @ W) ** 2)).with_data(X=X)
    assert g.variables == ("W",)
    X[0, 0] = 99.0  # the user changes their array afterwards: the graph keeps what it was given
    W = rng.normal(size=(3, 2))
    assert g.evaluate({"W": W}) == pytest.approx(np.sum((original @ W) ** 2))
    with pytest.raises(ValueError):
        g.data["X"][0, 0] = 1.0  # read-only
    for method in dk.METHODS:
        grad = dk.gradient(g, at={"W": W}, method=method).gradient["W"]
        assert dk.discrepancy(grad, 2 * original.T @ (original @ W)) <= NUMERIC


# --- errors ---------------------------------------------------------------------------------------------------


def test_matmul_shape_mismatch_names_the_node_and_shapes():
    g = dk.trace(lambda a, b: dk.sum(a @ b))
    with pytest.raises(BindingError, match=r"matmul at node v0.*4 columns.*3 rows"):
        g.evaluate({"a": A, "b": rng.normal(size=(3, 2))})
    # a stack of matrices is NumPy's batched matmul (tests/test_batched_matmul.py); with a vector it is refused
    refusal = r"matmul of a vector with a stack of matrices \(\(2, 3, 4\) @ \(4,\)\)"
    with pytest.raises(BindingError, match=refusal):
        dk.gradient(g, at={"a": rng.normal(size=(2, 3, 4)), "b": V}, method="forward")
    with pytest.raises(BindingError, match=r"left vector's 4 entries do not match the right vector's 3"):
        g.evaluate({"a": V, "b": np.ones(3)})


MATMUL_OPERANDS = {  # every pairing of vectors and matrices, both operands variables
    "matrix @ matrix": (A, B),
    "vector @ matrix": (V, B),
    "matrix @ vector": (A, V),
    "vector @ vector": (V, rng.normal(size=4)),
}


@pytest.mark.parametrize("case", MATMUL_OPERANDS)
@pytest.mark.parametrize("method", dk.METHODS)
def test_matmul_of_vectors_and_matrices_agrees_with_the_textbook_gradient(case, method):
    """NumPy's 1-D rules: ∂⟨c, a @ b⟩ is an outer product where an operand is a vector."""
    a, b = MATMUL_OPERANDS[case]
    g = dk.trace(lambda a, b: dk.sum(dk.sin(a @ b)))
    weight = np.cos(a @ b)  # the cotangent of a @ b
    grad = dk.gradient(g, at={"a": a, "b": b}, method=method).gradient
    expected_a = np.outer(weight, b) if b.ndim == 1 else weight @ b.T
    expected_b = np.outer(a, weight) if a.ndim == 1 else a.T @ weight
    tolerance = NUMERIC if method == "numeric" else 1e-12
    assert dk.discrepancy(grad["a"], expected_a.reshape(a.shape)) <= tolerance
    assert dk.discrepancy(grad["b"], expected_b.reshape(b.shape)) <= tolerance


@pytest.mark.parametrize("case", MATMUL_OPERANDS)
def test_matmul_of_vectors_hessians_agree_four_ways_and_with_torch(case):
    torch = pytest.importorskip("torch")
    a, b = MATMUL_OPERANDS[case]
    g = dk.trace(lambda a, b: dk.sum(dk.sin(a @ b)))
    at = {"a": a, "b": b}
    hessians = {m: dk.hessian(g, at=at, method=m).hessian for m in dk.METHODS}
    grad_graph = dk.gradient_graph(g)  # written without shapes: the companions choose at run time
    for name in ("a", "b"):
        np.testing.assert_allclose(grad_graph.evaluate(at)[list(g.variables).index(name)],
                                   dk.gradient(g, at=at).gradient[name], rtol=1e-13, atol=1e-15)
    # the companions' own rules: batched JVPs (forward, batch=True) and VJPs of the gradient graph agree
    batched = dk.jacobian(grad_graph, at=at, method="forward", batch=True).jacobian
    swept = dk.jacobian(grad_graph, at=at, method="reverse").jacobian
    for i in range(2):
        for name in ("a", "b"):
            np.testing.assert_allclose(batched[i][name], swept[i][name], rtol=1e-13, atol=1e-14)
    ta, tb = (torch.tensor(x, dtype=torch.float64) for x in (a, b))
    theirs = torch.autograd.functional.hessian(lambda x, y: torch.sin(x @ y).sum(), (ta, tb))
    flat = np.block([[theirs[i][j].numpy().reshape(np.size(at[p]), np.size(at[q])) for j, q in enumerate("ab")]
                     for i, p in enumerate("ab")])
    for method, hessian in hessians.items():
        tolerance = 1e-6 if method == "numeric" else 1e-12
        np.testing.assert_allclose(hessian, flat, rtol=tolerance, atol=tolerance, err_msg=method)


def test_broadcast_mismatch_is_a_binding_error_not_a_numpy_traceback():
    g = dk.trace(lambda a, v: dk.sum(a @ B + v))
    with pytest.raises(BindingError, match="add at node .* cannot combine arguments of shapes"):
        dk.gradient(g, at={"a": A, "v": np.ones(3)})


def test_bad_axis_and_parameters():
    with pytest.raises(BindingError, match="axis 2 is out of range"):
        dk.trace(lambda a: dk.sum(a, axis=2)).evaluate({"a": A})
    with pytest.raises(ConversionError, match="axis must be"):
        dk.trace(lambda a: dk.sum(a, axis=1.5))
    with pytest.raises(ConversionError, match="sum\\(\\) does not take dtype="):
        dk.trace(lambda a: dk.sum(a, dtype=np.float32))
    # keepdims= is NumPy's (tests/test_reductions.py); over every axis it needs the shape while tracing
    with pytest.raises(ConversionError, match="keepdims=True over all axes needs"):
        dk.trace(lambda a: dk.sum(a, keepdims=True))


def test_gradient_of_a_non_scalar_tensor_output_is_refused():
    g = dk.trace(lambda a, b: a @ b)
    with pytest.raises(MethodError, match=r"scalar output.*shape \(3, 2\).*dk.sum"):
        dk.gradient(g, at={"a": A, "b": B})
    with pytest.raises(MethodError, match="derivative"):
        dk.derivative(dk.trace(lambda a: dk.sum(a)), at={"a": A})


def test_tangent_of_the_wrong_shape_is_refused():
    g = dk.trace(lambda a, b: dk.sum(a @ b))
    with pytest.raises(BindingError, match=r"tangents for a has shape \(4, 3\); the variable has shape \(3, 4\)"):
        dk.jvp(g, at={"a": A, "b": B}, tangents={"a": A.T})


def test_symbolic_refuses_big_tensor_graphs_before_starting():
    g = dk.trace(lambda X, W: dk.sum(dk.tanh(X @ W)))
    with pytest.raises(SwellError, match="symbolic_variables"):
        dk.gradient(g, at={"X": np.ones((10, 100)), "W": np.ones((100, 10))}, wrt=["W"], method="symbolic")
    with pytest.raises(SwellError, match="symbolic_entries"):
        dk.gradient(g, at={"X": np.ones((400, 100)), "W": np.ones((100, 2))}, wrt=["W"], method="symbolic")


def test_inputs_are_not_modified():
    a, b = A[:2, :3].copy(), B[:3].copy()  # small: the symbolic Hessian is the slow part
    point = {"a": a.copy(), "b": b.copy()}
    g = dk.trace(lambda a, b: dk.sum(dk.softmax(a @ b, axis=1)))
    for method in dk.METHODS:
        dk.gradient(g, at=point, method=method)
        dk.hessian(g, at=point, method=method)
    assert np.array_equal(point["a"], a) and np.array_equal(point["b"], b)


@pytest.mark.parametrize("expr, point", [
    ("log(x1) + x1*x2 - sin(x2)", {"x1": 2.0, "x2": 5.0}),
    ("x*y**3 + exp(x*y) - tanh(y)", {"x": np.array([0.3, 1.2]), "y": np.array([0.5, -0.7])}),
    (lambda X, W, b: dk.mean(dk.tanh(X @ W + b) ** 2), {"X": A[:, :3], "W": B[:3], "b": V[:2]}),
])
def test_forward_over_reverse_equals_reverse_over_reverse(expr, point):
    g = dk.trace(expr, list(point)) if callable(expr) else expr
    both = dk.hessian(g, at=point, method="reverse").hessian
    fwd = dk.hessian(g, at=point, method="reverse", over="forward")
    assert dk.discrepancy(fwd.hessian, both) <= EXACT
    n = sum(np.size(v) for v in point.values()) if callable(expr) else len(point)
    assert fwd.cost.forward_sweeps == n and fwd.cost.backward_sweeps == n  # one of each per direction
    with pytest.raises(MethodError, match=r"unknown over= 'sideways' \(choose one of 'reverse', 'forward'\)"):
        dk.hessian(g, at=point, method="reverse", over="sideways")
