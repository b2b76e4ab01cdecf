"""``desk pull`` and a stranger's odd input: a lead nobody referred is kept flagged, an
event that cannot be applied is set aside with its reason, and the pull goes on."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from cryptography.hazmat.primitives.asymmetric import ec

from tests.desk.support import RunningDesk, newsletter
from tests.desk.test_desk_follow_up import press, status_links
from tests.desk.test_desk_referral import ALEX, post_lead
from tests.desk.test_desk_send_check import MONTH, one_click
from tests.desk.test_desk_unsubscribe import MARIA
from tests.desk.test_desk_webhook import events, post
from tests.smtp_server import Recorder

QUARANTINE = "desk-quarantine.csv"
REPO = Path(__file__).resolve().parents[2]


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def pull(desk: RunningDesk) -> tuple[str, str]:
    """(stdout, stderr) of ``newsletter desk pull``, which must succeed."""
    done = newsletter(desk.project, "desk", "pull")
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def test_leads_with_an_unknown_code_or_none_are_kept_flagged_and_the_pull_goes_on(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    assert newsletter(desk.project, "build", "--month", MONTH, "--offline").returncode == 0
    with httpx.Client() as browser:
        assert post_lead(browser, f"{desk.url}r/ZZZZ2222").status_code == 200
        stranger = {**ALEX, "name": "Sam Roe", "phone": "608 555 0199", "email": ""}
        assert post_lead(browser, f"{desk.url}r", stranger).status_code == 200
    one_click(desk)  # after the leads: applied only if the pull gets past them
    out, _ = pull(desk)
    assert "2 leads (2 with no referrer)" in out and "1 suppressions" in out
    ledger = rows(desk.project / "subscribers" / "referrals.csv")
    flagged = {r["lead_name"]: r for r in ledger if not r["referrer_email"]}
    assert set(flagged) == {"Alex Doe", "Sam Roe"}
    assert "code ZZZZ2222 matched no subscriber" in flagged["Alex Doe"]["notes"]
    assert "code (none) matched no subscriber" in flagged["Sam Roe"]["notes"]
    report = newsletter(desk.project, "referral", "report", "--month", MONTH)
    assert report.returncode == 0, report.stderr  # the ledger reads back
    sent = newsletter(desk.project, "send", "--month", MONTH, "--yes", "--silent")
    assert sent.returncode == 0, sent.stderr
    mailed = {to for _, recipients, _ in server[0].messages for to in recipients}
    assert mailed and MARIA not in mailed


def test_bad_events_in_a_signed_batch_are_set_aside_and_the_rest_applied(
    hooked: RunningDesk,
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    batch = json.loads(events("bounce", "bounce", "bounce", "spamreport", "open"))
    batch[1]["email"] = ""
    batch[2]["email"] = "not an address"
    batch[4]["email"] = "@example.com"
    assert post(hooked, signing_key, json.dumps(batch).encode()).status_code == 204
    folder = hooked.project / "subscribers"
    out, err = pull(hooked)
    assert "2 suppressions" in out and "3 set aside" in out
    suppressed = {r["email"] for r in rows(folder / "suppressions.csv")}
    assert {"reader0@example.com", "reader3@example.com"} <= suppressed
    kept = rows(folder / QUARANTINE)
    assert [(r["kind"], json.loads(r["data"])["email"]) for r in kept] == [
        ("esp", ""),
        ("esp", "not an address"),
        ("esp", "@example.com"),
    ]
    assert all("not a valid address" in r["reason"] for r in kept)
    assert all(f"desk event {r['desk_event']} (esp) set aside" in err for r in kept)
    assert (folder / QUARANTINE).stat().st_mode & 0o777 == 0o600


def test_the_monthly_report_counts_the_events_set_aside_in_its_month(
    hooked: RunningDesk,
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    batch = json.loads(events("bounce", "open", "click"))
    for event in batch[:2]:
        event["email"] = ""
    assert post(hooked, signing_key, json.dumps(batch).encode()).status_code == 204
    pull(hooked)
    month = datetime.now(ZoneInfo("America/Chicago")).strftime("%Y-%m")
    done = newsletter(hooked.project, "report", "--month", month, "--silent")
    assert done.returncode == 0, done.stderr
    page = (hooked.project / "build" / "reports" / month / "index.html").read_text()
    block = page[page.index("Desk events set aside by desk pull") :]
    assert re.search(r"esp</t[dh]>\s*<td[^>]*>2</td>", block), block[:600]


def test_temporary_files_a_killed_pull_left_are_removed_by_the_next(desk: RunningDesk) -> None:
    folder = desk.project / "subscribers"
    left = [folder / f".{name}.k1ll3d.tmp" for name in (QUARANTINE, "referrals.csv", "desk.json")]
    for temp in left:
        temp.write_text("id,lead_name\n9,Someone's data\n", encoding="utf-8")
    one_click(desk)
    pull(desk)
    assert [temp for temp in left if temp.exists()] == []


def test_temporary_files_of_the_data_files_are_never_committed() -> None:
    temp = "subscribers/.referrals.csv.k1ll3d.tmp"
    ignored = subprocess.run(["git", "check-ignore", "-q", temp], cwd=REPO, check=False)
    assert ignored.returncode == 0


def test_an_event_set_aside_is_kept_once_however_often_it_is_pulled(
    hooked: RunningDesk,
    signing_key: ec.EllipticCurvePrivateKey,
) -> None:
    batch = json.loads(events("bounce", "bounce"))
    batch[0]["email"] = ""
    assert post(hooked, signing_key, json.dumps(batch).encode()).status_code == 204
    folder = hooked.project / "subscribers"
    pull(hooked)
    before = {name: (folder / name).read_bytes() for name in (QUARANTINE, "suppressions.csv")}
    again, _ = pull(hooked)
    assert "desk: 0 events" in again
    (folder / "desk.json").unlink()  # as a pull killed before its cursor moved leaves it
    pull(hooked)
    assert {name: (folder / name).read_bytes() for name in before} == before


def test_a_status_for_a_lead_the_ledger_does_not_hold_is_set_aside(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    links = status_links(desk, server[0])  # a lead, and its status links
    pull(desk)
    ledger = desk.project / "subscribers" / "referrals.csv"
    # Someone took the lead out of the ledger by hand; its status arrives afterwards.
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    ledger.write_text("".join(x for x in lines if "Alex Doe" not in x), encoding="utf-8")
    assert press(links["contacted"]).status_code == 200
    one_click(desk)
    out, _ = pull(desk)
    assert "1 suppressions" in out and "1 set aside" in out
    [kept] = rows(desk.project / "subscribers" / QUARANTINE)
    assert kept["kind"] == "lead_status" and "is not in the ledger" in kept["reason"]
