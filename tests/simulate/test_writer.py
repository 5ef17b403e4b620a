"""The run's writer thread: order, group commits, and a bad write that sinks nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from tests.simulate.conftest import transcripts
from workbench.domain.transcript import Turn
from workbench.library import Library
from workbench.simulate import select_personas
from workbench.simulate.writer import StoreWriter
from workbench.store import DuplicateTurn


def _turn(index: int, text: str) -> Turn:
    return Turn(index=index, role="clinician" if index % 2 == 0 else "patient", text=text)


async def test_writes_land_in_order_and_a_bad_one_is_reported_without_losing_others(
    plan: Callable[..., str], library: Library, store_path: Path,
) -> None:
    run_id = plan(personas=select_personas(library, ["ed_*"])[:2], hosts=["http://127.0.0.1:9"])
    first, second = (c.id for c in transcripts(store_path, run_id))
    errors: list[BaseException] = []
    writer = StoreWriter(store_path, run_id, loop=asyncio.get_running_loop(),
                         on_cancel=lambda: None, on_error=errors.append, poll_s=0.05)
    await writer.start()
    for index in range(20):  # queued faster than committed: the writer takes them in groups
        writer.append_turn(first, _turn(index, f"a{index}"))
        writer.append_turn(second, _turn(index, f"b{index}"))
    writer.append_turn(first, _turn(3, "again"))  # a duplicate, as a second process would write
    writer.append_turn(second, _turn(20, "b20"))
    writer.set_conversation_status(second, "done")
    await writer.close()
    await asyncio.sleep(0)  # let the loop run the error callback

    assert len(errors) == 1 and isinstance(errors[0], DuplicateTurn)
    assert writer.error is errors[0] and writer.committed_turns == 41
    convs = {c.id: c for c in transcripts(store_path, run_id)}
    assert [t.text for t in convs[first].turns] == [f"a{i}" for i in range(20)]
    assert [t.text for t in convs[second].turns] == [f"b{i}" for i in range(21)]
    assert convs[second].status == "done"


async def test_a_conversation_that_lost_a_turn_is_left_unfinished_for_a_resume(
    plan: Callable[..., str], library: Library, store_path: Path, monkeypatch,
) -> None:
    from workbench.store import Store, StoreFull

    run_id = plan(personas=select_personas(library, ["ed_*"])[:2], hosts=["http://127.0.0.1:9"])
    first, second = (c.id for c in transcripts(store_path, run_id))
    original = Store.append_turn

    def full_at_turn_2(self: Store, conversation_id: str, turn: Turn) -> None:
        if conversation_id == first and turn.index == 2:
            raise StoreFull(self.path)  # the disk filled up just then
        original(self, conversation_id, turn)

    original_bulk = Store.append_turns_bulk

    def bulk_full_at_turn_2(self: Store, turns: list[tuple[str, Turn]]) -> None:
        if (first, 2) in {(cid, turn.index) for cid, turn in turns}:
            raise StoreFull(self.path)  # the whole group is rolled back
        original_bulk(self, turns)

    monkeypatch.setattr(Store, "append_turn", full_at_turn_2)
    monkeypatch.setattr(Store, "append_turns_bulk", bulk_full_at_turn_2)
    errors: list[BaseException] = []
    writer = StoreWriter(store_path, run_id, loop=asyncio.get_running_loop(),
                         on_cancel=lambda: None, on_error=errors.append, poll_s=0.05)
    await writer.start()
    for conv in (first, second):
        for index in range(4):
            writer.append_turn(conv, _turn(index, f"{conv[-4:]} {index}"))
        writer.set_conversation_status(conv, "done")
    await writer.close()
    await asyncio.sleep(0)

    assert [type(e) for e in errors] == [StoreFull]
    convs = {c.id: c for c in transcripts(store_path, run_id)}
    # The first keeps the turns before the lost one and stays unfinished (a resume completes
    # it); its later turns and its "done" were not written. The second is whole.
    assert [t.index for t in convs[first].turns] == [0, 1] and convs[first].status == "pending"
    assert [t.index for t in convs[second].turns] == [0, 1, 2, 3]
    assert convs[second].status == "done"
