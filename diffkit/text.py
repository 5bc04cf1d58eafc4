"""Numbers and tables as plain text, the way diffkit prints them (the comparison table, the sweep table)."""

from __future__ import annotations

import numpy as np


def format_value(x) -> str:
    """A number to 10 significant digits; an array by its shape (``array(2, 3)``)."""
    array = np.asarray(x)
    if array.ndim == 0:
        return f"{float(array):.10g}"
    return f"array{array.shape}"


def text_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Left-aligned columns two spaces apart under a header and a rule of dashes, one line per row."""
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    return [line(header), "  ".join("-" * width for width in widths), *(line(row) for row in rows)]
