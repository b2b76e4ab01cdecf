"""The HTML email: inlined, responsive, dark-mode safe, with every placeholder intact."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

from newsletter.config import Settings
from newsletter.errors import TemplateError
from newsletter.model import Issue
from newsletter.placeholders import PLACEHOLDERS
from newsletter.render.email import email_size_warning, render_email
from newsletter.render.environment import make_environment, render_template
from tests.issue_factory import CHICAGO


@pytest.fixture(scope="module")
def html(issue: Issue, settings: Settings, env: jinja2.Environment) -> str:
    """The complete issue (every segment's content), as the build writes email.html."""
    return render_email(issue, settings, env, segment=None)


VOID = frozenset({"meta", "img", "br", "hr", "link", "input", "col", "source", "wbr", "area"})


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.links: list[tuple[str, str]] = []
        self.open: list[str] = []
        self.mismatched: list[str] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))
        if tag == "a":
            self._href, self._text = dict(attrs).get("href") or "", []
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None
        if not self.open or self.open.pop() != tag:
            self.mismatched.append(tag)

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)


def _tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


def _visible(html: str) -> str:
    """The body's text, tags removed and whitespace collapsed, for "reads as" checks."""
    body = re.sub(r"<(style|head)\b.*?</\1>", "", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def test_email_css_is_inlined(html: str) -> None:
    assert re.search(r'<h2 class="section-title" style=\'[^\']*font-family:Georgia', html)
    assert ".section-title {" not in html.split("@media")[0]  # the inlined rules are gone


def test_email_keeps_media_query_for_phones(html: str) -> None:
    assert "@media only screen and (max-width: 620px)" in html
    assert ".stack { display: block !important; width: 100% !important;" in html
    assert 'class="offer-col stack"' in html


def test_email_keeps_dark_mode_styles(html: str) -> None:
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "@media (prefers-color-scheme: dark)" in html
    assert ".logo-plate { background-color: #ffffff !important; }" in html


def test_email_container_is_600_pixels_wide(html: str) -> None:
    assert re.search(r'class="container"[^>]*max-width:600px', html)
    assert '<!--[if mso]><table role="presentation" width="600"' in html


def test_email_uses_web_safe_fonts(html: str) -> None:
    assert "font-family:Helvetica, Arial, sans-serif" in html


def test_email_markup_is_balanced(html: str) -> None:
    parser = _tags(html)
    assert parser.mismatched == []
    assert parser.open == []


def test_every_image_has_alt_text(html: str, settings: Settings) -> None:
    images = _tags(html).images
    assert images, "the sample has a logo and an editorial photo"
    assert all((image.get("alt") or "").strip() for image in images)
    assert settings.config.brand.logo is not None
    assert images[0]["alt"] == settings.config.brand.logo.alt


def test_preheader_is_hidden_and_padded(html: str, issue: Issue) -> None:
    match = re.search(r'<div class="preheader" style="display: none;[^"]*">([^<]*)</div>', html)
    assert match is not None
    assert match.group(1).startswith(issue.preheader)
    assert match.group(1).count("\u200c") >= 50  # zero-width non-joiners keep body text out


def test_greeting_uses_first_name_placeholder(html: str) -> None:
    assert "Hi %%FIRST_NAME%%," in _visible(html)


def test_footer_carries_postal_address(html: str) -> None:
    footer = html[html.index('class="footer"') :]
    assert "2417 Atwood Avenue, Madison, WI 53704" in footer


def test_unsubscribe_and_view_in_browser_links_present(html: str, issue: Issue) -> None:
    links = _tags(html).links
    assert ("%%UNSUBSCRIBE_URL%%", "Unsubscribe") in links
    assert (issue.web_url, "View in your browser") in links


def test_offer_carries_referral_code_link_progress_and_milestones(html: str) -> None:
    links = _tags(html).links
    assert ("%%REFERRAL_LINK%%", "Share your referral link") in links
    text = _visible(html)
    assert "Your referral code %%REFERRAL_CODE%%" in text
    assert "%%REFERRAL_PROGRESS%%" in text
    assert "A free furnace or AC tune-up 3 referrals" in text


def test_prospect_variant_has_no_referral_offer(
    issue: Issue, settings: Settings, env: jinja2.Environment
) -> None:
    prospect = render_email(issue, settings, env, segment="prospect")
    client = render_email(issue, settings, env, segment="client")
    for name in ("referral_code", "referral_link", "referral_progress"):
        assert PLACEHOLDERS[name] not in prospect
        assert PLACEHOLDERS[name] in client
    assert "Send a neighbor our way" not in prospect
    assert "%%UNSUBSCRIBE_URL%%" in prospect


def test_segment_receives_only_its_editorials(
    issue: Issue, settings: Settings, env: jinja2.Environment
) -> None:
    partner = render_email(issue, settings, env, segment="partner")
    assert "Meet Luis, our newest technician" in partner
    assert "Your maintenance plan visit is due" not in partner  # for clients only


def test_placeholders_survive_inlining(
    issue: Issue, settings: Settings, env: jinja2.Environment
) -> None:
    client = render_email(issue, settings, env, segment="client")
    for token in PLACEHOLDERS.values():
        assert token in client, token
    assert 'href="%%REFERRAL_LINK%%"' in client
    assert 'href="%%UNSUBSCRIBE_URL%%"' in client


def test_sections_render_in_issue_order(html: str, issue: Issue) -> None:
    positions = [html.index(f">{s.title}</h2>".replace("&", "&amp;")) for s in issue.sections]
    assert positions == sorted(positions)


def test_events_read_with_day_and_time(html: str) -> None:
    text = _visible(html)
    assert "Friday, November 20, 6:00 pm – 7:30 pm" in text
    assert "Friday, November 27 – Sunday, November 29" in text


def test_render_is_deterministic(
    html: str, issue: Issue, settings: Settings, env: jinja2.Environment
) -> None:
    again = render_email(issue, settings, make_environment(settings.templates_dir), segment=None)
    assert again == html


def test_email_size_warning_flags_mail_gmail_would_clip(html: str) -> None:
    assert email_size_warning(html, limit=102_000) is None
    warning = email_size_warning(html, limit=10_000)
    assert warning is not None and "Gmail" in warning and "KB" in warning


# ---- the template environment ---------------------------------------------------------


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_template_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as caught:
        make_environment(tmp_path).get_template("email.html.j2")
    assert caught.value.path == str(tmp_path / "email.html.j2")


def test_missing_partial_names_the_partial_and_its_includer(tmp_path: Path) -> None:
    _write(tmp_path, "email.html.j2", '{% include "partials/email/news.html.j2" %}')
    with pytest.raises(TemplateError) as caught:
        render_template(make_environment(tmp_path), "email.html.j2", {})
    assert caught.value.path == str(tmp_path / "partials/email/news.html.j2")
    assert "included from email.html.j2" in caught.value.message


def test_template_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "email.html.j2", "<p>\n{% if issue %}\n{{ issue.title }\n")
    with pytest.raises(TemplateError) as caught:
        make_environment(tmp_path).get_template("email.html.j2")
    assert (caught.value.path, caught.value.line) == (str(path), 3)


def test_undefined_variable_names_template_and_line(tmp_path: Path) -> None:
    _write(tmp_path, "email.html.j2", "<p>\n{% include 'partials/x.html.j2' %}\n")
    partial = _write(tmp_path, "partials/x.html.j2", "ok\n{{ isue.title }}\n")
    with pytest.raises(TemplateError) as caught:
        render_template(make_environment(tmp_path), "email.html.j2", {"issue": 1})
    assert (caught.value.path, caught.value.line) == (str(partial), 2)
    assert "isue" in caught.value.message


def test_html_templates_escape_and_text_templates_do_not(tmp_path: Path) -> None:
    _write(tmp_path, "a.html.j2", "{{ name }}")
    _write(tmp_path, "a.txt.j2", "{{ name }}")
    env = make_environment(tmp_path)
    assert render_template(env, "a.html.j2", {"name": "Tom & Jo"}) == "Tom &amp; Jo"
    assert render_template(env, "a.txt.j2", {"name": "Tom & Jo"}) == "Tom & Jo"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [(time(19, 0), "7:00 pm"), (time(12, 5), "12:05 pm"), (time(0, 30), "12:30 am")],
)
def test_clock_reads_like_people_write_it(tmp_path: Path, moment: time, expected: str) -> None:
    _write(tmp_path, "t.txt.j2", "{{ moment | clock }}")
    assert render_template(make_environment(tmp_path), "t.txt.j2", {"moment": moment}) == expected


def test_dates_are_shown_in_the_business_timezone(tmp_path: Path) -> None:
    _write(tmp_path, "t.txt.j2", "{{ moment | long_date }}, {{ moment | clock }}")
    context = {"moment": datetime(2026, 11, 28, 9, 0, tzinfo=UTC), "timezone": CHICAGO}
    rendered = render_template(make_environment(tmp_path), "t.txt.j2", context)
    assert rendered == "Saturday, November 28, 3:00 am"
