"""``newsletter build``, ``preview`` and ``check``: the issue before anything is sent."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import click

from newsletter.cli.options import (
    config_option,
    fails_cleanly,
    month_option,
    out_option,
    settings_of,
    warn,
)


@click.command()
@config_option
@month_option
@out_option
@click.option("--strict", is_flag=True, help="Treat every warning as an error.")
@click.option("--offline", is_flag=True, help="Use saved snapshots and cache; no network.")
@fails_cleanly
def build(config_path: Path, month: str, out_root: Path, strict: bool, offline: bool) -> None:
    """Build build/YYYY-MM/: email (HTML and text), web pages and the manifest."""
    from newsletter.pipeline.build import build as run_build

    result = run_build(
        settings_of(config_path), month, out_root=out_root, strict=strict, offline=offline
    )
    for message in result.warnings:
        warn(message)
    if result.left_out:
        click.echo(f"note: {result.left_out}", err=True)
    origins = ", ".join(f"{slug}: {origin}" for slug, origin in result.feeds.items())
    if origins:
        click.echo(f"feeds: {origins}")
    click.echo(f"built {result.issue.title} -> {result.out_dir} ({len(result.outputs)} files)")


@click.command()
@config_option
@month_option
@out_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@fails_cleanly
def preview(config_path: Path, month: str, out_root: Path, host: str, port: int) -> None:
    """Serve the built month on localhost to look at it in a browser."""
    from newsletter.pipeline.preview import built_month, serve

    settings_of(config_path)  # a preview of a broken config would mislead
    out_dir = built_month(out_root, month)
    with serve(out_dir, host=host, port=port) as url:
        click.echo(f"serving {out_dir} at {url}  (its front page links the email of each")
        click.echo(f"segment, as HTML and text, and the web page: {url}web/)")
        click.echo("press Ctrl+C to stop")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("stopped")


@click.command()
@config_option
@month_option
@click.option("--strict", is_flag=True, help="Treat every warning as an error.")
@fails_cleanly
def check(config_path: Path, month: str, strict: bool) -> None:
    """Validate config, content, templates and subscribers without building, and remind
    of content that runs out within six weeks (the offer, the next quarter's card)."""
    from newsletter.pipeline.check import check_all
    from newsletter.project.ahead import reminders

    settings = settings_of(config_path)
    report = check_all(settings, month, strict=strict)
    for message in report.warnings:
        warn(message)
    for message in report.notes:
        click.echo(f"note: {message}", err=True)
    for message in reminders(settings, date.today()):
        click.echo(f"reminder: {message}", err=True)
    for line in report.summary:
        click.echo(line)
    for line in report.address_diff:
        click.echo(line)
    click.echo("ok")
