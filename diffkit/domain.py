"""Where floating-point trouble happens: NumPy's invalid/divide/overflow signals, attributed to primitives.

Every method evaluates primitives with NumPy. While a request runs, NumPy is told to *call* a watcher instead
of warning; the engines say which primitive they are evaluating (``watching(...)``/``at(...)``), so a nan from
log(-1) is reported as "log: invalid value", not as an anonymous RuntimeWarning. The API then applies the
user's policy: warn (``DomainWarning``, the default), raise (``DomainError``) or ignore.
"""

from __future__ import annotations

import contextvars
import warnings
from contextlib import contextmanager

import numpy as np

from . import options
from .errors import DomainError, DomainWarning

POLICIES = ("warn", "raise", "ignore")

_MEANING = {
    "invalid value": "outside its domain (result nan)",
    "divide by zero": "division by zero or a pole (result ±inf)",
    "overflow": "overflow (result ±inf)",
}


class Watch:
    """Collects (location, kind) for every floating-point signal while a request runs."""

    def __init__(self):
        self.where = "evaluation"
        self.events: dict[tuple[str, str], int] = {}

    def _signal(self, kind: str, flag: int) -> None:
        key = (self.where, kind)
        self.events[key] = self.events.get(key, 0) + 1

    def messages(self) -> list[str]:
        return [f"{where}: {_meaning(where, kind)}" for (where, kind) in self.events]


def _meaning(where: str, kind: str) -> str:
    if kind == "invalid value" and where.endswith("'"):  # a derivative rule or its chain-rule products
        return "invalid operation, such as 0·∞ or ∞ − ∞ (result nan)"
    return _MEANING.get(kind, kind)


_CURRENT: contextvars.ContextVar[Watch | None] = contextvars.ContextVar("diffkit_watch", default=None)


def current() -> Watch | None:
    """The running watch, for loops that report many steps (``watch.where = name`` is cheaper than ``at``)."""
    return _CURRENT.get()


def at(where: str) -> None:
    """Tell the running watch which primitive (or phase) is being evaluated now; cheap when none runs."""
    watch = _CURRENT.get()
    if watch is not None:
        watch.where = where


def flag(where: str, kind: str) -> None:
    """Report a floating-point event NumPy did not signal (one computed outside NumPy, as SymPy's constants)."""
    watch = _CURRENT.get()
    if watch is not None:
        key = (where, kind)
        watch.events[key] = watch.events.get(key, 0) + 1


@contextmanager
def watching():
    """Run a request with NumPy's floating-point signals sent to a Watch (underflow ignored: it is harmless)."""
    watch = Watch()
    token = _CURRENT.set(watch)
    try:
        with np.errstate(all="call", under="ignore", call=watch._signal):
            yield watch
    finally:
        _CURRENT.reset(token)


def apply_policy(messages: list[str], errors: str, method: str, stacklevel: int = 4) -> None:
    """Warn, raise or stay quiet about what the watch saw, as the user asked."""
    if not messages:
        return
    text = ("evaluation: " if method == "evaluation" else f"{method} method: ") + "; ".join(messages)
    if errors == "raise":
        raise DomainError(text)
    if errors == "warn":
        warnings.warn(DomainWarning(text), stacklevel=stacklevel)


def check_policy(errors: str) -> None:
    options.choice("errors=", errors, POLICIES)
