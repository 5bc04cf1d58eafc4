"""Cost-scaling studies (diffkit.studies): the runner's rows and budget, the families' claims, fits, files,
pictures (under Agg) and the report. Sizes are small: the whole file runs in seconds."""

import matplotlib

matplotlib.use("Agg")

import math  # noqa: E402
import re  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import diffkit as dk  # noqa: E402
from diffkit import studies  # noqa: E402
from diffkit.errors import BindingError  # noqa: E402

AD = ["numeric", "forward", "reverse"]  # the methods that cost milliseconds at these sizes
COUNTED = ("flops", "function_flops", "ratio", "operations", "function_operations", "forward_sweeps",
           "backward_sweeps", "evaluations", "memory_bytes", "expression_size", "dag_size", "inputs", "outputs",
           "cut_off", "reason")


def quick(family, sizes, methods=AD, **kwargs):
    kwargs.setdefault("repeats", 1)
    kwargs.setdefault("progress", False)
    return studies.run(family, sizes=sizes, methods=methods, **kwargs)


@pytest.fixture(scope="module")
def gradient_study():
    """All four methods on Σ xᵢxᵢ₊₁ at three sizes (symbolic included: it is fast here)."""
    return quick("gradient_vs_inputs", [2, 4, 8, 16], methods=list(dk.METHODS), repeats=2)


@pytest.fixture(autouse=True)
def _close_figures():
    """The library builds Figures without pyplot: none may show up in pyplot's registry."""
    import matplotlib.pyplot as plt

    yield
    leaked = plt.get_fignums()
    plt.close("all")
    assert leaked == [], "diffkit.studies created a pyplot figure"


@pytest.fixture
def small_symbolic_budget():
    """dk.limits.symbolic_size set small for one test, restored after."""
    before = dk.limits.symbolic_size
    dk.limits.symbolic_size = 100
    yield
    dk.limits.symbolic_size = before


# --- the runner -------------------------------------------------------------------------------------------------

def test_a_row_for_every_size_and_method(gradient_study):
    pairs = [(row["size"], row["method"]) for row in gradient_study.rows]
    assert sorted(pairs) == sorted((n, m) for n in (2, 4, 8, 16) for m in dk.METHODS)
    assert gradient_study.methods == list(dk.METHODS) and gradient_study.sizes == [2, 4, 8, 16]
    for row in gradient_study.rows:
        assert set(studies.COLUMNS) <= set(row)
        assert not row["cut_off"] and row["reason"] is None
        assert row["flops"] > 0 and row["seconds"] > 0 and 1 <= row["runs"] <= 2
        assert row["ratio"] == pytest.approx(row["flops"] / row["function_flops"])


def test_counted_figures_are_deterministic_across_runs(gradient_study):
    again = quick("gradient_vs_inputs", [2, 4, 8, 16], methods=list(dk.METHODS), repeats=1)
    for a, b in zip(gradient_study.rows, again.rows, strict=True):
        assert {k: a[k] for k in COUNTED} == {k: b[k] for k in COUNTED}


def test_seed_makes_the_point_and_another_seed_changes_it():
    family = studies.FAMILIES["gradient_vs_inputs"]
    assert family(6, seed=3).at == family(6, seed=3).at
    assert family(6, seed=3).at != family(6, seed=4).at


def test_function_flops_counts_one_plain_evaluation():
    graph = dk.trace(lambda a, b, c: a * b + b * c + dk.sin(c))  # 2 mul + 2 add + sin (10 flops)
    assert studies.function_flops(graph, {"a": 1.0, "b": 2.0, "c": 3.0}) == 14


def test_forward_sweeps_once_per_input_and_reverse_once_each_way(gradient_study):
    for row in gradient_study.rows:
        n = row["size"]
        if row["method"] == "forward":
            assert (row["forward_sweeps"], row["backward_sweeps"]) == (n, 0)
        elif row["method"] == "reverse":
            assert (row["forward_sweeps"], row["backward_sweeps"]) == (1, 1)
        elif row["method"] == "numeric":
            assert row["evaluations"] == 2 * n + 1
    fits = gradient_study.fit("sweeps")
    assert fits["reverse"] == pytest.approx(0, abs=1e-9)
    assert fits["forward"] == pytest.approx(1, abs=1e-9)


def test_reverse_gradient_stays_within_three_function_evaluations(gradient_study):
    ratios = [row["ratio"] for row in gradient_study.rows if row["method"] == "reverse"]
    assert max(ratios) <= 3


def test_jacobian_shape_crosses_over_at_n_equal_m():
    res = quick("jacobian_shape", [2, 8, 32], methods=["forward", "reverse"], nm=64)
    sweeps = {(row["size"], row["method"]): row["forward_sweeps"] + row["backward_sweeps"] for row in res.rows}
    assert sweeps[2, "forward"] < sweeps[2, "reverse"]  # n = 2 < m = 32: forward mode is cheaper
    assert sweeps[32, "forward"] > sweeps[32, "reverse"]  # n = 32 > m = 2: reverse mode is cheaper
    assert sweeps[2, "reverse"] == 1 + 32 and sweeps[32, "forward"] == 32
    assert {row["outputs"] for row in res.rows if row["size"] == 8} == {8}


def test_trunk_variant_crosses_over_in_flops_too():
    res = quick("jacobian_shape", [2, 32], methods=["forward", "reverse"], variant="trunk")
    flops = {(row["size"], row["method"]): row["flops"] for row in res.rows}
    assert flops[2, "forward"] < flops[2, "reverse"] and flops[32, "forward"] > flops[32, "reverse"]


def test_depth_swell_tree_outgrows_its_dag_and_ad_operations():
    res = quick("depth", [2, 4, 8, 16], methods=["symbolic", "reverse"])
    fits = {"tree": res.fit("expression_size")["symbolic"], "dag": res.fit("dag_size")["symbolic"],
            "ad": res.fit("operations")["reverse"]}
    assert fits["tree"] > fits["dag"] + 0.3 and fits["tree"] > fits["ad"] + 0.3
    symbolic = [row for row in res.rows if row["method"] == "symbolic"]
    reverse = [row for row in res.rows if row["method"] == "reverse"]
    tree_over_dag = [row["expression_size"] / row["dag_size"] for row in symbolic]
    tree_over_ad = [s["expression_size"] / r["operations"] for s, r in zip(symbolic, reverse, strict=True)]
    assert tree_over_dag == sorted(tree_over_dag) and tree_over_dag[-1] > 2 * tree_over_dag[0]
    assert tree_over_ad == sorted(tree_over_ad) and tree_over_ad[-1] > 2 * tree_over_ad[0]


def test_swell_cuts_a_method_off_and_skips_larger_sizes(small_symbolic_budget):
    res = quick("depth", [1, 2, 4, 6], methods=["symbolic", "reverse"], variant="logistic")
    rows = {(row["size"], row["method"]): row for row in res.rows}
    assert not rows[2, "symbolic"]["cut_off"] and rows[2, "symbolic"]["expression_size"] <= 100
    cut = rows[4, "symbolic"]
    assert cut["cut_off"] and cut["reason"].startswith("SwellError") and cut["flops"] is None
    assert rows[6, "symbolic"]["cut_off"] and rows[6, "symbolic"]["reason"] == "skipped: cut off at k = 4"
    assert not any(rows[n, "reverse"]["cut_off"] for n in (1, 2, 4, 6))
    assert res.cut_offs() == {"symbolic": cut}
    assert res.points("symbolic", "flops")[0] == [1, 2]


def test_symbolic_size_decides_the_cut_off_without_a_time_budget():
    res = quick("depth", [1, 2, 4, 6], methods=["symbolic"], variant="logistic", budget_seconds=None, symbolic_size=100)
    rows = {row["size"]: row for row in res.rows}
    assert not rows[2]["cut_off"] and rows[4]["cut_off"] and "past the budget of 100" in rows[4]["reason"]
    assert res.settings["symbolic_size"] == 100


def test_time_budget_cuts_off_after_one_run_and_keeps_its_figures():
    res = quick("gradient_vs_inputs", [2, 4, 8], methods=["reverse", "forward"], repeats=3, budget_seconds=1e-9)
    for method in ("reverse", "forward"):
        first, *later = [row for row in res.rows if row["method"] == method]
        assert first["cut_off"] and "over the budget" in first["reason"] and first["runs"] == 1
        assert first["reason"].startswith("time guard fired")
        assert first["flops"] > 0  # it ran: the figures are kept, but not fitted
        assert all(row["cut_off"] and row["reason"].startswith("skipped") for row in later)
    assert res.fit("flops") == {"reverse": None, "forward": None}


def test_every_family_builds_and_runs_its_smallest_sizes():
    for name, family in studies.FAMILIES.items():
        assert family.__doc__ and family.verb in ("gradient", "jacobian", "hessian", "hvp")
        for variant in family.variants:
            sizes = {"mlp_width": [1, 2], "mlp_depth": [1, 2], "jacobian_shape": [1, 2]}.get(name)
            if sizes is None:
                sizes = [4, 6] if variant == "mlp" else [2, 3]
            res = quick(name, sizes, methods=["reverse"], variant=variant)
            assert [row["variant"] for row in res.rows] == [variant, variant]
            assert all(row["flops"] > 0 and row["function_flops"] > 0 for row in res.rows)


def test_one_hvp_costs_a_constant_number_of_functions_where_a_hessian_costs_n():
    """The hvp_vs_inputs study's point, in counted flops: reverse mode's H·v stays a constant multiple of f
    (slope 0 in n, at most 10 f), forward-over-forward grows as n·f, and a full Hessian outgrows one H·v."""
    sizes = [8, 16, 32, 64]
    hvp = quick("hvp_vs_inputs", sizes, methods=["reverse", "forward", "numeric"])
    ratio = {(row["method"], row["size"]): row["ratio"] for row in hvp.rows}
    for method in ("reverse", "numeric"):
        assert all(ratio[method, n] <= 10 for n in sizes)
        slope = np.polyfit(np.log(sizes), np.log([ratio[method, n] for n in sizes]), 1)[0]
        assert abs(slope) <= 0.05
    assert ratio["forward", 64] >= 6 * ratio["forward", 8]
    hessian = quick("hessian_vs_inputs", [64], methods=["reverse"])
    assert hessian.rows[0]["flops"] > 4 * next(r["flops"] for r in hvp.rows if r["method"] == "reverse"
                                               and r["size"] == 64)


def test_mlp_variant_has_about_n_parameters():
    family = studies.FAMILIES["gradient_vs_inputs"]
    for n in (4, 16, 100, 1000):
        problem = family(n, variant="mlp")
        assert abs(problem.inputs - n) <= max(1, 0.05 * n)
        assert problem.inputs == sum(v.size for v in problem.at.values())


# --- fit, files -------------------------------------------------------------------------------------------------

def synthetic(points, method="reverse", cut=()):
    return [{"family": "gradient_vs_inputs", "variant": "sum_of_products", "size": n, "method": method,
             "flops": flops, "function_flops": None, "ratio": None, "forward_sweeps": 1, "backward_sweeps": 1,
             "evaluations": 0, "cut_off": n in cut, "reason": "test" if n in cut else None} for n, flops in points]


def test_fit_recovers_a_known_slope_and_ignores_cut_off_points():
    rows = synthetic([(n, 3.0 * n**1.5) for n in (2, 4, 8, 16)])
    rows += synthetic([(n, 7.0 * n**2) for n in (2, 4, 8, 16)] + [(32, 1.0)], method="forward", cut=(32,))
    rows += synthetic([(2, 5.0), (4, 9.0)], method="numeric")
    fits = studies.StudyResult(rows, "gradient_vs_inputs").fit("flops")
    assert fits["reverse"] == pytest.approx(1.5)
    assert fits["forward"] == pytest.approx(2.0)
    assert fits["numeric"] is None  # fewer than 3 points
    assert studies.fit_exponent([1, 10, 100], [1, 10, 100]) == pytest.approx(1)


@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_results_round_trip_through_files(gradient_study, tmp_path, suffix, small_symbolic_budget):
    cut = quick("depth", [2, 4, 8], methods=["symbolic", "reverse"], variant="logistic")  # None and True cells
    for res in (gradient_study, cut):
        path = tmp_path / f"study.{suffix}"
        getattr(res, f"to_{suffix}")(path)
        back = studies.load(path)
        assert back.family == res.family and back.variant == res.variant
        assert back.rows == [{k: row[k] for k in studies.COLUMNS} for row in res.rows]
        assert back.fit("flops") == res.fit("flops")
    if suffix == "json":
        assert studies.load(tmp_path / "study.json").settings["sizes"] == [2, 4, 8]


# --- pictures and the report ------------------------------------------------------------------------------------

def test_plot_draws_a_line_per_method_with_fitted_exponents(gradient_study, tmp_path):
    fig = studies.plot(gradient_study, y="flops")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    for method in dk.METHODS:
        assert sum(label.startswith(f"{method}:") for label in labels) == 1
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    for method in dk.METHODS:
        (text,) = [t for t in texts if t.startswith(f"{method}:")]
        assert re.search(r"n\^\d\.\d\d", text), text
    assert any(line.get_linestyle() == "--" for line in ax.get_lines())  # theory
    for suffix in ("png", "svg"):
        studies.plot(gradient_study, y="sweeps", path=tmp_path / f"cost.{suffix}")
        assert (tmp_path / f"cost.{suffix}").stat().st_size > 1000


def test_plot_marks_cut_offs_and_expression_sizes(small_symbolic_budget):
    res = quick("depth", [1, 2, 4, 6], methods=["symbolic", "reverse"], variant="logistic")
    fig = studies.plot(res, y="expression_size", theory=False)
    ax = fig.axes[0]
    assert any(line.get_marker() == "x" for line in ax.get_lines())
    assert any("cut off at k = 4" in t.get_text() for t in fig.texts)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("symbolic tree") for t in texts) and any(t.startswith("symbolic after CSE") for t in texts)
    assert not any(line.get_linestyle() == "--" for line in ax.get_lines())


def test_report_names_every_method_and_the_ratio(gradient_study):
    text = studies.report(gradient_study)
    for method in dk.METHODS:
        assert method in text
    assert "fitted exponents" in text and "target reverse ≤ 3·f: holds" in text
    assert re.search(r"reverse\s+\d\.\d+ – \d\.\d+", text)
    assert "SwellError" not in text


# --- messages ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: studies.run("nope", sizes=[2]), "unknown study family 'nope'; choose one of gradient_vs_inputs"),
    (lambda: studies.run("depth", sizes=[2], methods=["backprop"]), "unknown method(s) 'backprop'; choose from"),
    (lambda: studies.run("depth", sizes=[0]), "whole numbers ≥ 1"),
    (lambda: studies.run("depth", sizes=["8"]), "whole numbers ≥ 1"),
    (lambda: studies.run("depth", sizes=[]), "non-empty list"),
    (lambda: studies.run("jacobian_shape", sizes=[3]), "n must divide n·m = 64"),
    (lambda: studies.run("depth", sizes=[2], variant="spiral"), "unknown variant 'spiral' of the depth family"),
    (lambda: studies.run("depth", sizes=[2], width=3), "option(s) width not understood by the depth family"),
    (lambda: studies.run("depth", sizes=[2], repeats=0), "repeats must be a whole number ≥ 1"),
    (lambda: studies.run("depth", sizes=[2], budget_seconds=-1), "budget_seconds must be a positive number"),
])
def test_bad_names_raise_binding_errors(call, message):
    with pytest.raises(BindingError) as info:
        call()
    assert message in str(info.value)


def test_bad_figure_names_raise_binding_errors(gradient_study):
    for call in (lambda: studies.plot(gradient_study, y="time"), lambda: studies.report(gradient_study, y="time"),
                 lambda: gradient_study.fit("time")):
        with pytest.raises(BindingError, match="unknown figure y='time'; choose one of flops, seconds"):
            call()
    with pytest.raises(BindingError, match="path must end in .png"):
        studies.plot(gradient_study, path="cost.jpg")
    assert not math.isnan(gradient_study.fit("seconds")["reverse"])


def test_exponential_swell_is_reported_as_a_growth_factor_not_a_power():
    res = studies.run("depth", sizes=[1, 2, 3, 4, 5], methods=["symbolic", "reverse"], variant="logistic",
                      repeats=1, progress=False)
    text = studies.report(res, y="expression_size")
    tree = [line for line in text.splitlines() if line.strip().startswith("symbolic tree")][-1]
    sizes = [row["expression_size"] for row in res.rows if row["method"] == "symbolic"]
    factor = (sizes[-1] / sizes[0]) ** (1 / 4)
    assert f"×{factor:.2f} per step" in tree and "exponential" in tree and "k^" not in tree
    assert "k^1.00" in text  # AD's operations still get a power law


def test_plotting_a_study_without_rows_says_there_is_nothing_to_plot():
    with pytest.raises(BindingError, match="nothing to plot: this StudyResult"):
        studies.plot(studies.StudyResult([], "gradient_vs_inputs"))


@pytest.mark.parametrize("figsize", [(6.0, 4.0), (10.0, 5.2), (14.0, 6.0)])
def test_the_legend_covers_no_data_at_any_size(gradient_study, figsize):
    """Measured on the drawn picture: the legend's box holds no point of any plotted line, and it stays inside
    the figure."""
    fig = studies.plot(gradient_study, figsize=figsize)
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert legend is not None
    box = legend.get_window_extent()
    points = [point for line in ax.get_lines() for point in ax.transData.transform(line.get_xydata())]
    assert points, "the plot has no data points to check"
    covered = [p for p in points if box.x0 <= p[0] <= box.x1 and box.y0 <= p[1] <= box.y1]
    assert not covered, f"the legend covers {len(covered)} data points at figsize {figsize}"
    assert box.x1 <= fig.bbox.x1 + 1 and box.x0 >= fig.bbox.x0 - 1 and box.y0 >= fig.bbox.y0 - 1
