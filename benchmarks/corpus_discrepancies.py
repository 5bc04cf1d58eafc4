"""The largest relative discrepancy (dk.discrepancy) between each pair of methods over the test corpus.

Run: python3 benchmarks/corpus_discrepancies.py
Gradients and Hessians at the corpus's own points (tests/test_corpus.py), every method pair.
"""

import sys
from itertools import combinations
from pathlib import Path

import numpy as np

import diffkit as dk

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_corpus import CORPUS  # noqa: E402  (the corpus lives with the tests)


def largest(kind: str) -> dict:
    worst: dict = {}
    for entry in CORPUS:
        if kind == "hessian" and not entry.numeric_hessian:
            continue
        for point in entry.points():
            with np.errstate(all="ignore"):
                if kind == "gradient":
                    answers = {m: dk.gradient(entry.expr, at=point, method=m).as_array() for m in dk.METHODS}
                else:
                    answers = {m: dk.hessian(entry.expr, at=point, method=m).hessian for m in dk.METHODS}
            for a, b in combinations(dk.METHODS, 2):
                d = dk.discrepancy(answers[a], answers[b])
                if d > worst.get((a, b), (-1.0, ""))[0]:
                    worst[(a, b)] = (d, entry.expr)
    return worst


def main() -> None:
    print(f"{len(CORPUS)} corpus expressions, 3 points each")
    for kind in ("gradient", "hessian"):
        print(f"\n{kind}s: largest relative discrepancy per method pair")
        for (a, b), (d, expr) in largest(kind).items():
            print(f"  {a:>8} vs {b:<8} {d:9.2e}   at {expr}")


if __name__ == "__main__":
    main()
