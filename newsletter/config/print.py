"""The ``print:`` section of ``newsletter.yaml``: paper, bleed, colour, PDF/X and the envelope.

Lengths are inches when written as a number (``0.125``) or carry a unit (``3mm``, ``0.125in``,
``9pt``); they are held in PDF points (1/72 in). The default envelope is a US #10 (9.5 ×
4.125 in) with the common window: 4.5 × 1.125 in, 7/8 in from the left and 1/2 in from the
bottom. Lob's, for example, is ``{left: 0.625, bottom: 1, width: 4, height: 1}``; an A4
letter in a DL envelope is ``{width: 220mm, height: 110mm, window: {left: 20mm, bottom:
15mm, width: 90mm, height: 45mm}}``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from newsletter.config.validation import Strict

POINTS_PER = {"in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "pt": 1.0}
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(in|mm|cm|pt)?\s*$")


def _points(value: object) -> float:
    """``0.125`` (inches), ``"3mm"``, ``"0.125in"`` or ``"9pt"`` in points."""
    if isinstance(value, bool):
        raise ValueError("expected a length such as 0.125 (inches), 3mm or 9pt")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a length cannot be negative")
        return float(value) * POINTS_PER["in"]
    match = _LENGTH.match(str(value))
    if not match:
        raise ValueError(f"expected a length such as 0.125 (inches), 3mm or 9pt, got {value!r}")
    return float(match[1]) * POINTS_PER[match[2] or "in"]


Length = Annotated[float, BeforeValidator(_points)]
"""A length in points, written in the config as inches or with a unit."""

PdfX = Literal["none", "pdf/x-1a", "pdf/x-3", "pdf/x-4"]


class WindowConfig(Strict):
    """The address window, measured on the envelope's face (flap at the back, on top)."""

    left: Length = 0.875 * 72
    """From the envelope's left edge to the window's left edge."""
    bottom: Length = 0.5 * 72
    """From the envelope's bottom edge to the window's bottom edge."""
    width: Length = Field(default=4.5 * 72, gt=0)
    """The window's width."""
    height: Length = Field(default=1.125 * 72, gt=0)
    """The window's height."""


class EnvelopeConfig(Strict):
    """The envelope the print shop mails the tri-folded issue in; the address is placed
    where its window shows it."""

    width: Length = Field(default=9.5 * 72, gt=0)
    """The envelope's width (a #10 is 9.5 in)."""
    height: Length = Field(default=4.125 * 72, gt=0)
    """The envelope's height (a #10 is 4.125 in)."""
    window: WindowConfig = WindowConfig()
    """The address window."""
    return_window: WindowConfig | None = None
    """A double-window envelope's upper window; the return address is placed in it. When
    absent the return address is printed as letterhead (the envelope carries its own)."""
    clearance: Length = 0.125 * 72
    """Space kept between the address and every window edge, wherever the folded sheet
    shifts inside the envelope (USPS Publication 25 asks for 1/8 in)."""


class PrintConfig(Strict):
    """The print edition (``newsletter print``) and the quarterly cards' paper settings."""

    paper: Literal["letter", "a4"] = "letter"
    """US Letter or A4, for the issue and its addressed copies."""
    bleed: Length = Field(default=0.125 * 72, le=36)
    """Artwork extends this far past the trim on every side (BleedBox); crop marks sit
    outside it."""
    grayscale: bool = False
    """Print in black and grey only: colours become their luminance, photos greyscale."""
    pdfx: PdfX = "none"
    """A PDF/X variant for shops that ask for one; needs ``output_profile``."""
    output_profile: str | None = None
    """The ICC profile of the shop's printing condition (a file next to the config), embedded
    as the PDF/X output intent; ask the print shop for it."""
    fold: Literal["z", "c"] = "z"
    """How the shop tri-folds the sheet: ``z`` (zig-zag) or ``c`` (letter fold, the address
    panel folded last). Either way the top third of page 1 faces the window."""
    paper_description: str = "70 lb (104 g/m²) uncoated text, white"
    """The stock, as written on the job ticket."""
    print_shop: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    """Where ``newsletter print --send-to-printer`` emails the package."""
    envelope: EnvelopeConfig = EnvelopeConfig()
    """The envelope and its window."""
    one_per_household: bool = False
    """One addressed copy for all the readers at one door (the same street, unit and ZIP,
    however each is written), named by ``templates/print/partials/household.txt.j2`` ("The
    Nguyen family", or both names). Labels and the mailing list follow the copies; the
    quarterly cards stay one per reader."""

    @model_validator(mode="after")
    def _profile_for_pdfx(self) -> PrintConfig:
        if self.pdfx != "none" and not self.output_profile:
            raise ValueError(
                f"pdfx {self.pdfx} needs output_profile: the print shop's ICC profile file"
            )
        return self
