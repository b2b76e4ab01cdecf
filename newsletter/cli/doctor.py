"""``newsletter doctor``: a thin wrapper over newsletter.project.doctor.diagnose."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from newsletter.cli.options import EXIT_LEFT_TO_RETRY, config_option, fails_cleanly


def _nameservers(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[tuple[str, int]]:
    from newsletter.project.dns import nameserver

    try:
        return [nameserver(value) for value in values]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("doctor")
@config_option
@click.option(
    "--offline", is_flag=True, help="Check the config and the secrets only: no DNS, no desk."
)
@click.option(
    "--nameserver",
    "nameservers",
    multiple=True,
    metavar="IP[:PORT]",
    callback=_nameservers,
    help="Ask this name server for the sender domain's records (default: the system's).",
)
@click.option(
    "--dkim-selector",
    "dkim_selectors",
    multiple=True,
    metavar="NAME",
    help="The selector of your DKIM key (NAME._domainkey.DOMAIN); SendGrid's: s1 and s2.",
)
@fails_cleanly
def doctor_command(
    config_path: Path,
    offline: bool,
    nameservers: list[tuple[str, int]],
    dkim_selectors: tuple[str, ...],
) -> None:
    """Check what must be set up before the first send: the config, the secrets (never
    shown), the sender domain's SPF, DKIM, DMARC and MX records, and the desk at its
    public address. Each line says what is wrong and how to fix it.

    Exit status: 0 when nothing is left to fix, 1 when something is.
    """
    from newsletter.project.dns import DnsLookup
    from newsletter.project.doctor import diagnose

    lookup = None if offline else DnsLookup(nameservers)
    report = diagnose(config_path, os.environ, lookup=lookup, dkim_selectors=dkim_selectors)
    for finding in report.findings:
        click.echo(finding.line())
    click.echo(report.summary())
    if report.to_fix:
        sys.exit(EXIT_LEFT_TO_RETRY)
