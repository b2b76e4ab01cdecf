"""The quarterly nurture run: what a quarter's card says and who gets it.

Shared by the printed postcards (``newsletter/print/postcard.py``) and the nurture email,
so both say the same thing to the same people:

- :class:`Quarter`, :func:`parse_quarter`, :func:`quarter_of`: ``2026Q4`` and its dates;
- :class:`CardContent`, :func:`load_card_content`: ``content/cards/2026Q4.md``;
- :class:`CardRoster`, :func:`card_roster`, :func:`card_segments`: who gets the card by
  post (``prospect`` and ``cards.segments``, less postal opt-outs) and each QR link;
- the ``cards:`` config is :class:`newsletter.config.cards.CardsConfig`
  (``settings.config.cards``).
"""

from newsletter.cards.content import CardContent, CardItem, card_path, load_card_content
from newsletter.cards.quarter import Quarter, parse_quarter, quarter_of
from newsletter.cards.roster import CardReader, CardRoster, card_roster, card_segments
from newsletter.config.cards import CARD_SIZES, RATES, CardsConfig, CardSize, MailRate

__all__ = [
    "CARD_SIZES",
    "RATES",
    "CardContent",
    "CardItem",
    "CardReader",
    "CardRoster",
    "CardSize",
    "CardsConfig",
    "MailRate",
    "Quarter",
    "card_path",
    "card_roster",
    "card_segments",
    "load_card_content",
    "parse_quarter",
    "quarter_of",
]
