"""The quarterly postcard: both sides rendered once by WeasyPrint, then a small layer per
card with what is personal.

The base is two pages at the card's trim (bleed and crop marks as the issue has): the
message side (the title, the seasonal note, a tip, a local item, the soft ask and the QR
code's caption) and the address side (return address, the stamp box or permit indicia).
Each card then gets, like an addressed copy of the issue (``print/layers.py``):

- on the message side, the salutation ("Hi María,") and the QR code to the reader's
  referral page, or the sign-up page for a reader without a code;
- on the address side, the delivery address, fitted into the USPS read area at 11 pt down
  to 8 pt (DMM 202.2.1: at least 8 pt), above the barcode clear zone, which stays blank.

So 5,000 cards cost one WeasyPrint render and a few hundred bytes of operators each.
"""

from __future__ import annotations

import functools
import io
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jinja2
from pypdf import PdfReader

from newsletter.cards import CardContent
from newsletter.config import Settings
from newsletter.errors import BuildError, ContentError
from newsletter.print.assets import ColorMode
from newsletter.print.cardlayout import SAFE, CardLayout, card_layout
from newsletter.print.document import css_color, title_font
from newsletter.print.layers import ParallelLayers, stack_copies
from newsletter.print.mailing import MailRecipient
from newsletter.print.overlay import ITALIC, SANS, Lettering, fit_greeting
from newsletter.print.pdfdraw import (
    FontSubset,
    TextBlock,
    fit_text,
    qr_code,
    qr_ops,
    subset_font,
    text_ops,
)
from newsletter.print.postal import address_lines
from newsletter.print.press import paper_press
from newsletter.render.environment import palette, render_template

TEMPLATE = "cards/card.html.j2"
SIDES = 2  # the message side, then the address side: duplex order
ADDRESS_SIZES = {"max_size": 11.0, "min_size": 8.0}  # the USPS asks for 8 pt at least
DENSITIES = (1.0, 0.92, 0.85)  # type sizes tried, from roomy to dense, before giving up
TITLE_SIZES = (13.0, 8.0)  # the title's largest and smallest size on a 4.25 x 6 in card
GREETING_SIZE = 9.5  # the salutation, a little above the note's 8 pt (on a 4.25 x 6 in card)


@dataclass(frozen=True)
class CardBase:
    """Both sides of the quarter's card, once, with the personal spots left empty."""

    pdf: bytes
    layout: CardLayout
    warnings: tuple[str, ...]


def render_card_base(card: CardContent, settings: Settings, env: jinja2.Environment) -> CardBase:
    """The card's two sides as a print-ready PDF; BuildError naming the content file when
    its text runs past the message side."""
    layout = card_layout(settings.config.cards.card_size)
    press = paper_press(settings)
    warnings: list[str] = []
    for density in DENSITIES:
        context = _context(card, settings, layout, press.mode, density)
        document = press.render(render_template(env, TEMPLATE, context), warnings)
        if len(document.pages) == SIDES:
            break
    else:
        size = layout.size
        raise BuildError(
            f"the card's text runs past the message side of a {size.height:g} x "
            f"{size.length:g} in card; shorten the note, the tip or the local item",
            path=card.path,
        )
    return CardBase(press.write(document, warnings), layout, tuple(warnings))


def _context(
    card: CardContent, settings: Settings, layout: CardLayout, mode: ColorMode, density: float
) -> dict[str, object]:
    config = settings.config
    business = config.business
    home = settings.address
    length, height = layout.card
    columns = layout.columns
    colors = palette(config.brand)
    title = title_font(settings)
    largest, smallest = (size * layout.scale for size in TITLE_SIZES)
    size = next(
        (
            s / 4
            for s in range(round(largest * 4), round(smallest * 4) - 1, -1)
            if title.width(card.title, s / 4) <= columns.width
        ),
        smallest,
    )
    return {
        "lang": config.locale.split("_")[0],
        "card": card,
        "business": business,
        "layout": layout,
        "density": density,
        "box": layout.css(),
        "message_box": layout.css(origin=(SAFE, columns.top)),
        # The columns and, below them, the ask fill the message side down to the safe
        # margin; text that does not fit runs onto a page of its own, which is refused.
        "message_margin": " ".join(f"{side:.2f}pt" for side in (columns.top, SAFE, SAFE, SAFE)),
        "message_height": f"{height - SAFE - columns.top:.2f}pt",
        "card_length": f"{length:.2f}pt",
        "card_height": f"{height:.2f}pt",
        "bleed": f"{config.print.bleed:.2f}pt",
        "colors": {k: css_color(v, mode) for k, v in colors.items()},
        "white": css_color("#ffffff", mode),
        "black": css_color("#000000", mode),
        "title_size": f"{size:.2f}pt",
        "return_lines": address_lines(business.name, "", home, home_country=home.country),
        "indicia": config.cards.indicia,
    }


@dataclass(frozen=True)
class CardOverlay:
    """One card's personal parts, fitted and ready to draw."""

    greeting: TextBlock
    address: TextBlock
    link: str


def plan_card(recipient: MailRecipient, layout: CardLayout, lettering: Lettering) -> CardOverlay:
    """Fit ``recipient``'s salutation and address; ContentError naming the CSV line when the
    address cannot fit the read area at 8 pt."""
    zone = layout.address
    address = fit_text(lettering.sans, recipient.lines, zone.width, zone.height, **ADDRESS_SIZES)
    if address is None:
        raise ContentError(
            f"the address of {recipient.email} ({len(recipient.lines)} lines) does not fit the "
            f"card's address area ({zone.width / 72:.2f} × {zone.height / 72:.2f} in) even at "
            f"{ADDRESS_SIZES['min_size']:g} pt, the USPS's smallest; shorten it",
            path=recipient.source,
            line=recipient.line,
        )
    greeting = fit_greeting(
        recipient, layout.greeting, lettering, max_size=GREETING_SIZE * layout.scale
    )
    return CardOverlay(greeting, address, recipient.link)


def card_layers(
    overlays: Sequence[CardOverlay], layout: CardLayout, lettering: Lettering
) -> list[tuple[bytes, bytes]]:
    """Compressed layers (message side, address side) for a chunk of cards (runs in a
    worker process)."""
    return [
        (
            zlib.compress(_message_ops(o, layout, lettering), 6),
            zlib.compress(_address_ops(o, layout, lettering), 6),
        )
        for o in overlays
    ]


def _message_ops(overlay: CardOverlay, layout: CardLayout, lettering: Lettering) -> bytes:
    box, block = layout.greeting, overlay.greeting
    ops = [f"{lettering.ink}\n"]
    for line, baseline in zip(block.lines, block.baselines, strict=True):
        ops.append(
            text_ops(lettering.italic, ITALIC, block.size, box.left, -(box.top + baseline), line)
        )
    qr = layout.qr
    ops.append(qr_ops(qr_code(overlay.link), qr.left, -qr.bottom, qr.width))
    ops.append("Q\n")
    return "".join(ops).encode("ascii")


def _address_ops(overlay: CardOverlay, layout: CardLayout, lettering: Lettering) -> bytes:
    zone, block = layout.address, overlay.address
    # The block sits in the middle of its zone: well inside the read area, well above
    # the clear zone, whatever its number of lines.
    used = block.size * (lettering.sans.ascent + lettering.sans.descent) + (
        block.baselines[-1] - block.baselines[0]
    )
    top = zone.top + (zone.height - used) / 2
    ops = ["0 g\n"]  # black: read by machines
    for line, baseline in zip(block.lines, block.baselines, strict=True):
        ops.append(text_ops(lettering.sans, SANS, block.size, zone.left, -(top + baseline), line))
    ops.append("Q\n")
    return "".join(ops).encode("ascii")


@dataclass(frozen=True)
class CardLayers:
    recipients: Sequence[MailRecipient]
    streams: Sequence[tuple[bytes, bytes]]
    fonts: dict[str, FontSubset]


class CardDrawing:
    """Every card's layers, drawn by worker processes from the moment this is made while
    the caller renders the base; addresses are fitted first, so one that cannot fit stops
    the run before anything else. A context manager: leaving it stops the workers."""

    def __init__(
        self,
        recipients: Sequence[MailRecipient],
        layout: CardLayout,
        lettering: Lettering,
        *,
        workers: int | None = None,
    ) -> None:
        self._recipients = tuple(recipients)
        self._overlays = [plan_card(r, layout, lettering) for r in recipients]
        self._lettering = lettering
        draw = functools.partial(card_layers, layout=layout, lettering=lettering)
        self._drawing = ParallelLayers(self._overlays, draw, workers=workers)

    def track(self, advance: Callable[[int], object]) -> None:
        """Call ``advance(n)`` as each chunk of n cards is drawn (the progress bar)."""
        self._drawing.track(advance)

    def layers(self) -> CardLayers:
        """Every card's layers in order (waiting for the workers), and the fonts they use."""
        streams = self._drawing.results()
        sans = "".join(line for o in self._overlays for line in o.address.lines)
        italic = "".join(line for o in self._overlays for line in o.greeting.lines)
        fonts = {
            SANS: subset_font(self._lettering.sans, sans),
            ITALIC: subset_font(self._lettering.italic, italic),
        }
        return CardLayers(self._recipients, streams, fonts)

    def __enter__(self) -> CardDrawing:
        return self

    def __exit__(self, *exc: object) -> None:
        self._drawing.close()


def cards_pdf(base: CardBase, layers: CardLayers) -> bytes:
    """One PDF with both sides of every card, in the recipients' order (duplex: message
    side, then address side)."""
    reader = PdfReader(io.BytesIO(base.pdf))
    identity = [base.pdf, *(f"{r.email}\x00{r.link}".encode() for r in layers.recipients)]
    return stack_copies([reader], layers.fonts, layers.streams, [0] * len(layers.streams), identity)
