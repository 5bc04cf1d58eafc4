"""Record the old ast-based parser's verdicts (tests/golden/parse_graphs.json) for tests/test_parser_equivalence.py.

Run from the repository root with the old parser restored (it was removed once the reader matched it):
    git show 021f3e6:tests/ast_reference.py > tests/ast_reference.py
    PYTHONPATH=$PWD:tests python3 tests/golden/record_parse_graphs.py
Each entry: the text, and either a digest of its graph's structure or the error's (reason, column) (for the soups,
just that it is an error).
"""

import json
import random
import warnings

from ast_reference import parse_many as old_parse_many
from test_corpus import CORPUS
from test_fuzz_parse import HOSTILE_TOKENS, SEEDS
from test_parser_equivalence import CHOSEN_ERRORS, CHOSEN_GRAPHS, outcome, random_text


def soups(rng: random.Random, count: int) -> list[str]:
    short = tuple(t for t in HOSTILE_TOKENS if len(t) < 50)  # the long ones would make a large file
    tokens = short + ("x", "+", "(", ")", "sin(", ",", "*", "-", "2")
    texts = []
    for k in range(count):
        if k % 2:
            texts.append(" ".join(rng.choice(tokens) for _ in range(rng.randint(1, 8))))
        else:
            text = rng.choice(SEEDS)
            i = rng.randrange(len(text))
            texts.append(text[:i] + rng.choice(tokens) + text[i + rng.randint(0, 2):])
    return texts


def main() -> None:
    warnings.simplefilter("ignore")  # Python's SyntaxWarnings on text like 2(x)
    rng = random.Random(20261203)
    groups = {
        "corpus": [entry.expr for entry in CORPUS],
        "chosen graphs": list(CHOSEN_GRAPHS),
        "random trees": [random_text(rng) for _ in range(2000)],
        "chosen errors": list(CHOSEN_ERRORS),
        "soups and mutations": soups(rng, 4000),
    }
    recorded = {name: [[text, *outcome(old_parse_many, [text])] for text in texts] for name, texts in groups.items()}
    for entry in recorded["soups and mutations"]:
        if entry[1] == "error":
            entry[2] = None  # only the verdict is compared there (messages are long: a hint lists every function)
    shared = [entry.expr for entry in CORPUS[:20]]
    recorded["one graph of 20 corpus expressions"] = [[shared, *outcome(old_parse_many, shared)]]
    with open("tests/golden/parse_graphs.json", "w") as f:  # one entry a line, for readable diffs
        f.write("{\n" + ",\n".join(
            json.dumps(group) + ": [\n" + ",\n".join(json.dumps(entry) for entry in entries) + "\n]"
            for group, entries in recorded.items()) + "\n}\n")


if __name__ == "__main__":
    main()
