"""Command line: the ``newsletter`` group and one module per group of commands.

Each module holds click code only: it reads options, calls one public library function and
prints what it returns. The shared options and error handling are in
:mod:`newsletter.cli.options`.
"""

from __future__ import annotations

import click

from newsletter.cli.build import build, check, preview
from newsletter.cli.cards import cards_command
from newsletter.cli.desk import desk, serve_command
from newsletter.cli.doctor import doctor_command
from newsletter.cli.engagement import engagement_command
from newsletter.cli.importing import import_command
from newsletter.cli.init import init_command
from newsletter.cli.keys import keys
from newsletter.cli.mail import mail
from newsletter.cli.print import print_command
from newsletter.cli.privacy import export_command, forget_command, retention_command
from newsletter.cli.referral import referral
from newsletter.cli.report import report_command
from newsletter.cli.send import send
from newsletter.cli.suppressions import suppressions
from newsletter.cli.welcome import welcome_command


@click.group()
@click.version_option(package_name="newsletter")
def main() -> None:
    """Build and deliver the monthly newsletter."""


for _command in (build, preview, check, send, suppressions, print_command, cards_command, referral):
    main.add_command(_command)
main.add_command(report_command)
main.add_command(serve_command)
main.add_command(desk)
main.add_command(import_command)
main.add_command(mail)
main.add_command(keys)
main.add_command(forget_command)
main.add_command(export_command)
main.add_command(retention_command)
main.add_command(init_command)
main.add_command(doctor_command)
main.add_command(welcome_command)
main.add_command(engagement_command)

__all__ = ["main"]
