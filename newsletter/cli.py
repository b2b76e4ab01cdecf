"""Command line: thin click wrappers over the library functions.

Every NewsletterError is caught here, printed as one line per problem and exits with 2.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from newsletter.config import Settings, load_config
from newsletter.errors import NewsletterError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_USER_ERROR = 2


def _fails_cleanly(command: F) -> F:
    """Turn the project's errors into ``newsletter: <one line>`` and exit status 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NewsletterError as exc:
            for line in exc.all_lines():
                click.echo(f"newsletter: {line}", err=True)
            sys.exit(EXIT_USER_ERROR)

    return wrapper  # type: ignore[return-value]


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="newsletter.yaml",
    show_default=True,
    envvar="NEWSLETTER_CONFIG",
    help="The newsletter's config; content, templates and subscribers resolve next to it.",
)
month_option = click.option(
    "--month",
    default=lambda: f"{date.today():%Y-%m}",
    show_default="this month",
    help="The issue month, YYYY-MM.",
)
out_option = click.option(
    "--out",
    "out_root",
    type=click.Path(file_okay=False, path_type=Path),
    default="build",
    show_default=True,
    help="Folder that holds one subfolder per built month.",
)


def _settings(config_path: Path) -> Settings:
    return load_config(config_path)


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


@click.group()
@click.version_option(package_name="newsletter")
def main() -> None:
    """Build and deliver the monthly newsletter."""


@main.command()
@config_option
@month_option
@out_option
@click.option("--strict", is_flag=True, help="Treat every warning as an error.")
@click.option("--offline", is_flag=True, help="Use saved snapshots and cache; no network.")
@_fails_cleanly
def build(config_path: Path, month: str, out_root: Path, strict: bool, offline: bool) -> None:
    """Build build/YYYY-MM/: email (HTML and text), web pages and the manifest."""
    from newsletter.build import build as run_build

    result = run_build(
        _settings(config_path), month, out_root=out_root, strict=strict, offline=offline
    )
    for message in result.warnings:
        _warn(message)
    origins = ", ".join(f"{slug}: {origin}" for slug, origin in result.feeds.items())
    if origins:
        click.echo(f"feeds: {origins}")
    click.echo(f"built {result.issue.title} -> {result.out_dir} ({len(result.outputs)} files)")


@main.command()
@config_option
@month_option
@out_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@_fails_cleanly
def preview(config_path: Path, month: str, out_root: Path, host: str, port: int) -> None:
    """Serve the built month on localhost to look at it in a browser."""
    from newsletter.preview import serve

    _settings(config_path)  # a preview of a broken config would mislead
    out_dir = out_root / month
    if not (out_dir / "manifest.json").is_file():
        raise NewsletterError(f"no build for {month}: run `newsletter build` first", path=out_dir)
    with serve(out_dir, host=host, port=port) as url:
        click.echo(f"serving {out_dir} at {url}  (email: {url}email.html, web: {url}web/)")
        click.echo("press Ctrl+C to stop")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("stopped")


@main.command()
@config_option
@month_option
@click.option("--strict", is_flag=True, help="Treat every warning as an error.")
@_fails_cleanly
def check(config_path: Path, month: str, strict: bool) -> None:
    """Validate config, content, templates and subscribers without building."""
    from newsletter.checks import check_all

    report = check_all(_settings(config_path), month, strict=strict)
    for message in report.warnings:
        _warn(message)
    for line in report.summary:
        click.echo(line)
    click.echo("ok")


if __name__ == "__main__":  # pragma: no cover
    main()
