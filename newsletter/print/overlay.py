"""What each addressed copy adds to page 1: address, salutation, referral code, QR code and
progress line, fitted into the boxes of :class:`FrontLayout` and drawn as PDF operators.

The address is fitted into :attr:`FrontLayout.address` (``print/window.py`` derives that
zone from the fold and the window): each line wrapped at spaces to the zone's width, the
size reduced from 10 pt towards 6 pt until every line, with its full ascent and descent,
lies inside. An address that does not fit at 6 pt is an error naming its CSV line.

The salutation ("Hi María,") comes from ``templates/print/partials/greeting.txt.j2``,
rendered once with the first-name placeholder and filled per copy (the configured fallback
for a reader without a first name), set in the issue's italic where the generic edition
prints "Hi neighbor,": the issue itself is rendered once, never per copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from newsletter.errors import ContentError
from newsletter.placeholders import fill
from newsletter.print.frontpage import GREETING_SIZE, FrontLayout
from newsletter.print.mailing import MailRecipient, Progress, progress_line
from newsletter.print.pdfdraw import FontMetrics, TextBlock, fit_text, qr_code, qr_ops, text_ops
from newsletter.print.window import Box

SANS = "NLAddr"  # resource names of the overlay's fonts on page 1
ITALIC = "NLGreet"
ADDRESS_SIZES = {"max_size": 10.0, "min_size": 6.0}
CODE_SIZES = {"max_size": 17.0, "min_size": 9.0}
PROGRESS_SIZES = {"max_size": 7.5, "min_size": 5.5}
GREETING_SIZES = {"max_size": GREETING_SIZE, "min_size": 6.0}


@dataclass(frozen=True)
class Lettering:
    """How the layers write: the sans for addresses, codes and progress lines; the issue's
    body italic for the salutation, a template with the first-name placeholder."""

    sans: FontMetrics
    italic: FontMetrics
    salutation: str  # "Hi %%FIRST_NAME%%,"
    fallback: str  # the first name for readers without one
    ink: str = "0 g"  # the salutation's fill operator: the text colour


@dataclass(frozen=True)
class Overlay:
    """One recipient's page-1 layer, fitted and ready to draw."""

    address: TextBlock
    greeting: TextBlock
    code: TextBlock
    progress: TextBlock | None
    link: str

    def sans_text(self) -> str:
        blocks = (self.address, self.code, self.progress)
        return "".join(line for b in blocks if b for line in b.lines)


def plan_overlay(
    recipient: MailRecipient, layout: FrontLayout, lettering: Lettering, progress: str = ""
) -> Overlay:
    """Fit ``recipient``'s address, salutation, code and progress line into their boxes;
    raise ContentError naming the CSV line when the address or the salutation cannot fit."""
    font = lettering.sans
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
    greeting = fit_greeting(recipient, layout.greeting, lettering)
    return Overlay(address, greeting, code, note, recipient.link)


def fit_greeting(
    recipient: MailRecipient, box: Box, lettering: Lettering, *, max_size: float = GREETING_SIZE
) -> TextBlock:
    """The salutation ("Hi María,") on one line of ``box``, centred in the line as CSS
    sets the generic edition's (half the leading above, half below); ContentError naming
    the CSV line when even the smallest size cannot fit it."""
    font = lettering.italic
    name = recipient.first_name.strip() or lettering.fallback
    text = " ".join(fill(lettering.salutation, {"first_name": name}).split())
    sizes = {**GREETING_SIZES, "max_size": max_size}
    fitted = fit_text(font, [text], box.width, box.height, **sizes)
    if fitted is None or len(fitted.lines) != 1:
        raise ContentError(
            f"the salutation {text!r} does not fit its line even at "
            f"{GREETING_SIZES['min_size']:g} pt; shorten the first name of {recipient.email}",
            path=recipient.source,
            line=recipient.line,
            key="first_name",
        )
    size = fitted.size
    baseline = (box.height - size * (font.ascent + font.descent)) / 2 + size * font.ascent
    return TextBlock(size, fitted.lines, (baseline,))


def plan_overlays(
    recipients: Sequence[MailRecipient],
    layout: FrontLayout,
    lettering: Lettering,
    progress: Progress | None = None,
) -> list[Overlay]:
    """Every recipient's overlay, in order; the first one that cannot fit raises."""
    return [plan_overlay(r, layout, lettering, progress_line(progress, r)) for r in recipients]


def overlay_content(overlay: Overlay, layout: FrontLayout, lettering: Lettering) -> bytes:
    """Page-1 operators for one recipient, with the origin at the trim's top-left corner (so
    y is negative down the page): the shared stream put before every layer moves it there
    and closes the base page's own graphics state."""
    ops = []
    placed = (
        (overlay.address, layout.address, lettering.sans, SANS),
        (overlay.greeting, layout.greeting, lettering.italic, ITALIC),
        (overlay.code, layout.code, lettering.sans, SANS),
        (overlay.progress, layout.progress, lettering.sans, SANS),
    )
    for block, box, font, resource in placed:
        if block is None:
            continue
        # The address, code and progress line in black (window addresses are read by
        # machines); the salutation in the body's colour, as on the generic edition.
        ops.append(f"{lettering.ink if resource == ITALIC else '0 g'}\n")
        for line, baseline in zip(block.lines, block.baselines, strict=True):
            ops.append(text_ops(font, resource, block.size, box.left, -(box.top + baseline), line))
    qr = layout.qr
    ops.append(qr_ops(qr_code(overlay.link), qr.left, -qr.bottom, qr.width))
    ops.append("Q\n")
    return "".join(ops).encode("ascii")
