"""Neural networks on diffkit's graphs: a vectorized MLP whose loss every method differentiates, and training.

    >>> from diffkit import nn, optim, datasets
    >>> X, y = datasets.xor()
    >>> net = nn.MLP([2, 4, 1], activation="tanh", loss="binary_cross_entropy", seed=0)
    >>> history = nn.train(net, X, y, optimizer=optim.Adam(lr=0.1), epochs=300, progress=False)
    >>> net.accuracy(X, y)
    1.0
"""

from .activations import ACTIVATIONS, OUTPUTS
from .losses import LOSSES
from .mlp import MLP
from .train import DivergenceError, History, train

__all__ = ["ACTIVATIONS", "LOSSES", "MLP", "OUTPUTS", "DivergenceError", "History", "train"]
