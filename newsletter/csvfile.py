"""The project's CSV files: reading them with errors naming the real line, and writing CSV
that people open in spreadsheets without running what a stranger typed.

Two kinds of CSV leave the tool. Ledgers it reads back itself (referrals.csv, rewards.csv,
suppressions.csv) keep every value exactly as given. Files made for people or other
programs (reports, the print shop's mailing list) go through :func:`spreadsheet_csv`,
which neutralizes cells a spreadsheet would take for a formula (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from newsletter.errors import ContentError

BYTE_ORDER_MARK = "\ufeff"
"""What Excel's "CSV UTF-8" puts before the header; every reader here takes it."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""What a spreadsheet may read as the start of a formula: OWASP's list, plus the full-width
forms of = + - @ that some spreadsheets also accept."""
MAX_FIELD = 16 * 1024 * 1024
"""Characters the CSV parser takes in one value (its default, 131,072, is global to the
process). Loaders set their own, far smaller limits and say which value is too long and
how to shorten it; this one only bounds memory for a file that is not CSV at all."""

csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD))


def csv_rows(
    text: str | Iterable[str],
    path: Path,
    *,
    required: Collection[str],
    allowed: Collection[str],
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row with stripped values) for each data row of ``text``.

    ``text`` is the whole file or an iterable of its lines (streamed: see ``file_lines``);
    lines end at ``\\n`` only, as in the file. The header must hold every ``required``
    column and only ``allowed`` ones, each once; a row with more fields than the header,
    or a CSV syntax error, is a ContentError naming the line. A row's line is the line it
    starts on, also when a quoted value runs over several lines.
    """
    records = csv_records(text, path, required=required, allowed=allowed)
    _, header = next(records)
    for line, cells in records:
        yield line, dict(zip(header, cells, strict=True))


def csv_records(
    text: str | Iterable[str],
    path: Path,
    *,
    required: Collection[str],
    allowed: Collection[str],
) -> Iterator[tuple[int, list[str]]]:
    """As :func:`csv_rows`, but each row as its list of stripped cells, as many as the
    header has (missing trailing cells are empty), after the header itself as line 1: for
    a reader that looks cells up by position (the send reads every row of a long list)."""
    if isinstance(text, str):
        lines: Iterable[str] = io.StringIO(text.removeprefix(BYTE_ORDER_MARK), newline="\n")
    else:
        rest = iter(text)
        first = next(rest, "")
        lines = itertools.chain([first.removeprefix(BYTE_ORDER_MARK)], rest)
    reader = csv.reader(lines, strict=True)
    start = 1  # the line the record being read starts on
    try:
        header = [c.strip() for c in next(reader, [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise ContentError(f"missing column(s): {', '.join(missing)}", path=path, line=1)
        unknown = [c for c in header if c not in allowed]
        if unknown:
            raise ContentError(f"unknown column(s): {', '.join(unknown)}", path=path, line=1)
        repeated = list(dict.fromkeys(c for i, c in enumerate(header) if c in header[:i]))
        if repeated:
            # A row would hold two values for one column, and the later would win unseen.
            raise ContentError(f"column(s) given twice: {', '.join(repeated)}", path=path, line=1)
        yield 1, header
        start = reader.line_num + 1
        width, strip = len(header), str.strip
        for cells in reader:
            line, start = start, reader.line_num + 1
            count = len(cells)
            if count == width:  # the common row: this runs per row
                yield line, list(map(strip, cells))
                continue
            if not cells:
                continue  # a blank line
            if count > width:
                raise ContentError("more fields than the header has", path=path, line=line)
            yield line, [*map(strip, cells), *[""] * (width - count)]
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            limit = csv.field_size_limit()
            raise ContentError(
                f"a value that starts on this line is longer than {limit:,} characters; "
                "shorten it in the file",
                path=path,
                line=start,
            ) from None
        raise ContentError(f"malformed CSV: {exc}", path=path, line=reader.line_num) from None


def file_lines(path: Path, *, start: int = 0, stop: int | None = None) -> Iterator[str]:
    """The lines of the UTF-8 file at ``path``, read as they are needed (any size of file).

    OS and decoding errors become ContentError naming the file, and the line for bytes
    that are not UTF-8. A byte-order mark (spreadsheet exports) is dropped. ``start`` and
    ``stop`` (byte offsets at the start of a line) read only the lines between them; line
    numbers in errors then count from ``start``.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise ContentError("file not found", path=path) from None
    except OSError as exc:
        raise ContentError(f"cannot read: {exc.strerror}", path=path) from None
    with handle:
        handle.seek(start)
        left = -1 if stop is None else stop - start  # bytes still to read; -1: all
        # Bytes are decoded line by line (not by the file's own decoder, which reads ahead
        # in chunks) so a bad byte is reported on its own line.
        for number, raw in enumerate(handle, start=1):
            if left >= 0:
                if left == 0:
                    return
                left -= len(raw)
            try:
                yield raw.decode("utf-8-sig" if number == 1 and not start else "utf-8")
            except UnicodeDecodeError as exc:
                raise ContentError(
                    f"not UTF-8 text (byte {exc.start} of the line)", path=path, line=number
                ) from None


# ---- writing ----------------------------------------------------------------------------


def ledger_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV for a file the tool reads back: every value exactly as given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def neutralized(cell: str) -> str:
    """``cell`` as a spreadsheet should show it: a leading ``'`` keeps a value that starts
    like a formula (``=HYPERLINK(…)``, ``+1…``, ``@SUM(…)``) from being run as one."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def spreadsheet_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV for people and other programs (reports, mail merge): every cell neutralized and
    quoted, so neither a formula nor a separator of another locale (``;``) gets through.

    It starts with a byte-order mark: without one, Excel and LibreOffice read UTF-8 as
    their legacy code page and a mail merge prints "MarÃ­a" for "María"."""
    out = io.StringIO()
    out.write(BYTE_ORDER_MARK)
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow([neutralized(str(c)) for c in header])
    writer.writerows([neutralized(str(c)) for c in row] for row in rows)
    return out.getvalue()


def header_of(text: str) -> list[str]:
    """The column names of the CSV file ``text`` (or of its first line alone), stripped,
    without a byte-order mark; [] for an empty file."""
    first_line = text.removeprefix(BYTE_ORDER_MARK).partition("\n")[0]
    return [c.strip() for c in next(csv.reader([first_line]), [])]


def appended_csv(text: str, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> str:
    """``text`` (a whole CSV file, or "" for a new one) with ``rows`` added at the end.

    The rows go under the file's own header. A column of ``columns`` that the header lacks
    is added at its end when a new row has a value for it: the older rows, which then have
    fewer fields than the header, read as blank there, and every byte of them is kept.
    """
    header_line, _, rest = text.partition("\n")
    header = header_of(header_line)
    rows = list(rows)
    grown = [*header, *(c for c in columns if c not in header and any(r.get(c) for r in rows))]
    if not header:
        grown, rest = list(columns), ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if grown != header:
        writer.writerow(grown)
    else:
        out.write(header_line + "\n")
    out.write(rest if not rest or rest.endswith("\n") else rest + "\n")
    writer.writerows([row.get(c, "") for c in grown] for row in rows)
    return out.getvalue()
