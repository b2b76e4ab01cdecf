"""The ledger's generation: a number each save of a changed ledger raises by one, kept in the
ledger itself and in a tag on the remote, so a ledger that went back is never sent from.

Used by ``state_branch.py``; only git and the standard library.

The ledger on the ``state`` branch holds a table ``ledger_generation`` with one row: its
generation, the key of the send it last recorded and that send's counts. Each push of a
changed ledger also creates the tag ``ledger-generation/<N>`` on the same commit (one atomic
push, so the two never part) and deletes the tag before it. Tags live outside the branch: a
branch deleted or forced back to an older commit leaves the tag where it was, and the tag
keeps the newest ledger's commit on the remote, so the way back is one push of that tag.

A repository whose remote has no such tag has never saved a ledger with a generation: only
then is a missing ledger the empty ledger of a first send.
"""

from __future__ import annotations

import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from state_git import GitError, reason

TABLE = "ledger_generation"
TAG_PREFIX = "refs/tags/ledger-generation/"
RECOVERY = 'README, "Recovering a half-finished send"'


class RolledBack(Exception):
    """The branch's ledger is older than one saved before; ``str()`` says what to do."""


@dataclass(frozen=True)
class Generation:
    number: int
    key: str
    counts: str

    def describe(self) -> str:
        last = f", last send {self.key}: {self.counts}" if self.key else ""
        return f"generation {self.number}{last}"


@dataclass(frozen=True)
class Tag:
    number: int
    commit: str

    @property
    def ref(self) -> str:
        return f"{TAG_PREFIX}{self.number}"

    @property
    def name(self) -> str:
        return self.ref.removeprefix("refs/tags/")


def read(ledger: Path) -> Generation:
    """The generation recorded in the ledger file (0 for a ledger that has none yet)."""
    with closing(sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)) as db:
        found = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
        ).fetchone()
        if not found:
            return Generation(0, "", "")
        row = db.execute(f"SELECT generation, key, counts FROM {TABLE}").fetchone()
    return Generation(int(row[0]), str(row[1]), str(row[2])) if row else Generation(0, "", "")


def stamp(copy: Path, number: int, key: str | None) -> Generation:
    """Record generation ``number`` in ``copy`` (a snapshot about to be committed), with the
    counts of ``key``, else of the send whose rows changed last."""
    with closing(sqlite3.connect(copy)) as db:
        db.isolation_level = None
        if not key:
            newest = db.execute("SELECT issue FROM sends ORDER BY updated_at DESC LIMIT 1")
            key = next((row[0] for row in newest), "")
        counts = db.execute(
            "SELECT status, COUNT(*) FROM sends WHERE issue = ? GROUP BY status ORDER BY status",
            (key,),
        ).fetchall()
        text = ", ".join(f"{n} {status}" for status, n in counts) or "none"
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} "
            "(generation INTEGER NOT NULL, key TEXT NOT NULL, counts TEXT NOT NULL, "
            "saved_at TEXT NOT NULL)"
        )
        db.execute(f"DELETE FROM {TABLE}")
        db.execute(
            f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?)",
            (number, key, text, datetime.now(UTC).isoformat(timespec="seconds")),
        )
        db.execute("COMMIT")
    return Generation(number, key, text)


def newest_tag(remote: str) -> Tag | None:
    """The remote's newest ``ledger-generation/<N>`` tag, None if it has none."""
    result = subprocess.run(
        ["git", "ls-remote", "--tags", remote, f"{TAG_PREFIX}*"],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise GitError(
            f"cannot read {remote!r} to find its ledger generation: "
            f"{reason(result.stderr.decode(errors='replace'))}"
        )
    tags = []
    for line in result.stdout.decode().splitlines():
        commit, ref = line.split()
        number = ref.removeprefix(TAG_PREFIX)
        if number.isdigit() and not ref.endswith("^{}"):
            tags.append(Tag(int(number), commit))
    return max(tags, key=lambda tag: tag.number, default=None)


def check_restorable(
    remote: str, branch: str, commit: str | None, found: Generation | None, tag: Tag | None
) -> None:
    """Refuse a branch that is gone, has lost its ledger, or holds a ledger older than the
    newest tag: ``found`` is the ledger on ``branch``@``commit`` (None: no ledger)."""
    if tag is None:
        return  # never saved a ledger with a generation: nothing to go back from
    back = (
        f"`git push --force {remote} {tag.name}^{{commit}}:refs/heads/{branch}` puts back "
        f"the newest saved ledger ({RECOVERY})"
    )
    if commit is None:
        raise RolledBack(
            f"branch {branch!r} is missing on {remote!r}, but this repository has sent before "
            f"(tag {tag.name}): nothing restored, so nothing can be sent; {back}"
        )
    if found is None:
        raise RolledBack(
            f"{branch}@{commit[:12]} has no ledger, but one of generation {tag.number} was saved "
            f"(tag {tag.name}): nothing restored, so nothing can be sent; {back}"
        )
    if found.number < tag.number:
        raise RolledBack(
            f"the ledger on {branch}@{commit[:12]} is {found.describe()}, older than "
            f"generation {tag.number} saved before (tag {tag.name}): {branch} went back, so "
            f"nothing restored and nothing can be sent; {back}"
        )
