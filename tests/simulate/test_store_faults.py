"""A run on a disk that fills up: plain words, nothing lost, and it resumes once there is room."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.simulate.conftest import assert_well_formed, six_personas, transcripts
from tests.support import OllamaTestServer
from workbench.library import Library
from workbench.simulate import RunAborted, execute_run, resume_run
from workbench.store import Store, connection


async def test_a_full_disk_stops_the_run_with_what_to_do_and_it_resumes(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = make_server(parallel=4)
    run_id = plan(personas=six_personas(library), samples=3, max_turns=20, hosts=[server.url])
    with Store(store_path) as store:
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (pages,) = store._conn.execute("PRAGMA page_count").fetchone()
    # SQLite's size cap stands in for a full disk (the same SQLITE_FULL), a few pages ahead.
    monkeypatch.setattr(connection, "_PRAGMAS",
                        (*connection._PRAGMAS, f"PRAGMA max_page_count = {pages + 8}"))
    with pytest.raises(RunAborted) as caught:
        await asyncio.wait_for(execute_run(store_path, run_id), 120)
    message = str(caught.value)
    assert "is full" in message and "Free some space" in message
    assert f"workbench run --resume {run_id}" in message
    for conv in transcripts(store_path, run_id):  # what was stored is a clean prefix
        assert [t.index for t in conv.turns] == list(range(len(conv.turns)))

    monkeypatch.undo()  # space freed
    assert (await resume_run(store_path, run_id)).status == "done"
    for conv in transcripts(store_path, run_id):
        assert conv.status == "done"
        assert_well_formed(conv)
