"""subscribers.csv's US addresses written in USPS Publication 28 form: shown as a diff, then
applied.

Print always uses the standard form (:func:`newsletter.audience.standard.print_form`);
writing it into the list as well makes what the business reads in its own file what the
envelope says. ``newsletter check`` shows the changes; ``newsletter mail standardize``
shows them too and, with ``--yes``, writes them: under the list's lock (``desk pull`` and
``import`` write it too), only the changed rows rewritten, every other byte kept, each
changed row checked as the loader reads it, the file replaced atomically and 0600.
Addresses outside the US, and US addresses the parser cannot read whole, stay as written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from newsletter.audience.standard import standardized
from newsletter.audience.subscribers import check_new_row, load_subscribers
from newsletter.csvfile import file_lines
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.locks import locked
from newsletter.model import Address

FIELDS = ("street", "city", "region", "postal_code")


@dataclass(frozen=True)
class AddressChange:
    line: int  # in subscribers.csv
    email: str
    before: Address
    after: Address


@dataclass(frozen=True)
class LeftAsWritten:
    """A US address that stays as written, and why (the parser could not read it whole)."""

    line: int
    email: str
    address: Address
    reason: str


@dataclass(frozen=True)
class StandardizePlan:
    path: Path
    changes: tuple[AddressChange, ...]
    left: tuple[LeftAsWritten, ...]
    standard: int  # addresses already in Publication 28 form
    abroad: int  # addresses outside the US: left as written


def address_changes(path: Path) -> StandardizePlan:
    """What writing the US addresses of ``path``'s readers by post in Publication 28 form
    changes."""
    changes: list[AddressChange] = []
    left: list[LeftAsWritten] = []
    standard = abroad = 0
    for subscriber in load_subscribers(path, postal="ignored"):
        address, line, email = subscriber.address, subscriber.line, subscriber.email
        if address is None or "mail" not in subscriber.channels:
            continue  # only what is printed: an email reader's address waits for post
        result = standardized(address)
        if result.reason and address.country.upper() not in ("", "US"):
            abroad += 1
        elif result.reason:
            left.append(LeftAsWritten(line, email, address, result.reason))
        elif result.address == address:
            standard += 1
        elif standardized(result.address).address == result.address:
            changes.append(AddressChange(line, email, address, result.address))
        else:  # a form that would change again next time: never written
            left.append(LeftAsWritten(line, email, address, "no settled form: left as written"))
    return StandardizePlan(path, tuple(changes), tuple(left), standard, abroad)


def diff_lines(plan: StandardizePlan, *, limit: int | None = None) -> list[str]:
    """The changes as a diff, two lines a row under its place: ``-`` as written, ``+`` as
    it would be; at most ``limit`` rows, then how many more."""
    out: list[str] = []
    shown = plan.changes if limit is None else plan.changes[:limit]
    for change in shown:
        out += [
            f"{plan.path}:{change.line}: {change.email}",
            f"-  {_one_line(change.before)}",
            f"+  {_one_line(change.after)}",
        ]
    if len(shown) < len(plan.changes):
        out.append(f"… and {len(plan.changes) - len(shown):,} more")
    return out


def plan_lines(plan: StandardizePlan, *, written: bool) -> list[str]:
    """The whole diff, the addresses left as written with the reason, and the counts."""
    lines = diff_lines(plan)
    lines += [f"{plan.path}:{row.line}: {row.email}: {row.reason}" for row in plan.left]
    kept = (
        f"{plan.standard} already in that form, {len(plan.left)} that cannot be read whole "
        f"and {plan.abroad} outside the US left as written"
    )
    if written:
        lines.append(f"wrote {len(plan.changes)} addresses in USPS form ({kept})")
    else:
        lines.append(
            f"dry run: {len(plan.changes)} addresses to write in USPS form ({kept}); "
            "add --yes to write them"
        )
    return lines


def _one_line(address: Address) -> str:
    return f"{address.street}, {address.city}, {address.region} {address.postal_code}"


def standardize_addresses(path: Path, *, write: bool) -> StandardizePlan:
    """The changes to ``path`` (see :func:`address_changes`), written when ``write``."""
    if not write:
        return address_changes(path)
    with locked(path, purpose="write addresses in USPS form"):
        plan = address_changes(path)  # under the lock: what another writer left is seen
        if plan.changes:
            atomic_write(path, _changed_text(path, plan.changes), mode=PRIVATE)
    return plan


def _changed_text(path: Path, changes: Sequence[AddressChange]) -> str:
    by_line = {c.line: c.after for c in changes}
    lines = list(file_lines(path))
    header = [c.strip() for c in next(csv.reader(lines[:1]), [])]
    out = []
    for number, text in enumerate(lines, start=1):
        after = by_line.get(number)
        if after is None:
            out.append(text if text.endswith("\n") else text + "\n")
            continue
        # Each row is one line: the loader refuses a line break in any value.
        cells = next(csv.reader([text]))
        cells += [""] * (len(header) - len(cells))
        row = dict(zip(header, cells, strict=True))
        row.update({field: getattr(after, field) for field in FIELDS})
        check_new_row(row, path)  # never write a row the list would refuse
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([row[column] for column in header])
        out.append(buffer.getvalue())
    return "".join(out)
