"""The command line's verbs beyond diff: hessian, jacobian, graph, study, train — real output, one-line errors."""

import json
import subprocess
import sys

import numpy as np
import pytest
from cli_run import run

import diffkit as dk
from diffkit.cli import main


def test_hessian_prints_the_matrix_and_its_cost(capsys):
    status, out, _ = run(capsys, "hessian", "x**2*y + sin(y)", "--at", "x=1,y=2")
    assert status == 0
    assert "Hessian by reverse (x, y)" in out
    assert np.allclose([float(v) for v in out.splitlines()[1].split()], [4, 2])
    assert np.allclose([float(v) for v in out.splitlines()[2].split()], [2, -np.sin(2)])
    assert "1 fwd + 3 bwd sweeps" in out


def test_hessian_json(capsys):
    status, out, _ = run(capsys, "hessian", "x*y**2", "--at", "x=1,y=3", "--method", "forward", "--json")
    assert status == 0
    assert np.allclose(json.loads(out)["derivative"], [[0, 6], [6, 2]])


def test_jacobian_of_two_expressions(capsys):
    status, out, _ = run(capsys, "jacobian", "x*y", "x + sin(y)", "--at", "x=1,y=2")
    assert status == 0
    rows = [[float(v) for v in line.split()] for line in out.splitlines()[1:3]]
    assert np.allclose(rows, [[2, 1], [1, np.cos(2)]])


def test_graph_writes_the_picture(capsys, tmp_path):
    path = tmp_path / "graph.svg"
    status, out, _ = run(capsys, "graph", "log(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5", "--show", "adjoints",
                         "-o", str(path))
    assert status == 0 and path.stat().st_size > 1000 and "wrote" in out
    assert "adj = 5.5" in path.read_text()


def test_study_writes_plot_and_csv(capsys, tmp_path):
    plot, table = tmp_path / "cost.png", tmp_path / "cost.csv"
    status, out, _ = run(capsys, "study", "gradient_vs_inputs", "--sizes", "2,4,8", "--methods", "forward,reverse",
                         "--repeats", "1", "-o", str(plot), "--csv", str(table))
    assert status == 0 and plot.stat().st_size > 1000
    assert "reverse" in out and "forward" in out
    assert len(table.read_text().splitlines()) == 1 + 3 * 2


def test_train_xor(capsys):
    status, out, _ = run(capsys, "train", "xor")
    assert status == 0
    assert "training accuracy 1.0000" in out


@pytest.mark.parametrize("argv, message", [
    (("graph", "x*y", "--show", "values", "-o", "x.png"), "--show values needs the point: add --at"),
    (("train", "xor", "--lr", "-1"), "--lr must be a positive number"),
    (("study", "nope"), "unknown study family 'nope'"),
    (("hessian", "x*y", "--at", "x=1"), "no value given for variable(s) y"),
    (("diff", "x*y", "--at", "x=1", "--order", "2"), "no value given"),
    (("diff", "x*y", "--at", "x=1,y=2", "--order", "2"), "--wrt one of x, y"),  # the flag, not Python's wrt=
    (("diff", "x", "--at", "x"), "argument --at: expected name=value, got 'x' (see diffkit diff --help)"),
    (("diff", "x", "--at", "x=1,x=2"), "x is given twice"),
    (("train", "xor", "--epochs", "1.5"), "invalid int value: '1.5'"),
    (("nope",), "invalid choice: 'nope'"),
])
def test_bad_arguments_are_one_line_errors(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert err.startswith("diffkit") and ": error: " in err and message in err
    assert len(err.splitlines()) == 1 and out == ""


def test_a_parse_error_points_at_the_column(capsys):
    status, _, err = run(capsys, "diff", "x +", "--at", "x=1")
    assert status == 2
    assert err.splitlines() == ["diffkit: error: the expression ends too early: an operand is missing at the end",
                                "  x +", "     ^"]


def test_warnings_are_one_line_in_flags(capsys):
    status, _, err = run(capsys, "diff", "log(x)", "--at", "x=0", "--method", "reverse")
    assert status == 0
    assert err.startswith("diffkit: warning: reverse method: log: division by zero") and len(err.splitlines()) == 1


def test_diff_by_one_variable_and_its_higher_order(capsys):
    status, out, _ = run(capsys, "diff", "x*y**3", "--at", "x=2,y=1", "--order", "2", "--wrt", "y", "--method",
                         "reverse")
    assert status == 0 and "derivative 12 " in out  # d²/dy² x·y³ = 6xy
    status, out, _ = run(capsys, "diff", "x*y**3", "--at", "x=2,y=1", "--wrt", "x")
    assert status == 0 and "d/dx" in out and "d/dy" not in out


def test_an_unwritable_output_is_a_one_line_error(tmp_path):
    (tmp_path / "a_file").write_text("x")  # a folder cannot be made where a file is
    done = subprocess.run([sys.executable, "-m", "diffkit", "graph", "x*y", "-o", str(tmp_path / "a_file" / "g.png")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("diffkit: error: File exists") and len(done.stderr.splitlines()) == 1


def test_a_reader_that_stops_early_is_not_an_error():
    # `diffkit demo | head -1`: the pipe closes under the demo; it stops quietly
    demo = subprocess.Popen([sys.executable, "-m", "diffkit", "demo"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    demo.stdout.readline()
    demo.stdout.close()
    assert demo.wait(timeout=120) == 0
    assert b"Traceback" not in demo.stderr.read()


def test_study_and_train_speak_json(capsys):
    assert main(["study", "depth", "--sizes", "2,4,8", "--methods", "forward,reverse", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {(row["size"], row["method"]) for row in data["rows"]} == {(k, m) for k in (2, 4, 8)
                                                                       for m in ("forward", "reverse")}
    reverse = next(fit for fit in data["fits"] if fit["method"] == "reverse")
    assert abs(reverse["exponent"] - 1.0) < 0.1  # a depth-k chain: reverse mode's work grows like k
    assert main(["train", "xor", "--epochs", "3", "--json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert history["steps"] == 3 and len(history["loss"]) == 3 and history["loss"][-1] < history["loss"][0]


def test_cli_errors_speak_in_flags(tmp_path, capsys):
    assert main(["diff", "x**2"]) == 2
    assert "give values with --at" in capsys.readouterr().err
    assert main(["graph", "x*y", "--show", "adjoints", "-o", str(tmp_path / "g.png")]) == 2
    assert "--show adjoints needs the point: add --at" in capsys.readouterr().err
    assert main(["graph", "x*y", "--show", "tangents", "--at", "x=1,y=2", "-o", str(tmp_path / "g.png")]) == 2
    assert "--show tangents needs --wrt, one of: x, y" in capsys.readouterr().err
    assert main(["train", "xor", "--damping", "1"]) == 2
    assert "--damping is for --optimizer newton" in capsys.readouterr().err


def test_outputs_go_into_new_folders(tmp_path, capsys):
    picture = tmp_path / "new" / "deeper" / "sin.png"
    assert main(["graph", "sin(x)", "--at", "x=1", "--show", "tangents", "-o", str(picture)]) == 0  # one variable
    assert picture.read_bytes()[:4] == b"\x89PNG"
    rows = tmp_path / "other" / "rows.csv"
    assert main(["study", "depth", "--sizes", "2,4", "--methods", "reverse", "-o", str(tmp_path / "p" / "d.png"),
                 "--csv", str(rows)]) == 0
    assert rows.read_text().startswith("family,")


def test_newton_trains_xor_with_its_damping(capsys):
    assert main(["train", "xor", "--optimizer", "newton", "--epochs", "60"]) == 0
    out = capsys.readouterr().out
    assert "Newton(lr=1.0, damping=0.1)" in out and "training accuracy 1.0000" in out


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"diffkit {dk.__version__}"


def test_json_is_strict_and_fits_match_the_report(capsys):
    assert main(["diff", "log(x)", "--at", "x=0", "--method", "reverse", "--json"]) == 0
    data = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
    assert data["reverse"]["value"] is None and data["reverse"]["derivative"]["x"] is None  # -inf and inf
    assert main(["study", "depth", "--variant", "logistic", "--sizes", "1,2,3,4,5", "--y", "expression_size",
                 "--json"]) == 0
    fits = {fit["series"]: fit for fit in json.loads(capsys.readouterr().out)["fits"]}
    tree = fits["symbolic tree (no CSE)"]
    assert tree["exponent"] is None and tree["growth_per_step"] > 2  # exponential, as the text report says
    assert fits["reverse operations"]["exponent"] == pytest.approx(1.0)
