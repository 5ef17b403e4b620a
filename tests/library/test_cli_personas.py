"""`workbench personas ...`: output lines, summaries and exit codes (1: invalid, 2: user error)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.library import Library, validate
from workbench.settings import PROJECT_ROOT

HERE = Path(__file__).resolve().parent
FIXTURE_LIBRARY = HERE / "fixture_library"
BROKEN = HERE / "broken"
FIXTURE = ["--root", str(FIXTURE_LIBRARY)]

runner = CliRunner()


def test_validate_ok() -> None:
    result = runner.invoke(app, ["personas", "validate", *FIXTURE])
    assert result.exit_code == 0, result.output
    files = len([p for p in FIXTURE_LIBRARY.rglob("*") if p.is_file() and p.suffix != ".md"])
    assert result.stdout == f"OK: {files} files checked\n"


def test_validate_prints_one_line_per_issue_and_a_summary() -> None:
    result = runner.invoke(app, ["personas", "validate", str(BROKEN), *FIXTURE])
    assert result.exit_code == 1
    issues = validate([BROKEN], root=FIXTURE_LIBRARY)
    lines = result.stdout.splitlines()
    files = len([p for p in BROKEN.rglob("*") if p.is_file() and p.suffix != ".md"])
    assert lines[-1] == f"{files} files checked, {len(issues)} errors"
    assert len(lines) == len(issues) + 1
    cwd = Path.cwd()
    assert lines[:-1] == [str(issue.relative_to(cwd)) for issue in issues]


def test_validate_one_file() -> None:
    path = BROKEN / "personas" / "ed_consult" / "unknown_level.yaml"
    result = runner.invoke(app, ["personas", "validate", str(path), *FIXTURE])
    assert result.exit_code == 1
    first, summary = result.stdout.splitlines()
    assert first.endswith(
        "unknown_level.yaml:4: levels.personality: unknown level 'grumpy' "
        "for axis 'personality'; valid: plain, verbose, impatient"
    )
    assert summary == "1 file checked, 1 error"


def test_validate_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["personas", "validate", str(tmp_path / "nope.yaml"), *FIXTURE])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no such file or folder:")
    assert "Traceback" not in result.output


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", "personas", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def test_validate_in_a_real_process() -> None:
    broken = BROKEN / "profiles" / "cbt" / "emotion_outside_vocabulary.yaml"
    done = _run("validate", str(broken), *FIXTURE)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "tests/library/broken/profiles/cbt/emotion_outside_vocabulary.yaml:16: "
        "cognitive_model.situations.0.emotions: emotion(s) 'lonely' not in the closed list: "
        "sad/down, anxious/worried, angry/frustrated, ashamed/embarrassed, disappointed, "
        "jealous, guilty, hurt, suspicious",
        "1 file checked, 1 error",
    ]
    ok = _run("validate", env={"WORKBENCH_PERSONAS": str(FIXTURE_LIBRARY)})
    assert ok.returncode == 0 and ok.stdout.startswith("OK: "), ok.stdout + ok.stderr


def test_grid_dry_run_prints_the_count_and_writes_nothing(tmp_library: Library) -> None:
    before = sorted(tmp_library.root.rglob("*"))
    result = runner.invoke(
        app,
        [
            "personas",
            "grid",
            "--design",
            "patientsim",
            "--dry-run",
            "--root",
            str(tmp_library.root),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == ("19 personas per profile × 2 profiles = 38 personas")
    assert "dry run: would write 38 files" in result.stdout
    assert sorted(tmp_library.root.rglob("*")) == before


def test_grid_writes_after_printing_the_count(tmp_library: Library) -> None:
    result = runner.invoke(
        app,
        [
            "personas",
            "grid",
            "--design",
            "patientsim",
            "--profile",
            "cough_fever",
            "--root",
            str(tmp_library.root),
        ],
    )
    assert result.exit_code == 0, result.output
    count, wrote = result.stdout.splitlines()
    assert count == "19 personas per profile × 1 profile = 19 personas"
    out = tmp_library.root / "personas" / "ed_consult" / "grid-patientsim"
    assert wrote == f"wrote 19 files to {out}"
    assert len(list(out.glob("*.yaml"))) == 19


def test_grid_asks_before_writing_many_files(tmp_library: Library, tmp_path: Path) -> None:
    args = ["personas", "grid", "--root", str(tmp_library.root), "--out", str(tmp_path / "g")]
    # plain product: 3 × 3 × 2 × 3 = 54 per profile, 108 files: more than 50
    declined = runner.invoke(app, args, input="n\n")
    assert declined.exit_code == 1
    assert "54 personas per profile × 2 profiles = 108 personas" in declined.stdout
    assert "Write 108 files" in declined.stdout
    assert not (tmp_path / "g").exists()
    accepted = runner.invoke(app, [*args, "--yes"])
    assert accepted.exit_code == 0, accepted.output
    assert len(list((tmp_path / "g").glob("*.yaml"))) == 108


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grid", "--profile", "nobody"], "error: unknown ed profile 'nobody'"),
        (
            ["grid", "--level", "personality"],
            "error: bad --level 'personality': expected AXIS=LEVEL",
        ),
        (["grid", "--level", "mood=calm"], "error: unknown axis 'mood' for scenario"),
        (["grid", "--level", "recall=medium"], "error: unknown level 'medium' for axis 'recall'"),
        (["grid", "--design", "latin"], "error: unknown design 'latin'"),
        (["grid", "--scenario", "ward"], "error: unknown scenario 'ward'"),
        (["list", "--level", "=plain"], "error: bad --level '=plain'"),
        (["show", "nobody"], "error: unknown persona 'nobody'"),
    ],
)
def test_user_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    dry_run = ["--dry-run"] if args[0] == "grid" else []
    result = runner.invoke(app, ["personas", *args, *dry_run, *FIXTURE])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message)
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


def test_an_invalid_library_exits_1_listing_the_issues(tmp_library: Library) -> None:
    (tmp_library.root / "axes" / "recall.yaml").write_text("id: recall\n")
    result = runner.invoke(app, ["personas", "list", "--root", str(tmp_library.root)])
    assert result.exit_code == 1
    assert "recall.yaml: label: required field is missing" in result.stderr
    assert "Traceback" not in result.output


def test_list() -> None:
    result = runner.invoke(app, ["personas", "list", "--level", "personality=plain", *FIXTURE])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "chest_pain-plain-B-high-normal\ted_consult\tchest_pain\tpersonality=plain language=B "
        "recall=high confusion=normal",
        "confused\ted_consult\tcough_fever\tpersonality=plain language=B recall=high "
        "confusion=high",
    ]
    assert result.stderr == "2 personas\n"


def test_show() -> None:
    both = runner.invoke(app, ["personas", "show", "confused", *FIXTURE])
    assert both.exit_code == 0, both.output
    assert "=== patient system prompt (ed_patient.j2" in both.stdout
    assert "=== clinician system prompt (ed_doctor.j2" in both.stdout
    assert "sentence cap 2" in both.stdout
    patient = runner.invoke(app, ["personas", "show", "confused", "--side", "patient", *FIXTURE])
    assert "CONFUSION-HIGH" in patient.stdout
    assert "clinician system prompt" not in patient.stdout
