"""``diffkit study stochastic_second_order``: the stochastic second-order study from the command line — its table,
its plot, its JSON, and one-line errors (status 2, before anything runs) for flags that belong to the other kind
of study. Runs are kept to two epochs of logistic regression with gd and lbfgs, so each takes about a second."""

import json

import pytest
from cli_run import run

from diffkit import studies
from diffkit.studies import stochastic

QUICK = ["--epochs", "2", "--optimizers", "gd,lbfgs"]


def test_prints_the_studys_report(capsys):
    status, out, err = run(capsys, "study", "stochastic_second_order", "--variant", "logistic", *QUICK)
    assert status == 0 and err == ""
    # the library's own table for the same study, so the flags reached it as given
    expected = stochastic.report(stochastic.stochastic_second_order("logistic", epochs=2, optimizers=("gd", "lbfgs")))
    assert out == expected + "\n"
    lines = out.splitlines()
    assert lines[0] == "logistic (3 parameters): loss over all training data after training"
    assert [line.split()[:2] for line in lines[4:]] == [["gd", "full"], ["gd", "mini-batch"], ["lbfgs", "full"],
                                                        ["lbfgs", "mini-batch"]]
    assert all(line.split()[-1] == "2" for line in lines[4:])  # two epochs each


def test_batch_size_reaches_the_study(capsys):
    status, out, _ = run(capsys, "study", "stochastic_second_order", "--epochs", "1", "--optimizers", "gd",
                         "--batch-size", "100")
    assert status == 0
    assert "mini-batch 100" in out and "mini-batch 32" not in out
    assert "gd         mini-batch 100" in out


def test_writes_the_plot(capsys, tmp_path):
    path = tmp_path / "figures" / "stochastic.png"  # a missing folder is made, as for the cost studies
    status, out, _ = run(capsys, "study", "stochastic_second_order", *QUICK, "-o", str(path))
    assert status == 0
    assert out.splitlines()[-1] == f"wrote {path}"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_json_has_the_rows_and_the_runs_not_made(capsys):
    status, out, _ = run(capsys, "study", "stochastic_second_order", *QUICK, "--json")
    assert status == 0
    data = json.loads(out)
    study = stochastic.stochastic_second_order("logistic", epochs=2, optimizers=("gd", "lbfgs"))
    assert data["problem"] == "logistic" and data["parameters"] == 3
    assert data["rows"] == study.rows  # JSON keeps every digit of a float
    assert {(row["optimizer"], row["batch"], row["epoch"]) for row in data["rows"]} == {
        (name, batch, epoch) for name in ("gd", "lbfgs") for batch in ("full", "mini-batch 32") for epoch in (0, 1, 2)}
    assert data["refused"] == []


def test_json_says_why_a_run_was_not_made(capsys):
    pytest.importorskip("sklearn")  # the digits ship with scikit-learn, an optional extra
    # Newton on the digits MLP is refused by the study (a 1,210-parameter Hessian per step): no rows, two reasons
    status, out, _ = run(capsys, "study", "stochastic_second_order", "--variant", "digits", "--epochs", "1",
                         "--optimizers", "newton", "--json")
    assert status == 0
    data = json.loads(out)
    assert data["rows"] == []
    assert [(r["optimizer"], r["batch"]) for r in data["refused"]] == [("newton", "full"), ("newton", "mini-batch 32")]
    assert all("use newtoncg" in r["reason"] for r in data["refused"])


@pytest.mark.parametrize("argv, message", [
    # a cost family's flags, given to the stochastic study
    (("--sizes", "2,4"), "--sizes is for the cost families, not stochastic_second_order"),
    (("--methods", "reverse"), "--methods is for the cost families, not stochastic_second_order"),
    (("--y", "flops"), "--y is for the cost families, not stochastic_second_order"),
    (("--repeats", "3"), "--repeats is for the cost families, not stochastic_second_order"),
    (("--csv", "rows.csv"), "--csv is for the cost families, not stochastic_second_order"),
    # its own flags, with values it cannot take
    (("--epochs", "0"), "--epochs must be a whole number in [1, 10000], got 0"),
    (("--epochs", "100000"), "--epochs must be a whole number in [1, 10000], got 100000"),
    (("--epochs", "1.5"), "invalid int value: '1.5'"),
    (("--batch-size", "0"), "--batch-size must be a whole number >= 1, got 0"),
    (("--optimizers", "gd,sgd"), "unknown optimizer 'sgd'; did you mean gd?"),
    (("--optimizers", "gd,gd"), "--optimizers names gd twice"),
    (("--optimizers", ","), "--optimizers names none"),
    (("--variant", "moons"), "unknown --variant 'moons' (choose one of 'logistic', 'digits')"),
    (("--epochs", "2", "-o", "plot.txt"), "must end in .png, .svg or .pdf"),
])
def test_flags_it_does_not_take_are_one_line_errors(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(stochastic, "stochastic_second_order", _must_not_run)  # flags are checked first
    status, out, err = run(capsys, "study", "stochastic_second_order", *argv)
    assert status == 2 and out == ""
    assert err.startswith("diffkit") and ": error: " in err and message in err
    assert len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("size", ["400", "1" + "0" * 400])
def test_a_batch_of_every_sample_is_refused_in_the_flags_words(capsys, size):
    # logistic regression has 400 samples: a "mini-batch" of 400 or more would be the full-batch run again
    status, out, err = run(capsys, "study", "stochastic_second_order", "--epochs", "1", "--batch-size", size)
    assert status == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("diffkit: error: --batch-size must be below the 400 training samples of logistic")


@pytest.mark.parametrize("flag, value", [("--epochs", "2"), ("--batch-size", "16"), ("--optimizers", "gd")])
def test_its_flags_given_to_a_cost_family_are_one_line_errors(capsys, monkeypatch, flag, value):
    monkeypatch.setattr(studies, "run", _must_not_run)
    status, out, err = run(capsys, "study", "depth", "--sizes", "2", flag, value)
    assert status == 2 and out == ""
    assert err == f"diffkit: error: {flag} is for stochastic_second_order, not the cost family depth (which takes " \
                  "--sizes, --methods, --variant, --y, --repeats, -o, --csv and --json)\n"


def test_an_unknown_study_names_both_kinds(capsys):
    status, _, err = run(capsys, "study", "stochastic_second_ordr")
    assert status == 2 and len(err.splitlines()) == 1
    assert "unknown study family 'stochastic_second_ordr'; did you mean stochastic_second_order?" in err
    assert "gradient_vs_inputs" in err and err.rstrip().endswith("stochastic_second_order, activations_vs_depth")


def test_the_help_lists_it(capsys):
    status, out, _ = run(capsys, "study", "--help")
    assert status == 0
    assert "stochastic_second_order" in out and "--optimizers" in out and "--batch-size" in out


def _must_not_run(*args, **kwargs):
    raise AssertionError("the study ran although a flag was wrong")
