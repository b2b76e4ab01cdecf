"""The sent issues on the state branch: to and from ``build/``, and the web archive.

Used by ``state_branch.py``; only git and the standard library.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tarfile
import tempfile
from pathlib import Path

from state_git import git

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
ISSUES = "issues"


class IssueError(Exception):
    """A build or an archive that cannot be used; ``str()`` says which file and why."""


def extract_issues(commit: str, build_dir: Path) -> list[str]:
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


def issue_files(build_dir: Path, month: str) -> dict[str, Path]:
    """The build's manifest and every output it lists, by their path on the branch."""
    folder = build_dir / month
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise IssueError(f"{manifest_path}: no build to save")
    outputs = json.loads(manifest_path.read_text(encoding="utf-8")).get("outputs", {})
    files = {f"{ISSUES}/{month}/manifest.json": manifest_path}
    for name in outputs:
        path = folder / name
        if not path.is_file():
            raise IssueError(f"{path}: listed in {manifest_path} but missing")
        files[f"{ISSUES}/{month}/{name}"] = path
    return files


def site(build_dir: Path, out: Path) -> str:
    """Lay out every built issue's web/ for GitHub Pages; returns a summary."""
    months = sorted(
        p.parent.parent.name
        for p in build_dir.glob("*/web/index.html")
        if MONTH.match(p.parent.parent.name)
    )
    if not months:
        raise IssueError(f"no built issue with a web page under {build_dir}/")
    if out.exists():
        shutil.rmtree(out)
    for month in months:
        shutil.copytree(build_dir / month / "web", out / month)
    newest = build_dir / months[-1] / "web"
    shutil.copyfile(newest / "archive.html", out / "index.html")
    for name in ("archive.html", "feed.xml"):
        shutil.copyfile(newest / name, out / name)
    return f"site in {out}/: {len(months)} issues, newest {months[-1]}"


def _existing_parent(path: Path) -> Path:
    path = path.resolve()
    while not path.exists():
        path = path.parent
    return path
