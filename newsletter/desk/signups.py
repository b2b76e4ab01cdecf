"""Confirmed sign-ups into ``subscribers.csv`` (as prospects) and ``consents.csv``.

Both files are changed under their locks and replaced atomically; a person already on
the list, or a consent record already kept, is left as it is, so a pull may apply the
same confirmations again. The new rows are checked with the subscriber list's own rules
before anything is written: the tool never writes a list it would then refuse.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Sequence
from datetime import tzinfo
from pathlib import Path

from newsletter.audience.subscribers import COLUMNS, iter_subscribers
from newsletter.audience.suppressions import load_suppressions, suppressed_emails
from newsletter.config.files import SUBSCRIBERS_FILE, SUPPRESSIONS_FILE
from newsletter.config.yamlfile import read_text
from newsletter.csvfile import csv_rows
from newsletter.desk.apply import CONSENT_COLUMNS, CONSENT_FILE, consent_row, subscriber_row
from newsletter.desk.inbox import Event
from newsletter.errors import ContentError
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.locks import locked


def add_signups(
    folder: Path, confirmed: Sequence[Event], tz: tzinfo, country: str
) -> tuple[int, list[str]]:
    """(how many subscribers were added, warnings) for ``confirmed`` sign-ups."""
    warnings: list[str] = []
    path = folder / SUBSCRIBERS_FILE
    blocked = suppressed_emails(load_suppressions(folder / SUPPRESSIONS_FILE))
    with locked(path, purpose="add confirmed sign-ups"):
        listed = {s.normalized_email for s in iter_subscribers(path)} if path.exists() else set()
        rows = []
        for event in confirmed:
            row = subscriber_row(event, tz, country)
            email = row["email"].lower()
            if email in listed:
                continue
            if email in blocked:
                warnings.append(
                    f"{email} signed up again (desk event {event.id}) but is in "
                    "suppressions.csv: remove that line to send to them again"
                )
            listed.add(email)
            rows.append(row)
        if rows:
            _append(path, COLUMNS, rows, check=_check_subscribers)
    consents = folder / CONSENT_FILE
    with locked(consents, purpose="keep sign-up consents"):
        kept = {row["desk_event"] for _, row in _rows(consents, CONSENT_COLUMNS)}
        new = [consent_row(e) for e in confirmed if str(e.id) not in kept]
        if new:
            _append(consents, CONSENT_COLUMNS, new)
    return len(rows), warnings


def _rows(path: Path, columns: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    if not path.exists():
        return []
    return list(csv_rows(read_text(path, ContentError), path, required=columns, allowed=columns))


def _append(
    path: Path,
    columns: Sequence[str],
    rows: list[dict[str, str]],
    *,
    check: Callable[[Path, list[str], str], None] | None = None,
) -> None:
    """Append ``rows`` under the file's own header (``columns`` for a new file);
    ``check`` is shown the header and the new lines before anything is written."""
    text = read_text(path, ContentError) if path.exists() else ""
    header = next(csv.reader(io.StringIO(text)), []) if text.strip() else []
    header = [c.strip() for c in header] or list(columns)
    missing = [c for c in columns if c not in header and any(r.get(c) for r in rows)]
    if missing:
        raise ContentError(
            f"cannot add sign-ups: the file has no column {', '.join(missing)}", path=path, line=1
        )
    if not text.strip():
        text = _csv([header])
    elif not text.endswith("\n"):
        text += "\n"
    added = _csv([[row.get(c, "") for c in header] for row in rows])
    if check is not None:
        check(path, header, added)
    atomic_write(path, text + added, mode=PRIVATE)


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _check_subscribers(path: Path, header: list[str], added: str) -> None:
    """ContentError (naming the sign-up's value) if the list would refuse the new rows."""
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / SUBSCRIBERS_FILE
        probe.write_text(_csv([header]) + added, encoding="utf-8")
        try:
            for _ in iter_subscribers(probe):
                pass
        except ContentError as exc:
            raise ContentError(f"a sign-up would not read back: {exc.message}", path=path) from None
