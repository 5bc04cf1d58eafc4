"""dk.crosscheck run here (client=None): outcomes, the report, the JSON-lines file and resuming from it, and the
``diffkit crosscheck`` command. The same on a Dask cluster: tests/test_distributed.py."""

import importlib
import json

import numpy as np
import pytest
from cli_run import run

import diffkit as dk
from diffkit.errors import BindingError

module = importlib.import_module("diffkit.crosscheck")  # the module (dk.crosscheck is the function)

AT = {"x": 0.0, "y": 2.0}
CORPUS = ["x*y + sin(x)", "sqrt(x)", "log(x", "x**2 + z", "cos(y)*x", "relu(x + 1) + y"]


def test_outcomes_and_figures():
    check = dk.crosscheck(CORPUS, at=AT)
    outcomes = [r["outcome"] for r in check.records]
    assert outcomes == ["agree", "disagree", "invalid", "invalid", "agree", "agree"]
    first = check.records[0]
    comparison = dk.compare("x*y + sin(x)", at=AT)
    assert first["methods"]["reverse"]["flops"] == comparison.results["reverse"].cost.flops
    assert first["methods"]["forward"]["sweeps"] == 2  # one per input
    assert first["largest"] == comparison.largest_discrepancy[1]
    assert check.records[3]["error"] == "no value given for variable(s) z"
    assert "never closed" in check.records[2]["error"]


def test_the_diagnosis_is_the_comparisons():
    check = dk.crosscheck(["sqrt(x)"], at={"x": 0.0})
    record = check.records[0]
    assert record["findings"] == [str(f) for f in dk.compare("sqrt(x)", at={"x": 0.0}).findings]
    assert record["largest"] is None  # nan: numeric gives nan where the others give numbers
    assert check.worst() == [record]


def test_a_method_that_cannot_answer_is_failed_not_disagree():
    before = dk.limits.symbolic_size
    dk.limits.symbolic_size = 10  # the symbolic derivative of this product swells past it
    try:
        check = dk.crosscheck(["sin(x)*cos(y)*exp(x*y)*tanh(x + y)*log(2 + x*x)"], at={"x": 0.5, "y": 1.5})
    finally:
        dk.limits.symbolic_size = before
    record = check.records[0]
    assert record["outcome"] == "failed"
    assert list(record["failures"]) == ["symbolic"] and record["failures"]["symbolic"].startswith("cut off")
    assert set(record["methods"]) == {"numeric", "forward", "reverse"}


def test_the_report_counts_and_lists_the_worst():
    text = dk.crosscheck(CORPUS, at=AT).report(worst=1)
    assert text.splitlines()[0] == "cross-check of 6 expressions at x=0, y=2"
    assert "  agree     3" in text and "  disagree  1" in text and "  invalid   2" in text
    assert "#1  sqrt(x)  nan (symbolic vs numeric)" in text
    assert "#2  log(x: invalid syntax: '(' was never closed" in text
    assert "... and 1 more" in text  # --worst 1: one invalid shown, the other counted


def test_results_are_streamed_and_a_rerun_computes_nothing(tmp_path, monkeypatch):
    out = tmp_path / "results.jsonl"
    first = dk.crosscheck(CORPUS, at=AT, out=out)
    lines = out.read_text().splitlines()
    assert json.loads(lines[0])["diffkit"] == "crosscheck" and len(lines) == 1 + len(CORPUS)
    assert [json.loads(line) for line in lines[1:]] == first.records

    def never(*args):
        raise AssertionError("a done expression was computed again")

    monkeypatch.setattr(module, "check_one", never)
    again = dk.crosscheck(CORPUS, at=AT, out=out)
    assert again.records == first.records and again.report() == first.report()


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path, monkeypatch):
    out = tmp_path / "results.jsonl"
    real = module.check_one
    calls = []

    def interrupted(index, text, at):
        if index == 3:
            raise KeyboardInterrupt
        calls.append(index)
        return real(index, text, at)

    monkeypatch.setattr(module, "check_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        dk.crosscheck(CORPUS, at=AT, out=out)
    assert len(out.read_text().splitlines()) == 1 + 3  # the three done are on disk
    with open(out, "a") as file:  # and a record cut off mid-write, as a killed process leaves it
        file.write('{"index": 3, "expr')
    calls.clear()
    monkeypatch.setattr(module, "check_one", lambda index, text, at: calls.append(index) or real(index, text, at))
    resumed = dk.crosscheck(CORPUS, at=AT, out=out)
    assert calls == [3, 4, 5]
    assert resumed.records == dk.crosscheck(CORPUS, at=AT).records
    assert [json.loads(line)["index"] for line in out.read_text().splitlines()[1:]] == [0, 1, 2, 3, 4, 5]


def test_a_file_of_another_run_is_refused_and_left_alone(tmp_path):
    out = tmp_path / "results.jsonl"
    dk.crosscheck(CORPUS, at=AT, out=out)
    before = out.read_text()
    with pytest.raises(BindingError, match=r'holds results of another run \(at: \{"x": 0.0, "y": 2.0\} there'):
        dk.crosscheck(CORPUS, at={"x": 1.0, "y": 2.0}, out=out)
    with pytest.raises(BindingError, match="another run"):
        dk.crosscheck(CORPUS[:2], at=AT, out=out)
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text("x,y\n1,2\n")
    with pytest.raises(BindingError, match="not a file diffkit wrote"):
        dk.crosscheck(CORPUS, at=AT, out=foreign)
    assert out.read_text() == before and foreign.read_text() == "x,y\n1,2\n"


@pytest.mark.parametrize("expressions, at, message", [
    ("x*y", AT, "got one string"),
    (["x", 3], AT, r"expressions\[1\] must be expression text"),
    (iter(["x"]), AT, "must be a list"),
    (["x"], {"x": "1"}, r"at\['x'\] must be a finite number"),
    (["x"], {"x": np.nan}, "finite number"),
    (["x"], {"x": True}, "finite number"),
    (["x"], [1.0], "must be a dict"),
    (["x"], {1: 1.0}, "keys must be variable names"),
])
def test_bad_arguments_are_named(expressions, at, message):
    with pytest.raises(BindingError, match=message):
        dk.crosscheck(expressions, at=at)


def test_a_client_that_is_not_one_is_refused():
    pytest.importorskip("distributed")
    with pytest.raises(BindingError, match="client must be a distributed.Client"):
        dk.crosscheck(["x"], at={"x": 1.0}, client="tcp://127.0.0.1:8786")


def test_the_command_prints_the_report_and_writes_the_file(capsys, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("# lecture examples\nx*y + sin(x)\n\nsqrt(x)\n")
    out = tmp_path / "out" / "results.jsonl"
    status, text, err = run(capsys, "crosscheck", str(corpus), "--at", "x=0,y=2", "-o", str(out))
    assert status == 0, err
    assert text.splitlines()[0] == "cross-check of 2 expressions at x=0, y=2"
    assert text.rstrip().endswith(f"wrote {out}")
    assert len(out.read_text().splitlines()) == 3
    status, text, _ = run(capsys, "crosscheck", str(corpus), "--at", "x=0,y=2", "--json", "--worst", "1")
    data = json.loads(text)
    assert data["counts"] == {"agree": 1, "disagree": 1, "failed": 0, "invalid": 0, "error": 0}
    assert [r["expression"] for r in data["worst"]] == ["sqrt(x)"] and data["lost"] == []
