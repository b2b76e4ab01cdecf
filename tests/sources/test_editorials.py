"""Editorials (content/editorials/YYYY-MM/*.md) and the Markdown helpers they share."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config.validation import NOT_AN_IMAGE
from newsletter.diagnostics import Diagnostics
from newsletter.errors import ContentError
from newsletter.model import SEGMENTS, Image
from newsletter.sources.editorials import load_editorials
from newsletter.sources.markup import front_matter, markdown_to_html
from tests.golden import FIXTURE_PROJECT

MONTH = "2026-11"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    (folder / "editorials" / MONTH).mkdir(parents=True)
    return folder


def write(content: Path, name: str, text: str) -> Path:
    path = content / "editorials" / MONTH / name
    path.write_text(text, encoding="utf-8")
    return path


def load(content: Path, *, strict: bool = False, diagnostics: Diagnostics | None = None):
    return load_editorials(content, MONTH, diagnostics=diagnostics or Diagnostics(strict=strict))


def error_from(content: Path) -> ContentError:
    with pytest.raises(ContentError) as caught:
        load(content)
    return caught.value


# --- Markdown -----------------------------------------------------------------------------


def test_markdown_tables_and_smart_quotes() -> None:
    html = markdown_to_html(
        'It\'s "cold" -- really...\n\n| Job | Time |\n|---|---|\n| Filter | 5 min |\n'
    )
    assert "It&rsquo;s &ldquo;cold&rdquo; &ndash; really&hellip;" in html
    assert "<table>" in html and "<th>Job</th>" in html and "<td>5 min</td>" in html


def test_fenced_code_and_sane_lists_are_rendered() -> None:
    html = markdown_to_html("```\nset 68\n```\n\n1. one\n2. two\n\n* a\n* b\n")
    assert "<pre><code>set 68\n</code></pre>" in html
    assert "<ol>\n<li>one</li>" in html and "<ul>\n<li>a</li>" in html


def test_markdown_conversions_do_not_share_state() -> None:
    markdown_to_html("[shop][ref]\n\n[ref]: https://hartwellhvac.example.com/\n")
    later = markdown_to_html("[shop][ref]\n")
    assert "href" not in later  # the first text's link reference must not leak


def test_front_matter_is_split_from_the_body_with_its_line_offset() -> None:
    data, body, offset = front_matter("---\ntitle: Hi\norder: 2\n---\nFirst line\n", Path("a.md"))
    assert data == {"title": "Hi", "order": 2}
    assert body == "First line\n"
    assert offset == 4  # body line 1 is file line 5


def test_text_without_front_matter_is_all_body() -> None:
    assert front_matter("Just text\n", Path("a.md")) == ({}, "Just text\n", 0)


def test_malformed_front_matter_names_the_real_line() -> None:
    text = '---\ntitle: Fine\nsummary: "ok"\n  order: 3\n---\nBody\n'
    with pytest.raises(ContentError) as caught:
        front_matter(text, Path("content/editorials/2026-11/x.md"))
    assert caught.value.path == "content/editorials/2026-11/x.md"
    assert caught.value.line == 4  # the badly indented line, counted in the whole file
    assert "malformed YAML" in caught.value.message


def test_front_matter_without_closing_fence_is_an_error() -> None:
    with pytest.raises(ContentError, match="no closing '---'"):
        front_matter("---\ntitle: Oops\n\nBody\n", Path("x.md"))


# --- loading ------------------------------------------------------------------------------


def test_editorials_are_sorted_by_order_then_slug(content: Path) -> None:
    write(content, "zebra.md", "---\ntitle: Z\norder: 5\n---\nz\n")
    write(content, "apple.md", "---\ntitle: A\n---\na\n")
    write(content, "mango.md", "---\ntitle: M\norder: 5\n---\nm\n")
    assert [e.slug for e in load(content)] == ["mango", "zebra", "apple"]


def test_front_matter_fills_the_editorial(content: Path) -> None:
    write(
        content,
        "freeze.md",
        "---\ntitle: Ready for the freeze\nsummary: Five checks.\nsegments: [client]\n"
        "image:\n  src: https://example.com/frost.jpg\n  alt: Frost on a window\n---\n"
        "Swap the **filter**.\n",
    )
    (editorial,) = load(content)
    assert editorial.slug == "freeze"
    assert editorial.title == "Ready for the freeze"
    assert editorial.summary == "Five checks."
    assert editorial.segments == ("client",)
    assert editorial.image == Image("https://example.com/frost.jpg", "Frost on a window")
    assert editorial.body_html == "<p>Swap the <strong>filter</strong>.</p>"
    assert editorial.path == "content/editorials/2026-11/freeze.md"


def test_defaults_are_order_100_every_segment_and_no_image(content: Path) -> None:
    write(content, "plain.md", "---\ntitle: Plain\n---\nText.\n")
    (editorial,) = load(content)
    assert (editorial.order, editorial.segments, editorial.image) == (100, SEGMENTS, None)
    assert editorial.summary == ""


def test_body_text_is_readable_plain_text_with_unicode_quotes(content: Path) -> None:
    write(
        content,
        "quotes.md",
        '---\ntitle: Q\n---\nIt\'s "cold" -- see [our site](https://example.com).\n\n- one\n',
    )
    (editorial,) = load(content)
    assert editorial.body_text == "It’s “cold” – see our site (https://example.com).\n\n- one"


def test_missing_month_folder_gives_no_editorials(tmp_path: Path) -> None:
    assert load_editorials(tmp_path, "2031-01", diagnostics=Diagnostics()) == ()


def test_files_other_than_markdown_are_ignored(content: Path) -> None:
    write(content, "notes.txt", "not an editorial")
    write(content, ".draft.md", "---\n---\n")
    write(content, "real.md", "---\ntitle: Real\n---\n")
    assert [e.slug for e in load(content)] == ["real"]


# --- errors -------------------------------------------------------------------------------


def test_unknown_segment_in_front_matter_names_file_line_and_key(content: Path) -> None:
    write(content, "freeze.md", "---\ntitle: Freeze\nsegments:\n  - client\n  - vip\n---\nx\n")
    error = error_from(content)
    assert error.path == "content/editorials/2026-11/freeze.md"
    assert error.line == 5
    assert error.key == "segments[1]"
    assert "unknown segment 'vip'" in error.message


def test_missing_title_is_an_error_naming_the_key(content: Path) -> None:
    write(content, "untitled.md", "No front matter at all.\n")
    error = error_from(content)
    assert (error.path, error.key) == ("content/editorials/2026-11/untitled.md", "title")
    assert error.message == "required key is missing"


def test_unknown_key_in_front_matter_is_an_error(content: Path) -> None:
    write(content, "typo.md", "---\ntitle: T\nsumary: misspelled\n---\n")
    error = error_from(content)
    assert (error.line, error.key, error.message) == (3, "sumary", "unknown key")


def test_every_problem_in_every_file_is_reported(content: Path) -> None:
    write(content, "a.md", "---\ntitle: A\norder: first\ncolour: red\n---\n")
    write(content, "b.md", "---\nsegments: []\n---\n")
    lines = error_from(content).all_lines()
    assert len(lines) == 4
    assert lines[0].startswith("content/editorials/2026-11/a.md:")
    assert any(line.startswith("content/editorials/2026-11/b.md:2: segments:") for line in lines)


PICTURE = "---\ntitle: P\nimage:\n  src: images/frost.jpg\n  alt: Frost\n---\n"


def test_image_in_content_images_is_referenced_where_the_issue_page_publishes_it(
    content: Path,
) -> None:
    (content / "images").mkdir()
    (content / "images" / "frost.jpg").write_bytes(b"jpeg")
    write(content, "pic.md", PICTURE)
    page = "https://news.example.com/2026-11/"
    (editorial,) = load_editorials(content, MONTH, diagnostics=Diagnostics(), web_url=page)
    assert editorial.image == Image(f"{page}images/frost.jpg", "Frost", file="images/frost.jpg")


def test_image_missing_from_content_images_is_an_error_naming_its_line(content: Path) -> None:
    write(content, "pic.md", PICTURE)
    error = error_from(content)
    assert (error.line, error.key) == (4, "image.src")
    assert error.message == "images/frost.jpg: no such file in content/images/"


@pytest.mark.parametrize("src", ["images/../secret.jpg", "images/sub/frost.jpg", "/etc/passwd"])
def test_image_path_outside_content_images_is_refused(content: Path, src: str) -> None:
    write(content, "pic.md", PICTURE.replace("images/frost.jpg", src))
    assert error_from(content).message == NOT_AN_IMAGE


def test_image_src_must_be_a_url_or_a_file_in_content_images(content: Path) -> None:
    write(content, "pic.md", "---\ntitle: P\nimage:\n  src: frost.jpg\n  alt: Frost\n---\n")
    error = error_from(content)
    assert (error.line, error.key, error.message) == (4, "image.src", NOT_AN_IMAGE)


def test_non_utf8_file_is_an_error_naming_it(content: Path) -> None:
    path = content / "editorials" / MONTH / "latin1.md"
    path.write_bytes("---\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    error = error_from(content)
    assert error.path == "content/editorials/2026-11/latin1.md"
    assert "not UTF-8" in error.message


# --- alt text -----------------------------------------------------------------------------

NO_ALT = "---\ntitle: Pic\nimage:\n  src: https://example.com/van.jpg\n---\nText.\n"


def test_image_without_alt_warns(content: Path) -> None:
    write(content, "pic.md", NO_ALT)
    diagnostics = Diagnostics()
    (editorial,) = load(content, diagnostics=diagnostics)
    assert editorial.image == Image("https://example.com/van.jpg", "")
    assert len(diagnostics.warnings) == 1
    assert diagnostics.warnings[0].startswith("content/editorials/2026-11/pic.md:3: image.alt:")


def test_image_without_alt_is_error_under_strict(content: Path) -> None:
    write(content, "pic.md", NO_ALT)
    with pytest.raises(ContentError) as caught:
        load(content, strict=True)
    assert caught.value.path == "content/editorials/2026-11/pic.md"
    assert "alt text" in caught.value.message


def test_image_in_body_without_alt_warns_with_its_line(content: Path) -> None:
    write(content, "body.md", "---\ntitle: B\n---\nIntro.\n\n![](https://example.com/a.jpg)\n")
    diagnostics = Diagnostics()
    load(content, diagnostics=diagnostics)
    assert len(diagnostics.warnings) == 1
    assert diagnostics.warnings[0].startswith("content/editorials/2026-11/body.md:6: ")
    assert "https://example.com/a.jpg" in diagnostics.warnings[0]


def test_image_in_body_with_alt_does_not_warn(content: Path) -> None:
    write(content, "body.md", "---\ntitle: B\n---\n![A van](https://example.com/a.jpg)\n")
    diagnostics = Diagnostics()
    load(content, diagnostics=diagnostics)
    assert diagnostics.warnings == []


# --- the sample ---------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["2026-11", "2026-12"])
def test_sample_editorials_load_cleanly(month: str) -> None:
    diagnostics = Diagnostics(strict=True)
    editorials = load_editorials(FIXTURE_PROJECT / "content", month, diagnostics=diagnostics)
    assert len(editorials) >= 2
    assert all(e.title and e.body_text and e.summary for e in editorials)
