"""The words of the email that asks a quiet reader whether they still want the newsletter:
``content/still-reading.md``, YAML front matter and a Markdown note.

::

    ---
    subject: Still want to hear from us?
    preheader: One click keeps the newsletter coming.      # optional
    greeting: Hi {first_name},
    yes_button: Yes, keep sending it
    signature: Dana and the crew at Hartwell
    footer: You're receiving this because you asked to hear from us.
    unsubscribe: Unsubscribe
    ---
    Why you ask, and what happens without an answer (and when): a few sentences.

``{first_name}`` stands for each reader's name (:mod:`newsletter.engage.letters`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from newsletter.config.validation import OneLine
from newsletter.engage.letters import Letter, LetterFront, read_letter

ASK_FILE = "still-reading.md"


class AskFront(LetterFront):
    """The front matter of ``content/still-reading.md``; unknown keys are errors."""

    yes_button: OneLine = Field(min_length=1, max_length=60)
    """The button to the desk's "yes" page."""


@dataclass(frozen=True)
class AskContent(Letter):
    """What the email that asks says."""

    yes_button: str


def load_ask_content(content_dir: Path) -> AskContent:
    """``content/still-reading.md``; ContentError naming the file (and line and key) when
    it is missing or wrong."""
    front, letter = read_letter(
        content_dir / ASK_FILE,
        content_dir,
        AskFront,
        missing="no email to ask quiet readers: write it (why you ask, what happens "
        "without an answer)",
    )
    return AskContent(**letter, yes_button=front.yes_button)
