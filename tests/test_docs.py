"""Every code block in the README and the documentation runs, and the documentation site builds cleanly.

A page's fenced blocks run in order in one namespace, in a fresh working directory, by their language:

- ``python``: executed;
- ``pycon``: a doctest (``...`` matches anything, whitespace is normalized), so shown output is checked;
- ``console``: each ``$ diffkit ...`` (or ``python3 -m diffkit ...``, ``python3 examples/...``) line is run and the
  lines after it are its expected output, matched like a doctest;
- ``bash``: set-up commands only (``pip install``, ``venv``, the README's demo command): ``.ci/run`` runs the
  install and test commands, tests/test_demo_folder.py the demo; here they are checked to be nothing else;
- ``text``: output or a drawing, not run.

A block in any other language, or with none, fails the test: nothing is left unchecked by accident.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import importlib.util
import io
import os
import pkgutil
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import diffkit
from diffkit import cli

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
SETUP_COMMAND = re.compile(r"^(python3 -m (pip install|venv)|\. \.venv/bin/activate|source \.venv/bin/activate|cd )")


# Any line that opens or closes a fence, however indented (in a list, an admonition) and with ``` or ~~~: the
# pages must use only the top-level ``` fences FENCE reads, or a block could be rendered and never run.
ANY_FENCE = re.compile(r"^[ \t]*(```|~~~)", re.M)


def blocks(page: Path) -> list[tuple[str, str, int]]:
    """(language, code, line number) for each fenced block of a page; fails on a fence FENCE would not read."""
    text = page.read_text(encoding="utf-8")
    found = [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]
    fences = len(ANY_FENCE.findall(text))
    assert fences == 2 * len(found), (f"{page.name}: {fences} fence lines but {len(found)} top-level ``` blocks: "
                                      "an indented or ~~~ block would be rendered and never run")
    return found


def run_console(code: str, where: str) -> None:
    """Run the ``$`` lines of a console block; the lines after each are its expected output. Expected output
    that starts with ``diffkit: error:`` is an error: exit status 2 and that text on stderr."""
    commands: list[tuple[str, list[str]]] = []
    for line in code.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif commands:
            commands[-1][1].append(line)
        elif line.strip():
            raise AssertionError(f"{where}: console block starts with output, not a $ command: {line!r}")
    checker = doctest.OutputChecker()
    for command, expected in commands:
        expected = ["" if line.strip() == "<BLANKLINE>" else line for line in expected]  # as in doctests
        want = "\n".join(expected).strip() + "\n" if any(e.strip() for e in expected) else ""
        failing = want.startswith("diffkit: error:")
        status, out, err = run_command(command, where)
        assert status == (2 if failing else 0), f"{where}: `{command}` exited with {status}:\n{err}"
        got = err if failing else out
        if want and not checker.check_output(want, got.strip() + "\n", FLAGS):
            raise AssertionError(f"{where}: `{command}` printed\n{got}\nexpected\n{want}")


def run_command(command: str, where: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of a diffkit command (run in-process) or an example script."""
    argv = shlex.split(command, comments=True)  # a trailing "# needs: ..." is a note to the reader
    if argv[:3] == ["python3", "-m", "diffkit"]:
        argv = ["diffkit", *argv[3:]]
    if argv[0] == "diffkit":
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = cli.main(argv[1:])
            except SystemExit as stop:  # --help, and argparse's own usage errors
                status = stop.code if isinstance(stop.code, int) else 0
        return status, out.getvalue(), err.getvalue()
    if argv[0] == "python3" and len(argv) > 1 and argv[1].startswith("examples/"):
        script = ROOT / argv[1]
        done = subprocess.run([sys.executable, str(script), *argv[2:]], capture_output=True, text=True, timeout=300)
        return done.returncode, done.stdout, done.stderr
    raise AssertionError(f"{where}: console blocks run diffkit or an example, not {command!r}")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_code_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "__docs__"}
    skipped = []
    found = blocks(page)
    # A page whose code starts a Dask cluster (it says "diffkit[distributed]" where it imports distributed) is
    # one session: without the extra, none of it can run.
    if importlib.util.find_spec("distributed") is None and any(
            'diffkit[distributed]"' in code for language, code, _ in found if language in ("python", "pycon")):
        pytest.skip("needs the distributed extra (pip install '.[distributed]'; CI installs it)")
    for language, code, line in found:
        where = f"{page.relative_to(ROOT) if page.is_relative_to(ROOT) else page.name}:{line}"
        if 'diffkit[datasets]"' in code and importlib.util.find_spec("sklearn") is None:
            skipped.append(where)  # the page's other blocks still run
            continue
        if language == "python":
            exec(compile(code, where, "exec"), namespace)  # noqa: S102 — our own documentation, not user input
        elif language == "pycon":
            test = doctest.DocTestParser().get_doctest(code, namespace, where, str(page), line)
            assert test.examples, f"{where}: a pycon block without a >>> line checks nothing"
            runner = doctest.DocTestRunner(optionflags=FLAGS)
            report = io.StringIO()
            runner.run(test, out=report.write, clear_globs=False)
            assert runner.failures == 0, report.getvalue()
            namespace.update(test.globs)  # a doctest runs in a copy: keep its names for the page's next blocks
        elif language == "console":
            run_console(code, where)
        elif language == "bash":
            for command in filter(str.strip, code.splitlines()):
                command = command.split("#")[0].strip()
                for part in command.split("&&"):
                    part = part.strip()
                    assert SETUP_COMMAND.match(part) or part == "python3 -m pytest" or part.startswith(
                        "python3 -m diffkit"), f"{where}: a bash block holds set-up commands only, not {part!r}"
        elif language != "text":
            raise AssertionError(f"{where}: a code block needs a language: python, pycon, console, bash or text")
    if skipped:
        pytest.skip(f"not run without scikit-learn (pip install '.[datasets]'; CI installs it): {', '.join(skipped)}")


MODULES = sorted(
    name for _, name, _ in pkgutil.walk_packages(diffkit.__path__, "diffkit.") if not name.endswith("__main__")
)


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module, tmp_path, monkeypatch):
    """The examples in docstrings, which the API reference shows, are doctests."""
    monkeypatch.chdir(tmp_path)
    tests = doctest.DocTestFinder().find(importlib.import_module(module))
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = io.StringIO()
    for test in tests:
        runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()


def test_readme_commands_are_the_ones_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = blocks(ROOT / "README.md")[0]
    assert first[0] == "bash" and readme.index("```bash") < readme.index("\n## "), "README opens with its commands"
    test_command = next(line for line in first[1].splitlines() if "pytest" in line).split("#")[0].strip()
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("mkdocs") is None and importlib.util.find_spec("mkdocs") is None,
                    reason="mkdocs is not installed (pip install '.[docs]')")
def test_site_builds_with_warnings_as_errors(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "reference" / "verbs" / "index.html").exists()


def test_the_harness_sees_every_block(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("- a list item\n\n    ```python\n    raise SystemExit\n    ```\n\n```python\nx = 1\n```\n")
    with pytest.raises(AssertionError, match="never run"):  # an indented block would be rendered, not run
        blocks(page)
    page.write_text("~~~python\nraise SystemExit\n~~~\n")
    with pytest.raises(AssertionError, match="never run"):
        blocks(page)
    page.write_text("```pycon\n2 + 2\n```\n")  # no >>>: nothing to check
    with pytest.raises(AssertionError, match="checks nothing"), pytest.MonkeyPatch.context() as patch:
        test_code_blocks_run(page, tmp_path, patch)
