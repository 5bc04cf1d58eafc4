"""The Figure every diffkit picture is drawn on: a matplotlib Figure that Jupyter shows as its picture.

A Figure made without pyplot has no display of its own in a notebook (IPython only registers one for Figures
once ``%matplotlib inline`` or pyplot has set up the inline backend), so ``dk.draw(...)`` at the end of a cell
would print ``<Figure size ...>``. ``_repr_png_`` makes it show the picture with no setup. Imported only by
``style.figure``, when the first picture is drawn, so that ``import diffkit`` does not load matplotlib.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure as _MatplotlibFigure


class Figure(_MatplotlibFigure):
    """A ``matplotlib.figure.Figure`` with a PNG for Jupyter's rich display; otherwise the same."""

    def _repr_png_(self) -> bytes:
        """The picture as PNG bytes, as ``savefig(path.png)`` writes it."""
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi="figure")  # style.figure made it at style.DPI
        return buffer.getvalue()


__all__ = ["Figure"]
