"""How closely the four methods (and PyTorch) agree on MLP gradients: the largest discrepancy per pair.

    python3 benchmarks/mlp_discrepancies.py [--seeds 3]

For every activation × loss (35 networks, with and without bias and penalties, one and two hidden layers, random
parameters and data from each seed), the gradient of the loss by reverse, forward (one sweep per entry) and
numeric (central differences) mode; symbolic on a 2-2-2 network of each kind (SymPy's expressions swell with
size). Discrepancy = max|a - b| / max(max|a|, max|b|), as ``dk.discrepancy``, over all parameters at once.
Where torch is installed, reverse mode is also compared with torch.autograd in float64 through the reference of
tests/test_torch_oracle.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
from pathlib import Path

import numpy as np

import diffkit as dk
from diffkit import nn

ACTIVATIONS = ("sigmoid", "tanh", "relu", "softplus", "linear")
LOSSES = ("sse", "mse", "mae", "huber", "log_cosh", "binary_cross_entropy", "cross_entropy")


def network(activation: str, loss: str, sizes: list[int], index: int, rng: np.random.Generator):
    net = nn.MLP(sizes, activation=activation, loss=loss, bias=index % 2 == 0, l1=(0.0, 1e-3)[index % 2],
                 l2=(0.0, 1e-3)[(index // 2) % 2])
    net.set_parameters({name: rng.normal(size=value.shape) for name, value in net.parameters().items()})
    samples = 6
    X = rng.normal(size=(samples, sizes[0]))
    if loss == "cross_entropy":
        y = rng.integers(0, sizes[-1], size=samples)
    elif loss == "binary_cross_entropy":
        y = rng.integers(0, 2, size=(samples, sizes[-1])).astype(float)
    else:
        y = rng.normal(size=(samples, sizes[-1]))
    return net, X, y


def worst(a: dict, b: dict) -> float:
    """Discrepancy of the whole gradient (all parameters as one vector): a parameter whose gradient is exactly 0
    (mae's signs cancelling) would otherwise be compared with the numeric method's 1e-11 of rounding as 100%."""
    return dk.discrepancy(np.concatenate([np.ravel(a[n]) for n in a]), np.concatenate([np.ravel(b[n]) for n in a]))


def torch_reference():
    """tests/test_torch_oracle.py's torch MLP, or None without torch."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return None
    path = Path(__file__).resolve().parent.parent / "tests" / "test_torch_oracle.py"
    spec = importlib.util.spec_from_file_location("torch_oracle", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    oracle = torch_reference()
    largest: dict[str, tuple[float, str]] = {}

    def note(pair: str, value: float, where: str) -> None:
        if value > largest.get(pair, (-1.0, ""))[0]:
            largest[pair] = (value, where)

    for seed in range(args.seeds):
        for index, (activation, loss) in enumerate(itertools.product(ACTIVATIONS, LOSSES)):
            rng = np.random.default_rng([seed, index])
            sizes = [3, 5, 4, 2] if index % 2 else [3, 5, 2]
            net, X, y = network(activation, loss, sizes, index, rng)
            where = f"{activation}/{loss}/{'-'.join(map(str, sizes))}"
            grads = {m: net.gradient(X, y, method=m).gradient for m in ("reverse", "forward", "numeric")}
            note("forward vs reverse", worst(grads["forward"], grads["reverse"]), where)
            note("numeric vs reverse", worst(grads["numeric"], grads["reverse"]), where)
            if oracle is not None:
                target = oracle.torch.tensor(net.targets(y, len(X)))
                if loss == "cross_entropy":
                    target = oracle.torch.tensor(np.asarray(y), dtype=oracle.torch.int64)
                _, theirs = oracle.torch_mlp_gradient(net, net.parameters(), X, target)
                note("torch vs reverse", worst(theirs, grads["reverse"]), where)
            small, Xs, ys = network(activation, loss, [2, 2, 2], index, rng)
            symbolic = small.gradient(Xs, ys, method="symbolic").gradient
            reverse = small.gradient(Xs, ys).gradient
            forward = small.gradient(Xs, ys, method="forward").gradient
            note("symbolic vs reverse (2-2-2)", worst(symbolic, reverse), f"{activation}/{loss}/2-2-2")
            note("symbolic vs forward (2-2-2)", worst(symbolic, forward), f"{activation}/{loss}/2-2-2")
    networks = args.seeds * len(ACTIVATIONS) * len(LOSSES)
    print(f"{networks} networks ({args.seeds} seeds x {len(ACTIVATIONS)} activations x {len(LOSSES)} losses)")
    if oracle is None:
        print("(torch is not installed: no torch comparison)")
    for pair, (value, where) in largest.items():
        print(f"{pair:<30} largest discrepancy {value:.2e}   ({where})")


if __name__ == "__main__":
    main()
