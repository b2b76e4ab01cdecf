"""Addressed copies: the issue rendered once, and a small layer per recipient on page 1.

Every copy's pages reference the content streams, fonts and images of the once-rendered
base (``render_print_issue(variant="addressed")``); page 1 gets one more stream, about 2 KB
compressed, drawing the address in the window zone, the referral code, the QR code to the
personal referral link and the progress line. So 5,000 copies take seconds, and the file is
one copy plus 2 KB a recipient. Layers are drawn in worker processes: the QR codes are the
costly part.

The address is fitted into :attr:`FrontLayout.address` (``render/window.py`` derives that
zone from the fold and the window): each line wrapped at spaces to the zone's width, the
size reduced from 10 pt towards 6 pt until every line, with its full ascent and descent,
lies inside. An address that does not fit at 6 pt is an error naming its CSV line.
"""

from __future__ import annotations

import io
import os
import unicodedata
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import cast

import segno
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

from newsletter.audience.mail import MailRecipient, Progress, progress_line
from newsletter.errors import ContentError
from newsletter.render.frontpage import FrontLayout
from newsletter.render.pdfdraw import (
    FontMetrics,
    FontSubset,
    TextBlock,
    add,
    embed_font,
    fit_text,
    qr_ops,
    set_identifier,
    stream,
    subset_font,
    text_ops,
)

FONT = "NLAddr"  # the overlay font's resource name on page 1
ADDRESS_SIZES = {"max_size": 10.0, "min_size": 6.0}
CODE_SIZES = {"max_size": 17.0, "min_size": 9.0}
PROGRESS_SIZES = {"max_size": 7.5, "min_size": 5.5}
CHUNK = 250  # recipients per worker task
PARALLEL_FROM = 400  # fewer copies than this are drawn in this process
CATALOG_KEYS = ("/OutputIntents", "/Metadata", "/Lang", "/ViewerPreferences")


@dataclass(frozen=True)
class Overlay:
    """One recipient's page-1 layer, fitted and ready to draw."""

    address: TextBlock
    code: TextBlock
    progress: TextBlock | None
    link: str

    def text(self) -> str:
        blocks = (self.address, self.code, self.progress)
        return "".join(line for b in blocks if b for line in b.lines)


def plan_overlay(
    recipient: MailRecipient, layout: FrontLayout, font: FontMetrics, progress: str = ""
) -> Overlay:
    """Fit ``recipient``'s address, code and progress line into their boxes; raise
    ContentError naming the CSV line when the address cannot fit the window zone."""
    zone = layout.address
    address = fit_text(font, recipient.lines, zone.width, zone.height, **ADDRESS_SIZES)
    if address is None:
        raise ContentError(
            f"the address of {recipient.email} ({len(recipient.lines)} lines) does not fit "
            f"the envelope window ({zone.width / 72:.2f} × {zone.height / 72:.2f} in) even at "
            f"{ADDRESS_SIZES['min_size']:g} pt; shorten it, or mail this one with a label",
            path=recipient.source,
            line=recipient.line,
        )
    box = layout.code
    code = fit_text(font, [recipient.code], box.width, box.height, **CODE_SIZES)
    if code is None:  # codes are 8 to 12 letters: a layout this cramped is a config problem
        raise ContentError(f"referral code {recipient.code} does not fit its box on page 1")
    box = layout.progress
    note = fit_text(font, [progress], box.width, box.height, **PROGRESS_SIZES) if progress else None
    return Overlay(address, code, note, recipient.link)


def overlay_content(
    overlay: Overlay, layout: FrontLayout, trim: Sequence[float], font: FontSubset
) -> bytes:
    """Page-1 operators for one recipient in the base page's user space (``trim`` is its
    TrimBox x0, y0, x1, y1). They start with ``Q``, closing the ``q`` put before the base
    page's own content, so the base's transformations do not apply here."""
    x0, _, _, y1 = (float(v) for v in trim)
    ops = ["Q\nq 0 g\n"]
    placed = ((overlay.address, layout.address), (overlay.code, layout.code))
    for block, box in (*placed, (overlay.progress, layout.progress)):
        if block is None:
            continue
        for line, baseline in zip(block.lines, block.baselines, strict=True):
            ops.append(
                text_ops(font, FONT, block.size, x0 + box.left, y1 - box.top - baseline, line)
            )
    matrix = segno.make_qr(overlay.link, error="m").matrix
    qr = layout.qr
    ops.append(qr_ops(matrix, x0 + qr.left, y1 - qr.bottom, qr.width))
    ops.append("Q\n")
    return "".join(ops).encode("ascii")


@dataclass(frozen=True)
class _Job:
    overlays: Sequence[Overlay]
    layout: FrontLayout
    trim: tuple[float, ...]
    font: FontSubset


def _draw(job: _Job) -> list[bytes]:
    """Compressed page-1 layers for a chunk of overlays (runs in a worker process)."""
    return [
        zlib.compress(overlay_content(o, job.layout, job.trim, job.font), 6) for o in job.overlays
    ]


def addressed_copies(
    base: bytes,
    layout: FrontLayout,
    recipients: Sequence[MailRecipient],
    *,
    font: FontMetrics,
    progress: Progress | None = None,
    workers: int | None = None,
) -> bytes:
    """One PDF with a copy of ``base`` for each recipient, in the order given."""
    reader, subset, layers = _prepare(base, layout, recipients, font, progress, workers)
    return _write(reader, subset, layers, identity=_identity(base, recipients))


def split_copies(
    base: bytes,
    layout: FrontLayout,
    recipients: Sequence[MailRecipient],
    *,
    font: FontMetrics,
    progress: Progress | None = None,
    workers: int | None = None,
) -> Iterator[tuple[MailRecipient, bytes]]:
    """One PDF per recipient (``--split``), in the order given, built one at a time."""
    reader, subset, layers = _prepare(base, layout, recipients, font, progress, workers)
    for recipient, layer in zip(recipients, layers, strict=True):
        yield recipient, _write(reader, subset, [layer], identity=_identity(base, [recipient]))


def copy_name(number: int, recipient: MailRecipient) -> str:
    """``0007-53703-nowak.pdf``: the copy's place in the postal sort, then who it is for."""
    postal = "".join(ch for ch in recipient.address.postal_code if ch.isalnum())
    folded = unicodedata.normalize("NFKD", recipient.last_name.lower())  # "gonzález": "gonzalez"
    name = "".join(ch for ch in folded if ch.isascii() and ch.isalnum())
    return f"{number:04d}-{postal or 'nopostcode'}-{name or 'copy'}.pdf"


def _prepare(
    base: bytes,
    layout: FrontLayout,
    recipients: Sequence[MailRecipient],
    font: FontMetrics,
    progress: Progress | None,
    workers: int | None,
) -> tuple[PdfReader, FontSubset, list[bytes]]:
    reader = PdfReader(io.BytesIO(base))
    trim = tuple(float(v) for v in reader.pages[0].trimbox)
    overlays = [plan_overlay(r, layout, font, progress_line(progress, r)) for r in recipients]
    subset = subset_font(font, "".join(o.text() for o in overlays))
    jobs = [
        _Job(overlays[i : i + CHUNK], layout, trim, subset) for i in range(0, len(overlays), CHUNK)
    ]
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count > 1 and len(overlays) >= PARALLEL_FROM:
        with ProcessPoolExecutor(max_workers=count) as pool:
            chunks = list(pool.map(_draw, jobs))
    else:
        chunks = [_draw(job) for job in jobs]
    return reader, subset, [layer for chunk in chunks for layer in chunk]


def _write(
    reader: PdfReader, subset: FontSubset, layers: Sequence[bytes], *, identity: list[bytes]
) -> bytes:
    """The base pages once per layer; every copy shares the base's streams and resources.

    Copies after the first are appended to the page tree directly: pypdf's add_page
    duplicates a page's content streams each time, which would store the issue once per
    recipient.
    """
    writer = PdfWriter()
    font = embed_font(writer, subset)
    opening = stream(writer, b"q\n")
    imported = [writer.add_page(page) for page in reader.pages]
    resources = _with_font(imported[0], font, writer)
    base_contents = _contents(imported[0])
    tree = cast(DictionaryObject, writer.root_object["/Pages"].get_object())
    kids = cast(ArrayObject, tree["/Kids"])
    for number, layer in enumerate(layers):
        pages = imported if number == 0 else [_append(writer, page, kids) for page in imported]
        pages[0][NameObject("/Resources")] = resources
        pages[0][NameObject("/Contents")] = ArrayObject(
            [opening, *base_contents, stream(writer, layer, compressed=True)]
        )
    tree[NameObject("/Count")] = NumberObject(len(kids))
    _keep_document_properties(reader, writer, identity)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _append(writer: PdfWriter, template: DictionaryObject, kids: ArrayObject) -> DictionaryObject:
    """A new page object with the same entries as ``template``, added to the page tree."""
    page = DictionaryObject(template.items())
    kids.append(add(writer, page))
    return page


def _contents(page: DictionaryObject) -> list[object]:
    contents = page["/Contents"]
    target = contents.get_object()
    if isinstance(target, ArrayObject):
        return list(target)
    return [contents]


def _with_font(page: DictionaryObject, font: object, writer: PdfWriter) -> object:
    resources = DictionaryObject(cast(DictionaryObject, page["/Resources"].get_object()))
    fonts = DictionaryObject(
        cast(DictionaryObject, resources.get("/Font", DictionaryObject()).get_object())
    )
    fonts[NameObject(f"/{FONT}")] = font
    resources[NameObject("/Font")] = fonts
    return add(writer, resources)


def _keep_document_properties(reader: PdfReader, writer: PdfWriter, identity: list[bytes]) -> None:
    """Carry over what PDF/X and the print shop read: output intent, XMP metadata, the
    document info (title, dates, PDF/X version) and a file identifier."""
    root = cast(DictionaryObject, reader.trailer["/Root"])
    for key in CATALOG_KEYS:
        if key in root:
            writer.root_object[NameObject(key)] = root[key].clone(writer)
    if reader.metadata:
        writer.add_metadata(dict(reader.metadata))
    set_identifier(writer, identity)


def _identity(base: bytes, recipients: Sequence[MailRecipient]) -> list[bytes]:
    return [base, *(f"{r.email}\x00{r.code}".encode() for r in recipients)]
