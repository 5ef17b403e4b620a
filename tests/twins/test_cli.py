"""`workbench twins make|run|compare --json` on the written corpus, through the test server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support import OllamaTestServer
from tests.support.twin_extraction import extraction_replies
from tests.twins.conftest import FIXTURES, MODEL
from workbench.cli import app
from workbench.library import Library
from workbench.store import Store


@pytest.fixture
def env(tmp_path: Path, store: Store, library: Library, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WORKBENCH_STORE", str(store.path))
    monkeypatch.setenv("WORKBENCH_PERSONAS", str(library.root))
    return store


def test_make_run_compare(env: Store, server: OllamaTestServer) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["twins", "make", "--corpus", "clinic", "--model", MODEL,
                               "--host", server.url, "--json"])
    assert made.exit_code == 0, made.output
    assert [o["persona_id"].split("-")[0] for o in json.loads(made.stdout)] == [
        "twin_clinic_c1", "twin_clinic_c2"]
    ran = runner.invoke(app, ["twins", "run", "--corpus", "clinic", "--patient-model", MODEL,
                              "--host", server.url, "--json"])
    assert ran.exit_code == 0, ran.output
    result = json.loads(ran.stdout)
    assert result["status"] == "done" and result["done"] == 2
    compared = runner.invoke(app, ["twins", "compare", result["run_id"], "--json"])
    assert compared.exit_code == 0, compared.output
    report = json.loads(compared.stdout)
    assert len(report["pairs"]) == 2 and report["n_exchanges"] == 8  # 4 + 4 answered
    assert -1 <= report["similarity"]["value"] <= 1 and report["baseline"] is not None
    assert report["c2st"] is None and "at least 4 twin pairs" in report["c2st_note"]
    assert {t["tell"] for t in report["tells"]} >= {"markdown", "em_dash"}
    text = runner.invoke(app, ["twins", "compare", result["run_id"]])
    assert "Matched similarity" in text.stdout and "Shuffled-pairs baseline" in text.stdout


def test_errors_name_what_is_wrong(env: Store) -> None:
    runner = CliRunner()
    with OllamaTestServer(reply_fn=extraction_replies({**FIXTURES, "c1": "no idea"})) as srv:
        partial = runner.invoke(app, ["twins", "make", "--corpus", "clinic", "--model", MODEL,
                                      "--host", srv.url])
    assert partial.exit_code == 1
    assert "c1: no twin: the model's reply holds no JSON object: 'no idea'" in partial.stderr
    assert "1 of 2 twins made" in partial.stdout
    unknown = runner.invoke(app, ["twins", "make", "--corpus", "nope", "--model", MODEL])
    assert unknown.exit_code == 2 and "clinic" in unknown.stderr
    not_twins = runner.invoke(app, ["twins", "compare", "no-such-run"])
    assert not_twins.exit_code == 2
