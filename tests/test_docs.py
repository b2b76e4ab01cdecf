"""The documentation site builds under --strict (a broken link or a page missing from the nav
is an error), and its reference pages list every command, option and config key the code
has: they are generated from the code, and these tests check that nothing slipped through."""

from __future__ import annotations

import html
import importlib.util
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import get_origin

import click
import pytest
from pydantic import BaseModel

from newsletter.cli import main
from newsletter.config.settings import Config
from newsletter.config.validation import Strict

REPO = Path(__file__).resolve().parent.parent
MKDOCS = Path(sys.executable).with_name("mkdocs")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(folder)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    return folder


@pytest.fixture(scope="module")
def reference_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference", REPO / "docs/hooks/reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def page_text(site: Path, page: str) -> str:
    """The page's HTML with tags removed and entities read, so words are found as shown."""
    markup = (site / page / "index.html").read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def commands(group: click.Group, path: str = "newsletter") -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield f"{path} {name}", command
        if isinstance(command, click.Group):
            yield from commands(command, f"{path} {name}")


def config_keys(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        yield key
        listed = get_origin(info.annotation) is tuple
        for inner in models_in(info.annotation):
            yield from config_keys(inner, f"{key}[]." if listed else f"{key}.")


def models_in(annotation: object) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in getattr(annotation, "__args__", ()):
        yield from models_in(argument)


def test_the_site_builds_under_strict(site: Path) -> None:
    assert (site / "index.html").is_file()


def test_every_command_and_option_is_in_the_command_reference(site: Path) -> None:
    markup = (site / "reference/commands/index.html").read_text(encoding="utf-8")
    text = page_text(site, "reference/commands")
    missing = []
    for path, command in commands(main):
        if f'id="{path.replace(" ", "-")}"' not in markup:
            missing.append(path)
        for parameter in command.params:
            if isinstance(parameter, click.Option) and not parameter.hidden:
                missing += [f"{path} {o}" for o in parameter.opts if o not in text]
    assert missing == []


def test_every_config_key_is_in_the_configuration_reference(site: Path) -> None:
    text = page_text(site, "reference/configuration")
    keys = list(config_keys(Config))
    assert "delivery.sendgrid.concurrency" in keys and "feeds[].url" in keys
    assert [key for key in keys if key not in text] == []


def test_the_performance_page_includes_the_benchmark_results(site: Path) -> None:
    results = (REPO / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    rows = [line for line in results.splitlines() if line.startswith("| ") and "`" in line]
    figure = rows[0].split("|")[1].strip()
    assert figure in page_text(site, "explanation/performance")


def test_a_config_key_without_a_docstring_stops_the_reference(reference_hook: ModuleType) -> None:
    class Undocumented(Strict):
        documented: int = 1
        """Says what it is."""
        silent: int = 2

    with pytest.raises(reference_hook.ReferenceError, match=r"without a docstring: top\.silent"):
        list(reference_hook.config_sections(Undocumented, "top", ""))


def test_a_name_in_the_code_without_a_description_stops_the_reference(
    reference_hook: ModuleType,
) -> None:
    with pytest.raises(reference_hook.ReferenceError, match=r"without a description: \['NEW'\]"):
        reference_hook.same_names("placeholders", {"OLD", "NEW"}, {"OLD"})
