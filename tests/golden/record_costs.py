"""Every counted Cost figure of a corpus of requests, written to ``tests/golden/costs.json``.

The execution core is being rebuilt (issue "One execution core"); the rebuild must not change a single counted
figure. This script records them once, before the rebuild; ``tests/test_golden_costs.py`` recomputes them and
compares. The corpus: the expressions of ``tests/test_corpus.py`` (gradient and Hessian at one point, a gradient
at a batch of points, every method), the study families at their smaller sizes, and a set of MLP configurations.

Recorded per request: operations by primitive, flops, forward and backward sweeps, evaluations, memory bytes and
the method's details (expression sizes, steps, tape size) less anything measured in seconds. Run from the
repository root after a change that is *meant* to change costs, and say why in the commit:

    python3 tests/golden/record_costs.py
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "costs.json"
sys.path.insert(0, str(HERE.parent))  # the corpus lives in tests/test_corpus.py

import diffkit as dk  # noqa: E402
from diffkit.studies import FAMILIES  # noqa: E402

STUDY_SIZES = 3  # each family's first three default sizes: enough to pin the counting, quick to run
MLP_CONFIGS = [
    {"sizes": [2, 3, 1], "activation": "tanh", "loss": "mse"},
    {"sizes": [2, 4, 1], "activation": "sigmoid", "loss": "binary_cross_entropy"},
    {"sizes": [3, 4, 3], "activation": "relu", "loss": "cross_entropy", "l2": 1e-3},
    {"sizes": [2, 3, 3, 2], "activation": "softplus", "loss": "huber", "l1": 1e-3, "l2": 1e-3},
    {"sizes": [2, 2], "activation": "linear", "loss": "mae", "bias": False},
]


def _plain(value):
    """A detail value as JSON: NumPy scalars and arrays as Python numbers and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def figures(cost: dk.Cost) -> dict:
    """The counted figures of one Cost: everything but what is measured in seconds."""
    return {
        "operations": dict(sorted(cost.operations.items())),
        "flops": int(cost.flops),
        "forward_sweeps": cost.forward_sweeps,
        "backward_sweeps": cost.backward_sweeps,
        "evaluations": cost.evaluations,
        "memory_bytes": int(cost.memory_bytes),
        "details": _plain({k: v for k, v in sorted(cost.details.items()) if "seconds" not in k}),
    }


def _attempt(verb, expr, at, method, **options) -> dict:
    """The figures of one request, or the error it raised (a refusal is a figure too)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return figures(verb(expr, at=at, method=method, errors="ignore", **options).cost)
        except dk.DiffkitError as error:
            return {"error": type(error).__name__}


def _buildable(family, size: int, variant: str) -> bool:
    """Whether the family builds this size of this variant (some variants need a least size)."""
    try:
        family.check(size, variant)
    except dk.DiffkitError:
        return False
    return True


def requests():
    """(label, verb, expression, point, options) for every request of the golden corpus."""
    from test_corpus import CORPUS

    for entry in CORPUS:
        point = entry.points(1)[0]
        yield f"corpus gradient {entry.expr}", dk.gradient, entry.expr, point, {}
        yield f"corpus hessian {entry.expr}", dk.hessian, entry.expr, point, {}
        yield f"corpus batch gradient {entry.expr}", dk.gradient, entry.expr, entry.batch(5), {}
    for name, family in FAMILIES.items():
        for variant in family.variants:
            sizes = [s for s in family.sizes if _buildable(family, s, variant)][:STUDY_SIZES]
            for size in sizes:
                problem = family(size, variant, 0)
                verb = {"gradient": dk.gradient, "jacobian": dk.jacobian, "hessian": dk.hessian,
                        "hvp": dk.hvp}[family.verb]
                options = {"vector": problem.vector} if problem.vector is not None else {}
                yield f"study {name} {variant} {size}", verb, problem.graph, problem.at, options
    rng = np.random.default_rng(0)
    for config in MLP_CONFIGS:
        net = dk.nn.MLP(**config, seed=0)
        X = rng.normal(size=(6, config["sizes"][0]))
        classes = config["sizes"][-1]
        y = rng.integers(0, 2, size=6) if config["loss"] == "binary_cross_entropy" else (
            rng.integers(0, classes, size=6) if config["loss"] == "cross_entropy" else rng.normal(size=(6, classes)))
        label = "mlp " + " ".join(f"{k}={v}" for k, v in config.items())
        graph = net.loss_graph(X, y)
        yield f"{label} gradient", dk.gradient, graph, net.parameters(), {}
        if net.parameter_count <= 40:
            yield f"{label} hessian", dk.hessian, graph, net.parameters(), {}


def methods_for(label: str) -> tuple[str, ...]:
    """The methods recorded for a request. SymPy on the MLP Hessians and the deeper MLPs runs into its time
    guard (a minute each) rather than its size budget, so whether it finishes depends on the machine: those
    requests record the three other methods only."""
    if label.startswith("study mlp_depth") or (label.startswith("mlp") and label.endswith("hessian")):
        return tuple(m for m in dk.METHODS if m != "symbolic")
    return dk.METHODS


def record() -> dict:
    """{label: {method: figures}} for every request."""
    return {label: {m: _attempt(verb, expr, at, m, **options) for m in methods_for(label)}
            for label, verb, expr, at, options in requests()}


if __name__ == "__main__":
    table = record()
    GOLDEN.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"wrote {sum(map(len, table.values()))} figures of {len(table)} requests to {GOLDEN}")
