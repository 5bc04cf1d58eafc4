"""Command line: ``diffkit demo`` and ``diffkit diff EXPR --at x=1,y=2``. Errors are one line, exit status 2."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from .errors import DiffkitError


def _point(text: str) -> dict[str, float]:
    """``x=1,y=2`` -> {"x": 1.0, "y": 2.0} (numbers only; nothing is evaluated)."""
    point = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise argparse.ArgumentTypeError(f"expected name=value, got {item!r}")
        try:
            point[name.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"value of {name.strip()!r} is not a number: {value!r}") from None
    return point


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diffkit", description="Four ways of taking a derivative, side by side, with what each costs."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="the lecture examples compared four ways")
    diff = commands.add_parser("diff", help="differentiate an expression with one or all methods")
    diff.add_argument("expression", help='e.g. "log(x1) + x1*x2 - sin(x2)"')
    diff.add_argument("--at", type=_point, default={}, help="the point, e.g. x1=2,x2=5")
    diff.add_argument("--method", default="all", choices=["all", "symbolic", "numeric", "forward", "reverse"])
    diff.add_argument("--order", type=int, default=1, help="derivative order (one variable only)")
    diff.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _diff(args) -> str:
    from .api import METHODS, derivative, gradient
    from .compare import compare

    methods = METHODS if args.method == "all" else (args.method,)
    skipped = []
    if args.order != 1:
        if args.method == "all" and args.order > 2:
            methods = tuple(m for m in METHODS if m != "numeric")
            skipped.append("numeric   skipped: finite differences stop at order 2")
        results = {m: derivative(args.expression, order=args.order, at=args.at, method=m) for m in methods}
    elif args.method == "all" and not args.json:
        return str(compare(args.expression, at=args.at))
    else:
        results = {m: gradient(args.expression, at=args.at, method=m) for m in methods}
    if args.json:
        return json.dumps({m: _as_json(r) for m, r in results.items()}, indent=2)
    lines = []
    for m, r in results.items():
        lines.append(f"{m:<9} value {r.value:.10g}  derivative {_text(r.derivative)}  [{r.cost.summary()}]")
    return "\n".join(lines + skipped)


def _text(x) -> str:
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}: {float(v):.10g}" for k, v in x.items()) + "}"
    return f"{float(x):.10g}"


def _as_json(result) -> dict:
    def plain(x):
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        return np.asarray(x).tolist()

    c = result.cost
    return {
        "value": plain(result.value),
        "derivative": plain(result.derivative),
        "cost": {"operations": c.operations, "flops": c.flops, "forward_sweeps": c.forward_sweeps,
                 "backward_sweeps": c.backward_sweeps, "evaluations": c.evaluations,
                 "memory_bytes": c.memory_bytes, "seconds": c.seconds},
    }


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from .demo import run

            run()
        elif args.command == "diff":
            print(_diff(args))
    except DiffkitError as exc:
        first_line = str(exc).splitlines()[0]
        print(f"diffkit: error: {first_line}", file=sys.stderr)
        detail = str(exc).splitlines()[1:]
        for line in detail:
            print(line, file=sys.stderr)
        return 2
    return 0
