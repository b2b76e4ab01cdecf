"""Property-based specifications of the import's readers (hypothesis): for any input, a
reader hands on contacts and refused lines or raises the project's own error naming a
line — never another exception, never unbounded work — and what a writer of the format
wrote, it reads back; an import of any CSV writes only a list the list's loader reads."""

from __future__ import annotations

import csv
import io
import quopri
import tempfile
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from newsletter.audience.consents import load_consents
from newsletter.audience.importing import Choices, import_contacts
from newsletter.audience.importing.inputs import Input
from newsletter.audience.importing.mailchimp import unpacked_address
from newsletter.audience.importing.records import Contact, Postal, Record, Refused, cleaned
from newsletter.audience.importing.tables import Table
from newsletter.audience.importing.vcard import vcard_contacts
from newsletter.audience.subscribers import load_subscribers
from newsletter.audience.suppressions import load_suppressions
from newsletter.errors import ContentError
from tests.audience.importing.project import bakery

BOUNDED = settings(
    max_examples=120,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# Text that stresses CSV and vCard: their syntax, white space, controls, and the rest.
SYNTAX = st.sampled_from(list(',;:"\\=\n\r\t .\x00\x0b\x1b\x85\u2028\ufeff'))
ANY_TEXT = st.text(st.one_of(SYNTAX, st.characters(exclude_categories=("Cs",))), max_size=120)
VCARD_LINE = st.one_of(
    st.sampled_from(
        [
            "BEGIN:VCARD",
            "END:VCARD",
            "VERSION:2.1",
            "EMAIL:ann@example.com",
            "EMAIL;TYPE=pref:bob@example.com",
            "N:Lee;Ann;;;",
            "ADR;HOME;ENCODING=QUOTED-PRINTABLE:;;1 Main=",
            "ADR:;;1 Main St;Town;ST;12345;USA",
            'ADR;LABEL="a:b;c":;;x;y;z;1;US',
            " folded",
            "\tfolded",
            "=C3=A9;x",
            "",
        ]
    ),
    ANY_TEXT.map(lambda t: t.replace("\n", "")),
)
PORTLAND = ZoneInfo("America/Los_Angeles")


def source(data: bytes, name: str) -> Input:
    return Input(name, lambda: io.BytesIO(data))


def read_or_name_a_line(read: object) -> list[Record]:
    try:
        records = list(read)  # type: ignore[call-overload]
    except ContentError as exc:
        assert exc.line is not None and exc.line >= 1, exc.one_line()
        event("refused: the file")
        return []
    for record in records:
        assert isinstance(record, Contact | Refused)
        assert record.origin.line >= 1
    event(f"{len(records)} records")
    return records


@BOUNDED
@given(st.lists(VCARD_LINE, max_size=30), st.sampled_from(["\r\n", "\n"]))
def test_any_vcard_text_reads_or_names_a_line(lines: list[str], ending: str) -> None:
    data = ending.join(lines).encode("utf-8", "surrogatepass")
    read_or_name_a_line(vcard_contacts(source(data, "c.vcf"), "utf-8"))


@BOUNDED
@given(st.binary(max_size=600))
def test_any_bytes_read_as_vcard_read_or_name_a_line(data: bytes) -> None:
    read_or_name_a_line(vcard_contacts(source(b"BEGIN:VCARD\r\n" + data, "c.vcf"), "utf-8"))


NAME_PART = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=20)
EMAILS = st.emails().filter(lambda e: len(e) < 200)


def escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def folded(line: str, cuts: list[int]) -> str:
    """``line`` folded (RFC 6350 3.2) before each of the character positions ``cuts``."""
    pieces, last = [], 0
    for cut in sorted({c % (len(line) + 1) for c in cuts} - {0}):
        pieces.append(line[last:cut])
        last = cut
    return "\r\n ".join([*pieces, line[last:]])


@BOUNDED
@given(
    given_name=NAME_PART,
    family=NAME_PART,
    company=NAME_PART,
    email=EMAILS,
    street=NAME_PART,
    city=NAME_PART,
    cuts=st.lists(st.integers(min_value=1, max_value=200), max_size=6),
)
def test_a_version_3_card_reads_back_what_was_written(
    given_name: str, family: str, company: str, email: str, street: str, city: str, cuts: list[int]
) -> None:
    properties = [
        f"N:{escaped(family)};{escaped(given_name)};;;",
        f"ORG:{escaped(company)}",
        f"EMAIL;TYPE=INTERNET:{email}",
        f"ADR;TYPE=HOME:;;{escaped(street)};{escaped(city)};OR;97201;US",
    ]
    text = "\r\n".join(
        ["BEGIN:VCARD", "VERSION:3.0", *(folded(p, cuts) for p in properties), "END:VCARD", ""]
    )

    (contact,) = vcard_contacts(source(text.encode(), "c.vcf"), "utf-8")

    assert isinstance(contact, Contact), contact
    names = (cleaned(given_name.replace(",", " ")), cleaned(family.replace(",", " ")))
    if any(names):
        assert (contact.first_name, contact.last_name) == names
    assert contact.company == cleaned(company)
    assert contact.email == email
    expected = Postal(cleaned(street.replace("\n", ", ")), cleaned(city), "OR", "97201", "US")
    assert contact.postal == expected


@BOUNDED
@given(given_name=NAME_PART, family=NAME_PART, email=EMAILS)
def test_a_version_2_1_quoted_printable_card_reads_back_what_was_written(
    given_name: str, family: str, email: str
) -> None:
    value = f"{escaped(family)};{escaped(given_name)};;;".encode()
    encoded = quopri.encodestring(value).replace(b"\n", b"\r\n")  # soft breaks at 76
    data = (
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:"
        + encoded
        + f"\r\nEMAIL;INTERNET:{email}\r\nEND:VCARD\r\n".encode()
    )

    (contact,) = vcard_contacts(source(data, "c.vcf"), "utf-8")

    assert isinstance(contact, Contact), contact
    names = (cleaned(given_name.replace(",", " ")), cleaned(family.replace(",", " ")))
    if any(names):
        assert (contact.first_name, contact.last_name) == names


@BOUNDED
@given(ANY_TEXT, st.lists(ANY_TEXT, max_size=8))
def test_any_csv_text_reads_or_names_a_line(header: str, lines: list[str]) -> None:
    data = "\n".join([header, *lines]).encode("utf-8", "surrogatepass")
    try:
        table = Table(source(data, "x.csv"), "utf-8")
    except ContentError as exc:
        assert exc.line is not None
        return
    for line, cells, problem in table:
        assert line >= 2
        assert problem or len(cells) == len(table.header)


CELL = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)


@BOUNDED
@given(
    st.sampled_from(",;\t"),
    st.lists(st.from_regex(r"[A-Za-z][A-Za-z ]{0,10}", fullmatch=True), min_size=2, max_size=5),
    st.data(),
)
def test_a_csv_reads_back_the_cells_it_was_written_with(
    separator: str, header: list[str], data: st.DataObject
) -> None:
    width = len(header)
    rows = data.draw(st.lists(st.lists(CELL, min_size=width, max_size=width), max_size=6))
    out = io.StringIO()
    csv.writer(out, delimiter=separator, lineterminator="\r\n").writerows([header, *rows])

    table = Table(source(out.getvalue().encode(), "x.csv"), "utf-8")

    assert table.header == [h.strip() for h in header]
    expected = [[c.strip() for c in row] for row in rows if any(c.strip() for c in row)]
    assert [cells for _, cells, _ in table] == expected


ADDRESS_PART = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 .#'-]{0,15}[A-Za-z0-9.]", fullmatch=True)


@BOUNDED
@given(
    street=ADDRESS_PART.filter(lambda s: "  " not in s),
    city=ADDRESS_PART.filter(lambda s: "  " not in s),
    region=ADDRESS_PART.filter(lambda s: "  " not in s),
    postal_code=st.from_regex(r"[0-9]{5}(-[0-9]{4})?", fullmatch=True),
    country=st.sampled_from(["", "US", "CA", "Canada", "Mexico"]),
)
def test_a_packed_mailchimp_address_unpacks_into_its_parts(
    street: str, city: str, region: str, postal_code: str, country: str
) -> None:
    packed = "  ".join(filter(None, (street, city, region, postal_code, country)))

    assert unpacked_address(packed) == Postal(street, city, region, postal_code, country)


@settings(
    max_examples=60,
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.one_of(EMAILS, ANY_TEXT),
            ANY_TEXT,
            st.sampled_from(["", "1 Main St"]),
            st.sampled_from(["", "97201", "x"]),
            st.sampled_from(["", "website form", "2024-01-02", "yesterday"]),
            ANY_TEXT,
        ),
        max_size=8,
    )
)
def test_an_import_of_any_csv_writes_only_what_the_lists_loaders_read(
    rows: list[tuple[str, str, str, str, str, str]],
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "name", "street", "postal_code", "consent_date", "tags"])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        bakery(project)
        export = project / "export.csv"
        export.write_text(out.getvalue().replace("\x00", ""), encoding="utf-8")
        (project / "subscribers" / "suppressions.csv").unlink()
        try:
            result = import_contacts(
                project / "subscribers",
                [export],
                Choices(),
                tz=PORTLAND,
                mapping={"street": "street"},
                write_files=True,
            )
        except ContentError as exc:
            assert exc.line is not None
            return
        every = result.plan.changes
        assert len({(c.origin.line) for c in every}) == len(every)  # one change per record
        event(f"added {result.plan.count('added')}")
        load_subscribers(project / "subscribers" / "subscribers.csv")
        load_suppressions(project / "subscribers" / "suppressions.csv")
        load_consents(project / "subscribers" / "consents.csv")
