"""Writing a plan: suppressions first, then the consents, then subscribers.csv.

Each file is changed under its lock and replaced atomically, 0600. The order keeps a kill
at any point safe: more suppressions never send to anyone, and a consent record with no
row yet is proof waiting for its row. Running the import again finishes the job: what is
there already is unchanged. Rows not changed keep every byte; changed rows are rewritten
in place, new ones appended, so a pull request shows exactly what the import did.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsletter.audience.consents import CONSENT_COLUMNS, CONSENT_FILE
from newsletter.audience.importing.listed import csv_line
from newsletter.audience.importing.plan import Plan
from newsletter.audience.subscribers import COLUMNS
from newsletter.audience.suppressions import merge_suppressions
from newsletter.config.files import SUBSCRIBERS_FILE, SUPPRESSIONS_FILE
from newsletter.config.yamlfile import read_text
from newsletter.csvfile import appended_csv, file_lines
from newsletter.errors import ContentError
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.locks import locked


@dataclass(frozen=True)
class Written:
    """How many rows each file gained or had changed."""

    subscribers_added: int
    subscribers_updated: int
    suppressions_added: int
    consents_added: int


def write(folder: Path, plan: Plan) -> Written:
    """Write ``plan`` into the list in ``folder``; the caller holds subscribers.csv's lock."""
    suppressions = merge_suppressions(folder / SUPPRESSIONS_FILE, plan.suppressions)
    if plan.consents:
        path = folder / CONSENT_FILE
        with locked(path, purpose="keep imported consents"):
            text = read_text(path, ContentError) if path.exists() else ""
            atomic_write(path, appended_csv(text, CONSENT_COLUMNS, plan.consents), mode=PRIVATE)
    if plan.added or plan.updated:
        path = folder / SUBSCRIBERS_FILE
        atomic_write(path, _subscribers_text(path, plan.added, plan.updated), mode=PRIVATE)
    return Written(len(plan.added), len(plan.updated), suppressions, len(plan.consents))


def _subscribers_text(
    path: Path, added: Sequence[dict[str, str]], updated: Mapping[int, dict[str, str]]
) -> str:
    """subscribers.csv with the rows on ``updated``'s lines replaced and ``added`` after
    the last. A column the header lacks is added at its end when a row has a value for it
    (the rows not changed then read as blank there)."""
    lines = list(file_lines(path)) if path.exists() else []
    header = [c.strip() for c in next(csv.reader(lines[:1]), [])]
    rows = [*added, *updated.values()]
    grown = [*header, *(c for c in COLUMNS if c not in header and any(r.get(c) for r in rows))]
    if not header:
        grown = list(COLUMNS)
    out = [_ended(lines[0]) if grown == header else csv_line({c: c for c in grown}, grown)]
    for number, line in enumerate(lines[1:], start=2):
        row = updated.get(number)
        out.append(csv_line(row, grown) if row is not None else _ended(line))
    out += [csv_line(row, grown) for row in added]
    return "".join(out)


def _ended(line: str) -> str:
    return line if line.endswith("\n") else line + "\n"
