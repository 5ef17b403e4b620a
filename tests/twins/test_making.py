"""Twins made from a written corpus by the test server: extraction, validation, files, errors."""

from __future__ import annotations

import asyncio
import json

import pytest
import yaml

from tests.support import OllamaTestServer
from tests.support.twin_extraction import extraction_replies
from tests.twins.conftest import CORPUS, FIXTURES, MODEL
from workbench.backends import get_backend
from workbench.domain.profile import EDProfile, TwinSource
from workbench.library import Library, LibraryError
from workbench.store import Store
from workbench.twins import (
    ExtractionError,
    extract_twin,
    hand_twin,
    make_twins,
    parse_extraction,
    save_twin,
    twin_ids,
)


def _make(store: Store, library: Library, url: str, **kwargs: object):
    backend = get_backend(MODEL, hosts=[url])
    return asyncio.run(make_twins(store, library, CORPUS, backend, **kwargs))


def test_twins_hold_only_what_the_patient_said(store: Store, library: Library,
                                               server: OllamaTestServer) -> None:
    outcomes = _make(store, library, server.url)
    assert [o.error for o in outcomes] == [None, None]
    profiles = library.profiles()
    c1 = profiles[twin_ids(CORPUS, "c1")]
    assert isinstance(c1, EDProfile)
    assert c1.twin == TwinSource(corpus="clinic", conversation="c1", extraction_model=MODEL)
    assert c1.allergies == "penicillin causes a rash"
    # Unknown facts stay empty, never invented: null, "" and fields the model left out.
    assert c1.age is None and c1.gender == "" and c1.diagnosis == "" and c1.occupation == ""
    assert profiles[twin_ids(CORPUS, "c2")].pain == 3  # "3" read as the integer
    # The persona uses the scenario's twin levels and renders; empty facts read "not stated".
    persona = library.personas()[outcomes[0].persona_id]
    assert persona.levels == {"personality": "plain", "language": "C", "recall": "high",
                              "confusion": "normal"}
    prompt = library.render(persona).patient
    assert "Allergies: penicillin causes a rash" in prompt and "Age: not stated" in prompt
    # The prompt sent to the model is the library's template with the conversation as data.
    sent = server.requests("/api/chat")[0]["messages"][0]["content"]
    assert "BEGIN CONVERSATION DATA" in sent and "Penicillin gives me a rash." in sent
    saved = yaml.safe_load((library.root / "profiles/ed/twin_clinic_c1.yaml").read_text())
    assert saved["twin"] == {"corpus": "clinic", "conversation": "c1",
                             "extraction_model": MODEL}


@pytest.mark.parametrize(("reply", "message"), [
    ("I'm sorry, I can't help with that.", "holds no JSON object"),
    ('{"chief_complaint": "cough", "age": 4', "unfinished or malformed"),
    ('Here are the facts: {"chief_complaint": "cough"}', "text outside its JSON object"),
    ('{"chief_complaint": "cough"} Hope this helps!', "text outside its JSON object"),
    ("", "reply is empty"),
])
def test_unreadable_replies_fail_that_conversation_only(
        store: Store, library: Library, reply: str, message: str) -> None:
    fixtures = {"c1": reply, "c2": FIXTURES["c2"]}
    with OllamaTestServer(reply_fn=extraction_replies(fixtures)) as srv:
        outcomes = _make(store, library, srv.url)
    assert outcomes[0].error is not None and message in outcomes[0].error
    assert outcomes[1].error is None
    assert twin_ids(CORPUS, "c1") not in library.profiles()
    assert twin_ids(CORPUS, "c2") in library.profiles()


def test_bad_values_are_dropped_with_a_note(store: Store, library: Library) -> None:
    facts = {"age": 400, "pain": "severe", "allergies": ["penicillin", "latex"],
             "chief_complaint": "Unknown", "favourite_colour": "blue", "gender": {"x": 1}}
    with OllamaTestServer(reply_fn=extraction_replies({"c1": json.dumps(facts)})) as srv:
        (outcome,) = _make(store, library, srv.url, conversations=["c1"])
    profile = library.profiles()[outcome.profile_id]
    assert profile.age is None and profile.pain is None and profile.chief_complaint == ""
    assert profile.allergies == "penicillin; latex"
    notes = " | ".join(outcome.notes)
    assert "favourite_colour" in notes and "age: 400 is outside" in notes
    assert "pain: expected an integer" in notes and "gender: expected text" in notes


def test_parse_accepts_a_fenced_object() -> None:
    assert parse_extraction('```json\n{"age": 3}\n```') == {"age": 3}


def test_unknown_conversation_and_existing_twins(store: Store, library: Library,
                                                 server: OllamaTestServer) -> None:
    with pytest.raises(ExtractionError, match="no conversation"):
        _make(store, library, server.url, conversations=["nope"])
    _make(store, library, server.url, conversations=["c1"])
    (again,) = _make(store, library, server.url, conversations=["c1"])
    assert again.error is not None and "already exists" in again.error
    (replaced,) = _make(store, library, server.url, conversations=["c1"], overwrite=True)
    assert replaced.error is None


def test_hand_written_twin_and_edit_before_saving(store: Store, library: Library,
                                                  server: OllamaTestServer) -> None:
    real = store.get_transcript("clinic:c2")
    draft = hand_twin(library, real)
    assert draft.profile.twin is not None and draft.profile.twin.extraction_model is None
    edited = draft.profile.model_copy(update={"chief_complaint": "burning urine", "age": 52})
    save_twin(library, edited, draft.persona)
    assert library.profiles()[edited.id].age == 52
    extracted = asyncio.run(extract_twin(library, store.get_transcript("clinic:c1"),
                                         get_backend(MODEL, hosts=[server.url])))
    assert extracted.profile.chief_complaint == "cough for a week with fever"


def test_hand_written_profiles_still_need_every_fact(library: Library) -> None:
    with pytest.raises(ValueError, match="age must be given"):
        EDProfile.model_validate({**_full(), "age": None})
    blank = EDProfile.model_validate({**_full(), "allergies": ""})
    with pytest.raises(LibraryError, match="allergies: is empty"):
        library.save_profile(blank)


def _full() -> dict[str, object]:
    return yaml.safe_load((Library().root / "profiles/ed/ed_mi_01.yaml").read_text()) | {
        "id": "hand_made"}


def test_a_hand_written_twin_file_validates(library: Library) -> None:
    path = library.root / "profiles" / "ed" / "twin_clinic_c2.yaml"
    fields = {n: "" for n in EDProfile.model_fields if n not in {"kind", "id", "twin", "age",
                                                                 "pain"}}
    data = {"id": "twin_clinic_c2", **fields, "chief_complaint": "burning urine",
            "twin": {"corpus": "clinic", "conversation": "c2"}}
    path.write_text(yaml.safe_dump(data))
    assert library.validate([path]) == []
    profile = library.profiles()["twin_clinic_c2"]
    assert profile.age is None and profile.twin.extraction_model is None
    # The same file without its twin block is a hand-written profile: every blank is an error.
    path.write_text(yaml.safe_dump({k: v for k, v in data.items() if k != "twin"}))
    messages = [i.message for i in library.validate([path])]
    assert any("age and pain must be given" in m for m in messages), messages
