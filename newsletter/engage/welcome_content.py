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

Every word a new reader sees is here, the business's to edit. ``{first_name}``,
``{referral_code}``, ``{referral_link}`` and ``{latest_issue_url}`` stand for each
reader's own values wherever they appear; any other ``{name}`` is an error naming the
file and line, since it would reach readers as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from newsletter.config.validation import OneLine, Strict, validate
from newsletter.errors import ContentError
from newsletter.placeholders import PLACEHOLDERS
from newsletter.sources.html import html_to_text
from newsletter.sources.markup import (
    content_path,
    markdown_note,
    markdown_to_html,
    parse_front_matter,
    read_content,
)

WELCOME_FILE = "welcome.md"
MAX_NOTE_CHARS = 4000
"""The note as plain text: a welcome is read in one sitting."""
MAX_CONTENT_BYTES = 100_000
LATEST_ISSUE = "{latest_issue_url}"
"""Where the latest issue's address goes; filled once per send, the same for everyone."""
_READER_VALUES = {
    "{first_name}": PLACEHOLDERS["first_name"],
    "{referral_code}": PLACEHOLDERS["referral_code"],
    "{referral_link}": PLACEHOLDERS["referral_link"],
}
_NAMED = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


class WelcomeFront(Strict):
    """The front matter of ``content/welcome.md``; unknown keys are errors."""

    subject: OneLine = Field(min_length=1, max_length=150)
    """The subject line."""
    preheader: OneLine = Field(default="", max_length=150)
    """The line a mail client shows after the subject."""
    greeting: OneLine = Field(min_length=1, max_length=150)
    """The first line, ``Hi {first_name},``."""
    referral: str = Field(min_length=1, max_length=600)
    """Markdown: the reader's own referral code and what passing it on earns."""
    referral_button: OneLine = Field(min_length=1, max_length=60)
    """The button to the reader's referral link."""
    latest_issue: OneLine = Field(min_length=1, max_length=60)
    """The link to the latest issue on the web."""
    signature: OneLine = Field(min_length=1, max_length=100)
    """Who signs the welcome."""
    footer: str = Field(min_length=1, max_length=300)
    """Why the reader gets this email (the footer's line above the unsubscribe link)."""
    unsubscribe: OneLine = Field(min_length=1, max_length=60)
    """The unsubscribe link's words."""


@dataclass(frozen=True)
class WelcomeContent:
    """What the welcome says, placeholders in place of each reader's own values."""

    subject: str
    preheader: str
    greeting: str
    note_html: str
    note_text: str
    referral_html: str
    referral_text: str
    referral_button: str
    latest_issue: str
    signature: str
    footer: str
    unsubscribe: str
    path: str  # content/welcome.md, for messages


def welcome_path(content_dir: Path) -> Path:
    return content_dir / WELCOME_FILE


def load_welcome_content(content_dir: Path) -> WelcomeContent:
    """``content/welcome.md``; ContentError naming the file (and line and key, where there
    is one) when it is missing or wrong."""
    path = welcome_path(content_dir)
    shown = content_path(path, content_dir)
    if not path.is_file():
        raise ContentError(
            "no welcome email: write it (who you are, what to expect and when)", path=shown
        )
    text = read_content(path, shown, max_bytes=MAX_CONTENT_BYTES)
    _check_names(text, shown)
    document = parse_front_matter(text, Path(shown))
    front = validate(
        WelcomeFront, document.data, path=shown, lines=document.lines, error=ContentError
    )
    note_html, note_text = markdown_note(
        document, shown, name="welcome note", max_chars=MAX_NOTE_CHARS
    )
    referral_html = markdown_to_html(front.referral)
    return WelcomeContent(
        subject=_filled(front.subject),
        preheader=_filled(front.preheader),
        greeting=_filled(front.greeting),
        note_html=_filled(note_html),
        note_text=_filled(note_text),
        referral_html=_filled(referral_html),
        referral_text=_filled(html_to_text(referral_html)),
        referral_button=front.referral_button,
        latest_issue=front.latest_issue,
        signature=front.signature,
        footer=_filled(front.footer),
        unsubscribe=front.unsubscribe,
        path=shown,
    )


def _check_names(text: str, shown: str) -> None:
    """Refuse a ``{name}`` that stands for nothing: it would reach readers as written."""
    known = {*_READER_VALUES, LATEST_ISSUE}
    for number, line in enumerate(text.splitlines(), 1):
        for found in _NAMED.findall(line):
            if found not in known:
                raise ContentError(
                    f"{found} stands for nothing (use {', '.join(sorted(known))})",
                    path=shown,
                    line=number,
                )


def _filled(text: str) -> str:
    """``text`` with each reader's value's placeholder where its ``{name}`` was."""
    for name, token in _READER_VALUES.items():
        text = text.replace(name, token)
    return text
