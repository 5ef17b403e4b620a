"""Appending turns: order enforced, failures leave the store as it was, search follows."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

import pytest

from tests.store.factories import add_conversation_with_turns, turns
from workbench.domain.transcript import Turn
from workbench.store import (
    DuplicateTurn,
    GapInTurns,
    NewConversation,
    Store,
    UnknownConversation,
)


def _snapshot(store: Store) -> tuple[object, ...]:
    conn = store._conn
    return (
        conn.execute("SELECT * FROM turns ORDER BY id").fetchall(),
        conn.execute("SELECT id, n_turns, updated_at FROM conversations ORDER BY seq").fetchall(),
        conn.execute("SELECT rowid FROM turns_fts WHERE turns_fts MATCH 'fever'").fetchall(),
        [tuple(r) for r in conn.execute("SELECT * FROM turns_fts_data ORDER BY id")],
    )


@pytest.fixture
def two_turns(store: Store) -> str:
    return add_conversation_with_turns(store, ["Any fever?", "A fever since Monday."])


@pytest.mark.parametrize(
    ("write", "error", "message"),
    [
        pytest.param(
            lambda s, c: s.append_turn(c, Turn(index=1, role="patient", text="fever again")),
            DuplicateTurn, "already has turn 1 (it has 2 turns, 0..1); nothing was written",
            id="duplicate"),
        pytest.param(
            lambda s, c: s.append_turn(c, Turn(index=0, role="patient", text="fever again")),
            DuplicateTurn, "already has turn 0", id="duplicate-first"),
        pytest.param(
            lambda s, c: s.append_turn(c, Turn(index=3, role="patient", text="fever")),
            GapInTurns, "expects turn 2 next, got turn 3", id="gap"),
        pytest.param(
            lambda s, c: s.append_turns_bulk([(c, t) for t in turns(["fever", "x"], start=1)]),
            DuplicateTurn, "already has turn 1", id="bulk-duplicate"),
        pytest.param(
            lambda s, c: s.append_turns_bulk([(c, t) for t in turns(["fever", "x"], start=3)]),
            GapInTurns, "expects turn 2 next, got turn 3", id="bulk-gap"),
        pytest.param(  # a good turn before the bad one in the same batch is not kept either
            lambda s, c: s.append_turns_bulk(
                [(c, Turn(index=2, role="clinician", text="fever?")),
                 (c, Turn(index=2, role="patient", text="fever"))]),
            DuplicateTurn, "turn 2", id="bulk-repeated-in-batch"),
        pytest.param(
            lambda s, c: s.append_turns_bulk(
                [(c, Turn(index=2, role="clinician", text="fever?")),
                 ("c-nope", Turn(index=0, role="patient", text="fever"))]),
            UnknownConversation, "no conversation 'c-nope'", id="bulk-unknown-conversation"),
    ],
)
def test_rejected_turns_leave_the_store_unchanged(
    store: Store, two_turns: str, write: Callable[[Store, str], object],
    error: type[Exception], message: str,
) -> None:
    before = _snapshot(store)
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        write(store, two_turns)
    assert _snapshot(store) == before
    store.append_turn(two_turns, Turn(index=2, role="clinician", text="Any cough?"))
    assert len(store.get_transcript(two_turns).turns) == 3


def test_unknown_conversation(store: Store) -> None:
    with pytest.raises(UnknownConversation):
        store.append_turn("c-nope", Turn(index=0, role="patient", text="hi"))


def test_bulk_interleaves_conversations_and_continues_stored_ones(store: Store) -> None:
    a = add_conversation_with_turns(store, ["q0", "a1"])
    b = store.add_conversation(NewConversation())
    rows = [(a, Turn(index=2, role="clinician", text="q2")),
            (b, Turn(index=0, role="clinician", text="q0")),
            (a, Turn(index=3, role="patient", text="a3")),
            (b, Turn(index=1, role="patient", text="a1"))]
    assert store.append_turns_bulk(iter(rows)) == 4
    assert [t.text for t in store.get_transcript(a).turns] == ["q0", "a1", "q2", "a3"]
    assert [t.text for t in store.get_transcript(b).turns] == ["q0", "a1"]
    assert store.append_turns_bulk([]) == 0
    assert store.stats().turns == 6


def test_every_write_path_is_searchable(store: Store) -> None:
    single = add_conversation_with_turns(store, ["Where is the pain?", "Zebra stripes."])
    bulk = store.add_conversation(NewConversation())
    store.append_turns_bulk([(bulk, t) for t in turns(["Okapi?", "Zebra crossing."])])
    found = {(h.conversation_id, h.idx) for h in store.search_turns("zebra")}
    assert found == {(single, 1), (bulk, 1)}
    assert {h.conversation_id for h in store.search_turns("okapi")} == {bulk}


def test_a_waiting_writer_does_not_fail_while_another_holds_the_lock(
    store: Store, two_turns: str
) -> None:
    locked = threading.Event()

    def hold_the_write_lock() -> None:
        other = sqlite3.connect(store.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(0.5)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    locked.wait()
    store.append_turn(two_turns, Turn(index=2, role="clinician", text="Still waiting?"))
    holder.join()
    assert store.get_transcript(two_turns).turns[-1].text == "Still waiting?"
