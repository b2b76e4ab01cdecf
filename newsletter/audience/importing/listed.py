"""What the list already holds, as an import needs it: who is on subscribers.csv (by
address key, with their line), who is suppressed, which consents are kept; and the check
that a row an import would write reads back under the list's own rules.

The list is read in one pass keeping one key and one line number per subscriber; the few
rows an import updates are read again by line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

from newsletter.audience.addresses import EmailNotValidError, address_key
from newsletter.audience.consents import CONSENT_FILE, load_consents
from newsletter.audience.subscribers import COLUMNS, iter_readers, iter_subscribers
from newsletter.audience.suppressions import Suppression, load_suppressions
from newsletter.config.files import SUBSCRIBERS_FILE, SUPPRESSIONS_FILE
from newsletter.csvfile import csv_rows, file_lines
from newsletter.errors import ContentError

_HEADER_LINE = ",".join(COLUMNS) + "\n"
_PATH = Path(SUBSCRIBERS_FILE)  # what the list's reader names in its messages


@dataclass(frozen=True)
class Listed:
    """The list before the import."""

    subscribers: Mapping[str, int]  # address key -> its line in subscribers.csv
    suppressed: Mapping[str, Suppression]  # address key -> the entry that covers email
    consents: Collection[tuple[str, str]]  # (address key, form) of every consent kept


def listed(folder: Path) -> Listed:
    """The list in ``folder`` (files that do not exist yet are empty). A row the list's
    own loader refuses stops the import with that loader's error."""
    path = folder / SUBSCRIBERS_FILE
    subscribers: dict[str, int] = {}
    if path.exists():
        for subscriber in iter_subscribers(path, check_duplicates=False, postal="ignored"):
            subscribers.setdefault(address_key(subscriber.email), subscriber.line)
    suppressed = {
        address_key(entry.email): entry
        for entry in reversed(load_suppressions(folder / SUPPRESSIONS_FILE))
        if entry.covers("email")
    }
    consents = set()
    for record in load_consents(folder / CONSENT_FILE):
        try:
            consents.add((address_key(record["email"]), record["form"]))
        except EmailNotValidError:
            continue  # a record the import cannot match; kept in the file as it is
    return Listed(subscribers, suppressed, consents)


def rows_at(folder: Path, lines: Collection[int]) -> dict[int, dict[str, str]]:
    """The rows of subscribers.csv that start on ``lines``, as column -> value."""
    path = folder / SUBSCRIBERS_FILE
    wanted = set(lines)
    if not wanted:
        return {}
    found = {}
    for line, row in csv_rows(file_lines(path), path, required=(), allowed=COLUMNS):
        if line in wanted:
            found[line] = row
    return found


def csv_line(row: Mapping[str, str], columns: Collection[str] = COLUMNS) -> str:
    """``row`` as one CSV line under ``columns``."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([row.get(c, "") for c in columns])
    return out.getvalue()


def list_problems(rows: Sequence[Mapping[str, str]]) -> dict[int, str]:
    """Index in ``rows`` -> why subscribers.csv would refuse that row ("column: problem"),
    for each row it would refuse. The rows are checked in one pass by the list's own
    reader, taken up again after each row it refuses."""
    lines = [csv_line(row) for row in rows]
    problems: dict[int, str] = {}
    start = 0
    while start < len(lines):
        try:
            for _ in iter_readers(_PATH, chain([_HEADER_LINE], islice(lines, start, None))):
                pass
        except ContentError as exc:
            assert exc.line is not None  # the reader names the line of every problem
            refused = start + exc.line - 2  # line 1 is the header
            problems[refused] = f"{exc.key}: {exc.message}" if exc.key else exc.message
            start = refused + 1
            continue
        break
    return problems
