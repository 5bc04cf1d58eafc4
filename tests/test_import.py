"""`import diffkit` stays light: matplotlib and tqdm load only when a picture or a progress bar is made."""

import json
import os
import subprocess
import sys
import types
import warnings

from diffkit import progress


def _modules_after(code: str) -> set[str]:
    """Top-level packages in sys.modules after running ``code`` in a fresh interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_import_diffkit_loads_no_matplotlib_and_no_tqdm():
    loaded = _modules_after("import diffkit")
    assert "diffkit" in loaded
    assert "matplotlib" not in loaded
    assert "tqdm" not in loaded


def test_drawing_loads_matplotlib_when_first_used():
    loaded = _modules_after("import diffkit as dk\nfig = dk.draw('x*y + sin(x)')\nassert fig.axes")
    assert "matplotlib" in loaded


def test_dk_draw_stays_the_function_after_the_draw_subpackage_is_imported():
    import importlib

    import diffkit as dk
    from diffkit.draw import draw_mlp

    dag = importlib.import_module("diffkit.draw.dag")  # a submodule import must not rebind dk.draw to the package
    assert callable(dk.draw) and dk.draw is dag.draw
    assert draw_mlp is dk.draw_mlp


def test_progress_bar_is_the_plain_text_bar_outside_a_notebook():
    from tqdm.std import tqdm

    with progress.bar(range(3), progress=False) as bar:
        assert type(bar) is tqdm and bar.disable
        assert list(bar) == [0, 1, 2]
    with progress.bar(total=2, progress=True, file=open(os.devnull, "w")) as bar:
        assert not bar.disable


def test_progress_bar_in_a_notebook_without_widgets_is_the_plain_bar(monkeypatch):
    """tqdm.auto would warn here ("IProgress not found"); diffkit's bar does not."""
    from tqdm.std import tqdm

    class ZMQInteractiveShell:  # what get_ipython() returns in a Jupyter kernel
        pass

    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=ZMQInteractiveShell))
    monkeypatch.setattr(progress, "_has_widgets", lambda: False)
    assert progress._in_notebook()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bar = progress.bar(range(2))
    assert type(bar) is tqdm


def test_progress_bar_in_a_notebook_with_widgets_is_the_widget_bar(monkeypatch):
    class ZMQInteractiveShell:
        pass

    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=ZMQInteractiveShell))
    monkeypatch.setattr(progress, "_has_widgets", lambda: True)
    made = {}

    class FakeNotebookBar:
        def __init__(self, iterable, **options):
            made.update(options, iterable=iterable)

    monkeypatch.setitem(sys.modules, "tqdm.notebook", types.SimpleNamespace(tqdm=FakeNotebookBar))
    assert isinstance(progress.bar(range(2), desc="training"), FakeNotebookBar)
    assert made["disable"] is False and made["desc"] == "training"
    progress.bar(range(2), progress=False)
    assert made["disable"] is True
