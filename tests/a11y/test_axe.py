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
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from newsletter.audience.tokens import unsubscribe_tokens
from tests.a11y.axe import EMAIL_EXCEPTIONS, axe_violations, color_scheme
from tests.a11y.project import PALE, SAMPLE, Brand, a11y_project
from tests.desk.support import SECRET, RunningDesk, desk_project, start_desk, wait_for
from tests.desk.test_desk_browser import screenshots
from tests.project_factory import MONTH, build, newsletter
from tests.smtp_server import Recorder

pytestmark = [pytest.mark.browser, pytest.mark.axe]

BRANDS = pytest.mark.parametrize("brand", [SAMPLE, PALE], ids=lambda b: b.name)
SCHEMES = ("light", "dark")
READER = "ana@example.com"
BUSINESS = "news@shop.example.com"


@pytest.fixture
def project(tmp_path: Path, brand: Brand) -> Path:
    return a11y_project(tmp_path / "project", brand)


def built(project: Path) -> Path:
    done = build(project)
    assert done.returncode == 0, done.stderr
    done = newsletter(
        project, "report", "--month", MONTH, "--out", str(project / "build"), "--now",
        "2026-11-20T12:00",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return project / "build"


def check_file(browser: WebDriver, path: Path, exceptions: dict[str, str] | None = None) -> list:
    found = []
    for scheme in SCHEMES:
        color_scheme(browser, scheme)
        browser.get(path.as_uri())
        found += axe_violations(browser, f"{path.name} ({scheme})", exceptions)
    color_scheme(browser, "light")
    return found


@BRANDS
def test_issue_email_web_page_archive_and_report_pass_axe(
    project: Path, browser: WebDriver
) -> None:
    out = built(project)
    issue = out / MONTH
    browser.set_window_size(1200, 900)
    found = check_file(browser, issue / "email.html", EMAIL_EXCEPTIONS)
    found += check_file(browser, issue / "segments" / "prospect" / "email.html", EMAIL_EXCEPTIONS)
    found += check_file(browser, issue / "web" / "index.html")
    found += check_file(browser, issue / "web" / "archive.html")
    found += check_file(browser, out / "reports" / MONTH / "index.html")
    assert found == []


@BRANDS
def test_email_and_web_page_fit_a_phone_and_are_shot_at_two_widths(
    project: Path, brand: Brand, browser: WebDriver, tmp_path: Path
) -> None:
    issue = built(project) / MONTH
    for name, path in (("email", issue / "email.html"), ("web", issue / "web" / "index.html")):
        for scheme in SCHEMES:
            color_scheme(browser, scheme)
            browser.get(path.as_uri())
            screenshots(browser, f"{brand.name}-{name}-{scheme}", tmp_path)
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


@pytest.fixture
def desk(project: Path, server: tuple[Recorder, int]) -> Iterator[RunningDesk]:
    running = start_desk(desk_project(project, server[1]))
    try:
        yield running
    finally:
        running.stop()


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
    pages.submit("Recorded", "lead status recorded", value="1200")

    token = unsubscribe_tokens(SECRET.encode()).token(READER)
    pages.open(f"unsubscribe?t={token}", "unsubscribe")
    pages.submit("You're unsubscribed", "unsubscribed")
    assert pages.found == []
