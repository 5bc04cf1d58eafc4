"""How long hostile or huge expression text takes to be read or refused (the target: under a second each).

Run: python3 benchmarks/parse_limits.py
Prints the outcome and seconds per case, plus the ratio to parsing a 30-character expression in the same process.
"""

import time

import diffkit as dk

CASES = {
    "10,000 nested parentheses": "(" * 10_000 + "x" + ")" * 10_000,
    "5,000 nested calls": "sin(" * 5_000 + "x" + ")" * 5_000,
    "100,000 unary minus": "-" * 100_000 + "x",
    "1 MB sum x+x+...": "+".join(["x"] * 500_000),
    "1 MB integer literal": "1" * 1_000_000,
    "1 MB identifier": "x" * 1_000_000,
    "2,000-term sum (parses)": "+".join(f"x{i}" for i in range(2_000)),
}


def timed(text: str) -> tuple[str, float]:
    start = time.perf_counter()
    try:
        graph = dk.parse(text)
        outcome = f"ok, {len(graph)} nodes"
    except dk.ParseError as exc:
        outcome = "ParseError: " + exc.reason[:60]
    return outcome, time.perf_counter() - start


def main() -> None:
    _, baseline = min(timed("log(x1) + x1*x2 - sin(x2)") for _ in range(20))
    print(f"baseline: 30-character expression parsed in {baseline * 1e6:.0f} µs")
    for name, text in CASES.items():
        outcome, seconds = timed(text)
        print(f"{name:<28} {seconds:7.3f} s  ({seconds / baseline:9.0f}x baseline)  {outcome}")


if __name__ == "__main__":
    main()
