"""Two annotator processes on the same 10 conversations while a run appends their turns:
nothing is lost and no "database is locked" reaches anyone (issue 5's first Done-when)."""

from __future__ import annotations

import multiprocessing
import queue
import sys
import types
from pathlib import Path

import pytest

from tests.annotation import workers
from workbench.domain.transcript import Turn
from workbench.store import NewConversation, Store

ANNOTATORS = ("ana", "ben")


def _drain(q: multiprocessing.Queue) -> list[object]:
    items = []
    while True:
        try:
            items.append(q.get(timeout=0.2))
        except queue.Empty:
            return items


def test_two_annotators_and_a_run_lose_nothing(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # A spawned child re-runs the parent's __main__; in a full run that can be an AppTest page.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    path = str(tmp_path / "shared.db")
    with Store(path) as store:
        run = store.create_run(name="writing", config={}, patient_model="m", clinician="c")
        ids = store.add_conversations([NewConversation(run_id=run.id, sample=n, status="running")
                                       for n in range(workers.N_CONVERSATIONS)])
        store.append_turns_bulk((cid, Turn(index=i, role=workers.role_of(i),
                                           text=workers.turn_text(n, i)))
                                for n, cid in enumerate(ids) for i in range(workers.FIRST_TURNS))
    ctx = multiprocessing.get_context("spawn")
    start, errors = ctx.Barrier(3), ctx.Queue()
    processes = [ctx.Process(target=workers.annotate, args=(path, name, ids, start, errors))
                 for name in ANNOTATORS]
    processes.append(ctx.Process(target=workers.write_turns, args=(path, ids, start, errors)))
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=180)
    problems = _drain(errors)
    assert problems == []  # a "database is locked" anywhere would be here
    assert [p.exitcode for p in processes] == [0, 0, 0]

    with Store(path) as store:
        for n, cid in enumerate(ids):
            transcript = store.get_transcript(cid)
            total = workers.FIRST_TURNS + workers.MORE_TURNS
            assert [t.text for t in transcript.turns] == [workers.turn_text(n, i)
                                                          for i in range(total)]
            assert transcript.status == "done"
            for annotator in ANNOTATORS:
                stored = {(a.turn_idx, a.item): a for a in store.annotations(cid, annotator)}
                expected, _ = workers.form(annotator, n, workers.ROUNDS)
                assert {k: a.value for k, a in stored.items()} == expected
                assert {a.status for a in stored.values()} == {"submitted"}
        assert store.stats().annotations == (
            len(ANNOTATORS) * workers.N_CONVERSATIONS * (2 + len(workers.PATIENT_TURNS)))
