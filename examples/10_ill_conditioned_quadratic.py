"""Lecture example 10: the ill-conditioned quadratic f(x, y) = 4x² + (y + 3)²/15, and seven optimizers on it.

Its Hessian diag(8, 2/15) has condition number 60: gradient descent must keep its rate below 2/8 for the steep x
direction and then crawls along y. Rescaling x' = 2x, y' = y/√15 makes the problem round and GD fast; rotating it
by 45° defeats the per-coordinate (diagonal) rescaling of AdaGrad, RMSProp and Adam, while Newton's method,
which uses the whole Hessian, still lands on the minimum in one step.

    python3 examples/10_ill_conditioned_quadratic.py [--steps 2000] [--out DIR]
"""

import argparse
import math
import sys
from pathlib import Path

import numpy as np

import diffkit as dk
from diffkit import optim

TARGET = 1e-6  # "converged": f below this (every problem's minimum value is 0)
R = 1 / math.sqrt(2)  # cos 45° = sin 45°
START_X, START_Y = -2.5, 2.0

# The same function in three coordinate systems, each with the start point (−2.5, 2) mapped into it.
PROBLEMS = {
    "original": ("4*x**2 + (y + 3)**2/15", {"x": START_X, "y": START_Y}),
    # a = 2x, b = y/√15: 4x² = a² and (y + 3)²/15 = (b + 3/√15)², a round bowl (Hessian 2I).
    "rescaled": ("a**2 + (b + 3/sqrt(15))**2", {"a": 2 * START_X, "b": START_Y / math.sqrt(15)}),
    # x = (u − v)/√2, y = (u + v)/√2: the same bowl turned by 45°, its axes no longer along u and v.
    "rotated": ("4*((u - v)/sqrt(2))**2 + ((u + v)/sqrt(2) + 3)**2/15",
                {"u": R * (START_X + START_Y), "v": R * (START_Y - START_X)}),
}
ROTATED_MINIMUM = (-3 * R, -3 * R)  # (x, y) = (0, −3) turned back into (u, v)
DIAGONAL = ("AdaGrad", "RMSProp", "Adam")  # the optimizers that rescale each coordinate on its own


def optimizers():
    """Fresh optimizers, by label (γ the rate, α the momentum): the rates diffkit's optimizer pictures use here."""
    return {
        "GD γ=0.2": optim.GD(lr=0.2),  # stable below 2/8 = 0.25
        "Momentum γ=0.05 α=0.9": optim.Momentum(lr=0.05, momentum=0.9),
        "Nesterov γ=0.05 α=0.9": optim.Nesterov(lr=0.05, momentum=0.9),
        "AdaGrad γ=1": optim.AdaGrad(lr=1.0),
        "RMSProp γ=0.1": optim.RMSProp(lr=0.1),
        "Adam γ=0.2": optim.Adam(lr=0.2),
        "Newton γ=1": optim.Newton(lr=1.0),
    }


def steps_to_target(expr, start, optimizer, budget):
    """The first step after which f < TARGET, or None if the budget ran out first."""
    trajectory = optim.minimize(expr, start, optimizer, steps=budget)
    below = np.flatnonzero(trajectory.values < TARGET)
    return int(below[0]) if below.size else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="step budget per optimizer and problem")
    parser.add_argument("--out", type=Path, help="directory for the optimizer pictures")
    args = parser.parse_args(argv)
    failures = []

    for name, (expr, start) in PROBLEMS.items():
        H = dk.hessian(expr, at=start).hessian  # constant for a quadratic
        eigenvalues = np.linalg.eigvalsh(H)
        print(f"{name}: f = {expr}\n    Hessian [[{H[0, 0]:.4g}, {H[0, 1]:.4g}], [{H[1, 0]:.4g}, {H[1, 1]:.4g}]], "
              f"condition number {eigenvalues[-1] / eigenvalues[0]:.0f}, GD stable for γ < {2 / eigenvalues[-1]:.3g}")

    # Above the stability limit the steep direction overshoots further every step: GD diverges.
    expr, start = PROBLEMS["original"]
    too_fast = optim.minimize(expr, start, optim.GD(lr=0.26), steps=50)
    print(f"\nGD with γ = 0.26 > 2/8 on the original: f goes {too_fast.values[0]:.3g} -> {too_fast.final_value:.3g} "
          f"in {too_fast.steps} steps")
    if not too_fast.final_value > too_fast.values[0]:
        failures.append("GD above the stability limit 2/8 did not diverge")

    print(f"\nsteps until f < {TARGET:g} (– = not within {args.steps} steps), from (x, y) = ({START_X}, {START_Y})")
    print(f"{'optimizer':24s}" + "".join(f"{name:>10s}" for name in PROBLEMS))
    steps = {}  # by optimizer name, then problem
    for label, optimizer in optimizers().items():
        row = [steps_to_target(expr, start, optimizer, args.steps) for expr, start in PROBLEMS.values()]
        steps[optimizer.name] = dict(zip(PROBLEMS, row, strict=True))
        print(f"{label:24s}" + "".join(f"{'–' if n is None else n:>10}" for n in row))

    def slower(a, b):
        """Whether step count a is worse than b (None: never got there)."""
        return a is None or (b is not None and a > b)

    gd = steps["GD"]
    print(f"\nrescaled: GD needs {gd['rescaled']} steps instead of {gd['original']}")
    if slower(gd["rescaled"], gd["original"] / 5):
        failures.append(f"GD on the rescaled problem was not much faster ({gd['rescaled']} vs {gd['original']} steps)")
    # GD's step −γ∇f turns with the problem (and so do the momentum methods'): a rotation changes nothing for them.
    unchanged = [name for name in ("GD", "Momentum", "Nesterov")
                 if None not in steps[name].values() and abs(steps[name]["rotated"] - steps[name]["original"]) <= 1]
    print(f"rotated: {', '.join(unchanged) or 'none of GD, Momentum, Nesterov'} took the same number of steps as "
          "on the original, while the\ndiagonal preconditioners, which rescale u and v separately, lost their "
          "advantage over GD:")
    if len(unchanged) != 3:
        failures.append("a rotation changed the steps of GD, Momentum or Nesterov")
    for name in DIAGONAL:
        before, after = steps[name]["original"], steps[name]["rotated"]
        after_text = f"not within {args.steps}" if after is None else after
        print(f"  {name:8s} original {before} steps (GD {gd['original']}), rotated {after_text} steps "
              f"(GD {gd['rotated']})")
        if slower(before, gd["original"]):
            failures.append(f"{name} did not beat GD on the axis-aligned quadratic")
        if not slower(after, gd["rotated"]):
            failures.append(f"{name} still beat GD on the rotated quadratic")
    newton = steps["Newton"]
    print(f"Newton: {', '.join(f'{n} step' for n in newton.values())} (original, rescaled, rotated)")
    if any(n != 1 for n in newton.values()):
        failures.append(f"Newton's method did not reach the minimum in one step: {newton}")

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        paths = [args.out / "quadratic_optimizers.png", args.out / "rotated_quadratic_optimizers.png"]
        dk.draw_optimizers(PROBLEMS["original"][0], start=PROBLEMS["original"][1],
                           optimizers=list(optimizers().values()), steps=50, minimum=(0.0, -3.0), values=True,
                           path=paths[0])
        dk.draw_optimizers(PROBLEMS["rotated"][0], start=PROBLEMS["rotated"][1],
                           optimizers=list(optimizers().values()), steps=50, minimum=ROTATED_MINIMUM, values=True,
                           path=paths[1])
        print("\n".join(f"wrote {path}" for path in paths))

    for failure in failures:
        print(f"CLAIM FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
