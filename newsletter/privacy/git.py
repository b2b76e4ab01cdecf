"""The git commands sealing needs: which files are sealed, a stored blob, the filter's
registration. Each failure is one PrivacyError with git's own reason."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from newsletter.errors import PrivacyError

FILTER = "newsletter-sealed"
"""The name of the filter and diff driver in ``.gitattributes`` and ``.git/config``."""
FRESH = "NEWSLETTER_SEAL_FRESH"
"""Set for git's filter when every file must be sealed anew (the readers changed)."""


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> bytes:
    """git's stdout for ``args`` run in ``repo``; a failure is a PrivacyError."""
    try:
        result = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            env={**os.environ, **(env or {})},
            check=False,
        )
    except FileNotFoundError:
        raise PrivacyError("git is not installed; sealed files need it") from None
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
        raise PrivacyError(f"git {args[0]}: {lines[-1]}", path=repo)
    return result.stdout


def top(folder: Path) -> Path:
    """The top of the git working tree that holds ``folder``."""
    return Path(git(folder, "rev-parse", "--show-toplevel").decode().strip())


def blob(repo: Path, spec: str) -> bytes | None:
    """The stored bytes of ``spec`` (``:path`` in the index, ``HEAD:path``), None if there
    are none."""
    result = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "blob", spec], capture_output=True, check=False
    )
    return result.stdout if result.returncode == 0 else None


def sealed_paths(repo: Path) -> list[str]:
    """The tracked files whose attributes name the seal's filter (relative to ``repo``)."""
    tracked = git(repo, "ls-files", "-z").split(b"\0")
    names = [n.decode() for n in tracked if n]
    if not names:
        return []
    listing = subprocess.run(
        ["git", "-C", str(repo), "check-attr", "-z", "--stdin", "filter"],
        input=b"\0".join(n.encode() for n in names) + b"\0",
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    # -z output: path, attribute, value, path, attribute, value, …
    triples = zip(listing[0::3], listing[1::3], listing[2::3], strict=False)
    return [p.decode() for p, _, value in triples if value.decode() == FILTER]


def register_filter(repo: Path) -> None:
    """Make git seal on the way in, open on the way out, and diff in plain text, with
    this Python (the repository's .git/config, never a global one)."""
    command = f"{shlex.quote(sys.executable)} -m newsletter.privacy.gitfilter"
    settings = {
        f"filter.{FILTER}.clean": f"{command} clean %f",
        f"filter.{FILTER}.smudge": f"{command} smudge %f",
        f"filter.{FILTER}.required": "true",
        f"diff.{FILTER}.textconv": f"{command} textconv",
        f"diff.{FILTER}.binary": "true",
    }
    for key, value in settings.items():
        git(repo, "config", "--local", key, value)


def unregister_filter(repo: Path) -> None:
    for section in (f"filter.{FILTER}", f"diff.{FILTER}"):
        subprocess.run(
            ["git", "-C", str(repo), "config", "--local", "--remove-section", section],
            capture_output=True,
            check=False,
        )


def reseal(repo: Path, paths: list[str]) -> None:
    """Stage ``paths`` sealed anew to the current readers (the index then holds them)."""
    if paths:
        git(repo, "add", "--renormalize", "--", *paths, env={FRESH: "1"})
