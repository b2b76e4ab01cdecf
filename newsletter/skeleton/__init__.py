"""What ``newsletter init`` copies into a new project from this repository's own folders.

``templates``, ``scripts`` and ``workflows`` here are links to the repository's top-level
``templates/``, ``scripts/`` and ``.github/workflows/``: one copy of each file, which a
built wheel carries as package data (the links are followed when it is built) and an
editable install reads in place. (setuptools' ``package-dir`` mapping would need an
``__init__.py`` in each of those folders for an editable install to find them.)
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PARTS = ("templates", "scripts", "workflows")


def folder(part: str) -> Path:
    """The folder ``part`` (one of :data:`PARTS`) as the installed package holds it."""
    if part not in PARTS:
        raise ValueError(f"no skeleton part {part!r} (parts: {', '.join(PARTS)})")
    found = resources.files(__package__).joinpath(part)
    # The package is installed as files (a wheel or an editable install), never zipped.
    path = Path(str(found))
    if not path.is_dir():
        raise FileNotFoundError(f"the newsletter package has no {part}/ (a broken install?)")
    return path
