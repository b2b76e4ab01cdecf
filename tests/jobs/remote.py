"""The stand-ins for GitHub's side of a workflow run: a bare repository as the project's
remote, and a runner's environment (no git identity, a plain ``python3``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PERSON = ("-c", "user.name=Pat Owner", "-c", "user.email=pat@example.com")
"""A person's identity, for commits the tests make as the business would."""


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout


@dataclass
class Remote:
    """A bare repository standing in for the project's repository on GitHub."""

    path: Path

    @classmethod
    def create(cls, path: Path, project: Path) -> Remote:
        """A remote whose ``main`` holds ``project`` (committed by a person)."""
        git(path.parent, "init", "--quiet", "--bare", "--initial-branch=main", str(path))
        git(path, "config", "uploadpack.allowReachableSHA1InWant", "true")  # as GitHub
        git(project, "init", "--quiet", "--initial-branch=main")
        git(project, "add", "--all")
        git(project, *PERSON, "commit", "--quiet", "-m", "the newsletter")
        git(project, "push", "--quiet", str(path), "main")
        shutil.rmtree(project / ".git")
        return cls(path)

    @property
    def url(self) -> str:
        return self.path.as_uri()

    def head(self, branch: str) -> str | None:
        found = git(self.path, "for-each-ref", "--format=%(objectname)", f"refs/heads/{branch}")
        return found.strip() or None

    def rev(self, ref: str) -> str:
        return git(self.path, "rev-parse", "--verify", f"{ref}^{{commit}}").strip()

    def branches(self) -> list[str]:
        return git(self.path, "for-each-ref", "--format=%(refname:short)", "refs/heads").split()

    def show(self, ref: str, path: str) -> bytes:
        done = subprocess.run(
            ["git", "show", f"{ref}:{path}"], cwd=self.path, capture_output=True, check=True
        )
        return done.stdout

    def changed(self, ref: str) -> list[str]:
        """The files the commit ``ref`` changed."""
        return git(self.path, "diff-tree", "--no-commit-id", "--name-only", "-r", ref).split()

    def commit(
        self, work: Path, branch: str, change: Callable[[Path], object], message: str
    ) -> str:
        """Commit ``change`` (made in a clone at ``work``) on top of ``branch`` as a person."""
        if not work.exists():
            git(work.parent, "clone", "--quiet", "--branch", branch, self.url, str(work))
        git(work, "pull", "--quiet", "--ff-only")
        change(work)
        git(work, "add", "--all")
        git(work, *PERSON, "commit", "--quiet", "-m", message)
        git(work, "push", "--quiet", "origin", f"HEAD:{branch}")
        return git(work, "rev-parse", "HEAD").strip()

    def refuse_pushes(self, reason: str, refs: str = "*") -> None:
        """A server-side hook that declines pushes to ``refs`` (a shell pattern), as a
        branch rule does."""
        hook = self.path / "hooks" / "pre-receive"
        hook.write_text(
            "#!/bin/sh\n"
            "while read old new ref; do\n"
            f"  case \"$ref\" in {refs}) echo '{reason}' >&2; exit 1;; esac\n"
            "done\n"
        )
        hook.chmod(0o755)

    def allow_pushes(self) -> None:
        (self.path / "hooks" / "pre-receive").unlink()


def runner_environment(root: Path) -> dict[str, str]:
    """A runner's environment: no git identity anywhere, and first on PATH the interpreter
    setup-python would give (without the newsletter package). Its home is in ``root``."""
    home = root / "home"
    bin_dir = root / "python-bin"
    if not bin_dir.exists():
        bin_dir.mkdir(parents=True)
        base = Path(sys.base_prefix) / "bin" / f"python3.{sys.version_info.minor}"
        for name in ("python", "python3"):
            (bin_dir / name).symlink_to(base)
    home.mkdir(exist_ok=True)
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "TMPDIR") if k in os.environ}
    return {
        **keep,
        "PATH": f"{bin_dir}{os.pathsep}{keep.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / "no-gitconfig"),
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "user.useConfigOnly",
        "GIT_CONFIG_VALUE_0": "true",
        "CI": "true",
    }
