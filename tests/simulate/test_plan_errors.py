"""A planning error says which input is wrong: the command line names its option, a page its
own widget, from the same parts (``field``, ``value``, ``problem``)."""

from __future__ import annotations

import pytest

from tests.app.conftest import shown
from workbench.library import Library
from workbench.simulate import PlanError, check_clinician, check_levels, parse_levels, \
    select_personas
from workbench.views.messages import plan_problem
from workbench.views.runs import RUN_FIELDS

ED = ["ed_mi_01-impatient-C-low-normal", "ed_uti_02-plain-B-high-high"]


def caught(call, *args) -> PlanError:
    with pytest.raises(PlanError) as info:
        call(*args)
    return info.value


@pytest.mark.parametrize(("levels", "command_line", "page"), [
    ({"confusion": "dazed"}, "--level confusion=dazed: unknown level 'dazed' for axis "
     "'confusion'", "Fixed levels: confusion=dazed — unknown level 'dazed' for axis 'confusion'"),
    ({"mood": "calm"}, "--level mood=calm: no axis 'mood'; axes: ",
     "Fixed levels: mood=calm — no axis 'mood'; axes: "),
])
def test_a_bad_level_in_both_wordings(library: Library, levels, command_line, page) -> None:
    error = caught(check_levels, library, levels, ED)
    assert (error.field, error.value) == ("levels", "=".join(next(iter(levels.items()))))
    assert str(error).startswith(command_line)
    assert shown(plan_problem(error, RUN_FIELDS)).startswith(page)
    assert "--" not in error.problem


def test_a_script_for_another_scenario_in_both_wordings(library: Library) -> None:
    error = caught(check_clinician, library, "scripted/cbt_intake", ED)
    assert str(error).startswith("Script 'cbt_intake' is written for scenario 'cbt_session'")
    assert str(error).endswith("Choose personas with --scenario cbt_session, or another script.")
    text = shown(plan_problem(error, RUN_FIELDS))
    assert text.startswith("Clinician: scripted/cbt_intake — the script is written for "
                           "scenario 'cbt_session', but 2 chosen persona(s) are not (")
    assert text.endswith("Choose personas of scenario 'cbt_session', or another script.")
    assert "--" not in text


def test_unknown_or_no_personas_in_both_wordings(library: Library) -> None:
    unknown = caught(select_personas, library, ["ed_mi_01-plain"])
    assert str(unknown).startswith("No persona 'ed_mi_01-plain' in the library at ")
    assert "`workbench personas list` shows them all" in str(unknown)
    text = shown(plan_problem(unknown, RUN_FIELDS))
    assert text.startswith("Personas: ed_mi_01-plain — no such persona in the library at ")
    assert "Close matches: ed_mi_01-" in text and "The Personas page lists them all." in text
    assert "`workbench personas list`" not in text
    none = caught(select_personas, library, [" , "])
    assert str(none) == "No persona chosen: pass --personas with ids or globs (e.g. 'ed_*')."
    assert shown(plan_problem(none, RUN_FIELDS)) == "Personas: none is chosen; choose at least one."


def test_a_malformed_level_keeps_its_quotes_on_the_command_line() -> None:
    error = caught(parse_levels, ["confusion"])
    assert str(error) == "--level 'confusion': write it as axis=level, e.g. confusion=high."
    assert shown(plan_problem(error, {})) == (
        "Levels: confusion — write it as axis=level, e.g. confusion=high.")  # no label: the field


def test_an_error_about_no_single_input_reads_the_same_everywhere() -> None:
    error = PlanError("the store moved")
    assert str(error) == error.problem == "the store moved" and error.field is None
    assert plan_problem(error, RUN_FIELDS) == "the store moved"


def test_what_a_page_shows_is_inert(library: Library) -> None:
    error = caught(check_levels, library, {"confusion": "<img src=x onerror=alert(1)>**x**"}, ED)
    text = plan_problem(error, RUN_FIELDS)
    assert "<img" not in text and "**x**" not in text
