"""`workbench embed` and `workbench analyze recoverability` (fake encoder; no model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.analysis_embed.conftest import CountingEncoder, fill_store
from workbench.analysis import embeddings
from workbench.cli import app

runner = CliRunner()


@pytest.fixture
def encoder(monkeypatch: pytest.MonkeyPatch) -> CountingEncoder:
    fake = CountingEncoder()
    monkeypatch.setattr(embeddings, "load_encoder", lambda model=None: fake)
    return fake


def test_embed_caches_and_a_rerun_embeds_nothing(store_path: Path, encoder) -> None:
    run_id = fill_store(store_path)
    args = ["embed", "--run", run_id, "--unit", "turn", "--store", str(store_path), "--no-progress"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "24 turns, 8 distinct texts: 8 embedded, 0 already cached" in first.output
    calls = encoder.calls
    again = runner.invoke(app, args)
    assert "0 embedded, 8 already cached" in again.output
    assert encoder.calls == calls


def test_recoverability_json(filled: tuple[Path, str]) -> None:
    path, run_id = filled
    result = runner.invoke(
        app, ["analyze", "recoverability", "--run", run_id, "--store", str(path), "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["axis"], r["features"]) for r in rows] == [
        ("confusion", "embeddings"),
        ("confusion", "tfidf"),
        ("mood", "embeddings"),
        ("mood", "tfidf"),
    ]
    tfidf = {r["axis"]: r for r in rows if r["features"] == "tfidf"}
    assert tfidf["confusion"]["accuracy"] == 1.0 and tfidf["confusion"]["chance"] == 0.5
    assert {"confusion", "interval", "collapsed", "above_chance"} <= set(rows[0])


def test_recoverability_text_and_permutations(filled: tuple[Path, str]) -> None:
    path, run_id = filled
    result = runner.invoke(
        app,
        [
            "analyze",
            "recoverability",
            "--run",
            run_id,
            "--store",
            str(path),
            "--features",
            "tfidf",
            "--permutations",
            "19",
        ],
    )
    assert result.exit_code == 0, result.output
    # Every text names its levels' words, so the accuracy is perfect; but the folds are grouped
    # by persona and there are only two personas a level: shuffling levels between four
    # personas recovers the other axis just as well, so the permutation test cannot call it
    # above chance, and the interval carries the small-n caution.
    assert "confusion (tfidf, n=12 in 4 persona groups): accuracy 1.00" in result.output
    assert "⚠ 4 groups<10" in result.output and "NOT above chance" in result.output
    assert "p=" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--run", "r-nope"], "no run 'r-nope'"),
        (["--features", "bert"], "--features takes"),
        (["--unit", "sentence"], "unknown unit"),
    ],
)
def test_bad_invocations_exit_2_with_one_line(filled: tuple[Path, str], args, message) -> None:
    path, run_id = filled
    base = ["analyze", "recoverability", "--store", str(path)]
    if "--run" not in args:
        base += ["--run", run_id]
    result = runner.invoke(app, [*base, *args])
    assert result.exit_code == 2
    assert message in result.output
