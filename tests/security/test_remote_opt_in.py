"""The remote-host opt-in never travels with data: a stored, imported or resumed run's config
cannot grant it; only this invocation's ``--allow-remote`` or this machine's settings can.

The remote host here is a ``.invalid`` name: the guard refuses it before any lookup.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.simulate.conftest import MODEL, six_personas
from workbench.io import export_transcripts, import_transcripts
from workbench.library import Library
from workbench.simulate import RunAborted, RunConfig, execute_run, plan_run
from workbench.store import Store

REMOTE = "http://models.invalid:11434"
PAYLOADS = [
    {"allow_remote": True, "hosts": [REMOTE]},
    {"allow_remote": True, "hosts": [REMOTE, "http://10.255.255.1:11434"]},
    {"allow_remote": True, "hosts": ["[2001:db8::7]:11434"]},
    {"hosts": ["http://patients.example.org"]},
]


@pytest.fixture
def planned(tmp_path: Path, library: Library) -> tuple[Path, str]:
    """A run planned with the opt-in on, on this machine; its export sits in ``run.jsonl``."""
    source = tmp_path / "source.db"
    with Store(source) as store:
        run = plan_run(store, library, RunConfig(
            personas=six_personas(library)[:2], patient_model=MODEL,
            clinician="scripted/ed_intake", hosts=["http://127.0.0.1:9"], allow_remote=True))
        export_transcripts(store, tmp_path / "run.jsonl", "jsonl")
    return tmp_path / "run.jsonl", run.id


def _imported_with(tmp_path: Path, exported: Path, payload: dict[str, object]) -> Path:
    """Import the export after a third party edited its run config."""
    lines = []
    for line in exported.read_text().splitlines():
        record = json.loads(line)
        record["run"]["config"].update(payload)
        lines.append(json.dumps(record))
    edited = tmp_path / "edited.jsonl"
    edited.write_text("\n".join(lines) + "\n")
    target = tmp_path / "target.db"
    target.unlink(missing_ok=True)
    with Store(target) as store:
        import_transcripts(store, edited)
    return target


def test_the_opt_in_is_not_stored_with_the_run(planned):
    exported, _ = planned
    for line in exported.read_text().splitlines():
        assert "allow_remote" not in json.loads(line)["run"]["config"]


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("resume", [False, True])
def test_an_imported_runs_opt_in_is_ignored(planned, tmp_path, payload, resume):
    exported, run_id = planned
    target = _imported_with(tmp_path, exported, payload)
    with pytest.raises(RunAborted, match="not on this machine"):
        asyncio.run(execute_run(target, run_id, resume=resume))


@pytest.mark.parametrize("how", [["RUN"], ["--resume", "RUN"],
                                 ["--resume", "RUN", "--retry-failed"]])
def test_the_cli_asks_this_invocation_not_the_run(planned, tmp_path, cli, how):
    exported, run_id = planned
    target = _imported_with(tmp_path, exported, PAYLOADS[0])
    args = [run_id if a == "RUN" else a for a in how]
    result = cli("run", "--no-progress", "--store", target, *args)
    assert result.exit_code == 1, result.output
    assert "not on this machine" in result.output
    assert "models.invalid" in result.output
