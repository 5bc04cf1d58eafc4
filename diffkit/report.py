"""A report that prints as it goes and, given a folder, also writes its tables, pictures and an index there.

The demo builds one: sections of text, tables (printed, and written as .txt and .csv), pictures (written only)
and an ``index.html`` / ``index.md`` listing them in order, so the folder reads like the terminal output with
the pictures in place.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .errors import BindingError

_STYLE = ("body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222}"
          "pre{background:#f6f6f6;padding:.8em;overflow-x:auto}img{max-width:100%;border:1px solid #ddd}"
          "figcaption{color:#555;font-size:.9em;margin-bottom:1.5em}")


MARKER = ".diffkit-report"  # in an output folder: the names of the files the report wrote there


class Report:
    """Sections, text, tables and pictures: printed through ``out``, and written into ``directory`` if given."""

    def __init__(self, out: Callable[[str], object] = print, directory=None):
        self.out = out
        self.directory = None if directory is None else Path(directory)
        self.blocks: list[tuple] = []  # (kind, ...) in order, for the index
        self.files: list[Path] = []
        if self.directory is not None:
            self._claim(self.directory)

    @staticmethod
    def _claim(directory: Path) -> None:
        """Make the folder ready: new, empty, or a report's own earlier output (whose files are removed, so no
        stale picture outlives its index). Anything else in it is the user's, and is left alone."""
        if directory.exists() and not directory.is_dir():
            raise BindingError(f"the output folder {str(directory)!r} is a file")
        directory.mkdir(parents=True, exist_ok=True)
        marker = directory / MARKER
        present = {p.name for p in directory.iterdir()}
        earlier = set(marker.read_text(encoding="utf-8").split()) if marker.is_file() else set()
        foreign = present - earlier - {MARKER}
        if foreign:
            shown = ", ".join(sorted(foreign)[:3]) + (", ..." if len(foreign) > 3 else "")
            raise BindingError(f"the output folder {str(directory)!r} holds other files ({shown}); choose a new or "
                               "empty folder")
        for name in earlier & present:
            (directory / name).unlink()

    @property
    def writing(self) -> bool:
        return self.directory is not None

    def section(self, title: str, note: str = "") -> None:
        self.out(f"=== {title} ===")
        if note:
            self.out(note)
        self.out("")
        self.blocks.append(("section", title, note))

    def text(self, text: str, files: tuple[Path, ...] = ()) -> None:
        """Printed text; ``files`` already written (see ``save``) are linked under it in the index."""
        self.out(text)
        self.out("")
        self.blocks.append(("text", text, list(files)))

    def table(self, name: str, text: str, rows: list[dict]) -> None:
        """A table printed as ``text``; written as ``name.txt`` and its ``rows`` as ``name.csv``."""
        self.out(text)
        self.out("")
        files = []
        if self.writing:
            files = [self.save(f"{name}.txt", lambda path: Path(path).write_text(text + "\n", encoding="utf-8")),
                     self.save(f"{name}.csv", lambda path: write_rows(path, rows))]
        self.blocks.append(("table", text, files))

    def picture(self, filename: str, caption: str, make: Callable[[Path], object]) -> None:
        """Write a picture by calling ``make(path)``; nothing is printed but its name."""
        path = self.save(filename, make)
        self.out(f"wrote {path}")
        self.blocks.append(("picture", path.name, caption))

    def save(self, filename: str, write: Callable[[Path], object]) -> Path:
        """Call ``write(path)`` for a file in the folder and remember it."""
        path = self.directory / filename
        write(path)
        self.files.append(path)
        return path

    def finish(self, title: str) -> None:
        """Write ``index.md`` and ``index.html``: every block in order, pictures in place, tables linked."""
        markdown = [f"# {title}", ""]
        page = [f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>",
                f"<style>{_STYLE}</style><h1>{html.escape(title)}</h1>"]
        for kind, *content in self.blocks:
            if kind == "section":
                heading, note = content
                markdown += [f"## {heading}", "", note, ""] if note else [f"## {heading}", ""]
                page.append(f"<h2>{html.escape(heading)}</h2>" + (f"<p>{html.escape(note)}</p>" if note else ""))
            elif kind in ("text", "table"):
                text, files = content
                links = [p.name for p in files]
                markdown += ["```text", text, "```", ""]
                if links:
                    markdown += [" · ".join(f"[{name}]({name})" for name in links), ""]
                page.append(f"<pre>{html.escape(text)}</pre>")
                if links:
                    page.append("<p>" + " · ".join(f"<a href='{n}'>{n}</a>" for n in links) + "</p>")
            else:
                name, caption = content
                markdown += [f"![{caption}]({name})", "", f"*{caption}*", ""]
                page.append(f"<figure><img src='{name}' alt='{html.escape(caption)}'>"
                            f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        self.save("index.md", lambda path: Path(path).write_text("\n".join(markdown), encoding="utf-8"))
        self.save("index.html", lambda path: Path(path).write_text("\n".join(page) + "\n", encoding="utf-8"))
        # what this report wrote, so that running it again into the same folder may replace exactly that
        (self.directory / MARKER).write_text("\n".join(p.name for p in self.files) + "\n", encoding="utf-8")
        self.out(f"open {self.directory / 'index.html'} (or index.md): {len(self.files)} files")


def write_rows(path, rows: list[dict]) -> None:
    """Rows of plain values as CSV (arrays written as nested lists)."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=names)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: np.asarray(v).tolist() if isinstance(v, np.ndarray) else v for k, v in row.items()})
