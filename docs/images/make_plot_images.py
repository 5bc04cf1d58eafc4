"""Regenerate the optimizer, training-history and network pictures in docs/images.

    python docs/images/make_plot_images.py            # all of them (about 10 s; digits needs scikit-learn)

Writes optimizers_quadratic.png, optimizers_rosenbrock.png, history_xor.png, history_digits.png,
mlp_encoder.png and mlp_xor.png next to this script. Everything is seeded, so reruns give the same pictures.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run from a checkout without installing

from diffkit import datasets, nn, optim  # noqa: E402
from diffkit.draw.mlp import draw_mlp  # noqa: E402
from diffkit.draw.optimizers import ROSENBROCK, draw_history, draw_optimizers  # noqa: E402


def optimizer_pictures() -> None:
    draw_optimizers(values=True, path=HERE / "optimizers_quadratic.png",
                    title="Seven optimizers on the ill-conditioned quadratic f(x, y) = 4x² + (y+3)²/15")
    draw_optimizers(ROSENBROCK, values=True, path=HERE / "optimizers_rosenbrock.png",
                    title="Seven optimizers on Rosenbrock's valley f(x, y) = (1−x)² + 100(y−x²)²")


def xor_pictures() -> None:
    X, y = datasets.xor()
    net = nn.MLP([2, 4, 1], activation="tanh", loss="binary_cross_entropy", seed=0)
    history = nn.train(net, X, y, optimizer=optim.Adam(lr=0.1), epochs=300, progress=False)
    draw_history(history, path=HERE / "history_xor.png",
                 title="XOR: MLP 2-4-1 (tanh), Adam lr=0.1, full batch")
    draw_mlp(net, path=HERE / "mlp_xor.png", title="MLP 2-4-1 trained on XOR (Adam, 300 epochs)")


def digits_picture() -> None:
    X_train, y_train, X_test, y_test = datasets.digits(seed=0)
    net = nn.MLP([64, 128, 10], activation="relu", loss="cross_entropy", init="kaiming", l2=1e-4, seed=0)
    epochs, batch_size = 40, 64
    batches = -(-len(X_train) // batch_size)  # 22 mini-batches per epoch
    history = nn.train(net, X_train, y_train, optimizer=optim.Adam(lr=3e-3, schedule=optim.cosine(epochs * batches)),
                       epochs=epochs, batch_size=batch_size, validation=(X_test, y_test), progress=False)
    draw_history(history, path=HERE / "history_digits.png",
                 title="digits, MLP 64-128-10 (ReLU): Adam lr=3e-3, cosine decay, batches of 64 "
                       "(validation: the test set)")


def encoder_picture() -> None:
    X, Y = datasets.encoder()
    net = nn.MLP([8, 3, 8], activation="sigmoid", loss="binary_cross_entropy", seed=0)
    nn.train(net, X, Y, optimizer=optim.Adam(lr=0.05), epochs=2000, progress=False)
    draw_mlp(net, path=HERE / "mlp_encoder.png", title="The 8-3-8 encoder after training (Adam, 2000 epochs)")


def main() -> None:
    for make in (optimizer_pictures, xor_pictures, digits_picture, encoder_picture):
        started = time.perf_counter()
        make()
        print(f"{make.__name__}: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
