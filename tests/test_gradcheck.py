"""check_gradient on the lecture's two-layer ReLU net: the right backprop passes, each classic bug is caught, named."""

import math

import numpy as np
import pytest

from diffkit.errors import BindingError, DiffkitError
from diffkit.gradcheck import DirectionCheck, EntryCheck, GradientCheck, ParameterCheck, check_gradient

N, D_IN, HIDDEN, D_OUT = 16, 20, 10, 3
ALL = 10_000  # a coordinate budget above the net's 230 entries: every entry is checked


def make_net(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D_IN))
    y = rng.standard_normal((N, D_OUT))
    params = {"W1": 0.3 * rng.standard_normal((D_IN, HIDDEN)), "W2": 0.3 * rng.standard_normal((HIDDEN, D_OUT))}
    return x, y, params


X, Y, PARAMS = make_net()


def loss(p):
    h = X @ p["W1"]
    a = np.maximum(h, 0)
    yhat = a @ p["W2"]
    return np.sum((yhat - Y) ** 2)


def backprop(p, *, factor=2.0, mask=True, dW2_from_h=False):
    h = X @ p["W1"]
    a = np.maximum(h, 0)
    yhat = a @ p["W2"]
    g = factor * (yhat - Y)
    dW2 = (h if dW2_from_h else a).T @ g
    g_a = g @ p["W2"].T
    g_h = g_a * (h > 0) if mask else g_a
    dW1 = X.T @ g_h
    return {"W1": dW1, "W2": dW2}


def counted(fn):
    """fn, counting its calls in .calls."""

    def wrapper(p):
        wrapper.calls += 1
        return fn(p)

    wrapper.calls = 0
    return wrapper


def evaluations_formula(r: GradientCheck) -> int:
    """The documented cost: 2 per direction and checked entry, 2 more per entry/direction re-evaluated at 2h."""
    return 2 * (len(r.directions) + sum(p.checked for p in r.parameters.values()) + r.reevaluated)


# --- the right gradient passes -----------------------------------------------------------------------------------


def test_correct_backprop_passes():
    r = check_gradient(loss, backprop, PARAMS, coordinates=ALL)
    assert isinstance(r, GradientCheck) and r.ok
    assert r.worst_relative_error < 1e-6
    assert set(r.parameters) == {"W1", "W2"}
    for name, p in r.parameters.items():
        assert isinstance(p, ParameterCheck) and p.ok and p.name == name
        assert p.shape == PARAMS[name].shape and p.checked == p.size == PARAMS[name].size
        assert p.failed_entries == [] and p.failed_count == 0 and p.worst_relative_error < 1e-6
    assert len(r.directions) == 8 and all(isinstance(d, DirectionCheck) for d in r.directions)
    assert all(d.relative_error < 1e-6 for d in r.directions) and r.directions_failed == 0
    assert r.raise_if_failed() is r
    text = str(r)
    assert "FAILED" not in text and "W1" in text and "W2" in text and "ok" in text


def test_default_budget_samples_entries_and_still_passes():
    r = check_gradient(loss, backprop, PARAMS)  # coordinates=200 < 230 entries
    assert r.ok
    assert sum(p.checked for p in r.parameters.values()) == 200
    assert all(10 <= p.checked < p.size for p in r.parameters.values())
    assert "of 200 entries" in str(r)


# --- the classic bugs are caught, and the report names the right parameter ---------------------------------------


def test_missing_factor_two_flags_both_parameters():
    r = check_gradient(loss, lambda p: backprop(p, factor=1.0), PARAMS, coordinates=ALL)
    assert not r.ok
    for p in r.parameters.values():
        assert not p.ok and p.failed_count == p.checked
        worst = p.failed_entries[0]
        assert worst.numeric == pytest.approx(2 * worst.analytic, rel=1e-6)
        assert worst.relative_error == pytest.approx(0.5, rel=1e-6)
    assert r.directions_failed == len(r.directions) == 8


def test_dW2_from_preactivation_flags_W2_only():
    r = check_gradient(loss, lambda p: backprop(p, dW2_from_h=True), PARAMS, coordinates=ALL)
    assert not r.ok
    assert not r.parameters["W2"].ok and r.parameters["W1"].ok


def test_forgotten_relu_mask_flags_W1_only():
    r = check_gradient(loss, lambda p: backprop(p, mask=False), PARAMS, coordinates=ALL)
    assert not r.ok
    assert not r.parameters["W1"].ok and r.parameters["W2"].ok
    text = str(r)
    w1_line = next(line for line in text.splitlines() if line.strip().startswith("W1 "))
    w2_line = next(line for line in text.splitlines() if line.strip().startswith("W2 "))
    assert "FAILED" in w1_line and "FAILED" not in w2_line and w2_line.rstrip().endswith("ok")


@pytest.mark.parametrize("corruption", [0.5, 1e-3])
def test_single_corrupted_entry_is_found_exactly(corruption):
    right = backprop(PARAMS)["W1"][4, 7]

    def broken(p):
        g = backprop(p)
        g["W1"][4, 7] += corruption
        return g

    r = check_gradient(loss, broken, PARAMS, coordinates=ALL)
    assert not r.ok and r.parameters["W2"].ok
    w1 = r.parameters["W1"]
    assert w1.failed_count == 1 and [e.index for e in w1.failed_entries] == [(4, 7)]
    entry = w1.failed_entries[0]
    assert isinstance(entry, EntryCheck)
    assert entry.analytic == pytest.approx(right + corruption, rel=1e-12)
    assert entry.numeric == pytest.approx(right, rel=1e-6)
    assert "worst at [4, 7]" in str(r)


def test_directions_catch_a_wrong_entry_the_sample_missed():
    def broken(p):
        g = backprop(p)
        g["W1"][4, 7] += 0.5
        return g

    seed = next(s for s in range(100) if check_gradient(loss, broken, PARAMS, coordinates=20, directions=0, seed=s).ok)
    r = check_gradient(loss, broken, PARAMS, coordinates=20, seed=seed)
    assert all(p.ok for p in r.parameters.values())  # the sampled entries are all right ...
    assert not r.ok and r.directions_failed > 0  # ... but the directions see the wrong one
    assert "not sampled" in str(r) and "FAILED" in str(r)


def test_directions_alone():
    right = check_gradient(loss, backprop, PARAMS, coordinates=0)
    assert right.ok and all(p.checked == 0 for p in right.parameters.values()) and len(right.directions) == 8
    wrong = check_gradient(loss, lambda p: backprop(p, mask=False), PARAMS, coordinates=0)
    assert not wrong.ok and wrong.directions_failed > 0


# --- other losses ------------------------------------------------------------------------------------------------

LABELS = np.random.default_rng(5).integers(0, D_OUT, size=N)


def softmax_ce_loss(p):
    h = X @ p["W1"] + p["b1"]
    a = np.maximum(h, 0)
    z = a @ p["W2"] + p["b2"]
    z = z - z.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(N), LABELS])


def softmax_ce_grad(p, *, mean=True):
    h = X @ p["W1"] + p["b1"]
    a = np.maximum(h, 0)
    z = a @ p["W2"] + p["b2"]
    probs = np.exp(z - z.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    g = probs.copy()
    g[np.arange(N), LABELS] -= 1
    if mean:
        g /= N
    g_h = (g @ p["W2"].T) * (h > 0)
    return {"W1": X.T @ g_h, "b1": g_h.sum(axis=0), "W2": a.T @ g, "b2": g.sum(axis=0)}


CE_PARAMS = {**PARAMS, "b1": np.full(HIDDEN, 0.1), "b2": np.zeros(D_OUT)}


def test_softmax_cross_entropy_passes_and_a_forgotten_mean_fails():
    r = check_gradient(softmax_ce_loss, softmax_ce_grad, CE_PARAMS, coordinates=ALL)
    assert r.ok, str(r)
    assert r.worst_relative_error < 1e-6
    assert {name: p.checked for name, p in r.parameters.items()} == {n: v.size for n, v in CE_PARAMS.items()}
    wrong = check_gradient(softmax_ce_loss, lambda p: softmax_ce_grad(p, mean=False), CE_PARAMS)
    assert not wrong.ok and not any(p.ok for p in wrong.parameters.values())


def test_scalar_parameter_arrives_as_float():
    seen = []
    w0 = np.linspace(-1, 1, D_IN)

    def scaled_loss(p):
        seen.append(type(p["s"]))
        return np.sum((p["s"] * (X @ p["w"]) - Y[:, 0]) ** 2)

    def scaled_grad(p):
        r = p["s"] * (X @ p["w"]) - Y[:, 0]
        return {"s": float(2 * r @ (X @ p["w"])), "w": 2 * p["s"] * (X.T @ r)}

    r = check_gradient(scaled_loss, scaled_grad, {"s": 1.5, "w": w0}, coordinates=ALL)
    assert r.ok, str(r)
    assert r.parameters["s"].shape == () and r.parameters["s"].checked == 1
    assert set(seen) == {float}
    assert "scalar" in str(r)


def quadratic(A):
    return lambda p: 0.5 * p["theta"] @ A @ p["theta"]


def test_random_quadratics_right_gradient_passes_transposed_fails():
    rng = np.random.default_rng(2024)
    for _ in range(25):
        n = int(rng.integers(2, 13))
        A = rng.standard_normal((n, n))  # not symmetric (almost surely)
        theta = rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 3)
        params = {"theta": theta}
        S = A + A.T
        assert check_gradient(quadratic(S), lambda p, S=S: {"theta": S @ p["theta"]}, params).ok
        # 0.5 θᵀAθ has gradient ½(A + Aᵀ)θ; Aθ and Aᵀθ are each off by ±½(A - Aᵀ)θ
        right = check_gradient(quadratic(A), lambda p, A=A: {"theta": 0.5 * (A + A.T) @ p["theta"]}, params)
        assert right.ok, str(right)
        for M in (A, A.T):
            wrong = check_gradient(quadratic(A), lambda p, M=M: {"theta": M @ p["theta"]}, params)
            assert not wrong.ok and not wrong.parameters["theta"].ok


def test_large_truncation_error_is_inconclusive_not_failed():
    w = np.random.default_rng(1).standard_normal(12) * 1e-3
    k = 500.0  # third derivative k³: the O(h²) error at the default step exceeds rtol=1e-6

    def stiff(p):
        return np.sum(np.exp(k * p["w"]))

    r = check_gradient(stiff, lambda p: {"w": k * np.exp(k * p["w"])}, {"w": w})
    assert r.ok and r.parameters["w"].inconclusive_count > 0 and r.parameters["w"].failed_count == 0
    assert r.reevaluated > 0 and "inconclusive" in str(r)
    small_step = check_gradient(stiff, lambda p: {"w": k * np.exp(k * p["w"])}, {"w": w}, step=1e-7)
    assert small_step.ok and small_step.reevaluated == 0 and small_step.worst_relative_error < 1e-8
    wrong = check_gradient(stiff, lambda p: {"w": 0.999 * k * np.exp(k * p["w"])}, {"w": w})
    assert not wrong.ok and wrong.parameters["w"].failed_count == 12


def test_large_parameter_is_sampled_small_one_checked_whole():
    rng = np.random.default_rng(3)
    params = {"W": rng.standard_normal((1000, 100)), "b": rng.standard_normal(5)}

    def big_loss(p):
        return 0.5 * np.sum(p["W"] ** 2) + np.sum(np.sin(p["b"]))

    r = check_gradient(big_loss, lambda p: {"W": p["W"], "b": np.cos(p["b"])}, params)
    assert r.ok
    assert r.parameters["b"].checked == 5 and r.parameters["W"].checked == 195
    assert "checked 195 of 100000 entries" in str(r) and "checked all 5 entries" in str(r)


# --- the user's data is left alone; the cost is as documented ----------------------------------------------------


def test_params_are_not_modified_even_by_destructive_functions():
    before = {name: (v.dtype, v.shape, v.tobytes()) for name, v in CE_PARAMS.items()}
    originals = dict(CE_PARAMS)
    ids = {name: id(v) for name, v in CE_PARAMS.items()}

    def destructive_loss(p):
        assert p is not originals and not any(np.shares_memory(p[n], originals[n]) for n in p)
        value = softmax_ce_loss(p)
        for v in p.values():
            v[...] = np.nan  # scribble over what it was given
        p.clear()
        return value

    def destructive_grad(p):
        g = softmax_ce_grad(p)
        p["W1"] *= 0
        p.pop("W2")
        return g

    r = check_gradient(destructive_loss, destructive_grad, CE_PARAMS, coordinates=ALL)
    assert r.ok
    assert {name: id(v) for name, v in CE_PARAMS.items()} == ids
    assert {name: (v.dtype, v.shape, v.tobytes()) for name, v in CE_PARAMS.items()} == before


def test_integer_and_float32_params_are_upcast_on_copies_only():
    w_int = np.arange(6, dtype=np.int64).reshape(2, 3)
    w_f32 = np.linspace(0, 1, 4, dtype=np.float32)
    saved = (w_int.copy(), w_f32.copy())
    dtypes = set()

    def f(p):
        dtypes.update({p["a"].dtype, p["b"].dtype})
        return np.sum(p["a"] ** 3) + np.sum(np.cos(p["b"]))

    r = check_gradient(f, lambda p: {"a": 3 * p["a"] ** 2, "b": -np.sin(p["b"])}, {"a": w_int, "b": w_f32})
    assert r.ok, str(r)
    assert dtypes == {np.dtype(np.float64)}
    assert w_int.dtype == np.int64 and np.array_equal(w_int, saved[0])
    assert w_f32.dtype == np.float32 and w_f32.tobytes() == saved[1].tobytes()


@pytest.mark.parametrize(
    "make_grad, kwargs",
    [
        (lambda: backprop, {"coordinates": ALL}),
        (lambda: backprop, {}),
        (lambda: lambda p: backprop(p, mask=False), {"directions": 3, "coordinates": 50}),
        (lambda: lambda p: backprop(p, factor=1.0), {"directions": 0}),
    ],
)
def test_evaluation_count_matches_the_formula(make_grad, kwargs):
    counted_loss, counted_grad = counted(loss), counted(make_grad())
    r = check_gradient(counted_loss, counted_grad, PARAMS, **kwargs)
    assert counted_grad.calls == 1
    assert r.evaluations == counted_loss.calls == evaluations_formula(r)
    if r.ok:
        assert r.reevaluated == 0  # a smooth, well-scaled loss: nothing needed a second look
        assert r.evaluations == 2 * (len(r.directions) + sum(p.checked for p in r.parameters.values()))
    else:
        failed = sum(p.failed_count + p.inconclusive_count for p in r.parameters.values())
        assert r.reevaluated == failed + r.directions_failed + r.directions_inconclusive


def test_seed_makes_the_check_reproducible():
    a = check_gradient(loss, backprop, PARAMS, seed=7)
    b = check_gradient(loss, backprop, PARAMS, seed=7)
    c = check_gradient(loss, backprop, PARAMS, seed=8)
    assert a.directions == b.directions and str(a) == str(b)
    assert a.directions != c.directions


# --- reports -----------------------------------------------------------------------------------------------------


def test_report_and_raise_if_failed():
    r = check_gradient(softmax_ce_loss, lambda p: softmax_ce_grad(p, mean=False), CE_PARAMS)
    text = str(r)
    assert text.startswith("gradient check FAILED")
    for name in CE_PARAMS:
        assert name in text
    assert "entries disagree; worst at [" in text and "analytic" in text and "numeric" in text
    with pytest.raises(DiffkitError) as info:
        r.raise_if_failed()
    assert str(info.value) == text


# --- validation: every malformed input is a BindingError that says what is wrong ---------------------------------


def grads_with(**changes):
    """backprop, with entries replaced (a value of ... removes the entry)."""

    def grad(p):
        g = backprop(p)
        for k, v in changes.items():
            if v is ...:
                del g[k]
            else:
                g[k] = v(g[k]) if callable(v) else v
        return g

    return grad


W1, W2 = PARAMS["W1"], PARAMS["W2"]
W1_NAN = W1.copy()
W1_NAN[2, 3] = np.nan


@pytest.mark.parametrize(
    "params, loss_fn, grad_fn, needles",
    [
        ([W1, W2], loss, backprop, ["params must be a dict", "list"]),
        ({}, loss, backprop, ["params is empty"]),
        ({"W1": "abc", "W2": W2}, loss, backprop, ["'W1'", "str"]),
        ({"W1": W1.tolist(), "W2": W2}, loss, backprop, ["'W1'", "list", "np.asarray"]),
        ({"W1": W1 + 0j, "W2": W2}, loss, backprop, ["'W1'", "complex"]),
        ({"W1": W1, "W2": W2, "s": 2j}, loss, backprop, ["'s'", "complex"]),
        ({"W1": W1_NAN, "W2": W2}, loss, backprop, ["'W1'", "non-finite", "nan", "[2, 3]"]),
        ({"W1": W1, "W2": np.full((10, 3), np.inf)}, loss, backprop, ["'W2'", "30 non-finite entries", "inf"]),
        ({"W1": W1, "W2": W2, "s": float("nan")}, loss, backprop, ["'s'", "nan"]),
        ({"W1": W1, "W2": W2, "flag": True}, loss, backprop, ["'flag'", "boolean"]),
        ({"W1": W1 > 0, "W2": W2}, loss, backprop, ["'W1'", "boolean"]),
        ({"W1": W1.astype(object), "W2": W2}, loss, backprop, ["'W1'", "dtype object"]),
        (PARAMS, loss, lambda p: tuple(backprop(p).values()), ["grad_fn must return a dict", "tuple"]),
        (PARAMS, loss, grads_with(W2=...), ["no gradient", "'W2'"]),
        (PARAMS, loss, grads_with(b1=np.zeros(10)), ["'b1'", "not a parameter"]),
        (PARAMS, loss, grads_with(W2=lambda g: g.T), ["'W2'", "(3, 10)", "(10, 3)", "transposed"]),
        (PARAMS, loss, grads_with(W2=lambda g: g.ravel()), ["'W2'", "(30,)", "(10, 3)", "reshape"]),
        (PARAMS, loss, grads_with(W1=lambda g: g[:5]), ["'W1'", "(5, 10)", "(20, 10)"]),
        (PARAMS, loss, grads_with(W1=lambda g: np.where(g > 0, np.nan, g)), ["'W1'", "non-finite", "nan"]),
        (PARAMS, loss, grads_with(W1=None), ["'W1'", "not an array of numbers", "NoneType"]),
        (PARAMS, loss, grads_with(W1=lambda g: g + 1j), ["'W1'", "complex"]),
        (PARAMS, loss, grads_with(W2=lambda g: g > 0), ["'W2'", "boolean"]),
        (PARAMS, loss, grads_with(W2=lambda g: [g, g[:1]]), ["'W2'", "not an array of numbers"]),
        (PARAMS, lambda p: (loss(p), 0.0), backprop, ["loss_fn returned an array of shape (2,)", "not a scalar"]),
        (PARAMS, lambda p: np.full((1, 1), loss(p)), backprop, ["shape (1, 1)", ".item()"]),
        (PARAMS, lambda p: np.full(N, loss(p)), backprop, ["shape (16,)", "sum or average"]),
        (PARAMS, lambda p: np.nan, backprop, ["loss_fn returned nan"]),
        (PARAMS, lambda p: -np.inf, backprop, ["loss_fn returned -inf"]),
        (PARAMS, lambda p: loss(p) + 0j, backprop, ["loss_fn returned a complex value"]),
        (PARAMS, lambda p: None, backprop, ["loss_fn returned NoneType", "not a number"]),
        (PARAMS, lambda p: "1.0", backprop, ["loss_fn returned str"]),
        (PARAMS, lambda p: True, backprop, ["loss_fn returned a boolean"]),
    ],
)
def test_malformed_input_is_a_binding_error(params, loss_fn, grad_fn, needles):
    with pytest.raises(BindingError) as info:
        check_gradient(loss_fn, grad_fn, params)
    for needle in needles:
        assert needle in str(info.value), (needle, str(info.value))


def test_loss_undefined_at_a_perturbed_point_names_the_entry():
    def log_loss(p):
        with np.errstate(invalid="ignore"):
            return np.sum(np.log(p["w"]))

    with pytest.raises(BindingError) as info:
        check_gradient(log_loss, lambda p: {"w": 1 / p["w"]}, {"w": np.array([1.0, 1e-7])}, directions=0)
    message = str(info.value)
    assert "loss_fn returned nan" in message and "w[1] -" in message and "step=" in message
    ok = check_gradient(log_loss, lambda p: {"w": 1 / p["w"]}, {"w": np.array([1.0, 1e-7])}, step=1e-10)
    assert ok.ok, str(ok)


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"directions": -1}, "directions"),
        ({"directions": 2.5}, "directions"),
        ({"coordinates": True}, "coordinates"),
        ({"directions": 0, "coordinates": 0}, "nothing to check"),
        ({"step": 0.0}, "step"),
        ({"step": -1e-6}, "step"),
        ({"step": math.inf}, "step"),
        ({"rtol": -1.0}, "rtol"),
        ({"atol": math.nan}, "atol"),
        ({"seed": -3}, "seed"),
        ({"seed": "zero"}, "seed"),
    ],
)
def test_bad_options_are_binding_errors(kwargs, needle):
    with pytest.raises(BindingError, match=needle):
        check_gradient(loss, backprop, PARAMS, **kwargs)


def test_functions_must_be_callable():
    with pytest.raises(BindingError, match="loss_fn"):
        check_gradient(3.0, backprop, PARAMS)
    with pytest.raises(BindingError, match="grad_fn"):
        check_gradient(loss, {"W1": W1}, PARAMS)


def test_exceptions_in_user_functions_propagate_unchanged():
    def failing_loss(p):
        return 1 / 0

    def failing_grad(p):
        return {"W1": p["missing"]}

    with pytest.raises(ZeroDivisionError):
        check_gradient(failing_loss, backprop, PARAMS)
    with pytest.raises(KeyError) as info:
        check_gradient(loss, failing_grad, PARAMS)
    assert type(info.value) is KeyError and not isinstance(info.value, DiffkitError)
