"""Hidden-layer activations and output layers, as functions of graph handles (or arrays).

Each maps a pre-activation ``z`` to an activation with diffkit's primitives, so every method differentiates it
by the primitive table's rules. A linear activation collapses the network to a linear model.
"""

from __future__ import annotations

from .. import options as check
from ..trace import functions as fn

ACTIVATIONS = {
    "sigmoid": fn.sigmoid,
    "tanh": fn.tanh,
    "relu": fn.relu,
    "softplus": fn.softplus,
    "linear": lambda z: z,
}

# What the network outputs for predictions; losses that take logits (cross-entropies) never apply these.
OUTPUTS = {
    "linear": lambda z: z,
    "sigmoid": fn.sigmoid,
    "softmax": lambda z: fn.softmax(z, axis=1),
}


def choose(table: dict, name: str, what: str):
    """``table[name]``, the name checked first (an OptionError with "did you mean" for a near miss)."""
    return table[check.choice(what, name, table)]
