"""``newsletter forget`` and ``newsletter export``: one person's data, erased or written out."""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli.options import config_option, fails_cleanly, out_option, settings_of
from newsletter.privacy.forget import HISTORY_NOTE, export, forget

who_argument = click.argument("who", metavar="EMAIL|PHONE|LEAD-ID")


@click.command("forget")
@who_argument
@click.option("--yes", is_flag=True, help="Really forget them (without it: a dry run).")
@config_option
@out_option
@fails_cleanly
def forget_command(who: str, yes: bool, config_path: Path, out_root: Path) -> None:
    """Erase one person from the lists, the ledgers, the desk's inbox and the build
    folders, keeping a suppression (a keyed hash) that still stops mail to them."""
    from newsletter.audience.tokens import secret_from_env

    done = forget(settings_of(config_path), who, secret_from_env(), yes=yes, out_root=out_root)
    verb = "" if done.done else "would be "
    if not done.findings:
        click.echo(f"nothing held about {who} here")
    for finding in done.findings:
        click.echo(f"{finding.place}: {verb}{finding.change}")
    if done.suppressed:
        click.echo(f"suppressions: {verb}kept as a keyed hash, so nothing is sent to them again")
    click.echo(f"note: {HISTORY_NOTE}")
    if not done.done:
        click.echo("dry run: nothing changed; run again with --yes to forget them")


@click.command("export")
@who_argument
@click.option(
    "--to",
    "to",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The JSON file to write (readable by you only).",
)
@config_option
@out_option
@fails_cleanly
def export_command(who: str, to: Path, config_path: Path, out_root: Path) -> None:
    """Write everything held about one person to one JSON file (a subject access request)."""
    from newsletter.audience.tokens import secret_from_env

    findings = export(settings_of(config_path), who, secret_from_env(), to=to, out_root=out_root)
    click.echo(f"exported {len(findings)} place(s) holding {who} to {to}")


@click.command("retention")
@click.option("--yes", is_flag=True, help="Really anonymize (without it: a dry run).")
@config_option
@fails_cleanly
def retention_command(yes: bool, config_path: Path) -> None:
    """Anonymize personal data kept longer than `retention:` in the config allows."""
    from datetime import date

    from newsletter.audience.tokens import secret_from_env
    from newsletter.privacy.retention import apply_retention

    settings = settings_of(config_path)
    done = apply_retention(settings, secret_from_env(), yes=yes, today=date.today())
    if not done.changes:
        click.echo(
            "retention: nothing set in the config's retention section; nothing kept is changed"
        )
    verb = "" if done.done else "would be "
    for place, count, what, how in done.changes:
        click.echo(f"{place}: {count} {what} {verb}{how}")
    if not done.done:
        click.echo("dry run: nothing changed; run again with --yes")
