"""No word of the bundled sample business reaches another business's readers.

A project made by `newsletter init` for a bakery in Portland, Oregon, with a few readers
and referred leads of its own, goes through every output as its owner runs them (the
console script, and the desk as a real server mailing through aiosmtpd): the email, its
text and web page, the print edition and its addressed copies, the quarter's cards and
nurture email, the sample messages of the dry runs, the referral and monthly reports, the
desk's pages and emails, and what each command prints. None of them may carry a word of
the sample (a heating company in Madison, Wisconsin).
"""

from __future__ import annotations

import csv
import email
import email.policy
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from pypdf import PdfReader

from newsletter.audience.tokens import referral_code, unsubscribe_tokens
from newsletter.cards.quarter import Quarter
from tests.desk.support import RunningDesk, form_token, start_desk, wait_for
from tests.desk.test_desk_follow_up import press
from tests.desk.test_desk_referral import mail_to, post_lead
from tests.project.support import NEWSLETTER, init_bakery, sample_words_in
from tests.referral_factory import make_lead, write_ledger
from tests.smtp_server import Recorder, running_server

SECRET = "rose-city-bakery-secret-0123456789abcdef"
TODAY = date.today()
MONTH = f"{TODAY:%Y-%m}"
QUARTER = str(Quarter(TODAY.year, (TODAY.month - 1) // 3 + 1))
BUSINESS = "news@rosecitybakery.example.com"
MAYA = "maya.chen@example.com"
LEAD = {
    "name": "Jordan Reyes",
    "phone": "(503) 555-0111",
    "email": "jordan.reyes@example.net",
    "address": "700 SE Belmont St, Portland",
    "need": "A birthday cake for twelve",
    "best_time": "mornings",
    "consent": "yes",
}
READERS = [
    {"email": MAYA, "first_name": "Maya", "last_name": "Chen", "segment": "client",
     "channels": "both", "street": "2345 SE Hawthorne Blvd", "city": "Portland",
     "region": "OR", "postal_code": "97214", "country": "US"},
    {"email": "leo.park@example.com", "first_name": "Leo", "last_name": "Park",
     "segment": "prospect", "channels": "both", "street": "88 NE Alberta St",
     "city": "Portland", "region": "OR", "postal_code": "97211", "country": "US"},
    {"email": "sam.ortiz@example.com", "first_name": "", "last_name": "Ortiz",
     "segment": "partner", "channels": "email"},
]  # fmt: skip


def run(shop: Path, *args: str) -> str:
    """What the console script prints, on the bakery's project; it must succeed."""
    done = subprocess.run(
        [NEWSLETTER, *args, "--config", str(shop / "newsletter.yaml")],
        cwd=shop,
        env={**os.environ, "NEWSLETTER_SECRET": SECRET},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout + done.stderr


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def mail_text(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [str(message["Subject"]), str(message["From"])]
    parts += [
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
    ]
    return "\n".join(parts)


def the_bakery(folder: Path, smtp_port: int) -> Path:
    """The bakery's project with readers, last month's leads, and its mail to aiosmtpd."""
    init_bakery(folder)
    lists = folder / "subscribers"
    header = (lists / "subscribers.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    with (lists / "subscribers.csv").open("a", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, header, restval="", lineterminator="\n")
        for reader in READERS:
            writer.writerow({"consent_source": "asked in the shop", "consent_date": "2026-01-10",
                             **reader})  # fmt: skip
    last_month = TODAY.replace(day=1) - timedelta(days=1)
    maya = (referral_code(SECRET.encode(), MAYA), MAYA)
    received = f"{last_month:%Y-%m}-10T10:00:00-08:00"
    write_ledger(
        lists / "referrals.csv",
        make_lead(1, received, maya, name="Ruth Ames", phone="503 555 0100", need="Bread",
                  status="won", contacted=received, closed=received, value="40.00", thank=True),
        make_lead(2, received, maya, name="Ian Webb", phone="503 555 0101", need="Pies",
                  thank=True),
    )  # fmt: skip
    config = folder / "newsletter.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["delivery"] = {
        "transport": "smtp",
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "tls": "none", "connections": 1},
    }
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return folder


def desk_outputs(desk: RunningDesk, recorder: Recorder) -> dict[str, str]:
    """Every page the desk shows and every email it sends, by name."""
    url, code = desk.url, referral_code(SECRET.encode(), MAYA)
    pages = {name: httpx.get(url + path).text for name, path in (
        ("desk: front page", ""), ("desk: sign-up page", "join"),
        ("desk: referral page", f"r/{code}"), ("desk: referral page for a typed code", "r"),
        ("desk: a page that is not there", "nothing-here"),
        ("desk: a forged status link", "lead/eyJsZWFkIjoxfQ.AAAAAAAAAAAAAAAAAAAAAA?do=won"),
        ("desk: stylesheet", "desk.css"),
    )}  # fmt: skip
    pages["desk: a form without its cookie"] = httpx.post(url + "r", data={"name": "x"}).text
    with httpx.Client() as browser:
        pages["desk: thank-you page"] = post_lead(browser, f"{url}r/{code}", LEAD).text
    [notice] = wait_for(lambda: mail_to(recorder, BUSINESS), what="the lead's notice")
    pages["desk: the business's lead notice"] = mail_text(notice.as_bytes())
    links = re.findall(r"(http\S+\?do=contacted)", pages["desk: the business's lead notice"])
    pages["desk: status page"] = httpx.get(links[0]).text
    pages["desk: status recorded"] = press(links[0]).text
    [thanks] = wait_for(lambda: mail_to(recorder, MAYA), what="the referrer's thank-you")
    pages["desk: the referrer's thank-you"] = mail_text(thanks.as_bytes())
    token = unsubscribe_tokens(SECRET.encode()).token(MAYA)
    with httpx.Client() as browser:
        page = browser.get(f"{url}unsubscribe?t={token}")
        pages["desk: unsubscribe page"] = page.text
        pages["desk: unsubscribed"] = browser.post(
            f"{url}unsubscribe?t={token}", data={"channel": "email", "form": form_token(page.text)}
        ).text
        page = browser.get(url + "join")
        pages["desk: sign-up sent"] = browser.post(
            url + "join",
            data={"email": "new.reader@example.org", "channels": "email",
                  "form": form_token(page.text)},
        ).text  # fmt: skip
    [confirm] = wait_for(lambda: mail_to(recorder, "new.reader@example.org"), what="confirmation")
    pages["desk: sign-up confirmation email"] = mail_text(confirm.as_bytes())
    link = re.search(r"(http\S+/join/confirm\?t=\S+)", pages["desk: sign-up confirmation email"])
    assert link is not None
    with httpx.Client() as browser:
        page = browser.get(link[1])
        pages["desk: confirm page"] = page.text
        pages["desk: subscribed"] = browser.post(link[1], data={"form": form_token(page.text)}).text
    return pages


def every_output(shop: Path, recorder: Recorder) -> dict[str, str]:
    said = {"init and check": run(shop, "check", "--strict")}
    said["build"] = run(shop, "build", "--month", MONTH, "--offline")
    built = shop / "build" / MONTH
    outputs = {
        f"issue: {p.relative_to(built)}": p.read_text(encoding="utf-8")
        for p in sorted(built.rglob("*"))
        if p.suffix in (".html", ".txt", ".xml")
    }
    said["print"] = run(shop, "print", "--month", MONTH, "--package", "--split", "--silent")
    for pdf in sorted((built / "print").rglob("*.pdf")):
        outputs[f"print: {pdf.relative_to(built / 'print')}"] = pdf_text(pdf)
    for name in ("mailing-list.csv", "job-ticket.txt"):
        outputs[f"print: {name}"] = (built / "print" / name).read_text(encoding="utf-8-sig")
    said["cards"] = run(shop, "cards", "--quarter", QUARTER, "--silent")
    cards = shop / "build" / "cards" / QUARTER
    outputs["cards: cards.pdf"] = pdf_text(cards / "cards.pdf")
    outputs["cards: labels.pdf"] = pdf_text(cards / "labels.pdf")
    said["cards --email"] = run(shop, "cards", "--quarter", QUARTER, "--email")
    said["send (dry run)"] = run(shop, "send", "--month", MONTH)
    for sample in sorted((shop / "state" / "preview").glob("*.eml")):
        outputs[f"sample message: {sample.name}"] = mail_text(sample.read_bytes())
    said["referral list"] = run(shop, "referral", "list")
    said["referral report"] = run(shop, "referral", "report", "--month", MONTH)
    for file in sorted((shop / "build" / "referrals" / MONTH).iterdir()):
        outputs[f"referral report: {file.name}"] = file.read_text(encoding="utf-8-sig")
    said["report"] = run(shop, "report", "--month", MONTH, "--silent")
    for file in sorted((shop / "build" / "reports" / MONTH).iterdir()):
        outputs[f"monthly report: {file.name}"] = file.read_text(encoding="utf-8")
    desk = start_desk(shop, NEWSLETTER_SECRET=SECRET)
    try:
        outputs.update(desk_outputs(desk, recorder))
    finally:
        desk.stop()
    return {**outputs, **{f"printed by {name}": text for name, text in said.items()}}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with running_server() as (recorder, port):
        shop = the_bakery(tmp_path_factory.mktemp("bakery") / "shop", port)
        yield every_output(shop, recorder)


EXPECTED = (
    "issue: email.html", "issue: email.txt", "issue: segments/client/email.html",
    "issue: segments/prospect/email.txt", "issue: web/index.html", "issue: web/archive.html",
    "issue: web/feed.xml", "print: issue.pdf", "print: addressed.pdf", "print: labels.pdf",
    "print: mailing-list.csv", "print: job-ticket.txt", "cards: cards.pdf", "cards: labels.pdf",
    f"sample message: {MONTH}-client.eml", f"sample message: nurture-{QUARTER}.eml",
    "referral report: index.html", "referral report: overdue.csv", "monthly report: index.html",
    "monthly report: summary.md", "desk: front page", "desk: sign-up page",
    "desk: referral page", "desk: thank-you page", "desk: the business's lead notice",
    "desk: status page", "desk: status recorded", "desk: the referrer's thank-you",
    "desk: unsubscribe page", "desk: unsubscribed", "desk: sign-up sent",
    "desk: sign-up confirmation email", "desk: confirm page", "desk: subscribed",
    "desk: a page that is not there", "desk: a forged status link",
    "desk: a form without its cookie", "printed by print", "printed by report",
)  # fmt: skip


@pytest.mark.parametrize("name", EXPECTED)
def test_the_bakerys_output_is_made(outputs: dict[str, str], name: str) -> None:
    assert outputs.get(name, "").strip(), f"{name} was not made"


def test_no_output_of_the_bakery_carries_a_word_of_the_sample(outputs: dict[str, str]) -> None:
    found = {name: words for name, text in outputs.items() if (words := sample_words_in(text))}
    assert found == {}


def test_the_bakerys_words_are_the_ones_its_readers_see(outputs: dict[str, str]) -> None:
    assert "Rose City Bakery" in outputs["issue: email.html"]
    assert "Thanks for reading, and see you at the counter." in outputs["issue: email.txt"]
    assert "you sent us 2 friends" in outputs["issue: email.txt"]  # the thank-you roll
    assert "BRING A FRIEND OUR WAY" in outputs["print: issue.pdf"]  # the offer's heading
    assert "Hi Maya," in outputs["print: addressed.pdf"]
    assert "What comes out of our oven this month" in outputs["desk: front page"]
    assert "Expect a call from us" in outputs["desk: thank-you page"]
