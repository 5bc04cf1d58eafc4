"""Lecture example 4: univariate logistic least squares, s = w*x + b, y = sigmoid(s), L = 1/2 (y - t)^2.

The error signals are computed by hand in NumPy, one per sample: dy = y - t, ds = dy * sigmoid'(s), dw = ds * x,
db = ds. Summed over a small data set they are the gradient of L = sum of the samples' losses, which is
compared with diffkit's gradient of the same expression (reverse, forward and symbolic).
"""

import argparse
from pathlib import Path

import numpy as np

import diffkit as dk

# A small data set: inputs x and 0/1 targets t (the classes overlap at x = 0.5 and x = 1).
X = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 1.5, 3.0])
T = np.array([0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0])



def shown(difference: float, bound: float = 1e-12) -> str:
    """A discrepancy as printed: its value above ``bound``, else only that it is below, since the digits of a
    rounding-level difference change with the machine's math library, CPU and BLAS."""
    return f"{difference:.1e}" if difference >= bound else f"< {bound:.0e}"

def sigmoid(s):
    return 1.0 / (1.0 + np.exp(-s))


def work(cost) -> str:
    """How a method's work is counted: sweeps through the graph, or evaluations of a compiled formula."""
    if cost.forward_sweeps + cost.backward_sweeps:
        return f"{cost.total_operations} ops in {cost.forward_sweeps} fwd + {cost.backward_sweeps} bwd sweeps"
    return f"{cost.total_operations} ops in {cost.evaluations} evaluation(s) of the derivative formula"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--w", type=float, default=0.8, help="the weight (default 0.8)")
    parser.add_argument("--b", type=float, default=-0.3, help="the bias (default -0.3)")
    parser.add_argument("--out", type=Path, help="write one sample's graph with its adjoints here")
    args = parser.parse_args(argv)
    w, b = args.w, args.b

    # Forward pass, all samples at once, keeping every intermediate for the backward pass.
    s = w * X + b
    y = sigmoid(s)
    losses = 0.5 * (y - T) ** 2
    # Backward pass: the error signals, each from the one after it.
    delta_y = y - T
    delta_s = delta_y * y * (1 - y)  # sigmoid'(s) = y (1 - y)
    delta_w = delta_s * X
    delta_b = delta_s

    print(f"w = {w:g}, b = {b:g}; error signals per sample (by hand):")
    print(f"  {'x':>5} {'t':>3} {'s':>8} {'y':>8} {'L':>9} {'dy':>9} {'ds':>9} {'dw':>9} {'db':>9}")
    for row in zip(X, T, s, y, losses, delta_y, delta_s, delta_w, delta_b, strict=True):
        print("  {:5.1f} {:3.0f} {:8.4f} {:8.4f} {:9.5f} {:9.5f} {:9.5f} {:9.5f} {:9.5f}".format(*row))
    hand = {"w": delta_w.sum(), "b": delta_b.sum()}
    print(f"  {'sum':>5} {'':3} {'':8} {'':8} {losses.sum():9.5f} {'':9} {'':9} {hand['w']:9.5f} {hand['b']:9.5f}")

    # The same loss for diffkit, summed over the data set. (w * X, not X * w: with the NumPy array on the left,
    # NumPy's own multiply runs first, and diffkit refuses to record it.)
    loss = dk.trace(lambda w, b: dk.sum(0.5 * (dk.sigmoid(w * X + b) - T) ** 2))
    print(f"\nL(w, b) = {loss}")
    print(f"  {'method':9} {'L':>10} {'dL/dw':>12} {'dL/db':>12}  {'max rel. diff from hand':>23}  cost")
    for method in ("reverse", "forward", "symbolic"):
        result = dk.gradient(loss, at={"w": w, "b": b}, method=method)
        difference = max(dk.discrepancy(result[name], hand[name]) for name in hand)
        print(f"  {method:9} {float(result.value):10.5f} {float(result['w']):12.8f} {float(result['b']):12.8f}"
              f"  {shown(difference):>23}  {work(result.cost)}")
        if difference > 1e-12 or not np.isclose(result.value, losses.sum(), rtol=1e-12):
            raise SystemExit(f"{method} mode disagrees with the hand-written error signals: {result.gradient}")

    # Per sample, too: with the data bound as variables holding arrays, diffkit differentiates the one-sample
    # expression at every sample at once, and its dL/dw and dL/db are the error signals dw and db.
    per_sample = dk.gradient("0.5*(sigmoid(w*x + b) - t)**2", at={"w": w, "b": b, "x": X, "t": T}, wrt=["w", "b"])
    worst = max(dk.discrepancy(per_sample["w"], delta_w), dk.discrepancy(per_sample["b"], delta_b))
    print(f"\nper-sample dw and db from diffkit (a batch of {X.size} points): max rel. diff from hand {shown(worst)}")
    if worst > 1e-12:
        raise SystemExit("diffkit's per-sample gradient disagrees with the hand-written error signals")

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "logistic_adjoints.png"
        # One sample's graph: the adjoints on y, s, w and b are that sample's dy, ds, dw and db.
        dk.draw("0.5*(sigmoid(w*x + b) - t)**2", at={"w": w, "b": b, "x": X[0], "t": T[0]}, show="adjoints",
                path=path)
        print("\nwrote", path, sep="\n  ")


if __name__ == "__main__":
    main()
