"""Keep the send ledger and every sent issue on a git branch, so reruns never send twice.

The monthly workflow runs on a fresh machine each time. What must outlive it lives on an
orphan branch (``state`` by default) of the repository itself::

    ledger.sqlite          the send ledger (state/ledger.sqlite), one row per recipient
    email-events.sqlite    what `desk pull` kept of the email provider's events and the
                           referral page visits (state/email-events.sqlite), for reports
    sealed-for.txt         in a sealed repository: whose keys the two files above open with
    issues/YYYY-MM/...     the build folder of each month whose send was started

In a repository whose customer data is sealed (``.newsletter/readers.txt``), the ledger and
the events name customers, so the branch holds them sealed too, by the same filter and for
the same readers (scripts/state_seal.py): ``restore`` and ``save`` then need a key unlocked
(``newsletter keys unlock``). The issues hold no reader and are never sealed.

Commands (run from the repository's root; only git and the standard library are used):

``restore``
    Fetch the branch and write ``state/ledger.sqlite``, ``state/email-events.sqlite`` and
    ``build/YYYY-MM/`` for every issue on it (a month already in ``build/`` is left alone).
    A missing branch means no send has ever happened: nothing is restored. Any other
    failure to read the remote (network, permissions) is an error, and so is a damaged
    file on the branch (zero bytes, not SQLite, failing SQLite's integrity check): a send
    never starts from an empty ledger by mistake. Once a ledger has been saved (the tag
    ``ledger-generation/<N>``, scripts/state_generation.py), a missing branch, a branch
    without its ledger, or a ledger of an older generation is refused too. Records which
    commit it restored from, and what each file held, for ``save``. With
    ``--issues-only`` it brings back the issues alone (no key needed) and records nothing.
``save [--month YYYY-MM]``
    Commit a consistent, checked copy of each file (SQLite's backup API, so a ledger left
    by a killed send is copied whole) and ``build/YYYY-MM/`` and push it, never forced. A
    file whose content (not its bytes: SQLite rewrites its header on every copy, and age
    seals differently each time) is what ``restore`` found is left as the branch has it, so
    nothing unchanged makes a commit, unless the readers changed since it was sealed.
    If the branch moved meanwhile (another job saved), the save goes on top of it: the
    email events of both are kept (rows are only ever added), and a ledger changed on both
    sides is never overwritten: this run's commit goes to ``state-unsaved/…`` instead, and
    the command fails saying so. A changed ledger goes with its next generation, and its
    tag, in the same atomic push. Refuses to run without a ``restore``.
``site --out DIR``
    Lay out the web archive for GitHub Pages from ``build/*/web/``: ``DIR/YYYY-MM/`` for
    each issue, and the newest issue's archive page and Atom feed at the top.

Exit status: 0 done, 1 failed (one line on stderr saying why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from state_generation import (
    TAG_PREFIX,
    RolledBack,
    check_restorable,
    newest_tag,
    read,
    stamp,
)
from state_git import (
    GitError,
    blob_of,
    fetch,
    git,
    identity,
    push,
    remote_head,
    tree_of,
    write_tree,
)
from state_issues import ISSUES, MONTH, IssueError, extract_issues, issue_files, site
from state_seal import Seal, SealError, open_blob, seal_of, sealed_files, sealed_for
from state_sqlite import DamagedError, check, content_digest, snapshot, status_counts, union

LEDGER_NAME = "ledger.sqlite"
EVENTS_NAME = "email-events.sqlite"
MARKER = "state-branch.json"
"""Written by ``restore`` next to the ledger: the branch commit the files came from, and
each file's blob and content digest there (what ``save`` compares with)."""
UNSAVED = "state-unsaved"
"""Where a save that would overwrite another's ledger puts its commit instead."""
PUSH_ATTEMPTS = 5
"""Saves on top of a branch that keeps moving: each attempt fetches the newest commit."""
RECOVERY = 'README, "Recovering a half-finished send"'
BRANCH_README = """\
# state

Written by the monthly workflow (`scripts/state_branch.py`); do not edit or delete.

- `ledger.sqlite`: the send ledger. Deleting it means the next send goes to everyone again.
- `email-events.sqlite`: the email provider's events and referral page visits pulled from
  the desk, for the monthly report.
- `sealed-for.txt` (when the customer data is sealed): the readers whose keys open the two
  files above.
- `issues/YYYY-MM/`: the build folder of each issue whose send was started. A rerun
  sends this exact build, and the web archive is laid out from these.
"""


@dataclass(frozen=True)
class Carried:
    """A SQLite file kept on the branch, beside the ledger."""

    name: str
    table: str
    """What a whole copy holds: a file without it is damaged."""
    rows_only_added: bool
    """Two copies that parted merge by taking both's rows (never true of the ledger,
    whose rows change status)."""


CARRIED = (
    Carried(LEDGER_NAME, "sends", rows_only_added=False),
    # Kept beside the ledger, in and out of the branch: the pulled events are in no other
    # place once the desk's cursor has moved past them.
    Carried(EVENTS_NAME, "email_events", rows_only_added=True),
)


class StateError(Exception):
    """A problem to report in one line; nothing was half-written."""


class LedgerConflict(Exception):
    """A file that cannot merge changed on the branch and here since the restore."""


# -- restore ---------------------------------------------------------------------------


def restore(remote: str, branch: str, ledger: Path, build_dir: Path, *, issues: bool = True) -> str:
    """Bring the carried files (and, with ``issues``, the sent issues) back; a summary."""
    seal = seal_of(Path.cwd())
    local = _local_paths(ledger)
    leftovers = [p for path in local.values() for p in _sqlite_files(path) if p.exists()]
    if leftovers:
        raise StateError(
            f"{leftovers[0]} already exists: move it away first (restore never overwrites a ledger)"
        )
    head = remote_head(remote, branch)
    tag = newest_tag(remote)
    if head is None:
        check_restorable(remote, branch, None, None, tag)
        _write_marker(ledger, remote, branch, None, {})
        return f"no branch {branch!r} on {remote!r} yet: starting with an empty ledger"
    commit = fetch(remote, branch)
    if commit != head:
        raise StateError(f"branch {branch!r} moved while it was fetched: run restore again")
    ledger.parent.mkdir(parents=True, exist_ok=True)
    where = f"{branch}@{commit[:12]}"
    # Sealed for readers other than today's (or not sealed yet): the next save seals anew.
    reseal = seal is not None and sealed_for(commit) != seal.sealed_for
    with tempfile.TemporaryDirectory(dir=ledger.parent, prefix=".restore-") as tmp:
        copies, bases = {}, {}
        for carried in CARRIED:
            blob = blob_of(commit, carried.name)
            if blob is None:
                continue
            copy = Path(tmp) / carried.name
            open_blob(blob, carried.name, copy, seal, where)
            try:
                check(copy, carried.table)
                bases[carried.name] = {
                    "blob": blob,
                    "digest": content_digest(copy),
                    "reseal": reseal,
                }
            except DamagedError as exc:
                raise StateError(
                    f"{carried.name} on {where} is damaged ({exc}): nothing "
                    f"restored, so nothing can be sent. Put its last good version back on "
                    f"{branch} (`git log {remote}/{branch} -- {carried.name}` lists them; "
                    f"{RECOVERY}) and run again"
                ) from None
            copies[carried.name] = copy
        found = read(copies[LEDGER_NAME]) if LEDGER_NAME in copies else None
        check_restorable(remote, branch, commit, found, tag)
        restored = extract_issues(commit, build_dir) if issues else []
        for name, copy in copies.items():
            os.replace(copy, local[name])
    _write_marker(ledger, remote, branch, commit, bases, found.number if found else 0)
    what = "no ledger on the branch"
    if found is not None:
        what = f"ledger ({status_counts(ledger)}, generation {found.number})"
    months = ", ".join(restored) or "none new"
    return f"restored from {where}: {what}; issues: {months}"


def restore_issues(remote: str, branch: str, build_dir: Path) -> str:
    """Bring back the sent issues alone (they hold no reader: no key is needed)."""
    if remote_head(remote, branch) is None:
        return f"no branch {branch!r} on {remote!r} yet: no issues to bring back"
    commit = fetch(remote, branch)
    months = ", ".join(extract_issues(commit, build_dir)) or "none new"
    return f"issues from {branch}@{commit[:12]}: {months}"


# -- save ------------------------------------------------------------------------------


def save(remote: str, branch: str, ledger: Path, build_dir: Path, month: str | None) -> str:
    """Commit what changed since the restore on top of the branch as it is now, and push."""
    marker = _read_marker(ledger)
    if (marker["remote"], marker["branch"]) != (remote, branch):
        raise StateError(f"the ledger was restored from {marker['remote']}/{marker['branch']}")
    bases: dict[str, dict[str, str | None]] = marker.get("files", {})
    local = _local_paths(ledger)
    if not month and not any(path.exists() for path in local.values()):
        return "nothing to save: no ledger and no issue"
    issue = issue_files(build_dir, month) if month else {}
    seal = seal_of(Path.cwd())
    with tempfile.TemporaryDirectory(prefix="state-save-") as tmp:
        ours = _changed_copies(local, bases, Path(tmp), branch)
        generation = marker.get("generation", 0)
        tags: list[str] = []
        if LEDGER_NAME in ours:
            # The tag of the generation before goes: the newest one is all a restore reads.
            generation, old = stamp(ours[LEDGER_NAME][0], generation + 1, month).number, generation
            tags = [f"{TAG_PREFIX}{generation}", *([f":{TAG_PREFIX}{old}"] if old else [])]
        message = f"state: {month or 'ledger'} ({status_counts(ledger)})"
        for _ in range(PUSH_ATTEMPTS):
            head = remote_head(remote, branch)
            # A branch deleted since the restore comes back with the files it had then.
            theirs = fetch(remote, branch) if head else marker["commit"]
            try:
                tree, merged = _compose(theirs, ours, month, issue, bases, Path(tmp), seal)
            except LedgerConflict as conflict:
                raise StateError(
                    _set_aside(remote, branch, marker["commit"], ours, month, issue, conflict, seal)
                ) from None
            if head and theirs and tree == tree_of(theirs):
                _write_marker(ledger, remote, branch, theirs, bases, generation)
                return f"{branch} already up to date at {theirs[:12]}"
            # A branch deleted since the restore is made anew from the restored commit's
            # files: its history is not pushed again (a runner's clone has none of it).
            commit_id = _commit(tree, theirs if head else None, message)
            refused = push(remote, commit_id, f"refs/heads/{branch}", *tags)
            if refused is None:
                for name, (_, digest) in ours.items():
                    # A merged file's blob holds rows this copy lacks: the next save must
                    # see the branch's file as changed, and merge again.
                    blob = None if name in merged else blob_of(commit_id, name)
                    bases[name] = {"blob": blob, "digest": digest}
                _write_marker(ledger, remote, branch, commit_id, bases, generation)
                merge_note = f" (merged {', '.join(merged)} with the branch's)" if merged else ""
                return f"saved {message} as {branch}@{commit_id[:12]}{merge_note}"
            if remote_head(remote, branch) == head:
                raise StateError(f"cannot push to {remote} {branch}: {refused}")
    raise StateError(
        f"{branch} on {remote} kept moving: not saved after {PUSH_ATTEMPTS} attempts; "
        "run save again"
    )


def _changed_copies(
    local: dict[str, Path], bases: dict[str, dict[str, str | None]], tmp: Path, branch: str
) -> dict[str, tuple[Path, str]]:
    """A checked copy and content digest of each file whose content changed since restore."""
    changed = {}
    for carried in CARRIED:
        path = local[carried.name]
        if not path.exists():
            continue
        copy = tmp / "ours" / carried.name
        copy.parent.mkdir(exist_ok=True)
        try:
            snapshot(path, copy)
            check(copy, carried.table)
            digest = content_digest(copy)
        except DamagedError as exc:
            raise StateError(
                f"{path} is damaged ({exc}): not saved, so {branch} keeps its last good "
                f"copy; keep this file for a look, and see {RECOVERY}"
            ) from None
        base = bases.get(carried.name, {})
        if digest != base.get("digest") or base.get("reseal"):
            changed[carried.name] = (copy, digest)
    return changed


def _compose(
    theirs: str | None,
    ours: dict[str, tuple[Path, str]],
    month: str | None,
    issue: dict[str, Path],
    bases: dict[str, dict[str, str | None]],
    tmp: Path,
    seal: Seal | None,
) -> tuple[str, list[str]]:
    """The tree of ``theirs`` with our changed files and issue on top; which were merged."""
    files: dict[str, Path] = dict(issue)
    merged: list[str] = []
    for carried in CARRIED:
        if carried.name not in ours:
            continue
        copy, digest = ours[carried.name]
        their_blob = blob_of(theirs, carried.name) if theirs else None
        base = bases.get(carried.name, {})
        if their_blob is None or their_blob == base.get("blob"):
            files[carried.name] = copy
            continue
        if digest == base.get("digest"):
            continue  # ours is only sealed anew; the branch's newer copy was sealed since
        theirs_copy = tmp / "theirs" / carried.name
        theirs_copy.parent.mkdir(exist_ok=True)
        open_blob(their_blob, carried.name, theirs_copy, seal, f"the branch@{str(theirs)[:12]}")
        if content_digest(theirs_copy) == base.get("digest"):
            files[carried.name] = copy  # the branch's copy has only SQLite's own changes
        elif carried.rows_only_added:
            union(theirs_copy, copy)
            check(theirs_copy, carried.table)
            files[carried.name], merged = theirs_copy, [*merged, carried.name]
        else:
            raise LedgerConflict(carried.name)
    return _tree(theirs, files, month, seal), merged


def _set_aside(
    remote: str,
    branch: str,
    base: str | None,
    ours: dict[str, tuple[Path, str]],
    month: str | None,
    issue: dict[str, Path],
    conflict: LedgerConflict,
    seal: Seal | None,
) -> str:
    """Push this run's files on top of the commit it restored, to a branch of their own;
    the one-line error that says where they are."""
    files = {name: copy for name, (copy, _) in ours.items()} | issue
    commit = _commit(_tree(base, files, month, seal), base, "state: not saved")
    run = os.environ.get("GITHUB_RUN_ID")
    if run:
        aside = f"{UNSAVED}/{run}-{os.environ.get('GITHUB_RUN_ATTEMPT', '1')}"
    else:
        aside = f"{UNSAVED}/{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    refused = push(remote, commit, f"refs/heads/{aside}")
    where = (
        f"this run's copy is on branch {aside}"
        if refused is None
        else (
            f"this run's copy could not be pushed either ({refused}): it is only in this checkout"
        )
    )
    return (
        f"{conflict} on {branch} changed since the restore, and so did this run's (two sends "
        f"at once?): {branch} is left as it is and {where}. Put the two together by hand "
        f"before any further send ({RECOVERY})"
    )


def _commit(tree: str, parent: str | None, message: str) -> str:
    parents = ["-p", parent] if parent else []
    return git("commit-tree", tree, *parents, "-m", message, env=identity()).decode().strip()


def _tree(base: str | None, files: dict[str, Path], month: str | None, seal: Seal | None) -> str:
    """The tree of ``base`` with ``files``, the carried ones sealed when the repository is;
    with ``month``, issues/<month>/ holds only the files given for it. A new branch gets a
    README saying what it is."""
    with tempfile.TemporaryDirectory() as tmp:
        files = sealed_files(files, [c.name for c in CARRIED], seal, Path(tmp))
        if not base:
            readme = Path(tmp) / "README.md"
            readme.write_text(BRANCH_README, encoding="utf-8")
            return write_tree(None, {"README.md": readme, **files})
        return write_tree(base, files, drop=f"{ISSUES}/{month}" if month else None)


# -- files -----------------------------------------------------------------------------


def _local_paths(ledger: Path) -> dict[str, Path]:
    """Where each carried file lives here: beside the ledger."""
    return {carried.name: ledger.with_name(carried.name) for carried in CARRIED}


def _sqlite_files(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))]


def _write_marker(
    ledger: Path,
    remote: str,
    branch: str,
    commit: str | None,
    files: dict[str, Any],
    generation: int = 0,
) -> None:
    record = {"remote": remote, "branch": branch, "commit": commit, "files": files}
    record["generation"] = generation
    _atomic_write(ledger.with_name(MARKER), (json.dumps(record, indent=2) + "\n").encode())


def _read_marker(ledger: Path) -> dict[str, Any]:
    path = ledger.with_name(MARKER)
    try:
        marker: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return marker
    except (OSError, ValueError):
        raise StateError(
            f"{path}: missing or unreadable: run `restore` before `save`, so the ledger "
            "on the branch is never replaced by one that did not start from it"
        ) from None


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- command line ----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="state_branch.py", description=__doc__.split("\n")[0])
    parser.add_argument("--remote", default="origin")
    parser.add_argument("--branch", default="state")
    parser.add_argument("--ledger", type=Path, default=Path("state") / LEDGER_NAME)
    parser.add_argument("--build-dir", type=Path, default=Path("build"))
    commands = parser.add_subparsers(dest="command", required=True)
    restore_parser = commands.add_parser("restore", help="fetch the ledger and the sent issues")
    only = restore_parser.add_mutually_exclusive_group()
    only.add_argument(
        "--ledger-only", action="store_true", help="leave the sent issues on the branch"
    )
    only.add_argument(
        "--issues-only",
        action="store_true",
        help="bring back the sent issues alone (for the web archive; no key needed)",
    )
    save_parser = commands.add_parser("save", help="commit and push the ledger (and an issue)")
    save_parser.add_argument("--month", help="also record build/YYYY-MM/ as sent")
    site_parser = commands.add_parser("site", help="lay out the web archive for Pages")
    site_parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if getattr(args, "month", None) and not MONTH.match(args.month):
        parser.error(f"--month: {args.month!r} is not YYYY-MM")
    try:
        if args.command == "restore" and args.issues_only:
            summary = restore_issues(args.remote, args.branch, args.build_dir)
        elif args.command == "restore":
            summary = restore(
                args.remote, args.branch, args.ledger, args.build_dir, issues=not args.ledger_only
            )
        elif args.command == "save":
            summary = save(args.remote, args.branch, args.ledger, args.build_dir, args.month)
        else:
            summary = site(args.build_dir, args.out)
    except (StateError, GitError, IssueError, RolledBack, SealError) as exc:
        print(f"state_branch: {exc}", file=sys.stderr)
        return 1
    except DamagedError as exc:  # a merge whose result failed its check
        print(f"state_branch: not saved: {exc}", file=sys.stderr)
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
