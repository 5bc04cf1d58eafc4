"""JAX-style transforms of Python functions (diffkit/transforms.py): dk.grad, value_and_grad, jacfwd, jacrev,
hessian, with JAX's argument conventions, shapes and errors. Values are checked against derivatives worked out by
hand; jax, where installed, is an extra oracle."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import diffkit as dk
from diffkit import transforms

X = np.array([0.5, -1.0, 2.0])
Y = np.array([1.5, 0.25, -0.75])


def f_sum_sin_xy(x, y):
    return dk.sum(dk.sin(x) * y)


# ---- JAX semantics by example ----------------------------------------------------------------------------------

def test_grad_of_a_reduction_has_the_arguments_shape():
    got = dk.grad(lambda x: dk.sum(x**2))(np.ones(3))
    assert isinstance(got, np.ndarray) and got.shape == (3,)
    np.testing.assert_array_equal(got, 2 * np.ones(3))


def test_grad_of_a_number_is_a_float():
    got = dk.grad(lambda x: x**2)(3.0)
    assert type(got) is float and got == 6.0
    assert dk.grad(lambda x: x**3)(2) == 12.0  # an int argument is a number too


def test_grad_of_a_matrix_argument():
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = np.array([0.5, -1.0])
    # d/dw of sum((A w)^2) = 2 Aᵀ A w
    got = dk.grad(lambda w: dk.sum(dk.matmul(A, dk.reshape(w, shape=(2, 1))) ** 2))(w)
    np.testing.assert_allclose(got, 2 * A.T @ A @ w, rtol=1e-12)


def test_jacrev_of_an_elementwise_function_is_a_diagonal_matrix():
    got = dk.jacrev(lambda x: dk.sin(x))(np.ones(3))
    assert got.shape == (3, 3)
    np.testing.assert_allclose(got, np.diag(np.cos(np.ones(3))), rtol=1e-14)


def test_jacobian_shape_is_output_shape_plus_argument_shape():
    M = np.arange(6.0).reshape(2, 3)
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    for transform in (dk.jacfwd, dk.jacrev):
        got = transform(lambda x: dk.matmul(M, x))(x)  # (2, 2) output, (3, 2) argument
        assert got.shape == (2, 2, 3, 2)
        expected = np.einsum("ik,jl->ijkl", M, np.eye(2))  # ∂(Mx)_ij/∂x_kl = M_ik δ_jl
        np.testing.assert_allclose(got, expected, atol=1e-14)


def test_jacobian_of_a_scalar_function_of_a_vector_is_its_gradient():
    for transform in (dk.jacfwd, dk.jacrev):
        np.testing.assert_allclose(transform(f_sum_sin_xy)(X, Y), np.cos(X) * Y, rtol=1e-14)


def test_jacobian_of_several_outputs_is_a_tuple():
    got = dk.jacfwd(lambda x: (x * 2.0, x**2))(np.array([1.0, 3.0]))
    assert isinstance(got, tuple) and len(got) == 2
    np.testing.assert_array_equal(got[0], 2 * np.eye(2))
    np.testing.assert_array_equal(got[1], np.diag([2.0, 6.0]))


def test_hessian_of_a_scalar_function():
    # f = sum(x^3 * y): H = diag(6 x y)
    got = dk.hessian(lambda x, y: dk.sum(x**3 * y))(X, Y)
    assert got.shape == (3, 3)
    np.testing.assert_allclose(got, np.diag(6 * X * Y), rtol=1e-12)


def test_hessian_of_a_number_is_a_float():
    got = dk.hessian(lambda x: x**4)(2.0)
    assert type(got) is float and got == pytest.approx(48.0, rel=1e-12)


def test_hessian_of_a_matrix_argument_has_twice_its_shape():
    W = np.array([[1.0, 2.0], [0.5, -1.0]])
    got = dk.hessian(lambda w: dk.sum(w**3))(W)
    assert got.shape == (2, 2, 2, 2)
    expected = np.zeros((2, 2, 2, 2))
    for i in range(2):
        for j in range(2):
            expected[i, j, i, j] = 6 * W[i, j]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_hessian_of_a_vector_output_is_output_shape_plus_twice_the_argument_shape():
    got = dk.hessian(lambda x: x**3)(np.array([1.0, 2.0]))
    assert got.shape == (2, 2, 2)
    expected = np.zeros((2, 2, 2))
    expected[0, 0, 0], expected[1, 1, 1] = 6.0, 12.0  # ∂²(x_k³)/∂x_i∂x_j = 6 x_k δ_ki δ_kj
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_value_and_grad_returns_the_value_and_the_gradient():
    value, gradient = dk.value_and_grad(f_sum_sin_xy)(X, Y)
    assert value == pytest.approx(float(np.sum(np.sin(X) * Y)), rel=1e-14)
    np.testing.assert_allclose(gradient, np.cos(X) * Y, rtol=1e-14)
    assert dk.value_and_grad(lambda x, y: x**2 * y)(3.0, 2.0) == (18.0, 12.0)


def test_the_last_calls_cost_is_on_the_transformed_function():
    g = dk.value_and_grad(lambda x: dk.sum(x**2))
    assert g.cost is None
    g(np.ones(4))
    assert g.cost.backward_sweeps == 1


# ---- argnums and structure -------------------------------------------------------------------------------------

def test_argnums_int_chooses_the_argument():
    np.testing.assert_allclose(dk.grad(f_sum_sin_xy, argnums=1)(X, Y), np.sin(X), rtol=1e-14)
    np.testing.assert_allclose(dk.grad(f_sum_sin_xy, argnums=-1)(X, Y), np.sin(X), rtol=1e-14)


def test_argnums_tuple_gives_a_tuple_in_that_order():
    gy, gx = dk.grad(f_sum_sin_xy, argnums=(1, 0))(X, Y)
    np.testing.assert_allclose(gx, np.cos(X) * Y, rtol=1e-14)
    np.testing.assert_allclose(gy, np.sin(X), rtol=1e-14)
    single = dk.grad(f_sum_sin_xy, argnums=(0,))(X, Y)
    assert isinstance(single, tuple) and len(single) == 1


def test_mixed_number_and_array_arguments_keep_their_structure():
    gx, ga = dk.grad(lambda x, a: dk.sum(a * x**2), argnums=(0, 1))(X, 3.0)
    np.testing.assert_allclose(gx, 6.0 * X, rtol=1e-14)
    assert type(ga) is float and ga == pytest.approx(float(np.sum(X**2)), rel=1e-14)
    jx, ja = dk.jacrev(lambda x, a: a * x, argnums=(0, 1))(X, 3.0)
    np.testing.assert_allclose(jx, 3.0 * np.eye(3), rtol=1e-14)
    np.testing.assert_allclose(ja, X, rtol=1e-14)  # output shape (3,) + argument shape ()


def test_hessian_argnums_tuple_gives_blocks():
    # f = x^2 y: ∂²/∂x² = 2y, ∂²/∂x∂y = 2x, ∂²/∂y² = 0
    (hxx, hxy), (hyx, hyy) = dk.hessian(lambda x, y: x**2 * y, argnums=(0, 1))(1.0, 3.0)
    assert (hxx, hxy, hyx, hyy) == (6.0, 2.0, 2.0, 0.0)
    blocks = dk.hessian(lambda x, y: dk.sum(x**2) * y, argnums=(0, 1))(X, 2.0)
    np.testing.assert_allclose(blocks[0][0], 4.0 * np.eye(3), rtol=1e-12)
    np.testing.assert_allclose(blocks[0][1], 2.0 * X, rtol=1e-12)
    np.testing.assert_allclose(blocks[1][0], 2.0 * X, rtol=1e-12)
    assert blocks[1][1] == 0.0


def test_other_arguments_are_passed_as_they_are():
    def f(x, mode, scale=1.0):
        return scale * (x**2 if mode == "square" else x**3)

    assert dk.grad(f)(3.0, "square") == 6.0
    assert dk.grad(f)(3.0, "cube", scale=2.0) == 54.0
    np.testing.assert_allclose(dk.grad(lambda x, c: dk.sum(c * x))(X, Y), Y)  # an array constant


def test_elementwise_functions_of_arrays_are_tensors_not_batches():
    # the verb with at= treats arrays as a batch of points; the transform, as JAX, as one tensor argument
    batch = dk.jacobian(lambda x: dk.sin(x), at={"x": X}).jacobian
    assert batch.shape == (1, 1, 3)
    assert dk.jacfwd(lambda x: dk.sin(x))(X).shape == (3, 3)


# ---- the four methods agree ------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", dk.METHODS)
def test_every_method_gives_the_hand_derived_derivatives(method):
    tol = {"rtol": 1e-6, "atol": 1e-8} if method == "numeric" else {"rtol": 1e-12, "atol": 0}
    np.testing.assert_allclose(dk.grad(f_sum_sin_xy, method=method)(X, Y), np.cos(X) * Y, **tol)
    value, gy = dk.value_and_grad(f_sum_sin_xy, argnums=1, method=method)(X, Y)
    np.testing.assert_allclose(gy, np.sin(X), **tol)
    for transform in (dk.jacfwd, dk.jacrev):
        np.testing.assert_allclose(transform(lambda x: dk.exp(x) * 2.0, method=method)(X),
                                   np.diag(2 * np.exp(X)), **tol)
    htol = {"rtol": 1e-4, "atol": 1e-6} if method == "numeric" else tol
    np.testing.assert_allclose(dk.hessian(f_sum_sin_xy, method=method)(X, Y), np.diag(-np.sin(X) * Y), **htol)


def test_method_options_reach_the_method():
    coarse = dk.grad(lambda x: dk.exp(x), method="numeric", scheme="forward", step=1e-2)(0.0)
    assert coarse == pytest.approx((np.exp(1e-2) - 1) / 1e-2, rel=1e-12)  # the forward difference itself


# ---- errors ----------------------------------------------------------------------------------------------------

def test_grad_of_a_non_scalar_output_is_refused_like_jax():
    with pytest.raises(dk.MethodError, match=r"grad requires a scalar output, got shape \(3,\)"):
        dk.grad(lambda x: x**2)(np.ones(3))
    with pytest.raises(dk.MethodError, match="got 2 outputs"):
        dk.grad(lambda x: (x, x))(1.0)


@pytest.mark.parametrize("bad, named", [("abc", "a str"), (None, "None"), (True, "a boolean"),
                                        ([1.0, 2.0], "np.asarray"), (1 + 2j, "a complex")])
def test_arguments_that_cannot_be_differentiated(bad, named):
    with pytest.raises(dk.BindingError, match="argument 0 is") as caught:
        dk.grad(lambda x: x)(bad)
    assert named in str(caught.value)


def test_bad_argnums():
    with pytest.raises(dk.BindingError, match="out of range"):
        dk.grad(lambda x: x, argnums=1)(1.0)
    with pytest.raises(dk.BindingError, match="twice"):
        dk.grad(lambda x, y: x * y, argnums=(0, -2))(1.0, 2.0)
    with pytest.raises(dk.BindingError, match="argnums= takes"):
        dk.grad(lambda x: x, argnums="x")(1.0)
    with pytest.raises(dk.BindingError, match="call the transformed function with"):
        dk.grad(lambda: 1.0)()


def test_unknown_method_and_misspelled_keywords():
    with pytest.raises(dk.MethodError, match="unknown method"):
        dk.jacrev(lambda x: x, method="backward")
    with pytest.raises(dk.DiffkitError, match="did you mean argnums"):
        dk.jacfwd(lambda x: x, argnum=0)
    with pytest.raises(dk.DiffkitError, match="did you mean argnums"):
        dk.grad(lambda x: x, argnum=0)


def test_transforms_take_functions():
    with pytest.raises(dk.ConversionError, match="transforms a Python function"):
        transforms.jacrev("sin(x)")


# ---- dispatch: expressions keep their interface ----------------------------------------------------------------

def test_expressions_keep_the_dict_interface():
    assert dk.grad("x**3 * y")({"x": 2.0, "y": 1.0}) == {"x": 12.0, "y": 8.0}
    x = sp.Symbol("x")
    assert dk.value_and_grad(x**2)(x=3.0) == (9.0, {"x": 6.0})
    graph = dk.trace(lambda x, y: x * y)
    assert dk.grad(graph)(x=2.0, y=5.0) == {"x": 5.0, "y": 2.0}
    with pytest.raises(dk.BindingError, match="argnums= is for grad of a Python function"):
        dk.grad("x**2", argnums=0)
    with pytest.raises(dk.BindingError, match="use argnums="):
        dk.grad(lambda x: x, wrt="x")


def test_hessian_verb_with_at_is_unchanged_and_without_at_is_the_transform():
    result = dk.hessian(lambda x, y: x**2 * y, at={"x": 1.0, "y": 3.0})
    np.testing.assert_array_equal(result.hessian, [[6.0, 2.0], [2.0, 0.0]])
    assert dk.hessian(lambda x, y: x**2 * y)(1.0, 3.0) == 6.0
    with pytest.raises(dk.BindingError, match="argnums= is for hessian"):
        dk.hessian("x**2", at={"x": 1.0}, argnums=0)


# ---- jax as an oracle, where installed ---------------------------------------------------------------------------

def test_against_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def theirs(x, y):
        return jnp.sum(jnp.sin(x) * y) + jnp.sum(x**2 * y**3)

    def ours(x, y):
        return dk.sum(dk.sin(x) * y) + dk.sum(x**2 * y**3)

    for argnums in (0, 1, (0, 1)):
        np.testing.assert_allclose(dk.grad(ours, argnums=argnums)(X, Y),
                                   jax.grad(theirs, argnums=argnums)(X, Y), rtol=1e-12)
    np.testing.assert_allclose(dk.hessian(ours)(X, Y), jax.hessian(theirs)(X, Y), rtol=1e-12)
    np.testing.assert_allclose(dk.jacrev(lambda x: dk.tanh(x) * x)(X), jax.jacrev(lambda x: jnp.tanh(x) * x)(X),
                               rtol=1e-12)


def test_an_output_that_does_not_depend_on_the_argument_has_zero_derivatives():
    # no path from x to the output: zeros of JAX's shapes, and the value still computed
    assert dk.value_and_grad(lambda x: 3.0)(np.ones(2))[0] == 3.0
    np.testing.assert_array_equal(dk.grad(lambda x, c: dk.sum(c))(np.ones(2), np.ones(3)), np.zeros(2))
    assert dk.jacrev(lambda x: dk.sum(2.0 * Y))(np.ones(2)).shape == (2,)  # a constant: output shape () + (2,)
    np.testing.assert_array_equal(dk.hessian(lambda x: 1.0)(np.ones(3)), np.zeros((3, 3)))
    jx, jy = dk.jacfwd(lambda x, y: x * 2.0, argnums=(0, 1))(np.ones(2), np.ones(3))
    np.testing.assert_array_equal(jx, 2 * np.eye(2))
    np.testing.assert_array_equal(jy, np.zeros((2, 3)))
