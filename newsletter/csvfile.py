"""Reading the project's CSV files (subscribers, suppressions) with errors naming the line."""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterator
from pathlib import Path

from newsletter.errors import ContentError


def csv_rows(
    text: str, path: Path, *, required: Collection[str], allowed: Collection[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row with stripped values) for each data row of ``text``.

    The header must hold every ``required`` column and only ``allowed`` ones; a row with
    more fields than the header, or a CSV syntax error, is a ContentError naming the line.
    """
    reader = csv.DictReader(text.splitlines(keepends=True), strict=True)
    try:
        header = [c.strip() for c in reader.fieldnames or []]
        reader.fieldnames = header
        missing = [c for c in required if c not in header]
        if missing:
            raise ContentError(f"missing column(s): {', '.join(missing)}", path=path, line=1)
        unknown = [c for c in header if c not in allowed]
        if unknown:
            raise ContentError(f"unknown column(s): {', '.join(unknown)}", path=path, line=1)
        for row in reader:
            line = reader.line_num
            if None in row:
                raise ContentError("more fields than the header has", path=path, line=line)
            yield line, {k: (v or "").strip() for k, v in row.items()}
    except csv.Error as exc:
        raise ContentError(f"malformed CSV: {exc}", path=path, line=reader.line_num) from None
