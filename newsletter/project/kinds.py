"""The kinds of business ``newsletter init`` knows (``kinds.yaml`` beside this module): for
each, the first words and feeds a new project of that kind starts with."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Annotated

import yaml
from pydantic import AfterValidator, Field

from newsletter.config.validation import Strict, check_url

KINDS_FILE = "kinds.yaml"


class StarterFeed(Strict):
    """A public feed a kind of business can start with, and the section it fills."""

    name: str = Field(min_length=1)
    url: Annotated[str, AfterValidator(check_url)]
    section: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    section_title: str = Field(min_length=1)


class Colors(Strict):
    primary: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    accent: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")


class SectionTitles(Strict):
    editorials: str
    events: str
    holidays: str
    offer: str


class FirstEditorial(Strict):
    title: str
    summary: str
    body: str


class FirstOffer(Strict):
    title: str
    heading: str = ""
    body: str
    for_friends: str
    call_to_action: str
    rewards: dict[int, str] = Field(min_length=1)


class CardItem(Strict):
    title: str
    text: str


class FirstCard(Strict):
    title: str
    tip: CardItem
    local: CardItem
    ask: str
    note: str


class Kind(Strict):
    """A kind of business: its label in the question, and its project's first words."""

    label: str
    tagline: str
    colors: Colors
    about: str
    sign_off: str
    referred_people: str
    sections: SectionTitles
    feeds: tuple[StarterFeed, ...] = ()
    editorial: FirstEditorial
    offer: FirstOffer
    card: FirstCard


@functools.cache
def kinds() -> dict[str, Kind]:
    """Every kind, by its name (``bakery``, ``home-services``, …, ``other``), in the order
    the question lists them."""
    text = resources.files(__package__).joinpath(KINDS_FILE).read_text(encoding="utf-8")
    return {name: Kind.model_validate(data) for name, data in yaml.safe_load(text).items()}
