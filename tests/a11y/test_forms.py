"""The desk's forms tell everyone the same things, sighted or not: which fields are required
before sending, and after a failed send where the errors are, each tied to its field.
Checked in Debian's Chromium, as a keyboard or screen-reader user meets the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.a11y.project import SAMPLE, a11y_project
from tests.desk.support import RunningDesk, desk_project, start_desk, wait_for
from tests.smtp_server import Recorder

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(tmp_path: Path, server: tuple[Recorder, int]) -> Iterator[RunningDesk]:
    project = desk_project(a11y_project(tmp_path / "project", SAMPLE), server[1])
    running = start_desk(project)
    try:
        yield running
    finally:
        running.stop()


def label_of(browser: WebDriver, field: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, f"label[for='f-{field}']").text


def send(browser: WebDriver, **fields: str) -> None:
    for name, value in fields.items():
        browser.find_element(By.NAME, name).send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "main button[type='submit']").click()
    wait_for(lambda: browser.title.startswith("Error: "), what="the page with the errors")


def errors_of(browser: WebDriver) -> dict[str, str]:
    """Each invalid field's name and the message its aria-describedby points to, as a
    screen reader reads it (the text of the element, visually hidden parts included)."""
    found = {}
    for field in browser.find_elements(By.CSS_SELECTOR, "[aria-invalid='true']"):
        message = browser.find_element(By.ID, field.get_attribute("aria-describedby"))
        found[field.get_attribute("name")] = " ".join(message.get_attribute("textContent").split())
    return found


def assert_focus_is_on_the_summary_linking_each_field(browser: WebDriver) -> None:
    summary = browser.switch_to.active_element
    assert summary.get_attribute("class") == "errors"
    assert summary.find_element(By.TAG_NAME, "h2").text == "Please check the form"
    for link in summary.find_elements(By.TAG_NAME, "a"):
        target = browser.find_element(By.ID, link.get_attribute("href").split("#")[1])
        assert target.get_attribute("aria-invalid") == "true"
        assert link.text in errors_of(browser)[target.get_attribute("name")]


def test_lead_form_marks_its_required_fields_before_sending(
    desk: RunningDesk, browser: WebDriver
) -> None:
    browser.get(desk.url + "r")
    assert browser.title == "Tell us how we can help — Fixture Plumbing"
    assert label_of(browser, "name") == "Your name (required)"
    assert browser.find_element(By.NAME, "name").get_attribute("required") == "true"
    assert "(required)" in label_of(browser, "consent")
    assert browser.find_element(By.NAME, "consent").get_attribute("required") == "true"
    legend = browser.find_element(By.CSS_SELECTOR, "fieldset.either legend").text
    assert "(required)" in legend and "phone" in legend.lower() and "email" in legend.lower()
    assert label_of(browser, "address") == "Address (where the work would be)"  # optional


def test_failed_lead_form_focuses_the_summary_and_ties_each_error_to_its_field(
    desk: RunningDesk, browser: WebDriver
) -> None:
    browser.get(desk.url + "r")
    send(browser, email="not an address")
    assert browser.title == "Error: Tell us how we can help — Fixture Plumbing"
    assert errors_of(browser) == {
        "name": "Error: Please tell us your name.",
        "email": "Error: That doesn't look like an email address.",
        "consent": "Error: Please tick the box so we may contact you.",
    }
    assert_focus_is_on_the_summary_linking_each_field(browser)
    assert browser.find_element(By.NAME, "email").get_attribute("value") == "not an address"


def test_lead_form_without_phone_or_email_points_to_the_phone_field(
    desk: RunningDesk, browser: WebDriver
) -> None:
    browser.get(desk.url + "r")
    browser.find_element(By.NAME, "consent").click()
    send(browser, name="Alex Doe")
    assert errors_of(browser) == {
        "phone": "Error: Please give us a phone number or an email address to reach you."
    }
    assert_focus_is_on_the_summary_linking_each_field(browser)


def test_failed_sign_up_focuses_the_summary_and_ties_the_error_to_its_field(
    desk: RunningDesk, browser: WebDriver
) -> None:
    browser.get(desk.url + "join")
    assert label_of(browser, "email") == "Email (required)"
    assert browser.find_element(By.NAME, "email").get_attribute("required") == "true"
    send(browser, email="jo at example")
    assert browser.title == "Error: Join the newsletter — Fixture Plumbing"
    assert errors_of(browser) == {"email": "Error: Please give an email address we can write to."}
    assert_focus_is_on_the_summary_linking_each_field(browser)


def test_a_refused_form_is_said_first_in_the_title_and_focused(
    desk: RunningDesk, browser: WebDriver
) -> None:
    browser.get(desk.url + "join")
    browser.delete_all_cookies()
    send(browser, email="jo@example.org")
    assert browser.title == "Error: Join the newsletter — Fixture Plumbing"
    focused = browser.switch_to.active_element
    assert "cookie this form needs" in focused.text
