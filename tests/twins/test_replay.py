"""The replayed clinician: real clinician turns verbatim, in order, ending where the real one did."""

from __future__ import annotations

import asyncio

import pytest

from tests.twins.conftest import CORPUS, MODEL
from workbench.backends import get_backend
from workbench.domain.exchanges import exchanges
from workbench.library import Library
from workbench.simulate import PlanError, RunConfig, execute_run, plan_checked_run
from workbench.store import Store
from workbench.twins import make_twins


def _twins(store: Store, library: Library, url: str) -> list[str]:
    backend = get_backend(MODEL, hosts=[url])
    return [o.persona_id for o in asyncio.run(make_twins(store, library, CORPUS, backend))]


def test_replay_plays_the_real_clinician(store: Store, library: Library, server) -> None:
    personas = _twins(store, library, server.url)
    config = RunConfig(personas=personas, patient_model=MODEL, clinician=f"replay/{CORPUS}",
                       hosts=[server.url], levels={"confusion": "high"})
    run = plan_checked_run(store, library, config)
    summary = asyncio.run(execute_run(store.path, run.id))
    assert summary.status == "done"
    for conv in store.conversations_of_run(run.id, with_turns=True):
        real = store.get_transcript(f"{CORPUS}:{conv.persona_id.split('-')[0].split('_')[-1]}")
        real_turns = [e.clinician for e in exchanges(real.turns)]
        played = [t.text for t in conv.turns if t.role == "clinician"]
        assert played == real_turns  # verbatim, in order, one per turn, none added
        assert len(conv.turns) == 2 * len(real_turns)  # each answered once, then the end
        assert conv.turns[-1].state["ended_by"] == "script"
        assert conv.levels["confusion"] == "high"  # an axis varied on top of the twin
    # c1 splits the patient's first answer over two utterances: joined into one exchange.
    c1 = exchanges(store.get_transcript("clinic:c1").turns)
    assert c1[0].patient == "I've had a cough for about a week. And a fever since Tuesday."
    assert c1[-1].patient == ""  # the real conversation ended on the clinician


def test_replay_takes_only_twins_of_its_corpus(store: Store, library: Library, server) -> None:
    _twins(store, library, server.url)
    config = RunConfig(personas=["ed_mi_01-distrust-B-high-normal"], patient_model=MODEL,
                       clinician=f"replay/{CORPUS}", hosts=[server.url])
    with pytest.raises(PlanError, match="not twins of that corpus"):
        plan_checked_run(store, library, config)
    config = config.model_copy(update={"personas": ["twin_*"], "clinician": "replay/other"})
    with pytest.raises(PlanError, match="replay/other"):
        plan_checked_run(store, library, config)


def test_replay_resumes_from_stored_turns(store: Store, library: Library, server) -> None:
    personas = _twins(store, library, server.url)
    config = RunConfig(personas=personas[:1], patient_model=MODEL, hosts=[server.url],
                       clinician=f"replay/{CORPUS}")
    run = plan_checked_run(store, library, config)
    server.fail_next("http_500", 50)  # every patient call fails: the conversation stops early
    asyncio.run(execute_run(store.path, run.id))
    (stopped,) = store.conversations_of_run(run.id, with_turns=True)
    assert stopped.status == "failed" and len(stopped.turns) == 1  # the first clinician turn
    server.clear_faults()
    asyncio.run(execute_run(store.path, run.id, retry_failed=True))
    (conv,) = store.conversations_of_run(run.id, with_turns=True)
    assert conv.status == "done"
    real = exchanges(store.get_transcript("clinic:c1").turns)
    assert [t.text for t in conv.turns if t.role == "clinician"] == [e.clinician for e in real]


def test_replay_backend_needs_a_replay_prompt() -> None:
    from workbench.backends import BackendError, ScriptExhausted
    from workbench.backends.replay import ReplayBackend, replay_prompt

    backend = get_backend("replay/clinic")
    assert isinstance(backend, ReplayBackend) and backend.name == "replay/clinic"
    asyncio.run(backend.check())  # nothing to reach: the turns come with each conversation
    with pytest.raises(BackendError, match="found no replayed conversation"):
        asyncio.run(backend.chat([{"role": "system", "content": "You are a doctor."}]))
    other = [{"role": "system", "content": replay_prompt("other", "x", ["Hi?"])}]
    with pytest.raises(BackendError, match="corpus 'other'"):
        asyncio.run(backend.chat(other))
    mine = [{"role": "system", "content": replay_prompt("clinic", "c9", ["Hi?", "Why?"])}]
    assert asyncio.run(backend.chat(mine)).text == "Hi?"
    asked = [*mine, {"role": "assistant", "content": "Hi?"}, {"role": "user", "content": "."},
             {"role": "assistant", "content": "Why?"}]
    assert backend.remaining(asked) == 0
    with pytest.raises(ScriptExhausted):
        asyncio.run(backend.chat(asked))


def test_twins_need_an_ed_scenario(store: Store, library: Library) -> None:
    from workbench.twins import ExtractionError, hand_twin

    with pytest.raises(ExtractionError, match="takes cbt profiles"):
        hand_twin(library, store.get_transcript("clinic:c1"), scenario="cbt_session")
