"""The ``issue:`` section of ``newsletter.yaml``: each issue's title, inbox preview text and
the limits of its email."""

from __future__ import annotations

from pydantic import Field, field_validator

from newsletter.config.validation import OneLine, Strict, placeholders

GMAIL_CLIP_BYTES = 102_000
"""Gmail shows "[Message clipped]" and hides the rest (footer included) above about 102 KB."""


class IssueConfig(Strict):
    """What every issue is called and how its email is put together."""

    title: OneLine = "{business} — {month_name} {year}"
    """Issue title, and the email's subject line; {business}, {month_name} and {year} are
    filled in."""

    @field_validator("title")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        check_title_placeholders(value)
        return value

    preheader: str = ""
    """Inbox preview text; defaults to the editorial summaries."""
    summary_length: int = Field(default=240, ge=40, le=2000)
    """Feed items' summaries are cut to this many visible characters."""
    max_email_bytes: int = Field(default=GMAIL_CLIP_BYTES, gt=0)
    """An email larger than this is a warning (an error under ``--strict``): Gmail clips
    messages larger than about 102 KB, footer and unsubscribe link included."""
    first_name_fallback: str = "neighbor"
    """The greeting's name for a reader without a first name ("Hi neighbor,"), and on the
    web page, which greets nobody in particular."""


TITLE_FIELDS = ("business", "month_name", "year")


def check_title_placeholders(title: str) -> None:
    """ValueError unless every ``{…}`` in ``title`` is exactly one of TITLE_FIELDS, so the
    build's ``title.format(...)`` cannot fail (or reach into an object's attributes)."""
    known = ", ".join(f"{{{name}}}" for name in TITLE_FIELDS)
    for field, spec, conversion in placeholders(title):
        if field not in TITLE_FIELDS:
            raise ValueError(f"unknown placeholder {{{field}}} (known: {known})")
        if spec or conversion:
            raise ValueError(f"write placeholders plainly ({known}), without ':' or '!'")
