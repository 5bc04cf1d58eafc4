"""The exceptions diffkit raises: every error a user can cause is one of these."""

from __future__ import annotations


class DiffkitError(Exception):
    """Base class of every error diffkit raises on purpose."""


class ParseError(DiffkitError, ValueError):
    """Expression text that diffkit cannot read; names the token and its (1-based) column."""

    def __init__(self, message: str, text: str | None = None, column: int | None = None, width: int = 1):
        self.reason = message
        self.text = text
        self.column = column
        if text is not None and column is not None and len(text) <= 200 and "\n" not in text:
            caret = " " * (column - 1) + "^" * max(1, width)
            message = f"{message}\n  {text}\n  {caret}"
        super().__init__(message)


class ConversionError(DiffkitError, TypeError):
    """An object (SymPy expression, function, value) that diffkit cannot turn into a graph."""


class BindingError(DiffkitError, ValueError):
    """Values given for a graph's variables that are missing, unknown, not numeric or of clashing shapes."""


class MethodError(DiffkitError, ValueError):
    """A differentiation request a method cannot serve (unknown method, unsupported order or scheme)."""


class SwellError(DiffkitError):
    """Symbolic differentiation stopped because the expression grew past its size budget."""


class ResourceError(DiffkitError):
    """A request refused before it runs, because it would need more memory than ``dk.limits`` allows."""


class DomainError(DiffkitError, ArithmeticError):
    """Raised under ``errors="raise"`` when a primitive is evaluated outside its domain (or overflows)."""


class DomainWarning(RuntimeWarning):
    """Issued (by default) when a primitive is evaluated outside its domain or overflows; names the primitive."""


class KeywordError(DiffkitError, TypeError):
    """A keyword argument a function does not take (a TypeError, as Python's own); suggests the closest one."""
