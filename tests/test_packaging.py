"""What the installed package carries besides its code."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_package_ships_py_typed_so_users_type_checkers_read_its_hints() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert (REPO / "newsletter" / "py.typed").is_file()
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["newsletter"]


def test_the_console_script_is_the_cli_group() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"] == {"newsletter": "newsletter.cli:main"}


def test_the_public_api_names_the_library_functions_the_commands_call() -> None:
    import newsletter
    from newsletter.deliver.run import send_month
    from newsletter.pipeline.check import check_all
    from newsletter.print.job import print_edition

    assert (newsletter.send, newsletter.check) == (send_month, check_all)
    assert newsletter.print_edition is print_edition
    assert {name for name in newsletter.__all__ if getattr(newsletter, name) is None} == set()
