"""What the desk believes and what it refuses to start with (issue 24, points 14, 15, 17):
X-Forwarded-For only from a named proxy, keys and tokens checked at startup, redirects to
its own address, and a first page that says what it is."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.desk.support import RunningDesk, form_token, newsletter, start_desk, use_desk
from tests.smtp_server import free_port


def join(desk: RunningDesk, email: str, forwarded_for: str) -> httpx.Response:
    with httpx.Client(headers={"x-forwarded-for": forwarded_for}) as browser:
        page = browser.get(desk.url + "join")
        return browser.post(
            desk.url + "join",
            data={"email": email, "channels": "email", "form": form_token(page.text)},
        )


def test_x_forwarded_for_is_not_believed_unless_a_proxy_is_named(desk: RunningDesk) -> None:
    answers = [
        join(desk, f"reader{n}@example.com", f"203.0.113.{n}").status_code for n in range(21)
    ]
    assert answers == [200] * 20 + [429]  # one client, however it names itself
    assert {e["data"]["ip"] for e in desk.events("signup")} == {"127.0.0.1"}


def test_x_forwarded_for_from_a_named_proxy_is_the_clients_address(desk_site: Path) -> None:
    desk = start_desk(desk_site, "--proxies", "127.0.0.1")
    try:
        assert join(desk, "reader@example.com", "203.0.113.9").status_code == 200
    finally:
        desk.stop()
    assert [e["data"]["ip"] for e in desk.events("signup")] == ["203.0.113.9"]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "SENDGRID_WEBHOOK_PUBLIC_KEY",
            "not-a-key",
            "newsletter: SENDGRID_WEBHOOK_PUBLIC_KEY: SENDGRID_WEBHOOK_PUBLIC_KEY is not "
            "SendGrid's verification key",
        ),
        ("NEWSLETTER_DESK_TOKEN", "a" * 32, "newsletter: NEWSLETTER_DESK_TOKEN: set"),
        ("NEWSLETTER_DESK_TOKEN", "password1" * 4, "newsletter: NEWSLETTER_DESK_TOKEN: set"),
        ("NEWSLETTER_SECRET", "x" * 32, "newsletter: NEWSLETTER_SECRET: NEWSLETTER_SECRET looks"),
    ],
)
def test_the_desk_does_not_start_with_a_bad_key_or_a_guessable_token(
    sample_project: Path, variable: str, value: str, message: str
) -> None:
    done = newsletter(sample_project, "serve", "--no-email", "--port", "0", **{variable: value})
    assert done.returncode == 2
    assert done.stderr.startswith(message)
    assert len(done.stderr.splitlines()) == 1
    assert value not in done.stderr


def test_a_trailing_slash_redirects_to_the_public_address_whatever_the_host_header(
    desk: RunningDesk,
) -> None:
    for path, target in (("join/", "join"), ("unsubscribe/?t=abc", "unsubscribe?t=abc")):
        answer = httpx.get(desk.url + path, headers={"host": "evil.example"})
        assert answer.status_code == 307
        assert answer.headers["location"] == desk.url + target
    assert httpx.get(desk.url + "nothing/here/").status_code == 404


def test_the_first_page_says_what_the_desk_is(desk: RunningDesk) -> None:
    page = httpx.get(desk.url)
    assert page.status_code == 200
    assert "<h1>Hartwell Heating &amp; Cooling</h1>" in page.text
    assert 'href="/join"' in page.text and 'href="/r"' in page.text


def test_a_loopback_desk_that_never_ran_here_has_nothing_to_pull(desk_site: Path) -> None:
    use_desk(desk_site, free_port(), pull_from="file")
    done = newsletter(desk_site, "desk", "pull")
    assert done.returncode == 0, done.stderr
    assert "the desk has not run on this machine yet: nothing to pull" in done.stderr


def test_a_public_desks_missing_inbox_is_not_taken_for_an_empty_one(desk_site: Path) -> None:
    use_desk(desk_site, 8080, public_url="https://desk.example.com/", pull_from="file")
    done = newsletter(desk_site, "desk", "pull")
    assert done.returncode == 2
    assert "no desk inbox here" in done.stderr
