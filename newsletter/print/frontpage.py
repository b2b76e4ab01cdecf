"""The fixed layout of page 1's top panel, shared by the print template and the overlays.

The top third of page 1 is the mailing panel: masthead, return address, the blank area that
shows through the envelope window (the recipient's address goes in its zone) and, on the
right, the referral box whose code, QR code and progress line are filled per recipient.
Below it the issue's first column opens with the salutation, also filled per recipient.
Computed once here in points so WeasyPrint places the static parts and the per-recipient
layer places the rest at the same spots.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.config import Settings
from newsletter.errors import ConfigError
from newsletter.print.window import Box, address_zone, boxes_css, panel_height, window_reach

INCH = 72.0
PAPER = {"letter": (8.5 * INCH, 11 * INCH), "a4": (595.28, 841.89)}
MARGIN = 0.5 * INCH
MASTHEAD = 0.78 * INCH  # height of the name-and-title band under the top margin
GAP = 0.2 * INCH
PAD = 0.14 * INCH
QR_SIZE = 1.0 * INCH  # 0.56 mm modules for a version-7 code: easy for any phone camera
QUIET = 0.12 * INCH  # the light margin a QR code needs: 4 modules, and some more
PANEL_GAP = 12.0  # between the panel and the columns of the issue
COLUMN_GAP = 18.0  # between the two columns
GREETING_SIZE = 9.0  # the salutation's type (the roomiest body size), and its line:
GREETING_LINE = round(GREETING_SIZE * 1.38, 2)


@dataclass(frozen=True)
class FrontLayout:
    sheet: tuple[float, float]  # trimmed width and height
    panel: float  # height of the top panel (the fold)
    address: Box  # the recipient's address goes here, and only here
    reach: Box  # everything that can show through the window: blank but for the address
    contents: Box  # on copies that are not mailed, the window area lists the sections
    return_address: Box
    referral: Box  # the referral box
    heading: Box  # its heading (static)
    code: Box  # the referral code (per recipient)
    qr: Box  # the QR code (per recipient)
    caption: Box  # what the code and QR code are for (static)
    progress: Box  # the referral progress line (per recipient)
    greeting: Box  # "Hi María," atop the first column, below the panel (per recipient)

    def css(self, origin: tuple[float, float] = (0.0, 0.0)) -> dict[str, dict[str, str]]:
        """Each box as CSS ``left/top/width/height`` in points from ``origin`` (the corner
        of the page area the template positions from)."""
        return boxes_css(self, origin)


def front_layout(settings: Settings) -> FrontLayout:
    """Page 1's mailing panel for the configured paper and envelope."""
    config = settings.config.print
    sheet = PAPER[config.paper]
    width, height = sheet
    panel = panel_height(height)
    envelope = config.envelope
    address = address_zone(sheet, envelope)
    reach = window_reach(sheet, envelope)
    if config.envelope.return_window is not None:
        return_address = address_zone(sheet, envelope, envelope.return_window)
        if return_address.bottom > reach.top and return_address.left < reach.right:
            raise ConfigError(
                "the return window overlaps what the address window shows",
                key="print.envelope.return_window",
            )
    else:
        # Letterhead under the masthead, down to where the address window's reach begins
        # (a tall window, as on DL envelopes, leaves room for one line only).
        top = MARGIN + MASTHEAD
        height = min(0.62 * INCH, reach.top - 0.06 * INCH - top)
        if height < 9:
            raise ConfigError(
                "the address window reaches into the masthead of page 1",
                key="print.envelope.window",
            )
        return_address = Box(MARGIN, top, 3.2 * INCH, height)

    top = MARGIN + MASTHEAD
    left = max(reach.right, address.right) + GAP
    referral = Box(left, top, width - MARGIN - left, panel - GAP - top)
    if referral.width < 1.9 * INCH or referral.height < 2.0 * INCH:
        raise ConfigError(
            f"the envelope window leaves {referral.width / INCH:.2f} in beside it on page 1; "
            "the referral box needs 1.9 in",
            key="print.envelope.window",
        )
    inner = referral.left + PAD
    inner_width = referral.width - 2 * PAD
    heading = Box(inner, referral.top + PAD, inner_width, 0.2 * INCH)
    code = Box(inner, heading.bottom + 0.02 * INCH, inner_width, 0.32 * INCH)
    caption = Box(inner, code.bottom + 0.04 * INCH, inner_width, 0.28 * INCH)
    # At least 4 modules of quiet zone around the QR code (0.1 in for a version-7 code).
    qr_size = min(QR_SIZE, referral.bottom - PAD - caption.bottom - QUIET)
    qr = Box(inner, referral.bottom - PAD - qr_size, qr_size, qr_size)
    beside = qr.right + QUIET
    progress = Box(beside, qr.top, referral.right - PAD - beside, qr.height)
    return FrontLayout(
        sheet=sheet,
        panel=panel,
        address=address,
        reach=reach,
        contents=Box(
            max(reach.left, MARGIN),
            reach.top,
            min(reach.right, width - MARGIN) - max(reach.left, MARGIN),
            reach.height,
        ),
        return_address=return_address,
        referral=referral,
        heading=heading,
        code=code,
        qr=qr,
        caption=caption,
        progress=progress,
        greeting=Box(
            MARGIN, panel + PANEL_GAP, (width - 2 * MARGIN - COLUMN_GAP) / 2, GREETING_LINE
        ),
    )
