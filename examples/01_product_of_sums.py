"""Lecture example 1: forward versus reverse mode on y = (x1 + x2) * (x3 + x4).

Forward mode pushes one tangent per input through the graph: 4 sweeps and 4 chain-rule multiplications.
Reverse mode forms dy/dz1 = z2 and dy/dz2 = z1 once (z1 = x1 + x2, z2 = x3 + x4) and passes them down the
additions unchanged: 1 forward + 1 backward sweep and 2 multiplications. Every count is read from the Cost
that diffkit reports with each result.
"""

import argparse
from collections import Counter
from pathlib import Path

import diffkit as dk

EXPRESSION = "(x1 + x2)*(x3 + x4)"
INPUTS = ("x1", "x2", "x3", "x4")


def chain_rule_work(result, evaluation_ops: Counter) -> Counter:
    """The operations a method spent beyond evaluating the function: its cost minus one evaluation per
    forward sweep (each sweep recomputes the values the chain rule needs)."""
    spent = Counter(result.cost.operations)
    for op, count in evaluation_ops.items():
        spent[op] -= count * result.cost.forward_sweeps
    return +spent  # drop the zeros


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--at", type=float, nargs=4, default=[1.0, 2.0, 3.0, 4.0], metavar=("X1", "X2", "X3", "X4"),
                        help="the point (default: 1 2 3 4)")
    parser.add_argument("--out", type=Path, help="write the graph with its adjoints and the sweeps here")
    args = parser.parse_args(argv)

    graph = dk.parse(EXPRESSION)
    at = dict(zip(INPUTS, args.at, strict=True))
    # What one evaluation of y costs, by primitive: the graph's own nodes (two additions, one multiplication).
    evaluation_ops = Counter(data["op"] for _, data in graph.nx.nodes(data=True) if data["op"] in dk.PRIMITIVES)
    print(f"y = {EXPRESSION} at {', '.join(f'{k} = {v:g}' for k, v in at.items())}")
    print(f"one evaluation: {dict(evaluation_ops)}\n")

    results = {method: dk.gradient(graph, at=at, method=method) for method in ("forward", "reverse")}
    print(f"{'method':8}  {'sweeps':14}  {'all operations':22}  {'chain-rule work':16}  gradient")
    for method, result in results.items():
        cost = result.cost
        sweeps = f"{cost.forward_sweeps} fwd + {cost.backward_sweeps} bwd"
        work = chain_rule_work(result, evaluation_ops)
        gradient = ", ".join(f"{v:g}" for v in result.gradient.values())
        print(f"{method:8}  {sweeps:14}  {str(dict(cost.operations)):22}  {str(dict(work)):16}  {gradient}")

    # The lecture's point: reverse mode's two multiplications are dy/dz1 = z2 and dy/dz2 = z1, formed once
    # and handed to both inputs of each sum (a partial of 1 costs nothing).
    z1, z2 = at["x1"] + at["x2"], at["x3"] + at["x4"]
    product = dk.gradient("z1*z2", at={"z1": z1, "z2": z2}, method="reverse").gradient
    print(f"\nz1 = {z1:g}, z2 = {z2:g}: dy/dz1 = {product['z1']:g} (= z2), dy/dz2 = {product['z2']:g} (= z1), "
          "passed on unchanged through the additions")

    forward, reverse = results["forward"], results["reverse"]
    expected = {"x1": z2, "x2": z2, "x3": z1, "x4": z1}
    checks = [
        ("forward sweeps (one per input)", forward.cost.forward_sweeps, len(INPUTS)),
        ("forward chain-rule multiplications", chain_rule_work(forward, evaluation_ops)["mul"], 4),
        ("reverse sweeps (forward + backward)", (reverse.cost.forward_sweeps, reverse.cost.backward_sweeps), (1, 1)),
        ("reverse chain-rule multiplications", chain_rule_work(reverse, evaluation_ops)["mul"], 2),
        ("forward gradient", forward.gradient, expected),
        ("reverse gradient", reverse.gradient, expected),
    ]
    for what, got, want in checks:
        if got != want:
            raise SystemExit(f"lecture check failed: {what} is {got}, the lecture says {want}")
    print("lecture check: forward 4 sweeps / 4 multiplications, reverse 1+1 sweeps / 2 multiplications: ok\n")

    print(dk.compare(graph, at=at).table(timing=False))

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        paths = [args.out / "product_of_sums_adjoints.png", args.out / "product_of_sums_sweeps.png"]
        dk.draw(graph, at=at, show="adjoints", path=paths[0])
        dk.draw_sweeps(graph, at=at, path=paths[1])
        print("\nwrote", *paths, sep="\n  ")


if __name__ == "__main__":
    main()
