"""Reductions (prod, max, min, var, std, norm, cumsum, cumprod, keepdims): NumPy's values, the same gradient by
every method (zeros in products included, where a rule dividing by the entry would give nan), second
derivatives through the running-product rules, random shapes against finite differences, torch's gradients,
the tie convention and the refusals."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import diffkit as dk
from diffkit.errors import ConversionError, DiffkitError

EXACT = 1e-12
NUMERIC = 1e-7
rng = np.random.default_rng(5)
X = rng.normal(size=(3, 4))
X_ZERO = X.copy()
X_ZERO[1, 2] = 0.0  # a zero in a product: prod/a would be 0/0 there
X_ZEROS = X.copy()
X_ZEROS[0, 1] = X_ZEROS[2, 1] = 0.0  # two zeros in one column: every derivative along it but theirs vanishes

# (name, traced function of x, the same in NumPy): each reduction inside a scalar with non-trivial cotangents
FORMS = [
    ("prod all", lambda x: np.prod(x), lambda x: np.prod(x)),
    ("prod axis 0", lambda x: dk.sum(dk.sin(np.prod(x, axis=0))), lambda x: np.sum(np.sin(np.prod(x, axis=0)))),
    ("prod axes (0, 1)", lambda x: dk.prod(x, axis=(0, 1)), lambda x: np.prod(x, axis=(0, 1))),
    ("prod keepdims", lambda x: dk.sum(dk.sin(x * x.prod(axis=1, keepdims=True))),
     lambda x: np.sum(np.sin(x * x.prod(axis=1, keepdims=True)))),
    ("max axis 1", lambda x: dk.sum(x.max(axis=1) ** 2), lambda x: np.sum(x.max(axis=1) ** 2)),
    ("amax all", lambda x: np.amax(x) * 3, lambda x: np.amax(x) * 3),
    ("min axis 0", lambda x: dk.sum(dk.exp(np.min(x, axis=0))), lambda x: np.sum(np.exp(np.min(x, axis=0)))),
    ("cumsum axis 1", lambda x: dk.sum(dk.sin(np.cumsum(x, axis=1))), lambda x: np.sum(np.sin(np.cumsum(x, axis=1)))),
    ("cumsum flat", lambda x: dk.sum(dk.sin(x.cumsum())), lambda x: np.sum(np.sin(x.cumsum()))),
    ("cumprod axis 0", lambda x: dk.sum(dk.sin(np.cumprod(x, axis=0))),
     lambda x: np.sum(np.sin(np.cumprod(x, axis=0)))),
    ("cumprod axis -1", lambda x: dk.sum(dk.cos(np.cumprod(x, axis=-1))),
     lambda x: np.sum(np.cos(np.cumprod(x, axis=-1)))),
    ("var axis 0", lambda x: dk.sum(dk.sin(np.var(x, axis=0))), lambda x: np.sum(np.sin(np.var(x, axis=0)))),
    ("var ddof 1", lambda x: x.var(ddof=1), lambda x: x.var(ddof=1)),
    ("std axis 1 keepdims", lambda x: dk.sum(x / np.std(x, axis=1, keepdims=True)),
     lambda x: np.sum(x / np.std(x, axis=1, keepdims=True))),
    ("norm", lambda x: np.linalg.norm(x), lambda x: np.linalg.norm(x)),
    ("norm vector 3", lambda x: dk.sum(np.linalg.norm(x, ord=3, axis=1)),
     lambda x: np.sum(np.linalg.norm(x, ord=3, axis=1))),
    ("norm vector inf", lambda x: dk.sum(np.linalg.norm(x, ord=np.inf, axis=0)),
     lambda x: np.sum(np.linalg.norm(x, ord=np.inf, axis=0))),
    ("norm matrix 1", lambda x: np.linalg.norm(x, ord=1), lambda x: np.linalg.norm(x, ord=1)),
    ("norm matrix -inf", lambda x: np.linalg.norm(x, ord=-np.inf), lambda x: np.linalg.norm(x, ord=-np.inf)),
    ("sum keepdims", lambda x: dk.sum(dk.sin(x / np.sum(x, axis=1, keepdims=True))),
     lambda x: np.sum(np.sin(x / np.sum(x, axis=1, keepdims=True)))),
    ("mean keepdims all", lambda x: dk.sum((x - x.mean(keepdims=True)) ** 3),
     lambda x: np.sum((x - x.mean(keepdims=True)) ** 3)),
]
IDS = [name for name, _, _ in FORMS]
SHAPES = {"x": X.shape}


def central_difference(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += h
        down[idx] -= h
        grad[idx] = (f(up) - f(down)) / (2 * h)
    return grad


@pytest.mark.parametrize("name, traced, numpy", FORMS, ids=IDS)
def test_value_is_numpys_and_every_method_agrees(name, traced, numpy):
    g = dk.trace(traced, shapes=SHAPES)
    assert float(g.evaluate({"x": X})) == pytest.approx(numpy(X), rel=1e-12)
    expected = central_difference(numpy, X)  # an oracle outside diffkit
    for method in dk.METHODS:
        r = dk.gradient(g, at={"x": X}, method=method)
        assert dk.discrepancy(r.gradient["x"], expected) <= 1e-6, method
    reverse = dk.gradient(g, at={"x": X}, method="reverse").gradient["x"]
    for method in ("symbolic", "forward"):
        assert dk.discrepancy(dk.gradient(g, at={"x": X}, method=method).gradient["x"], reverse) <= EXACT, method
    batched = dk.gradient(g, at={"x": X}, method="forward", batch=True).gradient["x"]
    assert dk.discrepancy(batched, reverse) <= EXACT
    written = dk.gradient_graph(g).evaluate({"x": X})  # reverse mode written as a graph of the same primitives
    assert dk.discrepancy(np.broadcast_to(written, X.shape), reverse) <= EXACT


@pytest.mark.parametrize("point", [X_ZERO, X_ZEROS], ids=["one zero", "two zeros in a column"])
@pytest.mark.parametrize("name, traced, numpy", [f for f in FORMS if "prod" in f[0]],
                         ids=[f[0] for f in FORMS if "prod" in f[0]])
def test_products_differentiate_exactly_at_zeros(name, traced, numpy, point):
    g = dk.trace(traced, shapes=SHAPES)
    symbolic = dk.gradient(g, at={"x": point}, method="symbolic").gradient["x"]
    assert np.all(np.isfinite(symbolic))
    for method in ("forward", "reverse"):
        r = dk.gradient(g, at={"x": point}, method=method).gradient["x"]
        assert np.all(np.isfinite(r)), method
        assert dk.discrepancy(r, symbolic) <= EXACT, method
    assert dk.discrepancy(central_difference(numpy, point), symbolic) <= 1e-6


SECOND = ["prod axis 0", "prod axes (0, 1)", "cumprod axis 0", "cumsum axis 1", "max axis 1", "var axis 0",
          "norm vector 3"]


@pytest.mark.parametrize("name", SECOND)
def test_hessians_agree_four_ways(name):
    traced = dict((n, t) for n, t, _ in FORMS)[name]
    g = dk.trace(traced, shapes=SHAPES)
    at = {"x": X_ZERO if "prod" in name else X}  # |x|³ and max have kinks a difference step may straddle
    symbolic = np.asarray(dk.hessian(g, at=at, method="symbolic").hessian)
    for method in ("forward", "reverse"):
        assert dk.discrepancy(np.asarray(dk.hessian(g, at=at, method=method).hessian), symbolic) <= 1e-11, method
    assert dk.discrepancy(np.asarray(dk.hessian(g, at=at, method="numeric").hessian), symbolic) <= 1e-5


def test_a_third_derivative_of_a_running_product_is_exact():
    # cumprod's rules are linear scans whose own rules are linear scans: every order closes on the table, so a
    # gradient of a gradient of a gradient (reverse over reverse over reverse) is exact at a zero
    def f(x):
        return dk.sum(np.cumprod(x) ** 2)

    x, u = np.array([0.5, 0.0, -1.5]), np.array([0.3, -1.2, 0.7])

    def along_u(g):
        return lambda v: dk.sum(g(v) * u)

    third = np.asarray(dk.grad(along_u(dk.grad(along_u(dk.grad(f)))))(x))  # Σᵢⱼ ∂³f/∂xᵢ∂xⱼ∂xₖ uᵢuⱼ
    g = dk.trace(f)
    second = lambda v: u @ np.asarray(dk.hessian(g, at={"x": v}, method="symbolic").hessian) @ u  # noqa: E731
    h = 1e-5
    difference = np.array([(second(x + h * e) - second(x - h * e)) / (2 * h) for e in np.eye(3)])
    assert np.all(np.isfinite(third))
    assert dk.discrepancy(third, difference) <= 1e-8


@settings(max_examples=30, deadline=None)
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    data=st.data(),
    kind=st.sampled_from(["prod", "max", "min", "cumsum", "cumprod", "var", "std", "norm"]),
)
def test_random_shapes_against_finite_differences(shape, data, kind):
    ndim = len(shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1)), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims") if kind not in ("cumsum", "cumprod") else None
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(0.3, 2.0)), label="x")
    x = x * np.where(np.arange(x.size).reshape(shape) % 2, 1.0, -1.0)  # signs mixed, |x| away from 0
    if kind in ("max", "min") and len(np.unique(x)) < x.size:
        x = x + 1e-3 * np.arange(x.size).reshape(shape)  # no ties: the derivative is one-sided at a tie
    if kind == "std":
        group = x.size if axis is None else shape[axis]
        assume(group > 1)  # std of one entry is 0 for every x: sqrt'(0)·0 is nan by AD, as in JAX and PyTorch
        x = x + 0.1 * np.arange(x.size).reshape(shape)  # no constant groups: std' is infinite there
    weights = rng.normal(size=x.shape)
    params = {} if axis is None else {"axis": axis}
    if keepdims is not None:
        params["keepdims"] = keepdims
    reduce_dk = getattr(dk, kind)
    reduce_np = np.linalg.norm if kind == "norm" else getattr(np, kind)

    def f_np(v):
        r = reduce_np(v * weights, **params)
        return np.sum(np.sin(np.broadcast_to(r, np.broadcast_shapes(np.shape(r), ())) * 1.5))

    g = dk.trace(lambda v: dk.sum(dk.sin(reduce_dk(v * weights, **params) * 1.5)), shapes={"v": shape})
    assert float(g.evaluate({"v": x})) == pytest.approx(f_np(x), rel=1e-10, abs=1e-12)
    expected = central_difference(f_np, x)
    for method in ("forward", "reverse"):
        assert dk.discrepancy(dk.gradient(g, at={"v": x}, method=method).gradient["v"], expected) <= 1e-6, method


@pytest.mark.parametrize("name, make", [
    ("prod", lambda t, x: t.prod(x, dim=0)),
    ("amax", lambda t, x: t.amax(x, dim=1)),
    ("amin", lambda t, x: t.amin(x)),
    ("cumsum", lambda t, x: t.sin(t.cumsum(x, dim=1))),
    ("cumprod", lambda t, x: t.cos(t.cumprod(x, dim=0))),
    ("var", lambda t, x: t.var(x, dim=0, correction=1)),
    ("std", lambda t, x: t.std(x, dim=1, correction=0)),
    ("norm", lambda t, x: t.linalg.vector_norm(x, ord=3, dim=1)),
])
def test_torch_agrees(name, make):
    torch = pytest.importorskip("torch")
    ours = {
        "prod": lambda x: dk.prod(x, axis=0), "amax": lambda x: np.amax(x, axis=1), "amin": lambda x: np.amin(x),
        "cumsum": lambda x: dk.sin(np.cumsum(x, axis=1)), "cumprod": lambda x: dk.cos(np.cumprod(x, axis=0)),
        "var": lambda x: np.var(x, axis=0, ddof=1), "std": lambda x: np.std(x, axis=1),
        "norm": lambda x: np.linalg.norm(x, ord=3, axis=1),
    }[name]
    weights = rng.normal(size=np.shape(ours(X_ZERO)))
    g = dk.trace(lambda x: dk.sum(ours(x) * weights), shapes=SHAPES)
    t = torch.tensor(X_ZERO, requires_grad=True)
    (make(torch, t) * torch.tensor(weights)).sum().backward()
    r = dk.gradient(g, at={"x": X_ZERO}, method="reverse")
    assert dk.discrepancy(r.gradient["x"], t.grad.numpy()) <= EXACT


def test_ties_share_the_derivative_equally():
    # JAX's and PyTorch's amax convention: k tied entries get 1/k each; two ties agree with the central
    # difference and SymPy (½ each), three give ⅓ by AD (numeric: ½, SymPy's pairwise Max: ¼, ¼, ½)
    g = dk.trace(lambda x: np.max(x))
    two = np.array([1.0, 3.0, 3.0, 2.0])
    for method in dk.METHODS:
        assert np.allclose(dk.gradient(g, at={"x": two}, method=method).gradient["x"], [0, 0.5, 0.5, 0]), method
    three = np.array([3.0, 3.0, 3.0, 2.0])
    for method in ("forward", "reverse"):
        assert np.allclose(dk.gradient(g, at={"x": three}, method=method).gradient["x"], [1 / 3, 1 / 3, 1 / 3, 0])


def test_costs_count_what_the_rules_do():
    n = 6
    g = dk.trace(lambda x: np.prod(x))
    r = dk.gradient(g, at={"x": np.arange(1.0, n + 1)}, method="reverse")
    assert r.cost.flops > 0
    # the derivative of a product of n entries is two running products, their shifts and one multiply: O(n)
    bigger = dk.gradient(g, at={"x": np.arange(1.0, 4 * n + 1)}, method="reverse")
    assert bigger.cost.flops == pytest.approx(4 * r.cost.flops, rel=0.25)


def test_the_user_functions_read_numpys_signature():
    assert np.array_equal(dk.max(X, 1), X.max(axis=1))
    assert np.array_equal(dk.cumsum(X), np.cumsum(X))
    assert np.allclose(dk.var(X, 0, ddof=1), np.var(X, 0, ddof=1))
    assert dk.prod(X, axis=0, keepdims=True).shape == (1, 4)
    assert str(dk.trace(lambda x: np.sum(x))) == str(dk.trace(lambda x: dk.sum(x)))


@pytest.mark.parametrize("make, match", [
    (lambda x: np.max(x, axis=2), "out of range"),
    (lambda x: np.prod(x, axis=(0, 0)), "repeats"),
    (lambda x: np.sum(x, dtype=np.float32), "does not take dtype="),
    (lambda x: np.max(x, initial=0.0), "does not take initial="),
    (lambda x: dk.sum(x, 0, axis=0), "got axis twice"),
    (lambda x: np.var(x, ddof=12), "divides by 0"),
    (lambda x: np.cumsum(x, axis=(0, 1)), "one integer axis"),
    (lambda x: np.linalg.norm(x, ord=2), "singular values"),
    (lambda x: np.linalg.norm(x, ord="nuc"), "singular values"),
    (lambda x: np.linalg.norm(x, ord=3), "not a matrix norm"),
    (lambda x: np.linalg.norm(x[0, :, None, None], ord=3), "needs axis="),
    (lambda x: np.linalg.norm(x, ord=0, axis=1), "non-zero entries"),
    (lambda x: np.linalg.norm(x, ord=1, axis=(0, 0)), "same axis twice"),
    (lambda x: np.linalg.norm(x, ord=1, axis=(0, 5)), "axis 5 is not an axis"),
    (lambda x: np.var(x, ddof="a"), "ddof must be a whole number"),
    (lambda x: np.std(x, ddof=-1), "ddof must be a whole number"),
])
def test_bad_forms_are_refused_with_their_reason(make, match):
    with pytest.raises(DiffkitError, match=match):
        g = dk.trace(make, shapes=SHAPES)
        dk.gradient(g, at={"x": X})


def test_keepdims_over_every_axis_needs_the_shape():
    with pytest.raises(ConversionError, match="shapes="):
        dk.trace(lambda x: np.sum(x, keepdims=True))
    g = dk.trace(lambda x: np.sum(x, keepdims=True), shapes=SHAPES)
    assert np.shape(g.evaluate({"x": X})) == (1, 1)


def test_empty_reductions_follow_numpy():
    g = dk.trace(lambda x: np.max(x, axis=0))
    with pytest.raises(DiffkitError, match="empty axis"):  # NumPy: no identity to start a maximum from
        dk.gradient(dk.trace(lambda x: dk.sum(np.max(x, axis=0))), at={"x": np.zeros((0, 3))})
    assert g.evaluate({"x": np.zeros((3, 0))}).shape == (0,)  # nothing reduced over an empty axis: fine
    empty = {"x": np.zeros((0, 3))}
    assert np.array_equal(dk.trace(lambda x: np.prod(x, axis=0)).evaluate(empty), np.ones(3))  # prod of none: 1
    assert dk.gradient(dk.trace(lambda x: dk.sum(np.prod(x, axis=0))), at=empty).gradient["x"].shape == (0, 3)


T = rng.normal(size=(2, 3, 4))


@pytest.mark.parametrize("params", [
    {"ord": 1, "axis": (0, -1)}, {"ord": 1, "axis": (-1, 0)}, {"ord": np.inf, "axis": (2, 1)},
    {"ord": -1, "axis": (1, 0)}, {"ord": -np.inf, "axis": (-2, -1)}, {"ord": "fro", "axis": (0, 2)},
    {"axis": (0, 2)}, {"ord": 3, "axis": 1}, {"ord": 1, "axis": (0, -1), "keepdims": True},
], ids=str)
def test_matrix_and_vector_norms_of_stacks_are_numpys(params):
    g = dk.trace(lambda x: dk.sum(np.linalg.norm(x, **params) * 1.5), shapes={"x": T.shape})
    value = dk.trace(lambda x: np.linalg.norm(x, **params), shapes={"x": T.shape}).evaluate({"x": T})
    expected = np.linalg.norm(T, **params)
    assert np.shape(value) == np.shape(expected) and np.allclose(value, expected, rtol=1e-13)
    reverse = dk.gradient(g, at={"x": T}).gradient["x"]
    difference = central_difference(lambda v: np.sum(np.linalg.norm(v, **params) * 1.5), T)
    assert dk.discrepancy(reverse, difference) <= 1e-7
    assert dk.discrepancy(np.broadcast_to(dk.gradient_graph(g).evaluate({"x": T}), T.shape), reverse) <= EXACT


@pytest.mark.parametrize("ord_", [1, 2, np.inf, "fro"])
def test_a_norm_with_an_ord_needs_the_rank(ord_):
    # a vector norm of a 1-D array, a matrix norm of a 2-D one: without the shape it cannot tell which
    with pytest.raises(ConversionError, match="shape must be known"):
        dk.trace(lambda x: np.linalg.norm(x, ord=ord_))


def test_mixed_sign_axes_are_recorded_non_negative_so_gradient_graphs_follow():
    g = dk.trace(lambda x: dk.sum(dk.sin(np.prod(x, axis=(0, -1)))), shapes={"x": T.shape})
    at = {"x": T}
    reverse = dk.gradient(g, at=at).gradient["x"]
    assert dk.discrepancy(np.broadcast_to(dk.gradient_graph(g).evaluate(at), T.shape), reverse) <= EXACT
    hessians = [np.asarray(dk.hessian(g, at=at, method=m).hessian) for m in ("reverse", "forward")]
    assert dk.discrepancy(*hessians) <= 1e-11


@pytest.mark.parametrize("name, traced, expected", [
    ("sum", lambda x: dk.sum(x) + 1.0, 1.0),
    ("cumsum", lambda x: dk.sum(np.cumsum(x)), 0.0),
    ("prod", lambda x: np.prod(x) * 2, 2.0),
    ("prod axis 0", lambda x: dk.sum(np.prod(x, axis=0)), 3.0),
])
def test_an_empty_variable_has_an_empty_gradient_by_every_method(name, traced, expected):
    # NumPy's reductions of an empty object array give Python's 0 or 1, which the symbolic method must read as
    # SymPy numbers; the numeric method has no entry to perturb (it used to fail in np.stack, symbolic in SymPy)
    g = dk.trace(traced)
    for method in dk.METHODS:
        r = dk.gradient(g, at={"x": np.zeros((0, 3))}, method=method)
        assert float(r.value) == expected and r.gradient["x"].shape == (0, 3), method
