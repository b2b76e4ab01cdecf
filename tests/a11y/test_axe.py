"""The accessibility check that stays: axe-core in Debian's Chromium on every page and email
a reader or the business sees, in the sample's colours and in a deliberately pale brand,
light and dark, and on every desk page before and after a failed submit.

Any violation of WCAG 2.0/2.1/2.2 A and AA or of axe's best practices fails the test, named
with its page, rule and element; only :data:`tests.a11y.axe.EMAIL_EXCEPTIONS` are left out,
for emails alone. Screenshots of the email and the web page, at a phone's width and a
desktop's, are written for people to look at (to $DESK_SCREENSHOTS too, when set).
"""

from __future__ import annotations

import email.message
import re
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from newsletter.audience.tokens import unsubscribe_tokens
from newsletter.cards import load_card_content, parse_quarter
from newsletter.cards.email import render_nurture_email
from newsletter.config import load_config
from newsletter.render.environment import make_environment
from tests.a11y.axe import EMAIL_EXCEPTIONS, axe_violations, color_scheme
from tests.a11y.project import BRANDS, QUARTER, Brand
from tests.desk.support import SECRET, RunningDesk, wait_for
from tests.desk.test_desk_browser import screenshots
from tests.project_factory import MONTH
from tests.smtp_server import Recorder

pytestmark = [pytest.mark.browser, pytest.mark.axe]

SCHEMES = ("light", "dark")
READER = "ana@example.com"
ONE_LINE = """
const text = document.createRange();
return [...document.querySelectorAll(arguments[0])].every(element => {
  text.selectNodeContents(element);
  return new Set([...text.getClientRects()].map(line => Math.round(line.top))).size === 1;
});
"""
"""Whether each element matching a selector shows its text on one line."""
BUSINESS = "news@shop.example.com"


def check_file(browser: WebDriver, path: Path, exceptions: dict[str, str] | None = None) -> list:
    found = []
    for scheme in SCHEMES:
        color_scheme(browser, scheme)
        browser.get(path.as_uri())
        found += axe_violations(browser, f"{path.name} ({scheme})", exceptions)
    color_scheme(browser, "light")
    return found


@BRANDS
def test_issue_email_web_page_archive_and_report_pass_axe(out: Path, browser: WebDriver) -> None:
    issue = out / MONTH
    browser.set_window_size(1200, 900)
    found = check_file(browser, issue / "email.html", EMAIL_EXCEPTIONS)
    found += check_file(browser, issue / "segments" / "prospect" / "email.html", EMAIL_EXCEPTIONS)
    found += check_file(browser, issue / "web" / "index.html")
    found += check_file(browser, issue / "web" / "archive.html")
    found += check_file(browser, out / "reports" / MONTH / "index.html")
    assert found == []


@BRANDS
def test_the_quarter_s_nurture_email_passes_axe(
    project: Path, browser: WebDriver, tmp_path: Path
) -> None:
    settings = load_config(project / "newsletter.yaml")
    card = load_card_content(
        settings.content_dir, parse_quarter(QUARTER), business=settings.config.business.name
    )
    env = make_environment(settings.templates_dir)
    found = []
    for with_code in (True, False):
        mail = render_nurture_email(card, settings, env, with_code=with_code)
        path = tmp_path / f"nurture-{'with' if with_code else 'without'}-code.html"
        path.write_text(mail.html, encoding="utf-8")
        found += check_file(browser, path, EMAIL_EXCEPTIONS)
    assert found == []


@BRANDS
def test_email_and_web_page_fit_a_phone_and_are_shot_at_two_widths(
    out: Path, brand: Brand, browser: WebDriver, tmp_path: Path
) -> None:
    issue = out / MONTH
    for name, path in (("email", issue / "email.html"), ("web", issue / "web" / "index.html")):
        for scheme in SCHEMES:
            color_scheme(browser, scheme)
            browser.get(path.as_uri())
            screenshots(browser, f"{brand.name}-{name}-{scheme}", tmp_path)
        # A date reads on one line, beside its holiday or above it.
        for width in (1200, 375):
            browser.set_window_size(width, 900)
            assert browser.execute_script(ONE_LINE, ".holiday-date"), (name, width)
        # The smallest phone: the editorial's wide table scrolls inside its own region.
        browser.set_window_size(320, 900)
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        )
        region = browser.find_element(By.CSS_SELECTOR, ".table-scroll")
        assert region.get_attribute("role") == "region" and region.get_attribute("tabindex") == "0"
        assert browser.execute_script(
            "return arguments[0].scrollWidth > arguments[0].clientWidth", region
        )


# ---- the desk -----------------------------------------------------------------------------


class Pages:
    """Opens desk pages in the browser and keeps axe's findings on each."""

    def __init__(self, browser: WebDriver, desk: RunningDesk) -> None:
        self.browser, self.desk = browser, desk
        self.found: list[str] = []

    def check(self, what: str) -> None:
        self.found += axe_violations(self.browser, f"{what} {self.browser.current_url}")

    def open(self, path: str, what: str) -> None:
        self.browser.get(path if path.startswith("http") else self.desk.url + path)
        self.check(what)

    def submit(self, then: str, what: str, **fields: str) -> None:
        for name, value in fields.items():
            self.browser.find_element(By.NAME, name).send_keys(value)
        self.browser.find_element(By.CSS_SELECTOR, "main button[type='submit']").click()
        wait_for(lambda: then in self.browser.page_source, what=what)
        self.check(what)


def link_in_mail(recorder: Recorder, to: str, pattern: str) -> str:
    def mails() -> list[email.message.EmailMessage]:
        return [m for _, rcpt, m in recorder.messages if to in rcpt]

    [mail] = wait_for(mails, what=f"the mail to {to}")
    text = mail.get_body(("plain",)).get_content()
    return re.search(pattern, text)[0]


@BRANDS
def test_every_desk_page_passes_axe_before_and_after_a_failed_submit(
    desk: RunningDesk, browser: WebDriver, server: tuple[Recorder, int]
) -> None:
    recorder = server[0]
    pages = Pages(browser, desk)
    pages.open("", "home")
    pages.open("no-such-page", "not found")

    pages.open("join", "sign-up form")
    pages.submit("Please check the form", "sign-up form, failed", email="not an address")
    browser.find_element(By.NAME, "email").clear()
    pages.submit("Check your email", "sign-up sent", email="jo@example.org")
    pages.open(link_in_mail(recorder, "jo@example.org", r"http\S+/join/confirm\?t=\S+"), "confirm")
    pages.submit("You're subscribed", "subscribed")

    pages.open("r", "lead form")
    pages.submit("Please check the form", "lead form, failed", name="Alex Doe")
    browser.delete_all_cookies()  # the form's cookie: gone, so the next post is refused
    pages.submit("cookie this form needs", "lead form, refused")
    pages.open("r/NOSUCHCODE?utm_medium=print", "lead form with a code")
    browser.find_element(By.NAME, "consent").click()
    pages.submit("Thank you, Alex!", "lead thanks", name="Alex Doe", phone="(217) 555-0199")
    pages.open(link_in_mail(recorder, BUSINESS, r"http\S+\?do=won"), "lead status")
    pages.submit("Please check the form", "lead status, failed", value="twelve hundred")
    browser.find_element(By.NAME, "value").clear()
    pages.submit("Recorded", "lead status recorded", value="1200")

    token = unsubscribe_tokens(SECRET.encode()).token(READER)
    pages.open(f"unsubscribe?t={token}", "unsubscribe")
    pages.submit("You're unsubscribed", "unsubscribed")
    assert pages.found == []
