"""Readers who still want it, end to end: the email provider's signed events through the
real desk, ``desk pull``, ``newsletter engagement`` (the console script) asking the quiet
readers by SMTP, a "yes" answered on the desk's page, and the reader who did not answer
moved to post only with a reason in suppressions.csv."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric import ec

from newsletter.audience.tokens import unsubscribe_tokens
from tests.desk.support import SECRET, RunningDesk, form_token, newsletter, newsletter_ok
from tests.desk.test_desk_webhook import post
from tests.engage.support import ledger_sent
from tests.smtp_server import Recorder

READERS = ["ana@example.com", "bo@example.com", "cy@example.com", "di@example.com"]
ASK = """\
---
subject: Still reading, {first_name}?
greeting: Hi {first_name},
yes_button: Keep it coming
signature: The shop
footer: You signed up at the shop.
unsubscribe: Stop
---
We only write to people who read us. One click keeps the letter coming.
"""


def quiet_list(project: Path) -> None:
    """Four readers, two issues sent to all of them, and the rule looking at two."""
    rows = "".join(f"{email},{email[:2].title()},client,email\n" for email in READERS)
    (project / "subscribers" / "subscribers.csv").write_text(
        "email,first_name,segment,channels\n" + rows, encoding="utf-8"
    )
    (project / "subscribers" / "suppressions.csv").write_text(
        "email,reason,date,source\n", encoding="utf-8"
    )
    (project / "content" / "still-reading.md").write_text(ASK, encoding="utf-8")
    config = project / "newsletter.yaml"
    config.write_text(
        re.sub(r"(?m)^engagement:\n(?:  .*\n)*", "", config.read_text(encoding="utf-8"))
        + "\nengagement:\n  quiet_issues: 2\n  answer_days: 30\n  no_answer: post\n",
        encoding="utf-8",
    )
    now = datetime.now(UTC)
    ledger_sent(project, "2026-10", READERS, at=now - timedelta(days=60))
    ledger_sent(project, "2026-11", READERS, at=now - timedelta(days=30))


def signed_events(*events: tuple[str, str, str]) -> bytes:
    """SendGrid's batch of (address, event, issue)."""
    return json.dumps(
        [
            {
                "email": email,
                "event": kind,
                "sg_event_id": f"evt-{n}",
                "timestamp": int(time.time()),
                "issue": issue,
            }
            for n, (email, kind, issue) in enumerate(events)
        ]
    ).encode()


def asked(recorder: Recorder) -> dict[str, str]:
    """Address -> the text of the email asking them, from what the SMTP server kept."""
    found = {}
    for _, recipients, message in recorder.messages:
        body = message.get_body(("plain",))
        assert body is not None
        found[recipients[0]] = body.get_content()
    return found


def backdate_asks(project: Path, days: int) -> None:
    """The asks went out ``days`` earlier than they did: the time to answer has passed."""
    db = sqlite3.connect(project / "state" / "ledger.sqlite")
    earlier = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="milliseconds")
    db.execute(
        "UPDATE sends SET created_at = ?, updated_at = ?, sent_at = ? "
        "WHERE issue GLOB 'still-reading-*'",
        (earlier, earlier, earlier),
    )
    db.commit()
    db.close()


def test_quiet_readers_are_asked_once_a_yes_keeps_them_and_silence_moves_them_to_post(
    hooked: RunningDesk, signing_key: ec.EllipticCurvePrivateKey, server: tuple[Recorder, int]
) -> None:
    project, recorder = hooked.project, server[0]
    quiet_list(project)
    before = newsletter_ok(project, "engagement")
    assert "nobody judged yet: no email events for 2026-10, 2026-11" in before

    batch = signed_events(
        *((email, "delivered", issue) for email in READERS for issue in ("2026-10", "2026-11")),
        ("ana@example.com", "click", "2026-11"),
        ("bo@example.com", "open", "2026-10"),
    )
    assert post(hooked, signing_key, batch).status_code == 204
    newsletter_ok(project, "desk", "pull")
    dry = newsletter_ok(project, "engagement")
    assert "client: 2 active, 2 fading, 0 asked, 0 moved" in dry
    assert "still-reading-" in dry and "would send 2 (2 client)" in dry
    assert recorder.messages == []

    newsletter_ok(project, "engagement", "--yes", "--silent")
    letters = asked(recorder)
    assert sorted(letters) == ["cy@example.com", "di@example.com"]
    assert "We only write to people who read us." in letters["cy@example.com"]
    link = re.search(r"Keep it coming: (\S+)", letters["cy@example.com"])
    assert link is not None and link.group(1).startswith(f"{hooked.url}still-reading?t=")

    page = httpx.get(link.group(1))
    assert page.status_code == 200
    assert hooked.events("esp")[-1]["data"]["event"] != "answer"  # opening is not answering
    answered = httpx.post(link.group(1), data={"form": form_token(page.text)})
    assert answered.status_code == 200
    assert hooked.events("esp")[-1]["data"] == {
        "email": "cy@example.com",
        "event": "answer",
        "issue": "",
    }
    newsletter_ok(project, "desk", "pull")
    again = newsletter_ok(project, "engagement", "--yes", "--silent")
    assert "client: 3 active, 0 fading, 1 asked, 0 moved" in again
    assert len(recorder.messages) == 2  # nobody asked twice

    backdate_asks(project, days=31)
    moved = newsletter_ok(project, "engagement", "--yes", "--silent")
    assert "moved 1 to post only: no answer in time" in moved
    suppressions = (project / "subscribers" / "suppressions.csv").read_text(encoding="utf-8")
    assert re.search(
        r"(?m)^di@example\.com,inactive,\d{4}-\d\d-\d\d,no answer to still-reading-", suppressions
    )
    assert "cy@example.com" not in suppressions
    after = newsletter_ok(project, "engagement", "--yes", "--silent")
    assert "client: 3 active, 0 fading, 0 asked, 1 moved" in after
    assert len(recorder.messages) == 2


def test_a_yes_without_the_pages_form_tag_or_on_a_damaged_link_records_nothing(
    desk: RunningDesk,
) -> None:
    token = unsubscribe_tokens(SECRET.encode()).token("cy@example.com")
    link = f"{desk.url}still-reading?t={token}"
    assert httpx.post(link, data={"form": "forged"}).status_code == 400
    assert httpx.post(link[:-3], data={"form": "x"}).status_code == 400
    assert httpx.get(link[:-3]).status_code == 400
    assert not any(e["data"].get("event") == "answer" for e in desk.events("esp"))


def test_engagement_without_a_desk_says_it_needs_one(
    hooked: RunningDesk,
) -> None:
    project = hooked.project
    quiet_list(project)
    config = project / "newsletter.yaml"
    text = re.sub(r"(?m)^desk:\n(?:[ #].*\n|\n)*", "", config.read_text(encoding="utf-8"))
    config.write_text(text, encoding="utf-8")
    done = newsletter(project, "engagement")
    assert done.returncode == 2
    assert "needs a desk: section" in done.stderr
