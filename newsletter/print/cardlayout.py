"""Where everything goes on a quarterly card, shared by its template and its overlays.

Both sides are measured on the trimmed card from its top-left corner, in points, with the
card lying as it is read on the address side: ``length`` across, ``height`` down.

The address side follows the USPS's letter-size layout (DMM 202.2.1 and 202.5.0,
Publication 28 A1, Quick Service Guide 201a):

- the **OCR read area**, where the delivery address must be: from 5/8 in to 2-3/4 in above
  the bottom edge, 1/2 in in from the left and right edges;
- the **barcode clear zone**, where the USPS sprays the Intelligent Mail barcode: 4-3/4 in
  from the right edge and 5/8 in from the bottom, free of all printing;
- the return address in the upper left, and postage (a stamp, or the permit indicia) in
  the upper right, both above the read area.

The recipient's address sits in the right part of the read area with 1/8 in to spare on
every side, above the clear zone. On the message side the static text flows around two
boxes filled per card: the salutation and the QR code.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.config.cards import CardSize
from newsletter.print.window import Box, boxes_css

INCH = 72.0
OCR_SIDE = 0.5 * INCH  # the read area's margin from the left and right edges
OCR_BOTTOM = 0.625 * INCH  # … its bottom above the card's bottom edge
OCR_TOP = 2.75 * INCH  # … its top above the card's bottom edge
CLEAR_ZONE = (4.75 * INCH, 0.625 * INCH)  # width from the right edge, height from the bottom
CLEARANCE = 0.125 * INCH  # kept between the address and the read area's edges
ADDRESS_WIDTH = 3.5 * INCH  # the address zone: the right part of the read area
SAFE = 0.25 * INCH  # text stays this far inside the trim (where a cutter may stray)
POSTAGE = (1.1 * INCH, 0.95 * INCH)  # the stamp box or permit indicia, upper right
RETURN = (2.6 * INCH, 1.0 * INCH)  # the return address block, upper left
QR_SIZE = 0.8 * INCH  # a version-5 code at about 0.6 mm a module: any phone reads it
QUIET = 0.1 * INCH  # light margin kept around the QR code (4 modules and more)
HEADER = 0.5 * INCH  # the brand band across the top of the message side (and the bleed)
GREETING_HEIGHT = 14.0  # one line of the salutation
GAP = 10.0  # between the message side's blocks
MAX_SCALE = 1.4  # type grows with the card up to this (a 6 x 9 in card)


@dataclass(frozen=True)
class CardLayout:
    size: CardSize
    card: tuple[float, float]  # trimmed length (across) and height (down)
    scale: float  # type grows with the card: 1 on a 4.25 x 6 in card
    # the address side
    ocr_area: Box
    clear_zone: Box
    address: Box  # the delivery address goes here, and only here
    return_address: Box
    postage: Box
    # the message side
    header: Box  # the band with the card's title
    greeting: Box  # "Hi María," atop the note (per card)
    columns: Box  # the note (left) and the tip and local item (right) flow in here
    ask: Box  # the soft ask and the QR code's caption, beside the QR code
    qr: Box  # the QR code (per card), bottom right

    def css(self, origin: tuple[float, float] = (0.0, 0.0)) -> dict[str, dict[str, str]]:
        """Each box as CSS ``left/top/width/height`` in points from ``origin`` (the corner
        of the page area the template positions from)."""
        return boxes_css(self, origin)


def card_layout(size: CardSize) -> CardLayout:
    """The boxes of both sides of a card of ``size``."""
    length, height = size.length * INCH, size.height * INCH
    ocr = Box(OCR_SIDE, height - OCR_TOP, length - 2 * OCR_SIDE, OCR_TOP - OCR_BOTTOM)
    clear_width, clear_height = CLEAR_ZONE
    clear = Box(length - clear_width, height - clear_height, clear_width, clear_height)
    address_left = ocr.right - ADDRESS_WIDTH
    address = Box(
        address_left + CLEARANCE,
        ocr.top + CLEARANCE,
        ADDRESS_WIDTH - 2 * CLEARANCE,
        ocr.height - 2 * CLEARANCE,
    )
    postage_width, postage_height = POSTAGE
    return_width, return_height = RETURN
    scale = round(min(length / (6 * INCH), height / (4.25 * INCH), MAX_SCALE), 3)
    qr_size = QR_SIZE * min(scale, 1.25)
    qr = Box(length - SAFE - qr_size, height - SAFE - qr_size, qr_size, qr_size)
    header = Box(0, 0, length, HEADER * scale)
    greeting = Box(SAFE, header.bottom + GAP, length / 2 - SAFE, GREETING_HEIGHT * scale)
    columns_bottom = qr.top - GAP
    return CardLayout(
        size=size,
        card=(length, height),
        scale=scale,
        ocr_area=ocr,
        clear_zone=clear,
        address=address,
        return_address=Box(SAFE, SAFE, return_width, return_height),
        postage=Box(length - SAFE - postage_width, SAFE, postage_width, postage_height),
        header=header,
        greeting=greeting,
        columns=Box(SAFE, greeting.top, length - 2 * SAFE, columns_bottom - greeting.top),
        ask=Box(SAFE, qr.top, qr.left - QUIET - SAFE, qr.height),
        qr=qr,
    )
