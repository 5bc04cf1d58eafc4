"""Coverage-guided fuzzing of ``dk.parse`` with atheris (libFuzzer for Python).

The property, for every input: ``dk.parse(text)`` returns a ``dk.Graph`` or raises ``dk.ParseError``, and while
it runs no audit event fires except ast.parse's own ``compile`` (filename ``<unknown>``) and ``builtins.id``.
Anything else (another exception, an ``exec``/``import``/``open``/``os.system``/... event) is a crash, which
libFuzzer saves as ``crash-<sha1>``; a hang past ``-timeout`` is saved as ``timeout-<sha1>``.

Only diffkit's own modules are instrumented, so the coverage libFuzzer reports (``cov:``) is edges in diffkit.
The first byte of an input chooses how the rest becomes text: UTF-8 (errors replaced), UTF-8 with
surrogateescape, Latin-1, one token per byte from a hostile token table, or a short piece repeated up to ~200k
characters (long and deeply nested inputs).

Run (atheris is optional: ``pip install atheris``)::

    python3 fuzz/parse_fuzzer.py -runs=200000 -max_len=4096 -timeout=10
    python3 fuzz/parse_fuzzer.py -max_total_time=300 -max_len=4096 -timeout=10 -print_final_stats=1 corpus/
    python3 fuzz/parse_fuzzer.py crash-<sha1>            # replay one input

A successful parse must also give a graph whose ``variables`` can be read (or that raises a DiffkitError).

Bugs it helped find, since fixed (regression tests in tests/test_fuzz_parse.py): a lone surrogate made
UnicodeEncodeError escape dk.parse, and a variable name with over 4,300 digits parsed into a graph whose
``variables`` raised a plain ValueError.
"""

from __future__ import annotations

import sys
import warnings
from types import FrameType

import atheris

with atheris.instrument_imports(include=["diffkit"]):
    import diffkit as dk

ALLOWED_EVENTS = frozenset({"compile", "builtins.id"})
AST_PARSE_FILENAME = "<unknown>"

TOKENS = (
    *"0123456789", "0.5", "1e-3", "1e400", "1j", "0x1F", "1_000", ".", "x", "y", "x1", "theta_0", "_", "sin",
    "exp", "log", "maximum", "max", "pi", "e", "v0", "c0", "True", "None", "eval", "exec", "open", "os",
    "+", "-", "*", "/", "**", "^", "(", ")", ",", "[", "]", "{", "}", ":", ";", "=", "==", "<", ">", "!", "~",
    "@", "%", "&", "|", "'", '"', "\\", "#", "//", ":=", "...", " ", "\t", "\x0c", "\n", "\r", "\x00",
    "lambda", "for", "in", "if", "else", "import", "yield", "await", "not", "and", "or", "is",
    "__import__('os')", "__class__", "__builtins__", "__globals__", ".__class__.__bases__[0]", "f'{x}'",
    "f'{__import__(\"os\")}'", "*args", "**kw", "x=1", "10**10**10", "9" * 400, "ｘ", "é", "\ufeff", "\u2028",
)


class _Audit:
    armed = False
    seen: list[tuple[str, str]] = []


def _audit_hook(name, args):
    if not _Audit.armed:
        return
    if name in ALLOWED_EVENTS and (name != "compile" or (len(args) >= 2 and args[1] == AST_PARSE_FILENAME)):
        return
    if name == "object.__getattr__" and args and isinstance(args[0], FrameType) and sys.gettrace() is not None:
        return  # a Python tracer reading frames
    _Audit.armed = False
    try:
        _Audit.seen.append((name, ", ".join(repr(a)[:80] for a in args)))
    finally:
        _Audit.armed = True


def text_of(data: bytes) -> str:
    if not data:
        return ""
    mode, body = data[0] % 5, data[1:]
    if mode == 0:
        return body.decode("utf-8", "replace")
    if mode == 1:
        return body.decode("utf-8", "surrogateescape")
    if mode == 2:
        return body.decode("latin-1")
    if mode == 3:
        return "".join(TOKENS[b % len(TOKENS)] for b in body)
    copies = int.from_bytes(body[:3].ljust(3, b"\0"), "little") % 200_001
    unit = body[3:].decode("utf-8", "replace") or "("
    return unit * max(1, min(copies, 200_000 // len(unit)))


def TestOneInput(data: bytes) -> None:  # noqa: N802 - atheris's name
    text = text_of(data)
    _Audit.seen = []
    _Audit.armed = True
    try:
        graph = dk.parse(text)
    except dk.ParseError:
        graph = None
    finally:
        _Audit.armed = False
    if _Audit.seen:
        raise AssertionError(f"audit events while parsing {text[:200]!r}: {_Audit.seen[:5]}")
    if graph is None:
        return
    if not isinstance(graph, dk.Graph):
        raise AssertionError(f"dk.parse returned {type(graph).__name__} for {text[:200]!r}")
    try:  # a graph that cannot list its variables is no successful parse
        if not isinstance(graph.variables, tuple):
            raise AssertionError(f"graph.variables is a {type(graph.variables).__name__} for {text[:200]!r}")
    except dk.DiffkitError:
        pass


def main() -> None:
    warnings.simplefilter("ignore")  # Python's parser warns about e.g. "1if"; not a failure
    dk.parse("sin(x) + maximum(x, y)^2")  # networkx compiles (exec) its wrappers on first use: before the hook
    sys.addaudithook(_audit_hook)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
