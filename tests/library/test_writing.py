"""Composing and saving personas and profiles, and persona grids: validated, all or nothing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from workbench.domain.persona import Persona
from workbench.library import Library, LibraryError, LibraryLookupError, default_persona_id


def files_under(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


LEVELS = {"confusion": "normal", "language": "C", "personality": "verbose", "recall": "low"}


def test_compose_orders_levels_and_defaults_the_id(tmp_library: Library) -> None:
    persona = tmp_library.compose_persona("ed_consult", "cough_fever", LEVELS)
    assert persona.id == "cough_fever-verbose-C-low-normal"
    assert list(persona.levels) == ["personality", "language", "recall", "confusion"]
    named = tmp_library.compose_persona("ed_consult", "cough_fever", LEVELS, id="my_patient")
    assert named.id == "my_patient"


def test_compose_save_load_round_trip(tmp_library: Library) -> None:
    persona = tmp_library.compose_persona("ed_consult", "cough_fever", LEVELS)
    path = tmp_library.save_persona(persona)
    assert path == tmp_library.root / "personas" / "ed_consult" / f"{persona.id}.yaml"
    assert path.read_text() == (
        f"id: {persona.id}\nscenario: ed_consult\nprofile: cough_fever\nlevels:\n"
        "  personality: verbose\n  language: C\n  recall: low\n  confusion: normal\n"
    )
    reloaded = Library(tmp_library.root)
    assert reloaded.personas()[persona.id] == persona
    assert reloaded.persona_path(persona.id) == path
    assert reloaded.validate() == []


def test_compose_rejects_an_incomplete_or_unknown_combination(tmp_library: Library) -> None:
    with pytest.raises(LibraryError) as info:
        tmp_library.compose_persona(
            "ed_consult", "cough_fever", {"personality": "shy", "language": "B", "recall": "low"}
        )
    assert {i.field for i in info.value.issues} == {"levels.personality", "levels.confusion"}
    with pytest.raises(LibraryLookupError, match="unknown scenario 'ward'"):
        tmp_library.compose_persona("ward", "cough_fever", LEVELS)
    with pytest.raises(LibraryError, match="id: use letters, digits, _ - and . only"):
        tmp_library.compose_persona("ed_consult", "cough_fever", LEVELS, id="has space")


@pytest.mark.parametrize(
    "persona",
    [
        Persona(
            id="bad_level",
            scenario="ed_consult",
            profile="cough_fever",
            levels={**LEVELS, "recall": "medium"},
        ),
        Persona(id="bad_profile", scenario="ed_consult", profile="alex", levels=LEVELS),
        Persona(id="bad_scenario", scenario="ward", profile="cough_fever", levels=LEVELS),
    ],
    ids=lambda p: p.id,
)
def test_saving_an_invalid_persona_raises_and_writes_nothing(
    tmp_library: Library, persona: Persona
) -> None:
    before = files_under(tmp_library.root)
    with pytest.raises(LibraryError):
        tmp_library.save_persona(persona)
    assert files_under(tmp_library.root) == before


def test_saving_a_persona_that_does_not_render_writes_nothing(tmp_library: Library) -> None:
    (tmp_library.root / "templates" / "ed_patient.j2").write_text("I am {{ profile.nickname }}")
    tmp_library.refresh()
    before = files_under(tmp_library.root)
    persona = tmp_library.compose_persona("ed_consult", "cough_fever", LEVELS)
    with pytest.raises(LibraryError, match=r"profile\.nickname: is not set"):
        tmp_library.save_persona(persona)
    assert files_under(tmp_library.root) == before


def test_saving_over_a_file_needs_overwrite(tmp_library: Library) -> None:
    persona = tmp_library.compose_persona("ed_consult", "cough_fever", LEVELS)
    tmp_library.save_persona(persona)
    changed = persona.model_copy(update={"notes": "second thoughts"})
    with pytest.raises(LibraryError, match="already exists: choose another id, or allow overwriting"):
        tmp_library.save_persona(changed)
    path = tmp_library.save_persona(changed, overwrite=True)
    assert "notes: second thoughts" in path.read_text()


def test_an_id_used_by_another_file_is_refused_even_with_overwrite(tmp_library: Library) -> None:
    # "confused" lives in personas/ed_consult/confused.yaml; the same id for a CBT persona
    # would land in another folder and shadow it
    clash = Persona(
        id="confused", scenario="cbt_session", profile="alex", levels={"style": "plain"}
    )
    with pytest.raises(LibraryError, match="persona id 'confused' is already used by"):
        tmp_library.save_persona(clash, overwrite=True)


def test_save_profile_round_trip(tmp_library: Library) -> None:
    profile = tmp_library.profiles()["alex"].model_copy(update={"id": "alex_two", "age": 35})
    path = tmp_library.save_profile(profile)
    assert path == tmp_library.root / "profiles" / "cbt" / "alex_two.yaml"
    assert path.read_text().startswith("kind: cbt\nid: alex_two\n")
    assert Library(tmp_library.root).profiles()["alex_two"] == profile
    assert Library(tmp_library.root).validate() == []


def test_save_profile_refuses_empty_fields(tmp_library: Library) -> None:
    profile = tmp_library.profiles()["chest_pain"].model_copy(
        update={"id": "blank", "medications": "  "}
    )
    before = files_under(tmp_library.root)
    with pytest.raises(LibraryError, match="medications: is empty"):
        tmp_library.save_profile(profile)
    assert files_under(tmp_library.root) == before


# --- grids --------------------------------------------------------------------------------------


def test_patientsim_grid_follows_the_axes(fixture_library: Library) -> None:
    personas = fixture_library.grid("patientsim", scenario="ed_consult")
    per_profile = Counter(p.profile for p in personas)
    # fixture axes: personality 3 × language 3 × recall 2 with confusion normal, plus one
    assert per_profile == {"chest_pain": 19, "cough_fever": 19}
    assert len({p.id for p in personas}) == len(personas)
    extras = [p for p in personas if p.levels["confusion"] != "normal"]
    assert [p.id for p in extras] == [
        "chest_pain-plain-B-high-high",
        "cough_fever-plain-B-high-high",
    ]


def test_grid_filters_profiles_and_levels(fixture_library: Library) -> None:
    personas = fixture_library.grid(
        "patientsim",
        profiles=["cough_fever"],
        levels={"personality": ["verbose", "impatient"]},
        scenario="ed_consult",
    )
    assert len(personas) == 2 * 3 * 2
    only_extra = fixture_library.grid(
        "patientsim",
        profiles=["cough_fever"],
        levels={"confusion": ["high"]},
        scenario="ed_consult",
    )
    assert [p.id for p in only_extra] == ["cough_fever-plain-B-high-high"]


def test_plain_product_grid(fixture_library: Library) -> None:
    personas = fixture_library.grid(
        None,
        profiles=["chest_pain"],
        levels={"language": ["A"], "recall": ["high"]},
        scenario="ed_consult",
    )
    assert len(personas) == 3 * 3  # personality × confusion, the rest fixed
    assert personas[0].id == default_persona_id(
        "chest_pain", fixture_library.scenarios()["ed_consult"], personas[0].levels
    )
    assert len(fixture_library.grid(None, scenario="cbt_session")) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"design": "latin_square"}, "unknown design 'latin_square'"),
        ({"profiles": ["alex"]}, "profile 'alex' is a cbt profile"),
        ({"profiles": ["nobody"]}, "unknown ed profile 'nobody'"),
        ({"levels": {"mood": ["calm"]}}, "unknown axis 'mood' for scenario 'ed_consult'"),
        ({"levels": {"recall": ["medium"]}}, "unknown level 'medium' for axis 'recall'"),
        ({"scenario": "ward"}, "unknown scenario 'ward'"),
    ],
)
def test_grid_lookup_errors(
    fixture_library: Library, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"design": "patientsim", "scenario": "ed_consult", **kwargs}
    with pytest.raises(LibraryLookupError, match=message):
        fixture_library.grid(args.pop("design"), **args)  # type: ignore[arg-type]


def test_a_design_that_does_not_fit_the_scenario(fixture_library: Library) -> None:
    with pytest.raises(LibraryError, match="design 'patientsim' sets axis 'confusion'"):
        fixture_library.grid("patientsim", scenario="cbt_session")


def test_write_grid(tmp_library: Library) -> None:
    personas = tmp_library.grid("patientsim", scenario="ed_consult")
    out = tmp_library.grid_dir("ed_consult", "patientsim")
    assert out == tmp_library.root / "personas" / "ed_consult" / "grid-patientsim"
    written = tmp_library.write_grid(personas, out)
    # chest_pain-plain-B-high-normal is already in the library: left where it is
    assert len(written) == len(personas) - 1 == 37
    assert not (out / "chest_pain-plain-B-high-normal.yaml").exists()
    assert Library(tmp_library.root).validate() == []
    assert len(Library(tmp_library.root).personas()) == 3 + 37
    with pytest.raises(LibraryError, match="37 of 37 files already exist"):
        tmp_library.write_grid(personas, out)
    assert len(tmp_library.write_grid(personas, out, overwrite=True)) == 37


def test_write_grid_is_all_or_nothing(tmp_library: Library) -> None:
    personas = tmp_library.grid("patientsim", scenario="ed_consult")
    bad = [*personas[:3], personas[3].with_level("recall", "medium")]
    before = files_under(tmp_library.root)
    with pytest.raises(LibraryError, match="unknown level 'medium'"):
        tmp_library.write_grid(bad, tmp_library.grid_dir("ed_consult", None))
    with pytest.raises(LibraryError, match="not under personas/<scenario>/"):
        tmp_library.write_grid(personas, tmp_library.root / "axes")
    assert files_under(tmp_library.root) == before


def test_write_grid_outside_the_library(tmp_library: Library, tmp_path: Path) -> None:
    personas = tmp_library.grid("patientsim", profiles=["chest_pain"], scenario="ed_consult")
    written = tmp_library.write_grid(personas, tmp_path / "elsewhere")
    assert len(written) == 19  # nothing is "already in the library" out there
