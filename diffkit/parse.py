"""Expression text to a Graph, read by a parser of diffkit's own. Nothing the user writes is executed.

Grammar: numbers (``2``, ``0.5``, ``1e-3``), variables (Python identifiers), ``+ - * / **`` and unary ``-``/``+``,
calls of the functions in the primitive table (``sin(x)``, ``maximum(x, y)``), and the constants ``pi`` and
``e``. ``^`` means power, as in mathematics (``x^2`` is ``x**2``); Python's bitwise xor has no place here.
Precedence and associativity are Python's: ``**`` is right-associative and binds tighter than a unary sign on
its left (``-x**2`` is ``-(x**2)``, and ``2**-1`` is allowed); ``x - y - z`` is ``(x - y) - z``.

The reader (``diffkit.reader``) is operator precedence over explicit stacks, with no recursion, so no nesting
can overflow Python's stack; it adds nodes to a ``GraphBuilder`` as it reads, hash-consing shared subexpressions.

Why not ``sympify``/``parse_expr``: they evaluate text (SymPy's docs warn of it), and SymPy would rewrite
``x - y`` as ``x + (-1)*y``, distorting both the graph and the operation counts. Why not Python's ``ast``: its
parser recurses, and refuses a sum of ~3,000 terms or 200 nested brackets.
"""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager

from .builder import GraphBuilder
from .errors import ParseError
from .graph import Graph
from .hints import WRITE_AS
from .keywords import checked_keywords
from .reader import MAX_NAME, MAX_NESTING, read

__all__ = ["MAX_LENGTH", "MAX_NAME", "MAX_NESTING", "WRITE_AS", "parse", "parse_many"]

MAX_LENGTH = 1_000_000  # characters; longer text is refused before parsing

# Names the builder must not give its own nodes (a variable called v0 or c3).
_INTERNAL_LOOKING = re.compile(r"\b[vc]\d+\b")
_QUOTE = re.compile("['\"]")


@checked_keywords
def parse(text: str) -> Graph:
    """Read an expression such as ``"log(x1) + x1*x2 - sin(x2)"`` into a Graph."""
    return parse_many([text])


@checked_keywords
def parse_many(texts: list[str], names: list[str] | None = None) -> Graph:
    """Several expressions into one graph with one output each, sharing their common subexpressions."""
    if not isinstance(texts, list | tuple):
        raise ParseError(f"parse_many takes a list of expression texts, got {type(texts).__name__}")
    if names is not None and (not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names)):
        raise ParseError(f"names must be a list of output names (strings), one per expression, got "
                         f"{type(names).__name__}")
    if names is not None and len(names) != len(texts):
        raise ParseError(f"{len(names)} names given for {len(texts)} expressions")
    for text in texts:
        if not isinstance(text, str):
            raise ParseError(f"expected expression text, got {type(text).__name__}")
        _check_text(text)
    reserved = set()
    for text in texts:
        reserved.update(_INTERNAL_LOOKING.findall(text))
    builder = GraphBuilder(simplify=False, reserved=reserved)
    with _collector_paused():
        outputs = [read(text, builder) for text in texts]
    default_names = [f"y{i}" for i in range(len(texts))] if len(texts) > 1 else ["y"]
    return builder.finish(outputs, names or default_names)


@contextmanager
def _collector_paused():
    """Python's cycle collector off while reading: the reader makes no cycles, only many small objects, which
    set off collections that walk the whole growing graph again and again (a third of a 500,000-term read)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_text(text: str) -> None:
    """Refuse, before the parser sees it, text the grammar can never accept.

    Non-ASCII text: look-alike letters (ｓｉｎ, 𝐱) would pass for the ASCII letters they imitate, as Python's
    parser folds them. Quotes and '#': the grammar has no strings and no comments (a '#' would silently end the
    expression in Python, and the hostile-input tests expect both refused before anything is parsed).
    """
    if len(text) > MAX_LENGTH:
        raise ParseError(f"expression is {len(text):,} characters long; the limit is {MAX_LENGTH:,}")
    if not text.strip():
        raise ParseError("empty expression")
    if not text.isascii():
        column, char = next((i + 1, c) for i, c in enumerate(text) if not c.isascii())
        raise ParseError(f"non-ASCII character {char!r} (U+{ord(char):04X}): expressions must be ASCII", text, column)
    if "\n" in text.strip() or "\r" in text:
        raise ParseError("an expression is one line of text", text,
                         min(i for i in (text.find("\n"), text.find("\r")) if i >= 0) + 1)
    if "\x00" in text:
        raise ParseError("null byte in expression", text, text.index("\x00") + 1)
    quote = _QUOTE.search(text)
    if quote is not None:
        raise ParseError("strings are not part of the expression language", text, quote.start() + 1)
    if "#" in text:  # Python would drop the rest of the line as a comment, silently
        raise ParseError("'#' is not part of the expression language (no comments)", text, text.index("#") + 1)
