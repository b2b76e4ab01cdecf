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
from typing import TYPE_CHECKING, Any, TypeVar

import click

from newsletter.config import Settings, load_config
from newsletter.errors import NewsletterError

if TYPE_CHECKING:
    from newsletter.deliver.send import SendReport

F = TypeVar("F", bound=Callable[..., Any])

EXIT_USER_ERROR = 2
EXIT_LEFT_TO_RETRY = 1  # a send that left recipients failed or uncertain


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
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@_fails_cleanly
def preview(config_path: Path, month: str, out_root: Path, host: str, port: int) -> None:
    """Serve the built month on localhost to look at it in a browser."""
    from newsletter.preview import built_month, serve

    _settings(config_path)  # a preview of a broken config would mislead
    out_dir = built_month(out_root, month)
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


@main.command()
@config_option
@month_option
@out_option
@click.option("--yes", is_flag=True, help="Really send (without it: a dry run).")
@click.option("--test", "test_to", default="", help="Send [TEST] copies to a@x,b@y only.")
@click.option("--limit", type=click.IntRange(min=1), help="Send to the next N only.")
@click.option("--resend-uncertain", is_flag=True, help="Resend batches cut off mid-flight.")
@click.option(
    "--retry-rejected", is_flag=True, help="Try again recipients refused for good before."
)
@click.option("--silent", is_flag=True, help="No progress bar.")
@_fails_cleanly
def send(
    config_path: Path,
    month: str,
    out_root: Path,
    yes: bool,
    test_to: str,
    limit: int | None,
    resend_uncertain: bool,
    retry_rejected: bool,
    silent: bool,
) -> None:
    """Deliver the built month by email: a dry run unless --yes.

    Exit status: 0 when everyone addressed was sent (or refused for good), 1 when some
    are left for the next run (failed) or uncertain, 2 when an error stopped the send.
    """
    from newsletter.audience.tokens import secret_from_env
    from newsletter.deliver.factory import make_transport
    from newsletter.deliver.ledger import Ledger
    from newsletter.deliver.send import sample_message, send_issue, send_test
    from newsletter.fsutil import PRIVATE, atomic_write
    from newsletter.progress import progress_bar

    settings = _settings(config_path)
    secret = secret_from_env()
    if test_to:
        addresses = [a.strip() for a in test_to.split(",") if a.strip()]
        transport = make_transport(settings)
        try:
            count = send_test(
                settings,
                month,
                out_root=out_root,
                transport=transport,
                secret=secret,
                addresses=addresses,
            )
        finally:
            transport.close()
        click.echo(f"sent {count} test copies (the ledger is untouched)")
        return
    with Ledger(settings.state_dir / "ledger.sqlite") as ledger:
        deliver = functools.partial(
            send_issue,
            settings,
            month,
            out_root=out_root,
            ledger=ledger,
            secret=secret,
            limit=limit,
            resend_uncertain=resend_uncertain,
            retry_rejected=retry_rejected,
        )
        if not yes:
            report = deliver(transport=None)
            sample = settings.state_dir / "preview" / f"{month}-client.eml"
            atomic_write(
                sample,
                sample_message(settings, month, out_root=out_root, secret=secret),
                mode=PRIVATE,
            )
            _print_report(report, dry_run=True)
            click.echo(f"sample message: {sample}")
            click.echo("dry run: nothing sent; add --yes to send")
            return
        transport = make_transport(settings)
        try:
            with progress_bar("sending", unit="recipients", silent=silent) as bar:
                report = deliver(transport=transport, on_batch=bar.advance, on_plan=bar.set_total)
        finally:
            transport.close()
    _print_report(report, dry_run=False)
    if report.failed or report.newly_uncertain:
        sys.exit(EXIT_LEFT_TO_RETRY)


def _print_report(report: SendReport, *, dry_run: bool) -> None:
    verb = "would send" if dry_run else "sent"
    segments = ", ".join(f"{n} {segment}" for segment, n in report.by_segment.items()) or "none"
    total = sum(report.by_segment.values()) if dry_run else report.sent
    click.echo(f"{report.month}: {verb} {total} ({segments})")
    before = (
        f", {report.done_otherwise} rejected or uncertain before" if report.done_otherwise else ""
    )
    click.echo(
        f"skipped: {report.already_sent} already sent{before}, {report.suppressed} suppressed, "
        f"{report.not_email} post only"
    )
    if report.rejected or report.failed:
        click.echo(
            f"not sent: {report.rejected} rejected for good, {report.failed} to retry "
            "(run the send again; --retry-rejected once their cause is fixed)"
        )
    for email, status, reason in report.problems:
        click.echo(f"  {status}: {email}: {reason}")
    if report.uncertain:
        click.echo(
            f"uncertain: {len(report.uncertain)} recipients of a batch cut off mid-flight "
            "(not resent; use --resend-uncertain after checking the provider's activity)"
        )


@main.group()
def suppressions() -> None:
    """Keep subscribers/suppressions.csv in step with the email provider."""


@suppressions.command("sync")
@config_option
@_fails_cleanly
def suppressions_sync(config_path: Path) -> None:
    """Pull bounces, blocks, spam reports and unsubscribes from SendGrid into the CSV."""
    from newsletter.deliver.factory import sync_suppressions

    added = sync_suppressions(_settings(config_path))
    click.echo(f"suppressions: {added} new")


def _add_command_modules() -> None:
    # Imported last: those modules reuse the options and error handling defined above.
    from newsletter.commands.print import print_command
    from newsletter.commands.referral import referral
    from newsletter.commands.report import report_command

    main.add_command(referral)
    main.add_command(print_command)
    main.add_command(report_command)


_add_command_modules()


if __name__ == "__main__":  # pragma: no cover
    main()
