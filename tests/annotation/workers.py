"""Processes for the annotation concurrency test (importable, so ``spawn`` can start them)."""

from __future__ import annotations

import traceback
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from workbench.annotation.drafts import Key, save_values
from workbench.domain.rubric import AnyItem
from workbench.domain.transcript import Turn
from workbench.library.rubrics import load_rubric
from workbench.settings import PROJECT_ROOT
from workbench.store import Store

N_CONVERSATIONS = 10
FIRST_TURNS = 4
"""Turns every conversation has before the test starts (the ones annotated per turn)."""
MORE_TURNS = 40
"""Turns the run appends to each conversation while the annotators work."""
ROUNDS = 3
"""Draft saves per conversation before the submission."""
PATIENT_TURNS = [i for i in range(FIRST_TURNS) if i % 2 == 1]


def role_of(index: int) -> str:
    return "clinician" if index % 2 == 0 else "patient"


def turn_text(conversation: int, index: int) -> str:
    return f"conversation {conversation} turn {index}"


def form(annotator: str, conversation: int, round_no: int) -> tuple[dict[Key, object],
                                                                     dict[Key, AnyItem]]:
    """The values an annotator gives a conversation in one round, and the items they answer."""
    fidelity = load_rubric("persona_fidelity", PROJECT_ROOT / "personas")
    tells = load_rubric("llm_tells", PROJECT_ROOT / "personas")
    items: dict[Key, AnyItem] = {(None, "realism"): fidelity.item("realism"),
                                 (None, "fidelity_note"): fidelity.item("fidelity_note")}
    items.update({(idx, "tells"): tells.item("tells") for idx in PATIENT_TURNS})
    values: dict[Key, object] = {
        (None, "realism"): 1 + (conversation + round_no + len(annotator)) % 4,
        (None, "fidelity_note"): f"{annotator} round {round_no} on {conversation}",
    }
    values.update({(idx, "tells"): ["list"] if round_no % 2 else ["markdown", "em_dash"]
                   for idx in PATIENT_TURNS})
    return values, items


def annotate(path: str, annotator: str, ids: list[str], start: Barrier, errors: Queue) -> None:
    """Save drafts of every conversation several times, then submit each."""
    try:
        start.wait()
        for round_no in range(ROUNDS + 1):
            submit = round_no == ROUNDS
            for n, conversation_id in enumerate(ids):
                values, items = form(annotator, n, round_no)
                fidelity = {k: v for k, v in values.items() if k[1] != "tells"}
                tells = {k: v for k, v in values.items() if k[1] == "tells"}
                with Store(path) as store:  # one connection per save, as the page does
                    for rubric, part in (("persona_fidelity", fidelity), ("llm_tells", tells)):
                        problems = save_values(store, conversation_id, rubric, annotator, part,
                                               {k: items[k] for k in part}, submit=submit)
                        if problems:
                            errors.put(f"{annotator}: {problems}")
    except BaseException:  # noqa: BLE001 - every failure goes to the parent test
        errors.put(f"{annotator}: {traceback.format_exc()}")


def write_turns(path: str, ids: list[str], start: Barrier, errors: Queue) -> None:
    """The run: append turns to the annotated conversations, interleaved, then finish them."""
    try:
        start.wait()
        with Store(path) as store:
            for index in range(FIRST_TURNS, FIRST_TURNS + MORE_TURNS):
                for n, conversation_id in enumerate(ids):
                    store.append_turn(conversation_id, Turn(index=index, role=role_of(index),
                                                            text=turn_text(n, index)))
            for conversation_id in ids:
                store.set_conversation_status(conversation_id, "done")
    except BaseException:  # noqa: BLE001 - every failure goes to the parent test
        errors.put(f"run: {traceback.format_exc()}")
