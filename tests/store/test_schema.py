"""Opening, migrating and refusing files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.store.factories import turns
from workbench.store import (
    SCHEMA_VERSION,
    Annotation,
    ConversationFilter,
    Store,
    StoreError,
    schema,
)
from workbench.store.schema import create_store_at_version, turn_id

V1_COLUMNS = {
    "personas": ["hash", "persona_id", "scenario", "profile_id", "levels", "body", "source_path",
                 "created_at"],
    "runs": ["id", "name", "created_at", "status", "config", "patient_model", "clinician"],
    "prompts": ["hash", "text"],
    "conversations": ["seq", "id", "run_id", "source", "persona_hash", "persona_id", "scenario",
                      "profile", "levels", "patient_model", "clinician", "seed", "sample",
                      "status", "n_turns", "created_at", "patient_prompt_hash",
                      "clinician_prompt_hash"],
    "turns": ["id", "conversation_seq", "idx", "role", "text", "state", "latency_s",
              "created_at"],
}


def test_new_store_is_current_wal_with_foreign_keys(store_path: Path) -> None:
    with Store(store_path) as store:
        assert store.schema_version == SCHEMA_VERSION == 3
        assert store.path == store_path.resolve()
        assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store._conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 30_000
    assert store_path.exists()


def test_reopen_keeps_data_and_runs_no_migration(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(store_path) as store:
        run = store.create_run(name="pilot", config={"samples": 2}, patient_model="m",
                               clinician="c")

    def must_not_run(db: object) -> None:
        raise AssertionError("a current store was migrated again")

    monkeypatch.setattr(schema, "MIGRATIONS", (must_not_run,) * SCHEMA_VERSION)
    with Store(store_path) as store:
        assert store.get_run(run.id) == run


def test_not_an_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    content = b"these are my notes, not a database\n" * 200
    path.write_bytes(content)
    with pytest.raises(StoreError, match="not a workbench store") as caught:
        Store(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == content


def test_other_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a workbench store") as caught:
        Store(path)
    assert str(path) in str(caught.value)


def test_newer_schema_gives_upgrade_message(store_path: Path) -> None:
    Store(store_path).close()
    conn = sqlite3.connect(store_path)
    conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError) as caught:
        Store(store_path)
    assert str(caught.value) == (
        f"store {store_path} has schema version 7 but this workbench knows up to "
        f"{SCHEMA_VERSION}; upgrade the workbench"
    )


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open store"):
        Store(tmp_path / "no" / "such" / "store.db")


def _fill_v1(path: Path) -> None:
    """Rows as the version-1 workbench wrote them (its code no longer exists, so: SQL)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    now = "2026-01-05T10:00:00.000000+00:00"
    conn.execute(
        "INSERT INTO personas VALUES ('h1', 'ada', 'ed_consult', 'ed_pn_01', "
        "'{\"personality\": \"verbose\", \"language\": \"B\"}', '{}', 'personas/ada.yaml', ?)",
        (now,),
    )
    conn.execute(
        "INSERT INTO runs VALUES ('r-20260105-100000-ab12', 'old run', ?, 'done', "
        "'{\"samples\": 2}', 'ollama/llama3.2:3b', 'scripted/intake')",
        (now,),
    )
    conn.execute("INSERT INTO prompts VALUES ('p1', 'You are Ada, 36, coughing for a week.')")
    conversations = [
        # seq, id, run, source, persona, levels (as v1 wrote them: not canonical)
        (1, "c-old-1", "r-20260105-100000-ab12", "simulated", "h1",
         '{"personality": "verbose", "language": "B"}'),
        (2, "c-old-2", "r-20260105-100000-ab12", "simulated", "h1",
         '{"personality": "verbose", "language": "B"}'),
        (3, "c-ref-1", None, "reference:mts", None, "{}"),
    ]
    for seq, cid, run, source, persona, levels in conversations:
        conn.execute(
            "INSERT INTO conversations VALUES (?, ?, ?, ?, ?, 'ada', 'ed_consult', 'ed_pn_01', ?, "
            "'ollama/llama3.2:3b', 'scripted/intake', 7, 0, 'done', 3, ?, 'p1', NULL)",
            (seq, cid, run, source, persona, levels, now),
        )
        texts = ["What brings you in?", f"A wheezing cough, conversation {seq}.", "Since when?"]
        for turn in turns(texts):
            conn.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, '{\"sentences\": 1}', 0.5, ?)",
                (turn_id(seq, turn.index), seq, turn.index, turn.role, turn.text, now),
            )
    conn.commit()
    conn.close()


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every version-1 column of every version-1 table, in row order."""
    conn = sqlite3.connect(path)
    dumped = {
        table: conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid").fetchall()
        for table, columns in V1_COLUMNS.items()
    }
    conn.close()
    return dumped


def test_migration_from_v1_keeps_every_row_and_new_features_work(store_path: Path) -> None:
    create_store_at_version(store_path, 1)
    _fill_v1(store_path)
    before = _dump(store_path)
    assert [len(rows) for rows in before.values()] == [1, 1, 1, 3, 9]

    with Store(store_path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert _dump(store_path) == before  # counts and contents, column by column

        old = store.get_transcript("c-old-1")
        assert old.levels == {"personality": "verbose", "language": "B"}
        assert old.patient_prompt == "You are Ada, 36, coughing for a week."
        assert [t.text for t in old.turns][1] == "A wheezing cough, conversation 1."
        assert old.turns[1].state == {"sentences": 1}

        # Full-text search over turns written before the index existed.
        hits = store.search_turns("wheezing")
        assert sorted((h.conversation_id, h.idx) for h in hits) == [
            ("c-old-1", 1), ("c-old-2", 1), ("c-ref-1", 1)
        ]
        assert all("«wheezing»" in h.snippet for h in hits)
        # Level filtering on old rows (their level sets were built by the migration).
        page = store.list_conversations(
            ConversationFilter(levels={"personality": ["verbose"], "language": ["B"]})
        )
        assert page.total == 2 and {c.id for c in page.items} == {"c-old-1", "c-old-2"}
        assert store.facets()["axis:personality"] == ["verbose"]
        # The reference corpus of old rows is registered; old runs can be cancelled.
        assert [(c.name, c.n_conversations) for c in store.list_corpora()] == [("mts", 1)]
        assert store.cancel_requested("r-20260105-100000-ab12") is False
        # Old runs carry no claim, and can be claimed by an executor.
        assert store.get_run("r-20260105-100000-ab12").owner is None
        store.claim_run("r-20260105-100000-ab12", "host:1:a")
        assert store.get_run("r-20260105-100000-ab12").owner == "host:1:a"
        # Old conversations take new turns, annotations; the new turn is searchable too.
        store.append_turn("c-old-1", turns(["Three days, with a fever."], start=3)[0])
        assert store.get_transcript("c-old-1").turns[-1].index == 3
        assert [h.idx for h in store.search_turns("fever")] == [3]
        store.put_annotation(Annotation(conversation_id="c-old-2", rubric="realism",
                                        item="overall", value=4, annotator="ana"))
        assert len(store.annotations("c-old-2")) == 1
        assert store.stats().turns == 10
        # Other tools can read turns by conversation id.
        rows = store._conn.execute(
            "SELECT conversation_id, idx FROM conversation_turns ORDER BY conversation_id, idx"
        ).fetchall()
        assert [tuple(r) for r in rows][:4] == [("c-old-1", i) for i in range(4)]
        assert len(rows) == 10


def test_create_store_at_version_refuses_unknown_versions(store_path: Path) -> None:
    with pytest.raises(StoreError, match=f"unknown schema version {SCHEMA_VERSION + 1}"):
        create_store_at_version(store_path, SCHEMA_VERSION + 1)

