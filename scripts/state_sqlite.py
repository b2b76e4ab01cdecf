"""The SQLite files the state branch carries: copied whole, checked, compared by content, merged.

Used by ``state_branch.py``; only the standard library. :func:`check`, :func:`content_digest`
and :func:`union` open the file for writing, so they are given copies (a snapshot, a blob
from the branch), never the live ledger a send may hold open. Every check raises
:class:`DamagedError` with the reason in a few words, never SQLite's own exception, so the
command can say in one line what is wrong and what to do.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"
CHECK_MESSAGES = 3
"""How many of integrity_check's findings a refusal quotes: the first says enough."""


class DamagedError(Exception):
    """The file is not a whole database with the table it must hold; ``str()`` says why."""


def snapshot(database: Path, copy: Path) -> None:
    """Write a self-contained copy of ``database`` to ``copy``, with what is still in its WAL
    file (SQLite's backup API), in rollback-journal mode so the copy is one file."""
    try:
        # A plain connection, as the next send's would be: it reads what a killed send
        # left in the -wal file too.
        with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(copy)) as target:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
    except (sqlite3.Error, ValueError) as exc:
        raise DamagedError(_one_line(exc)) from None


def check(path: Path, table: str) -> None:
    """Refuse ``path`` unless it is a whole SQLite database that holds ``table``.

    SQLite opens a zero-byte file as an empty database and reads a truncated one until it
    reaches a missing page, so neither is trusted before integrity_check has read every page.
    """
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if not header:
        raise DamagedError("zero bytes")
    if header != SQLITE_HEADER:
        raise DamagedError("not a SQLite database")
    try:
        with closing(_connect(path)) as db:
            findings = [row[0] for row in db.execute(f"PRAGMA integrity_check({CHECK_MESSAGES})")]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    except (sqlite3.Error, ValueError) as exc:
        raise DamagedError(_one_line(exc)) from None
    if findings != ["ok"]:
        raise DamagedError(_one_line("integrity check: " + "; ".join(findings)))
    if table not in tables:
        raise DamagedError(f"no {table} table")


def content_digest(path: Path) -> str:
    """A hash of the database's content (schema, rows, user_version), blind to what SQLite
    changes on every write or copy (the change counter, free pages, the page layout)."""
    digest = hashlib.sha256()
    try:
        with closing(_connect(path)) as db:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            digest.update(f"user_version {version}\n".encode())
            schema = db.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                "ORDER BY type, name"
            ).fetchall()
            for kind, name, sql in schema:
                digest.update(f"{sql}\n".encode())
                if kind == "table":
                    # Rows as Python reads them, in the table's own order: a ledger of
                    # 100,000 rows hashes in a fraction of what formatting them as SQL takes.
                    for row in db.execute(f'SELECT * FROM "{name}" ORDER BY {_order(db, name)}'):
                        digest.update(repr(row).encode())
                        digest.update(b"\n")
    except (sqlite3.Error, ValueError) as exc:
        raise DamagedError(_one_line(exc)) from None
    return digest.hexdigest()


def _order(db: sqlite3.Connection, table: str) -> str:
    """What orders ``table``'s rows: its rowid, or its primary key if it has no rowid."""
    without_rowid = db.execute(
        "SELECT 1 FROM sqlite_master WHERE name = ? AND sql LIKE '%WITHOUT ROWID%'", (table,)
    ).fetchone()
    if not without_rowid:
        return "rowid"
    keys = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")') if row[5]]
    return ", ".join(f'"{key}"' for key in keys) or "1"


def union(into: Path, other: Path) -> None:
    """Add every row of ``other`` that ``into`` lacks (by primary key), and its tables.

    For files whose rows are only ever added, each under a key of its own (the email
    events, keyed by the desk's event id): two copies that each took rows since they parted
    merge into one that has them all.
    """
    try:
        with closing(_connect(into)) as db:
            db.isolation_level = None
            db.execute("ATTACH DATABASE ? AS other", (f"file:{other}?mode=ro",))
            have = {row[0] for row in db.execute("SELECT name FROM main.sqlite_master")}
            schema = db.execute(
                "SELECT type, name, sql FROM other.sqlite_master WHERE sql IS NOT NULL "
                "AND name NOT LIKE 'sqlite_%' ORDER BY type = 'table' DESC, rowid"
            ).fetchall()
            db.execute("BEGIN IMMEDIATE")
            for kind, name, sql in schema:
                if name not in have:
                    db.execute(sql)
                if kind == "table":
                    db.execute(f'INSERT OR IGNORE INTO main."{name}" SELECT * FROM other."{name}"')
            db.execute("COMMIT")
    except (sqlite3.Error, ValueError) as exc:
        raise DamagedError(_one_line(f"cannot merge: {exc}")) from None


def status_counts(ledger: Path) -> str:
    """The ledger's rows by status (``3 sent, 1 uncertain``), or ``empty``."""
    try:
        with closing(sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)) as db:
            names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            # every_send shows batches still in flight as rows (newsletter/deliver/flights.py)
            rows = "every_send" if "every_send" in names else "sends"
            counts = db.execute(
                f"SELECT status, COUNT(*) FROM {rows} GROUP BY status ORDER BY status"
            ).fetchall()
    except (sqlite3.Error, ValueError):
        return "unreadable"
    return ", ".join(f"{n} {status}" for status, n in counts) or "empty"


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    # A damaged file's text may not be UTF-8: read it, and let the check say what is wrong.
    db.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
    return db


def _one_line(problem: object) -> str:
    return " ".join(str(problem).split())
