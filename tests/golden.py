"""Golden files: the fixture project's rendered output, checked in and reviewed by eye.

The fixture project (``tests/fixtures/project``) is the tests' own business: its config,
content and lists. The suite never reads the top-level sample, which belongs to whoever
adopts the tool and changes it (tests/conftest.py refuses the reads); its ``templates`` is a
link to the package's default templates, which are code.

Regenerate after a deliberate rendering change with ``make update-golden``
(``python -m tests.golden --update``), then review the diff before committing.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from newsletter.config import load_config
from newsletter.pipeline.build import BuildResult, build

REPO = Path(__file__).resolve().parent.parent
FIXTURE_PROJECT = REPO / "tests" / "fixtures" / "project"
GOLDEN_MONTH = "2026-11"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden" / GOLDEN_MONTH
GOLDEN_FILES = (
    "email.html",
    "email.txt",
    "segments/client/email.html",
    "segments/prospect/email.txt",
)
PROJECT_PARTS = ("newsletter.yaml", "content", "templates", "subscribers")


def copy_sample(destination: Path) -> Path:
    """Copy the fixture project (no state, no builds) into ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        source = FIXTURE_PROJECT / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        else:
            shutil.copy2(source, destination / part)
    return destination


def build_sample(workdir: Path, month: str = GOLDEN_MONTH) -> BuildResult:
    """Build the fixture project offline (its feed snapshots) in ``workdir``."""
    project = copy_sample(workdir / "project")
    settings = load_config(project / "newsletter.yaml")
    return build(settings, month, out_root=project / "build", offline=True)


def update() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = build_sample(Path(tmp))
        for name in GOLDEN_FILES:
            target = GOLDEN_DIR / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(result.out_dir / name, target)
            print(f"updated {target.relative_to(REPO)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.golden --update")
    update()
