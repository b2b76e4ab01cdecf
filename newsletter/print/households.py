"""One copy per household (``print.one_per_household``): the readers at one door share it.

A door is :func:`newsletter.audience.standard.delivery_point`: the street, the unit and the
ZIP as Publication 28 writes them, so "123 North Main Street Apartment 4" and "123 N Main
St #4" are one household and "Apt 4" and "Apt 5" of one building are two. The copy goes to
the door's first reader in the list's order: their referral code, link and progress line
are on it. It carries every tag of its readers (a block for any of them is worth printing)
and each kind of fact once (the first reader's first).

The name on the copy and the greeting are the business's words, from
``templates/print/partials/household.txt.j2``: rendered with ``readers`` (each one's
``first_name``, ``last_name``, ``name`` and ``company``), ``last_name`` (the name they all
share, "" when they do not) and ``line``: ``"address"`` for the name line of the address
block ("The Nguyen family"), ``"greeting"`` for the name in "Hi …," ("Anh and Bao").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import jinja2

from newsletter.audience.standard import delivery_point
from newsletter.config import Settings
from newsletter.errors import TemplateError
from newsletter.print.postal import address_lines
from newsletter.render.environment import render_template, site_context

if TYPE_CHECKING:  # the mailing list merges its copies here
    from newsletter.print.mailing import MailRecipient

HOUSEHOLD_TEMPLATE = "print/partials/household.txt.j2"


def one_per_household(
    recipients: Sequence[MailRecipient], settings: Settings, env: jinja2.Environment
) -> tuple[MailRecipient, ...]:
    """``recipients`` with the readers of each door merged into one copy, in the order of
    each door's first reader."""
    doors: dict[str, list[MailRecipient]] = {}
    for recipient in recipients:
        doors.setdefault(delivery_point(recipient.address), []).append(recipient)
    if all(len(readers) == 1 for readers in doors.values()):
        return tuple(recipients)
    path = settings.templates_dir / HOUSEHOLD_TEMPLATE
    if not path.is_file():
        raise TemplateError(
            "not found: print.one_per_household names each household's copy with it "
            "(write it, or turn the setting off)",
            path=path,
        )
    base = site_context(settings, web_url=settings.config.web.base_url)
    home = settings.address.country
    return tuple(
        readers[0] if len(readers) == 1 else _household(readers, base, env, home)
        for readers in doors.values()
    )


def _household(
    readers: Sequence[MailRecipient], base: dict[str, Any], env: jinja2.Environment, home: str
) -> MailRecipient:
    first = readers[0]
    last_names = {r.last_name.strip().casefold() for r in readers}
    shared = first.last_name.strip() if len(last_names) == 1 else ""
    context = {
        **base,
        "readers": [
            {
                "first_name": r.first_name,
                "last_name": r.last_name,
                "name": r.name,
                "company": r.company,
            }
            for r in readers
        ],
        "last_name": shared,
    }
    addressee = _words(env, {**context, "line": "address"}, first)
    greeting = _words(env, {**context, "line": "greeting"}, first)
    companies = {r.company for r in readers}
    company = first.company if len(companies) == 1 else ""
    facts, kinds = [], set()
    for reader in readers:
        for fact in reader.facts:
            if fact.key not in kinds:
                kinds.add(fact.key)
                facts.append(fact)
    return replace(
        first,
        first_name=greeting,
        last_name=shared or first.last_name,
        company=company,
        lines=address_lines(addressee, company, first.address, home_country=home),
        tags=tuple(dict.fromkeys(tag for r in readers for tag in r.tags)),
        facts=tuple(facts),
        addressee=addressee,
        readers=tuple(r.email for r in readers),
    )


def _words(env: jinja2.Environment, context: dict[str, Any], first: MailRecipient) -> str:
    text = " ".join(render_template(env, HOUSEHOLD_TEMPLATE, context).split())
    if not text:
        raise TemplateError(
            f"gives no {context['line']} name for the household of {first.email} "
            f"({first.source}:{first.line})",
            path=HOUSEHOLD_TEMPLATE,
        )
    return text
