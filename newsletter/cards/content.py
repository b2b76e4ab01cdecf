"""A quarter's card: ``content/cards/YYYYQn.md``, YAML front matter and a Markdown note.

::

    ---
    title: Winter is settling in on Atwood Avenue      # the message side's headline
    tip:                                               # one short, useful tip
      title: Change the filter when you change the clocks
      text: A clogged filter makes the furnace work harder …
    local:                                             # one local item
      title: The winter farmers' market moves indoors
      text: Saturdays 8 to noon at the Garver Feed Mill.
      url: https://…                                   # optional
    ask: Know a neighbor whose furnace makes *that* noise? Send them our way.
    signature: Dana and the crew at Hartwell
    ---
    The seasonal note from the business: a few sentences of Markdown.

The printed card and the nurture email use the same :class:`CardContent`. Each piece has a
length limit, so what reads well on an email reads well on a 4 x 6 in card too; a piece
over its limit, a missing key or an unknown one is an error naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from newsletter.cards.quarter import Quarter
from newsletter.config.validation import OneLine, Strict, check_url, validate
from newsletter.errors import ContentError
from newsletter.sources.html import html_to_text
from newsletter.sources.markup import (
    content_path,
    markdown_note,
    markdown_to_html,
    parse_front_matter,
    read_content,
)

CARDS_DIR = "cards"
MAX_NOTE_CHARS = 600
"""The seasonal note, as plain text: about a third of a 4 x 6 in message side."""
MAX_TITLE_CHARS = 70
MAX_ITEM_CHARS = 280
MAX_ASK_CHARS = 200
MAX_CONTENT_BYTES = 100_000


class ItemFront(Strict):
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    text: str = Field(min_length=1, max_length=MAX_ITEM_CHARS)
    """Markdown (emphasis, a link), one short paragraph."""
    url: Annotated[str, AfterValidator(check_url)] | None = None


class CardFront(Strict):
    """The front matter of a card file; unknown keys are errors."""

    title: OneLine = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    """The message side's headline, and the nurture email's subject line."""
    tip: ItemFront
    local: ItemFront
    ask: str = Field(min_length=1, max_length=MAX_ASK_CHARS)
    """The offer's soft ask: an invitation, never a sales pitch."""
    signature: str = Field(default="", max_length=MAX_TITLE_CHARS)
    """Who signs the note; the business's name when empty."""


@dataclass(frozen=True)
class CardItem:
    """The tip or the local item: a title and one short paragraph."""

    title: str
    html: str  # the paragraph rendered from Markdown
    text: str  # the same as plain text (the email's text part)
    url: str = ""


@dataclass(frozen=True)
class CardContent:
    """What a quarter's card says, for the printed card and the nurture email alike."""

    quarter: Quarter
    title: str
    note_html: str
    note_text: str
    tip: CardItem
    local: CardItem
    ask_html: str
    ask_text: str
    signature: str
    path: str  # content/cards/2026Q4.md, for messages


def card_path(content_dir: Path, quarter: Quarter) -> Path:
    """Where the card of ``quarter`` is written: ``content/cards/2026Q4.md``."""
    return content_dir / CARDS_DIR / f"{quarter}.md"


def load_card_content(content_dir: Path, quarter: Quarter, *, business: str) -> CardContent:
    """The card of ``quarter``; ContentError naming the file (and line and key, where there
    is one) when it is missing or wrong. ``business`` signs a note without a signature."""
    path = card_path(content_dir, quarter)
    shown = content_path(path, content_dir)
    if not path.is_file():
        raise ContentError(
            f"no card for {quarter}: write it (see content/cards/ for an example)", path=shown
        )
    document = parse_front_matter(
        read_content(path, shown, max_bytes=MAX_CONTENT_BYTES), Path(shown)
    )
    front = validate(CardFront, document.data, path=shown, lines=document.lines, error=ContentError)
    note_html, note_text = markdown_note(
        document, shown, name="seasonal note", max_chars=MAX_NOTE_CHARS, why=" so it fits the card"
    )
    ask_html = markdown_to_html(front.ask)
    return CardContent(
        quarter=quarter,
        title=front.title,
        note_html=note_html,
        note_text=note_text,
        tip=_item(front.tip),
        local=_item(front.local),
        ask_html=ask_html,
        ask_text=html_to_text(ask_html),
        signature=front.signature or business,
        path=shown,
    )


def _item(front: ItemFront) -> CardItem:
    html = markdown_to_html(front.text)
    return CardItem(front.title, html, html_to_text(html), front.url or "")
