"""Building and rearranging arrays (diffkit/shaping.py): comparisons and where, concatenate/stack, axes, copies
and gathers. Each primitive's value is NumPy's; the four methods agree on gradients through it (plus batched
forward mode, the complex step, the gradient graph), random shapes agree with finite differences, torch agrees
where installed, Hessians agree four ways, and bad axes, shapes and indices get diffkit errors."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import diffkit as dk
from diffkit.errors import BindingError, ConversionError, MethodError
from diffkit.shaping import IndexArray, concatenate_all, frozen_fancy_index, is_fancy, stack_all

EXACT = 1e-12
NUMERIC = 1e-7
rng = np.random.default_rng(15)
A = rng.normal(size=(3, 4))
B = rng.normal(size=(3, 4))
C = rng.normal(size=(2, 4))
MASK = (A > 0).astype(float)
ROWS = [0, 2, 0, 0]  # a repeated index: its cotangents must add up


def weighted(f, shape_out):
    """Σ sin(f(...)) · R: a scalar whose cotangent is not trivial."""
    R = rng.normal(size=shape_out)
    return lambda *args: dk.sum(dk.sin(f(*args)) * R)


# (name, traced function, NumPy's function, point): each applies one shaping primitive
VALUE_CASES = [
    ("where mask", lambda a, b: dk.where(MASK, a, b), lambda a, b: np.where(MASK != 0, a, b), {"a": A, "b": B}),
    ("where broadcast", lambda a, b: dk.where(MASK[0], a, b[:, :1]), lambda a, b: np.where(MASK[0] != 0, a, b[:, :1]),
     {"a": A, "b": B}),
    ("where of a comparison", lambda a, b: dk.where(dk.greater(a, b), a, 2 * b),
     lambda a, b: np.where(a > b, a, 2 * b), {"a": A, "b": B}),
    ("concatenate axis 0", lambda a, c: dk.concatenate(a, c, axis=0), lambda a, c: np.concatenate([a, c]),
     {"a": A, "c": C}),
    ("concatenate axis -1", lambda a, b: dk.concatenate(a, b[:, :2], axis=-1),
     lambda a, b: np.concatenate([a, b[:, :2]], axis=-1), {"a": A, "b": B}),
    ("concatenate of x with itself", lambda a: dk.concatenate(a, a, axis=1), lambda a: np.concatenate([a, a], 1),
     {"a": A}),
    ("stack axis 0", lambda a, b: dk.stack(a, b), lambda a, b: np.stack([a, b]), {"a": A, "b": B}),
    ("stack axis -1", lambda a, b: dk.stack(a, b, axis=-1), lambda a, b: np.stack([a, b], -1), {"a": A, "b": B}),
    ("stack axis 1", lambda a, b: dk.stack(a, b * a, axis=1), lambda a, b: np.stack([a, b * a], 1),
     {"a": A, "b": B}),
    ("expand_dims", lambda a: dk.expand_dims(a, axis=1), lambda a: np.expand_dims(a, 1), {"a": A}),
    ("expand_dims (0, -1)", lambda a: dk.expand_dims(a, axis=(0, -1)), lambda a: np.expand_dims(a, (0, -1)),
     {"a": A}),
    ("squeeze", lambda a: dk.squeeze(dk.reshape(a, shape=(3, 1, 4, 1))), lambda a: a, {"a": A}),
    ("squeeze axis -1", lambda a: dk.squeeze(dk.reshape(a, shape=(3, 1, 4, 1)), axis=-1),
     lambda a: a.reshape(3, 1, 4), {"a": A}),
    ("swapaxes", lambda a: dk.swapaxes(dk.reshape(a, shape=(3, 2, 2)), axis1=0, axis2=-1),
     lambda a: np.swapaxes(a.reshape(3, 2, 2), 0, -1), {"a": A}),
    ("moveaxis", lambda a: dk.moveaxis(dk.reshape(a, shape=(3, 2, 2)), source=0, destination=-1),
     lambda a: np.moveaxis(a.reshape(3, 2, 2), 0, -1), {"a": A}),
    ("permute_dims", lambda a: dk.permute_dims(dk.reshape(a, shape=(3, 2, 2)), axes=(1, 2, 0)),
     lambda a: np.transpose(a.reshape(3, 2, 2), (1, 2, 0)), {"a": A}),
    ("permute_dims reversed", lambda a: dk.permute_dims(dk.reshape(a, shape=(3, 2, 2))),
     lambda a: np.transpose(a.reshape(3, 2, 2)), {"a": A}),
    ("broadcast_to", lambda a: dk.broadcast_to(a[:, :1], shape=(2, 3, 4)),
     lambda a: np.broadcast_to(a[:, :1], (2, 3, 4)), {"a": A}),
    ("flip", lambda a: dk.flip(a, axis=1), lambda a: np.flip(a, 1), {"a": A}),
    ("flip all", lambda a: dk.flip(a), np.flip, {"a": A}),
    ("roll axis 1", lambda a: dk.roll(a, shift=-3, axis=1), lambda a: np.roll(a, -3, 1), {"a": A}),
    ("roll flattened", lambda a: dk.roll(a, shift=5), lambda a: np.roll(a, 5), {"a": A}),
    ("roll two axes", lambda a: dk.roll(a, shift=(1, 2), axis=(0, 1)), lambda a: np.roll(a, (1, 2), (0, 1)),
     {"a": A}),
    ("tile", lambda a: dk.tile(a, reps=(2, 1, 3)), lambda a: np.tile(a, (2, 1, 3)), {"a": A}),
    ("tile fewer reps", lambda a: dk.tile(a, reps=2), lambda a: np.tile(a, 2), {"a": A}),
    ("repeat axis 1", lambda a: dk.repeat(a, repeats=(1, 0, 2, 3), axis=1),
     lambda a: np.repeat(a, (1, 0, 2, 3), 1), {"a": A}),
    ("repeat flattened", lambda a: dk.repeat(a, repeats=2), lambda a: np.repeat(a, 2), {"a": A}),
    ("pad", lambda a: dk.pad(a, pad_width=((1, 0), (2, 3))), lambda a: np.pad(a, ((1, 0), (2, 3))), {"a": A}),
    ("pad every axis", lambda a: dk.pad(a, pad_width=1), lambda a: np.pad(a, 1), {"a": A}),
    ("gather rows", lambda a: dk.gather(a, index=(ROWS,)), lambda a: a[ROWS], {"a": A}),
    ("gather rows, slice", lambda a: dk.gather(a, index=(ROWS, slice(1, None))), lambda a: a[ROWS, 1:], {"a": A}),
    ("gather pairs", lambda a: dk.gather(a, index=([0, 2, 2], [3, 1, 3])), lambda a: a[[0, 2, 2], [3, 1, 3]],
     {"a": A}),
    ("gather 2-d index", lambda a: dk.gather(a, index=(Ellipsis, np.array([[0, 3], [3, 3]]))),
     lambda a: a[..., np.array([[0, 3], [3, 3]])], {"a": A}),
    ("gather separated", lambda a: dk.gather(dk.reshape(a, shape=(3, 2, 2)), index=([0, 2], slice(None), [1, 1])),
     lambda a: a.reshape(3, 2, 2)[[0, 2], :, [1, 1]], {"a": A}),
    ("boolean mask", lambda a: dk.gather(a, index=A > 0), lambda a: a[A > 0], {"a": A}),
    ("mask on rows", lambda a: dk.gather(a, index=(np.array([True, False, True]), slice(None, 2))),
     lambda a: a[np.array([True, False, True]), :2], {"a": A}),
    ("take axis 1", lambda a: dk.take(a, indices=[3, 0, 3], axis=1), lambda a: np.take(a, [3, 0, 3], 1), {"a": A}),
    ("take axis -2", lambda a: dk.take(a, indices=[[2, 2]], axis=-2), lambda a: np.take(a, [[2, 2]], -2),
     {"a": A}),
    ("take flattened", lambda a: dk.take(a, indices=[11, -1, 0]), lambda a: np.take(a, [11, -1, 0]), {"a": A}),
    ("take_along_axis", lambda a: dk.take_along_axis(a, indices=np.array([[0, 0], [3, 1], [2, 2]]), axis=1),
     lambda a: np.take_along_axis(a, np.array([[0, 0], [3, 1], [2, 2]]), 1), {"a": A}),
    ("take_along_axis broadcast", lambda a: dk.take_along_axis(a, indices=np.array([[0, 2, 2, 1]]), axis=0),
     lambda a: np.take_along_axis(a, np.array([[0, 2, 2, 1]]), 0), {"a": A}),
]
IDS = [case[0] for case in VALUE_CASES]
SMOOTH = {case[0] for case in VALUE_CASES if "comparison" not in case[0]}


@pytest.mark.parametrize("name, f, reference, point", VALUE_CASES, ids=IDS)
def test_value_is_numpys(name, f, reference, point):
    g = dk.trace(f, list(point))
    assert g.is_tensor
    value = g.evaluate(point)
    expected = reference(*point.values())
    assert np.shape(value) == np.shape(expected)
    np.testing.assert_array_equal(value, expected)
    # the shape rules (the memory estimate, a traced value's shape) agree with the computed shape
    plan = g.plan
    shapes = {slot: np.shape(point[name]) for name, slot in plan.variables.items()}
    shapes.update({slot: np.shape(value) for slot, value in plan.constants})
    for step in plan.steps:
        shapes[step.out] = step.primitive.out_shape(*(shapes[a] for a in step.args), **step.params)
    assert shapes[plan.outputs[0]] == np.shape(expected)


@pytest.mark.parametrize("name, f, reference, point", VALUE_CASES, ids=IDS)
def test_gradients_agree_across_methods(name, f, reference, point):
    out_shape = np.shape(reference(*point.values()))
    g = dk.trace(weighted(f, out_shape), list(point))
    results = {m: dk.gradient(g, at=point, method=m) for m in dk.METHODS}
    reference_gradient = results["reverse"].gradient
    for method, r in results.items():
        tolerance = NUMERIC if method == "numeric" else EXACT
        assert r.value == pytest.approx(results["reverse"].value, rel=1e-12)
        for var in point:
            assert np.shape(r.gradient[var]) == np.shape(point[var])
            d = dk.discrepancy(r.gradient[var], reference_gradient[var])
            assert d <= tolerance, f"{name}: {method} vs reverse for {var}: {d:.2e}"
    batched = dk.gradient(g, at=point, method="forward", batch=True).gradient
    for var in point:
        assert dk.discrepancy(batched[var], reference_gradient[var]) <= EXACT
    if name in SMOOTH:
        complex_step = dk.gradient(g, at=point, method="numeric", scheme="complex").gradient
        for var in point:
            assert dk.discrepancy(complex_step[var], reference_gradient[var]) <= EXACT
    else:  # a comparison jumps: the complex step refuses it by name
        with pytest.raises(MethodError, match="complex step needs an analytic expression.*greater"):
            dk.gradient(g, at=point, method="numeric", scheme="complex")
    values = dk.gradient_graph(g).evaluate(point)
    values = values if isinstance(values, tuple) else (values,)
    for var, value in zip(g.variables, values, strict=True):
        assert dk.discrepancy(np.broadcast_to(value, np.shape(point[var])), reference_gradient[var]) <= EXACT


@pytest.mark.parametrize("name, f, reference, point", VALUE_CASES[::3], ids=IDS[::3])
def test_jvp_is_the_primitive_applied_to_the_tangent(name, f, reference, point):
    """Each of these primitives is linear in its differentiated arguments, so its JVP is itself applied to the
    tangents (for where: the same selection of the tangents)."""
    g = dk.trace(f, list(point))
    tangents = {var: rng.normal(size=np.shape(v)) for var, v in point.items()}
    if "comparison" in name:  # where(a > b, a, 2b): the mask is fixed, the branches carry the tangents
        expected = np.where(point["a"] > point["b"], tangents["a"], 2 * tangents["b"])
    else:
        expected = reference(*tangents.values())
    for method in dk.METHODS:
        jv = dk.jvp(g, at=point, tangents=tangents, method=method).derivative
        tolerance = NUMERIC if method == "numeric" else EXACT
        assert dk.discrepancy(jv, expected) <= tolerance, method


# --- comparisons and where ----------------------------------------------------------------------------------

COMPARISONS = {"less": np.less, "less_equal": np.less_equal, "greater": np.greater,
               "greater_equal": np.greater_equal, "equal": np.equal, "not_equal": np.not_equal}


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_give_float_masks_with_zero_derivative(name):
    x = np.array([[-1.0, 0.5, 2.0, 0.5]])
    y = np.array([[0.5], [-1.0]])  # broadcasts against x, ties included
    function = getattr(dk, name)
    expected = COMPARISONS[name](x, y).astype(float)
    g = dk.trace(lambda x, y: function(x, y))
    value = g.evaluate({"x": x, "y": y})
    assert value.dtype == np.float64
    np.testing.assert_array_equal(value, expected)
    np.testing.assert_array_equal(function(x, y), expected)  # on plain arrays: NumPy's value
    # no derivative through the mask itself: only the factor x counts (away from ties, the numeric method too)
    point = {"x": np.array([-1.0, 0.5, 2.0]), "y": np.array([0.3, 0.7, -1.0])}
    h = dk.trace(lambda x, y: dk.sum(function(x, y) * x))
    for method in dk.METHODS:
        grad = dk.gradient(h, at=point, method=method).gradient
        tolerance = NUMERIC if method == "numeric" else EXACT
        assert dk.discrepancy(grad["x"], COMPARISONS[name](point["x"], point["y"]).astype(float)) <= tolerance
        assert np.all(grad["y"] == 0), method


def test_where_sends_the_cotangent_to_the_branch_picked():
    x = np.array([-2.0, -0.5, 0.5, 3.0])
    relu = dk.trace(lambda x: dk.sum(dk.where(dk.greater(x, 0.0), x * x, -x)))
    for method in dk.METHODS:
        grad = dk.gradient(relu, at={"x": x}, method=method).gradient["x"]
        tolerance = NUMERIC if method == "numeric" else EXACT
        assert dk.discrepancy(grad, np.where(x > 0, 2 * x, -1.0)) <= tolerance, method
    hessians = {m: dk.hessian(relu, at={"x": x}, method=m).hessian for m in dk.METHODS}
    for method, h in hessians.items():
        tolerance = 1e-5 if method == "numeric" else EXACT
        assert dk.discrepancy(h, np.diag(np.where(x > 0, 2.0, 0.0))) <= tolerance, method


def test_where_of_a_complex_step_compares_real_parts():
    """A comparison on x + ih must not see the imaginary step (it would flip a tie), nor must where."""
    z = np.array([1.0 + 1e-20j, 1.0 - 1e-20j])
    assert dk.less(z, 1.0).tolist() == [0.0, 0.0] and dk.equal(z, 1.0).tolist() == [1.0, 1.0]
    assert dk.where(np.array([1e-20j, 0.0]), z, -z).tolist() == [-z[0], -z[1]]


# --- gathers: repeated indices accumulate --------------------------------------------------------------------


def test_gather_with_repeated_indices_adds_their_cotangents():
    x = rng.normal(size=5)
    idx = [0, 3, 3, 3, 1, 0]
    R = rng.normal(size=len(idx))
    expected = np.zeros(5)
    np.add.at(expected, idx, np.cos(x[idx]) * R)
    for f in (lambda x: dk.sum(dk.sin(dk.gather(x, index=(idx,))) * R),
              lambda x: dk.sum(dk.sin(dk.take(x, indices=idx)) * R),
              lambda x: dk.sum(dk.sin(dk.take_along_axis(x, indices=np.array(idx), axis=0)) * R)):
        g = dk.trace(f)
        for method in dk.METHODS:
            tolerance = NUMERIC if method == "numeric" else EXACT
            assert dk.discrepancy(dk.gradient(g, at={"x": x}, method=method).gradient["x"], expected) <= tolerance


def test_the_frozen_index_form():
    index = frozen_fancy_index(([0, 2], slice(1, None), Ellipsis))
    assert index == (IndexArray((2,), (0, 2)), (1, None, None), Ellipsis)
    assert hash(index) == hash(frozen_fancy_index((np.array([0, 2]), slice(1, None), ...)))
    assert frozen_fancy_index(np.array([True, False])) == (IndexArray((2,), (True, False), boolean=True),)
    assert frozen_fancy_index([[0, 1], [1, 1]])[0].shape == (2, 2)
    assert frozen_fancy_index(((0, 1), 0), frozen=False)[0] == IndexArray((2,), (0, 1))  # x[(0, 1), 0]
    assert frozen_fancy_index(((0, 1, 2), 0)) == ((0, 1, 2), 0)  # the frozen form: a triple is a slice, 0:1:2
    assert frozen_fancy_index(((0, 1, 2), 0), frozen=False) == (IndexArray((3,), (0, 1, 2)), 0)
    assert is_fancy([0, 1]) and is_fancy((np.array([0]), 1)) and is_fancy(np.array([True]))
    assert not is_fancy((0, slice(1, None))) and not is_fancy(Ellipsis)
    assert str(IndexArray((2, 1), (3, 4))) == "[[3], [4]]"
    array = IndexArray((3,), (0, 1, 1)).array
    assert not array.flags.writeable
    g = dk.trace(lambda x: dk.sum(dk.gather(x, index=([1, 1],)) * dk.take(x, indices=[0, 2], axis=0)))
    again = pickle.loads(pickle.dumps(g))
    x = rng.normal(size=3)
    assert again.evaluate({"x": x}) == pytest.approx(g.evaluate({"x": x}), rel=1e-15)
    assert dk.trace(lambda x: dk.gather(x, index=([1, 1],))).nx.nodes["v0"]["params"] == \
        dk.trace(lambda x: dk.gather(x, index=(np.array([1, 1]),))).nx.nodes["v0"]["params"]  # one node form
    assert str(g) == "sum(gather(x, index=[[1, 1]])*take(x, indices=[0, 2], axis=0))"


# --- lists: chains of binary nodes ---------------------------------------------------------------------------


def test_lists_are_chains_of_binary_concatenates():
    arrays = [A, B, C]
    np.testing.assert_array_equal(concatenate_all(dk.functions, arrays, axis=0), np.concatenate(arrays))
    np.testing.assert_array_equal(stack_all(dk.functions, [A, B, A], axis=1), np.stack([A, B, A], 1))
    g = dk.trace(lambda a, b, c: dk.sum(dk.sin(concatenate_all(dk.functions, [a, b, c], axis=0)) ** 2))
    assert [step.primitive.name for step in g.plan.steps].count("concatenate") == 2
    point = {"a": A, "b": B, "c": C}
    for method in dk.METHODS:
        grad = dk.gradient(g, at=point, method=method).gradient
        tolerance = NUMERIC if method == "numeric" else EXACT
        for var, value in point.items():
            assert dk.discrepancy(grad[var], np.sin(2 * value)) <= tolerance, (method, var)
    with pytest.raises(ConversionError, match="at least one array"):
        concatenate_all(dk.functions, [])


# --- random shapes against finite differences ----------------------------------------------------------------


@st.composite
def shaping_case(draw):
    """A random shape and one shaping primitive applied to it with random, valid parameters."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    ndim = len(shape)
    axis = draw(st.integers(-ndim, ndim - 1))
    k = axis % ndim
    kind = draw(st.sampled_from(["concatenate", "stack", "permute_dims", "broadcast_to", "flip", "roll", "tile",
                                 "repeat", "pad", "take", "gather", "take_along_axis", "where", "squeeze"]))
    if kind == "concatenate":
        extra = draw(st.integers(1, 3))
        other = rng.normal(size=shape[:k] + (extra,) + shape[k + 1:])
        return shape, lambda x: dk.concatenate(other, x, axis=axis)
    if kind == "stack":
        new = draw(st.integers(-ndim - 1, ndim))
        return shape, lambda x: dk.stack(x, x * x, axis=new)
    if kind == "permute_dims":
        axes = tuple(draw(st.permutations(range(ndim))))
        return shape, lambda x: dk.permute_dims(x, axes=axes)
    if kind == "broadcast_to":
        target = tuple(draw(st.integers(1, 3)) if n == 1 else n for n in shape)
        lead = tuple(draw(st.lists(st.integers(1, 2), max_size=1)))
        return shape, lambda x: dk.broadcast_to(x, shape=lead + target)
    if kind == "flip":
        return shape, lambda x: dk.flip(x, axis=axis)
    if kind == "roll":
        shift, along = draw(st.integers(-4, 4)), draw(st.sampled_from([axis, None]))
        return shape, lambda x: dk.roll(x, shift=shift, axis=along)
    if kind == "tile":
        reps = tuple(draw(st.lists(st.integers(1, 2), min_size=1, max_size=3)))
        return shape, lambda x: dk.tile(x, reps=reps)
    if kind == "repeat":
        repeats = tuple(draw(st.lists(st.integers(0, 2), min_size=shape[k], max_size=shape[k])))
        return shape, lambda x: dk.repeat(x, repeats=repeats, axis=axis)
    if kind == "pad":
        widths = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in shape)
        return shape, lambda x: dk.pad(x, pad_width=widths)
    if kind == "take":
        indices = draw(st.lists(st.integers(-shape[k], shape[k] - 1), min_size=1, max_size=5))
        return shape, lambda x: dk.take(x, indices=indices, axis=axis)
    if kind == "gather":
        index = tuple(draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2)) for n in shape[:k + 1])
        return shape, lambda x: dk.gather(x, index=index)
    if kind == "take_along_axis":
        along = shape[:k] + (draw(st.integers(1, 4)),) + shape[k + 1:]
        indices = np.array(draw(st.lists(st.integers(0, shape[k] - 1), min_size=int(np.prod(along)),
                                         max_size=int(np.prod(along))))).reshape(along)
        return shape, lambda x: dk.take_along_axis(x, indices=indices, axis=axis)
    if kind == "where":
        mask = (rng.random(size=shape[k:]) > 0.5).astype(float)
        return shape, lambda x: dk.where(mask, x, x * x)
    return shape, lambda x: dk.squeeze(dk.expand_dims(x, axis=axis), axis=axis)


@settings(max_examples=25, deadline=None)
@given(case=shaping_case())
def test_random_shapes_match_finite_differences(case):
    shape, f = case
    point = {"x": rng.normal(size=shape)}
    out_shape = np.shape(dk.trace(f).evaluate(point))
    R = rng.normal(size=out_shape)
    g = dk.trace(lambda x: dk.sum(dk.sin(f(x)) * R))
    reverse = dk.gradient(g, at=point, method="reverse").gradient["x"]
    numeric = dk.gradient(g, at=point, method="numeric").gradient["x"]
    forward = dk.gradient(g, at=point, method="forward", batch=True).gradient["x"]
    assert dk.discrepancy(reverse, numeric) <= NUMERIC
    assert dk.discrepancy(forward, reverse) <= EXACT


# --- Hessians -------------------------------------------------------------------------------------------------


def test_hessians_through_shaping_agree_four_ways():
    def f(x, w):
        joined = dk.concatenate(x, dk.flip(w, axis=0), axis=0)  # (5,)
        picked = dk.gather(dk.pad(joined, pad_width=1), index=([1, 3, 3, 5],))
        rolled = dk.roll(dk.tile(picked, reps=2), shift=3)
        stacked = dk.stack(rolled, dk.repeat(x, repeats=(2, 3, 3)), axis=0)  # (2, 8)
        moved = dk.permute_dims(dk.expand_dims(stacked, axis=-1), axes=(2, 1, 0))
        chosen = dk.where(dk.greater(moved, 0.0), moved ** 3, dk.sin(moved))
        along = dk.take_along_axis(dk.squeeze(chosen, axis=0), indices=np.array([[1, 0]] * 8), axis=1)
        return dk.sum(along * dk.broadcast_to(dk.take(w, indices=[0, 1]), shape=(8, 2)))

    point = {"x": np.array([0.3, -0.8, 1.1]), "w": np.array([0.6, -1.3])}
    g = dk.trace(f)
    hessians = {m: dk.hessian(g, at=point, method=m).hessian for m in dk.METHODS}
    for method, h in hessians.items():
        assert h.shape == (5, 5)
        assert np.allclose(h, h.T, atol=1e-12)
        tolerance = 1e-5 if method == "numeric" else EXACT
        assert dk.discrepancy(h, hessians["reverse"]) <= tolerance, method
    over = dk.hessian(g, at=point, method="reverse", over="forward").hessian
    assert dk.discrepancy(over, hessians["reverse"]) <= EXACT


# --- costs ----------------------------------------------------------------------------------------------------


def test_moving_data_costs_no_flops_and_scatter_adds_count_their_adds():
    x = rng.normal(size=(4, 5))
    at = {"x": x}
    moved = dk.gradient(dk.trace(lambda x: dk.sum(dk.flip(dk.permute_dims(x)) * x.T)), at=at).cost
    plain = dk.gradient(dk.trace(lambda x: dk.sum(x.T * x.T)), at=at).cost
    assert moved.flops == plain.flops  # flip and permute_dims, forward and backward, are free
    gathered = dk.gradient(dk.trace(lambda x: dk.sum(dk.gather(x, index=([0, 0, 3],)))), at=at,
                           method="reverse").cost
    # sum: 15 adds; its adjoint broadcast free; the scatter-add adds its 15 cotangent entries
    assert gathered.flops == 15 + 15
    assert gathered.operations["gather"] == 1 and gathered.operations["gather_add_like"] == 1


# --- torch as an independent oracle ---------------------------------------------------------------------------


def _torch_cases():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    index = torch.tensor([[0, 0], [3, 1], [2, 2]])
    return [
        ("concatenate", lambda a, b: dk.concatenate(a, b, axis=1), lambda a, b: torch.cat([a, b], 1)),
        ("stack", lambda a, b: dk.stack(a, b, axis=-1), lambda a, b: torch.stack([a, b], -1)),
        ("where", lambda a, b: dk.where(dk.less(a, b), a * b, b), lambda a, b: torch.where(a < b, a * b, b)),
        ("permute", lambda a, b: dk.permute_dims(dk.reshape(a, shape=(3, 2, 2)), axes=(2, 0, 1)) * 2,
         lambda a, b: a.reshape(3, 2, 2).permute(2, 0, 1) * 2),
        ("flip roll", lambda a, b: dk.roll(dk.flip(a, axis=0), shift=1, axis=1) + b,
         lambda a, b: torch.roll(torch.flip(a, (0,)), 1, 1) + b),
        ("tile repeat", lambda a, b: dk.repeat(dk.tile(a, reps=(1, 2)), repeats=3, axis=0),
         lambda a, b: torch.repeat_interleave(a.tile(1, 2), 3, dim=0)),
        ("pad", lambda a, b: dk.pad(a * b, pad_width=((1, 2), (0, 3))), lambda a, b: F.pad(a * b, (0, 3, 1, 2))),
        ("gather rows", lambda a, b: dk.gather(a, index=([2, 0, 2],)) * b[0], lambda a, b: a[[2, 0, 2]] * b[0]),
        ("take", lambda a, b: dk.take(a, indices=[3, 3, 1], axis=1),
         lambda a, b: torch.index_select(a, 1, torch.tensor([3, 3, 1]))),
        ("take_along_axis", lambda a, b: dk.take_along_axis(a, indices=index.numpy(), axis=1),
         lambda a, b: torch.gather(a, 1, index)),
        ("mask", lambda a, b: dk.gather(a * b, index=A > 0), lambda a, b: (a * b)[torch.tensor(A > 0)]),
    ]


def test_gradients_match_torch():
    torch = pytest.importorskip("torch")
    for name, ours, theirs in _torch_cases():
        point = {"a": A, "b": B}
        out_shape = np.shape(dk.trace(ours).evaluate(point))
        R = rng.normal(size=out_shape)
        # + Σ b² on both sides: every case then uses b (a tensor graph's unused variable is a separate issue)
        g = dk.trace(lambda a, b, ours=ours, R=R: dk.sum(dk.sin(ours(a, b)) * R) + dk.sum(b * b), ["a", "b"])
        grad = dk.gradient(g, at=point, method="reverse").gradient
        ta = torch.tensor(A, dtype=torch.float64, requires_grad=True)
        tb = torch.tensor(B, dtype=torch.float64, requires_grad=True)
        loss = (torch.sin(theirs(ta, tb)) * torch.tensor(R, dtype=torch.float64)).sum() + (tb * tb).sum()
        loss.backward()
        assert dk.gradient(g, at=point).value == pytest.approx(loss.item(), rel=1e-12), name
        for var, tensor in (("a", ta), ("b", tb)):
            assert dk.discrepancy(grad[var], tensor.grad.numpy()) <= 1e-10, (name, var)


# --- errors ---------------------------------------------------------------------------------------------------

ERRORS = [
    (lambda a: dk.concatenate(a, a[0], axis=0), r"concatenate at node .*shapes \(3, 4\) and \(4,\) have different"),
    (lambda a: dk.concatenate(a, a[:, :1], axis=0), r"differ outside axis 0"),
    (lambda a: dk.concatenate(a, a, axis=2), r"axis 2 is out of range for an array of 2 dimensions"),
    (lambda a: dk.concatenate(a[0, 0], a[0, 0]), r"cannot concatenate 0-d arrays"),
    (lambda a: dk.stack(a, a[1:]), r"stack needs arrays of one shape, got \(3, 4\) and \(2, 4\)"),
    (lambda a: dk.stack(a, a, axis=-4), r"axis -4 is out of range for an array of 3 dimensions"),
    (lambda a: dk.expand_dims(a, axis=3), r"axis 3 is out of range"),
    (lambda a: dk.expand_dims(a, axis=(0, 0)), r"repeats an axis"),
    (lambda a: dk.squeeze(a, axis=0), r"axis 0 of an array of shape \(3, 4\) has 3 entries"),
    (lambda a: dk.swapaxes(a, axis1=0, axis2=2), r"axis2 2 is out of range"),
    (lambda a: dk.moveaxis(a, source=(0, 1), destination=0), r"different numbers of axes"),
    (lambda a: dk.permute_dims(a, axes=(0, 0)), r"axes \(0, 0\) is not a permutation of the 2 axes"),
    (lambda a: dk.permute_dims(a, axes=(1, 0, 2)), r"is not a permutation"),
    (lambda a: dk.broadcast_to(a, shape=(3, 5)), r"shape \(3, 4\) cannot be broadcast to shape \(3, 5\)"),
    (lambda a: dk.flip(a, axis=-3), r"axis -3 is out of range"),
    (lambda a: dk.roll(a, shift=(1, 2), axis=0), r"several shifts for the single axis 0"),
    (lambda a: dk.roll(a, shift=(1, 2)), r"a roll without axis .* takes one shift"),
    (lambda a: dk.repeat(a, repeats=(1, 2), axis=1), r"2 repeats for 4 entries along axis 1"),
    (lambda a: dk.repeat(a, repeats=2, axis=(0, 1)), r"axis must be a single integer here"),
    (lambda a: dk.pad(a, pad_width=((1, 1), (1, 1), (1, 1))), r"3 \(before, after\) pairs of pad widths"),
    (lambda a: dk.gather(a, index=([0, 3],)), r"gather at node .*index \[\[0, 3\]\] does not fit an array of shape "
                                              r"\(3, 4\): index 3 is out of bounds for axis 0 with size 3"),
    (lambda a: dk.gather(a, index=(np.array([True, False]),)), r"does not fit .*boolean index did not match"),
    (lambda a: dk.gather(a, index=([0], [1], [2])), r"too many indices"),
    (lambda a: dk.take(a, indices=[4], axis=1), r"index 4 is out of range for the 4 entries along axis 1"),
    (lambda a: dk.take(a, indices=[-13]), r"index -13 is out of range for the 12 entries in all"),
    (lambda a: dk.take(a, indices=[0], axis=2), r"axis 2 is out of range"),
    (lambda a: dk.take_along_axis(a, indices=[0, 1], axis=0), r"indices of shape \(2,\) .* same number of axes"),
    (lambda a: dk.take_along_axis(a, indices=[[5]], axis=1), r"index 5 is out of range for the 4 entries"),
    (lambda a: dk.take_along_axis(a, indices=[[0, 0]], axis=0), r"do not broadcast against an array of shape"),
    (lambda a: dk.take_along_axis(a, indices=[[0]]), r"needs an integer axis"),
    (lambda a: dk.where(a, a[:2], a), r"shapes \(3, 4\), \(2, 4\), \(3, 4\) do not broadcast together"),
    (lambda a: dk.less(a, a[:2]), r"less at node .*do not broadcast together"),
]


@pytest.mark.parametrize("f, message", ERRORS, ids=[m[:40] for _, m in ERRORS])
def test_bad_axes_shapes_and_indices_are_binding_errors(f, message):
    g = dk.trace(lambda a: dk.sum(f(a)))
    with pytest.raises(BindingError, match=message):
        g.evaluate({"a": A})
    for method in ("forward", "reverse"):
        with pytest.raises(BindingError, match=message):
            dk.gradient(g, at={"a": A}, method=method)


@pytest.mark.parametrize("f, message", [
    (lambda a: dk.roll(a, shift=1.5), r"shift must be an integer or a tuple of integers, got 1.5"),
    (lambda a: dk.tile(a, reps=-1), r"reps must not be negative"),
    (lambda a: dk.repeat(a, repeats=(1, -1)), r"repeats must not be negative"),
    (lambda a: dk.pad(a, pad_width="wide"), r"pad_width must be an integer, a \(before, after\) pair"),
    (lambda a: dk.pad(a, pad_width=-1), r"a pad width must not be negative"),
    (lambda a: dk.swapaxes(a, axis1=(0, 1), axis2=0), r"axis1 must be an integer, got \(0, 1\)"),
    (lambda a: dk.take(a, indices=[0.5]), r"an index array must hold integers or booleans, got float64"),
    (lambda a: dk.take(a, indices=[True, False]), r"indices= must be integers"),
    (lambda a: dk.take(a, indices=[[0, 1], [2]]), r"an index array must be rectangular"),
    (lambda a: dk.gather(a, index=([0], Ellipsis, [1], Ellipsis)), r"single ellipsis"),
    (lambda a: dk.gather(a, index=(1.0,)), r"must be an integer, got the float 1.0"),
    (lambda a: dk.stack(a, a, axis=None), r"axis must be a single integer here"),
    (lambda a: dk.where(a, a), r"where\(\) takes 3 argument\(s\), got 2"),
])
def test_bad_parameters_are_refused_when_traced(f, message):
    with pytest.raises((ConversionError, BindingError), match=message):
        dk.trace(lambda a: dk.sum(f(a))).evaluate({"a": A})
