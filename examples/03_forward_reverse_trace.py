"""Lecture example 3: the forward and the reverse trace of y = ln(x1) + x1*x2 - sin(x2) at (x1, x2) = (2, 5).

Forward mode carries each node's value and its tangent d(node)/dx1 or d(node)/dx2: one sweep per input.
Reverse mode's one backward sweep gives every node's adjoint dy/d(node), and x1's adjoint sums the messages
of its two paths (through ln and through the product). The lecture's y = 11.652071, dy/dx1 = 5.5 and
dy/dx2 = 1.716338 are checked.
"""

import argparse
from pathlib import Path

import numpy as np

import diffkit as dk

EXPRESSION = "log(x1) + x1*x2 - sin(x2)"
LECTURE = {"y": 11.652071, "x1": 5.5, "x2": 1.716338}  # the values the notes print, to 6 decimals


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--x1", type=float, default=2.0)
    parser.add_argument("--x2", type=float, default=5.0)
    parser.add_argument("--out", type=Path, help="write the graph with its adjoints and tangents here")
    args = parser.parse_args(argv)
    point = {"x1": args.x1, "x2": args.x2}

    # Every node's value, its tangents (one forward sweep per input: a column each) and its adjoint (one
    # backward sweep for the whole column).
    table = dk.sweep_table(EXPRESSION, at=point)
    print(table)
    rows = {row["node"]: row for row in table.rows}

    # Multiple paths are summed: x1 feeds v1 = ln(x1) and v2 = x1*x2, so its adjoint gets one message from each,
    # adjoint(v) * (local partial dv/dx1). Those local partials are v1's and v2's tangents with respect to x1,
    # as both depend on x1 directly.
    feeds = [row for row in table.rows if "x1" in row["computes"].replace("(", " ").replace(")", " ").split()]
    messages = {row["node"]: row["adjoint"] * row["d/dx1"] for row in feeds}
    print("\nx1's adjoint sums over its paths:")
    for row in feeds:
        print(f"  via {row['node']} = {row['computes']:8}  adjoint * d{row['node']}/dx1 = "
              f"{row['adjoint']:g} * {row['d/dx1']:g} = {messages[row['node']]:g}")
    total = sum(messages.values())
    print(f"  sum of the messages = {total:g}, x1's adjoint = {rows['x1']['adjoint']:g}")

    # The two modes reach the gradient from opposite ends: the output row's tangents, the input rows' adjoints.
    output = table.rows[-1]
    y, gradient = output["value"], {"x1": rows["x1"]["adjoint"], "x2": rows["x2"]["adjoint"]}
    print(f"\ny = {y:.6f}, dy/dx1 = {gradient['x1']:.6f}, dy/dx2 = {gradient['x2']:.6f}")
    if len(feeds) != 2 or not np.isclose(total, gradient["x1"], rtol=1e-14):
        raise SystemExit(f"x1's path messages {messages} do not sum to its adjoint {gradient['x1']}")
    if not np.allclose([output["d/dx1"], output["d/dx2"]], [gradient["x1"], gradient["x2"]], rtol=1e-14):
        raise SystemExit(f"forward mode's dy/dx ({output['d/dx1']}, {output['d/dx2']}) differs from reverse "
                         f"mode's {gradient}")
    if (args.x1, args.x2) == (2.0, 5.0):
        computed = {"y": y, **gradient}
        for name, lecture_value in LECTURE.items():
            if abs(computed[name] - lecture_value) > 5e-7:
                raise SystemExit(f"lecture check failed: {name} = {computed[name]:.7f}, the notes say {lecture_value}")
        print("lecture check: y = 11.652071, dy/dx1 = 5.5, dy/dx2 = 1.716338: ok")

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        paths = [args.out / "trace_adjoints.png", args.out / "trace_tangents_x1.png"]
        dk.draw(EXPRESSION, at=point, show="adjoints", path=paths[0])
        dk.draw(EXPRESSION, at=point, show="tangents", wrt="x1", path=paths[1])
        print("\nwrote", *paths, sep="\n  ")


if __name__ == "__main__":
    main()
