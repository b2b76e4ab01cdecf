"""What hand-written content files (editorials, offers) share.

Markdown to HTML, YAML front matter, segment lists, and how files are named
in messages. The HTML Markdown gives is cleaned by the caller with the feeds' allow-list
(:mod:`newsletter.sources.sanitize`): an editorial may be written by a helper or an agency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markdown

from newsletter.config.yamlfile import KeyPath, parse_yaml, read_text
from newsletter.errors import ContentError, together
from newsletter.sources.html import html_to_text

MARKDOWN_EXTENSIONS = ("tables", "smarty", "sane_lists", "fenced_code")
MAX_CONTENT_BYTES = 2_000_000
"""An editorial is a few KB of Markdown; a file of megabytes is a mistake (or worse)."""
_FENCE = re.compile(r"^(---|\.\.\.)\s*$")  # YAML allows '...' to end a document too


@dataclass(frozen=True)
class FrontMatter:
    """A content file split in two: its YAML header and its Markdown body."""

    data: dict[str, Any]
    lines: dict[KeyPath, int]
    """Key path -> line number in the whole file."""
    body: str
    body_offset: int
    """Lines before the body: body line ``n`` is file line ``n + body_offset``."""


def markdown_to_html(text: str) -> str:
    """Render Markdown (tables, smart quotes, sane lists, fenced code) to an HTML fragment."""
    # A fresh converter per call: Markdown instances keep state (footnotes, references)
    # between conversions, and the output must depend on ``text`` alone.
    converter = markdown.Markdown(
        extensions=list(MARKDOWN_EXTENSIONS),
        # a column's alignment as align=, which the sanitizer keeps (style= it never does)
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )
    return converter.convert(text)


def parse_front_matter(text: str, path: Path) -> FrontMatter:
    """Split ``---`` YAML front matter from the body; malformed YAML names the file's line.

    A file without front matter has empty data and is all body.
    """
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter({}, {(): 1}, text, 0)  # a missing key belongs on line 1
    closing = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i])), None)
    if closing is None:
        raise ContentError("front matter has no closing '---' line", path=path, line=1)
    header = "".join(lines[1:closing])
    data, key_lines = parse_yaml(header, path, ContentError, line_offset=1)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ContentError("front matter must be a mapping of keys", path=path, line=2)
    return FrontMatter(data, key_lines, "".join(lines[closing + 1 :]), closing + 1)


def markdown_note(
    document: FrontMatter, shown: str, *, name: str, max_chars: int, why: str = ""
) -> tuple[str, str]:
    """The body of a content file that must hold a short note: (HTML, plain text), or
    ContentError at its first line when it is empty or over ``max_chars`` characters of
    text (``why`` ends that message: " so it fits the card")."""
    html = markdown_to_html(document.body)
    text = html_to_text(html)
    first_line = document.body_offset + 1
    if not text.strip():
        raise ContentError(
            f"the {name} is missing: write it below the front matter", path=shown, line=first_line
        )
    if len(text) > max_chars:
        raise ContentError(
            f"the {name} is {len(text):,} characters; keep it to {max_chars}{why}",
            path=shown,
            line=first_line,
        )
    return html, text


def front_matter(text: str, path: Path) -> tuple[dict[str, Any], str, int]:
    """``(data, body, body line offset)`` of a content file; see :func:`parse_front_matter`."""
    parsed = parse_front_matter(text, path)
    return parsed.data, parsed.body, parsed.body_offset


def read_content(path: Path, shown: str, *, max_bytes: int = MAX_CONTENT_BYTES) -> str:
    """The UTF-8 text of a content file; problems raise ContentError naming ``shown``."""
    try:
        return read_text(path, ContentError, max_bytes=max_bytes)
    except ContentError as exc:
        raise ContentError(exc.message, path=shown, line=exc.line) from None


def raise_all(problems: list[ContentError]) -> None:
    """Raise the first problem carrying all the others, so one run reports every file."""
    if problems:
        raise together(problems)


def content_path(path: Path, content_dir: Path) -> str:
    """How a content file is named in messages and models: ``content/offers/spring.yaml``.

    Relative to the folder holding the content folder, so builds on different machines
    (or from different working directories) record the same path.
    """
    try:
        return path.relative_to(content_dir.parent).as_posix()
    except ValueError:
        return path.as_posix()


class _ImageAlts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.missing: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "img" and not values.get("alt", "").strip():
            self.missing.append(values.get("src", ""))

    handle_startendtag = handle_starttag


def images_without_alt(html: str) -> list[str]:
    """The ``src`` of every ``<img>`` in ``html`` whose alt text is missing or blank."""
    finder = _ImageAlts()
    finder.feed(html)
    finder.close()
    return finder.missing
