"""The examples of docs/coming-from.md computed by the libraries the page compares with: each peer that is
installed must give the numbers diffkit gives (torch and SymPy are; jax, numdifftools and autograd are skipped
when absent)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import diffkit as dk

X = np.array([0.5, 1.0, 2.0])  # the page's point, tangent and cotangent
V = np.array([1.0, 0.0, -1.0])


def f(x):  # the page's scalar function of a vector
    return dk.sum(dk.sin(x) * x**2)


def g(x):  # the page's vector function of a vector
    return dk.sin(x) * dk.sum(x)


def h(x):  # the page's function of one number
    return dk.exp(x) * dk.sin(x)


def ours():
    """Everything the page computes with diffkit."""
    return {
        "grad": dk.grad(f)(X),
        "value_and_grad": dk.value_and_grad(lambda x, y: x**2 * y, argnums=(0, 1))(3.0, 2.0),
        "jacobian": dk.jacrev(g)(X),
        "hessian": dk.hessian(f)(X),
        "jvp": dk.jvp(g, at={"x": X}, tangents={"x": V}).derivative,
        "vjp": dk.vjp(g, at={"x": X}, cotangents=[V]).derivative["x"],
    }


@pytest.fixture(scope="module")
def diffkit_values():
    return ours()


def test_torch_gives_the_same_numbers(diffkit_values):
    torch = pytest.importorskip("torch")
    t, tv = torch.tensor(X, dtype=torch.float64), torch.tensor(V, dtype=torch.float64)

    def tf(x):
        return (torch.sin(x) * x**2).sum()

    def tg(x):
        return torch.sin(x) * x.sum()

    theirs = {
        "grad": torch.func.grad(tf)(t),
        "jacobian": torch.autograd.functional.jacobian(tg, t),
        "hessian": torch.autograd.functional.hessian(tf, t),
        "jvp": torch.func.jvp(tg, (t,), (tv,))[1],
        "vjp": torch.func.vjp(tg, t)[1](tv)[0],
    }
    for key, value in theirs.items():
        np.testing.assert_allclose(diffkit_values[key], value.numpy(), rtol=1e-12, atol=1e-14, err_msg=key)
    x, y = torch.tensor(3.0, dtype=torch.float64, requires_grad=True), torch.tensor(2.0, dtype=torch.float64,
                                                                                    requires_grad=True)
    out = x**2 * y
    out.backward()
    value, (gx, gy) = diffkit_values["value_and_grad"]
    assert (value, gx, gy) == (out.item(), x.grad.item(), y.grad.item())


def test_torch_gradcheck_and_check_gradient_agree():
    torch = pytest.importorskip("torch")
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    w = np.array([1.0, -2.0])
    tA = torch.tensor(A, dtype=torch.float64)
    tw = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda w: w @ tA @ w / 2, (tw,))
    assert dk.check_gradient(lambda p: float(p["w"] @ A @ p["w"]) / 2, lambda p: {"w": A @ p["w"]}, {"w": w}).ok


def test_jax_gives_the_same_numbers(diffkit_values):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def jf(x):
        return jnp.sum(jnp.sin(x) * x**2)

    def jg(x):
        return jnp.sin(x) * jnp.sum(x)

    theirs = {
        "grad": jax.grad(jf)(X),
        "value_and_grad": jax.value_and_grad(lambda x, y: x**2 * y, argnums=(0, 1))(3.0, 2.0),
        "jacobian": jax.jacfwd(jg)(X),
        "hessian": jax.hessian(jf)(X),
        "jvp": jax.jvp(jg, (X,), (V,))[1],
        "vjp": jax.vjp(jg, X)[1](V)[0],
    }
    for key in ("grad", "jacobian", "hessian", "jvp", "vjp"):
        np.testing.assert_allclose(diffkit_values[key], theirs[key], rtol=1e-12, atol=1e-14, err_msg=key)
    (value, (gx, gy)), (v2, (gx2, gy2)) = diffkit_values["value_and_grad"], theirs["value_and_grad"]
    np.testing.assert_allclose([value, gx, gy], [v2, gx2, gy2], rtol=1e-15)


def test_autograd_gives_the_same_gradient(diffkit_values):
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    np.testing.assert_allclose(diffkit_values["grad"], autograd.grad(lambda x: anp.sum(anp.sin(x) * x**2))(X),
                               rtol=1e-12)


def test_sympy_gives_the_same_numbers():
    x, y = sp.symbols("x y")
    e = sp.exp(x) * y**2
    r = dk.gradient(e, at={x: 1.0, y: 2.0})
    for s in (x, y):
        assert r.gradient[s] == pytest.approx(float(sp.diff(e, s).subs({x: 1, y: 2})), rel=1e-14)
    second = dk.derivative(e, wrt=y, order=2, at={x: 1.0, y: 2.0}, method="symbolic").derivative
    assert second == pytest.approx(float(sp.diff(e, y, 2).subs({x: 1, y: 2})), rel=1e-14)


def test_numdifftools_gives_the_same_numbers():
    nd = pytest.importorskip("numdifftools")

    def nh(x):
        return np.exp(x) * np.sin(x)

    exact_first, exact_second = np.exp(1.0) * (np.sin(1.0) + np.cos(1.0)), 2 * np.exp(1.0) * np.cos(1.0)
    # With a fixed step both take the central second difference: the same number, off the exact one by the
    # truncation error h**2/12 * f(x) (f = -4 e^x sin x), which the page's 6 digits show.
    ours_second = dk.derivative(h, order=2, at={"x": 1.0}, method="numeric", step=1e-3).derivative
    theirs_second = nd.Derivative(nh, step=1e-3, n=2)(1.0)
    assert ours_second == pytest.approx(theirs_second, abs=1e-9)
    truncation = 1e-6 / 12 * (-4 * np.exp(1.0) * np.sin(1.0))
    assert ours_second - exact_second == pytest.approx(truncation, rel=1e-3)
    ours_first = dk.derivative(h, at={"x": 1.0}, method="numeric", scheme="richardson").derivative
    assert ours_first == pytest.approx(nd.Derivative(nh)(1.0), abs=5e-9)
    ours_gradient = dk.gradient(f, at={"x": X}, method="numeric", scheme="central").gradient["x"]
    np.testing.assert_allclose(ours_gradient, nd.Gradient(lambda x: np.sum(np.sin(x) * x**2))(X), rtol=1e-8)
    assert exact_first == pytest.approx(ours_first, abs=5e-9)
