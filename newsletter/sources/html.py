"""Pure functions on HTML strings: cut it short, turn it into text.

:func:`truncate_html` and :func:`html_to_text` walk markup with the stdlib tokenizer; they
expect sanitized input (:mod:`newsletter.sources.sanitize`) but stay well-behaved on anything.
"""

from __future__ import annotations

import html as htmlmod
import re
import textwrap
from html.parser import HTMLParser

# Elements whose content is code or embedded documents, never readable text.
DROP_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}
    | {"textarea", "select", "title", "head"}
)
VOID_TAGS = frozenset({"br", "img", "hr", "wbr", "input", "meta", "link", "source", "col"})
BLOCK_TAGS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre"}
    | {"table", "thead", "tbody", "tfoot", "tr", "th", "td", "hr", "br", "dl", "dt", "dd"}
    | {"section", "article", "header", "footer", "figure", "figcaption", "address", "aside"}
)
_SPACE = re.compile(r"[ \t\n\r\f\v]+")
_BR = "\x00"  # stands for <br> while whitespace is collapsed


# ---- truncate_html ---------------------------------------------------------------------

Token = tuple[str, str, list[tuple[str, str | None]]]  # (kind, tag or text, attributes)


class _Tokenizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[Token] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(("start", tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(("start", tag, attrs))
        if tag not in VOID_TAGS:
            self.tokens.append(("end", tag, []))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("end", tag, []))

    def handle_data(self, data: str) -> None:
        self.tokens.append(("text", data, []))


def _start_tag(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    rendered = "".join(
        f' {name}="{htmlmod.escape(value, quote=True)}"' if value is not None else f" {name}"
        for name, value in attrs
    )
    return f"<{tag}{rendered}>"


def truncate_html(html: str, limit: int) -> str:
    """Cut ``html`` to about ``limit`` visible characters at a word boundary, adding "…".

    Whitespace counts as it renders (runs collapse to one space, block edges separate
    words). Open elements are closed after the ellipsis, so the result stays well-formed;
    markup within the limit is returned unchanged.
    """
    parser = _Tokenizer()
    parser.feed(html)
    parser.close()
    tokens = parser.tokens
    # Visible characters, each with the (token, offset) it came from; a block edge counts
    # as a space so words in adjacent paragraphs are not glued together.
    visible: list[str] = []
    origin: list[tuple[int, int]] = []
    for index, (kind, value, _attrs) in enumerate(tokens):
        if kind == "text":
            for offset, char in enumerate(value):
                if char.isspace():
                    if not visible or visible[-1] == " ":
                        continue
                    char = " "
                visible.append(char)
                origin.append((index, offset))
        elif value in BLOCK_TAGS and visible and visible[-1] != " ":
            visible.append(" ")
            origin.append((index, -1))
    if len("".join(visible).strip()) <= limit:
        return html
    text = "".join(visible)
    cut = text.rfind(" ", 0, limit + 1)
    if cut <= 0:
        cut = limit  # a single word longer than the limit: cut inside it
    kept = text[:cut].rstrip(" ,;:-–—([{")
    if not kept:
        return "…"
    last_token, last_offset = origin[len(kept) - 1]

    out: list[str] = []
    open_tags: list[str] = []
    for index, (kind, value, attrs) in enumerate(tokens[: last_token + 1]):
        if kind == "text":
            chunk = value[: last_offset + 1] if index == last_token else value
            out.append(htmlmod.escape(chunk, quote=False))
        elif kind == "start":
            out.append(_start_tag(value, attrs))
            if value not in VOID_TAGS:
                open_tags.append(value)
        elif value in open_tags:
            # Close anything left open inside it too, as an HTML parser would.
            while open_tags:
                tag = open_tags.pop()
                out.append(f"</{tag}>")
                if tag == value:
                    break
    # The ellipsis goes after inline elements (outside a link) but inside the paragraph.
    while open_tags and open_tags[-1] not in BLOCK_TAGS:
        out.append(f"</{open_tags.pop()}>")
    out.append("…")
    out.extend(f"</{tag}>" for tag in reversed(open_tags))
    return "".join(out)


# ---- plain text ------------------------------------------------------------------------


class _TextWriter(HTMLParser):
    """Builds readable plain text: one block per paragraph, heading, list item or row."""

    def __init__(self, width: int) -> None:
        super().__init__(convert_charrefs=True)
        self.width = width
        self.blocks: list[tuple[str, bool]] = []  # (text, joins previous with one newline)
        self.inline: list[str] = []
        self.links: list[tuple[str, int]] = []  # (href, where its text starts in inline)
        self.lists: list[list[int]] = []  # [ordinal or -1 for bullets] per open list
        self.marker: str | None = None  # bullet waiting for the list item's first line
        self.hang = 0  # width of the current list item's bullet, for its later lines
        self.first_in_list = False
        self.quote_depth = 0
        self.pre_depth = 0
        self.skip_depth = 0
        self.row: list[str] | None = None
        self.table_lines: list[str] = []

    # -- parser callbacks --

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROP_WITH_CONTENT:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        values = {name: value or "" for name, value in attrs}
        if tag == "br":
            self.inline.append("\n" if self.pre_depth else _BR)
        elif tag == "a":
            self.links.append((values.get("href", "").strip(), len(self.inline)))
        elif tag == "img":
            alt = values.get("alt", "").strip()
            if alt:
                self.inline.append(f"[{alt}]")
        elif tag == "hr":
            self._flush()
            self._emit("* * *", wrap=False)
        elif tag in ("td", "th"):
            self._flush()
            if self.row is None:
                self.row = []
        elif tag in BLOCK_TAGS:
            self._flush()
            if tag in ("ul", "ol"):
                if not self.lists:
                    self.first_in_list = True
                self.lists.append([1 if tag == "ol" else -1])
            elif tag == "li":
                counter = self.lists[-1] if self.lists else [-1]
                self.marker = f"{counter[0]}. " if counter[0] > 0 else "- "
                self.hang = len(self.marker)
                if counter[0] > 0:
                    counter[0] += 1
            elif tag == "blockquote":
                self.quote_depth += 1
            elif tag == "pre":
                self.pre_depth += 1
            elif tag == "tr":
                self.row = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in DROP_WITH_CONTENT:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth:
            return
        if tag == "a" and self.links:
            self._close_link(*self.links.pop())
        elif tag in ("td", "th"):
            self._flush()
        elif tag == "tr":
            self._end_row()
        elif tag == "table":
            self._end_row()
            if self.table_lines:
                self.blocks.append(("\n".join(self.table_lines), False))
                self.table_lines = []
        elif tag in BLOCK_TAGS:
            self._flush()
            if tag in ("ul", "ol") and self.lists:
                self.lists.pop()
            elif tag == "li":
                self.marker, self.hang = None, 0
            elif tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.inline.append(data)

    def close(self) -> None:
        super().close()
        while self.links:
            self._close_link(*self.links.pop())
        self._flush()
        self._end_row()
        if self.table_lines:
            self.blocks.append(("\n".join(self.table_lines), False))

    # -- building blocks --

    def _close_link(self, href: str, start: int) -> None:
        text = _SPACE.sub(" ", "".join(self.inline[start:]).replace(_BR, " ")).strip()
        if not href or href.startswith("#"):
            return
        bare = re.sub(r"^(?:https?://|mailto:)", "", href).rstrip("/")
        if not text or text in (href, bare, bare + "/"):
            # The URL says it all; an email address reads better without "mailto:".
            self.inline[start:] = [bare if href.startswith("mailto:") else href]
        else:
            self.inline.append(f" ({href})")

    def _end_row(self) -> None:
        self._flush()
        if self.row:
            self.table_lines.append(" | ".join(self.row))
        self.row = None

    def _flush(self) -> None:
        raw = "".join(self.inline)
        self.inline = []
        self.links = [(href, 0) for href, _ in self.links]  # a link spanning blocks
        if self.row is not None and not self.pre_depth:
            cell = _SPACE.sub(" ", raw.replace(_BR, " ")).strip()
            if cell:
                self.row.append(cell)
            return
        if self.pre_depth:
            text = raw.removeprefix("\n").rstrip()
            if text.strip():
                self._emit(text, wrap=False)
            return
        lines = [line.strip() for line in _SPACE.sub(" ", raw).split(_BR)]
        while lines and not lines[-1]:
            lines.pop()
        if any(lines):
            self._emit("\n".join(lines), wrap=True)

    def _emit(self, text: str, *, wrap: bool) -> None:
        quote = "> " * self.quote_depth
        indent = "   " * max(0, len(self.lists) - 1)
        marker = self.marker or " " * self.hang
        first = quote + indent + marker
        rest = quote + indent + " " * len(marker)
        self.marker = None
        out: list[str] = []
        for number, line in enumerate(text.split("\n")):
            lead = first if number == 0 else rest
            if wrap and line:
                wrapped = textwrap.wrap(
                    line,
                    width=max(self.width, len(lead) + 10),
                    initial_indent=lead,
                    subsequent_indent=rest,
                    break_long_words=False,  # never split a URL
                    break_on_hyphens=False,
                )
                out.extend(wrapped)
            else:
                out.append((lead + line).rstrip())
        tight = bool(self.lists) and not self.first_in_list
        self.first_in_list = False
        self.blocks.append(("\n".join(out), tight))


def html_to_text(html: str, *, width: int = 72) -> str:
    """Readable plain text for ``html``, wrapped at ``width`` columns.

    Paragraphs are separated by blank lines; list items start with "- " (or "1. " in an
    ordered list); links read "text (url)", or just the URL when the text is the URL;
    table rows join their cells with " | "; ``<pre>`` keeps its lines; entities are
    decoded. URLs are never broken across lines.
    """
    writer = _TextWriter(width)
    writer.feed(html)
    writer.close()
    parts: list[str] = []
    for text, tight in writer.blocks:
        if parts:
            parts.append("\n" if tight else "\n\n")
        parts.append(text)
    # Non-breaking spaces kept words together while wrapping; plain ones read the same.
    return "".join(parts).replace("\xa0", " ")
