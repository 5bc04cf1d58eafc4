"""Progress bars for long loops (training, studies), loading tqdm only when a bar is made.

``tqdm.auto`` is not used: in a notebook without ipywidgets it warns (``TqdmWarning: IProgress not found``).
Here a notebook kernel with ipywidgets gets tqdm's widget bar; everything else gets the plain text bar, which by
default shows only on a terminal, so logs, CI and widget-less notebooks stay clean.
"""

from __future__ import annotations

import importlib.util
import sys

from . import options as check


def bar(iterable=None, *, progress: bool | None = None, **options):
    """A tqdm progress bar over ``iterable`` (or updated by hand: ``total=``); ``options`` go to tqdm.

    ``progress``: True always shows it, False never, None (the default) on a terminal or in a notebook that
    can show widgets.
    """
    progress = check.flag("progress", progress, allow_none=True, none_means="a bar on a terminal")
    if _in_notebook() and _has_widgets():
        from tqdm.notebook import tqdm as notebook_tqdm

        # The widget bar treats disable=None as "show"; only progress=False hides it.
        return notebook_tqdm(iterable, disable=progress is False, **options)
    from tqdm.std import tqdm

    # tqdm's disable=None: shown only when the output stream is a terminal.
    return tqdm(iterable, disable=None if progress is None else not progress, **options)


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (IPython is only inspected when something already imported it)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _has_widgets() -> bool:
    return importlib.util.find_spec("ipywidgets") is not None


__all__ = ["bar"]
