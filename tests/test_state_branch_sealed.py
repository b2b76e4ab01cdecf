"""scripts/state_branch.py in a repository whose customer data is sealed: the ledger and the
email events go to the state branch sealed for the same readers as the data files, come
back whole where a key is unlocked, and name the missing key where none is.

Each run is a fresh shallow clone of a bare remote, by the runner's plain ``python3``, with
the workflow's key in NEWSLETTER_AGE_KEY, as in the monthly workflow.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pyrage
import pytest
from pyrage import x25519

from tests.jobs.remote import git, runner_environment
from tests.privacy.support import Person, is_age, ok, sealed_project
from tests.project_factory import NEWSLETTER
from tests.state_branch_support import (
    SCRIPT,
    branch_file,
    ledger_of,
    pull_visits,
    runner_clone,
    send_to,
    sent,
)

FIRST = ("ann@example.com", "bob@example.com")


@dataclass(frozen=True)
class Sealed:
    """A sealed project on a bare remote, and its owner."""

    remote: Path
    project: Path
    owner: Person

    @property
    def key(self) -> str:
        """The owner's secret key, as the workflow's repository secret holds it."""
        lines = self.owner.key_file.read_text(encoding="utf-8").splitlines()
        return next(line for line in lines if line.startswith("AGE-SECRET-KEY-1"))

    def push_main(self) -> None:
        self.owner.git(self.project, "push", "-q", str(self.remote), "main")


@pytest.fixture
def sealed(tmp_path: Path) -> Sealed:
    owner = Person(tmp_path / "owner-home")
    project = sealed_project(tmp_path / "project", owner)
    remote = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    found = Sealed(remote, project, owner)
    found.push_main()
    return found


def environment(checkout: Path, key: str | None) -> dict[str, str]:
    env = runner_environment(checkout.parent)
    return {**env, "NEWSLETTER_AGE_KEY": key} if key else env


def runner(tmp_path: Path, name: str, sealed: Sealed, key: str | None) -> Path:
    """A job's checkout; with ``key``, unlocked as the workflow's unlock step does."""
    checkout = runner_clone(tmp_path, name, sealed.remote)
    if key:
        unlock = subprocess.run(
            [NEWSLETTER, "keys", "unlock"],
            cwd=checkout,
            env=environment(checkout, key),
            capture_output=True,
            text=True,
            timeout=120,
        )
        ok(unlock)
    return checkout


def state(checkout: Path, key: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    """The script from the checkout's root by the runner's python3, the key in the step's
    environment when the workflow gives it one."""
    return subprocess.run(
        ["python3", str(SCRIPT), *args],
        cwd=checkout,
        env=environment(checkout, key),
        capture_output=True,
        text=True,
        timeout=120,
    )


def done(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def opens_with(path: Path, key: str) -> bool:
    try:
        pyrage.decrypt(path.read_bytes(), [x25519.Identity.from_str(key)])
    except pyrage.DecryptError:
        return False
    return True


def first_send(tmp_path: Path, sealed: Sealed) -> None:
    """A first run: restore, a send to FIRST and a desk pull's visits, saved."""
    checkout = runner(tmp_path, "run1", sealed, sealed.key)
    done(state(checkout, sealed.key, "restore"))
    send_to(checkout, *FIRST)
    pull_visits(checkout, 1, 2)
    done(state(checkout, sealed.key, "save"))


def test_the_ledger_and_events_go_to_the_branch_sealed_and_come_back_whole(
    tmp_path: Path, sealed: Sealed
) -> None:
    first_send(tmp_path, sealed)

    for name in ("ledger.sqlite", "email-events.sqlite"):
        on_branch = branch_file(sealed.remote, name)
        assert is_age(on_branch.read_bytes())
        assert b"ann@example.com" not in on_branch.read_bytes()
        assert opens_with(on_branch, sealed.key)
    checkout = runner(tmp_path, "run2", sealed, sealed.key)
    done(state(checkout, sealed.key, "restore"))
    assert sent(ledger_of(checkout)) == set(FIRST)
    assert (checkout / "state" / "email-events.sqlite").stat().st_mode & 0o077 == 0


def test_a_checkout_without_the_key_restores_nothing_and_says_which_key_opens_it(
    tmp_path: Path, sealed: Sealed
) -> None:
    first_send(tmp_path, sealed)
    checkout = runner(tmp_path, "locked", sealed, sealed.key)

    refused = state(checkout, None, "restore")

    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "sealed (age) for owner" in refused.stderr
    assert "NEWSLETTER_AGE_KEY" in refused.stderr
    assert not ledger_of(checkout).exists()


def test_a_checkout_that_never_unlocked_is_told_to_unlock(tmp_path: Path, sealed: Sealed) -> None:
    checkout = runner(tmp_path, "never", sealed, None)

    refused = state(checkout, None, "restore")

    assert refused.returncode == 1
    assert "`newsletter keys unlock`" in refused.stderr
    assert not ledger_of(checkout).exists()


def test_the_issues_alone_come_back_without_any_key(tmp_path: Path, sealed: Sealed) -> None:
    checkout = runner(tmp_path, "run1", sealed, sealed.key)
    done(state(checkout, sealed.key, "restore"))
    send_to(checkout, *FIRST)
    issue = checkout / "build" / "2026-11"
    issue.mkdir(parents=True)
    (issue / "email.html").write_text("<p>the issue</p>", encoding="utf-8")
    (issue / "manifest.json").write_text('{"outputs": {"email.html": ""}}', encoding="utf-8")
    done(state(checkout, sealed.key, "save", "--month", "2026-11"))
    archive = runner(tmp_path, "site", sealed, None)

    said = done(state(archive, None, "restore", "--issues-only"))

    assert "2026-11" in said
    assert (archive / "build" / "2026-11" / "email.html").read_text() == "<p>the issue</p>"
    assert not (archive / "state").exists()


def test_a_ledger_unchanged_since_the_restore_makes_no_commit(
    tmp_path: Path, sealed: Sealed
) -> None:
    first_send(tmp_path, sealed)
    before = git(sealed.remote, "rev-parse", "state").strip()
    checkout = runner(tmp_path, "run2", sealed, sealed.key)
    done(state(checkout, sealed.key, "restore"))

    said = done(state(checkout, sealed.key, "save"))

    assert "already up to date" in said
    assert git(sealed.remote, "rev-parse", "state").strip() == before


def test_a_reader_removed_cannot_open_the_next_save_though_the_ledger_did_not_change(
    tmp_path: Path, sealed: Sealed
) -> None:
    helper = Person(tmp_path / "helper-home")
    ok(sealed.owner.run(sealed.project, "keys", "add", "helper", helper.create_key()))
    sealed.owner.git(sealed.project, "commit", "-q", "-m", "a helper reads the data")
    sealed.push_main()
    first_send(tmp_path, sealed)
    helper_key = Sealed(sealed.remote, sealed.project, helper).key
    assert opens_with(branch_file(sealed.remote, "ledger.sqlite"), helper_key)
    ok(sealed.owner.run(sealed.project, "keys", "remove", "helper"))
    sealed.owner.git(sealed.project, "commit", "-q", "-m", "the helper has gone")
    sealed.push_main()
    checkout = runner(tmp_path, "run2", sealed, sealed.key)
    done(state(checkout, sealed.key, "restore"))

    done(state(checkout, sealed.key, "save"))

    for name in ("ledger.sqlite", "email-events.sqlite"):
        now = branch_file(sealed.remote, name)
        assert not opens_with(now, helper_key)
        assert opens_with(now, sealed.key)
    fresh = runner(tmp_path, "run3", sealed, sealed.key)
    done(state(fresh, sealed.key, "restore"))
    assert sent(ledger_of(fresh)) == set(FIRST)


def test_a_branch_saved_before_the_data_was_sealed_is_sealed_at_the_next_save(
    tmp_path: Path, sealed: Sealed
) -> None:
    plain = runner(tmp_path, "plain", sealed, None)
    (plain / ".newsletter" / "readers.txt").rename(plain / "readers.away")
    done(state(plain, None, "restore"))
    send_to(plain, *FIRST)
    done(state(plain, None, "save"))
    assert not is_age(branch_file(sealed.remote, "ledger.sqlite").read_bytes())
    checkout = runner(tmp_path, "run2", sealed, sealed.key)
    done(state(checkout, sealed.key, "restore"))

    done(state(checkout, sealed.key, "save"))

    assert is_age(branch_file(sealed.remote, "ledger.sqlite").read_bytes())
    fresh = runner(tmp_path, "run3", sealed, sealed.key)
    done(state(fresh, sealed.key, "restore"))
    assert sent(ledger_of(fresh)) == set(FIRST)


def test_sealing_anew_gives_way_to_a_send_saved_meanwhile(tmp_path: Path, sealed: Sealed) -> None:
    helper = Person(tmp_path / "helper-home")
    first_send(tmp_path, sealed)
    ok(sealed.owner.run(sealed.project, "keys", "add", "helper", helper.create_key()))
    sealed.owner.git(sealed.project, "commit", "-q", "-m", "a helper reads the data")
    sealed.push_main()
    desk = runner(tmp_path, "desk", sealed, sealed.key)
    sender = runner(tmp_path, "send", sealed, sealed.key)
    done(state(desk, sealed.key, "restore", "--ledger-only"))
    done(state(sender, sealed.key, "restore", "--ledger-only"))
    send_to(sender, "cy@example.com", month="2026-12")
    done(state(sender, sealed.key, "save"))

    done(state(desk, sealed.key, "save"))

    fresh = runner(tmp_path, "after", sealed, sealed.key)
    done(state(fresh, sealed.key, "restore", "--ledger-only"))
    assert sent(ledger_of(fresh), "2026-12") == {"cy@example.com"}
    assert sent(ledger_of(fresh)) == set(FIRST)
