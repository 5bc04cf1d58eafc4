"""Numbers and tables the way diffkit prints them (the comparison table, the sweep table): as plain text, and as
HTML for Jupyter's rich display (``_repr_html_``)."""

from __future__ import annotations

from html import escape

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


def html_table(header: list[str], rows: list[list[str]], caption: str = "", notes: list[str] = ()) -> str:
    """The same table as HTML for Jupyter: a ``caption`` above, ``notes`` below, every piece of text escaped."""
    columns = len(header)
    parts = ["<table>"]
    if caption:
        parts.append(f'<caption style="text-align: left">{escape(caption)}</caption>')
    parts.append("<thead><tr>" + "".join(f"<th>{escape(cell)}</th>" for cell in header) + "</tr></thead>")
    parts.append("<tbody>")
    parts += ["<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows]
    parts.append("</tbody>")
    if notes:
        parts.append("<tfoot>")
        parts += [f'<tr><td colspan="{columns}" style="text-align: left">{escape(note)}</td></tr>' for note in notes]
        parts.append("</tfoot>")
    parts.append("</table>")
    return "\n".join(parts)
