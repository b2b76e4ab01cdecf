"""The quarterly postcard, printed for real (WeasyPrint) and read back from the PDF: the
address in the USPS read area, nothing in the barcode clear zone, return address and
postage where they belong, trim and bleed for each size, the QR codes, the outputs."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from newsletter.cards import Quarter
from newsletter.errors import BuildError, ContentError
from newsletter.print.cardrun import CardsResult, print_cards
from tests.print.card_support import (
    READERS,
    Mark,
    card_project,
    page_boxes,
    page_marks,
    text_in,
)
from tests.print.support import scanned_qr_codes

SECRET = b"cards-test-secret-0123456789"
Q4 = Quarter(2026, 4)
INDICIA = ["PRSRT FIRST-CLASS", "U.S. POSTAGE PAID", "MADISON WI", "PERMIT NO. 1234"]
SIZES = {
    "4.25x6": ({"size": "4.25x6", "indicia": INDICIA}, (6.0, 4.25)),
    "6x9": ({"size": "6x9", "rate": "letter"}, (9.0, 6.0)),
    "6x11": ({"size": "6x11", "rate": "letter"}, (11.0, 6.0)),
}


def run(folder: Path, **project: object) -> tuple[CardsResult, bytes]:
    settings = card_project(folder, **project)  # type: ignore[arg-type]
    result = print_cards(settings, Q4, out_root=folder / "build", secret=SECRET)
    return result, (result.out_dir / "cards.pdf").read_bytes()


@pytest.fixture(scope="module", params=sorted(SIZES))
def sized(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    cards, trim = SIZES[request.param]
    result, pdf = run(tmp_path_factory.mktemp(f"cards-{request.param}"), cards=cards)
    yield result, pdf, trim


@pytest.fixture(scope="module")
def postcard(tmp_path_factory: pytest.TempPathFactory) -> tuple[CardsResult, bytes]:
    return run(tmp_path_factory.mktemp("cards"), cards=SIZES["4.25x6"][0])


def address_side(pdf: bytes, card: int) -> list[Mark]:
    marks = page_marks(pdf, 2 * card + 1)
    return marks


def ocr_area(trim: tuple[float, float]) -> tuple[float, float, float, float]:
    """USPS OCR read area: 1/2 in from the sides, 5/8 to 2-3/4 in above the bottom."""
    length, height = trim
    return 0.5, height - 2.75, length - 0.5, height - 0.625


def clear_zone(trim: tuple[float, float]) -> tuple[float, float, float, float]:
    """USPS barcode clear zone: 4-3/4 in from the right edge, 5/8 in from the bottom."""
    length, height = trim
    return length - 4.75, height - 0.625, length, height


def test_trim_and_bleed_boxes_match_the_card_size(sized: tuple) -> None:
    _, pdf, trim = sized
    for page in (0, 1):
        boxes = page_boxes(pdf, page)
        assert boxes.trim == pytest.approx(trim, abs=0.001)
        assert boxes.bleed == pytest.approx(0.125)  # print.bleed's default
        assert boxes.media > boxes.bleed  # room for the crop marks outside the bleed


def test_the_delivery_address_lies_in_the_ocr_read_area(sized: tuple) -> None:
    result, pdf, trim = sized
    for card, reader in enumerate(result.roster.readers):
        marks = address_side(pdf, card)
        name = f"{reader.subscriber.first_name} {reader.subscriber.last_name}"
        address = [
            m for m in marks if m.kind == "chars" and m.inside(*ocr_area(trim)) and m.text.strip()
        ]
        assert name.replace(" ", "") in text_in(address).replace(" ", "")
        assert reader.subscriber.address is not None
        assert reader.subscriber.address.postal_code in text_in(address)
        # … and the read area holds the address only: nothing else is printed in it.
        others = [m for m in marks if m.touches(*ocr_area(trim)) and m not in address]
        assert [m for m in others if m.kind != "chars" or m.text.strip()] == []


def test_nothing_is_drawn_in_the_barcode_clear_zone(sized: tuple) -> None:
    result, pdf, trim = sized
    for card in range(len(result.roster.readers)):
        assert [m for m in address_side(pdf, card) if m.touches(*clear_zone(trim))] == []


def test_the_address_is_at_least_8_points_tall(postcard: tuple[CardsResult, bytes]) -> None:
    _, pdf = postcard
    address = [m for m in address_side(pdf, 0) if m.inside(*ocr_area((6.0, 4.25)))]
    heights = [m.bottom - m.top for m in address if m.kind == "chars"]
    assert heights and min(heights) * 72 >= 8.0  # a glyph box is the type's size


def test_the_return_address_is_in_the_upper_left(postcard: tuple[CardsResult, bytes]) -> None:
    _, pdf = postcard
    upper_left = [m for m in address_side(pdf, 0) if m.inside(0.0, 0.0, 3.0, 1.4)]
    text = text_in(upper_left)
    assert "HartwellHeating&Cooling" in text.replace(" ", "")
    assert "2417AtwoodAvenue" in text.replace(" ", "") and "53704" in text


def test_the_permit_indicia_is_in_the_upper_right(postcard: tuple[CardsResult, bytes]) -> None:
    _, pdf = postcard
    corner = [m for m in address_side(pdf, 0) if m.inside(4.5, 0.0, 6.0, 1.4)]
    assert "PERMITNO.1234" in text_in(corner).replace(" ", "")
    assert any(m.kind == "rects" for m in corner)  # its frame


def test_without_indicia_the_card_has_a_box_for_a_stamp(sized: tuple) -> None:
    _, pdf, trim = sized
    if trim == (6.0, 4.25):
        pytest.skip("the 4.25 x 6 in card of this module has indicia")
    length, _ = trim
    corner = [m for m in address_side(pdf, 0) if m.inside(length - 1.5, 0.0, length, 1.4)]
    assert text_in(corner).replace(" ", "").lower() == "placestamphere"


def test_cards_come_in_duplex_order_message_side_then_address_side(
    postcard: tuple[CardsResult, bytes],
) -> None:
    result, pdf = postcard
    readers = result.roster.readers
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2 * len(readers)
    for card, reader in enumerate(readers):
        first = reader.subscriber.first_name.split()[0]
        assert f"Hi{first}" in text_in(page_marks(pdf, 2 * card)).replace(" ", "")
        assert reader.subscriber.last_name in text_in(address_side(pdf, card))


def test_each_card_carries_the_quarters_note_tip_local_item_and_ask(
    postcard: tuple[CardsResult, bytes],
) -> None:
    _, pdf = postcard
    text = text_in(page_marks(pdf, 0)).replace(" ", "")
    for words in ("The first hard freeze", "A TIP FOR THE SEASON", "AROUND TOWN", "Send them"):
        assert words.replace(" ", "") in text


def test_the_qr_codes_scan_to_each_readers_page_on_the_desk(
    postcard: tuple[CardsResult, bytes],
) -> None:
    result, pdf = postcard
    for card, reader in enumerate(result.roster.readers):
        assert scanned_qr_codes(pdf, 2 * card) == [reader.link]
    links = {r.subscriber.segment: r.link for r in result.roster.readers}
    assert links["prospect"] == "https://desk.example.com/join"
    assert links["client"].startswith("https://desk.example.com/r/")


def test_the_run_writes_cards_labels_and_a_private_mailing_list(
    postcard: tuple[CardsResult, bytes],
) -> None:
    result, _ = postcard
    folder = result.out_dir
    assert folder.name == "2026Q4" and folder.parent.name == "cards"
    assert sorted(p.name for p in folder.iterdir()) == [
        "cards.pdf",
        "labels.pdf",
        "mailing-list.csv",
    ]
    assert folder.stat().st_mode & 0o777 == 0o700
    assert {p.stat().st_mode & 0o777 for p in folder.iterdir()} == {0o600}
    rows = list(csv.DictReader(io.StringIO((folder / "mailing-list.csv").read_text())))
    assert [row["postal_code"] for row in rows] == ["53703", "53704", "53714"]


def test_a_postal_opt_out_gets_no_card(tmp_path: Path) -> None:
    result, pdf = run(tmp_path, suppressions=["ann@example.com,manual,2026-10-02,phone call,mail"])
    assert [r.subscriber.email for r in result.roster.readers] == [
        "bo@example.com",
        "di@example.com",
    ]
    assert result.roster.opted_out == 1
    assert "Lee" not in text_in(page_marks(pdf, 1) + page_marks(pdf, 3))
    assert "ann@example.com" not in (result.out_dir / "mailing-list.csv").read_text()


def test_a_name_typed_as_a_formula_is_printed_not_run(tmp_path: Path) -> None:
    evil = "eve@example.com,=HYPERLINK(1),Eve,,prospect,mail,2 Elm Street,Madison,WI,53714"
    result, _ = run(tmp_path, readers=[evil])
    assert "'=HYPERLINK(1) Eve" in (result.out_dir / "mailing-list.csv").read_text()


def test_an_address_too_long_for_the_read_area_names_its_csv_line(tmp_path: Path) -> None:
    street = "1 " + "Wolfeschlegelsteinhausenbergerdorff" * 2 + " Street"  # wider than the area
    row = f"zed@example.com,Zed,Zee,,prospect,mail,{street},Madison,WI,53714"
    with pytest.raises(ContentError) as caught:
        run(tmp_path, readers=[READERS[0], row])
    assert caught.value.line == 3
    assert "does not fit the card's address area" in caught.value.message


def test_a_card_whose_text_runs_over_the_message_side_names_the_content_file(
    tmp_path: Path,
) -> None:
    # Within its limits a card's text fits the smallest card (set denser when it must); a
    # business's own larger type can still run it over.
    settings = card_project(tmp_path)
    stylesheet = settings.templates_dir / "cards" / "card.css.j2"
    stylesheet.write_text(stylesheet.read_text() + "\n.note { font-size: 30pt; }\n")
    with pytest.raises(BuildError) as caught:
        print_cards(settings, Q4, out_root=tmp_path / "build", secret=SECRET)
    assert caught.value.path == "content/cards/2026Q4.md"
    assert "runs past the message side of a 4.25 x 6 in card" in caught.value.message


def test_a_card_at_every_limit_of_its_content_still_fits_the_smallest_card(
    tmp_path: Path,
) -> None:
    settings = card_project(tmp_path)
    words = "warm furnace neighbors winter lake snow quiet evening thanks "

    def text(limit: int) -> str:
        return (words * 20)[: limit - 5].rsplit(" ", 1)[0] + "."

    (settings.content_dir / "cards" / "2026Q4.md").write_text(
        "---\n"
        f"title: {('Winter ' * 12)[:70].strip()}\n"
        f"tip: {{title: {('Filters ' * 12)[:70].strip()}, text: {text(280)}}}\n"
        f"local: {{title: {('Markets ' * 12)[:70].strip()}, text: {text(280)}, "
        "url: https://www.example.org/a/rather/long/path/to/the/winter/market}\n"
        f"ask: {text(200)}\n"
        f"signature: {('Dana Hartwell ' * 6)[:70].strip()}\n"
        f"---\n{text(600)}\n"
    )
    result = print_cards(settings, Q4, out_root=tmp_path / "build", secret=SECRET)
    assert len(PdfReader(result.out_dir / "cards.pdf").pages) == 2 * result.cards
