"""diffkit's numeric derivatives against numdifftools' Richardson extrapolation, on the grid of issue 19 §3.

Run: python3 benchmarks/numeric_accuracy.py [--per-decade 10]

The grid (the same as tests/test_numeric_steps.py): log, 1/x, sqrt, x**-3, exp and tan near its poles, at x
log-spaced over [1e-8, 1e8] (1/x, x**-3 and exp at -x as well; exp up to 709, where it overflows; tan at
distances 1e-1 .. 1e-6 either side of four poles). The true derivative is worked out at each float x in
40-digit arithmetic (mpmath). Every point is differentiated on its own, so that each contender's evaluations of
f are counted per point (a wrapper counts numdifftools' calls; diffkit reports its own).

Contenders: diffkit's central (with error_estimate=True) and richardson schemes at their automatic steps;
numdifftools.Derivative at its defaults, and with MinStepGenerator(num_steps=4) — nine evaluations, the cost
of diffkit's richardson without a retry. Printed per contender and function: median and worst relative error,
median and largest evaluations per point, how many answers were not finite, and the coverage of the error
estimate (the share of points where the reported estimate is at least the true error). numdifftools is
optional: without it only diffkit's rows are printed. No target is asserted here (tests/test_numeric_steps.py
holds diffkit's); the figures are deterministic (no timing).
"""

import argparse
import warnings

import mpmath
import numpy as np

import diffkit as dk
from diffkit.text import text_table

try:
    import numdifftools as nd
except ImportError:  # optional peer
    nd = None

mpmath.mp.dps = 40


def grid(per_decade: int) -> dict:
    """expression -> (NumPy function, true derivative of an mpmath number, points)."""
    decades = np.logspace(-8, 8, 16 * per_decade + 1)
    both = np.concatenate([decades, -decades])
    near = 10.0 ** -np.arange(1, 7)
    poles = (np.pi / 2, 3 * np.pi / 2, -np.pi / 2, 101 * np.pi / 2)
    tan_points = np.array([p + side * d for p in poles for side in (-1, 1) for d in near])
    return {
        "log(x)": (np.log, lambda x: 1 / x, decades),
        "1/x": (lambda x: 1 / x, lambda x: -1 / x**2, both),
        "sqrt(x)": (np.sqrt, lambda x: 1 / (2 * mpmath.sqrt(x)), decades),
        "x**-3": (lambda x: x**-3.0, lambda x: -3 / x**4, both),
        "exp(x)": (np.exp, mpmath.exp, np.concatenate([decades[decades < 709], -decades[decades < 708]])),
        "tan(x)": (np.tan, lambda x: 1 / mpmath.cos(x) ** 2, tan_points),
    }


def diffkit_runs(expr: str, points: np.ndarray, scheme: str):
    """(derivatives, error estimates, evaluations) at each point on its own."""
    derivs, errors, evaluations = [], [], []
    for x in points:
        r = dk.gradient(expr, at={"x": float(x)}, method="numeric", scheme=scheme, error_estimate=True)
        derivs.append(r.gradient["x"])
        errors.append(r.error_estimate["x"])
        evaluations.append(r.cost.evaluations)
    return np.array(derivs), np.array(errors), np.array(evaluations)


def numdifftools_runs(function, points: np.ndarray, step):
    """The same for numdifftools.Derivative (its Richardson extrapolation), counting its calls of f."""
    calls = [0]

    def counted(x):
        calls[0] += 1
        return function(x)

    derivative = nd.Derivative(counted, step=step, full_output=True)
    derivs, errors, evaluations = [], [], []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # nan steps out of log's domain warn; they are counted below instead
        for x in points:
            calls[0] = 0
            result = derivative(float(x))  # (estimate, error_estimate, final_step, best_index)
            derivs.append(float(result.estimate))
            errors.append(float(result.error_estimate))
            evaluations.append(calls[0])
    return np.array(derivs), np.array(errors), np.array(evaluations)


def summary(name: str, expr: str, got, estimate, evaluations, true) -> tuple:
    with np.errstate(all="ignore"):
        error = np.abs(got - true)
        relative = np.where(np.isfinite(got), error / np.abs(true), np.inf)
        covered = np.isfinite(estimate) & (estimate >= error)
    return (name, expr, float(np.median(relative)), float(np.max(relative)), int(np.median(evaluations)),
            int(np.max(evaluations)), int(np.sum(~np.isfinite(got))), float(np.mean(covered)), len(true))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-decade", type=int, default=10, help="points per decade of x (default 10)")
    args = parser.parse_args(argv)
    contenders = [("diffkit central", lambda e, f, p: diffkit_runs(e, p, "central")),
                  ("diffkit richardson", lambda e, f, p: diffkit_runs(e, p, "richardson"))]
    if nd is not None:
        contenders += [("numdifftools default", lambda e, f, p: numdifftools_runs(f, p, None)),
                       ("numdifftools 9 evals", lambda e, f, p: numdifftools_runs(f, p, nd.MinStepGenerator(
                           num_steps=4)))]
    else:
        print("numdifftools is not installed (pip install numdifftools): diffkit's rows only\n")
    rows = []
    totals = {}
    for expr, (function, derivative, points) in grid(args.per_decade).items():
        true = np.array([float(derivative(mpmath.mpf(float(x)))) for x in points])
        for name, run in contenders:
            got, estimate, evaluations = run(expr, function, points)
            rows.append(summary(name, expr, got, estimate, evaluations, true))
            total = totals.setdefault(name, [[], [], [], []])
            for part, values in zip(total, (got, estimate, evaluations, true), strict=True):
                part.append(values)
    rows += [summary(name, "all", *(np.concatenate(p) for p in parts)) for name, parts in totals.items()]
    header = ("contender", "function", "median rel err", "worst rel err", "evals median", "evals max",
              "not finite", "estimate covers", "points")
    table = text_table(list(header), [[n, e, f"{m:.1e}", f"{w:.1e}", str(a), str(b), str(c), f"{v:.1%}", str(k)]
                                      for n, e, m, w, a, b, c, v, k in rows])
    print("\n".join(table))


if __name__ == "__main__":
    main()
