"""What the business's letters to one reader share (the welcome, the email that asks a
quiet reader): a content file of YAML front matter and a Markdown note, its words, and the
one message a send job sends everyone.

Every word a reader sees is in the content file. ``{first_name}``, ``{referral_code}``,
``{referral_link}`` and ``{latest_issue_url}`` stand for each reader's own values (or the
send's) wherever they appear; any other ``{name}`` is an error naming the file and line,
since it would reach readers as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field

from newsletter.config import Settings
from newsletter.config.validation import OneLine, Strict, validate
from newsletter.deliver.transport import Message
from newsletter.errors import ContentError
from newsletter.placeholders import PLACEHOLDERS
from newsletter.render.email import inline_css
from newsletter.render.environment import make_environment, render_template, site_context
from newsletter.sources.markup import (
    content_path,
    markdown_note,
    parse_front_matter,
    read_content,
)

MAX_NOTE_CHARS = 4000
"""The note as plain text: a letter is read in one sitting."""
MAX_CONTENT_BYTES = 100_000
LATEST_ISSUE = "{latest_issue_url}"
"""Where the latest issue's address goes; filled once per send, the same for everyone."""
_READER_VALUES = {
    "{first_name}": PLACEHOLDERS["first_name"],
    "{referral_code}": PLACEHOLDERS["referral_code"],
    "{referral_link}": PLACEHOLDERS["referral_link"],
}
_NAMED = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


class LetterFront(Strict):
    """The front matter every letter has; unknown keys are errors."""

    subject: OneLine = Field(min_length=1, max_length=150)
    """The subject line."""
    preheader: OneLine = Field(default="", max_length=150)
    """The line a mail client shows after the subject."""
    greeting: OneLine = Field(min_length=1, max_length=150)
    """The first line, ``Hi {first_name},``."""
    signature: OneLine = Field(min_length=1, max_length=100)
    """Who signs the letter."""
    footer: str = Field(min_length=1, max_length=300)
    """Why the reader gets this email (the footer's line above the unsubscribe link)."""
    unsubscribe: OneLine = Field(min_length=1, max_length=60)
    """The unsubscribe link's words."""


F = TypeVar("F", bound=LetterFront)


@dataclass(frozen=True)
class Letter:
    """What every letter says, placeholders in place of each reader's own values."""

    subject: str
    preheader: str
    greeting: str
    note_html: str
    note_text: str
    signature: str
    footer: str
    unsubscribe: str
    path: str  # content/welcome.md, for messages


def read_letter(
    path: Path, content_dir: Path, model: type[F], *, missing: str
) -> tuple[F, dict[str, str]]:
    """A letter's file: (its front matter as ``model``, the :class:`Letter` fields);
    ContentError naming the file (and line and key) when it is ``missing`` or wrong, or
    its note is empty or too long."""
    shown = content_path(path, content_dir)
    if not path.is_file():
        raise ContentError(missing, path=shown)
    text = read_content(path, shown, max_bytes=MAX_CONTENT_BYTES)
    _check_names(text, shown)
    document = parse_front_matter(text, Path(shown))
    front = validate(model, document.data, path=shown, lines=document.lines, error=ContentError)
    note_html, note_text = markdown_note(document, shown, name="note", max_chars=MAX_NOTE_CHARS)
    letter = {
        "subject": filled(front.subject),
        "preheader": filled(front.preheader),
        "greeting": filled(front.greeting),
        "note_html": filled(note_html),
        "note_text": filled(note_text),
        "signature": front.signature,
        "footer": filled(front.footer),
        "unsubscribe": front.unsubscribe,
        "path": shown,
    }
    return front, letter


def filled(text: str) -> str:
    """``text`` with each reader's value's placeholder where its ``{name}`` was."""
    for name, token in _READER_VALUES.items():
        text = text.replace(name, token)
    return text


def letter_message(
    settings: Settings, letter: Letter, template: str, key: str, **context: Any
) -> Message:
    """The one message of a letter, from ``template`` (``welcome`` for
    ``templates/welcome/email.html.j2`` and ``.txt.j2``) with ``letter`` and ``context``;
    its events are tracked under the ledger ``key``."""
    config = settings.config
    env = make_environment(settings.templates_dir)
    values = {
        **site_context(settings, web_url=config.web.base_url),
        "letter": letter,
        "unsubscribe_url": PLACEHOLDERS["unsubscribe_url"],
        **context,
    }
    sender = config.sender
    return Message(
        subject=letter.subject,
        from_email=sender.email,
        from_name=sender.name,
        reply_to=sender.reply_to,
        html=inline_css(render_template(env, f"{template}/email.html.j2", values)),
        text=render_template(env, f"{template}/email.txt.j2", values),
        categories=(template,),
        custom_args={"issue": key, "segment": template},
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
