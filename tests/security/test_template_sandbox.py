"""Templates from a shared persona library cannot run code: they render in Jinja2's immutable
sandbox, and ``workbench personas validate`` reports the escape attempt with file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from jinja2.sandbox import SecurityError
from typer.testing import CliRunner

from workbench.analysis.judge import judge_prompt
from workbench.cli import app
from workbench.domain.transcript import Transcript
from workbench.library import Library
from workbench.library.rubrics import load_rubric
from workbench.settings import PROJECT_ROOT

FIXTURE_LIBRARY = Path(__file__).resolve().parents[1] / "library" / "fixture_library"

# Each writes the marker file if it runs; {marker} is filled in by the test.
PAYLOADS = [
    "{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}",
    "{{{{ ''.__class__.__mro__[1].__subclasses__() }}}}{{{{ joiner.__init__.__globals__"
    ".os.popen('touch {marker}').read() }}}}",
    "{{% set g = lipsum|attr('__globals__') %}}{{{{ g.os.popen('touch {marker}').read() }}}}",
    "{{{{ (namespace|attr('__init__')|attr('__globals__'))['os'].system('touch {marker}') }}}}",
    "{{{{ profile['__class__'].__init__.__globals__ }}}}",
    "{{% set seen = [] %}}{{{{ seen.append('touch {marker}') }}}}{{{{ seen }}}}",
    "{{{{ axes.update({{'x': 1}}) }}}}",
]


def _library_with(tmp_path: Path, payload: str) -> tuple[Path, Path, int]:
    """A copy of the fixture library whose patient template ends with ``payload``."""
    root = tmp_path / "personas"
    shutil.copytree(FIXTURE_LIBRARY, root)
    marker = tmp_path / "ran"
    template = root / "templates" / "ed_patient.j2"
    text = template.read_text().rstrip("\n") + "\n"
    line = text.count("\n") + 1
    template.write_text(text + payload.format(marker=marker) + "\n")
    return root, marker, line


@pytest.mark.parametrize("payload", PAYLOADS)
def test_validate_reports_the_escape_with_file_and_line(tmp_path, payload):
    root, marker, line = _library_with(tmp_path, payload)
    result = CliRunner().invoke(app, ["personas", "validate", "--root", str(root)])
    assert result.exit_code == 1, result.output
    errors = [row for row in result.stdout.splitlines() if "outside its context" in row]
    assert errors, result.stdout
    assert all(f"ed_patient.j2:{line}:" in row for row in errors), errors
    assert not marker.exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_rendering_a_persona_refuses_the_escape(tmp_path, payload):
    root, marker, _ = _library_with(tmp_path, payload)
    library = Library(root)
    with pytest.raises(Exception, match="outside its context"):
        for persona in library.personas():
            library.render(persona)
    assert not marker.exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_judge_template_is_sandboxed(tmp_path, payload):
    marker = tmp_path / "ran"
    rubric = load_rubric("clinician_quality", PROJECT_ROOT / "personas")
    transcript = Transcript.model_validate({"id": "c", "persona_id": "p", "turns": []})
    template = payload.format(marker=marker).replace("profile", "items").replace(
        "axes.update({'x': 1})", "items.append(1)")
    with pytest.raises(SecurityError):
        judge_prompt(transcript, rubric, [], template)
    assert not marker.exists()
