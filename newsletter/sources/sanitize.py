"""Untrusted HTML reduced to an allow-list: feed summaries, and editorials and offers too.

Feed summaries come from sites we do not control, and an editorial may be written by a
helper or an agency; both end up in people's inboxes and on the web page. So
:func:`sanitize` is an allow-list (nh3), never a block-list, and every link it keeps passes
the one link policy (:mod:`newsletter.sources.links`). :func:`removed_markup` says what the
allow-list takes out of a fragment, for a warning that names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3

from newsletter.sources.html import DROP_WITH_CONTENT
from newsletter.sources.links import reader_link, without_tracking

ALLOWED_TAGS = frozenset(
    {"p", "br", "a", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote"}
    | {"h2", "h3", "h4", "h5", "h6", "hr", "sub", "sup", "del", "s"}
    | {"img", "code", "pre", "table", "thead", "tbody", "tr", "th", "td"}
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
}
"""What Markdown itself writes is allowed (a list's ``start``, a column's ``align``, a
fenced block's ``language-…`` class); ``style``, ``id`` and event handlers never are."""
URL_SCHEMES = frozenset({"http", "https", "mailto"})
URL_ATTRIBUTES = frozenset({"href", "src"})
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+-]{1,40}")
# Open-tracking beacons of common mail, analytics and feed services.
TRACKER_SRC = re.compile(
    r"pixel\.wp\.com|stats\.wordpress\.com|feeds\.feedburner\.com/~r|feedburner\.com/~ff"
    r"|feedblitz\.com/~/i|feedsportal\.com|list-manage\.com/track|/wf/open|/track/open"
    r"|/e/o/|doubleclick\.net|google-analytics\.com|googletagmanager\.com|facebook\.com/tr"
    r"|[/.]pixel(?:\.gif|\.png|/|\?)|/beacon(?:\.gif|/|\?)|/open\.(?:gif|aspx|php)",
    re.IGNORECASE,
)
HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden"
    r"|(?<![-\w])(?:width|height)\s*:\s*[01](?:px)?\s*(?:;|$)",
    re.IGNORECASE,
)


def sanitize(html: str, *, base_url: str | None = None, from_feed: bool = False) -> str:
    """Reduce untrusted ``html`` to a small allow-list of tags, attributes and URL schemes.

    Script and style elements go with their content; tracking pixels are dropped; links get
    ``rel="noopener"``; an absolute link that the link policy refuses is dropped (the text
    stays). Relative URLs are resolved against ``base_url`` when it is an absolute http(s)
    URL, and passed through otherwise. ``from_feed`` also strips tracking parameters.
    """
    base = reader_link(base_url) if base_url else ""

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute == "class":
            return value if tag == "code" and _LANGUAGE_CLASS.fullmatch(value) else None
        if attribute not in URL_ATTRIBUTES:
            return value
        link = _allowed_url(value)
        return without_tracking(link) if link and from_feed else link

    return nh3.clean(
        _drop_tracking_images(html),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=keep,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener",
        url_relative=("rewrite_with_base", base) if base else "pass_through",
        strip_comments=True,
    ).strip()


def _allowed_url(value: str) -> str | None:
    """``value`` of an href or src as it may stay, or None to drop it: an absolute web link
    must pass the link policy; mailto and relative links are left to nh3's own checks."""
    text = value.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() == "mailto":
        return text
    if parts.scheme or parts.netloc:
        absolute = text if parts.scheme else f"https:{text}"
        return text if reader_link(absolute) else None
    return text if "\\" not in text else None


@dataclass(frozen=True)
class Removal:
    """One thing :func:`sanitize` takes out: what it is, and text to find it by in the
    source it came from (the tag's or attribute's name, or the refused link)."""

    what: str
    needle: str


def removed_markup(html: str) -> list[Removal]:
    """What :func:`sanitize` removes from ``html``, in document order (comments aside,
    which no reader sees either way)."""
    finder = _RemovalFinder()
    finder.feed(html)
    finder.close()
    return finder.found


class _RemovalFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Removal] = []
        self.dropping = 0  # inside an element removed with its content

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping:
            self.dropping += tag in DROP_WITH_CONTENT
            return
        if tag in DROP_WITH_CONTENT:
            self.dropping = 1
            self.found.append(Removal(f"<{tag}> and its content", f"<{tag}"))
            return
        values = {name: value or "" for name, value in attrs}
        if tag == "img" and _is_tracking_image(values):
            self.found.append(Removal("an image that is hidden or tracks", "<img"))
            return
        if tag not in ALLOWED_TAGS:
            self.found.append(Removal(f"<{tag}>", f"<{tag}"))
            return
        allowed = ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in values.items():
            if name not in allowed or (name == "class" and not _LANGUAGE_CLASS.fullmatch(value)):
                self.found.append(Removal(f"{name}= on <{tag}>", name))
            elif name in URL_ATTRIBUTES and not _kept_by_nh3(value):
                self.found.append(Removal(f"the link {_shown(value)} on <{tag}>", value))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in DROP_WITH_CONTENT and self.dropping:
            self.dropping -= 1

    def handle_endtag(self, tag: str) -> None:
        if self.dropping and tag in DROP_WITH_CONTENT:
            self.dropping -= 1


def _kept_by_nh3(value: str) -> bool:
    if _allowed_url(value) is None:
        return False
    scheme = urlsplit(value.strip()).scheme.lower()
    return not scheme or scheme in URL_SCHEMES


def _shown(value: str) -> str:
    text = value.strip()
    return repr(text if len(text) <= 60 else text[:57] + "…")


def _is_tracking_image(attrs: dict[str, str]) -> bool:
    src = attrs.get("src", "").strip()
    scheme = urlsplit(src).scheme.lower() if ":" in src else ""
    if not src or scheme not in ("", "http", "https"):
        return True  # nothing a mail client could show
    for dimension in ("width", "height"):
        match = re.match(r"\s*(\d+)", attrs.get(dimension, ""))
        if match and int(match.group(1)) <= 1:
            return True
    return bool(HIDDEN_STYLE.search(attrs.get("style", "")) or TRACKER_SRC.search(src))


class _ImageFinder(HTMLParser):
    """Finds tracking images in raw markup (they need ``style``, which nh3 drops)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.spans: list[tuple[tuple[int, int], int]] = []  # ((line, column), length)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and _is_tracking_image({k: v or "" for k, v in attrs}):
            self.spans.append((self.getpos(), len(self.get_starttag_text() or "")))

    handle_startendtag = handle_starttag


def _drop_tracking_images(html: str) -> str:
    if "<img" not in html.lower():
        return html
    finder = _ImageFinder()
    finder.feed(html)
    finder.close()
    # Cut the tags out of the original text, leaving every other byte as it was.
    line_starts = [0]
    line_starts.extend(m.end() for m in re.finditer("\n", html))
    out: list[str] = []
    done = 0
    for (line, column), length in finder.spans:
        start = line_starts[line - 1] + column
        out.append(html[done:start])
        done = start + length
    out.append(html[done:])
    return "".join(out)
