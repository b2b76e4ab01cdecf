"""Addressed copies: the issue rendered once, and a small layer per recipient on page 1.

Every copy's pages reference the content streams, fonts and images of the once-rendered
base (``render_print_issue(variant="addressed")``); page 1 gets one more stream, about 2 KB
compressed, drawing the address in the window zone, the referral code, the QR code to the
personal referral link and the progress line. So 5,000 copies take seconds, and the file is
one copy plus 2 KB a recipient. The layers are drawn in worker processes
(:class:`LayerDrawing`), which can start before the base exists: they are placed from the
trim's corner, and their text is encoded with the full font's glyph ids, so neither the base
nor the font subset is needed until the copies are written.
"""

from __future__ import annotations

import io
import os
import unicodedata
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import cast

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
)

from newsletter.print.compat import add_object
from newsletter.print.frontpage import FrontLayout
from newsletter.print.mailing import MailRecipient, Progress
from newsletter.print.overlay import (
    ITALIC,
    SANS,
    Lettering,
    Overlay,
    overlay_content,
    plan_overlays,
)
from newsletter.print.pdfdraw import (
    FontSubset,
    embed_font,
    set_identifier,
    stream,
    subset_font,
)

CHUNK = 250  # recipients per worker task
PARALLEL_FROM = 400  # fewer copies than this are drawn in this process
CATALOG_KEYS = ("/OutputIntents", "/Metadata", "/Lang", "/ViewerPreferences")


@dataclass(frozen=True)
class _Job:
    overlays: Sequence[Overlay]
    layout: FrontLayout
    lettering: Lettering


def _draw(job: _Job) -> list[bytes]:
    """Compressed page-1 layers for a chunk of overlays (runs in a worker process)."""
    return [zlib.compress(overlay_content(o, job.layout, job.lettering), 6) for o in job.overlays]


@dataclass(frozen=True)
class Layers:
    """Every recipient's page-1 layer, ready to put on copies of the base."""

    recipients: Sequence[MailRecipient]
    streams: Sequence[bytes]  # Flate-compressed, one per recipient
    fonts: dict[str, FontSubset]  # resource name -> the subset of what the layers draw


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
        lettering: Lettering,
        progress: Progress | None = None,
        *,
        workers: int | None = None,
    ) -> None:
        self._recipients = tuple(recipients)
        self._overlays = plan_overlays(recipients, layout, lettering, progress)
        self._lettering = lettering
        self._jobs = [
            _Job(self._overlays[i : i + CHUNK], layout, lettering)
            for i in range(0, len(self._overlays), CHUNK)
        ]
        count = workers if workers is not None else (os.cpu_count() or 1)
        parallel = count > 1 and len(self._overlays) >= PARALLEL_FROM
        self._pool = ProcessPoolExecutor(max_workers=count) if parallel else None
        self._futures = [self._pool.submit(_draw, job) for job in self._jobs] if self._pool else []
        self._advance: Callable[[int], object] | None = None
        self._done: Layers | None = None

    def track(self, advance: Callable[[int], object]) -> None:
        """Call ``advance(n)`` as each chunk of n layers is done (from a worker's result
        thread when drawn in parallel, so a progress bar moves while the caller renders)."""
        self._advance = advance
        for job, future in zip(self._jobs, self._futures, strict=False):  # none: drawn here
            future.add_done_callback(_counter(advance, len(job.overlays)))

    def layers(self) -> Layers:
        """The layers in recipient order (waiting for the workers)."""
        if self._done is None:
            streams: list[bytes] = []
            for index, job in enumerate(self._jobs):
                if self._futures:
                    streams += self._futures[index].result()
                    continue
                streams += _draw(job)
                if self._advance is not None:
                    self._advance(len(job.overlays))
            sans = "".join(o.sans_text() for o in self._overlays)
            italic = "".join(line for o in self._overlays for line in o.greeting.lines)
            fonts = {
                SANS: subset_font(self._lettering.sans, sans),
                ITALIC: subset_font(self._lettering.italic, italic),
            }
            self._done = Layers(self._recipients, streams, fonts)
        return self._done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def __enter__(self) -> LayerDrawing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _counter(advance: Callable[[int], object], count: int) -> Callable[[Future[list[bytes]]], None]:
    """A done-callback telling ``advance`` of ``count`` layers when their chunk succeeded."""

    def done(future: Future[list[bytes]]) -> None:
        if not future.cancelled() and future.exception() is None:
            advance(count)

    return done


def copies_pdf(
    bases: Sequence[bytes], layers: Layers, editions: Sequence[int] | None = None
) -> bytes:
    """One PDF with a copy for each recipient of ``layers``, in their order: the pages of
    ``bases[editions[n]]`` for the n-th (of ``bases[0]`` for all without ``editions``)."""
    readers = [PdfReader(io.BytesIO(base)) for base in bases]
    of_copy = editions if editions is not None else [0] * len(layers.streams)
    identity = _identity(bases, layers.recipients)
    return _write(readers, layers.fonts, layers.streams, of_copy, identity)


def split_pdfs(
    bases: Sequence[bytes], layers: Layers, editions: Sequence[int] | None = None
) -> Iterator[tuple[MailRecipient, bytes]]:
    """One PDF per recipient (``--split``), in order, built one at a time."""
    readers = [PdfReader(io.BytesIO(base)) for base in bases]
    of_copy = editions if editions is not None else [0] * len(layers.streams)
    for recipient, layer, index in zip(layers.recipients, layers.streams, of_copy, strict=True):
        identity = _identity([bases[index]], [recipient])
        yield recipient, _write([readers[index]], layers.fonts, [layer], [0], identity)


def addressed_copies(
    base: bytes,
    layout: FrontLayout,
    recipients: Sequence[MailRecipient],
    *,
    lettering: Lettering,
    progress: Progress | None = None,
    workers: int | None = None,
) -> bytes:
    """One PDF with a copy of ``base`` for each recipient, in the order given."""
    with LayerDrawing(recipients, layout, lettering, progress, workers=workers) as drawing:
        return copies_pdf([base], drawing.layers())


def split_copies(
    base: bytes,
    layout: FrontLayout,
    recipients: Sequence[MailRecipient],
    *,
    lettering: Lettering,
    progress: Progress | None = None,
    workers: int | None = None,
) -> Iterator[tuple[MailRecipient, bytes]]:
    """One PDF per recipient, in the order given, built one at a time."""
    with LayerDrawing(recipients, layout, lettering, progress, workers=workers) as drawing:
        layers = drawing.layers()
    yield from split_pdfs([base], layers)


def copy_name(number: int, recipient: MailRecipient) -> str:
    """``0007-53703-nowak.pdf``: the copy's place in the postal sort, then who it is for."""
    postal = "".join(ch for ch in recipient.address.postal_code if ch.isalnum())
    folded = unicodedata.normalize("NFKD", recipient.last_name.lower())  # "gonzález": "gonzalez"
    name = "".join(ch for ch in folded if ch.isascii() and ch.isalnum())
    return f"{number:04d}-{postal or 'nopostcode'}-{name or 'copy'}.pdf"


@dataclass(frozen=True)
class _Edition:
    """One base's pages in the writer, and what each copy of them shares."""

    pages: Sequence[DictionaryObject]  # the first copy's
    resources: object  # page 1's, with the layers' fonts
    contents: list[object]  # page 1's own content streams
    to_trim_corner: IndirectObject  # closes them and moves the origin for the layer


def _write(
    readers: Sequence[PdfReader],
    fonts: dict[str, FontSubset],
    layers: Sequence[bytes],
    editions: Sequence[int],
    identity: list[bytes],
) -> bytes:
    """The pages of ``readers[editions[n]]`` once per layer n; every copy shares its base's
    streams and resources.

    A base's pages are added when a copy first needs them; later copies are appended to
    the page tree directly: pypdf's add_page duplicates a page's content streams each
    time, which would store the issue once per recipient.
    """
    writer = PdfWriter()
    embedded = {name: embed_font(writer, subset) for name, subset in fonts.items()}
    opening = stream(writer, b"q\n")
    imported: dict[int, _Edition] = {}
    tree = cast(DictionaryObject, writer.root_object["/Pages"].get_object())
    for layer, index in zip(layers, editions, strict=True):
        edition = imported.get(index)
        if edition is None:
            edition = imported[index] = _import(writer, readers[index], embedded)
            pages = edition.pages
        else:
            kids = cast(ArrayObject, tree["/Kids"])
            pages = [_append(writer, page, kids) for page in edition.pages]
        pages[0][NameObject("/Resources")] = edition.resources
        pages[0][NameObject("/Contents")] = ArrayObject(
            [
                opening,
                *edition.contents,
                edition.to_trim_corner,
                stream(writer, layer, compressed=True),
            ]
        )
    tree[NameObject("/Count")] = NumberObject(len(cast(ArrayObject, tree["/Kids"])))
    _keep_document_properties(readers[0], writer, identity)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _import(writer: PdfWriter, reader: PdfReader, fonts: dict[str, IndirectObject]) -> _Edition:
    x0, _, _, y1 = (float(v) for v in reader.pages[0].trimbox)
    to_trim_corner = stream(writer, f"Q\nq 1 0 0 1 {x0:.3f} {y1:.3f} cm 0 g\n".encode("ascii"))
    pages = [writer.add_page(page) for page in reader.pages]
    resources = _with_fonts(pages[0], fonts, writer)
    return _Edition(pages, resources, _contents(pages[0]), to_trim_corner)


def _append(writer: PdfWriter, template: DictionaryObject, kids: ArrayObject) -> DictionaryObject:
    """A new page object with the same entries as ``template``, added to the page tree."""
    page = DictionaryObject(template.items())
    kids.append(add_object(writer, page))
    return page


def _contents(page: DictionaryObject) -> list[object]:
    contents = page["/Contents"]
    target = contents.get_object()
    if isinstance(target, ArrayObject):
        return list(target)
    return [contents]


def _with_fonts(
    page: DictionaryObject, added: dict[str, IndirectObject], writer: PdfWriter
) -> object:
    resources = DictionaryObject(cast(DictionaryObject, page["/Resources"].get_object()))
    fonts = DictionaryObject(
        cast(DictionaryObject, resources.get("/Font", DictionaryObject()).get_object())
    )
    for name, font in added.items():
        fonts[NameObject(f"/{name}")] = font
    resources[NameObject("/Font")] = fonts
    return add_object(writer, resources)


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


def _identity(bases: Sequence[bytes], recipients: Sequence[MailRecipient]) -> list[bytes]:
    return [*bases, *(f"{r.email}\x00{r.code}".encode() for r in recipients)]
