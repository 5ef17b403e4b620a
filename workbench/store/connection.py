"""Opening the SQLite file and running transactions on it.

Every write runs in ``BEGIN IMMEDIATE``: the write lock is taken up front, so a writer that must
wait for another (the run process, two annotators) waits in SQLite's busy handler instead of
failing. A deferred transaction that reads first and writes later can fail at once with
"database is locked" (SQLITE_BUSY_SNAPSHOT) when another process committed in between; the busy
timeout does not help there. Reads that span several statements run in one deferred transaction
so they see one snapshot.

Faults of the file itself (disk full, read-only file or folder, a damaged page) are turned into
``StoreError`` subclasses with plain words at this boundary, on every statement, so no caller
sees a raw ``sqlite3`` error for them. A store whose file or folder is not writable opens
read-only: reading works, and a write says why it cannot.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from workbench.store.errors import (
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreReadOnly,
)

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


def plain_error(exc: sqlite3.Error, path: Path) -> StoreError | None:
    """The store error in plain words for a fault of the file, or None for other errors
    (constraint violations, SQL mistakes: those are the caller's to handle or a bug)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name == "SQLITE_FULL":
        return StoreFull(path)
    if name.startswith("SQLITE_READONLY"):
        return StoreReadOnly(path, str(exc))
    if name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB":
        return StoreCorrupt(path, str(exc), not_a_database=name == "SQLITE_NOTADB")
    if name.startswith("SQLITE_IOERR"):
        return StoreError(f"the disk reported an error on the store {path} ({exc}); check the "
                          "disk, then try again")
    return None


class _Connection(sqlite3.Connection):
    """A connection whose file faults come out as ``StoreError`` (see ``plain_error``)."""

    store_path: Path

    def execute(self, *args: Any) -> sqlite3.Cursor:
        return self._plain(super().execute, *args)

    def executemany(self, *args: Any) -> sqlite3.Cursor:
        return self._plain(super().executemany, *args)

    def _plain(self, method: Callable[..., sqlite3.Cursor], *args: Any) -> sqlite3.Cursor:
        try:
            return method(*args)
        except sqlite3.DatabaseError as exc:
            plain = plain_error(exc, self.store_path)
            if plain is None:
                raise
            raise plain from exc


def writable(path: Path) -> bool:
    """Whether this process may write the store file and create files beside it (SQLite's log
    and shared-memory files live in the same folder)."""
    folder_ok = os.access(path.parent, os.W_OK | os.X_OK)
    return folder_ok and (not path.exists() or os.access(path, os.W_OK))


def open_connection(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) the SQLite file in WAL mode with the store's settings.

    The connection is in autocommit mode (``isolation_level=None``): transactions are explicit,
    through :meth:`StoreBase._write` and :meth:`StoreBase._read`.

    Args:
        path: The file.
        read_only: Open it for reading only (never creates it; a write raises
            ``StoreReadOnly``).

    Raises:
        StoreError: the file cannot be opened or is not an SQLite database.
    """
    try:
        conn = _connect(path, read_only=read_only, immutable=False)
    except sqlite3.OperationalError as exc:
        raise StoreError(
            f"cannot open store {path}: {exc} (does its folder exist and is it writable?)"
        ) from None
    try:
        try:
            mode = _when_not_busy(lambda: conn.execute("PRAGMA journal_mode").fetchone()[0])
        except (StoreError, sqlite3.OperationalError):
            if not read_only:
                raise
            # A WAL file in a folder we cannot write, with no shared-memory file left: only an
            # immutable open can read it (nobody can be writing it from here either).
            conn.close()
            conn = _connect(path, read_only=True, immutable=True)
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal" and not read_only:
            _when_not_busy(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        for pragma in _PRAGMAS:
            conn.execute(pragma)
    except BaseException:
        conn.close()
        raise
    conn.row_factory = sqlite3.Row
    return conn


def _when_not_busy(statement: Callable[[], Any]) -> Any:
    """Run a statement that SQLite does not retry in its busy handler, retrying it on "database
    is locked" for up to ``BUSY_TIMEOUT_S``.

    Switching a new file to WAL needs the file to itself; when several processes open a new
    store at once (a run and the app started together), the losers get SQLITE_BUSY at once
    instead of waiting.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    pause = 0.01
    while True:
        try:
            return statement()
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorname", "").startswith("SQLITE_BUSY")
            if not busy or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def _connect(path: Path, *, read_only: bool, immutable: bool) -> _Connection:
    if read_only:
        uri = f"file:{quote(str(path))}?mode=ro" + ("&immutable=1" if immutable else "")
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                               factory=_Connection)
    else:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                               factory=_Connection)
    conn.store_path = path
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
    def snapshot(self) -> Iterator[None]:
        """Every read inside sees the store as it was at the first one (one read transaction):
        a long export is consistent even while a run or an import writes. Do not write inside.
        """
        with self._read():
            yield

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
