"""The Store: one SQLite file holding personas, runs, transcripts, annotations and embeddings."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Self

from workbench.store.annotation_queries import AnnotationBatchQueries
from workbench.store.annotations import AnnotationQueries
from workbench.store.browse import BrowseQueries
from workbench.store.connection import open_connection, writable
from workbench.store.conversations import ConversationQueries
from workbench.store.corpora import CorpusQueries
from workbench.store.embeddings import EmbeddingQueries
from workbench.store.errors import StoreMissing
from workbench.store.imports import ImportQueries
from workbench.store.personas import PersonaQueries
from workbench.store.records import StoreStats
from workbench.store.runs import RunQueries
from workbench.store.schema import migrate
from workbench.store.search import SearchQueries
from workbench.store.turns import TurnQueries


def store_exists(path: str | Path) -> bool:
    """Whether ``path`` holds something (an empty file counts as no store: SQLite would silently
    make a new database of it)."""
    path = Path(path).expanduser()
    return path.is_file() and path.stat().st_size > 0


class Store(
    PersonaQueries,
    RunQueries,
    ConversationQueries,
    TurnQueries,
    BrowseQueries,
    SearchQueries,
    AnnotationBatchQueries,
    AnnotationQueries,
    EmbeddingQueries,
    CorpusQueries,
    ImportQueries,
):
    """The workbench's data, in one SQLite file (WAL mode, foreign keys on).

    Opening creates the file if needed and migrates it forward; on a current file it costs a
    few pragmas and one query. A Store holds one connection and must stay on the thread that
    opened it: open one per use (per Streamlit script run, per worker), and close it.

    Several processes may write at once (a run and two annotators): writers queue for the lock
    for up to 30 s instead of failing.

    A file that this process may not write (or whose folder it may not write) opens read-only:
    reading works and every write raises ``StoreReadOnly`` saying why.

    Args:
        path: The SQLite file.
        create: Create the store when the file is missing or empty. Commands that only read
            pass False, so a mistyped path is an error rather than a new empty store.
        read_only: Open for reading only; None decides from the file's and folder's
            permissions.

    Raises:
        StoreMissing: no store at ``path`` and ``create`` is False.
        StoreError: the file is not a workbench store, was written by a newer workbench, or is
            damaged (``StoreCorrupt``), or a read-only store needs a schema upgrade.
    """

    def __init__(self, path: str | Path, *, create: bool = True,
                 read_only: bool | None = None) -> None:
        self.path = Path(path).expanduser().resolve()
        exists = store_exists(self.path)
        if not exists and (not create or read_only):
            raise StoreMissing(self.path)
        if read_only is None:
            read_only = exists and not writable(self.path)
        self.read_only = read_only
        """Whether the store was opened for reading only."""
        self._conn = open_connection(self.path, read_only=read_only)
        try:
            self._schema_version = migrate(self._conn, self.path, read_only=read_only)
        except BaseException:
            self._conn.close()
            raise

    @property
    def schema_version(self) -> int:
        """Schema version of the file (the current one, once opened)."""
        return self._schema_version

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def stats(self) -> StoreStats:
        """File size and row counts (turns are summed from conversations' turn counts, which
        every write path keeps exact)."""
        with self._read() as conn:
            counts = {
                table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("personas", "runs", "conversations", "annotations", "embeddings",
                              "corpora")
            }
            (turns,) = conn.execute("SELECT total(n_turns) FROM conversations").fetchone()
        wal = self.path.with_name(self.path.name + "-wal")
        file_bytes = self.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        return StoreStats(
            path=self.path,
            schema_version=self._schema_version,
            file_bytes=file_bytes,
            turns=int(turns),
            **counts,
        )
