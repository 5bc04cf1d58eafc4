"""Basic indexing of traced values (x[1:], x[:, 0], x[..., ::2]): one ``index`` node whose value is NumPy's,
whose gradient every method agrees on (its VJP scatters into zeros, its JVP indexes the tangent), and whose bad
forms (masks, index arrays, None, floats, out-of-range integers) get clear diffkit errors."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import diffkit as dk
from diffkit.errors import BindingError, ConversionError

scipy_optimize = pytest.importorskip("scipy.optimize")

EXACT = 1e-12
NUMERIC = 1e-7
rng = np.random.default_rng(11)
X = rng.normal(size=(4, 5))
V = rng.normal(size=(7,))

# (written as, index, point): every form of basic indexing the tracer records
FORMS = [
    ("x[1:]", np.s_[1:], V),
    ("x[:-1]", np.s_[:-1], V),
    ("x[2]", np.s_[2], V),
    ("x[-1]", np.s_[-1], V),
    ("x[::2]", np.s_[::2], V),
    ("x[::-2]", np.s_[::-2], V),
    ("x[1:6:3]", np.s_[1:6:3], V),
    ("x[:, 1:]", np.s_[:, 1:], X),
    ("x[2]", np.s_[2], X),
    ("x[1, 3]", np.s_[1, 3], X),
    ("x[..., 0]", np.s_[..., 0], X),
    ("x[..., ::2]", np.s_[..., ::2], X),
    ("x[-1, ...]", np.s_[-1, ...], X),
    ("x[1:3, ::-1]", np.s_[1:3, ::-1], X),
    ("x[...]", np.s_[...], X),
]
IDS = [f"{text} of {point.shape}" for text, _, point in FORMS]


def weighted(index, shape_out):
    """Σ sin(x[index]) · R: a scalar with a non-trivial cotangent for every picked entry."""
    R = rng.normal(size=shape_out)
    return lambda x: dk.sum(dk.sin(x[index]) * R), R


@pytest.mark.parametrize("text, index, point", FORMS, ids=IDS)
def test_value_is_numpys(text, index, point):
    g = dk.trace(lambda x: x[index])
    assert str(g) == text
    value = g.evaluate({"x": point})
    assert np.shape(value) == np.shape(point[index])
    assert np.array_equal(value, point[index])


@pytest.mark.parametrize("text, index, point", FORMS, ids=IDS)
def test_gradients_agree_across_methods_and_scatter_into_zeros(text, index, point):
    f, R = weighted(index, np.shape(point[index]))
    g = dk.trace(f)
    expected = np.zeros_like(point)
    expected[index] = np.cos(point[index]) * R  # the VJP: the cotangent written back where the entries came from
    at = {"x": point}
    for method in dk.METHODS:
        r = dk.gradient(g, at=at, method=method)
        assert r.value == pytest.approx(float(np.sum(np.sin(point[index]) * R)), rel=1e-12)
        tolerance = NUMERIC if method == "numeric" else EXACT
        assert dk.discrepancy(r.gradient["x"], expected) <= tolerance, method
    batched = dk.gradient(g, at=at, method="forward", batch=True).gradient["x"]
    complex_step = dk.gradient(g, at=at, method="numeric", scheme="complex").gradient["x"]
    assert dk.discrepancy(batched, expected) <= EXACT
    assert dk.discrepancy(complex_step, expected) <= EXACT
    grad_graph = dk.gradient_graph(g)  # reverse mode written as a graph: scatter_like nodes
    assert dk.discrepancy(np.broadcast_to(grad_graph.evaluate(at), point.shape), expected) <= EXACT


@pytest.mark.parametrize("text, index, point", FORMS[::3], ids=IDS[::3])
def test_jvp_indexes_the_tangent(text, index, point):
    g = dk.trace(lambda x: x[index] * 3.0)
    t = rng.normal(size=point.shape)
    for method in dk.METHODS:
        jv = dk.jvp(g, at={"x": point}, tangents={"x": t}, method=method).derivative
        tolerance = NUMERIC if method == "numeric" else EXACT
        assert dk.discrepancy(jv, 3.0 * t[index]) <= tolerance, method


def test_compare_agrees_on_a_sliced_difference():
    g = dk.trace(lambda x: dk.sum((x[1::2] - x[:-1:2]) ** 2 * dk.exp(x[::2][:3])))
    table = dk.compare(g, at={"x": V})
    assert not table.failures
    reference = table.results["reverse"].gradient["x"]
    for method, result in table.results.items():
        tolerance = NUMERIC if method == "numeric" else EXACT
        assert dk.discrepancy(result.gradient["x"], reference) <= tolerance, method


def rosenbrock(x):
    return dk.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def test_rosenbrock_gradient_hessian_and_hvp_four_ways_match_scipy():
    x = np.array([0.3, -1.2, 0.8, 1.5, 0.1])
    v = np.array([1.0, -0.5, 2.0, 0.25, -1.5])
    g = dk.trace(rosenbrock)
    at = {"x": x}
    for method in dk.METHODS:
        tolerance = (1e-7, 1e-5) if method == "numeric" else (EXACT, EXACT)
        r = dk.gradient(g, at=at, method=method)
        assert r.value == pytest.approx(scipy_optimize.rosen(x), rel=1e-14)
        assert dk.discrepancy(r.gradient["x"], scipy_optimize.rosen_der(x)) <= tolerance[0], method
        h = dk.hessian(g, at=at, method=method).hessian
        assert dk.discrepancy(h, scipy_optimize.rosen_hess(x)) <= tolerance[1], method
        hv = dk.hvp(g, at=at, vector={"x": v}, method=method).hvp["x"]
        assert dk.discrepancy(hv, scipy_optimize.rosen_hess_prod(x, v)) <= tolerance[1], method
    over_reverse = dk.hvp(g, at=at, vector={"x": v}, method="reverse", over="reverse").hvp["x"]
    assert dk.discrepancy(over_reverse, scipy_optimize.rosen_hess_prod(x, v)) <= EXACT


def test_rosenbrock_reverse_gradient_at_n_1000_is_one_sweep_each_way():
    x = np.linspace(-1.5, 1.5, 1000)
    g = dk.trace(rosenbrock)
    r = dk.gradient(g, at={"x": x}, method="reverse")
    assert dk.discrepancy(r.gradient["x"], scipy_optimize.rosen_der(x)) <= EXACT
    # whole-array steps: the same number of operations as at n = 5, not one per entry
    small = dk.gradient(g, at={"x": x[:5]}, method="reverse")
    assert r.cost.operations == small.cost.operations
    assert r.cost.forward_sweeps == 1 and r.cost.backward_sweeps == 1


def test_indexing_costs_no_flops():
    """Indexing and its scatter are data movement, priced like transpose: the flops are the arithmetic's."""
    at = {"x": V}
    sliced = dk.gradient(dk.trace(lambda x: dk.sum(x[1:] * x[1:])), at=at, method="reverse").cost
    whole = dk.gradient(dk.trace(lambda x: dk.sum(x * x)), at=at, method="reverse").cost
    assert sliced.flops < whole.flops  # six entries multiplied instead of seven, nothing added for the copies
    assert sliced.operations["index"] == 1 and sliced.operations["scatter_like"] == 1


def test_hessian_of_entries_of_a_matrix():
    point = {"W": X}
    g = dk.trace(lambda W: dk.sum(W[:, 1:] * W[:, :-1]) + W[2, 3] ** 3 + dk.sum(dk.exp(W[..., 0])))
    hessians = {m: dk.hessian(g, at=point, method=m).hessian for m in dk.METHODS}
    for method, h in hessians.items():
        tolerance = 1e-5 if method == "numeric" else EXACT
        assert dk.discrepancy(h, hessians["reverse"]) <= tolerance, method
    assert hessians["reverse"][2 * 5 + 3, 2 * 5 + 3] == pytest.approx(6 * X[2, 3], rel=1e-12)
    assert hessians["reverse"][0, 1] == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_random_slices_match_finite_differences(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), label="shape")
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=False, allow_ellipsis=True), label="index")
    point = rng.normal(size=shape)
    picked = point[index]
    R = rng.normal(size=np.shape(picked))
    g = dk.trace(lambda x: dk.sum(dk.sin(x[index]) * R))
    assert np.array_equal(dk.trace(lambda x: x[index]).evaluate({"x": point}), picked)
    reverse = dk.gradient(g, at={"x": point}, method="reverse").gradient["x"]
    numeric = dk.gradient(g, at={"x": point}, method="numeric").gradient["x"]
    assert dk.discrepancy(reverse, numeric) <= NUMERIC
    expected = np.zeros(shape)
    expected[index] = np.cos(picked) * R
    assert dk.discrepancy(reverse, expected) <= EXACT


NUMPY_KEYS = [  # what NumPy programs write beyond basic indexing: masks, index arrays, np.newaxis
    np.array([True, False, True]), [0, 2, 2], np.array([[0, 2], [1, 1]]), ((0, 1), 0), (slice(None), [3, 0]),
    None, (0, None), (slice(None), None), (None, Ellipsis, None), (Ellipsis, None, slice(1, None)),
]


@pytest.mark.parametrize("key", NUMPY_KEYS, ids=repr)
def test_numpy_indices_trace_as_numpy_reads_them_and_differentiate_four_ways(key):
    x = rng.normal(size=(3, 4))
    g = dk.trace(lambda x: dk.sum(dk.sin(x[key])), shapes={"x": x.shape})
    assert g.evaluate({"x": x}) == pytest.approx(np.sum(np.sin(x[key])), rel=1e-14)
    expected = np.zeros_like(x)
    np.add.at(expected, key, np.cos(x[key]))  # repeated entries accumulate
    for method in dk.METHODS:
        grad = dk.gradient(g, at={"x": x}, method=method).gradient["x"]
        assert dk.discrepancy(grad, expected) <= (NUMERIC if method == "numeric" else EXACT), method


@pytest.mark.parametrize("key, message", [
    (True, "boolean indices"),
    ((None, [0, 1]), r"None \(np.newaxis\) together with index arrays"),
    (1.0, "must be an integer, got the float 1.0"),
    (slice(0, 2.5), "slice bounds and steps must be integers or None, got 0:2.5"),
    (slice(None, None, 0), "a slice step cannot be zero"),
    ((Ellipsis, 0, Ellipsis), "single ellipsis"),
    ("a", "cannot index a traced expression with a str"),
])
def test_unsupported_indices_are_refused_when_traced(key, message):
    with pytest.raises(ConversionError, match=message):
        dk.trace(lambda x: x[key])


def test_a_traced_value_cannot_be_indexed_by_another():
    with pytest.raises(ConversionError, match="an index computed from traced values"):
        dk.trace(lambda x, i: x[i])
    with pytest.raises(ConversionError, match=r"dk.where\(x > 0, x, 0\)"):
        dk.trace(lambda x: x[x > 0])


@pytest.mark.parametrize("method", dk.METHODS)
def test_out_of_range_integers_are_binding_errors_naming_node_index_and_shape(method):
    g = dk.trace(lambda x: dk.sum(x[1:, 5] ** 2))
    with pytest.raises(BindingError, match=r"index at node v0: the index \[1:, 5\]: 5 is out of range for axis 1 "
                                           r"of an array of shape \(4, 5\)"):
        dk.gradient(g, at={"x": X}, method=method)
    too_many = dk.trace(lambda x: dk.sum(x[0, ..., 1, 2]))
    with pytest.raises(BindingError, match=r"the index \[0, \.\.\., 1, 2\] has 3 entries for an array of shape "
                                           r"\(4, 5\)"):
        dk.gradient(too_many, at={"x": X}, method=method)


def test_negative_integers_count_from_the_end_and_are_checked_too():
    g = dk.trace(lambda x: x[-7] + x[..., -1])
    assert g.evaluate({"x": V}) == V[-7] + V[-1]
    with pytest.raises(BindingError, match=r"-7 is out of range for axis 0 of an array of shape \(6,\)"):
        g.evaluate({"x": V[:6]})


def test_iterating_or_unpacking_a_traced_value_is_refused_not_endless():
    with pytest.raises(ConversionError, match="cannot be iterated or unpacked"):
        dk.trace(lambda x: sum(x))
    with pytest.raises(ConversionError, match="cannot be iterated or unpacked"):
        dk.trace(lambda x: (lambda a, b: a * b)(*x))


def test_index_nodes_are_shared_shown_and_pickled():
    g = dk.trace(lambda x: dk.sum(x[1:] * x[1:]) + x[..., 0])
    assert str(g) == "sum(x[1:]*x[1:]) + x[..., 0]"
    assert sum(1 for _, d in g.nx.nodes(data=True) if d["op"] == "index") == 2  # x[1:] is one node
    again = pickle.loads(pickle.dumps(g))
    assert again.evaluate({"x": V}) == pytest.approx(g.evaluate({"x": V}), rel=1e-15)
    assert "x[1:, ::2]" in str(dk.trace(lambda x: dk.sum(x[1:, ::2])))
    assert "(x + 1)[0]" == str(dk.trace(lambda x: (x + 1)[0]))


def test_drawings_label_index_nodes_by_their_brackets():
    g = dk.trace(lambda x: dk.sum(x[1:, ::2]))
    assert '[label="[1:, ::2]", shape=box]' in g.to_dot()
    from diffkit.draw.dag import node_label
    assert node_label(g.nx.nodes["v0"]) == "[1:, ::2]"
    assert dk.trace(lambda x: dk.index(x)).evaluate({"x": V}).tolist() == V.tolist()  # no index: x[()]


def test_dk_index_takes_the_frozen_form_and_arrays():
    assert np.array_equal(dk.index(V, index=((1, None, 2),)), V[1::2])
    assert np.array_equal(dk.index(X, index=(Ellipsis, 0)), X[..., 0])
    assert dk.trace(lambda x: dk.index(x, index=((1, None, None),))).nx.nodes["v0"]["params"] == \
        dk.trace(lambda x: x[1:]).nx.nodes["v0"]["params"]


def test_symbolic_hvp_of_a_tensor_graph_is_the_hessian_times_v():
    """The symbolic method's H·v on tensor graphs (it refused them before indexing made Rosenbrock one)."""
    A = rng.normal(size=(3, 2))
    at = {"W": rng.normal(size=(2, 2)), "b": rng.normal(size=2)}
    v = {"W": rng.normal(size=(2, 2))}  # b left out: direction 0
    g = dk.trace(lambda W, b: dk.mean(dk.tanh(A @ W + b) ** 2) + dk.sum(W[0] * b))
    H = dk.hessian(g, at=at, method="reverse").hessian
    expected = H @ np.concatenate([v["W"].ravel(), np.zeros(2)])
    product = dk.hvp(g, at=at, vector=v, method="symbolic").hvp
    assert product["W"].shape == (2, 2) and product["b"].shape == (2,)
    assert dk.discrepancy(np.concatenate([product["W"].ravel(), product["b"]]), expected) <= EXACT


def test_a_zero_dimensional_integer_array_indexes_as_its_integer():
    grad = dk.gradient(lambda x: dk.sum(x[np.array(1)] * x), {"x": np.arange(3.0)}, method="reverse")["x"]
    np.testing.assert_array_equal(grad, [1.0, 4.0, 1.0])  # x₁·Σx: x₁ everywhere, plus Σx at 1


def test_scatter_like_refuses_values_that_numpy_would_broadcast_into_the_slot():
    # NumPy would fill the slot of 2 entries from 1 value; its adjoint could not undo that, so it is refused
    def f(x):
        return dk.sum(dk.scatter_like(x, np.zeros(5), index=((0, 2, None),)))

    for method in ("forward", "reverse"):
        with pytest.raises(dk.BindingError, match=r"shape \(1,\).*slot \[0:2\].*shape \(2,\)"):
            dk.gradient(f, {"x": np.ones(1)}, method=method)
    np.testing.assert_array_equal(dk.gradient(f, {"x": np.ones(2)}, method="reverse")["x"], [1.0, 1.0])
