"""Filtered pages with totals, paging and facets, checked against a plain-Python reference."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from tests.store.factories import turns
from workbench.store import ConversationFilter, ConversationSummary, NewConversation, Store

START = datetime(2026, 1, 1, tzinfo=UTC)
AXES = {"personality": ["plain", "verbose", "distrust"], "language": ["A", "B"],
        "recall": ["low", "high"]}
MODELS = ["ollama/llama3.2:3b", "ollama/qwen2.5:7b"]


@pytest.fixture
def grid(store: Store) -> list[NewConversation]:
    """Two runs and a corpus; every level combination under both models; varied turn counts."""
    runs = [store.create_run(name=n, config={}, patient_model="m", clinician="c").id
            for n in ("a", "b")]
    store.register_corpus("mts")
    rng = random.Random(3)
    convs = []
    combos = list(itertools.product(*AXES.values(), MODELS))
    for i, (personality, language, recall, model) in enumerate(combos):
        convs.append(NewConversation(
            run_id=runs[i % 2],
            scenario="ed_consult" if i % 3 else "cbt_session",
            profile=f"profile_{i % 4}",
            persona_id=f"p{i}",
            levels={"personality": personality, "language": language, "recall": recall},
            patient_model=model,
            clinician="scripted/intake" if i % 2 else "ollama/llama3.1:8b",
            status=rng.choice(["pending", "running", "done", "failed"]),
            created_at=START + timedelta(minutes=i // 2),  # pairs share a creation time
        ))
    convs.append(NewConversation(source="reference:mts", levels={}, status="done",
                                 created_at=START - timedelta(days=1)))
    ids = store.add_conversations(convs)
    for n, conversation_id in enumerate(ids):
        store.append_turns_bulk([(conversation_id, t)
                                 for t in turns([f"turn {k}" for k in range(n % 5)])])
    return [c.model_copy(update={"id": i}) for c, i in zip(convs, ids)]


def _matches(c: NewConversation, f: ConversationFilter, n_turns: int) -> bool:
    for axis, allowed in f.levels.items():
        if allowed and c.levels.get(axis) not in allowed:
            return False
    for name in ("scenario", "profile", "patient_model", "clinician", "run_id", "status",
                 "source"):
        allowed = getattr(f, name)
        if allowed and getattr(c, name) not in allowed:
            return False
    if f.min_turns is not None and n_turns < f.min_turns:
        return False
    return f.max_turns is None or n_turns <= f.max_turns


def _expected(grid: list[NewConversation], f: ConversationFilter) -> list[str]:
    """Ids newest first: creation time, then insertion order."""
    kept = [(c.created_at, n, c.id) for n, c in enumerate(grid) if _matches(c, f, n % 5)]
    return [str(cid) for _, _, cid in sorted(kept, reverse=True)]


def _all_pages(store: Store, f: ConversationFilter, size: int) -> list[ConversationSummary]:
    items, offset = [], 0
    while True:
        page = store.list_conversations(f, limit=size, offset=offset)
        items.extend(page.items)
        if len(page.items) < size:
            return items
        offset += size


def test_two_axis_levels_and_a_model_select_exactly(store: Store,
                                                    grid: list[NewConversation]) -> None:
    f = ConversationFilter(levels={"personality": ["verbose", "distrust"], "recall": ["low"]},
                           patient_model=["ollama/qwen2.5:7b"])
    page = store.list_conversations(f)
    assert [c.id for c in page.items] == _expected(grid, f)
    assert page.total == len(page.items) == 4  # 2 personalities x 2 languages, low recall
    for item in page.items:
        assert item.levels["personality"] in {"verbose", "distrust"}
        assert item.levels["recall"] == "low" and item.patient_model == "ollama/qwen2.5:7b"


def test_random_filters_agree_with_python(store: Store, grid: list[NewConversation]) -> None:
    rng = random.Random(11)
    choices = {
        "scenario": ["ed_consult", "cbt_session", "nope"],
        "profile": [f"profile_{i}" for i in range(5)],
        "patient_model": MODELS,
        "clinician": ["scripted/intake", "ollama/llama3.1:8b"],
        "run_id": [r.id for r in store.list_runs()],
        "status": ["pending", "running", "done", "failed", "cancelled"],
        "source": ["simulated", "reference:mts"],
    }
    for _ in range(60):
        fields: dict[str, object] = {
            "levels": {axis: rng.sample(AXES[axis], rng.randint(0, 2))
                       for axis in rng.sample(sorted(AXES), rng.randint(0, 3))},
        }
        for name in rng.sample(sorted(choices), rng.randint(0, 3)):
            fields[name] = rng.sample(choices[name], rng.randint(1, 2))
        if rng.random() < 0.3:
            fields["min_turns"] = rng.randint(0, 4)
        if rng.random() < 0.3:
            fields["max_turns"] = rng.randint(0, 4)
        f = ConversationFilter.model_validate(fields)
        expected = _expected(grid, f)
        assert [c.id for c in _all_pages(store, f, 7)] == expected, f
        assert store.list_conversations(f, limit=3).total == len(expected), f


def test_paging_is_deterministic_newest_first(store: Store,
                                              grid: list[NewConversation]) -> None:
    everything = _expected(grid, ConversationFilter())
    assert len(everything) == 25
    for size in (1, 4, 10, 50):
        assert [c.id for c in _all_pages(store, ConversationFilter(), size)] == everything
    page = store.list_conversations(None, limit=10, offset=20)
    assert (len(page.items), page.total, page.limit, page.offset) == (5, 25, 10, 20)
    assert store.list_conversations(limit=5, offset=100).items == []
    with pytest.raises(ValueError, match="must be >= 0"):
        store.list_conversations(limit=-1)


def test_unknown_level_or_value_matches_nothing(store: Store,
                                                grid: list[NewConversation]) -> None:
    for f in (ConversationFilter(levels={"personality": ["shy"]}),
              ConversationFilter(levels={"mood": ["sad"]}),
              ConversationFilter(patient_model=["ollama/none"])):
        page = store.list_conversations(f)
        assert (page.total, page.items) == (0, [])


def test_summary_has_first_patient_snippet(store: Store) -> None:
    long_reply = "I have had this cough " + "and it keeps going " * 20
    a = store.add_conversation(NewConversation())
    store.append_turns_bulk([(a, t) for t in turns(["What brings you in?", long_reply, "Okay."])])
    b = store.add_conversation(NewConversation())
    store.append_turns_bulk([(b, t) for t in turns(["Hello?"])])
    items = {c.id: c for c in store.list_conversations().items}
    snippet = items[a].first_patient_snippet
    assert snippet is not None and len(snippet) <= 120 and snippet.endswith("…")
    assert snippet.startswith("I have had this cough and it keeps going")
    assert items[b].first_patient_snippet is None


def test_text_filter_keeps_conversations_with_a_matching_turn(
    store: Store, grid: list[NewConversation]
) -> None:
    wheeze = store.add_conversation(NewConversation(patient_model=MODELS[0]))
    store.append_turns_bulk([(wheeze, t) for t in turns(["Breathing?", "I wheeze at night."])])
    assert [c.id for c in store.list_conversations(ConversationFilter(text="wheezing")).items] \
        == [wheeze]
    both = ConversationFilter(text="wheeze", patient_model=[MODELS[1]])
    assert store.list_conversations(both).total == 0
    assert store.list_conversations(ConversationFilter(text="x-ray")).total == 0


def test_facets_list_values_in_use(store: Store, grid: list[NewConversation]) -> None:
    facets = store.facets()
    assert facets["scenario"] == ["cbt_session", "ed_consult"]
    assert facets["profile"] == [f"profile_{i}" for i in range(4)]
    assert facets["patient_model"] == MODELS
    assert facets["clinician"] == ["ollama/llama3.1:8b", "scripted/intake"]
    assert facets["run_id"] == [r.id for r in store.list_runs()]  # newest first
    assert set(facets["status"]) <= {"pending", "running", "done", "failed"}
    assert facets["source"] == ["reference:mts", "simulated"]
    assert facets["axis:personality"] == ["distrust", "plain", "verbose"]
    assert facets["axis:language"] == ["A", "B"] and facets["axis:recall"] == ["high", "low"]


def test_facets_of_an_empty_store(store: Store) -> None:
    assert store.facets() == {name: [] for name in ("scenario", "profile", "patient_model",
                                                    "clinician", "run_id", "status", "source")}
