"""Reading the project's CSV files (subscribers, suppressions) with errors naming the line."""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from newsletter.errors import ContentError


def csv_rows(
    text: str | Iterable[str],
    path: Path,
    *,
    required: Collection[str],
    allowed: Collection[str],
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row with stripped values) for each data row of ``text``.

    ``text`` is the whole file or an iterable of its lines (streamed: see ``file_lines``).
    The header must hold every ``required`` column and only ``allowed`` ones; a row with
    more fields than the header, or a CSV syntax error, is a ContentError naming the line.
    """
    lines = text.splitlines(keepends=True) if isinstance(text, str) else text
    reader = csv.DictReader(lines, strict=True)
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


def file_lines(path: Path) -> Iterator[str]:
    """The lines of the UTF-8 file at ``path``, read as they are needed (any size of file).

    OS and decoding errors become ContentError naming the file, and the line for bytes
    that are not UTF-8. A byte-order mark (spreadsheet exports) is dropped.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise ContentError("file not found", path=path) from None
    except OSError as exc:
        raise ContentError(f"cannot read: {exc.strerror}", path=path) from None
    with handle:
        # Bytes are decoded line by line (not by the file's own decoder, which reads ahead
        # in chunks) so a bad byte is reported on its own line.
        for number, raw in enumerate(handle, start=1):
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise ContentError(
                    f"not UTF-8 text (byte {exc.start} of the line)", path=path, line=number
                ) from None
