"""Reading the library: accessors, resolving, rendering, filtering, and load-time errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.domain.persona import Persona
from workbench.domain.profile import CBTProfile, EDProfile
from workbench.library import Issue, Library, LibraryError, LibraryLookupError, validate
from workbench.library.documents import dump_yaml, parse_yaml

HERE = Path(__file__).resolve().parent
FIXTURE_LIBRARY = HERE / "fixture_library"


def test_the_fixture_library_is_valid() -> None:
    assert validate(root=FIXTURE_LIBRARY) == []


def test_accessors(fixture_library: Library) -> None:
    lib = fixture_library
    assert set(lib.axes()) == {"personality", "language", "recall", "confusion", "style"}
    assert set(lib.scenarios()) == {"ed_consult", "cbt_session"}
    profiles = lib.profiles()
    assert isinstance(profiles["chest_pain"], EDProfile)
    assert isinstance(profiles["alex"], CBTProfile)
    assert list(lib.personas()) == ["alex-reserved", "chest_pain-plain-B-high-normal", "confused"]
    assert set(lib.templates()) == {
        "ed_patient.j2",
        "ed_doctor.j2",
        "cbt_client.j2",
        "cbt_therapist.j2",
    }
    assert lib.scripts()["intake"].scenario == "ed_consult"


def test_a_persona_id_defaults_to_its_file_name(fixture_library: Library) -> None:
    persona_id = "chest_pain-plain-B-high-normal"
    assert fixture_library.personas()[persona_id].id == persona_id
    path = fixture_library.persona_path(persona_id)
    assert path == FIXTURE_LIBRARY / "personas" / "ed_consult" / f"{persona_id}.yaml"


def test_load_script(fixture_library: Library) -> None:
    questions = fixture_library.load_script("intake")
    assert questions[0] == "What brings you in today?" and len(questions) == 5
    with pytest.raises(LibraryLookupError, match=r"unknown script 'intak'.*did you mean 'intake'"):
        fixture_library.load_script("intak")


def test_resolve_by_id_and_by_object(fixture_library: Library) -> None:
    resolved = fixture_library.resolve("confused")
    assert resolved.scenario.id == "ed_consult"
    assert resolved.profile.id == "cough_fever"
    assert list(resolved.axes) == ["personality", "language", "recall", "confusion"]
    assert resolved.source.endswith("personas/ed_consult/confused.yaml")
    fresh = Persona(id="new_one", scenario="cbt_session", profile="alex", levels={"style": "plain"})
    assert fixture_library.resolve(fresh).source.endswith("personas/cbt_session/new_one.yaml")


def test_resolve_reports_every_broken_reference(fixture_library: Library) -> None:
    bad = Persona(
        id="bad",
        scenario="ed_consult",
        profile="alex",
        levels={"personality": "grumpy", "language": "B", "recall": "high"},
    )
    with pytest.raises(LibraryError) as info:
        fixture_library.resolve(bad)
    fields = {issue.field for issue in info.value.issues}
    assert fields == {"profile", "levels.personality", "levels.confusion"}
    assert len(str(info.value).splitlines()) == 3
    with pytest.raises(LibraryLookupError, match="unknown persona 'nobody'"):
        fixture_library.resolve("nobody")


def test_render(fixture_library: Library) -> None:
    plain = fixture_library.render("chest_pain-plain-B-high-normal")
    assert "You are Sam Example, 61" in plain.patient
    assert "PERSONALITY-PLAIN" in plain.patient and "LANGUAGE-B" in plain.patient
    assert plain.sentence_cap == 3
    assert "[END]" in plain.clinician
    confused = fixture_library.render("confused")
    assert confused.sentence_cap == 2  # confusion outranks personality while high
    eased = fixture_library.render("confused", overrides={"confusion": "moderate"})
    assert "CONFUSION-MODERATE" in eased.patient and eased.sentence_cap == 3
    client = fixture_library.render("alex-reserved")
    assert "incompetent, a failure" in client.patient
    for prompts in (plain, confused, eased, client):
        assert "undefined" not in (prompts.patient + prompts.clinician).lower()


def test_render_failure_is_a_library_error_naming_template_field_and_persona(
    tmp_library: Library,
) -> None:
    template = tmp_library.root / "templates" / "ed_doctor.j2"
    template.write_text("Doctor for {{ profile.name }}.\nYou know {{ profile.secret }}.\n")
    with pytest.raises(LibraryError) as info:
        tmp_library.render("confused")
    (issue,) = info.value.issues
    assert issue.path == template and issue.line == 2 and issue.field == "profile.secret"
    assert "personas/ed_consult/confused.yaml" in issue.message


def test_filter_personas(fixture_library: Library) -> None:
    ids = [p.id for p in fixture_library.filter_personas({"confusion": ["high"]})]
    assert ids == ["confused"]
    ids = [
        p.id
        for p in fixture_library.filter_personas({"personality": ["plain"]}, scenario="ed_consult")
    ]
    assert ids == ["chest_pain-plain-B-high-normal", "confused"]
    assert [p.id for p in fixture_library.filter_personas(profile="alex")] == ["alex-reserved"]
    assert [p.id for p in fixture_library.filter_personas(scenario="cbt_session")] == [
        "alex-reserved"
    ]
    with pytest.raises(LibraryLookupError, match="unknown axis 'mood'"):
        fixture_library.filter_personas({"mood": ["calm"]})
    with pytest.raises(LibraryLookupError, match="unknown level 'grumpy'"):
        fixture_library.filter_personas({"personality": ["grumpy"]}, scenario="ed_consult")
    with pytest.raises(LibraryLookupError, match="unknown scenario 'ward'"):
        fixture_library.filter_personas(scenario="ward")


def test_an_invalid_file_fails_its_own_kind_only(tmp_library: Library) -> None:
    (tmp_library.root / "axes" / "mood.yaml").write_text("id: mood\nlabel: Mood\nlevels: []\n")
    with pytest.raises(LibraryError) as info:
        tmp_library.axes()
    message = str(info.value)
    assert "mood.yaml" in message and "description: required field is missing" in message
    assert "levels: needs at least 1 item(s), got 0" in message
    assert "chest_pain" in tmp_library.profiles()  # other kinds still load


def test_duplicate_ids_across_files(tmp_library: Library) -> None:
    root = tmp_library.root
    source = root / "profiles" / "ed" / "chest_pain.yaml"
    (root / "profiles" / "ed" / "chest_pain_copy.yaml").write_text(source.read_text())
    issues = tmp_library.validate()
    assert [str(i.relative_to(root)) for i in issues] == [
        "profiles/ed/chest_pain_copy.yaml:2: id: duplicate id 'chest_pain': also defined in "
        f"{source}"
    ]
    with pytest.raises(LibraryError, match="duplicate id 'chest_pain'"):
        tmp_library.profiles()


@pytest.mark.parametrize(
    ("relative", "fragment"),
    [
        ("stray.yaml", "unknown file kind"),
        ("designs/patientsim.yaml", "unknown file kind"),
        ("profiles/chest_pain.yaml", "profiles belong in profiles/ed/ or profiles/cbt/"),
        ("personas/loose.yaml", "personas belong in personas/<scenario_id>/"),
        ("axes/notes.txt", "axes/ holds YAML files"),
        ("axes/old/personality.yaml", "axes/ takes no subfolders"),
        ("templates/ed_patient.txt", "Jinja2 templates ending in .j2"),
    ],
)
def test_files_in_the_wrong_place_are_issues(
    tmp_library: Library, relative: str, fragment: str
) -> None:
    path = tmp_library.root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("id: x\n")
    issues = tmp_library.validate()
    assert [(i.path, i.field) for i in issues] == [(path, "")]
    assert fragment in issues[0].message


def test_documentation_and_hidden_files_are_ignored(tmp_library: Library) -> None:
    (tmp_library.root / "axes" / "README.md").write_text("# notes")
    (tmp_library.root / "axes" / ".personality.yaml.swp").write_text("junk")
    assert tmp_library.validate() == []


def test_a_file_outside_the_library_stands_in_for_the_one_with_its_id(tmp_path: Path) -> None:
    draft = tmp_path / "drafts" / "scenarios" / "ed_consult.yaml"
    draft.parent.mkdir(parents=True)
    text = (FIXTURE_LIBRARY / "scenarios" / "ed_consult.yaml").read_text()
    draft.write_text(text.replace("ed_doctor.j2", "ed_nurse.j2"))
    issues = validate([draft], root=FIXTURE_LIBRARY)
    assert [(i.field, i.line) for i in issues] == [("clinician_template", 7)]
    assert "unknown template 'ed_nurse.j2'" in issues[0].message


def test_refresh_sees_new_files(tmp_library: Library) -> None:
    assert "alex-plain" not in tmp_library.personas()
    new = tmp_library.root / "personas" / "cbt_session" / "alex-plain.yaml"
    new.write_text("scenario: cbt_session\nprofile: alex\nlevels:\n  style: plain\n")
    assert "alex-plain" not in tmp_library.personas()  # cached until refresh
    tmp_library.refresh()
    assert "alex-plain" in tmp_library.personas()


def test_a_missing_library_is_a_lookup_error(tmp_path: Path) -> None:
    with pytest.raises(LibraryLookupError, match="persona library not found"):
        Library(tmp_path / "nowhere").axes()
    with pytest.raises(LibraryLookupError, match="no such file or folder"):
        Library(FIXTURE_LIBRARY).validate([tmp_path / "missing.yaml"])


def test_issue_lines() -> None:
    path = Path("personas/axes/x.yaml")
    assert str(Issue(path, "levels.0.id", "bad", 3)) == "personas/axes/x.yaml:3: levels.0.id: bad"
    assert str(Issue(path, "levels", "bad")) == "personas/axes/x.yaml: levels: bad"
    one_line = "personas/axes/x.yaml: multi line message"
    assert str(Issue(path, "", "multi\nline\n message")) == one_line
    absolute = Issue(Path.cwd() / path, "f", "m", 1)
    assert str(absolute.relative_to(Path.cwd())) == "personas/axes/x.yaml:1: f: m"


def test_yaml_is_written_for_people() -> None:
    data = {
        "id": "x",
        "label": "Ünïcode – fine",
        "notes": "line one\nline two\n",
        "levels": {"b": "1", "a": "2"},
        "items": ["q1", "q2"],
    }
    text = dump_yaml(data)
    assert text.splitlines()[:2] == ["id: x", "label: Ünïcode – fine"]
    assert "notes: |\n  line one\n  line two\n" in text
    assert "levels:\n  b: '1'\n  a: '2'\n" in text  # key order kept
    assert "items:\n  - q1\n  - q2\n" in text  # block style
    assert parse_yaml(text).data == data
