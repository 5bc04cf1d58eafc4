"""Methods estimate their work before starting and refuse what is over dk.limits (subprocess: a regression
fails on the timeout instead of hanging the suite)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import diffkit as dk
from diffkit import estimate

ROOT = Path(__file__).resolve().parent.parent

CASES = {
    "broadcast": 'dk.derivative("x**2*y + sin(x)", wrt="x", at={"x": np.ones((100000, 1)), '
                 '"y": np.ones((1, 100000))}, method="forward")',
    "order 8": 'dk.derivative("sin(x)", wrt="x", at={"x": np.ones(10**6)}, method="forward", order=8)',
    "hessian": 'dk.hessian(" + ".join(f"x{i}*x{i+1}" for i in range(999)), '
               'at={f"x{i}": 1.0 for i in range(1000)}, method="forward")',
    "gradient": 'dk.gradient(" + ".join(f"sin(x{i})" for i in range(2000)), '
                'at={f"x{i}": 1.0 for i in range(2000)}, method="forward")',
}


@pytest.mark.parametrize("case", CASES)
def test_an_oversized_forward_request_is_refused_up_front(case):
    code = ("import numpy as np, diffkit as dk\ntry:\n    " + CASES[case] + "\n    print('ran')\n"
            "except dk.ResourceError as e:\n    print('refused', e)\n")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=40,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case} was not refused within 40 s")
    assert done.stdout.startswith("refused"), done.stdout + done.stderr[-2000:]
    assert "dk.limits." in done.stdout


def _ratios(work, cost):
    return work.applications / cost.total_operations, work.flops / cost.flops


CHAIN = " + ".join(f"sin(x{i})*x{i + 1}" for i in range(30))


@pytest.mark.parametrize("label", ["forward gradient", "forward hessian", "reverse gradient", "order 3"])
def test_estimates_are_within_twice_what_is_counted(label):
    if label == "order 3":
        g = dk.parse("exp(x)*log(x)/x + tanh(x)*y")
        at = {"x": np.full(10, 1.5), "y": np.ones(10)}
        work = estimate.sweep_work(g.plan, ("x",), 3, 10)
        cost = dk.derivative(g, wrt="x", at=at, method="forward", order=3).cost
    else:
        g = dk.parse(CHAIN)
        at = {name: 1.0 for name in g.variables}
        bound, wrt = g.bind(at), tuple(g.variables)
        if label == "forward gradient":
            work, cost = (estimate.forward_jacobian_work(g.plan, bound, wrt, False),
                          dk.gradient(g, at=at, method="forward").cost)
        elif label == "forward hessian":
            work, cost = estimate.forward_hessian_work(g.plan, bound, wrt), dk.hessian(g, at=at, method="forward").cost
        else:
            work, cost = estimate.reverse_work(g.plan, bound, wrt, 1), dk.gradient(g, at=at, method="reverse").cost
    for ratio in _ratios(work, cost):
        assert 0.5 <= ratio <= 2, (label, ratio)
