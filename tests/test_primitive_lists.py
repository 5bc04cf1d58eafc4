"""What is listed by hand follows the primitive table: the function names documented in docs/conventions.md and
the random-expression grammar's matrix (tests/grammar.py) name every function an expression may call."""

import re
from pathlib import Path

from diffkit.ops import FUNCTIONS

ROOT = Path(__file__).resolve().parents[1]


def documented_functions() -> set[str]:
    """The names in the conventions page's rows of functions (the rows of the grammar table that list them)."""
    names = set()
    for line in (ROOT / "docs" / "conventions.md").read_text(encoding="utf-8").splitlines():
        cells = line.split("|")
        if len(cells) > 2 and ("elementwise functions" in cells[2] or "piecewise functions" in cells[2]):
            names |= set(cells[1].strip().strip("`").split())
    return names


def test_the_conventions_page_lists_exactly_the_functions():
    documented = documented_functions()
    assert documented, "the conventions page's function rows were not found"
    assert documented == set(FUNCTIONS), (f"undocumented: {sorted(set(FUNCTIONS) - documented)}; "
                                          f"not functions: {sorted(documented - set(FUNCTIONS))}")


def test_the_random_expression_grammar_covers_every_function():
    grammar = (ROOT / "tests" / "grammar.py").read_text(encoding="utf-8")
    missing = sorted(name for name in FUNCTIONS if not re.search(rf"\b{name}\(", grammar))
    assert not missing, f"tests/grammar.py has no template calling {', '.join(missing)}"
