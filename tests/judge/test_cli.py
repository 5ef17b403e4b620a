"""`workbench judge` and `workbench metrics questionnaire`: summaries and one-line user errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tests.judge.conftest import JudgeStore
from tests.judge.test_judge import QUALITY_ITEMS, by_patient_turns, scores
from workbench.cli import app

runner = CliRunner()


def judge(store: JudgeStore, *args: str):
    return runner.invoke(app, ["judge", "--store", str(store.path), "--no-progress", *args])


def test_judge_prints_a_summary_and_stores_scores(judge_store, make_server) -> None:
    server = make_server(reply_fn=by_patient_turns)
    args = ["--run", judge_store.run_id, "--rubric", "clinician_quality",
            "--model", "llama3.2:1b", "--host", server.url, "--concurrency", "2"]
    result = judge(judge_store, *args)
    assert result.exit_code == 0, result.output
    assert "judge:ollama/llama3.2:1b on clinician_quality" in result.output
    assert f"4 judged ({4 * len(QUALITY_ITEMS)} values), 0 skipped" in result.output
    assert len(scores(judge_store.path)) == 4 * len(QUALITY_ITEMS)
    again = judge(judge_store, *args)
    assert again.exit_code == 0 and "0 judged (0 values), 4 skipped" in again.output


def test_judge_errors_are_one_line_with_what_to_do(judge_store, make_server, dead_url) -> None:
    server = make_server(reply_fn=by_patient_turns)
    run = ["--run", judge_store.run_id]
    cases = [
        (["--run", "r-nope", "--rubric", "clinician_quality", "--model", "ollama/llama3.2:1b",
          "--host", server.url], 2, "no run 'r-nope'"),
        ([*run, "--rubric", "nope", "--model", "ollama/llama3.2:1b", "--host", server.url], 2,
         "no rubric 'nope'"),
        ([*run, "--rubric", "clinician_quality", "--model", "ollama/llama3.2:1b", "--host",
          dead_url], 1, "ollama serve"),
        ([*run, "--rubric", "clinician_quality", "--model", "ollama/absent:7b", "--host",
          server.url], 1, "ollama pull absent:7b"),
        ([*run, "--rubric", "clinician_quality", "--model", "bogus/x", "--host", server.url], 2,
         "Unknown backend 'bogus/x'"),
    ]
    for args, code, message in cases:
        result = judge(judge_store, *args)
        assert result.exit_code == code, (args, result.output)
        assert result.output.startswith("error: ") and message in result.output, result.output
        assert "Traceback" not in result.output
    assert scores(judge_store.path) == {} and len(server.requests("/api/chat")) == 0


def questionnaire(store: JudgeStore, *args: str):
    return runner.invoke(app, ["metrics", "questionnaire", "--store", str(store.path), *args])


def test_metrics_questionnaire_reports_fidelity(judge_store, make_server) -> None:
    server = make_server(reply_fn=lambda body: "I'd say 1, honestly.")
    conv_id = next(iter(judge_store.done))
    result = questionnaire(judge_store, "--conversation", conv_id, "--instrument", "phq9",
                           "--host", server.url, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["answers"] == [1] * 9 and report["intended"] == [1, 1, 2, 1, 1, 1, 1, 0, 0]
    assert report["mean_abs_error"] == 3 / 9 and report["band_agrees"] is True  # 9 vs 8: mild
    assert server.requests("/api/chat")[0]["model"] == "llama3.2:1b"  # the patient's own model
    text = questionnaire(judge_store, "--conversation", conv_id, "--model", "llama3.2:1b",
                         "--host", server.url)
    assert text.exit_code == 0, text.output
    assert "mean absolute error 0.33; band answered mild, intended mild" in text.output


def test_metrics_questionnaire_errors(judge_store, dead_url) -> None:
    conv_id = next(iter(judge_store.done))
    cases = [
        (["--conversation", "nope"], 2, "no conversation 'nope'"),
        (["--conversation", conv_id, "--instrument", "ipip"], 2, "--instrument takes phq9 or gad7"),
        (["--conversation", conv_id, "--instrument", "gad7"], 1, "ollama serve"),
        (["--conversation", conv_id, "--model", "bogus/x"], 2, "Unknown backend 'bogus/x'"),
    ]
    for args, code, message in cases:
        result = questionnaire(judge_store, *args, "--host", dead_url)
        assert result.exit_code == code, (args, result.output)
        assert result.output.startswith("error: ") and message in result.output, result.output
