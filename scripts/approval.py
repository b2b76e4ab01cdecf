"""Approval by pull request: the monthly workflow's way to let a person approve an issue on
any GitHub plan (no environments needed).

The scheduled run builds the month and proposes it: ``approvals/YYYY-MM.json`` (the build's
manifest hash, the run that holds the build as the artifact ``email-preview-YYYY-MM``, the
subject and the counts per segment) committed on the branch ``newsletter/approve-YYYY-MM``
and a pull request from it, opened or updated, whose text shows the issue for review and
links the run's artifacts: the email preview and the print proof ``print-proof-YYYY-MM``.
Merging that pull request is the approval: the push to ``main`` that adds the file starts
the workflow again, which sends exactly that build, or refuses one that differs.

Commands (from the checkout's root; only git and the standard library):

``propose --month M --counts FILE [--build-dir build]``
    Commit the approval file on the approval branch (on top of this checkout's HEAD; the
    branch is the workflow's own and is replaced each time) and open or update its pull
    request through GitHub's REST API (``GITHUB_API_URL``, ``GITHUB_REPOSITORY``,
    ``GITHUB_TOKEN``, ``GITHUB_RUN_ID``, ``GITHUB_SERVER_URL``). FILE is the dry run's report
    (``newsletter send --month M``): only its counts line is shown.
``approved``
    For the push that merged an approval: which month it approved and which run holds the
    build (``key=value`` lines, also appended to ``$GITHUB_OUTPUT``); ``go=false`` when the
    last commit added no approval.
``verify --month M [--build-dir build]``
    Refuse (exit 1, one line) unless ``build/M`` is the approved build: its manifest hashes
    as approved and every output hashes as the manifest says.

The pull request and the approval file hold the issue as everyone gets it and counts: no
reader's address, name or values (the build's text keeps its placeholders).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

APPROVALS = "approvals"
BRANCH = "newsletter/approve-{month}"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
COUNTS = re.compile(r"^\d{4}-\d{2}: would send \d+ \(.*\)$")
TEXT_CHARS = 40_000
"""Of the issue's text in the pull request (GitHub takes 65,536 characters in all)."""
API_TIMEOUT = 20.0
BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")


class ApprovalError(Exception):
    """Said in one line; nothing was approved or sent."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- propose ---------------------------------------------------------------------------


def propose(month: str, build_dir: Path, counts_file: Path, environ: dict[str, str]) -> str:
    folder = build_dir / month
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    counts = [line for line in counts_file.read_text().splitlines() if COUNTS.match(line)]
    if not counts:
        raise ApprovalError(f"{counts_file}: no line of counts (YYYY-MM: would send N (…))")
    run = environ.get("GITHUB_RUN_ID", "")
    record = {
        "month": month,
        "manifest_sha256": sha256(folder / "manifest.json"),
        "build_run": run,
        "subject": manifest["issue"]["title"],
        "counts": counts[0],
    }
    path = Path(APPROVALS) / f"{month}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    branch = BRANCH.format(month=month)
    identity = ["-c", f"user.name={BOT[0]}", "-c", f"user.email={BOT[1]}"]
    _git("add", "--", str(path))
    _git(
        *identity,
        "commit",
        "--quiet",
        "-m",
        f"approve {month}: {record['subject']}",
        "--",
        str(path),
    )
    # The branch is this workflow's alone; each proposal replaces it.
    _git("push", "--quiet", "--force", "origin", f"HEAD:refs/heads/{branch}")
    server = environ.get("GITHUB_SERVER_URL", "https://github.com")
    repository = _need(environ, "GITHUB_REPOSITORY")
    artifacts = f"{server}/{repository}/actions/runs/{run}#artifacts"
    text = (folder / "email.txt").read_text(encoding="utf-8")[:TEXT_CHARS]
    body = (
        f"**{record['subject']}**\n\n"
        f"Merge this pull request to send the {month} issue exactly as built; close it to "
        f"send nothing.\n\n"
        f"- Counts: {record['counts']}\n"
        f"- The rendered email, each segment's and the web page: the artifact "
        f"`email-preview-{month}` of [the run that built it]({artifacts}) (no reader in it)\n"
        f"- The print edition as every copy is set, without an address: the artifact "
        f"`print-proof-{month}` of the same run (no reader in it)\n"
        f"- Build: manifest `{record['manifest_sha256'][:16]}…`; a build that differs is "
        f"refused at send time\n\n"
        f"<details><summary>The issue's text (placeholders stand for each reader's own "
        f"values)</summary>\n\n```text\n{text}\n```\n</details>\n"
    )
    title = f"Send the {month} issue: {record['subject']}"
    number = _open_or_update(environ, repository, branch, title, body)
    return f"approval of {month} proposed in pull request #{number} (branch {branch})"


def _open_or_update(
    environ: dict[str, str], repository: str, branch: str, title: str, body: str
) -> int:
    owner = repository.split("/")[0]
    found = _api(environ, "GET", f"/repos/{repository}/pulls?state=open&head={owner}:{branch}")
    if found:
        number = int(found[0]["number"])
        _api(
            environ, "PATCH", f"/repos/{repository}/pulls/{number}", {"title": title, "body": body}
        )
        return number
    created = _api(
        environ,
        "POST",
        f"/repos/{repository}/pulls",
        {"title": title, "body": body, "head": branch, "base": environ.get("BASE_BRANCH", "main")},
    )
    return int(created["number"])


def _api(environ: dict[str, str], method: str, path: str, payload: Any = None) -> Any:
    api = _need(environ, "GITHUB_API_URL").rstrip("/")
    request = urllib.request.Request(
        f"{api}{path}",
        method=method,
        data=None if payload is None else json.dumps(payload).encode(),
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {_need(environ, 'GITHUB_TOKEN')}",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=API_TIMEOUT) as answer:
            return json.loads(answer.read(5_000_000) or b"null")
    except urllib.error.HTTPError as exc:
        said = exc.read(2000).decode(errors="replace")
        with contextlib.suppress(ValueError, AttributeError):
            said = json.loads(said).get("message", said)
        raise ApprovalError(
            f"GitHub refused {method} {path.split('?')[0]} (HTTP {exc.code}: {said}); "
            "the workflow needs `pull-requests: write`, and Settings → Actions → "
            '"Allow GitHub Actions to create and approve pull requests"'
        ) from None
    except (OSError, ValueError) as exc:
        raise ApprovalError(f"cannot reach GitHub's API for {method} {path}: {exc}") from None


# -- approved, verify ------------------------------------------------------------------


def approved(commit: str = "HEAD") -> dict[str, str]:
    """The approval the last commit added (a merge: compared with its first parent)."""
    added = _git("diff", "--name-only", "--diff-filter=AM", f"{commit}^1", commit, "--", APPROVALS)
    months = [Path(name).stem for name in added.split() if MONTH.match(Path(name).stem)]
    if not months:
        return {"month": "", "build-run": "", "dry-run": "false", "go": "false"}
    month = max(months)
    record = _record(month)
    return {"month": month, "build-run": str(record["build_run"]), "dry-run": "false", "go": "true"}


def verify(month: str, build_dir: Path) -> str:
    record = _record(month)
    folder = build_dir / month
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise ApprovalError(f"{manifest_path}: no build to send")
    found = sha256(manifest_path)
    if found != record["manifest_sha256"]:
        raise ApprovalError(
            f"{manifest_path}: this build ({found[:16]}…) is not the one approved in "
            f"{APPROVALS}/{month}.json ({record['manifest_sha256'][:16]}…): nothing sent; "
            "start a new run for the month to propose this build for approval"
        )
    for name, digest in json.loads(manifest_path.read_text(encoding="utf-8"))["outputs"].items():
        path = folder / name
        if not path.is_file() or sha256(path) != digest:
            raise ApprovalError(
                f"{path}: differs from the approved build's manifest: nothing sent; start a "
                "new run for the month to propose this build for approval"
            )
    return f"build/{month} is the approved build ({found[:16]}…)"


def _record(month: str) -> dict[str, Any]:
    path = Path(APPROVALS) / f"{month}.json"
    try:
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ApprovalError(f"{path}: no approval of {month} here ({exc})") from None
    if record.get("month") != month or not record.get("manifest_sha256"):
        raise ApprovalError(f"{path}: not an approval of {month}")
    return record


# -- helpers ---------------------------------------------------------------------------


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if not line.startswith("hint:")]
        raise ApprovalError(f"git {args[0]}: {lines[-1] if lines else 'failed'}")
    return done.stdout


def _need(environ: dict[str, str], name: str) -> str:
    value = environ.get(name)
    if not value:
        raise ApprovalError(f"{name} is not set")
    return value


def _outputs(values: dict[str, str]) -> str:
    lines = "".join(f"{key}={value}\n" for key, value in values.items())
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(lines)
    return lines.rstrip("\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="approval.py", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    proposing = commands.add_parser("propose", help="open or update the approval pull request")
    proposing.add_argument("--month", required=True)
    proposing.add_argument("--counts", type=Path, required=True)
    proposing.add_argument("--build-dir", type=Path, default=Path("build"))
    commands.add_parser("approved", help="the month the last commit approved")
    verifying = commands.add_parser("verify", help="refuse a build that is not the approved one")
    verifying.add_argument("--month", required=True)
    verifying.add_argument("--build-dir", type=Path, default=Path("build"))
    args = parser.parse_args(argv)
    if getattr(args, "month", None) and not MONTH.match(args.month):
        parser.error(f"--month: {args.month!r} is not YYYY-MM")
    try:
        if args.command == "propose":
            print(propose(args.month, args.build_dir, args.counts, dict(os.environ)))
        elif args.command == "approved":
            print(_outputs(approved()))
        else:
            print(verify(args.month, args.build_dir))
    except ApprovalError as exc:
        print(f"approval: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
