"""The send's one reading of subscribers.csv (newsletter/deliver/roster.py): every reader to
email once, in their group's chunk, group by group and each in file order; the list's
first problem stops it before anyone is sent anything."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.audience import tokens
from newsletter.deliver import roster as roster_module
from newsletter.deliver.roster import Personal, Roster
from newsletter.errors import ContentError

SECRET = b"roster-test-secret-0123456789"
HEADER = "email,first_name,last_name,segment,channels,tags\n"
SEGMENTS = ("client", "partner", "prospect")


def write_list(folder: Path, rows: list[str]) -> Path:
    path = folder / "subscribers.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def plain_rows(count: int) -> list[str]:
    return [
        f"reader{n:05d}@example.com,Reader{n},Last,{SEGMENTS[n % 3]},email,\n" for n in range(count)
    ]


BY_SEGMENT = {segment: segment for segment in SEGMENTS}


def by_tags(segment: str, tags: str, facts: str) -> str:
    return tags


def read(
    path: Path,
    *,
    blocked: frozenset[str] = frozenset(),
    groups: dict[str, str | None] = BY_SEGMENT,
    personal: Personal | None = None,
) -> tuple[tuple[int, int, int], list[tuple[str, str, str]]]:
    """(emailable, suppressed, post only) and each reader's (group, email, code) as a send
    gets them."""
    state = path.parent / "state"
    with Roster(
        path, secret=SECRET, blocked=blocked, spool_dir=state, groups=groups, personal=personal
    ) as roster:
        readers = [
            (row[6], row[0], roster.codes.code(row[1], row[5]))
            for chunk in roster.chunks()
            for row in chunk
        ]
        return (roster.emailable, roster.suppressed, roster.not_email), readers


def test_every_reader_to_email_comes_once_with_the_others_counted(tmp_path: Path) -> None:
    path = write_list(tmp_path, plain_rows(2500))
    counts, readers = read(path, blocked=frozenset({"reader00007@example.com"}))
    assert counts == (2499, 1, 0)
    emails = [email for _, email, _ in readers]
    assert len(emails) == len(set(emails)) == 2499
    assert "reader00007@example.com" not in emails


@pytest.mark.parametrize("held_rows", [roster_module.HELD_ROWS, 7])
def test_readers_come_group_by_group_each_in_file_order(
    tmp_path: Path, held_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A send fills one batch at a time this way: each goes out as soon as it is full. With
    # few rows held (many groups, each filling slowly) chunks are written before they are
    # full, and the order is the same.
    monkeypatch.setattr(roster_module, "HELD_ROWS", held_rows)
    rows = [
        f"reader{n:05d}@example.com,Reader{n},Last,{SEGMENTS[n % 3]},email,{'pets' * (n % 2)}\n"
        for n in range(3000)
    ]
    path = write_list(tmp_path, rows)
    _, readers = read(path, personal=by_tags)
    groups = [group for group, _, _ in readers]
    assert groups == sorted(groups)  # each group's readers together
    for group in {*SEGMENTS, *(f"{s}/pets" for s in SEGMENTS)}:
        emails = [email for g, email, _ in readers if g == group]
        assert emails == sorted(emails) and len(emails) == 500  # in file order


def test_readers_the_send_is_not_for_are_neither_sent_nor_counted(tmp_path: Path) -> None:
    path = write_list(tmp_path, plain_rows(30))

    prospects: dict[str, str | None] = {"prospect": "prospect"}
    counts, readers = read(path, blocked=frozenset({"reader00002@example.com"}), groups=prospects)
    assert counts == (9, 1, 0)
    assert {group for group, _, _ in readers} == {"prospect"}


def test_a_bad_row_stops_the_reading_naming_its_line(tmp_path: Path) -> None:
    rows = plain_rows(2000)
    rows[1900] = "not-an-address,Bad,Row,client,email,\n"
    path = write_list(tmp_path, rows)
    with pytest.raises(ContentError) as caught:
        read(path)
    assert caught.value.line == 1902 and caught.value.key == "email"


def test_an_address_listed_twice_is_refused_naming_both_lines(tmp_path: Path) -> None:
    rows = plain_rows(2000)
    rows[1990] = "READER00003@example.com,Again,Here,client,email,\n"
    path = write_list(tmp_path, rows)
    with pytest.raises(
        ContentError, match=r"duplicate subscriber .* \(first on line 5\)"
    ) as caught:
        read(path)
    assert caught.value.line == 1992


def test_readers_whose_codes_clash_get_longer_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One-character codes: 30 for 400 readers, so most clash, among readers emailed and not
    # (reader00007 is suppressed, yet their code counts).
    monkeypatch.setattr(tokens, "CODE_LENGTH", 1)
    path = write_list(tmp_path, plain_rows(400))
    _, readers = read(path, blocked=frozenset({"reader00007@example.com"}))
    codes = [code for _, _, code in readers]
    assert len(set(codes)) == len(codes)
    assert all(len(code) > 1 for code in codes)


def test_the_spool_is_private_and_gone_once_the_send_is_done(tmp_path: Path) -> None:
    path = write_list(tmp_path, plain_rows(10))
    state = tmp_path / "state"
    with Roster(
        path, secret=SECRET, blocked=frozenset(), spool_dir=state, groups=BY_SEGMENT
    ) as roster:
        spool = Path(f"/proc/self/fd/{roster._spool.fileno()}")
        assert os.stat(spool).st_mode & 0o777 == 0o600
        assert list(state.iterdir()) == []  # unlinked from the start: nothing left by a kill
    assert list(state.iterdir()) == []


ROW = st.tuples(
    st.sampled_from(SEGMENTS),
    st.sampled_from(("email", "mail", "both")),
    st.sampled_from(("", "pets", "garden")),
    st.booleans(),  # suppressed
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(ROW, max_size=60), chunk=st.integers(min_value=1, max_value=7))
def test_any_list_gives_each_reader_to_email_once_grouped_in_file_order(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[tuple[str, str, str, bool]],
    chunk: int,
) -> None:
    monkeypatch.setattr(roster_module, "CHUNK", chunk)
    monkeypatch.setattr(roster_module, "HELD_ROWS", 2 * chunk)
    folder = tmp_path_factory.mktemp("list")
    lines = [
        f"r{n}@example.com,R{n},L,{segment},{channels},{tags}"
        + (",1 Main St,Town,ST,12345" if channels != "email" else ",,,,")
        + "\n"
        for n, (segment, channels, tags, _) in enumerate(rows)
    ]
    path = folder / "subscribers.csv"
    header = HEADER.strip() + ",street,city,region,postal_code\n"
    path.write_text(header + "".join(lines), encoding="utf-8")
    blocked = frozenset(f"r{n}@example.com" for n, row in enumerate(rows) if row[3])
    counts, readers = read(path, blocked=blocked, personal=by_tags)
    expected = sorted(
        (
            (f"{s}/{t}" if t else s, f"r{n}@example.com")
            for n, (s, c, t, _) in enumerate(rows)
            if c != "mail" and f"r{n}@example.com" not in blocked
        ),
        key=lambda item: item[0],  # stable: file order within each group
    )
    assert [(group, email) for group, email, _ in readers] == expected
    suppressed = sum(1 for n, (_, c, _, b) in enumerate(rows) if b and c != "mail")
    assert counts == (len(expected), suppressed, sum(1 for row in rows if row[1] == "mail"))
