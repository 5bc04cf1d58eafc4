"""Lecture example 2: f(x) = 2 / sin(exp(-x)) as a chain of modules a = -x, b = exp(a), c = sin(b), d = 2/c.

The forward pass caches a, b, c, d; the backward pass multiplies the modules' local derivatives
da/dx = -1, db/da = exp(a), dc/db = cos(b), dd/dc = -2/c^2. Their product is checked against
dk.derivative by all four methods, and derivatives of order 1 to 4 are compared across methods.
"""

import argparse
from pathlib import Path

import numpy as np

import diffkit as dk

EXPRESSION = "2/sin(exp(-x))"

# Each module: its output's name, the formula applied to its input, and its local derivative as the
# lecture writes it (a function of the module's input and its cached output).
MODULES = [
    ("a", "-x", lambda x, a: -1.0),
    ("b", "exp(a)", lambda a, b: np.exp(a)),
    ("c", "sin(b)", lambda b, c: np.cos(b)),
    ("d", "2/c", lambda c, d: -2.0 / c**2),
]



def shown(difference: float, bound: float = 1e-12) -> str:
    """A discrepancy as printed: its value above ``bound``, else only that it is below, since the digits of a
    rounding-level difference change with the machine's math library, CPU and BLAS."""
    return f"{difference:.1e}" if difference >= bound else f"< {bound:.0e}"

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--x", type=float, default=-4.499, help="the point (default: the lecture's -4.499)")
    parser.add_argument("--out", type=Path, help="write the graph with its adjoints and tangents here")
    args = parser.parse_args(argv)

    # Forward pass: evaluate each module on the previous module's output and cache the result.
    print(f"f(x) = {EXPRESSION} at x = {args.x:g}\n")
    print(f"{'module':12} {'cached value':>14} {'local derivative':>18}")
    inputs = {"x": args.x}
    name_in = "x"
    local_derivatives = []
    for name, formula, local in MODULES:
        module = dk.parse(formula)  # one module on its own: it knows nothing of the rest of the chain
        value = module.evaluate({name_in: inputs[name_in]})
        slope = local(inputs[name_in], value)
        # The module's own derivative, from diffkit, must match the lecture's formula.
        by_diffkit = dk.derivative(module, at={name_in: inputs[name_in]}, method="reverse").derivative
        if not np.isclose(slope, by_diffkit, rtol=1e-12, atol=0):
            raise SystemExit(f"local derivative of {name} = {formula}: formula {slope} but diffkit {by_diffkit}")
        print(f"{name} = {formula:8} {value:14.6f} {f'd{name}/d{name_in} = {slope:.6f}':>18}")
        inputs[name] = value
        local_derivatives.append(slope)
        name_in = name

    if args.x == -4.499 and abs(inputs["b"] - 90) > 0.5:
        raise SystemExit(f"the lecture has b = exp(-x) close to 90 at x = -4.499; got b = {inputs['b']:.4f}")

    # Backward pass: start from df/dd = 1 and multiply by the local derivatives from the output back.
    print("\nbackward pass (the adjoint of each cached value, from the output back):")
    adjoint = 1.0
    for (name, _, _), slope, below in zip(reversed(MODULES), reversed(local_derivatives), "cbax", strict=True):
        step = f"df/d{below} = df/d{name} * d{name}/d{below}"
        print(f"  {step} = {adjoint:10.6f} * {slope:10.6f} = {adjoint * slope:.6f}")
        adjoint *= slope
    chain_product = adjoint
    print(f"  df/dx = product of the local derivatives = {chain_product:.10g}\n")

    print(f"{'method':9} {'df/dx':>20} {'relative difference':>20}")
    for method in dk.METHODS:
        got = dk.derivative(EXPRESSION, at={"x": args.x}, method=method).derivative
        difference = abs(got - chain_product) / abs(chain_product)
        if method == "numeric":
            # Its step is small enough here that rounding is its error (~1e-9, relative): the rounding of exp
            # and sin, which differs between math libraries, so only seven digits and a bound are stable.
            print(f"{method:9} {got:20.7g} {shown(difference, 1e-8):>20}")
        else:
            print(f"{method:9} {got:20.10g} {shown(difference):>20}")
        # Central differences have a truncation error ~ h^2 f'''/6, and f''' is in the millions here: the
        # automatic step sees sin's argument b = exp(-x) move 90 times as fast as x and shrinks to match.
        tolerance = 1e-8 if method == "numeric" else 1e-10
        if difference > tolerance:
            raise SystemExit(f"{method} gives df/dx = {got}, the chain of local derivatives {chain_product}")

    print(f"\nhigher derivatives d^k f/dx^k at x = {args.x:g}:")
    exact_methods = ("symbolic", "forward", "reverse")
    print(f"{'k':>2} " + " ".join(f"{m:>22}" for m in exact_methods) + f" {'largest rel. diff':>18}")
    for order in range(1, 5):
        values = [dk.derivative(EXPRESSION, order=order, at={"x": args.x}, method=m).derivative
                  for m in exact_methods]
        spread = (max(values) - min(values)) / max(abs(v) for v in values)
        # Ten digits: a one-ulp change in exp or sin (another CPU's math library) moves the 13th.
        print(f"{order:>2} " + " ".join(f"{v:22.10g}" for v in values) + f" {shown(spread):>18}")
        if spread > 1e-9:
            raise SystemExit(f"the methods disagree on the derivative of order {order}: {values}")

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        paths = [args.out / "chain_adjoints.png", args.out / "chain_tangents.png"]
        dk.draw(EXPRESSION, at={"x": args.x}, show="adjoints", path=paths[0])
        dk.draw(EXPRESSION, at={"x": args.x}, show="tangents", wrt="x", path=paths[1])
        print("\nwrote", *paths, sep="\n  ")


if __name__ == "__main__":
    main()
