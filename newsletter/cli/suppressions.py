"""``newsletter suppressions sync``: subscribers/suppressions.csv in step with SendGrid."""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli.options import config_option, fails_cleanly, settings_of


@click.group()
def suppressions() -> None:
    """Keep subscribers/suppressions.csv in step with the email provider."""


@suppressions.command("sync")
@config_option
@fails_cleanly
def suppressions_sync(config_path: Path) -> None:
    """Pull bounces, blocks, spam reports and unsubscribes from SendGrid into the CSV."""
    from newsletter.deliver.factory import sync_suppressions

    added = sync_suppressions(settings_of(config_path))
    click.echo(f"suppressions: {added} new")
