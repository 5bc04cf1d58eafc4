"""Work is estimated before it is done: no request hangs or exhausts memory in SymPy.

Each request that once hung or grew without bound runs in a subprocess with a timeout, so a regression fails
the test instead of hanging the suite (a C-level bignum power cannot be interrupted from inside the process).
"""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import diffkit as dk
from diffkit.methods.symbolic import written_out_size
from diffkit.ops import MAX_EXACT_BITS

ROOT = Path(__file__).resolve().parent.parent

_RUN = """
import json, sys, time, warnings
import diffkit as dk
text, method = sys.argv[1], sys.argv[2]
started = time.perf_counter()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        r = dk.gradient(text, at={"x": 1.0}, method=method)
        out = {"value": repr(float(r.value)), "dx": repr(float(r.gradient["x"]))}
    except dk.DiffkitError as exc:
        out = {"error": type(exc).__name__, "message": str(exc)}
out["warnings"] = [str(w.message) for w in caught if issubclass(w.category, dk.DomainWarning)]
out["seconds"] = time.perf_counter() - started
print(json.dumps(out))
"""


def _gradient_in_subprocess(text: str, method: str, timeout: float = 60.0) -> dict:
    """dk.gradient(text, at={"x": 1.0}) in a fresh interpreter, killed (a test failure) past ``timeout``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run([sys.executable, "-c", _RUN, text, method], capture_output=True, text=True,
                              timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{method} gradient of {text!r} ran past {timeout:g} s")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("text", ["2**2**2**2**2**2 + x", "9**9**9 + x", "(-9)**9**9 + x"])
def test_a_tower_of_powers_overflows_as_in_the_float_methods(text):
    # before: 2**2**2**2**2**2 grew past 12 GB to a MemoryError, 9**9**9 hung in a C bignum power
    symbolic = _gradient_in_subprocess(text, "symbolic")
    reverse = _gradient_in_subprocess(text, "reverse")
    assert "error" not in symbolic, symbolic
    assert symbolic["seconds"] < 20
    assert symbolic["value"] == reverse["value"] and symbolic["value"] in ("inf", "-inf")
    assert symbolic["dx"] == reverse["dx"] == "1.0"
    assert symbolic["warnings"] == ["symbolic method: pow: overflow (result ±inf)"]
    assert reverse["warnings"] == ["reverse method: pow: overflow (result ±inf)"]


def test_a_power_of_an_exact_coefficient_is_not_expanded_exactly():
    # SymPy distributes (3x)**10**6 into 3**10**6 · x**10**6: a 1.6-million-bit integer, then a 10**9 one
    result = _gradient_in_subprocess("(3*x)**1000000000 + x", "symbolic")
    assert result["value"] == "inf" and result["seconds"] < 20
    assert result["warnings"] and "overflow" in result["warnings"][0]


def test_a_constant_past_a_float_is_inf_with_the_overflow_reported_in_every_method():
    # before: the symbolic method raised on 10**400 (its exact integer has no float); now it overflows as the
    # others do, with the same value, derivative and report
    c = dk.compare("x * 10**400", at={"x": 1.0})
    assert not c.failures
    for method in ("symbolic", "forward", "reverse"):
        assert c.results[method].value == np.inf and c.results[method].gradient["x"] == np.inf
        assert c.results[method].diagnostics == ["pow: overflow (result ±inf)"]


def test_a_coefficient_past_a_float_made_by_differentiating_overflows_as_in_forward_mode():
    # d²/dx² x**(10**300) = 10**300·(10**300 - 1)·x**(...): SymPy's exact 10**600 has no float
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        symbolic = dk.hessian("x**(10**300)", at={"x": 1.0}, method="symbolic")
        forward = dk.hessian("x**(10**300)", at={"x": 1.0}, method="forward")
    assert symbolic.hessian[0][0] == forward.hessian[0][0] == np.inf
    said = [str(w.message) for w in caught]
    assert "symbolic method: SymPy's constant 1.00E+600: overflow (result ±inf)" in said


@pytest.mark.parametrize(("text", "value", "dx"), [
    ("2**10*x", 1024.0, 1024.0),
    ("10**300*x", 1e300, 1e300),
    ("3**40 + x", float(3**40), 1.0),
    ("2**-20000 + x", 1.0, 1.0),  # underflows to 0, as in the float methods: not reported
])
def test_powers_within_a_float_stay_exact_and_quiet(text, value, dx):
    with warnings.catch_warnings():
        warnings.simplefilter("error", dk.DomainWarning)
        symbolic = dk.gradient(text, at={"x": 1.0}, method="symbolic")
        reverse = dk.gradient(text, at={"x": 1.0}, method="reverse")
    assert symbolic.value == value == reverse.value
    assert symbolic.gradient["x"] == dx == reverse.gradient["x"]


def test_sympy_keeps_exact_powers_exact():
    assert dk.parse("2**10*x").to_sympy() == 1024 * dk.parse("x").to_sympy()
    assert dk.parse("3**40").to_sympy() == 3**40  # 64 bits: past a float's 53, kept exact


def test_the_bound_is_a_named_constant_of_a_sensible_size():
    assert 1024 < MAX_EXACT_BITS <= 100_000


def _logistic(steps: int):
    def f(x, r):
        for _ in range(steps):
            x = r * x * (1 - x)
        return x
    return dk.trace(f)


def test_written_out_size_counts_root_to_node_paths():
    assert written_out_size(dk.parse("x*y + sin(x)")) == 6
    assert written_out_size(dk.parse("(x*y)*(x*y)")) == 7  # the shared x*y counts twice
    assert written_out_size(dk.parse("2**3*4 + x")) == 3  # a constant part is one node, as SymPy folds it
    # each logistic step doubles the tree (x appears twice): ~2**60, reported at the cap
    assert written_out_size(_logistic(10)) > 2**10
    assert written_out_size(_logistic(60)) == 10**18


def test_a_huge_written_out_expression_is_refused_up_front():
    # before: 34-69 s of SymPy before the derivative's size could be measured
    code = ("import time, diffkit as dk\n"
            "def f(x, r):\n    for _ in range(60):\n        x = r * x * (1 - x)\n    return x\n"
            "g = dk.trace(f); t = time.perf_counter()\n"
            "try:\n    dk.gradient(g, at={'x': 0.3, 'r': 3.7}, method='symbolic')\n"
            "except dk.SwellError as e:\n    print(e.size, e.limit, time.perf_counter() - t)\n")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("the 60-step logistic map was not refused within 60 s")
    size, limit, seconds = done.stdout.split()
    assert int(size) == 10**18 and int(limit) == dk.limits.symbolic_size
    assert float(seconds) < 1.0


def test_the_refusal_names_the_size_the_budget_and_what_to_do():
    with pytest.raises(dk.SwellError) as info:
        dk.gradient(_logistic(60), at={"x": 0.3, "r": 3.7}, method="symbolic")
    message = str(info.value)
    assert "more than 1e+18 nodes" in message and "200,000" in message
    assert "dk.limits.symbolic_size" in message and "max_size=" in message and "method='reverse'" in message
    assert "its graph has" in message  # the sharing that makes the tree large
    with pytest.raises(dk.SwellError, match="1,021 nodes.*budget of 1,000"):
        dk.gradient(_swelling(8), at={"x": 0.5}, method="symbolic", max_size=1000)


def _swelling(depth: int) -> str:
    text = "x"
    for _ in range(depth):
        text = f"sin({text})*cos({text})"
    return text


def test_compare_shows_the_refusal_as_a_cut_off_row():
    c = dk.compare(_logistic(60), at={"x": 0.3, "r": 3.7})
    failure = c.failures["symbolic"]
    assert failure.cut_off and failure.error.size == 10**18 and failure.error.limit == 200_000
    assert failure.cost is not None and failure.cost.details["expression tree size"] == 10**18
    table = c.table(timing=False)
    assert "symbolic: cut off: written out as a tree" in table and "200,000" in table
    assert c.results["forward"].gradient["x"] == pytest.approx(c.results["reverse"].gradient["x"], rel=1e-9)


def test_an_expression_within_the_budget_is_still_differentiated():
    # 8 levels: 1,021 nodes written out, under the budget; its derivative is measured as before
    result = dk.gradient(_swelling(8), at={"x": 0.5}, method="symbolic")
    reverse = dk.gradient(_swelling(8), at={"x": 0.5}, method="reverse")
    assert result.gradient["x"] == pytest.approx(reverse.gradient["x"], rel=1e-12)
    assert result.cost.details["derivative tree size"] == 9084
