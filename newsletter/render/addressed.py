"""Addressed copies: the issue rendered once, and a small layer per recipient on page 1.

Every copy's pages reference the content streams, fonts and images of the once-rendered
base (``render_print_issue(variant="addressed")``); page 1 gets one more stream, about 2 KB
compressed, drawing the address in the window zone, the referral code, the QR code to the
personal referral link and the progress line. So 5,000 copies take seconds, and the file is
one copy plus 2 KB a recipient. The layers are drawn in worker processes
(:class:`LayerDrawing`), which can start before the base exists: they are placed from the
trim's corner, and their text is encoded with the full font's glyph ids, so neither the base
nor the font subset is needed until the copies are written.

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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import cast

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
    qr_code,
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


def plan_overlays(
    recipients: Sequence[MailRecipient],
    layout: FrontLayout,
    font: FontMetrics,
    progress: Progress | None = None,
) -> list[Overlay]:
    """Every recipient's overlay, in order; the first address that cannot fit raises."""
    return [plan_overlay(r, layout, font, progress_line(progress, r)) for r in recipients]


def overlay_content(overlay: Overlay, layout: FrontLayout, font: FontMetrics) -> bytes:
    """Page-1 operators for one recipient, with the origin at the trim's top-left corner (so
    y is negative down the page): the shared stream put before every layer moves it there
    and closes the base page's own graphics state."""
    ops = []
    placed = ((overlay.address, layout.address), (overlay.code, layout.code))
    for block, box in (*placed, (overlay.progress, layout.progress)):
        if block is None:
            continue
        for line, baseline in zip(block.lines, block.baselines, strict=True):
            ops.append(text_ops(font, FONT, block.size, box.left, -(box.top + baseline), line))
    qr = layout.qr
    ops.append(qr_ops(qr_code(overlay.link), qr.left, -qr.bottom, qr.width))
    ops.append("Q\n")
    return "".join(ops).encode("ascii")


@dataclass(frozen=True)
class _Job:
    overlays: Sequence[Overlay]
    layout: FrontLayout
    font: FontMetrics


def _draw(job: _Job) -> list[bytes]:
    """Compressed page-1 layers for a chunk of overlays (runs in a worker process)."""
    return [zlib.compress(overlay_content(o, job.layout, job.font), 6) for o in job.overlays]


@dataclass(frozen=True)
class Layers:
    """Every recipient's page-1 layer, ready to put on copies of the base."""

    recipients: Sequence[MailRecipient]
    streams: Sequence[bytes]  # Flate-compressed, one per recipient
    subset: FontSubset  # every character the layers draw


class LayerDrawing:
    """The layers of ``recipients``, drawn by worker processes from the moment this is made
    while the caller goes on (rendering the issue itself takes seconds on its own);
    :meth:`layers` waits for them. Addresses are fitted first, here, so one that cannot fit
    stops the job before anything else runs. A context manager: leaving it stops the workers.
    """

    def __init__(
        self,
        recipients: Sequence[MailRecipient],
        layout: FrontLayout,
        font: FontMetrics,
        progress: Progress | None = None,
        *,
        workers: int | None = None,
    ) -> None:
        self._recipients = tuple(recipients)
        self._overlays = plan_overlays(recipients, layout, font, progress)
        self._font = font
        self._jobs = [
            _Job(self._overlays[i : i + CHUNK], layout, font)
            for i in range(0, len(self._overlays), CHUNK)
        ]
        count = workers if workers is not None else (os.cpu_count() or 1)
        parallel = count > 1 and len(self._overlays) >= PARALLEL_FROM
        self._pool = ProcessPoolExecutor(max_workers=count) if parallel else None
        self._futures = [self._pool.submit(_draw, job) for job in self._jobs] if self._pool else []
        self._done: Layers | None = None

    def layers(self, advance: Callable[[int], object] | None = None) -> Layers:
        """The layers in recipient order; ``advance(n)`` is told as each chunk of n is done."""
        if self._done is None:
            streams: list[bytes] = []
            for index, job in enumerate(self._jobs):
                chunk = self._futures[index].result() if self._futures else _draw(job)
                streams += chunk
                if advance is not None:
                    advance(len(chunk))
            chars = "".join(o.text() for o in self._overlays)
            self._done = Layers(self._recipients, streams, subset_font(self._font, chars))
        return self._done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def __enter__(self) -> LayerDrawing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def copies_pdf(base: bytes, layers: Layers) -> bytes:
    """One PDF with a copy of ``base`` for each recipient of ``layers``, in their order."""
    reader = PdfReader(io.BytesIO(base))
    return _write(reader, layers.subset, layers.streams, _identity(base, layers.recipients))


def split_pdfs(base: bytes, layers: Layers) -> Iterator[tuple[MailRecipient, bytes]]:
    """One PDF per recipient (``--split``), in order, built one at a time."""
    reader = PdfReader(io.BytesIO(base))
    for recipient, layer in zip(layers.recipients, layers.streams, strict=True):
        yield recipient, _write(reader, layers.subset, [layer], _identity(base, [recipient]))


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
    with LayerDrawing(recipients, layout, font, progress, workers=workers) as drawing:
        return copies_pdf(base, drawing.layers())


def split_copies(
    base: bytes,
    layout: FrontLayout,
    recipients: Sequence[MailRecipient],
    *,
    font: FontMetrics,
    progress: Progress | None = None,
    workers: int | None = None,
) -> Iterator[tuple[MailRecipient, bytes]]:
    """One PDF per recipient, in the order given, built one at a time."""
    with LayerDrawing(recipients, layout, font, progress, workers=workers) as drawing:
        layers = drawing.layers()
    yield from split_pdfs(base, layers)


def copy_name(number: int, recipient: MailRecipient) -> str:
    """``0007-53703-nowak.pdf``: the copy's place in the postal sort, then who it is for."""
    postal = "".join(ch for ch in recipient.address.postal_code if ch.isalnum())
    folded = unicodedata.normalize("NFKD", recipient.last_name.lower())  # "gonzález": "gonzalez"
    name = "".join(ch for ch in folded if ch.isascii() and ch.isalnum())
    return f"{number:04d}-{postal or 'nopostcode'}-{name or 'copy'}.pdf"


def _write(
    reader: PdfReader, subset: FontSubset, layers: Sequence[bytes], identity: list[bytes]
) -> bytes:
    """The base pages once per layer; every copy shares the base's streams and resources.

    Copies after the first are appended to the page tree directly: pypdf's add_page
    duplicates a page's content streams each time, which would store the issue once per
    recipient.
    """
    writer = PdfWriter()
    font = embed_font(writer, subset)
    x0, _, _, y1 = (float(v) for v in reader.pages[0].trimbox)
    opening = stream(writer, b"q\n")
    to_trim_corner = stream(writer, f"Q\nq 1 0 0 1 {x0:.3f} {y1:.3f} cm 0 g\n".encode("ascii"))
    imported = [writer.add_page(page) for page in reader.pages]
    resources = _with_font(imported[0], font, writer)
    base_contents = _contents(imported[0])
    tree = cast(DictionaryObject, writer.root_object["/Pages"].get_object())
    kids = cast(ArrayObject, tree["/Kids"])
    for number, layer in enumerate(layers):
        pages = imported if number == 0 else [_append(writer, page, kids) for page in imported]
        pages[0][NameObject("/Resources")] = resources
        pages[0][NameObject("/Contents")] = ArrayObject(
            [opening, *base_contents, to_trim_corner, stream(writer, layer, compressed=True)]
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
