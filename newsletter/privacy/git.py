"""The git commands sealing needs: which files are sealed, a stored blob, the filter's
registration and the hooks that keep the opened files private. Each failure is one
PrivacyError with git's own reason.

git writes every file it checks out with the permissions the umask gives (0644 as a
rule), so an opened data file that a checkout, merge, rebase, reset or stash rewrites
would become readable by everyone on the machine. Hooks of ours, installed with the
filter, set the sealed files back to 0600 after each of those: post-checkout,
post-merge and post-rewrite, and post-index-change for the commands that run no other
hook (``git reset --hard``, ``git stash pop``). A hook the owner already has is never
overwritten: ours carry :data:`HOOK_MARKER`, and :func:`foreign_hooks` names the others.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from newsletter.errors import PrivacyError
from newsletter.fsutil import atomic_write

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
    install_hooks(repo)


def unregister_filter(repo: Path) -> None:
    for section in (f"filter.{FILTER}", f"diff.{FILTER}"):
        subprocess.run(
            ["git", "-C", str(repo), "config", "--local", "--remove-section", section],
            capture_output=True,
            check=False,
        )
    remove_hooks(repo)


HOOKS = ("post-checkout", "post-merge", "post-rewrite", "post-index-change")
HOOK_MARKER = "# newsletter-sealed: keeps the sealed data files 0600 (newsletter keys)"
"""The line that marks a hook as ours: installed, replaced and removed by the tool."""
PRIVATE_AGAIN = (
    f"git ls-files -z -- ':(top,attr:filter={FILTER})' | "
    """xargs -0 sh -c 'for f do [ -f "$f" ] && [ ! -L "$f" ] && chmod 600 "$f"; done; :' sh"""
)
"""The shell line that sets every sealed file present in the working tree to 0600 (git
runs a hook at the top of the working tree; a file not checked out is skipped)."""


def _hook_text(name: str) -> str:
    # post-index-change runs on every index write; "1" means the working tree changed.
    only_when = '[ "$1" = 1 ] || exit 0\n' if name == "post-index-change" else ""
    # A hook's exit status becomes the git command's: the hook never fails it.
    return f"#!/bin/sh\n{HOOK_MARKER}\n{only_when}{PRIVATE_AGAIN}\nexit 0\n"


def hook_path(repo: Path, name: str) -> Path:
    """Where git looks for the hook ``name`` (core.hooksPath honoured)."""
    return repo / git(repo, "rev-parse", "--git-path", f"hooks/{name}").decode().strip()


def _is_ours(path: Path) -> bool:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    return HOOK_MARKER in lines


def install_hooks(repo: Path) -> None:
    """Our hooks where there is none, or ours to bring up to date; another is left alone."""
    for name in HOOKS:
        path = hook_path(repo, name)
        if path.exists() and not _is_ours(path):
            continue
        text = _hook_text(name)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            atomic_write(path, text, mode=0o755)


def foreign_hooks(repo: Path) -> list[Path]:
    """The hooks of the owner's that stand where ours would go (they get
    :data:`PRIVATE_AGAIN` by hand)."""
    paths = [hook_path(repo, name) for name in HOOKS]
    return [p for p in paths if p.exists() and not _is_ours(p)]


def remove_hooks(repo: Path) -> None:
    for name in HOOKS:
        path = hook_path(repo, name)
        if _is_ours(path):
            path.unlink(missing_ok=True)


def reseal(repo: Path, paths: list[str]) -> None:
    """Stage ``paths`` sealed anew to the current readers (the index then holds them)."""
    if paths:
        git(repo, "add", "--renormalize", "--", *paths, env={FRESH: "1"})
