"""How users name variables: by their name (a string) or by a SymPy ``Symbol``, which stands for its name.

This is the one place that reads a user's key as a variable name. ``at=``, ``wrt=``, ``tangents=`` and every
other ``{variable: ...}`` a verb takes go through ``variable_name`` / ``by_name``; results come back keyed the way
the user named the variables (``keyed``), and the dicts they come in find an entry by either spelling.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sympy as sp

from .errors import BindingError


def variable_name(key):
    """The variable a key names: a string is a name, a SymPy Symbol stands for its name; anything else is
    returned unchanged, so that the caller reports it as an unknown variable in its own words."""
    if isinstance(key, sp.Symbol):
        return key.name
    return key


def by_name(values: Mapping, what: str = "at") -> dict:
    """``values`` with every key read as a variable name; a variable given twice (``x`` and ``"x"``) is refused."""
    if all(type(key) is str for key in values):  # the common case, per call: nothing to translate
        return values if isinstance(values, dict) else dict(values)
    named: dict = {}
    for key, value in values.items():
        name = variable_name(key)
        if name in named:
            first = _spelled(_key_for(values, name, key))
            raise BindingError(f"{what} names the variable {name!r} twice (as {first} and as {_spelled(key)}); "
                               "give it once")
        named[name] = value
    return named


def _key_for(values: Mapping, name: str, other) -> object:
    return next(k for k in values if variable_name(k) == name and k is not other)


def _spelled(key) -> str:
    return f"Symbol {key}" if isinstance(key, sp.Symbol) else repr(key)


def symbols_given(*namings) -> dict[str, sp.Symbol]:
    """{name: Symbol} for the variables a user named by a SymPy Symbol, in any of ``namings`` (mappings whose keys
    name variables, single keys, or lists of keys)."""
    found: dict[str, sp.Symbol] = {}
    for naming in namings:
        for key in _keys(naming):
            if isinstance(key, sp.Symbol):
                found.setdefault(key.name, key)
    return found


def _keys(naming) -> Iterable:
    if naming is None or isinstance(naming, str | sp.Symbol):
        return () if naming is None else (naming,)
    if isinstance(naming, Mapping):
        return naming.keys()
    if isinstance(naming, list | tuple):
        return naming
    return ()


class VariableDict(dict):
    """``{variable: value}`` keyed the way the user named the variables (names, or SymPy Symbols); an entry is
    found by either: ``d[x]`` and ``d["x"]`` are the same entry. Otherwise a plain dict (prints and compares as
    one)."""

    def _stored_key(self, key):
        if dict.__contains__(self, key):
            return key
        name = variable_name(key)
        if not isinstance(name, str):
            return key
        for stored in self:  # a handful of variables: a scan beats keeping a second index in step
            if variable_name(stored) == name:
                return stored
        return key

    def __missing__(self, key):
        stored = self._stored_key(key)
        if stored is key or not dict.__contains__(self, stored):
            raise KeyError(key)
        return dict.__getitem__(self, stored)

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, self._stored_key(key))

    def get(self, key, default=None):
        return dict.get(self, self._stored_key(key), default)


def keyed(values: Mapping[str, object], symbols: Mapping[str, sp.Symbol]) -> VariableDict:
    """``{name: value}`` as returned to a user who named some variables by Symbols: those keyed by their Symbol."""
    return VariableDict((symbols.get(name, name), value) for name, value in values.items())
