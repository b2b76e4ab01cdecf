"""The month's editorials: ``content/editorials/YYYY-MM/*.md`` with YAML front matter.

::

    ---
    title: Getting your home ready for the first hard freeze   # required
    order: 10                     # position in the issue; default 100, ties by file name
    summary: Five checks before the thermometer drops.
    segments: [client, prospect]  # who sees it; default everyone
    image: {src: https://…/freeze.jpg, alt: Frost on a window}
    ---
    Markdown body…

    ::: only pets
    A block only readers tagged ``pets`` get (newsletter.yaml ``personal.tags``).
    :::
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from newsletter.blocks import marked_html, marked_text
from newsletter.config.validation import Segments, Strict, check_image_src, validate
from newsletter.config.yamlfile import line_for
from newsletter.diagnostics import Diagnostics
from newsletter.errors import ContentError
from newsletter.folders import check_folder, file_exists, folder_files
from newsletter.images import is_local, local_path, published_url
from newsletter.model import SEGMENTS, Editorial, Image, TaggedBlock
from newsletter.sources.html import html_to_text
from newsletter.sources.markup import (
    content_path,
    images_without_alt,
    markdown_to_html,
    parse_front_matter,
    raise_all,
    read_content,
)
from newsletter.sources.sanitize import removed_markup, sanitize

DEFAULT_ORDER = 100
MAX_TITLE_CHARS = 200
"""An editorial's title is a heading, and the preheader's first words: room for any real
headline, never a paragraph pasted into the wrong key."""


class ImageFront(Strict):
    """``image:`` in the front matter."""

    src: Annotated[str, AfterValidator(check_image_src)]
    """An http(s) URL, or images/NAME for a file in content/images/ (published with the
    issue's web page, and referenced there: email clients load absolute URLs only)."""
    alt: str = ""
    """Missing alt text is a warning (an error under --strict), not a failed build."""


class EditorialFront(Strict):
    """The front matter of an editorial; unknown keys are errors."""

    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    order: int = DEFAULT_ORDER
    summary: str = ""
    segments: Segments = SEGMENTS
    image: ImageFront | None = None


def load_editorials(
    content_dir: Path,
    month: str,
    *,
    diagnostics: Diagnostics,
    web_url: str = "",
    tags: Collection[str] = (),
) -> tuple[Editorial, ...]:
    """Every ``*.md`` in ``content_dir/editorials/<month>/``, sorted by (order, slug).

    A missing month folder gives ``()`` (the caller decides whether that is worth a
    warning); one that cannot be read is a ContentError naming it. Invalid front matter
    raises ContentError naming file, line and key, and so does an image in
    ``content/images/`` that is not there; images without alt text warn.
    Given the issue's ``web_url``, such an image's ``src`` is where that page publishes it.
    A ``::: only TAG`` block must name one of ``tags`` and be closed by a ``:::`` line.
    """
    files = editorial_files(content_dir, month)
    editorials: list[Editorial] = []
    problems: list[ContentError] = []
    for path in files:
        try:
            editorials.append(_load(path, content_dir, diagnostics, web_url, tags))
        except ContentError as problem:
            problems.append(problem)
    raise_all(problems)
    return tuple(sorted(editorials, key=lambda e: (e.order, e.slug)))


def editorial_files(content_dir: Path, month: str) -> list[Path]:
    """The month's editorial files (``*.md``), sorted; ContentError naming a folder on the
    way that cannot be read."""
    folder = content_dir / "editorials" / month
    shown = content_path(folder, content_dir)
    check_folder(
        content_dir / "editorials", ContentError, shown=content_path(folder.parent, content_dir)
    )
    return folder_files(folder, (".md",), ContentError, shown=shown)


def _load(
    path: Path, content_dir: Path, diagnostics: Diagnostics, web_url: str, tags: Collection[str]
) -> Editorial:
    shown = content_path(path, content_dir)
    document = parse_front_matter(read_content(path, shown), Path(shown))
    front = validate(
        EditorialFront, document.data, path=shown, lines=document.lines, error=ContentError
    )
    image = None
    if front.image is not None:
        src = front.image.src
        file = local_path(content_dir, src)
        if is_local(src) and not file_exists(
            file, ContentError, shown=content_path(file, content_dir)
        ):
            raise ContentError(
                f"{src}: no such file in {content_path(content_dir / 'images', content_dir)}/",
                path=shown,
                line=line_for(document.lines, ("image", "src")),
                key="image.src",
            )
        image = Image(
            src=published_url(src, web_url) if web_url else src,
            alt=front.image.alt,
            file=src if is_local(src) else None,
        )
        if not front.image.alt:
            diagnostics.warn(
                "image has no alt text; readers with images blocked or a screen reader see nothing",
                error=ContentError,
                path=shown,
                line=line_for(document.lines, ("image", "alt")),
                key="image.alt",
            )
    body = _without_control_characters(document.body, shown, document.body_offset, diagnostics)
    parts = split_blocks(body, tags, path=shown, offset=document.body_offset)
    raw = [(tag, markdown_to_html(text)) for tag, text in parts]
    for removal in removed_markup("".join(html for _, html in raw)):
        diagnostics.warn(
            f"removed {removal.what}: an editorial's HTML is cleaned like a feed's",
            error=ContentError,
            path=shown,
            line=_body_line(body, removal.needle, document.body_offset),
        )
    htmls = [(tag, sanitize(html)) for tag, html in raw]
    body_html = "".join(html for tag, html in htmls if tag is None)
    tagged = tuple(TaggedBlock(t, h, html_to_text(h)) for t, h in htmls if t is not None)
    for src in images_without_alt("".join(html for _, html in htmls)):
        diagnostics.warn(
            f"image {src} in the text has no alt text (write ![description]({src}))",
            error=ContentError,
            path=shown,
            line=_body_line(document.body, src, document.body_offset),
        )
    return Editorial(
        slug=path.stem,
        title=front.title,
        order=front.order,
        summary=front.summary,
        body_html=body_html,
        body_text=html_to_text(body_html),
        segments=front.segments,
        image=image,
        path=shown,
        tagged=tagged,
        marked_html="".join(marked_html(tag, html) for tag, html in htmls) if tagged else "",
        marked_text="\n\n".join(marked_text(tag, html_to_text(html)) for tag, html in htmls)
        if tagged
        else "",
    )


_FENCE = re.compile(r"^:::\s*(?:only\s+(?P<tag>\S+)\s*)?$")


def split_blocks(
    body: str, tags: Collection[str], *, path: str, offset: int
) -> list[tuple[str | None, str]]:
    """The body as (tag or None, markdown) parts, in order; ContentError names the line of
    an unknown tag, a block left open, a ``:::`` closing nothing, or a block in a block."""
    parts: list[tuple[str | None, str]] = []
    current: list[str] = []
    tag: str | None = None
    opened = 0
    for number, line in enumerate(body.splitlines(), start=1):
        fence = _FENCE.match(line.strip()) if line.lstrip().startswith(":::") else None
        if fence is None:
            if line.lstrip().startswith(":::"):
                raise ContentError(
                    f"not a block fence (write '::: only TAG' … ':::'): {line.strip()!r}",
                    path=path,
                    line=number + offset,
                )
            current.append(line)
            continue
        named = fence.group("tag")
        if named is not None:
            if tag is not None:
                raise ContentError(
                    f"a block inside the block opened on line {opened}: close it first",
                    path=path,
                    line=number + offset,
                )
            if named not in tags:
                known = ", ".join(tags) or "none: add them to personal.tags in newsletter.yaml"
                raise ContentError(
                    f"unknown tag {named!r} (known: {known})", path=path, line=number + offset
                )
            parts.append((None, "\n".join(current)))
            current, tag, opened = [], named, number + offset
        else:
            if tag is None:
                raise ContentError("':::' closes no block", path=path, line=number + offset)
            parts.append((tag, "\n".join(current)))
            current, tag = [], None
    if tag is not None:
        raise ContentError(f"block 'only {tag}' is never closed", path=path, line=opened)
    parts.append((None, "\n".join(current)))
    return [(t, text) for t, text in parts if text.strip()]


def _body_line(body: str, needle: str, offset: int) -> int | None:
    """The file line where ``needle`` first appears in the body (in any case), if it does."""
    wanted = needle.casefold()
    for number, line in enumerate(body.splitlines(), start=1):
        if wanted and wanted in line.casefold():
            return number + offset
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _without_control_characters(
    body: str, shown: str, offset: int, diagnostics: Diagnostics
) -> str:
    """``body`` without control characters (NUL …), which no reader can see and some
    programs that open the email stop at; each line that had one is a warning."""
    if not _CONTROL.search(body):
        return body
    lines = body.splitlines(keepends=True)
    for number, line in enumerate(lines, start=1):
        found = _CONTROL.search(line)
        if found:
            diagnostics.warn(
                f"removed a control character (U+{ord(found.group()):04X}) that no reader can see",
                error=ContentError,
                path=shown,
                line=number + offset,
            )
    return _CONTROL.sub("", body)
