"""Rows of another tool's CSV export, numbered by the line each starts on.

The separator is the one the header uses most (``,``; ``;`` from a spreadsheet in a
locale that writes decimal commas; a tab). A row with more cells than the header,
or with a stray quote, is handed on as a problem for its line, so one broken row is refused
while the rest goes on; a quote left open swallows the rest of the file into the row it
opens on, which is refused saying so.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from newsletter.audience.importing.inputs import Input, text_lines
from newsletter.csvfile import MAX_FIELD
from newsletter.errors import ContentError

SEPARATORS = ",;\t"

csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD))


class Table:
    """The header of a CSV export, then its rows: ``for line, cells, problem in table``.

    ``cells`` has exactly as many values as the header (missing ones blank), stripped;
    ``problem`` is "" or why the row cannot be read as the header says.
    """

    def __init__(self, source: Input, encoding: str) -> None:
        self.source = source
        self._lines = text_lines(source, encoding)
        first = next(self._lines, "")
        self.separator = _separator(first)
        self._reader = csv.reader(_chain(first, self._lines), delimiter=self.separator, strict=True)
        try:
            self.header = [cell.strip() for cell in next(self._reader, [])]
        except csv.Error as exc:
            raise ContentError(f"malformed CSV header: {exc}", path=source.name, line=1) from None
        if not any(self.header):
            raise ContentError(
                "no header row (the first line names the columns)", path=source.name, line=1
            )

    def __iter__(self) -> Iterator[tuple[int, list[str], str]]:
        reader, width = self._reader, len(self.header)
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # the reader starts afresh on the next line
                line, start = start, reader.line_num + 1
                yield line, [], _quoting_problem(str(exc))
                continue
            line, start = start, reader.line_num + 1
            if len(cells) > width:
                yield line, [], f"{len(cells)} cells, but the header names {width} columns"
                continue
            stripped = [c.strip() for c in cells]
            if any(stripped):  # else a blank line, or a row of blank cells
                yield line, stripped + [""] * (width - len(cells)), ""


def _quoting_problem(error: str) -> str:
    if "unexpected end of data" in error:
        return "a quote opened on this line is never closed: the rest of the file is in this row"
    return f"malformed CSV: {error}"


def _separator(header_line: str) -> str:
    outside_quotes = header_line.split('"')[::2]
    counts = {s: sum(part.count(s) for part in outside_quotes) for s in SEPARATORS}
    best = max(SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] else ","


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest
