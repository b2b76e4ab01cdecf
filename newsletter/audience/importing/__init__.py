"""``newsletter import``: an existing customer list into subscribers.csv and suppressions.csv.

    inputs     the files named: CSV, vCard, a folder of them, a ZIP (Mailchimp's export)
    readers    which reader reads each file; opt-out files first
      tables, columns      a CSV's rows; a generic CSV's columns mapped (--map)
      mailchimp            Mailchimp's audience export: subscribed, unsubscribed, cleaned
      vcard                a phone's or an address book's contacts
    records    what readers hand on: a Contact, or a Refused line and its reason
    listed     the list before: who is on it, suppressed, with a consent kept
    plan       each record meets the list: added, updated, unchanged, suppressed, refused
    write      suppressions, consents, then subscribers.csv: locked, atomic, 0600
    report     the dry run's summary and diff, one line per change

:func:`import_contacts` is the whole of it: a dry run unless ``write``, and with ``write``
planned and written under subscribers.csv's lock, so nothing changes the list between what
the plan saw and what it writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from itertools import chain
from pathlib import Path

from newsletter.audience.importing.inputs import Input, check_encoding, expand
from newsletter.audience.importing.listed import listed
from newsletter.audience.importing.plan import Choices, Plan, plan
from newsletter.audience.importing.readers import readings
from newsletter.audience.importing.write import Written, write
from newsletter.config.files import SUBSCRIBERS_FILE
from newsletter.locks import locked

__all__ = ["Choices", "Imported", "import_contacts"]


@dataclass(frozen=True)
class Imported:
    """What an import found, and what it wrote (None for a dry run)."""

    files: tuple[str, ...]  # one line per file read: what it was taken for
    plan: Plan
    written: Written | None


def import_contacts(
    folder: Path,
    paths: Sequence[Path],
    choices: Choices,
    *,
    tz: tzinfo,
    mapping: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
    write_files: bool = False,
) -> Imported:
    """Import the contacts in ``paths`` into the list in ``folder`` (subscribers/).

    ``mapping`` maps a generic CSV's columns to values (``{"E-mail": "email"}``);
    ``encoding`` is the files' (ValueError for one that cannot be read line by line).
    Without ``write_files`` nothing is written. A file that cannot be read at all, or a
    list the loader refuses, is a ContentError naming file and line, and nothing is
    written; a row that cannot come in is a ``refused`` change and the rest goes on.
    """
    encoding = check_encoding(encoding)
    inputs = expand(paths)
    if not write_files:
        return _imported(folder, inputs, choices, tz, mapping or {}, encoding, write_files=False)
    with locked(folder / SUBSCRIBERS_FILE, purpose="import contacts"):
        return _imported(folder, inputs, choices, tz, mapping or {}, encoding, write_files=True)


def _imported(
    folder: Path,
    inputs: Sequence[Input],
    choices: Choices,
    tz: tzinfo,
    mapping: Mapping[str, str],
    encoding: str,
    *,
    write_files: bool,
) -> Imported:
    before = listed(folder)
    opened = readings(inputs, mapping, encoding, tz)
    planned = plan(folder, chain.from_iterable(r.records for r in opened), before, choices)
    written = write(folder, planned) if write_files else None
    return Imported(tuple(r.description for r in opened), planned, written)
