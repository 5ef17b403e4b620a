"""`workbench run` and `workbench runs`: output, exit status and the clear errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.simulate.conftest import MODEL, assert_well_formed, transcripts
from tests.support import OllamaTestServer
from workbench.cli import app
from workbench.store import Store


@pytest.fixture
def cli(library_root: Path, store_path: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Invoke the command line on the test library and store, without the user's settings."""
    monkeypatch.setenv("WORKBENCH_PERSONAS", str(library_root))
    monkeypatch.setenv("WORKBENCH_STORE", str(store_path))
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "no-settings.json"))
    monkeypatch.delenv("WORKBENCH_ALLOW_REMOTE", raising=False)
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def _runs(store_path: Path) -> list[str]:
    if not store_path.exists():
        return []
    with Store(store_path) as store:
        return [r.id for r in store.list_runs()]


def test_a_run_prints_its_id_and_a_summary_and_runs_show_it(
    cli: Callable[..., Result], make_server: Callable[..., OllamaTestServer], store_path: Path,
) -> None:
    server = make_server()
    result = cli("run", "-p", "ed_mi_*", "-p", "ed_uti_01-pleasing-C-high-normal",
                 "--patient-model", MODEL, "--clinician", "scripted/ed_intake",
                 "--samples", 2, "--host", server.url, "--temperature", 0.7, "--name", "pilot")
    assert result.exit_code == 0, result.output
    (run_id,) = _runs(store_path)
    assert result.stdout.startswith(f"Run {run_id}: 8 conversations (4 personas × 2 samples)")
    assert f"Run {run_id} done: 8 done, 0 failed, 0 cancelled of 8 conversations" in result.stdout
    for conv in transcripts(store_path, run_id):
        assert conv.status == "done"
        assert_well_formed(conv)
    assert server.last_request()["options"]["temperature"] == 0.7

    listed = cli("runs", "list")
    assert listed.exit_code == 0 and run_id in listed.stdout and "pilot" in listed.stdout
    shown = cli("runs", "show", run_id)
    assert shown.exit_code == 0 and "8 done" in shown.stdout and "scripted/ed_intake" in shown.stdout
    cancelled = cli("runs", "cancel", run_id)
    assert cancelled.exit_code == 0 and "already done" in cancelled.stdout


@pytest.mark.parametrize(("args", "code", "expected"), [
    (["-p", "ed_mi_01-plain", "--clinician", "scripted/ed_intake"], 2,
     "Close matches: ed_mi_01-"),
    (["-p", "ed_mi_*", "--clinician", "scripted/nope"], 2, "unknown script 'nope'"),
    (["-p", "cbt_*", "--clinician", "scripted/ed_intake"], 2, "--scenario ed_consult"),
    (["-p", "ed_mi_*", "--clinician", "scripted/ed_intake", "--level", "confusion=dazed"], 2,
     "unknown level 'dazed' for axis 'confusion'"),
    (["-p", "ed_mi_*", "--clinician", "scripted/ed_intake", "--host",
      "http://192.0.2.10:11434"], 2, "--allow-remote"),
    (["-p", "ed_mi_*", "--clinician", "gpt4"], 2, "Did you mean 'ollama/gpt4'?"),
    (["-p", "ed_mi_*", "--patient-model", "ollama/mistral:7b", "--clinician",
      "scripted/ed_intake"], 1, "ollama pull mistral:7b"),
    (["r-nope"], 2, "no store at"),  # the store does not exist: a mistyped path, not a new one
    (["r-nope", "-p", "ed_*"], 2, "give exactly one of"),
])
def test_user_errors_get_one_clear_paragraph_and_leave_the_store_unchanged(
    args: list[str], code: int, expected: str, cli: Callable[..., Result],
    make_server: Callable[..., OllamaTestServer], store_path: Path,
) -> None:
    if "-p" in args and "--patient-model" not in args:
        args = [*args, "--patient-model", MODEL]
    if "-p" in args and "--host" not in args:
        args = [*args, "--host", make_server().url]
    result = cli("run", *args)
    assert result.exit_code == code, result.output
    assert expected in result.stderr and "Traceback" not in result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert _runs(store_path) == []


def test_an_unreachable_ollama_says_how_to_start_it(
    cli: Callable[..., Result], store_path: Path, dead_url: str,
) -> None:
    result = cli("run", "-p", "ed_mi_*", "--patient-model", MODEL,
                 "--clinician", MODEL, "--host", dead_url)
    assert result.exit_code == 1
    assert "Cannot connect to the model server" in result.stderr
    assert "`ollama serve`" in result.stderr
    assert _runs(store_path) == []


def test_the_model_timeout_is_a_setting_and_a_flag(
    cli: Callable[..., Result], make_server: Callable[..., OllamaTestServer], store_path: Path,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = make_server()
    common = ["-p", "ed_mi_01-*", "--patient-model", MODEL, "--clinician", "scripted/ed_intake",
              "--host", server.url, "--max-turns", 2]
    assert cli("run", *common).exit_code == 0
    settings = tmp_path / "settings.json"
    settings.write_text('{"model_timeout_s": 300}')
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(settings))
    assert cli("run", *common).exit_code == 0
    assert cli("run", *common, "--timeout", 45).exit_code == 0
    with Store(store_path) as store:
        timeouts = [r.config["options"]["timeout_s"] for r in reversed(store.list_runs())]
    assert timeouts == [120.0, 300.0, 45.0]
