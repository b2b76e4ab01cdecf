"""Per-recipient layers drawn in worker processes, and written onto copies of a base PDF.

Addressed copies of the issue and quarterly cards both render their base once (WeasyPrint)
and give each recipient a few hundred bytes of PDF operators on top. Drawing thousands of
layers (fitting text, encoding QR codes) takes seconds, so :class:`ParallelLayers` spreads
the chunks over worker processes, started before the caller renders the base, and
:func:`stack_copies` writes one copy of the base per recipient, every copy sharing the
base's content streams, fonts and images, each page getting its own layer.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
)

from newsletter.print.compat import add_object
from newsletter.print.pdfdraw import FontSubset, embed_font, set_identifier, stream
from newsletter.print.workers import worker_pool

CHUNK = 250  # recipients per worker task
PARALLEL_FROM = 400  # fewer than this are drawn in this process
CATALOG_KEYS = ("/OutputIntents", "/Metadata", "/Lang", "/ViewerPreferences")

T = TypeVar("T")
R = TypeVar("R")


class ParallelLayers(Generic[T, R]):
    """``draw`` applied to ``items`` in chunks by worker processes from the moment this is
    made, while the caller goes on; :meth:`results` waits for them (in order). ``draw``
    must be picklable (a module-level function, or a partial of one). A context manager:
    leaving it stops the workers."""

    def __init__(
        self,
        items: Sequence[T],
        draw: Callable[[Sequence[T]], list[R]],
        *,
        workers: int | None = None,
    ) -> None:
        self._chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
        self._draw = draw
        count = workers if workers is not None else (os.cpu_count() or 1)
        parallel = count > 1 and len(items) >= PARALLEL_FROM
        self._pool = worker_pool(count) if parallel else None
        self._futures = [self._pool.submit(draw, c) for c in self._chunks] if self._pool else []
        self._advance: Callable[[int], object] | None = None

    def track(self, advance: Callable[[int], object]) -> None:
        """Call ``advance(n)`` as each chunk of n is done (from a worker's result thread
        when drawn in parallel, so a progress bar moves while the caller renders)."""
        self._advance = advance
        for chunk, future in zip(self._chunks, self._futures, strict=False):  # none: drawn here
            future.add_done_callback(_counter(advance, len(chunk)))

    def results(self) -> list[R]:
        """Every item's result, in order (waiting for the workers)."""
        done: list[R] = []
        for index, chunk in enumerate(self._chunks):
            if self._futures:
                done += self._futures[index].result()
                continue
            done += self._draw(chunk)
            if self._advance is not None:
                self._advance(len(chunk))
        return done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def __enter__(self) -> ParallelLayers[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _counter(advance: Callable[[int], object], count: int) -> Callable[[Future[list[R]]], None]:
    """A done-callback telling ``advance`` of ``count`` layers when their chunk succeeded."""

    def done(future: Future[list[R]]) -> None:
        if not future.cancelled() and future.exception() is None:
            advance(count)

    return done


def stack_copies(
    readers: Sequence[PdfReader],
    fonts: dict[str, FontSubset],
    layers: Sequence[Sequence[bytes]],
    editions: Sequence[int],
    identity: list[bytes],
) -> bytes:
    """One copy per entry of ``layers``: the n-th copy is the pages of
    ``readers[editions[n]]`` (its base), with its i-th stream (Flate-compressed) drawn over
    page i, the origin at the trim's top-left corner (y negative down the page) and the
    base page's own graphics state closed. ``fonts`` are embedded once and shared by every
    layer; ``identity`` makes the file's /ID. Every copy shares its base's streams and
    resources.

    A base's pages are added when a copy first needs them; later copies are appended to
    the page tree directly: pypdf's add_page duplicates a page's content streams each
    time, which would store the base once per recipient.
    """
    writer = PdfWriter()
    embedded = {name: embed_font(writer, subset) for name, subset in fonts.items()}
    opening = stream(writer, b"q\n")
    layered = max((len(copy) for copy in layers), default=0)  # pages that get a layer
    imported: dict[int, _Base] = {}
    tree = cast(DictionaryObject, writer.root_object["/Pages"].get_object())
    for copy, index in zip(layers, editions, strict=True):
        base = imported.get(index)
        if base is None:
            base = imported[index] = _import(writer, readers[index], embedded, layered)
            pages = base.pages
        else:
            kids = cast(ArrayObject, tree["/Kids"])
            pages = [_append(writer, page, kids) for page in base.pages]
        for number, layer in enumerate(copy):
            pages[number][NameObject("/Resources")] = base.resources[number]
            pages[number][NameObject("/Contents")] = ArrayObject(
                [
                    opening,
                    *base.contents[number],
                    base.to_trim_corner[number],
                    stream(writer, layer, compressed=True),
                ]
            )
    tree[NameObject("/Count")] = NumberObject(len(cast(ArrayObject, tree["/Kids"])))
    _keep_document_properties(readers[0], writer, identity)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class _Base:
    """One base's pages in the writer, and what each copy of them shares: for each page
    that gets a layer, its resources (with the layers' fonts), its own content streams,
    and the stream that closes them and moves the origin to the trim's corner."""

    pages: Sequence[DictionaryObject]  # the first copy's
    resources: Sequence[object]
    contents: Sequence[list[object]]
    to_trim_corner: Sequence[IndirectObject]


def _import(
    writer: PdfWriter, reader: PdfReader, fonts: dict[str, IndirectObject], layered: int
) -> _Base:
    pages = [writer.add_page(page) for page in reader.pages]
    corners = []
    for page in reader.pages[:layered]:
        x0, _, _, y1 = (float(v) for v in page.trimbox)
        corners.append(stream(writer, f"Q\nq 1 0 0 1 {x0:.3f} {y1:.3f} cm 0 g\n".encode()))
    return _Base(
        pages=pages,
        resources=[_with_fonts(page, fonts, writer) for page in pages[:layered]],
        contents=[_contents(page) for page in pages[:layered]],
        to_trim_corner=corners,
    )


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
