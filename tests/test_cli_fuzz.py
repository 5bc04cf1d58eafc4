"""Hostile command lines: every subcommand of ``python -m diffkit`` answers a bad argument with exit status 2 and
one line on standard error, never a traceback; Ctrl-C gives status 130 and one line.

The arguments are negative, zero, huge (10**400, 1e309), nan, ±inf or non-numeric numbers, unknown names, empty
strings and missing values. Most cases run the CLI in this process (``cli.main(argv)`` with its output captured),
which is quick; a few run ``python -m diffkit`` in a subprocess to prove the exit status and the absence of a
traceback end to end.

Parse errors: the decision. A ``ParseError`` names the token and its column, and the CLI prints its message on
the ``diffkit: error:`` line followed by the expression and a caret line under the offending token::

    diffkit: error: the expression ends too early: an operand is missing at the end
      x+
        ^

That is accepted as "one error message": it is the only error content (no traceback, no usage block), the first
line stands on its own, and the two lines after it only point into the text the user typed. So the check is:
exactly one line, or, for a parse error, exactly those three (the second the expression indented by two spaces,
the third only spaces and carets).
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hang_guard import guard
from hypothesis import given, settings
from hypothesis import strategies as st

from diffkit import cli

ROOT = Path(__file__).resolve().parent.parent
_ALARM = 20  # seconds one in-process command may take before it counts as a hang
HUGE = "1" + "0" * 400  # 10**400: an int Python reads, past any float


def run_in_process(argv: list[str]) -> tuple[int, str, str]:
    """``diffkit argv`` in this process: (exit status, stdout, stderr). argparse's errors exit via SystemExit."""
    out, err = io.StringIO(), io.StringIO()
    with guard(f"diffkit {' '.join(argv)}", _ALARM), redirect_stdout(out), redirect_stderr(err):
        try:
            rc = cli.main(argv)
        except SystemExit as exc:
            rc = exc.code
    return rc, out.getvalue(), err.getvalue()


_CARET = re.compile(r"^ *\^+$")


def assert_one_error(argv, rc, out, err) -> None:
    """Status 2, nothing on stdout, no traceback, and one error line (or a parse error's three: see the module)."""
    where = f"diffkit {' '.join(argv)!r}"
    assert "Traceback" not in out + err, f"{where} printed a traceback:\n{err}"
    assert rc == 2, f"{where} exited {rc}, not 2; stderr:\n{err}"
    assert out == "", f"{where} printed to stdout on an error:\n{out}"
    lines = err.rstrip("\n").split("\n")
    assert lines[0].startswith(("diffkit: error: ", "diffkit ")) and "error: " in lines[0], f"{where}: {err}"
    parse_error = len(lines) == 3 and lines[1].startswith("  ") and _CARET.match(lines[2])
    assert len(lines) == 1 or parse_error, f"{where} wrote {len(lines)} lines to stderr:\n{err}"


# Hostile values for a numeric flag; each flag lists the ones that are errors for it (1.5 is a fine --lr).
NUMBERS = ["-1", "0", "nan", "inf", "-inf", "1e309", "abc", "", "1.5", HUGE, "0x10", " ", "-1e-3", "1,2"]


def _flag_cases(prefix: list[str], flag: str, bad: list[str]) -> list[list[str]]:
    return [[*prefix, flag, value] for value in bad]


CASES: list[list[str]] = [
    # the top level
    [], ["gradient", "x+", "--at", "x=1"], ["--nope"], [""],
    # diff
    ["diff"], ["diff", "", "--at", "x=1"], ["diff", "x+", "--at", "x=1"], ["diff", "sin(", "--at", "x=1"],
    ["diff", "x", "--at"], ["diff", "x", "--at", "x="], ["diff", "x", "--at", "=1"], ["diff", "x", "--at", "x=abc"],
    ["diff", "x", "--at", "x=1e309"], ["diff", "x", "--at", "x=1,x=2"], ["diff", "x", "--at", ""],
    ["diff", "x*y", "--at", "x=1"], ["diff", "x", "--at", "x=1", "--method", "backprop"],
    ["diff", "x", "--at", "x=1", "--method", ""], ["diff", "x", "--at", "x=1", "--wrt", ""],
    ["diff", "x", "--at", "x=1", "--wrt", "z"], ["diff", "x", "--at", "x=1", "--wrt", ","],
    ["diff", "x", "--at", "x=1", "--wrt"], ["diff", "x", "--at", "x=1", "--order", "2", "--wrt", "x,y"],
    *_flag_cases(["diff", "x", "--at", "x=1"], "--order", ["-1", "0", "nan", "inf", "-inf", "1e309", "abc", "",
                                                          "1.5", HUGE, "0x10", " ", "-1e-3", "1,2", "99"]),
    # hessian and jacobian
    ["hessian"], ["hessian", "x+"], ["hessian", "x*y", "--at", "x=1"], ["hessian", "x", "--at", "x=1,,=2"],
    ["hessian", "x", "--at", "x=1", "--method", "nope"], ["hessian", "x", "--at", "x=-1e309"],
    ["jacobian"], ["jacobian", "x", "x+"], ["jacobian", "x", "y", "--at", "x=1"],
    ["jacobian", "x", "--at", "x=1", "--method", "all"], ["jacobian", "x", "--at", "x"],
    # graph
    ["graph"], ["graph", "x+", "--format", "dot"], ["graph", "x"], ["graph", "x", "-o", "a.txt"],
    ["graph", "x", "-o", ""], ["graph", "x", "--format", "gif"], ["graph", "x", "--format", "dot", "--show", "values"],
    ["graph", "x", "--show", "values", "--format", "dot"], ["graph", "x", "--show", "nope", "--format", "dot"],
    ["graph", "x", "--format", "png", "-o", "a.svg"], ["graph", "x*y", "--show", "tangents", "--at", "x=1,y=2",
                                                      "-o", "t.png"],
    ["graph", "x*y", "--show", "tangents", "--at", "x=1,y=2", "--wrt", "z", "-o", "t.png"],
    # study
    ["study"], ["study", "nope"], ["study", ""], ["study", "gradient_vs_inputs", "--sizes", "-1,0"],
    ["study", "depth", "--sizes", "0"], ["study", "depth", "--sizes", "1e309"], ["study", "depth", "--sizes", "abc"],
    ["study", "depth", "--sizes", ""], ["study", "depth", "--sizes", ","], ["study", "depth", "--sizes", "2.5"],
    ["study", "depth", "--sizes", HUGE], ["study", "depth", "--sizes", "99999999999"], ["study", "depth", "--sizes"],
    ["study", "depth", "--sizes", "-inf"], ["study", "depth", "--sizes", "2", "--methods", "backprop"],
    ["study", "depth", "--sizes", "2", "--methods", ""], ["study", "depth", "--sizes", "2", "--methods", ","],
    ["study", "depth", "--sizes", "2", "--variant", "nope"], ["study", "depth", "--sizes", "2", "--variant", ""],
    ["study", "depth", "--sizes", "2", "--y", "nope"], ["study", "depth", "--sizes", "2", "--y", ""],
    ["study", "depth", "--sizes", "2", "-o", "plot.txt"], ["study", "depth", "--sizes", "2", "-o", ""],
    ["study", "depth", "--sizes", "2", "--csv", "rows.txt"], ["study", "depth", "--sizes", "2", "--csv", ""],
    ["study", "depth", "--sizes", "2", "-o", "p.png", "--y", "dag_size"],
    *_flag_cases(["study", "depth", "--sizes", "2"], "--repeats", ["-1", "0", "nan", "inf", "-inf", "1e309", "abc",
                                                                   "", "1.5", HUGE, "0x10", " ", "-1e-3", "1,2"]),
    # study stochastic_second_order: its own flags, and the cost families' flags, which it does not take
    *_flag_cases(["study", "stochastic_second_order"], "--epochs", ["-1", "0", "nan", "inf", "1e309", "abc", "",
                                                                     "1.5", HUGE, "99999"]),
    *_flag_cases(["study", "stochastic_second_order"], "--batch-size", ["-1", "0", "nan", "abc", "", HUGE]),
    *_flag_cases(["study", "stochastic_second_order"], "--optimizers", ["", ",", "sgd", "gd,gd", "gd,"*3]),
    *_flag_cases(["study", "stochastic_second_order"], "--variant", ["", "moons", "sin_cos"]),
    ["study", "stochastic_second_order", "--sizes", "2"], ["study", "stochastic_second_order", "--y", "flops"],
    ["study", "stochastic_second_order", "--repeats", "1"], ["study", "stochastic_second_order", "--csv", "r.csv"],
    ["study", "stochastic_second_order", "--methods", "reverse"], ["study", "stochastic_second_order", "-o", "p.txt"],
    ["study", "depth", "--sizes", "2", "--epochs", "2"], ["study", "depth", "--sizes", "2", "--optimizers", "gd"],
    # study activations_vs_depth: its own flags, and the other studies' flags, which it does not take
    *_flag_cases(["study", "activations_vs_depth"], "--depth", ["-1", "0", "nan", "inf", "1e309", "abc", "", "1.5",
                                                                 HUGE, "101"]),
    *_flag_cases(["study", "activations_vs_depth"], "--width", ["-1", "0", "nan", "abc", "", HUGE, "5000"]),
    *_flag_cases(["study", "activations_vs_depth"], "--activations", ["", ",", "swish", "tanh,tanh", "relu,"*3]),
    *_flag_cases(["study", "activations_vs_depth"], "--inits", ["", ",", "zero", "small,small"]),
    *_flag_cases(["study", "activations_vs_depth"], "--normalizations", ["", ",", "group", "None", "layer,layer"]),
    *_flag_cases(["study", "activations_vs_depth"], "--variant", ["", "moons", "logistic"]),
    ["study", "activations_vs_depth", "--sizes", "2"], ["study", "activations_vs_depth", "--epochs", "2"],
    ["study", "activations_vs_depth", "--optimizers", "gd"], ["study", "activations_vs_depth", "--csv", "r.csv"],
    ["study", "activations_vs_depth", "-o", "p.txt"], ["study", "stochastic_second_order", "--depth", "2"],
    ["study", "depth", "--sizes", "2", "--width", "4"], ["study", "depth", "--sizes", "2", "--inits", "small"],
    # train
    ["train"], ["train", "nope"], ["train", ""], ["train", "xor", "--optimizer", "adan"],
    ["train", "xor", "--optimizer", ""], ["train", "xor", "--damping", "0.1"],
    *_flag_cases(["train", "xor"], "--lr", ["-1", "0", "nan", "inf", "-inf", "1e309", "abc", "", "0x10", " ",
                                             "-1e-3", "1,2", "-" + HUGE]),
    *_flag_cases(["train", "xor"], "--epochs", ["-1", "0", "nan", "inf", "-inf", "1e309", "abc", "", "1.5", HUGE,
                                                 "0x10", " ", "-1e-3", "1,2"]),
    *_flag_cases(["train", "xor"], "--seed", ["-1", "nan", "inf", "-inf", "1e309", "abc", "", "1.5", "0x10", " ",
                                               "-1e-3", "1,2"]),
    *_flag_cases(["train", "xor", "--optimizer", "newton"], "--damping", ["-1", "nan", "inf", "-inf", "1e309", "abc",
                                                                          "", "0x10", " ", "-1e-3", "1,2"]),
    # demo
    ["demo", "--nope"], ["demo", "-o"],
    # crosscheck (the cases that need an expressions file are CROSSCHECK_CASES below)
    ["crosscheck"], ["crosscheck", ""], ["crosscheck", "missing.txt"], ["crosscheck", "."],
]

# crosscheck with an expressions file: "e.txt" holds two expressions, "empty.txt" none, "binary.txt" is not text,
# "folder.jsonl" is a folder, "foreign.jsonl" a file crosscheck did not write.
CROSSCHECK_CASES: list[list[str]] = [
    ["crosscheck", "empty.txt"], ["crosscheck", "binary.txt"], ["crosscheck", "e.txt", "--at"],
    ["crosscheck", "e.txt", "--at", "x=abc"], ["crosscheck", "e.txt", "--at", "x=1e309"],
    ["crosscheck", "e.txt", "--at", "x=1,x=2"], ["crosscheck", "e.txt", "--at", "=1"],
    *_flag_cases(["crosscheck", "e.txt", "--at", "x=1,y=2"], "--worst", ["-1", "0", "nan", "inf", "1e309", "abc",
                                                                           "-" + HUGE, "", "1.5", "0x10", " "]),
    ["crosscheck", "e.txt", "-o"], ["crosscheck", "e.txt", "-o", ""], ["crosscheck", "e.txt", "-o", "out.txt"],
    ["crosscheck", "e.txt", "-o", "e.txt"], ["crosscheck", "e.txt", "-o", "folder.jsonl"],
    ["crosscheck", "e.txt", "-o", "foreign.jsonl"], ["crosscheck", "e.txt", "--scheduler"],
    ["crosscheck", "e.txt", "--scheduler", ""], ["crosscheck", "e.txt", "--scheduler", "nope"],
    ["crosscheck", "e.txt", "--scheduler", "tcp://127.0.0.1:99999"], ["crosscheck", "e.txt", "--scheduler", "a b:1"],
    ["crosscheck", "e.txt", "--nope"],
]


@pytest.mark.parametrize("argv", CASES, ids=[" ".join(c) or "(nothing)" for c in CASES])
def test_hostile_arguments_get_one_line_and_status_2(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a command that did write a file writes it here
    rc, out, err = run_in_process(argv)
    assert_one_error(argv, rc, out, err)


@pytest.mark.parametrize("argv", CROSSCHECK_CASES, ids=[" ".join(c) for c in CROSSCHECK_CASES])
def test_hostile_crosscheck_arguments_get_one_line_and_status_2(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.txt").write_text("x*y\nsin(x) + y\n")
    (tmp_path / "empty.txt").write_text("# only a comment\n\n")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00x")
    (tmp_path / "folder.jsonl").mkdir()
    (tmp_path / "foreign.jsonl").write_text('{"rows": []}\n')
    rc, out, err = run_in_process(argv)
    assert_one_error(argv, rc, out, err)
    assert (tmp_path / "foreign.jsonl").read_text() == '{"rows": []}\n'  # a file it did not write is left alone


def test_a_parse_error_is_its_message_then_the_expression_and_a_caret():
    rc, out, err = run_in_process(["diff", "x+", "--at", "x=1"])
    assert err.splitlines() == ["diffkit: error: the expression ends too early: an operand is missing at the end",
                                "  x+", "    ^"]


def test_negative_sizes_get_diffkits_message_not_argparses():
    rc, _, err = run_in_process(["study", "gradient_vs_inputs", "--sizes", "-1,0"])
    assert rc == 2 and "expected one argument" not in err
    assert err.startswith("diffkit: error: sizes of the gradient_vs_inputs family are whole numbers ≥ 2")
    rc, _, err = run_in_process(["train", "xor", "--lr", "-1e-3"])
    assert rc == 2 and err == "diffkit: error: --lr must be a positive number, got -0.001\n"


# Drawn flag values: any short text (argparse and diffkit must answer it), and numbers written every way.
_flag_text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=6),
    st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10**30, 10**30).map(str),
)


@settings(max_examples=120, deadline=None, database=None)
@given(flag=st.sampled_from([("diff", "x*y", "--at", "x=1,y=2", "--order"), ("diff", "x*y", "--at", "x=1,y=2", "--wrt"),
                             ("diff", "x*y", "--at"), ("hessian", "x*y", "--at"), ("jacobian", "x", "y", "--at")]),
       value=_flag_text)
def test_drawn_flag_values_give_an_answer_or_one_error_line(flag, value):
    """Whatever follows the flag, the command answers (status 0) or prints one error line (status 2)."""
    argv = [*flag, value]
    rc, out, err = run_in_process(argv)
    assert "Traceback" not in out + err, err
    if rc != 0:
        assert_one_error(argv, rc, out, err)


def _subprocess(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "diffkit", *args], capture_output=True, text=True, timeout=120,
                          env=env, cwd=kwargs.pop("cwd", ROOT), **kwargs)


@pytest.mark.parametrize("argv", [
    ["study", "gradient_vs_inputs", "--sizes", "-1,0"],
    ["train", "xor", "--seed", "-1"],
    ["train", "xor", "--epochs", "0"],
    ["diff", "x+", "--at", "x=1"],
    ["gradient", "x+", "--at", "x=1"],
])
def test_end_to_end_the_status_is_2_and_there_is_no_traceback(argv, tmp_path):
    done = _subprocess(argv, cwd=tmp_path)
    assert_one_error(argv, done.returncode, done.stdout, done.stderr)


# The SIGINT test's command: a study that runs for many seconds (about 30 s on one core).
_LONG_STUDY = ["study", "gradient_vs_inputs", "--sizes", "256,512,1024,2048", "--methods", "numeric,forward",
               "--repeats", "3"]


def test_ctrl_c_exits_130_with_one_line(tmp_path):
    """SIGINT 1.5 s into a long study: status 130, "diffkit: interrupted", no traceback.

    The process prints "ready" once diffkit is imported and then calls ``cli.main`` as ``python -m diffkit``
    does, so the signal lands in the command, not in the import (importing diffkit takes a few seconds on a busy
    machine, and a Ctrl-C during Python's import of a package is Python's own traceback, before any diffkit code
    can catch it). The timeouts only turn a hang into a failure.
    """
    code = ("import sys; import diffkit.cli as cli; print('ready', flush=True); "
            f"sys.exit(cli.main({_LONG_STUDY!r}))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # SIGINT at its default in the child: a shell starts background jobs with it ignored, and a process that
    # inherits "ignored" never sees the Ctrl-C this test sends (Python installs its handler only when not ignored).
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, cwd=tmp_path,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert process.stdout.readline() == "ready\n"
        time.sleep(1.5)
        assert process.poll() is None, "the study finished before it could be interrupted"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert "Traceback" not in out + err, err
    assert process.returncode == 130, (process.returncode, err)
    assert err == "diffkit: interrupted\n"
    assert out == ""


def test_a_control_character_in_a_name_stays_on_the_one_error_line():
    """Found by the drawn test: "--wrt $'0\\r0'" was quoted raw, and the carriage return split the message."""
    rc, _, err = run_in_process(["diff", "x*y", "--at", "x=1,y=2", "--wrt", "0\r0"])
    assert rc == 2 and err.count("\n") == 1 and "0\\r0" in err
