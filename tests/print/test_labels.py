"""labels.pdf: Avery 5160 sheets, 30 labels of 2.625 × 1 in, each address on its own label."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from newsletter.print.labels import AVERY_5160, label_lines, labels_pdf
from tests.print.support import address_metrics, page_texts, recipients

INCH = 72.0


@pytest.fixture(scope="module")
def sheets() -> bytes:
    return labels_pdf(recipients(31), font=address_metrics())


def test_sheet_is_us_letter() -> None:
    assert AVERY_5160.page == (8.5 * INCH, 11 * INCH)


def test_labels_are_2_625_by_1_inch_in_3_columns_of_10() -> None:
    boxes = [AVERY_5160.box(n) for n in range(30)]
    assert {(b.width, b.height) for b in boxes} == {(2.625 * INCH, 1 * INCH)}
    assert sorted({b.left for b in boxes}) == [0.1875 * INCH, 2.9375 * INCH, 5.6875 * INCH]
    assert sorted({b.top for b in boxes}) == [(0.5 + row) * INCH for row in range(10)]


def test_labels_fill_the_sheet_edge_to_edge_within_its_margins() -> None:
    last = AVERY_5160.box(29)
    assert last.right == pytest.approx(8.5 * INCH - 0.1875 * INCH)
    assert last.bottom == pytest.approx(11 * INCH - 0.5 * INCH)


def test_thirty_labels_to_a_sheet(sheets: bytes) -> None:
    assert len(PdfReader(io.BytesIO(sheets)).pages) == 2


@pytest.mark.parametrize("index", [0, 1, 2, 14, 29])
def test_each_label_text_lies_inside_its_label(sheets: bytes, index: int) -> None:
    font = address_metrics()
    box = AVERY_5160.box(index)
    left, right = box.left, box.right
    top, bottom = 11 * INCH - box.top, 11 * INCH - box.bottom
    person = recipients(31)[index]
    texts = [t for t in page_texts(sheets, 0) if left <= t.x <= right and bottom <= t.y <= top]
    assert [t.text for t in texts] == list(label_lines(person))
    for t in texts:
        assert t.x + font.width(t.text, t.size) <= right
        assert t.y + font.ascent * t.size <= top and t.y - font.descent * t.size >= bottom


def test_the_thirty_first_label_starts_the_second_sheet(sheets: bytes) -> None:
    texts = [t.text for t in page_texts(sheets, 1)]
    assert texts == list(label_lines(recipients(31)[30]))


def test_label_carries_the_referral_code_above_the_name() -> None:
    person = recipients(1)[0]
    assert label_lines(person)[:2] == (f"Ref. {person.code}", person.lines[0])
