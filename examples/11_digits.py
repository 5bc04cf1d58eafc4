"""Handwritten digits: a 64-128-10 ReLU MLP on scikit-learn's 8x8 digits, trained by diffkit's backprop.

The recipe of docs/mlp.md: standardized pixels, Kaiming initialization, L2 penalty 1e-4, Adam with rate 3e-3 on
a cosine schedule, 40 epochs of mini-batches of 64. It reaches about 97% accuracy on the 450 held-out images.
Needs scikit-learn: pip install "diffkit[datasets]".

    python3 examples/11_digits.py [--epochs 40] [--seed 0] [--out DIR]
"""

import argparse
import math
import sys
from pathlib import Path

import diffkit as dk
from diffkit import datasets, nn, optim

FULL_EPOCHS = 40  # the recipe; shorter runs are reported but not held to its accuracy
BATCH_SIZE = 64


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=FULL_EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="directory for the training history plot")
    args = parser.parse_args(argv)

    try:  # the data ship with scikit-learn, an optional dependency of diffkit
        import sklearn.datasets  # noqa: F401
    except ImportError:
        print('this example needs scikit-learn, which is not installed: pip install "diffkit[datasets]"',
              file=sys.stderr)
        return 2

    # scale="standard": each pixel centred and divided by its spread, measured on the training images only.
    X_train, y_train, X_test, y_test = datasets.digits(test_size=0.25, seed=args.seed, scale="standard")
    print(f"digits: {len(X_train)} training and {len(X_test)} test images of {X_train.shape[1]} pixels")

    net = nn.MLP([64, 128, 10], activation="relu", output="softmax", loss="cross_entropy", init="kaiming",
                 l2=1e-4, seed=args.seed)
    steps = args.epochs * math.ceil(len(X_train) / BATCH_SIZE)
    # The cosine schedule lowers the rate smoothly to 0 at the last step: big steps first, fine-tuning last.
    adam = optim.Adam(lr=3e-3, schedule=optim.cosine(steps))
    history = nn.train(net, X_train, y_train, optimizer=adam, epochs=args.epochs, batch_size=BATCH_SIZE,
                       validation=(X_test, y_test), seed=args.seed, progress=False)

    print(f"{net}\nAdam lr 3e-3, cosine schedule, {args.epochs} epochs, {history.steps} steps of {BATCH_SIZE} "
          f"images, {sum(history.seconds):.1f} s of training")
    print(f"training loss {history.loss[-1]:.4f}, training accuracy {history.accuracy[-1]:.4f}")
    test_accuracy = net.accuracy(X_test, y_test)
    wrong = round((1 - test_accuracy) * len(X_test))
    print(f"test accuracy {test_accuracy:.4f} ({wrong} of {len(X_test)} test images wrong)")

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "digits_history.png"
        dk.draw_history(history, path=path)
        print(f"wrote {path}")

    if args.epochs < FULL_EPOCHS:
        print(f"(a shortened run: the accuracy of about 97% is checked with the full {FULL_EPOCHS} epochs)")
    elif test_accuracy < 0.95:
        print(f"CLAIM FAILED: test accuracy {test_accuracy:.4f} is below 0.95 (the recipe gives about 0.97)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
