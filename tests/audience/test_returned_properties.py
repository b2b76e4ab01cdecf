"""Property-based specifications of returned mail (hypothesis): returned-mail.csv loads or
names a line, a record written reads back as it was, and any print shop's returns file
gives pieces or rows set aside with a reason — one bad row never stops the others."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from newsletter.audience.returned import COLUMNS, REASONS, ReturnedMail, load_returned
from newsletter.audience.returned import record_returned as record
from newsletter.audience.returns import (
    COLUMNS as RETURNS_COLUMNS,
)
from newsletter.audience.returns import (
    ReturnedPiece,
    Unrecorded,
    plan_returns,
    read_returns_file,
)
from newsletter.errors import ContentError
from newsletter.model import Address, Subscriber
from tests.test_loader_properties import (
    ANY_TEXT,
    BOUNDED,
    CELL,
    csv_bytes,
    loads_or_names_a_line,
    table,
)

READERS = (
    Subscriber("ann@example.com", "Ann", "Lee", "", "client", frozenset({"email", "mail"}),
               Address("9 Elm St", "Madison", "WI", "53714", "US"), "", None, (), 2),
    Subscriber("bo@example.com", "Bo", "Berg", "", "client", frozenset({"mail"}),
               Address("123 N Main St #4", "Madison", "WI", "53703", "US"), "", None, (), 3),
)  # fmt: skip
PLAIN = st.sampled_from(["9 Elm St", "123 N MAIN ST # 4", "Madison", "WI", "53703-1107", "Å"])
# Mostly values a list holds, now and then one the file must refuse (a control, 400 chars).
TEXT = st.one_of(
    PLAIN,
    PLAIN,
    PLAIN,
    PLAIN,
    PLAIN,
    st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=400),
)
RECORDS = st.builds(
    ReturnedMail,
    st.sampled_from(["ann@example.com", "Bo@Example.com", " zoë@bücher.example ", "nobody"]),
    st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    st.sampled_from([*REASONS, *REASONS, "lost"]),
    st.builds(Address, TEXT, TEXT, TEXT, TEXT, st.sampled_from(["US", "SE", ""])),
    TEXT,
)


@BOUNDED
@given(st.one_of(table(COLUMNS), st.binary(max_size=400), ANY_TEXT.map(str.encode)))
def test_any_returned_mail_csv_loads_or_names_a_line(payload: bytes) -> None:
    loads_or_names_a_line(payload, "returned-mail.csv", load_returned, ContentError)


@BOUNDED
@given(st.lists(RECORDS, max_size=3))
def test_a_record_is_written_only_as_it_reads_back(records: list[ReturnedMail]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "returned-mail.csv"
        try:
            added = record(path, records)
        except ContentError as exc:
            assert exc.key in COLUMNS
            assert not path.exists()  # nothing written when one is refused
            event("refused")
            return
        read = load_returned(path)
    event(f"written: {len(added)}")
    assert [(r.email.strip(), r.returned_on, r.reason, r.source) for r in added] == [
        (r.email, r.returned_on, r.reason, r.source) for r in read
    ]


@BOUNDED
@given(
    st.one_of(
        table([*RETURNS_COLUMNS, "Notes"]),
        st.builds(
            csv_bytes,
            st.just(["name", "address_1", "postal_code", "reason", "returned_on", "email"]),
            st.lists(st.lists(CELL, min_size=6, max_size=6), max_size=6),
        ),
    )
)
def test_any_returns_file_gives_pieces_or_reasons_and_plans_without_failing(
    payload: bytes,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "returns.csv"
        path.write_bytes(payload)
        try:
            pieces = read_returns_file(path, date(2026, 11, 30))
        except ContentError as exc:
            assert exc.line is not None  # the file as a whole: its header or its CSV
            return
    assert all(isinstance(p, ReturnedPiece | Unrecorded) for p in pieces)
    assert all(p.why for p in pieces if isinstance(p, Unrecorded))
    plan = plan_returns(pieces, READERS, ())
    assert len(plan.set_aside) >= sum(isinstance(p, Unrecorded) for p in pieces)


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Return to Sender - Vacant", "vacant"),
        ("MLNA", "moved"),
        ("Moved, Left No Address", "moved"),
        ("NO SUCH NUMBER", "no-such-number"),
        ("Attempted – Not Known", "not-known"),
        ("undeliverable as addressed, unable to forward", None),
    ],
)
def test_the_posts_endorsements_are_read_in_their_words_and_abbreviations(
    written: str, key: str | None
) -> None:
    from newsletter.audience.returns import reason_key

    assert reason_key(written) == key
