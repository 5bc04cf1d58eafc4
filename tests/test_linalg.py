"""Linear algebra (np.trace, np.dot, np.outer, np.einsum, np.linalg.inv/det/slogdet/solve/cholesky on traced
values): values are NumPy's, gradients, Jacobians and Hessians agree four ways and with the closed forms, with
finite differences on random well-conditioned matrices and with torch; bad shapes are refused by name, and
singular matrices follow the documented inf/nan convention."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import diffkit as dk
from diffkit.errors import BindingError, ConversionError, DomainError, DomainWarning

EXACT = 1e-12
NUMERIC = 1e-7
rng = np.random.default_rng(15)
A = rng.normal(size=(3, 3)) + 3 * np.eye(3)  # well conditioned, det > 0
N = rng.normal(size=(3, 3)) - 3 * np.eye(3)  # det < 0
SPD = A @ A.T
b = rng.normal(size=3)
B = rng.normal(size=(3, 2))
C = rng.normal(size=(2, 3))
SINGULAR = np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 1.0]])


def weighted(f, shape_out):
    """Σ sin(f(...))·R: a scalar with a non-trivial cotangent for every entry of f's result."""
    R = rng.normal(size=shape_out)
    return lambda *args: dk.sum(dk.sin(f(*args)) * R)


# (name, traced function, point, NumPy twin of the function's inside): each applies one linear-algebra primitive
CASES = [
    ("trace", weighted(lambda a: np.trace(a) * a, (3, 3)), {"a": A}),
    ("trace method", lambda a: a.trace() ** 2, {"a": A}),
    ("dot matrices", weighted(lambda a, c: np.dot(a, c.T), (3, 2)), {"a": A, "c": C}),
    ("dot vector", weighted(lambda a, v: a.dot(v), (3,)), {"a": A, "v": b}),
    ("dot vectors", lambda u, v: dk.sin(np.dot(u, v)), {"u": b, "v": B[:, 0]}),
    ("outer", weighted(lambda u, v: np.outer(u, v), (3, 2)), {"u": b, "v": C[:, 0]}),
    ("inv", weighted(lambda a: np.linalg.inv(a), (3, 3)), {"a": A}),
    ("det", lambda a: np.linalg.det(a), {"a": A}),
    ("det negative", lambda a: dk.sin(np.linalg.det(a)), {"a": N}),
    ("logabsdet", lambda a: np.linalg.slogdet(a)[1], {"a": N}),
    ("slogdet product", lambda a: np.linalg.slogdet(a).sign * dk.exp(np.linalg.slogdet(a).logabsdet), {"a": N}),
    ("solve vector", weighted(lambda a, v: np.linalg.solve(a, v), (3,)), {"a": A, "v": b}),
    ("solve matrix", weighted(lambda a, m: np.linalg.solve(a, m), (3, 2)), {"a": A, "m": B}),
    ("cholesky", weighted(lambda a: np.linalg.cholesky(a), (3, 3)), {"a": SPD}),
]
IDS = [c[0] for c in CASES]
ANALYTIC = [c for c in CASES if "slogdet" not in c[0]]  # det_sign has a jump: the complex step refuses it


@pytest.mark.parametrize("name, f, point", CASES, ids=IDS)
def test_gradients_agree_four_ways(name, f, point):
    g = dk.trace(f, list(point))
    assert g.is_tensor
    results = {m: dk.gradient(g, at=point, method=m) for m in dk.METHODS}
    reference = results["reverse"].gradient
    for method, r in results.items():
        assert r.value == pytest.approx(results["reverse"].value, rel=1e-12), method
        tolerance = NUMERIC if method == "numeric" else EXACT
        for k in point:
            assert dk.discrepancy(r.gradient[k], reference[k]) <= tolerance, (method, k)
    batched = dk.gradient(g, at=point, method="forward", batch=True).gradient
    emitted = dk.gradient_graph(g).evaluate(point)  # reverse mode written as a graph
    emitted = emitted if isinstance(emitted, tuple) else (emitted,)
    for k, e in zip(g.variables, emitted, strict=True):
        assert dk.discrepancy(batched[k], reference[k]) <= EXACT, k
        assert dk.discrepancy(np.broadcast_to(e, point[k].shape), reference[k]) <= EXACT, k


@pytest.mark.parametrize("name, f, point", ANALYTIC, ids=[c[0] for c in ANALYTIC])
def test_the_complex_step_goes_through(name, f, point):
    g = dk.trace(f, list(point))
    reference = dk.gradient(g, at=point).gradient
    complex_step = dk.gradient(g, at=point, method="numeric", scheme="complex").gradient
    for k in point:
        assert dk.discrepancy(complex_step[k], reference[k]) <= EXACT, k


def test_values_are_numpys():
    at = {"a": A, "v": b, "m": B}
    g = dk.trace(lambda a, v, m: (np.trace(a), np.dot(a, v), np.outer(v, v), np.linalg.inv(a), np.linalg.det(a),
                                  np.linalg.solve(a, v), np.linalg.solve(a, m), np.linalg.cholesky(a @ a.T)))
    expected = (np.trace(A), A @ b, np.outer(b, b), np.linalg.inv(A), np.linalg.det(A), np.linalg.solve(A, b),
                np.linalg.solve(A, B), np.linalg.cholesky(A @ A.T))
    for value, want in zip(g.evaluate(at), expected, strict=True):
        assert np.shape(value) == np.shape(want)
        np.testing.assert_allclose(value, want, rtol=1e-14, atol=1e-14)
    sign, logabsdet = dk.trace(lambda a: np.linalg.slogdet(a)).evaluate({"a": N})
    assert (sign, logabsdet) == pytest.approx(tuple(np.linalg.slogdet(N)), rel=1e-14)
    assert sign == -1.0


def test_gradients_are_the_closed_forms():
    inverse_t = np.linalg.inv(A).T
    det = dk.gradient(dk.trace(lambda a: np.linalg.det(a)), at={"a": A})
    assert dk.discrepancy(det.gradient["a"], np.linalg.det(A) * inverse_t) <= EXACT
    logdet = dk.gradient(dk.trace(lambda a: np.linalg.slogdet(a)[1]), at={"a": N}).gradient["a"]
    assert dk.discrepancy(logdet, np.linalg.inv(N).T) <= EXACT
    trace = dk.gradient(dk.trace(lambda a: np.trace(a)), at={"a": A}).gradient["a"]
    assert np.array_equal(trace, np.eye(3))
    # Σ inv(A): VJP −A⁻ᵀ·1·A⁻ᵀ
    inv = dk.gradient(dk.trace(lambda a: dk.sum(np.linalg.inv(a))), at={"a": A}).gradient["a"]
    assert dk.discrepancy(inv, -inverse_t @ np.ones((3, 3)) @ inverse_t) <= EXACT
    # wᵀ solve(A, b): ḡb = A⁻ᵀw, ḡA = −ḡb·xᵀ
    w = rng.normal(size=3)
    solved = dk.gradient(dk.trace(lambda a, v: dk.sum(np.linalg.solve(a, v) * w)), at={"a": A, "v": b}).gradient
    gb = np.linalg.solve(A.T, w)
    assert dk.discrepancy(solved["v"], gb) <= EXACT
    assert dk.discrepancy(solved["a"], -np.outer(gb, np.linalg.solve(A, b))) <= EXACT


@pytest.mark.parametrize("name, f, point", [CASES[6], CASES[7], CASES[9], CASES[11], CASES[13]],
                         ids=["inv", "det", "logabsdet", "solve", "cholesky"])
def test_jvp_four_ways(name, f, point):
    g = dk.trace(f, list(point))
    tangents = {k: rng.normal(size=v.shape) for k, v in point.items()}
    results = {m: dk.jvp(g, at=point, tangents=tangents, method=m).derivative for m in dk.METHODS}
    for method, jv in results.items():
        tolerance = NUMERIC if method == "numeric" else EXACT
        assert dk.discrepancy(jv, results["reverse"]) <= tolerance, method


# Second order: reverse mode's Hessian differentiates its own gradient graph (reverse over reverse).
SECOND = [("inv", CASES[6][1], {"a": A}), ("det", CASES[7][1], {"a": A}), ("logabsdet", CASES[9][1], {"a": N}),
          ("solve", CASES[11][1], {"a": A, "v": b}), ("cholesky", CASES[13][1], {"a": SPD}),
          ("trace", CASES[0][1], {"a": A})]


@pytest.mark.parametrize("name, f, point", SECOND, ids=[c[0] for c in SECOND])
def test_hessians_agree_four_ways_and_over_reverse(name, f, point):
    g = dk.trace(f, list(point))
    hessians = {m: dk.hessian(g, at=point, method=m).hessian for m in dk.METHODS}
    reference = hessians["reverse"]
    assert np.allclose(reference, reference.T, rtol=0, atol=1e-12)
    for method, h in hessians.items():
        tolerance = 1e-5 if method == "numeric" else 1e-11
        assert dk.discrepancy(h, reference) <= tolerance, method
    v = {k: rng.normal(size=x.shape) for k, x in point.items()}
    hv = dk.hvp(g, at=point, vector=v, method="reverse", over="reverse").hvp
    flat = np.concatenate([v[k].ravel() for k in g.variables])
    product = np.concatenate([hv[k].ravel() for k in g.variables])
    assert dk.discrepancy(product, reference @ flat) <= 1e-11


def test_det_hessian_is_the_closed_form():
    # ∂²det/∂A_ij∂A_kl = det·(X_ji X_lk − X_li X_jk), X = A⁻¹
    X, d = np.linalg.inv(A), np.linalg.det(A)
    expected = d * (np.einsum("ji,lk->ijkl", X, X) - np.einsum("li,jk->ijkl", X, X)).reshape(9, 9)
    h = dk.hessian(dk.trace(lambda a: np.linalg.det(a)), at={"a": A}).hessian
    assert dk.discrepancy(h, expected) <= 1e-12


# --- Finite differences on random well-conditioned matrices ---------------------------------------------------

# name -> (diffkit function of a matrix, its NumPy twin, how the point is made from a random matrix R)
TWINS = {
    "inv": (lambda a: np.linalg.inv(a), np.linalg.inv, lambda r, n: r + 2 * n * np.eye(n)),
    "det": (lambda a: np.linalg.det(a), np.linalg.det, lambda r, n: r + 2 * n * np.eye(n)),
    "logabsdet": (lambda a: np.linalg.slogdet(a)[1], lambda a: np.linalg.slogdet(a)[1],
                  lambda r, n: r - 2 * n * np.eye(n)),
    "solve": (lambda a: np.linalg.solve(a, a[:, 0] + 1.0), lambda a: np.linalg.solve(a, a[:, 0] + 1.0),
              lambda r, n: r + 2 * n * np.eye(n)),
    "cholesky": (lambda a: np.linalg.cholesky(a), lambda a: np.linalg.cholesky((a + a.T) / 2),
                 lambda r, n: r @ r.T + n * np.eye(n)),
    "trace": (lambda a: np.trace(a @ a), lambda a: np.trace(a @ a), lambda r, n: r),
}


def central_differences(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[index] = h
        grad[index] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


@settings(max_examples=60, deadline=None, derandomize=True)
@given(name=st.sampled_from(sorted(TWINS)), n=st.integers(1, 4), data=st.data())
def test_reverse_gradients_match_finite_differences(name, n, data):
    traced, twin, make = TWINS[name]
    r = data.draw(hnp.arrays(np.float64, (n, n), elements=st.floats(-1, 1)), label="R")
    a = make(r, n)
    out_shape = np.shape(twin(a))
    weights = data.draw(hnp.arrays(np.float64, out_shape, elements=st.floats(-1, 1)), label="weights")
    g = dk.trace(lambda a: dk.sum(traced(a) * weights))
    grad = dk.gradient(g, at={"a": a}).gradient["a"]
    expected = central_differences(lambda x: float(np.sum(twin(x) * weights)), a)
    scale = max(1.0, float(np.max(np.abs(expected))))
    assert np.max(np.abs(grad - expected)) <= 1e-7 * scale


# --- torch --------------------------------------------------------------------------------------------------


def test_gradients_match_torch():
    torch = pytest.importorskip("torch")
    tt = lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True)  # noqa: E731
    R = rng.normal(size=(3, 3))
    pairs = [  # (diffkit function, torch function, point)
        (lambda a: dk.sum(dk.sin(np.linalg.inv(a)) * R), lambda a: (torch.sin(torch.linalg.inv(a)) * R_t).sum(), A),
        (lambda a: np.linalg.det(a) ** 2, lambda a: torch.linalg.det(a) ** 2, N),
        (lambda a: np.linalg.slogdet(a)[1], lambda a: torch.linalg.slogdet(a)[1], N),
        (lambda a: dk.sum(dk.sin(np.linalg.solve(a, B)) * R[:, :2]),
         lambda a: (torch.sin(torch.linalg.solve(a, B_t)) * R_t[:, :2]).sum(), A),
        (lambda a: dk.sum(dk.sin(np.linalg.cholesky(a)) * R),
         lambda a: (torch.sin(torch.linalg.cholesky(a)) * R_t).sum(), SPD),
        (lambda a: np.trace(a @ a @ R), lambda a: torch.trace(a @ a @ R_t), A),
        (lambda a: dk.sum(dk.sin(np.outer(a[0], a[1])) * R), lambda a: (torch.sin(torch.outer(a[0], a[1])) * R_t).sum(),
         A),
        (lambda a: dk.sum(dk.sin(np.dot(a, a[:, 1]))), lambda a: torch.sin(a @ a[:, 1]).sum(), A),
    ]
    R_t, B_t = torch.tensor(R), torch.tensor(B)
    for ours, theirs, point in pairs:
        grad = dk.gradient(dk.trace(ours), at={"a": point}).gradient["a"]
        a = tt(point)
        theirs(a).backward()
        assert dk.discrepancy(grad, a.grad.numpy()) <= 1e-12


# --- Conventions ---------------------------------------------------------------------------------------------


def test_slogdet_sign_has_no_derivative():
    g = dk.trace(lambda a: np.linalg.slogdet(a).sign * np.linalg.det(a))  # sign·det = |det|
    grad = dk.gradient(g, at={"a": N}).gradient["a"]
    assert dk.discrepancy(grad, -np.linalg.det(N) * np.linalg.inv(N).T) <= EXACT
    assert dk.trace(lambda a: np.linalg.slogdet(a)).expression().startswith("det_sign(a)")
    sign, logabsdet = dk.slogdet(np.diag([2.0, -3.0]))  # on arrays: NumPy's pair
    assert (sign, logabsdet) == (-1.0, pytest.approx(np.log(6.0)))


def test_cholesky_reads_the_symmetric_part():
    lopsided = SPD + np.triu(rng.normal(size=(3, 3)), 1)  # the upper triangle changed: not symmetric
    g = dk.trace(lambda a: np.linalg.cholesky(a))
    np.testing.assert_allclose(g.evaluate({"a": lopsided}), np.linalg.cholesky((lopsided + lopsided.T) / 2),
                               rtol=1e-14)
    np.testing.assert_array_equal(g.evaluate({"a": SPD}), np.linalg.cholesky(SPD))
    grad = dk.gradient(dk.trace(lambda a: dk.sum(np.linalg.cholesky(a))), at={"a": SPD}).gradient["a"]
    assert np.allclose(grad, grad.T, rtol=0, atol=1e-15)  # the VJP is symmetrized


def test_singular_matrices_give_inf_and_a_domain_report():
    inv = dk.trace(lambda a: dk.sum(np.linalg.inv(a)))
    with pytest.raises(DomainError, match="inv: division by zero"):
        dk.gradient(inv, at={"a": SINGULAR}, errors="raise")
    with pytest.warns(DomainWarning, match="inv: division by zero"):
        assert inv.evaluate({"a": SINGULAR}) == np.inf
    solve = dk.trace(lambda a, v: dk.sum(np.linalg.solve(a, v)))
    with pytest.raises(DomainError, match="solve: division by zero"):
        dk.gradient(solve, at={"a": SINGULAR, "v": b}, errors="raise")
    logdet = dk.trace(lambda a: np.linalg.slogdet(a)[1])
    with pytest.warns(DomainWarning, match="logabsdet: division by zero"):
        assert logdet.evaluate({"a": SINGULAR}) == -np.inf


def test_det_of_a_singular_matrix_is_zero_and_its_ad_gradient_nan_reported():
    det = dk.trace(lambda a: np.linalg.det(a))
    for method in ("forward", "reverse"):
        with pytest.warns(DomainWarning, match="det': division by zero"):
            r = dk.gradient(det, at={"a": SINGULAR}, method=method)
        assert r.value == 0.0 and np.all(np.isnan(r.gradient["a"]))
    adjugate_t = np.array([[4.0, -2.0, 0.0], [-2.0, 1.0, 0.0], [0.0, 0.0, 0.0]])  # the true gradient
    assert dk.discrepancy(dk.gradient(det, at={"a": SINGULAR}, method="symbolic").gradient["a"], adjugate_t) <= EXACT


def test_cholesky_of_an_indefinite_matrix_is_nan_reported():
    g = dk.trace(lambda a: dk.sum(np.linalg.cholesky(a)))
    with pytest.raises(DomainError, match="cholesky: outside its domain"):
        dk.gradient(g, at={"a": -np.eye(3)}, errors="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DomainWarning)
        assert np.isnan(g.evaluate({"a": -np.eye(3)}))


@pytest.mark.parametrize("f, at, message", [
    (lambda a: np.linalg.inv(a), {"a": np.ones((3, 4))}, r"inv needs a square matrix, got shape \(3, 4\)"),
    (lambda a: np.linalg.det(a), {"a": np.ones(3)}, r"det needs a square matrix \(a 2-D array\), got shape \(3,\)"),
    (lambda a: np.linalg.slogdet(a)[1], {"a": np.ones((2, 3, 3))}, "apply it to each matrix of a stack"),
    (lambda a: np.linalg.cholesky(a), {"a": np.ones((2, 3))}, "cholesky needs a square matrix"),
    (lambda a, v: np.linalg.solve(a, v), {"a": np.eye(3), "v": np.ones(4)}, "b's 4 rows do not match a's 3"),
    (lambda a, v: np.linalg.solve(a, v), {"a": np.eye(3), "v": np.ones((3, 2, 2))}, "b a vector or a matrix"),
    (lambda a: np.trace(a), {"a": np.ones(3)}, r"matrix_trace \(np.trace\) needs a 2-D array"),
    (lambda a, v: np.dot(a, v), {"a": np.ones((2, 3)), "v": np.ones((2, 3))}, "3 entries against 2"),
    (lambda a, v: np.dot(a, v), {"a": np.ones((2, 2, 2)), "v": np.ones(2)}, "for a number use"),
    (lambda a, v: np.outer(a, v), {"a": np.ones((2, 3)), "v": np.ones(3)}, "outer takes two vectors"),
])
def test_shapes_that_do_not_fit_are_refused_by_name(f, at, message):
    g = dk.trace(f, list(at))
    with pytest.raises(BindingError, match=message):
        g.evaluate(at)
    with pytest.raises(ConversionError, match="cannot combine arguments of shapes"):  # refused while tracing
        dk.trace(f, list(at), shapes={k: v.shape for k, v in at.items()})


def test_np_trace_with_an_offset_is_refused():
    with pytest.raises(ConversionError, match="matrix_trace does not take offset"):
        dk.trace(lambda a: np.trace(a, offset=1))


def test_work_is_the_standard_flop_count():
    n = 4
    a = rng.normal(size=(n, n)) + 2 * n * np.eye(n)
    cost = dk.gradient(dk.trace(lambda a: np.linalg.det(a)), at={"a": a}).cost
    # det: LU 2n³/3 (rounded up) + n; VJP: inv 2n³, g·det (1) and ·A⁻ᵀ (n²); the transpose is free
    assert cost.operations == {"det": 1, "inv": 1, "mul": 2, "transpose": 1}
    assert cost.flops == (43 + n) + 2 * n**3 + 1 + n * n
    solve = dk.gradient(dk.trace(lambda a, m: dk.sum(np.linalg.solve(a, m))), at={"a": a, "m": np.ones((n, 2))})
    assert solve.cost.operations["solve"] == 3  # the value, and A⁻ᵀg once for each argument's cotangent


def test_dk_names_and_the_tracer_stay_apart():
    assert dk.trace(lambda a: np.trace(a)).expression() == "matrix_trace(a)"
    assert dk.matrix_trace(np.eye(3)) == 3.0
    np.testing.assert_allclose(dk.inv(A), np.linalg.inv(A))
    assert dk.det(A) == pytest.approx(np.linalg.det(A))
    np.testing.assert_allclose(dk.solve(A, b), np.linalg.solve(A, b))


# --- einsum ---------------------------------------------------------------------------------------------------

M = rng.normal(size=(3, 4))
K = rng.normal(size=(4, 2))
W = rng.normal(size=(2, 5))
u = rng.normal(size=4)

EINSUMS = [  # (subscripts, the operands by name)
    ("ij,jk->ik", {"x": M, "y": K}),
    ("ij,jk", {"x": M, "y": K}),  # implicit output: ik
    ("ij,jk,kl->il", {"x": M, "y": K, "z": W}),
    ("ij->ji", {"x": M}),
    ("ij->j", {"x": M}),
    ("ij,j->j", {"x": M, "y": u}),  # i summed within the first operand alone: its VJP broadcasts back
    ("i,j->ij", {"x": u, "y": K[:, 0]}),
    ("ij,jk->", {"x": M, "y": K}),
    ("ij,kj->ki", {"x": M, "y": rng.normal(size=(5, 4))}),
]


def einsum_loss(subscripts, names):
    def f(*operands):
        out = np.einsum(subscripts, *operands)
        return dk.sum(dk.sin(out) * 0.5) + dk.sum(out * out)

    return dk.trace(f, names)


@pytest.mark.parametrize("subscripts, point", EINSUMS, ids=[e[0] for e in EINSUMS])
def test_einsum_is_numpys_and_agrees_four_ways(subscripts, point):
    g = einsum_loss(subscripts, list(point))
    out = np.einsum(subscripts, *point.values())
    assert g.evaluate(point) == pytest.approx(float(np.sum(np.sin(out) * 0.5) + np.sum(out * out)), rel=1e-13)
    results = {m: dk.gradient(g, at=point, method=m).gradient for m in dk.METHODS}
    results["batched"] = dk.gradient(g, at=point, method="forward", batch=True).gradient
    results["complex"] = dk.gradient(g, at=point, method="numeric", scheme="complex").gradient
    for method, grad in results.items():
        tolerance = NUMERIC if method == "numeric" else EXACT
        for k in point:
            assert dk.discrepancy(grad[k], results["reverse"][k]) <= tolerance, (method, k)


@pytest.mark.parametrize("subscripts, point", EINSUMS[2:6], ids=[e[0] for e in EINSUMS[2:6]])
def test_einsum_hessians_over_reverse_match_forward(subscripts, point):
    g = einsum_loss(subscripts, list(point))
    assert dk.discrepancy(dk.hessian(g, at=point).hessian, dk.hessian(g, at=point, method="forward").hessian) <= 1e-12


def test_einsum_records_binary_nodes_and_counts_each_term():
    g = dk.trace(lambda x, y, z: np.einsum("ij,jk,kl->il", x, y, z))
    assert g.expression() == "einsum(einsum(x, y, subscripts=ij,jk->ik), z, subscripts=ik,kl->il)"
    assert str(dk.trace(lambda x: np.einsum("ij->ji", x))) == "einsum(x, 1, subscripts=ij,->ji)"
    cost = dk.gradient(dk.trace(lambda x, y: dk.sum(np.einsum("ij,jk->ik", x, y))), at={"x": M, "y": K}).cost
    # three contractions of 3·4·2 terms (the value and one cotangent each), 2 flops a term; sum 6, broadcast free
    assert cost.operations["einsum"] == 3 and cost.flops == 3 * 2 * 24 + 6


@settings(max_examples=40, deadline=None, derandomize=True)
@given(sizes=st.lists(st.integers(1, 4), min_size=3, max_size=3),
       subscripts=st.sampled_from(["ij,jk->ik", "ij,jk->ki", "ij,jk->", "ij,jk->j", "ij,jk->ijk", "ij,ik->jk"]),
       data=st.data())
def test_einsum_gradients_match_finite_differences(sizes, subscripts, data):
    letters = dict(zip("ijk", sizes, strict=True))
    shapes = [tuple(letters[c] for c in part) for part in subscripts.split("->")[0].split(",")]
    x, y = (data.draw(hnp.arrays(np.float64, s, elements=st.floats(-2, 2)), label=f"operand {n}")
            for n, s in enumerate(shapes))
    g = einsum_loss(subscripts, ["x", "y"])
    grad = dk.gradient(g, at={"x": x, "y": y}).gradient

    def loss(x, y):
        out = np.einsum(subscripts, x, y)
        return float(np.sum(np.sin(out) * 0.5) + np.sum(out * out))

    expected_x = central_differences(lambda t: loss(t, y), x)
    expected_y = central_differences(lambda t: loss(x, t), y)
    for ours, theirs in ((grad["x"], expected_x), (grad["y"], expected_y)):
        assert np.max(np.abs(ours - theirs), initial=0.0) <= 1e-6 * max(1.0, float(np.max(np.abs(theirs),
                                                                                           initial=0.0)))


def test_einsum_matches_torch():
    torch = pytest.importorskip("torch")
    for subscripts, point in EINSUMS:
        g = einsum_loss(subscripts, list(point))
        grad = dk.gradient(g, at=point).gradient
        tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point.values()]
        out = torch.einsum(subscripts, *tensors)
        (torch.sum(torch.sin(out) * 0.5) + torch.sum(out * out)).backward()
        for k, t in zip(point, tensors, strict=True):
            assert dk.discrepancy(grad[k], t.grad.numpy()) <= 1e-12, (subscripts, k)


@pytest.mark.parametrize("subscripts, operands, message", [
    ("ii->i", 1, "repeats the index i \\(a diagonal\\)"),
    ("ij,jk", 1, "name 2 operand\\(s\\), but 1 were given"),
    ("...ij,jk", 2, "ellipsis"),
    ("ij,jk->iq", 2, "must name distinct indices of the operands"),
    ("i1", 1, "must be letters, commas and one '->'"),
])
def test_einsum_subscripts_that_cannot_work_are_refused_while_tracing(subscripts, operands, message):
    with pytest.raises(ConversionError, match=message):
        dk.trace(lambda *x: np.einsum(subscripts, *x), [f"x{i}" for i in range(operands)])


def test_einsum_lengths_that_differ_are_refused_at_evaluation():
    g = dk.trace(lambda x, y: np.einsum("ij,jk->ik", x, y))
    with pytest.raises(BindingError, match="einsum's index j has lengths 4 and 3"):
        g.evaluate({"x": M, "y": M})
