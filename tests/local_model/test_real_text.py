"""Real model text through the workbench: the run engine, role adherence, diversity, realism
against PriMock57, the judge's parser and the clusters. Structure only, never golden text."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from tests.local_model.conftest import MODEL, REFERENCE, TURNS, RealRun
from workbench.analysis import reports
from workbench.analysis.bootstrap import Resampling
from workbench.analysis.clusters import build_map
from workbench.analysis.corpus import load_units
from workbench.analysis.judge import judge_conversation, judged_items, parse_verdict
from workbench.analysis.roles import CHECKS, runs_role_adherence
from workbench.backends import ChatOptions, get_backend
from workbench.library import Library
from workbench.library.rubrics import load_rubric
from workbench.simulate.conversation import ConversationPlan, reply_token_limit
from workbench.store import Store

FEW = Resampling(n_resamples=50)


def _transcripts(run: RealRun):
    with Store(run.path) as store:
        return store.conversations_of_run(run.run_id, with_turns=True)


def test_the_engine_stores_real_turns_within_their_limits(real_run: RealRun):
    transcripts = _transcripts(real_run)
    assert len(transcripts) == 2 and all(t.status == "done" for t in transcripts)
    for t in transcripts:
        assert [turn.index for turn in t.turns] == list(range(TURNS))
        assert t.patient_model == t.clinician == MODEL
        plan = ConversationPlan.model_validate(t.metadata["plan"])
        limit = reply_token_limit(max(c for c in plan.sentence_caps.values() if c))
        for turn in t.turns[1:]:  # the scenario's opening line is fixed text
            assert turn.latency_s and turn.prompt_tokens and turn.completion_tokens
            if turn.role == "patient":
                assert turn.completion_tokens <= limit
                assert turn.state["sentences"] >= 0 and "over_cap" in turn.state


def test_role_adherence_counts_every_real_patient_turn(real_run: RealRun):
    with Store(real_run.path) as store:
        (result,) = runs_role_adherence(store, [real_run.run_id])
    assert result.n_turns == sum(t.role == "patient" and bool(t.text.strip())
                                 for c in _transcripts(real_run) for t in c.turns)
    assert set(result.counts) == {c.name for c in CHECKS}
    assert all(0 <= n <= result.n_turns for n in result.counts.values())


def test_diversity_of_real_text(real_run: RealRun):
    with Store(real_run.path) as store:
        result = reports.diversity_report(store, [real_run.run_id], embed=False, resampling=FEW)
    (group,) = result.groups
    assert group.n_conversations == 2 and group.turns.n_texts >= 2
    assert 0 < group.turns.distinct_1.value <= 1 and group.turns.mtld is not None


def test_realism_of_real_text_against_primock57(scripted_run: RealRun):
    from workbench.io.reference import import_reference

    corpus = REFERENCE / "primock57" / "conversations.jsonl"
    if not corpus.is_file():
        pytest.skip(f"../shared/reference not found: {corpus}")
    with Store(scripted_run.path) as store:
        import_reference(store, corpus, "primock57")
        result = reports.realism_report(store, [scripted_run.run_id], "primock57", embed=False,
                                        resampling=FEW)
    assert result.n_simulated_turns == 10 and result.n_reference_turns > 100
    c2st = {r.metric: r for r in result.results}["c2st_auc"]
    assert 0 <= c2st.value <= 1 and c2st.yardsticks
    assert {t.tell for t in result.tells} >= {"markdown", "long_turn"}


async def test_the_judge_parser_survives_a_real_small_models_verdict(real_run: RealRun):
    transcript = _transcripts(real_run)[0]
    library = Library()
    rubric = load_rubric("persona_fidelity")
    persona = library.personas()[transcript.persona_id or ""]
    axes = [library.axes()[a] for a in persona.levels]
    items = judged_items(rubric, axes, persona.levels, transcript.scenario)
    backend = get_backend(MODEL)
    annotations = await judge_conversation(transcript, rubric, backend, axes=axes,
                                           levels=persona.levels,
                                           options=ChatOptions(temperature=0.0, seed=0,
                                                               num_predict=160))
    assert len(annotations) <= len(items)  # whatever it wrote: valid values kept, rest skipped
    for annotation in annotations:
        item = next(i for i in items if i.id == annotation.item)
        assert item.check_value(annotation.value) is None
    reply = await backend.chat([{"role": "user", "content": "Rate it. Answer in JSON."}],
                               ChatOptions(seed=1, num_predict=64))
    values, invalid = parse_verdict(reply.text, items)
    assert len(values) + len(invalid) == len(items)


def test_clusters_of_real_turns(real_run: RealRun):
    from workbench.analysis.embeddings import embed_texts

    with Store(real_run.path) as store:
        units = load_units(store, real_run.run_id, unit="turn")
        texts = units["text"].to_list()
        if reason := reports.embedding_unavailable(store, texts):
            pytest.skip(reason)
        vectors = embed_texts(store, texts).vectors
    assert len(units) >= 2 and vectors.shape[0] == len(units)
    mapped = build_map(units, vectors, projection="pca", k=2)
    assert len(mapped.frame) == len(units) and set(mapped.keywords) <= {0, 1}
    assert np.isfinite(mapped.frame["x"].to_numpy()).all()


def test_a_cancelled_reply_leaves_the_model_usable(real_run: RealRun):
    async def scenario():
        backend = get_backend(MODEL)
        messages = [{"role": "user", "content": "Tell me a long story about a cough."}]
        task = asyncio.ensure_future(backend.chat(messages, ChatOptions(seed=1, num_predict=200)))
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await backend.chat(messages, ChatOptions(seed=1, num_predict=4))

    assert asyncio.run(scenario()).completion_tokens == 4
