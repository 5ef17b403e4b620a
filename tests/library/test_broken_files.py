"""Every deliberately broken file yields the exact issue: file, line, field and what is wrong.

Each file under ``broken/`` holds one fault and is validated on its own against
``fixture_library/``; the table below is the specification of the message a researcher sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from workbench.library import validate

HERE = Path(__file__).resolve().parent
BROKEN = HERE / "broken"
FIXTURE_LIBRARY = HERE / "fixture_library"


class Case(NamedTuple):
    path: str
    """Under broken/."""
    line: int | None
    field: str
    fragments: tuple[str, ...]
    """Each must appear in the issue's message."""


CASES = [
    # personas
    Case(
        "personas/ed_consult/malformed_yaml.yaml",
        6,
        "",
        ("malformed YAML", "did not find expected ',' or ']'", "started on line 5"),
    ),
    Case("personas/ed_consult/empty_file.yaml", None, "", ("the file is empty",)),
    Case("personas/cbt_session/list_at_top.yaml", 1, "", ("expected a mapping of fields",)),
    Case(
        "personas/ed_consult/unknown_axis.yaml",
        8,
        "levels.mood",
        ("unknown axis 'mood'", "uses: personality, language, recall, confusion"),
    ),
    Case(
        "personas/ed_consult/axis_of_other_scenario.yaml",
        8,
        "levels.style",
        ("axis 'style' is not used by scenario 'ed_consult'", "remove it"),
    ),
    Case(
        "personas/ed_consult/unknown_level.yaml",
        4,
        "levels.personality",
        ("unknown level 'grumpy' for axis 'personality'", "valid: plain, verbose, impatient"),
    ),
    Case(
        "personas/ed_consult/missing_level.yaml",
        3,
        "levels.recall",
        ("no level set for axis 'recall'", "valid levels: low, high"),
    ),
    Case(
        "personas/ed_consult/missing_profile.yaml",
        2,
        "profile",
        ("unknown ed profile 'broken_leg'", "available: chest_pain, cough_fever"),
    ),
    Case(
        "personas/ed_consult/profile_wrong_kind.yaml",
        2,
        "profile",
        ("profile 'alex' is a cbt profile but scenario 'ed_consult' takes ed profiles",),
    ),
    Case(
        "personas/ed_consult/unknown_scenario.yaml",
        1,
        "scenario",
        ("unknown scenario 'ward_round'", "available: cbt_session, ed_consult"),
    ),
    Case(
        "personas/ed_consult/wrong_folder.yaml",
        1,
        "scenario",
        ("in personas/ed_consult/ but its scenario is 'cbt_session'",),
    ),
    Case(
        "personas/ed_consult/bad_id.yaml",
        1,
        "id",
        ("letters, digits, _ - and . only", "(got 'chest pain (plain)')"),
    ),
    Case(
        "personas/cbt_session/phq9_item_out_of_range.yaml",
        7,
        "questionnaires.phq9.items",
        ("item 4 is 4; PHQ-9 items are 0–3",),
    ),
    # CBT profiles
    Case(
        "profiles/cbt/belief_outside_vocabulary.yaml",
        10,
        "cognitive_model.core_beliefs",
        ("core belief(s) 'stupid' not in the closed list of 19",),
    ),
    Case(
        "profiles/cbt/emotion_outside_vocabulary.yaml",
        16,
        "cognitive_model.situations.0.emotions",
        ("emotion(s) 'lonely' not in the closed list", "sad/down, anxious/worried"),
    ),
    Case(
        "profiles/cbt/too_many_emotions.yaml",
        16,
        "cognitive_model.situations.0.emotions",
        ("allows at most 3 item(s), got 4",),
    ),
    Case(
        "profiles/cbt/no_situations.yaml",
        13,
        "cognitive_model.situations",
        ("needs at least 1 item(s), got 0",),
    ),
    Case(
        "profiles/cbt/gad7_wrong_length.yaml",
        22,
        "questionnaires.gad7.items",
        ("needs exactly 7 items, got 6",),
    ),
    Case(
        "profiles/cbt/mini_ipip_zero.yaml",
        24,
        "questionnaires.mini_ipip.items",
        ("item 5 is 0; Mini-IPIP items are 1–5",),
    ),
    # ED profiles
    Case("profiles/ed/empty_field.yaml", 16, "allergies", ("is empty",)),
    Case(
        "profiles/ed/missing_required_field.yaml",
        None,
        "chief_complaint",
        ("required field is missing",),
    ),
    Case(
        "profiles/ed/extra_unknown_field.yaml",
        24,
        "favourite_colour",
        ("unknown field; allowed fields: kind, id, name, age",),
    ),
    Case("profiles/ed/wrong_type.yaml", 4, "age", ("valid integer", "(got 'old')")),
    Case(
        "profiles/ed/pain_out_of_range.yaml", 23, "pain", ("less than or equal to 10", "(got 11)")
    ),
    Case(
        "profiles/ed/kind_mismatch.yaml",
        1,
        "kind",
        ("under profiles/ed/ but says kind: cbt", "move it to profiles/cbt/"),
    ),
    Case("profiles/ed/duplicate_key.yaml", 24, "age", ("key given twice",)),
    # axes
    Case(
        "axes/schedule_unknown_level.yaml",
        14,
        "levels.1.schedule.next",
        ("level 'drowsy' schedule points to unknown level 'alert'",),
    ),
    Case("axes/duplicate_level_ids.yaml", 13, "levels.2.id", ("duplicate level ids: calm",)),
    Case(
        "axes/max_sentences_zero.yaml",
        9,
        "levels.0.max_sentences",
        ("greater than or equal to 1", "(got 0)"),
    ),
    Case(
        "drafts/hinted_axis_missing_prompt.yaml",
        6,
        "levels.0.prompt",
        ("required field is missing",),
    ),
    # scenarios
    Case(
        "scenarios/missing_template.yaml",
        6,
        "patient_template",
        ("unknown template 'triage_patient.j2'", "available: cbt_client.j2"),
    ),
    Case("scenarios/unknown_axis.yaml", 5, "axes.1", ("unknown axis 'patience'",)),
    Case("scenarios/bad_profile_kind.yaml", 4, "profile_kind", ("'ed' or 'cbt'", "(got 'gp')")),
    # templates
    Case("templates/syntax_error.j2", 4, "", ("template syntax error", "unknown tag 'endfor'")),
    Case(
        "templates/undefined_field/ed_patient.j2",
        2,
        "profile.nickname",
        (
            "is not set when rendering persona",
            "chest_pain-plain-B-high-normal.yaml",
            "and 1 more persona",
        ),
    ),
    # scripts
    Case("scripts/no_questions.yaml", 5, "questions", ("needs at least 1 item(s), got 0",)),
    Case("scripts/blank_question.yaml", 4, "questions", ("question(s) 2 are empty",)),
    Case("scripts/unknown_scenario.yaml", 3, "scenario", ("unknown scenario 'ward_round'",)),
    # files that are nothing the library knows
    Case("drafts/unknown_kind_hint.yaml", 1, "kind", ("unknown kind 'rubric_item'",)),
    Case("stray/no_kind.yaml", None, "", ("unknown file kind", "add a top-level `kind:`")),
]


def test_every_broken_file_has_a_case_and_every_case_a_file() -> None:
    on_disk = {
        p.relative_to(BROKEN).as_posix()
        for p in BROKEN.rglob("*")
        if p.is_file() and p.suffix != ".md"
    }
    assert on_disk == {case.path for case in CASES}
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.path for c in CASES])
def test_broken_file_reports_the_exact_issue(case: Case) -> None:
    path = BROKEN / case.path
    issues = validate([path], root=FIXTURE_LIBRARY)
    assert issues, f"{case.path} should not validate"
    matching = [
        i for i in issues if i.field == case.field and all(f in i.message for f in case.fragments)
    ]
    assert matching, "\n".join(str(i) for i in issues)
    issue = matching[0]
    assert issue.path.name == path.name
    assert issue.line == case.line
    text = str(issue)
    assert "\n" not in text
    expected_start = f"{issue.path}:{case.line}: " if case.line else f"{issue.path}: "
    assert text.startswith(expected_start)
    if case.field:
        assert f": {case.field}: " in text


@pytest.mark.parametrize("case", CASES, ids=[c.path for c in CASES])
def test_broken_file_reports_nothing_else(case: Case) -> None:
    """One fault per file: no noise such as pydantic's follow-up length errors."""
    issues = validate([BROKEN / case.path], root=FIXTURE_LIBRARY)
    assert len(issues) == 1, "\n".join(str(i) for i in issues)


def test_the_whole_corpus_at_once_reports_every_fault() -> None:
    issues = validate([BROKEN], root=FIXTURE_LIBRARY)
    faulty = {i.path.relative_to(BROKEN).as_posix() for i in issues}
    assert faulty == {case.path for case in CASES}
