"""Every counted Cost figure of the golden corpus is what ``tests/golden/costs.json`` recorded.

The file was written by ``tests/golden/record_costs.py`` before the execution core's rebuild; a change that
alters a counted figure (operations, flops, sweeps, evaluations, memory, expression sizes) fails here with the
request and the figure named. A change meant to alter costs re-records the file and says why in its commit.
"""

import json
import sys
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(GOLDEN_DIR))

import record_costs  # noqa: E402

pytestmark = pytest.mark.slow  # about a minute: the whole corpus four ways, the study families, the MLPs


def test_the_golden_file_covers_the_corpus():
    golden = json.loads(record_costs.GOLDEN.read_text())
    labels = [label for label, *_ in record_costs.requests()]
    assert sorted(golden) == sorted(labels)


def test_every_counted_figure_is_unchanged():
    golden = json.loads(record_costs.GOLDEN.read_text())
    changed = []
    for label, verb, expr, at, options in record_costs.requests():
        for method in record_costs.methods_for(label):
            now = json.loads(json.dumps(record_costs._attempt(verb, expr, at, method, **options)))
            before = golden[label][method]
            if now != before:
                fields = sorted(k for k in set(now) | set(before) if now.get(k) != before.get(k))
                changed.append(f"{label} [{method}]: {', '.join(fields)}")
    assert not changed, f"{len(changed)} counted figures changed:\n" + "\n".join(changed[:30])
