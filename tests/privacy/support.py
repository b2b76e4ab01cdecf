"""A test business's project in a real git repository, sealed for its owner, and the
console script run as one person or another (each with a home of their own)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from newsletter.sealed import AGE_HEADER
from tests.project_factory import MONTH, NEWSLETTER, make_project

SECRET = "a-test-secret-long-enough-0123456789"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Owner",
    "GIT_AUTHOR_EMAIL": "owner@example.invalid",
    "GIT_COMMITTER_NAME": "Test Owner",
    "GIT_COMMITTER_EMAIL": "owner@example.invalid",
}


@dataclass(frozen=True)
class Person:
    """Someone with a home of their own (their key file lives there, if they have one)."""

    home: Path

    @property
    def key_file(self) -> Path:
        return self.home / ".config" / "newsletter" / "age-key.txt"

    def env(self, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSLETTER_", "XDG_"))}
        return {
            **base,
            **GIT_IDENTITY,
            "HOME": str(self.home),
            "NEWSLETTER_SECRET": SECRET,
            **extra,
        }

    def run(self, root: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        """The console script in ``root``, as this person."""
        return subprocess.run(
            [NEWSLETTER, *args],
            cwd=root,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=300,
        )

    def git(self, root: Path, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, env=self.env(), capture_output=True, text=True, check=True
        ).stdout

    def create_key(self) -> str:
        """A new key for this person; its recipient."""
        self.home.mkdir(parents=True, exist_ok=True)
        result = self.run(self.home, "keys", "create")
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def sealed_project(root: Path, owner: Person) -> Path:
    """A test business's project committed in git, its data files sealed for ``owner``."""
    make_project(root)
    owner.git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("build/\nstate/\n.*.lock\n.*.tmp\n", encoding="utf-8")
    owner.git(root, "add", "-A")
    owner.git(root, "commit", "-q", "-m", "the business")
    ok(owner.run(root, "keys", "add", "owner", owner.create_key()))
    owner.git(root, "commit", "-q", "-m", "sealed")
    return root


def clone(source: Path, target: Path, person: Person) -> Path:
    person.git(source.parent, "clone", "-q", str(source), str(target))
    return target


def stored(root: Path, person: Person, name: str, rev: str = "HEAD") -> bytes:
    """What git holds for ``name`` at ``rev``."""
    return subprocess.run(
        ["git", "cat-file", "blob", f"{rev}:{name}"],
        cwd=root,
        env=person.env(),
        capture_output=True,
        check=True,
    ).stdout


def is_age(data: bytes) -> bool:
    return data.startswith(AGE_HEADER)


__all__ = ["MONTH", "Person", "clone", "is_age", "ok", "sealed_project", "stored"]
