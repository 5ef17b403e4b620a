"""Several processes on one store file: two writers, an annotator and a reader at once."""

from __future__ import annotations

import multiprocessing
import queue
import sys
import types
from pathlib import Path

import pytest

from tests.store import workers
from workbench.store import ConversationFilter, Store


def _drain(q: multiprocessing.Queue) -> list[object]:
    items = []
    while True:
        try:
            items.append(q.get(timeout=0.2))
        except queue.Empty:
            return items


def test_concurrent_writers_annotator_and_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A spawned child re-runs the parent's __main__ module; in a full test run that can be a
    # Streamlit page script an AppTest left there. The workers need nothing from it.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    path = str(tmp_path / "shared.db")  # not created yet: the processes race to create it
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(4)
    stop = ctx.Event()
    errors, reads = ctx.Queue(), ctx.Queue()
    writers = [ctx.Process(target=workers.write_turns, args=(path, name, start, errors))
               for name in ("alpha", "beta")]
    annotator = ctx.Process(target=workers.annotate, args=(path, start, errors))
    reader = ctx.Process(target=workers.read, args=(path, start, stop, errors, reads))
    processes = [*writers, annotator, reader]
    for process in processes:
        process.start()
    for process in (*writers, annotator):
        process.join(timeout=120)
    stop.set()
    reader.join(timeout=60)
    problems = _drain(errors)
    assert problems == []
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    (reads_done,) = _drain(reads)
    assert isinstance(reads_done, int) and reads_done >= 5

    with Store(path) as store:
        stats = store.stats()
        n = workers.N_CONVERSATIONS
        assert (stats.runs, stats.conversations) == (2, 2 * n + 1)
        assert stats.turns == 2 * n * workers.N_TURNS + 1
        assert stats.annotations == workers.N_ANNOTATIONS
        assert all(a.status == "submitted" for a in store.annotations(annotator="ana"))
        for writer in ("alpha", "beta"):
            page = store.list_conversations(ConversationFilter(levels={"writer": [writer]}))
            assert page.total == n
            for summary in page.items:
                transcript = store.get_transcript(summary.id)
                assert summary.sample is not None
                assert [t.text for t in transcript.turns] == [
                    workers.turn_text(writer, summary.sample, i) for i in range(workers.N_TURNS)
                ]
                assert transcript.status == "done"
            hits = store.search_turns(f"token{writer}", limit=1000)
            assert len(hits) == n * workers.N_TURNS


def test_processes_opening_a_new_store_at_once_all_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Switching a new file to WAL is not retried by SQLite's busy handler: before the store
    # retried it, about one trial in ten of six processes lost the race with "database is locked".
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    paths = [str(tmp_path / f"new-{n}.db") for n in range(30)]
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(6)
    errors = ctx.Queue()
    processes = [ctx.Process(target=workers.open_new_stores, args=(paths, start, errors))
                 for _ in range(6)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    problems = _drain(errors)
    assert not any("database is locked" in problem for problem in problems), problems[0]
    assert problems == []
    assert [p.exitcode for p in processes] == [0] * 6
    for path in paths:
        with Store(path) as store:
            assert store.stats().conversations == 0
