"""Editorials may be written by a helper or an agency: their HTML is cleaned with the feeds'
allow-list, each removal a one-line warning naming the file and line (an error under
--strict), and no control character such as NUL is ever written."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.diagnostics import Diagnostics
from newsletter.errors import ContentError
from newsletter.model import Editorial
from newsletter.sources.editorials import load_editorials
from newsletter.sources.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

MONTH = "2026-11"
HOSTILE = """---
title: Winter tips
---
Keep the furnace filter clean.

<script>alert('x')</script>
<iframe src="https://evil.example/"></iframe>
<img src="https://img.example/a.png" alt="a" onerror="alert(1)">
<form action="https://evil.example/"><input name="pw"></form>
<svg onload="alert(1)"><circle r="1"/></svg>
[Click here](javascript:alert(1)) or [mail us](mailto:pat@shop.example.com).
"""


def write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "content" / "editorials" / MONTH
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tips.md"
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, strict: bool = False) -> tuple[Editorial, list[str]]:
    diagnostics = Diagnostics(strict=strict)
    (editorial,) = load_editorials(tmp_path / "content", MONTH, diagnostics=diagnostics)
    return editorial, diagnostics.warnings


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[tuple[str, str]] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.add((tag, name))
            if name in ("href", "src"):
                self.links.append(value or "")

    handle_startendtag = handle_starttag


def markup(html: str) -> _Markup:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser


def test_script_frames_forms_handlers_and_javascript_links_are_removed(tmp_path: Path) -> None:
    write(tmp_path, HOSTILE)
    editorial, _ = load(tmp_path)
    found = markup(editorial.body_html)
    assert found.tags <= ALLOWED_TAGS
    for gone in ("alert", "evil.example", "onerror", "onload", "javascript"):
        assert gone not in editorial.body_html.lower()
    assert 'href="mailto:pat@shop.example.com"' in editorial.body_html
    assert 'src="https://img.example/a.png"' in editorial.body_html
    assert "Keep the furnace filter clean." in editorial.body_text


def test_each_removal_is_a_warning_naming_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, HOSTILE)
    _, warnings = load(tmp_path)
    shown = "content/editorials/2026-11/tips.md"
    removed = [
        (6, "<script> and its content"),
        (7, "<iframe> and its content"),
        (8, "onerror= on <img>"),
        (9, "<form>"),
        (9, "<input>"),
        (10, "<svg> and its content"),
        (11, "the link 'javascript:alert(1)' on <a>"),
    ]
    assert warnings == [
        f"{shown}:{line}: removed {what}: an editorial's HTML is cleaned like a feed's"
        for line, what in removed
    ]


def test_a_removal_is_an_error_under_strict(tmp_path: Path) -> None:
    write(tmp_path, HOSTILE)
    with pytest.raises(ContentError, match=r"tips\.md:6: removed <script>"):
        load(tmp_path, strict=True)


def test_a_nul_byte_is_removed_with_a_warning_and_never_written(tmp_path: Path) -> None:
    write(tmp_path, "---\ntitle: T\n---\nfirst line\nsecond\x00line\n")
    editorial, warnings = load(tmp_path)
    assert "\x00" not in editorial.body_html + editorial.body_text
    assert "secondline" in editorial.body_text
    assert warnings == [
        "content/editorials/2026-11/tips.md:5: removed a control character (U+0000) that "
        "no reader can see"
    ]


def test_what_markdown_itself_writes_passes_without_a_warning(tmp_path: Path) -> None:
    write(
        tmp_path,
        "---\ntitle: T\n---\n## Steps\n\n3. third\n4. fourth\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n"
        '```python\nx = 1\n```\n\n---\n\n![Frost](https://img.example/f.jpg "Frost")\n',
    )
    editorial, warnings = load(tmp_path)
    assert warnings == []
    for kept in ('<ol start="3">', '<th align="left">', 'class="language-python"', "<h2>", "<hr"):
        assert kept in editorial.body_html


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.lists(
        st.one_of(
            st.text(max_size=30),
            st.sampled_from(
                [
                    "<script>x</script>",
                    "<a href='javascript:x'>a</a>",
                    "<img src=x onerror=y>",
                    "<svg><g onload=x></g></svg>",
                    "<style>p{}</style>",
                    '<p style="x">s</p>',
                    "<a href='https://u:p@h.example/'>c</a>",
                    "<iframe srcdoc='<b>'>",
                    "<div id=x>",
                    "[l](javascript:x)",
                    "![i](data:image/png;base64,AA)",
                    "<object data=x>",
                    "<math><mi>x</mi></math>",
                    "<a href=' java\tscript:x'>t</a>",
                    "\x00",
                    "<!-- c -->",
                ]
            ),
        ),
        max_size=12,
    )
)
def test_nothing_outside_the_allow_list_comes_out_of_any_editorial(
    tmp_path: Path, body: list[str]
) -> None:
    write(tmp_path, "---\ntitle: Any\n---\n" + "\n".join(body) + "\n")
    editorial, _ = load(tmp_path)
    for html in (editorial.body_html, *(b.html for b in editorial.tagged)):
        found = markup(html)
        assert found.tags <= ALLOWED_TAGS
        assert all(
            name in ALLOWED_ATTRIBUTES.get(tag, set()) or (tag, name) == ("a", "rel")
            for tag, name in found.attributes
        )
        for link in found.links:
            parts = urlsplit(link.strip())
            assert parts.scheme.lower() in ("", "http", "https", "mailto"), link
            assert "@" not in parts.netloc
    assert "\x00" not in editorial.body_html + editorial.body_text
