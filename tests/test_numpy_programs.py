"""Ordinary NumPy code under diffkit: shapes known while tracing, NumPy's functions and array methods recorded as
diffkit's primitives, and dk.grad inside a traced function (the program differentiated again)."""

import numpy as np
import pytest

import diffkit as dk
from diffkit.errors import ConversionError, MethodError

rng = np.random.default_rng(11)


def agree(graph, point, tolerance=1e-7):
    """The four methods' gradients of a scalar graph agree with reverse mode's; reverse mode's is returned."""
    reference = dk.gradient(graph, at=point, method="reverse").gradient
    for method in dk.METHODS:
        gradient = dk.gradient(graph, at=point, method=method).gradient
        for name in point:
            assert dk.discrepancy(gradient[name], reference[name]) <= tolerance, (method, name)
    return reference


# --- shapes while tracing ------------------------------------------------------------------------------------

def test_given_shapes_answer_shape_len_ndim_size_and_iteration():
    seen = {}

    def f(x):
        seen.update(shape=x.shape, len=len(x), ndim=x.ndim, size=x.size, row=x[0].shape, total=(x @ x.T).shape)
        return sum(dk.sum(row * row) for row in x)  # a Python loop over the first axis unrolls

    g = dk.trace(f, shapes={"x": (3, 2)})
    assert seen == {"shape": (3, 2), "len": 3, "ndim": 2, "size": 6, "row": (2,), "total": (3, 3)}
    x = rng.normal(size=(3, 2))
    assert g.evaluate({"x": x}) == pytest.approx(np.sum(x * x))
    assert dk.discrepancy(agree(g, {"x": x})["x"], 2 * x) <= 1e-12


def test_dk_grad_knows_the_shapes_of_its_arguments():
    def f(x):
        n = len(x)  # NumPy-style code that asks for a length
        return dk.sum(x[1:] * x[: n - 1]) / n

    x = rng.normal(size=5)
    expected = (np.r_[x[1:], 0] + np.r_[0, x[:-1]]) / 5
    assert dk.discrepancy(dk.grad(f)(x), expected) <= 1e-12


def test_an_unknown_shape_is_refused_with_the_way_to_give_it():
    with pytest.raises(ConversionError, match=r"shapes=\{'x': \(3,\)\}"):
        dk.trace(lambda x: len(x))
    with pytest.raises(ConversionError, match="cannot be iterated"):
        dk.trace(lambda x: sum(x))


def test_shapes_that_do_not_fit_are_refused_while_tracing_naming_them():
    with pytest.raises(ConversionError, match=r"matmul cannot combine arguments of shapes \(3, 2\), \(3, 2\)"):
        dk.trace(lambda a, b: a @ b, shapes={"a": (3, 2), "b": (3, 2)})
    with pytest.raises(ConversionError, match=r"add cannot combine arguments of shapes \(3,\), \(4,\)"):
        dk.grad(lambda x: dk.sum(x + np.ones(4)))(np.ones(3))


@pytest.mark.parametrize("shapes, message", [
    ([3], "takes a dict"),
    ({"y": (3,)}, "not a variable"),
    ({"x": (3, -1)}, "non-negative ints"),
    ({"x": "3"}, "non-negative ints"),
])
def test_bad_shapes_are_named(shapes, message):
    with pytest.raises(ConversionError, match=message):
        dk.trace(lambda x: x, shapes=shapes)


def test_the_graph_stays_shape_agnostic():
    g = dk.trace(lambda x: dk.sum(x * x), shapes={"x": (3,)})
    assert g.evaluate({"x": np.ones(5)}) == 5.0


# --- NumPy's functions and methods ---------------------------------------------------------------------------

def test_numpy_functions_and_array_methods_record_diffkits_primitives():
    def f(x):
        return np.sum(np.exp(x)) + x.sum() + x.mean(0).sum() + np.mean(x, axis=1).sum() + dk.sum(x, 1)[0]

    x = rng.normal(size=(2, 3))
    g = dk.trace(f, shapes={"x": x.shape})
    expected = np.exp(x) + 1 + 1 / 2 + 1 / 3 + np.r_[[np.ones(3)], [np.zeros(3)]]
    assert dk.discrepancy(agree(g, {"x": x})["x"], expected) <= 1e-12
    assert dk.discrepancy(dk.grad(f)(x), expected) <= 1e-12


def test_reshape_flatten_and_ravel_take_numpys_forms():
    x = rng.normal(size=(2, 3))
    for f in (lambda x: x.reshape(3, 2), lambda x: x.reshape((3, 2)), lambda x: x.reshape(-1), lambda x: x.flatten(),
              lambda x: x.ravel()):
        g = dk.trace(lambda x, f=f: f(x) * 1.0, ["x"], shapes={"x": x.shape})
        assert np.array_equal(g.evaluate({"x": x}), f(x))


def test_a_numpy_function_diffkit_lacks_is_refused_by_name():
    with pytest.raises(ConversionError, match="NumPy's median cannot be recorded.*no median"):
        dk.grad(lambda x: np.median(x))(np.ones(3))


def test_positional_parameters_read_as_numpys_and_are_checked():
    assert np.array_equal(dk.sum(np.ones((2, 3)), 1), [3.0, 3.0])
    with pytest.raises(ConversionError, match="got axis twice"):
        dk.trace(lambda x: dk.sum(x, 0, axis=0))
    with pytest.raises(ConversionError, match=r"sum\(\) takes 1 argument\(s\) and then axis"):
        dk.trace(lambda x: dk.sum(x, 0, True, 3, 4))
    with pytest.raises(ConversionError, match="takes"):
        dk.trace(lambda x: dk.sin(x, 1))


def test_python_if_on_a_traced_value_points_to_where():
    with pytest.raises(ConversionError, match="dk.where"):
        dk.trace(lambda x: x if x else -x)


def test_comparisons_record_masks_that_where_chooses_with():
    def f(x, y):
        picked = np.where(x > y, x, y) + dk.where(x <= 0.5, x * x, 0.0)  # np.where on handles, too
        counted = (x == y) + (x != y) + (0.0 < x) + (np.zeros(3) >= y)  # reflected forms, array on the left
        return dk.sum(picked * counted)

    g = dk.trace(f)
    x, y = np.array([0.3, 2.0, -1.0]), np.array([1.0, 1.0, -1.5])
    mask = (x == y) * 1.0 + (x != y) + (0.0 < x) + (np.zeros(3) >= y)  # 0/1 numbers, not booleans
    assert g.evaluate({"x": x, "y": y}) == pytest.approx(np.sum((np.maximum(x, y) + (x <= 0.5) * x * x) * mask))
    gradient = agree(g, {"x": x, "y": y})  # the masks have no derivative: only the chosen branches do
    assert dk.discrepancy(gradient["x"], mask * ((x > y) + (x <= 0.5) * 2 * x)) <= 1e-12
    assert dk.discrepancy(gradient["y"], mask * (x <= y)) <= 1e-12


def test_numpy_transposes_and_joins():
    def f(x, v):
        turned = x.T * x.transpose(2, 1, 0) + np.transpose(x, (2, 1, 0)) + x.swapaxes(0, 2)  # (4, 3, 2)
        joined = np.concatenate([v, v * v, dk.sin(v)]) @ np.stack((v, v), axis=1).sum(1).repeat(3)
        return dk.sum(turned) * joined + dk.sum(v.T * v)

    g = dk.trace(f, shapes={"x": (2, 3, 4), "v": (3,)})
    x, v = rng.normal(size=(2, 3, 4)), rng.normal(size=3)
    turned = x.T * x.transpose(2, 1, 0) + np.transpose(x, (2, 1, 0)) + x.swapaxes(0, 2)
    joined = np.concatenate([v, v * v, np.sin(v)]) @ np.stack((v, v), axis=1).sum(1).repeat(3)
    assert g.evaluate({"x": x, "v": v}) == pytest.approx(np.sum(turned) * joined + np.sum(v * v), rel=1e-13)
    agree(g, {"x": x, "v": v})
    with pytest.raises(ConversionError, match="takes a sequence of arrays and then axis"):
        dk.trace(lambda v: dk.concatenate([v, v], 0, 1))


def test_handles_still_work_as_dict_keys():
    def f(x):
        table = {x: 1.0}
        return x * table[x]

    assert dk.trace(f).evaluate({"x": 2.0}) == 2.0


# --- dk.grad inside a traced function --------------------------------------------------------------------------

def test_a_gradient_inside_a_program_is_differentiated_again_four_ways():
    f = lambda x: dk.sum(x**3)  # noqa: E731

    def gradient_norm(x):
        return dk.sum(dk.grad(f)(x) ** 2)  # Σ (3x²)²

    x = np.array([1.0, -2.0, 0.5])
    assert dk.discrepancy(dk.grad(gradient_norm)(x), 36 * x**3) <= 1e-12
    g = dk.trace(gradient_norm)
    assert dk.discrepancy(agree(g, {"x": x})["x"], 36 * x**3) <= 1e-12


def test_nested_gradients_to_third_order():
    assert dk.grad(lambda x: dk.grad(lambda y: dk.grad(lambda z: z**4)(y))(x))(2.0) == pytest.approx(48.0)


def test_an_inner_function_may_close_over_the_outer_values():
    def penalty(w, x):  # a gradient penalty: |∂/∂x Σ w x²|²
        return dk.sum(dk.grad(lambda y: dk.sum(w * y**2))(x) ** 2)

    w, x = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    dw, dx = dk.grad(penalty, argnums=(0, 1))(w, x)
    assert dk.discrepancy(dw, 8 * w * x**2) <= 1e-12
    assert dk.discrepancy(dx, 8 * w**2 * x) <= 1e-12


def test_a_newton_step_inside_a_program():
    def after_one_newton_step(x):  # x - f'(x)/f''(x) for f = x⁴/4: (2/3)x
        d1 = dk.grad(lambda y: y**4 / 4)
        d2 = dk.grad(lambda y: d1(y))
        return x - d1(x) / d2(x)

    g = dk.trace(after_one_newton_step)
    assert g.evaluate({"x": 3.0}) == pytest.approx(2.0)
    assert agree(g, {"x": 3.0})["x"] == pytest.approx(2 / 3)


def test_value_and_grad_inside_a_program():
    def f(x):
        value, gradient = dk.value_and_grad(lambda y: dk.sin(y) * y)(x)
        return value + gradient

    x = 0.7
    expected = np.cos(x) * x + np.sin(x) + (-np.sin(x) * x + 2 * np.cos(x))
    assert dk.grad(f)(x) == pytest.approx(expected, rel=1e-12)


def test_a_numeric_argument_inside_a_trace_is_a_constant():
    g = dk.trace(lambda x: x * dk.grad(lambda y: y**2)(3.0))
    assert g.evaluate({"x": 1.0}) == 6.0


def test_recorded_grad_refuses_what_it_cannot_record():
    with pytest.raises(MethodError, match="method='forward' cannot be recorded"):
        dk.trace(lambda x: dk.grad(dk.sin, method="forward")(x))
    with pytest.raises(MethodError, match="scalar output, got shape"):
        dk.grad(lambda x: dk.sum(dk.grad(lambda y: y * 2.0)(x)))(np.ones(3))
    with pytest.raises(MethodError, match="dk.jacfwd cannot be recorded inside a traced function"):
        dk.trace(lambda x: dk.jacfwd(dk.sin)(x))
