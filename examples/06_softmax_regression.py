"""Lecture example 6: softmax regression and a two-layer net, their gradients in batch (matrix) form.

Softmax regression: grad_theta of the summed cross-entropy l_ce(X theta, y) is X^T (S - I_y), S the row-wise
softmax and I_y the one-hot labels. Two layers: grad_W2 = sigma(X W1)^T (S - I_y) and
grad_W1 = X^T ((S - I_y) W2^T * sigma'(X W1)). Each formula is compared with diffkit's reverse and forward
mode on the traced loss (a sum of cross-entropies through dk.log_softmax).
"""

import argparse
from pathlib import Path

import numpy as np

import diffkit as dk

# sigma and sigma' in NumPy for the formulas, and the same sigma as a diffkit operation for the traced loss.
ACTIVATIONS = {
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float), dk.relu),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2, dk.sigmoid),
    "tanh": (np.tanh, lambda z: 1 / np.cosh(z) ** 2, dk.tanh),
}



def shown(difference: float, bound: float = 1e-12) -> str:
    """A discrepancy as printed: its value above ``bound``, else only that it is below, since the digits of a
    rounding-level difference change with the machine's math library, CPU and BLAS."""
    return f"{difference:.1e}" if difference >= bound else f"< {bound:.0e}"

def softmax_rows(z):
    shifted = np.exp(z - z.max(axis=1, keepdims=True))  # shifting by the row's maximum avoids overflow
    return shifted / shifted.sum(axis=1, keepdims=True)


def compare_with_diffkit(title, loss_graph, at, by_formula):
    """Print the largest relative difference between the formula's gradient and diffkit's, per method."""
    print(f"\n{title}\n  loss = {loss_graph}")
    worst = 0.0
    for method in ("reverse", "forward"):
        result = dk.gradient(loss_graph, at=at, method=method)
        differences = {name: dk.discrepancy(by_formula[name], result[name]) for name in by_formula}
        worst = max(worst, *differences.values())
        cost = result.cost
        listed = ", ".join(f"{name} {shown(difference)}" for name, difference in differences.items())
        print(f"  {method:8} max rel. difference: {listed}   "
              f"({cost.forward_sweeps} fwd + {cost.backward_sweeps} bwd sweeps, {cost.total_operations} ops)")
    return worst


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=8, help="N, the batch size (default 8)")
    parser.add_argument("--features", type=int, default=5, help="d, inputs per sample (default 5)")
    parser.add_argument("--hidden", type=int, default=6, help="hidden units of the two-layer net (default 6)")
    parser.add_argument("--classes", type=int, default=3, help="k, the number of classes (default 3)")
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write the two-layer loss graph with its adjoints here")
    args = parser.parse_args(argv)
    sigma, sigma_prime, dk_sigma = ACTIVATIONS[args.activation]

    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((args.samples, args.features))
    labels = rng.integers(0, args.classes, size=args.samples)
    I_y = np.eye(args.classes)[labels]  # one-hot rows
    print(f"N = {args.samples} samples, d = {args.features} features, k = {args.classes} classes, "
          f"labels {labels.tolist()}")

    # Sum of cross-entropies, -sum_i log softmax(z_i)[y_i], picked out by the one-hot I_y. The traced value
    # goes on the left of '*' (with the NumPy array on the left, NumPy's multiply runs, which diffkit refuses).
    def cross_entropy(logits):
        return -dk.sum(dk.log_softmax(logits) * I_y)

    # Softmax regression.
    theta = 0.5 * rng.standard_normal((args.features, args.classes))
    S = softmax_rows(X @ theta)
    formula = {"theta": X.T @ (S - I_y)}
    regression = dk.trace(lambda theta: cross_entropy(dk.matmul(X, theta)))
    worst = compare_with_diffkit("softmax regression: grad_theta = X^T (S - I_y)", regression, {"theta": theta},
                                 formula)

    # Two layers: Z = sigma(X W1), logits Z W2.
    W1 = rng.standard_normal((args.features, args.hidden)) / np.sqrt(args.features)
    W2 = rng.standard_normal((args.hidden, args.classes)) / np.sqrt(args.hidden)
    pre_activation = X @ W1
    Z = sigma(pre_activation)
    S = softmax_rows(Z @ W2)
    formula = {
        "W1": X.T @ (((S - I_y) @ W2.T) * sigma_prime(pre_activation)),
        "W2": Z.T @ (S - I_y),
    }
    two_layer = dk.trace(lambda W1, W2: cross_entropy(dk_sigma(dk.matmul(X, W1)) @ W2))
    worst = max(worst, compare_with_diffkit(
        f"two layers, sigma = {args.activation}: grad_W2 = sigma(X W1)^T (S - I_y), "
        "grad_W1 = X^T ((S - I_y) W2^T * sigma'(X W1))", two_layer, {"W1": W1, "W2": W2}, formula))

    print(f"\nmax discrepancy between the formulas and diffkit: {shown(worst)}")
    if worst > 1e-10:
        raise SystemExit(f"the lecture's formulas and diffkit's gradients differ by {worst:.2e}")

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "two_layer_loss_adjoints.png"
        dk.draw(two_layer, at={"W1": W1, "W2": W2}, show="adjoints", path=path)
        print("\nwrote", path, sep="\n  ")


if __name__ == "__main__":
    main()
