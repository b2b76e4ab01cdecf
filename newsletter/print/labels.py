"""Address labels on Avery 5160 sheets: an alternative to window envelopes.

A 5160 sheet is US Letter with 30 labels of 2.625 × 1 in in 3 columns and 10 rows: 1/2 in
top and bottom margins, 3/16 in side margins, 1/8 in between columns, none between rows.
Each label carries the recipient's referral code as its first line (the keyline USPS allows
above the name: the generic issue.pdf mailed with labels has no personal code of its own)
and the address block, fitted like on addressed copies. Drawn directly (see pdfdraw): the
labels of 5,000 recipients take well under a second.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
)

from newsletter.errors import ContentError
from newsletter.print.mailing import MailRecipient
from newsletter.print.pdfdraw import (
    LEADING,
    FontMetrics,
    embed_font,
    fit_text,
    set_identifier,
    stream,
    subset_font,
    text_ops,
)
from newsletter.print.window import Box

INCH = 72.0
FONT = "NLLabel"
PADDING = (0.16 * INCH, 0.1 * INCH)  # inside each label: die-cut labels shift a little
SIZES = {"max_size": 10.0, "min_size": 6.0}


@dataclass(frozen=True)
class LabelSheet:
    name: str
    page: tuple[float, float]
    columns: int
    rows: int
    width: float
    height: float
    left: float  # side margin
    top: float  # top margin
    pitch_x: float  # from one label's left edge to the next one's
    pitch_y: float

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    def box(self, index: int) -> Box:
        """Label ``index`` (0-based, across then down) on its sheet, from the top-left."""
        row, column = divmod(index % self.per_sheet, self.columns)
        return Box(
            self.left + column * self.pitch_x,
            self.top + row * self.pitch_y,
            self.width,
            self.height,
        )


AVERY_5160 = LabelSheet(
    name="Avery 5160",
    page=(8.5 * INCH, 11 * INCH),
    columns=3,
    rows=10,
    width=2.625 * INCH,
    height=1.0 * INCH,
    left=0.1875 * INCH,
    top=0.5 * INCH,
    pitch_x=2.75 * INCH,
    pitch_y=1.0 * INCH,
)


def label_lines(recipient: MailRecipient) -> tuple[str, ...]:
    return (f"Ref. {recipient.code}", *recipient.lines)


def labels_pdf(
    recipients: Sequence[MailRecipient],
    *,
    font: FontMetrics,
    sheet: LabelSheet = AVERY_5160,
    title: str = "Mailing labels",
    advance: Callable[[int], object] | None = None,
) -> bytes:
    """Labels for ``recipients`` in order, ``sheet.per_sheet`` to a page; ``advance(1)`` is
    told as each label is laid out (most of the work)."""
    writer = PdfWriter()
    blocks = []
    pad_x, pad_y = PADDING
    for recipient in recipients:
        lines = label_lines(recipient)
        block = fit_text(font, lines, sheet.width - 2 * pad_x, sheet.height - 2 * pad_y, **SIZES)
        if block is None:
            raise ContentError(
                f"the address of {recipient.email} does not fit a {sheet.name} label",
                path=recipient.source,
                line=recipient.line,
            )
        blocks.append(block)
        if advance is not None:
            advance(1)
    subset = subset_font(font, "".join(line for b in blocks for line in b.lines))
    font_ref = embed_font(writer, subset)
    resources = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject(f"/{FONT}"): font_ref})}
    )
    width, height = sheet.page
    for start in range(0, max(len(blocks), 1), sheet.per_sheet):
        ops = ["q 0 g\n"]
        for index, block in enumerate(blocks[start : start + sheet.per_sheet]):
            box = sheet.box(index)
            # Centred vertically: a short address sits in the middle of its label.
            used = block.size * (font.ascent + font.descent + LEADING * (len(block.lines) - 1))
            top = box.top + (box.height - used) / 2
            for line, baseline in zip(block.lines, block.baselines, strict=True):
                x = box.left + pad_x
                y = height - (top + baseline)
                ops.append(text_ops(font, FONT, block.size, x, y, line))
        ops.append("Q\n")
        page = writer.add_blank_page(width, height)
        page[NameObject("/Resources")] = resources
        page[NameObject("/Contents")] = stream(writer, "".join(ops).encode("ascii"))
        page[NameObject("/TrimBox")] = ArrayObject(
            [FloatObject(0), FloatObject(0), FloatObject(width), FloatObject(height)]
        )
    writer.add_metadata({"/Title": title, "/Producer": "newsletter"})
    set_identifier(writer, (f"{r.email}\x00{r.code}".encode() for r in recipients))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
