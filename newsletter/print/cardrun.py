"""``print_cards()``: the quarter's postcard run, from the list and the content to the shop.

card roster (prospects and ``cards.segments`` by post, postal opt-outs honoured, postal-code
order) → content/cards/YYYYQn.md → both sides rendered once (WeasyPrint) while worker
processes draw each card's layer → cards.pdf (message side and address side per card, in
duplex order) → labels.pdf → mailing-list.csv → ``build/cards/YYYYQn/``, all at once under
the folder's lock: 0700, every file 0600 (they hold postal addresses).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from newsletter.cards import CardRoster, Quarter, card_roster, load_card_content
from newsletter.config import Settings
from newsletter.fsutil import PRIVATE, replace_folder
from newsletter.locks import locked
from newsletter.print.cardlayout import card_layout
from newsletter.print.document import address_font, lettering
from newsletter.print.labels import labels_pdf
from newsletter.print.mailing import MailRecipient, mail_recipient
from newsletter.print.postcard import CardDrawing, cards_pdf, render_card_base
from newsletter.print.shop import mailing_list_csv
from newsletter.progress import progress_bar
from newsletter.render.environment import make_environment

CARDS_DIR = "cards"
LOCK_WAIT = 60.0  # seconds: another run of the same quarter finishes within this


@dataclass(frozen=True)
class CardsResult:
    quarter: Quarter
    out_dir: Path  # build/cards/2026Q4
    files: dict[str, str]  # file name -> sha256
    roster: CardRoster
    warnings: tuple[str, ...]

    @property
    def cards(self) -> int:
        return len(self.roster.readers)


def cards_folder(out_root: Path, quarter: Quarter) -> Path:
    """Where a quarter's run is written: ``build/cards/2026Q4``."""
    return out_root / CARDS_DIR / str(quarter)


def print_cards(
    settings: Settings,
    quarter: Quarter,
    *,
    out_root: Path,
    secret: bytes,
    skip_incomplete: bool = False,
    workers: int | None = None,
    silent: bool = True,
) -> CardsResult:
    """Make and write ``quarter``'s cards, labels and mailing list into
    ``out_root/cards/YYYYQn/``. Unless ``silent``, the cards and the labels each draw a
    progress bar on stderr when that is a terminal."""
    # The list and the content first: a bad row or a bad card stops the run at once.
    roster = card_roster(settings, quarter, secret=secret, skip_incomplete=skip_incomplete)
    card = load_card_content(settings.content_dir, quarter, business=settings.config.business.name)
    home = settings.address.country
    recipients = [
        mail_recipient(settings.subscribers_csv, r.subscriber, r.code, r.link, home)
        for r in roster.readers
    ]
    env = make_environment(settings.templates_dir)
    warnings = list(roster.warnings)
    files: dict[str, bytes] = {}
    layout = card_layout(settings.config.cards.card_size)
    with (
        CardDrawing(recipients, layout, lettering(settings, env), workers=workers) as drawing,
        progress_bar("cards", unit="cards", silent=silent) as bar,
    ):
        bar.set_total(len(recipients))
        drawing.track(bar.advance)
        base = render_card_base(card, settings, env)
        warnings += base.warnings
        if recipients:
            files["cards.pdf"] = cards_pdf(base, drawing.layers())
    if recipients:
        files["labels.pdf"] = _labels(recipients, settings, quarter, silent=silent)
    else:
        warnings.append(f"nobody gets a card in {quarter}: no cards or labels")
    files["mailing-list.csv"] = mailing_list_csv(recipients).encode("utf-8")
    out_dir = cards_folder(out_root, quarter)
    with locked(out_dir, purpose=f"cards {quarter}", wait=LOCK_WAIT):
        replace_folder(out_dir, files, mode=PRIVATE)
    return CardsResult(
        quarter=quarter,
        out_dir=out_dir,
        files={name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
        roster=roster,
        warnings=tuple(warnings),
    )


def _labels(
    recipients: list[MailRecipient], settings: Settings, quarter: Quarter, *, silent: bool
) -> bytes:
    with progress_bar("labels", unit="labels", silent=silent) as bar:
        bar.set_total(len(recipients))
        title = f"{settings.config.business.name}: cards {quarter}, labels"
        return labels_pdf(recipients, font=address_font(settings), title=title, advance=bar.advance)
