"""subscribers.csv: each bad row is an error naming the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.audience.subscribers import iter_subscribers, load_subscribers
from newsletter.errors import ContentError

REPO = Path(__file__).resolve().parents[2]
HEADER = (
    "email,first_name,last_name,company,segment,channels,street,city,region,postal_code,"
    "country,consent_source,consent_date,tags\n"
)


def write_csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "subscribers.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_sample_subscribers_load_across_all_segments() -> None:
    subscribers = load_subscribers(REPO / "subscribers" / "subscribers.csv")
    assert len(subscribers) == 21
    assert {s.segment for s in subscribers} == {"client", "partner", "prospect"}


def test_both_channels_means_email_and_mail(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a@example.com,A,,,client,both,1 Main St,Town,WI,53703,US,,,")
    assert load_subscribers(path)[0].channels == {"email", "mail"}


def test_invalid_email_names_the_line(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path, "a@example.com,,,,client,email,,,,,,,,", "not-an-email,,,,client,email,,,,,,,,"
    )
    with pytest.raises(ContentError) as caught:
        load_subscribers(path)
    assert (caught.value.line, caught.value.key) == (3, "email")


def test_duplicate_addresses_differing_in_case_name_both_lines(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "Ann@Example.com,,,,client,email,,,,,,,,",
        "ann@example.com,,,,partner,email,,,,,,,,",
    )
    with pytest.raises(ContentError) as caught:
        load_subscribers(path)
    assert caught.value.line == 3
    assert "first on line 2" in caught.value.message


@pytest.mark.parametrize("twin", ["idn@xn--exmple-cua.com", "IDN@EXA\u0308MPLE.COM"])
def test_an_international_address_and_its_other_spelling_are_one_subscriber(
    tmp_path: Path, twin: str
) -> None:
    path = write_csv(
        tmp_path, "idn@exämple.com,,,,client,email,,,,,,,,", f"{twin},,,,client,email,,,,,,,,"
    )
    with pytest.raises(ContentError) as caught:
        load_subscribers(path)
    assert caught.value.line == 3
    assert "first on line 2" in caught.value.message


def test_a_tags_column_given_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text(HEADER.replace(",tags\n", ",tags,tags\n"), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_subscribers(path)
    assert (caught.value.line, caught.value.message) == (1, "column(s) given twice: tags")


def test_unknown_segment_is_an_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a@example.com,,,,vip,email,,,,,,,,")
    with pytest.raises(ContentError) as caught:
        load_subscribers(path)
    assert (caught.value.line, caught.value.key) == (2, "segment")


def test_unknown_channel_is_an_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a@example.com,,,,client,pigeon,,,,,,,,")
    with pytest.raises(ContentError) as caught:
        load_subscribers(path)
    assert caught.value.key == "channels"


def test_mail_channel_requires_a_postal_address(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a@example.com,,,,client,mail,1 Main St,,WI,,US,,,")
    with pytest.raises(ContentError) as caught:
        load_subscribers(path)
    assert caught.value.key == "city"
    assert "mail channel" in caught.value.message


def test_row_with_extra_fields_is_malformed(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a@example.com,,,,client,email,,,,,,,,,extra")
    with pytest.raises(ContentError) as caught:
        load_subscribers(path)
    assert caught.value.line == 2


def test_spreadsheet_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a@example.com,A,,,client,email,,,,,,,,")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_subscribers(path)[0].email == "a@example.com"


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a@example.com,A,,,client,email,,,,,,,,")
    path.write_bytes(
        path.read_bytes() + "b@example.com,Zoë,,,client,email,,,,,,,,\n".encode("latin-1")
    )
    with pytest.raises(ContentError) as caught:
        load_subscribers(path)
    assert caught.value.line == 3
    assert "not UTF-8" in caught.value.message


def test_subscribers_stream_one_row_at_a_time(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a@example.com,,,,client,email,,,,,,,,", "broken")
    stream = iter_subscribers(path)
    assert next(stream).email == "a@example.com"  # read before the bad line is reached
    with pytest.raises(ContentError):
        next(stream)


def test_readers_that_need_no_address_keep_a_mail_row_without_one(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "a@example.com,Ann,Lee,,client,both,,Madison,WI,,US,,,")
    with pytest.raises(ContentError):
        load_subscribers(path)
    (ann,) = load_subscribers(path, postal="ignored")
    assert (ann.first_name, ann.channels, ann.address) == ("Ann", {"email"}, None)


def with_source_columns(tmp_path: Path, row: str) -> Path:
    path = tmp_path / "subscribers.csv"
    path.write_text(f"{HEADER.strip()},source,lead_id,referred_by\n{row}\n", encoding="utf-8")
    return path


def test_source_and_lead_link_are_read(tmp_path: Path) -> None:
    path = with_source_columns(
        tmp_path, "a@example.com,,,,prospect,email,,,,,,,,,power-team,7,WDTD6PDE"
    )
    (subscriber,) = load_subscribers(path)
    assert (subscriber.source, subscriber.lead_id, subscriber.referred_by) == (
        "power-team",
        7,
        "WDTD6PDE",
    )


def test_a_list_without_the_source_columns_reads_them_blank(tmp_path: Path) -> None:
    (subscriber,) = load_subscribers(write_csv(tmp_path, "a@example.com,,,,client,email,,,,,,,,"))
    assert (subscriber.source, subscriber.lead_id, subscriber.referred_by) == ("", None, "")


@pytest.mark.parametrize(
    ("cells", "key"),
    [("neighbour,,", "source"), ("client,seven,", "lead_id"), ("client,0,", "lead_id")],
)
def test_an_unknown_source_or_a_bad_lead_number_names_line_and_column(
    tmp_path: Path, cells: str, key: str
) -> None:
    path = with_source_columns(tmp_path, f"a@example.com,,,,client,email,,,,,,,,,{cells}")
    with pytest.raises(ContentError) as caught:
        load_subscribers(path)
    assert (caught.value.line, caught.value.key) == (2, key)
