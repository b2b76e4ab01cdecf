"""The send's one reading of subscribers.csv (newsletter/deliver/roster.py): a long list is
read in two halves at once, and whatever the halves meet, the send sees exactly what
reading the list whole gives, and the same first problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.audience import tokens
from newsletter.deliver import roster as roster_module
from newsletter.deliver.roster import Roster
from newsletter.errors import ContentError

SECRET = b"roster-test-secret-0123456789"
HEADER = "email,first_name,last_name,segment,channels\n"
SEGMENTS = ("client", "partner", "prospect")


def write_list(folder: Path, rows: list[str]) -> Path:
    path = folder / "subscribers.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def plain_rows(count: int) -> list[str]:
    return [
        f"reader{n:05d}@example.com,Reader{n},Last,{SEGMENTS[n % 3]},email\n" for n in range(count)
    ]


def read(path: Path, *, split_bytes: int) -> tuple[tuple[int, int, int], list[object]]:
    """(emailable, suppressed, post only) and every reader with their code, as a send sees."""
    blocked = frozenset({"reader00007@example.com"})
    with Roster(
        path,
        secret=SECRET,
        blocked=blocked,
        spool_dir=path.parent / "state",
        split_bytes=split_bytes,
    ) as roster:
        readers: list[object] = [
            (*row, roster.codes.code(row[1], row[5])) for chunk in roster.chunks() for row in chunk
        ]
        return (roster.emailable, roster.suppressed, roster.not_email), readers


def test_a_list_read_in_two_halves_gives_what_reading_it_whole_gives(tmp_path: Path) -> None:
    rows = plain_rows(2500)
    rows[1800] = 'quoted@example.com,"Ann, ""Jr.""",Smith,partner,email\n'
    path = write_list(tmp_path, rows)
    halves = read(path, split_bytes=1)
    assert halves == read(path, split_bytes=1 << 40)
    counts, readers = halves
    assert counts == (2499, 1, 0)
    assert len(readers) == 2499


@pytest.mark.parametrize("count", [2040, 2006])
def test_a_second_half_ending_in_a_short_chunk_is_read_whole(tmp_path: Path, count: int) -> None:
    # The reader of the second half is a forked child, which ends without flushing its
    # files: a last chunk short enough to stay in its buffer was lost.
    path = write_list(tmp_path, plain_rows(count))
    assert read(path, split_bytes=1) == read(path, split_bytes=1 << 40)


def test_a_bad_row_in_the_second_half_is_reported_with_its_own_line(tmp_path: Path) -> None:
    rows = plain_rows(2000)
    rows[1900] = "not-an-address,Bad,Row,client,email\n"
    path = write_list(tmp_path, rows)
    with pytest.raises(ContentError) as caught:
        read(path, split_bytes=1)
    assert caught.value.line == 1902 and caught.value.key == "email"


def test_a_quoted_value_across_the_middle_is_read_as_one_value(tmp_path: Path) -> None:
    rows = plain_rows(2000)
    filler = "x" * 40
    # A last name over many lines around the middle of the file: the middle falls inside
    # quotes, so a half cannot start there. (check refuses such a name; a send must read
    # the file the same way, and refuse it with the same line.)
    rows[1000] = f'long@example.com,Long,"{filler}\n' + f"{filler}\n" * 2000 + '",client,email\n'
    path = write_list(tmp_path, rows)
    with pytest.raises(ContentError) as halves:
        read(path, split_bytes=1)
    with pytest.raises(ContentError) as whole:
        read(path, split_bytes=1 << 40)
    assert halves.value.one_line() == whole.value.one_line()
    assert halves.value.line == 1002


def test_an_address_in_both_halves_is_refused_naming_both_lines(tmp_path: Path) -> None:
    rows = plain_rows(2000)
    rows[1990] = "READER00003@example.com,Again,Here,client,email\n"
    path = write_list(tmp_path, rows)
    with pytest.raises(
        ContentError, match=r"duplicate subscriber .* \(first on line 5\)"
    ) as caught:
        read(path, split_bytes=1)
    assert caught.value.line == 1992


def test_readers_whose_codes_clash_get_longer_codes_in_either_half(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One-character codes: 30 for 400 readers, so most clash, within each half and across
    # them, among readers emailed and not (reader00007 is suppressed).
    monkeypatch.setattr(tokens, "CODE_LENGTH", 1)
    path = write_list(tmp_path, plain_rows(400))
    emails = [f"reader{n:05d}@example.com" for n in range(400)]
    for split_bytes in (1 << 30, 1):
        with Roster(
            path,
            secret=SECRET,
            blocked=frozenset({emails[7]}),
            spool_dir=tmp_path / "state",
            split_bytes=split_bytes,
        ) as roster:
            codes = [roster.codes.code(email) for email in emails]
        assert len(set(codes)) == len(codes)
        assert all(len(code) > 1 for code in codes)


@pytest.mark.parametrize("held_rows", [roster_module.HELD_ROWS, 7])
@pytest.mark.parametrize("split_bytes", [1, 1 << 40])
def test_readers_come_segment_by_segment_and_variant_by_variant_each_in_file_order(
    tmp_path: Path, split_bytes: int, held_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A send fills one batch at a time this way: each goes out as soon as it is full. With
    # few rows held (many groups, each filling slowly) chunks are written before they are
    # full, and the order is the same.
    monkeypatch.setattr(roster_module, "HELD_ROWS", held_rows)
    path = tmp_path / "subscribers.csv"
    rows = [
        f"reader{n:05d}@example.com,Reader{n},Last,{SEGMENTS[n % 3]},email,{'pets' * (n % 2)}\n"
        for n in range(3000)
    ]
    path.write_text(HEADER.strip() + ",tags\n" + "".join(rows), encoding="utf-8")
    with Roster(
        path,
        secret=SECRET,
        blocked=frozenset(),
        spool_dir=tmp_path / "state",
        split_bytes=split_bytes,
        variant_key=lambda segment, tags, facts: tags,
    ) as roster:
        order = [((row[4], row[6]), row[0]) for chunk in roster.chunks() for row in chunk]
    groups = [group for group, _ in order]
    assert groups == sorted(groups)  # each segment's and variant's readers together
    for group in {(s, v) for s in SEGMENTS for v in ("", "pets")}:
        emails = [email for g, email in order if g == group]
        assert emails == sorted(emails) and len(emails) == 500  # in file order
