"""Keep the send ledger and every sent issue on a git branch, so reruns never send twice.

The monthly workflow runs on a fresh machine each time. What must outlive it lives on an
orphan branch (``state`` by default) of the repository itself::

    ledger.sqlite          the send ledger (state/ledger.sqlite), one row per recipient
    email-events.sqlite    what `desk pull` kept of the email provider's events and the
                           referral page visits (state/email-events.sqlite), for reports
    issues/YYYY-MM/...     the build folder of each month whose send was started

Commands (run from the repository's root; only git and the standard library are used):

``restore``
    Fetch the branch and write ``state/ledger.sqlite`` and ``build/YYYY-MM/`` for every
    issue on it (a month already in ``build/`` is left alone). A missing branch means no
    send has ever happened: nothing is restored. Any other failure to read the remote
    (network, permissions) is an error, so a send never starts from an empty ledger by
    mistake. Records which commit it restored from, for ``save``.
``save --month YYYY-MM``
    Commit a consistent copy of the ledger (SQLite's backup API, so a ledger left by a
    killed send is copied whole) and ``build/YYYY-MM/`` on top of the restored commit and
    push it. The push is never forced: if the branch moved since ``restore``, it fails
    instead of throwing away someone else's record. Refuses to run without a ``restore``.
``site --out DIR``
    Lay out the web archive for GitHub Pages from ``build/*/web/``: ``DIR/YYYY-MM/`` for
    each issue, and the newest issue's archive page and Atom feed at the top.

Exit status: 0 done, 1 failed (one line on stderr saying why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
LEDGER_NAME = "ledger.sqlite"
EVENTS_NAME = "email-events.sqlite"
"""Kept beside the ledger, in and out of the branch: the pulled events are in no other
place once the desk's cursor has moved past them."""
ISSUES = "issues"
MARKER = "state-branch.json"
"""Written by ``restore`` next to the ledger: the branch commit the ledger came from."""
BOT_NAME = "newsletter-bot"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
BRANCH_README = """\
# state

Written by the monthly workflow (`scripts/state_branch.py`); do not edit or delete.

- `ledger.sqlite`: the send ledger. Deleting it means the next send goes to everyone again.
- `email-events.sqlite`: the email provider's events and referral page visits pulled from
  the desk, for the monthly report.
- `issues/YYYY-MM/`: the build folder of each issue whose send was started. A rerun
  sends this exact build, and the web archive is laid out from these.
"""


class StateError(Exception):
    """A problem to report in one line; nothing was half-written."""


# -- git -------------------------------------------------------------------------------


def git(*args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
    """Run git and return its stdout; a failure becomes a StateError with git's message."""
    result = subprocess.run(
        ["git", *args],
        input=input,
        capture_output=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise StateError(f"git {args[0]} failed: {message[-1] if message else result.returncode}")
    return result.stdout


def remote_head(remote: str, branch: str) -> str | None:
    """The branch's commit on the remote, None if it has no such branch; errors raise."""
    result = subprocess.run(
        ["git", "ls-remote", "--exit-code", "--heads", remote, f"refs/heads/{branch}"],
        capture_output=True,
        check=False,
    )
    if result.returncode == 2:  # --exit-code: the remote answered, without that branch
        return None
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise StateError(
            f"cannot read {remote!r} to find branch {branch!r}: "
            f"{message[-1] if message else 'git ls-remote failed'}"
        )
    return result.stdout.split()[0].decode()


def fetch(remote: str, branch: str) -> str:
    """Fetch the branch into refs/newsletter/<branch>; returns its commit."""
    local = f"refs/newsletter/{branch}"
    git("fetch", "--quiet", "--no-tags", remote, f"+refs/heads/{branch}:{local}")
    return git("rev-parse", "--verify", f"{local}^{{commit}}").decode().strip()


# -- restore ---------------------------------------------------------------------------


def restore(remote: str, branch: str, ledger: Path, build_dir: Path, *, issues: bool = True) -> str:
    """Bring the ledger (and, with ``issues``, the sent issues) back; returns a summary."""
    events = ledger.with_name(EVENTS_NAME)
    leftovers = [p for p in (*_ledger_files(ledger), *_ledger_files(events)) if p.exists()]
    if leftovers:
        raise StateError(
            f"{leftovers[0]} already exists: move it away first (restore never overwrites a ledger)"
        )
    head = remote_head(remote, branch)
    if head is None:
        _write_marker(ledger, remote, branch, None)
        return f"no branch {branch!r} on {remote!r} yet: starting with an empty ledger"
    commit = fetch(remote, branch)
    if commit != head:
        raise StateError(f"branch {branch!r} moved while it was fetched: run restore again")
    restored = _extract_issues(commit, build_dir) if issues else []
    has_ledger = bool(git("ls-tree", "--name-only", commit, LEDGER_NAME).strip())
    if has_ledger:
        _atomic_write(ledger, git("cat-file", "blob", f"{commit}:{LEDGER_NAME}"))
    if git("ls-tree", "--name-only", commit, EVENTS_NAME).strip():
        _atomic_write(events, git("cat-file", "blob", f"{commit}:{EVENTS_NAME}"))
    _write_marker(ledger, remote, branch, commit)
    what = f"ledger ({_ledger_summary(ledger)})" if has_ledger else "no ledger on the branch"
    months = ", ".join(restored) or "none new"
    return f"restored from {branch}@{commit[:12]}: {what}; issues: {months}"


def _extract_issues(commit: str, build_dir: Path) -> list[str]:
    """Write issues/YYYY-MM/ of ``commit`` to build_dir/YYYY-MM/ unless already there."""
    listing = git("ls-tree", "--name-only", commit, f"{ISSUES}/").decode().split()
    months = [Path(name).name for name in listing if MONTH.match(Path(name).name)]
    missing = [m for m in months if not (build_dir / m).exists()]
    if not missing:
        return []
    archive = git("archive", "--format=tar", commit, *(f"{ISSUES}/{m}" for m in missing))
    with tempfile.TemporaryDirectory(dir=_existing_parent(build_dir)) as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4+: no links out, no devices
                tar.extractall(tmp, filter="data")
            else:  # pragma: no cover - the archive is git's, of plain files
                tar.extractall(tmp)
        build_dir.mkdir(parents=True, exist_ok=True)
        for month in missing:
            os.replace(Path(tmp) / ISSUES / month, build_dir / month)
    return missing


# -- save ------------------------------------------------------------------------------


def save(remote: str, branch: str, ledger: Path, build_dir: Path, month: str | None) -> str:
    """Commit the ledger (and build/<month>/) on top of the restored commit and push."""
    marker = _read_marker(ledger)
    if (marker["remote"], marker["branch"]) != (remote, branch):
        raise StateError(f"the ledger was restored from {marker['remote']}/{marker['branch']}")
    base: str | None = marker["commit"]
    files: dict[str, bytes] = {}
    if ledger.exists():
        files[LEDGER_NAME] = _snapshot(ledger)
    if ledger.with_name(EVENTS_NAME).exists():
        files[EVENTS_NAME] = _snapshot(ledger.with_name(EVENTS_NAME))
    if month:
        files.update(_issue_files(build_dir, month))
    if not files:
        return "nothing to save: no ledger and no issue"
    with _temporary_index() as index:
        env = {"GIT_INDEX_FILE": str(index)}
        if base:
            git("read-tree", base, env=env)
        else:
            files.setdefault("README.md", BRANCH_README.encode())
        if month:
            git("rm", "--cached", "-r", "-q", "--ignore-unmatch", f"{ISSUES}/{month}", env=env)
        entries = "".join(
            f"100644 {_hash_blob(data)}\t{name}\n" for name, data in sorted(files.items())
        )
        git("update-index", "--add", "--index-info", input=entries.encode(), env=env)
        tree = git("write-tree", env=env).decode().strip()
    if base and git("rev-parse", f"{base}^{{tree}}").decode().strip() == tree:
        return f"{branch} already up to date at {base[:12]}"
    message = f"state: {month or 'ledger'} ({_ledger_summary(ledger)})"
    commit = (
        git("commit-tree", tree, *(["-p", base] if base else []), "-m", message, env=_identity())
        .decode()
        .strip()
    )
    try:
        git("push", "--quiet", remote, f"{commit}:refs/heads/{branch}")
    except StateError as exc:
        raise StateError(
            f"{exc}; the branch changed since restore, or pushing is not allowed. The ledger "
            f"is still in {ledger}: keep it (the workflow uploads it as an artifact)"
        ) from None
    _write_marker(ledger, remote, branch, commit)
    return f"saved {message} as {branch}@{commit[:12]}"


def _issue_files(build_dir: Path, month: str) -> dict[str, bytes]:
    """The build's manifest and every output it lists, by their path on the branch."""
    folder = build_dir / month
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise StateError(f"{manifest_path}: no build to save")
    outputs = json.loads(manifest_path.read_text(encoding="utf-8")).get("outputs", {})
    files = {f"{ISSUES}/{month}/manifest.json": manifest_path.read_bytes()}
    for name in outputs:
        files[f"{ISSUES}/{month}/{name}"] = (folder / name).read_bytes()
    return files


def _snapshot(database: Path) -> bytes:
    """A self-contained copy of a SQLite file, including what is still in its WAL file."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / database.name
        # A plain connection, as the next send's would be: it reads what a killed send
        # left in the -wal file too.
        source = sqlite3.connect(database)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            source.close()
            target.close()
        return copy.read_bytes()


def _ledger_summary(ledger: Path) -> str:
    if not ledger.exists():
        return "no ledger"
    db = sqlite3.connect(ledger)
    try:
        rows = db.execute("SELECT status, COUNT(*) FROM sends GROUP BY status ORDER BY status")
        counts = ", ".join(f"{n} {status}" for status, n in rows)
    except sqlite3.Error:
        counts = ""
    finally:
        db.close()
    return counts or "empty"


def _hash_blob(data: bytes) -> str:
    return git("hash-object", "-w", "--stdin", input=data).decode().strip()


def _identity() -> dict[str, str]:
    name = os.environ.get("GIT_AUTHOR_NAME", BOT_NAME)
    email = os.environ.get("GIT_AUTHOR_EMAIL", BOT_EMAIL)
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }


@contextmanager
def _temporary_index() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp) / "index"


# -- site ------------------------------------------------------------------------------


def site(build_dir: Path, out: Path) -> str:
    """Lay out every built issue's web/ for GitHub Pages; returns a summary."""
    months = sorted(
        p.parent.parent.name
        for p in build_dir.glob("*/web/index.html")
        if MONTH.match(p.parent.parent.name)
    )
    if not months:
        raise StateError(f"no built issue with a web page under {build_dir}/")
    if out.exists():
        shutil.rmtree(out)
    for month in months:
        shutil.copytree(build_dir / month / "web", out / month)
    newest = build_dir / months[-1] / "web"
    shutil.copyfile(newest / "archive.html", out / "index.html")
    for name in ("archive.html", "feed.xml"):
        shutil.copyfile(newest / name, out / name)
    return f"site in {out}/: {len(months)} issues, newest {months[-1]}"


# -- files -----------------------------------------------------------------------------


def _ledger_files(ledger: Path) -> list[Path]:
    return [ledger, *(ledger.with_name(ledger.name + s) for s in ("-wal", "-shm", "-journal"))]


def _write_marker(ledger: Path, remote: str, branch: str, commit: str | None) -> None:
    record = {"remote": remote, "branch": branch, "commit": commit}
    _atomic_write(ledger.with_name(MARKER), (json.dumps(record, indent=2) + "\n").encode())


def _read_marker(ledger: Path) -> dict:
    path = ledger.with_name(MARKER)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
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


def _existing_parent(path: Path) -> Path:
    path = path.resolve()
    while not path.exists():
        path = path.parent
    return path


# -- command line ----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="state_branch.py", description=__doc__.split("\n")[0])
    parser.add_argument("--remote", default="origin")
    parser.add_argument("--branch", default="state")
    parser.add_argument("--ledger", type=Path, default=Path("state") / LEDGER_NAME)
    parser.add_argument("--build-dir", type=Path, default=Path("build"))
    commands = parser.add_subparsers(dest="command", required=True)
    restore_parser = commands.add_parser("restore", help="fetch the ledger and the sent issues")
    restore_parser.add_argument(
        "--ledger-only", action="store_true", help="leave the sent issues on the branch"
    )
    save_parser = commands.add_parser("save", help="commit and push the ledger (and an issue)")
    save_parser.add_argument("--month", help="also record build/YYYY-MM/ as sent")
    site_parser = commands.add_parser("site", help="lay out the web archive for Pages")
    site_parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if getattr(args, "month", None) and not MONTH.match(args.month):
        parser.error(f"--month: {args.month!r} is not YYYY-MM")
    try:
        if args.command == "restore":
            summary = restore(
                args.remote, args.branch, args.ledger, args.build_dir, issues=not args.ledger_only
            )
        elif args.command == "save":
            summary = save(args.remote, args.branch, args.ledger, args.build_dir, args.month)
        else:
            summary = site(args.build_dir, args.out)
    except StateError as exc:
        print(f"state_branch: {exc}", file=sys.stderr)
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
