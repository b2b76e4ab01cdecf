"""scripts/state_branch.py as a runner runs it: a bare repository as the remote, fresh
shallow clones with no git identity, the script run by a plain ``python3``."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from newsletter.deliver.ledger import Ledger
from newsletter.deliver.transport import Receipt
from newsletter.desk.inbox import Event
from newsletter.desk.tracking import record_page_visits
from tests.jobs.remote import PERSON, REPO, git, runner_environment

SCRIPT = REPO / "scripts" / "state_branch.py"
MONTH = "2026-11"


def bare_remote(tmp_path: Path) -> Path:
    """A bare repository whose main holds one commit, standing in for GitHub."""
    path = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(path))
    seed = tmp_path / "seed"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(seed))
    (seed / "newsletter.yaml").write_text("# the business's project\n")
    git(seed, "add", "--all")
    git(seed, *PERSON, "commit", "--quiet", "-m", "the project")
    git(seed, "push", "--quiet", str(path), "main")
    return path


def runner_clone(tmp_path: Path, name: str, remote: Path) -> Path:
    """A fresh shallow clone of main, as a job's checkout."""
    env = runner_environment(tmp_path)
    git(tmp_path, "clone", "--quiet", "--depth=1", remote.as_uri(), str(tmp_path / name), env=env)
    return tmp_path / name


def run_script(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The script from the checkout's root, by the runner's python3, with no identity."""
    return subprocess.run(
        ["python3", str(SCRIPT), *args],
        cwd=checkout,
        env=runner_environment(checkout.parent),
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(checkout: Path, *args: str) -> str:
    done = run_script(checkout, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def ledger_of(checkout: Path) -> Path:
    return checkout / "state" / "ledger.sqlite"


def send_to(checkout: Path, *emails: str, month: str = MONTH) -> None:
    """A send of ``month`` to ``emails``, recorded in the checkout's ledger."""
    with Ledger(ledger_of(checkout)) as ledger, ledger.run(f"send {month}") as run:
        run.mark_in_flight(month, list(emails), batch="1")
        run.settle(month, "1", Receipt(sent={email: f"id-{email}" for email in emails}), rest=None)


def sent(ledger: Path, month: str = MONTH) -> set[str]:
    with Ledger(ledger) as opened:
        return opened.sent(month)


def pull_visits(checkout: Path, *ids: int) -> None:
    """A desk pull that took the page visits with these desk event ids."""
    at = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    events = [Event(i, "visit", at, {"medium": "print", "issue": MONTH}) for i in ids]
    record_page_visits(checkout / "state", events)


def branch_file(remote: Path, name: str, ref: str = "state") -> Path:
    """``name`` as the branch has it, written to a file beside the remote."""
    data = subprocess.run(
        ["git", "show", f"{ref}:{name}"], cwd=remote, capture_output=True, check=True
    ).stdout
    path = remote.parent / f"{ref.replace('/', '-')}-{name}"
    path.write_bytes(data)
    return path
