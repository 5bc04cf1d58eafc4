"""The expression reader: tokens to graph nodes by operator precedence over two explicit stacks, no recursion.

``values`` holds operands read so far, each ``(node, start, end, tag)``: its graph node (None once an error is
pending), its span in the text, and a tag: ``LITERAL`` for a number as written (``-3`` is then the constant
-3, not an operation), ``BARE`` or a ``_Name`` for a name as written (which ``(sin)(x)`` may still call), or
None. ``ops`` holds
pending operators ``(precedence, symbol, start)`` and open brackets (``_Frame``, precedence 0). Nodes are added
in the order of a post-order walk of the expression tree, which fixes the node ids.

Errors come in two kinds. Syntax errors stop the reading at once. Errors in text that is well formed (an unknown
function, a wrong argument count, a literal that is no real number, an unsupported operator) are kept, and the
one met first in a walk from the root is raised once the whole text has been read: a syntax error anywhere
wins over them, as it did when Python's parser read the text.
"""

from __future__ import annotations

import keyword

from .builder import GraphBuilder
from .errors import ParseError
from .hints import implicit_product, unknown_function_hint
from .ops import CONSTANTS, FUNCTIONS, PRIMITIVES
from .tokens import BLANKS, has_leading_zeros, number_value, tokenize

MAX_NAME = 255  # characters in a variable name
MAX_NESTING = 4_000  # brackets, signs and powers open at once (Python's own parser stopped at ~3,000)

LITERAL = 1  # the tag of a number as written
BARE = 2  # the tag of a variable or constant as written
_BINARY = {"|": 1, "&": 2, "<<": 3, ">>": 3, "+": 4, "-": 4, "*": 5, "/": 5, "//": 5, "%": 5, "@": 5,
           "**": 7, "^": 7}
_UNARY = 6  # binds tighter than * and looser than ** on its right: -x**2 is -(x**2)
_POWER = 7  # right-associative
_PRIMITIVE = {symbol: PRIMITIVES[name] for symbol, name in
              {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "^": "pow"}.items()}
_NEG = PRIMITIVES["neg"]
_COMPARISONS = frozenset({"<", ">", "<=", ">=", "==", "!="})
_KEYWORDS = frozenset(keyword.kwlist)
_OPENING = {")": "(", "]": "[", "}": "{"}  # closing bracket -> its opening one
_CLOSING = {"(": ")", "[": "]", "{": "}"}


class _Name:
    """The tag of a bare name whose use as an operand is an error (``sin``): ``(sin)(x)`` may still call it, and
    then its pending error (the index in ``_Reader.pending``) goes."""

    __slots__ = ("error",)

    def __init__(self, error: int):
        self.error = error


class _Frame:
    """An open bracket: a group ``(...)`` or the argument list of a call ``name(...)``."""

    __slots__ = ("name", "name_start", "call_start", "start", "base", "context", "keywords", "starred", "argument")

    def __init__(self, name: str | None, name_start: int, start: int, base: int, context: int):
        self.name, self.name_start, self.start, self.base, self.context = name, name_start, start, base, context
        self.call_start = name_start  # where the call begins: (sin)(x) begins at the bracket before sin
        self.keywords: list[list] = []  # [value start, value end] of each keyword argument
        self.starred: list[list] = []  # [start, end] of each *argument
        self.argument: list | None = None  # the span being filled by the current argument, if special


def read(text: str, builder: GraphBuilder) -> str:
    """One expression's output node, added to ``builder``; a ParseError if the text is not an expression."""
    return _Reader(text, builder).run()


class _Reader:
    def __init__(self, text: str, builder: GraphBuilder):
        self.text = text
        self.source = text.strip()
        self.lead = len(text) - len(text.lstrip())  # columns count in the user's text, not the stripped one
        self.builder = builder
        self.pending: list[tuple[int, int, int, ParseError] | None] = []  # (start, -end, order, error)

    # --- errors -----------------------------------------------------------------------------------------------

    def error(self, message: str, start: int, end: int | None = None) -> ParseError:
        width = max(1, (end if end is not None else start + 1) - start)
        return ParseError(message, self.text, self.lead + start + 1, width=width)

    def syntax(self, message: str, start: int, end: int | None = None) -> ParseError:
        """A syntax error, unless the text holds an implicit product (``2x``), which is then the error."""
        implicit = implicit_product(self.text)
        return implicit if implicit is not None else self.error(f"invalid syntax: {message}", start, end)

    def defer(self, message: str, start: int, end: int, node_start: int | None = None,
              node_end: int | None = None) -> int:
        """Keep an error of well-formed text; the node it belongs to spans node_start..node_end (for the order)."""
        key_start = start if node_start is None else node_start
        key_end = end if node_end is None else node_end
        self.pending.append((key_start, -key_end, len(self.pending), self.error(message, start, end)))
        return len(self.pending) - 1

    def not_part(self, what: str, start: int, end: int | None = None) -> ParseError:
        return self.error(f"{what} is not part of the expression language", start, end)

    def display(self, tokens: list[str], i: int, pos: int, start: int, opening: str) -> ParseError:
        """``[...]`` or ``{...}`` where an operand belongs: a list, set, dict or comprehension, refused."""
        end = _closing_end(tokens, i, pos)
        if end is None:
            return self.syntax(f"{opening!r} was never closed", start)
        depth, kind = 0, "list" if opening == "[" else "set"
        j, at = i, pos
        while at < end:
            tok = tokens[j]
            if tok in "([{":
                depth += 1
            elif tok in ")]}":
                depth -= 1
            elif depth == 0 and tok == "for":
                kind = "comprehension"
                break
            elif depth == 0 and tok == ":" and opening == "{":
                kind = "dict"
            at += len(tok)
            j += 1
        return self.not_part(kind, start, end)

    # --- reading ----------------------------------------------------------------------------------------------

    def run(self) -> str:
        b = self.builder
        apply = b.apply
        tokens = tokenize(self.source)
        count = len(tokens)
        values: list[tuple] = []
        ops: list = []
        variables: dict[str, str] = {}
        self.values, self.ops = values, ops
        expect = True  # an operand comes next
        at_argument = False  # the token starts a call's argument (where name=, * and ** may stand)
        context = 0  # where the innermost expression starts (a comparison, lambda, ... is refused from there)
        i = pos = 0
        while i < count:
            tok = tokens[i]
            start = pos
            pos += len(tok)
            i += 1
            first = tok[0]
            if first in BLANKS:
                continue
            if expect:
                if first.isalpha() or first == "_":
                    if tok in _KEYWORDS:
                        self.keyword_operand(tok, start, pos)
                        values.append((None, start, pos, None))
                        expect = False
                        at_argument = False
                        continue
                    following, after = (tokens[i], pos) if i < count else ("", pos)
                    if following and following[0] in BLANKS:
                        after += len(following)
                        following = tokens[i + 1] if i + 1 < count else ""
                    if following == "(":
                        ops.append(_Frame(tok, start, after, len(values), context))
                        i += 1 if tokens[i] == "(" else 2
                        pos = context = after + 1
                        at_argument = True
                        self.check_depth(start)
                        continue
                    if following == "=" and at_argument:  # a keyword argument, name=value
                        frame = ops[-1]
                        i += 1 if tokens[i] == "=" else 2
                        pos = after + 1
                        frame.argument = [pos + _blank(tokens, i), None]
                        frame.keywords.append(frame.argument)
                        at_argument = False
                        continue
                    node = variables.get(tok)
                    if node is not None:
                        values.append((node, start, pos, BARE))
                    else:
                        values.append(self.name(tok, start, pos, variables))
                    expect = False
                elif first.isdigit() or (first == "." and len(tok) > 1 and tok[1].isdigit()):
                    if has_leading_zeros(tok):
                        raise self.syntax("leading zeros in decimal integer literals are not permitted; use an "
                                          "0o prefix for octal integers", start, pos)
                    value = number_value(tok)
                    if isinstance(value, str):
                        self.defer(value, start, pos)
                        values.append((None, start, pos, LITERAL))
                    else:
                        values.append((b.constant(value), start, pos, LITERAL))
                    expect = False
                elif tok == "-" or tok == "+" or tok == "~":
                    ops.append((_UNARY, tok, start))
                    if len(ops) > MAX_NESTING:
                        self.check_depth(start)
                elif tok == "(":
                    if _next(tokens, i) == ")":
                        raise self.not_part("tuple", start, pos + _blank(tokens, i) + 1)
                    ops.append(_Frame(None, start, start, len(values), context))
                    context = pos + _blank(tokens, i)
                    self.check_depth(start)
                elif tok == "[" or tok == "{":
                    raise self.display(tokens, i, pos, start, tok)
                elif tok == "...":
                    self.defer("ellipsis literal is not supported; only real numbers", start, pos)
                    values.append((None, start, pos, None))
                    expect = False
                elif (tok == "*" or tok == "**") and at_argument and ops[-1].name:
                    frame = ops[-1]
                    frame.argument = [start if tok == "*" else pos + _blank(tokens, i), None]
                    (frame.starred if tok == "*" else frame.keywords).append(frame.argument)
                elif tok == ")" and at_argument and ops[-1].name:
                    frame = ops.pop()
                    self.close_call(frame, pos)  # f(), or a trailing comma: f(x,)
                    context = frame.context
                    expect = False
                elif tok in _OPENING:
                    raise self.closing_error(tok, start, pos)
                else:
                    raise self.unexpected(tok, start, pos)
                at_argument = False
                continue
            # an operator, a closing bracket, or a comma comes next
            precedence = _BINARY.get(tok)
            if precedence is not None:
                while ops:
                    top = ops[-1]
                    if top.__class__ is _Frame:
                        break
                    if top[0] > precedence or (top[0] == precedence and precedence != _POWER):
                        ops.pop()
                        primitive = _PRIMITIVE.get(top[1]) if top[0] != _UNARY else None
                        if primitive is not None and values[-1][0] is not None and values[-2][0] is not None:
                            # the common case inline (a long sum spends its time here): left op right
                            right = values.pop()
                            left = values[-1]
                            values[-1] = (apply(primitive, left[0], right[0]), left[1], right[2], None)
                        else:
                            self.reduce(top)
                    else:
                        break
                ops.append((precedence, tok, start))
                if len(ops) > MAX_NESTING:
                    self.check_depth(start)
                expect = True
            elif tok == ")":
                frame = self.reduce_to_frame()
                if frame is None:
                    raise self.closing_error(tok, start, pos)
                ops.pop()
                context = frame.context
                if frame.name is not None:
                    self.finish_argument(frame)
                    self.close_call(frame, pos)
                    continue
                node, _, _, tag = values[-1]
                values[-1] = (node, frame.start, pos, tag)  # a group spans its brackets, as an operand
                if _is_name(tag) and _next(tokens, i) == "(":
                    # (sin)(x): a call of the bracketed name after all, and not the error a bare sin would be
                    values.pop()
                    if tag.__class__ is _Name:
                        self.pending[tag.error] = None
                    group = self.source[frame.start:pos]
                    name = group.strip("()" + "".join(BLANKS))
                    opening = pos + _blank(tokens, i)
                    i += 1 if tokens[i] == "(" else 2
                    ops.append(_Frame(name, frame.start + group.index(name), opening, len(values), context))
                    ops[-1].call_start = frame.start
                    pos = context = opening + 1
                    at_argument = True
                    expect = True
                    self.check_depth(start)
            elif tok == ",":
                frame = self.reduce_to_frame()
                if frame is None or frame.name is None:
                    where = context if frame is None else frame.start
                    raise self.not_part("tuple", where, pos)
                self.finish_argument(frame)
                context = pos + _blank(tokens, i)
                at_argument = True
                expect = True
            elif tok == "(":
                raise self.implicit_call(start)
            elif tok == ".":
                nxt = _next(tokens, i)
                if nxt and (nxt[0].isalpha() or nxt[0] == "_"):
                    end = pos + _blank(tokens, i) + len(nxt)
                    raise self.not_part("attribute access", values[-1][1], end)
                raise self.unexpected(tok, start, pos)
            elif tok == "[":
                end = _closing_end(tokens, i, pos)
                if end is None:
                    raise self.syntax("'[' was never closed", start)
                raise self.not_part("indexing", values[-1][1], end)
            elif tok in _COMPARISONS or tok in ("in", "is", "not"):
                raise self.not_part("comparison", context, pos)
            elif tok == "and" or tok == "or":
                raise self.not_part("boolean operator", context, pos)
            elif tok == "if":
                raise self.not_part("conditional expression", context, pos)
            elif tok == "for" and ops and any(o.__class__ is _Frame for o in ops):
                raise self.not_part("generator", context, pos)
            elif tok == ":=" and _is_name(values[-1][3]) and ops and ops[-1].__class__ is _Frame:
                raise self.not_part("assignment expression", values[-1][1], pos)
            elif tok in _OPENING:
                raise self.closing_error(tok, start, pos)
            else:
                raise self.unexpected(tok, start, pos)
        return self.finish(expect)

    # --- pieces of the loop -------------------------------------------------------------------------------------

    def check_depth(self, start: int) -> None:
        if len(self.ops) > MAX_NESTING:
            raise self.error(f"expression is nested too deeply: more than {MAX_NESTING:,} brackets, signs and "
                             "powers are open at once; split it into smaller expressions", start)

    def keyword_operand(self, word: str, start: int, end: int) -> None:
        """A Python keyword where an operand belongs: a literal it stands for is kept as an error, the rest raise."""
        if word in ("True", "False", "None"):
            kind = "NoneType" if word == "None" else "bool"
            self.defer(f"{kind} literal is not supported; only real numbers", start, end)
            return
        if word == "not":
            raise self.error("operator 'not' is not supported", start, end)
        if word in ("lambda", "await", "yield"):
            raise self.not_part(word, start, end)
        raise self.unexpected(word, start, end)

    def name(self, name: str, start: int, end: int, variables: dict[str, str]) -> tuple:
        if name in CONSTANTS:
            return (self.builder.constant(CONSTANTS[name]), start, end, BARE)
        if name in FUNCTIONS:
            message = f"{name!r} is a function; call it like {name}(x)"
        elif name.startswith("__"):
            message = f"name {name!r} is not allowed (no dunder names)"
        elif len(name) > MAX_NAME:
            message = f"variable name is {len(name):,} characters long; the limit is {MAX_NAME}"
        else:
            node = variables[name] = self.builder.variable(name)
            return (node, start, end, BARE)
        return (None, start, end, _Name(self.defer(message, start, end)))

    def reduce(self, op: tuple) -> None:
        """Apply a pending operator to the operands on top of ``values``."""
        values = self.values
        precedence, symbol, start = op
        if precedence == _UNARY:
            node, _, end, tag = values.pop()
            if symbol == "+":
                values.append((node, start, end, None))
            elif symbol == "-":
                if node is not None:
                    if tag == LITERAL:  # a negative literal is a constant, not an operation
                        node = self.builder.constant(-self.builder.value_of(node))
                    else:
                        node = self.builder.apply(_NEG, node)
                values.append((node, start, end, None))
            else:
                self.defer(f"operator {symbol!r} is not supported", start, end)
                values.append((None, start, end, None))
            return
        right, _, end, _ = values.pop()
        left, left_start, _, _ = values.pop()
        primitive = _PRIMITIVE.get(symbol)
        if primitive is None:
            self.defer(f"operator {symbol!r} is not supported (use + - * / ** or ^)", left_start, end)
            node = None
        elif left is None or right is None:
            node = None
        else:
            node = self.builder.apply(primitive, left, right)
        values.append((node, left_start, end, None))

    def reduce_to_frame(self) -> _Frame | None:
        """Apply every operator back to the innermost open bracket, and return it (None at the top level)."""
        ops = self.ops
        while ops:
            top = ops[-1]
            if top.__class__ is _Frame:
                return top
            self.reduce(ops.pop())
        return None

    def finish_argument(self, frame: _Frame) -> None:
        if len(self.values) == frame.base:
            return  # f(), or f(x,) after its last argument
        if frame.argument is not None:
            frame.argument[1] = self.values[-1][2]
            frame.argument = None

    def close_call(self, frame: _Frame, end: int) -> None:
        """The call ``name(...)`` whose ``)`` ends at ``end``: one node, or a kept error (checks in Python's order)."""
        values = self.values
        arguments = values[frame.base:]
        del values[frame.base:]
        name = frame.name
        positional = len(arguments) - len(frame.keywords)
        message = span = None
        if name not in FUNCTIONS:
            message = f"unknown function {name!r}{unknown_function_hint(name)}"
            span = (frame.name_start, frame.name_start + len(name))
        elif frame.keywords:
            message, span = f"{name}() takes no keyword arguments", frame.keywords[0]
        elif frame.starred:
            message, span = "starred arguments are not supported", frame.starred[0]
        elif positional != FUNCTIONS[name].arity:
            arity = FUNCTIONS[name].arity
            plural = "s" if arity != 1 else ""
            message = f"{name}() takes {arity} argument{plural}, got {positional}"
            span = (frame.call_start, end)
        node = None
        if message is not None:
            self.defer(message, span[0], span[1] if span[1] is not None else span[0] + 1, frame.call_start, end)
        elif all(a[0] is not None for a in arguments):
            node = self.builder.apply(FUNCTIONS[name], *[a[0] for a in arguments])
        values.append((node, frame.call_start, end, None))

    def implicit_call(self, paren: int) -> ParseError:
        """``2(x+1)``, ``(x+1)(x-1)``: a call of something that is no function, so an implicit product."""
        column = self.lead + paren + 1
        fixed = self.text[:column - 1] + "*" + self.text[column - 1:]
        return ParseError("implicit multiplication is not supported; write a * between the factors, "
                          f"as in {fixed.strip()!r}", self.text, column)

    def closing_error(self, closing: str, start: int, end: int) -> ParseError:
        """A closing bracket that closes nothing, closes the wrong kind, or comes where an operand belongs."""
        if not any(o.__class__ is _Frame for o in self.ops):
            return self.syntax(f"unmatched {closing!r}", start)
        if closing != ")":
            return self.syntax(f"closing parenthesis {closing!r} does not match opening parenthesis '('", start)
        return self.unexpected(closing, start, end)

    def unexpected(self, tok: str, start: int, end: int) -> ParseError:
        if not tok.isprintable():
            return self.syntax(f"invalid non-printable character U+{ord(tok[0]):04X}", start)
        return self.syntax(f"unexpected {tok!r}", start, end)

    def finish(self, expect: bool) -> str:
        frame = next((o for o in reversed(self.ops) if o.__class__ is _Frame), None)
        if frame is not None:
            raise self.syntax("'(' was never closed", frame.start)
        if expect:
            implicit = implicit_product(self.text)
            if implicit is not None:
                raise implicit
            raise ParseError("the expression ends too early: an operand is missing at the end", self.text,
                             len(self.text.rstrip()) + 1)
        while self.ops:
            self.reduce(self.ops.pop())
        pending = [p for p in self.pending if p is not None]
        if pending:
            raise min(pending)[3]
        (node, _, _, _), = self.values
        return node


def _closing_end(tokens: list[str], i: int, pos: int) -> int | None:
    """Where the bracket opened just before tokens[i] (at offset pos) closes, as an end offset; None if never."""
    depth = 1
    while i < len(tokens):
        tok = tokens[i]
        pos += len(tok)
        i += 1
        if tok in _CLOSING:
            depth += 1
        elif tok in _OPENING:
            depth -= 1
            if depth == 0:
                return pos
    return None


def _is_name(tag) -> bool:
    return tag == BARE or tag.__class__ is _Name


def _blank(tokens: list[str], i: int) -> int:
    """The length of the blank token at ``i``, or 0."""
    return len(tokens[i]) if i < len(tokens) and tokens[i][0] in BLANKS else 0


def _next(tokens: list[str], i: int) -> str:
    """The first token at or after ``i`` that is not blank, or ''."""
    if i < len(tokens) and tokens[i][0] in BLANKS:
        i += 1
    return tokens[i] if i < len(tokens) else ""
