"""Edge cases, one policy for all methods: domains, overflow, cancellation, disagreements, resource limits."""

import copy
import math
import time
import warnings

import numpy as np
import pytest

import diffkit as dk

METHODS = dk.METHODS


@pytest.fixture
def limits():
    """dk.limits, restored after the test."""
    saved = copy.copy(dk.limits)
    yield dk.limits
    for name, value in vars(saved).items():
        setattr(dk.limits, name, value)


# --- domain policy: warn (default), raise, ignore --------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "text, at, primitive, meaning",
    [
        ("log(x)", {"x": -1.0}, "log", "outside its domain"),
        ("sqrt(x) + x", {"x": -4.0}, "sqrt", "outside its domain"),
        ("arcsin(x)", {"x": 2.0}, "arcsin", "outside its domain"),
        ("1/x", {"x": 0.0}, "div", "division by zero"),
        ("exp(x)", {"x": 1000.0}, "exp", "overflow"),
    ],
)
def test_leaving_a_domain_warns_and_names_the_primitive(method, text, at, primitive, meaning):
    with pytest.warns(dk.DomainWarning) as caught:
        r = dk.gradient(text, at=at, method=method)
    message = str(caught[0].message)
    assert method in message
    assert meaning in message
    if method != "symbolic":  # SymPy's compiled code is one expression: it cannot name the primitive
        assert f"{primitive}: {meaning}" in message
    assert any(meaning in d for d in r.diagnostics)
    assert not math.isfinite(r.value) or not math.isfinite(r.gradient["x"])


@pytest.mark.parametrize("method", METHODS)
def test_errors_raise_turns_the_warning_into_an_error(method):
    with pytest.raises(dk.DomainError, match="outside its domain"):
        dk.gradient("log(x)", at={"x": -1.0}, method=method, errors="raise")


@pytest.mark.parametrize("method", METHODS)
def test_errors_ignore_is_quiet_but_still_reports_in_the_result(method):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = dk.gradient("log(x)", at={"x": -1.0}, method=method, errors="ignore")
    assert r.diagnostics
    assert math.isnan(r.value)


def test_a_clean_point_has_no_diagnostics_and_no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in METHODS:
            assert dk.gradient("log(x1) + x1*x2 - sin(x2)", at={"x1": 2.0, "x2": 5.0}, method=method).diagnostics == []


def test_derivative_trouble_is_told_apart_from_value_trouble():
    # sqrt is fine at 0, its derivative 0.5/sqrt(x) is not
    r = dk.gradient("sqrt(x)", at={"x": 0.0}, method="reverse", errors="ignore")
    assert r.value == 0.0 and r.gradient["x"] == math.inf
    assert r.diagnostics == ["sqrt': division by zero or a pole (result ±inf)"]


def test_evaluate_follows_the_same_policy():
    g = dk.parse("log(x)")
    with pytest.warns(dk.DomainWarning, match="log: outside its domain"):
        assert math.isnan(g.evaluate({"x": -1.0}))
    with pytest.raises(dk.DomainError):
        g.evaluate({"x": -1.0}, errors="raise")


def test_unknown_policy_is_refused():
    with pytest.raises(dk.MethodError, match="errors="):
        dk.gradient("x", at={"x": 1.0}, errors="loud")


# --- the numeric method reports cancellation -------------------------------------------------------------------


def test_numeric_reports_cancellation():
    r = dk.gradient("x**2 + 1e8", at={"x": 1.0}, method="numeric")
    assert any("cancellation" in d for d in r.diagnostics)
    assert dk.gradient("x**2 + 1", at={"x": 1.0}, method="numeric").diagnostics == []


def test_no_cancellation_is_claimed_for_a_variable_the_output_ignores():
    g = dk.trace(lambda x, y: dk.sin(x))
    assert dk.gradient(g, at={"x": 0.3, "y": 1.0}, method="numeric").diagnostics == []


# --- compare says which method is off, and why -----------------------------------------------------------------


def findings(text, at, **numeric):
    options = {"numeric": numeric} if numeric else None
    return {f.method: " ".join(f.causes) for f in dk.compare(text, at=at, options=options).findings}


# A step of the size that suits derivatives of order one at x = -4.499 (the automatic step before it learnt to
# shrink where sin's argument exp(-x) moves 90 times as fast as x): central differences lose 6.1e-6 with it.
COARSE = float(np.finfo(float).eps ** (1 / 3) * 4.499)


def test_compare_finds_nothing_wrong_when_all_agree():
    assert findings("log(x1) + x1*x2 - sin(x2)", {"x1": 2.0, "x2": 5.0}) == {}


def test_compare_names_a_kink():
    assert "non-differentiable point (relu at 0)" in findings("relu(x) * y", {"x": 0.0, "y": 2.0})["numeric"]


def test_compare_names_step_size_truncation():
    assert "step-size truncation" in findings("2/sin(exp(-x))", {"x": -4.499}, step=COARSE)["numeric"]
    assert findings("2/sin(exp(-x))", {"x": -4.499}) == {}  # the automatic step shrinks to the function's scale


def test_compare_names_round_off():
    assert "round-off" in findings("x**2 + 1e8", {"x": 1.0})["numeric"]


def test_compare_names_a_domain_boundary():
    assert "domain boundary" in findings("sqrt(x)", {"x": 1e-12}, step=1e-6)["numeric"]  # x - h < 0
    assert findings("sqrt(x)", {"x": 1e-12}) == {}  # the automatic step scales with x and stays inside


def test_compare_names_sympys_unstabilized_formula():
    assert "SymPy" in findings("tanh(x)", {"x": 15.0})["symbolic"]


def test_compare_prints_its_findings_and_the_error_estimate():
    text = str(dk.compare("2/sin(exp(-x))", at={"x": -4.499}, options={"numeric": {"step": COARSE}}))
    assert "note: numeric is off by 6.1e-06" in text
    assert "numeric method's own error estimate: 4.9e-04" in text


def test_kinks_are_found_exactly_at_the_kink():
    from diffkit.diagnose import kinks

    g = dk.parse("abs(x) + maximum(x, y) + relu(y)")
    assert kinks(g, g.bind({"x": 0.0, "y": 0.0})) == ["abs at 0", "maximum at a tie", "relu at 0"]
    assert kinks(g, g.bind({"x": 1.0, "y": 2.0})) == []


# --- resource limits: refuse before exhausting memory or time ---------------------------------------------------


def test_forward_mode_refuses_tangents_too_wide_and_suggests_reverse(limits):
    limits.memory_bytes = 64 * 2**20
    text = " + ".join(f"sin(x{i})" for i in range(50))
    at = {f"x{i}": np.zeros(10_000) for i in range(50)}  # forward, 50 wide: ~400 MiB; reverse's tape: ~24 MiB
    with pytest.raises(dk.ResourceError, match="method='reverse'"):
        dk.gradient(text, at=at, method="forward", batch=True)
    assert dk.gradient(text, at=at, method="reverse").gradient["x0"].shape == (10_000,)


@pytest.mark.parametrize("method", METHODS)
def test_huge_batches_are_refused_before_they_are_allocated(limits, method):
    limits.memory_bytes = 2**20
    with pytest.raises(dk.ResourceError, match="dk.limits.memory_bytes"):
        dk.gradient("sin(x) * cos(x) + x**2", at={"x": np.zeros(200_000)}, method=method)


def test_huge_graphs_are_refused(limits):
    limits.graph_nodes = 1000
    with pytest.raises(dk.ResourceError, match="dk.limits.graph_nodes"):
        dk.trace(lambda x: _chain(x, 2000))


def _chain(x, n):
    for _ in range(n):
        x = dk.sin(x) * 0.9 + 0.1
    return x


def test_symbolic_stops_at_its_time_budget():
    g = dk.trace(lambda x: _chain(x, 110))  # SymPy needs ~10 s for this
    started = time.perf_counter()
    with pytest.raises(dk.SwellError, match="budget of 0.5 s"):
        dk.gradient(g, at={"x": 0.3}, method="symbolic", seconds=0.5)
    assert time.perf_counter() - started < 8  # it stopped well before finishing (generous: shared machines)
    # and the library is still usable afterwards
    assert dk.gradient("x**2", at={"x": 3.0}, method="symbolic").gradient == {"x": 6.0}


def test_symbolic_depth_budget_refuses_before_any_work(limits):
    limits.symbolic_depth = 50
    with pytest.raises(dk.SwellError, match="dk.limits.symbolic_depth"):
        dk.gradient(dk.trace(lambda x: _chain(x, 20)), at={"x": 0.3}, method="symbolic")


# --- inputs untouched, results never aliased -------------------------------------------------------------------


def _calls(at):
    return [
        lambda: dk.gradient("x*y + sin(x)", at=at, method="reverse"),
        lambda: dk.gradient("x*y + sin(x)", at=at, method="forward", batch=True),
        lambda: dk.gradient("x*y + sin(x)", at=at, method="numeric"),
        lambda: dk.gradient("x*y + sin(x)", at=at, method="symbolic"),
        lambda: dk.hessian("x*y + sin(x)", at=at, method="forward"),
        lambda: dk.derivative("x*y + sin(x)", wrt="x", order=3, at=at),
        lambda: dk.jvp("x*y + sin(x)", at=at, tangents={"x": at["x"]}),
        lambda: dk.vjp("x*y + sin(x)", at=at, cotangents=[at["x"]]),
        lambda: dk.compare("x*y + sin(x)", at=at),
        lambda: dk.parse("x*y + sin(x)").evaluate(at),
    ]


@pytest.mark.parametrize("index", range(10))
def test_no_verb_modifies_its_inputs_or_returns_views_of_them(index):
    x = np.linspace(0.5, 1.5, 4)
    at = {"x": x, "y": 2.0}
    before = copy.deepcopy(at)
    result = _calls(at)[index]()
    assert at.keys() == before.keys() and at["y"] == before["y"]
    assert at["x"] is x
    np.testing.assert_array_equal(x, before["x"])
    for array in _arrays_in(result):
        assert not np.shares_memory(array, x)


def _arrays_in(obj):
    if isinstance(obj, np.ndarray):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _arrays_in(value)
    elif isinstance(obj, tuple | list):
        for value in obj:
            yield from _arrays_in(value)
    elif hasattr(obj, "__dict__"):
        for value in vars(obj).values():
            yield from _arrays_in(value)


def test_ctrl_c_during_symbolic_work_stops_sympy_too():
    """Ctrl-C while SymPy differentiates (in its worker thread) raises KeyboardInterrupt in the caller, and the
    worker is stopped as well, instead of computing on in the background of a notebook."""
    import os
    import signal
    import sys
    import threading

    from diffkit.studies.families import total

    names = [f"x{i}" for i in range(60)]
    graph = dk.trace(lambda *x: dk.log(total([dk.exp(xi) for xi in x])), variables=names)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))  # a real signal, as Ctrl-C sends
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            dk.hessian(graph, at={name: 0.1 for name in names}, method="symbolic", max_size=10**9, seconds=120)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 3  # interrupted, not run to the end (about 6 s)
    # (Thread.is_alive() can say False after a join that Ctrl-C interrupted: ask which threads still run code)
    workers = [t.ident for t in threading.enumerate() if t.name == "diffkit-sympy"]
    time.sleep(0.3)
    assert not set(workers) & set(sys._current_frames())
