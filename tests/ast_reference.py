"""The parser diffkit had before its own reader: Python's ast, whitelisted. Kept only as the oracle of the
equivalence test, which checks the reader builds the same graphs and refuses the same text."""

from __future__ import annotations

import ast
import difflib
import keyword
import re

from diffkit.builder import GraphBuilder
from diffkit.errors import ParseError
from diffkit.graph import Graph
from diffkit.keywords import checked_keywords
from diffkit.ops import CONSTANTS, FUNCTIONS, PRIMITIVES

MAX_LENGTH = 1_000_000  # characters; longer text is refused before parsing
MAX_NAME = 255  # characters in a variable name

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_UNARY = {ast.USub: "neg"}
_OPERATOR_TEXT = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^", ast.Invert: "~", ast.Not: "not",
}
_DESCRIPTIONS = {
    ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Lambda: "lambda",
    ast.Compare: "comparison", ast.BoolOp: "boolean operator", ast.IfExp: "conditional expression",
    ast.ListComp: "comprehension", ast.SetComp: "comprehension", ast.DictComp: "comprehension",
    ast.GeneratorExp: "generator", ast.List: "list", ast.Tuple: "tuple", ast.Dict: "dict", ast.Set: "set",
    ast.JoinedStr: "f-string", ast.Starred: "starred argument", ast.NamedExpr: "assignment expression",
    ast.Await: "await", ast.Yield: "yield", ast.Slice: "slice",
}


@checked_keywords
def parse(text: str) -> Graph:
    """Read an expression such as ``"log(x1) + x1*x2 - sin(x2)"`` into a Graph."""
    return parse_many([text])


@checked_keywords
def parse_many(texts: list[str], names: list[str] | None = None) -> Graph:
    """Several expressions into one graph with one output each, sharing their common subexpressions."""
    if names is not None and len(names) != len(texts):
        raise ParseError(f"{len(names)} names given for {len(texts)} expressions")
    trees = []
    for text in texts:
        if not isinstance(text, str):
            raise ParseError(f"expected expression text, got {type(text).__name__}")
        _check_text(text)
        source = _caret_to_power(text)
        trees.append((text, source, _python_ast(text, source)))
    variables = set()
    for _, _, tree in trees:
        variables |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    builder = GraphBuilder(simplify=False, reserved=variables)
    outputs = [_Converter(builder, text, source).convert(tree) for text, source, tree in trees]
    default_names = [f"y{i}" for i in range(len(texts))] if len(texts) > 1 else ["y"]
    return builder.finish(outputs, names or default_names)


def _caret_to_power(text: str) -> str:
    """``^`` -> ``**``: the grammar has no strings, so every caret is a power (columns are mapped back later)."""
    return text.replace("^", "**")


def _check_text(text: str) -> None:
    """Refuse, before Python's parser sees it, text the grammar can never accept.

    Non-ASCII text: Python would fold look-alike letters (ｓｉｎ, 𝐱) into ASCII ones, and lone surrogates break
    its encoder. Quotes: the grammar has no strings, and Python's parser takes quadratic time on long f-strings.
    """
    if len(text) > MAX_LENGTH:
        raise ParseError(f"expression is {len(text):,} characters long; the limit is {MAX_LENGTH:,}")
    if not text.strip():
        raise ParseError("empty expression")
    if not text.isascii():
        column, char = next((i + 1, c) for i, c in enumerate(text) if not c.isascii())
        raise ParseError(f"non-ASCII character {char!r} (U+{ord(char):04X}): expressions must be ASCII", text, column)
    if "\n" in text.strip() or "\r" in text:
        raise ParseError("an expression is one line of text", text, text.find("\n") + 1)
    if "\x00" in text:
        raise ParseError("null byte in expression", text, text.index("\x00") + 1)
    quote = next((i for i, c in enumerate(text) if c in "'\""), None)
    if quote is not None:
        raise ParseError("strings are not part of the expression language", text, quote + 1)
    if "#" in text:  # Python would drop the rest of the line as a comment, silently
        raise ParseError("'#' is not part of the expression language (no comments)", text, text.index("#") + 1)


# Two operands side by side with nothing between them, as mathematics writes a product: 2x, 2 x, )(, ) x,
# x y. Python reads none of them as a product, and says "invalid syntax" or "invalid decimal literal".
_NUMBER = r"(?<![\w.])(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_JUXTAPOSED = re.compile(rf"(?:{_NUMBER}|\)|\b[A-Za-z_]\w*)(?P<gap>\s*)(?=[A-Za-z_(.\d])")


def _implicit_product(text: str) -> ParseError | None:
    """The first place two operands stand side by side (an implicit product), as an error suggesting ``*``."""
    for match in _JUXTAPOSED.finditer(text):
        left = match.group(0)[: len(match.group(0)) - len(match.group("gap"))]
        after = text[match.end():]
        if left[0].isalpha() or left[0] == "_":
            # a name: next to "(" it is a call (checked elsewhere), and next to a name only across a space
            if keyword.iskeyword(left) or after.startswith("(") or not match.group("gap"):
                continue
            following = re.match(r"[A-Za-z_]\w*", after)
            if following and keyword.iskeyword(following.group(0)):
                continue
        elif left[0].isdigit() or left[0] == ".":
            if after[:1].isdigit() or after[:1] == ".":
                continue  # "1 2" is an implicit product too, but Python's message for it is already clear
        start = match.end() - len(match.group("gap"))
        fixed = text[:start].rstrip() + "*" + text[match.end():]
        shown = fixed.strip() if len(fixed) <= 80 else left + "*" + after[:20]
        right = re.match(r"[A-Za-z_]\w*|[\d.]+|\S", after).group(0)
        return ParseError(f"unexpected {right!r}: implicit multiplication is not supported; write a * between "
                          f"the factors, as in {shown!r}", text, match.end() + 1, width=len(right))
    return None


def _python_ast(text: str, source: str) -> ast.Expression:
    try:
        return ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        implicit = _implicit_product(text)
        if implicit is not None:
            raise implicit from None
        stripped = source.strip()
        reason = exc.msg
        if not exc.offset or exc.offset > len(stripped):  # Python points at nothing: the text stopped short
            column = len(text.rstrip()) + 1
            raise ParseError("the expression ends too early: an operand is missing at the end", text,
                             column) from None
        column = _original_column(text, stripped, exc.offset - 1, chars=True)
        if "too many nested parentheses" in reason or "too complex" in reason:
            raise ParseError("expression is nested too deeply", text, column) from None
        if reason == "invalid syntax":  # Python's least helpful message: say which token it stopped at
            token = stripped[exc.offset - 1:(exc.end_offset or exc.offset + 1) - 1].strip() or stripped[exc.offset - 1]
            raise ParseError(f"invalid syntax: unexpected {token!r}", text, column) from None
        raise ParseError(f"invalid syntax: {reason}", text, column) from None
    except (RecursionError, MemoryError):
        # Python's parser recurses once per level: a sum of ~3,000+ terms already counts as deep.
        raise ParseError(
            "expression is nested too deeply for Python's parser (about 3,000 levels, which a sum of "
            "3,000 terms already reaches); build very large expressions with dk.trace instead"
        ) from None


def _original_column(text: str, source: str, offset: int, chars: bool = False) -> int:
    """1-based column in the user's text of an offset into the (stripped, caret-replaced) source.

    ``ast`` reports UTF-8 byte offsets, ``SyntaxError`` characters; each ``**`` we wrote for a ``^`` shifts
    later columns by one, and leading blanks we stripped shift them back.
    """
    if not chars:
        offset = len(source.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))
    lead = len(text) - len(text.lstrip())
    original = lead
    i = 0
    # Walk the user's text and the source side by side.
    while i < offset and original < len(text):
        if text[original] == "^":
            i += 2
        else:
            i += 1
        original += 1
    return original + 1


def _suggest(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# Common functions that are not primitives, and how to write them with diffkit's functions.
WRITE_AS = {
    "asinh": "log(x + sqrt(x**2 + 1))", "arcsinh": "log(x + sqrt(x**2 + 1))",
    "acosh": "log(x + sqrt(x**2 - 1))", "arccosh": "log(x + sqrt(x**2 - 1))",
    "atanh": "0.5*log((1 + x)/(1 - x))", "arctanh": "0.5*log((1 + x)/(1 - x))",
    "sec": "1/cos(x)", "csc": "1/sin(x)", "cot": "1/tan(x)", "sech": "1/cosh(x)", "csch": "1/sinh(x)",
    "coth": "1/tanh(x)", "exp2": "2**x", "expm1": "exp(x) - 1", "log1p": "log(1 + x)",
    "hypot": "sqrt(x**2 + y**2)", "pow": "x**y", "square": "x**2", "logistic": "sigmoid(x)",
}


def _unknown_function_hint(name: str) -> str:
    """How to write a function diffkit lacks, or the function the name is close to, or the product it may be."""
    if name in WRITE_AS:
        return f": diffkit has no {name}; write it as {WRITE_AS[name]}"
    close = _suggest(name, FUNCTIONS)
    if close:
        return close
    return (f"; if {name} is a variable multiplied by what follows, write {name}*(...); "
            f"the functions are {', '.join(sorted(FUNCTIONS))}")


class _Converter:
    """Walks one ast iteratively (a post-order with an explicit stack, so deep nesting cannot recurse)."""

    def __init__(self, builder: GraphBuilder, text: str, source: str):
        self.builder = builder
        self.text = text
        self.source = source.strip()

    def fail(self, message: str, node: ast.AST) -> ParseError:
        start = getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", None) or start + 1
        column = _original_column(self.text, self.source, start)
        end_column = _original_column(self.text, self.source, end)
        return ParseError(message, self.text, column, width=max(1, end_column - column))

    def convert(self, tree: ast.Expression) -> str:
        done: dict[int, str] = {}  # id(ast node) -> graph node
        stack: list[tuple[ast.AST, bool]] = [(tree.body, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                done[id(node)] = self.build(node, done)
                continue
            children = self.children(node)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
        return done[id(tree.body)]

    def children(self, node: ast.AST) -> list[ast.AST]:
        """The operands to convert first, after checking the node is allowed at all."""
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                symbol = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
                raise self.fail(f"operator {symbol!r} is not supported (use + - * / ** or ^)", node)
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            if type(node.op) not in (ast.USub, ast.UAdd):
                symbol = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
                raise self.fail(f"operator {symbol!r} is not supported", node)
            return [node.operand]
        if isinstance(node, ast.Call):
            return self.check_call(node)
        if isinstance(node, ast.Name | ast.Constant):
            return []
        what = _DESCRIPTIONS.get(type(node), type(node).__name__)
        raise self.fail(f"{what} is not part of the expression language", node)

    def check_call(self, node: ast.Call) -> list[ast.AST]:
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Constant | ast.BinOp | ast.UnaryOp | ast.Call):  # 2(x+1), (x+1)(x-1)
                call_paren = self.source.index("(", node.func.end_col_offset)  # after the factor's own ")"
                start = _original_column(self.text, self.source, call_paren)
                fixed = self.text[:start - 1] + "*" + self.text[start - 1:]
                raise ParseError("implicit multiplication is not supported; write a * between the factors, "
                                 f"as in {fixed.strip()!r}", self.text, start)
            raise self.fail("only named functions can be called, like sin(x)", node.func)
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.fail(f"unknown function {name!r}{_unknown_function_hint(name)}", node.func)
        if node.keywords:
            raise self.fail(f"{name}() takes no keyword arguments", node.keywords[0].value)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.fail("starred arguments are not supported", arg)
        arity = FUNCTIONS[name].arity
        if len(node.args) != arity:
            plural = "s" if arity != 1 else ""
            raise self.fail(f"{name}() takes {arity} argument{plural}, got {len(node.args)}", node)
        return list(node.args)

    def build(self, node: ast.AST, done: dict[int, str]) -> str:
        b = self.builder
        if isinstance(node, ast.BinOp):
            return b.apply(PRIMITIVES[_BINARY[type(node.op)]], done[id(node.left)], done[id(node.right)])
        if isinstance(node, ast.UnaryOp):
            operand = done[id(node.operand)]
            if isinstance(node.op, ast.UAdd):
                return operand
            value = b.value_of(operand)
            if value is not None and isinstance(node.operand, ast.Constant):
                return b.constant(-value)  # a negative literal is a constant, not an operation
            return b.apply(PRIMITIVES["neg"], operand)
        if isinstance(node, ast.Call):
            return b.apply(FUNCTIONS[node.func.id], *[done[id(a)] for a in node.args])
        if isinstance(node, ast.Name):
            return self.name(node)
        return self.number(node)

    def name(self, node: ast.Name) -> str:
        name = node.id
        if name in CONSTANTS:
            return self.builder.constant(CONSTANTS[name])
        if name in FUNCTIONS:
            raise self.fail(f"{name!r} is a function; call it like {name}(x)", node)
        if name.startswith("__"):
            raise self.fail(f"name {name!r} is not allowed (no dunder names)", node)
        if len(name) > MAX_NAME:
            raise self.fail(f"variable name is {len(name):,} characters long; the limit is {MAX_NAME}", node)
        return self.builder.variable(name)

    def number(self, node: ast.Constant) -> str:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "complex number" if isinstance(value, complex) else type(value).__name__
            raise self.fail(f"{kind} literal is not supported; only real numbers", node)
        try:
            number = float(value)
        except OverflowError:
            raise self.fail("number is too large for a float", node) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise self.fail("number is too large for a float", node)
        return self.builder.constant(number)

