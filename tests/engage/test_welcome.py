"""`newsletter welcome`: each new reader greeted once, through the console script and the
fake SendGrid server; readers mailed before ``welcome.since`` are the baseline, not new."""

from __future__ import annotations

import email
import os
from email import policy
from pathlib import Path

from newsletter.deliver.ledger import Ledger
from tests.engage.support import (
    AFTER,
    BEFORE,
    SINCE,
    add_reader,
    ledger_sent,
    sendgrid_env,
    welcome,
    welcome_project,
)
from tests.fake_sendgrid import FakeSendGrid
from tests.project_factory import read_config, write_config

OLD = ["ana@example.com", "bo@example.com"]


def test_a_dry_run_names_who_would_be_welcomed_and_writes_a_private_sample(
    tmp_path: Path, fake_sendgrid: FakeSendGrid
) -> None:
    project = welcome_project(tmp_path / "p", ["cy@example.com", "di@example.com"])
    done = welcome(project, env=sendgrid_env(fake_sendgrid))
    assert done.returncode == 0, done.stderr
    assert "welcome: would send 2 (2 client)" in done.stdout
    assert "dry run: nothing sent" in done.stdout
    sample = project / "state" / "preview" / "welcome.eml"
    assert os.stat(sample).st_mode & 0o777 == 0o600
    assert fake_sendgrid.emails() == []
    with Ledger(project / "state" / "ledger.sqlite") as ledger:
        assert not any(ledger.counts("welcome").values())


def test_the_sample_carries_the_business_words_the_readers_code_and_the_latest_issue(
    tmp_path: Path,
) -> None:
    project = welcome_project(tmp_path / "p", ["cy@example.com"])
    ledger_sent(project, "2026-11", ["someone@example.com"], at=BEFORE)
    assert welcome(project).returncode == 0
    raw = (project / "state" / "preview" / "welcome.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Welcome aboard, from Fixture Plumbing"
    assert message["To"] == "Cy <cy@example.com>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hello Cy," in text and "We fix pipes in Springfield." in text
    assert "The latest letter: https://news.shop.example.com/2026-11/" in text
    assert 'href="https://news.shop.example.com/2026-11/"' in html
    assert "%%" not in text and "%%" not in html  # every reader's value filled in
    assert "ref=" in text and "Stop these emails" in html


def test_the_first_welcome_on_a_list_already_read_greets_only_who_came_since(
    tmp_path: Path, fake_sendgrid: FakeSendGrid
) -> None:
    project = welcome_project(tmp_path / "p", OLD)
    ledger_sent(project, "2026-11", OLD, at=BEFORE)  # the list's last issue
    add_reader(project, "new@example.com")  # a row added by hand
    done = welcome(project, "--yes", "--silent", env=sendgrid_env(fake_sendgrid))
    assert done.returncode == 0, done.stderr
    assert "welcome: sent 1 (1 client)" in done.stdout
    assert f"not new: 2 reading before {SINCE}" in done.stdout
    assert fake_sendgrid.emails() == ["new@example.com"]


def test_a_reader_an_issue_reached_first_is_still_welcomed(
    tmp_path: Path, fake_sendgrid: FakeSendGrid
) -> None:
    project = welcome_project(tmp_path / "p", [*OLD, "late@example.com"])
    ledger_sent(project, "2026-11", OLD, at=BEFORE)
    ledger_sent(project, "2026-12", [*OLD, "late@example.com"], at=AFTER)
    done = welcome(project, "--yes", "--silent", env=sendgrid_env(fake_sendgrid))
    assert done.returncode == 0, done.stderr
    assert fake_sendgrid.emails() == ["late@example.com"]


def test_each_new_reader_is_welcomed_once_however_often_it_runs(
    tmp_path: Path, fake_sendgrid: FakeSendGrid
) -> None:
    project = welcome_project(tmp_path / "p", ["cy@example.com", "di@example.com"])
    env = sendgrid_env(fake_sendgrid)
    assert welcome(project, "--yes", "--silent", env=env).returncode == 0
    again = welcome(project, "--yes", "--silent", env=env)
    assert "welcome: sent 0 (none)" in again.stdout
    assert "skipped: 2 already sent" in again.stdout
    add_reader(project, "ed@example.com")
    assert welcome(project, "--yes", "--silent", env=env).returncode == 0
    assert sorted(fake_sendgrid.emails()) == ["cy@example.com", "di@example.com", "ed@example.com"]


def test_a_list_with_no_send_before_since_is_all_new_and_says_so(tmp_path: Path) -> None:
    project = welcome_project(tmp_path / "p", OLD)
    done = welcome(project)
    assert done.returncode == 0
    assert "welcome: would send 2" in done.stdout
    assert f"nothing sent before welcome.since ({SINCE})" in done.stderr


def test_only_the_segments_configured_are_welcomed(tmp_path: Path) -> None:
    project = welcome_project(tmp_path / "p", ["cy@example.com"])
    config = read_config(project)
    config["welcome"]["segments"] = ["prospect"]
    write_config(project, config)
    assert "welcome: would send 0 (none)" in welcome(project).stdout


def test_without_a_welcome_section_it_says_how_to_turn_welcomes_on(tmp_path: Path) -> None:
    project = welcome_project(tmp_path / "p", ["cy@example.com"])
    config = read_config(project)
    del config["welcome"]
    write_config(project, config)
    done = welcome(project)
    assert done.returncode == 2
    assert "newsletter.yaml" in done.stderr and "no welcome: section" in done.stderr


def test_a_name_in_braces_that_stands_for_nothing_names_its_line(tmp_path: Path) -> None:
    project = welcome_project(tmp_path / "p", ["cy@example.com"])
    path = project / "content" / "welcome.md"
    path.write_text(path.read_text("utf-8") + "See you {firstname}!\n", encoding="utf-8")
    done = welcome(project)
    assert done.returncode == 2
    assert "content/welcome.md:12" in done.stderr and "{firstname}" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_missing_welcome_file_is_one_line_naming_it(tmp_path: Path) -> None:
    project = welcome_project(tmp_path / "p", ["cy@example.com"])
    (project / "content" / "welcome.md").unlink()
    done = welcome(project)
    assert done.returncode == 2
    assert "content/welcome.md" in done.stderr and "no welcome email" in done.stderr
