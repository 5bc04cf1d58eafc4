"""How long hostile or huge expression text takes to be read or refused, against the parser's targets.

Run: python3 benchmarks/parse_limits.py
Prints the outcome and seconds per case, the ratio to parsing a 30-character expression in the same process, and
the target each case has (a 1 MB sum read in at most 1 s; deep nesting read or refused in under 1 s, never a
RecursionError or MemoryError). For the 1 MB sum it also times the tokenizer alone, to show where time goes.
"""

import time

import diffkit as dk
from diffkit.tokens import tokenize

SUM = "+".join(["x"] * 500_000)
CASES = {  # name: (text, target seconds)
    "10,000 nested parentheses": ("(" * 10_000 + "x" + ")" * 10_000, 1.0),
    "100,000 nested parentheses": ("(" * 100_000 + "x" + ")" * 100_000, 1.0),
    "5,000 nested calls": ("sin(" * 5_000 + "x" + ")" * 5_000, 1.0),
    "100,000 unary minus": ("-" * 100_000 + "x", 1.0),
    "100,000-power tower x**x**...": ("x**" * 100_000 + "x", 1.0),
    "1 MB sum x+x+... (500k terms)": (SUM, 1.0),
    "1 MB integer literal": ("1" * 1_000_000, 1.0),
    "1 MB float literal": ("1." + "1" * 999_998, 1.0),
    "1 MB identifier": ("x" * 1_000_000, 1.0),
    "2,000-term sum (parses)": ("+".join(f"x{i}" for i in range(2_000)), 1.0),
}


def timed(text: str) -> tuple[str, float]:
    start = time.perf_counter()
    try:
        graph = dk.parse(text)
        outcome = f"ok, {len(graph)} nodes"
    except dk.ParseError as exc:
        outcome = "ParseError: " + exc.reason[:60]
    except (RecursionError, MemoryError) as exc:  # what the targets rule out
        outcome = f"{type(exc).__name__} (a bug)"
    return outcome, time.perf_counter() - start


def main() -> None:
    _, baseline = min(timed("log(x1) + x1*x2 - sin(x2)") for _ in range(20))
    print(f"baseline: 30-character expression parsed in {baseline * 1e6:.0f} µs")
    for name, (text, target) in CASES.items():
        outcome, seconds = timed(text)
        verdict = "meets" if seconds <= target else "MISSES"
        print(f"{name:<31} {seconds:7.3f} s  ({seconds / baseline:9.0f}x baseline)  {verdict} <= {target:g} s  "
              f"{outcome}")
    start = time.perf_counter()
    tokens = tokenize(SUM)
    print(f"  of which the tokenizer alone: {time.perf_counter() - start:.3f} s for {len(tokens):,} tokens")


if __name__ == "__main__":
    main()
