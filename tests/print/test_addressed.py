"""Addressed copies: the address inside the window zone, the personal code, QR and progress."""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import weasyprint
from pypdf import PdfReader

from newsletter.errors import ContentError
from newsletter.print.addressed import addressed_copies, copy_name, split_copies
from newsletter.print.document import PrintedIssue, pdf_fill
from newsletter.print.layers import PARALLEL_FROM
from newsletter.print.overlay import ITALIC, SANS
from newsletter.print.window import Box
from tests.issue_factory import sample_issue, sample_settings
from tests.print.support import (
    Text,
    address_metrics,
    page_texts,
    recipient,
    recipients,
    render,
    sample_lettering,
    sample_print,
    scanned_qr_codes,
    settings_with,
)

LONG = recipient(
    "Maximiliane-Þórunn",
    "Wójcik-Szczepańska",
    company="Eastside Property Management and Residential Rentals of Greater Madison",
    street="1902 Atwood Avenue Suite 300, Building C, Attention Accounts Payable",
    line=7,
)
PEOPLE = [
    recipient("Łukasz", "Nowak", code="AAAA2222", line=2),
    recipient("Zoë", "Lindqvist", company="Lakeside Realty", code="BBBB3333", line=3),
    recipient("Anaïs", "Dvořák", street="88 Sherman Terrace Unit 4", code="CCCC4444", line=4),
    replace(LONG, code="DDDD5555"),
]
PROGRESS = {PEOPLE[1].email: "2 of 3 referrals toward dinner for two on Atwood Avenue"}


@pytest.fixture(scope="module")
def base() -> PrintedIssue:
    return sample_print("addressed")


@pytest.fixture(scope="module")
def combined(base: PrintedIssue) -> bytes:
    return addressed_copies(
        base.pdf, base.layout, PEOPLE, lettering=sample_lettering(), progress=PROGRESS
    )


def first_page(pdf: bytes, copy: int, pages: int) -> int:
    return copy * pages


def overlay_texts(pdf: bytes, page: int) -> list[Text]:
    """The text our per-recipient layer drew (set in the bundled DejaVu Sans)."""
    return [t for t in page_texts(pdf, page) if t.font.endswith("+DejaVuSans")]


def in_pdf_space(box: Box, pdf: bytes) -> tuple[float, float, float, float]:
    """``box`` (from the trim's top-left) as left, bottom, right, top in PDF user space."""
    x0, _, _, y1 = (float(v) for v in PdfReader(io.BytesIO(pdf)).pages[0].trimbox)
    return x0 + box.left, y1 - box.bottom, x0 + box.right, y1 - box.top


def texts_in(box: Box, pdf: bytes, page: int) -> list[Text]:
    """Our layer's text runs whose baseline starts inside ``box`` (widened by a point)."""
    left, bottom, right, top = in_pdf_space(box, pdf)
    return [
        t
        for t in overlay_texts(pdf, page)
        if left - 1 <= t.x <= right + 1 and bottom - 1 <= t.y <= top + 1
    ]


def test_one_copy_of_every_page_per_recipient(combined: bytes, base: PrintedIssue) -> None:
    assert len(PdfReader(io.BytesIO(combined)).pages) == base.pages * len(PEOPLE)


@pytest.mark.parametrize("copy", range(len(PEOPLE)))
def test_every_address_line_lies_inside_the_window_zone(
    combined: bytes, base: PrintedIssue, copy: int
) -> None:
    font = address_metrics()
    left, bottom, right, top = in_pdf_space(base.layout.address, combined)
    address = texts_in(base.layout.address, combined, first_page(combined, copy, base.pages))
    assert address, "no address drawn"
    for t in address:
        assert left - 0.01 <= t.x and t.x + font.width(t.text, t.size) <= right + 0.01
        assert t.y + font.ascent * t.size <= top + 0.01
        assert t.y - font.descent * t.size >= bottom - 0.01


def test_address_lines_read_top_to_bottom_in_order(combined: bytes, base: PrintedIssue) -> None:
    texts = texts_in(base.layout.address, combined, 0)
    assert [t.text for t in sorted(texts, key=lambda t: -t.y)] == list(PEOPLE[0].lines)


def test_long_address_is_set_smaller_to_fit(combined: bytes, base: PrintedIssue) -> None:
    texts = texts_in(base.layout.address, combined, first_page(combined, 3, base.pages))
    assert [t.text for t in texts] == list(LONG.lines)
    assert {t.size for t in texts} == {min(t.size for t in texts)} and texts[0].size < 9


def test_four_line_address_fits_the_default_window_at_6_75_pt(
    combined: bytes, base: PrintedIssue
) -> None:
    texts = texts_in(base.layout.address, combined, first_page(combined, 1, base.pages))
    assert len(texts) == 4 and {t.size for t in texts} == {6.75}


def test_line_too_wide_for_the_window_is_wrapped(base: PrintedIssue) -> None:
    street = "12345 North Sherman Avenue Apartment 1204, Cherokee Marsh Conservation Townhomes"
    person = recipient("Jim", "Okafor", street=street)
    pdf = addressed_copies(base.pdf, base.layout, [person], lettering=sample_lettering())
    texts = [t.text for t in texts_in(base.layout.address, pdf, 0)]
    assert len(texts) == 4 and " ".join(texts[1:3]) == street


def test_address_too_long_for_the_window_is_an_error_naming_its_csv_line(
    base: PrintedIssue,
) -> None:
    huge = replace(LONG, lines=LONG.lines * 3, line=42)
    with pytest.raises(ContentError) as caught:
        addressed_copies(base.pdf, base.layout, [huge], lettering=sample_lettering())
    assert caught.value.line == 42
    assert "does not fit the envelope window" in caught.value.message


def greeting_texts(pdf: bytes, page: int) -> list[Text]:
    """The salutation our layer drew, in the issue's italic."""
    return [t for t in page_texts(pdf, page) if t.font.endswith("+DejaVuSerif-Italic")]


@pytest.mark.parametrize("copy", range(len(PEOPLE)))
def test_each_copy_greets_its_reader_by_first_name(
    combined: bytes, base: PrintedIssue, copy: int
) -> None:
    page = first_page(combined, copy, base.pages)
    greeting = [t.text for t in greeting_texts(combined, page)]
    assert greeting == [f"Hi {PEOPLE[copy].first_name},"]


def test_copy_for_a_reader_without_a_first_name_gets_the_configured_greeting(
    base: PrintedIssue,
) -> None:
    nameless = replace(recipient("", "Nowak"), first_name="")
    pdf = addressed_copies(base.pdf, base.layout, [nameless], lettering=sample_lettering())
    assert [t.text for t in greeting_texts(pdf, 0)] == ["Hi neighbor,"]


def test_greeting_sits_where_the_generic_edition_greets(combined: bytes) -> None:
    generic = [t for t in page_texts(sample_print("generic").pdf, 0) if t.text == "Hi neighbor,"]
    personal = greeting_texts(combined, 0)
    assert len(generic) == 1 and len(personal) == 1
    assert personal[0].x == pytest.approx(generic[0].x, abs=0.5)
    assert personal[0].y == pytest.approx(generic[0].y, abs=0.5)
    assert personal[0].size == pytest.approx(generic[0].size, abs=0.01)


def test_greeting_is_set_in_the_issues_text_colour_and_the_address_in_black(
    combined: bytes,
) -> None:
    layer = PdfReader(io.BytesIO(combined)).pages[0]["/Contents"][-1].get_object().get_data()
    text_colour = pdf_fill(sample_settings().config.brand.text_color, "rgb")
    assert f"{text_colour}\nBT /{ITALIC} ".encode() in layer
    assert f"0 g\nBT /{SANS} ".encode() in layer


def test_addressed_base_greets_nobody_of_its_own(base: PrintedIssue) -> None:
    assert "Hi neighbor" not in PdfReader(io.BytesIO(base.pdf)).pages[0].extract_text()


def test_first_name_too_long_for_the_greeting_is_an_error_naming_its_csv_line(
    base: PrintedIssue,
) -> None:
    endless = replace(recipient(" ".join(["Maximiliane"] * 9), "Nowak"), line=17)
    with pytest.raises(ContentError) as caught:
        addressed_copies(base.pdf, base.layout, [endless], lettering=sample_lettering())
    assert (caught.value.line, caught.value.key) == (17, "first_name")


def test_names_with_diacritics_print_with_their_own_letters(combined: bytes) -> None:
    texts = [t.text for t in overlay_texts(combined, 0)]
    assert "Łukasz Nowak" in texts
    assert "?" not in "".join(texts)


def test_each_copy_carries_its_own_referral_code(combined: bytes, base: PrintedIssue) -> None:
    for copy, person in enumerate(PEOPLE):
        page = first_page(combined, copy, base.pages)
        codes = [t.text for t in texts_in(base.layout.code, combined, page)]
        assert codes == [person.code]


def test_qr_code_scans_to_the_personal_referral_link(combined: bytes, base: PrintedIssue) -> None:
    for copy, person in enumerate(PEOPLE):
        assert scanned_qr_codes(combined, first_page(combined, copy, base.pages)) == [person.link]


def test_codes_drawn_by_worker_processes_scan_to_each_readers_link(base: PrintedIssue) -> None:
    readers = recipients(PARALLEL_FROM)  # enough copies for the worker processes to draw
    pdf = addressed_copies(base.pdf, base.layout, readers, lettering=sample_lettering(), workers=2)
    for copy in (0, 1, len(readers) // 2, len(readers) - 1):
        assert scanned_qr_codes(pdf, copy * base.pages) == [readers[copy].link]


def test_qr_code_fills_its_box_on_page_1(combined: bytes, base: PrintedIssue) -> None:
    page = PdfReader(io.BytesIO(combined)).pages[first_page(combined, 1, base.pages)]
    corner, layer = (page["/Contents"][i].get_object().get_data().decode() for i in (-2, -1))
    x0, y1 = (float(v) for v in re.search(r"1 0 0 1 ([\d.]+) ([\d.]+) cm", corner).groups())
    scale, _, _, _, x, y = (float(v) for v in re.search(r"q ([-\d. ]+) cm 0 g", layer)[1].split())
    modules = {(int(c), int(r)) for c, r in re.findall(r"(\d+) (\d+) \d+ 1 re", layer)}
    size = max(r for _, r in modules) + 1
    box = base.layout.qr
    assert (round(x0 + x, 2), round(y1 + y, 2)) == (
        round(x0 + box.left, 2),
        round(y1 - box.bottom, 2),
    )
    assert round(scale * size, 2) == round(box.width, 2)


def test_progress_line_is_printed_when_there_is_one(combined: bytes, base: PrintedIssue) -> None:
    page = first_page(combined, 1, base.pages)
    words = " ".join(t.text for t in texts_in(base.layout.progress, combined, page))
    assert words == PROGRESS[PEOPLE[1].email]


def test_no_progress_line_by_default(combined: bytes, base: PrintedIssue) -> None:
    assert texts_in(base.layout.progress, combined, 0) == []


def test_copies_share_the_issue_instead_of_repeating_it(base: PrintedIssue) -> None:
    one = addressed_copies(base.pdf, base.layout, PEOPLE[:1], lettering=sample_lettering())
    many = addressed_copies(
        base.pdf,
        base.layout,
        [replace(PEOPLE[0], code=f"K{n:07d}") for n in range(8)],
        lettering=sample_lettering(),
    )
    assert (len(many) - len(one)) / 7 < 6000  # bytes per further copy: its layer only


def test_same_recipients_give_the_same_bytes(combined: bytes, base: PrintedIssue) -> None:
    again = addressed_copies(
        base.pdf, base.layout, PEOPLE, lettering=sample_lettering(), progress=PROGRESS
    )
    assert again == combined


def test_pdfx_output_intent_and_metadata_carry_over_to_the_copies(
    tmp_path: Path,
) -> None:
    shutil.copy(Path(weasyprint.__file__).parent / "pdf" / "sRGB2014.icc", tmp_path / "p.icc")
    settings = settings_with(tmp_path, pdfx="pdf/x-3", output_profile="p.icc")
    base = render(sample_issue(), settings, "addressed")
    pdf = PdfReader(
        io.BytesIO(
            addressed_copies(base.pdf, base.layout, PEOPLE[:1], lettering=sample_lettering())
        )
    )
    assert pdf.trailer["/Root"]["/OutputIntents"][0]["/S"] == "/GTS_PDFX"
    assert pdf.metadata["/GTS_PDFXVersion"] == "PDF/X-3:2003"
    assert len(pdf.trailer["/ID"]) == 2


def test_split_gives_one_standalone_pdf_per_recipient(base: PrintedIssue) -> None:
    files = list(split_copies(base.pdf, base.layout, PEOPLE[:2], lettering=sample_lettering()))
    assert [r for r, _ in files] == PEOPLE[:2]
    for person, pdf in files:
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == base.pages
        assert person.code in reader.pages[0].extract_text()


def test_split_file_names_follow_the_postal_sort() -> None:
    assert copy_name(7, recipient("María", "González", postal_code="53703")) == (
        "0007-53703-gonzalez.pdf"
    )
