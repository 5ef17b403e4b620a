"""The published simulators' persona formats: import → render prompts → run, per format, with
fixtures written for these tests from the formats' published field lists (no copied data)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.simulate.conftest import PROJECT_PERSONAS, MODEL, assert_well_formed, transcripts
from tests.support.ollama_server import OllamaTestServer
from workbench.cli import app
from workbench.library import Library, LibraryError
from workbench.library.imports import ImportError_, import_personas
from workbench.simulate import RunConfig, execute_run, plan_run
from workbench.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "library" / "fixtures" / "imports"
CASES = [("patientsim", "patientsim.json", "imp_90001-patientsim", "chest pain"),
         ("patient-psi", "patient_psi.json", "imp_7_1-psi", "went home early"),
         ("mindeval", "mindeval.json", "imp_m12-mindeval", "restructuring at work")]


@pytest.fixture
def own_library(tmp_path: Path) -> Library:
    root = tmp_path / "personas"
    shutil.copytree(PROJECT_PERSONAS, root)
    return Library(root)


@pytest.mark.parametrize(("fmt", "file", "persona", "fact"), CASES)
async def test_import_render_and_run(
    make_server: Callable[..., OllamaTestServer], own_library: Library, tmp_path: Path,
    fmt: str, file: str, persona: str, fact: str,
) -> None:
    report = import_personas(own_library, FIXTURES / file, fmt)
    (record,) = report.records
    assert record.persona_id == persona and len(record.paths) == 2
    assert record.mapped and record.no_home  # every fixture carries a field with no home
    prompts = own_library.render(own_library.resolve(persona))
    assert fact in prompts.patient and "undefined" not in prompts.patient
    server = make_server()
    with Store(tmp_path / "store.db") as store:
        run_id = plan_run(store, own_library, RunConfig(
            personas=[persona], patient_model=MODEL, clinician=MODEL, max_turns=6,
            hosts=[server.url])).id
    await execute_run(tmp_path / "store.db", run_id)
    (conv,) = transcripts(tmp_path / "store.db", run_id)
    assert conv.status == "done" and conv.patient_prompt == prompts.patient
    assert_well_formed(conv)


def test_the_reports_say_where_each_field_went(own_library: Library) -> None:
    sim = import_personas(own_library, FIXTURES / "patientsim.json", "patientsim",
                          dry_run=True).records[0]
    assert sim.mapped["chiefcomplaint"] == "profile.chief_complaint"
    assert sim.mapped["lang_proficiency_level"] == "levels.language"
    assert "no_history" in sim.no_home["recall_level"] and "birth_date" in sim.no_home
    assert sim.no_home["triage_acuity"].startswith("not a PatientSim field") and not sim.paths
    psi = import_personas(own_library, FIXTURES / "patient_psi.json", "patient-psi",
                          dry_run=True).records[0]
    assert psi.mapped["helpless_belief: I am incompetent."].endswith("(incompetent)")
    assert "worthless_belief: I am a disgrace to the family." in psi.no_home
    assert "emotion: lonely" in psi.no_home and psi.filled["profile.age"] == "40"
    mind = import_personas(own_library, FIXTURES / "mindeval.json", "mindeval",
                           dry_run=True).records[0]
    assert mind.mapped["communication_style"] == "levels.conversational_style (reserved)"
    assert set(mind.no_home) == {"attitude_to_therapy", "symptom_severity", "goals"}
    assert not list((own_library.root / "profiles" / "cbt").glob("imp_*"))  # dry run


def test_bad_input_is_refused_whole_with_what_is_wrong(own_library: Library,
                                                       tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ImportError_, match="cannot read it as JSON"):
        import_personas(own_library, broken, "patientsim")
    with pytest.raises(ImportError_, match="unknown format 'psi'"):
        import_personas(own_library, FIXTURES / "patient_psi.json", "psi")
    records = json.loads((FIXTURES / "patientsim.json").read_text())
    second = {**records[0], "hadm_id": "90002", "personality": "grumpy"}
    two = tmp_path / "two.json"
    two.write_text(json.dumps([records[0], second]))
    with pytest.raises(LibraryError, match="grumpy"):
        import_personas(own_library, two, "patientsim")
    assert not list(own_library.root.rglob("imp_*"))  # the first record was taken back


def test_the_cli_prints_the_report_and_exits_2_on_a_bad_file(own_library: Library,
                                                              tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["personas", "import", str(FIXTURES / "mindeval.json"),
                                 "--format", "mindeval", "--root", str(own_library.root)])
    assert result.exit_code == 0, result.output
    assert "mapped   presenting_concern → profile.presenting_problem" in result.output
    assert "no home  goals" in result.output
    assert (own_library.root / "personas" / "cbt_session" / "imp_m12-mindeval.yaml").exists()
    bad = tmp_path / "x.json"
    bad.write_text("[1, 2]")
    result = runner.invoke(app, ["personas", "import", str(bad), "--format", "mindeval",
                                 "--root", str(own_library.root)])
    assert result.exit_code == 2 and "expected a JSON object" in result.output
