"""The ``cards:`` section of ``newsletter.yaml``: who gets the quarterly postcard, its size,
the rate it mails at and what goes in the postage corner.

::

    cards:
      segments: [client]          # besides prospect, who always gets one
      size: 4.25x6                # 4.25x6 (default), 6x9 or 6x11 (height x length, inches)
      rate: postcard              # postcard (default) or letter
      indicia:                    # a permit imprint; without it, a "place stamp here" box
        - PRSRT STD
        - U.S. POSTAGE PAID
        - MADISON WI
        - PERMIT NO. 1234

The USPS mails a card at the postcard price only from 3-1/2 x 5 in up to 4-1/4 x 6 in
(DMM 201.1.1.2, Quick Service Guide 201); a larger card, up to 6-1/8 x 11-1/2 in, is a
letter-size piece at the letter price. A size the USPS does not mail at the configured rate
is an error naming the config's line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationInfo, field_validator

from newsletter.config.validation import SegmentName, Strict


@dataclass(frozen=True)
class CardSize:
    """A card's trim, in inches: ``height`` across the address lines, ``length`` along them."""

    name: str
    height: float
    length: float


@dataclass(frozen=True)
class MailRate:
    """What the USPS takes at a price: (height, length) from ``smallest`` to ``largest``."""

    name: str
    smallest: tuple[float, float]
    largest: tuple[float, float]
    label: str

    def takes(self, size: CardSize) -> bool:
        (low_h, low_l), (high_h, high_l) = self.smallest, self.largest
        return low_h <= size.height <= high_h and low_l <= size.length <= high_l


CARD_SIZES = {
    size.name: size
    for size in (
        CardSize("4.25x6", 4.25, 6.0),
        CardSize("6x9", 6.0, 9.0),
        CardSize("6x11", 6.0, 11.0),
    )
}
RATES = {
    rate.name: rate
    for rate in (
        MailRate("postcard", (3.5, 5.0), (4.25, 6.0), "the First-Class postcard price"),
        MailRate("letter", (3.5, 5.0), (6.125, 11.5), "the letter price"),
    )
}
MAX_INDICIA_LINES = 6
MAX_INDICIA_CHARS = 30


class CardsConfig(Strict):
    """The quarterly postcard, ``newsletter cards``."""

    segments: tuple[SegmentName, ...] = ()
    """Segments that get the card besides ``prospect`` (the nurture list always does)."""
    rate: Literal["postcard", "letter"] = "postcard"
    """The USPS price the cards are mailed at; ``size`` must be one it takes."""
    size: str = "4.25x6"
    """The card's trim, height x length in inches: ``4.25x6``, ``6x9`` or ``6x11``."""
    indicia: tuple[str, ...] = ()
    """The permit imprint's lines, printed in the postage corner; none: a box for a stamp."""

    @field_validator("size", mode="before")
    @classmethod
    def _known_size(cls, value: object, info: ValidationInfo) -> str:
        written = "".join(str(value).split()).lower().replace("×", "x")
        if written not in CARD_SIZES:
            raise ValueError(f"unknown card size {value!r} (sizes: {', '.join(CARD_SIZES)})")
        rate = RATES.get(info.data.get("rate", ""))  # absent when the rate itself is wrong
        size = CARD_SIZES[written]
        if rate is not None and not rate.takes(size):
            (low_h, low_l), (high_h, high_l) = rate.smallest, rate.largest
            raise ValueError(
                f"the USPS does not mail a {size.height:g} x {size.length:g} in card at "
                f"{rate.label} (from {low_h:g} x {low_l:g} to {high_h:g} x {high_l:g} in); "
                "choose another size, or rate: letter"
            )
        return written

    @field_validator("indicia")
    @classmethod
    def _short_lines(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) > MAX_INDICIA_LINES:
            raise ValueError(f"{len(value)} lines, at most {MAX_INDICIA_LINES} fit the corner")
        for line in value:
            if not line or len(line) > MAX_INDICIA_CHARS or not line.isprintable():
                raise ValueError(
                    f"each line 1 to {MAX_INDICIA_CHARS} plain characters, not {line!r}"
                )
        return value

    @property
    def card_size(self) -> CardSize:
        return CARD_SIZES[self.size]

    @property
    def mail_rate(self) -> MailRate:
        return RATES[self.rate]

    def all_segments(self) -> tuple[str, ...]:
        """``prospect`` and the configured segments, without repeats."""
        return tuple(dict.fromkeys(("prospect", *self.segments)))
