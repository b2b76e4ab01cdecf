"""``newsletter suppressions sync``: subscribers/suppressions.csv in step with SendGrid."""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli.options import config_option, fails_cleanly, settings_of, warn


@click.group()
def suppressions() -> None:
    """Keep subscribers/suppressions.csv in step with the email provider."""


@suppressions.command("sync")
@config_option
@fails_cleanly
def suppressions_sync(config_path: Path) -> None:
    """Pull bounces, blocks, spam reports and unsubscribes from SendGrid into the CSV."""
    from newsletter.audience.suppressions import kept_verbatim
    from newsletter.engage.provider_suppressions import sync_suppressions

    added, odd = sync_suppressions(settings_of(config_path))
    for email, source in odd:
        what = "kept as written" if kept_verbatim(email) else "left out: not an address"
        warn(f"{source}: {email!r} is not an address we can read; {what}")
    click.echo(f"suppressions: {added} new")
