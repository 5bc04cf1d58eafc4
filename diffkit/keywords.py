"""One check for misspelled keyword arguments, shared by every public function: ``tangent=`` -> "did you mean
tangents?". The signature is read once, when the function is decorated."""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Iterable

from .errors import KeywordError


def suggestion(word: str, choices: Iterable[str]) -> str:
    """'; did you mean X?' for the closest choice, or '' when none is close."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def unknown_keyword(function_name: str, word: str, choices: Iterable[str]) -> KeywordError:
    choices = sorted(choices)
    return KeywordError(f"{function_name}() got an unexpected keyword argument {word!r}{suggestion(word, choices)} "
                        f"(it takes: {', '.join(choices) or 'no keywords'})")


def checked_keywords(function: Callable | None = None, *, options: Callable[[], Iterable[str]] | None = None):
    """Decorate a public function so an unknown keyword raises ``KeywordError`` with a suggestion.

    A function with ``**options`` forwards unknown keywords (to a method, which checks them); it still refuses a
    keyword that is a near-miss of one of its own parameters and not an option anything accepts (``options()``
    lists those).
    """
    if function is None:
        return functools.partial(checked_keywords, options=options)
    parameters = inspect.signature(function).parameters
    named = frozenset(name for name, p in parameters.items()
                      if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
    forwards = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    name = function.__name__

    @functools.wraps(function)
    def checked(*args, **kwargs):
        for word in kwargs:
            if word in named:
                continue
            if not forwards:
                raise unknown_keyword(name, word, named)
            if suggestion(word, named) and word not in set(options() if options else ()):
                raise unknown_keyword(name, word, named)
        return function(*args, **kwargs)

    checked.__wrapped_keywords__ = named
    return checked
