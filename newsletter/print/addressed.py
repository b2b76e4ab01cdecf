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

import functools
import io
import unicodedata
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from pypdf import PdfReader

from newsletter.print.frontpage import FrontLayout
from newsletter.print.layers import ParallelLayers, stack_copies
from newsletter.print.mailing import MailRecipient, Progress
from newsletter.print.overlay import (
    ITALIC,
    SANS,
    Lettering,
    Overlay,
    overlay_content,
    plan_overlays,
)
from newsletter.print.pdfdraw import FontSubset, subset_font


@dataclass(frozen=True)
class Layers:
    """Every recipient's page-1 layer, ready to put on copies of the base."""

    recipients: Sequence[MailRecipient]
    streams: Sequence[bytes]  # Flate-compressed, one per recipient
    fonts: dict[str, FontSubset]  # resource name -> the subset of what the layers draw


def _draw(overlays: Sequence[Overlay], layout: FrontLayout, lettering: Lettering) -> list[bytes]:
    """Compressed page-1 layers for a chunk of overlays (runs in a worker process)."""
    return [zlib.compress(overlay_content(o, layout, lettering), 6) for o in overlays]


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
        draw = functools.partial(_draw, layout=layout, lettering=lettering)
        self._drawing = ParallelLayers(self._overlays, draw, workers=workers)
        self._done: Layers | None = None

    def track(self, advance: Callable[[int], object]) -> None:
        """Call ``advance(n)`` as each chunk of n layers is done."""
        self._drawing.track(advance)

    def layers(self) -> Layers:
        """The layers in recipient order (waiting for the workers)."""
        if self._done is None:
            streams = self._drawing.results()
            sans = "".join(o.sans_text() for o in self._overlays)
            italic = "".join(line for o in self._overlays for line in o.greeting.lines)
            fonts = {
                SANS: subset_font(self._lettering.sans, sans),
                ITALIC: subset_font(self._lettering.italic, italic),
            }
            self._done = Layers(self._recipients, streams, fonts)
        return self._done

    def close(self) -> None:
        self._drawing.close()

    def __enter__(self) -> LayerDrawing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def copies_pdf(
    bases: Sequence[bytes], layers: Layers, editions: Sequence[int] | None = None
) -> bytes:
    """One PDF with a copy for each recipient of ``layers``, in their order: the pages of
    ``bases[editions[n]]`` for the n-th (of ``bases[0]`` for all without ``editions``)."""
    readers = [PdfReader(io.BytesIO(base)) for base in bases]
    of_copy = editions if editions is not None else [0] * len(layers.streams)
    identity = _identity(bases, layers.recipients)
    copies = [(layer,) for layer in layers.streams]
    return stack_copies(readers, layers.fonts, copies, of_copy, identity)


def split_pdfs(
    bases: Sequence[bytes], layers: Layers, editions: Sequence[int] | None = None
) -> Iterator[tuple[MailRecipient, bytes]]:
    """One PDF per recipient (``--split``), in order, built one at a time."""
    readers = [PdfReader(io.BytesIO(base)) for base in bases]
    of_copy = editions if editions is not None else [0] * len(layers.streams)
    for recipient, layer, index in zip(layers.recipients, layers.streams, of_copy, strict=True):
        identity = _identity([bases[index]], [recipient])
        yield recipient, stack_copies([readers[index]], layers.fonts, [(layer,)], [0], identity)


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


def _identity(bases: Sequence[bytes], recipients: Sequence[MailRecipient]) -> list[bytes]:
    return [*bases, *(f"{r.email}\x00{r.code}".encode() for r in recipients)]
