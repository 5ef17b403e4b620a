"""Opening the SQLite file and running transactions on it.

Every write runs in ``BEGIN IMMEDIATE``: the write lock is taken up front, so a writer that must
wait for another (the run process, two annotators) waits in SQLite's busy handler instead of
failing. A deferred transaction that reads first and writes later can fail at once with
"database is locked" (SQLITE_BUSY_SNAPSHOT) when another process committed in between; the busy
timeout does not help there. Reads that span several statements run in one deferred transaction
so they see one snapshot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workbench.store.errors import StoreError

BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another writer before SQLite gives up."""
CACHE_KIB = 64 * 1024
"""Page cache per connection (allocated as used)."""

_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    # In WAL mode NORMAL stays consistent after a crash; only the last commits before a power
    # loss can be lost, and a turn is cheap to regenerate. FULL would fsync every turn.
    "PRAGMA synchronous = NORMAL",
    f"PRAGMA cache_size = -{CACHE_KIB}",
    "PRAGMA temp_store = MEMORY",
    # Checkpoint every ~40 MB of log rather than 4 MB: pages that bulk writes touch again and
    # again (indexes, full-text segments) reach the database file once, not per batch.
    "PRAGMA wal_autocheckpoint = 10000",
    "PRAGMA journal_size_limit = 67108864",
)


def open_connection(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the SQLite file in WAL mode with the store's settings.

    The connection is in autocommit mode (``isolation_level=None``): transactions are explicit,
    through :meth:`StoreBase._write` and :meth:`StoreBase._read`.

    Raises:
        StoreError: the file cannot be opened or is not an SQLite database.
    """
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.OperationalError as exc:
        raise StoreError(
            f"cannot open store {path}: {exc} (does its folder exist and is it writable?)"
        ) from None
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        for pragma in _PRAGMAS:
            conn.execute(pragma)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if getattr(exc, "sqlite_errorname", "") in {"SQLITE_NOTADB", "SQLITE_CORRUPT"}:
            raise StoreError(f"{path} is not a workbench store: {exc}") from None
        raise
    conn.row_factory = sqlite3.Row
    return conn


class StoreBase:
    """The connection and transaction helpers every group of store queries builds on."""

    path: Path
    """The SQLite file."""
    _conn: sqlite3.Connection

    def __str__(self) -> str:
        return str(self.path)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``); rolled back entirely if anything raises.

        Nested use becomes a savepoint, so a failing inner step undoes only itself and the error
        still reaches the outer caller.
        """
        conn = self._conn
        if conn.in_transaction:
            conn.execute("SAVEPOINT nested_write")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK TO nested_write")
                conn.execute("RELEASE nested_write")
                raise
            conn.execute("RELEASE nested_write")
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: all statements inside see the same snapshot."""
        conn = self._conn
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")
