"""What the installed package carries besides its code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

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


# -- what `newsletter init` copies travels in the wheel ---------------------------------

PACKAGE_SOURCES = ("pyproject.toml", "README.md", "newsletter", "templates", "scripts")


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package built into a wheel from a copy of its sources (offline, with the test
    environment's setuptools) and installed on its own into a fresh folder."""
    work = tmp_path_factory.mktemp("wheel")
    sources = work / "sources"
    sources.mkdir()
    for name in PACKAGE_SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, sources / name, symlinks=True, ignore=IGNORED)
        else:
            shutil.copy2(source, sources / name)
    shutil.copytree(REPO / ".github" / "workflows", sources / ".github" / "workflows")
    built = work / "dist"
    pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(built), str(sources))
    (wheel,) = built.glob("newsletter-*.whl")
    target = work / "site"
    pip("install", "--no-deps", "--no-index", "--target", str(target), str(wheel))
    return target


def pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        check=True,
        capture_output=True,
        timeout=600,
    )


IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def run_installed(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m newsletter`` importing the package from ``site`` (its dependencies from
    the test environment), never from this repository."""
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(site)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_wheel_carries_the_templates_scripts_and_workflows_init_copies(
    installed_wheel: Path,
) -> None:
    skeleton = installed_wheel / "newsletter" / "skeleton"
    for name in ("email.html.j2", "desk/join.html.j2", "print/fonts/DejaVuSans.ttf"):
        copied = skeleton / "templates" / name
        assert not copied.is_symlink()
        assert copied.read_bytes() == (REPO / "templates" / name).read_bytes()
    assert (skeleton / "scripts" / "state_branch.py").is_file()
    assert (skeleton / "workflows" / "monthly.yml").is_file()
    assert (installed_wheel / "newsletter" / "project" / "kinds.yaml").is_file()


def test_init_from_the_installed_wheel_makes_a_project_that_checks(
    installed_wheel: Path, tmp_path: Path
) -> None:
    where = run_installed(installed_wheel, "--version", cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    made = run_installed(
        installed_wheel,
        "init",
        "shop",
        "--offline",
        *("--name", "Corner Shop", "--street", "1 Main St", "--city", "Portland"),
        *("--region", "OR", "--country", "US", "--timezone", "America/Los_Angeles"),
        *("--website", "https://corner.example.com", "--sender-name", "Corner Shop"),
        *("--sender-email", "news@corner.example.com", "--kind", "shop"),
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    shop = tmp_path / "shop"
    assert (shop / "templates" / "email.html.j2").read_bytes() == (
        REPO / "templates" / "email.html.j2"
    ).read_bytes()
    assert os.access(shop / "scripts" / "desk-pull.sh", os.X_OK)
    assert "cache-dependency-path: requirements.txt" in (
        shop / ".github" / "workflows" / "monthly.yml"
    ).read_text(encoding="utf-8")
    check = run_installed(installed_wheel, "check", "--strict", cwd=shop)
    assert check.returncode == 0, check.stderr


def test_the_editable_install_reads_the_skeleton_from_the_repository() -> None:
    from newsletter.skeleton import folder

    assert folder("templates").resolve() == (REPO / "templates").resolve()
    assert folder("workflows").resolve() == (REPO / ".github" / "workflows").resolve()
