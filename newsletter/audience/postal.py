"""Who can be reached by post: the subscribers whose channels include mail, less everyone a
suppression covers for the mail channel and everyone whose address came back, sorted for
the mail by postal code.

Email and post are separate consents. Email-only suppressions (unsubscribes, bounces,
complaints from the email provider) never take anyone off the post. Mail that came back
undeliverable holds a reader back while their address is the one that came back
(``returned-mail.csv``, :mod:`newsletter.audience.returned`); a ``bounce`` suppressed for
the ``mail`` channel marks it too, for good. Both are counted apart from the opt-outs. The
issue's mailing list and the quarterly cards both choose by this one rule.

A mail subscriber without street, city or postal code is an error naming the CSV line,
unless ``skip_incomplete`` is set: then the row is left off with a warning. Never a piece
with a blank address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from newsletter.audience.returned import REASONS, HeldBack, load_returned
from newsletter.audience.subscribers import load_subscribers
from newsletter.audience.suppressions import load_suppressions
from newsletter.errors import ContentError, together
from newsletter.model import Subscriber


@dataclass(frozen=True)
class PostalList:
    subscribers: tuple[Subscriber, ...]  # reachable by post, in postal-code order
    everyone: tuple[Subscriber, ...]  # every row of the file (codes are made over all)
    opted_out: int = 0  # chosen, with a postal opt-out
    returned: int = 0  # chosen, whose mail came back undeliverable
    incomplete: int = 0  # chosen, left off for a missing address (skip mode)
    warnings: tuple[str, ...] = ()
    # Why each of the ``returned`` came back, in the reports' words (REASONS), in list order.
    returned_reasons: tuple[str, ...] = ()


MARKED_RETURNED = "Returned (a bounce for mail in suppressions.csv)"
"""The reason the reports give for a reader marked in suppressions.csv rather than in
returned-mail.csv."""


def postal_list(
    subscribers_csv: Path,
    suppressions_csv: Path,
    *,
    home_country: str,
    skip_incomplete: bool = False,
    chosen: Callable[[Subscriber], bool] | None = None,
    what: str = "the newsletter",
    returned_csv: Path | None = None,
) -> PostalList:
    """The subscribers ``chosen`` (everyone by default) who can get ``what`` by post."""
    # Every row validated as a send would; a mail row without an address is kept (without
    # its mail channel) so all of them can be named at once, or skipped.
    everyone = load_subscribers(subscribers_csv, postal="ignored")
    candidates = [s for s in everyone if chosen is None or chosen(s)]
    incomplete = [s for s in candidates if s.missing_postal]
    if incomplete and not skip_incomplete:
        raise together([_incomplete_error(subscribers_csv, s, what) for s in incomplete])
    warnings = [
        f"{subscribers_csv}:{s.line}: {s.email}: no postal address "
        f"(missing {', '.join(s.missing_postal)}); left off the mailing list"
        for s in incomplete
    ]
    statuses = postal_statuses(suppressions_csv)
    held = HeldBack(load_returned(returned_csv) if returned_csv else ())
    reached: list[Subscriber] = []
    reasons: list[str] = []
    opted_out = 0
    for subscriber in candidates:
        if "mail" not in subscriber.channels:
            continue
        status = statuses.get(subscriber.normalized_email)
        came_back = held.record_for(subscriber)
        if status == "opted-out":
            opted_out += 1
        elif came_back is not None:
            reasons.append(REASONS[came_back.reason])
        elif status == "returned":
            reasons.append(MARKED_RETURNED)
        else:
            reached.append(subscriber)
    reached.sort(key=lambda s: postal_order(s, home_country))
    return PostalList(
        subscribers=tuple(reached),
        everyone=everyone,
        opted_out=opted_out,
        returned=len(reasons),
        incomplete=len(incomplete),
        warnings=tuple(warnings),
        returned_reasons=tuple(reasons),
    )


def postal_statuses(suppressions_csv: Path) -> dict[str, str]:
    """Normalized address -> "returned" or "opted-out", for suppressions covering mail."""
    found: dict[str, str] = {}
    for entry in load_suppressions(suppressions_csv):
        if not entry.covers("mail"):
            continue  # email-only: post is a separate consent
        status = "returned" if entry.channel == "mail" and entry.reason == "bounce" else None
        key = entry.normalized_email
        # An opt-out outranks a returned-mail mark: it is the subscriber's own choice.
        found[key] = "opted-out" if status is None or found.get(key) == "opted-out" else status
    return found


def postal_order(subscriber: Subscriber, home_country: str) -> tuple[object, ...]:
    """Home country first, then by country and postal code (how the post office sorts),
    then by name, so the same list always prints in the same order."""
    a = subscriber.address
    country = a.country.upper() if a else ""
    postal = a.postal_code.replace(" ", "").upper() if a else ""
    return (
        country != home_country.upper(),
        country,
        postal,
        subscriber.last_name.casefold(),
        subscriber.first_name.casefold(),
        subscriber.normalized_email,
    )


def _incomplete_error(path: Path, subscriber: Subscriber, what: str) -> ContentError:
    missing = subscriber.missing_postal
    return ContentError(
        f"{subscriber.email} gets {what} by mail but has no {', '.join(missing)} "
        "(fix the row, or run with --skip-incomplete-addresses to leave it off)",
        path=path,
        line=subscriber.line,
        key=missing[0],
    )
