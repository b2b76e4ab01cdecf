"""The send reads every row of a long list by position, with quick tests for the common
row (audience/subscribers.py ``iter_readers``). Whatever a row holds, it must read what
the full check reads, and refuse what it refuses with the same error: same line, same
column, same words."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.audience.subscribers import COLUMNS, iter_readers, iter_subscribers
from newsletter.csvfile import csv_rows
from newsletter.errors import ContentError

REQUIRED = ("email", "segment", "channels")
VALUES = {
    "email": st.sampled_from(
        [
            "ann@example.com",
            "Bo.Smith@Example.COM",
            " padded@example.com ",
            "no-at-sign.example.com",
            "two@@example.com",
            "josé@exämple.com",
            "x@localhost",
            "a@b.local",
            '"quoted"@example.com',
            "a" * 65 + "@example.com",
        ]
    ),
    "segment": st.sampled_from(["client", "partner", "prospect", "Client", "vip", ""]),
    "channels": st.sampled_from(["email", "mail", "both", "email;mail", "mail+email", "fax", ""]),
    "consent_date": st.sampled_from(["", "2025-01-31", "2025-02-30", "yesterday", "20250131"]),
    "source": st.sampled_from(["", "client", "key-partner", "other", "cousin"]),
    "lead_id": st.sampled_from(["", "1", "42", "0", "-3", "x", "١"]),
    "facts": st.sampled_from(
        ["", "installed: furnace 2012", "last_service: 2026-03-14; birthday: May", "oops", "a: b"]
    ),
}
TEXT = st.one_of(
    st.sampled_from(["", "Ann", "Main St 1", "Springfield", "62701", "US"]),
    st.text(max_size=30),
    st.sampled_from(["a" * 120, "b" * 201, "tab\there", "line\nbreak", "\x7f"]),
)


@st.composite
def lists(draw: st.DrawFn) -> str:
    optional = [c for c in COLUMNS if c not in REQUIRED]
    header = [*REQUIRED, *draw(st.lists(st.sampled_from(optional), unique=True))]
    header = draw(st.permutations(header))
    rows = draw(
        st.lists(
            st.fixed_dictionaries({c: VALUES.get(c, TEXT) for c in header}),
            min_size=1,
            max_size=4,
        )
    )
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def full_reading(path: Path) -> tuple[list[tuple[object, ...]], tuple[object, ...] | None]:
    """The fields of each row as the full check reads them, up to its first error, and
    that error's (line, column, message)."""
    cells = {
        line: row for line, row in csv_rows(path.read_text(), path, required=(), allowed=COLUMNS)
    }
    fields: list[tuple[object, ...]] = []
    try:
        for s in iter_subscribers(path, check_duplicates=False):
            row = cells[s.line]
            tags, facts = row.get("tags", ""), row.get("facts", "")
            fields.append((s.email, s.first_name, s.last_name, s.segment, s.channels, tags, facts))
    except ContentError as error:
        return fields, (error.line, error.key, error.message)
    return fields, None


def sends_reading(path: Path) -> tuple[list[tuple[object, ...]], tuple[object, ...] | None]:
    fields: list[tuple[object, ...]] = []
    try:
        fields.extend(iter_readers(path))
    except ContentError as error:
        return fields, (error.line, error.key, error.message)
    return fields, None


@settings(
    max_examples=150,
    deadline=None,  # each example writes a file and may ask email-validator: slow under load
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=lists())
def test_the_send_reads_each_row_as_the_full_check_does(tmp_path: Path, text: str) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text(text, encoding="utf-8")
    assert sends_reading(path) == full_reading(path)
