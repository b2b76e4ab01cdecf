"""The check a live send makes before it trusts the ledger: every page of it readable.

SQLite opens a file with damaged pages and fails only when a query reaches one, which may
be halfway through a send. A send reads the whole ledger first (``PRAGMA quick_check``), so
a damaged one stops it before anyone is mailed, in one line that says what to do.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from newsletter.errors import LedgerError

FINDINGS_QUOTED = 1
"""quick_check's first finding says enough: the rest are the same damage, page by page."""


def check_ledger_whole(path: Path) -> None:
    """Raise LedgerError, naming the file and the remedy, unless every page of the ledger
    at ``path`` reads back whole."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            findings = [row[0] for row in db.execute(f"PRAGMA quick_check({FINDINGS_QUOTED})")]
    except sqlite3.Error as exc:
        findings = [str(exc)]
    if findings != ["ok"]:
        raise LedgerError(
            f"the send ledger is damaged ({' '.join(findings[0].split())}): nothing sent. "
            "Move it aside and put back its last good copy (the monthly workflow keeps it on "
            'the state branch; README, "Recovering a half-finished send"), then run again',
            path=path,
        )
