"""The lecture's worked examples in examples/0*.py: each script runs, passes its own lecture checks (it exits
with status 1 otherwise), prints the key numbers and writes its pictures only when given --out."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# The scripts' matrix products are small: one BLAS thread each avoids threads fighting over the cores when
# tests run side by side.
ENVIRONMENT = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}


def run(script: str, *args: str, cwd: Path | None = None) -> str:
    completed = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True,
                               timeout=120, env=ENVIRONMENT, cwd=cwd)
    assert completed.returncode == 0, f"{script} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


# script, extra options, strings its output must contain, pictures it writes with --out
CASES = [
    ("01_product_of_sums.py", [],
     ["4 fwd + 0 bwd", "1 fwd + 1 bwd", "{'mul': 4}", "{'mul': 2}", "dy/dz1 = 7 (= z2), dy/dz2 = 3 (= z1)",
      "largest relative discrepancy"],
     ["product_of_sums_adjoints.png", "product_of_sums_sweeps.png"]),
    ("02_chain_of_modules.py", [],
     ["b = exp(a)        89.927159", "df/dx = product of the local derivatives = -80.3930566", " 23553.40996 ",
      " -3986901.214 ", " 1506469482 ", "numeric              -80.39306              < 1e-08"],
     ["chain_adjoints.png", "chain_tangents.png"]),
    ("03_forward_reverse_trace.py", [],
     ["11.652071", "5.500000", "1.716338", "0.283662", "sum of the messages = 5.5, x1's adjoint = 5.5",
      "lecture check: y = 11.652071, dy/dx1 = 5.5, dy/dx2 = 1.716338: ok"],
     ["trace_adjoints.png", "trace_tangents_x1.png"]),
    ("04_logistic_least_squares.py", [],
     ["-0.11010516   0.12336835", "0.48448"],
     ["logistic_adjoints.png"]),
    ("05_two_layer_relu_numpy.py", ["--iterations", "100"],
     ["gradient check ok", "gradient check FAILED: w1 disagrees", "3.15195e+07", "308.73"],
     ["two_layer_relu_loss.png"]),
    ("06_softmax_regression.py", [],
     ["15 fwd + 0 bwd", "48 fwd + 0 bwd", "max discrepancy between the formulas and diffkit"],
     ["two_layer_loss_adjoints.png"]),
]


@pytest.mark.parametrize(("script", "options", "expected", "pictures"), CASES, ids=[c[0] for c in CASES])
def test_example_runs_and_reproduces_the_lecture(tmp_path, script, options, expected, pictures):
    out = tmp_path / "pictures"
    output = run(script, *options, "--out", str(out))
    for text in expected:
        assert text in output, f"{script}: {text!r} missing from its output:\n{output}"
    assert sorted(p.name for p in out.iterdir()) == sorted(pictures)
    for name in pictures:
        assert str(out / name) in output  # the script says where it wrote
        assert (out / name).stat().st_size > 1000


def test_softmax_formulas_hold_for_another_activation():
    # Example 6's formulas against diffkit's reverse and forward mode, with another activation.
    output = run("06_softmax_regression.py", "--activation", "tanh", "--samples", "4")
    assert "max discrepancy between the formulas and diffkit: < 1e-12" in output  # printed as a bound, not digits


def test_without_out_nothing_is_written(tmp_path):
    run("03_forward_reverse_trace.py", cwd=tmp_path)
    assert list(tmp_path.iterdir()) == []
