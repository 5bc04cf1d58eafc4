"""What a parse error says beyond "invalid syntax": the implicit product it may be, the function meant."""

from __future__ import annotations

import difflib
import keyword
import re

from .errors import ParseError
from .ops import FUNCTIONS

# Two operands side by side with nothing between them, as mathematics writes a product: 2x, 2 x, )(, ) x,
# x y. Python reads none of them as a product, and says "invalid syntax" or "invalid decimal literal".
_NUMBER = r"(?<![\w.])(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_JUXTAPOSED = re.compile(rf"(?:{_NUMBER}|\)|\b[A-Za-z_]\w*)(?P<gap>\s*)(?=[A-Za-z_(.\d])")


def implicit_product(text: str) -> ParseError | None:
    """The first place two operands stand side by side (an implicit product), as an error suggesting ``*``."""
    for match in _JUXTAPOSED.finditer(text):
        left = match.group(0)[: len(match.group(0)) - len(match.group("gap"))]
        after = text[match.end():]
        if left[0].isalpha() or left[0] == "_":
            # a name: next to "(" it is a call (checked elsewhere), and next to a name only across a space
            if keyword.iskeyword(left) or after.startswith("(") or not match.group("gap"):
                continue
            following = re.match(r"[A-Za-z_]\w*", after)
            if following and keyword.iskeyword(following.group(0)):
                continue
        elif left[0].isdigit() or left[0] == ".":
            if after[:1].isdigit() or after[:1] == ".":
                continue  # "1 2" is an implicit product too, but Python's message for it is already clear
        start = match.end() - len(match.group("gap"))
        fixed = text[:start].rstrip() + "*" + text[match.end():]
        shown = fixed.strip() if len(fixed) <= 80 else left + "*" + after[:20]
        right = re.match(r"[A-Za-z_]\w*|[\d.]+|\S", after).group(0)
        return ParseError(f"unexpected {right!r}: implicit multiplication is not supported; write a * between "
                          f"the factors, as in {shown!r}", text, match.end() + 1, width=len(right))
    return None


def _suggest(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# Common functions that are not primitives, and how to write them with diffkit's functions.
WRITE_AS = {
    "sec": "1/cos(x)", "csc": "1/sin(x)", "cot": "1/tan(x)", "csch": "1/sinh(x)",
    "coth": "1/tanh(x)", "exp2": "2**x", "pow": "x**y", "square": "x**2", "logistic": "sigmoid(x)",
    "remainder": "mod(x, y)", "gammaln": "lgamma(x)", "psi": "digamma(x)",
}


def unknown_function_hint(name: str) -> str:
    """How to write a function diffkit lacks, or the function the name is close to, or the product it may be."""
    if name in WRITE_AS:
        return f": diffkit has no {name}; write it as {WRITE_AS[name]}"
    close = _suggest(name, FUNCTIONS)
    if close:
        return close
    return (f"; if {name} is a variable multiplied by what follows, write {name}*(...); "
            f"the functions are {', '.join(sorted(FUNCTIONS))}")
