"""Expression text cut into tokens: numbers, names, operators, blanks, and any other character on its own.

The tokens are Python's (so ``0x1F``, ``1_000``, ``.5``, ``2j``, ``//``, ``:=`` are recognised, to be accepted
or refused by name), found by one regular expression in C: the parser then walks a list of strings, and a
token's column is the sum of the lengths before it. Every character belongs to exactly one token.
"""

from __future__ import annotations

import re

_DIGITS = r"\d(?:_?\d)*"
_EXPONENT = rf"[eE][+-]?{_DIGITS}"
_FLOAT = rf"(?:(?:{_DIGITS})?\.{_DIGITS}|{_DIGITS}\.)(?:{_EXPONENT})?|{_DIGITS}{_EXPONENT}"
_NUMBER = (
    rf"(?:{_FLOAT}|{_DIGITS})[jJ]"  # imaginary, refused later by name
    rf"|{_FLOAT}"
    r"|0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+"
    r"|0(?:_?0)*(?![_\d])"  # zero, possibly written 000
    r"|0(?:_?\d)+"  # leading zeros: refused, as Python does
    r"|[1-9](?:_?\d)*"
)
_OPERATOR = r"\*\*|//|<<|>>|<=|>=|==|!=|->|:=|\.\.\.|[-+*/%@&|^~<>()\[\]{},:;.=!]"
# Names and operators first: they are most tokens, and an alternative that fails costs time per token. A
# number starts with a digit or a dot, so trying it after ** and ... (and before a lone .) changes nothing.
TOKEN = re.compile(rf"[A-Za-z_]\w*|{_OPERATOR.replace('.=!]', '=!]')}|[ \t\f]+|{_NUMBER}|\.|.", re.ASCII | re.DOTALL)

BLANKS = frozenset(" \t\f")
MAX_DIGITS = 400  # a decimal integer with more significant digits is past any float (1.8e308 has 309)


def tokenize(text: str) -> list[str]:
    """Every token of ``text``, blanks included (so that the lengths add up to columns)."""
    return TOKEN.findall(text)


def has_leading_zeros(token: str) -> bool:
    """``007``: Python refuses leading zeros in a decimal integer (they once meant octal)."""
    return bool(_LEADING_ZEROS.fullmatch(token))


_LEADING_ZEROS = re.compile(r"0(?:_?0)*(?:_?[1-9])(?:_?\d)*")


def number_value(token: str) -> float | str:
    """The float a number token stands for, or why it stands for none (a message without position)."""
    if token[-1] in "jJ":
        return "complex number literal is not supported; only real numbers"
    if token[:2].lower() in ("0x", "0o", "0b"):
        value: float = int(token, 0)  # powers of two: linear time, no digit limit
    elif "." in token or "e" in token or "E" in token:
        value = float(token)
    else:
        digits = token.replace("_", "").lstrip("0")
        if len(digits) > MAX_DIGITS:  # refused without converting (Python's int() is quadratic in digits)
            return "number is too large for a float"
        value = int(digits or "0")
    try:
        number = float(value)
    except OverflowError:
        return "number is too large for a float"
    if number != number or number in (float("inf"), float("-inf")):
        return "number is too large for a float"
    return number
