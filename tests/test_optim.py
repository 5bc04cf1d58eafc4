"""diffkit.optim: the optimizers' updates against formulas, schedules, Newton's damping, and minimize."""

import copy
import math

import numpy as np
import pytest

import diffkit as dk
from diffkit.errors import BindingError
from diffkit.optim import (
    GD,
    SGD,
    AdaGrad,
    Adam,
    AdamW,
    Momentum,
    Nesterov,
    Newton,
    Optimizer,
    RMSProp,
    Trajectory,
    constant,
    cosine,
    inverse_time,
    minimize,
    step_decay,
)

# Hessian diag(8, 2/15), minimum 0 at (0, -3).
BOWL = "4*x**2 + (y+3)**2/15"
START = {"x": 1.0, "y": 1.0}
MINIMUM = np.array([0.0, -3.0])
ROSENBROCK = "(1-x)**2 + 100*(y-x**2)**2"


def _bowl(x, y):
    return 4 * x**2 + (y + 3) ** 2 / 15


def _distance(point) -> float:
    return float(np.linalg.norm(np.asarray(point) - MINIMUM))


# --- every optimizer on the bowl ----------------------------------------------------------------------------------

OPTIMIZERS = [
    GD(lr=0.1),
    SGD(lr=0.1),
    Momentum(lr=0.01, momentum=0.9),
    Nesterov(lr=0.01, momentum=0.9),
    AdaGrad(lr=0.5),
    RMSProp(lr=0.01),
    Adam(lr=0.1),
    Newton(),
]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: o.name)
def test_every_optimizer_descends_the_bowl(optimizer):
    trajectory = minimize(BOWL, START, optimizer, steps=200)
    assert isinstance(trajectory, Trajectory)
    assert trajectory.variables == ("x", "y")
    assert trajectory.optimizer == optimizer.name
    k = trajectory.steps
    assert 1 <= k <= 200
    assert trajectory.points.shape == (k + 1, 2)
    assert trajectory.values.shape == trajectory.gradient_norms.shape == (k + 1,)
    assert trajectory.values[0] == pytest.approx(_bowl(1, 1))
    assert trajectory.values[-1] < trajectory.values[0]
    assert _distance(trajectory.points[-1]) < _distance([1.0, 1.0])
    assert trajectory.final == {"x": trajectory.points[-1, 0], "y": trajectory.points[-1, 1]}
    np.testing.assert_allclose(trajectory.values, [_bowl(*p) for p in trajectory.points], rtol=1e-12, atol=1e-300)


def test_newton_reaches_the_minimum_of_a_quadratic_in_one_step():
    trajectory = minimize(BOWL, START, Newton(lr=1.0))
    assert trajectory.converged
    assert trajectory.steps <= 2
    np.testing.assert_allclose(trajectory.points[1], MINIMUM, atol=1e-12)
    assert trajectory.values[1] == pytest.approx(0.0, abs=1e-24)


def test_gd_stability_bound_is_two_over_the_largest_curvature():
    # Along x the update is x <- (1 - 8γ) x: stable iff |1 - 8γ| < 1, i.e. γ < 2/8 = 0.25.
    for lr in (0.3, 0.26):
        trajectory = minimize(BOWL, START, GD(lr=lr), steps=50)
        xs = trajectory.points[:, 0]
        assert not trajectory.converged
        assert np.all(np.abs(xs[1:]) > np.abs(xs[:-1]))  # every step moves x further away
        np.testing.assert_allclose(xs, (1 - 8 * lr) ** np.arange(51), rtol=1e-9)
    stable = minimize(BOWL, START, GD(lr=0.24), steps=50)
    assert abs(stable.points[-1, 0]) < 0.1
    assert np.all(np.diff(np.abs(stable.points[:, 0])) < 0)


def test_minimize_reuses_an_optimizer_after_reset_and_takes_other_methods():
    adam = Adam(lr=0.1)
    first = minimize(BOWL, START, adam, steps=30)
    second = minimize(BOWL, START, adam, steps=30)
    np.testing.assert_array_equal(first.points, second.points)
    forward = minimize(BOWL, START, Adam(lr=0.1), steps=30, method="forward")
    np.testing.assert_allclose(forward.points, first.points, rtol=1e-12, atol=1e-15)


def test_minimize_stops_on_small_gradient_or_step():
    at_minimum = minimize(BOWL, {"x": 0.0, "y": -3.0}, GD(lr=0.1))
    assert at_minimum.converged and at_minimum.steps == 0 and at_minimum.points.shape == (1, 2)
    tiny = minimize(BOWL, START, GD(lr=1e-14), tol=1e-10)
    assert tiny.converged and tiny.steps == 1  # ‖Δθ‖ = 1e-14·‖g‖ ≤ tol
    budget = minimize(BOWL, START, GD(lr=0.1), steps=0)
    assert budget.steps == 0 and not budget.converged


def test_minimize_stops_when_it_diverges_to_infinity():
    trajectory = minimize("x**2", {"x": 1.0}, GD(lr=1e200), steps=100, errors="ignore")
    assert not trajectory.converged
    assert trajectory.steps < 100
    assert not np.isfinite(trajectory.values[-1])


# --- updates against hand-written formulas ------------------------------------------------------------------------

def test_adam_first_step_moves_each_coordinate_by_about_lr():
    lr, eps = 0.1, 1e-8
    g = np.array([3.0, -2e-3, 1e-9, 0.0, -50.0])
    new = Adam(lr=lr, eps=eps).step({"w": np.zeros(5)}, {"w": g})["w"]
    np.testing.assert_allclose(np.abs(new), lr * np.abs(g) / (np.abs(g) + eps), rtol=1e-12)
    np.testing.assert_allclose(np.abs(new[[0, 1, 4]]), lr, rtol=1e-5)
    assert np.all(np.sign(new) == -np.sign(g))


def test_momentum_two_steps_by_hand():
    # f = 3x², f' = 6x
    lr, alpha, x0 = 0.05, 0.9, 2.0
    v1 = -lr * 6 * x0
    x1 = x0 + v1
    v2 = alpha * v1 - lr * 6 * x1
    x2 = x1 + v2
    opt = Momentum(lr=lr, momentum=alpha)
    p1 = opt.step({"x": x0}, {"x": 6 * x0})
    p2 = opt.step(p1, {"x": 6 * p1["x"]})
    assert isinstance(p1["x"], float)
    assert p1["x"] == pytest.approx(x1, rel=1e-15)
    assert p2["x"] == pytest.approx(x2, rel=1e-15)
    assert opt.t == 2


def test_adam_two_steps_by_hand():
    # f = 3x², f' = 6x
    lr, b1, b2, eps, x0 = 0.1, 0.9, 0.999, 1e-8, 2.0
    g1 = 6 * x0
    m1, v1 = (1 - b1) * g1, (1 - b2) * g1**2
    x1 = x0 - lr * (m1 / (1 - b1)) / (math.sqrt(v1 / (1 - b2)) + eps)
    g2 = 6 * x1
    m2, v2 = b1 * m1 + (1 - b1) * g2, b2 * v1 + (1 - b2) * g2**2
    x2 = x1 - lr * (m2 / (1 - b1**2)) / (math.sqrt(v2 / (1 - b2**2)) + eps)
    opt = Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)
    p1 = opt.step({"x": x0}, {"x": g1})
    p2 = opt.step(p1, {"x": 6 * p1["x"]})
    assert p1["x"] == pytest.approx(x1, rel=1e-14)
    assert p2["x"] == pytest.approx(x2, rel=1e-14)


def test_adagrad_and_rmsprop_two_steps_by_hand():
    lr, eps, rho, g1, g2 = 0.5, 1e-8, 0.9, 4.0, -1.0
    ada = AdaGrad(lr=lr, eps=eps)
    a1 = ada.step({"x": 0.0}, {"x": g1})
    a2 = ada.step(a1, {"x": g2})
    assert a2["x"] == pytest.approx(-lr * g1 / (4 + eps) - lr * g2 / (math.sqrt(17) + eps), rel=1e-14)
    rms = RMSProp(lr=lr, decay=rho, eps=eps)
    r1 = rms.step({"x": 0.0}, {"x": g1})
    r2 = rms.step(r1, {"x": g2})
    s1 = (1 - rho) * g1**2
    s2 = rho * s1 + (1 - rho) * g2**2
    assert r2["x"] == pytest.approx(-lr * g1 / (math.sqrt(s1) + eps) - lr * g2 / (math.sqrt(s2) + eps), rel=1e-14)


def test_sgd_is_the_gd_update():
    params, grads = {"w": np.array([1.0, -2.0])}, {"w": np.array([0.5, 4.0])}
    np.testing.assert_array_equal(SGD(lr=0.1).step(params, grads)["w"], GD(lr=0.1).step(params, grads)["w"])
    np.testing.assert_allclose(GD(lr=0.1).step(params, grads)["w"], [0.95, -2.4])


def test_nesterov_reformulation_matches_the_literal_form():
    # f = ½ θᵀAθ on a 2-D quadratic, gradient Aθ.
    A = np.array([[8.0, 1.0], [1.0, 0.5]])
    lr, alpha, steps = 0.05, 0.9, 25
    theta, v = np.array([1.0, 1.0]), np.zeros(2)
    literal = [theta]
    lookaheads = [theta + alpha * v]
    for _ in range(steps):  # the lecture's form: gradient at θ + αΔθ
        v = alpha * v - lr * A @ (theta + alpha * v)
        theta = theta + v
        literal.append(theta)
        lookaheads.append(theta + alpha * v)

    reformulated = Nesterov(lr=lr, momentum=alpha)
    also = Momentum(lr=lr, momentum=alpha, nesterov=True)
    phi = {"t": np.array([1.0, 1.0])}
    phi_too = dict(phi)
    for k in range(1, steps + 1):
        phi = reformulated.step(phi, {"t": A @ phi["t"]})
        phi_too = also.step(phi_too, {"t": A @ phi_too["t"]})
        np.testing.assert_allclose(phi["t"], lookaheads[k], rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(phi["t"], phi_too["t"])

    # The literal form through the optimizer: gradient at lookahead(θ), then literal_step.
    by_lookahead = Nesterov(lr=lr, momentum=alpha)
    theta_opt = {"t": np.array([1.0, 1.0])}
    for k in range(1, steps + 1):
        ahead = by_lookahead.lookahead(theta_opt)
        theta_opt = by_lookahead.literal_step(theta_opt, {"t": A @ ahead["t"]})
        np.testing.assert_allclose(theta_opt["t"], literal[k], rtol=1e-12, atol=1e-14)
    assert by_lookahead.nesterov  # literal_step leaves the object in its reformulated mode

    # And classic momentum fed the look-ahead gradient is the literal form too.
    classic = Momentum(lr=lr, momentum=alpha)
    theta_m = {"t": np.array([1.0, 1.0])}
    for _ in range(steps):
        theta_m = classic.step(theta_m, {"t": A @ classic.lookahead(theta_m)["t"]})
    np.testing.assert_allclose(theta_m["t"], literal[-1], rtol=1e-12, atol=1e-14)


def test_lookahead_before_any_step_is_the_point_itself():
    opt = Nesterov(lr=0.1)
    assert opt.lookahead({"x": 2.0}) == {"x": 2.0}


# --- weight decay -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: GD(lr=0.1, weight_decay=0.5),
    lambda: Momentum(lr=0.1, weight_decay=0.5),
    lambda: AdaGrad(lr=0.1, weight_decay=0.5),
    lambda: RMSProp(lr=0.1, weight_decay=0.5),
    lambda: Adam(lr=0.1, weight_decay=0.5),
    lambda: AdamW(lr=0.1, weight_decay=0.5),
], ids=["GD", "Momentum", "AdaGrad", "RMSProp", "Adam", "AdamW"])
def test_decoupled_weight_decay_shrinks_parameters_without_gradient(make):
    opt = make()
    params = {"w": np.array([[1.0, -2.0], [3.0, 0.5]]), "b": 4.0}
    zero = {"w": np.zeros((2, 2)), "b": 0.0}
    for k in range(1, 6):
        params = opt.step(params, zero)
        np.testing.assert_allclose(params["w"], (1 - 0.1 * 0.5) ** k * np.array([[1.0, -2.0], [3.0, 0.5]]),
                                   rtol=1e-14)
        assert params["b"] == pytest.approx(4.0 * 0.95**k, rel=1e-14)


def test_weight_decay_is_the_lecture_formula_for_gd_and_adamw_default():
    new = GD(lr=0.1, weight_decay=0.2).step({"x": 2.0}, {"x": 3.0})
    assert new["x"] == pytest.approx((1 - 0.1 * 0.2) * 2.0 - 0.1 * 3.0, rel=1e-15)
    assert AdamW().weight_decay == 0.01 and Adam().weight_decay == 0.0
    w = AdamW(lr=0.1, weight_decay=0.2).step({"x": 2.0}, {"x": 3.0})["x"]
    a = Adam(lr=0.1, weight_decay=0.2).step({"x": 2.0}, {"x": 3.0})["x"]
    assert w == a == pytest.approx(2.0 * (1 - 0.02) - 0.1 * 3.0 / (3.0 + 1e-8), rel=1e-14)


# --- schedules ----------------------------------------------------------------------------------------------------

def test_schedules_give_the_documented_multipliers():
    assert [constant()(t) for t in (1, 10, 1000)] == [1.0, 1.0, 1.0]
    decay = step_decay(3, factor=0.5)
    assert [decay(t) for t in range(1, 11)] == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]
    assert [inverse_time()(t) for t in (1, 2, 4, 10)] == pytest.approx([1, 1 / 2, 1 / 4, 1 / 10])  # γ₀/t
    assert inverse_time(0.5)(3) == pytest.approx(0.5)
    assert inverse_time(0.0)(50) == 1.0
    c = cosine(10)
    assert c(1) == 1.0
    assert c(6) == pytest.approx(0.5)
    assert c(11) == pytest.approx(0.0, abs=1e-15) and c(1000) == pytest.approx(0.0, abs=1e-15)
    assert all(c(t) > 0 for t in range(1, 11))
    assert all(c(t) >= c(t + 1) for t in range(1, 20))
    floored = cosine(4, floor=0.1)
    assert floored(1) == 1.0 and floored(5) == pytest.approx(0.1) and floored(9) == pytest.approx(0.1)
    assert repr(decay) == "step_decay(every=3, factor=0.5)"
    assert repr(inverse_time(2)) == "inverse_time(decay=2.0)"
    assert repr(cosine(10, 0.1)) == "cosine(total=10, floor=0.1)"
    assert repr(constant()) == "constant()"


def test_optimizers_use_the_scheduled_rate():
    opt = GD(lr=0.2, schedule=step_decay(2, 0.1))
    assert [opt.lr_at(t) for t in (1, 2, 3, 5)] == pytest.approx([0.2, 0.2, 0.02, 0.002])
    x = {"x": 1.0}
    expected = 1.0
    for t in range(1, 6):
        x = opt.step(x, {"x": 1.0})
        expected -= opt.lr_at(t)
        assert x["x"] == pytest.approx(expected, rel=1e-15)
    custom = GD(lr=1.0, schedule=lambda t: 1 / t**2)
    assert custom.lr_at(3) == pytest.approx(1 / 9)
    assert "schedule=step_decay(every=2, factor=0.1)" in repr(opt)


def test_reset_forgets_state_and_step_count():
    opt = Momentum(lr=0.1)
    first = opt.step({"x": 1.0}, {"x": 1.0})
    opt.step(first, {"x": 1.0})
    opt.reset()
    assert opt.t == 0 and opt.state == {}
    assert opt.step({"x": 1.0}, {"x": 1.0}) == first


# --- arrays and purity ----------------------------------------------------------------------------------------------

def _all_optimizers():
    return [GD(0.1), SGD(0.1), Momentum(0.1), Nesterov(0.1), AdaGrad(0.1), RMSProp(0.1), Adam(0.1), AdamW(0.1),
            Newton(damping=0.1)]


@pytest.mark.parametrize("optimizer", _all_optimizers(), ids=lambda o: o.name)
def test_optimizers_do_not_modify_their_arguments(optimizer):
    params = {"W": np.arange(6.0).reshape(2, 3), "b": np.array([1.0, 2.0, 3.0]), "s": 0.5}
    grads = {"W": np.ones((2, 3)), "b": np.array([0.5, -0.5, 2.0]), "s": -1.0}
    params_copy, grads_copy = copy.deepcopy(params), copy.deepcopy(grads)
    hessian = np.eye(10) * 2.0
    current = params
    for _ in range(3):
        new = optimizer.step(current, grads, hessian=hessian)
        assert new is not current
        for name in ("W", "b"):
            assert isinstance(new[name], np.ndarray) and new[name].shape == params[name].shape
            assert not np.shares_memory(new[name], current[name])
            assert not np.shares_memory(new[name], grads[name])
        assert isinstance(new["s"], float)
        current = new
    for name in params:
        np.testing.assert_array_equal(params[name], params_copy[name])
        np.testing.assert_array_equal(grads[name], grads_copy[name])
    assert list(new) == ["W", "b", "s"]


@pytest.mark.parametrize("optimizer", [Momentum(0.1), Nesterov(0.1), Adam(0.05), RMSProp(0.01), AdaGrad(0.5),
                                       GD(0.5)], ids=lambda o: o.name)
def test_array_parameters_reach_the_minimum(optimizer):
    # L = ½‖W − A‖² + ½‖b − c‖², gradients W − A and b − c.
    rng = np.random.default_rng(0)
    A, c = rng.normal(size=(3, 4)), rng.normal(size=(2, 1))
    params = {"W": np.zeros((3, 4)), "b": np.zeros((2, 1))}
    start = np.sqrt(np.sum(A**2) + np.sum(c**2))
    for _ in range(300):
        params = optimizer.step(params, {"W": params["W"] - A, "b": params["b"] - c})
    assert params["W"].shape == (3, 4) and params["b"].shape == (2, 1)
    assert np.sqrt(np.sum((params["W"] - A) ** 2) + np.sum((params["b"] - c) ** 2)) < 0.05 * start


def test_newton_on_array_parameters_flattens_in_dict_order():
    # L = Σ dᵢ(θᵢ − aᵢ)²/2 with θ = [W.ravel(), b.ravel()]: H = diag(d).
    A, c = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([-1.0, 5.0])
    d = np.array([1.0, 2.0, 3.0, 4.0, 10.0, 0.5])
    params = {"W": np.zeros((2, 2)), "b": np.zeros(2)}
    theta = np.concatenate([params["W"].ravel(), params["b"]])
    g = d * (theta - np.concatenate([A.ravel(), c]))
    grads = {"W": g[:4].reshape(2, 2), "b": g[4:]}
    new = Newton().step(params, grads, hessian=np.diag(d))
    np.testing.assert_allclose(new["W"], A, rtol=1e-15)
    np.testing.assert_allclose(new["b"], c, rtol=1e-15)


# --- Newton ---------------------------------------------------------------------------------------------------------

def test_newton_handles_rotation_where_diagonal_scaling_does_not():
    rotation = np.array([[1.0, -1.0], [1.0, 1.0]]) / np.sqrt(2)
    A = rotation @ np.diag([8.0, 2 / 15]) @ rotation.T
    f = f"0.5*({float(A[0, 0])!r}*x**2 + 2*{float(A[0, 1])!r}*x*y + {float(A[1, 1])!r}*y**2)"
    start = {"x": 1.0, "y": 2.0}
    H = dk.hessian(f, at=start).hessian
    np.testing.assert_allclose(H, A, rtol=1e-14)
    trajectory = minimize(f, start, Newton())
    assert trajectory.converged and trajectory.steps == 1
    np.testing.assert_allclose(trajectory.points[1], [0.0, 0.0], atol=1e-12)
    # Rescaling by the diagonal alone (a per-coordinate step size) ignores the coupling and misses.
    grads = dk.gradient(f, at=start).gradient
    diagonal = Newton().step(start, grads, hessian=np.diag(np.diag(H)))
    assert np.hypot(diagonal["x"], diagonal["y"]) > 0.5


def test_newton_damps_an_indefinite_hessian_into_a_descent_step():
    f = "x**2 - y**2"
    point = {"x": 1.0, "y": 1.0}
    grads = dk.gradient(f, at=point).gradient
    H = dk.hessian(f, at=point).hessian  # diag(2, -2): plain Newton jumps to the saddle (0, 0)
    newton = Newton()
    new = newton.step(point, grads, hessian=H)
    assert newton.last_damping > 0
    step = np.array([new["x"] - 1.0, new["y"] - 1.0])
    assert np.dot([grads["x"], grads["y"]], step) < 0  # a descent direction
    assert dk.as_graph(f).evaluate(new) < dk.as_graph(f).evaluate(point)
    # With H + μI positive definite after damping: μ > 2.
    assert newton.last_damping > 2
    trajectory = minimize(f, point, Newton(), steps=5)
    assert np.all(np.diff(trajectory.values) < 0)


def test_newton_keeps_the_given_damping_when_it_suffices():
    newton = Newton(damping=0.5)
    new = newton.step({"x": 1.0}, {"x": 2.0}, hessian=[[2.0]])
    assert newton.last_damping == 0.5
    assert new["x"] == pytest.approx(1.0 - 2.0 / 2.5)
    singular = Newton()
    moved = singular.step({"x": 1.0, "y": 1.0}, {"x": 1.0, "y": 1.0}, hessian=np.zeros((2, 2)))
    assert singular.last_damping > 0 and moved["x"] < 1.0 and moved["y"] < 1.0
    zero = Newton().step({"x": 1.0}, {"x": 0.0}, hessian=[[-1.0]])
    assert zero == {"x": 1.0}


def test_rosenbrock_progress_for_adam_and_damped_newton():
    f0 = 24.2  # at (-1.2, 1)
    adam = minimize(ROSENBROCK, {"x": -1.2, "y": 1.0}, Adam(lr=0.1), steps=200)
    assert adam.values[0] == pytest.approx(f0)
    assert adam.values[-1] < f0 / 10
    newton = minimize(ROSENBROCK, {"x": -1.2, "y": 1.0}, Newton(damping=1e-3), steps=50)
    assert newton.values[-1] < f0 / 10
    assert newton.converged
    np.testing.assert_allclose(newton.points[-1], [1.0, 1.0], atol=1e-6)


# --- bad arguments ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, words", [
    (lambda: GD(lr=0), "lr must be a positive finite number"),
    (lambda: GD(lr=-0.1), "lr"),
    (lambda: GD(lr=float("nan")), "lr"),
    (lambda: GD(lr=float("inf")), "lr"),
    (lambda: GD(lr=True), "lr must be a real number"),
    (lambda: GD(lr="0.1"), "lr must be a real number"),
    (lambda: Momentum(lr=0.1, momentum=1.0), "momentum must be in [0, 1)"),
    (lambda: Momentum(lr=0.1, momentum=-0.1), "momentum"),
    (lambda: Momentum(lr=0.1, nesterov="yes"), "nesterov"),
    (lambda: Adam(beta1=1.0), "beta1 must be in [0, 1)"),
    (lambda: Adam(beta2=-0.5), "beta2"),
    (lambda: Adam(eps=0.0), "eps must be a positive"),
    (lambda: AdaGrad(lr=0.1, eps=-1e-8), "eps"),
    (lambda: RMSProp(lr=0.1, decay=1.0), "decay must be in [0, 1)"),
    (lambda: GD(lr=0.1, weight_decay=-1.0), "weight_decay"),
    (lambda: Newton(damping=-1.0), "damping"),
    (lambda: GD(lr=0.1, schedule=0.5), "schedule must be a callable"),
    (lambda: step_decay(0), "every must be a whole number >= 1"),
    (lambda: step_decay(2, factor=0), "factor"),
    (lambda: cosine(0), "total"),
    (lambda: cosine(10, floor=2.0), "floor"),
    (lambda: inverse_time(-1.0), "decay"),
])
def test_bad_hyperparameters_are_refused(make, words):
    with pytest.raises(BindingError) as info:
        make()
    assert words in str(info.value)


def test_bad_step_arguments_name_the_parameter():
    opt = GD(lr=0.1)
    with pytest.raises(BindingError, match="no gradient for b"):
        opt.step({"w": 1.0, "b": 2.0}, {"w": 1.0})
    with pytest.raises(BindingError, match="unknown parameter.*c"):
        opt.step({"w": 1.0}, {"w": 1.0, "c": 1.0})
    with pytest.raises(BindingError, match=r"gradient of 'W' has shape \(3, 2\), but the parameter has shape \(2, 3\)"):
        opt.step({"W": np.zeros((2, 3))}, {"W": np.zeros((3, 2))})
    with pytest.raises(BindingError, match="dict"):
        opt.step([1.0], {"w": 1.0})
    with pytest.raises(BindingError, match="parameter 'w'"):
        opt.step({"w": "one"}, {"w": 1.0})
    with pytest.raises(BindingError, match="step t"):
        opt.lr_at(0)
    bad_schedule = GD(lr=0.1, schedule=lambda t: -1.0)
    with pytest.raises(BindingError, match="multiplier must be finite and >= 0"):
        bad_schedule.step({"w": 1.0}, {"w": 1.0})
    momentum = Momentum(lr=0.1)
    momentum.step({"w": np.zeros(3)}, {"w": np.ones(3)})
    with pytest.raises(BindingError, match=r"'w' has shape \(4,\).*velocity.*\(3,\).*reset\(\)"):
        momentum.step({"w": np.zeros(4)}, {"w": np.ones(4)})
    assert momentum.t == 1  # a refused step changes nothing


def test_newton_needs_a_hessian_of_the_right_shape():
    newton = Newton()
    params = {"W": np.zeros((2, 2)), "b": 0.0}
    grads = {"W": np.ones((2, 2)), "b": 1.0}
    with pytest.raises(BindingError, match=r"needs the Hessian.*\(5, 5\)"):
        newton.step(params, grads)
    with pytest.raises(BindingError, match=r"shape \(4, 4\).*must be \(5, 5\)"):
        newton.step(params, grads, hessian=np.eye(4))
    assert Newton.needs_hessian and not GD.needs_hessian and not Adam.needs_hessian
    assert newton.t == 0


def test_minimize_checks_its_arguments():
    with pytest.raises(BindingError, match="missing y"):
        minimize(BOWL, {"x": 1.0}, GD(lr=0.1))
    with pytest.raises(BindingError, match="not variables of the expression: z"):
        minimize(BOWL, {"x": 1.0, "y": 1.0, "z": 0.0}, GD(lr=0.1))
    with pytest.raises(BindingError, match="single number"):
        minimize(BOWL, {"x": np.array([1.0, 2.0]), "y": 1.0}, GD(lr=0.1))
    with pytest.raises(BindingError, match="finite"):
        minimize(BOWL, {"x": float("nan"), "y": 1.0}, GD(lr=0.1))
    with pytest.raises(BindingError, match="optimizer must be"):
        minimize(BOWL, START, "adam")
    with pytest.raises(BindingError, match="steps"):
        minimize(BOWL, START, GD(lr=0.1), steps=-1)
    with pytest.raises(BindingError, match="no variables"):
        minimize("2 + 3", {}, GD(lr=0.1))
    with pytest.raises(dk.MethodError):
        minimize(["x", "x**2"], {"x": 1.0}, GD(lr=0.1))


def test_repr_and_base_class():
    assert repr(Adam(lr=0.1)) == "Adam(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-08)"
    assert repr(Momentum(lr=0.1, nesterov=True)) == "Momentum(lr=0.1, momentum=0.9, nesterov=True)"
    assert repr(Newton()) == "Newton(lr=1.0, damping=0.0)"
    assert isinstance(GD(lr=1), Optimizer)
    assert "converged" in repr(minimize(BOWL, START, Newton()))
