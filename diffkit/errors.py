"""The exceptions diffkit raises: every error a user can cause is one of these."""

from __future__ import annotations


class DiffkitError(Exception):
    """Base class of every error diffkit raises on purpose.

    ``cost``: what the failed method had spent when it stopped (a ``Cost``), when it knows; ``dk.compare``
    shows it in the method's cut-off row.
    """

    cost = None


class ParseError(DiffkitError, ValueError):
    """Expression text that diffkit cannot read; names the token and its (1-based) column."""

    def __init__(self, message: str, text: str | None = None, column: int | None = None, width: int = 1):
        self.reason = message
        self.text = text
        self.column = column
        if text is not None and column is not None and len(text) <= 200 and "\n" not in text:
            caret = " " * (column - 1) + "^" * max(1, width)
            message = f"{message}\n  {_printable(text)}\n  {caret}"
        super().__init__(message)


def _printable(text: str) -> str:
    """The text as echoed above its caret: one character per column, so the caret lands under its token. A tab
    would jump to the terminal's next tab stop and a carriage return overwrite the line; a tab shows as a
    space, any other control character as '?'."""
    return "".join(" " if c == "\t" else "?" if ord(c) < 32 or ord(c) == 127 else c for c in text)


class ConversionError(DiffkitError, TypeError):
    """An object (SymPy expression, function, value) that diffkit cannot turn into a graph."""


class BindingError(DiffkitError, ValueError):
    """Values given for a graph's variables that are missing, unknown, not numeric or of clashing shapes."""


class MethodError(DiffkitError, ValueError):
    """A differentiation request a method cannot serve (unknown method, unsupported order or scheme)."""


class SwellError(DiffkitError):
    """Symbolic differentiation stopped because the expression grew past its size budget.

    ``size`` and ``limit``: the size it reached and the budget (tree nodes or graph levels), when known;
    ``time_guard``: True when it was the last-resort wall-clock guard that fired, not a size budget.
    """

    def __init__(self, message: str, size: int | None = None, limit: int | None = None, time_guard: bool = False):
        super().__init__(message)
        self.size, self.limit, self.time_guard = size, limit, time_guard


class ResourceError(DiffkitError):
    """A request refused before it runs, because it would need more memory than ``dk.limits`` allows."""


class DomainError(DiffkitError, ArithmeticError):
    """Raised under ``errors="raise"`` when a primitive is evaluated outside its domain (or overflows)."""


class DomainWarning(RuntimeWarning):
    """Issued (by default) when a primitive is evaluated outside its domain or overflows; names the primitive."""


class KeywordError(DiffkitError, TypeError):
    """A keyword argument a function does not take (a TypeError, as Python's own); suggests the closest one."""


class OptionError(BindingError, MethodError):
    """An option given a value it cannot take: the wrong type, out of range, not finite, or not one of the
    allowed choices (``seconds=nan``, ``lr=-1``, ``method="revrse"``); the message names the option, the value
    and what is allowed.

    It is both a BindingError and a MethodError because, before ``diffkit.options`` checked every option in one
    place, bad option values raised one or the other; code catching either still catches it.
    """
