"""Referral offers: ``content/offers/*.yaml``, exactly one valid on each issue date.

::

    title: Send a neighbor our way
    body: |                         # Markdown, to the referrer
      Your friend gets **$50 off** a tune-up…
    for_friends: |                  # Markdown, to the friend on the referral page (optional)
      Your first tune-up is **$50 off**…
    valid_from: 2026-09-01
    valid_to: 2027-08-31            # must be after valid_from
    landing_url: https://hartwellhvac.example.com/refer
    milestones:                     # referrals strictly increasing
      - {referrals: 1, reward: A coffee card}
    segments: [client, partner]     # default
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from newsletter.config.validation import Segments, Strict, check_url, validate
from newsletter.config.yamlfile import MAX_YAML_CHARS, line_for, parse_yaml
from newsletter.errors import ContentError
from newsletter.folders import folder_files
from newsletter.model import Milestone, Offer, Segment
from newsletter.sources.html import html_to_text
from newsletter.sources.links import reader_link
from newsletter.sources.markup import (
    content_path,
    markdown_to_html,
    raise_all,
    read_content,
)
from newsletter.sources.sanitize import sanitize

DEFAULT_SEGMENTS: tuple[str, ...] = (Segment.CLIENT, Segment.PARTNER)
"""Prospects have no one to refer yet, so by default they do not see the offer."""


def _reader_link(value: str) -> str:
    if not reader_link(value):
        raise ValueError(
            "not a link a reader may follow (http or https, without a user name or password)"
        )
    return value


class MilestoneFile(Strict):
    """One reward: after ``referrals`` referred friends, the referrer gets ``reward``."""

    referrals: int = Field(gt=0, le=10_000)
    reward: str = Field(min_length=1, max_length=300)
    """As it is printed in the progress line and recorded in rewards.csv."""


class OfferFile(Strict):
    """One ``content/offers/*.yaml`` file; unknown keys are errors."""

    title: str = Field(min_length=1)
    body: str = Field(min_length=1)
    for_friends: str = ""
    valid_from: date
    valid_to: date
    landing_url: Annotated[str, AfterValidator(check_url), AfterValidator(_reader_link)]
    milestones: tuple[MilestoneFile, ...] = ()
    segments: Segments = DEFAULT_SEGMENTS

    @field_validator("valid_to")
    @classmethod
    def _after_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("valid_from")
        if start is not None and value <= start:
            raise ValueError(f"must be after valid_from ({start.isoformat()})")
        return value


def offer_files(content_dir: Path) -> list[Path]:
    """The offer files (``*.yaml``, ``*.yml``), sorted by name; ContentError naming the
    folder when it cannot be read."""
    folder = content_dir / "offers"
    return folder_files(
        folder, (".yaml", ".yml"), ContentError, shown=content_path(folder, content_dir)
    )


def load_offers(content_dir: Path) -> tuple[Offer, ...]:
    """Every offer in ``content_dir/offers/`` (``*.yaml``, ``*.yml``), sorted by file name.

    Every invalid file is reported at once, each problem naming file, line and key.
    """
    files = offer_files(content_dir)
    offers: list[Offer] = []
    problems: list[ContentError] = []
    for path in files:
        try:
            offers.append(_load(path, content_dir))
        except ContentError as problem:
            problems.append(problem)
    raise_all(problems)
    return tuple(offers)


def select_offer(offers: tuple[Offer, ...], issue_date: date, *, folder: str) -> Offer:
    """The one offer valid on ``issue_date``; none or several is a ContentError on ``folder``."""
    active = [o for o in offers if o.valid_from <= issue_date <= o.valid_to]
    if len(active) == 1:
        return active[0]
    if not active:
        listed = ", ".join(_validity(o) for o in offers) or "none found"
        raise ContentError(
            f"no active referral offer for {issue_date.isoformat()} (offers: {listed})",
            path=folder,
        )
    both = ", ".join(_validity(o) for o in active)
    raise ContentError(
        f"{len(active)} referral offers are active on {issue_date.isoformat()}, "
        f"expected one; make their dates not overlap: {both}",
        path=folder,
    )


def current_offer(content_dir: Path, issue_date: date) -> Offer:
    """The referral offer for the issue dated ``issue_date``, from ``content_dir/offers/``."""
    folder = content_path(content_dir / "offers", content_dir)
    return select_offer(load_offers(content_dir), issue_date, folder=folder)


def _validity(offer: Offer) -> str:
    name = offer.path.rsplit("/", 1)[-1]
    return f"{name} valid {offer.valid_from.isoformat()} to {offer.valid_to.isoformat()}"


def _load(path: Path, content_dir: Path) -> Offer:
    shown = content_path(path, content_dir)
    text = read_content(path, shown, max_bytes=MAX_YAML_CHARS)
    data, lines = parse_yaml(text, shown, ContentError)
    if not isinstance(data, dict):
        raise ContentError("expected a mapping of offer keys", path=shown, line=1)
    offer = validate(OfferFile, data, path=shown, lines=lines, error=ContentError)
    for index in range(1, len(offer.milestones)):
        previous, current = offer.milestones[index - 1], offer.milestones[index]
        if current.referrals <= previous.referrals:
            key = ("milestones", index, "referrals")
            raise ContentError(
                f"must be more than the previous milestone's {previous.referrals} "
                "(list milestones from fewest referrals to most)",
                path=shown,
                line=line_for(lines, key),
                key=f"milestones[{index}].referrals",
            )
    body_html = sanitize(markdown_to_html(offer.body))
    friends_html = (
        sanitize(markdown_to_html(offer.for_friends)) if offer.for_friends.strip() else ""
    )
    return Offer(
        slug=path.stem,
        title=offer.title,
        body_html=body_html,
        body_text=html_to_text(body_html),
        valid_from=offer.valid_from,
        valid_to=offer.valid_to,
        landing_url=offer.landing_url,
        milestones=tuple(Milestone(m.referrals, m.reward) for m in offer.milestones),
        segments=offer.segments,
        path=shown,
        friends_html=friends_html,
    )
