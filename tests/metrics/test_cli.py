"""`workbench metrics diversity|realism|questionnaire`: JSON shape and values, text output, and user
errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.metrics.conftest import MetricsStore
from workbench.cli import app

runner = CliRunner()


def invoke(metrics_store: MetricsStore, *args: str):
    return runner.invoke(app, ["metrics", *args, "--store", str(metrics_store.path),
                               "--resamples", "20"])


def test_diversity_json_has_the_hand_computed_distinct_n(metrics_store: MetricsStore) -> None:
    result = invoke(metrics_store, "diversity", "--run", metrics_store.hand_run_id, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["runs"] == [metrics_store.hand_run_id] and report["by"] == "run"
    (group,) = report["groups"]
    d1 = group["turns"]["distinct_1"]
    assert d1["value"] == pytest.approx(5 / 13)
    assert group["turns"]["distinct_2"]["value"] == pytest.approx(6 / 9)
    assert d1["interval"]["low"] <= d1["value"] <= d1["interval"]["high"]
    assert d1["definition"].startswith("Distinct-1:")
    assert set(report["definitions"]) == {"distinct_1", "distinct_2", "self_bleu_3", "vendi",
                                          "mtld"}


def test_diversity_text_by_level_shows_figures_and_definitions(metrics_store: MetricsStore) -> None:
    result = invoke(metrics_store, "diversity", "--run", metrics_store.run_id, "--by", "level:mood")
    assert result.exit_code == 0, result.output
    assert "mood=low" in result.output and "mood=high" in result.output
    assert "self_bleu_3: Self-BLEU-3" in result.output
    assert "[" in result.output.splitlines()[2]  # a value with its interval


def test_realism_json_puts_each_figure_beside_its_yardsticks(metrics_store: MetricsStore) -> None:
    result = invoke(metrics_store, "realism", "--run", metrics_store.run_id, "--reference",
                    "clinic", "--second-reference", "ward", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["reference"] == "clinic" and report["second_reference"] == "ward"
    c2st = report["results"][0]
    assert c2st["metric"] == "c2st_auc" and c2st["value"] == pytest.approx(1.0)
    assert [y["label"] for y in c2st["yardsticks"]] == ["clinic halves (by conversation)",
                                                         "clinic vs ward"]
    assert {t["tell"] for t in report["tells"]} >= {"markdown", "em_dash", "assistant_phrase"}


def test_realism_text_shows_n_yardsticks_and_telling_ngrams(metrics_store: MetricsStore) -> None:
    result = invoke(metrics_store, "realism", "--run", metrics_store.run_id, "--reference",
                    "clinic", "--no-embed", "--top", "3")
    assert result.exit_code == 0, result.output
    assert "c2st_style_auc" in result.output and "reference halves" in result.output
    assert "18 / 18" in result.output  # n per side
    assert "Telling n-grams of c2st_auc" in result.output
    assert "Telling n-grams of c2st_style_auc" in result.output
    assert "Fréchet distance skipped: not asked for" in result.output
    assert "between real corpora: none: give --second-reference" in result.output


def test_corpora_on_both_sides_and_every_json_figure_has_value_low_high_and_n(
        metrics_store: MetricsStore) -> None:
    result = invoke(metrics_store, "realism", "--corpus", "ward", "--reference", "clinic",
                    "--no-embed", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["corpora"] == ["ward"] and report["runs"] == []
    for figure in report["results"]:
        assert {"value", "low", "high", "n_simulated", "n_reference"} <= set(figure)
        for yardstick in figure["yardsticks"]:
            assert {"value", "low", "high", "n_a", "n_b"} <= set(yardstick)
    assert report["results"][0]["simulated_ngrams"]  # the telling n-grams
    for tell in report["tells"]:
        assert {"value", "low", "high", "n"} <= set(tell["simulated"])
    diversity = invoke(metrics_store, "diversity", "--corpus", "ward", "--run",
                       metrics_store.hand_run_id, "--reference", "clinic", "--json")
    assert diversity.exit_code == 0, diversity.output
    report = json.loads(diversity.output)
    assert report["size"] == 4 and [g["group"] for g in report["groups"]] == [
        metrics_store.hand_run_id, "ward", "clinic"]
    assert {"value", "low", "high", "n"} <= set(report["groups"][0]["turns"]["distinct_1"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diversity", "--run", "r-nope"], "r-nope"),
        (["diversity"], "nothing to measure"),
        (["diversity", "--corpus", "nope"], "no reference corpus 'nope'"),
        (["diversity", "--run", "{run}", "--by", "level:anger"], "no axis 'anger'"),
        (["realism", "--run", "{run}", "--reference", "nope"], "no reference corpus 'nope'"),
        (["realism", "--run", "{hand}", "--reference", "clinic"],
         "has 4 patient turns in 2 conversations; realism needs at least 10 turns"),
    ],
)
def test_user_errors_exit_2_with_one_line(metrics_store: MetricsStore, args, message) -> None:
    filled = [a.format(run=metrics_store.run_id, hand=metrics_store.hand_run_id) for a in args]
    result = invoke(metrics_store, *filled)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_questionnaire_mini_ipip_prints_factor_levels(tmp_path) -> None:
    from tests.metrics.test_questionnaire_fidelity import INTENDED_MINI_IPIP, stored_conversation
    from tests.support import OllamaTestServer
    from workbench.domain.questionnaires import MINI_IPIP_ITEMS

    # Every item answered as intended except "Don't talk a lot" (reverse-keyed, intended 3)
    # answered 5: extraversion 11 (medium) becomes 2 + 1 + 3 + 3 = 9 (low).
    answers = dict(zip((text for text, _, _ in MINI_IPIP_ITEMS), INTENDED_MINI_IPIP))
    answers[MINI_IPIP_ITEMS[5][0]] = 5

    def reply(body: dict) -> str:
        question = body["messages"][-1]["content"]
        return next(f"{a}." for item, a in answers.items() if item in question)

    path = tmp_path / "store.db"
    conv_id = stored_conversation(path)
    with OllamaTestServer(reply_fn=reply) as server:
        args = ["metrics", "questionnaire", "-c", conv_id, "--instrument", "mini_ipip",
                "--host", server.url, "--store", str(path)]
        as_json = runner.invoke(app, [*args, "--json"])
        text = runner.invoke(app, args)
    assert as_json.exit_code == 0, as_json.output
    result = json.loads(as_json.output)
    assert result["instrument"] == "mini_ipip" and result["mean_abs_error"] == pytest.approx(2 / 20)
    extraversion = next(f for f in result["factors"] if f["factor"] == "extraversion")
    assert (extraversion["intended_score"], extraversion["answered_score"]) == (11, 9)
    assert (extraversion["answered_level"], extraversion["level_agrees"]) == ("low", False)
    assert text.exit_code == 0, text.output
    assert "mean absolute error 0.10; per factor" in text.output
    assert any(line.split()[:7] == ["extraversion", "9", "11", "2", "low", "medium", "False"]
               for line in text.output.splitlines())


def test_questionnaire_rejects_an_unknown_instrument(tmp_path) -> None:
    result = runner.invoke(app, ["metrics", "questionnaire", "-c", "c1", "--instrument", "bdi",
                                 "--store", str(tmp_path / "store.db")])
    assert result.exit_code == 2
    assert "--instrument takes phq9 or gad7 or mini_ipip, got 'bdi'" in result.output


def test_arcs_json_scores_every_patient_turn_and_names_the_groups(
        metrics_store: MetricsStore) -> None:
    from tests.metrics.conftest import HAND_TURNS
    from workbench.analysis.arcs import turn_affect

    result = invoke(metrics_store, "arcs", "--run", metrics_store.hand_run_id, "--reference",
                    "ward", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    (group,) = report["groups"]
    assert group["name"] == metrics_store.hand_run_id and group["n_conversations"] == 2
    assert sorted(a["scores"] for a in group["arcs"]) == sorted(
        turn_affect(list(turns)) for turns in HAND_TURNS)
    assert [r["name"] for r in report["references"]] == ["ward"]
    text = invoke(metrics_store, "arcs", "--run", metrics_store.hand_run_id)
    assert text.exit_code == 0 and "Arcs by run" in text.output
    assert invoke(metrics_store, "arcs").exit_code == 2  # nothing to measure
