"""``python -m newsletter.desk serve``: the desk's command until ``newsletter serve`` exists.

The command is a thin wrapper: the project's config and the environment make the desk's
settings (:func:`newsletter.desk.settings.desk_settings`), and :func:`serve` runs it.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import click

from newsletter.config import load_config
from newsletter.errors import NewsletterError


@click.group()
def main() -> None:
    """The desk: the web service that listens for unsubscribes, leads and sign-ups."""


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="newsletter.yaml",
    show_default=True,
    envvar="NEWSLETTER_CONFIG",
)


@main.command("serve")
@config_option
@click.option(
    "--public-url",
    envvar="NEWSLETTER_DESK_URL",
    required=True,
    help="Where readers reach the desk, e.g. https://desk.example.com/.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--inbox",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The inbox file (default: state/desk/inbox.sqlite).",
)
@click.option(
    "--forwarded-allow-ips",
    envvar="NEWSLETTER_DESK_PROXIES",
    default="127.0.0.1",
    show_default=True,
    help="Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses).",
)
@click.option(
    "--contact-within",
    type=click.FloatRange(min=0, min_open=True),
    default=24.0,
    show_default=True,
    help="Hours the business promises to call a lead within.",
)
@click.option(
    "--remind-after",
    type=click.FloatRange(min=0, min_open=True),
    default=20.0,
    show_default=True,
    help="Hours after which a lead not yet contacted is reminded.",
)
def serve_command(
    config_path: Path,
    public_url: str,
    host: str,
    port: int,
    inbox: Path | None,
    forwarded_allow_ips: str,
    contact_within: float,
    remind_after: float,
) -> None:
    """Serve the desk (Ctrl+C stops it)."""
    from newsletter.deliver.factory import make_transport
    from newsletter.desk.serve import serve
    from newsletter.desk.settings import desk_settings

    try:
        settings = load_config(config_path)
        desk = desk_settings(
            settings,
            public_url=public_url,
            inbox=inbox,
            transport=lambda: make_transport(settings),
        )
        make_transport(settings).close()  # a missing key stops here, not at the first lead
        desk = dataclasses.replace(
            desk,
            contact_within=timedelta(hours=contact_within),
            remind_after=timedelta(hours=remind_after),
        )
    except NewsletterError as exc:
        _fail(exc)
    serve(desk, host=host, port=port, forwarded_allow_ips=forwarded_allow_ips)


@main.command("pull")
@config_option
@click.option(
    "--from",
    "desk_url",
    envvar="NEWSLETTER_DESK_URL",
    help="The desk's address (https); the admin token is read from NEWSLETTER_DESK_TOKEN.",
)
@click.option(
    "--inbox",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the desk's inbox file instead (a desk on this machine).",
)
@click.option(
    "--page-size",
    default=500,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Events fetched and applied at a time.",
)
def pull_command(
    config_path: Path, desk_url: str | None, inbox: Path | None, page_size: int
) -> None:
    """Apply the desk's new events to suppressions, subscribers and referrals."""
    from newsletter.desk.pull import FileSource, HttpSource, pull
    from newsletter.desk.settings import admin_token_from_env

    try:
        settings = load_config(config_path)
        if desk_url and not inbox:
            source: FileSource | HttpSource = HttpSource(desk_url, admin_token_from_env(os.environ))
        else:
            source = FileSource(inbox or settings.state_dir / "desk" / "inbox.sqlite")
        report = pull(
            source,
            subscribers_dir=settings.subscribers_dir,
            state_dir=settings.state_dir,
            tz=settings.tz,
            country=settings.config.business.address.country,
            page_size=page_size,
        )
    except NewsletterError as exc:
        _fail(exc)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"desk: {report.events} events: {report.suppressions} suppressions, "
        f"{report.subscribers} subscribers, {report.leads} leads, {report.statuses} lead "
        f"updates, {report.email_events} email events, {report.visits} page visits "
        f"(cursor {report.cursor})"
    )


def _fail(exc: NewsletterError) -> NoReturn:
    for line in exc.all_lines():
        click.echo(f"newsletter: {line}", err=True)
    sys.exit(2)


if __name__ == "__main__":
    main()
