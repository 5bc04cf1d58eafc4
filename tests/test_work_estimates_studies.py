"""Studies and training estimate their work before building or stepping, and refuse what is over dk.limits
(subprocesses with timeouts: a regression fails instead of hanging the suite)."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import diffkit as dk
from diffkit import studies
from diffkit.studies import FAMILIES
from diffkit.studies.cells import function_flops
from diffkit.studies.runner import check_cells

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=ENV,
                              check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(args)} was not refused within {timeout} s")


# --- a family's scale, counted before building, against what it builds --------------------------------------------

CELLS = [(name, variant, size) for name, family in FAMILIES.items() for variant in family.variants
         for size in family.sizes if not (variant == "mlp" and size < 4) and not (variant == "rosenbrock" and size < 2)
         and not (name == "jacobian_shape" and 64 % size)]


@pytest.mark.parametrize("name, variant, size", CELLS)
def test_a_family_s_scale_is_within_twice_what_it_builds(name, variant, size):
    family = FAMILIES[name]
    scale = family.scale(size, variant)
    problem = family(size, variant)
    plan = problem.graph.plan
    built = {"nodes": plan.size, "steps": len(plan.steps), "inputs": problem.inputs, "outputs": problem.outputs,
             "flops": function_flops(problem.graph, problem.at)}
    for figure, value in built.items():
        assert 0.5 <= getattr(scale, figure) / value <= 2, (figure, getattr(scale, figure), value)


@pytest.mark.parametrize("name", FAMILIES)
def test_every_family_s_default_study_is_not_refused(name):
    family = FAMILIES[name]
    for variant in family.variants:
        for size in family.sizes:
            try:
                family.check(size, variant)
            except dk.BindingError:
                continue  # a size this variant does not take
            check_cells(family, size, variant, list(dk.METHODS), {})


# --- refusals -------------------------------------------------------------------------------------------------------

HUGE = {  # a size per family whose study would hang (or exhaust memory) building or running it
    "gradient_vs_inputs": (10**8, None, "n = 100,000,000", "dk.limits.graph_nodes"),
    "jacobian_shape": (1, None, None, None),  # its sizes divide a fixed n·m: never large (see the nm test)
    "depth": (10**8, None, "k = 100,000,000", "dk.limits.graph_nodes"),
    "mlp_width": (10**8, None, "w = 100,000,000", "dk.limits.work_operations"),
    "mlp_depth": (10**6, None, "L = 1,000,000", "dk.limits."),
    "hessian_vs_inputs": (10**5, None, "n = 100,000", "dk.limits.work_operations"),
}


def test_every_family_refuses_a_huge_study_at_once_naming_the_cell_and_the_limit():
    code = "\n".join([
        "import diffkit as dk",
        "from diffkit import studies",
        "for family, size in " + repr([(name, size) for name, (size, _, cell, _) in HUGE.items() if cell]) + ":",
        "    try:",
        "        studies.run(family, sizes=[size], methods=['reverse', 'forward', 'numeric'], repeats=1,"
        " progress=False)",
        "        print(family, 'ran')",
        "    except dk.ResourceError as e:",
        "        print(family, 'refused', e)",
    ])
    lines = _run(["-c", code]).stdout.splitlines()
    assert len(lines) == sum(1 for *_, cell, _ in HUGE.values() if cell), lines
    for line in lines:
        family, verdict, message = line.split(" ", 2)
        _, _, cell, limit = HUGE[family]
        assert verdict == "refused", line
        assert f"the {family} study at {cell}" in message and limit in message, line
        assert "use smaller sizes" in message, line


def test_a_wide_jacobian_shape_study_is_refused_before_building():
    with pytest.raises(dk.ResourceError, match=r"jacobian_shape study at n = 4,000,000.*dk\.limits\."):
        studies.run("jacobian_shape", sizes=[4_000_000], nm=16_000_000, methods=["reverse"], repeats=1,
                    progress=False)


def test_a_size_where_every_method_is_over_the_budget_is_refused_naming_the_cheapest():
    with pytest.raises(dk.ResourceError, match=r"hessian_vs_inputs study at n = 3,000 by reverse, the cheapest "
                                               r"of the methods asked for, would take about .* "
                                               r"\(dk\.limits\.work_operations\); every method asked for"):
        studies.run("hessian_vs_inputs", sizes=[2, 3000], methods=["forward", "numeric", "reverse"], repeats=1,
                    progress=False)


def test_the_whole_study_is_refused_before_its_small_sizes_run(monkeypatch):
    ran = []
    monkeypatch.setattr(FAMILIES["gradient_vs_inputs"], "_build",
                        lambda *args, **kw: ran.append(args) or pytest.fail("built a problem"))
    with pytest.raises(dk.ResourceError):
        studies.run("gradient_vs_inputs", sizes=[4, 10**8], methods=["reverse"], repeats=1, progress=False)
    assert not ran


def test_the_cli_shows_a_refused_study_as_one_line():
    done = _run(["-m", "diffkit", "study", "gradient_vs_inputs", "--sizes", "100000000"])
    assert done.returncode == 2
    assert done.stderr.startswith("diffkit: error: the gradient_vs_inputs study at n = 100,000,000 would build "
                                  "a graph of about 3e+08 nodes"), done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stdout == ""


def test_a_method_over_the_budget_is_still_a_cut_off_not_a_refused_study():
    # reverse can do n = 400; forward-over-forward (n(n + 1)/2 sweeps) refuses itself, and is cut off there
    result = studies.run("hessian_vs_inputs", sizes=[400], variant="rosenbrock", methods=["reverse", "forward"],
                         repeats=1, progress=False, budget_seconds=None)
    rows = {row["method"]: row for row in result.rows}
    assert not rows["reverse"]["cut_off"]
    assert rows["forward"]["cut_off"] and "dk.limits.work_operations" in rows["forward"]["reason"]


# --- training -------------------------------------------------------------------------------------------------------

def test_training_for_a_hundred_million_epochs_is_refused_up_front():
    done = _run(["-m", "diffkit", "train", "xor", "--epochs", "100000000"])
    assert done.returncode == 2
    line = done.stderr.strip()
    assert line.startswith("diffkit: error: training for --epochs 100,000,000 (100,000,000 steps of about "), line
    assert "(dk.limits.work_operations)" in line and "\n" not in line


def test_training_s_estimate_counts_every_step_and_the_epoch_s_evaluations(monkeypatch):
    training = importlib.import_module("diffkit.nn.train")  # the module (diffkit.nn.train is the function)
    X, y = dk.datasets.xor()
    estimates = []
    check = training.estimate.check  # (the methods' checks go through it too: only training's is recorded)
    monkeypatch.setattr(training.estimate, "check", lambda what, work, *rest: estimates.append(work.operations)
                        if what.startswith("training for") else check(what, work, *rest))
    for epochs in (1, 10):
        dk.nn.train(dk.nn.MLP([2, 4, 1], seed=0), X, y, dk.optim.Adam(lr=0.1), epochs=epochs, progress=False)
    assert estimates[1] == pytest.approx(10 * estimates[0])  # linear in the epochs
    one_step = dk.nn.MLP([2, 4, 1], seed=0).gradient(X, y).cost.work_operations
    assert one_step < estimates[0] < 4 * one_step  # a step (a gradient, the update) and the epoch's evaluations


def test_training_by_the_numeric_method_is_estimated_by_its_evaluations():
    X = np.random.default_rng(0).normal(size=(512, 64))
    y = (X[:, 0] > 0).astype(float)
    net = dk.nn.MLP([64, 256, 1], seed=0)  # 16,897 parameters: 33,795 evaluations a step
    with pytest.raises(dk.ResourceError, match=r"training for 1 epochs \(1 steps of about .* operations each\)"):
        dk.nn.train(net, X, y, dk.optim.SGD(lr=0.1), epochs=1, method="numeric", progress=False)
