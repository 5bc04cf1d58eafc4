"""The import layers of DESIGN.md, enforced: pyproject's import-linter contract is kept, and it does catch an
upward import (checked on a copy of the package with one added)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter is in the test extra: pip install '.[test]'")

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(where: Path) -> subprocess.CompletedProcess:
    """Run import-linter's command on the checkout at ``where`` (its pyproject.toml holds the contract)."""
    script = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", script, "--no-cache"], cwd=where, capture_output=True,
                          text=True, env={"PYTHONPATH": str(where), "PATH": ""}, timeout=120)


def test_the_layers_flow_one_way():
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 kept, 0 broken" in run.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    shutil.copytree(ROOT / "diffkit", tmp_path / "diffkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    graph = tmp_path / "diffkit" / "graph.py"
    upward = "\n\ndef _upward():\n    from .api import gradient  # a lazy import counts too\n    return gradient\n"
    graph.write_text(graph.read_text() + upward)
    run = lint_imports(tmp_path)
    assert run.returncode != 0
    assert "diffkit.graph is not allowed to import diffkit.api" in run.stdout


def test_every_module_has_a_layer(tmp_path):
    """A new module must be placed in the contract (exhaustive), so nothing escapes the check."""
    shutil.copytree(ROOT / "diffkit", tmp_path / "diffkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "diffkit" / "newcomer.py").write_text('"""A module nobody placed."""\n')
    run = lint_imports(tmp_path)
    assert run.returncode != 0
    assert "newcomer" in run.stdout
