"""vCard contacts (2.1, 3.0, 4.0): what is read from a card, and a broken card refused by
its line while the others are read."""

from __future__ import annotations

import io
from pathlib import Path

from newsletter.audience.importing.inputs import Input
from newsletter.audience.importing.records import Contact, Origin, Postal, Record, Refused
from newsletter.audience.importing.vcard import vcard_contacts
from tests.audience.importing.project import FIXTURES, bakery, by_email, run_import


def read(data: bytes, encoding: str = "utf-8") -> list[Record]:
    return list(vcard_contacts(Input("contacts.vcf", lambda: io.BytesIO(data)), encoding))


def read_file(name: str) -> list[Record]:
    return read((FIXTURES / name).read_bytes())


def card(*lines: str) -> str:
    return "\r\n".join(("BEGIN:VCARD", "VERSION:3.0", *lines, "END:VCARD")) + "\r\n"


def test_a_version_3_card_gives_the_preferred_email_name_company_address_and_tags() -> None:
    chidi = read_file("contacts-3.0.vcf")[0]

    assert chidi == Contact(
        email="chidi@example.com",
        origin=Origin("contacts.vcf", 1),
        first_name="Chidi",
        last_name="Okafor",
        company="Okafor Builders",
        postal=Postal("1402 Division St, Apt 5", "Portland", "OR", "97214", "US"),
        tags=("customers", "wholesale"),
    )


def test_a_card_without_an_email_address_is_refused_by_its_name() -> None:
    records = read_file("contacts-3.0.vcf")

    assert records[3] == Refused(Origin("contacts.vcf", 34), "no email address (Joe the Plumber)")
    assert [r.email for r in records[:3]] == [
        "chidi@example.com",
        "Siobhan.Brennan@Example.ORG",
        "rosa.delgado@example.com",
    ]


def test_a_version_4_card_prefers_the_lowest_pref_and_unfolds_a_line_cut_mid_word() -> None:
    mei = read_file("contacts-4.0.vcf")[0]

    assert isinstance(mei, Contact)
    assert mei.email == "mei@chen-design.example"  # PREF=1 over PREF=2
    assert mei.postal == Postal("88 NW 23rd Ave", "Portland", "OR", "97210", "US")
    assert mei.company == "Chen Design"


def test_a_version_2_1_card_decodes_quoted_printable_across_its_soft_line_breaks() -> None:
    lucia = read_file("contacts-2.1.vcf")[0]

    assert isinstance(lucia, Contact)
    assert (lucia.first_name, lucia.last_name) == ("Lucía", "Álvarez")
    assert lucia.email == "lucia@example.com"  # the bare PREF type
    assert lucia.postal == Postal("Calle Mayor 10, Piso 2º", "Portland", "OR", "97217", "US")


def test_escaped_separators_stay_in_the_value() -> None:
    (contact,) = read(
        card(
            r"N:O\;Neill;Pat\, Jr.;;;",
            r"ORG:Smith\, Jones & Co\\Sons;Kitchens",
            "EMAIL:pat@example.com",
            r"CATEGORIES:Cakes\, pies,Bread",
        ).encode()
    )

    assert isinstance(contact, Contact)
    assert (contact.first_name, contact.last_name) == ("Pat Jr.", "O;Neill")
    assert contact.company == "Smith, Jones & Co\\Sons"
    assert contact.tags == ("cakes-pies", "bread")


def test_a_name_written_whole_is_split_at_its_last_space() -> None:
    (contact,) = read(card("FN:Mary Ann van Dyke", "EMAIL:mary@example.com").encode())

    assert isinstance(contact, Contact)
    assert (contact.first_name, contact.last_name) == ("Mary Ann van", "Dyke")


def test_a_broken_card_is_refused_by_its_line_and_the_next_ones_are_read() -> None:
    data = (
        card("FN:Ann Lee", "EMAIL:ann@example.com")
        + card("FN:Broken", "this line has no colon", "EMAIL:broken@example.com")
        + card("FN:Bob Ray", "EMAIL:bob@example.com")
    ).encode()

    records = read(data)

    assert records[1] == Refused(
        Origin("contacts.vcf", 9),
        "the card that starts on line 6: not a vCard line (NAME:value)",
    )
    assert [r.email for r in records if isinstance(r, Contact)] == [
        "ann@example.com",
        "bob@example.com",
    ]


def test_a_card_left_open_is_refused_where_the_next_begins_and_at_the_end() -> None:
    data = b"BEGIN:VCARD\r\nFN:Ann\r\nEMAIL:ann@example.com\r\n" + card(
        "FN:Bob", "EMAIL:bob@example.com"
    ).encode().replace(b"END:VCARD\r\n", b"")

    records = read(data)

    assert records == [
        Refused(
            Origin("contacts.vcf", 4),
            "the card that starts on line 1: no END:VCARD before the next BEGIN:VCARD",
        ),
        Refused(
            Origin("contacts.vcf", 4),
            "the card that starts on line 4: no END:VCARD at the end of the file",
        ),
    ]


def test_text_outside_the_cards_is_refused_once_per_stretch() -> None:
    data = b"hello\r\nthere\r\n\r\n" + card("FN:Ann", "EMAIL:ann@example.com").encode()

    records = read(data)

    assert records[0] == Refused(
        Origin("contacts.vcf", 1), "a line outside BEGIN:VCARD … END:VCARD"
    )
    assert len(records) == 2 and isinstance(records[1], Contact)


def test_a_value_in_another_charset_is_decoded_by_its_charset() -> None:
    data = card("N;CHARSET=ISO-8859-1:M\xfcller;J\xfcrgen;;;", "EMAIL:j@example.com")

    (contact,) = read(data.encode("latin-1"))

    assert isinstance(contact, Contact)
    assert (contact.first_name, contact.last_name) == ("Jürgen", "Müller")


def test_a_value_that_is_not_utf_8_refuses_its_card_naming_the_line() -> None:
    data = card("N:M\xfcller;J\xfcrgen;;;", "EMAIL:j@example.com").encode("latin-1")

    (refused,) = read(data)

    assert refused == Refused(
        Origin("contacts.vcf", 3),
        "the card that starts on line 1: N: not utf-8 text (give the file's encoding with "
        "--encoding)",
    )
    assert isinstance(read(data, encoding="latin-1")[0], Contact)


def test_a_photo_is_skipped_however_long(tmp_path: Path) -> None:
    folded = "\r\n ".join(["A" * 74] * 20_000)  # 1.5 MB of picture, folded
    data = card("FN:Ann Lee", f"PHOTO;ENCODING=b;TYPE=JPEG:{folded}", "EMAIL:ann@example.com")

    (contact,) = read(data.encode())

    assert isinstance(contact, Contact) and contact.email == "ann@example.com"


def test_a_phones_contacts_come_in_for_post_only_and_an_idn_spelling_matches_the_list(
    tmp_path: Path,
) -> None:
    config = bakery(tmp_path)
    files = [FIXTURES / f"contacts-{v}.vcf" for v in ("3.0", "4.0", "2.1")]

    done = run_import(config, *files, "--yes")

    assert "added 4, updated 0, unchanged 1, suppressed 0, refused 2" in done.stdout
    listed = by_email(tmp_path / "subscribers" / "subscribers.csv")
    assert [listed[e]["channels"] for e in ("chidi@example.com", "lucia@example.com")] == [
        "mail",
        "mail",
    ]
    assert listed["lucia@example.com"]["street"] == "Calle Mayor 10, Piso 2º"
    assert "jürgen@xn--bcher-kva.example" not in listed  # the same as jürgen@bücher.example
