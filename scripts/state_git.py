"""The git commands ``state_branch.py`` runs, each failure one line naming git's reason.

Only the standard library. Commands that make a commit get an identity of their own, since
a runner's checkout has none.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

BOT_NAME = "newsletter-bot"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
# git's "! [rejected] state -> state (fetch first)" and "! [remote rejected] … (reason)"
_REJECTION = re.compile(r"^\s*!\s*\[(remote )?rejected\].*$", re.MULTILINE)
_ERROR = re.compile(r"^(fatal|error|remote): .*$", re.MULTILINE)


class GitError(Exception):
    """A git command failed; ``str()`` is one line with git's own reason."""


def reason(stderr: str) -> str:
    """The line of git's output that says why it failed: a push's rejection, else the last
    ``fatal:``/``error:`` line, never a ``hint:`` (advice for someone at a terminal)."""
    for pattern in (_REJECTION, _ERROR):
        found = [match.group(0).strip() for match in pattern.finditer(stderr)]
        if found:
            return found[-1]
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("hint:")]
    return lines[-1].strip() if lines else "no message"


def git(
    *args: str,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    file: Path | None = None,
) -> bytes:
    """Run git and return its stdout, or write it to ``file`` (created 0600: what git is
    asked for here is a ledger or an issue); a failure is a GitError."""
    sink = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600) if file else None
    try:
        result = subprocess.run(
            ["git", *args],
            input=input,
            stdout=subprocess.PIPE if sink is None else sink,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
            check=False,
        )
    finally:
        if sink is not None:
            os.close(sink)
    if result.returncode != 0:
        raise GitError(f"git {args[0]}: {reason(result.stderr.decode(errors='replace'))}")
    return result.stdout or b""


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
        raise GitError(
            f"cannot read {remote!r} to find branch {branch!r}: "
            f"{reason(result.stderr.decode(errors='replace'))}"
        )
    return result.stdout.split()[0].decode()


def fetch(remote: str, branch: str) -> str:
    """Fetch the branch's newest commit into refs/newsletter/<branch>; returns it.

    In a shallow clone (a runner's checkout) only that commit is fetched: the branch's
    history holds a ledger per save, and nothing here reads it.
    """
    local = f"refs/newsletter/{branch}"
    shallow = git("rev-parse", "--is-shallow-repository").strip() == b"true"
    depth = ["--depth=1"] if shallow else []
    git("fetch", "--quiet", "--no-tags", *depth, remote, f"+refs/heads/{branch}:{local}")
    return git("rev-parse", "--verify", f"{local}^{{commit}}").decode().strip()


def push(remote: str, commit: str, ref: str, *tags: str) -> str | None:
    """Push ``commit`` to ``ref`` and to each of ``tags`` (``:ref`` deletes one) in one
    atomic push, never forced; None when done, else git's reason."""
    refspecs = [
        f"{commit}:{ref}",
        *(tag if tag.startswith(":") else f"{commit}:{tag}" for tag in tags),
    ]
    result = subprocess.run(
        ["git", "push", "--quiet", "--atomic", remote, *refspecs],
        capture_output=True,
        check=False,
    )
    if result.returncode == 0:
        return None
    output = (result.stdout + result.stderr).decode(errors="replace")
    # An atomic push lists every ref it refused; the branch's line says why.
    short = ref.removeprefix("refs/heads/")
    about = [line for line in output.splitlines() if f"-> {short} (" in line]
    return reason("\n".join(about)) if about and _REJECTION.search(about[-1]) else reason(output)


def identity() -> dict[str, str]:
    """Who commits: the environment's GIT_AUTHOR_* if set, else the workflow's bot."""
    name = os.environ.get("GIT_AUTHOR_NAME", BOT_NAME)
    email = os.environ.get("GIT_AUTHOR_EMAIL", BOT_EMAIL)
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }


# -- trees -----------------------------------------------------------------------------


def write_tree(base: str | None, files: dict[str, Path], drop: str | None = None) -> str:
    """The tree of ``base`` (or an empty one) less the folder ``drop``, with ``files`` (path
    on the branch -> file here) in place; written with an index of its own, so the
    checkout's index and work tree are never touched."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if base:
            git("read-tree", base, env=env)
        if drop:
            git("rm", "--cached", "-r", "-q", "--ignore-unmatch", drop, env=env)
        names = sorted(files)
        paths = "".join(f"{files[name]}\n" for name in names).encode()
        blobs = git("hash-object", "-w", "--stdin-paths", input=paths).decode().split()
        pairs = zip(blobs, names, strict=True)
        entries = "".join(f"100644 {blob}\t{name}\n" for blob, name in pairs)
        git("update-index", "--add", "--index-info", input=entries.encode(), env=env)
        return git("write-tree", env=env).decode().strip()


def blob_of(commit: str | None, name: str) -> str | None:
    """The blob of ``name`` in ``commit``'s tree, None if there is none."""
    if not commit:
        return None
    listing = git("ls-tree", commit, "--", name).decode().split()
    return listing[2] if len(listing) >= 3 and listing[1] == "blob" else None


def tree_of(commit: str) -> str:
    return git("rev-parse", f"{commit}^{{tree}}").decode().strip()
