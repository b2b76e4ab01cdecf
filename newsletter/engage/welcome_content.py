"""The welcome email's words: ``content/welcome.md``, YAML front matter and a Markdown note.

::

    ---
    subject: Welcome to the Hartwell Home Comfort newsletter
    preheader: What to expect from us, and when.            # optional
    greeting: Hi {first_name},
    referral: Your own referral code is **{referral_code}** …
    referral_button: Share your referral link
    latest_issue: Read the latest issue
    signature: Dana and the crew at Hartwell
    footer: You're receiving this because you asked to hear from us.
    unsubscribe: Unsubscribe
    ---
    Who the business is and what to expect, and when: a few paragraphs of Markdown.

``{first_name}``, ``{referral_code}``, ``{referral_link}`` and ``{latest_issue_url}`` stand
for each reader's own values (:mod:`newsletter.engage.letters`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from newsletter.config.validation import OneLine
from newsletter.engage.letters import Letter, LetterFront, filled, read_letter
from newsletter.sources.html import html_to_text
from newsletter.sources.markup import markdown_to_html

WELCOME_FILE = "welcome.md"


class WelcomeFront(LetterFront):
    """The front matter of ``content/welcome.md``; unknown keys are errors."""

    referral: str = Field(min_length=1, max_length=600)
    """Markdown: the reader's own referral code and what passing it on earns."""
    referral_button: OneLine = Field(min_length=1, max_length=60)
    """The button to the reader's referral link."""
    latest_issue: OneLine = Field(min_length=1, max_length=60)
    """The link to the latest issue on the web."""


@dataclass(frozen=True)
class WelcomeContent(Letter):
    """What the welcome says, placeholders in place of each reader's own values."""

    referral_html: str
    referral_text: str
    referral_button: str
    latest_issue: str


def welcome_path(content_dir: Path) -> Path:
    return content_dir / WELCOME_FILE


def load_welcome_content(content_dir: Path) -> WelcomeContent:
    """``content/welcome.md``; ContentError naming the file (and line and key, where there
    is one) when it is missing or wrong."""
    front, letter = read_letter(
        welcome_path(content_dir),
        content_dir,
        WelcomeFront,
        missing="no welcome email: write it (who you are, what to expect and when)",
    )
    referral_html = markdown_to_html(front.referral)
    return WelcomeContent(
        **letter,
        referral_html=filled(referral_html),
        referral_text=filled(html_to_text(referral_html)),
        referral_button=front.referral_button,
        latest_issue=front.latest_issue,
    )
