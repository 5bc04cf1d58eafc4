"""Lecture example 9: universal approximation with one hidden ReLU layer.

Two ReLUs make a clipped ramp g, two ramps make a bump g(z + ½) − g(z − ½), and a sum of shifted, scaled bumps
approximates sin on [−π, π] as closely as we like: the error falls as the bumps get narrower. The bumps are an
ordinary 1-n-1 ReLU network with hand-set weights; a 1-32-1 ReLU network trained with Adam finds its own.

    python3 examples/09_universal_approximation.py [--epochs 2000] [--seed 0] [--out DIR]
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from diffkit import datasets, nn, optim

FULL_EPOCHS = 2000  # for the trained network; shorter runs are reported but not held to its accuracy


def relu(z):
    return np.maximum(z, 0.0)


def ramp(z):
    """g: 0 for z ≤ −½, 1 for z ≥ ½, a straight line in between -- a ReLU minus a ReLU shifted by 1."""
    return relu(z + 0.5) - relu(z - 0.5)


def bump(z):
    """g(z + ½) − g(z − ½): 0 outside [−1, 1], rising to 1 at z = 0 (a hat); = relu(z+1) − 2 relu(z) + relu(z−1)."""
    return ramp(z + 0.5) - ramp(z - 0.5)


def bump_network(f, centres):
    """A 1-(3n)-1 ReLU MLP computing Σᵢ f(cᵢ)·bump((x − cᵢ)/h), h the spacing of the n centres.

    Bump i is three hidden units relu((x − cᵢ)/h + 1), relu((x − cᵢ)/h), relu((x − cᵢ)/h − 1) with output
    weights f(cᵢ)·(1, −2, 1). Neighbouring hats overlap so that they add up to 1 everywhere: the sum is the
    straight-line interpolation of f between the centres.
    """
    n = len(centres)
    h = centres[1] - centres[0]
    offsets = np.tile([1.0, 0.0, -1.0], n)  # the three units of each bump, side by side
    net = nn.MLP([1, 3 * n, 1], activation="relu", loss="mse")
    net.set_parameters({
        "W1": np.full((1, 3 * n), 1.0 / h),
        "b1": -np.repeat(centres, 3) / h + offsets,
        "W2": (np.repeat(f(centres), 3) * np.tile([1.0, -2.0, 1.0], n)).reshape(3 * n, 1),
        "b2": np.zeros(1),
    })
    return net


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=FULL_EPOCHS, help="training epochs of the 1-32-1 network")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="directory for a picture of the bump and the approximations")
    args = parser.parse_args(argv)
    failures = []

    # 1. One bump, by hand.
    z = np.array([-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5])
    three_relus = relu(z + 1) - 2 * relu(z) + relu(z - 1)
    print("1. a bump from ReLUs: g(z) = relu(z + ½) − relu(z − ½), bump(z) = g(z + ½) − g(z − ½)")
    print("   z         " + "".join(f"{v:7.2f}" for v in z))
    print("   g(z)      " + "".join(f"{v:7.2f}" for v in ramp(z)))
    print("   bump(z)   " + "".join(f"{v:7.2f}" for v in bump(z)))
    if not np.allclose(bump(z), three_relus):
        failures.append("the bump differs from relu(z+1) − 2 relu(z) + relu(z−1)")

    # 2. Sums of bumps approximating sin; the error is measured on a grid much finer than the bumps.
    grid = np.linspace(-np.pi, np.pi, 4001).reshape(-1, 1)
    target = np.sin(grid)
    print("\n2. sin(x) on [−π, π] as a sum of n bumps (a 1-(3n)-1 ReLU network with hand-set weights)")
    print("   bumps  hidden units  max error  error / previous")
    errors = []
    for n in (4, 8, 16, 32, 64):
        centres = np.linspace(-np.pi, np.pi, n)
        net = bump_network(np.sin, centres)
        approximation = net.forward(grid)
        by_hand = sum(np.sin(c) * bump((grid - c) / (centres[1] - centres[0])) for c in centres)
        if not np.allclose(approximation, by_hand):
            failures.append(f"the network with {n} bumps does not compute the sum of bumps")
        errors.append(np.abs(approximation - target).max())
        ratio = f"{errors[-1] / errors[-2]:.3f}" if len(errors) > 1 else ""
        print(f"   {n:5d}  {3 * n:12d}  {errors[-1]:9.2e}  {ratio:>16}")
    # Straight lines between points h apart miss a smooth f by at most h²/8·max|f''|: halving h quarters it.
    if not all(later < earlier for earlier, later in zip(errors, errors[1:], strict=False)):
        failures.append(f"the error did not fall as bumps were added: {errors}")

    # 3. A trained network: 32 ReLUs placed by gradient descent instead of by hand.
    X, y = datasets.sine(200)
    trained = nn.MLP([1, 32, 1], activation="relu", loss="mse", seed=args.seed)
    adam = optim.Adam(lr=0.05, schedule=optim.cosine(args.epochs))  # a large rate, decayed to 0 by the end
    history = nn.train(trained, X, y, optimizer=adam, epochs=args.epochs, progress=False)
    trained_error = np.abs(trained.forward(grid) - target).max()
    print(f"\n3. a trained 1-32-1 ReLU MLP (Adam lr 0.05, cosine schedule, {args.epochs} epochs on 200 points): "
          f"mean squared error {history.loss[-1]:.2e}, max error {trained_error:.4f}")
    if args.epochs < FULL_EPOCHS:
        print(f"   (a shortened run: the max error below 0.1 is checked with the full {FULL_EPOCHS} epochs)")
    elif trained_error >= 0.1:
        failures.append(f"the trained 1-32-1 network's max error is {trained_error:.3f}, not below 0.1")

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        fig = Figure(figsize=(10, 4), layout="constrained")
        left, right = fig.subplots(1, 2)
        zz = np.linspace(-2, 2, 401)
        left.plot(zz, ramp(zz + 0.5), ":", label="g(z + ½)")
        left.plot(zz, ramp(zz - 0.5), ":", label="g(z − ½)")
        left.plot(zz, bump(zz), lw=2, label="bump = g(z + ½) − g(z − ½)")
        left.set(title="a bump from ReLUs", xlabel="z")
        left.legend()
        eight = np.linspace(-np.pi, np.pi, 8)
        right.plot(grid, target, color="black", lw=1, label="sin x")
        right.plot(grid, bump_network(np.sin, eight).forward(grid), label="sum of 8 bumps")
        right.plot(grid, trained.forward(grid), "--", label="trained 1-32-1 MLP")
        right.set(title="approximating sin on [−π, π]", xlabel="x")
        right.legend()
        path = args.out / "universal_approximation.png"
        fig.savefig(path, dpi=100)
        print(f"wrote {path}")

    for failure in failures:
        print(f"CLAIM FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
