"""The readers list (.newsletter/readers.txt) and the sealed-file check at the two places
data files are read."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyrage import x25519

from newsletter.config.yamlfile import read_text
from newsletter.csvfile import file_lines
from newsletter.errors import ContentError, SealedFile
from newsletter.privacy.keys import seal
from newsletter.sealed import READERS_FILE, Reader, format_readers, parse_readers

LISTING = Path("readers.txt")
names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,20}", fullmatch=True)


def recipient() -> str:
    return str(x25519.Identity.generate().to_public())


RECIPIENTS = [recipient() for _ in range(4)]


@given(st.lists(names, unique=True, max_size=4))
def test_a_readers_list_reads_back_as_written(chosen: list[str]) -> None:
    readers = [Reader(n, RECIPIENTS[i]) for i, n in enumerate(chosen)]
    assert parse_readers(format_readers(readers), LISTING) == readers


@given(st.text(max_size=300))
def test_any_text_is_a_readers_list_or_an_error_naming_its_line(text: str) -> None:
    try:
        parse_readers(text, LISTING)
    except ContentError as error:
        assert error.path == str(LISTING) and error.line is not None
        assert 1 <= error.line <= max(1, len(text.splitlines()))


def test_a_reader_listed_twice_is_refused_on_its_line() -> None:
    text = f"owner {RECIPIENTS[0]}\n# a comment\nowner {RECIPIENTS[1]}\n"
    with pytest.raises(ContentError, match="name listed twice") as caught:
        parse_readers(text, LISTING)
    assert caught.value.line == 3


@pytest.mark.parametrize(
    "read", [lambda p: list(file_lines(p)), lambda p: read_text(p, ContentError)]
)
def test_a_sealed_data_file_is_refused_naming_the_file_and_its_readers(
    tmp_path: Path, read: object
) -> None:
    (tmp_path / READERS_FILE).parent.mkdir()
    (tmp_path / READERS_FILE).write_text(format_readers([Reader("owner", RECIPIENTS[0])]))
    data = tmp_path / "subscribers" / "subscribers.csv"
    data.parent.mkdir()
    data.write_bytes(seal(b"email\nana@example.com\n", [Reader("owner", RECIPIENTS[0])]))

    with pytest.raises(SealedFile, match="a key of owner") as caught:
        read(data)  # type: ignore[operator]
    assert caught.value.path == str(data)
