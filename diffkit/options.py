"""Checking option values, in one place: type, range, finiteness and the allowed set ("did you mean").

Every public function and the command line check their options (``seconds=``, ``lr=``, ``method=``, ...) with
these checkers before any work starts, so that a bad value raises an ``OptionError`` naming the option, the
value and what is allowed, and never a bare ValueError, OverflowError or TypeError from deep inside.

Conventions: a bool is not a number (``True`` is not a count of epochs); NumPy scalars are numbers; a checker
returns the value as a plain Python ``int`` or ``float`` so later arithmetic cannot overflow a NumPy integer.
"""

from __future__ import annotations

import math
import numbers
import os
import threading
from collections.abc import Iterable

import numpy as np

from .errors import OptionError
from .keywords import suggestion

__all__ = ["OptionError", "suggestion"]  # re-exported: a checker's caller raises and suggests alike


def _shown(value) -> str:
    """The value as the message shows it: its repr, cut short (a hostile value can be megabytes long)."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 — an object whose repr fails still gets a message
        text = f"a {type(value).__name__}"
    if len(text) > 60:
        text = text[:40] + f"... ({type(value).__name__}, {len(text)} characters)"
    return text


shown = _shown  # public: a caller's own message shows a value the same way


def _is_real(value) -> bool:
    """A real number that is not a bool (NumPy's included); strings, None and arrays are not."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and not _is_numpy_bool(value)


def _is_numpy_bool(value) -> bool:
    return isinstance(value, np.bool_)


def _bound(x) -> str:
    """A bound as a message shows it: 1e-08, 0.5, 12; a whole number past float64 (10**400) without converting."""
    if isinstance(x, int) and abs(x) >= 10**15:
        return f"about 10^{len(str(abs(x))) - 1}"
    return f"{x:g}"


def _range_text(low, high, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{_bound(low)}, {_bound(high)}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {_bound(low)}"
    if high is not None:
        return f"{'<' if high_open else '<='} {_bound(high)}"
    return ""


def number(name: str, value, *, low: float | None = None, high: float | None = None, low_open: bool = False,
           high_open: bool = False, integer: bool = False, finite: bool = True, allow_none: bool = False,
           what: str | None = None):
    """``value`` checked as a number; returns it as ``int`` (``integer=True``) or ``float`` (or None).

    ``low``/``high``: the bounds (closed unless ``low_open``/``high_open``); ``finite``: refuse nan and ±inf;
    ``what``: how the message describes an allowed value (else from the other arguments).
    """
    if value is None and allow_none:
        return None
    kind = "a whole number" if integer else "a finite number" if finite else "a number"
    bounds = _range_text(low, high, low_open, high_open)
    wanted = what or " ".join(filter(None, [kind, bounds, "(or None)" if allow_none else ""]))
    if not _is_real(value) or (integer and not isinstance(value, numbers.Integral)):
        raise OptionError(f"{name} must be {wanted}, got {_shown(value)}")
    if integer:
        value = int(value)
        ok = (low is None or (value > low if low_open else value >= low)) and \
             (high is None or (value < high if high_open else value <= high))
    else:
        try:
            value = float(value)
        except OverflowError:  # a huge int, beyond float64
            raise OptionError(f"{name} must be {wanted}, got {_shown(value)} (beyond float64's range)") from None
        if math.isnan(value) or (finite and math.isinf(value)):
            raise OptionError(f"{name} must be {wanted}, got {value!r}")
        ok = (low is None or (value > low if low_open else value >= low)) and \
             (high is None or (value < high if high_open else value <= high))
    if not ok:
        raise OptionError(f"{name} must be {wanted}, got {_shown(value)}")
    return value


def positive_int(name: str, value, *, allow_none: bool = False, high: int | None = None) -> int | None:
    """A whole number >= 1 (a count: epochs, repeats, steps)."""
    return number(name, value, low=1, high=high, integer=True, allow_none=allow_none)


def count(name: str, value, *, allow_none: bool = False) -> int | None:
    """A whole number >= 0."""
    return number(name, value, low=0, integer=True, allow_none=allow_none)


def positive(name: str, value, *, allow_none: bool = False) -> float | None:
    """A finite number > 0 (a rate, a step, a budget)."""
    return number(name, value, low=0, low_open=True, allow_none=allow_none,
                  what="a positive finite number" + (" (or None for the default)" if allow_none else ""))


def non_negative(name: str, value, *, allow_none: bool = False) -> float | None:
    """A finite number >= 0 (a penalty, a damping)."""
    return number(name, value, low=0, allow_none=allow_none)


# The longest a thread may be waited for (about 292 years on 64-bit Linux): a budget beyond it would overflow the
# platform's timestamp inside ``Thread.join`` (OverflowError), so it is refused here instead.
MAX_SECONDS = threading.TIMEOUT_MAX


def seconds(name: str, value, *, allow_none: bool = True) -> float | None:
    """A wall-clock budget in seconds: finite, > 0 and at most ``MAX_SECONDS`` (a larger one would overflow the
    timestamp it is added to)."""
    value = number(name, value, low=0, low_open=True, allow_none=allow_none,
                   what="a finite number of seconds > 0" + (" (or None for the default)" if allow_none else ""))
    if value is not None and value > MAX_SECONDS:
        raise OptionError(f"{name} must be at most {MAX_SECONDS:.4g} seconds (the longest wait the platform can "
                          f"time), got {_shown(value)}")
    return value


def seed(name: str, value, *, allow_none: bool = True) -> int | None:
    """A random seed: a whole number >= 0, or None for a fresh random one."""
    return number(name, value, low=0, integer=True, allow_none=allow_none,
                  what="a whole number >= 0" + (" (or None for a fresh random one)" if allow_none else ""))


def flag(name: str, value, *, allow_none: bool = False, none_means: str = "the default") -> bool | None:
    """True or False (NumPy's bool too); not 0, 1, "yes" or an array. None only with ``allow_none``
    (``none_means`` says what it does, for the message)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or _is_numpy_bool(value):
        return bool(value)
    extra = f" (or None for {none_means})" if allow_none else ""
    raise OptionError(f"{name} must be True or False{extra}, got {_shown(value)}")


def text(name: str, value, *, allow_none: bool = True) -> str | None:
    """A string (a title, a label); None when allowed (the default one)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        extra = " (or None for the default)" if allow_none else ""
        raise OptionError(f"{name} must be a string{extra}, got {_shown(value)}")
    return value


def path(name: str, value, *, allow_none: bool = True):
    """A file path: a string or an ``os.PathLike`` (not a number, a bool or a list); None when allowed."""
    if value is None and allow_none:
        return None
    text = os.fspath(value) if isinstance(value, str | os.PathLike) else None
    if isinstance(text, str) and text != "" and "\0" not in text:  # open() refuses a NUL with a ValueError
        return value
    raise OptionError(f"{name} must be a file path (a string or pathlib.Path), got {_shown(value)}")


def choice(name: str, value, allowed: Iterable[str], *, allow_none: bool = False):
    """One of ``allowed`` (strings), with "did you mean" for a near miss."""
    allowed = list(allowed)
    if value is None and allow_none:
        return None
    listing = ", ".join(map(repr, allowed)) + (" (or None)" if allow_none else "")
    if not isinstance(value, str) or value not in allowed:
        close = suggestion(value, allowed) if isinstance(value, str) else ""
        raise OptionError(f"unknown {name} {_shown(value)}{close} (choose one of {listing})")
    return value


def names(name: str, value, allowed: Iterable[str], *, allow_none: bool = False) -> tuple[str, ...] | None:
    """A non-empty list (or tuple) of distinct choices from ``allowed``; a single string counts as one."""
    if value is None and allow_none:
        return None
    allowed = list(allowed)
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise OptionError(f"{name} must be a non-empty list of: {', '.join(map(repr, allowed))}; got {_shown(value)}")
    for item in items:
        choice(f"each of {name}", item, allowed)
    if len(set(items)) != len(items):
        raise OptionError(f"{name} names one twice: {_shown(value)}")
    return tuple(items)
