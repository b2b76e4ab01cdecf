"""The ``business:`` and ``sender:`` sections of ``newsletter.yaml``: who the newsletter is
from, where it is from (its postal address goes in every footer), and who signs its email."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from newsletter.config.validation import OneLine, Strict, check_url

Url = Annotated[str, AfterValidator(check_url)]


class PostalAddress(Strict):
    """A postal address, printed as the country's post expects it."""

    street: str = Field(min_length=1)
    """The street line, e.g. ``1410 Atwood Avenue``."""
    city: str = Field(min_length=1)
    """The town or city."""
    region: str = ""
    """State, province or county, e.g. ``WI``; empty where the country has none."""
    postal_code: str = ""
    """ZIP or postcode, placed where the country's post expects it."""
    country: str = "US"
    """ISO 3166 two-letter code; addresses in this country are printed without a country
    line."""


class BusinessConfig(Strict):
    """Who sends the newsletter: named in every issue, its footer and the print edition."""

    name: OneLine = Field(min_length=1)
    """The business's name, as it signs the newsletter (and ``{business}`` in the issue's
    title, its subject line)."""
    tagline: str = ""
    """A short line shown beside the issue's month in the masthead, the web page and the
    feed."""
    phone: str = ""
    """Shown in the footer and on the print edition; the desk's pages offer it to leads."""
    website: Url | None = None
    """Linked from the footer."""
    address: PostalAddress
    """Postal address: required, it goes in every footer (CAN-SPAM)."""


class SenderConfig(Strict):
    """The From: of every email the tool sends (issues, nurture email, the desk's mail)."""

    name: OneLine = Field(min_length=1)
    """The From: name readers see in their inbox."""
    email: OneLine = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    """The From: address; its domain should be authenticated with the email provider."""
    reply_to: OneLine | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    """Where replies go, when not to ``email``; the desk's notifications to the business go
    here too."""
