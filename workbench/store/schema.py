"""The schema as a list of forward migrations (version n → n + 1), run on open in one transaction.

A new store runs every migration from the first, so a fresh file and an upgraded one have the
same tables. A migration only adds (tables, columns, indexes, derived rows) and never drops data.
Migrations are frozen once released: a later change of schema is a new function at the end of
``MIGRATIONS``.

Version 1: personas, runs, conversations, turns, prompts (what the first simulations needed).
Version 2: full-text index over turns, per-axis level filtering, annotations, embeddings,
reference corpora, run cancellation, token counts and conversation provenance.
Version 3: run ownership (the executing process's claim and its heartbeat).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.store.connection import open_connection
from workbench.store.errors import RECOVER_HOWTO, StoreError, StoreReadOnly

if TYPE_CHECKING:
    import sqlite_utils

Migration = Callable[["sqlite_utils.Database"], None]

FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
"""Stemmed (pain/painful), case- and accent-insensitive."""
TURN_ID_BITS = 20
"""A turn's rowid is ``(conversation seq << TURN_ID_BITS) + index`` (part of the file format)."""
MAX_TURN_INDEX = (1 << TURN_ID_BITS) - 1
"""The largest turn index a conversation can hold."""


def turn_id(conversation_seq: int, index: int) -> int:
    """Rowid of a conversation's turn."""
    return (conversation_seq << TURN_ID_BITS) + index


TURN_OF_CONVERSATION = (
    f"t.id BETWEEN (c.seq << {TURN_ID_BITS}) AND (c.seq << {TURN_ID_BITS}) + {MAX_TURN_INDEX}"
)
"""SQL condition: turn ``t`` belongs to conversation ``c`` (a rowid range scan)."""
CONVERSATION_OF_HIT = f"(turns_fts.rowid >> {TURN_ID_BITS})"
"""SQL expression: the conversation seq of a full-text hit, without a lookup."""


def _v1_initial(db: sqlite_utils.Database) -> None:
    db.create_table("meta", {"key": str, "value": str}, pk="key")
    db.create_table(
        "personas",
        {
            "hash": str,
            "persona_id": str,
            "scenario": str,
            "profile_id": str,
            "levels": str,
            "body": str,
            "source_path": str,
            "created_at": str,
        },
        pk="hash",
        not_null=["persona_id", "scenario", "profile_id", "levels", "body", "created_at"],
    )
    db.create_table(
        "runs",
        {
            "id": str,
            "name": str,
            "created_at": str,
            "status": str,
            "config": str,
            "patient_model": str,
            "clinician": str,
        },
        pk="id",
        not_null=["name", "created_at", "status", "config"],
        defaults={"status": "pending", "config": "{}"},
    )
    # Rendered system prompts, stored once by content hash: a run repeats each persona's prompts
    # across its samples, and keeping kilobytes of prompt out of conversation rows keeps those
    # rows narrow, so filtering and paging touch few pages.
    db.create_table("prompts", {"hash": str, "text": str}, pk="hash", not_null=["text"])
    # Conversations keep an integer key (seq) that their turns' rowids are built from.
    db.create_table(
        "conversations",
        {
            "seq": int,
            "id": str,
            "run_id": str,
            "source": str,
            "persona_hash": str,
            "persona_id": str,
            "scenario": str,
            "profile": str,
            "levels": str,
            "patient_model": str,
            "clinician": str,
            "seed": int,
            "sample": int,
            "status": str,
            "n_turns": int,
            "created_at": str,
            "patient_prompt_hash": str,
            "clinician_prompt_hash": str,
        },
        pk="seq",
        foreign_keys=[
            ("run_id", "runs", "id"),
            ("persona_hash", "personas", "hash"),
            ("patient_prompt_hash", "prompts", "hash"),
            ("clinician_prompt_hash", "prompts", "hash"),
        ],
        not_null=["id", "source", "levels", "status", "n_turns", "created_at"],
        defaults={"source": "simulated", "levels": "{}", "status": "pending", "n_turns": 0},
    )
    conversations = db.table("conversations")
    conversations.create_index(["id"], index_name="conversations_id", unique=True)
    conversations.create_index(["run_id", "status"], index_name="conversations_run")
    # A turn's rowid is its conversation's seq shifted left plus its index: the primary key is
    # the (conversation, index) uniqueness, a conversation's turns sit together in the table,
    # and a full-text hit names its conversation without a lookup (rowid >> TURN_ID_BITS).
    db.execute(
        f"""
        CREATE TABLE turns (
            id INTEGER PRIMARY KEY,
            conversation_seq INTEGER NOT NULL REFERENCES conversations (seq),
            idx INTEGER NOT NULL,
            role TEXT NOT NULL,
            text TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT '{{}}',
            latency_s REAL,
            created_at TEXT NOT NULL,
            CHECK (idx >= 0 AND idx <= {MAX_TURN_INDEX}),
            CHECK (id = (conversation_seq << {TURN_ID_BITS}) + idx)
        )
        """
    )


def _v2_search_levels_annotations(db: sqlite_utils.Database) -> None:
    conn = db.conn
    runs = db.table("runs")
    runs.add_column("cancel_requested", int, not_null_default=0)
    runs.add_column("finished_at", str)

    # Levels are filtered through deduplicated level sets: a conversation points to the set of
    # its (axis, level) pairs. A filter on two axes becomes a short list of set ids, and counting
    # and paging run on one index of conversations however many rows match.
    db.create_table("level_sets", {"id": int, "levels": str}, pk="id", not_null=["levels"])
    db.table("level_sets").create_index(["levels"], index_name="level_sets_levels", unique=True)
    db.create_table(
        "level_set_members",
        {"level_set_id": int, "axis": str, "level": str},
        pk=("level_set_id", "axis"),
        foreign_keys=[("level_set_id", "level_sets", "id")],
        not_null=["level"],
    )
    db.table("level_set_members").create_index(
        ["axis", "level", "level_set_id"], index_name="level_set_members_axis_level"
    )

    conversations = db.table("conversations")
    conversations.add_column("failure_reason", str)
    conversations.add_column("patient_template_hash", str)
    conversations.add_column("clinician_template_hash", str)
    conversations.add_column("metadata", str, not_null_default="{}")
    conversations.add_column("updated_at", str)
    # Plain ALTER: sqlite-utils' add_column(fk=...) rebuilds the whole table to add the key.
    conn.execute("ALTER TABLE conversations ADD COLUMN levels_id INTEGER REFERENCES level_sets(id)")
    conn.execute("UPDATE conversations SET updated_at = created_at")
    for (raw,) in conn.execute("SELECT DISTINCT levels FROM conversations").fetchall():
        levels = json.loads(raw)
        canonical = json.dumps(levels, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
        conn.execute("INSERT OR IGNORE INTO level_sets (levels) VALUES (?)", (canonical,))
        (set_id,) = conn.execute(
            "SELECT id FROM level_sets WHERE levels = ?", (canonical,)
        ).fetchone()
        conn.executemany(
            "INSERT OR IGNORE INTO level_set_members (level_set_id, axis, level) VALUES (?, ?, ?)",
            [(set_id, axis, level) for axis, level in levels.items()],
        )
        conn.execute("UPDATE conversations SET levels_id = ? WHERE levels = ?", (set_id, raw))

    conn.execute("DROP INDEX conversations_run")  # replaced by a covering one
    conversations.create_index(["run_id", "status", "n_turns"], index_name="conversations_run")
    # Covers every filter column: counting a filtered set reads this index and nothing else.
    conversations.create_index(
        [
            "patient_model",
            "levels_id",
            "clinician",
            "scenario",
            "profile",
            "status",
            "source",
            "run_id",
            "n_turns",
            "created_at",
        ],
        index_name="conversations_filter",
    )
    conversations.create_index(["created_at"], index_name="conversations_created")
    for column in ("scenario", "profile", "clinician", "status", "source"):
        # Distinct values for the browser's filters come from these by skip-scan.
        conversations.create_index([column], index_name=f"conversations_{column}")

    turns = db.table("turns")
    turns.add_column("prompt_tokens", int)
    turns.add_column("completion_tokens", int)

    db.create_table(
        "corpora",
        {
            "name": str,
            "description": str,
            "licence": str,
            "source_path": str,
            "imported_at": str,
        },
        pk="name",
        not_null=["description", "licence", "source_path", "imported_at"],
        defaults={"description": "", "licence": "", "source_path": ""},
    )
    conn.execute(
        """
        INSERT INTO corpora (name, imported_at)
        SELECT substr(source, length('reference:') + 1), min(created_at)
        FROM conversations WHERE source LIKE 'reference:%' GROUP BY source
        """
    )

    db.create_table(
        "annotations",
        {
            "id": int,
            "conversation_id": str,
            "turn_idx": int,
            "rubric": str,
            "item": str,
            "value": str,
            "annotator": str,
            "status": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("conversation_id", "conversations", "id")],
        not_null=["conversation_id", "rubric", "item", "annotator", "status", "created_at",
                  "updated_at"],
        defaults={"status": "draft"},
    )
    # One value per annotator, item and target; a conversation-level item has no turn.
    conn.execute(
        "CREATE UNIQUE INDEX annotations_target ON annotations "
        "(conversation_id, ifnull(turn_idx, -1), rubric, item, annotator)"
    )
    db.table("annotations").create_index(["annotator"], index_name="annotations_annotator")

    db.create_table(
        "embeddings",
        {"model": str, "text_hash": str, "dim": int, "vector": bytes},
        pk=("model", "text_hash"),
        not_null=["dim", "vector"],
    )

    # Full-text index over turn text, external content (the text lives once, in turns).
    # Inserts are indexed by the store's write paths in the same transaction and statement
    # batch, in rowid order: an insert trigger runs per row inside a statement savepoint, which
    # makes FTS5 flush a tiny segment per row (four times slower to ingest). Updates and
    # deletes, rare, are kept in step by triggers.
    conn.execute(
        f"""
        CREATE VIRTUAL TABLE turns_fts USING fts5(
            text, content='turns', content_rowid='id', tokenize='{FTS_TOKENIZER}'
        )
        """
    )
    conn.execute(
        """
        CREATE TRIGGER turns_fts_delete AFTER DELETE ON turns BEGIN
            INSERT INTO turns_fts (turns_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END
        """
    )
    conn.execute(
        """
        CREATE TRIGGER turns_fts_update AFTER UPDATE OF text ON turns BEGIN
            INSERT INTO turns_fts (turns_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO turns_fts (rowid, text) VALUES (new.id, new.text);
        END
        """
    )
    # Bulk writes make fewer, larger segments and merge them less often: pending text is
    # flushed at 16 MB rather than 1 MB ('hashsize', FTS5's in-memory limit per writer), and
    # eight segments of a level are merged at a time rather than four. Ingest is about 10%
    # faster; queries read a few more segments, which costs them nothing measurable.
    conn.execute("INSERT INTO turns_fts (turns_fts, rank) VALUES ('hashsize', 16777216)")
    conn.execute("INSERT INTO turns_fts (turns_fts, rank) VALUES ('automerge', 8)")
    conn.execute("INSERT INTO turns_fts (turns_fts) VALUES ('rebuild')")

    # For people reading the file with other tools (sqlite3, Datasette, polars): turns keyed by
    # their conversation's public id rather than its internal seq.
    conn.execute(
        """
        CREATE VIEW conversation_turns AS
        SELECT c.id AS conversation_id, t.idx, t.role, t.text, t.state, t.latency_s,
               t.prompt_tokens, t.completion_tokens, t.created_at
        FROM turns AS t JOIN conversations AS c ON c.seq = t.conversation_seq
        """
    )


def _v3_run_ownership(db: sqlite_utils.Database) -> None:
    # One executor per run: the process executing a run writes its id here (an atomic claim)
    # and refreshes the heartbeat while it works, so another executor is refused and a page can
    # tell a live run from one whose process died.
    runs = db.table("runs")
    runs.add_column("owner", str)
    runs.add_column("heartbeat_at", str)


MIGRATIONS: tuple[Migration, ...] = (
    _v1_initial, _v2_search_levels_annotations, _v3_run_ownership,
)
"""``MIGRATIONS[n]`` takes a store from version n to n + 1."""
SCHEMA_VERSION = len(MIGRATIONS)
"""The version this code writes and reads."""


def stored_version(conn: sqlite3.Connection, path: Path) -> int:
    """The file's schema version (0 for an empty new file).

    Raises:
        StoreError: the file is an SQLite database of something else.
    """
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        row = None
    if row is not None:
        try:
            return int(row[0])
        except (TypeError, ValueError):
            raise StoreError(
                f"store {path} has an unreadable schema version {row[0]!r} (a whole number "
                f"from 1 to {SCHEMA_VERSION} is expected); it was changed by another tool or "
                "is damaged. " + RECOVER_HOWTO.format(path=path)
            ) from None
    tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    if tables:
        raise StoreError(
            f"{path} is an SQLite database but not a workbench store (no schema version); "
            "point WORKBENCH_STORE at a new file or an existing store"
        )
    return 0


def check_known(version: int, path: Path) -> None:
    """Refuse a file written by a newer workbench.

    Raises:
        StoreError: naming the file, its version and ours.
    """
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"store {path} has schema version {version} but this workbench knows up to "
            f"{SCHEMA_VERSION}; upgrade the workbench"
        )


def migrate(conn: sqlite3.Connection, path: Path, *, target: int = SCHEMA_VERSION,
            read_only: bool = False) -> int:
    """Bring the file forward to ``target`` in one transaction; return the version reached.

    Cheap when the file is current (one query). Two processes opening a new file at once are
    safe: the second waits for the write lock and then finds nothing left to do.

    Raises:
        StoreError: the file is newer than this code or not a workbench store.
    """
    version = stored_version(conn, path)
    check_known(version, path)
    if version >= target:
        return version
    if read_only:
        raise StoreReadOnly(path, f"it has schema version {version} and needs an upgrade to "
                            f"{target}, which writes")
    # Imported here: sqlite-utils imports pandas when it is installed (a second or so), and
    # opening a current store must stay in the milliseconds.
    import sqlite_utils

    db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = stored_version(conn, path)
        check_known(version, path)
        while version < target:
            MIGRATIONS[version](db)
            version += 1
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(version),),
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return version


def create_store_at_version(path: str | Path, version: int) -> None:
    """Create a new store file that stops at an old schema version (for migration tests).

    Raises:
        StoreError: the file already holds a store or ``version`` is unknown.
    """
    path = Path(path)
    if not 1 <= version <= SCHEMA_VERSION:
        raise StoreError(f"unknown schema version {version}; known: 1..{SCHEMA_VERSION}")
    conn = open_connection(path)
    try:
        if stored_version(conn, path) != 0:
            raise StoreError(f"{path} already holds a store")
        migrate(conn, path, target=version)
    finally:
        conn.close()
