"""Lecture example 8: the 8-3-8 encoder.

Eight one-hot patterns are mapped to themselves through a bottleneck of 3 sigmoid units. To get every pattern
through, the network must give each one its own hidden code, and 3 units that saturate near 0 and 1 have just
2³ = 8 codes: it learns a binary-like code.

    python3 examples/08_encoder.py [--epochs 2000] [--seed 0] [--out DIR]
"""

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

import diffkit as dk
from diffkit import datasets, nn, optim


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="directory for the network picture and the training history")
    args = parser.parse_args(argv)
    failures = []

    X, Y = datasets.encoder(8)  # X = Y = the 8x8 identity: pattern i has a single 1 in position i
    # Sigmoid outputs with the binary cross-entropy: each of the 8 outputs is a yes/no question.
    net = nn.MLP([8, 3, 8], activation="sigmoid", loss="binary_cross_entropy", seed=args.seed)
    history = nn.train(net, X, Y, optimizer=optim.Adam(lr=0.05), epochs=args.epochs, progress=False)
    print(f"{net}: Adam lr 0.05, {args.epochs} full-batch epochs, loss {history.loss[-1]:.4g}")

    codes = net.hidden(X, 1)  # the 3 hidden activations for each of the 8 patterns
    bits = (codes > 0.5).astype(int)
    outputs = net.forward(X)
    print("\npattern  hidden code (h1, h2, h3)  as bits  reconstructed")
    for i in range(8):
        code = "  ".join(f"{h:.2f}" for h in codes[i])
        ok = np.array_equal(outputs[i] > 0.5, Y[i] > 0.5)
        print(f"   {i}        {code}          {''.join(map(str, bits[i]))}      {'yes' if ok else 'NO'}")

    reconstructed = net.accuracy(X, Y)  # the fraction of patterns with all 8 output bits right
    distinct_bits = len({tuple(b) for b in bits})
    closest = min(np.linalg.norm(codes[i] - codes[j]) for i, j in itertools.combinations(range(8), 2))
    saturation = np.abs(codes - 0.5).min()  # 0.5 for a perfectly binary code, 0 for a unit sitting at 0.5
    print(f"\npatterns reconstructed: {round(reconstructed * 8)} of 8 (largest output error "
          f"{np.abs(outputs - Y).max():.3f})")
    print(f"distinct codes after rounding to bits: {distinct_bits} of 8; closest two codes {closest:.2f} apart")
    print(f"every hidden value is at least {saturation:.2f} away from 0.5")

    if reconstructed != 1.0:
        failures.append(f"only {round(reconstructed * 8)} of the 8 patterns were reconstructed")
    if distinct_bits != 8:
        failures.append(f"the rounded codes are not distinct ({distinct_bits} of 8): some hidden unit settled at a "
                        "middle value instead of near 0 or 1, so the code is not binary (try more epochs or "
                        "another --seed)")

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        network_path, history_path = args.out / "encoder_network.png", args.out / "encoder_history.png"
        dk.draw_mlp(net, path=network_path)
        dk.draw_history(history, path=history_path)
        print(f"wrote {network_path}\nwrote {history_path}")

    for failure in failures:
        print(f"CLAIM FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
