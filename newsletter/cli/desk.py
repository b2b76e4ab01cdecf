"""``newsletter serve`` and ``newsletter desk pull``: the desk, and its events into git.

Click wrappers over :func:`newsletter.desk.project.serve_desk` and
:func:`newsletter.desk.project.pull_desk`; every setting has its default in the config's
``desk:`` section.
"""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli.options import config_option, fails_cleanly, secret_env, settings_of, warn
from newsletter.config.files import DESK_QUARANTINE_FILE

LISTED = 20
"""Events set aside that the output names one by one; the file holds them all."""

inbox_option = click.option(
    "--inbox",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The desk's inbox file (default: desk.database).",
)


@click.command("serve")
@config_option
@click.option(
    "--public-url",
    envvar="NEWSLETTER_DESK_URL",
    help="Where readers reach the desk (default: desk.public_url).",
)
@click.option("--host", help="The address to listen on (default: desk.host, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(0, 65535), help="The port to listen on (default: desk.port)."
)
@inbox_option
@click.option(
    "--proxies",
    envvar="NEWSLETTER_DESK_PROXIES",
    help="Reverse proxies whose X-Forwarded-For is believed, comma-separated "
    "(default: desk.proxies).",
)
@click.option(
    "--no-email",
    is_flag=True,
    help="Send no emails now (a look at the pages without a transport): notices and "
    "confirmations wait in the outbox for a run with one.",
)
@fails_cleanly
def serve_command(
    config_path: Path,
    public_url: str | None,
    host: str | None,
    port: int | None,
    inbox: Path | None,
    proxies: str | None,
    no_email: bool,
) -> None:
    """Serve the desk: unsubscribes, referral leads, sign-ups, SendGrid events (Ctrl+C stops)."""
    from newsletter.desk.project import serve_desk

    settings = settings_of(config_path)
    serve_desk(
        settings,
        public_url=public_url,
        host=host,
        port=port,
        inbox=inbox,
        proxies=proxies,
        email=not no_email,
        environ=secret_env(settings),
    )


@click.group("desk")
def desk() -> None:
    """The desk's events (unsubscribes, leads, sign-ups) into the files in git."""


@desk.command("pull")
@config_option
@click.option(
    "--from",
    "url",
    help="The desk's https address (default: as desk.pull_from says); the admin token is "
    "read from NEWSLETTER_DESK_TOKEN.",
)
@inbox_option
@click.option(
    "--page-size",
    default=500,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Events fetched from the desk at a time.",
)
@fails_cleanly
def pull_command(config_path: Path, url: str | None, inbox: Path | None, page_size: int) -> None:
    """Apply the desk's new events to suppressions, subscribers and referrals."""
    from newsletter.desk.project import pull_desk

    settings = settings_of(config_path)
    report = pull_desk(settings, url=url, inbox=inbox, page_size=page_size)
    for warning in report.warnings:
        warn(warning)
    for event_id, kind, reason in report.set_aside[:LISTED]:
        warn(f"desk event {event_id} ({kind}) set aside: {reason}")
    if len(report.set_aside) > LISTED:
        warn(f"… and {len(report.set_aside) - LISTED:,} more events set aside")
    if report.set_aside:
        warn(
            f"{len(report.set_aside):,} desk events set aside: review them in "
            f"{settings.subscribers_dir / DESK_QUARANTINE_FILE}"
        )
    flagged = f" ({report.flagged} with no referrer)" if report.flagged else ""
    click.echo(
        f"desk: {report.events} events: {report.suppressions} suppressions, "
        f"{report.subscribers} subscribers, {report.leads} leads{flagged}, {report.statuses} "
        f"lead updates, {report.email_events} email events, {report.visits} page visits, "
        f"{len(report.set_aside)} set aside (cursor {report.cursor})"
    )
    if report.held or report.decisions or report.rewards:
        click.echo(
            f"referrals: {report.held} leads flagged (`newsletter referral list` says why), "
            f"{report.decisions} reward decisions, {report.rewards} rewards reached and "
            "pending approval (`newsletter referral rewards`)"
        )
