"""Expression swell: symbolic differentiation of deep expressions against automatic differentiation.

The lecture notes warn that symbolic derivatives "can blow up exponentially and shared terms are not reused".
diffkit's depth study differentiates two nested expressions four ways and counts sizes: the logistic map
x_{k+1} = 4 x_k (1 − x_k), whose derivative tree doubles with every step, and sin(cos(sin(…x))), whose tree
grows as k²; common-subexpression elimination (CSE) shares it back, and AD does a fixed amount of work per level.

    python3 examples/12_swell_study.py [--logistic-steps 11] [--chain-levels 128] [--budget 5] [--out DIR]
"""

import argparse
import sys
from pathlib import Path

from diffkit import studies

METHODS = ("symbolic", "forward", "reverse")  # finite differences write no expression: nothing to count


def rows_of(result, method):
    """{size: row} for one method's rows that were not cut off."""
    return {row["size"]: row for row in result.rows if row["method"] == method and not row["cut_off"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logistic-steps", type=int, default=11, help="largest k of the logistic map")
    parser.add_argument("--chain-levels", type=int, default=128, help="largest k of sin(cos(sin(…x)))")
    parser.add_argument("--budget", type=float, default=5.0, help="seconds a method may take at one size")
    parser.add_argument("--out", type=Path, help="directory for the two plots")
    args = parser.parse_args(argv)
    if args.logistic_steps < 3 or args.chain_levels < 4:
        parser.error("use --logistic-steps 3 or more and --chain-levels 4 or more: growth needs a few sizes")
    failures = []
    common = dict(methods=METHODS, repeats=1, seed=0, budget_seconds=args.budget, progress=False)

    # The logistic map: x_k appears twice in x_{k+1}, so written out as a tree each step doubles it, and the
    # product rule writes out both factors again. By k = 11 the tree passes diffkit's limit of 200,000 nodes
    # (dk.limits.symbolic_size) and the symbolic method is cut off with a SwellError instead of running on.
    logistic = studies.run("depth", variant="logistic", sizes=list(range(1, args.logistic_steps + 1)), **common)
    print(studies.report(logistic, y="expression_size"))

    tree = {k: row["expression_size"] for k, row in rows_of(logistic, "symbolic").items()}
    dag = {k: row["dag_size"] for k, row in rows_of(logistic, "symbolic").items()}
    operations = {k: row["operations"] for k, row in rows_of(logistic, "reverse").items()}
    if len(tree) < 3:
        print(f"CLAIM FAILED: the symbolic method was cut off at k = {len(tree) + 1}; raise --budget", file=sys.stderr)
        return 1
    largest = max(tree)
    growth = [tree[k] / tree[k - 1] for k in sorted(tree) if k - 1 in tree and k >= 3]
    print(f"\nlogistic map, symbolic tree: × {min(growth):.2f} to × {max(growth):.2f} per step from k = 3; at "
          f"k = {largest}: tree {tree[largest]:,} nodes, after CSE {dag[largest]:,}, reverse mode "
          f"{operations[largest]} operations ({operations[largest] / largest:g} per step)")
    if min(growth) < 2:
        failures.append(f"the logistic map's derivative tree did not double with every step: × {min(growth):.2f}")
    if len({ops / k for k, ops in operations.items()}) != 1:
        failures.append(f"reverse mode's operations are not proportional to k: {operations}")
    if dag[largest] * 10 > tree[largest]:
        failures.append(f"CSE did not shrink the tree much at k = {largest}: {dag[largest]} of {tree[largest]}")

    # The chain sin(cos(sin(…x))): the chain rule repeats every inner expression in the derivative's factors.
    levels = [2 ** i for i in range(1, args.chain_levels.bit_length())]  # 2, 4, 8, ... up to --chain-levels
    chain = studies.run("depth", variant="sin_cos", sizes=levels, **common)
    print("\n" + studies.report(chain, y="expression_size"))
    chain_tree = {k: row["expression_size"] for k, row in rows_of(chain, "symbolic").items()}
    chain_operations = {k: row["operations"] for k, row in rows_of(chain, "reverse").items()}
    k = max(chain_tree)  # the largest level the symbolic method finished, and half of it
    if k // 2 in chain_tree:
        tree_factor = chain_tree[k] / chain_tree[k // 2]
        operations_factor = chain_operations[k] / chain_operations[k // 2]
        print(f"\nsin(cos(…)), from k = {k // 2} to {k}: the tree grows × {tree_factor:.2f} (k² would give × 4), "
              f"reverse mode's operations × {operations_factor:.2f} (k gives × 2)")
        if tree_factor < 3 or abs(operations_factor - 2) > 0.01:
            failures.append(f"sin(cos(…)): doubling k multiplied the tree by {tree_factor:.2f} and reverse mode's "
                            f"operations by {operations_factor:.2f}; expected about 4 and 2")

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        paths = [args.out / "swell_logistic.png", args.out / "swell_sin_cos.png"]
        # A linear k axis shows exponential growth as a straight line on the log size axis.
        studies.plot(logistic, y="expression_size", xscale="linear", path=paths[0])
        studies.plot(chain, y="expression_size", path=paths[1])
        print("\n".join(f"wrote {path}" for path in paths))

    for failure in failures:
        print(f"CLAIM FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
