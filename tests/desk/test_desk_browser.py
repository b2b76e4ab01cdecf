"""The desk in a real browser: Debian's Chromium driven by Selenium through chromedriver.

Each journey starts where a person starts: the unsubscribe link of a real dry-run
message, the QR code printed on a real addressed copy (read back with zbar), and the
sign-up page whose confirmation link arrives at aiosmtpd. Screenshots at 375 and 1,200
pixels wide are written for people to look at (to $DESK_SCREENSHOTS too, when set).
"""

from __future__ import annotations

import email
import os
import re
import shutil
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.desk.support import RunningDesk, newsletter_ok, wait_for
from tests.desk.test_desk_join import confirmation_link
from tests.print.support import scanned_qr_codes
from tests.smtp_server import Recorder

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
MONTH = "2026-11"
WIDTHS = (375, 1200)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), (
        "apt-get install chromium chromium-driver (.ci/run does)"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",  # the page at the full width, as a phone shows it
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def screenshots(driver: WebDriver, name: str, folder: Path) -> list[Path]:
    """The page at each of WIDTHS, whole, as PNGs named ``name-WIDTH.png``."""
    made = []
    for width in WIDTHS:
        driver.set_window_size(width, 900)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, max(600, int(height) + 120))
        path = folder / f"{name}-{width}.png"
        assert driver.save_screenshot(str(path))
        made.append(path)
        extra = os.environ.get("DESK_SCREENSHOTS")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(extra) / path.name)
    # Nothing wider than the window: no sideways scrolling on a phone.
    driver.set_window_size(WIDTHS[0], 900)
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    return made


def test_unsubscribe_from_a_real_dry_run_message(
    desk: RunningDesk, browser: WebDriver, tmp_path: Path
) -> None:
    newsletter_ok(desk.project, "build", "--month", MONTH, "--offline")
    newsletter_ok(desk.project, "send", "--month", MONTH)  # a dry run
    sample = desk.project / "state" / "preview" / f"{MONTH}-client.eml"
    message = email.message_from_bytes(sample.read_bytes(), policy=policy.default)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.search(r"<(http[^>]+)>", message["List-Unsubscribe"])[1]
    assert url.startswith(desk.url + "unsubscribe?t=")
    browser.get(url)
    assert "Stop hearing from Hartwell Heating & Cooling?" in browser.page_source.replace(
        "&amp;", "&"
    )
    screenshots(browser, "unsubscribe", tmp_path)
    browser.find_element(By.CSS_SELECTOR, "input[value='all']").click()
    browser.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    wait_for(lambda: "You're unsubscribed" in browser.page_source, what="the answer")
    screenshots(browser, "unsubscribed", tmp_path)
    [event] = desk.events("unsubscribe")
    assert event["data"]["channel"] == "all" and event["data"]["via"] == "page"
    assert event["data"]["email"] == message["To"].addresses[0].addr_spec.lower()


def test_lead_from_a_printed_qr_code(
    desk: RunningDesk, browser: WebDriver, tmp_path: Path, server: tuple[Recorder, int]
) -> None:
    newsletter_ok(desk.project, "build", "--month", MONTH, "--offline")
    newsletter_ok(desk.project, "print", "--month", MONTH, "--silent")
    addressed = desk.project / "build" / MONTH / "print" / "addressed.pdf"
    [target] = scanned_qr_codes(addressed.read_bytes(), 0)
    assert target.startswith(f"{desk.url}r/") and "utm_medium=print" in target
    browser.get(target)
    screenshots(browser, "referral", tmp_path)
    fields = {
        "name": "Alex Doe",
        "phone": "(608) 555-0100",
        "email": "alex.doe@example.net",
        "address": "12 Elm Street, Madison",
        "need": "The furnace bangs when it starts",
        "best_time": "weekday evenings",
    }
    for name, value in fields.items():
        browser.find_element(By.NAME, name).send_keys(value)
    browser.find_element(By.NAME, "consent").click()
    browser.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    wait_for(lambda: "Thank you, Alex!" in browser.page_source, what="the thanks")
    screenshots(browser, "referral-thanks", tmp_path)
    [lead] = desk.events("lead")
    assert lead["data"]["medium"] == "print" and lead["data"]["known"] is True
    assert lead["data"]["code"] == re.search(r"/r/([A-Z0-9]+)\?", target)[1]
    recorder = server[0]
    wait_for(
        lambda: any("New referred lead: Alex Doe" in m["Subject"] for _, _, m in recorder.messages),
        what="the business's notice",
    )


def test_sign_up_confirmed_from_the_emailed_link(
    desk: RunningDesk, browser: WebDriver, tmp_path: Path, server: tuple[Recorder, int]
) -> None:
    browser.get(desk.url + "join")
    screenshots(browser, "join", tmp_path)
    browser.find_element(By.NAME, "email").send_keys("jo.lindqvist@example.org")
    browser.find_element(By.NAME, "first_name").send_keys("Jo")
    browser.find_element(By.NAME, "last_name").send_keys("Lindqvist")
    browser.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    wait_for(lambda: "Check your email" in browser.page_source, what="the answer")
    browser.get(confirmation_link(server[0]))
    screenshots(browser, "join-confirm", tmp_path)
    browser.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    wait_for(lambda: "You're subscribed" in browser.page_source, what="the welcome")
    [confirmed] = desk.events("signup_confirmed")
    assert confirmed["data"]["email"] == "jo.lindqvist@example.org"
