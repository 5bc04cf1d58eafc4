"""A JSON-lines file that a long run appends each finished record to, so that an interrupted run resumes.

The first line is a header naming what the records are for (a cross-check's point, its expressions); each later
line is one record. A run cut off mid-line leaves a partial last line: it is dropped when the file is opened
again, and the record is computed anew.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import BindingError


class Journal:
    """Records already in ``path`` (``done``), and ``append`` for new ones; ``header`` must match the file's."""

    def __init__(self, path, header: dict):
        self.path = Path(path)
        self.done: list[dict] = []
        if self.path.exists() and self.path.stat().st_size > 0:
            self._read(header)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 — closed by close()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
            self._write(header)

    def _read(self, header: dict) -> None:
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        complete, tail = lines[:-1], lines[-1]  # the tail is empty when the file ends in a newline
        where = f"{str(self.path)!r}"
        try:
            found = json.loads(complete[0]) if complete else None
        except (ValueError, UnicodeDecodeError):
            found = None
        if not isinstance(found, dict) or "diffkit" not in found:
            raise BindingError(f"{where} is not a file diffkit wrote for this run (its first line is not a diffkit "
                               "header): give another output file")
        if found != header:
            raise BindingError(f"{where} holds results of another run ({_differences(found, header)}): give another "
                               "output file, or delete it to start over")
        for number, line in enumerate(complete[1:], start=2):
            try:
                self.done.append(json.loads(line))
            except (ValueError, UnicodeDecodeError):
                raise BindingError(f"{where} line {number} is not a JSON record: the file was changed by hand; "
                                   "give another output file, or delete it to start over") from None
        if tail:  # a record cut off mid-write: drop it, it is computed again
            with open(self.path, "r+b") as file:
                file.truncate(len(raw) - len(tail))

    def _write(self, record: dict) -> None:
        self._file.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
        self._file.flush()  # on disk as soon as it is done: a killed run keeps it

    def append(self, record: dict) -> None:
        self._write(record)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _differences(found: dict, wanted: dict) -> str:
    keys = [k for k in dict.fromkeys([*found, *wanted]) if found.get(k) != wanted.get(k)]
    return "; ".join(f"{k}: {_short(found.get(k))} there, {_short(wanted.get(k))} now" for k in keys[:2])


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def writable(path) -> None:
    """Refuse an output path in a folder that cannot be written, before any work is done."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise BindingError(f"{str(path)!r} is a folder: give a file name for the results, e.g. results.jsonl")
    if os.path.exists(folder) and not os.access(folder, os.W_OK):
        raise BindingError(f"cannot write into {folder!r}: give an output file in a folder you can write")
