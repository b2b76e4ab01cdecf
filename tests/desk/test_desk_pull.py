"""``desk pull``: the desk's events into suppressions.csv, subscribers.csv, referrals.csv."""

from __future__ import annotations

import csv
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from newsletter.desk.pull import FileSource, HttpSource, pull
from newsletter.errors import DeskError
from tests.desk.support import ADMIN_TOKEN, NEWSLETTER, RunningDesk, desk_env, wait_for
from tests.desk.test_desk_follow_up import press, status_links
from tests.desk.test_desk_join import NEW, confirm, confirmation_link, sign_up
from tests.desk.test_desk_unsubscribe import ONE_CLICK, link
from tests.smtp_server import Recorder

TZ = ZoneInfo("America/Chicago")
FILES = ("suppressions.csv", "subscribers.csv", "referrals.csv", "consents.csv", "desk.json")


def fill_the_inbox(desk: RunningDesk, recorder: Recorder) -> None:
    """One of everything: a one-click unsubscribe, a postal opt-out from the page, a lead
    that is contacted and then won, and a confirmed sign-up."""
    httpx.post(link(desk), content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
    with httpx.Client() as browser:
        page = browser.get(link(desk, "priya.raman@example.org"))
        token = page.text.split('name="form" value="')[1].split('"')[0]
        browser.post(link(desk, "priya.raman@example.org"), data={"channel": "mail", "form": token})
    links = status_links(desk, recorder)
    press(links["contacted"])
    press(links["won"], value="2400")
    sign_up(desk)
    confirm(confirmation_link(recorder))
    wait_for(lambda: desk.events("signup_confirmed"), what="the confirmation")


def run_pull(desk: RunningDesk, **options: object):
    folder = desk.project
    return pull(
        FileSource(desk.inbox),
        subscribers_dir=folder / "subscribers",
        state_dir=folder / "state",
        tz=TZ,
        **options,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILES if (folder / name).exists()}


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_pull_applies_every_kind_of_event(desk: RunningDesk, server: tuple[Recorder, int]) -> None:
    fill_the_inbox(desk, server[0])
    report = run_pull(desk)
    folder = desk.project / "subscribers"
    suppressed = {
        (r["email"], r.get("channel") or "email", r["reason"])
        for r in rows(folder / "suppressions.csv")
    }
    assert ("maria.gonzalez@example.com", "email", "unsubscribe") in suppressed
    assert ("priya.raman@example.org", "mail", "unsubscribe") in suppressed
    [jo] = [r for r in rows(folder / "subscribers.csv") if r["email"] == NEW]
    assert (jo["segment"], jo["channels"], jo["consent_source"]) == (
        "prospect",
        "email",
        "desk /join (confirmed)",
    )
    [consent] = rows(folder / "consents.csv")
    assert consent["email"] == NEW and consent["confirm_ip"] == "127.0.0.1"
    lead = rows(folder / "referrals.csv")[-1]
    assert (lead["lead_name"], lead["referrer_email"], lead["status"], lead["value"]) == (
        "Alex Doe",
        "maria.gonzalez@example.com",
        "won",
        "2400.00",
    )
    assert lead["contacted_at"] and lead["closed_at"]
    assert "best time to call: weekday evenings" in lead["notes"]
    assert (report.suppressions, report.subscribers, report.leads) == (2, 1, 1)
    for name in ("suppressions.csv", "subscribers.csv", "referrals.csv", "consents.csv"):
        assert (folder / name).stat().st_mode & 0o777 == 0o600


def test_pulling_twice_changes_nothing(desk: RunningDesk, server: tuple[Recorder, int]) -> None:
    fill_the_inbox(desk, server[0])
    run_pull(desk)
    before = snapshot(desk.project / "subscribers")
    report = run_pull(desk)
    assert report.events == 0
    assert snapshot(desk.project / "subscribers") == before


def test_events_applied_again_change_nothing(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    # What a pull killed after writing the CSVs but before its cursor meets next time.
    fill_the_inbox(desk, server[0])
    run_pull(desk)
    folder = desk.project / "subscribers"
    before = snapshot(folder)
    (folder / "desk.json").unlink()
    assert run_pull(desk).events > 0
    assert {k: v for k, v in snapshot(folder).items() if k != "desk.json"} == {
        k: v for k, v in before.items() if k != "desk.json"
    }


def kill_once_it_has_begun(
    process: subprocess.Popen[bytes], folder: Path, rng: random.Random
) -> bool:
    """SIGKILL ``process`` at a random moment after it first changed ``folder`` (a page
    applied, or its cursor moved); False if it ended before. A kill after a fixed delay
    missed every page on a machine fast enough to finish the pull within the delay."""
    before = snapshot(folder)
    while process.poll() is None:
        if snapshot(folder) != before:
            time.sleep(rng.uniform(0, 0.03))  # within or between the next pages
            if process.poll() is not None:
                return False
            process.send_signal(signal.SIGKILL)
            return True
        time.sleep(0.005)
    return False


def test_pull_killed_anywhere_loses_nothing(
    desk: RunningDesk, server: tuple[Recorder, int], tmp_path: Path
) -> None:
    fill_the_inbox(desk, server[0])
    reference = tmp_path / "reference"
    shutil.copytree(desk.project / "subscribers", reference)
    pull(FileSource(desk.inbox), subscribers_dir=reference, state_dir=tmp_path / "state", tz=TZ)
    command = [
        NEWSLETTER, "desk", "pull",
        "--config", str(desk.project / "newsletter.yaml"), "--page-size", "1",
    ]  # fmt: skip
    rng = random.Random(13)
    kills = 0
    for _ in range(40):
        process = subprocess.Popen(
            command, env=desk_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        kills += kill_once_it_has_begun(process, desk.project / "subscribers", rng)
        process.wait(timeout=30)
        if process.returncode == 0:
            break
    final = subprocess.run(command, env=desk_env(), capture_output=True, text=True, timeout=60)
    assert final.returncode == 0, final.stderr
    assert kills > 0
    got, want = snapshot(desk.project / "subscribers"), snapshot(reference)
    assert {k: v for k, v in got.items() if k != "desk.json"} == {
        k: v for k, v in want.items() if k != "desk.json"
    }


def test_pull_over_http_with_the_admin_token(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    fill_the_inbox(desk, server[0])
    source = HttpSource(desk.url, ADMIN_TOKEN)
    report = pull(
        source,
        subscribers_dir=desk.project / "subscribers",
        state_dir=desk.project / "state",
        tz=TZ,
        page_size=2,
    )
    assert report.events == len(desk.events())
    assert report.leads == 1 and report.subscribers == 1


def test_wrong_admin_token_is_an_error(desk: RunningDesk) -> None:
    with pytest.raises(DeskError, match="refused the admin token"):
        run_pull_http(desk, "not-the-token-" * 3)


def test_plain_http_to_another_host_is_refused() -> None:
    with pytest.raises(DeskError, match="must be https"):
        HttpSource("http://desk.example.com/", ADMIN_TOKEN)


def test_cursor_of_another_inbox_is_refused(desk: RunningDesk, tmp_path: Path) -> None:
    httpx.post(link(desk), content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
    run_pull(desk)
    desk.stop()
    desk.inbox.unlink()
    for extra in ("-wal", "-shm"):
        desk.inbox.with_name(desk.inbox.name + extra).unlink(missing_ok=True)
    desk.start()  # a desk started afresh: its event ids count from 1 again
    with pytest.raises(DeskError, match="belongs to desk inbox"):
        run_pull(desk)


def run_pull_http(desk: RunningDesk, token: str) -> None:
    pull(
        HttpSource(desk.url, token),
        subscribers_dir=desk.project / "subscribers",
        state_dir=desk.project / "state",
        tz=TZ,
    )
