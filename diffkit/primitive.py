"""What a primitive is: the record every entry of the table (``ops``, ``tensor_ops``) fills in.

Two kinds of primitives share one record:

* **elementwise** primitives state their derivative as local partials ∂out/∂argᵢ (``partials``); the engines
  build JVPs (Σ ∂ᵢ·tᵢ) and VJPs (ḡ·∂ᵢ) from them;
* **tensor** primitives (matmul, sum, softmax, ...) state their JVP and VJP directly (``jvp``, ``vjp``), because
  their Jacobians are large and structured: the affine layer's backward is ``x^T δ`` and ``δ W^T``, never a
  Jacobian matrix. Their rules are written against a math namespace ``xp`` too, so they run on arrays, on dual
  numbers and on graph handles alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# Flop weights. Arithmetic counts one flop per element. A libm call (exp, log, sin, ...) is counted as
# TRANSCENDENTAL flops: a rough, documented figure (polynomial evaluation plus range reduction) so that costs
# across methods stay comparable; studies compare ratios, which this choice barely moves.
ARITHMETIC = 1
TRANSCENDENTAL = 10


@dataclass(frozen=True)
class Primitive:
    """One operation of the table.

    Elementwise: ``partials[i](xp, out, *args)`` is ∂out/∂args[i], evaluated in the math namespace ``xp``;
    ``out`` is the primitive's own output, which many rules reuse (``exp' = out``).

    Tensor: ``jvp(xp, out, args, tangents, lead, **params)`` is the output's tangent (``tangents[i]`` is None
    for an argument without one; ``lead`` counts extra leading tangent axes, non-zero only for batched
    tangents on NumPy arrays), and ``vjp(xp, g, out, args, i, **params)`` is the cotangent of ``args[i]``.
    ``params`` names the keyword parameters (``axis``, ``shape``) a node carries besides its arguments;
    ``work(out, *args, **params)`` counts the units of work (flops = ``flops`` × work); ``check(*args,
    **params)`` returns an error message when the arguments' shapes do not fit.
    """

    name: str
    arity: int
    numpy: Callable
    sympy: Callable
    partials: tuple[Callable, ...]
    flops: int
    infix: str | None = None  # operator symbol for printing, e.g. "+"
    aliases: tuple[str, ...] = ()
    smooth: bool = True  # False where the derivative jumps (abs, relu, max, ...): complex step refuses it
    doc: str = ""
    jvp: Callable | None = None
    vjp: Callable | None = None
    params: tuple[str, ...] = ()
    work: Callable | None = None
    check: Callable | None = None
    differentiable: tuple[bool, ...] | None = None  # per argument; shape-only arguments (``like``) are not
    # ``shape(*argument_shapes, **params)``: the output's shape, known without computing anything (the memory
    # estimate and a traced value's ``.shape`` read it). None: elementwise primitives broadcast their arguments;
    # a tensor primitive without one has a shape that is only known by running it.
    shape: Callable | None = None

    # True for primitives with explicit JVP/VJP rules (their arrays are tensors, not batches of points). A plain
    # attribute, set once, because the sweeps ask for it at every step.
    tensor: bool = field(init=False, default=False)
    # How floating-point trouble in this primitive's derivative rule is reported: ``log'``.
    derivative_label: str = field(init=False, default="")

    def __post_init__(self):
        object.__setattr__(self, "tensor", self.jvp is not None)
        object.__setattr__(self, "derivative_label", f"{self.name}'")

    def work_of(self, out, args, params) -> int:
        """Units of work one application did (elements for elementwise primitives)."""
        if self.work is None:
            return int(np.size(out))
        return int(self.work(out, *args, **params))

    def out_shape(self, *shapes: tuple, **params) -> tuple | None:
        """The shape of this primitive's output on arguments of these shapes (None: not known in advance).
        Raises ValueError (or IndexError, TypeError) when the shapes do not fit together."""
        if self.shape is not None:
            return tuple(self.shape(*shapes, **params))
        if not self.tensor:
            return tuple(np.broadcast_shapes(*shapes))
        return None

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def is_constant(partial, value: int) -> bool:
    """True when a partial rule returned the structural constant ``value`` (0, 1 or -1, a Python int).

    Only the type ``int`` counts: a computed partial that merely *equals* 0 or 1 at this point (an
    ``np.float64`` at a scalar point) must still be used, or d/dx log(exp(x)) at x = 1000 would come out 0.
    """
    return type(partial) is int and partial == value
