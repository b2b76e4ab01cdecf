"""A live send waits for the desk's opt-outs: it refuses to start while the desk holds
unsubscribes not pulled into suppressions.csv (read from the inbox file, or over HTTP with
the admin token), with one line saying what to do, unless told to skip the check."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.desk.support import RunningDesk, newsletter, start_desk, use_desk
from tests.desk.test_desk_unsubscribe import MARIA, ONE_CLICK, link
from tests.smtp_server import Recorder, free_port

MONTH = "2026-11"
WAITING = (
    "newsletter: the desk holds 1 opt-out not pulled yet: run `newsletter desk pull` first "
    "(or --skip-desk-check)\n"
)


def one_click(desk: RunningDesk, email: str = MARIA) -> None:
    answer = httpx.post(link(desk, email), content=b"List-Unsubscribe=One-Click", headers=ONE_CLICK)
    assert answer.status_code == 200


def test_send_refuses_while_the_desk_holds_an_unpulled_opt_out(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    one_click(desk)
    refused = newsletter(desk.project, "send", "--month", MONTH, "--yes", "--silent")
    assert (refused.returncode, refused.stderr) == (2, WAITING)
    assert server[0].messages == []


def test_send_after_a_pull_leaves_out_who_unsubscribed_on_the_desk(
    desk: RunningDesk, server: tuple[Recorder, int]
) -> None:
    assert newsletter(desk.project, "build", "--month", MONTH, "--offline").returncode == 0
    one_click(desk)
    pulled = newsletter(desk.project, "desk", "pull")
    assert pulled.returncode == 0, pulled.stderr
    assert "1 suppressions" in pulled.stdout
    sent = newsletter(desk.project, "send", "--month", MONTH, "--yes", "--silent")
    assert sent.returncode == 0, sent.stderr
    mailed = {to for _, recipients, _ in server[0].messages for to in recipients}
    assert mailed and MARIA not in mailed


def test_send_checks_a_remote_desk_over_http_with_the_admin_token(desk_site: Path) -> None:
    desk = start_desk(desk_site, desk={"pull_from": "https"})
    try:
        one_click(desk)
        refused = newsletter(desk.project, "send", "--month", MONTH, "--yes", "--silent")
        assert (refused.returncode, refused.stderr) == (2, WAITING)
        wrong = newsletter(
            desk.project,
            "send",
            "--month",
            MONTH,
            "--yes",
            NEWSLETTER_DESK_TOKEN="a-wrong-admin-token-9876543210fedcba",
        )
    finally:
        desk.stop()
    assert wrong.returncode == 2
    assert wrong.stderr == (
        "newsletter: cannot check the desk for unsubscribes: the desk refused the admin token "
        "(NEWSLETTER_DESK_TOKEN) (--skip-desk-check sends without checking)\n"
    )


def test_unreachable_desk_stops_the_send_unless_the_check_is_skipped(desk_site: Path) -> None:
    use_desk(desk_site, free_port(), pull_from="https")  # nobody listens there
    refused = newsletter(desk_site, "send", "--month", MONTH, "--yes", "--silent")
    assert refused.returncode == 2
    assert refused.stderr.startswith("newsletter: cannot check the desk for unsubscribes: ")
    assert len(refused.stderr.splitlines()) == 1
    skipped = newsletter(
        desk_site, "send", "--month", MONTH, "--yes", "--silent", "--skip-desk-check"
    )
    # Past the check, the send stops at the next thing it needs: this month's build.
    assert skipped.returncode == 2
    assert "desk" not in skipped.stderr and MONTH in skipped.stderr


def test_a_pull_from_an_unreachable_desk_says_why_in_words(desk_site: Path) -> None:
    port = free_port()
    use_desk(desk_site, port, pull_from="https")  # nobody listens there
    refused = newsletter(desk_site, "desk", "pull")
    assert refused.returncode == 2
    assert refused.stderr.startswith(
        f"newsletter: cannot reach the desk at http://127.0.0.1:{port}/: cannot connect"
    )
    assert len(refused.stderr.splitlines()) == 1 and "Error" not in refused.stderr
