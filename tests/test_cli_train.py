"""`diffkit train` offers what diffkit.datasets and diffkit.optim have, from their own registries."""

import argparse
import json

import numpy as np
import pytest

import diffkit as dk
from diffkit import datasets, optim
from diffkit.cli import _parser, main
from diffkit.errors import BindingError


def train_choices() -> dict[str, list]:
    """The choices the parser of `diffkit train` offers, by argument."""
    commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    train = commands.choices["train"]
    return {action.dest: list(action.choices) for action in train._actions if action.choices}


def test_the_command_line_offers_every_dataset_and_optimizer_of_the_library():
    choices = train_choices()
    assert choices["dataset"] == list(datasets.DATASETS)
    assert choices["optimizer"] == list(optim.OPTIMIZERS)
    assert {"moons", "spirals", "digits"} <= set(datasets.DATASETS)
    assert {"adamw", "nesterov", "newton"} <= set(optim.OPTIMIZERS)


def test_the_registries_hold_what_the_modules_export():
    functions = {name for name in datasets.__all__ if name not in ("DATASETS", "load", "one_hot")}
    assert set(datasets.DATASETS) == functions
    assert all(datasets.DATASETS[name] is getattr(datasets, name) for name in functions)
    from diffkit import second_order

    classes = {name for module in (optim, second_order) for name in module.__all__
               if isinstance(getattr(module, name), type) and issubclass(getattr(module, name), optim.Optimizer)
               and name != "Optimizer"}
    classes -= {"GaussNewton", "LevenbergMarquardt"}  # least squares: they need residuals, not a loss
    assert {cls.__name__ for cls in optim.OPTIMIZERS.values()} == classes
    assert all(key == cls.__name__.lower() for key, cls in optim.OPTIMIZERS.items())


def test_lookup_by_name():
    assert type(optim.by_name("AdamW", lr=0.1)) is optim.AdamW and optim.by_name("adam", lr=0.1).lr == 0.1
    with pytest.raises(BindingError, match="unknown optimizer 'adan'; did you mean adam"):
        optim.by_name("adan")
    X, y = datasets.load("moons", n=10, seed=1)
    assert np.array_equal(X, datasets.moons(n=10, seed=1)[0]) and y.shape == (10,)
    with pytest.raises(BindingError, match="unknown dataset 'spiral'; did you mean spirals"):
        datasets.load("spiral")


@pytest.mark.parametrize("dataset", list(datasets.DATASETS))
def test_every_dataset_trains_from_the_command_line(dataset, capsys):
    if dataset == "digits":
        pytest.importorskip("sklearn")
    assert main(["train", dataset, "--epochs", "2", "--json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert history["steps"] >= 2 and len(history["loss"]) == 2
    data = datasets.load(dataset)
    inputs = data[0].shape[1]
    assert history["network"].startswith(f"MLP({inputs}-")  # the input layer from the data


def test_the_default_networks_learn_the_new_datasets(capsys):
    assert main(["train", "moons"]) == 0
    out = capsys.readouterr().out
    assert "MLP(2-16-1, activation='tanh', output='sigmoid', loss='binary_cross_entropy'" in out
    assert "training accuracy 1.0000" in out
    assert main(["train", "spirals", "--seed", "1", "--epochs", "5", "--optimizer", "adamw", "--json"]) == 0
    history = json.loads(capsys.readouterr().out)
    assert history["network"].startswith("MLP(2-32-32-1") and history["optimizer"].startswith("AdamW(lr=0.02")


def test_many_classes_get_one_output_each(capsys, monkeypatch):
    monkeypatch.setitem(datasets.DATASETS, "three_spirals",
                        lambda seed=0: datasets.spirals(n=60, classes=3, seed=seed))
    assert main(["train", "three_spirals", "--epochs", "2", "--json"]) == 0  # no recipe: the defaults
    network = json.loads(capsys.readouterr().out)["network"]
    assert network.startswith("MLP(2-16-3,") and "loss='cross_entropy'" in network


# --- bad flags: one line, exit status 2, before any data is loaded or any training runs -------------------------


@pytest.mark.parametrize("flags, message", [
    (["--seed", "-1"], "--seed must be a whole number >= 0, got -1"),
    (["--epochs", "0"], "--epochs must be a positive whole number, got 0"),
    (["--epochs", "-5"], "--epochs must be a positive whole number, got -5"),
    (["--lr", "nan"], "--lr must be a positive number, got nan"),
    (["--lr", "0"], "--lr must be a positive number, got 0.0"),
    (["--optimizer", "newton", "--damping", "-1"], "Newton: damping must be a finite number >= 0, got -1.0"),
    (["--optimizer", "newton", "--damping", "inf"], "Newton: damping must be a finite number >= 0, got inf"),
])
def test_bad_flags_get_one_line_and_exit_status_2(flags, message, capsys):
    assert main(["train", "xor", *flags]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"diffkit: error: {message}\n" and captured.out == ""


@pytest.mark.parametrize("flags", [["--seed", "0"], ["--epochs", "1"], ["--optimizer", "newton", "--damping", "0"]])
def test_the_flags_next_to_the_bad_ones_train(flags, capsys):
    assert main(["train", "xor", "--epochs", "1", *flags, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["steps"] == 1


def test_a_billion_epochs_are_refused_with_the_estimate_and_the_budget(capsys):
    # the work is estimated first (a billion epochs would also overflow the History's memory budget)
    assert main(["train", "xor", "--epochs", "1000000000"]) == 2
    err = capsys.readouterr().err
    assert err == ("diffkit: error: training for --epochs 1,000,000,000 (1,000,000,000 steps of about 2.1e+05 "
                   "operations each) would take about 3.1e+14 operations, over the budget of 3e+09 "
                   "(dk.limits.work_operations); train for fewer epochs, or on fewer samples, or in several calls "
                   "of train, or raise dk.limits.work_operations\n")


def test_epochs_within_the_work_budget_are_still_refused_for_the_history_memory(capsys, monkeypatch):
    monkeypatch.setattr(dk.limits, "work_operations", 1e20)
    assert main(["train", "xor", "--epochs", "1000000000"]) == 2
    assert "would hold about 89.41 GiB of arrays" in capsys.readouterr().err


def test_a_diverging_run_says_where_and_suggests_a_smaller_lr_flag(capsys):
    assert main(["train", "sine", "--optimizer", "gd", "--lr", "10"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("diffkit: warning: ") and "overflow" in err[0]  # what overflowed, as it happened
    assert err[-1].startswith("diffkit: error: training diverged at the end of epoch ")
    assert err[-1].endswith("the loss over all training data became inf; the learning rate is probably too large "
                            "for this problem: try a smaller one, e.g. --lr 1 (now 10), or scale the inputs")
