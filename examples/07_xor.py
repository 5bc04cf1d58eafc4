"""Lecture example 7: XOR is not linearly separable.

Logistic regression (a network with no hidden layer) cannot classify the four XOR points; the lecture's two
hand-picked sigmoid basis functions make them linearly separable; a 2-4-1 tanh network trained with Adam
learns such a basis by itself and classifies all four points.

    python3 examples/07_xor.py [--out DIR]
"""

import argparse
import math
import sys
from pathlib import Path

import numpy as np

import diffkit as dk
from diffkit import datasets, nn, optim


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lecture_basis(X):
    """The lecture's hidden units σ(5 + x1 + x2) and σ(5 − x1 − x2), rewritten for 0/1 inputs.

    datasets.xor() uses inputs in {0, 1}; the lecture's units are meant for inputs in {−1, +1}. Both units depend
    only on s = x1 + x2: with ±1 inputs s ∈ {−2, 0, 2} and XOR = 1 exactly at s = 0, the middle value, where
    σ(5 + s) + σ(5 − s) is largest (σ is concave for positive arguments), so h1 + h2 separates the classes.
    Used unchanged on 0/1 inputs, s ∈ {0, 1, 2} and h1 + h2 *decreases* with s, so the XOR = 1 points (s = 1)
    fall between the XOR = 0 points and h1 + h2 no longer separates them. Substituting x± = 2x − 1 (so that
    s± = 2s − 2) gives the same units for 0/1 inputs: σ(3 + 2(x1 + x2)) and σ(7 − 2(x1 + x2)).
    """
    s = X[:, 0] + X[:, 1]
    return np.column_stack([sigmoid(3 + 2 * s), sigmoid(7 - 2 * s)])


def train_logistic_regression(features, y, seed):
    """A network with no hidden layer: p = σ(features · w + b), the binary cross-entropy, Adam."""
    model = nn.MLP([features.shape[1], 1], loss="binary_cross_entropy", seed=seed)
    nn.train(model, features, y, optimizer=optim.Adam(lr=0.1), epochs=300, progress=False)
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="directory for the network picture and the training history")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    failures = []

    X, y = datasets.xor()
    points = ", ".join(f"({a:.0f}, {b:.0f}) -> {label}" for (a, b), label in zip(X, y, strict=True))
    print(f"XOR points (x1, x2) -> label: {points}")

    # 1. Logistic regression. No line puts (0, 1) and (1, 0) on one side and (0, 0), (1, 1) on the other, so
    # the best it can do is to hedge: p = 0.5 everywhere, a loss of ln 2. Which side of 0.5 each p ends up on
    # is then rounding noise, and so is the accuracy -- it can never exceed 3 of 4.
    linear = train_logistic_regression(X, y, args.seed)
    p = linear.forward(X).ravel()
    accuracy = linear.accuracy(X, y)
    print("\n1. logistic regression on (x1, x2)")
    print(f"   probabilities {np.array2string(p, precision=4)}, "
          f"loss {linear.loss(X, y):.4f} (ln 2 = {math.log(2):.4f})")
    print(f"   p - 0.5 = {np.array2string(p - 0.5, precision=1)}: accuracy {accuracy:.2f}, decided by rounding")
    if accuracy > 0.75:
        failures.append(f"logistic regression classified XOR with accuracy {accuracy} > 0.75")

    # 2. The lecture's basis functions as a fixed hidden layer.
    H = lecture_basis(X)
    score = H.sum(axis=1)  # h1 + h2
    threshold = (score[y == 1].min() + score[y == 0].max()) / 2
    print("\n2. hidden units h1 = σ(3 + 2(x1 + x2)), h2 = σ(7 − 2(x1 + x2))  (the lecture's, for 0/1 inputs)")
    print("   x1 x2 label      h1        h2      h1 + h2")
    for (a, b), t, (h1, h2), total in zip(X, y, H, score, strict=True):
        print(f"    {a:.0f}  {b:.0f}    {t}    {h1:.6f}  {h2:.6f}  {total:.6f}")
    separated = np.array_equal((score > threshold).astype(int), y)
    print(f"   the line h1 + h2 = {threshold:.6f} separates the classes: {separated} "
          f"(gap {score[y == 1].min() - score[y == 0].max():.4f})")
    if not separated:
        failures.append("the lecture's basis did not make XOR linearly separable")
    # The gap is small because σ is nearly saturated at arguments 3..7, and that makes logistic regression on
    # (h1, h2) a badly conditioned problem (example 10). Standardizing the features is a linear change of
    # coordinates -- it cannot create separability -- but it makes the problem round, and training easy.
    standardized = (H - H.mean(axis=0)) / H.std(axis=0)
    on_basis = train_logistic_regression(standardized, y, args.seed)
    basis_accuracy = on_basis.accuracy(standardized, y)
    print(f"   logistic regression on the standardized (h1, h2): accuracy {basis_accuracy:.2f}, "
          f"loss {on_basis.loss(standardized, y):.4f}")
    if basis_accuracy != 1.0:
        failures.append(f"logistic regression on the lecture's basis reached accuracy {basis_accuracy}, not 1.0")

    # 3. Let a hidden layer learn its own basis.
    net = nn.MLP([2, 4, 1], activation="tanh", loss="binary_cross_entropy", seed=args.seed)
    history = nn.train(net, X, y, optimizer=optim.Adam(lr=0.1), epochs=300, progress=False)
    mlp_accuracy = net.accuracy(X, y)
    print(f"\n3. a 2-4-1 tanh MLP ({net.parameter_count} parameters), Adam lr 0.1, {len(history.loss)} epochs")
    print(f"   probabilities {np.array2string(net.forward(X).ravel(), precision=4)}, loss {history.loss[-1]:.2e}")
    print(f"   accuracy {mlp_accuracy:.2f}")
    if mlp_accuracy != 1.0:
        failures.append(f"the 2-4-1 MLP reached accuracy {mlp_accuracy}, not 1.0")

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        network_path, history_path = args.out / "xor_network.png", args.out / "xor_history.png"
        dk.draw_mlp(net, path=network_path)
        dk.draw_history(history, path=history_path)
        print(f"wrote {network_path}\nwrote {history_path}")

    for failure in failures:
        print(f"CLAIM FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
