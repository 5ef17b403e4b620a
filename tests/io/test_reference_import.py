"""Real conversations become a named reference corpus; a malformed file changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.io.conftest import shared_corpus
from workbench.io import ImportFileError, import_reference, parse_speaker_map
from workbench.store import ConversationFilter, NewConversation, Store, StoreError
from workbench.store.imports import ImportQueries


def _jsonl(path: Path, *records: object) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _conv(cid: str, *pairs: tuple[str, str], **extra: object) -> dict[str, object]:
    return {"id": cid, "source": "Test", **extra,
            "utterances": [{"speaker": s, "text": t} for s, t in pairs]}


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "store.db") as opened:
        yield opened


def _unchanged(store: Store) -> None:
    assert store.stats().conversations == 0
    assert store.list_corpora() == []


def test_jsonl_becomes_a_reference_corpus(store: Store, tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "real.jsonl",
        _conv("a", ("doctor", "What brings you in?"), ("patient", "Chest pain."),
              ("patient", "Since this morning."), section="GENHX"),
        _conv("b", ("counsellor", "How are you?"), ("client", "Tired.")),
    )
    summary = import_reference(store, path, "real", description="test", licence="CC0")
    assert (summary.conversations, summary.turns, summary.corpus) == (2, 5, "real")
    (corpus,) = store.list_corpora()
    assert (corpus.name, corpus.n_conversations, corpus.licence) == ("real", 2, "CC0")
    transcript = store.get_transcript("real:a")
    assert transcript.source == "reference:real" and transcript.status == "done"
    assert [(t.role, t.state["speaker"]) for t in transcript.turns] == [
        ("clinician", "doctor"), ("patient", "patient"), ("patient", "patient"),
    ]
    assert transcript.metadata == {"original_id": "a", "source": "Test", "section": "GENHX",
                                   "import": {"file": "real.jsonl", "line": 1}}
    listed = store.list_conversations(ConversationFilter(source=["reference:real"])).total
    assert listed == 2


def test_unmapped_labels_are_listed_in_one_error(store: Store, tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "family.jsonl",
        _conv("1", ("doctor", "Hi."), ("guest_family", "He is my dad."), ("patient", "Yes.")),
        _conv("2", ("docotr_2", "Hello."), ("guest_family", "Me again."), ("patient", "Hm.")),
    )
    with pytest.raises(ImportFileError) as info:
        import_reference(store, path, "family")
    message = str(info.value)
    assert message.splitlines()[0] == (
        f"{path}: speaker: unknown speaker label(s): docotr_2 (1 utterance, first on line 2), "
        "guest_family (2 utterances, first on line 1); map each to a side with "
        "--map LABEL=patient or --map LABEL=clinician (known without a map: client, clinician, "
        "counsellor, counselor, doctor, patient, therapist)"
    )
    _unchanged(store)
    mapping = parse_speaker_map(["guest_family=patient", "docotr_2=clinician"])
    import_reference(store, path, "family", mapping)
    roles = [t.role for t in store.get_transcript("family:2").turns]
    assert roles == ["clinician", "patient", "patient"]


def test_a_bad_json_line_is_named_and_nothing_is_written(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(_conv("1", ("doctor", "Hi."))) + "\n{\"id\": 2, \"utt\n")
    with pytest.raises(ImportFileError, match=rf"^{path}:2: not valid JSON: "):
        import_reference(store, path, "bad")
    _unchanged(store)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"id": "1"}, "utterances: required field is missing"),
        ({"id": "1", "utterances": []}, "utterances: expected a non-empty list"),
        ({"id": "1", "utterances": [{"speaker": "doctor"}]}, "utterances.0.text: expected text"),
        ({"id": "1", "utterances": [{"text": "hi"}]}, "utterances.0.speaker: expected a speaker"),
        (["not", "an", "object"], "expected a JSON object"),
    ],
)
def test_a_malformed_record_names_line_and_field(
    store: Store, tmp_path: Path, record: object, expected: str
) -> None:
    path = _jsonl(tmp_path / "bad.jsonl", _conv("0", ("doctor", "Hi.")), record)
    with pytest.raises(ImportFileError, match=rf"^{path}:2: {expected}"):
        import_reference(store, path, "bad")
    _unchanged(store)


def test_repeated_ids_are_named(store: Store, tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "dup.jsonl", _conv("x", ("doctor", "a")), _conv("x", ("doctor", "b")))
    with pytest.raises(ImportFileError, match=rf"{path}:2: id: id 'x' is also on line 1"):
        import_reference(store, path, "dup")


def test_csv_groups_rows_by_conversation_in_file_order(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "real.csv"
    path.write_text(
        "conversation,speaker,text,extra\n"
        "c1,doctor,\"Hello, what's wrong?\",x\n"
        "c2,therapist,How was your week?,y\n"
        "c1,patient,\"My knee,\nit hurts.\",z\n"
        "c2,client,Long.,w\n"
    )
    summary = import_reference(store, path, "csvrefs")
    assert (summary.conversations, summary.turns) == (2, 4)
    turns = store.get_transcript("csvrefs:c1").turns
    assert [(t.role, t.text) for t in turns] == [
        ("clinician", "Hello, what's wrong?"), ("patient", "My knee,\nit hurts."),
    ]


def test_csv_missing_column_is_named(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "real.csv"
    path.write_text("dialog,speaker,utterance\n1,doctor,hi\n")
    with pytest.raises(ImportFileError) as info:
        import_reference(store, path, "csvrefs")
    assert str(info.value).splitlines()[0] == (
        f"{path}:1: missing column(s) conversation, text; found: dialog, speaker, utterance; "
        "a reference CSV needs the columns conversation, speaker, text"
    )
    _unchanged(store)


def test_csv_unmapped_label_names_its_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "real.csv"
    path.write_text("conversation,speaker,text\n1,doctor,hi\n1,nurse,hello\n")
    with pytest.raises(ImportFileError, match=r"nurse \(1 utterance, first on line 3\)"):
        import_reference(store, path, "csvrefs")
    _unchanged(store)


def test_a_corpus_is_imported_once(store: Store, tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "real.jsonl", _conv("a", ("doctor", "Hi.")))
    import_reference(store, path, "real")
    stats = store.stats()
    with pytest.raises(StoreError, match="corpus 'real' already holds 1 conversations"):
        import_reference(store, path, "real")
    assert store.stats() == stats


def test_a_failure_inside_the_store_rolls_back_the_corpus_too(
    store: Store, tmp_path: Path
) -> None:
    store.add_conversation(NewConversation(id="clash:b"))
    path = _jsonl(tmp_path / "real.jsonl", _conv("a", ("doctor", "Hi.")),
                  _conv("b", ("doctor", "Hi.")))
    with pytest.raises(StoreError, match="'clash:b' already exists"):
        import_reference(store, path, "clash")
    assert store.list_corpora() == []
    assert store.stats().conversations == 1
    assert store.stats().turns == 0


@pytest.mark.parametrize("spec", ["guest", "guest=family", "=patient"])
def test_bad_speaker_maps_say_what_is_expected(spec: str) -> None:
    with pytest.raises(ValueError, match="expected LABEL=patient or LABEL=clinician"):
        parse_speaker_map([spec])


def test_bad_corpus_name(store: Store, tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "real.jsonl", _conv("a", ("doctor", "Hi.")))
    with pytest.raises(ValueError, match="may hold only letters"):
        import_reference(store, path, "my corpus")


@pytest.mark.shared
def test_primock57_imports_whole(store: Store) -> None:
    path = shared_corpus("primock57")
    summary = import_reference(store, path, "primock57", licence="CC BY 4.0")
    assert summary.conversations == 57
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert summary.turns == sum(len(r["utterances"]) for r in lines)
    first = store.get_transcript(f"primock57:{lines[0]['id']}")
    assert first.turns[0].text == lines[0]["utterances"][0]["text"]
    assert first.metadata["presenting_complaint"] == lines[0]["presenting_complaint"]


@pytest.mark.shared
def test_mts_dialog_needs_a_map_for_its_odd_labels(store: Store) -> None:
    path = shared_corpus("mts_dialog")
    with pytest.raises(ImportFileError) as info:
        import_reference(store, path, "mts_dialog")
    message = str(info.value)
    assert message.count("\n") == 1  # the one problem, then "nothing was imported"
    for label in ("guest_family (", "guest_clinician (", "docotr_2 (1 utterance", "doctor_2 ("):
        assert label in message
    _unchanged(store)
    labels = {u["speaker"] for line in path.read_text().splitlines()
              for u in json.loads(line)["utterances"]} - {"doctor", "patient"}
    mapping = parse_speaker_map(
        f"{label}={'clinician' if 'doc' in label or 'clinic' in label else 'patient'}"
        for label in labels
    )
    summary = import_reference(store, path, "mts_dialog", mapping)
    assert summary.conversations == 1701


def test_the_mixin_works_as_a_store_base(tmp_path: Path) -> None:
    """Once Store lists ImportQueries among its bases, imports go through the method."""

    class MixedStore(Store, ImportQueries):
        pass

    path = _jsonl(tmp_path / "real.jsonl", _conv("a", ("doctor", "Hi."), ("patient", "Hello.")))
    with MixedStore(tmp_path / "mixed.db") as mixed:
        assert import_reference(mixed, path, "real").turns == 2
        assert mixed.get_transcript("real:a").turns[1].role == "patient"
