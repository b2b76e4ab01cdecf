"""What the benchmark scripts share (they import the installed package and this, never tests)."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE_PARTS = ("newsletter.yaml", "content", "templates", "subscribers")
"""The bundled sample newsletter: config, content, templates and its subscriber lists."""


def copy_sample(destination: Path) -> Path:
    """Copy the bundled sample newsletter (no state, no builds) into ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in SAMPLE_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, destination / part)
        else:
            shutil.copy2(source, destination / part)
    return destination
