"""The command line and the demo, run as a user runs them."""

import json
import subprocess
import sys

import pytest

from diffkit.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "diffkit", *args], capture_output=True, text=True, timeout=120)


def test_demo_prints_the_lecture_examples_compared_four_ways():
    done = run("demo")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for title in ("product of sums", "chain of modules", "forward and a reverse trace"):
        assert title in out
    assert "value: 11.65207146" in out  # ln(2) + 10 - sin(5)
    assert "5.5    1.716337815" in out
    assert out.count("1 fwd + 1 bwd") == 4  # reverse mode: one sweep each way, in every example and on the MLP
    assert "17 fwd + 0 bwd" in out  # forward mode on the 2-4-1 MLP: one sweep per parameter
    assert "accuracy 1.00" in out and "accuracy 0.25" in out  # XOR: the MLP learns it, logistic regression cannot
    assert "4 fwd + 0 bwd" in out  # forward mode on the 4-input product of sums
    assert "dy/dx1 = x2 + 1/x1" in out


def test_diff_all_methods(capsys):
    assert main(["diff", "x**2*sin(y)", "--at", "x=1,y=2"]) == 0
    out = capsys.readouterr().out
    for method in ("symbolic", "numeric", "forward", "reverse"):
        assert method in out


def test_diff_json_is_machine_readable(capsys):
    assert main(["diff", "x*y", "--at", "x=2,y=3", "--method", "reverse", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reverse"]["derivative"] == {"x": 3.0, "y": 2.0}
    assert data["reverse"]["cost"]["backward_sweeps"] == 1


def test_diff_higher_order(capsys):
    assert main(["diff", "x**4", "--at", "x=2", "--order", "3"]) == 0
    assert "derivative 48 " in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["diff", "sn(x)", "--at", "x=1"], "unknown function 'sn'; did you mean 'sin'?"),
        (["diff", "x*y", "--at", "x=1"], "no value given for variable(s) y"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_two(args, fragment):
    done = run(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert fragment in done.stderr.splitlines()[0]


def test_a_number_past_float64s_range_is_a_usage_error():
    from diffkit.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["diff", "x**2", "--at", "x=1e309"])
    assert exit_info.value.code == 2
    assert main(["diff", "x**2", "--at", "x=2e300", "--method", "reverse"]) == 0  # large but a float: fine


def test_malformed_point_is_a_usage_error():
    done = run("diff", "x", "--at", "x=one")
    assert done.returncode == 2
    assert "not a number" in done.stderr
    assert "Traceback" not in done.stderr
