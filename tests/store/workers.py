"""Processes for the concurrency test (importable, so ``spawn`` can start them)."""

from __future__ import annotations

import random
import traceback
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event

from tests.store.factories import role_of
from workbench.domain.transcript import Turn
from workbench.store import Annotation, NewConversation, Store

N_CONVERSATIONS = 4
N_TURNS = 30
N_ANNOTATIONS = 60


def turn_text(writer: str, conversation: int, index: int) -> str:
    return f"{writer} conversation {conversation} turn {index} token{writer}"


def _report(errors: Queue, who: str) -> None:
    errors.put(f"{who}: {traceback.format_exc()}")


def write_turns(path: str, writer: str, start: Barrier, errors: Queue) -> None:
    """Open the (maybe new) store, add a run and conversations, append turns one by one."""
    try:
        start.wait()
        with Store(path) as store:
            run = store.create_run(name=writer, config={}, patient_model=f"model-{writer}",
                                   clinician="scripted/intake")
            ids = store.add_conversations([
                NewConversation(run_id=run.id, patient_model=f"model-{writer}",
                                levels={"writer": writer}, sample=n)
                for n in range(N_CONVERSATIONS)
            ])
            store.set_run_status(run.id, "running")
            for index in range(N_TURNS):  # interleaved, as a run's workers would
                for n, conversation_id in enumerate(ids):
                    store.append_turn(conversation_id, Turn(
                        index=index, role=role_of(index), text=turn_text(writer, n, index)))
            for conversation_id in ids:
                store.set_conversation_status(conversation_id, "done")
            store.set_run_status(run.id, "done")
    except BaseException:  # noqa: BLE001 - every failure goes to the parent test
        _report(errors, writer)


def annotate(path: str, start: Barrier, errors: Queue) -> None:
    """Add a conversation of one's own and annotate it item by item, revising as it goes."""
    try:
        start.wait()
        with Store(path) as store:
            conversation_id = store.add_conversation(NewConversation(levels={"writer": "ann"}))
            store.append_turn(conversation_id, Turn(index=0, role="patient", text="I am fine."))
            for n in range(N_ANNOTATIONS):
                annotation = Annotation(conversation_id=conversation_id, rubric="realism",
                                        item=f"item{n}", value=n, annotator="ana")
                store.put_annotation(annotation)
                store.put_annotation(annotation.model_copy(update={"status": "submitted"}))
    except BaseException:  # noqa: BLE001 - every failure goes to the parent test
        _report(errors, "annotator")


def read(path: str, start: Barrier, stop: Event, errors: Queue, reads: Queue) -> None:
    """Browse, search and read transcripts until told to stop; check what is seen is whole."""
    try:
        start.wait()
        rng = random.Random(0)
        count = 0
        while not stop.is_set() or count < 5:
            try:
                store = Store(path)
            except BaseException:
                if count == 0 and not stop.is_set():
                    continue  # the file may not exist yet
                raise
            with store:
                page = store.list_conversations(limit=20)
                for summary in rng.sample(page.items, min(3, len(page.items))):
                    transcript = store.get_transcript(summary.id)
                    indexes = [t.index for t in transcript.turns]
                    assert indexes == list(range(len(indexes))), indexes
                    assert len(indexes) >= summary.n_turns
                store.search_turns("conversation")
                for run in store.list_runs():
                    store.run_progress(run.id)
                store.facets()
                store.stats()
            count += 1
        reads.put(count)
    except BaseException:  # noqa: BLE001 - every failure goes to the parent test
        _report(errors, "reader")


def open_new_stores(paths: list[str], start: Barrier, errors: Queue) -> None:
    """Open each new store at the same moment as the other processes (one barrier per file)."""
    try:
        for path in paths:
            start.wait(timeout=120)
            with Store(path) as store:
                store.stats()
    except BaseException:  # noqa: BLE001 - every failure goes to the parent test
        start.abort()  # the others stop waiting for this one
        _report(errors, "opener")
