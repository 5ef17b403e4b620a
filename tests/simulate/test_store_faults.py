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


async def test_a_store_fault_told_while_the_writer_closes_still_names_the_run(
    make_server: Callable[..., OllamaTestServer], plan: Callable[..., str], library: Library,
    store_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The writer tells the loop of a fault from its own thread; under load that news can land
    # while the run is already closing the writer after its last conversation. The run must
    # still fail with its own resume command (once it said "None", then "RUN_ID").
    from workbench.simulate import writer as writer_module
    from workbench.store.errors import StoreFull

    server = make_server(parallel=2)
    run_id = plan(personas=six_personas(library)[:2], samples=1, max_turns=4, hosts=[server.url])
    close = writer_module.StoreWriter.close

    async def close_after_a_late_fault(self: writer_module.StoreWriter) -> None:
        self.error = StoreFull(store_path)
        self._notify(self._on_error, self.error)  # as _guarded does, from the writer's side
        await close(self)

    monkeypatch.setattr(writer_module.StoreWriter, "close", close_after_a_late_fault)
    with pytest.raises(RunAborted) as caught:
        await asyncio.wait_for(execute_run(store_path, run_id), 120)
    assert f"workbench run --resume {run_id}" in str(caught.value)
    assert "is full" in str(caught.value)
    with Store(store_path) as store:
        assert store.get_run(run_id).status == "failed"
